/*
 * RFC 8183 setup documents: Krill- and rpkid-shaped samples
 * (tests/data/rfc8183), hostile documents, handle syntax, round trips.
 * Rejections are checked with their reason, so each test covers the
 * check it names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_data.h"

#include "buf.h"
#include "encoding.h"
#include "bounds.h"
#include "rfc8183.h"

#define ROOT_REQ	"<publisher_request xmlns=\"" RFC8183_NS "\" version=\"1\""
#define TA_B64		"MIIBAA=="	/* 30 82 01 00: a DER header, enough */
#define REQ(attrs, body) \
	ROOT_REQ " publisher_handle=\"ca\"" attrs ">" body "</publisher_request>"
#define TA		"<publisher_bpki_ta>" TA_B64 "</publisher_bpki_ta>"
#define RESP_ATTRS	" version=\"1\" publisher_handle=\"ca\" " \
	"service_uri=\"https://repo.example.net/rfc8181/ca/\" " \
	"sia_base=\"rsync://repo.example.net/repo/ca/\""
#define RESP(attrs, body) "<repository_response xmlns=\"" RFC8183_NS "\"" \
	attrs ">" body "</repository_response>"
#define RTA		"<repository_bpki_ta>" TA_B64 "</repository_bpki_ta>"

static void
check_reason(const char *err, const char *section, const char *want)
{
	char	prefix[64];

	snprintf(prefix, sizeof(prefix), "RFC 8183 section %s: ", section);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("reason does not start \"%s\": \"%s\"", prefix, err);
	if (strchr(err, '\n') != NULL)
		fail_msg("reason is not one line: \"%s\"", err);
	if (strstr(err, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want);
}

static struct rfc8183_publisher_request *
req_ok_len(const uint8_t *xml, size_t len)
{
	struct rfc8183_publisher_request	*r = NULL;
	char					 err[512];

	if (rfc8183_parse_publisher_request(xml, len, &r, err,
	    sizeof(err)) != 0)
		fail_msg("unexpected failure: %s", err);
	assert_non_null(r);
	return r;
}

static struct rfc8183_publisher_request *
req_ok(const char *xml)
{
	return req_ok_len((const uint8_t *)xml, strlen(xml));
}

static void
req_fails_len(const uint8_t *xml, size_t len, const char *want)
{
	struct rfc8183_publisher_request	*r = (void *)1;
	char					 err[512];

	if (rfc8183_parse_publisher_request(xml, len, &r, err,
	    sizeof(err)) != -1)
		fail_msg("parse succeeded, expected \"%s\"", want);
	assert_null(r);
	check_reason(err, "5.2.3", want);
}

static void
req_fails(const char *xml, const char *want)
{
	req_fails_len((const uint8_t *)xml, strlen(xml), want);
}

static struct rfc8183_repository_response *
resp_ok_len(const uint8_t *xml, size_t len)
{
	struct rfc8183_repository_response	*r = NULL;
	char					 err[512];

	if (rfc8183_parse_repository_response(xml, len, &r, err,
	    sizeof(err)) != 0)
		fail_msg("unexpected failure: %s", err);
	assert_non_null(r);
	return r;
}

static struct rfc8183_repository_response *
resp_ok(const char *xml)
{
	return resp_ok_len((const uint8_t *)xml, strlen(xml));
}

static void
resp_fails(const char *xml, const char *want)
{
	struct rfc8183_repository_response	*r = (void *)1;
	char					 err[512];

	if (rfc8183_parse_repository_response((const uint8_t *)xml,
	    strlen(xml), &r, err, sizeof(err)) != -1)
		fail_msg("parse succeeded, expected \"%s\"", want);
	assert_null(r);
	check_reason(err, "5.2.4", want);
}

static void
assert_bytes_are_file(const uint8_t *p, size_t len, const char *rel)
{
	uint8_t	*want;
	size_t	 wlen;

	want = read_data(rel, &wlen);
	assert_int_equal(len, wlen);
	assert_memory_equal(p, want, wlen);
	free(want);
}

/* Krill: one-line base64, tag attribute, no XML declaration. */
static void
test_krill_request(void **state)
{
	struct rfc8183_publisher_request	*r;
	uint8_t					*xml;
	size_t					 len;

	(void)state;
	xml = read_data("rfc8183/krill_publisher_request.xml", &len);
	r = req_ok_len(xml, len);
	assert_string_equal(r->handle, "ca-7f3a");
	assert_string_equal(r->tag, "ca-7f3a");
	assert_false(r->has_referral);
	assert_bytes_are_file(r->bpki_ta, r->bpki_ta_len,
	    "rfc8183/krill_bpki_ta.der");
	rfc8183_publisher_request_free(r);
	free(xml);
}

/* rpkid: XML declaration, wrapped base64, a handle with '/', a referral. */
static void
test_rpkid_request(void **state)
{
	struct rfc8183_publisher_request	*r;
	uint8_t					*xml;
	size_t					 len;

	(void)state;
	xml = read_data("rfc8183/rpkid_publisher_request.xml", &len);
	r = req_ok_len(xml, len);
	assert_string_equal(r->handle, "Alice/Bob-42");
	assert_null(r->tag);
	assert_true(r->has_referral);
	assert_bytes_are_file(r->bpki_ta, r->bpki_ta_len,
	    "rfc8183/rpkid_bpki_ta.der");
	rfc8183_publisher_request_free(r);
	free(xml);
}

static void
test_responses(void **state)
{
	struct rfc8183_repository_response	*r;
	uint8_t					*xml;
	size_t					 len;

	(void)state;
	xml = read_data("rfc8183/krill_repository_response.xml", &len);
	r = resp_ok_len(xml, len);
	assert_string_equal(r->handle, "ca-7f3a");
	assert_string_equal(r->tag, "ca-7f3a");
	assert_string_equal(r->service_uri,
	    "https://repo.example.net/rfc8181/ca-7f3a/");
	assert_string_equal(r->sia_base, "rsync://repo.example.net/repo/ca-7f3a/");
	assert_string_equal(r->rrdp_notification_uri,
	    "https://repo.example.net/rrdp/notification.xml");
	assert_bytes_are_file(r->bpki_ta, r->bpki_ta_len,
	    "rfc8183/repository_bpki_ta.der");
	rfc8183_repository_response_free(r);
	free(xml);

	xml = read_data("rfc8183/rpkid_repository_response.xml", &len);
	r = resp_ok_len(xml, len);
	assert_string_equal(r->handle, "Alice/Bob-42");
	assert_null(r->tag);
	assert_null(r->rrdp_notification_uri);
	assert_string_equal(r->service_uri,
	    "http://wombat.example/publication/Alice/Bob-42");
	assert_bytes_are_file(r->bpki_ta, r->bpki_ta_len,
	    "rfc8183/repository_bpki_ta.der");
	rfc8183_repository_response_free(r);
	free(xml);
}

static void
test_hostile_files(void **state)
{
	const char	*files[] = { "rfc8183/billion_laughs.xml",
			    "rfc8183/xxe.xml" };
	uint8_t		*xml;
	size_t		 i, len;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		xml = read_data(files[i], &len);
		req_fails_len(xml, len, "DOCTYPE or entity declaration "
		    "refused");
		free(xml);
	}
	req_fails("<!DOCTYPE publisher_request>" REQ("", TA), "DOCTYPE");
	req_fails(REQ(" tag=\"&ext;\"", TA), "not well-formed");
	resp_fails("<!DOCTYPE x [<!ENTITY a \"b\">]>" RESP(RESP_ATTRS, RTA),
	    "DOCTYPE");
}

