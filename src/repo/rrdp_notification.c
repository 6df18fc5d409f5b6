/*
 * RRDP update notification file, RFC 8182 section 3.5.1.
 *
 * One expat pass over the whole (bounded) buffer.  The document is
 *
 *   <notification xmlns=RRDP_NS version="1" session_id=UUID serial=N>
 *     <snapshot uri=".." hash=".."/>
 *     <delta serial=".." uri=".." hash=".."/>*
 *   </notification>
 *
 * and a scope says where we are: before the root, inside it before or
 * after the snapshot, inside an (empty) child, after the root.  Anything
 * else, including non-white-space text anywhere, stops the parse with a
 * reason citing the section.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"
#include "encoding.h"
#include "log.h"
#include "rrdp_notification.h"
#include "xml.h"

#define SEC		"RFC 8182 section 3.5.1.3"
#define ERR_NAME_LEN	96

enum attr {
	A_VERSION,
	A_SESSION,
	A_SERIAL,
	A_URI,
	A_HASH,
	A_COUNT
};

static const char *const attr_names[A_COUNT] = {
	"version", "session_id", "serial", "uri", "hash"
};

#define A(x)	(1u << (x))

enum scope {
	SC_DOC,		/* before <notification> */
	SC_ROOT,	/* in <notification>, before <snapshot> */
	SC_DELTAS,	/* in <notification>, after <snapshot> */
	SC_CHILD,	/* in <snapshot> or <delta>: empty */
	SC_DONE		/* after </notification> */
};

struct parse_state {
	XML_Parser			 p;
	struct rrdp_notification	*n;
	size_t				 deltas_cap;
	enum scope			 scope;
	enum scope			 after_child;	/* scope after </child> */
	int				 failed;
	char				*err;
	size_t				 errlen;
	char				 namebuf[ERR_NAME_LEN + 4];
};

static void	parse_fail(struct parse_state *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Record the first error and stop expat; later calls are ignored. */
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

static const char *
printable(struct parse_state *st, const char *s)
{
	return xml_printable(st->namebuf, sizeof(st->namebuf), s);
}

int
rrdp_session_valid(const char *s)
{
	size_t	i;

	if (strlen(s) != RRDP_SESSION_LEN)
		return -1;
	for (i = 0; i < RRDP_SESSION_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
		} else if (hex_value(s[i]) == -1)
			return -1;
	}
	/* RFC 4122 section 4.1.3 version 4, section 4.1.1 variant 10xx. */
	if (s[14] != '4')
		return -1;
	if (strchr("89abAB", s[19]) == NULL)
		return -1;
	return 0;
}

int
rrdp_serial_parse(const char *s, int64_t *out)
{
	int64_t	v = 0;
	size_t	i;

	if (s[0] < '1' || s[0] > '9')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
rrdp_hash_parse(const char *s, uint8_t hash[32])
{
	/* Exactly 64 digits: hex_decode checks the length. */
	return hex_decode(hash, 32, s);
}

int
rrdp_uri_valid(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= MAX_URI_LENGTH)
			return -1;
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return -1;
	}
	return i == 0 ? -1 : 0;
}

/*
 * Whitelist the attributes of element name (for messages) into vals[].
 * Returns 0, or -1 after parse_fail().
 */
static int
parse_attrs(struct parse_state *st, const char *name, const char **attr,
    unsigned int allowed, const char *vals[A_COUNT])
{
	const char	*bad;

	switch (xml_attrs_sort(attr, attr_names, A_COUNT, allowed, allowed,
	    vals, &bad)) {
	case XML_ATTR_OK:
		return 0;
	case XML_ATTR_UNKNOWN:
		parse_fail(st, SEC ": unknown attribute %s on <%s>",
		    printable(st, bad), name);
		break;
	case XML_ATTR_DUPLICATE:
		parse_fail(st, SEC ": duplicate attribute %s on <%s>", bad,
		    name);
		break;
	case XML_ATTR_MISSING:
		parse_fail(st, SEC ": <%s> lacks the %s attribute", name, bad);
		break;
	}
	return -1;
}

/* uri and hash of <snapshot> or <delta>.  0 or -1 after parse_fail(). */
static int
parse_ref(struct parse_state *st, const char *name, const char *v[A_COUNT],
    char **uri, uint8_t hash[32])
{
	if (rrdp_uri_valid(v[A_URI]) == -1) {
		parse_fail(st, SEC ": <%s> uri is empty, longer than %d "
		    "characters or not printable ASCII", name, MAX_URI_LENGTH);
		return -1;
	}
	if (rrdp_hash_parse(v[A_HASH], hash) == -1) {
		parse_fail(st, SEC ": <%s> hash \"%s\" is not 64 hex digits "
		    "(SHA-256)", name, printable(st, v[A_HASH]));
		return -1;
	}
	*uri = xstrdup(v[A_URI]);
	return 0;
}

