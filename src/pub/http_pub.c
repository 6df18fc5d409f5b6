/*
 * RFC 8181 over HTTP: POST <service path>/<handle>, content type
 * application/rpki-publication (RFC 8181 section 2).  HTTP status codes
 * report transport faults only (unknown path or publisher, method, media
 * type, size); everything the publisher did wrong inside an authentic
 * message travels back as a signed report_error.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "cms.h"
#include "encoding.h"
#include "log.h"
#include "metrics.h"
#include "pubd.h"
#include "bounds.h"
#include "rfc8181_msg.h"
#include "rfc8183.h"

struct http_req {
	struct timespec		 start;
	struct buf		 body;
	struct store_publisher	*pub;		/* looked up before the body */
	int			 too_large;
	int			 busy;		/* MAX_BUFFERED_BODIES reached */
};

/* Bytes of request bodies held by all connections together. */
static atomic_size_t	http_buffered;

static enum MHD_Result
http_plain(struct MHD_Connection *con, unsigned int status, const char *text)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	ret = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
http_refuse(struct MHD_Connection *con, enum metrics_http m,
    unsigned int status, const char *peer_handle, const char *text)
{
	metrics_http(m);
	log_warn("refused RFC 8181 request%s%s: HTTP %u: %s",
	    peer_handle ? " for publisher " : "",
	    peer_handle ? peer_handle : "", status, text);
	return http_plain(con, status, text);
}