static void
test_wrong_document(void **state)
{
	uint8_t	*xml;
	size_t	 len;
	struct rfc8183_repository_response	*r;
	char	 err[256];

	(void)state;
	xml = read_data("rfc8183/krill_repository_response.xml", &len);
	req_fails_len(xml, len, "root element <repository_response> is not "
	    "<publisher_request>");
	free(xml);
	xml = read_data("rfc8183/krill_publisher_request.xml", &len);
	assert_int_equal(rfc8183_parse_repository_response(xml, len, &r, err,
	    sizeof(err)), -1);
	check_reason(err, "5.2.4", "root element <publisher_request> is not "
	    "<repository_response>");
	free(xml);
	req_fails("<publisher_request version=\"1\" publisher_handle=\"ca\">"
	    TA "</publisher_request>", "root element <publisher_request> is "
	    "not");
	req_fails("<publisher_request xmlns=\"http://www.hactrn.net/uris/rpki/"
	    "rpki-setup\" version=\"1\" publisher_handle=\"ca\">"
	    "</publisher_request>", "root element");
	req_fails(REQ("", "<x:publisher_bpki_ta xmlns:x=\"urn:x\">" TA_B64
	    "</x:publisher_bpki_ta>"), "unexpected element "
	    "<urn:x|publisher_bpki_ta>");
}

