/*
 * The RRDP listener: rpkipubd's own HTTP(S) server for the RRDP
 * directory (RFC 8182), on an address of its own, apart from the RFC 8181
 * endpoint (publication-server BCP).  Read-only; it knows nothing of the
 * writer but the directory layout (http_rrdp.h).
 *
 * Threads: libmicrohttpd's epoll thread pool, one thread per CPU.  Every
 * request is answered in its first callback (there is no body to read).
 *
 * What it answers (RFC 9110, the publication-server BCP):
 *   400  any query string (BCP: CDNs would pass each one to the origin)
 *   405  methods other than GET and HEAD, with Allow
 *   404  any path outside the grammar of http_rrdp_path(), and missing files
 *   200  the file; gzip-encoded when the client accepts gzip: the .gz twin
 *        of a snapshot or delta (sent with sendfile), notification.xml
 *        compressed here once per version and kept in memory
 *   304  If-None-Match matches, or (without it) If-Modified-Since is not
 *        before the file's modification time
 * with ETag (different per encoding), Last-Modified, Vary: Accept-Encoding
 * and Cache-Control (one minute for notification.xml, immutable for the
 * rest).
 *
 * notification.xml is replaced by rename(2): each request stat(2)s it
 * and the cached version (content, gzip form, prepared responses) is
 * rebuilt when the inode, size or mtime differ.  Snapshot and delta files
 * never change, so they are opened per request (O_NOFOLLOW) and sent
 * from the file descriptor.
 */
#define _XOPEN_SOURCE 700	/* strptime */

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "bounds.h"
#include "buf.h"
#include "fileio.h"
#include "http_rrdp.h"
#include "log.h"
#include "metrics.h"
#include "pubd.h"
#include "xml.h"

/* One version of notification.xml and the responses prepared for it. */
struct rrdp_notif {
	atomic_uint		 refs;	/* the cache + each body response */
	dev_t			 dev;
	ino_t			 ino;
	off_t			 size;
	struct timespec		 mtime;
	int			 has_lm;	/* Last-Modified sent */
	uint8_t			*data;
	size_t			 len;
	uint8_t			*gz;
	size_t			 gzlen;
	char			 etag[48];
	char			 etag_gz[48];
	struct MHD_Response	*ok;		/* 200, identity */
	struct MHD_Response	*ok_gz;		/* 200, gzip */
	struct MHD_Response	*nm;		/* 304, identity */
	struct MHD_Response	*nm_gz;		/* 304, gzip */
};

struct http_rrdp {
	struct MHD_Daemon	*mhd;
	const struct config	*cfg;
	char			*dir;		/* the RRDP directory */
	char			*notif_path;
	const char		*base;		/* URL path, ends in '/' */
	size_t			 baselen;
	char			*tls_cert;	/* PEM text */
	char			*tls_key;
	pthread_mutex_t		 lock;		/* notif */
	struct rrdp_notif	*notif;
	/* Fixed answers, shared by all connections. */
	struct MHD_Response	*bad_request;
	struct MHD_Response	*not_found;
	struct MHD_Response	*bad_method;
	struct MHD_Response	*internal;
};

/*
 * Per-request state without allocation: http_rrdp_uri() points *con_cls
 * at one of these, the handler's first call moves it to the "seen" twin.
 */
enum http_rrdp_mark {
	MARK_NEW,		/* headers arrived */
	MARK_NEW_QUERY,		/* ... and the raw URI has a '?' */
	MARK_SEEN,		/* first call done: answer now */
	MARK_SEEN_QUERY,
	MARK_COUNT
};
static char	http_rrdp_marks[MARK_COUNT];

static int
http_rrdp_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
http_rrdp_is_hex(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (http_rrdp_hex((unsigned char)s[i]) == -1)
			return 0;
	return 1;
}

/* 8-4-4-4-12 hex digits: the session_id (RFC 8182 section 3.5.1.3). */
static int
http_rrdp_is_uuid(const char *s, size_t n)
{
	static const size_t	dash[] = { 8, 13, 18, 23 };
	size_t			i, d = 0;

	if (n != 36)
		return 0;
	for (i = 0; i < n; i++) {
		if (d < 4 && i == dash[d]) {
			if (s[i] != '-')
				return 0;
			d++;
		} else if (http_rrdp_hex((unsigned char)s[i]) == -1)
			return 0;
	}
	return 1;
}

