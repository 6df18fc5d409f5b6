/* syncfs(2) is Linux-specific. */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bounds.h"
#include "buf.h"
#include "fileio.h"
#include "log.h"
#include "objtime.h"
#include "rsync_tree.h"

#define RSYNC_TMP_PREFIX	".tmp-"
#define RSYNC_NEXT_PREFIX	".next-"	/* a prepared copy of a tree */
#define RSYNC_RETIRED		".retired"
#define RSYNC_LINK_TMP		".current.tmp"
/* Trees remembered as retired (one line each in .retired). */
#define RSYNC_MAX_RETIRED	100000

struct rsync_tree {
	char	*dir;		/* DIR */
	char	*name;
	char	*tmp;		/* DIR/trees/.tmp-NAME */
	int	 rootfd;	/* open on tmp */
	int	 incremental;
	size_t	 conflicts;	/* objects left out (file/directory clash) */
	/*
	 * A tree that starts empty is filled in URI order by a snapshot:
	 * the directory of the last file put stays open, so the next file
	 * of that directory costs one openat(), not a mkdirat() of every
	 * component and an unlinkat().
	 */
	int	 lastfd;
	char	*lastdir;	/* its path under the root ("" for the root) */
};

const char *
rsync_tree_relpath(const char *uri)
{
	const char	*rel, *c, *e;

	if (strncmp(uri, "rsync://", 8) != 0 ||
	    (rel = strchr(uri + 8, '/')) == NULL)
		return NULL;
	rel++;
	/* Every component non-empty, not "." or "..": nothing escapes. */
	for (c = rel;; c = e + 1) {
		if ((e = strchr(c, '/')) == NULL)
			e = c + strlen(c);
		if (e == c || (e - c == 1 && c[0] == '.') ||
		    (e - c == 2 && c[0] == '.' && c[1] == '.'))
			return NULL;
		if (*e == '\0')
			break;
	}
	return rel;
}

/* Remove name (a file or a whole directory) under dirfd. */
static int
rm_tree(int dirfd, const char *name)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, rc = 0;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (rm_tree(fd, de->d_name) == -1)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		rc = -1;
	return rc;
}

/* Hard-link every file under srcfd into dstfd, recreating directories. */
static int
link_tree(int srcfd, int dstfd)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	int		 fd, sfd, dfd, isdir, rc = -1;

	if ((fd = dup(srcfd)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_DIR || de->d_type == DT_REG)
			isdir = de->d_type == DT_DIR;
		else if (fstatat(srcfd, de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 &&
		    (S_ISDIR(sb.st_mode) || S_ISREG(sb.st_mode)))
			isdir = S_ISDIR(sb.st_mode);
		else
			continue;	/* nothing else belongs in a tree */
		if (!isdir) {
			if (linkat(srcfd, de->d_name, dstfd, de->d_name,
			    0) == -1)
				goto out;
			continue;
		}
		if (mkdirat(dstfd, de->d_name, 0755) == -1 ||
		    (sfd = openat(srcfd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW)) == -1)
			goto out;
		if ((dfd = openat(dstfd, de->d_name, O_RDONLY |
		    O_DIRECTORY | O_NOFOLLOW)) == -1) {
			close(sfd);
			goto out;
		}
		rc = link_tree(sfd, dfd);
		close(sfd);
		close(dfd);
		if (rc == -1)
			goto out;
		rc = -1;
	}
	rc = 0;
 out:
	closedir(d);
	return rc;
}

/* Set every directory's mtime under (and of) fd to the constant. */
static int
dir_times(int fd)
{
	const struct timespec	ts[2] = {
		{ RSYNC_TREE_DIR_MTIME, 0 }, { RSYNC_TREE_DIR_MTIME, 0 }
	};
	DIR		*d;
	struct dirent	*de;
	int		 dup_fd, sub, rc = -1;

	if ((dup_fd = dup(fd)) == -1)
		return -1;
	if ((d = fdopendir(dup_fd)) == NULL) {
		close(dup_fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW)) == -1)
			goto out;
		rc = dir_times(sub);
		close(sub);
		if (rc == -1)
			goto out;
		rc = -1;
	}
	if (futimens(fd, ts) == -1)
		goto out;
	rc = 0;
 out:
	closedir(d);
	return rc;
}

