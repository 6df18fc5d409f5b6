/*
 * SQLite backend of store.h: the embedded default.
 *
 * Durability: WAL journal with synchronous=FULL, so a COMMIT has reached
 * the disk (WAL fsynced) before it returns; the engine replies success
 * only after that.  Several connections (the engine's writer, HTTP
 * threads that look up publishers, rpkipubctl) may be open at once: WAL
 * lets readers run beside the one writer, and busy_timeout makes writers
 * wait for each other instead of failing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "rrdp_elem.h"
#include "store.h"

#define STORE_SCHEMA_VERSION	2
#define STORE_BUSY_TIMEOUT_MS	30000
/* WAL frames (pages) before a blocking checkpoint: 256 MB of 8 KB pages. */
#define STORE_WAL_MAX_FRAMES	32768
/* How long a RESTART checkpoint may wait for readers (see store_maintain). */
#define STORE_RESTART_WAIT_MS	100

#define STORE_PRUNE_SET \
    "SELECT id FROM changes WHERE id < ?1 AND time < ?2 AND " \
    "id < (SELECT max(id) FROM changes) ORDER BY id LIMIT ?3"

enum stmt {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SAVEPOINT, ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_PUB_GET, ST_PUB_ADD, ST_PUB_DELETE, ST_PUB_ALL, ST_PUB_COUNT,
	ST_REPLAY_SET,
	ST_OBJ_GET, ST_OBJ_PUT, ST_OBJ_DELETE, ST_OBJ_LIST,
	ST_OBJ_ELEM, ST_OBJ_SCAN,
	ST_CHANGE_ADD, ST_CHANGE_ITEM, ST_CHANGES_SINCE, ST_PRUNE_ITEMS,
	ST_PRUNE_CHANGES,
	ST_TOTALS, ST_LAST_CHANGE, ST_META_GET, ST_META_SET, ST_READ_BEGIN,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT q",
	[ST_RELEASE] = "RELEASE q",
	[ST_ROLLBACK_TO] = "ROLLBACK TO q",
	[ST_PUB_GET] = "SELECT id, handle, sia_base, bpki_ta, created, "
	    "last_signing_time, last_digests FROM publishers WHERE handle = ?",
	[ST_PUB_ADD] = "INSERT INTO publishers (handle, sia_base, bpki_ta, "
	    "created, last_signing_time) VALUES (?, ?, ?, ?, ?)",
	[ST_PUB_DELETE] = "DELETE FROM publishers WHERE id = ?",
	[ST_PUB_ALL] = "SELECT id, handle, sia_base, bpki_ta, created, "
	    "last_signing_time, last_digests FROM publishers ORDER BY handle",
	[ST_PUB_COUNT] = "SELECT count(*), coalesce(sum(size), 0) "
	    "FROM objects WHERE publisher = ?",
	[ST_REPLAY_SET] = "UPDATE publishers SET last_signing_time = ?, "
	    "last_digests = ? WHERE id = ?",
	[ST_OBJ_GET] = "SELECT publisher, hash FROM objects WHERE uri = ?",
	[ST_OBJ_PUT] = "INSERT INTO objects (uri, publisher, hash, "
	    "first_stored, size, elem_crc, elem, elem_z) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, ?8) ON CONFLICT(uri) DO UPDATE SET publisher = "
	    "?2, hash = ?3, first_stored = ?4, size = ?5, elem_crc = ?6, "
	    "elem = ?7, elem_z = ?8",
	[ST_OBJ_DELETE] = "DELETE FROM objects WHERE uri = ?",
	[ST_OBJ_LIST] = "SELECT uri, hash FROM objects WHERE publisher = ? "
	    "ORDER BY uri",
	[ST_OBJ_ELEM] = "SELECT hash, first_stored, elem FROM objects WHERE "
	    "uri = ?",
	/* Physical order: a snapshot needs no particular order. */
	[ST_OBJ_SCAN] = "SELECT uri, hash, first_stored, elem_crc, size, "
	    "elem, elem_z FROM objects",
	[ST_CHANGE_ADD] = "INSERT INTO changes (time, publisher) VALUES (?, ?)",
	[ST_CHANGE_ITEM] = "INSERT INTO change_items (change_id, uri, "
	    "old_hash, new_hash) VALUES (?, ?, ?, ?)",
	[ST_CHANGES_SINCE] = "SELECT uri, old_hash, new_hash FROM "
	    "change_items WHERE change_id > ?1 AND change_id <= ?2 "
	    "ORDER BY uri, change_id, rowid",
	/*
	 * The oldest announced changes (id < ?1) older than ?2, at most ?3;
	 * never the last row: max(id) is how the writer sees a store that
	 * went back (store_last_change).  The same set twice, items first,
	 * in one transaction.
	 */
	[ST_PRUNE_ITEMS] = "DELETE FROM change_items WHERE change_id IN "
	    "(" STORE_PRUNE_SET ")",
	[ST_PRUNE_CHANGES] = "DELETE FROM changes WHERE id IN "
	    "(" STORE_PRUNE_SET ")",
	/* No scan of the objects: metrics ask for this every scrape. */
	[ST_TOTALS] = "SELECT (SELECT count(*) FROM publishers), "
	    "(SELECT coalesce(max(id), 0) FROM changes)",
	/* The rowid b-tree's last entry: no scan, unlike ST_TOTALS. */
	[ST_LAST_CHANGE] = "SELECT coalesce(max(id), 0) FROM changes",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?",
	[ST_META_SET] = "INSERT INTO meta VALUES (?1, ?2) ON CONFLICT(key) "
	    "DO UPDATE SET value = ?2",
	/* DEFERRED: a read transaction, one consistent view (WAL). */
	[ST_READ_BEGIN] = "BEGIN DEFERRED",
};

