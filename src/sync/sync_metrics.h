/*
 * rrdpsync's Prometheus metrics: the text (sync_metrics_render, also
 * what the tests read) and an optional listener (libmicrohttpd, its own
 * thread) answering GET /metrics and nothing else.
 */
#ifndef RPKIPUB_SYNC_METRICS_H
#define RPKIPUB_SYNC_METRICS_H

struct buf;
struct sync;
struct sync_metrics;

/* The exposition text of s's counters, appended to out. */
void			 sync_metrics_render(struct buf *out, struct sync *s);
/* Listen on ADDR:PORT ("127.0.0.1:9556", "[::1]:9556").  NULL on error. */
struct sync_metrics	*sync_metrics_start(const char *listen,
			    struct sync *s);
void			 sync_metrics_stop(struct sync_metrics *);

#endif
