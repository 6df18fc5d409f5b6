/*
 * RFC 8181 message parser and writers: real-shaped samples
 * (tests/data/rfc8181), hostile input, limits, and write-then-parse
 * round trips.  Every rejection test also checks the reason, so a test
 * fails if the check it covers is removed and another one happens to
 * reject the input for a different reason.
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
#include "rfc8181_msg.h"

#define MAX_OBJ		(1024 * 1024)

#define MSG_Q	"<msg xmlns=\"" RFC8181_NS "\" version=\"4\" type=\"query\">"
#define MSG_R	"<msg xmlns=\"" RFC8181_NS "\" version=\"4\" type=\"reply\">"
#define Q(x)	MSG_Q x "</msg>"
#define R(x)	MSG_R x "</msg>"
#define URI	"rsync://wombat.example/Alice/x.roa"
#define HASH	"78a860dbfbc0d74cb0ae5dafa35b9d30bdf107c86e5e2389faa79196a728ef17"
#define HASH2	"da4ab6fdec157c0b2333088873be75ae9eec02882491ec6917f8b32e2a9040e5"
/* "AAEC" is the base64 of the three bytes 00 01 02. */
#define PUB(x)	"<publish uri=\"" URI "\">" x "</publish>"

static struct rfc8181_msg *
parse_len_ok(const uint8_t *xml, size_t len, size_t max_object)
{
	struct rfc8181_msg	*m = NULL;
	char			 err[512];

	if (rfc8181_parse(xml, len, max_object, &m, err, sizeof(err)) != 0)
		fail_msg("unexpected parse failure: %s", err);
	assert_non_null(m);
	return m;
}

static struct rfc8181_msg *
parse_ok(const char *xml)
{
	return parse_len_ok((const uint8_t *)xml, strlen(xml), MAX_OBJ);
}

static struct rfc8181_msg *
parse_file_ok(const char *rel)
{
	struct rfc8181_msg	*m;
	uint8_t			*xml;
	size_t			 len;

	xml = read_data(rel, &len);
	m = parse_len_ok(xml, len, MAX_OBJ);
	free(xml);
	return m;
}

/*
 * The parse must fail, with a one-line reason that cites RFC 8181 and
 * contains want.
 */
