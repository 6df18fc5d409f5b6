/*
 * The admin listener: Prometheus metrics (no token) and the admin API
 * that rpkipubctl uses (bearer token from DIR/admin.token).  Bound to
 * 127.0.0.1 by default; it never faces publishers or the public.
 *
 *   GET    /metrics
 *   GET    /v1/status
 *   GET    /v1/publishers
 *   POST   /v1/publishers[?handle=H]      body: RFC 8183 publisher_request
 *   GET    /v1/publishers/<handle>
 *   GET    /v1/responses/<handle>        its RFC 8183 repository_response
 *   DELETE /v1/publishers/<handle>
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "bounds.h"
#include "log.h"
#include "metrics.h"
#include "publishers.h"
#include "pubd.h"

#define ADMIN_PUBLISHERS	"/v1/publishers"
#define ADMIN_RESPONSES		"/v1/responses"

struct admin_req {
	struct buf	body;
	int		too_large;
};

static enum MHD_Result
admin_send(struct MHD_Connection *con, unsigned int status,
    const char *type, struct buf *b)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;
	size_t			 len;
	uint8_t			*data = buf_release(b, &len);

	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
admin_text(struct MHD_Connection *con, unsigned int status, const char *text)
{
	struct buf	b;

	buf_init(&b);
	buf_adds(&b, text);
	return admin_send(con, status, "text/plain; charset=utf-8", &b);
}

/* Constant-time comparison of "Bearer <token>". */
static int
admin_authorized(struct pubd *d, struct MHD_Connection *con)
{
	const char	*h = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
			    MHD_HTTP_HEADER_AUTHORIZATION);
	size_t		 n = strlen(d->token);

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 ||
	    strlen(h + 7) != n)
		return 0;
	return CRYPTO_memcmp(h + 7, d->token, n) == 0;
}

static enum MHD_Result
admin_metrics(struct pubd *d, struct MHD_Connection *con)
{
	struct store_totals	 t;
	struct rrdp_status	 r;
	struct store		*st;
	struct buf		 b;

	memset(&t, 0, sizeof(t));
	if ((st = pubd_store_get(d)) == NULL || store_totals(st, &t) == -1) {
		pubd_store_put(d, st);
		return admin_text(con, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "store unavailable\n");
	}
	pubd_store_put(d, st);
	rrdp_writer_status(d->writer, &r);
	buf_init(&b);
	metrics_render(&b, &t, &r, engine_queue_length(d->engine),
	    pubd_uptime(d));
	return admin_send(con, MHD_HTTP_OK,
	    "text/plain; version=0.0.4; charset=utf-8", &b);
}

static enum MHD_Result
admin_status(struct pubd *d, struct MHD_Connection *con, struct store *st)
{
	struct store_totals	t;
	struct rrdp_status	r;
	struct buf		b;

	if (store_totals(st, &t) == -1)
		return admin_text(con, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "store unavailable\n");
	rrdp_writer_status(d->writer, &r);
	buf_init(&b);
	buf_printf(&b, "version:       %s\n"
	    "uptime:        %.0f s\n"
	    "service_uri:   %s/<handle>\n"
	    "listen:        %s\n"
	    "publishers:    %lld\n"
	    "objects:       %lld (at the last serial)\n"
	    "object_bytes:  %lld\n"
	    "last_change:   %lld\n"
	    "commit_queue:  %zu\n"
	    "rrdp_session:  %s\n"
	    "rrdp_serial:   %lld\n"
	    "rrdp_notification: %snotification.xml\n"
	    "rrdp_last_serial: %.3f s, %lld s ago\n",
	    RPKIPUB_VERSION, pubd_uptime(d), d->cfg->service_uri,
	    d->cfg->listen, (long long)t.publishers, (long long)r.objects,
	    (long long)r.object_bytes, (long long)t.last_change,
	    engine_queue_length(d->engine), r.session, (long long)r.serial,
	    d->cfg->rrdp_base, r.last_duration, r.last_serial_time > 0 ?
	    (long long)(time(NULL) - r.last_serial_time) : -1LL);
	return admin_send(con, MHD_HTTP_OK, "text/plain; charset=utf-8", &b);
}