char *
rsync_tree_current(const char *dir)
{
	char	*link = path_join(dir, RSYNC_TREE_CURRENT);
	char	 target[PATH_MAX];
	ssize_t	 n;
	size_t	 plen = strlen(RSYNC_TREE_DIR) + 1;

	n = readlink(link, target, sizeof(target) - 1);
	free(link);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	if (strncmp(target, RSYNC_TREE_DIR "/", plen) != 0 ||
	    strchr(target + plen, '/') != NULL || target[plen] == '\0')
		return NULL;
	return xstrdup(target + plen);
}

/*
 * Take over trees/.next-BASE, the link copy rsync_tree_prepare() made
 * after BASE became current, as the tree being built.  0; -1 if there is
 * none (the caller links it now); -2 if the tree being built is lost.
 */
static int
rsync_tree_adopt(struct rsync_tree *t, const char *trees, const char *base)
{
	struct buf	next;
	int		rc = -1;

	buf_init(&next);
	buf_printf(&next, "%s/%s%s", trees, RSYNC_NEXT_PREFIX, base);
	if (access(buf_str(&next), F_OK) == -1)
		goto out;
	close(t->rootfd);
	t->rootfd = -1;
	if (rmdir(t->tmp) == -1 || rename(buf_str(&next), t->tmp) == -1 ||
	    (t->rootfd = open(t->tmp, O_RDONLY | O_DIRECTORY)) == -1) {
		log_warn("rsync tree %s: adopting %s: %s", t->tmp,
		    buf_str(&next), strerror(errno));
		/* Start over empty; the caller links from the base. */
		if (rm_tree(AT_FDCWD, t->tmp) == -1 ||
		    mkdir(t->tmp, 0755) == -1 ||
		    (t->rootfd = open(t->tmp, O_RDONLY | O_DIRECTORY)) == -1) {
			log_err("rsync tree %s: %s", t->tmp, strerror(errno));
			rc = -2;
		}
		goto out;
	}
	rc = 0;
 out:
	buf_free(&next);
	return rc;
}

