/*
 * RFC 8181 query semantics and the group-commit writer thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "encoding.h"
#include "engine.h"
#include "bounds.h"
#include "log.h"
#include "uri.h"

#define ENGINE_MAINTAIN_SECS	1	/* WAL checkpoint interval */

struct engine {
	struct store		*st;
	struct store		*maint_st;	/* the maintenance thread's */
	pthread_t		 thread;
	pthread_t		 maint_thread;
	pthread_cond_t		 maint_wake;
	uint64_t		 commits;	/* since start */
	pthread_mutex_t		 mtx;
	pthread_cond_t		 wake;		/* writer: work or stop */
	pthread_cond_t		 done;		/* submitters: a batch ended */
	struct engine_query	*head, *tail;
	size_t			 queued, inflight;
	int			 stop;
};

void
engine_query_init(struct engine_query *q)
{
	memset(q, 0, sizeof(*q));
	buf_init(&q->reply);
}

void
engine_query_publisher(struct engine_query *q, const struct store_publisher *p)
{
	q->handle = p->handle;
	q->publisher_id = p->id;
	SHA256(p->bpki_ta, p->bpki_ta_len, q->ta_hash);
}

void
engine_query_free(struct engine_query *q)
{
	size_t	i;

	buf_free(&q->reply);
	/* Not through q->msg: the caller may have freed it already. */
	for (i = 0; i < q->nobjs; i++)
		rrdp_obj_free(&q->objs[i]);
	free(q->objs);
	q->objs = NULL;
	q->nobjs = 0;
}

int
engine_query_prepare(struct engine_query *q)
{
	const struct rfc8181_pdu	*pdu;
	size_t				 i;

	if (q->objs != NULL || q->msg->npdus == 0)
		return 0;
	q->objs = xcalloc(q->msg->npdus, sizeof(*q->objs));
	q->nobjs = q->msg->npdus;
	for (i = 0; i < q->msg->npdus; i++) {
		pdu = &q->msg->pdus[i];
		if (pdu->type == PDU_PUBLISH &&
		    rrdp_obj_make(&q->objs[i], pdu->uri, pdu->der,
		    pdu->der_len) == -1)
			return -1;
	}
	return 0;
}

static void
engine_reply_error(struct engine_query *q, enum rfc8181_error code,
    const struct rfc8181_pdu *pdu, const char *text)
{
	buf_free(&q->reply);
	rfc8181_write_begin(&q->reply, RFC8181_REPLY);
	rfc8181_write_error(&q->reply, code, pdu != NULL ? pdu->tag : NULL,
	    text, pdu);
	rfc8181_write_end(&q->reply);
	q->result = code;
	snprintf(q->error_text, sizeof(q->error_text), "%s", text);
}

/*
 * Replay protection (RFC 6492 section 3.1.2 via RFC 8181 section 2):
 * refuse a signing-time older than the last accepted one, and a message
 * whose digest was already accepted at the same signing-time (one-second
 * resolution: honest messages may share a second).  A message older than
 * "now" by minutes is fine: CAs queue and retry.  The state is updated
 * for every authenticated message, whatever its PDUs do, so a captured
 * message that failed once cannot be replayed after the store changed.
 * Returns 0 (accepted), 1 (refused, reply set) or -1 (store error).
 */
static int
engine_replay_check(struct store *st, const struct store_publisher *p,
    struct engine_query *q)
{
	uint8_t	*digests = NULL;
	size_t	 n = 0, i;
	char	 text[256];
	int	 rc = -1;

