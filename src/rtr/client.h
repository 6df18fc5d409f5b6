/*
 * The router side of RTR (RFC 8210 section 4, section 6 timers), for
 * rtrwatch: connect to one cache, negotiate the version (start at 2,
 * fall back to the version a cache names in an Unsupported Protocol
 * Version report, RFC 8210 section 7), Reset Query, Serial Query, and
 * keep the payload set the cache has given, checking that it never
 * announces a record twice nor withdraws one it did not announce, that
 * End of Data belongs to the session of the Cache Response and carries
 * timers RFC 8210 section 6 allows, and that it stays within the limits
 * of bounds.h.
 */
#ifndef RPKIPUB_RTR_CLIENT_H
#define RPKIPUB_RTR_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "payload.h"
#include "pdu.h"

enum rtr_client_state {
	RC_IDLE,	/* not connected */
	RC_CONNECTED,	/* TCP up, no data yet */
	RC_SYNCING,	/* query sent, reading until End of Data */
	RC_SYNCED,	/* holds the cache's data at serial */
	RC_FAILED,	/* error; closed */
};

struct rtr_client {
	char			 name[300];	/* "host:port" as given */
	char			 host[256];
	char			 port[16];
	int			 fd;
	enum rtr_client_state	 state;
	int			 version;	/* to use / negotiated */
	int			 has_data;
	uint16_t		 session_id;
	uint32_t		 serial;
	struct rtr_timers	 timers;	/* from End of Data (v1+) */
	struct rtr_set		 set;		/* the data, normalized */
	struct buf		 in;
	char			 err[256];
	/* A Serial Notify for data newer than ours is still to be
	 * answered (also one that arrived inside a response). */
	int			 notified;
	uint16_t		 notify_session;
	uint32_t		 notify_serial;
	/* Records of each kind the set may hold: RTR_MAX_VRPS,
	 * RTR_MAX_ROUTER_KEYS, RTR_MAX_ASPAS, set by rtr_client_init
	 * (unit tests lower them). */
	size_t			 max_vrps, max_keys, max_aspas;
};

/* Split "HOST:PORT" or "[V6]:PORT".  0 or -1. */
int	rtr_client_init(struct rtr_client *, const char *spec, int version);
void	rtr_client_close(struct rtr_client *);	/* keeps the data */
void	rtr_client_free(struct rtr_client *);
/* Connect within timeout_ms.  0 or -1 (err set). */
int	rtr_client_connect(struct rtr_client *, int timeout_ms);
/*
 * Send a Reset Query (or a Serial Query when there is data and reset is
 * 0) and read the response up to End of Data within timeout_ms.  The
 * changes made to the set are added to *changes (a diff) if not NULL.
 * Nothing changes unless the whole response is valid.  0 synced (with
 * notified set if a Serial Notify for a newer serial came meanwhile);
 * 1 the cache answered Cache Reset (call again with reset); -1 error
 * (err set, an Error Report sent where RFC 8210 has a code for it,
 * connection closed).
 */
int	rtr_client_sync(struct rtr_client *, int reset, int timeout_ms,
	    struct rtr_set *changes);
/* Wait up to timeout_ms for a PDU between responses (a Serial Notify).
 * 1 notify seen (at once if one is still to be answered), 0 timeout,
 * -1 connection lost. */
int	rtr_client_wait(struct rtr_client *, int timeout_ms);

#endif