/* Route an authorized API request, on a borrowed store connection. */
static enum MHD_Result
admin_api(struct pubd *d, struct MHD_Connection *con, const char *url,
    const char *method, struct admin_req *req, struct store *st)
{
	struct buf	 out;
	char		 err[512];
	const char	*type = "text/plain; charset=utf-8";
	const char	*h;
	size_t		 np = strlen(ADMIN_PUBLISHERS);
	size_t		 nr = strlen(ADMIN_RESPONSES);
	enum publishers_result rc;
	int		 is_get, is_post, is_delete;
	unsigned int	 status;

	buf_init(&out);
	is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	is_delete = strcmp(method, MHD_HTTP_METHOD_DELETE) == 0;

	if (strcmp(url, "/v1/status") == 0 && is_get)
		return admin_status(d, con, st);
	if (strcmp(url, ADMIN_PUBLISHERS) == 0 && is_get)
		rc = publishers_list(st, &out, err, sizeof(err));
	else if (strcmp(url, ADMIN_PUBLISHERS) == 0 && is_post) {
		h = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND,
		    "handle");
		rc = publishers_add(st, d->cfg, d->server_ta, d->server_ta_len,
		    req->body.data, req->body.len, h, time(NULL), &out, err,
		    sizeof(err));
		type = "application/xml";
	} else if (strncmp(url, ADMIN_PUBLISHERS "/", np + 1) == 0 &&
	    is_get)
		rc = publishers_show(st, d->cfg, url + np + 1, &out, err,
		    sizeof(err));
	else if (strncmp(url, ADMIN_PUBLISHERS "/", np + 1) == 0 &&
	    is_delete)
		rc = publishers_remove(st, url + np + 1, time(NULL), &out, err,
		    sizeof(err));
	else if (strncmp(url, ADMIN_RESPONSES "/", nr + 1) == 0 && is_get) {
		rc = publishers_response(st, d->cfg, d->server_ta,
		    d->server_ta_len, url + nr + 1, &out, err, sizeof(err));
		type = "application/xml";
	} else
		return admin_text(con, MHD_HTTP_NOT_FOUND,
		    "no such admin API resource or method\n");

	switch (rc) {
	case PUB_OK:
		status = MHD_HTTP_OK;
		break;
	case PUB_NOT_FOUND:
		status = MHD_HTTP_NOT_FOUND;
		break;
	case PUB_CONFLICT:
		status = MHD_HTTP_CONFLICT;
		break;
	case PUB_STORE:
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
		break;
	default:
		status = MHD_HTTP_BAD_REQUEST;
	}
	if (rc != PUB_OK) {
		buf_free(&out);
		buf_printf(&out, "%s\n", err);
		type = "text/plain; charset=utf-8";
		log_warn("admin: %s %s: %s", method, url, err);
	}
	return admin_send(con, status, type, &out);
}

static enum MHD_Result
admin_handler(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct pubd		*d = cls;
	struct admin_req	*req = *con_cls;
	struct store		*st;
	enum MHD_Result		 ret;

	if (req == NULL) {
		if (strcmp(url, "/metrics") == 0) {
			if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
				return admin_text(con,
				    MHD_HTTP_METHOD_NOT_ALLOWED, "use GET\n");
			return admin_metrics(d, con);
		}
		if (!admin_authorized(d, con))
			return admin_text(con, MHD_HTTP_UNAUTHORIZED,
			    "missing or wrong bearer token (see "
			    "DATA_DIR/admin.token)\n");
		req = xcalloc(1, sizeof(*req));
		buf_init(&req->body);
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (req->body.len + *upload_size <= MAX_ADMIN_BODY)
			buf_add(&req->body, upload, *upload_size);
		else
			req->too_large = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->too_large)
		return admin_text(con, MHD_HTTP_CONTENT_TOO_LARGE,
		    "request body too large\n");
	if ((st = pubd_store_get(d)) == NULL)
		return admin_text(con, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "store unavailable\n");
	ret = admin_api(d, con, url, method, req, st);
	pubd_store_put(d, st);
	return ret;
}

static void
admin_completed(void *cls, struct MHD_Connection *con, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct admin_req	*req = *con_cls;

	if (req == NULL)
		return;
	buf_free(&req->body);
	free(req);
	*con_cls = NULL;
}

/*
 * A Unix socket for the admin API: reachable only through the file
 * system, mode 0600, so no token leaves the host.  A stale socket from
 * a previous run is replaced; any other file there is an error.
 */
static int
admin_unix_socket(const char *path)
{
	struct sockaddr_un	sun;
	struct stat		sb;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			log_err("%s exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_err("socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0600) == -1 || listen(fd, 64) == -1) {
		log_err("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct MHD_Daemon *
admin_start(struct pubd *d)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct MHD_Daemon	*m;
	const char		*upath;
	unsigned int		 flags;
	int			 fd;

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if ((upath = config_unix_path(d->cfg->admin_listen)) != NULL) {
		if ((fd = admin_unix_socket(upath)) == -1)
			return NULL;
		m = MHD_start_daemon(flags, 0, NULL, NULL, admin_handler, d,
		    MHD_OPTION_LISTEN_SOCKET, fd,
		    MHD_OPTION_CONNECTION_LIMIT, 64u,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT,
		    MHD_OPTION_NOTIFY_COMPLETED, admin_completed, d,
		    MHD_OPTION_END);
		if (m == NULL) {
			close(fd);
			log_err("cannot serve the admin API on %s", upath);
		}
		return m;
	}
	if (config_parse_addr(d->cfg->admin_listen, &ss, &sl) == -1)
		return NULL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m = MHD_start_daemon(flags, 0, NULL, NULL, admin_handler, d,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, 64u,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT,
	    MHD_OPTION_NOTIFY_COMPLETED, admin_completed, d,
	    MHD_OPTION_END);
	if (m == NULL)
		log_err("cannot listen on %s for the admin API",
		    d->cfg->admin_listen);
	return m;
}
