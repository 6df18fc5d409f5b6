/*
 * RFC 8181 section 2 transport for rpkipub-push: HTTP POST of a CMS
 * message with the media type application/rpki-publication (libcurl).
 * One handle serves the queries of one run (keep-alive).
 */
#ifndef RPKIPUB_PUSH_HTTP_H
#define RPKIPUB_PUSH_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct push_http;

/*
 * timeout: seconds for a whole exchange; tls_ca: a PEM file of CAs for
 * an https service_uri, or NULL for the system's.
 */
struct push_http	*push_http_new(unsigned int timeout, const char *tls_ca);
void			 push_http_free(struct push_http *);

/*
 * POST body to url.  Returns 0 when an HTTP response came, with its
 * status in *status, its body (at most MAX_REPLY_BODY bytes) in out and
 * whether its media type was application/rpki-publication in *typed;
 * -1 with the reason in err when none came (connection, timeout, TLS,
 * an over-long body).
 */
int	push_http_post(struct push_http *, const char *url,
	    const uint8_t *body, size_t len, long *status, int *typed,
	    struct buf *out, char *err, size_t errlen);

#endif
