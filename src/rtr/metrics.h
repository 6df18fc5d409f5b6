/*
 * rtrd's Prometheus endpoint: a tiny HTTP/1.0 responder on the server's
 * event loop (GET /metrics only), so metrics never need a lock.
 */
#ifndef RPKIPUB_RTR_METRICS_H
#define RPKIPUB_RTR_METRICS_H

#include <stdint.h>

#include "buf.h"
#include "server.h"

struct rtr_metrics;

struct rtr_metrics *rtr_metrics_new(struct rtr_server *, const char *listen);
void	rtr_metrics_event(struct rtr_metrics *, void *ptr, uint32_t events);
void	rtr_metrics_free(struct rtr_metrics *);
/* The exposition text (also used by tests). */
void	rtr_metrics_render(const struct rtr_server *, struct buf *);

#endif
