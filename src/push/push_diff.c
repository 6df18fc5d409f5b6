/*
 * Local directory against the server's list: one merge of two sorted
 * sequences.  A URI only local is published, one only listed withdrawn
 * (with the listed hash), one in both with other content replaced (with
 * the listed hash as the old one, RFC 8181 section 2.2), one with equal
 * hashes left alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"
#include "push_diff.h"

static const char *const action_names[] = {
	[PUSH_PUBLISH] = "publish",
	[PUSH_REPLACE] = "replace",
	[PUSH_WITHDRAW] = "withdraw",
};

const char *
push_action_name(enum push_action a)
{
	return action_names[a];
}

static int
listed_cmp(const void *a, const void *b)
{
	return strcmp(((const struct push_listed *)a)->uri,
	    ((const struct push_listed *)b)->uri);
}

int
push_listed_sort(struct push_listed *listed, size_t n, char *err,
    size_t errlen)
{
	size_t	i;

	if (n < 2)
		return 0;	/* and listed may be NULL: no qsort(NULL, 0) */
	qsort(listed, n, sizeof(*listed), listed_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(listed[i - 1].uri, listed[i].uri) == 0) {
			snprintf(err, errlen, "RFC 8181 section 2.3: the list "
			    "reply names %.200s twice", listed[i].uri);
			return -1;
		}
	}
	return 0;
}

static struct push_change *
plan_add(struct push_plan *plan, size_t *cap, enum push_action action,
    const char *uri)
{
	struct push_change	*c;

	if (plan->nchanges == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		plan->changes = xrealloc(plan->changes,
		    *cap * sizeof(*plan->changes));
	}
	c = &plan->changes[plan->nchanges++];
	memset(c, 0, sizeof(*c));
	c->action = action;
	c->uri = uri;
	return c;
}

int
push_diff(const struct push_file *files, size_t nfiles,
    struct push_listed *listed, size_t nlisted, struct push_plan *plan,
    char *err, size_t errlen)
{
	struct push_change	*c;
	size_t			 i = 0, j = 0, cap = 0;
	int			 cmp;

	memset(plan, 0, sizeof(*plan));
	if (push_listed_sort(listed, nlisted, err, errlen) == -1)
		return -1;
	while (i < nfiles || j < nlisted) {
		if (i == nfiles)
			cmp = 1;
		else if (j == nlisted)
			cmp = -1;
		else
			cmp = strcmp(files[i].uri, listed[j].uri);
		if (cmp < 0) {
			c = plan_add(plan, &cap, PUSH_PUBLISH, files[i].uri);
			c->file = &files[i++];
			plan->npublish++;
		} else if (cmp > 0) {
			c = plan_add(plan, &cap, PUSH_WITHDRAW, listed[j].uri);
			memcpy(c->old_hash, listed[j++].hash, 32);
			plan->nwithdraw++;
		} else {
			if (memcmp(files[i].hash, listed[j].hash, 32) == 0)
				plan->nunchanged++;
			else {
				c = plan_add(plan, &cap, PUSH_REPLACE,
				    files[i].uri);
				c->file = &files[i];
				memcpy(c->old_hash, listed[j].hash, 32);
				plan->nreplace++;
			}
			i++;
			j++;
		}
	}
	return 0;
}

void
push_plan_free(struct push_plan *plan)
{
	free(plan->changes);
	memset(plan, 0, sizeof(*plan));
}

int
push_plan_mass_withdraw(const struct push_plan *plan, unsigned int max_pct,
    char *err, size_t errlen)
{
	size_t	listed;

	listed = plan->nwithdraw + plan->nreplace + plan->nunchanged;
	if (listed == 0 || plan->nwithdraw == 0)
		return 0;
	if (plan->nwithdraw == listed && plan->npublish == 0) {
		snprintf(err, errlen, "the plan withdraws all %zu object%s the "
		    "server lists and publishes nothing: an empty source "
		    "directory (not mounted, or emptied by mistake?)", listed,
		    listed == 1 ? "" : "s");
		return -1;
	}
	/* No overflow: at most MAX_PDUS_PER_REPLY objects, times 100. */
	if (listed >= PUSH_MASS_MIN_LISTED &&
	    plan->nwithdraw * 100 > (size_t)max_pct * listed) {
		snprintf(err, errlen, "the plan withdraws %zu of the %zu "
		    "objects the server lists (%zu%%, over --max-withdraw "
		    "%u%%)", plan->nwithdraw, listed, plan->nwithdraw * 100 /
		    listed, max_pct);
		return -1;
	}
	return 0;
}

int
push_diff_equal(const struct push_file *files, size_t nfiles,
    struct push_listed *listed, size_t nlisted, char *err, size_t errlen)
{
	struct push_plan	plan;
	const char		*what;
	int			rc = -1;

	if (push_diff(files, nfiles, listed, nlisted, &plan, err,
	    errlen) == -1)
		goto out;
	if (plan.nchanges == 0) {
		rc = 0;
		goto out;
	}
	switch (plan.changes[0].action) {
	case PUSH_PUBLISH:
		what = "missing";
		break;
	case PUSH_REPLACE:
		what = "other content";
		break;
	default:
		what = "not in the directory";
		break;
	}
	snprintf(err, errlen, "the server lists %zu objects, %zu of them as "
	    "in the directory; %zu missing, %zu with other content, %zu not "
	    "in the directory; the first: %.300s (%s)", nlisted,
	    plan.nunchanged, plan.npublish, plan.nreplace, plan.nwithdraw,
	    plan.changes[0].uri, what);
 out:
	push_plan_free(&plan);
	return rc;
}
