/*
 * Crash-safe file writes (temporary name, fsync, rename(2), fsync of the
 * directory) and bounded whole-file reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "log.h"

int
fsync_dir(const char *path)
{
	char	*copy = xstrdup(path);
	int	 fd, rc = -1;

	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY)) != -1) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

int
file_write_atomic(const char *path, const void *data, size_t len, int mode)
{
	struct buf	 tmp;
	const uint8_t	*p = data;
	ssize_t		 n;
	int		 fd = -1, rc = -1;

	buf_init(&tmp);
	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(buf_str(&tmp), O_WRONLY | O_CREAT | O_TRUNC, mode)) ==
	    -1) {
		log_err("%s: %s", buf_str(&tmp), strerror(errno));
		goto out;
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			log_err("%s: write: %s", buf_str(&tmp),
			    strerror(errno));
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		log_err("%s: fsync: %s", buf_str(&tmp), strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(buf_str(&tmp), path) == -1) {
		log_err("rename %s: %s", path, strerror(errno));
		goto out;
	}
	if (fsync_dir(path) == -1) {
		log_err("fsync directory of %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
 out:
	if (fd != -1)
		close(fd);
	if (rc == -1)
		unlink(buf_str(&tmp));
	buf_free(&tmp);
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
