/*
 * RFC 8181 publication protocol messages: parser and writers.
 *
 * The parser is one streaming expat pass, in the manner of rpki-client's
 * RRDP parsers: a scope says where in the message we are, the start and
 * end handlers accept only what the RFC 8181 schema (Appendix A) allows
 * in that scope, attributes are checked against a whitelist per element,
 * and character data is kept only inside <publish> (base64, bounded by
 * max_object) and <error_text> (bounded by MAX_ERROR_TEXT).  The first
 * error stops expat and becomes the one-line reason given to the caller.
 *
 * The parser does not check URIs against a publisher's jail: that needs
 * the publisher's sia_base and is the engine's job (uri_in_jail).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding.h"
#include "bounds.h"
#include "log.h"
#include "rfc8181_msg.h"
#include "xml.h"

#define RFC8181_VERSION	"4"
#define ERR_NAME_LEN	96		/* input echoed in an error message */

static const char *const error_names[ERR_COUNT] = {
	[ERR_XML] = "xml_error",
	[ERR_PERMISSION] = "permission_failure",
	[ERR_BAD_CMS] = "bad_cms_signature",
	[ERR_ALREADY_PRESENT] = "object_already_present",
	[ERR_NO_OBJECT] = "no_object_present",
	[ERR_NO_MATCHING_HASH] = "no_object_matching_hash",
	[ERR_CONSISTENCY] = "consistency_problem",
	[ERR_OTHER] = "other_error",
};

/* Elements of RFC 8181 and the section that defines each. */
enum elt {
	E_MSG,
	E_PUBLISH,
	E_WITHDRAW,
	E_LIST,
	E_SUCCESS,
	E_REPORT_ERROR,
	E_ERROR_TEXT,
	E_FAILED_PDU,
	E_UNKNOWN
};

static const struct {
	const char	*name;
	const char	*section;
} elts[E_UNKNOWN] = {
	[E_MSG] = { "msg", "2.1" },
	[E_PUBLISH] = { "publish", "2.2" },
	[E_WITHDRAW] = { "withdraw", "2.2" },
	[E_LIST] = { "list", "2.3" },
	[E_SUCCESS] = { "success", "2.2" },
	[E_REPORT_ERROR] = { "report_error", "2.4" },
	[E_ERROR_TEXT] = { "error_text", "2.4" },
	[E_FAILED_PDU] = { "failed_pdu", "2.4" },
};

enum attr {
	A_VERSION,
	A_TYPE,
	A_URI,
	A_HASH,
	A_TAG,
	A_ERROR_CODE,
	A_COUNT
};

static const char *const attr_names[A_COUNT] = {
	"version", "type", "uri", "hash", "tag", "error_code"
};

#define A(x)	(1u << (x))

/*
 * Where the parser is.  Each scope names the element whose content is
 * being read, and so what may come next.
 */
enum scope {
	SC_DOC,			/* before <msg> */
	SC_MSG,			/* in <msg>, between PDUs */
	SC_PUBLISH,		/* in <publish>: base64 */
	SC_EMPTY,		/* in <withdraw>, <list> or <success>: nothing */
	SC_REPORT_ERROR,	/* in <report_error>, between its children */
	SC_ERROR_TEXT,		/* in <error_text> */
	SC_FAILED_PDU,		/* in <failed_pdu>, before its PDU */
	SC_FAILED_ELT,		/* in the PDU inside <failed_pdu>: skipped */
	SC_FAILED_DONE,		/* in <failed_pdu>, after its PDU */
	SC_DONE			/* after </msg> */
};

/* The element whose content each scope reads, for error messages. */
static const enum elt scope_elt[] = {
	[SC_DOC] = E_UNKNOWN,
	[SC_MSG] = E_MSG,
	[SC_PUBLISH] = E_PUBLISH,
	[SC_EMPTY] = E_UNKNOWN,		/* set from pdu_elt */
	[SC_REPORT_ERROR] = E_REPORT_ERROR,
	[SC_ERROR_TEXT] = E_ERROR_TEXT,
	[SC_FAILED_PDU] = E_FAILED_PDU,
	[SC_FAILED_ELT] = E_FAILED_PDU,
	[SC_FAILED_DONE] = E_FAILED_PDU,
	[SC_DONE] = E_UNKNOWN,
};

