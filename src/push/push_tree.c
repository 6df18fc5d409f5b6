/*
 * Scanning the local directory rpkipub-push publishes (push_tree.h).
 *
 * The walk goes through directory file descriptors (openat, fstatat
 * without following links, O_NOFOLLOW), so what is checked is what is
 * read.  A symbolic link is followed only to a regular file inside the
 * tree (the link's name is the object's name); it is resolved with
 * realpath(3) against the real path of the root.  Depth is bounded by
 * MAX_URI_LENGTH: a directory whose URI would be too long is refused,
 * not entered.  Every refusal is collected, so one run lists them all.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bounds.h"
#include "log.h"
#include "push_tree.h"
#include "uri.h"

struct scan {
	const char		*root;		/* as given */
	char			*root_real;	/* realpath(root) */
	const char		*sia_base;
	size_t			 max_object;
	size_t			 max_files;
	size_t			 nseen;		/* files accepted or refused */
	struct push_tree	*t;
	struct buf		*refusals;
	size_t			 nrefused;
};

static void	refuse(struct scan *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Append the local name s for a log line: a file name may hold any byte
 * but '/' and NUL, so anything outside printable ASCII is written \xNN.
 * At most max bytes of s, then "...".
 */
static void
add_printable(struct buf *b, const char *s, size_t max)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i;

	for (i = 0; u[i] != '\0'; i++) {
		if (i == max) {
			buf_adds(b, "...");
			return;
		}
		if (u[i] < 0x20 || u[i] >= 0x7f || u[i] == '\\')
			buf_printf(b, "\\x%02x", u[i]);
		else
			buf_addc(b, (char)u[i]);
	}
}

/* One refusal line: "ROOT/PATH: reason". */
static void
refuse(struct scan *sc, const char *path, const char *fmt, ...)
{
	va_list	ap;
	char	why[512];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	add_printable(sc->refusals, sc->root, SIZE_MAX);
	if (path[0] != '\0') {
		buf_addc(sc->refusals, '/');
		add_printable(sc->refusals, path, SIZE_MAX);
	}
	buf_printf(sc->refusals, ": %s\n", why);
	sc->nrefused++;
}

char *
push_path_uri(const char *sia_base, const char *path, char *err,
    size_t errlen)
{
	struct buf	b, q;
	char		why[256];

	buf_init(&b);
	buf_printf(&b, "%s%s", sia_base, path);
	if (uri_in_jail(buf_str(&b), sia_base, why, sizeof(why)) == -1) {
		buf_init(&q);
		add_printable(&q, buf_str(&b), 200);
		snprintf(err, errlen, "cannot be published as %s: %s (the "
		    "URI jail of RFC 8181 section 2.4, as the server checks "
		    "it)", buf_str(&q), why);
		buf_free(&q);
		buf_free(&b);
		return NULL;
	}
	return buf_str(&b);
}

/*
 * Read fd to its end, at most max bytes, into hash and (if content is
 * not NULL) a new buffer.  Returns the byte count, or -1 with errno set
 * (EFBIG: more than max).
 */