/*
 * An object is kept in the form the RRDP writer streams (rrdp_elem.h):
 * its snapshot element (the base64 text wrapped in <publish>) and a
 * deflate piece of it, so a snapshot and its .gz are written by copying.
 * The DER is not kept twice: rrdp_elem_der() decodes it from elem.  The
 * small columns come first so reading them skips the large ones.
 */
#define STORE_OBJECTS_TABLE \
    "CREATE TABLE IF NOT EXISTS objects (" \
    "  uri TEXT PRIMARY KEY," \
    "  publisher INTEGER NOT NULL REFERENCES publishers(id)," \
    "  hash BLOB NOT NULL CHECK (length(hash) = 32)," \
    "  first_stored INTEGER NOT NULL," \
    "  size INTEGER NOT NULL," \
    "  elem_crc INTEGER NOT NULL," \
    "  elem BLOB NOT NULL," \
    "  elem_z BLOB NOT NULL);"

static const char store_schema[] =
    "CREATE TABLE IF NOT EXISTS meta ("
    "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS publishers ("
    "  id INTEGER PRIMARY KEY,"
    "  handle TEXT NOT NULL UNIQUE,"
    "  sia_base TEXT NOT NULL UNIQUE,"
    "  bpki_ta BLOB NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  last_signing_time INTEGER NOT NULL DEFAULT 0,"
    "  last_digests BLOB);"
    STORE_OBJECTS_TABLE
    "CREATE INDEX IF NOT EXISTS objects_by_publisher"
    "  ON objects (publisher, uri);"
    /* AUTOINCREMENT: change ids are never reused, even after deletes. */
    "CREATE TABLE IF NOT EXISTS changes ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time INTEGER NOT NULL,"
    "  publisher TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS change_items ("
    "  change_id INTEGER NOT NULL REFERENCES changes(id),"
    "  uri TEXT NOT NULL,"
    "  old_hash BLOB,"
    "  new_hash BLOB);"
    "CREATE INDEX IF NOT EXISTS change_items_by_change"
    "  ON change_items (change_id);";

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[ST_COUNT];
	char		*path;
};

static int
store_fail(struct store *st, const char *what)
{
	log_err("store %s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
	return -1;
}

/* Reset a statement for reuse and return it. */
static sqlite3_stmt *
store_stmt(struct store *st, enum stmt s)
{
	sqlite3_stmt	*stmt = st->stmt[s];

	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return stmt;
}

/* Run a statement that returns no rows. */
static int
store_exec_stmt(struct store *st, sqlite3_stmt *stmt, const char *what)
{
	int	rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, what);
	return 0;
}

/*
 * Schema 1 (issue 2's store) kept the DER of each object; schema 2 keeps
 * the RRDP element and its deflate piece instead.  Convert every object
 * in one transaction: a crash leaves schema 1 intact.
 */
