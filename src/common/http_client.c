/*
 * One streamed HTTP(S) GET with libcurl (see http_client.h).
 *
 * libcurl never follows a redirect itself: a 3xx ends the transfer, its
 * Location (made absolute by libcurl) is checked against the origin of
 * the first URL, and the next GET starts on the same handle, so the
 * connection is reused.  Bodies of anything but a 200 are read and
 * dropped (at most MAX_HTTP_ERROR_BODY bytes).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "bounds.h"
#include "buf.h"
#include "http_client.h"
#include "log.h"

/* A request line's header, e.g. "If-None-Match: <validator>". */
#define HDR_LINE	(HTTP_MAX_VALIDATOR + 32)
/* Bytes libcurl hands to the write callback at most (fewer calls). */
#define HTTP_BUFFER	(512L * 1024)

struct xfer {
	char			 curl_err[CURL_ERROR_SIZE];
	const struct http_get	*g;
	struct http_result	*res;
	CURL			*c;
	int			 begun;		/* on_begin called */
	int			 stop;		/* a callback said -1 */
	int			 bad_coding;
	int			 too_big;
	uint64_t		 dropped;	/* error-body bytes */
	char			 coding[64];
};

/* A header value (trimmed) if line is "name: value". */
static int
header_value(const char *line, size_t n, const char *name, char *dst,
    size_t dstlen)
{
	size_t	nl = strlen(name);

	if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return 0;
	line += nl + 1;
	n -= nl + 1;
	while (n > 0 && (*line == ' ' || *line == '\t'))
		line++, n--;
	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n' ||
	    line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= dstlen)
		return 0;
	memcpy(dst, line, n);
	dst[n] = '\0';
	return 1;
}

static size_t
on_header(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct xfer	*x = arg;
	size_t		 n = sz * nmemb;

	/* A status line starts a response (after a 100 Continue, say). */
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		x->res->etag[0] = x->res->last_modified[0] = '\0';
		x->coding[0] = '\0';
		return n;
	}
	header_value(p, n, "ETag", x->res->etag, sizeof(x->res->etag));
	header_value(p, n, "Last-Modified", x->res->last_modified,
	    sizeof(x->res->last_modified));
	header_value(p, n, "Content-Encoding", x->coding, sizeof(x->coding));
	return n;
}