static ssize_t
read_hash(int fd, size_t max, uint8_t hash[32], uint8_t **content)
{
	EVP_MD_CTX	*md;
	struct buf	 b;
	uint8_t		 chunk[65536];
	size_t		 total = 0;
	ssize_t		 n, rc = -1;

	if ((md = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		fatalx("%s: SHA-256 unavailable", __func__);
	buf_init(&b);
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (n == 0)
			break;
		if ((size_t)n > max - total) {
			errno = EFBIG;
			goto out;
		}
		total += (size_t)n;
		if (!EVP_DigestUpdate(md, chunk, (size_t)n))
			fatalx("%s: SHA-256 failed", __func__);
		if (content != NULL)
			buf_add(&b, chunk, (size_t)n);
	}
	if (!EVP_DigestFinal_ex(md, hash, NULL))
		fatalx("%s: SHA-256 failed", __func__);
	if (content != NULL)
		*content = buf_release(&b, NULL);
	rc = (ssize_t)total;
 out:
	buf_free(&b);
	EVP_MD_CTX_free(md);
	return rc;
}

/* A regular file, open on fd (closed here), at path under the root. */
static void
scan_file(struct scan *sc, int fd, const char *path)
{
	struct push_file	*f;
	struct stat		 sb;
	uint8_t			 hash[32];
	char			 why[1600], *uri;
	ssize_t			 n;

	if (fstat(fd, &sb) == -1) {
		refuse(sc, path, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		refuse(sc, path, "not a regular file");
		goto out;
	}
	if (++sc->nseen > sc->max_files)
		goto out;	/* counted, reported once by the caller */
	if ((uri = push_path_uri(sc->sia_base, path, why, sizeof(why))) ==
	    NULL) {
		refuse(sc, path, "%s", why);
		goto out;
	}
	if (sb.st_size == 0) {
		refuse(sc, path, "empty file: an RFC 8181 publish PDU carries "
		    "the object's bytes (section 2.2)");
		free(uri);
		goto out;
	}
	if ((uintmax_t)sb.st_size > sc->max_object) {
		refuse(sc, path, "%jd bytes, over the object limit of %zu "
		    "(--max-object; the server's max_object)",
		    (intmax_t)sb.st_size, sc->max_object);
		free(uri);
		goto out;
	}
	if ((n = read_hash(fd, sc->max_object, hash, NULL)) == -1 ||
	    n != (ssize_t)sb.st_size) {
		if (n == -1 && errno != EFBIG)
			refuse(sc, path, "%s", strerror(errno));
		else
			refuse(sc, path, "changed while it was read");
		free(uri);
		goto out;
	}
	if (sc->t->nfiles == sc->t->cap) {
		sc->t->cap = sc->t->cap ? sc->t->cap * 2 : 64;
		sc->t->files = xrealloc(sc->t->files,
		    sc->t->cap * sizeof(*sc->t->files));
	}
	f = &sc->t->files[sc->t->nfiles++];
	f->path = xstrdup(path);
	f->uri = uri;
	memcpy(f->hash, hash, sizeof(f->hash));
	f->size = (size_t)n;
 out:
	close(fd);
}

/*
 * A symbolic link at path: followed only to a regular file inside the
 * tree.
 */
static void
scan_link(struct scan *sc, const char *path)
{
	struct buf	 b;
	struct stat	 sb;
	char		*real = NULL;
	size_t		 rlen = strlen(sc->root_real);
	int		 fd;

	buf_init(&b);
	buf_printf(&b, "%s/%s", sc->root_real, path);
	if ((real = realpath(buf_str(&b), NULL)) == NULL) {
		refuse(sc, path, "symbolic link that leads nowhere (%s)",
		    strerror(errno));
		goto out;
	}
	if (strncmp(real, sc->root_real, rlen) != 0 || (real[rlen] != '/' &&
	    !(rlen == 1 && real[0] == '/'))) {
		refuse(sc, path, "symbolic link to %s, outside the directory "
		    "published", real);
		goto out;
	}
	if (stat(real, &sb) == -1) {
		refuse(sc, path, "%s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		refuse(sc, path, "symbolic link to a directory: not followed "
		    "(publish the directory itself)");
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		refuse(sc, path, "symbolic link to something that is not a "
		    "regular file");
		goto out;
	}
	/* What was checked is what is read: the resolved path. */
	if ((fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		refuse(sc, path, "%s", strerror(errno));
		goto out;
	}
	scan_file(sc, fd, path);
 out:
	free(real);
	buf_free(&b);
}

/* The directory open on dfd (closed here) at path ("" for the root). */
static void
scan_dir(struct scan *sc, int dfd, const char *path)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	struct buf	 sub;
	int		 fd;

	if ((d = fdopendir(dfd)) == NULL) {
		refuse(sc, path, "%s", strerror(errno));
		close(dfd);
		return;
	}
	buf_init(&sub);
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				refuse(sc, path, "reading the directory: %s",
				    strerror(errno));
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		buf_free(&sub);
		buf_printf(&sub, "%s%s%s", path, path[0] != '\0' ? "/" : "",
		    de->d_name);
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
			refuse(sc, buf_str(&sub), "%s", strerror(errno));
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			/* Anything inside would be sia_base + path + "/x". */
			if (strlen(sc->sia_base) + sub.len + 2 >
			    MAX_URI_LENGTH) {
				refuse(sc, buf_str(&sub), "directory too deep: "
				    "its files' URIs would be longer than %d "
				    "characters", MAX_URI_LENGTH);
				continue;
			}
			if ((fd = openat(dfd, de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
				refuse(sc, buf_str(&sub), "%s",
				    strerror(errno));
				continue;
			}
			scan_dir(sc, fd, buf_str(&sub));
		} else if (S_ISREG(sb.st_mode)) {
			if ((fd = openat(dfd, de->d_name, O_RDONLY |
			    O_NOFOLLOW | O_CLOEXEC)) == -1) {
				refuse(sc, buf_str(&sub), "%s",
				    strerror(errno));
				continue;
			}
			scan_file(sc, fd, buf_str(&sub));
		} else if (S_ISLNK(sb.st_mode))
			scan_link(sc, buf_str(&sub));
		else
			refuse(sc, buf_str(&sub), "not a regular file or "
			    "directory (a device, FIFO or socket)");
	}
	buf_free(&sub);
	closedir(d);
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct push_file *)a)->uri,
	    ((const struct push_file *)b)->uri);
}

