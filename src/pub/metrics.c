#include <stdatomic.h>
#include <stdint.h>

#include "metrics.h"
#include "rrdp_writer.h"

/* Request latency buckets, seconds (Prometheus "le" bounds). */
static const double latency_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
#define NBOUNDS	(sizeof(latency_bounds) / sizeof(latency_bounds[0]))

static const char *const http_names[HTTP_RESULT_COUNT] = {
	"http_not_found", "http_method_not_allowed", "http_too_large",
	"http_unsupported_media_type", "http_internal_error", "http_busy",
};

static atomic_uint_fast64_t	requests[ERR_COUNT];
static atomic_uint_fast64_t	http_results[HTTP_RESULT_COUNT];
static atomic_uint_fast64_t	cms_failures[CMS_FAIL_COUNT];
static atomic_uint_fast64_t	latency_buckets[NBOUNDS + 1];
static atomic_uint_fast64_t	latency_sum_us;
static atomic_uint_fast64_t	request_bytes;
static atomic_uint_fast64_t	request_pdus;
static atomic_uint_fast64_t	bpki_renewals;

/* Statuses the RRDP listener answers with; anything else counts as "other". */
static const unsigned int rrdp_statuses[] = {
	200, 304, 400, 404, 405, 500, 503
};
#define NRRDP	(sizeof(rrdp_statuses) / sizeof(rrdp_statuses[0]))
static atomic_uint_fast64_t	rrdp_requests[NRRDP + 1];
static atomic_uint_fast64_t	rrdp_bytes;

void
metrics_request(enum rfc8181_error result, double seconds, size_t bytes,
    size_t pdus)
{
	size_t	i;

	atomic_fetch_add(&requests[result], 1);
	for (i = 0; i < NBOUNDS && seconds > latency_bounds[i]; i++)
		;
	atomic_fetch_add(&latency_buckets[i], 1);
	atomic_fetch_add(&latency_sum_us, (uint_fast64_t)(seconds * 1e6));
	atomic_fetch_add(&request_bytes, bytes);
	atomic_fetch_add(&request_pdus, pdus);
}

void
metrics_http(enum metrics_http r)
{
	atomic_fetch_add(&http_results[r], 1);
}

void
metrics_cms_failure(enum cms_fail f)
{
	atomic_fetch_add(&cms_failures[f], 1);
}

void
metrics_bpki_renewal(void)
{
	atomic_fetch_add(&bpki_renewals, 1);
}

void
metrics_rrdp(unsigned int status, size_t bytes)
{
	size_t	i;

	for (i = 0; i < NRRDP && rrdp_statuses[i] != status; i++)
		;
	atomic_fetch_add(&rrdp_requests[i], 1);
	atomic_fetch_add(&rrdp_bytes, bytes);
}