static void
fails_len(const uint8_t *xml, size_t len, size_t max_object, const char *want)
{
	struct rfc8181_msg	*m = (struct rfc8181_msg *)1;
	char			 err[512];

	memset(err, 'X', sizeof(err));
	if (rfc8181_parse(xml, len, max_object, &m, err, sizeof(err)) != -1)
		fail_msg("parse succeeded, expected failure with \"%s\"", want);
	assert_null(m);
	if (strncmp(err, "RFC 8181 section ", 17) != 0)
		fail_msg("reason does not cite RFC 8181: \"%s\"", err);
	if (strchr(err, '\n') != NULL)
		fail_msg("reason is not one line: \"%s\"", err);
	if (strstr(err, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want);
}

static void
fails(const char *xml, const char *want)
{
	fails_len((const uint8_t *)xml, strlen(xml), MAX_OBJ, want);
}

static void
fails_file(const char *rel, const char *want)
{
	uint8_t	*xml;
	size_t	 len;

	xml = read_data(rel, &len);
	fails_len(xml, len, MAX_OBJ, want);
	free(xml);
}

static void
hash_of(uint8_t out[32], const char *hex)
{
	assert_int_equal(hex_decode(out, 32, hex), 0);
}

static void
assert_der_is_file(const struct rfc8181_pdu *pdu, const char *rel)
{
	uint8_t	*want;
	size_t	 len;

	want = read_data(rel, &len);
	assert_int_equal(pdu->der_len, len);
	assert_memory_equal(pdu->der, want, len);
	free(want);
}

/* RFC 8181 section 3 shaped query: new object, replacement, withdrawal. */
static void
test_sample_query(void **state)
{
	struct rfc8181_msg	*m;
	uint8_t			 h[32];

	(void)state;
	m = parse_file_ok("rfc8181/query_publish.xml");
	assert_int_equal(m->type, RFC8181_QUERY);
	assert_int_equal(m->npdus, 3);

	assert_int_equal(m->pdus[0].type, PDU_PUBLISH);
	assert_string_equal(m->pdus[0].uri,
	    "rsync://wombat.example/Alice/blCrcCp9ltyPDNzYKPfxc.mft");
	assert_string_equal(m->pdus[0].tag, "mft");
	assert_false(m->pdus[0].has_hash);
	assert_der_is_file(&m->pdus[0], "rfc8181/object1.der");

	/* The file writes this hash in upper case. */
	assert_int_equal(m->pdus[1].type, PDU_PUBLISH);
	assert_true(m->pdus[1].has_hash);
	hash_of(h, HASH);
	assert_memory_equal(m->pdus[1].hash, h, 32);
	assert_string_equal(m->pdus[1].tag, "crl");
	assert_der_is_file(&m->pdus[1], "rfc8181/object2.der");

	assert_int_equal(m->pdus[2].type, PDU_WITHDRAW);
	assert_string_equal(m->pdus[2].uri,
	    "rsync://wombat.example/Alice/ca1/abc-DEF_12.roa");
	assert_true(m->pdus[2].has_hash);
	hash_of(h, HASH2);
	assert_memory_equal(m->pdus[2].hash, h, 32);
	assert_string_equal(m->pdus[2].tag, "roa");
	assert_null(m->pdus[2].der);
	rfc8181_msg_free(m);
}

static void
test_sample_list_query(void **state)
{
	struct rfc8181_msg	*m;

	(void)state;
	m = parse_file_ok("rfc8181/query_list.xml");
	assert_int_equal(m->type, RFC8181_QUERY);
	assert_int_equal(m->npdus, 1);
	assert_int_equal(m->pdus[0].type, PDU_LIST);
	assert_null(m->pdus[0].uri);
	assert_false(m->pdus[0].has_hash);
	assert_string_equal(m->pdus[0].tag, "list-1");
	rfc8181_msg_free(m);
}

static void
test_sample_replies(void **state)
{
	struct rfc8181_msg	*m;
	uint8_t			 h[32];

	(void)state;
	m = parse_file_ok("rfc8181/reply_list.xml");
	assert_int_equal(m->type, RFC8181_REPLY);
	assert_int_equal(m->npdus, 2);
	assert_int_equal(m->pdus[0].type, PDU_LIST);
	assert_string_equal(m->pdus[0].uri,
	    "rsync://wombat.example/Alice/blCrcCp9ltyPDNzYKPfxc.crl");
	hash_of(h, HASH);
	assert_memory_equal(m->pdus[0].hash, h, 32);
	assert_int_equal(m->pdus[1].type, PDU_LIST);
	rfc8181_msg_free(m);

	m = parse_file_ok("rfc8181/reply_success.xml");
	assert_int_equal(m->npdus, 1);
	assert_int_equal(m->pdus[0].type, PDU_SUCCESS);
	rfc8181_msg_free(m);

	m = parse_file_ok("rfc8181/reply_error.xml");
	assert_int_equal(m->npdus, 2);
	assert_int_equal(m->pdus[0].type, PDU_REPORT_ERROR);
	assert_int_equal(m->pdus[0].error, ERR_NO_MATCHING_HASH);
	assert_string_equal(m->pdus[0].tag, "crl");
	assert_string_equal(m->pdus[0].error_text, "Can't replace "
	    "rsync://wombat.example/Alice/blCrcCp9ltyPDNzYKPfxc.crl: hash "
	    "does not match");
	/* Of failed_pdu, only its type and uri are kept. */
	assert_null(m->pdus[0].der);
	assert_null(m->pdus[0].uri);
	assert_int_equal(m->pdus[0].has_failed_pdu, 1);
	assert_int_equal(m->pdus[0].failed_type, PDU_PUBLISH);
	assert_string_equal(m->pdus[0].failed_uri,
	    "rsync://wombat.example/Alice/blCrcCp9ltyPDNzYKPfxc.crl");
	assert_int_equal(m->pdus[1].error, ERR_ALREADY_PRESENT);
	assert_string_equal(m->pdus[1].tag, "mft");
	assert_null(m->pdus[1].error_text);
	rfc8181_msg_free(m);
}

static void
test_empty_and_prefixed(void **state)
{
	struct rfc8181_msg	*m;

	(void)state;
	/* No PDUs: well-formed; the engine decides what it means. */
	m = parse_ok("<msg xmlns=\"" RFC8181_NS "\" version=\"4\" "
	    "type=\"query\"/>");
	assert_int_equal(m->npdus, 0);
	rfc8181_msg_free(m);
	/* Namespace prefixes are XML's business, not ours. */
	m = parse_ok("<p:msg xmlns:p=\"" RFC8181_NS "\" version=\"4\" "
	    "type=\"query\"><p:list/></p:msg>");
	assert_int_equal(m->npdus, 1);
	rfc8181_msg_free(m);
	/* Comments and whitespace between PDUs are fine. */
	m = parse_ok(Q("\n <!-- c -->\n\t" PUB(" AA\r\n EC ") "\n"));
	assert_int_equal(m->pdus[0].der_len, 3);
	assert_memory_equal(m->pdus[0].der, "\0\1\2", 3);
	rfc8181_msg_free(m);
}

static void
test_doctype_entities(void **state)
{
	(void)state;
	fails_file("rfc8181/billion_laughs.xml", "DOCTYPE");
	fails_file("rfc8181/xxe.xml", "DOCTYPE");
	fails("<!DOCTYPE msg>" Q(""), "DOCTYPE");
	fails("<!DOCTYPE msg SYSTEM \"http://example.net/x.dtd\">" Q(""),
	    "DOCTYPE");
	/* Without a DTD an entity reference is undefined. */
	fails(Q("<list tag=\"&foo;\"/>"), "not well-formed");
}

static void
test_not_well_formed(void **state)
{
	static const char	doc[] = MSG_R "\n<success/>\n<success>\n</msg>";

	(void)state;
	fails_file("rfc8181/truncated.xml", "not well-formed");
	fails(MSG_Q, "not well-formed");
	fails(MSG_Q "<list/>", "not well-formed");
	fails("", "not well-formed");
	fails(Q("") "<msg/>", "not well-formed");
	fails(Q("<list a=\"1\" a=\"2\"/>"), "duplicate attribute");
	/* expat's line number is in the reason. */
	fails(doc, "line 4: mismatched tag");
}

static void
test_root(void **state)
{
	(void)state;
	fails("<msg version=\"4\" type=\"query\"/>", "root element <msg>");
	fails("<msg xmlns=\"urn:other\" version=\"4\" type=\"query\"/>",
	    "root element <urn:other|msg>");
	fails("<foo xmlns=\"" RFC8181_NS "\"/>", "root element <foo>");
	fails("<msg xmlns=\"" RFC8181_NS "\" version=\"3\" type=\"query\"/>",
	    "unsupported version \"3\"");
	fails("<msg xmlns=\"" RFC8181_NS "\" version=\"04\" type=\"query\"/>",
	    "unsupported version");
	fails("<msg xmlns=\"" RFC8181_NS "\" type=\"query\"/>",
	    "lacks the version attribute");
	fails("<msg xmlns=\"" RFC8181_NS "\" version=\"4\"/>",
	    "lacks the type attribute");
	fails("<msg xmlns=\"" RFC8181_NS "\" version=\"4\" type=\"Query\"/>",
	    "neither query nor reply");
	fails("<msg xmlns=\"" RFC8181_NS "\" version=\"4\" type=\"query\" "
	    "foo=\"1\"/>", "unknown attribute foo on <msg>");
	/* Hostile names are cut and made printable in the reason. */
	fails("<msg xmlns=\"" RFC8181_NS "\" version=\"&#10;4\" "
	    "type=\"query\"/>", "unsupported version \"?4\"");
}

static void
test_unexpected_elements(void **state)
{
	struct buf	b;
	size_t		i;

	(void)state;
	fails(Q("<foo/>"), "section 2.1: unexpected element <foo> in <msg>");
	fails(Q("<x:list xmlns:x=\"urn:other\"/>"),
	    "unexpected element <urn:other|list>");
	fails(Q("<list xmlns=\"\"/>"), "unexpected element <list> in <msg>");
	fails(Q("<error_text/>"), "unexpected element <error_text>");
	fails(Q("<publish uri=\"" URI "\"><publish uri=\"" URI "\"/>"
	    "</publish>"), "unexpected element <publish> in <publish>");
	fails(Q("<withdraw uri=\"" URI "\" hash=\"" HASH "\"><list/>"
	    "</withdraw>"), "unexpected element <list> in <withdraw>");
	fails(R("<success><success/></success>"),
	    "unexpected element <success> in <success>");
	fails(Q("<msg version=\"4\" type=\"query\"/>"),
	    "unexpected element <msg> in <msg>");

	/*
	 * Deep nesting: the grammar is at most four deep, so a deep
	 * document is refused at the first level it does not allow.
	 */
	buf_init(&b);
	buf_adds(&b, MSG_R);
	for (i = 0; i < 1000; i++)
		buf_adds(&b, "<report_error error_code=\"xml_error\">");
	for (i = 0; i < 1000; i++)
		buf_adds(&b, "</report_error>");
	buf_adds(&b, "</msg>");
	fails(buf_str(&b),
	    "unexpected element <report_error> in <report_error>");
	buf_free(&b);
}

static void
test_text(void **state)
{
	(void)state;
	fails(Q("hello"), "section 2.1: unexpected text in <msg>");
	fails(Q("<withdraw uri=\"" URI "\" hash=\"" HASH "\">x</withdraw>"),
	    "section 2.2: unexpected text in <withdraw>");
	fails(Q("<list>x</list>"), "unexpected text in <list>");
	fails(R("<success>x</success>"), "unexpected text in <success>");
	fails(R("<report_error error_code=\"xml_error\">x</report_error>"),
	    "unexpected text in <report_error>");
	fails(R("<report_error error_code=\"xml_error\"><failed_pdu>x"
	    "<list/></failed_pdu></report_error>"),
	    "unexpected text in <failed_pdu>");
	fails(Q("<![CDATA[x]]>"), "unexpected text in <msg>");
}

static void
test_mixing(void **state)
{
	(void)state;
	fails(R(PUB("AAEC")), "query PDU <publish> in a reply");
	fails(R("<withdraw uri=\"" URI "\" hash=\"" HASH "\"/>"),
	    "query PDU <withdraw> in a reply");
	fails(Q("<success/>"), "reply PDU <success> in a query");
	fails(Q("<report_error error_code=\"xml_error\"/>"),
	    "reply PDU <report_error> in a query");
	/* <list> means different things in each direction. */
	fails(Q("<list uri=\"" URI "\" hash=\"" HASH "\"/>"),
	    "unknown attribute uri on <list>");
	fails(R("<list/>"), "<list> lacks the uri attribute");
	fails(R("<list uri=\"" URI "\"/>"), "<list> lacks the hash attribute");
}

static void
test_list_alone(void **state)
{
	struct rfc8181_msg	*m;

	(void)state;
	fails(Q("<list/>" PUB("AAEC")),
	    "section 2.3: a <list/> query must be the only PDU");
	fails(Q(PUB("AAEC") "<list/>"), "must be the only PDU");
	fails(Q("<withdraw uri=\"" URI "\" hash=\"" HASH "\"/><list/>"),
	    "must be the only PDU");
	fails(Q("<list/><list/>"), "must be the only PDU");
	/* Many <list/> PDUs in a reply are normal. */
	m = parse_ok(R("<list uri=\"" URI "\" hash=\"" HASH "\"/>"
	    "<list uri=\"" URI "2\" hash=\"" HASH2 "\"/>"));
	assert_int_equal(m->npdus, 2);
	rfc8181_msg_free(m);
}

static void
test_attributes(void **state)
{
	(void)state;
	fails(Q("<publish uri=\"" URI "\" foo=\"x\">AAEC</publish>"),
	    "section 2.2: unknown attribute foo on <publish>");
	fails(Q("<publish xmlns:x=\"urn:x\" x:uri=\"" URI "\">AAEC</publish>"),
	    "unknown attribute urn:x|uri on <publish>");
	fails(Q("<publish>AAEC</publish>"), "<publish> lacks the uri");
	fails(Q("<withdraw hash=\"" HASH "\"/>"), "<withdraw> lacks the uri");
	fails(Q("<withdraw uri=\"" URI "\"/>"), "<withdraw> lacks the hash");
	fails(Q("<list uri=\"" URI "\"/>"), "unknown attribute uri on <list>");
	fails(R("<success tag=\"x\"/>"), "unknown attribute tag on <success>");
	fails(R("<report_error/>"), "<report_error> lacks the error_code");
	fails(R("<report_error error_code=\"xml_error\" uri=\"" URI "\"/>"),
	    "unknown attribute uri on <report_error>");
	fails(R("<report_error error_code=\"bogus\"/>"),
	    "section 2.5: unknown error_code \"bogus\"");
	fails(R("<report_error error_code=\"xml_error\"><error_text a=\"1\">"
	    "x</error_text></report_error>"),
	    "unknown attribute a on <error_text>");
	fails(R("<report_error error_code=\"xml_error\"><failed_pdu a=\"1\">"
	    "<list/></failed_pdu></report_error>"),
	    "unknown attribute a on <failed_pdu>");
	fails(Q("<publish uri=\"\">AAEC</publish>"), "empty uri");
}

/* A one-PDU query whose uri (or tag) is n characters long. */
static char *
doc_with_len(int tag, size_t n)
{
	struct buf	b;
	size_t		start;

	buf_init(&b);
	buf_adds(&b, MSG_Q);
	buf_adds(&b, tag ? "<list tag=\"" : "<publish uri=\"");
	start = b.len;
	if (!tag)
		buf_adds(&b, "rsync://h/m/");
	while (b.len - start < n)
		buf_addc(&b, 'a');
	buf_adds(&b, tag ? "\"/>" : "\">AAEC</publish>");
	buf_adds(&b, "</msg>");
	return (char *)buf_release(&b, NULL);
}

static void
test_lengths(void **state)
{
	struct rfc8181_msg	*m;
	char			*doc;

	(void)state;
	/* uri: MAX_URI_LENGTH is accepted, one more is refused. */
	doc = doc_with_len(0, MAX_URI_LENGTH);
	m = parse_ok(doc);
	assert_int_equal(strlen(m->pdus[0].uri), MAX_URI_LENGTH);
	rfc8181_msg_free(m);
	free(doc);
	doc = doc_with_len(0, MAX_URI_LENGTH + 1);
	fails(doc, "section 2.2: <publish> uri longer than 1024 characters");
	free(doc);

	/* tag: the same at MAX_TAG_LENGTH. */
	doc = doc_with_len(1, MAX_TAG_LENGTH);
	m = parse_ok(doc);
	assert_int_equal(strlen(m->pdus[0].tag), MAX_TAG_LENGTH);
	rfc8181_msg_free(m);
	free(doc);
	doc = doc_with_len(1, MAX_TAG_LENGTH + 1);
	fails(doc, "section 2.3: <list> tag longer than 1024 characters");
	free(doc);

	/* A huge attribute is refused like any other. */
	doc = doc_with_len(1, 4 * 1024 * 1024);
	fails(doc, "tag longer than");
	free(doc);
}

static void
test_hash(void **state)
{
	struct rfc8181_msg	*m;

	(void)state;
	fails(Q("<withdraw uri=\"" URI "\" hash=\"" HASH "0\"/>"),
	    "hash is not 64 hex digits");
	fails(Q("<withdraw uri=\"" URI "\" hash=\"78a860dbfbc0d74cb0ae5dafa35b9"
	    "d30bdf107c86e5e2389faa79196a728ef1\"/>"), "not 64 hex digits");
	fails(Q("<withdraw uri=\"" URI "\" hash=\"\"/>"), "not 64 hex digits");
	fails(Q("<withdraw uri=\"" URI "\" hash=\"g8a860dbfbc0d74cb0ae5dafa35b9"
	    "d30bdf107c86e5e2389faa79196a728ef17\"/>"), "not 64 hex digits");
	fails(Q("<publish uri=\"" URI "\" hash=\"" HASH " \">AAEC</publish>"),
	    "section 2.2: <publish> hash is not 64 hex digits");
	fails(R("<list uri=\"" URI "\" hash=\"abc\"/>"),
	    "section 2.3: <list> hash is not 64 hex digits");
	m = parse_ok(Q("<withdraw uri=\"" URI "\" hash=\"78A860DBFBC0D74CB0AE5"
	    "DAFA35B9D30BDF107C86E5E2389FAA79196A728EF17\"/>"));
	assert_true(m->pdus[0].has_hash);
	assert_int_equal(m->pdus[0].hash[0], 0x78);
	assert_int_equal(m->pdus[0].hash[31], 0x17);
	rfc8181_msg_free(m);
}

static void
test_base64(void **state)
{
	(void)state;
	fails(Q(PUB("AA!C")), "section 2.2: publish content of " URI
	    " is not valid base64");
	fails(Q(PUB("AA=")), "not valid base64");	/* short padding */
	fails(Q(PUB("AAB=")), "not valid base64");	/* pad bits 01 */
	fails(Q(PUB("AB==")), "not valid base64");	/* pad bits 0001 */
	fails(Q(PUB("AAEC=")), "not valid base64");	/* pad after a quantum */
	fails(Q(PUB("AA==AAEC")), "not valid base64");	/* data after pad */
	fails(Q(PUB("AAECA")), "not valid base64");	/* 6 spare bits */
	fails(Q(PUB("AAEC&#0;")), "not well-formed");
	fails(Q(PUB("")), "<publish> of " URI " has no content");
	fails(Q("<publish uri=\"" URI "\"/>"), "has no content");
	fails(Q(PUB(" \n\t ")), "has no content");
	fails(Q(PUB("====")), "not valid base64");
}

static void
test_max_object(void **state)
{
	struct rfc8181_msg	*m;
	const char		*six = Q(PUB("AAECAwQF"));	/* 6 bytes */

	(void)state;
	m = parse_len_ok((const uint8_t *)six, strlen(six), 6);
	assert_int_equal(m->pdus[0].der_len, 6);
	rfc8181_msg_free(m);
	/* Caught while collecting: 8 characters for a 3-byte limit. */
	fails_len((const uint8_t *)six, strlen(six), 3,
	    "object " URI " is larger than 3 bytes");
	/* Reading stops at the limit, before the bad character is seen. */
	fails_len((const uint8_t *)Q(PUB("AAECAAE!")),
	    strlen(Q(PUB("AAECAAE!"))), 3, "is larger than 3 bytes");
	/* Caught after decoding: 8 characters fit 4 bytes' 8, but 6 > 4. */
	fails_len((const uint8_t *)six, strlen(six), 4,
	    "is larger than 4 bytes");
	fails_len((const uint8_t *)six, strlen(six), 5,
	    "is larger than 5 bytes");
	/* Whitespace does not count against the limit. */
	m = parse_len_ok((const uint8_t *)Q(PUB("\n  AAEC\n  AwQF\n")),
	    strlen(Q(PUB("\n  AAEC\n  AwQF\n"))), 6);
	rfc8181_msg_free(m);
}

/* An object spanning many expat buffers. */
static void
test_large_object(void **state)
{
	struct rfc8181_msg	*m;
	struct buf		 b;
	uint8_t			*obj;
	size_t			 i, len = 300 * 1024 + 1;

	(void)state;
	obj = malloc(len);
	assert_non_null(obj);
	for (i = 0; i < len; i++)
		obj[i] = (uint8_t)(i * 7 + 3);
	buf_init(&b);
	rfc8181_write_begin(&b, RFC8181_QUERY);
	rfc8181_write_publish(&b, URI, NULL, obj, len, NULL);
	rfc8181_write_end(&b);
	m = parse_len_ok(b.data, b.len, len);
	assert_int_equal(m->pdus[0].der_len, len);
	assert_memory_equal(m->pdus[0].der, obj, len);
	rfc8181_msg_free(m);
	fails_len(b.data, b.len, len - 1, "is larger than");
	buf_free(&b);
	free(obj);
}

static void
test_report_error_structure(void **state)
{
	struct rfc8181_msg	*m;

	(void)state;
#define RE(x)	R("<report_error error_code=\"xml_error\">" x "</report_error>")
	m = parse_ok(RE("<failed_pdu><withdraw uri=\"x\" whatever=\"1\"/>"
	    "</failed_pdu>"));
	assert_null(m->pdus[0].error_text);
	assert_int_equal(m->pdus[0].failed_type, PDU_WITHDRAW);
	assert_string_equal(m->pdus[0].failed_uri, "x");
	rfc8181_msg_free(m);
	m = parse_ok(RE("<error_text></error_text><failed_pdu><list/>"
	    "</failed_pdu>"));
	assert_string_equal(m->pdus[0].error_text, "");
	assert_int_equal(m->pdus[0].has_failed_pdu, 1);
	assert_int_equal(m->pdus[0].failed_type, PDU_LIST);
	assert_null(m->pdus[0].failed_uri);
	rfc8181_msg_free(m);
	m = parse_ok(RE("<error_text>e</error_text>"));
	assert_int_equal(m->pdus[0].has_failed_pdu, 0);
	assert_null(m->pdus[0].failed_uri);
	rfc8181_msg_free(m);
	fails(RE("<error_text>a</error_text><error_text>b</error_text>"),
	    "section 2.4: unexpected element <error_text> in <report_error>");
	fails(RE("<failed_pdu><list/></failed_pdu><error_text>a</error_text>"),
	    "unexpected element <error_text> in <report_error>");
	fails(RE("<failed_pdu><list/></failed_pdu><failed_pdu><list/>"
	    "</failed_pdu>"), "unexpected element <failed_pdu>");
	fails(RE("<failed_pdu></failed_pdu>"), "<failed_pdu> holds no PDU");
	fails(RE("<failed_pdu><success/></failed_pdu>"),
	    "<failed_pdu> holds <success>, not a query PDU");
	fails(RE("<failed_pdu><list/><list/></failed_pdu>"),
	    "unexpected element <list> in <failed_pdu>");
	fails(RE("<failed_pdu><publish uri=\"x\"><foo/></publish>"
	    "</failed_pdu>"), "unexpected element <foo> in <failed_pdu>");
	fails(RE("<error_text><b>x</b></error_text>"),
	    "unexpected element <b> in <error_text>");
	fails(RE("<foo/>"), "unexpected element <foo> in <report_error>");
#undef RE
}

static void
test_error_text_cap(void **state)
{
	struct rfc8181_msg	*m;
	struct buf		 b;
	size_t			 i;

	(void)state;
	buf_init(&b);
	buf_adds(&b, MSG_R "<report_error error_code=\"other_error\">"
	    "<error_text>");
	for (i = 0; i < 3 * MAX_ERROR_TEXT; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "</error_text></report_error></msg>");
	m = parse_ok(buf_str(&b));
	assert_int_equal(strlen(m->pdus[0].error_text), MAX_ERROR_TEXT);
	rfc8181_msg_free(m);
	buf_free(&b);

	/* A cut through a UTF-8 sequence drops the incomplete part. */
	buf_adds(&b, MSG_R "<report_error error_code=\"other_error\">"
	    "<error_text>a");
	for (i = 0; i < MAX_ERROR_TEXT; i++)
		buf_adds(&b, "\xc3\xa9");
	buf_adds(&b, "</error_text></report_error></msg>");
	m = parse_ok(buf_str(&b));
	assert_int_equal(strlen(m->pdus[0].error_text), MAX_ERROR_TEXT - 1);
	assert_memory_equal(m->pdus[0].error_text + MAX_ERROR_TEXT - 3,
	    "\xc3\xa9", 2);
	rfc8181_msg_free(m);
	buf_free(&b);
}

static void
test_too_many_pdus(void **state)
{
	struct rfc8181_msg	*m;
	struct buf		 b;
	size_t			 i;

	(void)state;
	buf_init(&b);
	/*
	 * A list reply names every object of a publisher, so replies have
	 * their own, larger cap (MAX_PDUS_PER_REPLY): one PDU past the query
	 * cap is still fine there.
	 */
	buf_adds(&b, MSG_R);
	for (i = 0; i <= MAX_PDUS_PER_QUERY; i++)
		buf_adds(&b, "<success/>");
	buf_adds(&b, "</msg>");
	m = parse_ok(buf_str(&b));
	assert_int_equal(m->npdus, MAX_PDUS_PER_QUERY + 1);
	rfc8181_msg_free(m);
	buf_free(&b);

	buf_adds(&b, MSG_Q);
	for (i = 0; i <= MAX_PDUS_PER_QUERY; i++)
		buf_printf(&b, "<withdraw uri=\"rsync://h/m/%zu.roa\" hash=\""
		    HASH "\"/>", i);
	buf_adds(&b, "</msg>");
	fails(buf_str(&b), "more than 100000 PDUs");
	buf_free(&b);
}

static void
test_err_buffer(void **state)
{
	struct rfc8181_msg	*m;
	char			 err[16];
	const char		*bad = Q("<foo/>");

	(void)state;
	memset(err, 'X', sizeof(err));
	assert_int_equal(rfc8181_parse((const uint8_t *)bad, strlen(bad),
	    MAX_OBJ, &m, err, sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(rfc8181_parse((const uint8_t *)bad, strlen(bad),
	    MAX_OBJ, &m, NULL, 0), -1);
	assert_null(m);
}

/* Parse what the writers produced and compare PDU by PDU. */
static void
test_roundtrip_query(void **state)
{
	struct rfc8181_msg	*m;
	struct buf		 b;
	uint8_t			 h1[32], h2[32], obj[200];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(obj); i++)
		obj[i] = (uint8_t)(255 - i);
	hash_of(h1, HASH);
	hash_of(h2, HASH2);
	buf_init(&b);
	rfc8181_write_begin(&b, RFC8181_QUERY);
	rfc8181_write_publish(&b, URI, NULL, obj, sizeof(obj), "t1");
	rfc8181_write_publish(&b, URI "2", h1, obj, 1, NULL);
	rfc8181_write_withdraw(&b, URI "3", h2, "t3");
	rfc8181_write_end(&b);
	m = parse_len_ok(b.data, b.len, MAX_OBJ);
	assert_int_equal(m->type, RFC8181_QUERY);
	assert_int_equal(m->npdus, 3);
	assert_int_equal(m->pdus[0].type, PDU_PUBLISH);
	assert_string_equal(m->pdus[0].uri, URI);
	assert_string_equal(m->pdus[0].tag, "t1");
	assert_false(m->pdus[0].has_hash);
	assert_int_equal(m->pdus[0].der_len, sizeof(obj));
	assert_memory_equal(m->pdus[0].der, obj, sizeof(obj));
	assert_string_equal(m->pdus[1].uri, URI "2");
	assert_null(m->pdus[1].tag);
	assert_true(m->pdus[1].has_hash);
	assert_memory_equal(m->pdus[1].hash, h1, 32);
	assert_int_equal(m->pdus[1].der_len, 1);
	assert_int_equal(m->pdus[2].type, PDU_WITHDRAW);
	assert_string_equal(m->pdus[2].uri, URI "3");
	assert_memory_equal(m->pdus[2].hash, h2, 32);
	assert_string_equal(m->pdus[2].tag, "t3");
	rfc8181_msg_free(m);
	/* The writer emits lower-case hex (RFC 8181 section 2.2 style). */
	assert_non_null(strstr(buf_str(&b), "hash=\"" HASH "\""));
	buf_free(&b);

	rfc8181_write_begin(&b, RFC8181_QUERY);
	rfc8181_write_list_query(&b, NULL);
	rfc8181_write_end(&b);
	m = parse_len_ok(b.data, b.len, MAX_OBJ);
	assert_int_equal(m->npdus, 1);
	assert_int_equal(m->pdus[0].type, PDU_LIST);
	assert_null(m->pdus[0].tag);
	rfc8181_msg_free(m);
	buf_free(&b);
}

static void
test_roundtrip_reply(void **state)
{
	struct rfc8181_msg	*m;
	struct rfc8181_pdu	 failed;
	struct buf		 b;
	uint8_t			 h1[32], obj[3] = { 0, 1, 2 };

	(void)state;
	hash_of(h1, HASH);
	memset(&failed, 0, sizeof(failed));
	failed.type = PDU_PUBLISH;
	failed.uri = URI;
	failed.tag = "ft";
	failed.has_hash = 1;
	memcpy(failed.hash, h1, 32);
	failed.der = obj;
	failed.der_len = sizeof(obj);

	buf_init(&b);
	rfc8181_write_begin(&b, RFC8181_REPLY);
	rfc8181_write_success(&b);
	rfc8181_write_list_reply(&b, URI, h1);
	rfc8181_write_error(&b, ERR_NO_MATCHING_HASH, "ft", "hash <mismatch>",
	    &failed);
	rfc8181_write_error(&b, ERR_PERMISSION, NULL, NULL, NULL);
	rfc8181_write_end(&b);
	/* The failed PDU is echoed in full: its tag, hash and content. */
	assert_non_null(strstr(buf_str(&b), "<failed_pdu><publish uri=\"" URI
	    "\" hash=\"" HASH "\" tag=\"ft\">AAEC</publish>"));
	assert_non_null(strstr(buf_str(&b),
	    "<error_text>hash &lt;mismatch&gt;</error_text>"));
	m = parse_len_ok(b.data, b.len, MAX_OBJ);
	assert_int_equal(m->type, RFC8181_REPLY);
	assert_int_equal(m->npdus, 4);
	assert_int_equal(m->pdus[0].type, PDU_SUCCESS);
	assert_int_equal(m->pdus[1].type, PDU_LIST);
	assert_string_equal(m->pdus[1].uri, URI);
	assert_memory_equal(m->pdus[1].hash, h1, 32);
	assert_int_equal(m->pdus[2].type, PDU_REPORT_ERROR);
	assert_int_equal(m->pdus[2].error, ERR_NO_MATCHING_HASH);
	assert_string_equal(m->pdus[2].tag, "ft");
	assert_string_equal(m->pdus[2].error_text, "hash <mismatch>");
	assert_int_equal(m->pdus[3].error, ERR_PERMISSION);
	assert_null(m->pdus[3].tag);
	assert_null(m->pdus[3].error_text);
	assert_null(strstr(strstr(buf_str(&b), "permission_failure"),
	    "failed_pdu"));
	rfc8181_msg_free(m);
	buf_free(&b);

	/* A withdraw and a list echoed as failed PDUs. */
	failed.type = PDU_WITHDRAW;
	rfc8181_write_begin(&b, RFC8181_REPLY);
	rfc8181_write_error(&b, ERR_NO_OBJECT, NULL, "gone", &failed);
	failed.type = PDU_LIST;
	rfc8181_write_error(&b, ERR_OTHER, NULL, NULL, &failed);
	rfc8181_write_end(&b);
	assert_non_null(strstr(buf_str(&b), "<failed_pdu><withdraw uri=\""
	    URI "\" hash=\"" HASH "\" tag=\"ft\"/>"));
	assert_non_null(strstr(buf_str(&b),
	    "<failed_pdu><list tag=\"ft\"/>"));
	m = parse_len_ok(b.data, b.len, MAX_OBJ);
	assert_int_equal(m->npdus, 2);
	assert_int_equal(m->pdus[0].error, ERR_NO_OBJECT);
	assert_string_equal(m->pdus[0].error_text, "gone");
	rfc8181_msg_free(m);
	buf_free(&b);
}

/*
 * Whatever bytes a caller puts in a tag or an error text, the output
 * must parse: markup is escaped, tab/LF/CR survive as references, other
 * control bytes and invalid UTF-8 become '?', valid UTF-8 is kept.
 */
static void
test_writer_escaping(void **state)
{
	struct rfc8181_msg	*m;
	struct buf		 b;
	const char		*tag = "<&>\"' \t\n\r\x01\x7f\xff\xc3\xa9\xed\xa0"
				    "\x80\xf0\x9f\x98\x80\xc3";
	const char		*want = "<&>\"' \t\n\r?\x7f?\xc3\xa9???"
				    "\xf0\x9f\x98\x80?";

	(void)state;
	buf_init(&b);
	rfc8181_write_begin(&b, RFC8181_REPLY);
	rfc8181_write_error(&b, ERR_OTHER, tag, tag, NULL);
	rfc8181_write_end(&b);
	m = parse_len_ok(b.data, b.len, MAX_OBJ);
	assert_string_equal(m->pdus[0].tag, want);
	assert_string_equal(m->pdus[0].error_text, want);
	rfc8181_msg_free(m);
	buf_free(&b);
}

static void
test_error_names(void **state)
{
	int	i;

	(void)state;
	for (i = ERR_NONE + 1; i < ERR_COUNT; i++) {
		assert_non_null(rfc8181_error_name(i));
		assert_int_equal(rfc8181_error_from_name(
		    rfc8181_error_name(i)), i);
	}
	assert_string_equal(rfc8181_error_name(ERR_XML), "xml_error");
	assert_string_equal(rfc8181_error_name(ERR_NO_MATCHING_HASH),
	    "no_object_matching_hash");
	assert_string_equal(rfc8181_error_name(ERR_CONSISTENCY),
	    "consistency_problem");
	assert_null(rfc8181_error_name(ERR_NONE));
	assert_null(rfc8181_error_name(ERR_COUNT));
	assert_int_equal(rfc8181_error_from_name("XML_ERROR"), ERR_NONE);
	assert_int_equal(rfc8181_error_from_name(""), ERR_NONE);
	rfc8181_msg_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_query),
		cmocka_unit_test(test_sample_list_query),
		cmocka_unit_test(test_sample_replies),
		cmocka_unit_test(test_empty_and_prefixed),
		cmocka_unit_test(test_doctype_entities),
		cmocka_unit_test(test_not_well_formed),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_unexpected_elements),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_mixing),
		cmocka_unit_test(test_list_alone),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_max_object),
		cmocka_unit_test(test_large_object),
		cmocka_unit_test(test_report_error_structure),
		cmocka_unit_test(test_error_text_cap),
		cmocka_unit_test(test_too_many_pdus),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_roundtrip_query),
		cmocka_unit_test(test_roundtrip_reply),
		cmocka_unit_test(test_writer_escaping),
		cmocka_unit_test(test_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