struct parse_state {
	XML_Parser		 p;
	struct rfc8181_msg	*msg;
	size_t			 pdus_cap;	/* allocated msg->pdus */
	size_t			 max_object;
	size_t			 max_b64;	/* base64 chars for max_object */
	enum scope		 scope;
	enum elt		 pdu_elt;	/* the PDU being read */
	unsigned int		 depth;
	int			 has_list;	/* query holds a <list/> */
	int			 seen_error_text;
	int			 seen_failed_pdu;
	int			 text_truncated;
	struct buf		 text;		/* publish or error_text */
	int			 failed;
	char			*err;
	size_t			 errlen;
	/* ERR_NAME_LEN characters, "..." and NUL (xml_printable) */
	char			 namebuf[ERR_NAME_LEN + 4];
};

static void	parse_fail(struct parse_state *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * Record the first error and stop expat.  Later calls are ignored, and
 * handlers return early once failed is set (expat may still deliver a
 * callback or two after XML_StopParser).
 */
static void
parse_fail(struct parse_state *st, const char *fmt, ...)
{
	va_list	ap;

	if (st->failed)
		return;
	st->failed = 1;
	if (st->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(st->err, st->errlen, fmt, ap);
		va_end(ap);
	}
	XML_StopParser(st->p, XML_FALSE);
}

/*
 * Element name for an error message: the local name for our namespace,
 * the expat "ns|local" form otherwise (which shows the wrong namespace).
 */
static const char *
elt_printable(struct parse_state *st, const char *name)
{
	return xml_printable_name(st->namebuf, sizeof(st->namebuf), name,
	    RFC8181_NS);
}

static enum elt
elt_lookup(const char *name)
{
	const char	*local;
	int		 i;

	if ((local = xml_name_in_ns(name, RFC8181_NS)) == NULL)
		return E_UNKNOWN;
	for (i = 0; i < E_UNKNOWN; i++)
		if (strcmp(local, elts[i].name) == 0)
			return i;
	return E_UNKNOWN;
}

/*
 * Sort the attributes of element e into vals[], which is indexed by enum
 * attr.  Only the attributes in allowed may appear, each once, and all
 * those in required must.  Returns 0, or -1 after parse_fail().
 */
static int
parse_attrs(struct parse_state *st, enum elt e, const char **attr,
    unsigned int allowed, unsigned int required, const char *vals[A_COUNT])
{
	const char	*bad;

	switch (xml_attrs_sort(attr, attr_names, A_COUNT, allowed, required,
	    vals, &bad)) {
	case XML_ATTR_OK:
		return 0;
	case XML_ATTR_UNKNOWN:
		parse_fail(st, "RFC 8181 section %s: unknown attribute %s on "
		    "<%s>", elts[e].section, xml_printable(st->namebuf,
		    sizeof(st->namebuf), bad), elts[e].name);
		break;
	case XML_ATTR_DUPLICATE:
		parse_fail(st, "RFC 8181 section %s: duplicate attribute %s on "
		    "<%s>", elts[e].section, bad, elts[e].name);
		break;
	case XML_ATTR_MISSING:
		parse_fail(st, "RFC 8181 section %s: <%s> lacks the %s "
		    "attribute", elts[e].section, elts[e].name, bad);
		break;
	}
	return -1;
}

/* <msg version="4" type="query|reply">, RFC 8181 section 2.1. */
static void
start_msg(struct parse_state *st, const char **attr)
{
	const char	*v[A_COUNT];

	if (parse_attrs(st, E_MSG, attr, A(A_VERSION) | A(A_TYPE),
	    A(A_VERSION) | A(A_TYPE), v) == -1)
		return;
	if (strcmp(v[A_VERSION], RFC8181_VERSION) != 0) {
		parse_fail(st, "RFC 8181 section 2.1: unsupported version "
		    "\"%s\" (expected " RFC8181_VERSION ")",
		    xml_printable(st->namebuf, sizeof(st->namebuf),
		    v[A_VERSION]));
		return;
	}
	st->msg = xcalloc(1, sizeof(*st->msg));
	if (strcmp(v[A_TYPE], "query") == 0)
		st->msg->type = RFC8181_QUERY;
	else if (strcmp(v[A_TYPE], "reply") == 0)
		st->msg->type = RFC8181_REPLY;
	else {
		parse_fail(st, "RFC 8181 section 2.1: message type \"%s\" is "
		    "neither query nor reply", xml_printable(st->namebuf,
		    sizeof(st->namebuf), v[A_TYPE]));
		return;
	}
	st->scope = SC_MSG;
}

static struct rfc8181_pdu *
msg_add_pdu(struct parse_state *st, enum rfc8181_pdu_type type)
{
	struct rfc8181_msg	*m = st->msg;
	struct rfc8181_pdu	*pdu;

	if (m->npdus == st->pdus_cap) {
		st->pdus_cap = st->pdus_cap ? st->pdus_cap * 2 : 16;
		m->pdus = xrealloc(m->pdus, st->pdus_cap * sizeof(*m->pdus));
	}
	pdu = &m->pdus[m->npdus++];
	memset(pdu, 0, sizeof(*pdu));
	pdu->type = type;
	return pdu;
}

/*
 * Copy the uri, tag and hash attributes present in v into pdu, with
 * their bounds.  Returns 0 or -1 after parse_fail().
 */
static int
pdu_set_attrs(struct parse_state *st, enum elt e, struct rfc8181_pdu *pdu,
    const char *v[A_COUNT])
{
	const char	*sec = elts[e].section;

	if (v[A_URI] != NULL) {
		if (v[A_URI][0] == '\0') {
			parse_fail(st, "RFC 8181 section %s: <%s> has an "
			    "empty uri", sec, elts[e].name);
			return -1;
		}
		if (strlen(v[A_URI]) > MAX_URI_LENGTH) {
			parse_fail(st, "RFC 8181 section %s: <%s> uri longer "
			    "than %d characters", sec, elts[e].name,
			    MAX_URI_LENGTH);
			return -1;
		}
		pdu->uri = xstrdup(v[A_URI]);
	}
	if (v[A_TAG] != NULL) {
		if (strlen(v[A_TAG]) > MAX_TAG_LENGTH) {
			parse_fail(st, "RFC 8181 section %s: <%s> tag longer "
			    "than %d characters", sec, elts[e].name,
			    MAX_TAG_LENGTH);
			return -1;
		}
		pdu->tag = xstrdup(v[A_TAG]);
	}
	if (v[A_HASH] != NULL) {
		/* The schema allows any hex; the hash is SHA-256. */
		if (hex_decode(pdu->hash, sizeof(pdu->hash), v[A_HASH]) ==
		    -1) {
			parse_fail(st, "RFC 8181 section %s: <%s> hash is not "
			    "64 hex digits (SHA-256)", sec, elts[e].name);
			return -1;
		}
		pdu->has_hash = 1;
	}
	return 0;
}

/*
 * A PDU inside <msg>.  Queries carry publish, withdraw and list; replies
 * carry success, list and report_error (RFC 8181 section 2.1); list is
 * the one element of both, with different attributes.
 */
static void
start_pdu(struct parse_state *st, const char *name, enum elt e,
    const char **attr)
{
	struct rfc8181_pdu	*pdu;
	enum rfc8181_pdu_type	 type;
	const char		*v[A_COUNT];
	unsigned int		 allowed, required;
	int			 query = st->msg->type == RFC8181_QUERY;

	switch (e) {
	case E_PUBLISH:
	case E_WITHDRAW:
		if (!query) {
			parse_fail(st, "RFC 8181 section 2.1: query PDU <%s> "
			    "in a reply", elts[e].name);
			return;
		}
		break;
	case E_SUCCESS:
	case E_REPORT_ERROR:
		if (query) {
			parse_fail(st, "RFC 8181 section 2.1: reply PDU <%s> "
			    "in a query", elts[e].name);
			return;
		}
		break;
	case E_LIST:
		break;
	default:
		parse_fail(st, "RFC 8181 section 2.1: unexpected element <%s> "
		    "in <msg>", elt_printable(st, name));
		return;
	}
	if (st->msg->npdus >= (query ? MAX_PDUS_PER_QUERY :
	    MAX_PDUS_PER_REPLY)) {
		parse_fail(st, "RFC 8181 section 2.1: more than %d PDUs in one "
		    "message", query ? MAX_PDUS_PER_QUERY : MAX_PDUS_PER_REPLY);
		return;
	}
	/* A list query asks for the whole publication point: alone. */
	if (query && (st->has_list || (e == E_LIST && st->msg->npdus > 0))) {
		parse_fail(st, "RFC 8181 section 2.3: a <list/> query must be "
		    "the only PDU of its message");
		return;
	}

	switch (e) {
	case E_PUBLISH:
		type = PDU_PUBLISH;
		allowed = A(A_URI) | A(A_HASH) | A(A_TAG);
		required = A(A_URI);
		break;
	case E_WITHDRAW:
		type = PDU_WITHDRAW;
		allowed = A(A_URI) | A(A_HASH) | A(A_TAG);
		required = A(A_URI) | A(A_HASH);
		break;
	case E_LIST:
		type = PDU_LIST;
		allowed = query ? A(A_TAG) : A(A_URI) | A(A_HASH) | A(A_TAG);
		required = query ? 0 : A(A_URI) | A(A_HASH);
		break;
	case E_SUCCESS:
		type = PDU_SUCCESS;
		allowed = required = 0;
		break;
	default:	/* E_REPORT_ERROR */
		type = PDU_REPORT_ERROR;
		allowed = A(A_ERROR_CODE) | A(A_TAG);
		required = A(A_ERROR_CODE);
		break;
	}
	if (parse_attrs(st, e, attr, allowed, required, v) == -1)
		return;
	pdu = msg_add_pdu(st, type);
	if (type == PDU_LIST)
		st->has_list = 1;
	if (pdu_set_attrs(st, e, pdu, v) == -1)
		return;

	st->pdu_elt = e;
	switch (e) {
	case E_PUBLISH:
		st->text.len = 0;
		st->scope = SC_PUBLISH;
		break;
	case E_REPORT_ERROR:
		if ((pdu->error = rfc8181_error_from_name(v[A_ERROR_CODE])) ==
		    ERR_NONE) {
			parse_fail(st, "RFC 8181 section 2.5: unknown "
			    "error_code \"%s\"", xml_printable(st->namebuf,
			    sizeof(st->namebuf), v[A_ERROR_CODE]));
			return;
		}
		st->seen_error_text = st->seen_failed_pdu = 0;
		st->scope = SC_REPORT_ERROR;
		break;
	default:
		st->scope = SC_EMPTY;
		break;
	}
}

/*
 * Children of <report_error>, in schema order: an optional <error_text>,
 * then an optional <failed_pdu> (RFC 8181 section 2.4).  Neither has
 * attributes.
 */
static void
start_report_child(struct parse_state *st, const char *name, enum elt e,
    const char **attr)
{
	const char	*v[A_COUNT];

	if (e == E_ERROR_TEXT && !st->seen_error_text &&
	    !st->seen_failed_pdu) {
		if (parse_attrs(st, e, attr, 0, 0, v) == -1)
			return;
		st->seen_error_text = 1;
		st->text.len = 0;
		st->text_truncated = 0;
		st->scope = SC_ERROR_TEXT;
	} else if (e == E_FAILED_PDU && !st->seen_failed_pdu) {
		if (parse_attrs(st, e, attr, 0, 0, v) == -1)
			return;
		st->seen_failed_pdu = 1;
		st->scope = SC_FAILED_PDU;
	} else
		parse_fail(st, "RFC 8181 section 2.4: unexpected element <%s> "
		    "in <report_error>", elt_printable(st, name));
}

/*
 * What a publisher needs to say which of its PDUs failed: the type and
 * uri of the PDU echoed in <failed_pdu> (RFC 8181 section 2.4).  Its
 * other attributes and its content are not kept (nor checked: it is the
 * server's copy of what the publisher sent).
 */
static void
failed_pdu_keep(struct rfc8181_pdu *pdu, enum elt e, const char **attr)
{
	size_t	i;

	pdu->has_failed_pdu = 1;
	pdu->failed_type = e == E_PUBLISH ? PDU_PUBLISH : e == E_WITHDRAW ?
	    PDU_WITHDRAW : PDU_LIST;
	for (i = 0; attr[i] != NULL; i += 2) {
		if (strcmp(attr[i], "uri") == 0 && pdu->failed_uri == NULL &&
		    strlen(attr[i + 1]) <= MAX_URI_LENGTH)
			pdu->failed_uri = xstrdup(attr[i + 1]);
	}
}

static void
parse_start(void *data, const XML_Char *name, const XML_Char **attr)
{
	XML_Parser		 p = data;
	struct parse_state	*st = XML_GetUserData(p);
	enum elt		 e, in;

	if (st->failed)
		return;
	/* The grammar nests four deep at most; this is a backstop. */
	if (++st->depth > MAX_XML_DEPTH) {
		parse_fail(st, "RFC 8181 section 2.1: elements nested deeper "
		    "than %d", MAX_XML_DEPTH);
		return;
	}
	e = elt_lookup(name);
	switch (st->scope) {
	case SC_DOC:
		if (e != E_MSG) {
			parse_fail(st, "RFC 8181 section 2.1: root element "
			    "<%s> is not <msg> in namespace " RFC8181_NS,
			    elt_printable(st, name));
			return;
		}
		start_msg(st, attr);
		break;
	case SC_MSG:
		start_pdu(st, name, e, attr);
		break;
	case SC_REPORT_ERROR:
		start_report_child(st, name, e, attr);
		break;
	case SC_FAILED_PDU:
		/*
		 * The PDU that failed, echoed back by the server: check
		 * that it is a query PDU, skip its attributes and content.
		 */
		if (e != E_PUBLISH && e != E_WITHDRAW && e != E_LIST) {
			parse_fail(st, "RFC 8181 section 2.4: <failed_pdu> "
			    "holds <%s>, not a query PDU",
			    elt_printable(st, name));
			return;
		}
		failed_pdu_keep(&st->msg->pdus[st->msg->npdus - 1], e, attr);
		st->scope = SC_FAILED_ELT;
		break;
	default:
		in = st->scope == SC_EMPTY ? st->pdu_elt : scope_elt[st->scope];
		if (in == E_UNKNOWN)
			in = E_MSG;
		parse_fail(st, "RFC 8181 section %s: unexpected element <%s> "
		    "in <%s>", elts[in].section, elt_printable(st, name),
		    elts[in].name);
		break;
	}
}

/*
 * Decode the collected base64 of a <publish> into its PDU.  The text was
 * capped at the base64 length of max_object, so decoding is bounded; the
 * exact bound is checked on the result.
 */
static void
end_publish(struct parse_state *st)
{
	struct rfc8181_pdu	*pdu = &st->msg->pdus[st->msg->npdus - 1];
	struct buf		 der;

	if (st->text.len == 0) {
		parse_fail(st, "RFC 8181 section 2.2: <publish> of %s has no "
		    "content", xml_printable(st->namebuf,
		    sizeof(st->namebuf), pdu->uri));
		return;
	}
	buf_init(&der);
	if (b64_decode(&der, (const char *)st->text.data, st->text.len,
	    b64_decoded_max(st->text.len)) == -1) {
		buf_free(&der);
		parse_fail(st, "RFC 8181 section 2.2: publish content of %s is "
		    "not valid base64", xml_printable(st->namebuf,
		    sizeof(st->namebuf), pdu->uri));
		return;
	}
	if (der.len > st->max_object) {
		buf_free(&der);
		parse_fail(st, "RFC 8181 section 2.2: object %s is larger than "
		    "%zu bytes", xml_printable(st->namebuf,
		    sizeof(st->namebuf), pdu->uri), st->max_object);
		return;
	}
	pdu->der = buf_release(&der, &pdu->der_len);
}

/*
 * Store the collected <error_text>.  If it was cut at MAX_ERROR_TEXT,
 * drop a UTF-8 sequence left incomplete by the cut.
 */
static void
end_error_text(struct parse_state *st)
{
	struct rfc8181_pdu	*pdu = &st->msg->pdus[st->msg->npdus - 1];
	const uint8_t		*t = st->text.data;
	size_t			 len = st->text.len, i, need;

	if (st->text_truncated && len > 0) {
		i = len - 1;
		while (i > 0 && (t[i] & 0xc0) == 0x80)
			i--;
		if (t[i] >= 0xf0)
			need = 4;
		else if (t[i] >= 0xe0)
			need = 3;
		else if (t[i] >= 0xc0)
			need = 2;
		else
			need = 1;
		if (len - i < need)
			len = i;
	}
	pdu->error_text = xstrndup(len > 0 ? (const char *)t : "", len);
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
	/* expat matches end tags to start tags, so the scope says which. */
	switch (st->scope) {
	case SC_MSG:
		st->scope = SC_DONE;
		break;
	case SC_PUBLISH:
		end_publish(st);
		st->scope = SC_MSG;
		break;
	case SC_EMPTY:
	case SC_REPORT_ERROR:
		st->scope = SC_MSG;
		break;
	case SC_ERROR_TEXT:
		end_error_text(st);
		st->scope = SC_REPORT_ERROR;
		break;
	case SC_FAILED_PDU:
		parse_fail(st, "RFC 8181 section 2.4: <failed_pdu> holds no "
		    "PDU");
		break;
	case SC_FAILED_ELT:
		st->scope = SC_FAILED_DONE;
		break;
	case SC_FAILED_DONE:
		st->scope = SC_REPORT_ERROR;
		break;
	default:
		parse_fail(st, "RFC 8181 section 2.1: unbalanced end of "
		    "element");
		break;
	}
}

static void
parse_text(void *data, const XML_Char *s, int len)
{
	XML_Parser		 p = data;
	struct parse_state	*st = XML_GetUserData(p);
	size_t			 room;
	enum elt		 in;

	if (st->failed)
		return;
	switch (st->scope) {
	case SC_PUBLISH:
		/*
		 * Base64 without its whitespace, at most max_b64
		 * characters.  The alphabet is checked when the element
		 * ends.
		 */
		if (xml_text_add_nospace(&st->text, s, len, st->max_b64) ==
		    -1)
			parse_fail(st, "RFC 8181 section 2.2: object %s is "
			    "larger than %zu bytes", xml_printable(st->namebuf,
			    sizeof(st->namebuf),
			    st->msg->pdus[st->msg->npdus - 1].uri),
			    st->max_object);
		return;
	case SC_ERROR_TEXT:
		/* Diagnostic text only: keep the first MAX_ERROR_TEXT bytes. */
		room = MAX_ERROR_TEXT - st->text.len;
		if ((size_t)len > room) {
			st->text_truncated = 1;
			len = (int)room;
		}
		buf_add(&st->text, s, (size_t)len);
		return;
	case SC_FAILED_ELT:
		return;
	default:
		break;
	}
	if (!xml_text_is_space(s, len)) {
		in = st->scope == SC_EMPTY ? st->pdu_elt : scope_elt[st->scope];
		if (in == E_UNKNOWN)
			in = E_MSG;
		parse_fail(st, "RFC 8181 section %s: unexpected text in <%s>",
		    elts[in].section, elts[in].name);
	}
}

int
rfc8181_parse(const uint8_t *xml, size_t len, size_t max_object,
    struct rfc8181_msg **out, char *err, size_t errlen)
{
	struct parse_state	 st;
	char			 why[XML_WHY_LEN];
	int			 rc = -1;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	memset(&st, 0, sizeof(st));
	buf_init(&st.text);
	st.err = err;
	st.errlen = errlen;
	st.max_object = max_object;
	/* 4 base64 characters per 3 bytes, rounded up. */
	if (max_object / 3 >= SIZE_MAX / 4 - 1)
		st.max_b64 = SIZE_MAX;
	else
		st.max_b64 = (max_object / 3 + (max_object % 3 != 0)) * 4;
	st.scope = SC_DOC;
	st.p = xml_parser_new();
	XML_SetUserData(st.p, &st);
	XML_SetElementHandler(st.p, parse_start, parse_end);
	XML_SetCharacterDataHandler(st.p, parse_text);

	if (xml_parse_all(st.p, xml, len, why, sizeof(why)) == -1) {
		/* If our own parse_fail() stopped expat, it said why. */
		if (!st.failed)
			snprintf(err, errlen, "RFC 8181 section 2.1: %s", why);
		goto out;
	}
	if (st.failed)
		goto out;
	if (st.scope != SC_DONE || st.msg == NULL) {
		snprintf(err, errlen, "RFC 8181 section 2.1: no complete <msg> "
		    "element");
		goto out;
	}
	*out = st.msg;
	st.msg = NULL;
	rc = 0;
 out:
	XML_ParserFree(st.p);
	buf_free(&st.text);
	rfc8181_msg_free(st.msg);
	return rc;
}

void
rfc8181_msg_free(struct rfc8181_msg *m)
{
	size_t	i;

	if (m == NULL)
		return;
	for (i = 0; i < m->npdus; i++) {
		free(m->pdus[i].uri);
		free(m->pdus[i].tag);
		free(m->pdus[i].der);
		free(m->pdus[i].error_text);
		free(m->pdus[i].failed_uri);
	}
	free(m->pdus);
	free(m);
}

const char *
rfc8181_error_name(enum rfc8181_error e)
{
	if (e <= ERR_NONE || e >= ERR_COUNT)
		return NULL;
	return error_names[e];
}

enum rfc8181_error
rfc8181_error_from_name(const char *name)
{
	int	i;

	for (i = ERR_NONE + 1; i < ERR_COUNT; i++)
		if (strcmp(name, error_names[i]) == 0)
			return i;
	return ERR_NONE;
}

/*
 * Length of the UTF-8 sequence at s if it encodes a character allowed in
 * XML 1.0 (section 2.2), 0 otherwise.  s[0] >= 0x80.  Stops at a NUL,
 * which is never a continuation byte.
 */
static size_t
utf8_xml_char(const unsigned char *s)
{
	uint32_t	cp;
	size_t		len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

/*
 * buf_add_xml() escapes the markup characters only: a tab, LF or CR in
 * an attribute would be read back as a space (XML 1.0 section 3.3.3),
 * and a control character or invalid UTF-8 makes the document
 * ill-formed.  Whatever text the engine reports, the reply must parse.
 */
void
rfc8181_add_xml(struct buf *b, const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, start = 0, n;

	while (u[i] != '\0') {
		if (u[i] >= 0x20 && u[i] < 0x80) {
			i++;
			continue;
		}
		if (u[i] >= 0x80 && (n = utf8_xml_char(u + i)) > 0) {
			i += n;
			continue;
		}
		buf_add_xml(b, s + start, i - start);
		if (u[i] == '\t' || u[i] == '\n' || u[i] == '\r')
			buf_printf(b, "&#%d;", u[i]);
		else
			buf_addc(b, '?');
		start = ++i;
	}
	buf_add_xml(b, s + start, i - start);
}

static void
put_attr(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, " %s=\"", name);
	rfc8181_add_xml(b, value);
	buf_addc(b, '"');
}

static void
put_hash(struct buf *b, const uint8_t *hash)
{
	char	hex[2 * 32 + 1];

	hex_encode(hex, hash, 32);
	buf_printf(b, " hash=\"%s\"", hex);
}

/* No XML declaration: the document is UTF-8 (ASCII in practice). */
void
rfc8181_write_begin(struct buf *b, enum rfc8181_msg_type type)
{
	buf_printf(b, "<msg xmlns=\"" RFC8181_NS "\" version=\""
	    RFC8181_VERSION "\" type=\"%s\">\n",
	    type == RFC8181_QUERY ? "query" : "reply");
}

void
rfc8181_write_end(struct buf *b)
{
	buf_adds(b, "</msg>\n");
}

/* hash NULL: a new object; otherwise the SHA-256 of the one replaced. */
void
rfc8181_write_publish(struct buf *b, const char *uri, const uint8_t *hash,
    const uint8_t *der, size_t len, const char *tag)
{
	buf_adds(b, "<publish");
	put_attr(b, "uri", uri);
	if (hash != NULL)
		put_hash(b, hash);
	if (tag != NULL)
		put_attr(b, "tag", tag);
	buf_addc(b, '>');
	b64_encode(b, der, len);
	buf_adds(b, "</publish>\n");
}

void
rfc8181_write_withdraw(struct buf *b, const char *uri, const uint8_t *hash,
    const char *tag)
{
	buf_adds(b, "<withdraw");
	put_attr(b, "uri", uri);
	put_hash(b, hash);
	if (tag != NULL)
		put_attr(b, "tag", tag);
	buf_adds(b, "/>\n");
}

void
rfc8181_write_list_query(struct buf *b, const char *tag)
{
	buf_adds(b, "<list");
	if (tag != NULL)
		put_attr(b, "tag", tag);
	buf_adds(b, "/>\n");
}

void
rfc8181_write_list_reply(struct buf *b, const char *uri, const uint8_t *hash)
{
	buf_adds(b, "<list");
	put_attr(b, "uri", uri);
	put_hash(b, hash);
	buf_adds(b, "/>\n");
}

void
rfc8181_write_success(struct buf *b)
{
	buf_adds(b, "<success/>\n");
}

/*
 * <report_error>, RFC 8181 section 2.4: error_text when text is given,
 * and failed_pdu holding the query PDU re-serialised when given.  A
 * failed_pdu that is not a query PDU is left out (the schema allows only
 * those).  An unknown code is a bug in the caller.
 */
void
rfc8181_write_error(struct buf *b, enum rfc8181_error code, const char *tag,
    const char *text, const struct rfc8181_pdu *failed_pdu)
{
	const char	*name;

	if ((name = rfc8181_error_name(code)) == NULL)
		fatalx("rfc8181_write_error: bad error code %d", (int)code);
	buf_printf(b, "<report_error error_code=\"%s\"", name);
	if (tag != NULL)
		put_attr(b, "tag", tag);
	buf_adds(b, ">\n");
	if (text != NULL) {
		buf_adds(b, "<error_text>");
		rfc8181_add_xml(b, text);
		buf_adds(b, "</error_text>\n");
	}
	if (failed_pdu != NULL && (failed_pdu->type == PDU_PUBLISH ||
	    failed_pdu->type == PDU_WITHDRAW || failed_pdu->type == PDU_LIST)) {
		buf_adds(b, "<failed_pdu>");
		switch (failed_pdu->type) {
		case PDU_PUBLISH:
			rfc8181_write_publish(b, failed_pdu->uri != NULL ?
			    failed_pdu->uri : "", failed_pdu->has_hash ?
			    failed_pdu->hash : NULL, failed_pdu->der,
			    failed_pdu->der_len, failed_pdu->tag);
			break;
		case PDU_WITHDRAW:
			buf_adds(b, "<withdraw");
			put_attr(b, "uri", failed_pdu->uri != NULL ?
			    failed_pdu->uri : "");
			if (failed_pdu->has_hash)
				put_hash(b, failed_pdu->hash);
			if (failed_pdu->tag != NULL)
				put_attr(b, "tag", failed_pdu->tag);
			buf_adds(b, "/>\n");
			break;
		default:
			rfc8181_write_list_query(b, failed_pdu->tag);
			break;
		}
		buf_adds(b, "</failed_pdu>\n");
	}
	buf_adds(b, "</report_error>\n");
}
