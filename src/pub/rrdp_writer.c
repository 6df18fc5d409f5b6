/*
 * The repository writer: RRDP serials and rsync trees from the store's
 * change log.  See rrdp_writer.h for the order of the steps and why.
 */
/* syncfs(2) is Linux-specific. */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "bounds.h"
#include "buf.h"
#include "encoding.h"
#include "fileio.h"
#include "gzpiece.h"
#include "log.h"
#include "rrdp_elem.h"
#include "rrdp_notification.h"
#include "rrdp_writer.h"
#include "rsync_tree.h"
#include "store.h"

#define STATE_MAGIC		"rpkipub-rrdp-state 1"
/* Lines of the state file: deltas listed plus files awaiting removal. */
#define STATE_MAX_SIZE		(64u * 1024 * 1024)
/* Buffered output per file: large writes, few syscalls. */
#define OUT_BUFSIZE		(1024 * 1024)
#define RAND_HEX_BYTES		16	/* 128 random bits per serial dir */
/* Changes pruned from the store's change log per run, at most. */
#define RRDP_PRUNE_BATCH	10000
/* Delta objects kept in memory for the rsync tree thread. */
#define TREE_INLINE_MAX		(64u * 1024 * 1024)

struct delta_rec {
	int64_t	 serial;
	char	*rel;		/* path under the RRDP dir */
	uint8_t	 hash[32];
	int64_t	 size;
	time_t	 time;
};

struct gone_rec {
	char	*rel;
	time_t	 since;
};

/* What is announced; mirrors the state file. */
struct rrdp_state {
	char			 session[RRDP_SESSION_LEN + 1];
	int64_t			 serial;	/* 0: nothing announced yet */
	int64_t			 change;	/* last change id included */
	int64_t			 generation;
	char			*snapshot_rel;
	uint8_t			 snapshot_hash[32];
	int64_t			 snapshot_size;
	int64_t			 objects;	/* in the snapshot */
	int64_t			 object_bytes;	/* their DER */
	struct delta_rec	*deltas;	/* newest first */
	size_t			 ndeltas;
	char			*tree;		/* rsync tree of this serial */
	struct gone_rec		*gone;
	size_t			 ngone;
};

struct rrdp_writer {
	struct config		*cfg;		/* not owned */
	char			*rrdp_dir;
	char			*rsync_dir;
	struct store		*st;
	struct rrdp_state	 state;
	pthread_mutex_t		 status_lock;
	struct rrdp_status	 status;
};

/*
 * Direct I/O for the snapshot's two files.  Measured on the test machine
 * (bench/run-rrdpserial.sh): dd writing 4.7 GB through the page cache
 * took 8-11 s of mostly kernel copying when the other core was busy,
 * with O_DIRECT 3.5 s; the writer's copy into the page cache competed
 * with reading the store for the same two cores.  The snapshot is read
 * by nobody before the notification names it, so skipping the cache
 * costs nothing.  Buffers, offsets and lengths must be multiples of the
 * device's logical block size: OUT_ALIGN covers the disks we know; a
 * file system that refuses (EINVAL, e.g. tmpfs) gets buffered writes.
 */
#define OUT_DIRECT	0x1
#define OUT_HASHED	0x2
#define OUT_ALIGN	4096

/* A file being written: buffered, hashed, counted. */
struct out {
	int		 fd;
	char		*path;
	EVP_MD_CTX	*sha;		/* NULL: not hashed (the .gz files) */
	struct buf	 b;		/* being filled, OUT_BUFSIZE at most */
	int64_t		 size;
	int		 err;
	int		 direct;	/* fd is O_DIRECT */
	/*
	 * Asynchronous mode (the snapshot's two files): a thread of the
	 * file's own hashes and writes one buffer while the caller fills
	 * the other, so reading the store, hashing and the write(2)
	 * copies run side by side.
	 */
	int		 async;
	pthread_t	 thread;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	struct buf	 slot;		/* handed to the thread */
	int		 pending, closing;
};

/* ---- output files ---- */

/*
 * Output buffers are kept for the next serial instead of freed.  A fresh
 * page costs about 10 us on the test machine's VM at first touch
 * (measured: 10.7 us a page, 0.02 us once mapped), and a serial's six
 * 1 MB buffers came from mmap(2) anew each time: 15 ms of a 10,000-object
 * serial of 120 ms.  OUT_POOL_MAX buffers cover one serial's files.
 */
#define OUT_POOL_MAX	8

static pthread_mutex_t	 out_pool_mtx = PTHREAD_MUTEX_INITIALIZER;
static uint8_t		*out_pool[OUT_POOL_MAX];
static size_t		 out_pool_len;

/* An empty buffer of OUT_BUFSIZE bytes, aligned for direct I/O. */
static void
out_buf_alloc(struct buf *b)
{
	void	*p = NULL;

	pthread_mutex_lock(&out_pool_mtx);
	if (out_pool_len > 0)
		p = out_pool[--out_pool_len];
	pthread_mutex_unlock(&out_pool_mtx);
	if (p == NULL && posix_memalign(&p, OUT_ALIGN, OUT_BUFSIZE) != 0)
		fatalx("out of memory");
	b->data = p;
	b->len = 0;
	b->cap = OUT_BUFSIZE;
}

/* Give a buffer of out_buf_alloc back to the pool (or free it). */
static void
out_buf_release(struct buf *b)
{
	if (b->data == NULL)
		return;
	pthread_mutex_lock(&out_pool_mtx);
	if (out_pool_len < OUT_POOL_MAX) {
		out_pool[out_pool_len++] = b->data;
		b->data = NULL;
	}
	pthread_mutex_unlock(&out_pool_mtx);
	buf_free(b);
}