enum rrdp_path
http_rrdp_path(const char *rel)
{
	const char	*p = rel, *e;
	size_t		 n;

	if (strcmp(rel, RRDP_NOTIFICATION_FILE) == 0)
		return RRDP_PATH_NOTIFICATION;
	/* <session>/ */
	if ((e = strchr(p, '/')) == NULL ||
	    !http_rrdp_is_uuid(p, (size_t)(e - p)))
		return RRDP_PATH_NONE;
	/* <serial>/: positive, no leading zero */
	p = e + 1;
	if ((e = strchr(p, '/')) == NULL)
		return RRDP_PATH_NONE;
	n = (size_t)(e - p);
	if (n == 0 || n > RRDP_SERIAL_DIGITS_MAX || p[0] == '0' ||
	    strspn(p, "0123456789") != n)
		return RRDP_PATH_NONE;
	/* <random>/ */
	p = e + 1;
	if ((e = strchr(p, '/')) == NULL)
		return RRDP_PATH_NONE;
	n = (size_t)(e - p);
	if (n < RRDP_RANDOM_HEX_MIN || n > RRDP_RANDOM_HEX_MAX ||
	    !http_rrdp_is_hex(p, n))
		return RRDP_PATH_NONE;
	p = e + 1;
	if (strcmp(p, "snapshot.xml") == 0 || strcmp(p, "delta.xml") == 0)
		return RRDP_PATH_IMMUTABLE;
	return RRDP_PATH_NONE;
}

/*
 * A qvalue (RFC 9110 section 12.4.2) in thousandths, or -1 if malformed.
 * s points after "q=", n bytes long.
 */
static int
http_rrdp_qvalue(const char *s, size_t n)
{
	int	v, scale = 100;
	size_t	i;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	v = (s[0] - '0') * 1000;
	if (n == 1)
		return v;
	if (s[1] != '.' || n > 5)
		return -1;
	for (i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v += (s[i] - '0') * scale;
	}
	return v > 1000 ? -1 : v;
}

int
http_rrdp_accepts_gzip(const char *ae)
{
	const char	*p, *end, *semi, *q;
	size_t		 n, tlen;
	int		 gzip_q = -1, star_q = -1, qv;

	if (ae == NULL)
		return 0;	/* no preference: identity (RFC 9110 12.5.3) */
	for (p = ae; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		end = p + strcspn(p, ",");
		p += strspn(p, " \t");
		n = (size_t)(end - p);
		semi = memchr(p, ';', n);
		tlen = (size_t)((semi != NULL ? semi : end) - p);
		while (tlen > 0 && (p[tlen - 1] == ' ' || p[tlen - 1] == '\t'))
			tlen--;
		qv = 1000;
		/* Parameters: only q counts; the last q wins. */
		while (semi != NULL) {
			q = semi + 1 + strspn(semi + 1, " \t");
			semi = memchr(q, ';', (size_t)(end - q));
			n = (size_t)((semi != NULL ? semi : end) - q);
			while (n > 0 && (q[n - 1] == ' ' || q[n - 1] == '\t'))
				n--;
			if (n >= 2 && (q[0] == 'q' || q[0] == 'Q') &&
			    q[1] == '=')
				qv = http_rrdp_qvalue(q + 2, n - 2);
		}
		if (qv < 0)
			continue;	/* malformed: ignore the element */
		if ((tlen == 4 && strncasecmp(p, "gzip", 4) == 0) ||
		    (tlen == 6 && strncasecmp(p, "x-gzip", 6) == 0))
			gzip_q = gzip_q < 0 || qv > gzip_q ? qv : gzip_q;
		else if (tlen == 1 && p[0] == '*')
			star_q = qv;
	}
	if (gzip_q >= 0)
		return gzip_q > 0;
	return star_q > 0;
}

