/*
 * RRDP parsers: the notification file (rrdp_notification.c) and the
 * streaming snapshot/delta parser (rrdp_content.c), on the samples in
 * tests/data/rrdp and on hostile input.  Every rejection also checks
 * the reason, so a test fails if the check it covers is removed and
 * another one happens to refuse the input for a different reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "test_data.h"

#include "bounds.h"
#include "buf.h"
#include "encoding.h"
#include "rrdp_content.h"
#include "rrdp_notification.h"

#define SESSION	"9df4b597-af9e-4dca-bdda-719cce2c4e28"
#define H64	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define URI_S	"https://rrdp.example.net/rrdp/s.xml"
#define NOTIF(attrs, body) \
	"<notification xmlns=\"" RRDP_NS "\" " attrs ">" body "</notification>"
#define ROOT	"version=\"1\" session_id=\"" SESSION "\" serial=\"5\""
#define SNAP	"<snapshot uri=\"" URI_S "\" hash=\"" H64 "\"/>"
#define DELTA(s) "<delta serial=\"" s "\" uri=\"https://rrdp.example.net/" \
		"rrdp/d" s ".xml\" hash=\"" H64 "\"/>"
#define GOOD_N(body)	NOTIF(ROOT, SNAP body)

#define ROOT_C(name, serial) "<" name " xmlns=\"" RRDP_NS "\" version=\"1\" " \
		"session_id=\"" SESSION "\" serial=\"" serial "\">"
#define SNAPSHOT(body)	ROOT_C("snapshot", "5") body "</snapshot>"
#define DELTA_F(body)	ROOT_C("delta", "5") body "</delta>"
#define ROA	"rsync://rpki.example.net/repo/a.roa"
/* "AAEC" is the base64 of 00 01 02. */
#define PUB(attrs)	"<publish uri=\"" ROA "\"" attrs ">AAEC</publish>"
#define WD(attrs)	"<withdraw uri=\"" ROA "\"" attrs "/>"

/* ---- notification ---- */

static void
notif_ok(const char *xml, struct rrdp_notification *n)
{
	char	err[512];

	if (rrdp_notification_parse((const uint8_t *)xml, strlen(xml), n, err,
	    sizeof(err)) != 0)
		fail_msg("unexpected failure: %s", err);
}

