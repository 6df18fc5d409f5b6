#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>
#include <openssl/x509.h>

#include "bpki.h"
#include "cms.h"
#include "encoding.h"
#include "log.h"
#include "publishers.h"
#include "rfc8183.h"

struct overlap_ctx {
	const char	*sia_base;
	const char	*clash;		/* handle that overlaps, if any */
	char		*clash_copy;
};

/*
 * Jails must not nest: with handles "a" and "a/b", publisher "a" could
 * overwrite objects of "a/b".  Refuse a sia_base that is a prefix of
 * another one, or has one as prefix.
 */
static int
publishers_overlap_cb(const struct store_publisher *p, void *arg)
{
	struct overlap_ctx	*ctx = arg;
	size_t			 a = strlen(p->sia_base);
	size_t			 b = strlen(ctx->sia_base);

	if (strncmp(p->sia_base, ctx->sia_base, a < b ? a : b) == 0) {
		ctx->clash_copy = xstrdup(p->handle);
		return -1;
	}
	return 0;
}

static void
publishers_write_response(const struct config *c, const char *handle,
    const char *sia_base, const uint8_t *ta, size_t ta_len, struct buf *out)
{
	struct rfc8183_repository_response	 r;
	struct buf				 service, notify;

	buf_init(&service);
	buf_init(&notify);
	buf_printf(&service, "%s/%s", c->service_uri, handle);
	buf_printf(&notify, "%snotification.xml", c->rrdp_base);
	memset(&r, 0, sizeof(r));
	r.handle = (char *)handle;
	r.service_uri = buf_str(&service);
	r.sia_base = (char *)sia_base;
	r.rrdp_notification_uri = buf_str(&notify);
	r.bpki_ta = (uint8_t *)ta;
	r.bpki_ta_len = ta_len;
	rfc8183_write_repository_response(out, &r);
	buf_free(&service);
	buf_free(&notify);
}

enum publishers_result
publishers_add(struct store *st, const struct config *c,
    const uint8_t *server_ta, size_t server_ta_len, const uint8_t *request,
    size_t len, const char *handle, time_t now, struct buf *out, char *err,
    size_t errlen)
{
	struct rfc8183_publisher_request	*req = NULL;
	struct store_publisher			*existing = NULL;
	struct overlap_ctx			 ctx;
	struct buf				 sia;
	X509					*ta = NULL;
	char					 why[256];
	int					 found;
	enum publishers_result			 rc = PUB_INVALID;

	buf_init(&sia);
	memset(&ctx, 0, sizeof(ctx));
	if (rfc8183_parse_publisher_request(request, len, &req, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "publisher_request: %s", why);
		goto out;
	}
	if (handle == NULL)
		handle = req->handle;
	if (!rfc8183_handle_valid(handle)) {
		snprintf(err, errlen, "invalid handle \"%.64s\": use 1-%d "
		    "characters of A-Z a-z 0-9 - _ / (RFC 8183 section 5.2.3)",
		    handle, 255);
		goto out;
	}
	if ((ta = bpki_cert_from_der(req->bpki_ta, req->bpki_ta_len)) ==
	    NULL) {
		snprintf(err, errlen, "publisher_bpki_ta is not a DER X.509 "
		    "certificate (RFC 8183 section 5.2.3)");
		goto out;
	}
	buf_printf(&sia, "%s%s/", c->rsync_base, handle);
	rc = PUB_STORE;
	if (store_begin(st) == -1) {
		snprintf(err, errlen, "store unavailable");
		goto out;
	}
	if ((found = store_publisher_get(st, handle, &existing)) != 0) {
		if (found == 1) {
			snprintf(err, errlen, "handle \"%s\" is already "
			    "registered", handle);
			rc = PUB_CONFLICT;
		} else
			snprintf(err, errlen, "store unavailable");
		goto rollback;
	}
	ctx.sia_base = buf_str(&sia);
	if (store_publisher_foreach(st, publishers_overlap_cb, &ctx) == -1) {
		if (ctx.clash_copy != NULL) {
			snprintf(err, errlen, "sia_base %s would overlap the "
			    "one of publisher \"%s\"", buf_str(&sia),
			    ctx.clash_copy);
			rc = PUB_CONFLICT;
		} else
			snprintf(err, errlen, "store unavailable");
		goto rollback;
	}
	/*
	 * Replay protection starts with the registration: a message signed
	 * (give or take the clock skew allowed) before it was captured
	 * under an earlier registration of this handle, whose replay state
	 * went with it (RFC 6492 section 3.1.2, as RFC 8181 applies it).
	 */
	if (store_publisher_add(st, handle, buf_str(&sia), req->bpki_ta,
	    req->bpki_ta_len, now, now - CMS_MAX_CLOCK_SKEW) == -1 ||
	    store_commit(st) == -1) {
		snprintf(err, errlen, "store unavailable");
		goto rollback;
	}
	publishers_write_response(c, handle, buf_str(&sia), server_ta,
	    server_ta_len, out);
	log_info("registered publisher %s, sia_base %s%s", handle,
	    buf_str(&sia), req->has_referral ? " (referral ignored)" : "");
	rc = PUB_OK;
	goto out;
 rollback:
	store_rollback(st);
 out:
	X509_free(ta);
	free(ctx.clash_copy);
	store_publisher_free(existing);
	rfc8183_publisher_request_free(req);
	buf_free(&sia);
	return rc;
}