int
http_rrdp_etag_match(const char *inm, const char *etag)
{
	const char	*p = inm, *close;
	size_t		 elen;

	if (inm == NULL)
		return 0;
	if (strncmp(etag, "W/", 2) == 0)
		etag += 2;
	elen = strlen(etag);
	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return 0;
		if (*p == '*') {
			/* "*" alone: any current representation. */
			p++;
			p += strspn(p, " \t");
			return *p == '\0' || *p == ',';
		}
		/* Weak comparison: the W/ prefix does not count. */
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"' || (close = strchr(p + 1, '"')) == NULL)
			return 0;	/* malformed: no match */
		if ((size_t)(close + 1 - p) == elen &&
		    memcmp(p, etag, elen) == 0)
			return 1;
		p = close + 1;
		p += strspn(p, " \t");
		if (*p != ',' && *p != '\0')
			return 0;
	}
}

int
http_rrdp_parse_date(const char *s, time_t *t)
{
	/* IMF-fixdate, RFC 850, asctime (RFC 9110 section 5.6.7). */
	static const char *const formats[] = {
		"%a, %d %b %Y %H:%M:%S GMT",
		"%A, %d-%b-%y %H:%M:%S GMT",
		"%a %b %e %H:%M:%S %Y",
	};
	struct tm	 tm;
	const char	*end;
	size_t		 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, formats[i], &tm);
		if (end == NULL)
			continue;
		end += strspn(end, " \t");
		if (*end != '\0')
			continue;
		*t = timegm(&tm);
		return *t == (time_t)-1 ? -1 : 0;
	}
	return -1;
}

/* An IMF-fixdate (RFC 9110 section 5.6.7) into dst (at least 30). */
static void
http_rrdp_date(char *dst, size_t len, time_t t)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(dst, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/*
 * The RRDP paths need no percent-escapes.  Decode only the ones that
 * stand for unreserved characters, which RFC 3986 section 6.2.2.2 makes
 * equivalent to the character itself; leave any other escape as it is,
 * so "%2f", "%00" or a malformed escape fails the path grammar (404)
 * instead of becoming a separator or ending the string early.
 */
static size_t
http_rrdp_unescape(void *cls, struct MHD_Connection *con, char *s)
{
	char	*r = s, *w = s;
	int	 hi, lo, c;

	for (; *r != '\0'; r++) {
		if (r[0] == '%' && (hi = http_rrdp_hex((unsigned char)r[1])) !=
		    -1 && (lo = http_rrdp_hex((unsigned char)r[2])) != -1) {
			c = hi * 16 + lo;
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			    c == '_' || c == '~') {
				*w++ = (char)c;
				r += 2;
				continue;
			}
		}
		*w++ = *r;
	}
	*w = '\0';
	return (size_t)(w - s);
}

/*
 * Called with the raw request target, before libmicrohttpd splits off
 * the query: a '?' anywhere (even with nothing after it) marks the
 * request for a 400.
 */
static void *
http_rrdp_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
	return &http_rrdp_marks[strchr(uri, '?') != NULL ? MARK_NEW_QUERY :
	    MARK_NEW];
}

/* libmicrohttpd's own messages, through our log (printf-like). */
static void	http_rrdp_mhd_log(void *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
http_rrdp_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	msg[512];
	size_t	n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warn("RRDP listener: %s", msg);
}

/* One log line for a refused or failed request. */
static void
http_rrdp_log(struct MHD_Connection *con, unsigned int status,
    const char *method, const char *url, const char *why)
{
	const union MHD_ConnectionInfo	*ci;
	char				 peer[64] = "?", m[16], u[128];

	ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL) {
		if (ci->client_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)
			    (const void *)ci->client_addr)->sin_addr, peer,
			    sizeof(peer));
		else if (ci->client_addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
			    (const void *)ci->client_addr)->sin6_addr, peer,
			    sizeof(peer));
	}
	log_warn("RRDP: %s %s from %s: HTTP %u: %s",
	    xml_printable(m, sizeof(m), method), xml_printable(u, sizeof(u),
	    url), peer, status, why);
}

/* Queue a response and count it; bytes is the body size (0 for HEAD). */
static enum MHD_Result
http_rrdp_queue(struct MHD_Connection *con, unsigned int status,
    struct MHD_Response *r, size_t bytes)
{
	metrics_rrdp(status, bytes);
	return MHD_queue_response(con, status, r);
}