static void
notif_fails_len(const uint8_t *xml, size_t len, const char *want)
{
	struct rrdp_notification	n;
	char				err[512];

	memset(&n, 0xa5, sizeof(n));
	if (rrdp_notification_parse(xml, len, &n, err, sizeof(err)) != -1)
		fail_msg("parse succeeded, expected \"%s\"", want);
	assert_null(n.snapshot_uri);
	assert_null(n.deltas);
	if (strncmp(err, "RFC 8182 section 3.5.1.3: ", 26) != 0)
		fail_msg("reason does not cite RFC 8182 3.5.1.3: \"%s\"", err);
	if (strchr(err, '\n') != NULL)
		fail_msg("reason is not one line: \"%s\"", err);
	if (strstr(err, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want);
	rrdp_notification_free(&n);
}

static void
notif_fails(const char *xml, const char *want)
{
	notif_fails_len((const uint8_t *)xml, strlen(xml), want);
}

static void
test_notif_sample(void **state)
{
	struct rrdp_notification	 n;
	uint8_t				*xml, h[32];
	size_t				 len;
	char				 err[512];

	(void)state;
	xml = read_data("rrdp/notification.xml", &len);
	if (rrdp_notification_parse(xml, len, &n, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(n.session, SESSION);
	assert_int_equal(n.serial, 3);
	assert_string_equal(n.snapshot_uri, "https://rrdp.example.net/rrdp/"
	    SESSION "/3/0123456789abcdef0123456789abcdef/snapshot.xml");
	/* Listed oldest first in the file; newest first in the struct. */
	assert_int_equal(n.ndeltas, 2);
	assert_int_equal(n.deltas[0].serial, 3);
	assert_int_equal(n.deltas[1].serial, 2);
	assert_non_null(strstr(n.deltas[1].uri, "/2/0011"));
	memset(h, 0xab, sizeof(h));
	assert_memory_equal(n.deltas[1].hash, h, 32);
	rrdp_notification_free(&n);
	rrdp_notification_free(&n);	/* members were cleared */
	rrdp_notification_free(NULL);
	free(xml);
}

static void
test_notif_roundtrip(void **state)
{
	struct rrdp_notification	n, m;
	struct rrdp_delta_ref		d[2];
	struct buf			b;
	char				err[512];

	(void)state;
	memset(&n, 0, sizeof(n));
	strcpy(n.session, SESSION);
	n.serial = 9223372036854775807LL;
	n.snapshot_uri = "https://h.example:8443/rrdp/a&b\"<c>'.xml";
	memset(n.snapshot_hash, 0xfe, 32);
	d[0].serial = 9223372036854775807LL;
	d[0].uri = "https://h.example:8443/rrdp/d1.xml";
	memset(d[0].hash, 0x01, 32);
	d[1].serial = 7;
	d[1].uri = "https://h.example:8443/rrdp/d0.xml";
	memset(d[1].hash, 0x02, 32);
	n.deltas = d;
	n.ndeltas = 2;
	buf_init(&b);
	rrdp_notification_write(&b, &n);
	buf_str(&b);
	/* Hashes in lowercase hex, the URI escaped. */
	assert_non_null(strstr((char *)b.data, "hash=\"fefefe"));
	assert_non_null(strstr((char *)b.data, "a&amp;b&quot;&lt;c&gt;"));
	if (rrdp_notification_parse(b.data, b.len, &m, err, sizeof(err)) != 0)
		fail_msg("writer output refused: %s", err);
	assert_string_equal(m.session, n.session);
	assert_int_equal(m.serial, n.serial);
	assert_string_equal(m.snapshot_uri, n.snapshot_uri);
	assert_memory_equal(m.snapshot_hash, n.snapshot_hash, 32);
	assert_int_equal(m.ndeltas, 2);
	assert_int_equal(m.deltas[0].serial, d[0].serial);
	assert_string_equal(m.deltas[0].uri, d[0].uri);
	assert_memory_equal(m.deltas[0].hash, d[0].hash, 32);
	assert_int_equal(m.deltas[1].serial, 7);
	assert_memory_equal(m.deltas[1].hash, d[1].hash, 32);
	rrdp_notification_free(&m);
	buf_free(&b);
}

static void
test_notif_good_variants(void **state)
{
	struct rrdp_notification	n;

	(void)state;
	/* No deltas; upper-case UUID and hash; no XML declaration. */
	notif_ok(NOTIF("version=\"1\" session_id="
	    "\"9DF4B597-AF9E-4DCA-BDDA-719CCE2C4E28\" serial=\"1\"",
	    "\n <snapshot uri=\"" URI_S "\" hash=\"ABCDEF0123456789ABCDEF"
	    "0123456789ABCDEF0123456789ABCDEF0123456789\"/>\n"), &n);
	assert_int_equal(n.ndeltas, 0);
	assert_string_equal(n.session, "9DF4B597-AF9E-4DCA-BDDA-719CCE2C4E28");
	rrdp_notification_free(&n);
	/* A prefixed namespace is the same namespace. */
	notif_ok("<r:notification xmlns:r=\"" RRDP_NS "\" " ROOT ">"
	    "<r:snapshot uri=\"" URI_S "\" hash=\"" H64 "\"/>"
	    "</r:notification>", &n);
	rrdp_notification_free(&n);
	/* Serial gaps are the relying party's business (section 3.4.1). */
	notif_ok(GOOD_N(DELTA("5") DELTA("2")), &n);
	assert_int_equal(n.ndeltas, 2);
	rrdp_notification_free(&n);
}

static void
test_notif_root(void **state)
{
	(void)state;
	notif_fails("<notification xmlns=\"http://www.ripe.net/rpki/rrdp2\" "
	    ROOT ">" SNAP "</notification>", "root element");
	notif_fails("<notification " ROOT ">" SNAP "</notification>",
	    "root element");
	notif_fails(SNAPSHOT(""), "root element <snapshot> is not");
	notif_fails(NOTIF("version=\"2\" session_id=\"" SESSION "\" "
	    "serial=\"5\"", SNAP), "unsupported version \"2\"");
	notif_fails(NOTIF("version=\"01\" session_id=\"" SESSION "\" "
	    "serial=\"5\"", SNAP), "unsupported version");
	notif_fails(NOTIF("session_id=\"" SESSION "\" serial=\"5\"", SNAP),
	    "lacks the version attribute");
	notif_fails(NOTIF("version=\"1\" serial=\"5\"", SNAP),
	    "lacks the session_id attribute");
	notif_fails(NOTIF("version=\"1\" session_id=\"" SESSION "\"", SNAP),
	    "lacks the serial attribute");
	notif_fails(NOTIF(ROOT " extra=\"x\"", SNAP),
	    "unknown attribute extra on <notification>");
	notif_fails(NOTIF(ROOT " xmlns:o=\"urn:x\" o:serial=\"1\"", SNAP),
	    "unknown attribute urn:x|serial");
}

static void
test_notif_session(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"9df4b597af9e4dcabdda719cce2c4e28",		/* no dashes */
		"9df4b597-af9e-4dca-bdda-719cce2c4e2",		/* short */
		"9df4b597-af9e-4dca-bdda-719cce2c4e288",	/* long */
		"9df4b597-af9e-1dca-bdda-719cce2c4e28",		/* version 1 */
		"9df4b597-af9e-4dca-7dda-719cce2c4e28",		/* variant */
		"9df4b597-af9e-4dca-bdda-719cce2c4e2g",		/* not hex */
		"9df4b597+af9e-4dca-bdda-719cce2c4e28",
		"../../../../../../../../etc/passwd-xxxxxxx",
	};
	char	xml[1024];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(xml, sizeof(xml), NOTIF("version=\"1\" session_id="
		    "\"%s\" serial=\"5\"", SNAP), bad[i]);
		notif_fails(xml, "is not a version 4 UUID");
	}
	assert_int_equal(rrdp_session_valid(SESSION), 0);
}

static void
test_notif_serial(void **state)
{
	static const char *const bad[] = {
		"0", "05", "+5", "-5", " 5", "5 ", "", "0x5", "5.0",
		"9223372036854775808", "18446744073709551617",
		"99999999999999999999999999",
	};
	char	xml[1024];
	int64_t	v;
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(xml, sizeof(xml), NOTIF("version=\"1\" session_id=\""
		    SESSION "\" serial=\"%s\"", SNAP), bad[i]);
		notif_fails(xml, "is not a positive integer");
		snprintf(xml, sizeof(xml), GOOD_N("<delta serial=\"%s\" uri="
		    "\"https://x.example/d\" hash=\"" H64 "\"/>"), bad[i]);
		notif_fails(xml, "delta serial");
	}
	assert_int_equal(rrdp_serial_parse("9223372036854775807", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(rrdp_serial_parse("1", &v), 0);
	assert_int_equal(v, 1);
}

static void
test_notif_deltas(void **state)
{
	(void)state;
	notif_fails(GOOD_N(DELTA("4") DELTA("5") DELTA("4")),
	    "delta serial 4 listed twice");
	notif_fails(GOOD_N(DELTA("6")),
	    "delta serial 6 is above the notification's serial 5");
	notif_fails(NOTIF(ROOT, DELTA("5") SNAP), "<delta> before <snapshot>");
	notif_fails(NOTIF(ROOT, ""), "has no <snapshot>");
	notif_fails(NOTIF(ROOT, DELTA("5")), "<delta> before <snapshot>");
	notif_fails(GOOD_N(SNAP), "more than one <snapshot>");
	notif_fails(GOOD_N("<delta serial=\"5\" uri=\"https://x.example/d\"/>"),
	    "<delta> lacks the hash attribute");
	notif_fails(GOOD_N("<delta uri=\"https://x.example/d\" hash=\"" H64
	    "\"/>"), "<delta> lacks the serial attribute");
	notif_fails(GOOD_N("<delta serial=\"5\" uri=\"https://x.example/d\" "
	    "hash=\"" H64 "\" tag=\"x\"/>"), "unknown attribute tag on <delta>");
}

static void
test_notif_deltas_limit(void **state)
{
	struct buf	b;
	int		i;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "<notification xmlns=\"" RRDP_NS "\" version=\"1\" "
	    "session_id=\"" SESSION "\" serial=\"100000\">" SNAP);
	for (i = 1; i <= MAX_RRDP_DELTAS + 1; i++)
		buf_printf(&b, "<delta serial=\"%d\" uri=\"https://x.example/"
		    "%d\" hash=\"" H64 "\"/>", i, i);
	buf_adds(&b, "</notification>");
	notif_fails_len(b.data, b.len, "more than 20000 deltas");
	buf_free(&b);
}

static void
test_notif_hash_uri(void **state)
{
	char	long_uri[MAX_URI_LENGTH + 64];
	char	xml[MAX_URI_LENGTH + 512];
	size_t	n;

	(void)state;
	notif_fails(NOTIF(ROOT, "<snapshot uri=\"" URI_S "\" hash=\"" H64
	    "0\"/>"), "is not 64 hex digits");
	notif_fails(NOTIF(ROOT, "<snapshot uri=\"" URI_S "\" hash=\"abc\"/>"),
	    "is not 64 hex digits");
	notif_fails(NOTIF(ROOT, "<snapshot uri=\"" URI_S "\" hash=\""
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg"
	    "\"/>"), "is not 64 hex digits");
	notif_fails(NOTIF(ROOT, "<snapshot uri=\"" URI_S "\" hash=\"\"/>"),
	    "is not 64 hex digits");
	notif_fails(GOOD_N("<delta serial=\"5\" uri=\"https://x.example/d\" "
	    "hash=\"xyz\"/>"), "<delta> hash \"xyz\" is not 64 hex");
	notif_fails(NOTIF(ROOT, "<snapshot uri=\"\" hash=\"" H64 "\"/>"),
	    "uri is empty");
	notif_fails(NOTIF(ROOT, "<snapshot uri=\"https://x.example/a b\" "
	    "hash=\"" H64 "\"/>"), "not printable ASCII");
	notif_fails(NOTIF(ROOT, "<snapshot uri=\"https://x.example/a&#10;b\" "
	    "hash=\"" H64 "\"/>"), "not printable ASCII");
	/* MAX_URI_LENGTH is allowed, one more is not. */
	n = strlen("https://x.example/");
	memcpy(long_uri, "https://x.example/", n);
	memset(long_uri + n, 'a', MAX_URI_LENGTH - n);
	long_uri[MAX_URI_LENGTH] = '\0';
	snprintf(xml, sizeof(xml), NOTIF(ROOT, "<snapshot uri=\"%s\" hash=\""
	    H64 "\"/>"), long_uri);
	{
		struct rrdp_notification	nn;

		notif_ok(xml, &nn);
		rrdp_notification_free(&nn);
	}
	long_uri[MAX_URI_LENGTH] = 'a';
	long_uri[MAX_URI_LENGTH + 1] = '\0';
	snprintf(xml, sizeof(xml), NOTIF(ROOT, "<snapshot uri=\"%s\" hash=\""
	    H64 "\"/>"), long_uri);
	notif_fails(xml, "longer than 1024");
}

static void
test_notif_structure(void **state)
{
	(void)state;
	notif_fails(GOOD_N("<foo/>"), "unexpected element <foo>");
	notif_fails(GOOD_N("<x:delta xmlns:x=\"urn:other\"/>"),
	    "unexpected element <urn:other|delta>");
	notif_fails(NOTIF(ROOT, "<snapshot uri=\"" URI_S "\" hash=\"" H64
	    "\"><delta/></snapshot>"), "unexpected element <delta>");
	notif_fails(NOTIF(ROOT, "<snapshot uri=\"" URI_S "\" hash=\"" H64
	    "\">text</snapshot>"), "unexpected text");
	notif_fails(GOOD_N("hello"), "unexpected text");
	notif_fails(NOTIF(ROOT, "x" SNAP), "unexpected text");
	notif_fails(NOTIF(ROOT, "<snapshot uri=\"" URI_S "\" hash=\"" H64
	    "\" hash=\"" H64 "\"/>"), "not well-formed");
	notif_fails(GOOD_N("") GOOD_N(""), "not well-formed");
	notif_fails("", "not well-formed");
	notif_fails("<?xml version=\"1.0\"?>", "not well-formed");
}

static void
test_notif_hostile(void **state)
{
	uint8_t	*xml, *big;
	size_t	 len, i;
	char	 doc[] = GOOD_N(DELTA("5") DELTA("4"));

	(void)state;
	xml = read_data("rrdp/billion_laughs.xml", &len);
	notif_fails_len(xml, len, "DOCTYPE");
	free(xml);
	notif_fails("<!DOCTYPE notification SYSTEM \"file:///etc/passwd\">"
	    GOOD_N(""), "DOCTYPE");
	/* Every truncation of a good document fails. */
	for (i = 0; i < strlen(doc); i++)
		notif_fails_len((const uint8_t *)doc, i, "");
	/* Larger than the bound: refused before parsing. */
	len = MAX_RRDP_NOTIFICATION_SIZE + 1;
	big = malloc(len);
	assert_non_null(big);
	memset(big, ' ', len);
	memcpy(big, doc, strlen(doc));
	notif_fails_len(big, len, "larger than");
	free(big);
}

/* ---- snapshot and delta ---- */

struct seen {
	int	n;
	int	stop_at;		/* callback fails at this element */
	enum rrdp_elem type[8];
	char	uri[8][128];
	int	has_hash[8];
	uint8_t	hash[8][32];
	size_t	derlen[8];
	uint8_t	der[8][64];
};

static int
collect(void *arg, enum rrdp_elem e, const char *uri, const uint8_t *hash,
    const uint8_t *der, size_t derlen)
{
	struct seen	*s = arg;
	int		 i = s->n++;

	if (s->stop_at == s->n)
		return -1;
	if (i >= 8)
		return 0;
	s->type[i] = e;
	snprintf(s->uri[i], sizeof(s->uri[i]), "%s", uri);
	s->has_hash[i] = hash != NULL;
	if (hash != NULL)
		memcpy(s->hash[i], hash, 32);
	s->derlen[i] = derlen;
	if (e == RRDP_WITHDRAW)
		assert_null(der);
	if (derlen > 0)
		memcpy(s->der[i], der, derlen < 64 ? derlen : 64);
	return 0;
}

/* Feed xml in chunks of step bytes; 0 or -1 with the reason in err. */
static int
content_run(enum rrdp_kind kind, const char *session, int64_t serial,
    const uint8_t *xml, size_t len, size_t step, struct seen *s,
    uint8_t hash[32], char *err, size_t errlen)
{
	struct rrdp_content	*c;
	size_t			 off, n;
	int			 rc = -1;

	c = rrdp_content_new(kind, session, serial, collect, s);
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		if (rrdp_content_feed(c, xml + off, n) == -1)
			goto out;
	}
	rc = rrdp_content_finish(c, hash);
	if (rc == 0)
		assert_int_equal(rrdp_content_bytes(c), len);
 out:
	snprintf(err, errlen, "%s", rrdp_content_error(c));
	rrdp_content_free(c);
	return rc;
}