static long
status_now(struct xfer *x)
{
	long	status = 0;

	curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* Before the first body byte of a 200: the coding, the length, on_begin. */
static int
begin(struct xfer *x)
{
	curl_off_t	cl = -1;

	x->begun = 1;
	x->res->status = 200;
	if (curl_easy_getinfo(x->c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
	    &cl) == CURLE_OK && cl >= 0)
		x->res->length = (int64_t)cl;
	if (x->g->decode == HTTP_DECODE_RAW_GZIP) {
		if (strcasecmp(x->coding, "gzip") == 0 ||
		    strcasecmp(x->coding, "x-gzip") == 0)
			x->res->gzip = 1;
		else if (x->coding[0] != '\0' &&
		    strcasecmp(x->coding, "identity") != 0) {
			x->bad_coding = 1;
			return -1;
		}
	}
	if (x->g->max_bytes > 0 && x->res->length > 0 &&
	    (uint64_t)x->res->length > x->g->max_bytes) {
		x->too_big = 1;
		return -1;
	}
	if (x->g->on_begin != NULL && x->g->on_begin(x->g->arg, x->res) == -1) {
		x->stop = 1;
		return -1;
	}
	return 0;
}

static size_t
on_body(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct xfer	*x = arg;
	size_t		 n = sz * nmemb;

	if (status_now(x) != 200) {
		x->dropped += n;
		return x->dropped > MAX_HTTP_ERROR_BODY ? 0 : n;
	}
	if (!x->begun && begin(x) == -1)
		return 0;
	x->res->bytes += n;
	if (x->g->max_bytes > 0 && x->res->bytes > x->g->max_bytes) {
		x->too_big = 1;
		return 0;
	}
	if (x->g->on_data != NULL &&
	    x->g->on_data(x->g->arg, (const uint8_t *)p, n) == -1) {
		x->stop = 1;
		return 0;
	}
	return n;
}

static int
on_xfer(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct xfer	*x = arg;

	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	/* Also before the body: a stop must not wait for connect or TLS. */
	if (x->g->on_progress == NULL)
		return 0;
	if (x->g->on_progress(x->g->arg, x->res->bytes,
	    dltotal > 0 ? (int64_t)dltotal : x->res->length) == -1) {
		x->stop = 1;
		return 1;
	}
	return 0;
}

int
http_origin(const char *url, char *out, size_t outlen)
{
	const char	*p, *host, *hend, *aend, *port = NULL;
	size_t		 slen, hlen, i;
	long		 pn;
	char		*end;
	int		 tls;

	if (strncasecmp(url, "https://", 8) == 0) {
		tls = 1;
		slen = 5;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		tls = 0;
		slen = 4;
	} else
		return -1;
	host = url + slen + 3;
	aend = host + strcspn(host, "/?#");
	if (memchr(host, '@', (size_t)(aend - host)) != NULL)
		return -1;		/* user information */
	if (*host == '[') {
		if ((hend = memchr(host, ']', (size_t)(aend - host))) == NULL)
			return -1;
		hend++;
		if (hend < aend) {
			if (*hend != ':')
				return -1;
			port = hend + 1;
		}
	} else {
		hend = memchr(host, ':', (size_t)(aend - host));
		if (hend != NULL)
			port = hend + 1;
		else
			hend = aend;
	}
	hlen = (size_t)(hend - host);
	if (hlen == 0)
		return -1;
	if (port != NULL && port < aend) {
		for (p = port; p < aend; p++)
			if (!isdigit((unsigned char)*p))
				return -1;
		pn = strtol(port, &end, 10);
		if (end != aend || pn < 1 || pn > 65535)
			return -1;
	} else if (port != NULL)
		pn = tls ? 443 : 80;	/* "host:" with an empty port */
	else
		pn = tls ? 443 : 80;
	if (slen + 3 + hlen + 7 >= outlen)
		return -1;
	memcpy(out, tls ? "https://" : "http://", slen + 3);
	for (i = 0; i < hlen; i++)
		out[slen + 3 + i] = (char)tolower((unsigned char)host[i]);
	snprintf(out + slen + 3 + hlen, outlen - (slen + 3 + hlen), ":%ld",
	    pn);
	return 0;
}

int
http_same_origin(const char *a, const char *b)
{
	char	oa[HTTP_MAX_ORIGIN], ob[HTTP_MAX_ORIGIN];

	return http_origin(a, oa, sizeof(oa)) == 0 &&
	    http_origin(b, ob, sizeof(ob)) == 0 && strcmp(oa, ob) == 0;
}

/* Did this side end the transfer?  1 with res->fault and err set. */
static int
xfer_refused(struct xfer *x, const char *url, char *err, size_t errlen)
{
	if (x->stop) {
		x->res->fault = HTTP_FAULT_CALLER;
		snprintf(err, errlen, "%s: stopped", url);
	} else if (x->bad_coding) {
		x->res->fault = HTTP_FAULT_ENCODING;
		snprintf(err, errlen, "%s: Content-Encoding \"%.40s\" was not "
		    "asked for (only gzip)", url, x->coding);
	} else if (x->too_big) {
		x->res->fault = HTTP_FAULT_LIMIT;
		snprintf(err, errlen, "%s: larger than the limit of %llu bytes",
		    url, (unsigned long long)x->g->max_bytes);
	} else
		return 0;
	return 1;
}

static enum http_fault
curl_fault(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_FAULT_TIMEOUT;
	default:
		return HTTP_FAULT_TRANSPORT;
	}
}

/* One request of the chain.  Returns the CURLcode of the transfer. */
static CURLcode
perform(struct xfer *x, const char *url, struct curl_slist *hdrs)
{
	x->curl_err[0] = '\0';
	x->begun = x->stop = x->bad_coding = x->too_big = 0;
	x->dropped = 0;
	x->coding[0] = '\0';
	x->res->gzip = 0;
	x->res->length = -1;
	x->res->bytes = 0;
	curl_easy_setopt(x->c, CURLOPT_URL, url);
	curl_easy_setopt(x->c, CURLOPT_HTTPHEADER, hdrs);
	return curl_easy_perform(x->c);
}