static int
store_migrate_v1(struct store *st)
{
	sqlite3_stmt	*sel = NULL, *ins = NULL;
	struct rrdp_obj	 o;
	char		*errmsg = NULL;
	int		 rc = -1, step;
	int64_t		 n = 0;

	memset(&o, 0, sizeof(o));
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE;"
	    "ALTER TABLE objects RENAME TO objects_v1;"
	    "DROP INDEX IF EXISTS objects_by_publisher;"
	    STORE_OBJECTS_TABLE, NULL, NULL, &errmsg) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(st->db, "SELECT uri, publisher, der, "
	    "first_stored FROM objects_v1", -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "INSERT INTO objects VALUES (?, ?, ?, "
	    "?, ?, ?, ?, ?)", -1, &ins, NULL) != SQLITE_OK)
		goto out;
	while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
		const char	*uri = (const char *)sqlite3_column_text(sel, 0);

		rrdp_obj_free(&o);
		if (rrdp_obj_make(&o, uri, sqlite3_column_blob(sel, 2),
		    (size_t)sqlite3_column_bytes(sel, 2)) == -1)
			goto out;
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, uri, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 2, sqlite3_column_int64(sel, 1));
		sqlite3_bind_blob(ins, 3, o.hash, 32, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 4, sqlite3_column_int64(sel, 3));
		sqlite3_bind_int64(ins, 5, (sqlite3_int64)o.der_len);
		sqlite3_bind_int64(ins, 6, o.crc);
		sqlite3_bind_blob(ins, 7, o.elem.data, (int)o.elem.len,
		    SQLITE_STATIC);
		sqlite3_bind_blob(ins, 8, o.piece.data, (int)o.piece.len,
		    SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto out;
		n++;
	}
	if (step != SQLITE_DONE)
		goto out;
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	sel = ins = NULL;
	if (sqlite3_exec(st->db, "DROP TABLE objects_v1;"
	    "CREATE INDEX objects_by_publisher ON objects (publisher, uri);"
	    "UPDATE meta SET value = '2' WHERE key = 'schema_version';"
	    "COMMIT;", NULL, NULL, &errmsg) != SQLITE_OK)
		goto out;
	log_info("store %s: converted %lld objects from schema 1 to 2",
	    st->path, (long long)n);
	rc = 0;
 out:
	if (rc == -1) {
		log_err("store %s: converting schema 1 to 2: %s", st->path,
		    errmsg != NULL ? errmsg : sqlite3_errmsg(st->db));
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	sqlite3_free(errmsg);
	rrdp_obj_free(&o);
	return rc;
}

static int
store_schema_init(struct store *st)
{
	char		*errmsg = NULL;
	sqlite3_stmt	*stmt = NULL;
	int		 version = 0, rc = -1;

	if (sqlite3_exec(st->db, store_schema, NULL, NULL, &errmsg) !=
	    SQLITE_OK) {
		log_err("store %s: creating schema: %s", st->path, errmsg);
		goto out;
	}
	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = "
	    "'schema_version'", -1, &stmt, NULL) != SQLITE_OK) {
		store_fail(st, "reading schema version");
		goto out;
	}
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (version == 0) {
		if (sqlite3_exec(st->db, "INSERT OR IGNORE INTO meta VALUES "
		    "('schema_version', '2')", NULL, NULL, &errmsg) !=
		    SQLITE_OK) {
			log_err("store %s: %s", st->path, errmsg);
			goto out;
		}
	} else if (version == 1) {
		if (store_migrate_v1(st) == -1)
			goto out;
	} else if (version != STORE_SCHEMA_VERSION) {
		log_err("store %s: schema version %d, this program knows %d",
		    st->path, version, STORE_SCHEMA_VERSION);
		goto out;
	}
	rc = 0;
 out:
	sqlite3_free(errmsg);
	return rc;
}

