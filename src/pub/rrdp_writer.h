/*
 * The repository writer: turns the store's change log into RRDP serials
 * (RFC 8182) and rsync trees, operated as the publication-server BCP
 * asks.
 *
 * Every interval (rrdp_interval, 60 s by default: BCP section 8.5) the
 * changes committed since the last serial become ONE delta for all
 * publishers, collapsed to the net change per URI; no change, no serial.
 * For each serial, in this order:
 *   1. one read transaction of the store gives the delta, the snapshot
 *      and the rsync changes of one consistent state;
 *   2. <rrdp>/<session>/<serial>/<random>/{delta,snapshot}.xml and their
 *      .gz twins are written, while a second thread starts the new rsync
 *      tree as hard links to the previous one; the delta's changes are
 *      then applied to the tree;
 *   3. one syncfs() puts all of it on disk (one more if the RRDP dir is
 *      on another file system), then `current` is switched (rsync_tree.h);
 *   4. the store's generation counter is raised (meta rrdp_generation);
 *   5. the state file <rrdp>/.rpkipub-state is replaced atomically;
 *   6. notification.xml is replaced atomically.
 * A crash at any point leaves the previous notification naming files
 * that exist; files of a serial that was never announced are unreferenced
 * and removed later.  Announced files never change (RFC 9697).
 *
 * Session and regression: the state file (next to the output, so it is
 * not restored with a backup of the store) keeps the session, the serial,
 * the last change id included and the generation.  A store whose
 * generation is below the state's, or whose change log is behind, was
 * restored from an older copy: the writer starts a new session rather
 * than announce an old serial with other content (BCP: a restore that
 * regresses content MUST start a new RRDP session).  `rpkipubctl
 * session-reset` asks for a new session through meta rrdp_reset.
 */
#ifndef RPKIPUB_RRDP_WRITER_H
#define RPKIPUB_RRDP_WRITER_H

#include <stdint.h>
#include <time.h>

#include "config.h"

#define RRDP_STATE_FILE		".rpkipub-state"
#define RRDP_NOTIFICATION	"notification.xml"
/* Store meta keys. */
#define RRDP_META_GENERATION	"rrdp_generation"
#define RRDP_META_RESET		"rrdp_reset"

struct rrdp_writer;

/* What the writer last did, for metrics and status. */
struct rrdp_status {
	char	session[37];
	int64_t	serial;
	int64_t	snapshot_bytes;
	int64_t	objects;		/* in the last snapshot */
	int64_t	object_bytes;		/* their DER */
	int64_t	deltas_listed;
	int64_t	delta_seconds;		/* age of the oldest listed delta */
	double	last_duration;		/* seconds, of the last serial */
	time_t	last_serial_time;
	int64_t	serials;		/* written since start */
	int64_t	resets;			/* sessions started since start */
	int64_t	failures;		/* runs that failed since start */
	int64_t	changes_pruned;		/* change log rows removed */
};

/*
 * Create the RRDP and rsync directories and a state file with a new
 * session (serial 0: nothing announced yet), as `rpkipubctl init` does.
 * 0 or -1.
 */
int			 rrdp_writer_init(const struct config *);
/* A writer on its own store connection.  NULL on error (logged). */
struct rrdp_writer	*rrdp_writer_new(const struct config *,
			    const char *store_path);
void			 rrdp_writer_free(struct rrdp_writer *);
/*
 * One interval's work: a new serial if anything changed (or a session
 * reset is due).  Returns 1 if a serial
 * was written, 0 if there was nothing to do, -1 on error (logged; the
 * announced state is unchanged and the next run tries again).
 */
int			 rrdp_writer_run(struct rrdp_writer *, time_t now);
void			 rrdp_writer_status(struct rrdp_writer *,
			    struct rrdp_status *);
/*
 * Idle-time work after a run: removal of files unreferenced for
 * rrdp_keep, of trees retired for rsync_keep and of announced changes
 * older than change_log_keep from the store, and the hard-link copy
 * of the current rsync tree that the next serial's tree starts from
 * (rsync_tree_prepare).  0 or -1.
 */
int			 rrdp_writer_prepare(struct rrdp_writer *, time_t now);

/* Thread running rrdp_writer_run every rrdp_interval seconds. */
struct rrdp_thread;
struct rrdp_thread	*rrdp_thread_start(struct rrdp_writer *,
			    unsigned int interval);
void			 rrdp_thread_stop(struct rrdp_thread *);

#endif
