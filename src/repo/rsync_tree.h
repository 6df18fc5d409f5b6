/*
 * The rsync tree (publication-server BCP, rsync section).
 *
 *   DIR/current -> trees/NAME     the tree rsyncd serves (a symlink)
 *   DIR/trees/NAME/MODULE/...     one complete tree per serial
 *   DIR/trees/.tmp-NAME/          a tree being built (never served)
 *   DIR/trees/.next-NAME/         a complete link copy of NAME, made in
 *                                 the idle time after NAME became current,
 *                                 taken over by the next tree
 *   DIR/.retired                  "NAME TIME" of trees no longer current
 *
 * A new tree starts as hard links to every file of the current one (so
 * unchanged files cost a link, keep their inode and their mtime), then
 * takes the serial's changes: new content is always a new file, never a
 * write into a linked inode.  A tree that starts empty is filled with
 * fewer system calls (the directory of the last file stays open), so a
 * snapshot in URI order costs about one openat() per object.  Files get deterministic mtimes (objtime.h),
 * directories one constant.  When the tree is complete and on disk it is
 * renamed into place and `current` is switched with rename(2) over a
 * temporary symlink, so `current` always names a complete tree.  An
 * rsyncd that chdir()ed into the old tree keeps serving it consistently;
 * old trees are removed only after rsync_keep seconds.
 *
 * rsync://HOST/MODULE/PATH is the file MODULE/PATH of the tree.
 */
#ifndef RPKIPUB_RSYNC_TREE_H
#define RPKIPUB_RSYNC_TREE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RSYNC_TREE_CURRENT	"current"
#define RSYNC_TREE_DIR		"trees"
/* Directories' mtime: one constant (2000-01-01T00:00:00Z). */
#define RSYNC_TREE_DIR_MTIME	946684800

struct rsync_tree;

/*
 * Start tree name under dir (created if missing).  If `current` names
 * base, the new tree starts as a copy of it (hard links) and the caller
 * applies only the changes; otherwise it starts empty and
 * rsync_tree_incremental() returns 0: the caller puts every object.
 * NULL on error (logged).
 */
struct rsync_tree	*rsync_tree_new(const char *dir, const char *name,
			    const char *base);
int			 rsync_tree_incremental(const struct rsync_tree *);
/* Write (or replace) the object at uri with mtime objtime(). 0 or -1. */
int			 rsync_tree_put(struct rsync_tree *, const char *uri,
			    const uint8_t *der, size_t len,
			    time_t first_stored);
/*
 * The SHA-256 of the object at uri in the tree being built (what a
 * delta's publish or withdraw hash must match, RFC 8182 section
 * 3.4.2): 1 with hash set, 0 if there is no object there, -1 on error.
 */
int			 rsync_tree_hash(struct rsync_tree *, const char *uri,
			    uint8_t hash[32]);
/* Remove the object at uri (and directories left empty).  0 or -1. */
int			 rsync_tree_withdraw(struct rsync_tree *,
			    const char *uri);
/*
 * Finish: directory mtimes, everything to disk (syncfs), rename into
 * trees/, switch `current`, record the previous tree as retired.
 * 0 or -1; the tree is freed either way.
 */
int			 rsync_tree_commit(struct rsync_tree *, time_t now);
/* Abandon a tree being built (removes it).  NULL-safe. */
void			 rsync_tree_free(struct rsync_tree *);

/*
 * Make trees/.next-CURRENT, the hard-link copy of the current tree that
 * the next rsync_tree_new() with CURRENT as base takes over instead of
 * linking every file then: the links move off the path from a change to
 * its announcement.  0 (also when there is nothing to do) or -1.
 */
int			 rsync_tree_prepare(const char *dir);
/* The name `current` points at, in a new string, or NULL if none. */
char			*rsync_tree_current(const char *dir);
/*
 * Remove partial trees, and trees retired more than keep seconds ago;
 * trees neither current nor known as retired count as retired now.
 * Returns the number of trees removed, or -1.
 */
int			 rsync_tree_expire(const char *dir, time_t now,
			    time_t keep);
/* The tree path of an rsync URI ("MODULE/PATH"), or NULL if unsafe. */
const char		*rsync_tree_relpath(const char *uri);

#endif
