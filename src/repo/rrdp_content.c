/*
 * RRDP snapshot and delta files, RFC 8182 sections 3.5.2 and 3.5.3:
 * one streaming expat parser for both (see rrdp_content.h).
 *
 *   <snapshot xmlns=RRDP_NS version="1" session_id=UUID serial=N>
 *     <publish uri="..">BASE64</publish>*
 *   </snapshot>
 *
 *   <delta xmlns=RRDP_NS version="1" session_id=UUID serial=N>
 *     ( <publish uri=".." [hash=".."]>BASE64</publish>
 *     | <withdraw uri=".." hash=".."/> )+
 *   </delta>
 *
 * Scopes: before the root, in the root between elements, in a
 * <publish> (base64 collected, capped), in a <withdraw> (empty), after
 * the root.  The first error stops expat and is kept as the one-line
 * reason; every later feed fails with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bounds.h"
#include "buf.h"
#include "encoding.h"
#include "log.h"
#include "rrdp_content.h"
#include "rrdp_notification.h"
#include "xml.h"

#define ERR_LEN		512
#define ERR_NAME_LEN	96
/* Bytes handed to expat per XML_Parse call (fits an int). */
#define FEED_CHUNK	(64 * 1024)
/* Base64 characters of the largest object: 4 per 3 bytes, rounded up. */
#define MAX_B64		((MAX_RRDP_OBJECT_SIZE + 2) / 3 * 4)

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
	SC_DOC,		/* before the root */
	SC_ROOT,	/* in the root, between elements */
	SC_PUBLISH,	/* in <publish>: base64 */
	SC_WITHDRAW,	/* in <withdraw>: nothing */
	SC_DONE		/* after the root */
};

struct rrdp_content {
	XML_Parser	 p;
	EVP_MD_CTX	*md;
	enum rrdp_kind	 kind;
	const char	*sec;		/* RFC section cited in errors */
	const char	*root;		/* "snapshot" or "delta" */
	char		 want_session[RRDP_SESSION_LEN + 1];
	int64_t		 want_serial;
	char		 session[RRDP_SESSION_LEN + 1];
	int64_t		 serial;
	rrdp_elem_cb	 cb;
	void		*arg;
	enum scope	 scope;
	/* The <publish> being read. */
	char		*uri;
	uint8_t		 hash[RRDP_HASH_LEN];
	int		 has_hash;
	struct buf	 text;
	struct buf	 der;
	uint64_t	 bytes;
	uint64_t	 elements;
	int		 failed;
	int		 finished;
	char		 err[ERR_LEN];
	char		 namebuf[ERR_NAME_LEN + 4];
};

