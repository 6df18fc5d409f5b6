/*
 * The local copy: where upstream's files go under the RRDP directory,
 * the local notification, and the retention of files no longer listed.
 *
 * Layout (what `rpkipubctl verify`, the RRDP listener's path grammar
 * and `rpkipubctl nginx-conf` expect):
 *
 *   RRDP_DIR/notification.xml
 *   RRDP_DIR/<session>/<serial>/<h>/snapshot.xml (+ .gz)
 *   RRDP_DIR/<session>/<serial>/<h>/delta.xml    (+ .gz)
 *
 * h is the first 32 hex digits of the SHA-256 of "URI HASH": the
 * upstream URI of the file, a space, and the hash the notification lists
 * for it.  So every edge node following the same upstream writes the
 * same paths (and the same bytes: upstream's), a path is as
 * unpredictable as upstream's own until the notification announces it,
 * any upstream layout maps to this one, and a file upstream mutated
 * under the same URI (RFC 9697) gets a path of its own instead of
 * overwriting one that is being served.
 *
 * The local notification is upstream's with the URIs changed to
 * BASE_URI + the local path: the same session, serial, hashes and
 * deltas.
 */
#ifndef RPKIPUB_SYNC_MIRROR_H
#define RPKIPUB_SYNC_MIRROR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sync_state.h"

struct buf;

/* Hex digits of the local directory of a file. */
#define SYNC_DIR_HEX	32

/*
 * The local path (under the RRDP directory) of the file upstream
 * serves at uri with SHA-256 hash, of serial serial in session, named
 * name ("snapshot.xml", "delta.xml").  A new string.
 */
char	*sync_local_rel(const char *session, int64_t serial, const char *uri,
	    const uint8_t hash[32], const char *name);
/* The local notification for st (st->serial > 0), appended to out. */
void	 sync_notification(struct buf *out, const struct sync_state *st,
	    const char *base_uri);
/*
 * Make RRDP_DIR/notification.xml hold exactly those bytes: if it does
 * not already, written to a temporary name, fsynced and renamed.
 * Returns 1 written, 0 already so, -1 on error (logged).
 */
int	 sync_notification_install(const char *rrdp_dir, const uint8_t *,
	    size_t);
/*
 * Is the listed file rel (and its .gz twin) in place with SHA-256
 * hash?  trusted: the file was checked when an earlier state listed it,
 * so it only has to exist; otherwise it is read and hashed.  1 or 0.
 */
int	 sync_file_present(const char *rrdp_dir, const char *rel,
	    const uint8_t hash[32], int trusted);
/*
 * Retention (BCP: files stay two hours after they stop being listed):
 * remove the files of st->gone older than keep seconds, then walk the
 * RRDP directory and add every file st neither lists nor awaits removal
 * of as gone since now (left by a crash, or of an old session);
 * temporaries of an interrupted download go at once, and so do
 * directories left empty.  Returns the number of files removed; *changed
 * says whether st changed (then save it).
 */
size_t	 sync_sweep(const char *rrdp_dir, struct sync_state *st, time_t now,
	    time_t keep, int *changed);
/*
 * Room for room of the n files awaiting removal in g: when there are
 * more, sort g oldest first and remove the files of the first n - room
 * now (their entries stay for the caller to drop).  Returns how many.
 */
size_t	 sync_gone_trim(const char *rrdp_dir, struct sync_gone *g, size_t n,
	    size_t room);
/*
 * Everything written under dir on disk (syncfs(2) of its file system).
 * 0 or -1 (logged).
 */
int	 sync_syncfs(const char *dir);

#endif