/* Look a publisher up; the result says why not when it fails. */
static enum publishers_result
publishers_get(struct store *st, const char *handle,
    struct store_publisher **p, char *err, size_t errlen)
{
	switch (store_publisher_get(st, handle, p)) {
	case 1:
		return PUB_OK;
	case 0:
		snprintf(err, errlen, "no publisher \"%s\"", handle);
		return PUB_NOT_FOUND;
	default:
		snprintf(err, errlen, "store unavailable");
		return PUB_STORE;
	}
}

enum publishers_result
publishers_response(struct store *st, const struct config *c,
    const uint8_t *server_ta, size_t server_ta_len, const char *handle,
    struct buf *out, char *err, size_t errlen)
{
	struct store_publisher	*p = NULL;
	enum publishers_result	 rc;

	if ((rc = publishers_get(st, handle, &p, err, errlen)) != PUB_OK)
		return rc;
	publishers_write_response(c, p->handle, p->sia_base, server_ta,
	    server_ta_len, out);
	store_publisher_free(p);
	return PUB_OK;
}

struct list_ctx {
	struct store	*st;
	struct buf	*out;
};

static int
publishers_list_cb(const struct store_publisher *p, void *arg)
{
	struct list_ctx	*ctx = arg;
	int64_t		 objects, bytes;

	if (store_publisher_count_objects(ctx->st, p->id, &objects,
	    &bytes) == -1)
		return -1;
	buf_printf(ctx->out, "%-32s %8lld %12lld  %s\n", p->handle,
	    (long long)objects, (long long)bytes, p->sia_base);
	return 0;
}

enum publishers_result
publishers_list(struct store *st, struct buf *out, char *err, size_t errlen)
{
	struct list_ctx	ctx = { st, out };

	buf_printf(out, "%-32s %8s %12s  %s\n", "HANDLE", "OBJECTS", "BYTES",
	    "SIA_BASE");
	if (store_publisher_foreach(st, publishers_list_cb, &ctx) == -1) {
		snprintf(err, errlen, "store unavailable");
		return PUB_STORE;
	}
	return PUB_OK;
}

enum publishers_result
publishers_show(struct store *st, const struct config *c, const char *handle,
    struct buf *out, char *err, size_t errlen)
{
	struct store_publisher	*p = NULL;
	X509			*ta = NULL;
	uint8_t			 fp[32];
	char			 hex[65], subject[256];
	int64_t			 objects, bytes;
	enum publishers_result	 rc;

