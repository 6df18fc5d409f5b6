/*
 * HTTP for rpkipub-push (push_http.h), over libcurl as rpkipubctl's
 * admin client is: no redirects (RFC 8181 names one service URI; a
 * redirect would send a signed query elsewhere), http and https only,
 * bounded connect and total times, a bounded reply, and a User-Agent
 * naming the program and its version.  Proxies from the environment
 * (http_proxy, https_proxy, no_proxy) apply as in any libcurl program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "bounds.h"
#include "log.h"
#include "push_http.h"
#include "rfc8181_msg.h"

struct push_http {
	CURL			*curl;
	struct curl_slist	*hdrs;
	char			 errbuf[CURL_ERROR_SIZE];
};

struct sink {
	struct buf	*out;
	int		 too_large;
};

static size_t
push_http_write(char *p, size_t size, size_t n, void *arg)
{
	struct sink	*s = arg;

	if (size * n > MAX_REPLY_BODY - s->out->len) {
		s->too_large = 1;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	buf_add(s->out, p, size * n);
	return size * n;
}

struct push_http *
push_http_new(unsigned int timeout, const char *tls_ca)
{
	struct push_http	*h;

	h = xcalloc(1, sizeof(*h));
	if ((h->curl = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	h->hdrs = curl_slist_append(h->hdrs,
	    "Content-Type: " RFC8181_CONTENT_TYPE);
	h->hdrs = curl_slist_append(h->hdrs, "Accept: " RFC8181_CONTENT_TYPE);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->hdrs);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT,
	    "rpkipub-push/" RPKIPUB_VERSION);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT,
	    (long)PUSH_CONNECT_TIMEOUT);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, (long)timeout);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)MAX_REPLY_BODY);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, push_http_write);
	if (tls_ca != NULL)
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, tls_ca);
	return h;
}

void
push_http_free(struct push_http *h)
{
	if (h == NULL)
		return;
	curl_slist_free_all(h->hdrs);
	curl_easy_cleanup(h->curl);
	free(h);
}

int
push_http_post(struct push_http *h, const char *url, const uint8_t *body,
    size_t len, long *status, int *typed, struct buf *out, char *err,
    size_t errlen)
{
	struct sink	 s = { out, 0 };
	const char	*ct = NULL;
	size_t		 n = strlen(RFC8181_CONTENT_TYPE);
	CURLcode	 cc;

	*status = 0;
	*typed = 0;
	h->errbuf[0] = '\0';
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &s);
	if ((cc = curl_easy_perform(h->curl)) != CURLE_OK) {
		if (s.too_large || cc == CURLE_FILESIZE_EXCEEDED)
			snprintf(err, errlen, "POST %s: the reply is larger "
			    "than %u bytes", url, MAX_REPLY_BODY);
		else
			snprintf(err, errlen, "POST %s: %s", url,
			    h->errbuf[0] != '\0' ? h->errbuf :
			    curl_easy_strerror(cc));
		return -1;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
	/* The media type, parameters allowed (RFC 9110 section 8.3). */
	curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ct);
	if (ct != NULL && strncasecmp(ct, RFC8181_CONTENT_TYPE, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
		*typed = 1;
	return 0;
}