static void	content_fail(struct rrdp_content *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * Record the first error (prefixed with the RFC section) and stop
 * expat.  Handlers return early once failed is set: expat may deliver a
 * callback or two after XML_StopParser.
 */
static void
content_fail(struct rrdp_content *c, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (c->failed)
		return;
	c->failed = 1;
	n = snprintf(c->err, sizeof(c->err), "RFC 8182 section %s: ", c->sec);
	if (n > 0 && (size_t)n < sizeof(c->err)) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, sizeof(c->err) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	if (c->p != NULL)
		XML_StopParser(c->p, XML_FALSE);
}

static const char *
printable(struct rrdp_content *c, const char *s)
{
	return xml_printable(c->namebuf, sizeof(c->namebuf), s);
}

static const char *
printable_name(struct rrdp_content *c, const char *name)
{
	return xml_printable_name(c->namebuf, sizeof(c->namebuf), name,
	    RRDP_NS);
}

static int
parse_attrs(struct rrdp_content *c, const char *name, const char **attr,
    unsigned int allowed, unsigned int required, const char *v[A_COUNT])
{
	const char	*bad;

	switch (xml_attrs_sort(attr, attr_names, A_COUNT, allowed, required,
	    v, &bad)) {
	case XML_ATTR_OK:
		return 0;
	case XML_ATTR_UNKNOWN:
		if (c->kind == RRDP_SNAPSHOT && strcmp(bad, "hash") == 0 &&
		    strcmp(name, "publish") == 0)
			content_fail(c, "<publish> in a snapshot has a hash "
			    "attribute");
		else
			content_fail(c, "unknown attribute %s on <%s>",
			    printable(c, bad), name);
		break;
	case XML_ATTR_DUPLICATE:
		content_fail(c, "duplicate attribute %s on <%s>", bad, name);
		break;
	case XML_ATTR_MISSING:
		content_fail(c, "<%s> lacks the %s attribute", name, bad);
		break;
	}
	return -1;
}

/* <snapshot> or <delta>: version, session_id and serial as expected. */
static void
start_root(struct rrdp_content *c, const char *name, const char **attr)
{
	const char	*v[A_COUNT];
	const char	*local = xml_name_in_ns(name, RRDP_NS);
	int64_t		 serial;

	if (local == NULL || strcmp(local, c->root) != 0) {
		content_fail(c, "root element <%s>%s is not <%s> in namespace "
		    RRDP_NS, printable_name(c, name), strchr(name, XML_NS_SEP) ?
		    "" : " (no namespace)", c->root);
		return;
	}
	if (parse_attrs(c, c->root, attr, A(A_VERSION) | A(A_SESSION) |
	    A(A_SERIAL), A(A_VERSION) | A(A_SESSION) | A(A_SERIAL), v) == -1)
		return;
	if (strcmp(v[A_VERSION], RRDP_VERSION) != 0) {
		content_fail(c, "unsupported version \"%s\" (expected "
		    RRDP_VERSION ")", printable(c, v[A_VERSION]));
		return;
	}
	if (rrdp_session_valid(v[A_SESSION]) == -1) {
		content_fail(c, "session_id \"%s\" is not a version 4 UUID",
		    printable(c, v[A_SESSION]));
		return;
	}
	if (rrdp_serial_parse(v[A_SERIAL], &serial) == -1) {
		content_fail(c, "serial \"%s\" is not a positive integer",
		    printable(c, v[A_SERIAL]));
		return;
	}
	/* The notification named this file for this session and serial. */
	if (c->want_session[0] != '\0' &&
	    strcasecmp(v[A_SESSION], c->want_session) != 0) {
		content_fail(c, "%s session_id %s is not the notification's "
		    "%s", c->root, v[A_SESSION], c->want_session);
		return;
	}
	if (c->want_serial != 0 && serial != c->want_serial) {
		content_fail(c, "%s serial %lld is not the expected %lld",
		    c->root, (long long)serial, (long long)c->want_serial);
		return;
	}
	memcpy(c->session, v[A_SESSION], RRDP_SESSION_LEN + 1);
	c->serial = serial;
	c->scope = SC_ROOT;
}

/* uri and (optional) hash of an element.  0 or -1 after content_fail. */
static int
elem_attrs(struct rrdp_content *c, const char *name, const char *v[A_COUNT])
{
	if (rrdp_uri_valid(v[A_URI]) == -1) {
		content_fail(c, "<%s> uri is empty, longer than %d characters "
		    "or not printable ASCII", name, MAX_URI_LENGTH);
		return -1;
	}
	c->has_hash = 0;
	if (v[A_HASH] != NULL) {
		if (rrdp_hash_parse(v[A_HASH], c->hash) == -1) {
			content_fail(c, "<%s> hash \"%s\" is not 64 hex "
			    "digits (SHA-256)", name, printable(c, v[A_HASH]));
			return -1;
		}
		c->has_hash = 1;
	}
	free(c->uri);
	c->uri = xstrdup(v[A_URI]);
	return 0;
}

static void
start_elem(struct rrdp_content *c, const char *name, const char **attr)
{
	const char	*v[A_COUNT];
	const char	*local = xml_name_in_ns(name, RRDP_NS);

	if (local != NULL && strcmp(local, "publish") == 0) {
		/* Only a delta's publish replaces (section 3.5.3.3). */
		if (parse_attrs(c, "publish", attr, A(A_URI) |
		    (c->kind == RRDP_DELTA ? A(A_HASH) : 0), A(A_URI), v) == -1)
			return;
		if (elem_attrs(c, "publish", v) == -1)
			return;
		c->text.len = 0;
		c->scope = SC_PUBLISH;
		return;
	}
	if (local != NULL && strcmp(local, "withdraw") == 0 &&
	    c->kind == RRDP_DELTA) {
		if (parse_attrs(c, "withdraw", attr, A(A_URI) | A(A_HASH),
		    A(A_URI) | A(A_HASH), v) == -1)
			return;
		if (elem_attrs(c, "withdraw", v) == -1)
			return;
		c->scope = SC_WITHDRAW;
		return;
	}
	content_fail(c, "unexpected element <%s> in <%s>",
	    printable_name(c, name), c->root);
}

static void
content_start(void *data, const XML_Char *name, const XML_Char **attr)
{
	XML_Parser		 p = data;
	struct rrdp_content	*c = XML_GetUserData(p);

	if (c->failed)
		return;
	switch (c->scope) {
	case SC_DOC:
		start_root(c, name, attr);
		break;
	case SC_ROOT:
		start_elem(c, name, attr);
		break;
	case SC_PUBLISH:
	case SC_WITHDRAW:
		content_fail(c, "unexpected element <%s> in <%s>",
		    printable_name(c, name), c->scope == SC_PUBLISH ?
		    "publish" : "withdraw");
		break;
	default:
		content_fail(c, "unexpected element <%s> after the root",
		    printable_name(c, name));
		break;
	}
}

/* Decode the collected base64 and hand the object to the callback. */
static void
end_publish(struct rrdp_content *c)
{
	if (c->text.len == 0) {
		content_fail(c, "<publish> of %s has no content",
		    printable(c, c->uri));
		return;
	}
	c->der.len = 0;
	if (b64_decode(&c->der, (const char *)c->text.data, c->text.len,
	    MAX_RRDP_OBJECT_SIZE) == -1) {
		content_fail(c, "content of %s is not valid base64 or larger "
		    "than %u bytes", printable(c, c->uri), MAX_RRDP_OBJECT_SIZE);
		return;
	}
	c->elements++;
	if (c->cb != NULL && c->cb(c->arg, RRDP_PUBLISH, c->uri,
	    c->has_hash ? c->hash : NULL, c->der.data, c->der.len) == -1)
		content_fail(c, "processing of <publish> %s failed",
		    printable(c, c->uri));
}

static void
content_end(void *data, const XML_Char *name)
{
	XML_Parser		 p = data;
	struct rrdp_content	*c = XML_GetUserData(p);

	(void)name;
	if (c->failed)
		return;
	switch (c->scope) {
	case SC_PUBLISH:
		end_publish(c);
		c->scope = SC_ROOT;
		break;
	case SC_WITHDRAW:
		c->elements++;
		if (c->cb != NULL && c->cb(c->arg, RRDP_WITHDRAW, c->uri,
		    c->hash, NULL, 0) == -1)
			content_fail(c, "processing of <withdraw> %s failed",
			    printable(c, c->uri));
		c->scope = SC_ROOT;
		break;
	case SC_ROOT:
		/* Section 3.5.4: delta_element+. */
		if (c->kind == RRDP_DELTA && c->elements == 0)
			content_fail(c, "<delta> holds no <publish> or "
			    "<withdraw>");
		c->scope = SC_DONE;
		break;
	default:
		content_fail(c, "unbalanced end of element");
		break;
	}
}

static void
content_text(void *data, const XML_Char *s, int len)
{
	XML_Parser		 p = data;
	struct rrdp_content	*c = XML_GetUserData(p);

	if (c->failed)
		return;
	if (c->scope == SC_PUBLISH) {
		/* The alphabet is checked when the element ends. */
		if (xml_text_add_nospace(&c->text, s, len, MAX_B64) == -1)
			content_fail(c, "object %s is larger than %u bytes",
			    printable(c, c->uri), MAX_RRDP_OBJECT_SIZE);
		return;
	}
	if (!xml_text_is_space(s, len))
		content_fail(c, "unexpected text in <%s>",
		    c->scope == SC_WITHDRAW ? "withdraw" : c->root);
}

struct rrdp_content *
rrdp_content_new(enum rrdp_kind kind, const char *session, int64_t serial,
    rrdp_elem_cb cb, void *arg)
{
	struct rrdp_content	*c;

	c = xcalloc(1, sizeof(*c));
	c->kind = kind;
	c->sec = kind == RRDP_SNAPSHOT ? "3.5.2.3" : "3.5.3.3";
	c->root = kind == RRDP_SNAPSHOT ? "snapshot" : "delta";
	if (session != NULL)
		snprintf(c->want_session, sizeof(c->want_session), "%s",
		    session);
	c->want_serial = serial;
	c->cb = cb;
	c->arg = arg;
	c->scope = SC_DOC;
	buf_init(&c->text);
	buf_init(&c->der);
	if ((c->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
		fatalx("rrdp_content_new: SHA-256 set-up failed");
	c->p = xml_parser_new();
	XML_SetUserData(c->p, c);
	XML_SetElementHandler(c->p, content_start, content_end);
	XML_SetCharacterDataHandler(c->p, content_text);
	return c;
}

/* After XML_Parse failed: keep our reason, or word expat's. */
static void
content_xml_error(struct rrdp_content *c)
{
	enum XML_Error	code;

	if (c->failed)
		return;
	code = XML_GetErrorCode(c->p);
	if (code == XML_ERROR_ABORTED)
		/* Only xml.c's DOCTYPE and entity handlers stop expat. */
		content_fail(c, "DOCTYPE or entity declaration refused (no "
		    "DTD is processed)");
	else
		content_fail(c, "XML not well-formed at line %lu: %s",
		    (unsigned long)XML_GetCurrentLineNumber(c->p),
		    XML_ErrorString(code));
}

int
rrdp_content_feed(struct rrdp_content *c, const void *buf, size_t len)
{
	const char	*s = buf;
	size_t		 off, n;

	if (c->failed)
		return -1;
	if (c->finished)
		fatalx("rrdp_content_feed after finish");
	if (len > MAX_RRDP_FILE_SIZE - c->bytes) {
		content_fail(c, "%s file larger than %llu bytes", c->root,
		    (unsigned long long)MAX_RRDP_FILE_SIZE);
		return -1;
	}
	if (EVP_DigestUpdate(c->md, buf, len) != 1)
		fatalx("rrdp_content_feed: SHA-256 failed");
	c->bytes += len;
	for (off = 0; off < len; off += n) {
		n = len - off < FEED_CHUNK ? len - off : FEED_CHUNK;
		if (XML_Parse(c->p, s + off, (int)n, 0) != XML_STATUS_OK) {
			content_xml_error(c);
			return -1;
		}
		/* A callback may have failed without expat noticing yet. */
		if (c->failed)
			return -1;
	}
	return 0;
}

int
rrdp_content_finish(struct rrdp_content *c, uint8_t hash[32])
{
	unsigned int	mdlen;
	uint8_t		md[EVP_MAX_MD_SIZE];

	if (c->failed)
		return -1;
	if (c->finished)
		fatalx("rrdp_content_finish called twice");
	c->finished = 1;
	/* The final call makes expat fail a truncated document. */
	if (XML_Parse(c->p, NULL, 0, 1) != XML_STATUS_OK) {
		content_xml_error(c);
		return -1;
	}
	if (c->failed)
		return -1;
	if (c->scope != SC_DONE) {
		content_fail(c, "no complete <%s> element", c->root);
		return -1;
	}
	if (EVP_DigestFinal_ex(c->md, md, &mdlen) != 1 || mdlen != 32)
		fatalx("rrdp_content_finish: SHA-256 failed");
	if (hash != NULL)
		memcpy(hash, md, 32);
	return 0;
}

const char *
rrdp_content_error(const struct rrdp_content *c)
{
	return c->err;
}

const char *
rrdp_content_session(const struct rrdp_content *c)
{
	return c->session;
}

int64_t
rrdp_content_serial(const struct rrdp_content *c)
{
	return c->serial;
}

uint64_t
rrdp_content_bytes(const struct rrdp_content *c)
{
	return c->bytes;
}

uint64_t
rrdp_content_elements(const struct rrdp_content *c)
{
	return c->elements;
}

void
rrdp_content_free(struct rrdp_content *c)
{
	if (c == NULL)
		return;
	if (c->p != NULL)
		XML_ParserFree(c->p);
	EVP_MD_CTX_free(c->md);
	free(c->uri);
	buf_free(&c->text);
	buf_free(&c->der);
	free(c);
}

int
rrdp_content_parse_file(const char *path, enum rrdp_kind kind,
    const char *session, int64_t serial, rrdp_elem_cb cb, void *arg,
    uint8_t hash[32], char *err, size_t errlen)
{
	struct rrdp_content	*c;
	uint8_t			*chunk;
	ssize_t			 n;
	int			 fd, rc = -1;

	c = rrdp_content_new(kind, session, serial, cb, arg);
	chunk = xmalloc(FEED_CHUNK);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		if ((n = read(fd, chunk, FEED_CHUNK)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (rrdp_content_feed(c, chunk, (size_t)n) == -1) {
			snprintf(err, errlen, "%s", rrdp_content_error(c));
			goto out;
		}
	}
	if (rrdp_content_finish(c, hash) == -1) {
		snprintf(err, errlen, "%s", rrdp_content_error(c));
		goto out;
	}
	rc = 0;
 out:
	if (fd != -1)
		close(fd);
	free(chunk);
	rrdp_content_free(c);
	return rc;
}