static void
start_root(struct parse_state *st, const char **attr)
{
	const char	*v[A_COUNT];

	if (parse_attrs(st, "notification", attr, A(A_VERSION) |
	    A(A_SESSION) | A(A_SERIAL), v) == -1)
		return;
	if (strcmp(v[A_VERSION], RRDP_VERSION) != 0) {
		parse_fail(st, SEC ": unsupported version \"%s\" (expected "
		    RRDP_VERSION ")", printable(st, v[A_VERSION]));
		return;
	}
	if (rrdp_session_valid(v[A_SESSION]) == -1) {
		parse_fail(st, SEC ": session_id \"%s\" is not a version 4 "
		    "UUID", printable(st, v[A_SESSION]));
		return;
	}
	if (rrdp_serial_parse(v[A_SERIAL], &st->n->serial) == -1) {
		parse_fail(st, SEC ": serial \"%s\" is not a positive integer",
		    printable(st, v[A_SERIAL]));
		return;
	}
	memcpy(st->n->session, v[A_SESSION], RRDP_SESSION_LEN + 1);
	st->scope = SC_ROOT;
}

static void
start_snapshot(struct parse_state *st, const char **attr)
{
	const char	*v[A_COUNT];

	if (st->scope != SC_ROOT) {
		parse_fail(st, SEC ": more than one <snapshot>, or <snapshot> "
		    "after <delta>");
		return;
	}
	if (parse_attrs(st, "snapshot", attr, A(A_URI) | A(A_HASH), v) == -1)
		return;
	if (parse_ref(st, "snapshot", v, &st->n->snapshot_uri,
	    st->n->snapshot_hash) == -1)
		return;
	st->after_child = SC_DELTAS;
	st->scope = SC_CHILD;
}

static void
start_delta(struct parse_state *st, const char **attr)
{
	struct rrdp_notification	*n = st->n;
	struct rrdp_delta_ref		*d;
	const char			*v[A_COUNT];
	int64_t				 serial;
	size_t				 i;

	if (st->scope != SC_DELTAS) {
		parse_fail(st, SEC ": <delta> before <snapshot>");
		return;
	}
	if (n->ndeltas >= MAX_RRDP_DELTAS) {
		parse_fail(st, SEC ": more than %d deltas", MAX_RRDP_DELTAS);
		return;
	}
	if (parse_attrs(st, "delta", attr, A(A_SERIAL) | A(A_URI) | A(A_HASH),
	    v) == -1)
		return;
	if (rrdp_serial_parse(v[A_SERIAL], &serial) == -1) {
		parse_fail(st, SEC ": delta serial \"%s\" is not a positive "
		    "integer", printable(st, v[A_SERIAL]));
		return;
	}
	if (serial > n->serial) {
		parse_fail(st, SEC ": delta serial %lld is above the "
		    "notification's serial %lld", (long long)serial,
		    (long long)n->serial);
		return;
	}
	/*
	 * Quadratic, but bounded by MAX_RRDP_DELTAS and the document
	 * size; a hash set is not worth it for a few hundred entries.
	 */
	for (i = 0; i < n->ndeltas; i++) {
		if (n->deltas[i].serial == serial) {
			parse_fail(st, SEC ": delta serial %lld listed twice",
			    (long long)serial);
			return;
		}
	}
	if (n->ndeltas == st->deltas_cap) {
		st->deltas_cap = st->deltas_cap ? st->deltas_cap * 2 : 16;
		n->deltas = xrealloc(n->deltas, st->deltas_cap *
		    sizeof(*n->deltas));
	}
	d = &n->deltas[n->ndeltas];
	memset(d, 0, sizeof(*d));
	d->serial = serial;
	if (parse_ref(st, "delta", v, &d->uri, d->hash) == -1)
		return;
	n->ndeltas++;
	st->after_child = SC_DELTAS;
	st->scope = SC_CHILD;
}

static void
parse_start(void *data, const XML_Char *name, const XML_Char **attr)
{
	XML_Parser		 p = data;
	struct parse_state	*st = XML_GetUserData(p);
	const char		*local;

	if (st->failed)
		return;
	local = xml_name_in_ns(name, RRDP_NS);
	switch (st->scope) {
	case SC_DOC:
		if (local == NULL || strcmp(local, "notification") != 0) {
			parse_fail(st, SEC ": root element <%s>%s is not "
			    "<notification> in namespace " RRDP_NS,
			    xml_printable_name(st->namebuf,
			    sizeof(st->namebuf), name, RRDP_NS),
			    strchr(name, XML_NS_SEP) ? "" : " (no namespace)");
			return;
		}
		start_root(st, attr);
		return;
	case SC_ROOT:
	case SC_DELTAS:
		if (local != NULL && strcmp(local, "snapshot") == 0) {
			start_snapshot(st, attr);
			return;
		}
		if (local != NULL && strcmp(local, "delta") == 0) {
			start_delta(st, attr);
			return;
		}
		break;
	default:
		break;
	}
	parse_fail(st, SEC ": unexpected element <%s>",
	    xml_printable_name(st->namebuf, sizeof(st->namebuf), name,
	    RRDP_NS));
}