static void
content_fails_len(enum rrdp_kind kind, const uint8_t *xml, size_t len,
    const char *want)
{
	struct seen	s;
	char		err[512];
	const char	*sec = kind == RRDP_SNAPSHOT ?
			    "RFC 8182 section 3.5.2.3: " :
			    "RFC 8182 section 3.5.3.3: ";

	memset(&s, 0, sizeof(s));
	if (content_run(kind, SESSION, 5, xml, len, 7, &s, NULL, err,
	    sizeof(err)) != -1)
		fail_msg("parse succeeded, expected \"%s\"", want);
	if (strncmp(err, sec, strlen(sec)) != 0)
		fail_msg("reason does not cite %s: \"%s\"", sec, err);
	if (strchr(err, '\n') != NULL)
		fail_msg("reason is not one line: \"%s\"", err);
	if (strstr(err, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want);
}

static void
content_fails(enum rrdp_kind kind, const char *xml, const char *want)
{
	content_fails_len(kind, (const uint8_t *)xml, strlen(xml), want);
}

static void
sha256(const uint8_t *d, size_t len, uint8_t out[32])
{
	unsigned int	n;

	assert_int_equal(EVP_Digest(d, len, out, &n, EVP_sha256(), NULL), 1);
}

static void
test_snapshot_sample(void **state)
{
	struct seen	 s;
	uint8_t		*xml, want[32], got[32];
	size_t		 len, step, i;
	char		 err[512];
	static const size_t steps[] = { 1, 3, 64, 1 << 20 };

	(void)state;
	xml = read_data("rrdp/snapshot.xml", &len);
	sha256(xml, len, want);
	/* Any chunking gives the same elements and hash. */
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step = steps[i];
		memset(&s, 0, sizeof(s));
		if (content_run(RRDP_SNAPSHOT, SESSION, 3, xml, len, step, &s,
		    got, err, sizeof(err)) != 0)
			fail_msg("step %zu: %s", step, err);
		assert_memory_equal(got, want, 32);
		assert_int_equal(s.n, 2);
		assert_int_equal(s.type[0], RRDP_PUBLISH);
		assert_string_equal(s.uri[0],
		    "rsync://rpki.example.net/repo/ca/a.roa");
		assert_false(s.has_hash[0]);
		assert_int_equal(s.derlen[0], 40);
		assert_int_equal(s.der[0][0], 0);
		assert_int_equal(s.der[0][39], 39);
		assert_int_equal(s.derlen[1], 5);
	}
	/* Any session and serial when none is expected. */
	{
		struct rrdp_content	*c;

		c = rrdp_content_new(RRDP_SNAPSHOT, NULL, 0, NULL, NULL);
		assert_int_equal(rrdp_content_feed(c, xml, len), 0);
		assert_int_equal(rrdp_content_finish(c, NULL), 0);
		assert_string_equal(rrdp_content_session(c), SESSION);
		assert_int_equal(rrdp_content_serial(c), 3);
		assert_int_equal(rrdp_content_elements(c), 2);
		assert_string_equal(rrdp_content_error(c), "");
		rrdp_content_free(c);
		rrdp_content_free(NULL);
	}
	free(xml);
}

