/*
 * Prometheus metrics of rpkipubd.  Counters are process-wide atomics,
 * updated lock-free from any thread; metrics_render() writes the text
 * exposition format (version 0.0.4).
 */
#ifndef RPKIPUB_METRICS_H
#define RPKIPUB_METRICS_H

#include <stddef.h>

#include "buf.h"
#include "cms.h"
#include "rfc8181_msg.h"
#include "store.h"

/* Request outcomes that are not RFC 8181 error codes. */
enum metrics_http {
	HTTP_RESULT_NOT_FOUND,		/* 404: path or publisher */
	HTTP_RESULT_BAD_METHOD,		/* 405 */
	HTTP_RESULT_TOO_LARGE,		/* 413 */
	HTTP_RESULT_BAD_TYPE,		/* 415 */
	HTTP_RESULT_INTERNAL,		/* 500 */
	HTTP_RESULT_BUSY,		/* 503: MAX_BUFFERED_BODIES */
	HTTP_RESULT_COUNT
};

void	metrics_request(enum rfc8181_error, double seconds, size_t bytes,
	    size_t pdus);
void	metrics_http(enum metrics_http);
void	metrics_cms_failure(enum cms_fail);
void	metrics_bpki_renewal(void);
/* The RRDP listener (http_rrdp.c): one answer, its status and body bytes. */
void	metrics_rrdp(unsigned int status, size_t bytes);
/* Append everything; totals from the store, queue from the engine. */
struct rrdp_status;
void	metrics_render(struct buf *, const struct store_totals *,
	    const struct rrdp_status *, size_t queue_length, double uptime);

#endif
