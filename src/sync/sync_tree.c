/*
 * The rsync tree thread (see sync_tree.h).  The producer gathers
 * elements in a local batch and hands the batch over under the lock, so
 * a snapshot of a million objects costs thousands of lock round trips,
 * not millions; each side sleeps only when the queue is empty (the
 * thread) or full (the producer).
 */
#define _GNU_SOURCE	/* RUSAGE_THREAD */
#include <sys/resource.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"
#include "encoding.h"
#include "log.h"
#include "rrdp_notification.h"
#include "sync_tree.h"

/* Elements or bytes gathered before a batch is handed over. */
#define BATCH_ITEMS	256
#define BATCH_BYTES	(256u * 1024)
/* Warnings about left-out objects logged per tree (then a count). */
#define MAX_SKIP_WARNINGS	10
#define ERR_LEN		1024

enum item_kind {
	ITEM_PUBLISH,
	ITEM_WITHDRAW,
	ITEM_LABEL		/* data: the name of the file that follows */
};

struct item {
	struct item	*next;
	enum item_kind	 kind;
	int		 has_hash;
	uint8_t		 hash[RRDP_HASH_LEN];
	size_t		 urilen;	/* data: uri, NUL, der */
	size_t		 len;
	uint8_t		 data[];
};

struct batch {
	struct item	*head, *tail;
	size_t		 items;
	size_t		 bytes;
};

struct sync_tree {
	struct rsync_tree	*tree;
	int			 check;
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cv;
	struct batch		 queue;		/* handed over */
	struct batch		 local;		/* the producer's */
	size_t			 queued_bytes;	/* queue + being applied */
	int			 busy;		/* the thread holds a batch */
	int			 closing;
	/* the thread's, read after wait/stop */
	int			 failed;
	int			 violated;
	char			 err[ERR_LEN];
	char			 label[128];
	uint64_t		 put, withdrawn, skipped;
	double			 cpu;		/* the thread's, seconds */
};