static void
test_size_limit(void **state)
{
	struct rfc8183_publisher_request	*r;
	struct buf				 b;

	(void)state;
	/* Whitespace after the root element is allowed: pad with it. */
	buf_init(&b);
	buf_adds(&b, REQ("", TA));
	while (b.len < MAX_RFC8183_SIZE)
		buf_addc(&b, '\n');
	r = req_ok_len(b.data, b.len);
	rfc8183_publisher_request_free(r);
	buf_addc(&b, '\n');
	req_fails_len(b.data, b.len, "document of 262145 bytes is larger "
	    "than 262144");
	buf_free(&b);
}

static void
test_handle_in_document(void **state)
{
	static const char *const bad[] = {
		"", "../etc", "/ca", "ca/", "a//b", "a b", "ca.example",
		"caf\xc3\xa9", "a\\b",
	};
	struct buf	b;
	size_t		i;

	(void)state;
	buf_init(&b);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b.len = 0;
		buf_printf(&b, ROOT_REQ " publisher_handle=\"%s\">" TA
		    "</publisher_request>", bad[i]);
		req_fails(buf_str(&b), "is not a valid handle");
	}
	/* Length: 255 is the limit. */
	b.len = 0;
	buf_adds(&b, ROOT_REQ " publisher_handle=\"");
	for (i = 0; i < MAX_HANDLE_LENGTH + 1; i++)
		buf_addc(&b, 'h');
	buf_adds(&b, "\">" TA "</publisher_request>");
	req_fails(buf_str(&b), "is not a valid handle");
	buf_free(&b);
	resp_fails(RESP(" version=\"1\" publisher_handle=\"../x\" "
	    "service_uri=\"https://h/\" sia_base=\"rsync://h/m/\"", RTA),
	    "publisher_handle \"../x\" is not a valid handle");
}

static void
test_handle_valid(void **state)
{
	char	h[MAX_HANDLE_LENGTH + 2];

	(void)state;
	assert_true(rfc8183_handle_valid("ca"));
	assert_true(rfc8183_handle_valid("Alice/Bob-42"));
	assert_true(rfc8183_handle_valid("a_b-C/d/E9"));
	assert_true(rfc8183_handle_valid("0"));
	memset(h, 'x', sizeof(h));
	h[MAX_HANDLE_LENGTH] = '\0';
	assert_true(rfc8183_handle_valid(h));
	h[MAX_HANDLE_LENGTH] = 'x';
	h[MAX_HANDLE_LENGTH + 1] = '\0';
	assert_false(rfc8183_handle_valid(h));

	assert_false(rfc8183_handle_valid(NULL));
	assert_false(rfc8183_handle_valid(""));
	assert_false(rfc8183_handle_valid("/"));
	assert_false(rfc8183_handle_valid("/a"));
	assert_false(rfc8183_handle_valid("a/"));
	assert_false(rfc8183_handle_valid("a//b"));
	assert_false(rfc8183_handle_valid("."));
	assert_false(rfc8183_handle_valid(".."));
	assert_false(rfc8183_handle_valid("a/../b"));
	assert_false(rfc8183_handle_valid("a.b"));
	assert_false(rfc8183_handle_valid("a b"));
	assert_false(rfc8183_handle_valid("a\tb"));
	assert_false(rfc8183_handle_valid("a\\b"));
	assert_false(rfc8183_handle_valid("a:b"));
	assert_false(rfc8183_handle_valid("caf\xc3\xa9"));
	assert_false(rfc8183_handle_valid("a%2fb"));
}

