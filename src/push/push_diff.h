/*
 * The difference between a local directory (push_tree.h) and what the
 * server lists for the publisher (RFC 8181 section 2.3), by SHA-256: the
 * PDUs of the one query that makes the publication point equal to the
 * directory (BCP section 4.4).
 */
#ifndef RPKIPUB_PUSH_DIFF_H
#define RPKIPUB_PUSH_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "push_tree.h"

/* An object the server holds: a <list uri hash/> of its reply. */
struct push_listed {
	char	*uri;
	uint8_t	 hash[32];
};

enum push_action {
	PUSH_PUBLISH,		/* new: <publish> without hash */
	PUSH_REPLACE,		/* changed: <publish hash=old> */
	PUSH_WITHDRAW		/* gone: <withdraw hash=old> */
};

struct push_change {
	enum push_action	 action;
	const char		*uri;		/* borrowed from file or listed */
	const struct push_file	*file;		/* publish, replace */
	uint8_t			 old_hash[32];	/* replace, withdraw */
};

struct push_plan {
	struct push_change	*changes;	/* in URI order (strcmp) */
	size_t			 nchanges;
	size_t			 npublish;
	size_t			 nreplace;
	size_t			 nwithdraw;
	size_t			 nunchanged;
};

/*
 * Compute the plan from files (sorted by uri, unique: a push_tree) and
 * listed (any order; sorted here).  The plan borrows from both: keep them
 * until it is freed.  Returns 0, or -1 with the reason in err if the
 * server listed one URI twice.
 */
int	push_diff(const struct push_file *files, size_t nfiles,
	    struct push_listed *listed, size_t nlisted, struct push_plan *plan,
	    char *err, size_t errlen);
void	push_plan_free(struct push_plan *);
/*
 * Sort listed by uri (strcmp); 0, or -1 with the reason in err if a URI
 * is listed twice.  push_diff() does this itself.
 */
int	push_listed_sort(struct push_listed *, size_t, char *err,
	    size_t errlen);

/*
 * The mass-withdraw rule of sync: an empty or unmounted CA output
 * directory scans cleanly, and its plan would withdraw the whole
 * publication point, so relying parties would lose every ROA.  Returns 0
 * if the plan may be sent, or -1 with the reason in err if it withdraws
 * every listed object while publishing nothing (however few are listed),
 * or more than max_pct percent of the listed objects when at least
 * PUSH_MASS_MIN_LISTED are listed.  Replaced objects stay published and
 * do not count as withdrawn.
 */
int	push_plan_mass_withdraw(const struct push_plan *, unsigned int max_pct,
	    char *err, size_t errlen);

/*
 * Whether listed (any order; sorted here) holds exactly files: after a
 * change query, what sync --verify asks the server again.  Returns 0, or
 * -1 with the difference (counts and the first URI) in err.
 */
int	push_diff_equal(const struct push_file *files, size_t nfiles,
	    struct push_listed *listed, size_t nlisted, char *err,
	    size_t errlen);

/* "publish", "replace", "withdraw". */
const char	*push_action_name(enum push_action);

#endif
