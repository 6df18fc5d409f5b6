/*
 * Repository verification (see verify.h for the list of checks).
 *
 * The order of work: read and parse notification.xml; check every URI's
 * origin and map it to a file; parse the current snapshot into a map
 * URI -> SHA-256 of the object ("cur"); if the delta chain is
 * contiguous, load the snapshot it starts from (when still on disk)
 * into a second map ("state") and apply each delta to it as it streams,
 * oldest first; compare state with cur; then compare the rsync tree
 * with cur.  Every file is read once, by the streaming parser, which
 * hashes it on the way.  Each problem is one line on the report; the
 * count is the result.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "bounds.h"
#include "buf.h"
#include "encoding.h"
#include "fileio.h"
#include "log.h"
#include "rrdp_content.h"
#include "rrdp_notification.h"
#include "verify.h"
#include "xml.h"

/* Problem lines printed; later problems are still counted. */
#define VERIFY_MAX_LINES	500
/* Directory depth walked in the rsync tree. */
#define VERIFY_MAX_DEPTH	64
#define IO_CHUNK		(64 * 1024)
#define ORIGIN_LEN		(MAX_URI_LENGTH + 1)

/* One URI (or rsync path) and the SHA-256 of its object. */
struct obj {
	char	*key;
	uint8_t	 hash[RRDP_HASH_LEN];
	uint8_t	 present;	/* 0: withdrawn (replay state only) */
	uint8_t	 seen;		/* found in the rsync tree */
};

/* Open addressing, linear probing, at most 1/2 full. */
struct omap {
	struct obj	*slots;
	size_t		 cap;
	size_t		 count;
};

struct verify {
	FILE				*report;
	const char			*rrdp_dir;
	int				 problems;
	int				 printed;
	struct rrdp_notification	 n;
	char				*base;		/* URI prefix of files */
	struct omap			 cur;		/* current snapshot */
	struct omap			 state;		/* replay */
	struct omap			 touched;	/* URIs of one delta */
	int				 have_base;	/* state is complete */
	int				 replay;	/* deltas go to state */
	int64_t				 delta_serial;	/* being read */
	int				 quiet;		/* count, do not report */
	int				 quiet_count;
	struct omap			 next;		/* unannounced serial */
};

