/*
 * Prometheus metrics of rtrd, served on the event loop.  A client sends
 * one request (at most MAX_METRICS_REQUEST bytes) and gets the text, then
 * the connection is closed; anything but GET /metrics is a 404.
 */
#define _GNU_SOURCE		/* accept4(2) */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

#define MAX_METRICS_REQUEST	4096
#define MAX_METRICS_CLIENTS	16

struct mclient {
	int	kind;		/* FD_METRICS_CLIENT */
	int	fd;
	size_t	len;
	char	req[MAX_METRICS_REQUEST];
};

struct rtr_metrics {
	int			 kind;	/* FD_METRICS_LISTENER */
	int			 fd;
	struct rtr_server	*srv;
	struct mclient		*clients[MAX_METRICS_CLIENTS];
};

struct rtr_metrics *
rtr_metrics_new(struct rtr_server *srv, const char *listen_spec)
{
	struct rtr_metrics	*m;
	struct epoll_event	 ev;

	m = xcalloc(1, sizeof(*m));
	m->kind = FD_METRICS_LISTENER;
	m->srv = srv;
	if ((m->fd = rtr_listen(listen_spec)) == -1) {
		free(m);
		return NULL;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = m;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, m->fd, &ev) == -1)
		fatalx("epoll_ctl: %s", strerror(errno));
	return m;
}

