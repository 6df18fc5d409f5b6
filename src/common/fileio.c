/*
 * Crash-safe file writes (temporary name, fsync, rename(2), fsync of the
 * directory) and bounded whole-file reads.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"
#include "fileio.h"
#include "log.h"

int
dir_fsync(const char *dir)
{
	int	fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
		log_err("%s: open: %s", dir, strerror(errno));
		return -1;
	}
	if (fsync(fd) == -1) {
		log_err("%s: fsync: %s", dir, strerror(errno));
		rc = -1;
	}
	close(fd);
	return rc;
}

int
dir_create(const char *path)
{
	char	*p = xstrdup(path), *s;
	int	 rc = -1;

	/* Stop at the first failure and name it: what follows would only
	 * fail with ENOENT and hide the cause (ENOSPC, EACCES). */
	for (s = strchr(p + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST)
			goto out;
		*s = '/';
	}
	if (mkdir(p, 0755) == -1 && errno != EEXIST)
		goto out;
	rc = 0;
 out:
	if (rc == -1)
		log_err("%s: mkdir: %s", p, strerror(errno));
	free(p);
	return rc;
}

static int
file_write_replace(const char *path, const void *data, size_t len, int mode,
    int durable)
{
	const uint8_t	*p = data;
	struct buf	 b;
	char		*copy, *dir, *base, *tmp = NULL;
	ssize_t		 n;
	int		 fd = -1, rc = -1;

	copy = xstrdup(path);
	dir = xstrdup(dirname(copy));
	free(copy);
	copy = xstrdup(path);
	base = basename(copy);
	/* Hidden, unique, and in the same directory so rename(2) is atomic. */
	buf_init(&b);
	buf_printf(&b, "%s/.%s.XXXXXX", dir, base);
	tmp = buf_str(&b);
	if ((fd = mkstemp(tmp)) == -1) {
		log_err("%s: mkstemp: %s", tmp, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, (mode_t)mode) == -1) {
		log_err("%s: fchmod: %s", tmp, strerror(errno));
		goto out;
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			log_err("%s: write: %s", tmp, strerror(errno));
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (durable && fsync(fd) == -1) {
		log_err("%s: fsync: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		log_err("%s: close: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		log_err("rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if (durable && dir_fsync(dir) == -1)
		goto out;
	rc = 0;
 out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(copy);
	free(dir);
	return rc;
}

char *
file_read(const char *path, size_t max, size_t *lenp)
{
	struct buf	 b;
	char		 chunk[65536];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		log_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	buf_init(&b);
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			log_err("%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			log_err("%s: larger than %zu bytes", path, max);
			goto fail;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (lenp != NULL)
		*lenp = b.len;
	return (char *)buf_release(&b, NULL);
 fail:
	close(fd);
	buf_free(&b);
	return NULL;
}

int
file_write_atomic(const char *path, const void *data, size_t len, int mode)
{
	return file_write_replace(path, data, len, mode, 1);
}

int
file_write_swap(const char *path, const void *data, size_t len, int mode)
{
	return file_write_replace(path, data, len, mode, 0);
}

char *
path_join(const char *a, const char *b)
{
	struct buf	p;

	buf_init(&p);
	buf_printf(&p, "%s/%s", a, b);
	return buf_str(&p);
}

int
path_rel_safe(const char *rel)
{
	const char	*s;
	int		 seg_start = 1;

	if (*rel == '\0' || strlen(rel) > PATH_REL_MAX)
		return 0;
	for (s = rel; *s != '\0'; s++) {
		if (*s == '/') {
			if (seg_start)
				return 0;
			seg_start = 1;
			continue;
		}
		if (seg_start && *s == '.')
			return 0;
		seg_start = 0;
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		    *s == '-'))
			return 0;
	}
	return !seg_start;
}

int
file_remove_under(const char *root, const char *rel)
{
	char	*path, *slash;
	size_t	 base = strlen(root);
	int	 rc = 0;

	path = path_join(root, rel);
	if (unlink(path) == 0)
		rc = 1;
	else if (errno != ENOENT)
		log_warn("%s: %s", path, strerror(errno));
	/* Directories left empty go too (rmdir fails otherwise). */
	while ((slash = strrchr(path, '/')) != NULL &&
	    (size_t)(slash - path) > base) {
		*slash = '\0';
		if (rmdir(path) == -1)
			break;
	}
	free(path);
	return rc;
}

int
file_lock(const char *path)
{
	int	fd, saved;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}
