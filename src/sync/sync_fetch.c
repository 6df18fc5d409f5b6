/*
 * Fetching RRDP files (see sync_fetch.h): the HTTP body, the .gz twin,
 * the XML file and the streaming parser, in one pass.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "bounds.h"
#include "buf.h"
#include "encoding.h"
#include "fileio.h"
#include "http_client.h"
#include "log.h"
#include "rrdp_notification.h"
#include "sync_fetch.h"
#include "sync_gunzip.h"
#include "sync_tree.h"

/* Bytes buffered per output file: few, large write(2)s. */
#define WFILE_BUF	(1024 * 1024)
/* Seconds a download runs before the progress line shows. */
#define PROGRESS_AFTER	1.0
#define PROGRESS_EVERY	0.25
#define ERR_LEN		1024
/*
 * The decoded XML goes from the thread that receives and inflates the
 * body to a thread of its own that writes the file, hashes and parses:
 * in buffers of PARSE_BUF bytes, PARSE_BUFS of them at most in flight.
 */
#define PARSE_BUF	(256 * 1024)
#define PARSE_BUFS	8

static const char *const fault_names[SYNC_FAULT_COUNT] = {
	"none", "http", "timeout", "redirect", "origin", "limit", "gzip",
	"xml", "hash", "chain", "regression", "local", "stopped"
};

const char *
sync_fault_name(enum sync_fault f)
{
	return f < SYNC_FAULT_COUNT ? fault_names[f] : "unknown";
}

/* ---- buffered output files ---- */

struct wfile {
	int	 fd;
	char	*tmp;		/* DIR/.NAME.tmp */
	char	*final;		/* DIR/NAME */
	uint8_t	*buf;
	size_t	 len;
	int	 err;		/* errno of the first failure */
};