/* Is the media type application/rpki-publication (parameters allowed)? */
static int
http_type_ok(const char *ct)
{
	size_t	n = strlen(RFC8181_CONTENT_TYPE);

	return ct != NULL && strncasecmp(ct, RFC8181_CONTENT_TYPE, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/*
 * Build and sign the reply for an authenticated (or at least addressed)
 * request; returns the queued result.
 */
static enum MHD_Result
http_reply(struct pubd *d, struct MHD_Connection *con, const struct buf *xml)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;
	uint8_t			*der;
	size_t			 derlen;

	pubd_cpu_enter(d);
	der = pubd_sign(d, xml->data, xml->len, &derlen);
	pubd_cpu_leave(d);
	if (der == NULL) {
		metrics_http(HTTP_RESULT_INTERNAL);
		return http_plain(con, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "cannot sign the reply\n");
	}
	r = MHD_create_response_from_buffer(derlen, der, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(der);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    RFC8181_CONTENT_TYPE);
	ret = MHD_queue_response(con, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void
http_error_xml(struct buf *xml, enum rfc8181_error code, const char *text)
{
	buf_free(xml);
	rfc8181_write_begin(xml, RFC8181_REPLY);
	rfc8181_write_error(xml, code, NULL, text, NULL);
	rfc8181_write_end(xml);
}

/* The complete body has arrived: verify, parse, apply, reply. */
static enum MHD_Result
http_process(struct pubd *d, struct MHD_Connection *con, struct http_req *req)
{
	const struct store_publisher *pub;
	struct rfc8181_msg	*msg = NULL;
	struct cms_verified	 v;
	struct engine_query	 q;
	struct buf		 xml;
	X509			*ta = NULL;
	enum cms_fail		 cf;
	int			 prepared;
	enum rfc8181_error	 result;
	enum MHD_Result		 ret;
	char			 err[512];

	memset(&v, 0, sizeof(v));
	engine_query_init(&q);
	buf_init(&xml);

	pub = req->pub;
	if ((ta = pubd_publisher_ta(d, pub)) == NULL) {
		log_err("publisher %s: stored BPKI TA does not parse",
		    pub->handle);
		metrics_http(HTTP_RESULT_INTERNAL);
		ret = http_plain(con, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "publisher BPKI TA unusable\n");
		goto out;
	}

	pubd_cpu_enter(d);
	cf = cms_verify(req->body.data, req->body.len, ta, time(NULL), &v, err,
	    sizeof(err));
	if (cf == CMS_OK && rfc8181_parse(v.content, v.content_len,
	    d->cfg->max_object, &msg, err, sizeof(err)) == -1)
		result = ERR_XML;
	pubd_cpu_leave(d);
	if (cf != CMS_OK) {
		metrics_cms_failure(cf);
		result = ERR_BAD_CMS;
		http_error_xml(&xml, result, err);
		goto reply;
	}
	if (msg == NULL) {
		http_error_xml(&xml, result, err);
		goto reply;
	}
	if (msg->type != RFC8181_QUERY) {
		result = ERR_XML;
		snprintf(err, sizeof(err), "RFC 8181 section 3: a publisher "
		    "sends type=\"query\" messages");
		http_error_xml(&xml, result, err);
		goto reply;
	}

	engine_query_publisher(&q, pub);
	q.msg = msg;
	q.signing_time = v.signing_time;
	memcpy(q.digest, v.digest, sizeof(q.digest));
	/* Encode the objects for RRDP here, not in the writer thread. */
	pubd_cpu_enter(d);
	prepared = engine_query_prepare(&q);
	pubd_cpu_leave(d);
	if (prepared == -1) {
		result = ERR_OTHER;
		http_error_xml(&xml, result, "cannot encode the objects");
		goto reply;
	}
	engine_submit(d->engine, &q);
	result = q.result;
	if (result == ERR_NONE && q.list) {
		struct store	*st;

		if ((st = pubd_store_get(d)) == NULL ||
		    engine_list_reply(st, pub->id, &q.reply) == -1) {
			result = ERR_OTHER;
			snprintf(q.error_text, sizeof(q.error_text),
			    "store unavailable for the list reply");
			http_error_xml(&q.reply, result, q.error_text);
		}
		pubd_store_put(d, st);
	}
	if (result != ERR_NONE)
		snprintf(err, sizeof(err), "%s", q.error_text);
	/* Hand the reply XML over; q.reply is freed below. */
	xml = q.reply;
	buf_init(&q.reply);

 reply:
	metrics_request(result, pubd_elapsed(&req->start), req->body.len,
	    msg != NULL ? msg->npdus : 0);
	log_info("publisher %s: %zu bytes, %zu PDUs, %s%s%s, %.1f ms",
	    pub->handle, req->body.len, msg != NULL ? msg->npdus : 0,
	    result == ERR_NONE ? "success" : rfc8181_error_name(result),
	    result != ERR_NONE ? ": " : "", result != ERR_NONE ? err : "",
	    pubd_elapsed(&req->start) * 1000);
	ret = http_reply(d, con, &xml);
 out:
	X509_free(ta);
	free(v.content);
	rfc8181_msg_free(msg);
	engine_query_free(&q);
	buf_free(&xml);
	return ret;
}

static enum MHD_Result
http_handler(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct pubd		*d = cls;
	struct http_req		*req = *con_cls;
	struct store_publisher	*pub = NULL;
	struct store		*st;
	const char		*svc = config_service_path(d->cfg);
	const char		*clen, *handle;
	size_t			 n = strlen(svc);
	unsigned long long	 len;
	int			 found;

	if (req == NULL) {
		/* First call: headers only.  Refuse early, before the body. */
		if (strncmp(url, svc, n) != 0 || url[n] != '/' ||
		    url[n + 1] == '\0')
			return http_refuse(con, HTTP_RESULT_NOT_FOUND,
			    MHD_HTTP_NOT_FOUND, NULL, "not found\n");
		handle = url + n + 1;
		if (!rfc8183_handle_valid(handle))
			return http_refuse(con, HTTP_RESULT_NOT_FOUND,
			    MHD_HTTP_NOT_FOUND, NULL, "not found\n");
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return http_refuse(con, HTTP_RESULT_BAD_METHOD,
			    MHD_HTTP_METHOD_NOT_ALLOWED, handle,
			    "RFC 8181 section 2: use POST\n");
		if (!http_type_ok(MHD_lookup_connection_value(con,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
			return http_refuse(con, HTTP_RESULT_BAD_TYPE,
			    MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, handle,
			    "RFC 8181 section 2: content type must be "
			    RFC8181_CONTENT_TYPE "\n");
		clen = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (clen != NULL && ((len = strtoull(clen, NULL, 10)) >
		    d->cfg->max_body))
			return http_refuse(con, HTTP_RESULT_TOO_LARGE,
			    MHD_HTTP_CONTENT_TOO_LARGE, handle,
			    "request body larger than max_body\n");
		/*
		 * Look the publisher up now, so a request for nobody is
		 * answered before a byte of its body is buffered.
		 */
		if ((st = pubd_store_get(d)) == NULL) {
			metrics_http(HTTP_RESULT_INTERNAL);
			return http_plain(con, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "store unavailable\n");
		}
		found = store_publisher_get(st, handle, &pub);
		pubd_store_put(d, st);
		if (found == 0)
			return http_refuse(con, HTTP_RESULT_NOT_FOUND,
			    MHD_HTTP_NOT_FOUND, handle, "unknown publisher\n");
		if (found == -1) {
			metrics_http(HTTP_RESULT_INTERNAL);
			return http_plain(con, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "store unavailable\n");
		}
		req = xcalloc(1, sizeof(*req));
		clock_gettime(CLOCK_MONOTONIC, &req->start);
		buf_init(&req->body);
		req->pub = pub;
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/*
		 * Chunked bodies have no Content-Length: count as they come.
		 * Past a limit the rest is read and dropped (MHD cannot
		 * answer during the upload), so memory stays bounded.
		 */
		if (req->too_large || req->busy)
			;
		else if (req->body.len + *upload_size > d->cfg->max_body)
			req->too_large = 1;
		else if (atomic_fetch_add(&http_buffered, *upload_size) +
		    *upload_size > MAX_BUFFERED_BODIES) {
			atomic_fetch_sub(&http_buffered, *upload_size);
			req->busy = 1;
		} else {
			buf_add(&req->body, upload, *upload_size);
			*upload_size = 0;
			return MHD_YES;
		}
		atomic_fetch_sub(&http_buffered, req->body.len);
		buf_free(&req->body);
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->too_large)
		return http_refuse(con, HTTP_RESULT_TOO_LARGE,
		    MHD_HTTP_CONTENT_TOO_LARGE, req->pub->handle,
		    "request body larger than max_body\n");
	if (req->busy)
		return http_refuse(con, HTTP_RESULT_BUSY,
		    MHD_HTTP_SERVICE_UNAVAILABLE, req->pub->handle,
		    "server busy: too many large requests at once; retry\n");
	return http_process(d, con, req);
}

static void
http_completed(void *cls, struct MHD_Connection *con, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req	*req = *con_cls;

	if (req == NULL)
		return;
	atomic_fetch_sub(&http_buffered, req->body.len);
	buf_free(&req->body);
	store_publisher_free(req->pub);
	free(req);
	*con_cls = NULL;
}

struct MHD_Daemon *
http_pub_start(struct pubd *d)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct MHD_Daemon	*m;
	unsigned int		 flags;

	if (config_parse_addr(d->cfg->listen, &ss, &sl) == -1)
		return NULL;
	/*
	 * One thread per connection: a request thread blocks while its
	 * query waits for the group commit, and many in flight at once is
	 * what lets one commit serve many publishers.
	 */
	flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m = MHD_start_daemon(flags, 0, NULL, NULL, http_handler, d,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)MAX_CONNECTIONS_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, d,
	    MHD_OPTION_END);
	if (m == NULL)
		log_err("cannot listen on %s for RFC 8181", d->cfg->listen);
	return m;
}
