/*
 * RFC 8181 query semantics (engine.c) on a real SQLite store: create,
 * replace, withdraw, list, every error code the engine decides, per-query
 * atomicity, replay protection, the change log and its pruning, and the
 * group-commit writer thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <sqlite3.h>

#include "engine.h"
#include "store.h"

#define BASE	"rsync://rpki.example.net/repo/"

struct fixture {
	char		 dir[64];
	char		 path[128];
	struct store	*st;
	time_t		 stime;		/* next signing-time */
	int		 serial;	/* makes digests unique */
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	uint8_t		 ta[4] = { 1, 2, 3, 4 };

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_engine.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/store.sqlite", f->dir);
	assert_non_null(f->st = store_open(f->path));
	assert_int_equal(store_publisher_add(f->st, "alice", BASE "alice/",
	    ta, sizeof(ta), 1000, 0), 0);
	assert_int_equal(store_publisher_add(f->st, "bob", BASE "bob/",
	    ta, sizeof(ta), 1000, 0), 0);
	f->stime = 1700000000;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[256];

	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct rfc8181_pdu
pdu_publish(const char *uri, const char *content, const uint8_t *replace)
{
	struct rfc8181_pdu	p;

	memset(&p, 0, sizeof(p));
	p.type = PDU_PUBLISH;
	p.uri = (char *)uri;
	p.der = (uint8_t *)content;
	p.der_len = strlen(content);
	if (replace != NULL) {
		p.has_hash = 1;
		memcpy(p.hash, replace, 32);
	}
	return p;
}

static struct rfc8181_pdu
pdu_withdraw(const char *uri, const uint8_t *hash)
{
	struct rfc8181_pdu	p;

	memset(&p, 0, sizeof(p));
	p.type = PDU_WITHDRAW;
	p.uri = (char *)uri;
	p.has_hash = 1;
	memcpy(p.hash, hash, 32);
	return p;
}

static const uint8_t *
sha(const char *s)
{
	static uint8_t	h[8][32];
	static int	i;

	i = (i + 1) % 8;
	SHA256((const uint8_t *)s, strlen(s), h[i]);
	return h[i];
}

static int64_t
publisher_id(struct fixture *f, const char *handle)
{
	struct store_publisher	*p;
	int64_t			 id;

	assert_int_equal(store_publisher_get(f->st, handle, &p), 1);
	id = p->id;
	store_publisher_free(p);
	return id;
}

/* The query comes from handle's registration as it is now. */
static void
bind_publisher(struct fixture *f, struct engine_query *q, const char *handle)
{
	struct store_publisher	*p;

	assert_int_equal(store_publisher_get(f->st, handle, &p), 1);
	engine_query_publisher(q, p);
	q->handle = handle;	/* p goes; the handle must stay */
	store_publisher_free(p);
}

/* A query of handle's at signing-time t whose replay key is d repeated. */
static void
query_setup(struct fixture *f, struct engine_query *q, const char *handle,
    const struct rfc8181_msg *msg, time_t t, int d)
{
	engine_query_init(q);
	bind_publisher(f, q, handle);
	q->msg = msg;
	q->signing_time = t;
	memset(q->digest, d, sizeof(q->digest));
}

/* Apply q in a transaction of its own, as a batch of one; its result. */
static enum rfc8181_error
apply_one(struct fixture *f, struct engine_query *q, time_t now)
{
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(engine_apply(f->st, q, now), 0);
	assert_int_equal(store_commit(f->st), 0);
	return q->result;
}

/* Run one query as the writer thread would, in its own transaction. */
static enum rfc8181_error
run(struct fixture *f, const char *handle, struct rfc8181_pdu *pdus,
    size_t n, struct buf *reply)
{
	struct rfc8181_msg	msg = { RFC8181_QUERY, pdus, n };
	struct engine_query	q;
	enum rfc8181_error	r;

	query_setup(f, &q, handle, &msg, f->stime++, 0);
	memcpy(q.digest, &f->serial, sizeof(f->serial));
	f->serial++;
	r = apply_one(f, &q, 2000);
	if (reply != NULL) {
		buf_free(reply);
		buf_add(reply, q.reply.data, q.reply.len);
		buf_str(reply);
	}
	engine_query_free(&q);
	return r;
}

static int
obj_hash(struct fixture *f, const char *uri, uint8_t hash[32])
{
	int64_t	owner;

	return store_object_get(f->st, uri, &owner, hash);
}

