/*
 * rrdpsync's follower: one round of RFC 8182 section 3.4 (with
 * RFC 9674 and RFC 9697) against one upstream, and the local copy it
 * keeps (sync_mirror.h) with its rsync tree (rsync_tree.h).
 *
 * A round:
 *   1. GET the notification, conditional on the validators of the last
 *      one processed; 304: the local copy is checked and stays.
 *   2. Parse it (RFC 8182 section 3.5.1); every snapshot and delta URI
 *      must have the notification URL's origin (RFC 9674 section 3.2).
 *   3. Decide (sync_decide, below): nothing, deltas or the snapshot; or
 *      refuse the notification.
 *   4. Download every listed file not already held (sync_fetch.h),
 *      oldest delta first; the deltas after the local serial are applied
 *      to a new rsync tree made of hard links to the current one, or the
 *      snapshot fills a new empty tree; each file is parsed and its hash
 *      compared with the notification's before it is in place.  A delta
 *      that does not fit the tree (RFC 8182 section 3.4.2) sends the
 *      tree to the snapshot in the same round.
 *   5. Everything on disk (syncfs), `current` switched to the new tree,
 *      the state file written, then the local notification.
 *   6. Files no longer listed are kept --keep seconds, old trees
 *      --rsync-keep seconds.
 * Any failure before 5 leaves notification, files and `current` as they
 * were; the next round starts again from step 1.
 */
#ifndef RPKIPUB_SYNC_FOLLOW_H
#define RPKIPUB_SYNC_FOLLOW_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rrdp_notification.h"
#include "sync_fetch.h"
#include "sync_state.h"

/* ---- the decision of a round (RFC 8182 section 3.4.1, RFC 9697) ---- */

enum sync_action {
	SYNC_ACT_NONE,		/* already at upstream's serial */
	SYNC_ACT_DELTAS,	/* apply deltas first..last */
	SYNC_ACT_SNAPSHOT,	/* a new tree from the snapshot */
	SYNC_ACT_REFUSE		/* keep the local copy; an error */
};

enum sync_reason {
	SYNC_WHY_CURRENT,	/* same session and serial */
	SYNC_WHY_FIRST,		/* no state yet */
	SYNC_WHY_NEW_SESSION,
	SYNC_WHY_DELTAS,	/* newer serial, deltas reach back */
	SYNC_WHY_BEHIND,	/* newer serial, deltas do not reach back */
	SYNC_WHY_DESYNC,	/* RFC 9697: a seen delta's hash changed */
	SYNC_WHY_SNAPSHOT_CHANGED, /* same serial, another snapshot hash */
	SYNC_WHY_REGRESSION,	/* lower serial, followed after the grace */
	SYNC_WHY_REGRESSION_REFUSED,
	SYNC_WHY_CHAIN		/* listed deltas not contiguous: refused */
};

struct sync_decision {
	enum sync_action	action;
	enum sync_reason	reason;
	int64_t			first, last;	/* SYNC_ACT_DELTAS */
	/* RFC 9697: the first changed delta, and how many changed. */
	size_t			ndesync;
	int64_t			desync_serial;
	uint8_t			desync_old[RRDP_HASH_LEN];
	uint8_t			desync_new[RRDP_HASH_LEN];
	char			why[512];	/* one line */
};

/*
 * What to do with notification n given the state of the last one
 * processed (st), at now; a serial regression is refused until it has
 * lasted grace seconds (st->regression_since), then followed by the
 * snapshot.  Pure: touches neither st nor the disk.
 */
void	sync_decide(const struct sync_state *st,
	    const struct rrdp_notification *n, time_t now, time_t grace,
	    struct sync_decision *d);
/* Short name of a reason, for the round's log line. */
const char *sync_reason_name(enum sync_reason);

/*
 * RFC 9674 section 3.2: the snapshot and every delta URI of n on the
 * origin of source.  0, or -1 with the first offender named in err.
 */
int	sync_check_origin(const char *source, const struct rrdp_notification *n,
	    char *err, size_t errlen);

/* ---- the follower ---- */

struct sync_config {
	const char	*source;	/* upstream's notification URL */
	const char	*rrdp_dir;
	const char	*rsync_dir;
	const char	*base_uri;	/* this node's public RRDP base, ends '/' */
	const char	*state_dir;
	const char	*status_file;	/* NULL: no status file */
	const char	*ca_file;
	const char	*connect_to;	/* HOST:PORT:ADDR:PORT2, or NULL */
	uint64_t	 max_snapshot;
	uint64_t	 max_delta;
	uint64_t	 max_round;	/* all files of a round, decoded */
	uint64_t	 max_notification;
	long		 connect_timeout;
	long		 timeout;
	long		 stall_timeout;
	time_t		 keep;		/* unreferenced RRDP files */
	time_t		 rsync_keep;	/* retired rsync trees */
	time_t		 regression_grace;
	int		 progress;	/* progress line on stderr */
};

/* Counters and the last outcome: status file and metrics. */
struct sync_stats {
	uint64_t	rounds;
	uint64_t	failures[SYNC_FAULT_COUNT];
	uint64_t	not_modified;
	uint64_t	desyncs;	/* RFC 9697 */
	uint64_t	regressions;
	uint64_t	snapshots_applied;
	uint64_t	deltas_applied;
	uint64_t	delta_fallbacks;	/* a delta did not fit */
	uint64_t	files_fetched;
	uint64_t	bytes_fetched;		/* as received */
	uint64_t	files_removed;
	uint64_t	trees_removed;
	char		session[RRDP_SESSION_LEN + 1];
	int64_t		serial;
	uint64_t	deltas_listed;
	time_t		started;
	time_t		last_attempt;
	time_t		last_success;
	double		last_duration;
	enum sync_fault	last_fault;	/* NONE after a success */
	char		last_error[1024];
	char		last_round[128];	/* what it applied */
};

struct sync;

/*
 * Open the follower: make the directories, take the lock (one rrdpsync
 * per state directory), load the state (a corrupt state file is set
 * aside as state.corrupt and the copy starts over from the snapshot).
 * NULL with a reason in err.
 */
struct sync	*sync_open(const struct sync_config *, char *err, size_t errlen);
/*
 * One round (see above).  0: the local copy is current with upstream;
 * -1: it is not (err has the one-line reason); the copy is unchanged.
 * A non-zero *stop aborts at the next step (SYNC_FAULT_STOPPED).
 */
int		 sync_round(struct sync *, volatile sig_atomic_t *stop,
		    char *err, size_t errlen);
/* Idle-time work between rounds: the next tree's hard links. */
void		 sync_idle(struct sync *);
/* A copy of the counters (thread-safe: the metrics listener reads). */
void		 sync_get_stats(struct sync *, struct sync_stats *);
void		 sync_close(struct sync *);

#endif