static void
test_attributes(void **state)
{
	struct rfc8183_publisher_request	*r;

	(void)state;
	req_fails(ROOT_REQ ">" TA "</publisher_request>",
	    "<publisher_request> lacks the publisher_handle attribute");
	req_fails("<publisher_request xmlns=\"" RFC8183_NS "\" "
	    "publisher_handle=\"ca\">" TA "</publisher_request>",
	    "lacks the version attribute");
	req_fails("<publisher_request xmlns=\"" RFC8183_NS "\" version=\"2\" "
	    "publisher_handle=\"ca\">" TA "</publisher_request>",
	    "unsupported version \"2\"");
	req_fails(REQ(" foo=\"1\"", TA),
	    "unknown attribute foo on <publisher_request>");
	req_fails(REQ(" service_uri=\"https://h/\"", TA),
	    "unknown attribute service_uri on <publisher_request>");
	req_fails(REQ(" xmlns:x=\"urn:x\" x:tag=\"1\"", TA),
	    "unknown attribute urn:x|tag");
	req_fails(REQ(" tag=\"a\" tag=\"b\"", TA), "duplicate attribute");
	req_fails(REQ("", "<publisher_bpki_ta a=\"1\">" TA_B64
	    "</publisher_bpki_ta>"),
	    "unknown attribute a on <publisher_bpki_ta>");
	req_fails(REQ("", TA "<referral>AAAA</referral>"),
	    "<referral> lacks the referrer attribute");
	req_fails(REQ("", TA "<referral referrer=\"\">AAAA</referral>"),
	    "referrer is empty");
	req_fails(REQ("", TA "<referral referrer=\"x\" a=\"1\"/>"),
	    "unknown attribute a on <referral>");
	r = req_ok(REQ("", TA "<referral referrer=\"x\" "
	    "contact_uri=\"https://x/\">AAAA</referral><referral "
	    "referrer=\"y\"/>"));
	assert_true(r->has_referral);
	rfc8183_publisher_request_free(r);
}

static void
test_tag_length(void **state)
{
	struct rfc8183_publisher_request	*r;
	struct buf				 b;
	size_t					 i;

	(void)state;
	buf_init(&b);
	buf_adds(&b, ROOT_REQ " publisher_handle=\"ca\" tag=\"");
	for (i = 0; i < MAX_TAG_LENGTH; i++)
		buf_addc(&b, 't');
	buf_adds(&b, "\">" TA "</publisher_request>");
	r = req_ok(buf_str(&b));
	assert_int_equal(strlen(r->tag), MAX_TAG_LENGTH);
	rfc8183_publisher_request_free(r);
	buf_free(&b);
	buf_adds(&b, ROOT_REQ " publisher_handle=\"ca\" tag=\"");
	for (i = 0; i <= MAX_TAG_LENGTH; i++)
		buf_addc(&b, 't');
	buf_adds(&b, "\">" TA "</publisher_request>");
	req_fails(buf_str(&b), "tag longer than 1024 characters");
	buf_free(&b);
}