static int64_t
count(struct fixture *f, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	int64_t		 n;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static void
test_publish_replace_withdraw(void **state)
{
	struct fixture		*f = *state;
	struct rfc8181_pdu	 p[1];
	uint8_t			 h[32];

	p[0] = pdu_publish(BASE "alice/a.roa", "one", NULL);
	assert_int_equal(run(f, "alice", p, 1, NULL), ERR_NONE);
	assert_int_equal(obj_hash(f, BASE "alice/a.roa", h), 1);
	assert_memory_equal(h, sha("one"), 32);

	p[0] = pdu_publish(BASE "alice/a.roa", "two", sha("one"));
	assert_int_equal(run(f, "alice", p, 1, NULL), ERR_NONE);
	assert_int_equal(obj_hash(f, BASE "alice/a.roa", h), 1);
	assert_memory_equal(h, sha("two"), 32);

	p[0] = pdu_withdraw(BASE "alice/a.roa", sha("two"));
	assert_int_equal(run(f, "alice", p, 1, NULL), ERR_NONE);
	assert_int_equal(obj_hash(f, BASE "alice/a.roa", h), 0);

	/* Three changes, one item each; old/new hashes recorded. */
	assert_int_equal(count(f, "SELECT count(*) FROM changes"), 3);
	assert_int_equal(count(f, "SELECT count(*) FROM change_items "
	    "WHERE old_hash IS NULL AND new_hash IS NOT NULL"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM change_items "
	    "WHERE old_hash IS NOT NULL AND new_hash IS NOT NULL"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM change_items "
	    "WHERE old_hash IS NOT NULL AND new_hash IS NULL"), 1);
}

static void
test_errors(void **state)
{
	struct fixture		*f = *state;
	struct rfc8181_pdu	 p[1];
	struct buf		 reply;

	buf_init(&reply);
	p[0] = pdu_publish(BASE "alice/a.roa", "one", NULL);
	assert_int_equal(run(f, "alice", p, 1, NULL), ERR_NONE);

	p[0] = pdu_publish(BASE "alice/a.roa", "again", NULL);
	assert_int_equal(run(f, "alice", p, 1, &reply), ERR_ALREADY_PRESENT);
	assert_non_null(strstr((char *)reply.data,
	    "error_code=\"object_already_present\""));
	assert_non_null(strstr((char *)reply.data, "<failed_pdu>"));

	p[0] = pdu_publish(BASE "alice/a.roa", "x", sha("wrong"));
	assert_int_equal(run(f, "alice", p, 1, NULL), ERR_NO_MATCHING_HASH);
	p[0] = pdu_publish(BASE "alice/none.roa", "x", sha("one"));
	assert_int_equal(run(f, "alice", p, 1, NULL), ERR_NO_OBJECT);
	p[0] = pdu_withdraw(BASE "alice/none.roa", sha("one"));
	assert_int_equal(run(f, "alice", p, 1, NULL), ERR_NO_OBJECT);
	p[0] = pdu_withdraw(BASE "alice/a.roa", sha("wrong"));
	assert_int_equal(run(f, "alice", p, 1, NULL), ERR_NO_MATCHING_HASH);

	/* The jail: another publisher's space, traversal, other scheme. */
	p[0] = pdu_publish(BASE "bob/x.roa", "x", NULL);
	assert_int_equal(run(f, "alice", p, 1, &reply), ERR_PERMISSION);
	assert_non_null(strstr((char *)reply.data,
	    "error_code=\"permission_failure\""));
	p[0] = pdu_publish(BASE "alice/../bob/x.roa", "x", NULL);
	assert_int_equal(run(f, "alice", p, 1, NULL), ERR_PERMISSION);
	p[0] = pdu_publish(BASE "alice/a%2fb.roa", "x", NULL);
	assert_int_equal(run(f, "alice", p, 1, NULL), ERR_PERMISSION);
	p[0] = pdu_publish("https://rpki.example.net/repo/alice/x", "x", NULL);
	assert_int_equal(run(f, "alice", p, 1, NULL), ERR_PERMISSION);
	assert_int_equal(count(f, "SELECT count(*) FROM objects"), 1);
	/* Only the first, successful query is in the change log. */
	assert_int_equal(count(f, "SELECT count(*) FROM changes"), 1);
	buf_free(&reply);
}

/* RFC 8181 section 2.4 and the BCP section 4.4: all PDUs or none. */
static void
test_atomic(void **state)
{
	struct fixture		*f = *state;
	struct rfc8181_pdu	 p[3];
	uint8_t			 h[32];

	p[0] = pdu_publish(BASE "alice/ca.mft", "mft1", NULL);
	p[1] = pdu_publish(BASE "alice/ca.crl", "crl1", NULL);
	assert_int_equal(run(f, "alice", p, 2, NULL), ERR_NONE);

	p[0] = pdu_publish(BASE "alice/ca.mft", "mft2", sha("mft1"));
	p[1] = pdu_publish(BASE "alice/new.roa", "roa", NULL);
	p[2] = pdu_withdraw(BASE "alice/ca.crl", sha("not-the-crl"));
	assert_int_equal(run(f, "alice", p, 3, NULL), ERR_NO_MATCHING_HASH);

	assert_int_equal(obj_hash(f, BASE "alice/ca.mft", h), 1);
	assert_memory_equal(h, sha("mft1"), 32);
	assert_int_equal(obj_hash(f, BASE "alice/new.roa", h), 0);
	assert_int_equal(obj_hash(f, BASE "alice/ca.crl", h), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM changes"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM change_items"), 2);

	/* Within one query PDUs apply in order: publish then replace. */
	p[0] = pdu_publish(BASE "alice/b.roa", "b1", NULL);
	p[1] = pdu_publish(BASE "alice/b.roa", "b2", sha("b1"));
	assert_int_equal(run(f, "alice", p, 2, NULL), ERR_NONE);
	assert_int_equal(obj_hash(f, BASE "alice/b.roa", h), 1);
	assert_memory_equal(h, sha("b2"), 32);
}

