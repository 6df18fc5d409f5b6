/*
 * The durable store behind the publication engine.
 *
 * The engine and rpkipubctl only talk to this interface, so a PostgreSQL
 * backend (store_pg.c) can sit beside the SQLite one (store_sqlite.c).
 * A struct store is one connection and is used by one thread at a time.
 *
 * Tables (see store_sqlite.c for the schema):
 *   publishers  handle, sia_base, BPKI TA, replay state
 *   objects     uri -> publisher, SHA-256, time first stored, size, and
 *               the RRDP snapshot element with its deflate piece
 *               (rrdp_elem.h), from which the DER is decoded
 *   changes     one row per applied query (the change log): id, time,
 *               publisher; change_items: uri, old hash, new hash.  The
 *               RRDP writer turns the changes since its last serial into
 *               one delta, and prunes them change_log_keep seconds later.
 *
 * Return values: 0 success, -1 error (logged with the backend's message).
 * Lookups return 1 found, 0 not found, -1 error.
 */
#ifndef RPKIPUB_STORE_H
#define RPKIPUB_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "rrdp_elem.h"

struct store;

struct store_publisher {
	int64_t	 id;
	char	*handle;
	char	*sia_base;
	uint8_t	*bpki_ta;		/* DER */
	size_t	 bpki_ta_len;
	time_t	 created;
	/* Replay state (RFC 8181 / RFC 6492 section 3.1.2). */
	int64_t	 last_signing_time;
	uint8_t	*last_digests;		/* n * 32 bytes, same signing-time */
	size_t	 last_ndigests;
};

struct store_totals {
	int64_t	publishers;
	int64_t	last_change;
};

typedef int (*store_object_cb)(const char *uri, const uint8_t hash[32],
    void *arg);
typedef int (*store_publisher_cb)(const struct store_publisher *, void *arg);

/* One object as store_object_scan() hands it out; valid during the call. */
struct store_elem {
	const char	*uri;
	const uint8_t	*hash;		/* 32 bytes */
	int64_t		 first_stored;
	uint32_t	 crc;		/* CRC-32 of elem */
	int64_t		 size;		/* of the DER */
	const uint8_t	*elem;		/* snapshot element */
	size_t		 elem_len;
	const uint8_t	*piece;		/* raw deflate of elem */
	size_t		 piece_len;
};
typedef int (*store_elem_cb)(const struct store_elem *, void *arg);
/* One change item: old or new hash NULL for a creation or a withdrawal. */
typedef int (*store_change_cb)(const char *uri, const uint8_t *old_hash,
    const uint8_t *new_hash, void *arg);

/* Open the store at path (created with its schema if absent). */
struct store	*store_open(const char *path);
void		 store_close(struct store *);
/*
 * Tune a connection that will be the engine's only writer: a large page
 * cache, and no checkpoints in the commit path (store_maintain() does
 * them from another connection).
 */
int		 store_tune_writer(struct store *);
/*
 * Check, on this connection, that a COMMIT is durable when it returns
 * (SQLite: journal_mode WAL and synchronous FULL).  0, or -1 (logged).
 */
int		 store_check_durable(struct store *);
/*
 * Background upkeep, on a connection of its own, every second or so
 * (SQLite: checkpoint the WAL into the database without blocking the
 * writer).  0 or -1.
 */
int		 store_maintain(struct store *);

/* Write transactions, and savepoints inside them (one per query). */
int	store_begin(struct store *);
int	store_commit(struct store *);
int	store_rollback(struct store *);
int	store_savepoint(struct store *);
int	store_release(struct store *);
int	store_rollback_savepoint(struct store *);

/* Publishers.  *out is a new struct, free with store_publisher_free. */
int	store_publisher_get(struct store *, const char *handle,
	    struct store_publisher **out);
/*
 * A new registration; replay_floor is its first last_signing_time (a
 * message signed before it is refused as a replay).
 */
int	store_publisher_add(struct store *, const char *handle,
	    const char *sia_base, const uint8_t *ta, size_t ta_len, time_t now,
	    time_t replay_floor);
int	store_publisher_delete(struct store *, int64_t id);
int	store_publisher_foreach(struct store *, store_publisher_cb, void *);
int	store_publisher_count_objects(struct store *, int64_t id,
	    int64_t *objects, int64_t *bytes);
int	store_replay_set(struct store *, int64_t id, int64_t signing_time,
	    const uint8_t *digests, size_t ndigests);
void	store_publisher_free(struct store_publisher *);

/* Objects. */
int	store_object_get(struct store *, const char *uri, int64_t *publisher,
	    uint8_t hash[32]);
int	store_object_put(struct store *, int64_t publisher, const char *uri,
	    const struct rrdp_obj *, time_t now);
/* Hash, first-stored time and snapshot element (appended) of uri. */
int	store_object_elem(struct store *, const char *uri, uint8_t hash[32],
	    int64_t *first_stored, struct buf *elem);
/* Every object, in no particular order.  cb returning -1 stops (-1). */
int	store_object_scan(struct store *, store_elem_cb, void *);
int	store_object_delete(struct store *, const char *uri);
/* Objects of one publisher in URI order. cb returning -1 stops (-1). */
int	store_object_foreach(struct store *, int64_t publisher,
	    store_object_cb, void *);

/* Change log. */
int	store_change_add(struct store *, const char *handle, time_t now,
	    int64_t *change_id);
int	store_change_item(struct store *, int64_t change_id, const char *uri,
	    const uint8_t *old_hash, const uint8_t *new_hash);

/*
 * Change items of the changes after..upto (ids), ordered by URI and then
 * by time: the RRDP writer collapses them into one delta.
 */
int	store_changes_since(struct store *, int64_t after, int64_t upto,
	    store_change_cb, void *);

/*
 * Remove the oldest changes (at most limit, with their items) whose id is
 * below announced (the RRDP writer has published them) and whose time is
 * before `before'; the last change always stays.  *removed: how many.
 * Its own transaction.  0 or -1.
 */
int	store_change_prune(struct store *, int64_t announced, time_t before,
	    int64_t limit, int64_t *removed);

/* Publishers and the last change (cheap: objects are not counted). */
int	store_totals(struct store *, struct store_totals *);
/* The id of the last change (0 if none), cheaply. */
int	store_last_change(struct store *, int64_t *id);

/* Integer settings in the meta table (RRDP generation, reset request). */
int	store_meta_get(struct store *, const char *key, int64_t *val);
int	store_meta_set(struct store *, const char *key, int64_t val);
/*
 * A read transaction: everything read until store_commit() (or
 * store_rollback()) sees one consistent state of the store.
 */
int	store_read_begin(struct store *);

#endif
