#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "xml.h"

/*
 * Bytes handed to expat per XML_Parse call: keeps the length within an
 * int whatever the document size.
 */
#define XML_CHUNK	(64 * 1024)

static void
xml_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	XML_Parser	p = data;

	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	XML_StopParser(p, XML_FALSE);
}

static void
xml_entity(void *data, const XML_Char *name, int is_param,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	XML_Parser	p = data;

	(void)name;
	(void)is_param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	XML_StopParser(p, XML_FALSE);
}

XML_Parser
xml_parser_new(void)
{
	XML_Parser	p;

	if ((p = XML_ParserCreateNS(NULL, XML_NS_SEP)) == NULL)
		fatalx("XML_ParserCreateNS failed");
	/*
	 * Every handler gets the parser as its first argument (callers
	 * reach their own state with XML_GetUserData), so the refusing
	 * handlers below can stop the parse whatever user data is set.
	 */
	XML_UseParserAsHandlerArg(p);
	XML_SetStartDoctypeDeclHandler(p, xml_doctype);
	XML_SetEntityDeclHandler(p, xml_entity);
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
	return p;
}

const char *
xml_name_in_ns(const char *name, const char *ns)
{
	size_t		 n = strlen(ns);

	if (strncmp(name, ns, n) != 0 || name[n] != XML_NS_SEP)
		return NULL;
	return name + n + 1;
}

static int
xml_feed(XML_Parser p, const uint8_t *xml, size_t len)
{
	size_t	off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < XML_CHUNK ? len - off : XML_CHUNK;
		if (XML_Parse(p, (const char *)xml + off, (int)n, 0) !=
		    XML_STATUS_OK)
			return -1;
	}
	/* The final call makes expat fail a truncated document. */
	if (XML_Parse(p, NULL, 0, 1) != XML_STATUS_OK)
		return -1;
	return 0;
}

int
xml_parse_all(XML_Parser p, const uint8_t *xml, size_t len, char *why,
    size_t whylen)
{
	enum XML_Error	code;

	if (xml_feed(p, xml, len) == 0)
		return 0;
	code = XML_GetErrorCode(p);
	if (code == XML_ERROR_ABORTED)
		/*
		 * Unless the caller's own handler stopped it (and knows),
		 * only the DOCTYPE and entity handlers above stop expat.
		 */
		snprintf(why, whylen, "DOCTYPE or entity declaration refused "
		    "(no DTD is processed)");
	else
		snprintf(why, whylen, "XML not well-formed at line %lu: %s",
		    (unsigned long)XML_GetCurrentLineNumber(p),
		    XML_ErrorString(code));
	return -1;
}

/* XML 1.0 section 2.3, production S. */
static int
xml_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
xml_text_is_space(const char *s, int len)
{
	int	i;

	for (i = 0; i < len; i++)
		if (!xml_is_space(s[i]))
			return 0;
	return 1;
}

int
xml_text_add_nospace(struct buf *b, const char *s, int len, size_t max)
{
	char	*out;
	size_t	 n;
	int	 i;

	buf_reserve(b, (size_t)len);
	out = (char *)b->data;
	n = b->len;
	for (i = 0; i < len; i++) {
		if (xml_is_space(s[i]))
			continue;
		if (n >= max)
			return -1;
		out[n++] = s[i];
	}
	b->len = n;
	return 0;
}

/*
 * Untrusted names and values are quoted in one-line error messages that
 * end up in logs and in RFC 8181 error_text: a control character or a
 * huge value must not break that format.
 */
const char *
xml_printable(char *dst, size_t dstlen, const char *s)
{
	size_t	i, max;

	if (dstlen < sizeof("..."))
		fatalx("xml_printable: buffer of %zu bytes", dstlen);
	max = dstlen - sizeof("...");
	for (i = 0; s[i] != '\0' && i < max; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] != '\0') {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
	return dst;
}

const char *
xml_printable_name(char *dst, size_t dstlen, const char *name,
    const char *ns)
{
	const char	*local;

	if ((local = xml_name_in_ns(name, ns)) != NULL)
		name = local;
	return xml_printable(dst, dstlen, name);
}

enum xml_attr_fault
xml_attrs_sort(const char **attr, const char *const *names, size_t nnames,
    unsigned int allowed, unsigned int required, const char **vals,
    const char **bad)
{
	size_t	i;

	/* The masks have one bit per name: more names is a caller bug. */
	if (nnames > sizeof(allowed) * 8)
		fatalx("xml_attrs_sort: %zu attribute names", nnames);
	*bad = NULL;
	for (i = 0; i < nnames; i++)
		vals[i] = NULL;
	for (; attr[0] != NULL; attr += 2) {
		for (i = 0; i < nnames; i++)
			if (strcmp(attr[0], names[i]) == 0)
				break;
		if (i == nnames || (allowed & (1u << i)) == 0) {
			*bad = attr[0];
			return XML_ATTR_UNKNOWN;
		}
		if (vals[i] != NULL) {
			*bad = names[i];
			return XML_ATTR_DUPLICATE;
		}
		vals[i] = attr[1];
	}
	for (i = 0; i < nnames; i++) {
		if ((required & (1u << i)) && vals[i] == NULL) {
			*bad = names[i];
			return XML_ATTR_MISSING;
		}
	}
	return XML_ATTR_OK;
}
