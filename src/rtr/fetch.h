/*
 * rpki-client JSON over https (libcurl): a conditional GET (ETag and
 * Last-Modified of the last good download), the body fed to the
 * streaming parser as it arrives.
 */
#ifndef RPKIPUB_RTR_FETCH_H
#define RPKIPUB_RTR_FETCH_H

#include <stddef.h>
#include <time.h>

#include "input.h"
#include "payload.h"

/*
 * Download url into set.  0: new data in set; 1: not modified since the
 * last good download (set empty); -1: failure (err says why, set empty).
 */
int	rtr_fetch_url(const char *url, time_t now, time_t max_age,
	    struct rtr_set *set, struct rtr_input_info *, char *err, size_t);

#endif