static void
test_structure(void **state)
{
	(void)state;
	req_fails(REQ("", ""), "<publisher_request> lacks <publisher_bpki_ta>");
	req_fails(REQ("", TA TA), "unexpected element <publisher_bpki_ta>");
	req_fails(REQ("", TA "<foo/>"), "unexpected element <foo>");
	req_fails(REQ("", "<publisher_bpki_ta><x/></publisher_bpki_ta>"),
	    "unexpected element <x>");
	req_fails(REQ("", TA "<referral referrer=\"r\"><x/></referral>"),
	    "unexpected element <x>");
	req_fails(REQ("", TA "text"), "unexpected text in <publisher_request>");
	req_fails(REQ("", TA "<repository_bpki_ta>" TA_B64
	    "</repository_bpki_ta>"), "unexpected element <repository_bpki_ta>");
	resp_fails(RESP(RESP_ATTRS, RTA "<referral referrer=\"x\"/>"),
	    "unexpected element <referral>");
	resp_fails(RESP(RESP_ATTRS, ""), "lacks <repository_bpki_ta>");
	resp_fails(RESP(RESP_ATTRS, TA), "unexpected element "
	    "<publisher_bpki_ta>");
	/* Truncated documents. */
	req_fails(ROOT_REQ " publisher_handle=\"ca\">" TA, "not well-formed");
	req_fails(ROOT_REQ " publisher_handle=\"ca\"><publisher_bpki_ta>MII",
	    "not well-formed");
	req_fails("", "not well-formed at line 1");
}

static void
test_bpki_ta(void **state)
{
	struct rfc8183_publisher_request	*r;
	struct buf				 b, doc;
	uint8_t					*cert;
	size_t					 i;

	(void)state;
	req_fails(REQ("", "<publisher_bpki_ta></publisher_bpki_ta>"),
	    "<publisher_bpki_ta> is empty");
	req_fails(REQ("", "<publisher_bpki_ta>\n  \n</publisher_bpki_ta>"),
	    "<publisher_bpki_ta> is empty");
	req_fails(REQ("", "<publisher_bpki_ta>MIIBAA=</publisher_bpki_ta>"),
	    "is not valid base64");
	req_fails(REQ("", "<publisher_bpki_ta>MIIBAB==</publisher_bpki_ta>"),
	    "is not valid base64");	/* non-zero pad bits */
	req_fails(REQ("", "<publisher_bpki_ta>MIIB-A==</publisher_bpki_ta>"),
	    "is not valid base64");
	req_fails(REQ("", "<publisher_bpki_ta>MIIBAA==MIIB</publisher_bpki_ta>"),
	    "is not valid base64");

	/* MAX_BPKI_CERT_SIZE bytes are accepted, one more is not. */
	cert = malloc(MAX_BPKI_CERT_SIZE + 1);
	assert_non_null(cert);
	for (i = 0; i <= MAX_BPKI_CERT_SIZE; i++)
		cert[i] = (uint8_t)i;
	buf_init(&b);
	buf_init(&doc);
	b64_encode(&b, cert, MAX_BPKI_CERT_SIZE);
	buf_adds(&doc, ROOT_REQ " publisher_handle=\"ca\"><publisher_bpki_ta>");
	buf_add(&doc, b.data, b.len);
	buf_adds(&doc, "</publisher_bpki_ta></publisher_request>");
	r = req_ok_len(doc.data, doc.len);
	assert_int_equal(r->bpki_ta_len, MAX_BPKI_CERT_SIZE);
	assert_memory_equal(r->bpki_ta, cert, MAX_BPKI_CERT_SIZE);
	rfc8183_publisher_request_free(r);

	b.len = doc.len = 0;
	b64_encode(&b, cert, MAX_BPKI_CERT_SIZE + 1);
	buf_adds(&doc, ROOT_REQ " publisher_handle=\"ca\"><publisher_bpki_ta>");
	buf_add(&doc, b.data, b.len);
	buf_adds(&doc, "</publisher_bpki_ta></publisher_request>");
	req_fails_len(doc.data, doc.len, "65536");

	/* Far more than the limit stops while collecting. */
	b.len = doc.len = 0;
	buf_adds(&doc, ROOT_REQ " publisher_handle=\"ca\"><publisher_bpki_ta>");
	for (i = 0; i < 100000; i++)
		buf_addc(&doc, 'A');
	buf_adds(&doc, "</publisher_bpki_ta></publisher_request>");
	req_fails_len(doc.data, doc.len,
	    "<publisher_bpki_ta> larger than 65536 bytes");
	buf_free(&b);
	buf_free(&doc);
	free(cert);
}

