/*
 * What rrdpsync remembers of its upstream and of the local copy it
 * made, in one file written atomically after every change (temporary
 * name, fsync, rename): the state file is the truth the local
 * notification is written from, so a crash anywhere leaves either the
 * old or the new state, never a mix.
 *
 *   rrdpsync-state 1
 *   source https://rrdp.example.net/notification.xml
 *   session 9df4b597-af9e-4dca-bdda-719cce2c4e28
 *   serial 1234
 *   snapshot HASH REL URI
 *   delta SERIAL HASH REL URI        one per delta listed, newest first
 *   tree NAME                        the rsync tree of this serial
 *   etag VALUE                       validators of the notification
 *   last_modified VALUE
 *   regression SINCE                 a serial regression refused since
 *   gone SINCE REL                   files awaiting removal
 *
 * HASH is the SHA-256 upstream's notification lists (lower-case hex),
 * REL the file's path under the RRDP directory, URI where upstream
 * serves it.  The (serial, hash) pairs of the delta lines are what
 * RFC 9697 asks a relying party to keep from the last notification it
 * processed.
 */
#ifndef RPKIPUB_SYNC_STATE_H
#define RPKIPUB_SYNC_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bounds.h"
#include "rrdp_notification.h"

#define SYNC_STATE_MAGIC	"rrdpsync-state 1"

struct buf;

/* A file upstream lists and the local copy holds. */
struct sync_file {
	int64_t	 serial;	/* a delta's serial (0 for the snapshot) */
	uint8_t	 hash[RRDP_HASH_LEN];
	char	*rel;
	char	*uri;
};

struct sync_gone {
	char	*rel;
	time_t	 since;
};

struct sync_state {
	char			*source;
	char			 session[RRDP_SESSION_LEN + 1]; /* "": none */
	int64_t			 serial;	/* 0: nothing synced yet */
	struct sync_file	 snapshot;	/* rel NULL when serial 0 */
	struct sync_file	*deltas;	/* newest first */
	size_t			 ndeltas;
	char			*tree;
	char			 etag[SYNC_MAX_VALIDATOR];
	char			 last_modified[SYNC_MAX_VALIDATOR];
	time_t			 regression_since;	/* 0: none */
	struct sync_gone	*gone;
	size_t			 ngone;
};

/*
 * Parse a state file's bytes into st (zeroed first).  0, or -1 with
 * "line N: reason" in err and nothing left to free in st.
 */
int	sync_state_parse(const char *data, size_t len, struct sync_state *st,
	    char *err, size_t errlen);
/* Append the file form of st (what sync_state_parse reads back). */
void	sync_state_write(struct buf *, const struct sync_state *);
/*
 * Read path: 1 loaded, 0 there is no state file (st empty), -1 it is
 * unreadable or corrupt (reason in err, st empty).
 */
int	sync_state_load(const char *path, struct sync_state *st, char *err,
	    size_t errlen);
/* Write st to path atomically and durably.  0 or -1 (logged). */
int	sync_state_save(const char *path, const struct sync_state *st);
/* Frees the members; st is left empty.  NULL-safe. */
void	sync_state_free(struct sync_state *st);
/* Deep copy of src into dst (dst's old members are not freed). */
void	sync_state_copy(struct sync_state *dst, const struct sync_state *src);

/* Add a file awaiting removal since when (rel copied). */
void	sync_state_gone_add(struct sync_state *, const char *rel, time_t since);
/* Is v a validator value we keep (printable ASCII, bounded)?  1 or 0. */
int	sync_validator_valid(const char *v);

#endif
