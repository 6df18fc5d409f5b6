/*
 * Applying RRDP objects to an rsync tree being built (rsync_tree.h) on a
 * thread of its own: the fetch pipeline (download, inflate, hash, parse)
 * runs on the caller's thread and queues each object; creating the
 * files, the larger cost at scale, runs beside it on the other core.
 * The queue holds at most SYNC_TREE_QUEUE_BYTES of objects, so memory
 * stays flat whatever the snapshot's size.
 *
 * In delta mode every element is checked against the tree first, in
 * order (RFC 8182 section 3.4.2, as section 3.5.3.3 defines the
 * elements): a publish without hash needs no object at its URI; a
 * publish with hash and a withdraw need the object there to have that
 * SHA-256.  The first violation stops the work (the tree is then
 * useless: the caller falls back to the snapshot); the elements keep
 * being accepted and dropped, so the file that carries them is still
 * read to its end and checked.
 *
 * Objects whose URI cannot be a file of the tree (not rsync://HOST/PATH
 * with plain segments) are left out of it with a warning: RRDP carries
 * them, rsync cannot.  Files whose object has no time of its own
 * (objtime.h) get SYNC_OBJTIME_FALLBACK, so every edge node writes the
 * same mtime.
 */
#ifndef RPKIPUB_SYNC_TREE_H
#define RPKIPUB_SYNC_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "rrdp_content.h"
#include "rsync_tree.h"

/* mtime of files whose object carries no time: 2000-01-01T00:00:00Z. */
#define SYNC_OBJTIME_FALLBACK	RSYNC_TREE_DIR_MTIME

struct sync_tree;

/* Start the thread on tree t (owned from now on); check: delta mode. */
struct sync_tree	*sync_tree_start(struct rsync_tree *t, int check);
/* Elements from now on belong to this file (for messages). */
void			 sync_tree_file(struct sync_tree *, const char *what);
/* An rrdp_elem_cb (arg: the sync_tree): queues the element. */
int			 sync_tree_elem(void *arg, enum rrdp_elem,
			    const char *uri, const uint8_t *hash,
			    const uint8_t *der, size_t len);
/*
 * Wait until everything queued is applied.  0, or -1 with the first
 * violation or I/O error in err (the tree is not usable then).
 */
int			 sync_tree_wait(struct sync_tree *, char *err,
			    size_t errlen);
/* 1 if a violation of RFC 8182 (not an I/O error) stopped the work. */
int			 sync_tree_violated(const struct sync_tree *);
/*
 * Stop the thread.  Returns the tree if all went well (the caller
 * commits or frees it), NULL after a failure (the tree is freed).  The
 * thread's CPU seconds are added to *cpu unless it is NULL.
 */
struct rsync_tree	*sync_tree_stop(struct sync_tree *, double *cpu);
/* CPU seconds (user + system) the calling thread has used. */
double			 sync_thread_cpu(void);
/* Objects written, withdrawn, and left out (unsafe URI). */
void			 sync_tree_counts(const struct sync_tree *,
			    uint64_t *put, uint64_t *withdrawn,
			    uint64_t *skipped);

#endif