static int
out_open(struct out *o, const char *dir, const char *name, int flags)
{
	struct buf	p;
	int		oflags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;

	memset(o, 0, sizeof(*o));
	buf_init(&p);
	buf_printf(&p, "%s/%s", dir, name);
	o->path = buf_str(&p);
	if ((flags & OUT_HASHED) && ((o->sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(o->sha, EVP_sha256(), NULL) != 1))
		fatalx("SHA-256 unavailable");
	out_buf_alloc(&o->b);
	o->fd = -1;
	if (flags & OUT_DIRECT) {
		o->fd = open(o->path, oflags | O_DIRECT, 0644);
		o->direct = o->fd != -1;
	}
	if (o->fd == -1 &&
	    (o->fd = open(o->path, oflags, 0644)) == -1) {
		log_err("%s: %s", o->path, strerror(errno));
		o->err = 1;
		return -1;
	}
	return 0;
}

/* Back to the page cache for the rest of the file (tail or refusal). */
static void
out_undirect(struct out *o)
{
	int	fl;

	if (!o->direct)
		return;
	if ((fl = fcntl(o->fd, F_GETFL)) != -1)
		fcntl(o->fd, F_SETFL, fl & ~O_DIRECT);
	o->direct = 0;
}

/* Hash and write b; empties it.  Sets o->err on failure. */
static void
out_write(struct out *o, struct buf *b)
{
	size_t	off = 0;
	ssize_t	n;

	/* Hashed here, a buffer at a time: fewer, larger digest updates. */
	if (o->sha != NULL)
		EVP_DigestUpdate(o->sha, b->data, b->len);
	while (!o->err && off < b->len) {
		if ((n = write(o->fd, b->data + off, b->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EINVAL && o->direct) {
				/* Alignment the file system refuses. */
				out_undirect(o);
				continue;
			}
			log_err("%s: write: %s", o->path, strerror(errno));
			o->err = 1;
		} else
			off += (size_t)n;
	}
	b->len = 0;
}

static void *
out_thread(void *arg)
{
	struct out	*o = arg;

	pthread_mutex_lock(&o->mtx);
	for (;;) {
		while (!o->pending && !o->closing)
			pthread_cond_wait(&o->cv, &o->mtx);
		if (!o->pending)
			break;
		pthread_mutex_unlock(&o->mtx);
		out_write(o, &o->slot);
		pthread_mutex_lock(&o->mtx);
		o->pending = 0;
		pthread_cond_broadcast(&o->cv);
	}
	pthread_mutex_unlock(&o->mtx);
	return NULL;
}

/* Make o asynchronous (see struct out).  0, or -1 (it stays synchronous). */
static int
out_async(struct out *o)
{
	pthread_mutex_init(&o->mtx, NULL);
	pthread_cond_init(&o->cv, NULL);
	out_buf_alloc(&o->slot);
	if (pthread_create(&o->thread, NULL, out_thread, o) != 0) {
		pthread_mutex_destroy(&o->mtx);
		pthread_cond_destroy(&o->cv);
		out_buf_release(&o->slot);
		return -1;
	}
	o->async = 1;
	return 0;
}

static int
out_flush(struct out *o)
{
	struct buf	tmp;
	int		err;

	if (!o->async) {
		out_write(o, &o->b);
		return o->err ? -1 : 0;
	}
	pthread_mutex_lock(&o->mtx);
	while (o->pending)
		pthread_cond_wait(&o->cv, &o->mtx);
	tmp = o->slot;
	o->slot = o->b;
	o->b = tmp;
	o->pending = 1;
	err = o->err;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mtx);
	return err ? -1 : 0;
}

/* Stop the thread once it has written everything handed to it. */
static void
out_sync(struct out *o)
{
	if (!o->async)
		return;
	pthread_mutex_lock(&o->mtx);
	o->closing = 1;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mtx);
	pthread_join(o->thread, NULL);
	pthread_mutex_destroy(&o->mtx);
	pthread_cond_destroy(&o->cv);
	out_buf_release(&o->slot);
	o->async = 0;
}

/*
 * Buffers go out full, so every write but the last is OUT_BUFSIZE bytes
 * at an offset that is a multiple of it (what O_DIRECT needs).
 */
static void
out_add(struct out *o, const void *data, size_t len)
{
	const uint8_t	*p = data;
	size_t		 n;

	o->size += (int64_t)len;
	while (len > 0) {
		n = OUT_BUFSIZE - o->b.len;
		if (n > len)
			n = len;
		memcpy(o->b.data + o->b.len, p, n);
		o->b.len += n;
		p += n;
		len -= n;
		if (o->b.len == OUT_BUFSIZE)
			out_flush(o);
	}
}

/*
 * Flush and close; hash in hash (may be NULL).  0 or -1.  No fsync: one
 * syncfs() for the whole serial (job_sync) is cheaper than one per file.
 */
static int
out_close(struct out *o, uint8_t hash[32])
{
	uint8_t	h[32];
	int	rc = -1;

	if (o->path == NULL)
		return -1;	/* never opened */
	if (o->fd == -1)
		goto out;
	/* The tail is not a whole block: written through the page cache. */
	out_sync(o);
	if (o->b.len % OUT_ALIGN != 0)
		out_undirect(o);
	out_flush(o);
	if (o->err)
		goto out;
	rc = 0;
 out:
	out_sync(o);
	if (o->sha != NULL) {
		EVP_DigestFinal_ex(o->sha, h, NULL);
		EVP_MD_CTX_free(o->sha);
		o->sha = NULL;
		if (hash != NULL)
			memcpy(hash, h, 32);
	}
	if (o->fd != -1 && close(o->fd) == -1 && rc == 0) {
		log_err("%s: close: %s", o->path, strerror(errno));
		rc = -1;
	}
	o->fd = -1;
	out_buf_release(&o->b);
	free(o->path);
	o->path = NULL;
	return rc;
}

/*
 * A gzip file compressed as it streams (deltas are small and written
 * once; the snapshot's .gz is joined from stored pieces instead).
 */
struct gzout {
	struct out	o;
	z_stream	z;
	int		ok;
};