static void
test_list(void **state)
{
	struct fixture		*f = *state;
	struct rfc8181_pdu	 p[2];
	struct buf		 reply;

	buf_init(&reply);
	p[0] = pdu_publish(BASE "alice/a.roa", "a", NULL);
	p[1] = pdu_publish(BASE "alice/b.roa", "b", NULL);
	assert_int_equal(run(f, "alice", p, 2, NULL), ERR_NONE);
	p[0] = pdu_publish(BASE "bob/c.roa", "c", NULL);
	assert_int_equal(run(f, "bob", p, 1, NULL), ERR_NONE);

	memset(&p[0], 0, sizeof(p[0]));
	p[0].type = PDU_LIST;
	assert_int_equal(run(f, "alice", p, 1, &reply), ERR_NONE);
	assert_int_equal(engine_list_reply(f->st, publisher_id(f, "alice"),
	    &reply), 0);
	buf_str(&reply);
	assert_non_null(strstr((char *)reply.data, BASE "alice/a.roa"));
	assert_non_null(strstr((char *)reply.data, BASE "alice/b.roa"));
	assert_null(strstr((char *)reply.data, BASE "bob/c.roa"));
	buf_free(&reply);
}

static enum rfc8181_error
run_at(struct fixture *f, time_t t, int digest)
{
	struct rfc8181_pdu	p = { .type = PDU_LIST };
	struct rfc8181_msg	msg = { RFC8181_QUERY, &p, 1 };
	struct engine_query	q;
	enum rfc8181_error	r;

	query_setup(f, &q, "alice", &msg, t, digest);
	r = apply_one(f, &q, t);
	engine_query_free(&q);
	return r;
}

/* Replay protection relative to the last accepted message. */
static void
test_replay(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(run_at(f, 5000, 1), ERR_NONE);
	assert_int_equal(run_at(f, 5000, 1), ERR_BAD_CMS);   /* same CMS */
	assert_int_equal(run_at(f, 5000, 2), ERR_NONE);      /* same second */
	assert_int_equal(run_at(f, 5000, 2), ERR_BAD_CMS);
	assert_int_equal(run_at(f, 4999, 3), ERR_BAD_CMS);   /* older */
	assert_int_equal(run_at(f, 5001, 4), ERR_NONE);
	assert_int_equal(run_at(f, 5000, 5), ERR_BAD_CMS);
}

/* A failed query is still remembered: replaying it later is refused. */
static void
test_replay_of_failed(void **state)
{
	struct fixture		*f = *state;
	struct rfc8181_pdu	 p = pdu_withdraw(BASE "alice/x.roa",
				    sha("x"));
	struct rfc8181_msg	 msg = { RFC8181_QUERY, &p, 1 };
	struct engine_query	 q;

	query_setup(f, &q, "alice", &msg, 7000, 9);
	assert_int_equal(apply_one(f, &q, 7000), ERR_NO_OBJECT);
	assert_int_equal(apply_one(f, &q, 7000), ERR_BAD_CMS);
	engine_query_free(&q);
}

struct worker {
	struct engine		*e;
	struct engine_query	 who;	/* the registration, as verified */
	int			 id;
	int			 ok;
};

