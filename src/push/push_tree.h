/*
 * The local directory rpkipub-push makes a publication point equal to.
 *
 * Each regular file SRC/a/b.roa is the object at sia_base + "a/b.roa".
 * A scan reads every file once (SHA-256, size) and refuses, before
 * anything is sent, what could not be published: a name the URI jail
 * refuses (uri_in_jail, the check the server makes), an empty file or
 * one over max_object, a symbolic link that leaves the tree, points to a
 * directory or nowhere, anything not a regular file or directory, an
 * unreadable entry, and more than max_files files.
 */
#ifndef RPKIPUB_PUSH_TREE_H
#define RPKIPUB_PUSH_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct push_file {
	char		*path;		/* relative to the root, '/'-separated */
	char		*uri;		/* sia_base + path */
	uint8_t		 hash[32];	/* SHA-256 of the content */
	size_t		 size;
};

struct push_tree {
	struct push_file	*files;		/* sorted by uri (strcmp) */
	size_t			 nfiles;
	size_t			 cap;
};

/*
 * Map a relative path to its URI under sia_base and check it against the
 * jail.  Returns a malloc'd URI, or NULL with the reason in err.
 */
char	*push_path_uri(const char *sia_base, const char *path, char *err,
	    size_t errlen);

/*
 * Scan root.  Returns 0 and a new tree in *out; or -1 with one line per
 * refused entry ("PATH: reason\n", PATH as given under root) appended to
 * refusals and *nrefused set (nothing in *out).  An error that stops the
 * scan itself (root unreadable) is one refusal too.
 */
int	 push_tree_scan(const char *root, const char *sia_base,
	    size_t max_object, size_t max_files, struct push_tree **out,
	    struct buf *refusals, size_t *nrefused);
void	 push_tree_free(struct push_tree *);

/*
 * Read file f of the tree under root again, for its publish PDU, and
 * check it is still what the scan saw.  Returns the content (malloc'd,
 * f->size bytes), or NULL with the reason in err.
 */
uint8_t	*push_tree_read(const char *root, const struct push_file *f,
	    char *err, size_t errlen);

#endif
