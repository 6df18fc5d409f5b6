/*
 * https input for rtrd, over the shared HTTP client (http_client.h).
 * The body streams into the JSON parser as it arrives; the ETag and
 * Last-Modified of the last good download make the next request
 * conditional, so an unchanged file costs a 304.
 *
 * The transfer runs on rtrd's loader thread (bounded by FETCH_TIMEOUT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "fetch.h"
#include "http_client.h"
#include "log.h"

#define FETCH_TIMEOUT		120	/* seconds for one download */

/* Validators of the last download that was accepted. */
static char	etag[HTTP_MAX_VALIDATOR];
static char	last_modified[HTTP_MAX_VALIDATOR];

static int
on_data(void *arg, const uint8_t *p, size_t n)
{
	return rtr_input_feed(arg, p, n);
}

int
rtr_fetch_url(const char *url, time_t now, time_t max_age, struct rtr_set *set,
    struct rtr_input_info *info, char *err, size_t errlen)
{
	struct http_get		 g;
	struct http_result	 res;
	struct rtr_input	*in;
	int			 r, rc = -1;

	in = rtr_input_new(set, now, max_age);
	memset(&g, 0, sizeof(g));
	g.url = url;
	g.user_agent = "rtrd/" RPKIPUB_VERSION;
	g.timeout = FETCH_TIMEOUT;
	g.if_none_match = etag;
	g.if_modified_since = last_modified;
	g.decode = HTTP_DECODE_AUTO;
	g.max_redirects = MAX_HTTP_REDIRECTS;
	g.max_bytes = RTR_MAX_INPUT_SIZE;
	g.on_data = on_data;
	g.arg = in;
	r = http_get(&g, &res, err, errlen);
	if (r == 1) {
		rc = 1;
		goto out;
	}
	if (r == -1) {
		/* The parser's reason is the better one when it stopped us. */
		if (res.fault == HTTP_FAULT_CALLER)
			snprintf(err, errlen, "%s: %s", url, rtr_input_error(in));
		else if (res.fault == HTTP_FAULT_LIMIT)
			snprintf(err, errlen, "%s: larger than the input limit",
			    url);
		goto out;
	}
	if (rtr_input_finish(in, info) == -1) {
		snprintf(err, errlen, "%s: %s", url, rtr_input_error(in));
		goto out;
	}
	/* Validators only of a download we accepted. */
	memcpy(etag, res.etag, sizeof(etag));
	memcpy(last_modified, res.last_modified, sizeof(last_modified));
	rc = 0;
out:
	if (rc != 0)
		rtr_set_free(set);
	rtr_input_free(in);
	return rc;
}