static void
parse_end(void *data, const XML_Char *name)
{
	XML_Parser		 p = data;
	struct parse_state	*st = XML_GetUserData(p);

	(void)name;
	if (st->failed)
		return;
	/* expat pairs end tags with start tags: the scope says which. */
	switch (st->scope) {
	case SC_CHILD:
		st->scope = st->after_child;
		break;
	case SC_ROOT:
		parse_fail(st, SEC ": <notification> has no <snapshot>");
		break;
	case SC_DELTAS:
		st->scope = SC_DONE;
		break;
	default:
		parse_fail(st, SEC ": unbalanced end of element");
		break;
	}
}

static void
parse_text(void *data, const XML_Char *s, int len)
{
	XML_Parser		 p = data;
	struct parse_state	*st = XML_GetUserData(p);

	if (st->failed)
		return;
	if (!xml_text_is_space(s, len))
		parse_fail(st, SEC ": unexpected text in the notification");
}

static int
delta_cmp(const void *a, const void *b)
{
	const struct rrdp_delta_ref	*x = a, *y = b;

	/* Newest first. */
	if (x->serial > y->serial)
		return -1;
	return x->serial < y->serial;
}

int
rrdp_notification_parse(const uint8_t *xml, size_t len,
    struct rrdp_notification *out, char *err, size_t errlen)
{
	struct parse_state	st;
	char			why[XML_WHY_LEN];
	int			rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	if (errlen > 0)
		err[0] = '\0';
	st.err = err;
	st.errlen = errlen;
	st.n = out;
	st.scope = SC_DOC;
	st.p = xml_parser_new();

	if (len > MAX_RRDP_NOTIFICATION_SIZE) {
		snprintf(err, errlen, SEC ": notification larger than %u "
		    "bytes", MAX_RRDP_NOTIFICATION_SIZE);
		goto out;
	}
	XML_SetUserData(st.p, &st);
	XML_SetElementHandler(st.p, parse_start, parse_end);
	XML_SetCharacterDataHandler(st.p, parse_text);
	if (xml_parse_all(st.p, xml, len, why, sizeof(why)) == -1) {
		if (!st.failed)
			snprintf(err, errlen, SEC ": %s", why);
		goto out;
	}
	if (st.failed)
		goto out;
	if (st.scope != SC_DONE) {
		snprintf(err, errlen, SEC ": no complete <notification> "
		    "element");
		goto out;
	}
	if (out->ndeltas > 1)
		qsort(out->deltas, out->ndeltas, sizeof(*out->deltas),
		    delta_cmp);
	rc = 0;
 out:
	XML_ParserFree(st.p);
	if (rc == -1) {
		rrdp_notification_free(out);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

static void
write_attr(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, " %s=\"", name);
	buf_add_xml(b, value, strlen(value));
	buf_addc(b, '"');
}

void
rrdp_notification_write(struct buf *b, const struct rrdp_notification *n)
{
	char	hex[2 * RRDP_HASH_LEN + 1];
	size_t	i;

	buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	buf_adds(b, "<notification xmlns=\"" RRDP_NS "\" version=\""
	    RRDP_VERSION "\"");
	write_attr(b, "session_id", n->session);
	buf_printf(b, " serial=\"%lld\">\n", (long long)n->serial);
	hex_encode(hex, n->snapshot_hash, RRDP_HASH_LEN);
	buf_adds(b, "  <snapshot");
	write_attr(b, "uri", n->snapshot_uri);
	buf_printf(b, " hash=\"%s\"/>\n", hex);
	for (i = 0; i < n->ndeltas; i++) {
		hex_encode(hex, n->deltas[i].hash, RRDP_HASH_LEN);
		buf_printf(b, "  <delta serial=\"%lld\"",
		    (long long)n->deltas[i].serial);
		write_attr(b, "uri", n->deltas[i].uri);
		buf_printf(b, " hash=\"%s\"/>\n", hex);
	}
	buf_adds(b, "</notification>\n");
}

void
rrdp_notification_free(struct rrdp_notification *n)
{
	size_t	i;

	if (n == NULL)
		return;
	free(n->snapshot_uri);
	n->snapshot_uri = NULL;
	for (i = 0; i < n->ndeltas; i++)
		free(n->deltas[i].uri);
	free(n->deltas);
	n->deltas = NULL;
	n->ndeltas = 0;
}