	if ((rc = publishers_get(st, handle, &p, err, errlen)) != PUB_OK)
		goto out;
	if (store_publisher_count_objects(st, p->id, &objects, &bytes) == -1) {
		snprintf(err, errlen, "store unavailable");
		rc = PUB_STORE;
		goto out;
	}
	SHA256(p->bpki_ta, p->bpki_ta_len, fp);
	hex_encode(hex, fp, sizeof(fp));
	subject[0] = '\0';
	if ((ta = bpki_cert_from_der(p->bpki_ta, p->bpki_ta_len)) != NULL)
		X509_NAME_oneline(X509_get_subject_name(ta), subject,
		    sizeof(subject));
	buf_printf(out, "handle:            %s\n"
	    "service_uri:       %s/%s\n"
	    "sia_base:          %s\n"
	    "objects:           %lld\n"
	    "bytes:             %lld\n"
	    "created:           %lld\n"
	    "last_signing_time: %lld\n"
	    "bpki_ta_subject:   %s\n"
	    "bpki_ta_sha256:    %s\n",
	    p->handle, c->service_uri, p->handle, p->sia_base,
	    (long long)objects, (long long)bytes, (long long)p->created,
	    (long long)p->last_signing_time, subject, hex);
	rc = 0;
 out:
	X509_free(ta);
	store_publisher_free(p);
	return rc;
}

struct withdraw_ctx {
	char		**uris;
	uint8_t		 *hashes;
	size_t		  n, cap;
};

static int
publishers_collect_cb(const char *uri, const uint8_t hash[32], void *arg)
{
	struct withdraw_ctx	*w = arg;

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->uris = xrealloc(w->uris, w->cap * sizeof(*w->uris));
		w->hashes = xrealloc(w->hashes, w->cap * 32);
	}
	w->uris[w->n] = xstrdup(uri);
	memcpy(w->hashes + 32 * w->n, hash, 32);
	w->n++;
	return 0;
}

enum publishers_result
publishers_remove(struct store *st, const char *handle, time_t now,
    struct buf *out, char *err, size_t errlen)
{
	struct store_publisher	*p = NULL;
	struct withdraw_ctx	 w;
	int64_t			 change = 0;
	size_t			 i;
	enum publishers_result	 rc = PUB_STORE;

	memset(&w, 0, sizeof(w));
	if (store_begin(st) == -1) {
		snprintf(err, errlen, "store unavailable");
		goto out;
	}
	if ((rc = publishers_get(st, handle, &p, err, errlen)) != PUB_OK)
		goto rollback;
	/* Collect first: a statement cannot be stepped while deleting. */
	if (store_object_foreach(st, p->id, publishers_collect_cb, &w) == -1)
		goto fail;
	if (w.n > 0 && store_change_add(st, p->handle, now, &change) == -1)
		goto fail;
	for (i = 0; i < w.n; i++) {
		if (store_object_delete(st, w.uris[i]) == -1 ||
		    store_change_item(st, change, w.uris[i],
		    w.hashes + 32 * i, NULL) == -1)
			goto fail;
	}
	if (store_publisher_delete(st, p->id) == -1 || store_commit(st) == -1)
		goto fail;
	buf_printf(out, "removed publisher %s; withdrew %zu objects\n",
	    handle, w.n);
	log_info("removed publisher %s; withdrew %zu objects in change %lld",
	    handle, w.n, w.n > 0 ? (long long)change : 0LL);
	goto out;
 fail:
	snprintf(err, errlen, "store unavailable");
	rc = PUB_STORE;
 rollback:
	store_rollback(st);
 out:
	for (i = 0; i < w.n; i++)
		free(w.uris[i]);
	free(w.uris);
	free(w.hashes);
	store_publisher_free(p);
	return rc;
}
