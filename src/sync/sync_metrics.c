/*
 * rrdpsync's metrics (see sync_metrics.h).
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "addr.h"
#include "bounds.h"
#include "buf.h"
#include "log.h"
#include "sync_follow.h"
#include "sync_metrics.h"

/* Idle seconds before a metrics connection is closed. */
#define METRICS_TIMEOUT	10

struct sync_metrics {
	struct MHD_Daemon	*mhd;
	struct sync		*s;
};

static void
counter(struct buf *b, const char *name, const char *help, uint64_t v)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help,
	    name, name, (unsigned long long)v);
}

void
sync_metrics_render(struct buf *b, struct sync *s)
{
	struct sync_stats	st;
	size_t			i;

	sync_get_stats(s, &st);
	counter(b, "rrdpsync_rounds_total", "Rounds completed (one "
	    "notification fetch each), failed or not.", st.rounds);
	buf_adds(b, "# HELP rrdpsync_failures_total Rounds that left the "
	    "local copy unchanged, by reason.\n"
	    "# TYPE rrdpsync_failures_total counter\n");
	for (i = 1; i < SYNC_FAULT_COUNT; i++)
		buf_printf(b, "rrdpsync_failures_total{reason=\"%s\"} %llu\n",
		    sync_fault_name((enum sync_fault)i),
		    (unsigned long long)st.failures[i]);
	counter(b, "rrdpsync_not_modified_total", "Notification fetches "
	    "answered 304 Not Modified.", st.not_modified);
	counter(b, "rrdpsync_rfc9697_desyncs_total", "Notifications whose "
	    "hash of an already seen delta (or snapshot) changed (RFC 9697).",
	    st.desyncs);
	counter(b, "rrdpsync_serial_regressions_total", "Notifications with "
	    "a lower serial in the same session.", st.regressions);
	counter(b, "rrdpsync_snapshots_applied_total", "rsync trees built "
	    "from a snapshot.", st.snapshots_applied);
	counter(b, "rrdpsync_deltas_applied_total", "Deltas applied to the "
	    "rsync tree.", st.deltas_applied);
	counter(b, "rrdpsync_delta_fallbacks_total", "Updates whose deltas "
	    "did not fit the tree (RFC 8182 section 3.4.2), built from the "
	    "snapshot instead.", st.delta_fallbacks);
	counter(b, "rrdpsync_files_fetched_total", "Snapshot and delta files "
	    "downloaded.", st.files_fetched);
	counter(b, "rrdpsync_fetched_bytes_total", "Bytes received from "
	    "upstream (as sent, gzip-coded or not).", st.bytes_fetched);
	counter(b, "rrdpsync_files_removed_total", "RRDP files removed after "
	    "their keep time.", st.files_removed);
	counter(b, "rrdpsync_trees_removed_total", "Old rsync trees removed.",
	    st.trees_removed);
	buf_adds(b, "# HELP rrdpsync_serial The serial of the local copy.\n"
	    "# TYPE rrdpsync_serial gauge\n");
	buf_printf(b, "rrdpsync_serial{session=\"%s\"} %lld\n", st.session,
	    (long long)st.serial);
	buf_printf(b, "# HELP rrdpsync_deltas_listed Deltas the local "
	    "notification lists.\n# TYPE rrdpsync_deltas_listed gauge\n"
	    "rrdpsync_deltas_listed %llu\n",
	    (unsigned long long)st.deltas_listed);
	buf_printf(b, "# HELP rrdpsync_up 1 if the last round succeeded.\n"
	    "# TYPE rrdpsync_up gauge\nrrdpsync_up %d\n",
	    st.last_success > 0 && st.last_fault == SYNC_FAULT_NONE);
	buf_printf(b, "# HELP rrdpsync_last_success_timestamp_seconds When a "
	    "round last succeeded (0: never).\n"
	    "# TYPE rrdpsync_last_success_timestamp_seconds gauge\n"
	    "rrdpsync_last_success_timestamp_seconds %lld\n",
	    (long long)st.last_success);
	buf_printf(b, "# HELP rrdpsync_last_round_duration_seconds How long "
	    "the last round took.\n"
	    "# TYPE rrdpsync_last_round_duration_seconds gauge\n"
	    "rrdpsync_last_round_duration_seconds %.3f\n", st.last_duration);
}

static enum MHD_Result
send_text(struct MHD_Connection *con, unsigned int status, struct buf *b)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;
	size_t			 len = b->len;
	void			*data = buf_release(b, NULL);

	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **con_cls)
{
	struct sync_metrics	*m = cls;
	struct buf		 b;

	(void)version;
	(void)upload;
	(void)con_cls;
	buf_init(&b);
	if (*upload_len != 0) {
		*upload_len = 0;	/* a body is read and ignored */
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0) {
		buf_adds(&b, "not found: only /metrics\n");
		return send_text(con, MHD_HTTP_NOT_FOUND, &b);
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		buf_adds(&b, "use GET\n");
		return send_text(con, MHD_HTTP_METHOD_NOT_ALLOWED, &b);
	}
	sync_metrics_render(&b, m->s);
	return send_text(con, MHD_HTTP_OK, &b);
}

struct sync_metrics *
sync_metrics_start(const char *listen, struct sync *s)
{
	struct sync_metrics	*m;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	unsigned int		 flags;

	if (addr_parse(listen, &ss, &sl) == -1) {
		log_err("--metrics %s: not ADDR:PORT", listen);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->s = s;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handler, m,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SYNC_METRICS_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_TIMEOUT,
	    MHD_OPTION_END);
	if (m->mhd == NULL) {
		log_err("cannot listen on %s for metrics", listen);
		free(m);
		return NULL;
	}
	return m;
}

void
sync_metrics_stop(struct sync_metrics *m)
{
	if (m == NULL)
		return;
	MHD_stop_daemon(m->mhd);
	free(m);
}