	if (q->signing_time < p->last_signing_time) {
		snprintf(text, sizeof(text), "replayed or out-of-order "
		    "message: signing-time %lld is older than the last "
		    "accepted message's or the registration's, %lld (RFC "
		    "6492 section 3.1.2)",
		    (long long)q->signing_time,
		    (long long)p->last_signing_time);
		engine_reply_error(q, ERR_BAD_CMS, NULL, text);
		return 1;
	}
	if (q->signing_time == p->last_signing_time) {
		for (i = 0; i < p->last_ndigests; i++) {
			if (memcmp(p->last_digests + 32 * i, q->digest,
			    32) == 0) {
				engine_reply_error(q, ERR_BAD_CMS, NULL,
				    "replayed message: a message with this "
				    "signature was already accepted (RFC 6492 "
				    "section 3.1.2)");
				return 1;
			}
		}
		if (p->last_ndigests >= MAX_SAME_SECOND_MSGS) {
			engine_reply_error(q, ERR_OTHER, NULL, "too many "
			    "messages with the same signing-time; retry in a "
			    "second");
			return 1;
		}
		n = p->last_ndigests;
	}
	digests = xmalloc((n + 1) * 32);
	if (n > 0)
		memcpy(digests, p->last_digests, n * 32);
	memcpy(digests + n * 32, q->digest, 32);
	if (store_replay_set(st, p->id, q->signing_time, digests, n + 1) ==
	    -1)
		goto out;
	rc = 0;
 out:
	free(digests);
	return rc;
}

struct list_ctx {
	struct buf	*out;
};

static int
engine_list_cb(const char *uri, const uint8_t hash[32], void *arg)
{
	struct list_ctx	*ctx = arg;

	rfc8181_write_list_reply(ctx->out, uri, hash);
	return 0;
}

/*
 * RFC 8181 section 2.3: a list reply names every object of the
 * publisher.  Built on a read connection after the query's replay state
 * is committed, so listing a large publisher never holds up the writer.
 */
int
engine_list_reply(struct store *st, int64_t publisher, struct buf *reply)
{
	struct list_ctx	ctx = { reply };

	buf_free(reply);
	rfc8181_write_begin(reply, RFC8181_REPLY);
	if (store_object_foreach(st, publisher, engine_list_cb, &ctx) == -1)
		return -1;
	rfc8181_write_end(reply);
	return 0;
}

/*
 * Apply one publish or withdraw PDU (RFC 8181 section 2.2).  Returns
 * ERR_NONE, an RFC 8181 error with text set, or -1 for a store failure.
 */
static int
engine_pdu(struct store *st, const struct store_publisher *p,
    const struct rfc8181_pdu *pdu, const struct rrdp_obj *obj, int64_t change,
    time_t now, char *text, size_t textlen)
{
	uint8_t	 cur[32];
	char	 why[160];
	int64_t	 owner;
	int	 found;

	if (uri_in_jail(pdu->uri, p->sia_base, why, sizeof(why)) == -1) {
		snprintf(text, textlen, "%s: %s (RFC 8181 section 2.4)",
		    pdu->uri, why);
		return ERR_PERMISSION;
	}
	if ((found = store_object_get(st, pdu->uri, &owner, cur)) == -1)
		return -1;
	if (found && owner != p->id) {
		snprintf(text, textlen, "%s belongs to another publisher "
		    "(RFC 8181 section 2.4)",
		    pdu->uri);
		return ERR_PERMISSION;
	}
	if (pdu->type == PDU_PUBLISH && !pdu->has_hash && found) {
		snprintf(text, textlen, "%s is already published; a replace "
		    "must carry the hash of the current object (RFC 8181 "
		    "section 2.2)", pdu->uri);
		return ERR_ALREADY_PRESENT;
	}
	if ((pdu->type == PDU_WITHDRAW || pdu->has_hash) && !found) {
		snprintf(text, textlen, "%s: no object is published there "
		    "(RFC 8181 section 2.2)", pdu->uri);
		return ERR_NO_OBJECT;
	}
	if ((pdu->type == PDU_WITHDRAW || pdu->has_hash) &&
	    memcmp(cur, pdu->hash, 32) != 0) {
		char	have[65];

		hex_encode(have, cur, 32);
		snprintf(text, textlen, "%s: the published object has hash "
		    "%s, not the one given (RFC 8181 section 2.2)", pdu->uri,
		    have);
		return ERR_NO_MATCHING_HASH;
	}
	if (pdu->type == PDU_WITHDRAW) {
		if (store_object_delete(st, pdu->uri) == -1 ||
		    store_change_item(st, change, pdu->uri, cur, NULL) == -1)
			return -1;
		return ERR_NONE;
	}
	if (store_object_put(st, p->id, pdu->uri, obj, now) == -1 ||
	    store_change_item(st, change, pdu->uri, found ? cur : NULL,
	    obj->hash) == -1)
		return -1;
	return ERR_NONE;
}

