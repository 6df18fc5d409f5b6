/*
 * https input for rtrd (libcurl).  The body streams into the JSON parser
 * as it arrives; the ETag and Last-Modified of the last good download
 * make the next request conditional, so an unchanged file costs a 304.
 *
 * The transfer runs on rtrd's event loop thread (bounded by
 * FETCH_TIMEOUT): sessions wait while it runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "bounds.h"
#include "fetch.h"
#include "log.h"

#define FETCH_TIMEOUT		120	/* seconds for one download */
#define MAX_VALIDATOR_LEN	256	/* an ETag or Last-Modified value */

static char	etag[MAX_VALIDATOR_LEN];
static char	last_modified[MAX_VALIDATOR_LEN];

struct fetch {
	struct rtr_input	*in;
	size_t			 total;
	int			 too_big;
	char			 etag[MAX_VALIDATOR_LEN];
	char			 lastmod[MAX_VALIDATOR_LEN];
};

static size_t
on_body(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct fetch	*f = arg;
	size_t		 n = sz * nmemb;

	f->total += n;
	if (f->total > RTR_MAX_INPUT_SIZE) {
		f->too_big = 1;
		return 0;
	}
	if (rtr_input_feed(f->in, (const uint8_t *)p, n) == -1)
		return 0;
	return n;
}

/* Keep a validator header value (trimmed) for the next request. */
static void
keep_header(const char *line, size_t n, const char *name, char *dst)
{
	size_t	nl = strlen(name);

	if (n <= nl || strncasecmp(line, name, nl) != 0)
		return;
	line += nl;
	n -= nl;
	while (n > 0 && (*line == ' ' || *line == '\t'))
		line++, n--;
	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n' ||
	    line[n - 1] == ' '))
		n--;
	if (n == 0 || n >= MAX_VALIDATOR_LEN)
		return;
	memcpy(dst, line, n);
	dst[n] = '\0';
}

static size_t
on_header(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct fetch	*f = arg;
	size_t		 n = sz * nmemb;

	keep_header(p, n, "ETag:", f->etag);
	keep_header(p, n, "Last-Modified:", f->lastmod);
	return n;
}

int
rtr_fetch_url(const char *url, time_t now, time_t max_age, struct rtr_set *set,
    struct rtr_input_info *info, char *err, size_t errlen)
{
	struct fetch		 f;
	struct curl_slist	*hdrs = NULL;
	char			 line[MAX_VALIDATOR_LEN + 32];
	CURL			*c = NULL;
	CURLcode		 cc;
	long			 status = 0;
	int			 rc = -1;

	memset(&f, 0, sizeof(f));
	f.in = rtr_input_new(set, now, max_age);
	if ((c = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)FETCH_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "rtrd/" RPKIPUB_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &f);
	if (etag[0]) {
		snprintf(line, sizeof(line), "If-None-Match: %s", etag);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (last_modified[0]) {
		snprintf(line, sizeof(line), "If-Modified-Since: %s",
		    last_modified);
		hdrs = curl_slist_append(hdrs, line);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status == 304) {
		rc = 1;
		goto out;
	}
	if (f.too_big) {
		snprintf(err, errlen, "%s: larger than the input limit", url);
		goto out;
	}
	if (cc != CURLE_OK && cc != CURLE_WRITE_ERROR) {
		snprintf(err, errlen, "%s: %s", url, curl_easy_strerror(cc));
		goto out;
	}
	if (status != 200) {
		snprintf(err, errlen, "%s: HTTP status %ld", url, status);
		goto out;
	}
	if (rtr_input_finish(f.in, info) == -1) {
		snprintf(err, errlen, "%s: %s", url, rtr_input_error(f.in));
		goto out;
	}
	/* Validators only of a download we accepted. */
	memcpy(etag, f.etag, sizeof(etag));
	memcpy(last_modified, f.lastmod, sizeof(last_modified));
	rc = 0;
out:
	if (rc != 0)
		rtr_set_free(set);
	curl_slist_free_all(hdrs);
	if (c)
		curl_easy_cleanup(c);
	rtr_input_free(f.in);
	return rc;
}
