#include <string.h>

#include <curl/curl.h>

#include "admin_client.h"
#include "log.h"

static size_t
admin_client_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf	*out = arg;

	if (out->len + size * n > ADMIN_MAX_RESPONSE)
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	buf_add(out, p, size * n);
	return size * n;
}

int
admin_client_request(const struct config *c, const char *token,
    const char *method, const char *path, const void *body, size_t len,
    long *status, struct buf *out)
{
	struct curl_slist	*hdrs = NULL;
	struct buf		 url, auth;
	CURL			*curl;
	CURLcode		 cc;
	const char		*upath;
	int			 rc = -1;

	buf_init(&url);
	buf_init(&auth);
	if ((curl = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	/* admin_listen is ADDR:PORT (IPv6 in brackets) or unix:PATH. */
	if ((upath = config_unix_path(c->admin_listen)) != NULL) {
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, upath);
		buf_printf(&url, "http://localhost%s", path);
	} else
		buf_printf(&url, "http://%s%s", c->admin_listen, path);
	buf_printf(&auth, "Authorization: Bearer %s", token);
	hdrs = curl_slist_append(hdrs, buf_str(&auth));
	hdrs = curl_slist_append(hdrs, "Content-Type: application/xml");
	curl_easy_setopt(curl, CURLOPT_URL, buf_str(&url));
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)ADMIN_CONNECT_TIMEOUT);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)ADMIN_TIMEOUT);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, admin_client_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
	}
	cc = curl_easy_perform(curl);
	if (cc == CURLE_COULDNT_CONNECT) {
		/* Nothing listens (or, for a socket, the file is gone). */
		rc = 1;
		goto out;
	}
	if (cc != CURLE_OK) {
		log_err("admin API %s: %s", buf_str(&url),
		    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	rc = 0;
 out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	buf_free(&url);
	buf_free(&auth);
	return rc;
}