static void	problem(struct verify *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
problem(struct verify *v, const char *fmt, ...)
{
	va_list	ap;

	if (v->quiet) {
		v->quiet_count++;
		return;
	}
	v->problems++;
	if (v->printed > VERIFY_MAX_LINES)
		return;
	if (v->printed++ == VERIFY_MAX_LINES) {
		fprintf(v->report, "problem: more problems, not printed\n");
		return;
	}
	fputs("problem: ", v->report);
	va_start(ap, fmt);
	vfprintf(v->report, fmt, ap);
	va_end(ap);
	fputc('\n', v->report);
}

static char	*str_fmt(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* A formatted string the caller frees (paths, mostly). */
static char *
str_fmt(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("str_fmt: vsnprintf failed");
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static uint64_t
str_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ull;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static struct obj *
omap_find(const struct omap *m, const char *key)
{
	size_t	i;

	if (m->cap == 0)
		return NULL;
	for (i = str_hash(key) & (m->cap - 1); m->slots[i].key != NULL;
	    i = (i + 1) & (m->cap - 1))
		if (strcmp(m->slots[i].key, key) == 0)
			return &m->slots[i];
	return NULL;
}

static void
omap_grow(struct omap *m)
{
	struct obj	*old = m->slots;
	size_t		 oldcap = m->cap, i, j;

	m->cap = oldcap ? oldcap * 2 : 1024;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		for (j = str_hash(old[i].key) & (m->cap - 1);
		    m->slots[j].key != NULL; j = (j + 1) & (m->cap - 1))
			;
		m->slots[j] = old[i];
	}
	free(old);
}

/* Find key, or add it (zeroed); *created says which. */
static struct obj *
omap_add(struct omap *m, const char *key, int *created)
{
	struct obj	*o;
	size_t		 i;

	if ((o = omap_find(m, key)) != NULL) {
		*created = 0;
		return o;
	}
	if ((m->count + 1) * 2 > m->cap)
		omap_grow(m);
	for (i = str_hash(key) & (m->cap - 1); m->slots[i].key != NULL;
	    i = (i + 1) & (m->cap - 1))
		;
	o = &m->slots[i];
	o->key = xstrdup(key);
	m->count++;
	*created = 1;
	return o;
}

static void
omap_free(struct omap *m)
{
	size_t	i;

	for (i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static void
sha256(const uint8_t *data, size_t len, uint8_t out[RRDP_HASH_LEN])
{
	unsigned int	mdlen;

	if (EVP_Digest(data, len, out, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != RRDP_HASH_LEN)
		fatalx("verify: SHA-256 failed");
}

static const char *
hexstr(char out[2 * RRDP_HASH_LEN + 1], const uint8_t hash[RRDP_HASH_LEN])
{
	hex_encode(out, hash, RRDP_HASH_LEN);
	return out;
}

/*
 * SHA-256 and size of a whole file.  Returns 0, or -1 with errno's
 * reason in err.
 */
static int
file_digest(const char *path, uint8_t hash[RRDP_HASH_LEN], uint64_t *size,
    char *err, size_t errlen)
{
	EVP_MD_CTX	*md;
	uint8_t		*chunk;
	ssize_t		 n;
	uint64_t	 total = 0;
	unsigned int	 mdlen;
	int		 fd, rc = -1;

	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatalx("verify: SHA-256 set-up failed");
	chunk = xmalloc(IO_CHUNK);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto out;
	}
	for (;;) {
		if ((n = read(fd, chunk, IO_CHUNK)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(md, chunk, (size_t)n) != 1)
			fatalx("verify: SHA-256 failed");
		total += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(md, hash, &mdlen) != 1)
		fatalx("verify: SHA-256 failed");
	*size = total;
	rc = 0;
 out:
	if (fd != -1)
		close(fd);
	free(chunk);
	EVP_MD_CTX_free(md);
	return rc;
}

/*
 * Decompress the gzip file gzpath (one or more members, nothing else)
 * and compare it with the file it is the twin of: SHA-256 want, size
 * want_size.  Stops as soon as the output is longer, so a
 * decompression bomb costs nothing.  Reports a problem and returns -1
 * on any difference.
 */
static int
gz_check(struct verify *v, const char *gzpath, const uint8_t want[32],
    uint64_t want_size)
{
	z_stream	 z;
	EVP_MD_CTX	*md;
	uint8_t		*in, *out, got[EVP_MAX_MD_SIZE];
	uint64_t	 total = 0;
	ssize_t		 n;
	unsigned int	 mdlen;
	int		 fd, zr, in_member = 0, members = 0, rc = -1;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		fatalx("verify: inflateInit2 failed");
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatalx("verify: SHA-256 set-up failed");
	in = xmalloc(IO_CHUNK);
	out = xmalloc(IO_CHUNK);
	if ((fd = open(gzpath, O_RDONLY | O_CLOEXEC)) == -1) {
		problem(v, "%s: %s", gzpath, strerror(errno));
		goto out;
	}
	for (;;) {
		if ((n = read(fd, in, IO_CHUNK)) == -1) {
			if (errno == EINTR)
				continue;
			problem(v, "%s: %s", gzpath, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		z.next_in = in;
		z.avail_in = (uInt)n;
		for (;;) {
			z.next_out = out;
			z.avail_out = IO_CHUNK;
			zr = inflate(&z, Z_NO_FLUSH);
			if (zr == Z_BUF_ERROR)
				break;		/* needs more input */
			if (zr != Z_OK && zr != Z_STREAM_END) {
				problem(v, "%s: not valid gzip (%s)", gzpath,
				    z.msg ? z.msg : "inflate failed");
				goto out;
			}
			total += IO_CHUNK - z.avail_out;
			if (total > want_size) {
				problem(v, "%s: decompresses to more than the "
				    "%llu bytes of its twin", gzpath,
				    (unsigned long long)want_size);
				goto out;
			}
			if (EVP_DigestUpdate(md, out, IO_CHUNK - z.avail_out)
			    != 1)
				fatalx("verify: SHA-256 failed");
			if (zr == Z_STREAM_END) {
				/* Concatenated members are one gzip file. */
				members++;
				in_member = 0;
				inflateReset(&z);
				if (z.avail_in == 0)
					break;
				continue;
			}
			in_member = 1;
			if (z.avail_in == 0 && z.avail_out != 0)
				break;
		}
	}
	if (in_member || members == 0) {
		problem(v, "%s: truncated gzip", gzpath);
		goto out;
	}
	if (EVP_DigestFinal_ex(md, got, &mdlen) != 1)
		fatalx("verify: SHA-256 failed");
	if (total != want_size || memcmp(got, want, RRDP_HASH_LEN) != 0) {
		problem(v, "%s: decompresses to other bytes than its twin "
		    "(%llu bytes, twin %llu)", gzpath,
		    (unsigned long long)total, (unsigned long long)want_size);
		goto out;
	}
	rc = 0;
 out:
	if (fd != -1)
		close(fd);
	inflateEnd(&z);
	EVP_MD_CTX_free(md);
	free(in);
	free(out);
	return rc;
}

/* If path.gz exists, it must decompress to path's bytes. */
static void
gz_twin(struct verify *v, const char *path, const uint8_t hash[32],
    uint64_t size)
{
	struct stat	 sb;
	char		*gz;

	gz = str_fmt("%s.gz", path);
	if (lstat(gz, &sb) == 0) {
		if (!S_ISREG(sb.st_mode))
			problem(v, "%s: not a regular file", gz);
		else
			gz_check(v, gz, hash, size);
	} else if (errno != ENOENT)
		problem(v, "%s: %s", gz, strerror(errno));
	free(gz);
}

/*
 * scheme://authority of uri into out.  Returns 0, or -1 if uri is not
 * an absolute URI with an authority and a path.
 */
static int
uri_origin(const char *uri, char *out, size_t outlen)
{
	const char	*p = uri, *auth;
	size_t		 len;

	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
		p++;
	if (p == uri || strncmp(p, "://", 3) != 0)
		return -1;
	auth = p + 3;
	if ((p = strchr(auth, '/')) == NULL || p == auth)
		return -1;
	len = (size_t)(p - uri);
	if (len >= outlen)
		return -1;
	memcpy(out, uri, len);
	out[len] = '\0';
	return 0;
}

/*
 * The file under rrdp_dir that uri names: the URI without the base
 * every URI of the notification shares.  NULL (problem reported) if
 * it does not start with the base or the rest is not a safe path.
 */
static char *
uri_path(struct verify *v, const char *what, const char *uri)
{
	size_t	 blen = strlen(v->base);
	char	*path;

	if (strncmp(uri, v->base, blen) != 0) {
		problem(v, "%s URI %s does not start with %s, the base of the "
		    "snapshot URI", what, uri, v->base);
		return NULL;
	}
	if (!path_rel_safe(uri + blen)) {
		problem(v, "%s URI %s: %s is not a plain relative path", what,
		    uri, uri + blen);
		return NULL;
	}
	path = str_fmt("%s/%s", v->rrdp_dir, uri + blen);
	return path;
}

/*
 * RFC 9674 section 3.1 (updating RFC 8182): a relying party does not
 * follow snapshot or delta URIs to another origin than the
 * notification's.  Here all URIs must share one origin, and one base
 * before "<session>/" (how this repository lays files out).
 */
static int
check_uris(struct verify *v)
{
	char	 origin[ORIGIN_LEN], o2[ORIGIN_LEN], needle[RRDP_SESSION_LEN + 3];
	char	*at;
	size_t	 i;

	if (uri_origin(v->n.snapshot_uri, origin, sizeof(origin)) == -1) {
		problem(v, "RFC 8182 section 3.5.1.3: snapshot URI %s has no "
		    "scheme://host origin", v->n.snapshot_uri);
		return -1;
	}
	for (i = 0; i < v->n.ndeltas; i++) {
		if (uri_origin(v->n.deltas[i].uri, o2, sizeof(o2)) == -1 ||
		    strcmp(o2, origin) != 0)
			problem(v, "RFC 9674 section 3.1: delta %lld URI %s is "
			    "not on the snapshot's origin %s",
			    (long long)v->n.deltas[i].serial,
			    v->n.deltas[i].uri, origin);
	}
	snprintf(needle, sizeof(needle), "/%s/", v->n.session);
	if ((at = strstr(v->n.snapshot_uri, needle)) == NULL) {
		problem(v, "snapshot URI %s does not contain the session "
		    "directory %s", v->n.snapshot_uri, needle);
		return -1;
	}
	v->base = xstrndup(v->n.snapshot_uri,
	    (size_t)(at - v->n.snapshot_uri) + 1);
	return 0;
}

/* Snapshot element into cur (or, for the replay's start, into state). */
static int
snapshot_elem(struct omap *m, struct verify *v, const char *what,
    const char *uri, const uint8_t *der, size_t derlen)
{
	struct obj	*o;
	int		 created;

	o = omap_add(m, uri, &created);
	if (!created)
		problem(v, "RFC 8182 section 3.5.2.3: %s lists %s twice", what,
		    uri);
	sha256(der, derlen, o->hash);
	o->present = 1;
	return 0;
}

static int
cur_cb(void *arg, enum rrdp_elem e, const char *uri, const uint8_t *hash,
    const uint8_t *der, size_t derlen)
{
	struct verify	*v = arg;

	(void)e;
	(void)hash;
	return snapshot_elem(&v->cur, v, "snapshot", uri, der, derlen);
}

static int
base_cb(void *arg, enum rrdp_elem e, const char *uri, const uint8_t *hash,
    const uint8_t *der, size_t derlen)
{
	struct verify	*v = arg;

	(void)e;
	(void)hash;
	return snapshot_elem(&v->state, v, "the replay's start snapshot", uri,
	    der, derlen);
}

/*
 * One delta element, RFC 8182 section 3.5.3.3: a publish without hash
 * creates an object that does not exist; a publish with hash replaces,
 * and a withdraw removes, the object whose SHA-256 is hash.  Without
 * the start snapshot (have_base 0) an URI the deltas have not touched
 * yet is unknown and accepted.  A delta that names an URI twice is
 * reported: the writer collapses changes to one per URI.
 */
static int
delta_cb(void *arg, enum rrdp_elem e, const char *uri, const uint8_t *hash,
    const uint8_t *der, size_t derlen)
{
	struct verify	*v = arg;
	struct obj	*o;
	char		 h1[2 * RRDP_HASH_LEN + 1], h2[2 * RRDP_HASH_LEN + 1];
	int		 created, exists;

	omap_add(&v->touched, uri, &created);
	if (!created)
		problem(v, "RFC 8182 section 3.5.3.3: delta %lld names %s "
		    "more than once", (long long)v->delta_serial, uri);
	if (!v->replay)
		return 0;
	o = omap_find(&v->state, uri);
	if (o != NULL)
		exists = o->present;
	else
		exists = v->have_base ? 0 : -1;		/* -1: unknown */
	if (e == RRDP_PUBLISH && hash == NULL) {
		if (exists == 1)
			problem(v, "RFC 8182 section 3.5.3.3: delta %lld "
			    "publishes %s without hash, but it exists",
			    (long long)v->delta_serial, uri);
	} else if (exists == 0) {
		problem(v, "RFC 8182 section 3.5.3.3: delta %lld %s %s, which "
		    "does not exist", (long long)v->delta_serial,
		    e == RRDP_PUBLISH ? "replaces" : "withdraws", uri);
	} else if (exists == 1 && memcmp(o->hash, hash, RRDP_HASH_LEN) != 0) {
		problem(v, "RFC 8182 section 3.5.3.3: delta %lld %s %s with "
		    "hash %s, but its hash is %s", (long long)v->delta_serial,
		    e == RRDP_PUBLISH ? "replaces" : "withdraws", uri,
		    hexstr(h1, hash), hexstr(h2, o->hash));
	}
	if (o == NULL)
		o = omap_add(&v->state, uri, &created);
	if (e == RRDP_PUBLISH) {
		sha256(der, derlen, o->hash);
		o->present = 1;
	} else
		o->present = 0;
	return 0;
}

/*
 * Parse the listed file at uri (kind, serial) with cb, compare its
 * SHA-256 with want and check its .gz twin.  Returns 0 if the file
 * parsed (its hash may still differ: reported), -1 otherwise; *size is
 * its size when it exists.
 */
static int
check_file(struct verify *v, const char *what, const char *uri,
    const uint8_t want[32], enum rrdp_kind kind, int64_t serial,
    rrdp_elem_cb cb, uint64_t *size)
{
	struct stat	 sb;
	uint8_t		 got[RRDP_HASH_LEN];
	char		 err[1024], h1[2 * RRDP_HASH_LEN + 1];
	char		 h2[2 * RRDP_HASH_LEN + 1];
	char		*path;
	int		 rc = -1;

	*size = 0;
	if ((path = uri_path(v, what, uri)) == NULL)
		return -1;
	if (stat(path, &sb) == -1) {
		problem(v, "RFC 8182 section 3.5.1.3: %s file %s is missing "
		    "(%s)", what, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		problem(v, "RFC 8182 section 3.5.1.3: %s file %s is not a "
		    "regular file", what, path);
		goto out;
	}
	*size = (uint64_t)sb.st_size;
	if (rrdp_content_parse_file(path, kind, v->n.session, serial, cb, v,
	    got, err, sizeof(err)) == -1) {
		problem(v, "%s %s: %s", what, path, err);
		goto out;
	}
	rc = 0;
	if (memcmp(got, want, RRDP_HASH_LEN) != 0) {
		problem(v, "RFC 8182 section 3.5.1.3: %s %s has SHA-256 %s, "
		    "the notification lists %s", what, path, hexstr(h1, got),
		    hexstr(h2, want));
		goto out;
	}
	gz_twin(v, path, got, *size);
 out:
	free(path);
	return rc;
}

/*
 * The snapshot of serial s of this session, if its file is on disk
 * (an earlier notification's, still kept, or the next one's, not yet
 * announced): rrdp_dir/<session>/<s>/<dir>/snapshot.xml.  Returns the
 * path (caller frees) or NULL.
 *
 * A writer killed after writing a serial's files but before announcing
 * them writes that serial again, in a new random directory, when it
 * restarts; the orphan was never announced and may hold other content.
 * An announced serial is never written again, so of several
 * directories the newest snapshot is the one that was announced.
 */
static char *
find_snapshot(struct verify *v, int64_t s)
{
	struct dirent	*de;
	struct stat	 sb;
	struct timespec	 best_time = { 0, 0 };
	DIR		*d;
	char		*dir, *path, *best = NULL;

	dir = str_fmt("%s/%s/%lld", v->rrdp_dir, v->n.session, (long long)s);
	if ((d = opendir(dir)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = str_fmt("%s/%s/snapshot.xml", dir, de->d_name);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (best == NULL || sb.st_mtim.tv_sec > best_time.tv_sec ||
		    (sb.st_mtim.tv_sec == best_time.tv_sec &&
		    sb.st_mtim.tv_nsec > best_time.tv_nsec))) {
			free(best);
			best = path;
			best_time = sb.st_mtim;
		} else
			free(path);
	}
	closedir(d);
 out:
	free(dir);
	return best;
}

/*
 * Delta serials must run without gap from the oldest listed up to the
 * notification's serial (RFC 8182 section 3.3.2: each new serial is
 * one delta).  Returns 1 if they do.
 */
static int
check_chain(struct verify *v)
{
	const struct rrdp_notification	*n = &v->n;
	size_t				 i;
	int				 ok = 1;

	if (n->ndeltas == 0)
		return 1;
	if (n->deltas[0].serial != n->serial) {
		problem(v, "RFC 8182 section 3.3.2: newest delta has serial "
		    "%lld, the notification %lld",
		    (long long)n->deltas[0].serial, (long long)n->serial);
		ok = 0;
	}
	for (i = 1; i < n->ndeltas; i++) {
		if (n->deltas[i].serial != n->deltas[i - 1].serial - 1) {
			problem(v, "RFC 8182 section 3.3.2: delta serials jump "
			    "from %lld to %lld",
			    (long long)n->deltas[i].serial,
			    (long long)n->deltas[i - 1].serial);
			ok = 0;
		}
	}
	return ok;
}

/*
 * Compare the replayed state with the current snapshot.  With the start
 * snapshot, the two must be equal; without it, every URI the deltas
 * touched must end as the snapshot has it.
 */
static void
compare_replay(struct verify *v, int64_t from)
{
	const struct obj	*o, *c;
	size_t			 i;

	for (i = 0; i < v->state.cap; i++) {
		o = &v->state.slots[i];
		if (o->key == NULL)
			continue;
		c = omap_find(&v->cur, o->key);
		if (o->present && c == NULL)
			problem(v, "RFC 8182 section 3.4.3: the deltas applied "
			    "to serial %lld keep %s, the snapshot lacks it",
			    (long long)from, o->key);
		else if (!o->present && c != NULL)
			problem(v, "RFC 8182 section 3.4.3: the deltas applied "
			    "to serial %lld withdraw %s, the snapshot has it",
			    (long long)from, o->key);
		else if (o->present && memcmp(o->hash, c->hash,
		    RRDP_HASH_LEN) != 0)
			problem(v, "RFC 8182 section 3.4.3: the deltas applied "
			    "to serial %lld give %s other content than the "
			    "snapshot", (long long)from, o->key);
	}
	if (!v->have_base)
		return;
	for (i = 0; i < v->cur.cap; i++) {
		c = &v->cur.slots[i];
		if (c->key != NULL && omap_find(&v->state, c->key) == NULL)
			problem(v, "RFC 8182 section 3.4.3: the snapshot has %s, "
			    "the deltas applied to serial %lld do not",
			    c->key, (long long)from);
	}
}

/*
 * Deltas, oldest first: each file checked, and applied to the replay
 * state when the chain is whole.  Returns a word for the summary.
 */
static const char *
check_deltas(struct verify *v, uint64_t snapshot_size, int snapshot_ok)
{
	const struct rrdp_notification	*n = &v->n;
	uint64_t			 size, total = 0;
	int64_t				 from;
	size_t				 i;
	char				 what[64], err[1024];
	char				*old = NULL;
	const char			*mode;
	int				 ok = 1;

	if (n->ndeltas == 0)
		return "no deltas";
	v->replay = check_chain(v) && snapshot_ok;
	from = n->deltas[n->ndeltas - 1].serial - 1;
	mode = v->replay ? "replayed the deltas on the touched URIs only "
	    "(start snapshot gone)" : "no replay";
	if (v->replay && from == 0) {
		/* Serial 0 is the empty repository. */
		v->have_base = 1;
		mode = "replayed the deltas from the empty repository";
	} else if (v->replay && (old = find_snapshot(v, from)) != NULL) {
		if (rrdp_content_parse_file(old, RRDP_SNAPSHOT, n->session,
		    from, base_cb, v, NULL, err, sizeof(err)) == -1) {
			/*
			 * Retention may remove an unreferenced file while
			 * we read it: then it is gone, not broken.
			 */
			if (access(old, F_OK) == 0)
				problem(v, "start snapshot %s: %s", old, err);
			omap_free(&v->state);
		} else {
			v->have_base = 1;
			mode = "replayed the deltas on the previous snapshot";
		}
	}
	for (i = n->ndeltas; i-- > 0;) {
		snprintf(what, sizeof(what), "delta %lld",
		    (long long)n->deltas[i].serial);
		v->delta_serial = n->deltas[i].serial;
		omap_free(&v->touched);
		if (check_file(v, what, n->deltas[i].uri, n->deltas[i].hash,
		    RRDP_DELTA, n->deltas[i].serial, delta_cb, &size) == -1)
			ok = 0;
		total += size;
	}
	omap_free(&v->touched);
	/* RFC 8182 section 3.3.2: deltas are dropped to keep this true. */
	if (total > snapshot_size)
		problem(v, "RFC 8182 section 3.3.2: the deltas total %llu "
		    "bytes, more than the snapshot's %llu",
		    (unsigned long long)total,
		    (unsigned long long)snapshot_size);
	if (v->replay && ok)
		compare_replay(v, from);
	else if (v->replay)
		mode = "no replay (a delta is unreadable)";
	/* Memory: at most two maps of the repository's size at a time. */
	omap_free(&v->state);
	free(old);
	return mode;
}

/*
 * Walk the rsync tree under dir (rel is the path below the tree root,
 * "" at the top): every entry a directory or a regular file, every file
 * an object of the snapshot with the same bytes.
 */
static void
walk_tree(struct verify *v, struct omap *paths, const char *dir,
    const char *rel, int depth, size_t *nfiles)
{
	struct dirent	*de;
	struct stat	 sb;
	struct obj	*o;
	DIR		*d;
	uint8_t		 hash[RRDP_HASH_LEN];
	uint64_t	 size;
	char		 err[256], name[256];
	char		*path, *sub;

	if (depth > VERIFY_MAX_DEPTH) {
		problem(v, "rsync: %s nested deeper than %d directories", dir,
		    VERIFY_MAX_DEPTH);
		return;
	}
	if ((d = opendir(dir)) == NULL) {
		problem(v, "rsync: %s: %s", dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		path = str_fmt("%s/%s", dir, de->d_name);
		sub = str_fmt("%s%s%s", rel, *rel ? "/" : "", de->d_name);
		xml_printable(name, sizeof(name), sub);
		if (lstat(path, &sb) == -1)
			problem(v, "rsync: %s: %s", name, strerror(errno));
		else if (S_ISDIR(sb.st_mode))
			walk_tree(v, paths, path, sub, depth + 1, nfiles);
		else if (!S_ISREG(sb.st_mode))
			problem(v, "rsync: %s is not a regular file or a "
			    "directory", name);
		else if ((o = omap_find(paths, sub)) == NULL)
			problem(v, "rsync: extra file %s, not in the snapshot",
			    name);
		else if (file_digest(path, hash, &size, err,
		    sizeof(err)) == -1)
			problem(v, "rsync: %s: %s", name, err);
		else {
			o->seen = 1;
			(*nfiles)++;
			if (memcmp(hash, o->hash, RRDP_HASH_LEN) != 0)
				problem(v, "rsync: %s differs from the "
				    "snapshot's object", name);
		}
		free(path);
		free(sub);
	}
	closedir(d);
}

/*
 * The rsync paths of the objects of a URI map: rsync://HOST/PATH is the
 * file PATH (the host is the rsync server's, not part of the tree).
 */
static void
rsync_paths(struct verify *v, const struct omap *uris, struct omap *paths)
{
	const struct obj	*c;
	struct obj		*o;
	const char		*rest;
	size_t			 i;
	int			 created;

	for (i = 0; i < uris->cap; i++) {
		c = &uris->slots[i];
		if (c->key == NULL)
			continue;
		if (strncmp(c->key, "rsync://", 8) != 0 ||
		    (rest = strchr(c->key + 8, '/')) == NULL ||
		    !path_rel_safe(rest + 1)) {
			problem(v, "rsync: snapshot URI %s is not an rsync "
			    "URI with a plain path", c->key);
			continue;
		}
		o = omap_add(paths, rest + 1, &created);
		if (!created)
			problem(v, "rsync: two snapshot URIs map to %s",
			    rest + 1);
		memcpy(o->hash, c->hash, RRDP_HASH_LEN);
	}
}

/* The tree at dir against paths: every file there, nothing else. */
static void
rsync_compare(struct verify *v, struct omap *paths, const char *dir,
    size_t *nfiles)
{
	struct obj	*o;
	size_t		 i;

	for (i = 0; i < paths->cap; i++)
		paths->slots[i].seen = 0;
	*nfiles = 0;
	walk_tree(v, paths, dir, "", 0, nfiles);
	for (i = 0; i < paths->cap; i++) {
		o = &paths->slots[i];
		if (o->key != NULL && !o->seen)
			problem(v, "rsync: missing file %s of the snapshot",
			    o->key);
	}
}

static int
next_cb(void *arg, enum rrdp_elem e, const char *uri, const uint8_t *hash,
    const uint8_t *der, size_t derlen)
{
	struct verify	*v = arg;

	(void)e;
	(void)hash;
	return snapshot_elem(&v->next, v, "the next snapshot", uri, der,
	    derlen);
}

/* Does the tree at dir hold exactly the objects of snapshot file path? */
static int
rsync_matches(struct verify *v, const char *path, const char *dir)
{
	struct omap	 paths;
	size_t		 nfiles;
	char		 err[1024];
	int		 match = 0;

	memset(&paths, 0, sizeof(paths));
	v->quiet = 1;
	v->quiet_count = 0;
	if (rrdp_content_parse_file(path, RRDP_SNAPSHOT, v->n.session,
	    v->n.serial + 1, next_cb, v, NULL, err, sizeof(err)) == 0) {
		rsync_paths(v, &v->next, &paths);
		omap_free(&v->next);
		rsync_compare(v, &paths, dir, &nfiles);
		match = v->quiet_count == 0;
	}
	v->quiet = 0;
	omap_free(&v->next);
	omap_free(&paths);
	return match;
}

/*
 * Does the tree at dir hold serial + 1, written but not yet announced?
 * The writer switches `current` before it replaces notification.xml, so
 * a writer stopped (or caught) between the two leaves rsync one serial
 * ahead of RRDP: both are complete, consistent states.  A writer killed
 * there twice may have written serial + 1 more than once, with other
 * content each time (a publication came in between), and `current` may
 * hold any of those attempts: each snapshot of serial + 1 on disk is
 * tried.
 */
static int
rsync_is_next(struct verify *v, const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		*sdir, *path;
	int		 match = 0;

	sdir = str_fmt("%s/%s/%lld", v->rrdp_dir, v->n.session,
	    (long long)(v->n.serial + 1));
	if ((d = opendir(sdir)) == NULL)
		goto out;
	while (!match && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = str_fmt("%s/%s/snapshot.xml", sdir, de->d_name);
		if (access(path, R_OK) == 0)
			match = rsync_matches(v, path, dir);
		free(path);
	}
	closedir(d);
 out:
	free(sdir);
	return match;
}

/*
 * rsync_dir/current -> trees/<name>, holding exactly the snapshot's
 * objects (or, see rsync_is_next, those of the serial being announced).
 */
static void
check_rsync(struct verify *v, const char *rsync_dir, size_t *nfiles,
    const char **note)
{
	struct omap	 paths;
	struct stat	 sb;
	char		 target[PATH_MAX];
	char		*cur = NULL;
	ssize_t		 n;

	memset(&paths, 0, sizeof(paths));
	cur = str_fmt("%s/current", rsync_dir);
	if (lstat(cur, &sb) == -1 || !S_ISLNK(sb.st_mode)) {
		problem(v, "rsync: %s is not a symlink", cur);
		goto out;
	}
	if ((n = readlink(cur, target, sizeof(target) - 1)) == -1) {
		problem(v, "rsync: %s: %s", cur, strerror(errno));
		goto out;
	}
	target[n] = '\0';
	if (strncmp(target, "trees/", 6) != 0 ||
	    strchr(target + 6, '/') != NULL || !path_rel_safe(target + 6))
		problem(v, "rsync: %s points to %s, not to trees/<name>", cur,
		    target);
	if (stat(cur, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		problem(v, "rsync: %s does not lead to a directory", cur);
		goto out;
	}
	rsync_paths(v, &v->cur, &paths);
	/* The URI map is not needed any more: free it before the walk. */
	omap_free(&v->cur);
	v->quiet = 1;
	v->quiet_count = 0;
	rsync_compare(v, &paths, cur, nfiles);
	v->quiet = 0;
	if (v->quiet_count == 0)
		goto out;
	if (rsync_is_next(v, cur)) {
		*note = "; rsync tree is the next serial, not yet announced";
		goto out;
	}
	/* Compare again, reporting every difference. */
	rsync_compare(v, &paths, cur, nfiles);
 out:
	omap_free(&paths);
	free(cur);
}

int
repo_verify(const char *rrdp_dir, const char *rsync_dir, FILE *report)
{
	struct verify	 v;
	uint8_t		 hash[RRDP_HASH_LEN];
	uint64_t	 size, snapshot_size = 0;
	size_t		 len = 0, nfiles = 0;
	char		 err[1024];
	char		*path = NULL, *xml = NULL;
	const char	*mode = "not checked", *rsync_note = "";
	size_t		 nobjects = 0;
	int		 snapshot_ok = 0, parsed = 0;

	memset(&v, 0, sizeof(v));
	v.report = report;
	v.rrdp_dir = rrdp_dir;
	path = str_fmt("%s/notification.xml", rrdp_dir);
	/* file_read logs its reason; say which file on the report. */
	if ((xml = file_read(path, MAX_RRDP_NOTIFICATION_SIZE, &len)) == NULL) {
		problem(&v, "%s: missing, unreadable or larger than %u bytes",
		    path, MAX_RRDP_NOTIFICATION_SIZE);
		goto out;
	}
	if (rrdp_notification_parse((const uint8_t *)xml, len, &v.n, err,
	    sizeof(err)) == -1) {
		problem(&v, "%s: %s", path, err);
		goto out;
	}
	parsed = 1;
	sha256((const uint8_t *)xml, len, hash);
	gz_twin(&v, path, hash, len);
	if (check_uris(&v) == -1)
		goto out;
	if (check_file(&v, "snapshot", v.n.snapshot_uri, v.n.snapshot_hash,
	    RRDP_SNAPSHOT, v.n.serial, cur_cb, &size) == 0)
		snapshot_ok = 1;
	snapshot_size = size;
	nobjects = v.cur.count;
	mode = check_deltas(&v, snapshot_size, snapshot_ok);
	if (rsync_dir != NULL) {
		if (snapshot_ok)
			check_rsync(&v, rsync_dir, &nfiles, &rsync_note);
		else
			problem(&v, "rsync: not compared, the snapshot is "
			    "unreadable");
	}
 out:
	if (parsed) {
		fprintf(report, "verify: %s: %d problem%s; session %s serial "
		    "%lld; snapshot %zu objects, %llu bytes; %zu delta%s, %s",
		    v.problems ? "FAIL" : "PASS", v.problems,
		    v.problems == 1 ? "" : "s", v.n.session,
		    (long long)v.n.serial, nobjects,
		    (unsigned long long)snapshot_size, v.n.ndeltas,
		    v.n.ndeltas == 1 ? "" : "s", mode);
		if (rsync_dir != NULL)
			fprintf(report, "; rsync tree: %zu files match%s",
			    nfiles, rsync_note);
		fputc('\n', report);
	} else
		fprintf(report, "verify: FAIL: %d problem%s; no usable "
		    "notification\n", v.problems, v.problems == 1 ? "" : "s");
	free(path);
	free(xml);
	free(v.base);
	rrdp_notification_free(&v.n);
	omap_free(&v.cur);
	omap_free(&v.state);
	omap_free(&v.touched);
	omap_free(&v.next);
	return v.problems;
}