static enum MHD_Result
http_rrdp_refuse(struct MHD_Connection *con, unsigned int status,
    struct MHD_Response *r, const char *method, const char *url,
    const char *why)
{
	http_rrdp_log(con, status, method, url, why);
	return http_rrdp_queue(con, status, r, 0);
}

/* Headers every RRDP answer about a file carries. */
static void
http_rrdp_headers(struct MHD_Response *r, const char *etag, const char *lm,
    const char *cache, int gz)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	if (lm != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, lm);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
	/* Caches must key on the encoding (RFC 9110 section 12.5.5). */
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
		    "gzip");
}

static void
http_rrdp_body_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    RRDP_HTTP_CONTENT_TYPE);
}

static void
notif_release(struct rrdp_notif *n)
{
	if (n == NULL || atomic_fetch_sub(&n->refs, 1) != 1)
		return;
	free(n->data);
	free(n->gz);
	free(n);
}

/* libmicrohttpd is done with a body response of n. */
static void
notif_response_freed(void *cls)
{
	notif_release(cls);
}

/*
 * The cache lets go of n: its prepared responses go when the last
 * connection sending one is done, its buffers when all of them went.
 */
static void
notif_drop(struct rrdp_notif *n)
{
	if (n == NULL)
		return;
	if (n->ok != NULL)
		MHD_destroy_response(n->ok);
	if (n->ok_gz != NULL)
		MHD_destroy_response(n->ok_gz);
	if (n->nm != NULL)
		MHD_destroy_response(n->nm);
	if (n->nm_gz != NULL)
		MHD_destroy_response(n->nm_gz);
	notif_release(n);
}

/* gzip (RFC 1952) of in; a new buffer in *out.  0 or -1. */
static int
notif_gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
	z_stream	 z;
	uint8_t		*buf = NULL;
	uLong		 cap;
	int		 rc = -1;

	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip header and trailer. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -1;
	cap = deflateBound(&z, (uLong)len) + 32;
	buf = xmalloc(cap);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		goto out;
	*outlen = z.total_out;
	*out = buf;
	buf = NULL;
	rc = 0;
 out:
	deflateEnd(&z);
	free(buf);
	return rc;
}

/*
 * Read notification.xml (already open as fd, fstat'ed as sb) and prepare
 * its answers.  NULL with a logged reason.
 */