static void
client_close(struct rtr_metrics *m, struct mclient *c)
{
	int	i;

	for (i = 0; i < MAX_METRICS_CLIENTS; i++)
		if (m->clients[i] == c)
			m->clients[i] = NULL;
	epoll_ctl(m->srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

void
rtr_metrics_render(const struct rtr_server *srv, struct buf *b)
{
	const struct rtr_stats	*st = &srv->stats;
	const struct rtr_cache	*c = &srv->cache;
	size_t			 v4 = 0, i;
	int			 v;

	for (i = 0; i < c->cur.nvrps; i++)
		if (c->cur.vrps[i].afi == 4)
			v4++;
	buf_adds(b, "# HELP rtrd_sessions Router sessions by negotiated protocol version.\n"
	    "# TYPE rtrd_sessions gauge\n");
	for (v = 0; v < RTR_NVERSIONS; v++)
		buf_printf(b, "rtrd_sessions{version=\"%d\"} %zu\n", v,
		    srv->by_version[v]);
	buf_printf(b, "rtrd_sessions_connected %zu\n", srv->nsessions);
	buf_printf(b, "# TYPE rtrd_sessions_total counter\n"
	    "rtrd_sessions_total %llu\n", (unsigned long long)st->sessions_total);
	buf_printf(b, "# HELP rtrd_sessions_dropped_total Sessions dropped for not reading.\n"
	    "# TYPE rtrd_sessions_dropped_total counter\n"
	    "rtrd_sessions_dropped_total %llu\n",
	    (unsigned long long)st->sessions_dropped);
	buf_printf(b, "# TYPE rtrd_pdus_sent_total counter\n"
	    "rtrd_pdus_sent_total %llu\n", (unsigned long long)st->pdus_sent);
	buf_printf(b, "# TYPE rtrd_bytes_sent_total counter\n"
	    "rtrd_bytes_sent_total %llu\n", (unsigned long long)st->bytes_sent);
	buf_printf(b, "# TYPE rtrd_queries_total counter\n"
	    "rtrd_queries_total{type=\"reset\"} %llu\n"
	    "rtrd_queries_total{type=\"serial\"} %llu\n",
	    (unsigned long long)st->reset_queries,
	    (unsigned long long)st->serial_queries);
	buf_printf(b, "# TYPE rtrd_cache_resets_total counter\n"
	    "rtrd_cache_resets_total %llu\n", (unsigned long long)st->cache_resets);
	buf_printf(b, "# TYPE rtrd_error_reports_total counter\n"
	    "rtrd_error_reports_total{direction=\"sent\"} %llu\n"
	    "rtrd_error_reports_total{direction=\"received\"} %llu\n",
	    (unsigned long long)st->errors_sent,
	    (unsigned long long)st->errors_received);
	buf_printf(b, "# HELP rtrd_serial Current serial number.\n"
	    "# TYPE rtrd_serial gauge\nrtrd_serial %u\n", c->serial);
	buf_printf(b, "# TYPE rtrd_session_id gauge\nrtrd_session_id %u\n",
	    c->session_id);
	buf_printf(b, "# TYPE rtrd_payloads gauge\n"
	    "rtrd_payloads{type=\"vrp_ipv4\"} %zu\n"
	    "rtrd_payloads{type=\"vrp_ipv6\"} %zu\n"
	    "rtrd_payloads{type=\"router_key\"} %zu\n"
	    "rtrd_payloads{type=\"aspa\"} %zu\n",
	    v4, c->cur.nvrps - v4, c->cur.nkeys, c->cur.naspas);
	buf_printf(b, "# HELP rtrd_input_age_seconds Age of the served input (now - metadata.buildtime).\n"
	    "# TYPE rtrd_input_age_seconds gauge\n"
	    "rtrd_input_age_seconds %lld\n", st->last_buildtime ?
	    (long long)(time(NULL) - st->last_buildtime) : -1LL);
	buf_printf(b, "# TYPE rtrd_reloads_total counter\n"
	    "rtrd_reloads_total %llu\n"
	    "# TYPE rtrd_reload_errors_total counter\n"
	    "rtrd_reload_errors_total %llu\n",
	    (unsigned long long)st->reloads,
	    (unsigned long long)st->reload_errors);
}

static void
respond(struct rtr_metrics *m, struct mclient *c)
{
	struct buf	body, out;

	buf_init(&body);
	buf_init(&out);
	if (strncmp(c->req, "GET /metrics ", 13) == 0 ||
	    strncmp(c->req, "GET /metrics\r", 13) == 0) {
		rtr_metrics_render(m->srv, &body);
		buf_printf(&out, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
		    "version=0.0.4\r\nContent-Length: %zu\r\nConnection: close"
		    "\r\n\r\n", body.len);
		buf_add(&out, body.data, body.len);
	} else
		buf_adds(&out, "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n");
	/* The text is a few KB: the socket buffer takes it at once. */
	if (write(c->fd, out.data, out.len) != (ssize_t)out.len)
		log_debug("metrics: short write");
	buf_free(&body);
	buf_free(&out);
	client_close(m, c);
}

void
rtr_metrics_event(struct rtr_metrics *m, void *ptr, uint32_t events)
{
	struct mclient		*c;
	struct epoll_event	 ev;
	ssize_t			 n;
	int			 fd, i;

	if (m == NULL)
		return;
	if (ptr == m) {
		while ((fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC)) != -1) {
			for (i = 0; i < MAX_METRICS_CLIENTS; i++)
				if (m->clients[i] == NULL)
					break;
			if (i == MAX_METRICS_CLIENTS) {
				close(fd);
				continue;
			}
			c = xcalloc(1, sizeof(*c));
			c->kind = FD_METRICS_CLIENT;
			c->fd = fd;
			m->clients[i] = c;
			memset(&ev, 0, sizeof(ev));
			ev.events = EPOLLIN;
			ev.data.ptr = c;
			if (epoll_ctl(m->srv->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
				fatalx("epoll_ctl: %s", strerror(errno));
		}
		return;
	}
	c = ptr;
	n = read(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len);
	if (n <= 0) {
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		client_close(m, c);
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") != NULL || strstr(c->req, "\n\n") != NULL)
		respond(m, c);
	else if (c->len == sizeof(c->req) - 1)
		client_close(m, c);
}

void
rtr_metrics_free(struct rtr_metrics *m)
{
	int	i;

	if (m == NULL)
		return;
	for (i = 0; i < MAX_METRICS_CLIENTS; i++)
		if (m->clients[i]) {
			close(m->clients[i]->fd);
			free(m->clients[i]);
		}
	close(m->fd);
	free(m);
}