static void
test_response_attributes(void **state)
{
	struct rfc8183_repository_response	*r;
	struct buf				 b;
	size_t					 i;

	(void)state;
	resp_fails(RESP(" version=\"1\" publisher_handle=\"ca\" "
	    "sia_base=\"rsync://h/m/\"", RTA),
	    "<repository_response> lacks the service_uri attribute");
	resp_fails(RESP(" version=\"1\" publisher_handle=\"ca\" "
	    "service_uri=\"https://h/\"", RTA), "lacks the sia_base");
	resp_fails(RESP(" version=\"1\" service_uri=\"https://h/\" "
	    "sia_base=\"rsync://h/m/\"", RTA), "lacks the publisher_handle");
	resp_fails(RESP(" version=\"1\" publisher_handle=\"ca\" "
	    "service_uri=\"https://h/\" sia_base=\"rsync://h/m\"", RTA),
	    "sia_base \"rsync://h/m\": does not end in '/'");
	resp_fails(RESP(" version=\"1\" publisher_handle=\"ca\" "
	    "service_uri=\"https://h/\" sia_base=\"https://h/m/\"", RTA),
	    "not an rsync:// URI");
	resp_fails(RESP(" version=\"1\" publisher_handle=\"ca\" "
	    "service_uri=\"https://h/\" sia_base=\"rsync://h/m/../\"", RTA),
	    "\"..\" path segment");
	resp_fails(RESP(" version=\"1\" publisher_handle=\"ca\" "
	    "service_uri=\"ftp://h/\" sia_base=\"rsync://h/m/\"", RTA),
	    "service_uri \"ftp://h/\" is not an http(s) URI");
	resp_fails(RESP(" version=\"1\" publisher_handle=\"ca\" "
	    "service_uri=\"https://h/ x\" sia_base=\"rsync://h/m/\"", RTA),
	    "service_uri contains the byte 0x20");
	resp_fails(RESP(" version=\"1\" publisher_handle=\"ca\" "
	    "service_uri=\"\" sia_base=\"rsync://h/m/\"", RTA),
	    "service_uri is empty");
	resp_fails(RESP(RESP_ATTRS " rrdp_notification_uri=\"rsync://h/n.xml\"",
	    RTA), "rrdp_notification_uri \"rsync://h/n.xml\" is not an "
	    "http(s) URI");
	resp_fails(RESP(RESP_ATTRS " rrdp_notification_uri=\"https://h/&#10;\"",
	    RTA), "rrdp_notification_uri contains the byte 0x0a");
	resp_fails(RESP(RESP_ATTRS " referrer=\"x\"", RTA),
	    "unknown attribute referrer on <repository_response>");
	resp_fails(RESP(" version=\"0\" publisher_handle=\"ca\" "
	    "service_uri=\"https://h/\" sia_base=\"rsync://h/m/\"", RTA),
	    "unsupported version \"0\"");

	buf_init(&b);
	buf_adds(&b, "<repository_response xmlns=\"" RFC8183_NS "\" "
	    "version=\"1\" publisher_handle=\"ca\" sia_base=\"rsync://h/m/\" "
	    "service_uri=\"https://h/");
	for (i = strlen("https://h/"); i <= MAX_URI_LENGTH; i++)
		buf_addc(&b, 'u');
	buf_adds(&b, "\">" RTA "</repository_response>");
	resp_fails(buf_str(&b), "longer than 1024 characters");
	buf_free(&b);

	r = resp_ok(RESP(RESP_ATTRS " tag=\"t\"", "\n  " RTA "\n"));
	assert_string_equal(r->tag, "t");
	assert_int_equal(r->bpki_ta_len, 4);
	rfc8183_repository_response_free(r);
}