void
metrics_render(struct buf *b, const struct store_totals *t,
    const struct rrdp_status *r, size_t queue_length, double uptime)
{
	uint_fast64_t	cumulative = 0;
	size_t		i;

	buf_adds(b, "# HELP rpkipubd_requests_total RFC 8181 requests by "
	    "result (success, RFC 8181 error code, or HTTP error).\n"
	    "# TYPE rpkipubd_requests_total counter\n");
	for (i = 0; i < ERR_COUNT; i++)
		buf_printf(b, "rpkipubd_requests_total{result=\"%s\"} %llu\n",
		    i == ERR_NONE ? "success" :
		    rfc8181_error_name((enum rfc8181_error)i),
		    (unsigned long long)atomic_load(&requests[i]));
	for (i = 0; i < HTTP_RESULT_COUNT; i++)
		buf_printf(b, "rpkipubd_requests_total{result=\"%s\"} %llu\n",
		    http_names[i],
		    (unsigned long long)atomic_load(&http_results[i]));

	buf_adds(b, "# HELP rpkipubd_request_duration_seconds Time from "
	    "request start to signed reply, authenticated requests.\n"
	    "# TYPE rpkipubd_request_duration_seconds histogram\n");
	for (i = 0; i <= NBOUNDS; i++) {
		cumulative += atomic_load(&latency_buckets[i]);
		if (i < NBOUNDS)
			buf_printf(b, "rpkipubd_request_duration_seconds_bucket"
			    "{le=\"%g\"} %llu\n", latency_bounds[i],
			    (unsigned long long)cumulative);
		else
			buf_printf(b, "rpkipubd_request_duration_seconds_bucket"
			    "{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cumulative);
	}
	buf_printf(b, "rpkipubd_request_duration_seconds_sum %.6f\n"
	    "rpkipubd_request_duration_seconds_count %llu\n",
	    (double)atomic_load(&latency_sum_us) / 1e6,
	    (unsigned long long)cumulative);

	buf_adds(b, "# HELP rpkipubd_cms_failures_total RFC 8181 messages "
	    "refused by CMS/BPKI verification, by reason.\n"
	    "# TYPE rpkipubd_cms_failures_total counter\n");
	for (i = 1; i < CMS_FAIL_COUNT; i++)
		buf_printf(b, "rpkipubd_cms_failures_total{reason=\"%s\"} "
		    "%llu\n", cms_fail_name((enum cms_fail)i),
		    (unsigned long long)atomic_load(&cms_failures[i]));

	buf_printf(b, "# HELP rpkipubd_request_bytes_total Bytes of RFC 8181 "
	    "request bodies.\n# TYPE rpkipubd_request_bytes_total counter\n"
	    "rpkipubd_request_bytes_total %llu\n"
	    "# HELP rpkipubd_pdus_total PDUs in authenticated queries.\n"
	    "# TYPE rpkipubd_pdus_total counter\n"
	    "rpkipubd_pdus_total %llu\n"
	    "# HELP rpkipubd_bpki_renewals_total Server EE/CRL re-issues.\n"
	    "# TYPE rpkipubd_bpki_renewals_total counter\n"
	    "rpkipubd_bpki_renewals_total %llu\n",
	    (unsigned long long)atomic_load(&request_bytes),
	    (unsigned long long)atomic_load(&request_pdus),
	    (unsigned long long)atomic_load(&bpki_renewals));

	buf_adds(b, "# HELP rpkipubd_rrdp_requests_total Requests answered "
	    "by the RRDP listener, by HTTP status.\n"
	    "# TYPE rpkipubd_rrdp_requests_total counter\n");
	for (i = 0; i <= NRRDP; i++) {
		if (i < NRRDP)
			buf_printf(b, "rpkipubd_rrdp_requests_total"
			    "{status=\"%u\"} %llu\n", rrdp_statuses[i],
			    (unsigned long long)atomic_load(&rrdp_requests[i]));
		else
			buf_printf(b, "rpkipubd_rrdp_requests_total"
			    "{status=\"other\"} %llu\n",
			    (unsigned long long)atomic_load(&rrdp_requests[i]));
	}
	buf_printf(b, "# HELP rpkipubd_rrdp_response_bytes_total Body bytes "
	    "of the RRDP listener's answers (as encoded; none for HEAD).\n"
	    "# TYPE rpkipubd_rrdp_response_bytes_total counter\n"
	    "rpkipubd_rrdp_response_bytes_total %llu\n",
	    (unsigned long long)atomic_load(&rrdp_bytes));

	buf_printf(b, "# HELP rpkipubd_publishers Registered publishers.\n"
	    "# TYPE rpkipubd_publishers gauge\n"
	    "rpkipubd_publishers %lld\n"
	    "# HELP rpkipubd_objects Published objects, as of the last RRDP "
	    "serial.\n"
	    "# TYPE rpkipubd_objects gauge\n"
	    "rpkipubd_objects %lld\n"
	    "# HELP rpkipubd_object_bytes Bytes of published objects (DER), as "
	    "of the last RRDP serial.\n"
	    "# TYPE rpkipubd_object_bytes gauge\n"
	    "rpkipubd_object_bytes %lld\n"
	    "# HELP rpkipubd_last_change_id Newest entry of the change log.\n"
	    "# TYPE rpkipubd_last_change_id gauge\n"
	    "rpkipubd_last_change_id %lld\n"
	    "# HELP rpkipubd_commit_queue Queries queued or being committed.\n"
	    "# TYPE rpkipubd_commit_queue gauge\n"
	    "rpkipubd_commit_queue %zu\n"
	    "# HELP rpkipubd_uptime_seconds Seconds since start.\n"
	    "# TYPE rpkipubd_uptime_seconds gauge\n"
	    "rpkipubd_uptime_seconds %.0f\n",
	    (long long)t->publishers, (long long)r->objects,
	    (long long)r->object_bytes, (long long)t->last_change,
	    queue_length, uptime);
	buf_printf(b, "# HELP rpkipubd_rrdp_serial Serial of the RRDP "
	    "notification.\n# TYPE rpkipubd_rrdp_serial gauge\n"
	    "rpkipubd_rrdp_serial{session=\"%s\"} %lld\n"
	    "# HELP rpkipubd_rrdp_serials_total Serials written since start.\n"
	    "# TYPE rpkipubd_rrdp_serials_total counter\n"
	    "rpkipubd_rrdp_serials_total %lld\n"
	    "# HELP rpkipubd_rrdp_sessions_total New RRDP sessions started "
	    "since start (reset, restored store, first serial).\n"
	    "# TYPE rpkipubd_rrdp_sessions_total counter\n"
	    "rpkipubd_rrdp_sessions_total %lld\n"
	    "# HELP rpkipubd_rrdp_failures_total Writer runs that failed "
	    "(nothing announced changed; retried next interval).\n"
	    "# TYPE rpkipubd_rrdp_failures_total counter\n"
	    "rpkipubd_rrdp_failures_total %lld\n"
	    "# HELP rpkipubd_rrdp_serial_duration_seconds Time the last serial "
	    "took (snapshot, delta, rsync tree, notification).\n"
	    "# TYPE rpkipubd_rrdp_serial_duration_seconds gauge\n"
	    "rpkipubd_rrdp_serial_duration_seconds %.3f\n"
	    "# HELP rpkipubd_rrdp_last_serial_timestamp_seconds When the last "
	    "serial was announced (Unix time).\n"
	    "# TYPE rpkipubd_rrdp_last_serial_timestamp_seconds gauge\n"
	    "rpkipubd_rrdp_last_serial_timestamp_seconds %lld\n"
	    "# HELP rpkipubd_rrdp_snapshot_bytes Size of the current snapshot.\n"
	    "# TYPE rpkipubd_rrdp_snapshot_bytes gauge\n"
	    "rpkipubd_rrdp_snapshot_bytes %lld\n"
	    "# HELP rpkipubd_rrdp_deltas Deltas listed in the notification.\n"
	    "# TYPE rpkipubd_rrdp_deltas gauge\n"
	    "rpkipubd_rrdp_deltas %lld\n"
	    "# HELP rpkipubd_rrdp_deltas_seconds Age of the oldest listed "
	    "delta: how far back relying parties can catch up by deltas.\n"
	    "# TYPE rpkipubd_rrdp_deltas_seconds gauge\n"
	    "rpkipubd_rrdp_deltas_seconds %lld\n"
	    "# HELP rpkipubd_change_log_pruned_total Changes removed from the "
	    "store's change log since start (announced, older than "
	    "change_log_keep).\n"
	    "# TYPE rpkipubd_change_log_pruned_total counter\n"
	    "rpkipubd_change_log_pruned_total %lld\n",
	    r->session, (long long)r->serial, (long long)r->serials,
	    (long long)r->resets, (long long)r->failures, r->last_duration,
	    (long long)r->last_serial_time, (long long)r->snapshot_bytes,
	    (long long)r->deltas_listed, (long long)r->delta_seconds,
	    (long long)r->changes_pruned);
}
