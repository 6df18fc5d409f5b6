/*
 * The local copy's files (see sync_mirror.h).
 */
/* syncfs(2) is Linux-specific. */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bounds.h"
#include "buf.h"
#include "encoding.h"
#include "fileio.h"
#include "log.h"
#include "rrdp_notification.h"
#include "sync_gunzip.h"
#include "sync_mirror.h"

#define IO_CHUNK	(256 * 1024)
/* Directory levels under the RRDP dir: session, serial, h, file. */
#define WALK_DEPTH	3

char *
sync_local_rel(const char *session, int64_t serial, const char *uri,
    const uint8_t hash[32], const char *name)
{
	EVP_MD_CTX	*md;
	uint8_t		 d[EVP_MAX_MD_SIZE];
	char		 hex[2 * RRDP_HASH_LEN + 1], dir[2 * RRDP_HASH_LEN + 1];
	unsigned int	 dlen;
	struct buf	 b;

	hex_encode(hex, hash, RRDP_HASH_LEN);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, uri, strlen(uri)) != 1 ||
	    EVP_DigestUpdate(md, " ", 1) != 1 ||
	    EVP_DigestUpdate(md, hex, strlen(hex)) != 1 ||
	    EVP_DigestFinal_ex(md, d, &dlen) != 1)
		fatalx("sync_local_rel: SHA-256 failed");
	EVP_MD_CTX_free(md);
	hex_encode(dir, d, SYNC_DIR_HEX / 2);
	buf_init(&b);
	buf_printf(&b, "%s/%lld/%s/%s", session, (long long)serial, dir, name);
	return buf_str(&b);
}

void
sync_notification(struct buf *out, const struct sync_state *st,
    const char *base_uri)
{
	struct rrdp_notification	 n;
	struct buf			 u;
	size_t				 i;

	memset(&n, 0, sizeof(n));
	memcpy(n.session, st->session, sizeof(n.session));
	n.serial = st->serial;
	buf_init(&u);
	buf_printf(&u, "%s%s", base_uri, st->snapshot.rel);
	n.snapshot_uri = buf_str(&u);
	memcpy(n.snapshot_hash, st->snapshot.hash, RRDP_HASH_LEN);
	n.ndeltas = st->ndeltas;
	n.deltas = xcalloc(st->ndeltas + 1, sizeof(*n.deltas));
	for (i = 0; i < st->ndeltas; i++) {
		buf_init(&u);
		buf_printf(&u, "%s%s", base_uri, st->deltas[i].rel);
		n.deltas[i].uri = buf_str(&u);
		n.deltas[i].serial = st->deltas[i].serial;
		memcpy(n.deltas[i].hash, st->deltas[i].hash, RRDP_HASH_LEN);
	}
	rrdp_notification_write(out, &n);
	rrdp_notification_free(&n);
}