static int
gzout_open(struct gzout *g, const char *dir, const char *name)
{
	memset(&g->z, 0, sizeof(g->z));
	g->ok = 0;
	if (out_open(&g->o, dir, name, 0) == -1)
		return -1;
	/*
	 * 15 + 16: a gzip wrapper (RFC 1952) around the deflate stream.
	 * Level 1: base64 text gains almost nothing from more effort (as
	 * for the snapshot's pieces, gzpiece.c).
	 */
	if (deflateInit2(&g->z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	g->ok = 1;
	return 0;
}

static void
gzout_run(struct gzout *g, const void *data, size_t len, int flush)
{
	uint8_t	chunk[64 * 1024];
	int	zr;

	if (!g->ok)
		return;
	g->z.next_in = (Bytef *)(uintptr_t)data;
	g->z.avail_in = (uInt)len;
	do {
		g->z.next_out = chunk;
		g->z.avail_out = sizeof(chunk);
		zr = deflate(&g->z, flush);
		if (zr == Z_STREAM_ERROR) {
			g->o.err = 1;
			return;
		}
		out_add(&g->o, chunk, sizeof(chunk) - g->z.avail_out);
	} while (g->z.avail_out == 0 || (flush == Z_FINISH &&
	    zr != Z_STREAM_END));
}

static int
gzout_close(struct gzout *g)
{
	if (g->ok) {
		gzout_run(g, NULL, 0, Z_FINISH);
		deflateEnd(&g->z);
		g->ok = 0;
	}
	return out_close(&g->o, NULL);
}

/* The XML file and its .gz twin, written side by side. */
struct twin {
	struct out	x;
	struct gzout	g;
};

static int
twin_open(struct twin *t, const char *dir, const char *name)
{
	char	gz[64];

	snprintf(gz, sizeof(gz), "%s.gz", name);
	if (out_open(&t->x, dir, name, OUT_HASHED) == -1)
		return -1;
	return gzout_open(&t->g, dir, gz);
}

static void
twin_add(struct twin *t, const void *data, size_t len)
{
	out_add(&t->x, data, len);
	gzout_run(&t->g, data, len, Z_NO_FLUSH);
}

static int
twin_close(struct twin *t, uint8_t hash[32])
{
	int	rc = 0;

	if (out_close(&t->x, hash) == -1)
		rc = -1;
	if (gzout_close(&t->g) == -1)
		rc = -1;
	return rc;
}

static double
elapsed(const struct timespec *since)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	    (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* ---- state file ---- */

static void
state_clear(struct rrdp_state *s)
{
	size_t	i;

	for (i = 0; i < s->ndeltas; i++)
		free(s->deltas[i].rel);
	for (i = 0; i < s->ngone; i++)
		free(s->gone[i].rel);
	free(s->deltas);
	free(s->gone);
	free(s->snapshot_rel);
	free(s->tree);
	memset(s, 0, sizeof(*s));
}

static void
gone_add(struct rrdp_state *s, const char *rel, time_t since)
{
	s->gone = xrealloc(s->gone, (s->ngone + 1) * sizeof(*s->gone));
	s->gone[s->ngone].rel = xstrdup(rel);
	s->gone[s->ngone].since = since;
	s->ngone++;
}

static void
new_session(char out[RRDP_SESSION_LEN + 1])
{
	uint8_t	r[16];

	if (RAND_bytes(r, sizeof(r)) != 1)
		fatalx("RAND_bytes failed");
	/* RFC 4122 section 4.4: version 4, variant 10xx. */
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(out, RRDP_SESSION_LEN + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4],
	    r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
	    r[15]);
}

static int
state_save(const char *dir, const struct rrdp_state *s)
{
	struct buf	 b;
	char		 hex[65];
	char		*path;
	size_t		 i;
	int		 rc;

	buf_init(&b);
	buf_printf(&b, "%s\nsession %s\nserial %lld\nchange %lld\n"
	    "generation %lld\n", STATE_MAGIC, s->session,
	    (long long)s->serial, (long long)s->change,
	    (long long)s->generation);
	if (s->snapshot_rel != NULL) {
		hex_encode(hex, s->snapshot_hash, 32);
		buf_printf(&b, "snapshot %s %s %lld\n", s->snapshot_rel, hex,
		    (long long)s->snapshot_size);
		buf_printf(&b, "objects %lld %lld\n", (long long)s->objects,
		    (long long)s->object_bytes);
	}
	for (i = 0; i < s->ndeltas; i++) {
		hex_encode(hex, s->deltas[i].hash, 32);
		buf_printf(&b, "delta %lld %s %s %lld %lld\n",
		    (long long)s->deltas[i].serial, s->deltas[i].rel, hex,
		    (long long)s->deltas[i].size, (long long)s->deltas[i].time);
	}
	if (s->tree != NULL)
		buf_printf(&b, "tree %s\n", s->tree);
	for (i = 0; i < s->ngone; i++)
		buf_printf(&b, "gone %lld %s\n", (long long)s->gone[i].since,
		    s->gone[i].rel);
	path = path_join(dir, RRDP_STATE_FILE);
	rc = file_write_atomic(path, b.data, b.len, 0644);
	free(path);
	buf_free(&b);
	return rc;
}

/* 1 loaded, 0 no state file, -1 unreadable or corrupt (logged). */
static int
state_load(const char *dir, struct rrdp_state *s)
{
	char		*path, *data = NULL, *line, *save = NULL;
	char		 a[256], h[80];
	long long	 x, y, z;
	size_t		 len;
	int		 rc = -1, lineno = 0;

	memset(s, 0, sizeof(*s));
	path = path_join(dir, RRDP_STATE_FILE);
	if (access(path, F_OK) == -1 && errno == ENOENT) {
		rc = 0;
		goto out;
	}
	if ((data = file_read(path, STATE_MAX_SIZE, &len)) == NULL)
		goto out;
	for (line = strtok_r(data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (++lineno == 1) {
			if (strcmp(line, STATE_MAGIC) != 0)
				goto corrupt;
		} else if (sscanf(line, "session %36s", s->session) == 1) {
			if (strlen(s->session) != RRDP_SESSION_LEN)
				goto corrupt;
		} else if (sscanf(line, "serial %lld", &x) == 1)
			s->serial = x;
		else if (sscanf(line, "change %lld", &x) == 1)
			s->change = x;
		else if (sscanf(line, "generation %lld", &x) == 1)
			s->generation = x;
		else if (sscanf(line, "objects %lld %lld", &x, &y) == 2) {
			s->objects = x;
			s->object_bytes = y;
		}
		else if (sscanf(line, "snapshot %255s %79s %lld", a, h,
		    &x) == 3) {
			if (!path_rel_safe(a) ||
			    hex_decode(s->snapshot_hash, 32, h) == -1)
				goto corrupt;
			free(s->snapshot_rel);
			s->snapshot_rel = xstrdup(a);
			s->snapshot_size = x;
		} else if (sscanf(line, "delta %lld %255s %79s %lld %lld", &x,
		    a, h, &y, &z) == 5) {
			struct delta_rec	*d;

			if (!path_rel_safe(a))
				goto corrupt;
			s->deltas = xrealloc(s->deltas, (s->ndeltas + 1) *
			    sizeof(*s->deltas));
			d = &s->deltas[s->ndeltas++];
			d->serial = x;
			d->rel = xstrdup(a);
			d->size = y;
			d->time = (time_t)z;
			if (hex_decode(d->hash, 32, h) == -1)
				goto corrupt;
		} else if (sscanf(line, "tree %255s", a) == 1) {
			free(s->tree);
			s->tree = xstrdup(a);
		} else if (sscanf(line, "gone %lld %255s", &x, a) == 2) {
			if (!path_rel_safe(a))
				goto corrupt;
			gone_add(s, a, (time_t)x);
		} else
			goto corrupt;
	}
	if (s->session[0] == '\0' || s->serial < 0 ||
	    (s->serial > 0 && s->snapshot_rel == NULL))
		goto corrupt;
	rc = 1;
	goto out;
 corrupt:
	log_err("%s: line %d: corrupt state file", path, lineno);
	state_clear(s);
	rc = -1;
 out:
	free(data);
	free(path);
	return rc;
}

/* ---- set-up ---- */

static char *
dir_path(const struct config *cfg, const char *which)
{
	return config_resolve(cfg, which);
}

int
rrdp_writer_init(const struct config *cfg)
{
	struct rrdp_state	 s;
	char			*rrdp = dir_path(cfg, cfg->rrdp_dir);
	char			*rsync = dir_path(cfg, cfg->rsync_dir);
	int			 rc = -1, r;

	memset(&s, 0, sizeof(s));
	if (dir_create(rrdp) == -1 || dir_create(rsync) == -1)
		goto out;
	if ((r = state_load(rrdp, &s)) == -1)
		goto out;
	if (r == 1) {
		log_info("%s: keeping RRDP session %s (serial %lld)", rrdp,
		    s.session, (long long)s.serial);
		rc = 0;
		goto out;
	}
	new_session(s.session);
	rc = state_save(rrdp, &s);
 out:
	state_clear(&s);
	free(rrdp);
	free(rsync);
	return rc;
}

struct rrdp_writer *
rrdp_writer_new(const struct config *cfg, const char *store_path)
{
	struct rrdp_writer	*w = xcalloc(1, sizeof(*w));
	int			 r;

	w->cfg = (struct config *)cfg;
	w->rrdp_dir = dir_path(cfg, cfg->rrdp_dir);
	w->rsync_dir = dir_path(cfg, cfg->rsync_dir);
	pthread_mutex_init(&w->status_lock, NULL);
	if (dir_create(w->rrdp_dir) == -1 || dir_create(w->rsync_dir) == -1)
		goto fail;
	if ((r = state_load(w->rrdp_dir, &w->state)) == -1)
		goto fail;
	if (r == 0) {
		/* The output was lost or never made: a new session. */
		new_session(w->state.session);
		log_warn("%s: no RRDP state; starting session %s",
		    w->rrdp_dir, w->state.session);
		if (state_save(w->rrdp_dir, &w->state) == -1)
			goto fail;
	}
	if ((w->st = store_open(store_path)) == NULL)
		goto fail;
	memcpy(w->status.session, w->state.session, sizeof(w->status.session));
	w->status.serial = w->state.serial;
	w->status.objects = w->state.objects;
	w->status.object_bytes = w->state.object_bytes;
	w->status.snapshot_bytes = w->state.snapshot_size;
	w->status.deltas_listed = (int64_t)w->state.ndeltas;
	return w;
 fail:
	rrdp_writer_free(w);
	return NULL;
}

void
rrdp_writer_free(struct rrdp_writer *w)
{
	if (w == NULL)
		return;
	store_close(w->st);
	state_clear(&w->state);
	pthread_mutex_destroy(&w->status_lock);
	free(w->rrdp_dir);
	free(w->rsync_dir);
	free(w);
}

void
rrdp_writer_status(struct rrdp_writer *w, struct rrdp_status *out)
{
	pthread_mutex_lock(&w->status_lock);
	*out = w->status;
	pthread_mutex_unlock(&w->status_lock);
}

/* syncfs(2) of the file system dir is on.  0 or -1 (logged). */
static int
fs_sync(const char *dir)
{
	int	fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1 ||
	    syncfs(fd) == -1) {
		log_err("%s: syncfs: %s", dir, strerror(errno));
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	return rc;
}

/* ---- one serial ---- */

/* What one run builds; freed by job_free. */
struct job {
	struct rrdp_writer	*w;
	int64_t			 serial;
	char			 session[RRDP_SESSION_LEN + 1];
	char			 rel[128];	/* session/serial/random */
	char			*dir;		/* rrdp_dir/rel */
	/*
	 * The rsync tree starts as hard links to the previous one (made in
	 * the idle time by rrdp_writer_prepare, or now): a thread builds it
	 * while the snapshot streams, and applies the delta's changes too
	 * when their DER is at hand (tree_der, up to TREE_INLINE_MAX bytes);
	 * otherwise they are applied after, from the URIs (tree_uris).
	 */
	struct rsync_tree	*tree;
	char			 tree_name[128];
	const char		*tree_base;
	const char		*rsync_dir;
	pthread_t		 tree_thread;
	int			 tree_running;
	char			**tree_uris;
	size_t			 tree_nuris;
	struct buf		*tree_der;	/* per URI; empty: withdraw */
	int64_t			*tree_stored;	/* first stored, per URI */
	size_t			 tree_der_bytes;
	int			 tree_inline;	/* tree_der is complete */
	int			 tree_applied;	/* the thread applied it */
	int			 with_delta;
	struct twin		 delta;
	uint8_t			 delta_hash[32];
	size_t			 delta_items;
	/* the URI group being collapsed (store_changes_since order) */
	char			*cur_uri;
	uint8_t			 first_old[32], last_new[32];
	int			 has_old, has_new;
	struct buf		 scratch, der;
	/* snapshot */
	struct out		 snap, snapgz;
	struct gzjoin		 gz;
	uint8_t			 snap_hash[32];
	int64_t			 objects, object_bytes;
	int			 failed;
};

/* Emit the net change of the URI group in j (RFC 8182 section 3.5.3). */
static int
job_emit(struct job *j)
{
	uint8_t	 hash[32];
	int64_t	 first_stored;
	size_t	 i;
	int	 r;

	if (j->cur_uri == NULL)
		return 0;
	if (!j->has_old && !j->has_new)
		return 0;	/* created and withdrawn within the interval */
	if (j->has_old && j->has_new &&
	    memcmp(j->first_old, j->last_new, 32) == 0)
		return 0;	/* changed and changed back */
	buf_free(&j->scratch);
	j->tree_uris = xrealloc(j->tree_uris, (j->tree_nuris + 1) *
	    sizeof(*j->tree_uris));
	j->tree_der = xrealloc(j->tree_der, (j->tree_nuris + 1) *
	    sizeof(*j->tree_der));
	j->tree_stored = xrealloc(j->tree_stored, (j->tree_nuris + 1) *
	    sizeof(*j->tree_stored));
	buf_init(&j->tree_der[j->tree_nuris]);
	j->tree_stored[j->tree_nuris] = 0;
	j->tree_uris[j->tree_nuris++] = xstrdup(j->cur_uri);
	if (!j->has_new)
		rrdp_delta_withdraw(&j->scratch, j->cur_uri, j->first_old);
	else {
		struct buf	elem;

		buf_init(&elem);
		r = store_object_elem(j->w->st, j->cur_uri, hash,
		    &first_stored, &elem);
		if (r != 1 || memcmp(hash, j->last_new, 32) != 0) {
			if (r == 0 || r == 1)
				log_err("RRDP writer: %s: change log and "
				    "objects disagree", j->cur_uri);
			buf_free(&elem);
			return -1;
		}
		if (rrdp_delta_publish(&j->scratch, j->cur_uri, elem.data,
		    elem.len, j->has_old ? j->first_old : NULL) == -1 ||
		    (j->tree_inline && rrdp_elem_der(elem.data, elem.len,
		    &j->tree_der[j->tree_nuris - 1]) == -1)) {
			log_err("RRDP writer: %s: stored element unusable",
			    j->cur_uri);
			buf_free(&elem);
			return -1;
		}
		j->tree_stored[j->tree_nuris - 1] = first_stored;
		j->tree_der_bytes += j->tree_der[j->tree_nuris - 1].len;
		if (j->tree_inline && j->tree_der_bytes > TREE_INLINE_MAX) {
			/* A large delta: the tree takes it from the store. */
			for (i = 0; i < j->tree_nuris; i++)
				buf_free(&j->tree_der[i]);
			j->tree_inline = 0;
		}
		buf_free(&elem);
	}
	twin_add(&j->delta, j->scratch.data, j->scratch.len);
	j->delta_items++;
	return 0;
}

static int
job_change(const char *uri, const uint8_t *old_hash, const uint8_t *new_hash,
    void *arg)
{
	struct job	*j = arg;

	if (j->cur_uri == NULL || strcmp(j->cur_uri, uri) != 0) {
		if (job_emit(j) == -1)
			return -1;
		free(j->cur_uri);
		j->cur_uri = xstrdup(uri);
		/* The first item's old hash is what relying parties have. */
		j->has_old = old_hash != NULL;
		if (old_hash != NULL)
			memcpy(j->first_old, old_hash, 32);
	}
	j->has_new = new_hash != NULL;
	if (new_hash != NULL)
		memcpy(j->last_new, new_hash, 32);
	return 0;
}

static int
job_snapshot_elem(const struct store_elem *e, void *arg)
{
	struct job	*j = arg;

	out_add(&j->snap, e->elem, e->elem_len);
	out_add(&j->snapgz, e->piece, e->piece_len);
	/* The hash is of the XML; the .gz gets the stored piece. */
	gzjoin_add(&j->gz, e->crc, e->elem_len);
	j->objects++;
	j->object_bytes += e->size;
	return 0;
}

static void *
job_tree_thread(void *arg)
{
	struct job	*j = arg;
	size_t		 i;

	j->tree = rsync_tree_new(j->rsync_dir, j->tree_name, j->tree_base);
	if (j->tree == NULL || !j->tree_inline ||
	    !rsync_tree_incremental(j->tree))
		return NULL;
	for (i = 0; i < j->tree_nuris; i++) {
		if (j->tree_der[i].len == 0 ?
		    rsync_tree_withdraw(j->tree, j->tree_uris[i]) == -1 :
		    rsync_tree_put(j->tree, j->tree_uris[i], j->tree_der[i].data,
		    j->tree_der[i].len, (time_t)j->tree_stored[i]) == -1) {
			rsync_tree_free(j->tree);
			j->tree = NULL;
			return NULL;
		}
	}
	j->tree_applied = 1;
	return NULL;
}

static int
job_tree_start(struct job *j)
{
	if (pthread_create(&j->tree_thread, NULL, job_tree_thread, j) != 0) {
		log_err("RRDP writer: cannot start the rsync tree thread");
		return -1;
	}
	j->tree_running = 1;
	return 0;
}

static int
job_tree_wait(struct job *j)
{
	if (j->tree_running) {
		pthread_join(j->tree_thread, NULL);
		j->tree_running = 0;
	}
	return j->tree != NULL ? 0 : -1;
}

static int
job_tree_put(const struct store_elem *e, void *arg)
{
	struct job	*j = arg;

	buf_free(&j->der);
	if (rrdp_elem_der(e->elem, e->elem_len, &j->der) == -1) {
		log_err("RRDP writer: %s: stored element unusable", e->uri);
		return -1;
	}
	return rsync_tree_put(j->tree, e->uri, j->der.data, j->der.len,
	    (time_t)e->first_stored);
}

/*
 * Bring the new tree to the state of the read transaction: the delta's
 * URIs on top of the previous tree, or every object into an empty one
 * (first serial, new session, or `current` not the previous serial's
 * tree after a crash).
 */
static int
job_tree_fill(struct job *j)
{
	struct store_elem	 e;
	struct buf		 elem;
	uint8_t			 hash[32];
	int64_t			 first_stored;
	size_t			 i;
	int			 r, rc = -1;

	if (job_tree_wait(j) == -1)
		return -1;
	if (!rsync_tree_incremental(j->tree))
		return store_object_scan(j->w->st, job_tree_put, j);
	if (j->tree_applied)
		return 0;
	buf_init(&elem);
	for (i = 0; i < j->tree_nuris; i++) {
		buf_free(&elem);
		r = store_object_elem(j->w->st, j->tree_uris[i], hash,
		    &first_stored, &elem);
		if (r == -1)
			goto out;
		if (r == 0) {
			if (rsync_tree_withdraw(j->tree, j->tree_uris[i]) == -1)
				goto out;
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.uri = j->tree_uris[i];
		e.first_stored = first_stored;
		e.elem = elem.data;
		e.elem_len = elem.len;
		if (job_tree_put(&e, j) == -1)
			goto out;
	}
	rc = 0;
 out:
	buf_free(&elem);
	return rc;
}

/* Write text through both snapshot files as its own gzip piece. */
static int
job_snapshot_text(struct job *j, const char *text)
{
	struct buf	piece;
	uint32_t	crc;
	size_t		len = strlen(text);

	buf_init(&piece);
	if (gzpiece_make(text, len, &piece, &crc) == -1) {
		buf_free(&piece);
		return -1;
	}
	out_add(&j->snap, text, len);
	out_add(&j->snapgz, piece.data, piece.len);
	gzjoin_add(&j->gz, crc, len);
	buf_free(&piece);
	return 0;
}

static int
job_snapshot(struct job *j)
{
	struct buf	hdr;
	uint8_t		gzh[GZPIECE_HEADER_LEN], gzt[GZPIECE_TRAILER_LEN];
	int		rc = -1;

	buf_init(&hdr);
	if (out_open(&j->snap, j->dir, "snapshot.xml",
	    OUT_HASHED | OUT_DIRECT) == -1 ||
	    out_open(&j->snapgz, j->dir, "snapshot.xml.gz", OUT_DIRECT) == -1)
		goto out;
	/* Synchronous writes still work if a thread cannot start. */
	out_async(&j->snap);
	out_async(&j->snapgz);
	gzjoin_start(&j->gz, gzh);
	out_add(&j->snapgz, gzh, sizeof(gzh));
	rrdp_snapshot_begin(&hdr, j->session, j->serial);
	if (job_snapshot_text(j, buf_str(&hdr)) == -1)
		goto out;
	if (store_object_scan(j->w->st, job_snapshot_elem, j) == -1)
		goto out;
	buf_free(&hdr);
	rrdp_snapshot_end(&hdr);
	if (job_snapshot_text(j, buf_str(&hdr)) == -1)
		goto out;
	gzjoin_finish(&j->gz, gzt);
	out_add(&j->snapgz, gzt, sizeof(gzt));
	rc = 0;
 out:
	buf_free(&hdr);
	if (out_close(&j->snap, j->snap_hash) == -1)
		rc = -1;
	if (out_close(&j->snapgz, NULL) == -1)
		rc = -1;
	return rc;
}

static void
job_free(struct job *j)
{
	size_t	i;

	if (j->delta.x.path != NULL)
		twin_close(&j->delta, NULL);
	job_tree_wait(j);
	rsync_tree_free(j->tree);
	for (i = 0; i < j->tree_nuris; i++) {
		free(j->tree_uris[i]);
		buf_free(&j->tree_der[i]);
	}
	free(j->tree_uris);
	free(j->tree_der);
	free(j->tree_stored);
	free(j->cur_uri);
	free(j->dir);
	buf_free(&j->scratch);
	buf_free(&j->der);
}

/*
 * The serial's files and directories on disk, before anything names
 * them.  rsync_tree_commit() already ran syncfs() on the rsync dir's
 * file system; the RRDP dir needs its own only on another one.
 */
static int
job_sync(struct job *j)
{
	struct stat	a, b;

	if (stat(j->w->rrdp_dir, &a) == 0 && stat(j->w->rsync_dir, &b) == 0 &&
	    a.st_dev == b.st_dev)
		return 0;
	return fs_sync(j->w->rrdp_dir);
}

/* Remove the serial's directory of a serial that will not be. */
static void
job_remove_dir(struct job *j)
{
	static const char *const names[] = { "delta.xml", "delta.xml.gz",
	    "snapshot.xml", "snapshot.xml.gz" };
	char	*p;
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p = path_join(j->dir, names[i]);
		unlink(p);
		free(p);
	}
	if (rmdir(j->dir) == -1)
		log_warn("%s: %s", j->dir, strerror(errno));
	/* The serial's own directory, unless another attempt is in it. */
	if ((p = strrchr(j->dir, '/')) != NULL) {
		*p = '\0';
		rmdir(j->dir);
		*p = '/';
	}
}

/* Which listed deltas stay, newest first (RFC 8182 3.3, BCP 8.5). */
static void
state_retain(struct rrdp_writer *w, struct rrdp_state *s, time_t now)
{
	int64_t	sum = 0;
	size_t	i, keep;

	/*
	 * The sum of the listed deltas must not exceed the snapshot: an RP
	 * would do better with the snapshot.  Within that the notification
	 * lists every delta; the BCP asks for at least delta_window seconds.
	 */
	for (keep = 0; keep < s->ndeltas; keep++) {
		if (sum + s->deltas[keep].size > s->snapshot_size)
			break;
		sum += s->deltas[keep].size;
	}
	if (keep < s->ndeltas && now - s->deltas[keep].time <
	    (time_t)w->cfg->delta_window)
		log_info("RRDP: the deltas of the last %zu s outweigh the "
		    "snapshot (%lld bytes); listing %zu, covering %lld s",
		    w->cfg->delta_window, (long long)s->snapshot_size, keep,
		    keep > 0 ? (long long)(now - s->deltas[keep - 1].time) :
		    0LL);
	for (i = keep; i < s->ndeltas; i++) {
		gone_add(s, s->deltas[i].rel, now);
		free(s->deltas[i].rel);
	}
	s->ndeltas = keep;
}

/*
 * Write the notification for state s (RFC 8182 section 3.5.1): to a
 * temporary name, fsynced, renamed.
 */
static int
notification_write(struct rrdp_writer *w, const struct rrdp_state *s)
{
	struct rrdp_notification	 n;
	struct buf			 b, u;
	char				*path;
	size_t				 i;
	int				 rc;

	memset(&n, 0, sizeof(n));
	buf_init(&b);
	memcpy(n.session, s->session, sizeof(n.session));
	n.serial = s->serial;
	buf_init(&u);
	buf_printf(&u, "%s%s", w->cfg->rrdp_base, s->snapshot_rel);
	n.snapshot_uri = buf_str(&u);
	memcpy(n.snapshot_hash, s->snapshot_hash, 32);
	n.ndeltas = s->ndeltas;
	n.deltas = xcalloc(s->ndeltas + 1, sizeof(*n.deltas));
	for (i = 0; i < s->ndeltas; i++) {
		buf_init(&u);
		buf_printf(&u, "%s%s", w->cfg->rrdp_base, s->deltas[i].rel);
		n.deltas[i].uri = buf_str(&u);
		n.deltas[i].serial = s->deltas[i].serial;
		memcpy(n.deltas[i].hash, s->deltas[i].hash, 32);
	}
	rrdp_notification_write(&b, &n);
	path = path_join(w->rrdp_dir, RRDP_NOTIFICATION);
	rc = file_write_atomic(path, b.data, b.len, 0644);
	free(path);
	buf_free(&b);
	rrdp_notification_free(&n);
	return rc;
}

/* Raise the store's generation (and clear a reset request).  0 or -1. */
static int
store_mark(struct rrdp_writer *w, int64_t gen, int clear_reset)
{
	if (store_begin(w->st) == -1)
		return -1;
	if (store_meta_set(w->st, RRDP_META_GENERATION, gen) == -1 ||
	    (clear_reset && store_meta_set(w->st, RRDP_META_RESET, 0) == -1)) {
		store_rollback(w->st);
		return -1;
	}
	return store_commit(w->st);
}

/*
 * Does the store still hold at least what was announced?  Sets *reset and
 * logs why not.  -1 on a store error.
 */
static int
check_regression(struct rrdp_writer *w, int *reset, int *requested)
{
	int64_t	gen = 0, req = 0;

	if (store_meta_get(w->st, RRDP_META_GENERATION, &gen) == -1 ||
	    store_meta_get(w->st, RRDP_META_RESET, &req) == -1)
		return -1;
	*requested = req != 0;
	if (*requested) {
		log_info("RRDP: new session requested (rpkipubctl "
		    "session-reset)");
		*reset = 1;
	}
	if (w->state.serial > 0 && gen < w->state.generation) {
		log_warn("RRDP: the store is behind what was announced "
		    "(generation %lld < %lld): restored from an older copy? "
		    "Starting a new session instead of re-using serials",
		    (long long)gen, (long long)w->state.generation);
		*reset = 1;
	}
	return 0;
}

/* Is rel (session/serial/random/file) listed in s, or awaiting removal? */
static int
state_knows(const struct rrdp_state *s, const char *rel)
{
	size_t	i;

	/* A prefix match takes the .gz twin with its file. */
	if (s->snapshot_rel != NULL &&
	    strncmp(rel, s->snapshot_rel, strlen(s->snapshot_rel)) == 0)
		return 1;
	for (i = 0; i < s->ndeltas; i++)
		if (strncmp(rel, s->deltas[i].rel,
		    strlen(s->deltas[i].rel)) == 0)
			return 1;
	for (i = 0; i < s->ngone; i++)
		if (strcmp(rel, s->gone[i].rel) == 0)
			return 1;
	return 0;
}

/*
 * Walk <session>/<serial>/<random>/<file> under the RRDP dir and mark
 * every file nobody references as gone since now: left by a crash, or by
 * an old session.
 */
static int
sweep_walk(struct rrdp_writer *w, const char *rel, int depth, time_t now)
{
	struct dirent	*de;
	struct buf	 child;
	DIR		*d;
	char		*path = rel[0] == '\0' ? xstrdup(w->rrdp_dir) :
			    path_join(w->rrdp_dir, rel);
	int		 changed = 0;

	buf_init(&child);
	if ((d = opendir(path)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		/* Dotfiles: the state file and temporaries, never listed. */
		if (de->d_name[0] == '.' || (depth == 0 &&
		    strlen(de->d_name) != RRDP_SESSION_LEN))
			continue;
		buf_free(&child);
		if (depth > 0)
			buf_printf(&child, "%s/", rel);
		buf_adds(&child, de->d_name);
		if (depth < 3)
			changed |= sweep_walk(w, buf_str(&child), depth + 1,
			    now);
		else if (!state_knows(&w->state, buf_str(&child))) {
			gone_add(&w->state, buf_str(&child), now);
			changed = 1;
		}
	}
	closedir(d);
 out:
	buf_free(&child);
	free(path);
	return changed;
}

/*
 * Remove files unreferenced for rrdp_keep seconds (BCP: two hours, for
 * relying parties still fetching them), then find new unreferenced ones.
 */
static void
sweep_rrdp(struct rrdp_writer *w, time_t now)
{
	struct rrdp_state	*s = &w->state;
	size_t			 i, keep = 0;
	int			 changed = 0;

	for (i = 0; i < s->ngone; i++) {
		if (s->gone[i].since + (time_t)w->cfg->rrdp_keep > now) {
			s->gone[keep++] = s->gone[i];
			continue;
		}
		file_remove_under(w->rrdp_dir, s->gone[i].rel);
		free(s->gone[i].rel);
		changed = 1;
	}
	s->ngone = keep;
	changed |= sweep_walk(w, "", 0, now);
	if (changed)
		state_save(w->rrdp_dir, s);
}

int
rrdp_writer_run(struct rrdp_writer *w, time_t now)
{
	struct rrdp_state	 next;
	int64_t			 last;
	struct job		 j;
	struct timespec		 t0;
	double			 ph[4] = { 0, 0, 0, 0 };	/* phase ends */
	uint8_t			 rnd[RAND_HEX_BYTES];
	char			 hex[2 * RAND_HEX_BYTES + 1];
	char			 rel[256];
	size_t			 i;
	int			 reset = 0, requested = 0, in_read = 0;
	int			 rc = -1;

	memset(&j, 0, sizeof(j));
	memset(&next, 0, sizeof(next));
	buf_init(&j.scratch);
	buf_init(&j.der);
	j.w = w;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (check_regression(w, &reset, &requested) == -1)
		goto out;
	if (store_read_begin(w->st) == -1)
		goto out;
	in_read = 1;
	if (store_last_change(w->st, &last) == -1)
		goto out;
	if (!reset && w->state.serial > 0 && last < w->state.change) {
		log_warn("RRDP: the store's change log ends at %lld, before "
		    "the announced %lld: restored from an older copy? "
		    "Starting a new session", (long long)last,
		    (long long)w->state.change);
		reset = 1;
	}
	if (!reset && w->state.serial > 0 &&
	    last == w->state.change) {
		rc = 0;
		goto out;
	}

	/* The serial: a new session starts at 1 with no delta. */
	if (reset || w->state.serial == 0) {
		if (reset)
			new_session(j.session);
		else
			memcpy(j.session, w->state.session, sizeof(j.session));
		j.serial = 1;
	} else {
		memcpy(j.session, w->state.session, sizeof(j.session));
		j.serial = w->state.serial + 1;
		j.with_delta = 1;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		fatalx("RAND_bytes failed");
	hex_encode(hex, rnd, sizeof(rnd));
	/* BCP: unpredictable paths, so CDNs never cached a 404 for them. */
	snprintf(j.rel, sizeof(j.rel), "%s/%lld/%s", j.session,
	    (long long)j.serial, hex);
	j.dir = path_join(w->rrdp_dir, j.rel);
	if (dir_create(j.dir) == -1)
		goto out;
	snprintf(j.tree_name, sizeof(j.tree_name), "%s-%lld-%.8s", j.session,
	    (long long)j.serial, hex);
	j.rsync_dir = w->rsync_dir;
	j.tree_base = j.with_delta ? w->state.tree : NULL;
	j.tree_inline = 1;

	if (j.with_delta) {
		struct buf	hdr;

		buf_init(&hdr);
		if (twin_open(&j.delta, j.dir, "delta.xml") == -1)
			goto out;
		rrdp_delta_begin(&hdr, j.session, j.serial);
		twin_add(&j.delta, hdr.data, hdr.len);
		buf_free(&hdr);
		if (store_changes_since(w->st, w->state.change, last,
		    job_change, &j) == -1 || job_emit(&j) == -1)
			goto out;
		rrdp_delta_end(&hdr);
		twin_add(&j.delta, hdr.data, hdr.len);
		buf_free(&hdr);
		if (j.delta_items == 0) {
			/* Only changes that cancel out: no serial (never an
			 * empty delta, RFC 8182 section 3.5.3), and the files
			 * begun for it go now. */
			store_commit(w->st);
			in_read = 0;
			twin_close(&j.delta, NULL);
			job_remove_dir(&j);
			w->state.change = last;
			if (state_save(w->rrdp_dir, &w->state) == -1)
				goto out;
			rc = 0;
			goto out;
		}
	}
	/* The tree thread runs while the snapshot streams. */
	if (job_tree_start(&j) == -1)
		goto out;
	ph[0] = elapsed(&t0);
	if (job_snapshot(&j) == -1)
		goto out;
	ph[1] = elapsed(&t0);
	if (job_tree_fill(&j) == -1)
		goto out;
	ph[2] = elapsed(&t0);
	/* The read transaction ends here: all files are of one state. */
	store_commit(w->st);
	in_read = 0;
	if (j.with_delta && twin_close(&j.delta, j.delta_hash) == -1)
		goto out;
	/* Its syncfs() puts the RRDP files on disk too (same file system). */
	if (rsync_tree_commit(j.tree, now) == -1) {
		j.tree = NULL;
		goto out;
	}
	j.tree = NULL;
	if (job_sync(&j) == -1)
		goto out;
	ph[3] = elapsed(&t0);
	if (store_mark(w, w->state.generation + 1, requested) == -1)
		goto out;

	/* The next state: what the notification will announce. */
	memcpy(next.session, j.session, sizeof(next.session));
	next.serial = j.serial;
	next.change = last;
	next.generation = w->state.generation + 1;
	snprintf(rel, sizeof(rel), "%s/snapshot.xml", j.rel);
	next.snapshot_rel = xstrdup(rel);
	memcpy(next.snapshot_hash, j.snap_hash, 32);
	next.snapshot_size = j.snap.size;
	next.objects = j.objects;
	next.object_bytes = j.object_bytes;
	next.tree = xstrdup(j.tree_name);
	/* Files that stop being referenced stay rrdp_keep seconds. */
	for (i = 0; i < w->state.ngone; i++)
		gone_add(&next, w->state.gone[i].rel, w->state.gone[i].since);
	if (w->state.snapshot_rel != NULL) {
		gone_add(&next, w->state.snapshot_rel, now);
		snprintf(rel, sizeof(rel), "%s.gz", w->state.snapshot_rel);
		gone_add(&next, rel, now);
	}
	next.deltas = xcalloc(w->state.ndeltas + 1, sizeof(*next.deltas));
	if (j.with_delta) {
		snprintf(rel, sizeof(rel), "%s/delta.xml", j.rel);
		next.deltas[0].serial = j.serial;
		next.deltas[0].rel = xstrdup(rel);
		memcpy(next.deltas[0].hash, j.delta_hash, 32);
		next.deltas[0].size = j.delta.x.size;
		next.deltas[0].time = now;
		next.ndeltas = 1;
	}
	for (i = 0; i < w->state.ndeltas; i++) {
		if (j.with_delta) {
			next.deltas[next.ndeltas] = w->state.deltas[i];
			next.deltas[next.ndeltas].rel =
			    xstrdup(w->state.deltas[i].rel);
			next.ndeltas++;
		} else {
			/* A new session lists none of the old deltas. */
			gone_add(&next, w->state.deltas[i].rel, now);
			snprintf(rel, sizeof(rel), "%s.gz",
			    w->state.deltas[i].rel);
			gone_add(&next, rel, now);
		}
	}
	state_retain(w, &next, now);
	if (state_save(w->rrdp_dir, &next) == -1)
		goto out;
	state_clear(&w->state);
	w->state = next;
	memset(&next, 0, sizeof(next));
	if (notification_write(w, &w->state) == -1)
		goto out;

	pthread_mutex_lock(&w->status_lock);
	memcpy(w->status.session, w->state.session, sizeof(w->status.session));
	w->status.serial = w->state.serial;
	w->status.snapshot_bytes = w->state.snapshot_size;
	w->status.objects = w->state.objects;
	w->status.object_bytes = w->state.object_bytes;
	w->status.deltas_listed = (int64_t)w->state.ndeltas;
	w->status.delta_seconds = w->state.ndeltas > 0 ?
	    (int64_t)(now - w->state.deltas[w->state.ndeltas - 1].time) : 0;
	w->status.last_duration = elapsed(&t0);
	w->status.last_serial_time = now;
	w->status.serials++;
	if (j.serial == 1)
		w->status.resets++;
	pthread_mutex_unlock(&w->status_lock);
	log_info("RRDP session %s serial %lld: %zu changes, snapshot %lld "
	    "bytes, %zu deltas listed, %.3f s (delta %.3f, snapshot %.3f, "
	    "rsync changes %.3f, rsync switch %.3f)", w->state.session,
	    (long long)w->state.serial, j.delta_items,
	    (long long)w->state.snapshot_size, w->state.ndeltas,
	    elapsed(&t0), ph[0], ph[1] - ph[0], ph[2] - ph[1], ph[3] - ph[2]);
	rc = 1;
 out:
	if (in_read)
		store_rollback(w->st);
	if (rc == -1) {
		pthread_mutex_lock(&w->status_lock);
		w->status.failures++;
		pthread_mutex_unlock(&w->status_lock);
	}
	state_clear(&next);
	job_free(&j);
	return rc;
}

/*
 * The change log is only read for the next delta: changes up to the
 * announced one are history.  Keep change_log_keep seconds of it as an
 * audit trail and prune the rest a batch per run, so one run never holds
 * the store's write lock for long.
 */
static void
prune_changes(struct rrdp_writer *w, time_t now)
{
	int64_t	n = 0;

	if (w->cfg->change_log_keep == 0 || w->state.serial == 0 ||
	    (time_t)w->cfg->change_log_keep > now)
		return;
	if (store_change_prune(w->st, w->state.change, now -
	    (time_t)w->cfg->change_log_keep, RRDP_PRUNE_BATCH, &n) == -1) {
		log_warn("store: pruning the change log failed; retried "
		    "after the next run");
		return;
	}
	if (n == 0)
		return;
	log_debug("store: %lld changes older than %zu s removed from the "
	    "change log", (long long)n, w->cfg->change_log_keep);
	pthread_mutex_lock(&w->status_lock);
	w->status.changes_pruned += n;
	pthread_mutex_unlock(&w->status_lock);
}

int
rrdp_writer_prepare(struct rrdp_writer *w, time_t now)
{
	struct stat	a, b;
	int		rc;

	sweep_rrdp(w, now);
	prune_changes(w, now);
	if (rsync_tree_expire(w->rsync_dir, now,
	    (time_t)w->cfg->rsync_keep) == -1)
		log_warn("%s: removing old rsync trees failed",
		    w->rsync_dir);
	rc = rsync_tree_prepare(w->rsync_dir);
	/*
	 * The idle work's metadata (a link and a link count per object,
	 * the removals) goes to disk now, not in the next serial's syncfs:
	 * measured at 10,000 objects, that syncfs took 40-50 ms with it
	 * and the serial 0.11 s.
	 */
	if (fs_sync(w->rsync_dir) == -1 ||
	    (stat(w->rrdp_dir, &a) == 0 && stat(w->rsync_dir, &b) == 0 &&
	    a.st_dev != b.st_dev && fs_sync(w->rrdp_dir) == -1))
		rc = -1;
	return rc;
}

/* ---- the thread ---- */

struct rrdp_thread {
	struct rrdp_writer	*w;
	unsigned int		 interval;
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 wake;
	int			 stop;
};

static void *
rrdp_thread_main(void *arg)
{
	struct rrdp_thread	*t = arg;
	struct timespec		 until;
	int			 stop;

	for (;;) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += t->interval;
		rrdp_writer_run(t->w, time(NULL));
		/* The next rsync tree's links, while there is time. */
		rrdp_writer_prepare(t->w, time(NULL));
		pthread_mutex_lock(&t->mtx);
		while (!t->stop && pthread_cond_timedwait(&t->wake, &t->mtx,
		    &until) == 0)
			;
		stop = t->stop;
		pthread_mutex_unlock(&t->mtx);
		if (stop)
			break;
	}
	return NULL;
}

struct rrdp_thread *
rrdp_thread_start(struct rrdp_writer *w, unsigned int interval)
{
	struct rrdp_thread	*t = xcalloc(1, sizeof(*t));

	t->w = w;
	t->interval = interval;
	pthread_mutex_init(&t->mtx, NULL);
	pthread_cond_init(&t->wake, NULL);
	if (pthread_create(&t->thread, NULL, rrdp_thread_main, t) != 0) {
		log_err("RRDP writer thread: cannot start");
		pthread_mutex_destroy(&t->mtx);
		pthread_cond_destroy(&t->wake);
		free(t);
		return NULL;
	}
	return t;
}

void
rrdp_thread_stop(struct rrdp_thread *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mtx);
	t->stop = 1;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->mtx);
	pthread_join(t->thread, NULL);
	pthread_mutex_destroy(&t->mtx);
	pthread_cond_destroy(&t->wake);
	free(t);
}