int
rsync_tree_prepare(const char *dir)
{
	struct buf	 tmp, next;
	char		*trees = path_join(dir, RSYNC_TREE_DIR);
	char		*cur = rsync_tree_current(dir), *curpath = NULL;
	int		 srcfd = -1, dstfd = -1, rc = -1;

	buf_init(&tmp);
	buf_init(&next);
	if (cur == NULL) {
		rc = 0;
		goto out;
	}
	buf_printf(&next, "%s/%s%s", trees, RSYNC_NEXT_PREFIX, cur);
	if (access(buf_str(&next), F_OK) == 0) {
		rc = 0;		/* made already */
		goto out;
	}
	buf_printf(&tmp, "%s/%snext-%s", trees, RSYNC_TMP_PREFIX, cur);
	curpath = path_join(trees, cur);
	if (rm_tree(AT_FDCWD, buf_str(&tmp)) == -1 ||
	    mkdir(buf_str(&tmp), 0755) == -1 ||
	    (dstfd = open(buf_str(&tmp), O_RDONLY | O_DIRECTORY)) == -1 ||
	    (srcfd = open(curpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) == -1 ||
	    link_tree(srcfd, dstfd) == -1 ||
	    rename(buf_str(&tmp), buf_str(&next)) == -1) {
		log_warn("rsync tree %s: preparing the next tree: %s",
		    buf_str(&tmp), strerror(errno));
		rm_tree(AT_FDCWD, buf_str(&tmp));
		goto out;
	}
	rc = 0;
 out:
	if (srcfd != -1)
		close(srcfd);
	if (dstfd != -1)
		close(dstfd);
	buf_free(&tmp);
	buf_free(&next);
	free(curpath);
	free(cur);
	free(trees);
	return rc;
}

struct rsync_tree *
rsync_tree_new(const char *dir, const char *name, const char *base)
{
	struct rsync_tree	*t = xcalloc(1, sizeof(*t));
	char			*trees = path_join(dir, RSYNC_TREE_DIR);
	char			*cur = NULL, *basepath = NULL;
	struct buf		 b;
	int			 basefd = -1, adopted;

	t->rootfd = -1;
	t->lastfd = -1;
	t->dir = xstrdup(dir);
	t->name = xstrdup(name);
	buf_init(&b);
	buf_printf(&b, "%s/%s%s", trees, RSYNC_TMP_PREFIX, name);
	t->tmp = buf_str(&b);
	if ((mkdir(dir, 0755) == -1 && errno != EEXIST) ||
	    (mkdir(trees, 0755) == -1 && errno != EEXIST)) {
		log_err("rsync tree %s: %s", trees, strerror(errno));
		goto fail;
	}
	/* A tree of this name left by a crash is incomplete: start over. */
	if (rm_tree(AT_FDCWD, t->tmp) == -1 || mkdir(t->tmp, 0755) == -1 ||
	    (t->rootfd = open(t->tmp, O_RDONLY | O_DIRECTORY)) == -1) {
		log_err("rsync tree %s: %s", t->tmp, strerror(errno));
		goto fail;
	}
	cur = rsync_tree_current(dir);
	if (base != NULL && cur != NULL && strcmp(cur, base) == 0 &&
	    (adopted = rsync_tree_adopt(t, trees, base)) != -1) {
		if (adopted == -2)
			goto fail;
		t->incremental = 1;
	} else if (base != NULL && cur != NULL && strcmp(cur, base) == 0) {
		basepath = path_join(trees, base);
		if ((basefd = open(basepath, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW)) == -1 || link_tree(basefd, t->rootfd) == -1) {
			log_err("rsync tree %s: linking from %s: %s", t->tmp,
			    basepath, strerror(errno));
			goto fail;
		}
		t->incremental = 1;
	}
	goto out;
 fail:
	rsync_tree_free(t);
	t = NULL;
 out:
	if (basefd != -1)
		close(basefd);
	free(basepath);
	free(cur);
	free(trees);
	return t;
}

int
rsync_tree_incremental(const struct rsync_tree *t)
{
	return t->incremental;
}

void
rsync_tree_free(struct rsync_tree *t)
{
	if (t == NULL)
		return;
	if (t->rootfd != -1)
		close(t->rootfd);
	if (t->lastfd != -1)
		close(t->lastfd);
	free(t->lastdir);
	if (t->tmp != NULL)
		rm_tree(AT_FDCWD, t->tmp);
	free(t->dir);
	free(t->name);
	free(t->tmp);
	free(t);
}

/* Create the directories of rel (not its last component). */
static int
mkdirs(int rootfd, const char *rel)
{
	char	 path[MAX_URI_LENGTH + 1];
	char	*s;

	if (strlen(rel) >= sizeof(path))
		return -1;
	strcpy(path, rel);
	for (s = strchr(path, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(rootfd, path, 0755) == -1 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return 0;
}

/*
 * The directory fd a new file of rel goes into, and the file's name in
 * it: for a tree that started empty the cached directory of the last
 * put (made now if rel is in another one), else the root, with rel as
 * the name after its directories were made.  -1 on error (errno).
 */
static int
put_dir(struct rsync_tree *t, const char *rel, const char **name)
{
	const char	*slash = strrchr(rel, '/');
	size_t		 dlen = slash != NULL ? (size_t)(slash - rel) : 0;
	int		 fd;

	if (t->incremental) {
		*name = rel;
		return mkdirs(t->rootfd, rel) == -1 ? -1 : t->rootfd;
	}
	*name = slash != NULL ? slash + 1 : rel;
	if (t->lastdir != NULL && strlen(t->lastdir) == dlen &&
	    strncmp(t->lastdir, rel, dlen) == 0)
		return t->lastfd;
	if (t->lastfd != -1)
		close(t->lastfd);
	t->lastfd = -1;
	free(t->lastdir);
	t->lastdir = NULL;
	if (dlen == 0)
		fd = dup(t->rootfd);
	else {
		char	path[MAX_URI_LENGTH + 1];

		if (mkdirs(t->rootfd, rel) == -1 || dlen >= sizeof(path))
			return -1;
		memcpy(path, rel, dlen);
		path[dlen] = '\0';
		fd = openat(t->rootfd, path, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd == -1)
		return -1;
	t->lastfd = fd;
	t->lastdir = xstrndup(rel, dlen);
	return fd;
}

int
rsync_tree_put(struct rsync_tree *t, const char *uri, const uint8_t *der,
    size_t len, time_t first_stored)
{
	struct timespec	 ts[2];
	const char	*rel, *name;
	size_t		 off = 0;
	ssize_t		 n;
	int		 dfd, fd = -1, rc = -1;

	if ((rel = rsync_tree_relpath(uri)) == NULL) {
		log_err("rsync tree: %s is not a safe rsync URI", uri);
		return -1;
	}
	/* A new inode: the old one may be linked from the previous tree. */
	if ((dfd = put_dir(t, rel, &name)) == -1)
		goto out;
	if (t->incremental && unlinkat(dfd, name, 0) == -1 && errno != ENOENT)
		goto out;
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd == -1 && errno == EEXIST && !t->incremental &&
	    unlinkat(dfd, name, 0) == 0)
		/* The same URI twice in one snapshot: the last one wins. */
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		goto out;
	while (off < len) {
		if ((n = write(fd, der + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		off += (size_t)n;
	}
	ts[0].tv_sec = ts[1].tv_sec = objtime_get(rel, der, len,
	    first_stored);
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (futimens(fd, ts) == -1)
		goto out;
	rc = 0;
 out:
	if (rc == -1 && (errno == ENOTDIR || errno == EISDIR ||
	    errno == EEXIST)) {
		/*
		 * Another object is a file where this one needs a directory,
		 * or the other way round: a file system cannot hold both.
		 * RRDP carries it; the rsync tree goes on without it rather
		 * than fail every serial for every publisher.
		 */
		log_warn("rsync tree: %s conflicts with another object's path "
		    "(a file and a directory of the same name); not in the "
		    "rsync tree", uri);
		t->conflicts++;
		rc = 0;
	} else if (rc == -1)
		log_err("rsync tree %s: %s: %s", t->tmp, rel, strerror(errno));
	if (fd != -1)
		close(fd);
	return rc;
}

int
rsync_tree_hash(struct rsync_tree *t, const char *uri, uint8_t hash[32])
{
	EVP_MD_CTX	*md;
	uint8_t		 chunk[16384];
	const char	*rel;
	ssize_t		 n;
	unsigned int	 mdlen;
	int		 fd, rc = -1;

	if ((rel = rsync_tree_relpath(uri)) == NULL) {
		log_err("rsync tree: %s is not a safe rsync URI", uri);
		return -1;
	}
	if ((fd = openat(t->rootfd, rel, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		log_err("rsync tree %s: %s: %s", t->tmp, rel, strerror(errno));
		return -1;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatalx("rsync_tree_hash: SHA-256 set-up failed");
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			/* A directory where the object would be: not there. */
			if (errno == EISDIR)
				rc = 0;
			else
				log_err("rsync tree %s: %s: %s", t->tmp, rel,
				    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(md, chunk, (size_t)n) != 1)
			fatalx("rsync_tree_hash: SHA-256 failed");
	}
	if (EVP_DigestFinal_ex(md, hash, &mdlen) != 1 || mdlen != 32)
		fatalx("rsync_tree_hash: SHA-256 failed");
	rc = 1;
 out:
	EVP_MD_CTX_free(md);
	close(fd);
	return rc;
}

int
rsync_tree_withdraw(struct rsync_tree *t, const char *uri)
{
	char		 path[MAX_URI_LENGTH + 1];
	const char	*rel;
	char		*s;

	if ((rel = rsync_tree_relpath(uri)) == NULL ||
	    strlen(rel) >= sizeof(path)) {
		log_err("rsync tree: %s is not a safe rsync URI", uri);
		return -1;
	}
	/* The cached directory may be one this removes. */
	if (t->lastfd != -1)
		close(t->lastfd);
	t->lastfd = -1;
	free(t->lastdir);
	t->lastdir = NULL;
	if (unlinkat(t->rootfd, rel, 0) == -1 && errno != ENOENT) {
		log_err("rsync tree %s: %s: %s", t->tmp, rel, strerror(errno));
		return -1;
	}
	/* Directories left empty go too, as they would from a fresh tree. */
	strcpy(path, rel);
	while ((s = strrchr(path, '/')) != NULL) {
		*s = '\0';
		if (unlinkat(t->rootfd, path, AT_REMOVEDIR) == -1)
			break;
	}
	return 0;
}

struct retired {
	char	*name;
	time_t	 since;
};

/* Read DIR/.retired; a missing file is an empty list. */
static int
retired_load(const char *dir, struct retired **out, size_t *n)
{
	char		*path = path_join(dir, RSYNC_RETIRED);
	char		*data, *line, *save = NULL, name[256];
	long long	 since;
	size_t		 len;

	*out = NULL;
	*n = 0;
	if (access(path, F_OK) == -1 && errno == ENOENT) {
		free(path);
		return 0;
	}
	if ((data = file_read(path, RSYNC_MAX_RETIRED * 300, &len)) == NULL) {
		free(path);
		return -1;
	}
	for (line = strtok_r(data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%255s %lld", name, &since) != 2 ||
		    *n >= RSYNC_MAX_RETIRED)
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[*n].name = xstrdup(name);
		(*out)[*n].since = (time_t)since;
		(*n)++;
	}
	free(data);
	free(path);
	return 0;
}

static int
retired_save(const char *dir, const struct retired *r, size_t n)
{
	char		*path = path_join(dir, RSYNC_RETIRED);
	struct buf	 b;
	size_t		 i;
	int		 rc;

	buf_init(&b);
	for (i = 0; i < n; i++)
		if (r[i].name != NULL)
			buf_printf(&b, "%s %lld\n", r[i].name,
			    (long long)r[i].since);
	/* Lost after a crash, trees are only retired later (expire). */
	rc = file_write_swap(path, b.data, b.len, 0644);
	buf_free(&b);
	free(path);
	return rc;
}

static void
retired_free(struct retired *r, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(r[i].name);
	free(r);
}

int
rsync_tree_commit(struct rsync_tree *t, time_t now)
{
	struct retired	*r = NULL;
	struct buf	 b;
	char		*trees = path_join(t->dir, RSYNC_TREE_DIR);
	char		*final = path_join(trees, t->name);
	char		*linktmp = path_join(t->dir, RSYNC_LINK_TMP);
	char		*link = path_join(t->dir, RSYNC_TREE_CURRENT);
	char		*old = rsync_tree_current(t->dir);
	size_t		 n = 0;
	int		 rc = -1;

	buf_init(&b);
	buf_printf(&b, "%s/%s", RSYNC_TREE_DIR, t->name);
	if (dir_times(t->rootfd) == -1) {
		log_err("rsync tree %s: directory times: %s", t->tmp,
		    strerror(errno));
		goto out;
	}
	/*
	 * Every file and directory of the tree on disk before `current`
	 * can name it: one syncfs instead of an fsync per file.
	 */
	if (syncfs(t->rootfd) == -1) {
		log_err("rsync tree %s: syncfs: %s", t->tmp, strerror(errno));
		goto out;
	}
	if (access(final, F_OK) == 0) {
		log_err("rsync tree %s exists already", final);
		goto out;
	}
	if (rename(t->tmp, final) == -1 || dir_fsync(trees) == -1) {
		log_err("rsync tree %s: %s", final, strerror(errno));
		goto out;
	}
	free(t->tmp);
	t->tmp = NULL;		/* nothing to remove from here on */
	if ((unlink(linktmp) == -1 && errno != ENOENT) ||
	    symlink(buf_str(&b), linktmp) == -1 ||
	    rename(linktmp, link) == -1 || dir_fsync(t->dir) == -1) {
		log_err("rsync tree %s: switching %s: %s", t->dir, link,
		    strerror(errno));
		goto out;
	}
	if (old != NULL && strcmp(old, t->name) != 0) {
		if (retired_load(t->dir, &r, &n) == -1)
			goto out;
		r = xrealloc(r, (n + 1) * sizeof(*r));
		r[n].name = old;
		r[n].since = now;
		old = NULL;
		n++;
		if (retired_save(t->dir, r, n) == -1)
			goto out;
	}
	rc = 0;
 out:
	retired_free(r, n);
	buf_free(&b);
	free(old);
	free(link);
	free(linktmp);
	free(final);
	free(trees);
	rsync_tree_free(t);
	return rc;
}

int
rsync_tree_expire(const char *dir, time_t now, time_t keep)
{
	struct retired	*r = NULL;
	struct dirent	*de;
	DIR		*d = NULL;
	char		*trees = path_join(dir, RSYNC_TREE_DIR);
	char		*cur = rsync_tree_current(dir);
	size_t		 n = 0, i;
	int		 removed = 0, changed = 0, known, rc = -1;

	if (retired_load(dir, &r, &n) == -1)
		goto out;
	if ((d = opendir(trees)) == NULL) {
		rc = errno == ENOENT ? 0 : -1;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (cur != NULL && strcmp(de->d_name, cur) == 0))
			continue;
		/* A partial tree is never served: remove it now. */
		if (strncmp(de->d_name, RSYNC_TMP_PREFIX,
		    strlen(RSYNC_TMP_PREFIX)) == 0) {
			if (rm_tree(dirfd(d), de->d_name) == 0)
				removed++;
			continue;
		}
		/* A prepared copy is of use only while its base is current. */
		if (strncmp(de->d_name, RSYNC_NEXT_PREFIX,
		    strlen(RSYNC_NEXT_PREFIX)) == 0) {
			if (cur == NULL || strcmp(de->d_name +
			    strlen(RSYNC_NEXT_PREFIX), cur) != 0)
				rm_tree(dirfd(d), de->d_name);
			continue;
		}
		for (known = 0, i = 0; i < n && !known; i++)
			known = r[i].name != NULL &&
			    strcmp(r[i].name, de->d_name) == 0;
		if (!known) {
			r = xrealloc(r, (n + 1) * sizeof(*r));
			r[n].name = xstrdup(de->d_name);
			r[n].since = now;
			n++;
			changed = 1;
		}
	}
	for (i = 0; i < n; i++) {
		if (r[i].name == NULL || (cur != NULL &&
		    strcmp(r[i].name, cur) == 0) || r[i].since + keep > now)
			continue;
		if (rm_tree(dirfd(d), r[i].name) == -1) {
			log_warn("rsync tree %s/%s: removing: %s", trees,
			    r[i].name, strerror(errno));
			continue;
		}
		log_info("rsync tree %s removed (retired %lld s ago)",
		    r[i].name, (long long)(now - r[i].since));
		free(r[i].name);
		r[i].name = NULL;
		removed++;
		changed = 1;
	}
	if (changed && retired_save(dir, r, n) == -1)
		goto out;
	rc = removed;
 out:
	if (d != NULL)
		closedir(d);
	retired_free(r, n);
	free(cur);
	free(trees);
	return rc;
}