static int
wfile_open(struct wfile *w, const char *dir, const char *name)
{
	struct buf	p;

	memset(w, 0, sizeof(*w));
	buf_init(&p);
	buf_printf(&p, "%s/.%s.tmp", dir, name);
	w->tmp = buf_str(&p);
	buf_init(&p);
	buf_printf(&p, "%s/%s", dir, name);
	w->final = buf_str(&p);
	w->buf = xmalloc(WFILE_BUF);
	if ((w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		w->err = errno;
		return -1;
	}
	return 0;
}

static void
wfile_write(struct wfile *w, const uint8_t *d, size_t len)
{
	size_t	off = 0;
	ssize_t	n;

	while (w->err == 0 && off < len) {
		if ((n = write(w->fd, d + off, len - off)) == -1) {
			if (errno != EINTR)
				w->err = errno;
		} else
			off += (size_t)n;
	}
}

static void
wfile_flush(struct wfile *w)
{
	wfile_write(w, w->buf, w->len);
	w->len = 0;
}

static void
wfile_add(struct wfile *w, const void *data, size_t len)
{
	const uint8_t	*p = data;
	size_t		 n;

	/* Large pieces go out without a copy. */
	if (w->len == 0 && len >= WFILE_BUF) {
		wfile_write(w, p, len);
		return;
	}
	while (len > 0 && w->err == 0) {
		n = WFILE_BUF - w->len;
		if (n > len)
			n = len;
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		p += n;
		len -= n;
		if (w->len == WFILE_BUF)
			wfile_flush(w);
	}
}

/* Flush and close.  0, or -1 with errno's reason in w->err. */
static int
wfile_close(struct wfile *w)
{
	if (w->fd == -1)
		return -1;
	wfile_flush(w);
	if (close(w->fd) == -1 && w->err == 0)
		w->err = errno;
	w->fd = -1;
	return w->err == 0 ? 0 : -1;
}

/* Remove what is left of a file that will not be (NULL-safe state). */
static void
wfile_abandon(struct wfile *w)
{
	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
	if (w->tmp != NULL)
		unlink(w->tmp);
}

static void
wfile_free(struct wfile *w)
{
	free(w->tmp);
	free(w->final);
	free(w->buf);
	w->tmp = w->final = NULL;
	w->buf = NULL;
}

/* rmdir dir and up to levels - 1 of its parents while they are empty. */
static void
rmdir_empty(const char *dir, int levels)
{
	char	*p = xstrdup(dir), *slash;

	while (levels-- > 0 && rmdir(p) == 0 &&
	    (slash = strrchr(p, '/')) != NULL && slash != p)
		*slash = '\0';
	free(p);
}

/* ---- one file's pipeline ---- */

/*
 * The parse stage: a thread taking decoded buffers in order (filled,
 * a FIFO) and giving them back empty (spare).  It has its own error,
 * which the receiving side sees through failed and takes after the
 * thread is joined.
 */
struct stage {
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cv;
	uint8_t			*bufs[PARSE_BUFS];
	size_t			 lens[PARSE_BUFS];
	size_t			 filled[PARSE_BUFS];	/* ring of indexes */
	size_t			 head, nfilled;
	size_t			 spare[PARSE_BUFS];	/* stack of indexes */
	size_t			 nspare;
	size_t			 cur;			/* being filled */
	int			 have_cur;
	int			 closing;
	int			 running;
	int			 failed;		/* under mtx */
	double			 cpu;			/* the thread's */
	enum sync_fault		 fault;
	char			 err[ERR_LEN];
};

struct pipe {
	struct stage		 stage;
	const struct sync_http	*http;
	const struct sync_fetch	*f;
	struct sync_fetch_stats	*stats;
	struct wfile		 xml, gz;
	struct rrdp_content	*content;
	struct sync_gunzip	*gunzip;	/* body is gzip-coded */
	z_stream		 z;		/* else: deflate to the twin */
	int			 deflating;
	uint8_t			*zbuf;
	enum sync_fault		 fault;
	int			 failed;
	char			 err[ERR_LEN];
	/* progress line */
	struct timespec		 t0;
	double			 last_print;
	int			 printed;
};

static void	pipe_fail(struct pipe *, enum sync_fault, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
pipe_fail(struct pipe *p, enum sync_fault fault, const char *fmt, ...)
{
	va_list	ap;

	if (p->failed)
		return;
	p->failed = 1;
	p->fault = fault;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
}

static double
since(const struct timespec *t0)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	    (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *
limit_option(const struct sync_fetch *f)
{
	return f->limit_option != NULL ? f->limit_option : "a size limit";
}

/* Record the parse stage's first error (on its thread). */
static void	stage_fail(struct pipe *, enum sync_fault, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
stage_fail(struct pipe *p, enum sync_fault fault, const char *fmt, ...)
{
	va_list	ap;

	pthread_mutex_lock(&p->stage.mtx);
	if (!p->stage.failed) {
		p->stage.failed = 1;
		p->stage.fault = fault;
		va_start(ap, fmt);
		vsnprintf(p->stage.err, sizeof(p->stage.err), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&p->stage.mtx);
}

/* Decoded XML on the parse thread: to the file and the parser. */
static void
parse_chunk(struct pipe *p, const uint8_t *d, size_t n)
{
	const char	*why;

	wfile_add(&p->xml, d, n);
	if (p->xml.err != 0) {
		stage_fail(p, SYNC_FAULT_LOCAL, "%s: write: %s", p->xml.tmp,
		    strerror(p->xml.err));
		return;
	}
	if (rrdp_content_feed(p->content, d, n) == -1) {
		why = rrdp_content_error(p->content);
		/* A callback that stopped the parse has its own reason. */
		if (strstr(why, "processing of <") != NULL)
			stage_fail(p, SYNC_FAULT_NONE, "%s", why);
		else
			stage_fail(p, SYNC_FAULT_XML, "%s (%s): %s", p->f->what,
			    p->f->url, why);
	}
}

static void *
stage_thread(void *arg)
{
	struct pipe	*p = arg;
	struct stage	*st = &p->stage;
	size_t		 i;
	int		 failed = 0;

	pthread_mutex_lock(&st->mtx);
	for (;;) {
		while (st->nfilled == 0 && !st->closing)
			pthread_cond_wait(&st->cv, &st->mtx);
		if (st->nfilled == 0)
			break;
		i = st->filled[st->head];
		st->head = (st->head + 1) % PARSE_BUFS;
		st->nfilled--;
		pthread_mutex_unlock(&st->mtx);
		/* After a failure the rest is drained, not parsed. */
		if (!failed) {
			parse_chunk(p, st->bufs[i], st->lens[i]);
			pthread_mutex_lock(&st->mtx);
			failed = st->failed;
			pthread_mutex_unlock(&st->mtx);
		}
		pthread_mutex_lock(&st->mtx);
		st->spare[st->nspare++] = i;
		pthread_cond_broadcast(&st->cv);
	}
	pthread_mutex_unlock(&st->mtx);
	st->cpu = sync_thread_cpu();
	return NULL;
}

static void
stage_start(struct pipe *p)
{
	struct stage	*st = &p->stage;
	size_t		 i;

	pthread_mutex_init(&st->mtx, NULL);
	pthread_cond_init(&st->cv, NULL);
	for (i = 0; i < PARSE_BUFS; i++) {
		st->bufs[i] = xmalloc(PARSE_BUF);
		st->spare[st->nspare++] = i;
	}
	if (pthread_create(&st->thread, NULL, stage_thread, p) != 0)
		fatalx("cannot start the parse thread");
	st->running = 1;
}

/* Hand the buffer being filled to the parse thread. */
static void
stage_push(struct stage *st)
{
	if (!st->have_cur)
		return;
	pthread_mutex_lock(&st->mtx);
	st->filled[(st->head + st->nfilled) % PARSE_BUFS] = st->cur;
	st->nfilled++;
	st->have_cur = 0;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mtx);
}

/* Has the parse stage failed?  (The receiving side then stops.) */
static int
stage_failed(struct stage *st)
{
	int	f;

	pthread_mutex_lock(&st->mtx);
	f = st->failed;
	pthread_mutex_unlock(&st->mtx);
	return f;
}

/* Queue decoded bytes: copied into buffers, each handed over full. */
static int
stage_add(struct pipe *p, const uint8_t *d, size_t n)
{
	struct stage	*st = &p->stage;
	size_t		 k;

	while (n > 0) {
		if (!st->have_cur) {
			pthread_mutex_lock(&st->mtx);
			while (st->nspare == 0)
				pthread_cond_wait(&st->cv, &st->mtx);
			st->cur = st->spare[--st->nspare];
			st->lens[st->cur] = 0;
			st->have_cur = 1;
			if (st->failed) {
				pthread_mutex_unlock(&st->mtx);
				return -1;
			}
			pthread_mutex_unlock(&st->mtx);
		}
		k = PARSE_BUF - st->lens[st->cur];
		if (k > n)
			k = n;
		memcpy(st->bufs[st->cur] + st->lens[st->cur], d, k);
		st->lens[st->cur] += k;
		d += k;
		n -= k;
		if (st->lens[st->cur] == PARSE_BUF)
			stage_push(st);
	}
	return 0;
}

/* Everything queued parsed; the thread joined.  NULL-safe state. */
static void
stage_stop(struct pipe *p)
{
	struct stage	*st = &p->stage;
	size_t		 i;

	if (!st->running)
		return;
	stage_push(st);
	pthread_mutex_lock(&st->mtx);
	st->closing = 1;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mtx);
	pthread_join(st->thread, NULL);
	st->running = 0;
	p->stats->parse_cpu += st->cpu;
	for (i = 0; i < PARSE_BUFS; i++)
		free(st->bufs[i]);
	pthread_mutex_destroy(&st->mtx);
	pthread_cond_destroy(&st->cv);
}

/* Decoded XML on the receiving side: bounded, then to the parse stage. */
static int
pipe_xml(void *arg, const uint8_t *d, size_t n)
{
	struct pipe	*p = arg;

	if (n > p->f->max_size - p->stats->xml_bytes) {
		pipe_fail(p, SYNC_FAULT_LIMIT, "%s (%s): larger than the limit "
		    "of %llu bytes (%s)", p->f->what, p->f->url,
		    (unsigned long long)p->f->max_size, limit_option(p->f));
		return -1;
	}
	p->stats->xml_bytes += n;
	return stage_add(p, d, n);
}

/* A plain body's bytes through deflate into the twin. */
static int
pipe_deflate(struct pipe *p, const uint8_t *d, size_t n, int flush)
{
	int	zr;

	p->z.next_in = (Bytef *)(uintptr_t)d;
	p->z.avail_in = (uInt)n;
	do {
		p->z.next_out = p->zbuf;
		p->z.avail_out = WFILE_BUF;
		zr = deflate(&p->z, flush);
		if (zr == Z_STREAM_ERROR)
			fatalx("deflate failed");
		wfile_add(&p->gz, p->zbuf, WFILE_BUF - p->z.avail_out);
	} while (p->z.avail_out == 0 || (flush == Z_FINISH &&
	    zr != Z_STREAM_END));
	if (p->gz.err != 0) {
		pipe_fail(p, SYNC_FAULT_LOCAL, "%s: write: %s", p->gz.tmp,
		    strerror(p->gz.err));
		return -1;
	}
	return 0;
}

static int
pipe_begin(void *arg, const struct http_result *res)
{
	struct pipe	*p = arg;

	p->stats->gzip = res->gzip;
	if (res->gzip) {
		p->gunzip = sync_gunzip_new(p->f->max_size, pipe_xml, p);
		return 0;
	}
	/*
	 * 15 + 16: a gzip wrapper; level 1 as the writer's twins: base64
	 * text gains almost nothing from more effort.
	 */
	if (deflateInit2(&p->z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		fatalx("deflateInit2 failed");
	p->deflating = 1;
	p->zbuf = xmalloc(WFILE_BUF);
	return 0;
}

static int
pipe_data(void *arg, const uint8_t *d, size_t n)
{
	struct pipe	*p = arg;

	p->stats->wire_bytes += n;
	if (p->gunzip == NULL)
		return pipe_xml(p, d, n) == -1 ? -1 : pipe_deflate(p, d, n,
		    Z_NO_FLUSH);
	/* The upstream's gzip bytes are the twin, as they are. */
	wfile_add(&p->gz, d, n);
	if (p->gz.err != 0) {
		pipe_fail(p, SYNC_FAULT_LOCAL, "%s: write: %s", p->gz.tmp,
		    strerror(p->gz.err));
		return -1;
	}
	if (sync_gunzip_feed(p->gunzip, d, n) == -1) {
		if (!p->failed)
			pipe_fail(p, sync_gunzip_over_limit(p->gunzip) ?
			    SYNC_FAULT_LIMIT : SYNC_FAULT_GZIP, "%s (%s): %s%s%s%s",
			    p->f->what, p->f->url, sync_gunzip_error(p->gunzip),
			    sync_gunzip_over_limit(p->gunzip) ? " (" : "",
			    sync_gunzip_over_limit(p->gunzip) ?
			    limit_option(p->f) : "",
			    sync_gunzip_over_limit(p->gunzip) ? ")" : "");
		return -1;
	}
	return 0;
}

static void
human(char *out, size_t len, double bytes)
{
	if (bytes >= 1e9)
		snprintf(out, len, "%.2f GB", bytes / 1e9);
	else
		snprintf(out, len, "%.1f MB", bytes / 1e6);
}

static int
pipe_progress(void *arg, uint64_t now, int64_t total)
{
	struct pipe	*p = arg;
	char		 a[32], b[32];
	double		 t;

	if (p->http->stop != NULL && *p->http->stop) {
		pipe_fail(p, SYNC_FAULT_STOPPED, "%s: stopped by a signal",
		    p->f->what);
		return -1;
	}
	if (stage_failed(&p->stage))
		return -1;
	if (!p->http->progress)
		return 0;
	t = since(&p->t0);
	if (t < PROGRESS_AFTER || t - p->last_print < PROGRESS_EVERY)
		return 0;
	p->last_print = t;
	p->printed = 1;
	human(a, sizeof(a), (double)now);
	if (total > 0) {
		human(b, sizeof(b), (double)total);
		fprintf(stderr, "\r\033[K%s: %s of %s (%.0f%%), %.1f MB/s",
		    p->f->what, a, b, 100.0 * (double)now / (double)total,
		    (double)now / t / 1e6);
	} else
		fprintf(stderr, "\r\033[K%s: %s, %.1f MB/s", p->f->what, a,
		    (double)now / t / 1e6);
	return 0;
}

static enum sync_fault
http_fault(const struct http_result *res)
{
	switch (res->fault) {
	case HTTP_FAULT_TIMEOUT:
		return SYNC_FAULT_TIMEOUT;
	case HTTP_FAULT_REDIRECT:
		return SYNC_FAULT_REDIRECT;
	case HTTP_FAULT_LIMIT:
		return SYNC_FAULT_LIMIT;
	case HTTP_FAULT_ENCODING:
		return SYNC_FAULT_GZIP;
	default:
		return SYNC_FAULT_HTTP;
	}
}

/*
 * The one-line reason of a failed GET of what: the RFC's rule first
 * when there is one (a redirect to another origin), the options that
 * set a limit when one was reached.  Written into buf, returned.
 */
static const char *
http_reason(const struct sync_http *h, const char *what,
    const struct http_result *res, const char *herr, char *buf, size_t len)
{
	if (res->fault == HTTP_FAULT_REDIRECT && strncmp(herr, "RFC ", 4) == 0)
		snprintf(buf, len, "%s (%s)", herr, what);
	else if (res->fault == HTTP_FAULT_TIMEOUT)
		snprintf(buf, len, "%s: GET %s (--timeout %ld s, --stall-timeout "
		    "%ld s, --connect-timeout %ld s)", what, herr, h->timeout,
		    h->stall_timeout, h->connect_timeout);
	else
		snprintf(buf, len, "%s: GET %s", what, herr);
	return buf;
}

/* Section of RFC 8182 that says the file's hash must match. */
static const char *
hash_section(enum rrdp_kind kind)
{
	return kind == RRDP_SNAPSHOT ? "3.4.3" : "3.4.2";
}

static void
http_request(struct http_get *g, const struct sync_http *h, const char *url)
{
	memset(g, 0, sizeof(*g));
	g->url = url;
	g->ca_file = h->ca_file;
	g->connect_to = h->connect_to;
	g->user_agent = SYNC_USER_AGENT;
	g->connect_timeout = h->connect_timeout;
	g->timeout = h->timeout;
	g->stall_timeout = h->stall_timeout;
	g->decode = HTTP_DECODE_RAW_GZIP;
	g->max_redirects = MAX_HTTP_REDIRECTS;
}

int
sync_fetch_file(const struct sync_http *h, const struct sync_fetch *f,
    struct sync_fetch_stats *stats, enum sync_fault *fault, char *err,
    size_t errlen)
{
	struct http_get		 g;
	struct http_result	 res;
	struct pipe		 p;
	struct buf		 gzname;
	uint8_t			 got[RRDP_HASH_LEN];
	char			 herr[ERR_LEN], h1[65], h2[65];
	int			 r, rc = -1;

	memset(&p, 0, sizeof(p));
	memset(stats, 0, sizeof(*stats));
	p.http = h;
	p.f = f;
	p.stats = stats;
	p.xml.fd = p.gz.fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &p.t0);
	buf_init(&gzname);
	buf_printf(&gzname, "%s.gz", f->name);
	if (dir_create(f->dir) == -1) {
		pipe_fail(&p, SYNC_FAULT_LOCAL, "%s: cannot make the directory",
		    f->dir);
		goto out;
	}
	if (wfile_open(&p.xml, f->dir, f->name) == -1 ||
	    wfile_open(&p.gz, f->dir, buf_str(&gzname)) == -1) {
		pipe_fail(&p, SYNC_FAULT_LOCAL, "%s: %s", p.xml.err ?
		    p.xml.tmp : p.gz.tmp, strerror(p.xml.err ? p.xml.err :
		    p.gz.err));
		goto out;
	}
	p.content = rrdp_content_new(f->kind, f->session, f->serial, f->cb,
	    f->cbarg);
	stage_start(&p);
	http_request(&g, h, f->url);
	/* gzip adds a few bytes per 16 KB block to incompressible data. */
	g.max_bytes = f->max_size + f->max_size / 64 + 4096;
	g.on_begin = pipe_begin;
	g.on_data = pipe_data;
	g.on_progress = pipe_progress;
	g.arg = &p;
	r = http_get(&g, &res, herr, sizeof(herr));
	if (p.printed)
		fprintf(stderr, "\r\033[K");
	/* The parse stage's error, if any, is the cause of everything. */
	if (r == 0 && p.gunzip != NULL && sync_gunzip_finish(p.gunzip) == -1)
		pipe_fail(&p, SYNC_FAULT_GZIP, "%s (%s): %s", f->what, f->url,
		    sync_gunzip_error(p.gunzip));
	stage_stop(&p);
	if (p.stage.failed) {
		p.failed = 0;
		pipe_fail(&p, p.stage.fault, "%s", p.stage.err);
		goto out;
	}
	if (p.failed)
		goto out;
	if (r == 1) {
		pipe_fail(&p, SYNC_FAULT_HTTP, "%s: GET %s: 304 Not Modified "
		    "to an unconditional request", f->what, f->url);
		goto out;
	}
	if (r == -1) {
		if (res.fault == HTTP_FAULT_LIMIT)
			pipe_fail(&p, SYNC_FAULT_LIMIT, "%s (%s): larger than the "
			    "limit of %llu bytes (%s)", f->what, f->url,
			    (unsigned long long)f->max_size, limit_option(f));
		else if (res.fault != HTTP_FAULT_CALLER)
			pipe_fail(&p, http_fault(&res), "%s", http_reason(h,
			    f->what, &res, herr, err, errlen));
		goto out;
	}
	if (p.deflating && pipe_deflate(&p, NULL, 0, Z_FINISH) == -1)
		goto out;
	if (rrdp_content_finish(p.content, got) == -1) {
		pipe_fail(&p, SYNC_FAULT_XML, "%s (%s): %s", f->what, f->url,
		    rrdp_content_error(p.content));
		goto out;
	}
	if (memcmp(got, f->hash, RRDP_HASH_LEN) != 0) {
		hex_encode(h1, got, RRDP_HASH_LEN);
		hex_encode(h2, f->hash, RRDP_HASH_LEN);
		pipe_fail(&p, SYNC_FAULT_HASH, "RFC 8182 section %s: %s (%s) "
		    "has SHA-256 %s, the notification lists %s",
		    hash_section(f->kind), f->what, f->url, h1, h2);
		goto out;
	}
	if (wfile_close(&p.xml) == -1 || wfile_close(&p.gz) == -1) {
		pipe_fail(&p, SYNC_FAULT_LOCAL, "%s: %s", p.xml.err ?
		    p.xml.tmp : p.gz.tmp, strerror(p.xml.err ? p.xml.err :
		    p.gz.err));
		goto out;
	}
	/* The twin first: a file in place always has its twin. */
	if (rename(p.gz.tmp, p.gz.final) == -1) {
		pipe_fail(&p, SYNC_FAULT_LOCAL, "%s: rename: %s", p.gz.final,
		    strerror(errno));
		goto out;
	}
	if (rename(p.xml.tmp, p.xml.final) == -1) {
		pipe_fail(&p, SYNC_FAULT_LOCAL, "%s: rename: %s", p.xml.final,
		    strerror(errno));
		/* The twin renamed just now has no file beside it. */
		unlink(p.gz.final);
		goto out;
	}
	rc = 0;
 out:
	stage_stop(&p);
	if (rc == -1) {
		wfile_abandon(&p.xml);
		wfile_abandon(&p.gz);
		rmdir_empty(f->dir, 3);
		*fault = p.fault;
		snprintf(err, errlen, "%s", p.err);
	} else
		*fault = SYNC_FAULT_NONE;
	if (p.deflating)
		deflateEnd(&p.z);
	free(p.zbuf);
	sync_gunzip_free(p.gunzip);
	rrdp_content_free(p.content);
	wfile_free(&p.xml);
	wfile_free(&p.gz);
	buf_free(&gzname);
	return rc;
}

int
sync_parse_local(const char *path, const struct sync_fetch *f,
    enum sync_fault *fault, char *err, size_t errlen)
{
	uint8_t	got[RRDP_HASH_LEN];
	char	why[ERR_LEN], h1[65], h2[65];

	*fault = SYNC_FAULT_NONE;
	if (rrdp_content_parse_file(path, f->kind, f->session, f->serial,
	    f->cb, f->cbarg, got, why, sizeof(why)) == -1) {
		if (strstr(why, "processing of <") != NULL)
			snprintf(err, errlen, "%s", why);
		else {
			*fault = SYNC_FAULT_XML;
			snprintf(err, errlen, "%s (%s): %s", f->what, path, why);
		}
		return -1;
	}
	if (memcmp(got, f->hash, RRDP_HASH_LEN) != 0) {
		hex_encode(h1, got, RRDP_HASH_LEN);
		hex_encode(h2, f->hash, RRDP_HASH_LEN);
		*fault = SYNC_FAULT_HASH;
		snprintf(err, errlen, "RFC 8182 section %s: %s (%s) has SHA-256 "
		    "%s, the notification lists %s", hash_section(f->kind),
		    f->what, path, h1, h2);
		return -1;
	}
	return 0;
}

/* ---- the notification ---- */

struct nbody {
	struct buf		*out;
	uint64_t		 max;
	struct sync_gunzip	*gunzip;
	const struct sync_http	*http;
	int			 over;
	int			 stopped;
};

static int
nbody_add(void *arg, const uint8_t *d, size_t n)
{
	struct nbody	*b = arg;

	if (n > b->max - b->out->len) {
		b->over = 1;
		return -1;
	}
	buf_add(b->out, d, n);
	return 0;
}

static int
nbody_begin(void *arg, const struct http_result *res)
{
	struct nbody	*b = arg;

	if (res->gzip)
		b->gunzip = sync_gunzip_new(b->max, nbody_add, b);
	return 0;
}

static int
nbody_data(void *arg, const uint8_t *d, size_t n)
{
	struct nbody	*b = arg;

	if (b->gunzip == NULL)
		return nbody_add(b, d, n);
	return sync_gunzip_feed(b->gunzip, d, n);
}

static int
nbody_progress(void *arg, uint64_t now, int64_t total)
{
	struct nbody	*b = arg;

	(void)now;
	(void)total;
	if (b->http->stop != NULL && *b->http->stop) {
		b->stopped = 1;
		return -1;
	}
	return 0;
}

int
sync_fetch_notification(const struct sync_http *h, const char *url,
    const char *etag, const char *last_modified, uint64_t max,
    struct buf *out, struct http_result *res, enum sync_fault *fault,
    char *err, size_t errlen)
{
	struct http_get	 g;
	struct nbody	 b;
	char		 herr[ERR_LEN];
	int		 r, rc = -1;

	memset(&b, 0, sizeof(b));
	b.out = out;
	b.max = max;
	b.http = h;
	*fault = SYNC_FAULT_NONE;
	http_request(&g, h, url);
	g.if_none_match = etag;
	g.if_modified_since = last_modified;
	g.max_bytes = max + max / 64 + 4096;
	g.on_begin = nbody_begin;
	g.on_data = nbody_data;
	g.on_progress = nbody_progress;
	g.arg = &b;
	r = http_get(&g, res, herr, sizeof(herr));
	if (r == 1 && (etag == NULL || etag[0] == '\0') &&
	    (last_modified == NULL || last_modified[0] == '\0')) {
		/*
		 * A 304 answers a conditional request only (RFC 9110 section
		 * 15.4.5); to an unconditional one it names no copy this node
		 * holds.
		 */
		*fault = SYNC_FAULT_HTTP;
		snprintf(err, errlen, "notification: GET %s: 304 Not Modified "
		    "to an unconditional request", url);
		goto out;
	}
	if (r == 1) {
		rc = 1;
		goto out;
	}
	if (r == -1) {
		if (b.stopped) {
			*fault = SYNC_FAULT_STOPPED;
			snprintf(err, errlen, "notification: stopped by a signal");
		} else if (b.over || (b.gunzip != NULL &&
		    sync_gunzip_over_limit(b.gunzip)) ||
		    res->fault == HTTP_FAULT_LIMIT) {
			*fault = SYNC_FAULT_LIMIT;
			snprintf(err, errlen, "notification %s: larger than the "
			    "limit of %llu bytes (--max-notification-size)",
			    url, (unsigned long long)max);
		} else if (b.gunzip != NULL && res->fault == HTTP_FAULT_CALLER) {
			*fault = SYNC_FAULT_GZIP;
			snprintf(err, errlen, "notification %s: %s", url,
			    sync_gunzip_error(b.gunzip));
		} else {
			*fault = http_fault(res);
			http_reason(h, "notification", res, herr, err, errlen);
		}
		goto out;
	}
	if (b.gunzip != NULL && sync_gunzip_finish(b.gunzip) == -1) {
		*fault = SYNC_FAULT_GZIP;
		snprintf(err, errlen, "notification %s: %s", url,
		    sync_gunzip_error(b.gunzip));
		goto out;
	}
	rc = 0;
 out:
	sync_gunzip_free(b.gunzip);
	return rc;
}