int
sync_notification_install(const char *rrdp_dir, const uint8_t *data,
    size_t len)
{
	struct buf	 p;
	struct stat	 sb;
	char		*old = NULL;
	size_t		 oldlen = 0;
	int		 rc = -1;

	buf_init(&p);
	buf_printf(&p, "%s/notification.xml", rrdp_dir);
	if (stat(buf_str(&p), &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (size_t)sb.st_size == len &&
	    (old = file_read(buf_str(&p), MAX_RRDP_NOTIFICATION_SIZE,
	    &oldlen)) != NULL && oldlen == len &&
	    memcmp(old, data, len) == 0) {
		rc = 0;
		goto out;
	}
	if (file_write_atomic(buf_str(&p), data, len, 0644) == -1)
		goto out;
	rc = 1;
 out:
	free(old);
	buf_free(&p);
	return rc;
}

static int
md_update(void *arg, const uint8_t *d, size_t n)
{
	if (EVP_DigestUpdate(arg, d, n) != 1)
		fatalx("SHA-256 failed");
	return 0;
}

/*
 * SHA-256 of a file's bytes, or with gz of what its gzip form decodes to
 * (a .gz twin must be the file it stands for).  0 or -1.
 */
static int
file_sha256(const char *path, int gz, uint8_t out[32])
{
	struct sync_gunzip	*z = NULL;
	EVP_MD_CTX		*md;
	uint8_t			*chunk;
	unsigned int		 mdlen;
	ssize_t			 n;
	int			 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatalx("SHA-256 set-up failed");
	if (gz)
		z = sync_gunzip_new(MAX_RRDP_FILE_SIZE, md_update, md);
	chunk = xmalloc(IO_CHUNK);
	for (;;) {
		if ((n = read(fd, chunk, IO_CHUNK)) == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (n == 0)
			break;
		if (z != NULL) {
			if (sync_gunzip_feed(z, chunk, (size_t)n) == -1)
				goto out;
		} else
			md_update(md, chunk, (size_t)n);
	}
	if (z != NULL && sync_gunzip_finish(z) == -1)
		goto out;
	if (EVP_DigestFinal_ex(md, out, &mdlen) != 1)
		fatalx("SHA-256 failed");
	rc = 0;
 out:
	sync_gunzip_free(z);
	free(chunk);
	EVP_MD_CTX_free(md);
	close(fd);
	return rc;
}

int
sync_file_present(const char *rrdp_dir, const char *rel,
    const uint8_t hash[32], int trusted)
{
	struct stat	 sb;
	struct buf	 p;
	uint8_t		 got[32];
	int		 ok = 0;

	buf_init(&p);
	buf_printf(&p, "%s/%s.gz", rrdp_dir, rel);
	if (lstat(buf_str(&p), &sb) == -1 || !S_ISREG(sb.st_mode))
		goto out;
	/*
	 * Left by a round that did not finish: both written but not known
	 * to be synced, so both are checked (a twin torn by a power cut
	 * would be served as it is).
	 */
	if (!trusted && (file_sha256(buf_str(&p), 1, got) == -1 ||
	    memcmp(got, hash, 32) != 0))
		goto out;
	p.len -= 3;		/* without ".gz" */
	if (lstat(buf_str(&p), &sb) == -1 || !S_ISREG(sb.st_mode))
		goto out;
	ok = trusted || (file_sha256(buf_str(&p), 0, got) == 0 &&
	    memcmp(got, hash, 32) == 0);
 out:
	buf_free(&p);
	return ok;
}

/* Is rel listed by st (with its .gz twin) or awaiting removal? */
static int
state_knows(const struct sync_state *st, const char *rel)
{
	size_t	i, n;

	if (st->snapshot.rel != NULL) {
		n = strlen(st->snapshot.rel);
		if (strncmp(rel, st->snapshot.rel, n) == 0 &&
		    (rel[n] == '\0' || strcmp(rel + n, ".gz") == 0))
			return 1;
	}
	for (i = 0; i < st->ndeltas; i++) {
		n = strlen(st->deltas[i].rel);
		if (strncmp(rel, st->deltas[i].rel, n) == 0 &&
		    (rel[n] == '\0' || strcmp(rel + n, ".gz") == 0))
			return 1;
	}
	for (i = 0; i < st->ngone; i++)
		if (strcmp(rel, st->gone[i].rel) == 0)
			return 1;
	return 0;
}

/*
 * Walk <session>/<serial>/<h>/<file> below rrdp_dir; rel is the path so
 * far ("" at the top).  Unknown files become gone since now; temporaries
 * of a download that was cut off go at once (only one rrdpsync works on
 * a directory: the lock), and so do empty directories.  Returns 1 if st
 * changed.
 */
static int
sweep_walk(const char *rrdp_dir, struct sync_state *st, const char *rel,
    int depth, time_t now)
{
	struct dirent	*de;
	struct buf	 child, path;
	DIR		*d;
	int		 changed = 0;

	buf_init(&child);
	buf_init(&path);
	buf_printf(&path, "%s%s%s", rrdp_dir, rel[0] ? "/" : "", rel);
	if ((d = opendir(buf_str(&path))) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (depth == 0) {
			/* The top: sessions; dotfiles are ours (state dir,
			 * a notification being replaced). */
			if (de->d_name[0] == '.' ||
			    strlen(de->d_name) != RRDP_SESSION_LEN)
				continue;
		} else if (de->d_name[0] == '.') {
			if (depth == WALK_DEPTH)
				unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		buf_free(&child);
		if (depth > 0)
			buf_printf(&child, "%s/", rel);
		buf_adds(&child, de->d_name);
		if (depth < WALK_DEPTH) {
			changed |= sweep_walk(rrdp_dir, st, buf_str(&child),
			    depth + 1, now);
			/* Fails unless it is empty now. */
			unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
		} else if (!state_knows(st, buf_str(&child)) &&
		    path_rel_safe(buf_str(&child)) &&
		    st->ngone < SYNC_MAX_GONE) {
			sync_state_gone_add(st, buf_str(&child), now);
			changed = 1;
		}
	}
	closedir(d);
 out:
	buf_free(&child);
	buf_free(&path);
	return changed;
}

static int
gone_older(const void *a, const void *b)
{
	const struct sync_gone	*x = a, *y = b;

	return x->since < y->since ? -1 : x->since > y->since;
}

size_t
sync_gone_trim(const char *rrdp_dir, struct sync_gone *g, size_t n,
    size_t room)
{
	size_t	i, over;

	if (n <= room)
		return 0;
	qsort(g, n, sizeof(*g), gone_older);
	over = n - room;
	for (i = 0; i < over; i++)
		file_remove_under(rrdp_dir, g[i].rel);
	return over;
}

size_t
sync_sweep(const char *rrdp_dir, struct sync_state *st, time_t now,
    time_t keep, int *changed)
{
	size_t	 i, kept = 0, removed = 0;

	*changed = 0;
	for (i = 0; i < st->ngone; i++) {
		if (st->gone[i].since + keep > now) {
			st->gone[kept++] = st->gone[i];
			continue;
		}
		removed += (size_t)file_remove_under(rrdp_dir, st->gone[i].rel);
		free(st->gone[i].rel);
		*changed = 1;
	}
	st->ngone = kept;
	*changed |= sweep_walk(rrdp_dir, st, "", 0, now);
	return removed;
}

int
sync_syncfs(const char *dir)
{
	int	fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    syncfs(fd) == -1) {
		log_err("%s: syncfs: %s", dir, strerror(errno));
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	return rc;
}
