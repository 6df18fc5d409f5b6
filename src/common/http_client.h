/*
 * One HTTP(S) GET with libcurl, streamed to the caller: what rtrd's URL
 * input and rrdpsync share.
 *
 *  - conditional GET: If-None-Match / If-Modified-Since from the
 *    validators of the last good download; 304 is its own result;
 *  - body bytes go to a callback as they arrive, never buffered whole;
 *    a limit on the bytes on the wire;
 *  - content coding: either libcurl decodes whatever it negotiated
 *    (HTTP_DECODE_AUTO), or only "Accept-Encoding: gzip" is sent and the
 *    encoded bytes are handed over as they are, with the coding said
 *    once before the first byte (HTTP_DECODE_RAW_GZIP): the caller keeps
 *    the gzip bytes and inflates them itself;
 *  - redirects are followed here, not by libcurl, and only within the
 *    origin (scheme, host, port) of the first URL (RFC 9674 asks this of
 *    RRDP fetches); a redirect elsewhere is a failure naming both;
 *  - connect, total and stall timeouts; a User-Agent; http and https
 *    only; the system CAs plus an optional extra CA file.
 */
#ifndef RPKIPUB_HTTP_CLIENT_H
#define RPKIPUB_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* An ETag or Last-Modified value kept for the next request. */
#define HTTP_MAX_VALIDATOR	256
/* A scheme://host:port origin. */
#define HTTP_MAX_ORIGIN		1100

enum http_decode {
	HTTP_DECODE_AUTO,	/* libcurl negotiates and decodes */
	HTTP_DECODE_RAW_GZIP	/* gzip asked for, handed over encoded */
};

/* Why a GET failed (for metrics); the message says more. */
enum http_fault {
	HTTP_FAULT_NONE,
	HTTP_FAULT_TRANSPORT,	/* DNS, connect, TLS, reset, truncated */
	HTTP_FAULT_TIMEOUT,	/* connect, total or stall timeout */
	HTTP_FAULT_STATUS,	/* a status other than 200 (or 304) */
	HTTP_FAULT_REDIRECT,	/* to another origin, or too many */
	HTTP_FAULT_LIMIT,	/* more body bytes than max_bytes */
	HTTP_FAULT_ENCODING,	/* a content coding we did not ask for */
	HTTP_FAULT_CALLER	/* a callback refused (its own reason) */
};

struct http_result {
	long		 status;	/* of the last response */
	int		 gzip;		/* RAW_GZIP: the body is gzip-coded */
	int64_t		 length;	/* Content-Length, -1 if none */
	uint64_t	 bytes;		/* body bytes received (as sent) */
	unsigned int	 redirects;	/* followed */
	enum http_fault	 fault;
	char		 etag[HTTP_MAX_VALIDATOR];	  /* "" if none */
	char		 last_modified[HTTP_MAX_VALIDATOR];
};

struct http_get {
	const char	*url;
	const char	*ca_file;	/* added to the system CAs; NULL */
	/*
	 * "HOST:PORT:ADDR:PORT2" or NULL: connections to HOST:PORT go to
	 * ADDR:PORT2 instead, while the URL, the Host header and the TLS
	 * name stay HOST's (libcurl's CONNECT_TO; http_connect_to_valid).
	 */
	const char	*connect_to;
	const char	*user_agent;
	long		 connect_timeout;	/* seconds; 0: libcurl's */
	long		 timeout;		/* seconds for the transfer */
	long		 stall_timeout;		/* seconds without a byte */
	const char	*if_none_match;		/* NULL or "" for none */
	const char	*if_modified_since;
	enum http_decode decode;
	unsigned int	 max_redirects;		/* same-origin ones */
	uint64_t	 max_bytes;		/* 0: no limit */
	/*
	 * Called once, for a 200, before the first body byte (also for an
	 * empty body); then on_data for each piece.  Either returns 0, or
	 * -1 to stop the transfer (HTTP_FAULT_CALLER; the caller keeps
	 * its reason).  on_progress (may be NULL) is called about once a
	 * second from the start (connecting, waiting for the headers) and
	 * between pieces, with the body bytes so far and the announced
	 * length (-1 unknown); -1 stops too.
	 */
	int		(*on_begin)(void *, const struct http_result *);
	int		(*on_data)(void *, const uint8_t *, size_t);
	int		(*on_progress)(void *, uint64_t, int64_t);
	void		*arg;
};

/*
 * GET g->url.  Returns 0 (200, body delivered), 1 (304 Not Modified:
 * nothing delivered), or -1 with a one-line reason in err and the class
 * in res->fault.  res receives the validators of the response.
 */
int	http_get(const struct http_get *g, struct http_result *res,
	    char *err, size_t errlen);

/*
 * The origin (RFC 6454: scheme, host, port) of an absolute http(s) URL
 * as "scheme://host:port", scheme and host in lower case and the port
 * always given (80, 443 by default).  0, or -1 if url is not an http or
 * https URL with a host (user information is refused too).
 */
int	http_origin(const char *url, char *out, size_t outlen);
/*
 * Is s a connect_to value: HOST:PORT:ADDR:PORT2, each host a name or an
 * IPv4 address or a bracketed IPv6 one, each port 1-65535?  1 or 0.
 */
int	http_connect_to_valid(const char *s);
/* Do two URLs have the same origin?  1 yes, 0 no or unparsable. */
int	http_same_origin(const char *a, const char *b);

#endif