struct store *
store_open(const char *path)
{
	struct store	*st;
	char		*errmsg = NULL;
	int		 i;

	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		store_fail(st, "open");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	/*
	 * WAL + synchronous=FULL: every COMMIT is on disk when it returns
	 * (the durability promise).  Foreign keys keep objects from
	 * outliving their publisher.
	 */
	/*
	 * temp_store=MEMORY keeps savepoint journals (one per query) off
	 * the disk.
	 */
	/*
	 * page_size only takes effect on a new database, before WAL mode.
	 * A row is about 2.5 times its object (element and deflate piece):
	 * 5 KB for a 2 KB object, one to an 8 KB page, three to a 16 KB one.
	 * Measured with 2 KB objects: the store a third smaller, snapshot
	 * scans faster, publication 8,300 objects/s instead of 7,700.
	 */
	if (sqlite3_exec(st->db, "PRAGMA page_size=16384;", NULL, NULL,
	    &errmsg) != SQLITE_OK) {
		log_err("store %s: page_size: %s", path, errmsg);
		sqlite3_free(errmsg);
		goto fail;
	}
	if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;"
	    "PRAGMA temp_store=MEMORY;",
	    NULL, NULL, &errmsg) != SQLITE_OK) {
		log_err("store %s: pragmas: %s", path, errmsg);
		sqlite3_free(errmsg);
		goto fail;
	}
	if (store_schema_init(st) == -1)
		goto fail;
	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) !=
		    SQLITE_OK) {
			store_fail(st, stmt_sql[i]);
			goto fail;
		}
	}
	return st;
 fail:
	store_close(st);
	return NULL;
}

int
store_tune_writer(struct store *st)
{
	char	*errmsg = NULL;

	/*
	 * Measured with bench/pubload: SQLite's default 2 MB cache made the
	 * writer re-read index pages, and checkpoints run inside COMMIT
	 * stalled every publisher waiting on that commit.
	 */
	if (sqlite3_exec(st->db, "PRAGMA cache_size=-65536;"
	    "PRAGMA wal_autocheckpoint=0;"
	    "PRAGMA journal_size_limit=67108864;", NULL, NULL, &errmsg) !=
	    SQLITE_OK) {
		log_err("store %s: writer pragmas: %s", st->path, errmsg);
		sqlite3_free(errmsg);
		return -1;
	}
	return 0;
}

static int
store_pragma_text(struct store *st, const char *sql, char *out, size_t len)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_ROW) {
		store_fail(st, sql);
		goto out;
	}
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(stmt, 0));
	rc = 0;
 out:
	sqlite3_finalize(stmt);
	return rc;
}

int
store_check_durable(struct store *st)
{
	char	mode[32], sync[32];

	if (store_pragma_text(st, "PRAGMA journal_mode", mode,
	    sizeof(mode)) == -1 ||
	    store_pragma_text(st, "PRAGMA synchronous", sync,
	    sizeof(sync)) == -1)
		return -1;
	/* synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
	if (strcmp(mode, "wal") != 0 || atoi(sync) < 2) {
		log_err("store %s: journal_mode=%s synchronous=%s; need wal "
		    "and FULL for durable commits", st->path, mode, sync);
		return -1;
	}
	return 0;
}

int
store_maintain(struct store *st)
{
	int	log_frames, done, rc;

	/*
	 * PASSIVE copies what it can without waiting for readers or the
	 * writer.  Once everything is copied, the next write transaction
	 * starts the WAL over, so it stays small.
	 */
	if (sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    &log_frames, &done) != SQLITE_OK)
		return store_fail(st, "checkpoint");
	/*
	 * Under back-to-back commits the WAL never becomes free to start
	 * over and keeps growing.  Past a bound, RESTART: it waits for the
	 * writer (busy_timeout), finishes the checkpoint and makes the next
	 * transaction write the WAL from its start, so the file stops
	 * growing.  (TRUNCATE, which also shrinks the file, stalled the
	 * writer two to three times longer in bench/pubload.)
	 */
	/*
	 * A RESTART waiting for a reader also holds back new writers: with
	 * the RRDP writer's snapshot scan (a read transaction of seconds on
	 * a large repository) it would stall every publisher.  So it may
	 * wait only briefly; a busy RESTART is tried again next time.
	 */
	if (log_frames > STORE_WAL_MAX_FRAMES) {
		sqlite3_busy_timeout(st->db, STORE_RESTART_WAIT_MS);
		rc = sqlite3_wal_checkpoint_v2(st->db, NULL,
		    SQLITE_CHECKPOINT_RESTART, &log_frames, &done);
		sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			return store_fail(st, "checkpoint (restart)");
	}
	return 0;
}