int
push_tree_scan(const char *root, const char *sia_base, size_t max_object,
    size_t max_files, struct push_tree **out, struct buf *refusals,
    size_t *nrefused)
{
	struct scan	sc;
	int		fd;

	*out = NULL;
	memset(&sc, 0, sizeof(sc));
	sc.root = root;
	sc.sia_base = sia_base;
	sc.max_object = max_object;
	sc.max_files = max_files;
	sc.refusals = refusals;
	sc.t = xcalloc(1, sizeof(*sc.t));
	if ((sc.root_real = realpath(root, NULL)) == NULL ||
	    (fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		refuse(&sc, "", "%s", strerror(errno));
		goto out;
	}
	scan_dir(&sc, fd, "");
	if (sc.nseen > max_files)
		refuse(&sc, "", "%zu files or more, over the limit of %zu: "
		    "the change could not be one RFC 8181 query "
		    "(MAX_PDUS_PER_QUERY)", sc.nseen, max_files);
	if (sc.nrefused == 0) {
		if (sc.t->nfiles > 1)
			qsort(sc.t->files, sc.t->nfiles, sizeof(*sc.t->files),
			    file_cmp);
		*out = sc.t;
		sc.t = NULL;
	}
 out:
	*nrefused = sc.nrefused;
	free(sc.root_real);
	push_tree_free(sc.t);
	return *nrefused == 0 ? 0 : -1;
}

void
push_tree_free(struct push_tree *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nfiles; i++) {
		free(t->files[i].path);
		free(t->files[i].uri);
	}
	free(t->files);
	free(t);
}

uint8_t *
push_tree_read(const char *root, const struct push_file *f, char *err,
    size_t errlen)
{
	struct buf	 path;
	uint8_t		 hash[32], *content = NULL;
	ssize_t		 n;
	int		 fd;

	buf_init(&path);
	buf_printf(&path, "%s/%s", root, f->path);
	if ((fd = open(buf_str(&path), O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", buf_str(&path),
		    strerror(errno));
		goto out;
	}
	n = read_hash(fd, f->size, hash, &content);
	close(fd);
	if (n != (ssize_t)f->size || memcmp(hash, f->hash, 32) != 0) {
		if (n == -1 && errno != EFBIG)
			snprintf(err, errlen, "%s: %s", buf_str(&path),
			    strerror(errno));
		else
			snprintf(err, errlen, "%s changed while rpkipub-push "
			    "ran; nothing was sent, run it again",
			    buf_str(&path));
		free(content);
		content = NULL;
	}
 out:
	buf_free(&path);
	return content;
}