int
engine_apply(struct store *st, struct engine_query *q, time_t now)
{
	struct store_publisher	*p = NULL;
	const struct rfc8181_msg *msg = q->msg;
	int64_t			 change = 0;
	size_t			 i;
	uint8_t			 ta_hash[32];
	char			 text[MAX_URI_LENGTH + 512];
	int			 found, r, rc = -1;

	q->changed = 0;
	if ((found = store_publisher_get(st, q->handle, &p)) == -1)
		goto out;
	if (found)
		SHA256(p->bpki_ta, p->bpki_ta_len, ta_hash);
	if (!found || p->id != q->publisher_id ||
	    memcmp(ta_hash, q->ta_hash, sizeof(ta_hash)) != 0) {
		/*
		 * Removed, or removed and registered again with another
		 * BPKI TA, between authentication and commit: the message
		 * was verified against a registration that is gone.  The id
		 * alone cannot tell (SQLite may give a new row the id of a
		 * removed one); the TA can.
		 */
		engine_reply_error(q, ERR_PERMISSION, NULL, "the publisher "
		    "was removed or registered again while this query was "
		    "processed (RFC 8183 registration changed); retry");
		rc = 0;
		goto out;
	}
	if ((r = engine_replay_check(st, p, q)) != 0) {
		rc = r == 1 ? 0 : -1;
		goto out;
	}
	if (msg->npdus == 1 && msg->pdus[0].type == PDU_LIST) {
		/* Only the replay state needs the writer; see below. */
		q->list = 1;
		q->result = ERR_NONE;
		rc = 0;
		goto out;
	}

	if (engine_query_prepare(q) == -1)
		goto out;
	if (store_savepoint(st) == -1)
		goto out;
	if (msg->npdus > 0 &&
	    store_change_add(st, p->handle, now, &change) == -1)
		goto rollback;
	for (i = 0; i < msg->npdus; i++) {
		const struct rfc8181_pdu *pdu = &msg->pdus[i];

		if (pdu->type != PDU_PUBLISH && pdu->type != PDU_WITHDRAW) {
			engine_reply_error(q, ERR_XML, pdu, "a query holds "
			    "either one list PDU or publish/withdraw PDUs "
			    "(RFC 8181 section 2.3)");
			goto refuse;
		}
		text[0] = '\0';
		r = engine_pdu(st, p, pdu, &q->objs[i], change, now, text,
		    sizeof(text));
		if (r == -1)
			goto rollback;
		if (r != ERR_NONE) {
			engine_reply_error(q, (enum rfc8181_error)r, pdu, text);
			goto refuse;
		}
	}
	if (store_release(st) == -1)
		goto rollback;
	q->changed = msg->npdus;
	buf_free(&q->reply);
	rfc8181_write_begin(&q->reply, RFC8181_REPLY);
	rfc8181_write_success(&q->reply);
	rfc8181_write_end(&q->reply);
	q->result = ERR_NONE;
	rc = 0;
	goto out;

 refuse:
	/* One PDU failed: none applies (RFC 8181 section 2.4). */
	if (store_rollback_savepoint(st) == -1)
		goto out;
	rc = 0;
	goto out;
 rollback:
	store_rollback_savepoint(st);
 out:
	store_publisher_free(p);
	return rc;
}

/*
 * The writer thread: take every waiting query, apply each in its own
 * savepoint, commit once, then wake the submitters.
 */