void
store_close(struct store *st)
{
	int	i;

	if (st == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int
store_begin(struct store *st)
{
	return store_exec_stmt(st, store_stmt(st, ST_BEGIN), "BEGIN");
}

int
store_commit(struct store *st)
{
	return store_exec_stmt(st, store_stmt(st, ST_COMMIT), "COMMIT");
}

int
store_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(st->db))
		return 0;	/* SQLite already rolled back (e.g. I/O error) */
	return store_exec_stmt(st, store_stmt(st, ST_ROLLBACK), "ROLLBACK");
}

int
store_savepoint(struct store *st)
{
	return store_exec_stmt(st, store_stmt(st, ST_SAVEPOINT), "SAVEPOINT");
}

int
store_release(struct store *st)
{
	return store_exec_stmt(st, store_stmt(st, ST_RELEASE), "RELEASE");
}

int
store_rollback_savepoint(struct store *st)
{
	if (store_exec_stmt(st, store_stmt(st, ST_ROLLBACK_TO),
	    "ROLLBACK TO") == -1)
		return -1;
	return store_release(st);
}

static char *
column_strdup(sqlite3_stmt *stmt, int col)
{
	const unsigned char	*s = sqlite3_column_text(stmt, col);

	return xstrdup(s != NULL ? (const char *)s : "");
}

static uint8_t *
column_blobdup(sqlite3_stmt *stmt, int col, size_t *len)
{
	const void	*p = sqlite3_column_blob(stmt, col);
	int		 n = sqlite3_column_bytes(stmt, col);
	uint8_t		*out;

	*len = (size_t)n;
	if (p == NULL || n == 0)
		return NULL;
	out = xmalloc((size_t)n);
	memcpy(out, p, (size_t)n);
	return out;
}

static struct store_publisher *
publisher_from_row(sqlite3_stmt *stmt)
{
	struct store_publisher	*p;
	size_t			 dlen;

	p = xcalloc(1, sizeof(*p));
	p->id = sqlite3_column_int64(stmt, 0);
	p->handle = column_strdup(stmt, 1);
	p->sia_base = column_strdup(stmt, 2);
	p->bpki_ta = column_blobdup(stmt, 3, &p->bpki_ta_len);
	p->created = (time_t)sqlite3_column_int64(stmt, 4);
	p->last_signing_time = sqlite3_column_int64(stmt, 5);
	p->last_digests = column_blobdup(stmt, 6, &dlen);
	p->last_ndigests = dlen / 32;
	return p;
}

void
store_publisher_free(struct store_publisher *p)
{
	if (p == NULL)
		return;
	free(p->handle);
	free(p->sia_base);
	free(p->bpki_ta);
	free(p->last_digests);
	free(p);
}

int
store_publisher_get(struct store *st, const char *handle,
    struct store_publisher **out)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_PUB_GET);
	int		 rc;

	*out = NULL;
	sqlite3_bind_text(stmt, 1, handle, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*out = publisher_from_row(stmt);
		sqlite3_reset(stmt);
		return 1;
	}
	sqlite3_reset(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, "publisher lookup");
}

int
store_publisher_add(struct store *st, const char *handle,
    const char *sia_base, const uint8_t *ta, size_t ta_len, time_t now,
    time_t replay_floor)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_PUB_ADD);

	sqlite3_bind_text(stmt, 1, handle, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, sia_base, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 3, ta, (int)ta_len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)now);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)replay_floor);
	return store_exec_stmt(st, stmt, "publisher add");
}

int
store_publisher_delete(struct store *st, int64_t id)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_PUB_DELETE);

	sqlite3_bind_int64(stmt, 1, id);
	return store_exec_stmt(st, stmt, "publisher delete");
}

int
store_publisher_foreach(struct store *st, store_publisher_cb cb, void *arg)
{
	sqlite3_stmt		*stmt = store_stmt(st, ST_PUB_ALL);
	struct store_publisher	*p;
	int			 rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		p = publisher_from_row(stmt);
		if (cb(p, arg) == -1) {
			store_publisher_free(p);
			sqlite3_reset(stmt);
			return -1;
		}
		store_publisher_free(p);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "publisher list");
	return 0;
}

int
store_publisher_count_objects(struct store *st, int64_t id,
    int64_t *objects, int64_t *bytes)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_PUB_COUNT);

	sqlite3_bind_int64(stmt, 1, id);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_reset(stmt);
		return store_fail(st, "publisher object count");
	}
	*objects = sqlite3_column_int64(stmt, 0);
	*bytes = sqlite3_column_int64(stmt, 1);
	sqlite3_reset(stmt);
	return 0;
}

