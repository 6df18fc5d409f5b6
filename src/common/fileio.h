#ifndef RPKIPUB_FILEIO_H
#define RPKIPUB_FILEIO_H

#include <stddef.h>

/*
 * Write data to path so that a crash leaves either the old or the new
 * file: temporary name in the same directory, fsync, rename(2), fsync of
 * the directory.  0 or -1 (logged).
 */
int	 file_write_atomic(const char *path, const void *, size_t, int mode);
/*
 * The same without the fsyncs: readers see the old or the new file, but
 * after a crash it may be either, or empty.  For bookkeeping whose loss
 * is harmless.
 */
int	 file_write_swap(const char *path, const void *, size_t, int mode);
/*
 * mkdir -p: make path and its missing parents (mode 0755).  Stops at
 * the first component that fails and logs it with its errno.  0 or -1.
 */
int	 dir_create(const char *path);
/* fsync a directory, so renames and creations in it survive a crash. */
int	 dir_fsync(const char *dir);
/* "a/b" in a new string. */
char	*path_join(const char *a, const char *b);
/*
 * A relative path this program is willing to open under a directory it
 * owns: at most PATH_REL_MAX characters in segments of [A-Za-z0-9._-],
 * none empty and none starting with '.' (no "..", no hidden files, no
 * leading or trailing '/').  1 or 0.
 */
int	 path_rel_safe(const char *rel);
/*
 * Remove root/rel, a file nobody references any more, and the
 * directories below root it leaves empty.  1 removed, 0 it was not there
 * or could not go (logged).
 */
int	 file_remove_under(const char *root, const char *rel);
/*
 * Hold an exclusive lock on path (created if missing) for as long as the
 * returned descriptor stays open: one process per directory.  -1 with
 * errno EWOULDBLOCK when another process holds it, other errnos else.
 */
int	 file_lock(const char *path);
/* Read a whole file of at most max bytes; malloc'd, NUL-terminated. */
char	*file_read(const char *path, size_t max, size_t *len);

#endif
