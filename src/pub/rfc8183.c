/*
 * RFC 8183 out-of-band setup documents: <publisher_request/> (section
 * 5.2.3) and <repository_response/> (section 5.2.4), parsed and written.
 *
 * These documents arrive by mail or through the admin API, from people
 * we do not yet trust, so the parser is as strict as the RFC 8181 one:
 * one streaming expat pass, a scope per position in the document, a
 * whitelist of attributes per element, character data kept only in the
 * BPKI certificate element (capped at MAX_BPKI_CERT_SIZE decoded), the
 * whole document capped at MAX_RFC8183_SIZE, and no DTD (xml.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding.h"
#include "bounds.h"
#include "log.h"
#include "rfc8181_msg.h"	/* rfc8181_add_xml */
#include "rfc8183.h"
#include "uri.h"
#include "xml.h"

#define RFC8183_VERSION	"1"
#define ERR_NAME_LEN	96		/* input echoed in an error message */
#define B64_LINE	64		/* written base64 is wrapped like PEM */

enum doc {
	DOC_PUBLISHER_REQUEST,		/* section 5.2.3 */
	DOC_REPOSITORY_RESPONSE		/* section 5.2.4 */
};

static const struct {
	const char	*root;
	const char	*ta;
	const char	*section;
} docs[] = {
	[DOC_PUBLISHER_REQUEST] = { "publisher_request", "publisher_bpki_ta",
	    "5.2.3" },
	[DOC_REPOSITORY_RESPONSE] = { "repository_response",
	    "repository_bpki_ta", "5.2.4" },
};

enum attr {
	A_VERSION,
	A_PUBLISHER_HANDLE,
	A_TAG,
	A_SERVICE_URI,
	A_SIA_BASE,
	A_RRDP_NOTIFICATION_URI,
	A_REFERRER,
	A_CONTACT_URI,
	A_COUNT
};

static const char *const attr_names[A_COUNT] = {
	"version", "publisher_handle", "tag", "service_uri", "sia_base",
	"rrdp_notification_uri", "referrer", "contact_uri"
};

#define A(x)	(1u << (x))

enum scope {
	SC_DOC,			/* before the root element */
	SC_ROOT,		/* in the root, between children */
	SC_BPKI_TA,		/* in the *_bpki_ta element: base64 */
	SC_REFERRAL,		/* in <referral>: token, skipped */
	SC_DONE			/* after the root element */
};

struct parse_state {
	XML_Parser				 p;
	enum doc				 doc;
	enum scope				 scope;
	unsigned int				 depth;
	int					 seen_ta;
	struct buf				 text;
	struct rfc8183_publisher_request	*req;
	struct rfc8183_repository_response	*resp;
	int					 failed;
	char					*err;
	size_t					 errlen;
	/* ERR_NAME_LEN characters, "..." and NUL (xml_printable) */
	char					 namebuf[ERR_NAME_LEN + 4];
};