int
store_replay_set(struct store *st, int64_t id, int64_t signing_time,
    const uint8_t *digests, size_t ndigests)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_REPLAY_SET);

	sqlite3_bind_int64(stmt, 1, signing_time);
	sqlite3_bind_blob(stmt, 2, digests, (int)(ndigests * 32),
	    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, id);
	return store_exec_stmt(st, stmt, "replay state update");
}

int
store_object_get(struct store *st, const char *uri, int64_t *publisher,
    uint8_t hash[32])
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_OBJ_GET);
	int		 rc;

	sqlite3_bind_text(stmt, 1, uri, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(stmt, 1) != 32) {
			sqlite3_reset(stmt);
			log_err("store %s: object %s has a corrupt hash",
			    st->path, uri);
			return -1;
		}
		*publisher = sqlite3_column_int64(stmt, 0);
		memcpy(hash, sqlite3_column_blob(stmt, 1), 32);
		sqlite3_reset(stmt);
		return 1;
	}
	sqlite3_reset(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, "object lookup");
}

int
store_object_put(struct store *st, int64_t publisher, const char *uri,
    const struct rrdp_obj *o, time_t now)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_OBJ_PUT);

	sqlite3_bind_text(stmt, 1, uri, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, publisher);
	sqlite3_bind_blob(stmt, 3, o->hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)now);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)o->der_len);
	sqlite3_bind_int64(stmt, 6, o->crc);
	sqlite3_bind_blob(stmt, 7, o->elem.data, (int)o->elem.len,
	    SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 8, o->piece.data, (int)o->piece.len,
	    SQLITE_STATIC);
	return store_exec_stmt(st, stmt, "object store");
}

int
store_object_elem(struct store *st, const char *uri, uint8_t hash[32],
    int64_t *first_stored, struct buf *elem)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_OBJ_ELEM);
	int		 rc;

	sqlite3_bind_text(stmt, 1, uri, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(stmt, 0) != 32) {
			sqlite3_reset(stmt);
			log_err("store %s: corrupt hash of %s", st->path, uri);
			return -1;
		}
		memcpy(hash, sqlite3_column_blob(stmt, 0), 32);
		*first_stored = sqlite3_column_int64(stmt, 1);
		buf_add(elem, sqlite3_column_blob(stmt, 2),
		    (size_t)sqlite3_column_bytes(stmt, 2));
		sqlite3_reset(stmt);
		return 1;
	}
	sqlite3_reset(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, "object element");
}

int
store_object_scan(struct store *st, store_elem_cb cb, void *arg)
{
	sqlite3_stmt		*stmt = store_stmt(st, ST_OBJ_SCAN);
	struct store_elem	 e;
	int			 rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(stmt, 1) != 32) {
			sqlite3_reset(stmt);
			log_err("store %s: corrupt hash in object scan",
			    st->path);
			return -1;
		}
		e.uri = (const char *)sqlite3_column_text(stmt, 0);
		e.hash = sqlite3_column_blob(stmt, 1);
		e.first_stored = sqlite3_column_int64(stmt, 2);
		e.crc = (uint32_t)sqlite3_column_int64(stmt, 3);
		e.size = sqlite3_column_int64(stmt, 4);
		e.elem = sqlite3_column_blob(stmt, 5);
		e.elem_len = (size_t)sqlite3_column_bytes(stmt, 5);
		e.piece = sqlite3_column_blob(stmt, 6);
		e.piece_len = (size_t)sqlite3_column_bytes(stmt, 6);
		if (cb(&e, arg) == -1) {
			sqlite3_reset(stmt);
			return -1;
		}
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "object scan");
	return 0;
}

int
store_changes_since(struct store *st, int64_t after, int64_t upto,
    store_change_cb cb, void *arg)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_CHANGES_SINCE);
	const uint8_t	*h[2];
	int		 rc, i;

	sqlite3_bind_int64(stmt, 1, after);
	sqlite3_bind_int64(stmt, 2, upto);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (i = 0; i < 2; i++) {
			h[i] = NULL;
			if (sqlite3_column_type(stmt, i + 1) == SQLITE_NULL)
				continue;
			if (sqlite3_column_bytes(stmt, i + 1) != 32) {
				sqlite3_reset(stmt);
				log_err("store %s: corrupt change item",
				    st->path);
				return -1;
			}
			h[i] = sqlite3_column_blob(stmt, i + 1);
		}
		if (cb((const char *)sqlite3_column_text(stmt, 0), h[0], h[1],
		    arg) == -1) {
			sqlite3_reset(stmt);
			return -1;
		}
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "change items");
	return 0;
}

