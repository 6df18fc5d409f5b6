/*
 * rpkipubd: the running publication server.
 *
 * Threads:
 *   main            signals, periodic maintenance (BPKI renewal)
 *   HTTP (one per connection, libmicrohttpd)
 *                   read the body (bounded), look up the publisher,
 *                   verify the CMS (cms.c), parse the XML (rfc8181_msg.c),
 *                   hand the query to the engine and wait, sign the reply
 *   engine writer   group commit of all queued queries (engine.c)
 *   repository writer
 *                   every rrdp_interval: RRDP serial and rsync tree
 *                   from the change log (rrdp_writer.c)
 *   admin (libmicrohttpd, one thread)
 *                   metrics and the token-protected admin API (admin.c)
 *   RRDP (libmicrohttpd, epoll thread pool, one thread per CPU)
 *                   serves the RRDP directory read-only (http_rrdp.c)
 *
 * Files: http_pub.c (RFC 8181 over HTTP), admin.c (admin API),
 * pubd.c (this state, its lifecycle, the store connection pool).
 */
#ifndef RPKIPUB_PUBD_H
#define RPKIPUB_PUBD_H

#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bpki.h"
#include "config.h"
#include "engine.h"
#include "rrdp_writer.h"
#include "store.h"

#define PUBD_STORE_POOL		16	/* idle read connections kept */
#define PUBD_TA_BUCKETS		1024	/* publisher TA cache hash size */
#define PUBD_TA_CACHE_MAX	100000	/* entries before it is emptied */
#define PUBD_MAINTAIN_SECS	3600	/* BPKI renewal check interval */

struct pubd_ta;
struct http_rrdp;

struct pubd {
	struct config		*cfg;
	int			 lockfd;	/* DIR/rpkipubd.lock, held */
	struct engine		*engine;
	char			*store_path;
	char			*bpki_dir;
	/* The server's BPKI; replaced on renewal, so read under the lock. */
	pthread_rwlock_t	 bpki_lock;
	struct bpki		*bpki;
	uint8_t			*server_ta;	/* DER of the TA, constant */
	size_t			 server_ta_len;
	char			 token[2 * CONFIG_TOKEN_BYTES + 1];
	struct timespec		 started;	/* CLOCK_MONOTONIC */
	/* Store connections for threads other than the writer. */
	pthread_mutex_t		 pool_lock;
	struct store		*pool[PUBD_STORE_POOL];
	size_t			 npool;
	struct MHD_Daemon	*http;
	struct MHD_Daemon	*admin;
	struct http_rrdp	*rrdp;		/* NULL: rrdp_listen is "" */
	/* The repository writer and its thread (rrdp_writer.h). */
	struct rrdp_writer	*writer;
	struct rrdp_thread	*writer_thread;
	/*
	 * CPU-heavy request steps (CMS verify, XML parse, reply signing)
	 * run at most one per CPU at a time, so twenty waiting connections
	 * cannot starve the writer thread that all of them wait for.
	 */
	sem_t			 cpu_slots;
	/* Decoded publisher BPKI TAs, keyed by handle, checked by DER. */
	pthread_mutex_t		 ta_lock;
	struct pubd_ta		*ta_cache[PUBD_TA_BUCKETS];
	size_t			 ta_count;
};

struct pubd	*pubd_start(const char *data_dir);
void		 pubd_stop(struct pubd *);
/* Re-issue the server's EE and CRL when due.  0 or -1. */
int		 pubd_maintain(struct pubd *);

/* Borrow a store connection (NULL on error) and give it back. */
struct store	*pubd_store_get(struct pubd *);
void		 pubd_store_put(struct pubd *, struct store *);
/*
 * The publisher's BPKI TA as an X509 (a new reference: X509_free it),
 * decoded once and cached while its DER stays the same.  NULL if the
 * stored DER does not parse.
 */
X509		*pubd_publisher_ta(struct pubd *, const struct store_publisher *);
void		 pubd_cpu_enter(struct pubd *);
void		 pubd_cpu_leave(struct pubd *);
/* Sign an XML reply with the server's BPKI; malloc'd DER or NULL. */
uint8_t		*pubd_sign(struct pubd *, const uint8_t *xml, size_t len,
		    size_t *derlen);
double		 pubd_uptime(const struct pubd *);
double		 pubd_elapsed(const struct timespec *since);

/* http_pub.c and admin.c */
struct MHD_Daemon	*http_pub_start(struct pubd *);
struct MHD_Daemon	*admin_start(struct pubd *);
/*
 * http_rrdp.c: the RRDP listener on cfg->rrdp_listen, serving the RRDP
 * directory; NULL with a logged reason.  The config must outlive it.
 */
struct http_rrdp	*http_rrdp_start(const struct config *);
void			 http_rrdp_stop(struct http_rrdp *);

/* Read the admin token of a data dir into token (2 * BYTES + 1). */
int		 pubd_read_token(const char *data_dir, char *token);

#endif