double
sync_thread_cpu(void)
{
	struct rusage	ru;

	if (getrusage(RUSAGE_THREAD, &ru) == -1)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static void
batch_add(struct batch *b, struct item *it)
{
	it->next = NULL;
	if (b->tail != NULL)
		b->tail->next = it;
	else
		b->head = it;
	b->tail = it;
	b->items++;
	b->bytes += sizeof(*it) + it->urilen + 1 + it->len;
}

static void
batch_free(struct batch *b)
{
	struct item	*it, *next;

	for (it = b->head; it != NULL; it = next) {
		next = it->next;
		free(it);
	}
	memset(b, 0, sizeof(*b));
}

static void
tree_fail(struct sync_tree *s, int violation, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tree_fail(struct sync_tree *s, int violation, const char *fmt, ...)
{
	va_list	ap;

	if (s->failed)
		return;
	s->failed = 1;
	s->violated = violation;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

/* One element, on the thread. */
static void
apply(struct sync_tree *s, const struct item *it)
{
	const char	*uri = (const char *)it->data;
	const uint8_t	*der = it->data + it->urilen + 1;
	uint8_t		 have[RRDP_HASH_LEN];
	char		 h1[65], h2[65];
	int		 r;

	if (it->kind == ITEM_LABEL) {
		snprintf(s->label, sizeof(s->label), "%s", uri);
		return;
	}
	if (s->failed)
		return;
	if (rsync_tree_relpath(uri) == NULL) {
		if (s->skipped++ < MAX_SKIP_WARNINGS)
			log_warn("%s: %s is not an rsync URI with a plain path: "
			    "left out of the rsync tree", s->label, uri);
		return;
	}
	if (s->check) {
		/* RFC 8182 section 3.4.2: each element must fit the tree. */
		if ((r = rsync_tree_hash(s->tree, uri, have)) == -1) {
			tree_fail(s, 0, "%s: reading %s in the rsync tree failed",
			    s->label, uri);
			return;
		}
		if (it->kind == ITEM_PUBLISH && !it->has_hash && r == 1) {
			tree_fail(s, 1, "RFC 8182 section 3.4.2: %s publishes %s "
			    "without hash, but an object is there", s->label,
			    uri);
			return;
		}
		if ((it->kind == ITEM_WITHDRAW || it->has_hash) && r == 0) {
			tree_fail(s, 1, "RFC 8182 section 3.4.2: %s %s %s, which "
			    "does not exist", s->label, it->kind ==
			    ITEM_WITHDRAW ? "withdraws" : "replaces", uri);
			return;
		}
		if ((it->kind == ITEM_WITHDRAW || it->has_hash) &&
		    memcmp(have, it->hash, RRDP_HASH_LEN) != 0) {
			hex_encode(h1, it->hash, RRDP_HASH_LEN);
			hex_encode(h2, have, RRDP_HASH_LEN);
			tree_fail(s, 1, "RFC 8182 section 3.4.2: %s %s %s with "
			    "hash %s, but the object there has %s", s->label,
			    it->kind == ITEM_WITHDRAW ? "withdraws" :
			    "replaces", uri, h1, h2);
			return;
		}
	}
	if (it->kind == ITEM_WITHDRAW) {
		if (rsync_tree_withdraw(s->tree, uri) == -1)
			tree_fail(s, 0, "%s: withdrawing %s from the rsync tree "
			    "failed", s->label, uri);
		else
			s->withdrawn++;
		return;
	}
	if (rsync_tree_put(s->tree, uri, der, it->len,
	    SYNC_OBJTIME_FALLBACK) == -1)
		tree_fail(s, 0, "%s: writing %s to the rsync tree failed",
		    s->label, uri);
	else
		s->put++;
}

static void *
tree_thread(void *arg)
{
	struct sync_tree	*s = arg;
	struct batch		 b;
	struct item		*it;
	size_t			 bytes;

	pthread_mutex_lock(&s->mtx);
	for (;;) {
		while (s->queue.head == NULL && !s->closing)
			pthread_cond_wait(&s->cv, &s->mtx);
		if (s->queue.head == NULL)
			break;
		b = s->queue;
		memset(&s->queue, 0, sizeof(s->queue));
		s->busy = 1;
		pthread_mutex_unlock(&s->mtx);
		for (it = b.head; it != NULL; it = it->next)
			apply(s, it);
		bytes = b.bytes;
		batch_free(&b);
		pthread_mutex_lock(&s->mtx);
		s->busy = 0;
		s->queued_bytes -= bytes;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mtx);
	s->cpu = sync_thread_cpu();
	return NULL;
}

struct sync_tree *
sync_tree_start(struct rsync_tree *t, int check)
{
	struct sync_tree	*s = xcalloc(1, sizeof(*s));

	s->tree = t;
	s->check = check;
	snprintf(s->label, sizeof(s->label), "rsync tree");
	pthread_mutex_init(&s->mtx, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->thread, NULL, tree_thread, s) != 0)
		fatalx("cannot start the rsync tree thread");
	return s;
}

/* Hand the local batch to the thread, waiting while the queue is full. */
static void
hand_over(struct sync_tree *s)
{
	struct batch	*l = &s->local;

	if (l->head == NULL)
		return;
	pthread_mutex_lock(&s->mtx);
	while (s->queued_bytes > 0 &&
	    s->queued_bytes + l->bytes > SYNC_TREE_QUEUE_BYTES)
		pthread_cond_wait(&s->cv, &s->mtx);
	if (s->queue.tail != NULL) {
		s->queue.tail->next = l->head;
		s->queue.tail = l->tail;
		s->queue.items += l->items;
		s->queue.bytes += l->bytes;
	} else
		s->queue = *l;
	s->queued_bytes += l->bytes;
	memset(l, 0, sizeof(*l));
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mtx);
}

static void
queue_item(struct sync_tree *s, struct item *it)
{
	batch_add(&s->local, it);
	if (s->local.items >= BATCH_ITEMS || s->local.bytes >= BATCH_BYTES)
		hand_over(s);
}

void
sync_tree_file(struct sync_tree *s, const char *what)
{
	size_t		 n = strlen(what);
	struct item	*it = xmalloc(sizeof(*it) + n + 1);

	memset(it, 0, sizeof(*it));
	it->kind = ITEM_LABEL;
	it->urilen = n;
	memcpy(it->data, what, n + 1);
	queue_item(s, it);
}

int
sync_tree_elem(void *arg, enum rrdp_elem e, const char *uri,
    const uint8_t *hash, const uint8_t *der, size_t len)
{
	struct sync_tree	*s = arg;
	size_t			 n = strlen(uri);
	struct item		*it;

	it = xmalloc(sizeof(*it) + n + 1 + len);
	it->kind = e == RRDP_PUBLISH ? ITEM_PUBLISH : ITEM_WITHDRAW;
	it->has_hash = hash != NULL;
	if (hash != NULL)
		memcpy(it->hash, hash, RRDP_HASH_LEN);
	it->urilen = n;
	it->len = len;
	memcpy(it->data, uri, n + 1);
	if (len > 0)
		memcpy(it->data + n + 1, der, len);
	queue_item(s, it);
	return 0;
}

int
sync_tree_wait(struct sync_tree *s, char *err, size_t errlen)
{
	int	failed;

	hand_over(s);
	pthread_mutex_lock(&s->mtx);
	while (s->queue.head != NULL || s->busy)
		pthread_cond_wait(&s->cv, &s->mtx);
	failed = s->failed;
	if (failed)
		snprintf(err, errlen, "%s", s->err);
	pthread_mutex_unlock(&s->mtx);
	return failed ? -1 : 0;
}

int
sync_tree_violated(const struct sync_tree *s)
{
	return s->violated;
}

void
sync_tree_counts(const struct sync_tree *s, uint64_t *put,
    uint64_t *withdrawn, uint64_t *skipped)
{
	*put = s->put;
	*withdrawn = s->withdrawn;
	*skipped = s->skipped;
}

struct rsync_tree *
sync_tree_stop(struct sync_tree *s, double *cpu)
{
	struct rsync_tree	*t;

	if (s == NULL)
		return NULL;
	hand_over(s);
	pthread_mutex_lock(&s->mtx);
	s->closing = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mtx);
	pthread_join(s->thread, NULL);
	if (cpu != NULL)
		*cpu += s->cpu;
	batch_free(&s->queue);
	batch_free(&s->local);
	pthread_mutex_destroy(&s->mtx);
	pthread_cond_destroy(&s->cv);
	if (s->skipped > MAX_SKIP_WARNINGS)
		log_warn("rsync tree: %llu objects left out in all (URIs that "
		    "cannot be files)", (unsigned long long)s->skipped);
	t = s->tree;
	if (s->failed) {
		rsync_tree_free(t);
		t = NULL;
	}
	free(s);
	return t;
}