int
store_last_change(struct store *st, int64_t *id)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_LAST_CHANGE);

	if (sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_reset(stmt);
		return store_fail(st, "last change");
	}
	*id = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return 0;
}

int
store_meta_get(struct store *st, const char *key, int64_t *val)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_META_GET);
	int		 rc;

	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*val = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
		return 1;
	}
	sqlite3_reset(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, "meta lookup");
}

int
store_meta_set(struct store *st, const char *key, int64_t val)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_META_SET);

	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, val);
	return store_exec_stmt(st, stmt, "meta update");
}

int
store_read_begin(struct store *st)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_READ_BEGIN);

	if (store_exec_stmt(st, stmt, "begin read") == -1)
		return -1;
	/*
	 * A deferred transaction takes its snapshot at the first read:
	 * take it now, so every later statement sees the same state.
	 */
	return store_meta_get(st, "schema_version",
	    &(int64_t){ 0 }) == -1 ? -1 : 0;
}

int
store_object_delete(struct store *st, const char *uri)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_OBJ_DELETE);

	sqlite3_bind_text(stmt, 1, uri, -1, SQLITE_STATIC);
	return store_exec_stmt(st, stmt, "object delete");
}

int
store_object_foreach(struct store *st, int64_t publisher, store_object_cb cb,
    void *arg)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_OBJ_LIST);
	int		 rc;

	sqlite3_bind_int64(stmt, 1, publisher);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(stmt, 1) != 32) {
			sqlite3_reset(stmt);
			log_err("store %s: corrupt hash in object list",
			    st->path);
			return -1;
		}
		if (cb((const char *)sqlite3_column_text(stmt, 0),
		    sqlite3_column_blob(stmt, 1), arg) == -1) {
			sqlite3_reset(stmt);
			return -1;
		}
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "object list");
	return 0;
}

int
store_change_add(struct store *st, const char *handle, time_t now,
    int64_t *change_id)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_CHANGE_ADD);

	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)now);
	sqlite3_bind_text(stmt, 2, handle, -1, SQLITE_STATIC);
	if (store_exec_stmt(st, stmt, "change log") == -1)
		return -1;
	*change_id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_change_item(struct store *st, int64_t change_id, const char *uri,
    const uint8_t *old_hash, const uint8_t *new_hash)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_CHANGE_ITEM);

	sqlite3_bind_int64(stmt, 1, change_id);
	sqlite3_bind_text(stmt, 2, uri, -1, SQLITE_STATIC);
	if (old_hash != NULL)
		sqlite3_bind_blob(stmt, 3, old_hash, 32, SQLITE_STATIC);
	if (new_hash != NULL)
		sqlite3_bind_blob(stmt, 4, new_hash, 32, SQLITE_STATIC);
	return store_exec_stmt(st, stmt, "change log item");
}

int
store_change_prune(struct store *st, int64_t announced, time_t before,
    int64_t limit, int64_t *removed)
{
	sqlite3_stmt	*stmt;
	int		 i;

	*removed = 0;
	if (store_begin(st) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		stmt = store_stmt(st, i == 0 ? ST_PRUNE_ITEMS :
		    ST_PRUNE_CHANGES);
		sqlite3_bind_int64(stmt, 1, announced);
		sqlite3_bind_int64(stmt, 2, (int64_t)before);
		sqlite3_bind_int64(stmt, 3, limit);
		if (store_exec_stmt(st, stmt, "change log pruning") == -1) {
			store_rollback(st);
			return -1;
		}
	}
	*removed = sqlite3_changes(st->db);
	return store_commit(st);
}

int
store_totals(struct store *st, struct store_totals *t)
{
	sqlite3_stmt	*stmt = store_stmt(st, ST_TOTALS);

	if (sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_reset(stmt);
		return store_fail(st, "totals");
	}
	t->publishers = sqlite3_column_int64(stmt, 0);
	t->last_change = sqlite3_column_int64(stmt, 1);
	sqlite3_reset(stmt);
	return 0;
}