static void *
engine_writer(void *arg)
{
	struct engine		*e = arg;
	struct engine_query	*batch, *q;
	size_t			 n;
	time_t			 now;
	int			 failed;

	for (;;) {
		pthread_mutex_lock(&e->mtx);
		while (e->head == NULL && !e->stop)
			pthread_cond_wait(&e->wake, &e->mtx);
		if (e->head == NULL && e->stop) {
			pthread_mutex_unlock(&e->mtx);
			break;
		}
		batch = e->head;
		for (n = 1, q = batch; q->next != NULL &&
		    n < MAX_BATCH_QUERIES; q = q->next)
			n++;
		e->head = q->next;
		if (e->head == NULL)
			e->tail = NULL;
		q->next = NULL;
		e->queued -= n;
		e->inflight = n;
		pthread_mutex_unlock(&e->mtx);

		now = time(NULL);
		failed = store_begin(e->st) == -1;
		for (q = batch; q != NULL && !failed; q = q->next)
			failed = engine_apply(e->st, q, now) == -1;
		if (!failed)
			failed = store_commit(e->st) == -1;
		if (failed) {
			store_rollback(e->st);
			log_err("store transaction of %zu queries failed; "
			    "all get other_error", n);
			for (q = batch; q != NULL; q = q->next) {
				engine_reply_error(q, ERR_OTHER, NULL,
				    "the publication server could not commit "
				    "the change; it was most likely not "
				    "applied: send a list query to check, "
				    "then retry");
				q->changed = 0;
			}
		}

		pthread_mutex_lock(&e->mtx);
		for (q = batch; q != NULL; q = q->next)
			q->done = 1;
		e->inflight = 0;
		e->commits++;
		pthread_cond_broadcast(&e->done);
		pthread_mutex_unlock(&e->mtx);
	}
	return NULL;
}

/*
 * The maintenance thread: store upkeep (WAL checkpoints) once a second
 * after commits, on its own connection, so the writer never does it
 * while publishers wait.
 */
static void *
engine_maintainer(void *arg)
{
	struct engine	*e = arg;
	struct timespec	 ts;
	uint64_t	 seen = 0, now;

	pthread_mutex_lock(&e->mtx);
	while (!e->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += ENGINE_MAINTAIN_SECS;
		pthread_cond_timedwait(&e->maint_wake, &e->mtx, &ts);
		if ((now = e->commits) == seen)
			continue;
		seen = now;
		pthread_mutex_unlock(&e->mtx);
		store_maintain(e->maint_st);
		pthread_mutex_lock(&e->mtx);
	}
	pthread_mutex_unlock(&e->mtx);
	/* A last one, so a clean stop leaves a small WAL. */
	store_maintain(e->maint_st);
	return NULL;
}

struct engine *
engine_start(const char *store_path)
{
	struct engine	*e;

	e = xcalloc(1, sizeof(*e));
	if ((e->st = store_open(store_path)) == NULL ||
	    store_tune_writer(e->st) == -1 ||
	    store_check_durable(e->st) == -1 ||
	    (e->maint_st = store_open(store_path)) == NULL) {
		store_close(e->st);
		free(e);
		return NULL;
	}
	pthread_mutex_init(&e->mtx, NULL);
	pthread_cond_init(&e->wake, NULL);
	pthread_cond_init(&e->done, NULL);
	pthread_cond_init(&e->maint_wake, NULL);
	if (pthread_create(&e->thread, NULL, engine_writer, e) != 0 ||
	    pthread_create(&e->maint_thread, NULL, engine_maintainer, e) != 0)
		fatalx("engine: cannot start the writer threads");
	return e;
}

void
engine_stop(struct engine *e)
{
	if (e == NULL)
		return;
	pthread_mutex_lock(&e->mtx);
	e->stop = 1;
	pthread_cond_signal(&e->wake);
	pthread_cond_signal(&e->maint_wake);
	pthread_mutex_unlock(&e->mtx);
	pthread_join(e->thread, NULL);
	pthread_join(e->maint_thread, NULL);
	store_close(e->st);
	store_close(e->maint_st);
	pthread_cond_destroy(&e->maint_wake);
	pthread_mutex_destroy(&e->mtx);
	pthread_cond_destroy(&e->wake);
	pthread_cond_destroy(&e->done);
	free(e);
}

void
engine_submit(struct engine *e, struct engine_query *q)
{
	q->next = NULL;
	q->done = 0;
	pthread_mutex_lock(&e->mtx);
	if (e->tail != NULL)
		e->tail->next = q;
	else
		e->head = q;
	e->tail = q;
	e->queued++;
	pthread_cond_signal(&e->wake);
	while (!q->done)
		pthread_cond_wait(&e->done, &e->mtx);
	pthread_mutex_unlock(&e->mtx);
}

size_t
engine_queue_length(struct engine *e)
{
	size_t	n;

	pthread_mutex_lock(&e->mtx);
	n = e->queued + e->inflight;
	pthread_mutex_unlock(&e->mtx);
	return n;
}