int
http_get(const struct http_get *g, struct http_result *res, char *err,
    size_t errlen)
{
	struct xfer		 x;
	struct curl_slist	*hdrs = NULL, *connect_to = NULL;
	char			 line[HDR_LINE];
	char			*url = NULL, *loc = NULL;
	CURLcode		 cc;
	long			 status;
	int			 rc = -1;

	memset(res, 0, sizeof(*res));
	res->length = -1;
	memset(&x, 0, sizeof(x));
	x.g = g;
	x.res = res;
	if ((x.c = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	curl_easy_setopt(x.c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(x.c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x.c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x.c, CURLOPT_BUFFERSIZE, HTTP_BUFFER);
	curl_easy_setopt(x.c, CURLOPT_ERRORBUFFER, x.curl_err);
	if (g->connect_timeout > 0)
		curl_easy_setopt(x.c, CURLOPT_CONNECTTIMEOUT, g->connect_timeout);
	if (g->timeout > 0)
		curl_easy_setopt(x.c, CURLOPT_TIMEOUT, g->timeout);
	if (g->stall_timeout > 0) {
		curl_easy_setopt(x.c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(x.c, CURLOPT_LOW_SPEED_TIME, g->stall_timeout);
	}
	if (g->ca_file != NULL)
		curl_easy_setopt(x.c, CURLOPT_CAINFO, g->ca_file);
	if (g->connect_to != NULL) {
		connect_to = curl_slist_append(NULL, g->connect_to);
		curl_easy_setopt(x.c, CURLOPT_CONNECT_TO, connect_to);
	}
	if (g->user_agent != NULL)
		curl_easy_setopt(x.c, CURLOPT_USERAGENT, g->user_agent);
	if (g->decode == HTTP_DECODE_AUTO)
		curl_easy_setopt(x.c, CURLOPT_ACCEPT_ENCODING, "");
	else {
		/* Ask for gzip, and keep libcurl from decoding it. */
		hdrs = curl_slist_append(hdrs, "Accept-Encoding: gzip");
		curl_easy_setopt(x.c, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	}
	curl_easy_setopt(x.c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x.c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x.c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(x.c, CURLOPT_XFERINFOFUNCTION, on_xfer);
	curl_easy_setopt(x.c, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(x.c, CURLOPT_NOPROGRESS, 0L);
	if (g->if_none_match != NULL && g->if_none_match[0] != '\0') {
		snprintf(line, sizeof(line), "If-None-Match: %s",
		    g->if_none_match);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (g->if_modified_since != NULL && g->if_modified_since[0] != '\0') {
		snprintf(line, sizeof(line), "If-Modified-Since: %s",
		    g->if_modified_since);
		hdrs = curl_slist_append(hdrs, line);
	}
	url = xstrdup(g->url);
	for (;;) {
		cc = perform(&x, url, hdrs);
		status = status_now(&x);
		res->status = status;
		if (xfer_refused(&x, url, err, errlen))
			goto out;
		/* An error status, even if its body was cut off. */
		if (status >= 400 || (cc == CURLE_WRITE_ERROR && status != 200 &&
		    status != 0)) {
			res->fault = HTTP_FAULT_STATUS;
			snprintf(err, errlen, "%s: HTTP status %ld", url, status);
			goto out;
		}
		if (cc != CURLE_OK) {
			/* libcurl's own words say more than its error name. */
			res->fault = curl_fault(cc);
			snprintf(err, errlen, "%s: %s", url, x.curl_err[0] != '\0' ?
			    x.curl_err : curl_easy_strerror(cc));
			goto out;
		}
		if (status != 301 && status != 302 && status != 303 &&
		    status != 307 && status != 308)
			break;
		loc = NULL;
		curl_easy_getinfo(x.c, CURLINFO_REDIRECT_URL, &loc);
		if (loc == NULL) {
			res->fault = HTTP_FAULT_REDIRECT;
			snprintf(err, errlen, "%s: HTTP %ld without a usable "
			    "Location", url, status);
			goto out;
		}
		/* RFC 9674 section 3.2: no other origin, not even by redirect. */
		if (!http_same_origin(g->url, loc)) {
			res->fault = HTTP_FAULT_REDIRECT;
			snprintf(err, errlen, "RFC 9674 section 3.2: %s redirects "
			    "(HTTP %ld) to %.200s, another origin: not followed",
			    url, status, loc);
			goto out;
		}
		if (res->redirects >= g->max_redirects) {
			res->fault = HTTP_FAULT_REDIRECT;
			snprintf(err, errlen, "%s: more than %u redirects", g->url,
			    g->max_redirects);
			goto out;
		}
		res->redirects++;
		free(url);
		url = xstrdup(loc);
	}
	if (status == 304) {
		rc = 1;
		goto out;
	}
	if (status != 200) {
		res->fault = HTTP_FAULT_STATUS;
		snprintf(err, errlen, "%s: HTTP status %ld", url, status);
		goto out;
	}
	/* An empty body: on_begin was not called by the write callback. */
	if (!x.begun && begin(&x) == -1 && xfer_refused(&x, url, err, errlen))
		goto out;
	rc = 0;
 out:
	free(url);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(x.c);
	curl_slist_free_all(connect_to);
	return rc;
}

/* One "host:port" at the start of s; returns what follows, or NULL. */
static const char *
connect_to_part(const char *s)
{
	const char	*p = s;
	char		*end;
	long		 port;

	if (*p == '[') {
		while (*p != '\0' && *p != ']' && (isxdigit((unsigned char)*p) ||
		    *p == ':' || *p == '.' || *p == '['))
			p++;
		if (*p++ != ']')
			return NULL;
	} else
		while (isalnum((unsigned char)*p) || *p == '-' || *p == '.')
			p++;
	if (p == s || *p != ':' || !isdigit((unsigned char)p[1]))
		return NULL;
	port = strtol(p + 1, &end, 10);
	if (port < 1 || port > 65535)
		return NULL;
	return end;
}

int
http_connect_to_valid(const char *s)
{
	if (strlen(s) > HTTP_MAX_ORIGIN || (s = connect_to_part(s)) == NULL ||
	    *s++ != ':' || (s = connect_to_part(s)) == NULL)
		return 0;
	return *s == '\0';
}