static struct rrdp_notif *
notif_load(struct http_rrdp *s, int fd, const struct stat *sb)
{
	struct rrdp_notif	*n;
	struct buf		 b;
	uint8_t			 md[EVP_MAX_MD_SIZE];
	char			 lm[40], hex[33];
	unsigned int		 mdlen;
	ssize_t			 r;
	size_t			 i;

	if ((uint64_t)sb->st_size > MAX_RRDP_NOTIFICATION_SIZE) {
		log_err("%s: larger than %u bytes", s->notif_path,
		    (unsigned int)MAX_RRDP_NOTIFICATION_SIZE);
		return NULL;
	}
	n = xcalloc(1, sizeof(*n));
	atomic_init(&n->refs, 1);
	n->dev = sb->st_dev;
	n->ino = sb->st_ino;
	n->size = sb->st_size;
	n->mtime = sb->st_mtim;
	buf_init(&b);
	buf_reserve(&b, (size_t)sb->st_size + 1);
	for (;;) {
		buf_reserve(&b, 65536);
		r = read(fd, b.data + b.len, 65536);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_err("%s: %s", s->notif_path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
		if (b.len > MAX_RRDP_NOTIFICATION_SIZE) {
			log_err("%s: grew past %u bytes", s->notif_path,
			    (unsigned int)MAX_RRDP_NOTIFICATION_SIZE);
			goto fail;
		}
	}
	n->data = buf_release(&b, &n->len);
	if (notif_gzip(n->data, n->len, &n->gz, &n->gzlen) == -1) {
		log_err("%s: gzip failed", s->notif_path);
		goto fail;
	}
	/*
	 * The ETag is a digest of the content: it changes exactly when the
	 * content does, and edge nodes holding the same file agree on it.
	 */
	if (EVP_Digest(n->data, n->len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatalx("EVP_Digest failed");
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(n->etag, sizeof(n->etag), "\"%s\"", hex);
	snprintf(n->etag_gz, sizeof(n->etag_gz), "\"%s-gz\"", hex);
	/*
	 * Last-Modified has one-second resolution: while the file is from
	 * the current second it may be replaced again within that second,
	 * and a client holding that date would then get a wrong 304.
	 * Leave it out until the second has passed (RFC 9110 section
	 * 8.8.2.2: such a date is not a usable validator).
	 */
	n->has_lm = time(NULL) > n->mtime.tv_sec;
	if (n->has_lm)
		http_rrdp_date(lm, sizeof(lm), n->mtime.tv_sec);

	atomic_fetch_add(&n->refs, 2);	/* one per body response */
	n->ok = MHD_create_response_from_buffer_with_free_callback_cls(n->len,
	    n->data, notif_response_freed, n);
	n->ok_gz = MHD_create_response_from_buffer_with_free_callback_cls(
	    n->gzlen, n->gz, notif_response_freed, n);
	n->nm = MHD_create_response_from_buffer(0, NULL,
	    MHD_RESPMEM_PERSISTENT);
	n->nm_gz = MHD_create_response_from_buffer(0, NULL,
	    MHD_RESPMEM_PERSISTENT);
	if (n->ok == NULL)
		notif_release(n);
	if (n->ok_gz == NULL)
		notif_release(n);
	if (n->ok == NULL || n->ok_gz == NULL || n->nm == NULL ||
	    n->nm_gz == NULL) {
		log_err("%s: cannot create responses", s->notif_path);
		notif_drop(n);
		return NULL;
	}
	http_rrdp_headers(n->ok, n->etag, n->has_lm ? lm : NULL,
	    RRDP_HTTP_CACHE_NOTIFICATION, 0);
	http_rrdp_body_headers(n->ok);
	http_rrdp_headers(n->ok_gz, n->etag_gz, n->has_lm ? lm : NULL,
	    RRDP_HTTP_CACHE_NOTIFICATION, 1);
	http_rrdp_body_headers(n->ok_gz);
	/* A 304 carries the validators and caching headers of the 200. */
	http_rrdp_headers(n->nm, n->etag, n->has_lm ? lm : NULL,
	    RRDP_HTTP_CACHE_NOTIFICATION, 0);
	http_rrdp_headers(n->nm_gz, n->etag_gz, n->has_lm ? lm : NULL,
	    RRDP_HTTP_CACHE_NOTIFICATION, 1);
	return n;
 fail:
	buf_free(&b);
	notif_release(n);
	return NULL;
}

/* Is cached version n still the file that sb describes? */
static int
notif_current(const struct rrdp_notif *n, const struct stat *sb)
{
	if (n == NULL || n->dev != sb->st_dev || n->ino != sb->st_ino ||
	    n->size != sb->st_size || n->mtime.tv_sec != sb->st_mtim.tv_sec ||
	    n->mtime.tv_nsec != sb->st_mtim.tv_nsec)
		return 0;
	/* Prepared without Last-Modified: re-prepare once it is safe. */
	return n->has_lm || time(NULL) <= n->mtime.tv_sec;
}

/* Does the request's If-Modified-Since allow a 304 for mtime? */
static int
http_rrdp_not_modified_since(struct MHD_Connection *con, time_t mtime)
{
	time_t	ims;

	if (http_rrdp_parse_date(MHD_lookup_connection_value(con,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE), &ims) == -1)
		return 0;
	return mtime <= ims;
}

static enum MHD_Result
http_rrdp_notification(struct http_rrdp *s, struct MHD_Connection *con,
    const char *method, const char *url, int gz, int head)
{
	struct rrdp_notif	*n;
	struct stat		 sb;
	struct MHD_Response	*r;
	const char		*inm;
	enum MHD_Result		 ret;
	unsigned int		 status;
	size_t			 bytes;
	int			 fd = -1, e;

	/* lstat: a link has an inode of its own, and open() refuses it. */
	if (lstat(s->notif_path, &sb) == -1) {
		e = errno;
		if (e == ENOENT)
			return http_rrdp_refuse(con, MHD_HTTP_NOT_FOUND,
			    s->not_found, method, url, "no notification.xml "
			    "(yet)");
		return http_rrdp_refuse(con, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    s->internal, method, url, strerror(e));
	}
	pthread_mutex_lock(&s->lock);
	if (!notif_current(s->notif, &sb)) {
		/* Changed (or first use): load the file the name now has. */
		if ((fd = open(s->notif_path, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC)) == -1 || fstat(fd, &sb) == -1 ||
		    !S_ISREG(sb.st_mode)) {
			e = fd != -1 && !S_ISREG(sb.st_mode) ? 0 : errno;
			pthread_mutex_unlock(&s->lock);
			if (fd != -1)
				close(fd);
			if (e == ENOENT || e == ELOOP || e == 0)
				return http_rrdp_refuse(con,
				    MHD_HTTP_NOT_FOUND, s->not_found, method,
				    url, "notification.xml is not a regular "
				    "file");
			return http_rrdp_refuse(con,
			    MHD_HTTP_INTERNAL_SERVER_ERROR, s->internal,
			    method, url, strerror(e));
		}
		if (!notif_current(s->notif, &sb)) {
			n = notif_load(s, fd, &sb);
			if (n == NULL) {
				pthread_mutex_unlock(&s->lock);
				close(fd);
				return http_rrdp_refuse(con,
				    MHD_HTTP_INTERNAL_SERVER_ERROR,
				    s->internal, method, url,
				    "cannot load notification.xml");
			}
			notif_drop(s->notif);
			s->notif = n;
		}
		close(fd);
	}
	n = s->notif;
	/* RFC 9110 section 13.2.2: If-None-Match, if present, decides. */
	inm = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm != NULL ? http_rrdp_etag_match(inm, gz ? n->etag_gz :
	    n->etag) : n->has_lm &&
	    http_rrdp_not_modified_since(con, n->mtime.tv_sec)) {
		status = MHD_HTTP_NOT_MODIFIED;
		r = gz ? n->nm_gz : n->nm;
		bytes = 0;
	} else {
		status = MHD_HTTP_OK;
		r = gz ? n->ok_gz : n->ok;
		bytes = head ? 0 : gz ? n->gzlen : n->len;
	}
	/* Queued under the lock: a replacing thread would destroy r. */
	ret = http_rrdp_queue(con, status, r, bytes);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* A snapshot or delta file: rel passed http_rrdp_path(). */
static enum MHD_Result
http_rrdp_file(struct http_rrdp *s, struct MHD_Connection *con,
    const char *method, const char *url, const char *rel, int gz, int head)
{
	struct MHD_Response	*r = NULL;
	struct stat		 sb;
	const char		*inm;
	char			 path[PATH_MAX], etag[64], lm[40];
	enum MHD_Result		 ret;
	unsigned int		 status;
	int			 fd = -1, n, e;

	/* Prefer the writer's .gz twin; a missing twin means identity. */
	n = snprintf(path, sizeof(path), "%s/%s%s", s->dir, rel,
	    gz ? RRDP_GZ_SUFFIX : "");
	if (n < 0 || (size_t)n >= sizeof(path))
		return http_rrdp_refuse(con, MHD_HTTP_NOT_FOUND, s->not_found,
		    method, url, "path too long");
	/* O_NOFOLLOW: never serve through a symbolic link. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && gz && errno == ENOENT) {
		gz = 0;
		path[strlen(path) - strlen(RRDP_GZ_SUFFIX)] = '\0';
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd == -1) {
		e = errno;
		if (e == ENOENT || e == ENOTDIR || e == ELOOP)
			return http_rrdp_refuse(con, MHD_HTTP_NOT_FOUND,
			    s->not_found, method, url, "no such file");
		return http_rrdp_refuse(con, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    s->internal, method, url, strerror(e));
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return http_rrdp_refuse(con, MHD_HTTP_NOT_FOUND, s->not_found,
		    method, url, "not a regular file");
	}
	/*
	 * The file never changes at this path, so modification time and
	 * size identify it (nginx's form, with a suffix for the .gz twin
	 * so the two encodings never share a tag).
	 */
	snprintf(etag, sizeof(etag), "\"%llx-%llx%s\"",
	    (unsigned long long)sb.st_mtim.tv_sec,
	    (unsigned long long)sb.st_size, gz ? "-gz" : "");
	http_rrdp_date(lm, sizeof(lm), sb.st_mtim.tv_sec);
	inm = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm != NULL ? http_rrdp_etag_match(inm, etag) :
	    http_rrdp_not_modified_since(con, sb.st_mtim.tv_sec)) {
		close(fd);
		fd = -1;
		status = MHD_HTTP_NOT_MODIFIED;
		r = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
	} else {
		status = MHD_HTTP_OK;
		/* sendfile(2) on plain connections; MHD closes fd. */
		r = MHD_create_response_from_fd64((uint64_t)sb.st_size, fd);
		if (r != NULL)
			fd = -1;
	}
	if (r == NULL) {
		if (fd != -1)
			close(fd);
		return http_rrdp_refuse(con, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    s->internal, method, url, "cannot create a response");
	}
	http_rrdp_headers(r, etag, lm, RRDP_HTTP_CACHE_IMMUTABLE, gz);
	if (status == MHD_HTTP_OK)
		http_rrdp_body_headers(r);
	ret = http_rrdp_queue(con, status, r, status == MHD_HTTP_OK && !head ?
	    (size_t)sb.st_size : 0);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
http_rrdp_handler(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct http_rrdp	*s = cls;
	const char		*rel;
	char			*mark = *con_cls;
	int			 head, gz;

	/*
	 * Answer in the second call, once libmicrohttpd has taken the
	 * (empty) body: a response queued before that makes it close the
	 * connection, and relying parties and caches keep connections
	 * alive.  A body sent with GET is read and dropped.
	 */
	if (mark == &http_rrdp_marks[MARK_NEW] ||
	    mark == &http_rrdp_marks[MARK_NEW_QUERY]) {
		*con_cls = mark + (MARK_SEEN - MARK_NEW);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	/* Publication-server BCP: block requests with query parameters. */
	if (mark == &http_rrdp_marks[MARK_SEEN_QUERY])
		return http_rrdp_refuse(con, MHD_HTTP_BAD_REQUEST,
		    s->bad_request, method, url, "query string");
	head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return http_rrdp_refuse(con, MHD_HTTP_METHOD_NOT_ALLOWED,
		    s->bad_method, method, url, "method not allowed");
	if (strncmp(url, s->base, s->baselen) != 0)
		return http_rrdp_refuse(con, MHD_HTTP_NOT_FOUND, s->not_found,
		    method, url, "outside the RRDP path");
	rel = url + s->baselen;
	gz = http_rrdp_accepts_gzip(MHD_lookup_connection_value(con,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
	switch (http_rrdp_path(rel)) {
	case RRDP_PATH_NOTIFICATION:
		return http_rrdp_notification(s, con, method, url, gz, head);
	case RRDP_PATH_IMMUTABLE:
		return http_rrdp_file(s, con, method, url, rel, gz, head);
	case RRDP_PATH_NONE:
		break;
	}
	return http_rrdp_refuse(con, MHD_HTTP_NOT_FOUND, s->not_found, method,
	    url, "not an RRDP file name");
}

/*
 * Every RRDP connection may hold two descriptors (its socket and the file
 * it sends), beside the RFC 8181 listener's connections and the store:
 * raise the soft descriptor limit towards that (often 1024 by default),
 * as far as the hard limit allows, and say so when it falls short.
 */
static void
http_rrdp_fd_limit(void)
{
	struct rlimit	rl;
	rlim_t		want = 2 * (rlim_t)MAX_RRDP_CONNECTIONS +
			    (rlim_t)MAX_CONNECTIONS + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur < want)
		log_warn("RRDP: open files limited to %llu, fewer than the %llu "
		    "that %u RRDP connections may need",
		    (unsigned long long)rl.rlim_cur, (unsigned long long)want,
		    (unsigned int)MAX_RRDP_CONNECTIONS);
}

/* A fixed text/plain answer shared by every connection. */
static struct MHD_Response *
http_rrdp_fixed(const char *text)
{
	struct MHD_Response	*r;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		fatalx("MHD_create_response_from_buffer failed");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	return r;
}

struct http_rrdp *
http_rrdp_start(const struct config *cfg)
{
	struct http_rrdp	*s;
	struct buf		 b;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	char			*path;
	unsigned int		 flags, threads;
	long			 ncpu;
	int			 tls;

	s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->cfg = cfg;
	s->dir = config_resolve(cfg, cfg->rrdp_dir);
	buf_init(&b);
	buf_printf(&b, "%s/%s", s->dir, RRDP_NOTIFICATION_FILE);
	s->notif_path = xstrdup(buf_str(&b));
	buf_free(&b);
	s->base = config_rrdp_path(cfg);
	s->baselen = strlen(s->base);
	s->bad_request = http_rrdp_fixed("query strings are not served "
	    "(publication-server BCP)\n");
	s->not_found = http_rrdp_fixed("not found\n");
	s->bad_method = http_rrdp_fixed("only GET and HEAD\n");
	MHD_add_response_header(s->bad_method, MHD_HTTP_HEADER_ALLOW,
	    RRDP_HTTP_ALLOW);
	s->internal = http_rrdp_fixed("internal error\n");

	if (config_parse_addr(cfg->rrdp_listen, &ss, &sl) == -1) {
		log_err("rrdp_listen: \"%s\" is not ADDR:PORT",
		    cfg->rrdp_listen);
		goto fail;
	}
	tls = cfg->rrdp_tls_cert[0] != '\0';
	if (tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			log_err("rrdp_tls_cert: this libmicrohttpd has no TLS "
			    "support");
			goto fail;
		}
		path = config_resolve(cfg, cfg->rrdp_tls_cert);
		s->tls_cert = file_read(path, MAX_TLS_PEM_SIZE, NULL);
		free(path);
		path = config_resolve(cfg, cfg->rrdp_tls_key);
		s->tls_key = file_read(path, MAX_TLS_PEM_SIZE, NULL);
		free(path);
		if (s->tls_cert == NULL || s->tls_key == NULL)
			goto fail;
	}
	http_rrdp_fd_limit();
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	threads = ncpu < 1 ? 1 : ncpu > MAX_RRDP_THREADS ? MAX_RRDP_THREADS :
	    (unsigned int)ncpu;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
		flags |= MHD_USE_EPOLL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, http_rrdp_handler, s,
	    MHD_OPTION_EXTERNAL_LOGGER, http_rrdp_mhd_log, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_RRDP_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)MAX_RRDP_CONNECTIONS_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)RRDP_HTTP_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)MAX_RRDP_CONNECTION_MEMORY,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)RRDP_LISTEN_BACKLOG,
	    MHD_OPTION_URI_LOG_CALLBACK, http_rrdp_uri, s,
	    MHD_OPTION_UNESCAPE_CALLBACK, http_rrdp_unescape, s,
	    /* Without TLS the list ends here. */
	    tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->tls_cert,
	    MHD_OPTION_HTTPS_MEM_KEY, s->tls_key,
	    MHD_OPTION_HTTPS_PRIORITIES,
	    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	    MHD_OPTION_END);
	if (s->mhd == NULL) {
		log_err("cannot listen on %s for RRDP%s", cfg->rrdp_listen,
		    tls ? " (or the TLS certificate and key do not load)" :
		    "");
		goto fail;
	}
	log_info("RRDP: serving %s at %s%s on %s (%s, %u threads)", s->dir,
	    cfg->rrdp_base, RRDP_NOTIFICATION_FILE, cfg->rrdp_listen,
	    tls ? "https" : "http", threads);
	return s;
 fail:
	http_rrdp_stop(s);
	return NULL;
}

void
http_rrdp_stop(struct http_rrdp *s)
{
	if (s == NULL)
		return;
	if (s->mhd != NULL)
		MHD_stop_daemon(s->mhd);
	notif_drop(s->notif);
	if (s->bad_request != NULL)
		MHD_destroy_response(s->bad_request);
	if (s->not_found != NULL)
		MHD_destroy_response(s->not_found);
	if (s->bad_method != NULL)
		MHD_destroy_response(s->bad_method);
	if (s->internal != NULL)
		MHD_destroy_response(s->internal);
	free(s->dir);
	free(s->notif_path);
	free(s->tls_cert);
	free(s->tls_key);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