static void *
worker_main(void *arg)
{
	struct worker		*w = arg;
	struct rfc8181_pdu	 p;
	struct rfc8181_msg	 msg = { RFC8181_QUERY, &p, 1 };
	struct engine_query	 q;
	char			 uri[128], content[32];
	int			 i;

	for (i = 0; i < 50; i++) {
		snprintf(uri, sizeof(uri), BASE "alice/w%d-%d.roa", w->id, i);
		snprintf(content, sizeof(content), "%d-%d", w->id, i);
		p = pdu_publish(uri, content, NULL);
		engine_query_init(&q);
		q.handle = "alice";
		q.publisher_id = w->who.publisher_id;
		memcpy(q.ta_hash, w->who.ta_hash, sizeof(q.ta_hash));
		q.msg = &msg;
		q.signing_time = 9000;
		memset(q.digest, 0, 32);
		q.digest[0] = (uint8_t)w->id;
		q.digest[1] = (uint8_t)i;
		engine_submit(w->e, &q);
		if (q.result == ERR_NONE)
			w->ok++;
		engine_query_free(&q);
	}
	return NULL;
}

/* Many threads through the group-commit writer: every query lands. */
static void
test_group_commit(void **state)
{
	struct fixture	*f = *state;
	struct engine	*e;
	struct worker	 w[4];
	pthread_t	 t[4];
	int		 i;

	assert_non_null(e = engine_start(f->path));
	for (i = 0; i < 4; i++) {
		w[i].e = e;
		engine_query_init(&w[i].who);
		bind_publisher(f, &w[i].who, "alice");
		w[i].id = i;
		w[i].ok = 0;
		assert_int_equal(pthread_create(&t[i], NULL, worker_main,
		    &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].ok, 50);
		engine_query_free(&w[i].who);
	}
	engine_stop(e);
	assert_int_equal(count(f, "SELECT count(*) FROM objects"), 200);
	assert_int_equal(count(f, "SELECT count(*) FROM changes"), 200);
}

/* A registration that changed after verification is refused. */
static void
test_reregistered(void **state)
{
	struct fixture		*f = *state;
	struct rfc8181_pdu	 p = pdu_publish(BASE "alice/a.roa", "a",
				    NULL);
	struct rfc8181_msg	 msg = { RFC8181_QUERY, &p, 1 };
	struct engine_query	 q;

	query_setup(f, &q, "alice", &msg, 100, 0);
	q.publisher_id += 1000;
	assert_int_equal(apply_one(f, &q, 100), ERR_PERMISSION);
	assert_int_equal(count(f, "SELECT count(*) FROM objects"), 0);
	engine_query_free(&q);
}

/*
 * Verified, then the publisher removed and registered again with another
 * TA before the commit: SQLite hands the new row the old id (it was the
 * last), so only the TA tells the registrations apart.
 */
static void
test_reregistered_same_id(void **state)
{
	struct fixture		*f = *state;
	struct rfc8181_pdu	 p = pdu_publish(BASE "bob/a.roa", "a", NULL);
	struct rfc8181_msg	 msg = { RFC8181_QUERY, &p, 1 };
	struct engine_query	 q;
	uint8_t			 other[4] = { 9, 9, 9, 9 };
	int64_t			 id;

	query_setup(f, &q, "bob", &msg, 100, 0);
	id = publisher_id(f, "bob");
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_publisher_delete(f->st, id), 0);
	assert_int_equal(store_publisher_add(f->st, "bob", BASE "bob/", other,
	    sizeof(other), 2000, 0), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(publisher_id(f, "bob"), id);
	assert_int_equal(apply_one(f, &q, 100), ERR_PERMISSION);
	assert_int_equal(count(f, "SELECT count(*) FROM objects"), 0);
	engine_query_free(&q);
}

/* Make the store fail on objects whose URI contains "boom". */
static void
inject_failure(struct fixture *f)
{
	sqlite3	*db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER boom BEFORE INSERT "
	    "ON objects WHEN NEW.uri LIKE '%boom%' BEGIN "
	    "SELECT RAISE(ABORT, 'injected failure'); END;", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
}

/*
 * A store failure inside a transaction fails it whole: a query applied
 * before it in the same group commit is rolled back with it.
 */