static void
test_delta_sample(void **state)
{
	struct seen	 s;
	uint8_t		*xml, h[32];
	size_t		 len;
	char		 err[512];

	(void)state;
	xml = read_data("rrdp/delta.xml", &len);
	memset(&s, 0, sizeof(s));
	if (content_run(RRDP_DELTA, SESSION, 3, xml, len, 5, &s, NULL, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(s.n, 3);
	/* Replacement: hash given, base64 wrapped over lines. */
	assert_int_equal(s.type[0], RRDP_PUBLISH);
	assert_true(s.has_hash[0]);
	sha256((const uint8_t *)"\x30\x82\x01\x00second object", 17, h);
	assert_memory_equal(s.hash[0], h, 32);
	assert_int_equal(s.derlen[0], 40);
	assert_int_equal(s.der[0][39], 39);
	/* Creation: no hash. */
	assert_int_equal(s.type[1], RRDP_PUBLISH);
	assert_false(s.has_hash[1]);
	/* Withdrawal, hash in upper case. */
	assert_int_equal(s.type[2], RRDP_WITHDRAW);
	assert_true(s.has_hash[2]);
	sha256((const uint8_t *)"gone", 4, h);
	assert_memory_equal(s.hash[2], h, 32);
	assert_int_equal(s.derlen[2], 0);
	free(xml);
}

static void
test_content_root(void **state)
{
	(void)state;
	content_fails(RRDP_SNAPSHOT, DELTA_F(PUB("")),
	    "root element <delta> is not <snapshot>");
	content_fails(RRDP_DELTA, SNAPSHOT(PUB("")),
	    "root element <snapshot> is not <delta>");
	content_fails(RRDP_SNAPSHOT, "<snapshot version=\"1\" session_id=\""
	    SESSION "\" serial=\"5\"/>", "root element");
	content_fails(RRDP_SNAPSHOT, "<snapshot xmlns=\"" RRDP_NS "\" version="
	    "\"2\" session_id=\"" SESSION "\" serial=\"5\"/>",
	    "unsupported version");
	content_fails(RRDP_SNAPSHOT, "<snapshot xmlns=\"" RRDP_NS "\" version="
	    "\"1\" session_id=\"" SESSION "\" serial=\"05\"/>",
	    "is not a positive integer");
	content_fails(RRDP_SNAPSHOT, "<snapshot xmlns=\"" RRDP_NS "\" version="
	    "\"1\" session_id=\"" SESSION "\" serial=\"0\"/>",
	    "is not a positive integer");
	content_fails(RRDP_SNAPSHOT, "<snapshot xmlns=\"" RRDP_NS "\" version="
	    "\"1\" session_id=\"not-a-uuid\" serial=\"5\"/>",
	    "is not a version 4 UUID");
	content_fails(RRDP_SNAPSHOT, "<snapshot xmlns=\"" RRDP_NS "\" version="
	    "\"1\" session_id=\"" SESSION "\" serial=\"5\" x=\"1\"/>",
	    "unknown attribute x on <snapshot>");
	content_fails(RRDP_DELTA, "<delta xmlns=\"" RRDP_NS "\" version="
	    "\"1\" session_id=\"" SESSION "\">" PUB("") "</delta>",
	    "lacks the serial attribute");
}

static void
test_content_session_serial(void **state)
{
	(void)state;
	/* The notification said session SESSION, serial 5. */
	content_fails(RRDP_SNAPSHOT, "<snapshot xmlns=\"" RRDP_NS "\" version="
	    "\"1\" session_id=\"1df4b597-af9e-4dca-bdda-719cce2c4e28\" "
	    "serial=\"5\"/>", "is not the notification's");
	content_fails(RRDP_DELTA, "<delta xmlns=\"" RRDP_NS "\" version="
	    "\"1\" session_id=\"" SESSION "\" serial=\"6\">" PUB("") "</delta>",
	    "delta serial 6 is not the expected 5");
	content_fails(RRDP_SNAPSHOT, "<snapshot xmlns=\"" RRDP_NS "\" version="
	    "\"1\" session_id=\"" SESSION "\" serial=\"4\"/>",
	    "snapshot serial 4 is not the expected 5");
	/* Case does not matter in a UUID (RFC 4122 section 3). */
	{
		struct seen	s;
		char		err[512];
		const char	*x = "<snapshot xmlns=\"" RRDP_NS "\" version=\"1\""
				    " session_id=\"9DF4B597-AF9E-4DCA-BDDA-"
				    "719CCE2C4E28\" serial=\"5\"/>";

		memset(&s, 0, sizeof(s));
		if (content_run(RRDP_SNAPSHOT, SESSION, 5, (const uint8_t *)x,
		    strlen(x), 100, &s, NULL, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_int_equal(s.n, 0);	/* an empty snapshot is valid */
	}
}

static void
test_content_elements(void **state)
{
	(void)state;
	content_fails(RRDP_SNAPSHOT, SNAPSHOT(PUB(" hash=\"" H64 "\"")),
	    "<publish> in a snapshot has a hash attribute");
	content_fails(RRDP_SNAPSHOT, SNAPSHOT(WD(" hash=\"" H64 "\"")),
	    "unexpected element <withdraw> in <snapshot>");
	content_fails(RRDP_DELTA, DELTA_F(""), "<delta> holds no <publish>");
	content_fails(RRDP_DELTA, DELTA_F("\n  \n"), "<delta> holds no");
	content_fails(RRDP_DELTA, DELTA_F(WD("")),
	    "<withdraw> lacks the hash attribute");
	content_fails(RRDP_DELTA, DELTA_F("<withdraw hash=\"" H64 "\"/>"),
	    "<withdraw> lacks the uri attribute");
	content_fails(RRDP_DELTA, DELTA_F(WD(" hash=\"" H64 "\"") "x"),
	    "unexpected text in <delta>");
	content_fails(RRDP_DELTA, DELTA_F("<withdraw uri=\"" ROA "\" hash=\""
	    H64 "\">x</withdraw>"), "unexpected text in <withdraw>");
	content_fails(RRDP_DELTA, DELTA_F("<withdraw uri=\"" ROA "\" hash=\""
	    H64 "\"><publish/></withdraw>"), "unexpected element <publish> in "
	    "<withdraw>");
	content_fails(RRDP_DELTA, DELTA_F(PUB(" hash=\"12\"")),
	    "<publish> hash \"12\" is not 64 hex digits");
	content_fails(RRDP_DELTA, DELTA_F(PUB(" tag=\"x\"")),
	    "unknown attribute tag on <publish>");
	content_fails(RRDP_SNAPSHOT, SNAPSHOT("<publish>AAEC</publish>"),
	    "<publish> lacks the uri attribute");
	content_fails(RRDP_SNAPSHOT, SNAPSHOT("<publish uri=\"\">AAEC"
	    "</publish>"), "uri is empty");
	content_fails(RRDP_SNAPSHOT, SNAPSHOT("<publish uri=\"" ROA "\">AA<x/>"
	    "EC</publish>"), "unexpected element <x> in <publish>");
	content_fails(RRDP_SNAPSHOT, SNAPSHOT("<foo/>"),
	    "unexpected element <foo> in <snapshot>");
	content_fails(RRDP_SNAPSHOT, SNAPSHOT("<x:publish xmlns:x=\"urn:y\" "
	    "uri=\"" ROA "\">AAEC</x:publish>"), "unexpected element "
	    "<urn:y|publish>");
	content_fails(RRDP_SNAPSHOT, SNAPSHOT("") "<publish/>",
	    "not well-formed");
}

static void
test_content_base64(void **state)
{
	(void)state;
	content_fails(RRDP_SNAPSHOT, SNAPSHOT("<publish uri=\"" ROA "\">"
	    "</publish>"), "has no content");
	content_fails(RRDP_SNAPSHOT, SNAPSHOT("<publish uri=\"" ROA "\">  \n"
	    "</publish>"), "has no content");
	content_fails(RRDP_SNAPSHOT, SNAPSHOT("<publish uri=\"" ROA "\">AAE!"
	    "</publish>"), "not valid base64");
	content_fails(RRDP_SNAPSHOT, SNAPSHOT("<publish uri=\"" ROA "\">AAE"
	    "</publish>"), "not valid base64");
	content_fails(RRDP_SNAPSHOT, SNAPSHOT("<publish uri=\"" ROA "\">AAF="
	    "</publish>"), "not valid base64");	/* non-zero pad bits */
	content_fails(RRDP_SNAPSHOT, SNAPSHOT("<publish uri=\"" ROA "\">AA==AA=="
	    "</publish>"), "not valid base64");
}

static void
test_content_oversize(void **state)
{
	struct buf	b;
	size_t		n;

	(void)state;
	/* One base64 quantum more than MAX_RRDP_OBJECT_SIZE allows. */
	n = (MAX_RRDP_OBJECT_SIZE + 2) / 3 * 4 + 4;
	buf_init(&b);
	buf_adds(&b, ROOT_C("snapshot", "5") "<publish uri=\"" ROA "\">");
	buf_reserve(&b, n);
	memset(b.data + b.len, 'A', n);
	b.len += n;
	buf_adds(&b, "</publish></snapshot>");
	content_fails_len(RRDP_SNAPSHOT, b.data, b.len, "larger than 8388608");
	buf_free(&b);
}

static void
test_content_hostile(void **state)
{
	uint8_t	*xml;
	size_t	 len, i;
	char	 doc[] = DELTA_F(PUB("") WD(" hash=\"" H64 "\""));

	(void)state;
	xml = read_data("rrdp/xxe.xml", &len);
	content_fails_len(RRDP_SNAPSHOT, xml, len, "DOCTYPE");
	free(xml);
	xml = read_data("rrdp/billion_laughs.xml", &len);
	content_fails_len(RRDP_SNAPSHOT, xml, len, "DOCTYPE");
	free(xml);
	/* Every truncation of a good delta fails. */
	for (i = 0; i < strlen(doc); i++)
		content_fails_len(RRDP_DELTA, (const uint8_t *)doc, i, "");
	content_fails(RRDP_DELTA, "\xff\xfe<", "not well-formed");
}

static void
test_content_callback_stop(void **state)
{
	struct rrdp_content	*c;
	struct seen		 s;
	const char		*x = DELTA_F(PUB("") PUB("") PUB(""));

	(void)state;
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	c = rrdp_content_new(RRDP_DELTA, SESSION, 5, collect, &s);
	assert_int_equal(rrdp_content_feed(c, x, strlen(x)), -1);
	assert_int_equal(s.n, 2);	/* nothing after the refusal */
	assert_non_null(strstr(rrdp_content_error(c), "processing of "
	    "<publish> " ROA " failed"));
	/* Failure sticks. */
	assert_int_equal(rrdp_content_feed(c, "", 0), -1);
	assert_int_equal(rrdp_content_finish(c, NULL), -1);
	rrdp_content_free(c);
}

static void
test_content_parse_file(void **state)
{
	struct seen	 s;
	uint8_t		 got[32], want[32], *xml;
	size_t		 len;
	char		 path[1024], err[512];
	const char	*dir = getenv("TEST_DATA");

	(void)state;
	snprintf(path, sizeof(path), "%s/rrdp/delta.xml", dir ? dir :
	    "tests/data");
	memset(&s, 0, sizeof(s));
	if (rrdp_content_parse_file(path, RRDP_DELTA, SESSION, 3, collect, &s,
	    got, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	xml = read_data("rrdp/delta.xml", &len);
	sha256(xml, len, want);
	assert_memory_equal(got, want, 32);
	assert_int_equal(s.n, 3);
	free(xml);
	assert_int_equal(rrdp_content_parse_file("/nonexistent/delta.xml",
	    RRDP_DELTA, SESSION, 3, collect, &s, got, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/delta.xml: "));
	/* Wrong serial expected: the reason comes through. */
	assert_int_equal(rrdp_content_parse_file(path, RRDP_DELTA, SESSION, 4,
	    collect, &s, got, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "delta serial 3 is not the expected 4"));
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_notif_sample),
		cmocka_unit_test(test_notif_roundtrip),
		cmocka_unit_test(test_notif_good_variants),
		cmocka_unit_test(test_notif_root),
		cmocka_unit_test(test_notif_session),
		cmocka_unit_test(test_notif_serial),
		cmocka_unit_test(test_notif_deltas),
		cmocka_unit_test(test_notif_deltas_limit),
		cmocka_unit_test(test_notif_hash_uri),
		cmocka_unit_test(test_notif_structure),
		cmocka_unit_test(test_notif_hostile),
		cmocka_unit_test(test_snapshot_sample),
		cmocka_unit_test(test_delta_sample),
		cmocka_unit_test(test_content_root),
		cmocka_unit_test(test_content_session_serial),
		cmocka_unit_test(test_content_elements),
		cmocka_unit_test(test_content_base64),
		cmocka_unit_test(test_content_oversize),
		cmocka_unit_test(test_content_hostile),
		cmocka_unit_test(test_content_callback_stop),
		cmocka_unit_test(test_content_parse_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
