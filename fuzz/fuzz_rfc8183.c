/*
 * libFuzzer target for the RFC 8183 parsers.  Each input is parsed as a
 * publisher_request and as a repository_response; whatever is accepted
 * is written back and must parse again to the same values, and every
 * refusal must come with a one-line reason citing RFC 8183.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rfc8183.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static void
check_reason(const char *err)
{
	if (strncmp(err, "RFC 8183 section 5.2.", 21) != 0 ||
	    strchr(err, '\n') != NULL)
		abort();
}

static void
request(const uint8_t *data, size_t len)
{
	struct rfc8183_publisher_request	*r = NULL, *r2 = NULL;
	struct buf				 b;
	char					 err[256];

	if (rfc8183_parse_publisher_request(data, len, &r, err,
	    sizeof(err)) == -1) {
		if (r != NULL)
			abort();
		check_reason(err);
		return;
	}
	if (!rfc8183_handle_valid(r->handle))
		abort();
	buf_init(&b);
	rfc8183_write_publisher_request(&b, r);
	if (rfc8183_parse_publisher_request(b.data, b.len, &r2, err,
	    sizeof(err)) == -1)
		abort();
	/* Referrals are accepted and dropped, so has_referral is not kept. */
	if (!str_eq(r->handle, r2->handle) || !str_eq(r->tag, r2->tag) ||
	    !bytes_eq(r->bpki_ta, r->bpki_ta_len, r2->bpki_ta,
	    r2->bpki_ta_len))
		abort();
	rfc8183_publisher_request_free(r);
	rfc8183_publisher_request_free(r2);
	buf_free(&b);
}

static void
response(const uint8_t *data, size_t len)
{
	struct rfc8183_repository_response	*r = NULL, *r2 = NULL;
	struct buf				 b;
	char					 err[256];

	if (rfc8183_parse_repository_response(data, len, &r, err,
	    sizeof(err)) == -1) {
		if (r != NULL)
			abort();
		check_reason(err);
		return;
	}
	buf_init(&b);
	rfc8183_write_repository_response(&b, r);
	if (rfc8183_parse_repository_response(b.data, b.len, &r2, err,
	    sizeof(err)) == -1)
		abort();
	if (!str_eq(r->handle, r2->handle) || !str_eq(r->tag, r2->tag) ||
	    !str_eq(r->service_uri, r2->service_uri) ||
	    !str_eq(r->sia_base, r2->sia_base) ||
	    !str_eq(r->rrdp_notification_uri, r2->rrdp_notification_uri) ||
	    !bytes_eq(r->bpki_ta, r->bpki_ta_len, r2->bpki_ta,
	    r2->bpki_ta_len))
		abort();
	rfc8183_repository_response_free(r);
	rfc8183_repository_response_free(r2);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	request(data, len);
	response(data, len);
	return 0;
}