static void	parse_fail(struct parse_state *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	parse_verr(struct parse_state *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

/*
 * Record the first error, prefixed with the section of the document
 * being parsed.  Later errors are ignored: the first one is the cause.
 */
static void
parse_verr(struct parse_state *st, const char *fmt, va_list ap)
{
	int	n;

	if (st->failed)
		return;
	st->failed = 1;
	n = snprintf(st->err, st->errlen, "RFC 8183 section %s: ",
	    docs[st->doc].section);
	if (n >= 0 && (size_t)n < st->errlen)
		vsnprintf(st->err + n, st->errlen - (size_t)n, fmt, ap);
}

/*
 * From a handler: record the error and stop expat.  Handlers return
 * early once failed is set (expat may deliver a callback or two more).
 */
static void
parse_fail(struct parse_state *st, const char *fmt, ...)
{
	va_list	ap;

	if (st->failed)
		return;
	va_start(ap, fmt);
	parse_verr(st, fmt, ap);
	va_end(ap);
	XML_StopParser(st->p, XML_FALSE);
}

/* Outside the handlers: record the error only. */
static void
doc_fail(struct parse_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
doc_fail(struct parse_state *st, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	parse_verr(st, fmt, ap);
	va_end(ap);
}

/* Element name for an error message: local if in our namespace. */
static const char *
elt_printable(struct parse_state *st, const char *name)
{
	return xml_printable_name(st->namebuf, sizeof(st->namebuf), name,
	    RFC8183_NS);
}

/*
 * Sort the attributes of element elt into vals[] (indexed by enum attr):
 * only those in allowed, each once, all of required.  0 or -1.
 */
static int
parse_attrs(struct parse_state *st, const char *elt, const char **attr,
    unsigned int allowed, unsigned int required, const char *vals[A_COUNT])
{
	const char	*bad;

	switch (xml_attrs_sort(attr, attr_names, A_COUNT, allowed, required,
	    vals, &bad)) {
	case XML_ATTR_OK:
		return 0;
	case XML_ATTR_UNKNOWN:
		parse_fail(st, "unknown attribute %s on <%s>",
		    xml_printable(st->namebuf, sizeof(st->namebuf), bad), elt);
		break;
	case XML_ATTR_DUPLICATE:
		parse_fail(st, "duplicate attribute %s on <%s>", bad, elt);
		break;
	case XML_ATTR_MISSING:
		parse_fail(st, "<%s> lacks the %s attribute", elt, bad);
		break;
	}
	return -1;
}

/*
 * An http(s) URI attribute (service_uri, rrdp_notification_uri): bounded,
 * printable ASCII without spaces, right scheme.  Returns a copy or NULL
 * after parse_fail().
 */
static char *
parse_http_uri(struct parse_state *st, enum attr a, const char *v)
{
	size_t	i, len = strlen(v);

	if (len == 0 || len > MAX_URI_LENGTH) {
		parse_fail(st, "%s is empty or longer than %d characters",
		    attr_names[a], MAX_URI_LENGTH);
		return NULL;
	}
	for (i = 0; i < len; i++) {
		if (v[i] <= 0x20 || v[i] >= 0x7f) {
			parse_fail(st, "%s contains the byte 0x%02x",
			    attr_names[a], (unsigned char)v[i]);
			return NULL;
		}
	}
	if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) {
		parse_fail(st, "%s \"%s\" is not an http(s) URI",
		    attr_names[a], xml_printable(st->namebuf,
		    sizeof(st->namebuf), v));
		return NULL;
	}
	return xstrdup(v);
}

/* The root element: version, handle, tag and, for a response, URIs. */
static void
start_root(struct parse_state *st, const char **attr)
{
	const char	*v[A_COUNT], *root = docs[st->doc].root;
	char		 why[128];
	unsigned int	 allowed, required;
	char		**handle, **tag;

	allowed = required = A(A_VERSION) | A(A_PUBLISHER_HANDLE);
	allowed |= A(A_TAG);
	if (st->doc == DOC_REPOSITORY_RESPONSE) {
		required |= A(A_SERVICE_URI) | A(A_SIA_BASE);
		allowed |= A(A_SERVICE_URI) | A(A_SIA_BASE) |
		    A(A_RRDP_NOTIFICATION_URI);
	}
	if (parse_attrs(st, root, attr, allowed, required, v) == -1)
		return;
	if (strcmp(v[A_VERSION], RFC8183_VERSION) != 0) {
		parse_fail(st, "unsupported version \"%s\" (expected "
		    RFC8183_VERSION ")", xml_printable(st->namebuf,
		    sizeof(st->namebuf), v[A_VERSION]));
		return;
	}
	if (!rfc8183_handle_valid(v[A_PUBLISHER_HANDLE])) {
		parse_fail(st, "publisher_handle \"%s\" is not a valid handle "
		    "(1-%d characters of A-Z a-z 0-9 - _ /, no empty path "
		    "part)", xml_printable(st->namebuf, sizeof(st->namebuf),
		    v[A_PUBLISHER_HANDLE]), MAX_HANDLE_LENGTH);
		return;
	}
	if (v[A_TAG] != NULL && strlen(v[A_TAG]) > MAX_TAG_LENGTH) {
		parse_fail(st, "tag longer than %d characters",
		    MAX_TAG_LENGTH);
		return;
	}

	if (st->doc == DOC_PUBLISHER_REQUEST) {
		st->req = xcalloc(1, sizeof(*st->req));
		handle = &st->req->handle;
		tag = &st->req->tag;
	} else {
		st->resp = xcalloc(1, sizeof(*st->resp));
		handle = &st->resp->handle;
		tag = &st->resp->tag;
		if (uri_valid_base(v[A_SIA_BASE], why, sizeof(why)) == -1) {
			parse_fail(st, "sia_base \"%s\": %s",
			    xml_printable(st->namebuf, sizeof(st->namebuf),
			    v[A_SIA_BASE]), why);
			return;
		}
		st->resp->sia_base = xstrdup(v[A_SIA_BASE]);
		if ((st->resp->service_uri = parse_http_uri(st, A_SERVICE_URI,
		    v[A_SERVICE_URI])) == NULL)
			return;
		if (v[A_RRDP_NOTIFICATION_URI] != NULL &&
		    (st->resp->rrdp_notification_uri = parse_http_uri(st,
		    A_RRDP_NOTIFICATION_URI, v[A_RRDP_NOTIFICATION_URI])) ==
		    NULL)
			return;
	}
	*handle = xstrdup(v[A_PUBLISHER_HANDLE]);
	if (v[A_TAG] != NULL)
		*tag = xstrdup(v[A_TAG]);
	st->scope = SC_ROOT;
}

/*
 * <referral referrer="..." [contact_uri="..."]>token</referral>: another
 * party vouching for this publisher.  We do not act on referrals, so the
 * attributes are only bounded and the token is skipped.
 */
static void
start_referral(struct parse_state *st, const char **attr)
{
	const char	*v[A_COUNT];

	if (parse_attrs(st, "referral", attr, A(A_REFERRER) | A(A_CONTACT_URI),
	    A(A_REFERRER), v) == -1)
		return;
	if (v[A_REFERRER][0] == '\0' ||
	    strlen(v[A_REFERRER]) > MAX_HANDLE_LENGTH) {
		parse_fail(st, "referral referrer is empty or longer than %d "
		    "characters", MAX_HANDLE_LENGTH);
		return;
	}
	if (v[A_CONTACT_URI] != NULL &&
	    strlen(v[A_CONTACT_URI]) > MAX_URI_LENGTH) {
		parse_fail(st, "referral contact_uri longer than %d "
		    "characters", MAX_URI_LENGTH);
		return;
	}
	st->req->has_referral = 1;
	st->scope = SC_REFERRAL;
}

static void
parse_start(void *data, const XML_Char *name, const XML_Char **attr)
{
	XML_Parser		 p = data;
	struct parse_state	*st = XML_GetUserData(p);
	const char		*local, *v[A_COUNT];

	if (st->failed)
		return;
	/* The grammar nests two deep; this is a backstop. */
	if (++st->depth > MAX_XML_DEPTH) {
		parse_fail(st, "elements nested deeper than %d",
		    MAX_XML_DEPTH);
		return;
	}
	local = xml_name_in_ns(name, RFC8183_NS);
	switch (st->scope) {
	case SC_DOC:
		if (local == NULL || strcmp(local, docs[st->doc].root) != 0) {
			parse_fail(st, "root element <%s> is not <%s> in "
			    "namespace " RFC8183_NS, elt_printable(st, name),
			    docs[st->doc].root);
			return;
		}
		start_root(st, attr);
		return;
	case SC_ROOT:
		if (local != NULL && strcmp(local, docs[st->doc].ta) == 0 &&
		    !st->seen_ta) {
			if (parse_attrs(st, docs[st->doc].ta, attr, 0, 0, v) ==
			    -1)
				return;
			st->seen_ta = 1;
			st->text.len = 0;
			st->scope = SC_BPKI_TA;
			return;
		}
		if (local != NULL && strcmp(local, "referral") == 0 &&
		    st->doc == DOC_PUBLISHER_REQUEST) {
			start_referral(st, attr);
			return;
		}
		break;
	default:
		break;
	}
	parse_fail(st, "unexpected element <%s>", elt_printable(st, name));
}

/* Decode the collected base64 DER certificate. */
static void
end_bpki_ta(struct parse_state *st)
{
	struct buf	der;
	uint8_t		**out;
	size_t		*outlen;

	if (st->text.len == 0) {
		parse_fail(st, "<%s> is empty", docs[st->doc].ta);
		return;
	}
	buf_init(&der);
	if (b64_decode(&der, (const char *)st->text.data, st->text.len,
	    MAX_BPKI_CERT_SIZE) == -1) {
		buf_free(&der);
		parse_fail(st, "<%s> is not valid base64 or decodes to more "
		    "than %u bytes", docs[st->doc].ta, MAX_BPKI_CERT_SIZE);
		return;
	}
	if (st->doc == DOC_PUBLISHER_REQUEST) {
		out = &st->req->bpki_ta;
		outlen = &st->req->bpki_ta_len;
	} else {
		out = &st->resp->bpki_ta;
		outlen = &st->resp->bpki_ta_len;
	}
	*out = buf_release(&der, outlen);
}

static void
parse_end(void *data, const XML_Char *name)
{
	XML_Parser		 p = data;
	struct parse_state	*st = XML_GetUserData(p);

	(void)name;
	if (st->failed)
		return;
	st->depth--;
	switch (st->scope) {
	case SC_ROOT:
		if (!st->seen_ta) {
			parse_fail(st, "<%s> lacks <%s>", docs[st->doc].root,
			    docs[st->doc].ta);
			return;
		}
		st->scope = SC_DONE;
		break;
	case SC_BPKI_TA:
		end_bpki_ta(st);
		st->scope = SC_ROOT;
		break;
	case SC_REFERRAL:
		st->scope = SC_ROOT;
		break;
	default:
		parse_fail(st, "unbalanced end of element");
		break;
	}
}

static void
parse_text(void *data, const XML_Char *s, int len)
{
	XML_Parser		 p = data;
	struct parse_state	*st = XML_GetUserData(p);
	/* Base64 characters of a MAX_BPKI_CERT_SIZE certificate. */
	const size_t		 max_b64 = (MAX_BPKI_CERT_SIZE + 2) / 3 * 4;

	if (st->failed)
		return;
	switch (st->scope) {
	case SC_BPKI_TA:
		/* Keep the base64 without its line breaks. */
		if (xml_text_add_nospace(&st->text, s, len, max_b64) == -1)
			parse_fail(st, "<%s> larger than %u bytes",
			    docs[st->doc].ta, MAX_BPKI_CERT_SIZE);
		return;
	case SC_REFERRAL:
		return;
	default:
		break;
	}
	if (!xml_text_is_space(s, len))
		parse_fail(st, "unexpected text in <%s>", docs[st->doc].root);
}

/*
 * Run the parser over a whole document.  Returns 0, or -1 with the
 * reason in st->err; st->req / st->resp hold what was built either way.
 */
static int
parse_doc(struct parse_state *st, const uint8_t *xml, size_t len)
{
	char	why[XML_WHY_LEN];
	int	rc = -1;

	if (len > MAX_RFC8183_SIZE) {
		doc_fail(st, "document of %zu bytes is larger than %u",
		    len, MAX_RFC8183_SIZE);
		return -1;
	}
	st->p = xml_parser_new();
	XML_SetUserData(st->p, st);
	XML_SetElementHandler(st->p, parse_start, parse_end);
	XML_SetCharacterDataHandler(st->p, parse_text);
	if (xml_parse_all(st->p, xml, len, why, sizeof(why)) == -1) {
		/* Ignored if our parse_fail() stopped expat: it said why. */
		doc_fail(st, "%s", why);
		goto out;
	}
	if (st->failed)
		goto out;
	if (st->scope != SC_DONE) {
		doc_fail(st, "no complete <%s> element", docs[st->doc].root);
		goto out;
	}
	rc = 0;
 out:
	XML_ParserFree(st->p);
	st->p = NULL;
	buf_free(&st->text);
	return rc;
}

static void
parse_init(struct parse_state *st, enum doc doc, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	st->doc = doc;
	st->scope = SC_DOC;
	buf_init(&st->text);
	st->err = err;
	st->errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
}

int
rfc8183_parse_publisher_request(const uint8_t *xml, size_t len,
    struct rfc8183_publisher_request **out, char *err, size_t errlen)
{
	struct parse_state	st;

	*out = NULL;
	parse_init(&st, DOC_PUBLISHER_REQUEST, err, errlen);
	if (parse_doc(&st, xml, len) == -1) {
		rfc8183_publisher_request_free(st.req);
		return -1;
	}
	*out = st.req;
	return 0;
}

int
rfc8183_parse_repository_response(const uint8_t *xml, size_t len,
    struct rfc8183_repository_response **out, char *err, size_t errlen)
{
	struct parse_state	st;

	*out = NULL;
	parse_init(&st, DOC_REPOSITORY_RESPONSE, err, errlen);
	if (parse_doc(&st, xml, len) == -1) {
		rfc8183_repository_response_free(st.resp);
		return -1;
	}
	*out = st.resp;
	return 0;
}

void
rfc8183_publisher_request_free(struct rfc8183_publisher_request *r)
{
	if (r == NULL)
		return;
	free(r->handle);
	free(r->tag);
	free(r->bpki_ta);
	free(r);
}

void
rfc8183_repository_response_free(struct rfc8183_repository_response *r)
{
	if (r == NULL)
		return;
	free(r->handle);
	free(r->tag);
	free(r->service_uri);
	free(r->sia_base);
	free(r->rrdp_notification_uri);
	free(r->bpki_ta);
	free(r);
}

static void
put_attr(struct buf *b, const char *name, const char *value)
{
	if (value == NULL)
		return;
	buf_printf(b, " %s=\"", name);
	rfc8181_add_xml(b, value);
	buf_addc(b, '"');
}

/* <elt>base64 in lines of B64_LINE</elt>, indented by two spaces. */
static void
put_bpki_ta(struct buf *b, const char *elt, const uint8_t *der, size_t len)
{
	struct buf	b64;
	size_t		off, n;

	buf_init(&b64);
	b64_encode(&b64, der, len);
	buf_printf(b, "  <%s>\n", elt);
	for (off = 0; off < b64.len; off += n) {
		n = b64.len - off < B64_LINE ? b64.len - off : B64_LINE;
		buf_adds(b, "    ");
		buf_add(b, b64.data + off, n);
		buf_addc(b, '\n');
	}
	buf_printf(b, "  </%s>\n", elt);
	buf_free(&b64);
}

/*
 * The writers take what a caller built or parsed; the handle must be
 * set and valid, which is the caller's duty (rpkipubctl checks it).
 * Referrals are not written: we never produce them.
 */
void
rfc8183_write_publisher_request(struct buf *b,
    const struct rfc8183_publisher_request *r)
{
	if (r->handle == NULL)
		fatalx("rfc8183_write_publisher_request: no handle");
	buf_adds(b, "<publisher_request xmlns=\"" RFC8183_NS "\" version=\""
	    RFC8183_VERSION "\"");
	put_attr(b, "publisher_handle", r->handle);
	put_attr(b, "tag", r->tag);
	buf_adds(b, ">\n");
	put_bpki_ta(b, "publisher_bpki_ta", r->bpki_ta, r->bpki_ta_len);
	buf_adds(b, "</publisher_request>\n");
}

void
rfc8183_write_repository_response(struct buf *b,
    const struct rfc8183_repository_response *r)
{
	if (r->handle == NULL || r->service_uri == NULL || r->sia_base == NULL)
		fatalx("rfc8183_write_repository_response: missing "
		    "handle, service_uri or sia_base");
	buf_adds(b, "<repository_response xmlns=\"" RFC8183_NS "\" version=\""
	    RFC8183_VERSION "\"");
	put_attr(b, "publisher_handle", r->handle);
	put_attr(b, "service_uri", r->service_uri);
	put_attr(b, "sia_base", r->sia_base);
	put_attr(b, "rrdp_notification_uri", r->rrdp_notification_uri);
	put_attr(b, "tag", r->tag);
	buf_adds(b, ">\n");
	put_bpki_ta(b, "repository_bpki_ta", r->bpki_ta, r->bpki_ta_len);
	buf_adds(b, "</repository_response>\n");
}

/*
 * Handle syntax as rfc8183.h states it: the RFC 8183 schema's character
 * set [-_A-Za-z0-9/] and length, and additionally no leading, trailing
 * or doubled '/', so a handle is always a safe relative path (with no
 * '.' in the set, "." and ".." cannot occur).
 */
int
rfc8183_handle_valid(const char *h)
{
	size_t	i, len;
	char	c;

	if (h == NULL)
		return 0;
	len = strnlen(h, MAX_HANDLE_LENGTH + 1);
	if (len == 0 || len > MAX_HANDLE_LENGTH)
		return 0;
	if (h[0] == '/' || h[len - 1] == '/')
		return 0;
	for (i = 0; i < len; i++) {
		c = h[i];
		if (c == '/') {
			if (h[i + 1] == '/')
				return 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}