static void
test_roundtrip(void **state)
{
	struct rfc8183_publisher_request	 req, *r;
	struct rfc8183_repository_response	 resp, *s;
	struct buf				 b;
	uint8_t					 cert[700];
	size_t					 i;
	char					*line, *end;

	(void)state;
	for (i = 0; i < sizeof(cert); i++)
		cert[i] = (uint8_t)(i * 13);
	memset(&req, 0, sizeof(req));
	req.handle = "Alice/Bob-42";
	req.tag = "a \"quoted\" <tag> & more";
	req.bpki_ta = cert;
	req.bpki_ta_len = sizeof(cert);
	buf_init(&b);
	rfc8183_write_publisher_request(&b, &req);
	/* Base64 is wrapped: no line longer than indentation + 64. */
	for (line = buf_str(&b); *line != '\0'; line = end + 1) {
		assert_non_null(end = strchr(line, '\n'));
		if (memchr(line, '<', (size_t)(end - line)) == NULL)
			assert_true(end - line <= 4 + 64);
	}
	r = req_ok_len(b.data, b.len);
	assert_string_equal(r->handle, req.handle);
	assert_string_equal(r->tag, req.tag);
	assert_int_equal(r->bpki_ta_len, sizeof(cert));
	assert_memory_equal(r->bpki_ta, cert, sizeof(cert));
	assert_false(r->has_referral);
	rfc8183_publisher_request_free(r);
	buf_free(&b);

	req.tag = NULL;
	rfc8183_write_publisher_request(&b, &req);
	assert_null(strstr(buf_str(&b), "tag="));
	r = req_ok_len(b.data, b.len);
	assert_null(r->tag);
	rfc8183_publisher_request_free(r);
	buf_free(&b);

	memset(&resp, 0, sizeof(resp));
	resp.handle = "ca";
	resp.service_uri = "https://repo.example.net/rfc8181/ca/?a=1&b=2";
	resp.sia_base = "rsync://repo.example.net/repo/ca/";
	resp.rrdp_notification_uri = "https://repo.example.net/rrdp/n.xml";
	resp.tag = "t";
	resp.bpki_ta = cert;
	resp.bpki_ta_len = 1;
	rfc8183_write_repository_response(&b, &resp);
	s = resp_ok_len(b.data, b.len);
	assert_string_equal(s->handle, resp.handle);
	assert_string_equal(s->service_uri, resp.service_uri);
	assert_string_equal(s->sia_base, resp.sia_base);
	assert_string_equal(s->rrdp_notification_uri,
	    resp.rrdp_notification_uri);
	assert_string_equal(s->tag, "t");
	assert_int_equal(s->bpki_ta_len, 1);
	assert_int_equal(s->bpki_ta[0], cert[0]);
	rfc8183_repository_response_free(s);
	buf_free(&b);

	resp.rrdp_notification_uri = NULL;
	resp.tag = NULL;
	rfc8183_write_repository_response(&b, &resp);
	s = resp_ok_len(b.data, b.len);
	assert_null(s->rrdp_notification_uri);
	assert_null(s->tag);
	rfc8183_repository_response_free(s);
	buf_free(&b);

	rfc8183_publisher_request_free(NULL);
	rfc8183_repository_response_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_krill_request),
		cmocka_unit_test(test_rpkid_request),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_hostile_files),
		cmocka_unit_test(test_wrong_document),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_handle_in_document),
		cmocka_unit_test(test_handle_valid),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_tag_length),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_bpki_ta),
		cmocka_unit_test(test_response_attributes),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