static void
test_store_failure_rolls_back(void **state)
{
	struct fixture		*f = *state;
	struct rfc8181_pdu	 p1 = pdu_publish(BASE "alice/ok.roa", "ok",
				    NULL);
	struct rfc8181_pdu	 p2 = pdu_publish(BASE "alice/boom.roa", "b",
				    NULL);
	struct rfc8181_msg	 m1 = { RFC8181_QUERY, &p1, 1 };
	struct rfc8181_msg	 m2 = { RFC8181_QUERY, &p2, 1 };
	struct engine_query	 q1, q2;

	inject_failure(f);
	query_setup(f, &q1, "alice", &m1, 100, 0);
	query_setup(f, &q2, "alice", &m2, 100, 1);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(engine_apply(f->st, &q1, 100), 0);
	assert_int_equal(q1.result, ERR_NONE);
	assert_int_equal(engine_apply(f->st, &q2, 100), -1);
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM objects"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM changes"), 0);
	engine_query_free(&q1);
	engine_query_free(&q2);
}

/* Through the writer thread: the submitter gets other_error. */
static void
test_writer_failure_reply(void **state)
{
	struct fixture		*f = *state;
	struct rfc8181_pdu	 p = pdu_publish(BASE "alice/boom.roa", "b",
				    NULL);
	struct rfc8181_msg	 msg = { RFC8181_QUERY, &p, 1 };
	struct engine_query	 q;
	struct engine		*e;

	inject_failure(f);
	assert_non_null(e = engine_start(f->path));
	query_setup(f, &q, "alice", &msg, 100, 0);
	engine_submit(e, &q);
	assert_int_equal(q.result, ERR_OTHER);
	assert_non_null(strstr(buf_str(&q.reply),
	    "error_code=\"other_error\""));
	engine_query_free(&q);
	engine_stop(e);
	assert_int_equal(count(f, "SELECT count(*) FROM objects"), 0);
	/* The replay state of the failed batch was rolled back too. */
	assert_int_equal(count(f, "SELECT last_signing_time FROM publishers "
	    "WHERE handle = 'alice'"), 0);
}

static int
count_item(const char *uri, const uint8_t *old_hash, const uint8_t *new_hash,
    void *arg)
{
	(void)uri;
	(void)old_hash;
	(void)new_hash;
	(*(int *)arg)++;
	return 0;
}

/*
 * Pruning takes only announced changes older than the cut, oldest first,
 * at most the limit, with their items, and never the last change (the
 * writer tells a store that went back by its id).
 */
static void
test_change_prune(void **state)
{
	struct fixture	*f = *state;
	char		 uri[64];
	int64_t		 id, n, last;
	int		 i, items;

	assert_int_equal(store_begin(f->st), 0);
	for (i = 0; i < 6; i++) {
		assert_int_equal(store_change_add(f->st, "alice", 100 + i,
		    &id), 0);
		assert_int_equal(id, i + 1);
		snprintf(uri, sizeof(uri), BASE "alice/%d.roa", i);
		assert_int_equal(store_change_item(f->st, id, uri, NULL,
		    sha(uri)), 0);
		assert_int_equal(store_change_item(f->st, id, uri, sha(uri),
		    NULL), 0);
	}
	assert_int_equal(store_commit(f->st), 0);

	/* Announced up to 4; the cut at time 102 leaves ids 1 and 2. */
	assert_int_equal(store_change_prune(f->st, 4, 102, 100, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(count(f, "SELECT min(id) FROM changes"), 3);
	assert_int_equal(count(f, "SELECT count(*) FROM change_items"), 8);
	assert_int_equal(count(f, "SELECT count(*) FROM change_items WHERE "
	    "change_id < 3"), 0);
	/* The limit: one, the oldest. */
	assert_int_equal(store_change_prune(f->st, 6, 1000, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count(f, "SELECT min(id) FROM changes"), 4);
	/* Unannounced changes stay (5 and 6 are above 5). */
	assert_int_equal(store_change_prune(f->st, 5, 1000, 100, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count(f, "SELECT min(id) FROM changes"), 5);
	/* All announced and old: the last change stays, and its items. */
	assert_int_equal(store_change_prune(f->st, 1000, 1000, 100, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_change_prune(f->st, 1000, 1000, 100, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_last_change(f->st, &last), 0);
	assert_int_equal(last, 6);
	items = 0;
	assert_int_equal(store_changes_since(f->st, 0, last, count_item,
	    &items), 0);
	assert_int_equal(items, 2);
	/* New changes go on from the last id. */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_change_add(f->st, "bob", 200, &id), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(id, 7);
}

/* The writer's connection commits durably (WAL, synchronous=FULL). */
static void
test_durable_pragmas(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(store_tune_writer(f->st), 0);
	assert_int_equal(store_check_durable(f->st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_publish_replace_withdraw,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_of_failed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_commit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reregistered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reregistered_same_id,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_failure_rolls_back,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_failure_reply,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_durable_pragmas, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_change_prune, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
