/*
 * Shared expat set-up and parsing helpers for every XML document this
 * project parses.
 *
 * xml_parser_new() returns a namespace-aware parser (element names arrive
 * as "namespace-URI|local-name") that refuses any DOCTYPE declaration and
 * any entity declaration: no DTD is ever processed, which blocks XXE and
 * entity expansion ("billion laughs") attacks.  Every handler receives
 * the parser as its first argument (XML_UseParserAsHandlerArg); handlers
 * reach their state with XML_GetUserData(p).  Callers set their own
 * element and character handlers afterwards and run the parse with
 * xml_parse_all(), whose final XML_Parse(p, NULL, 0, 1) makes a truncated
 * document fail.
 *
 * The other helpers are what each streaming parser needs in its handlers:
 * whitelisting attributes, sifting character data and making untrusted
 * names safe to quote.  They report what was wrong; the caller words the
 * message and cites its RFC.
 */
#ifndef RPKIPUB_XML_H
#define RPKIPUB_XML_H

#include <stddef.h>
#include <stdint.h>

#include <expat.h>

#define XML_NS_SEP	'|'
/* Room for any reason xml_parse_all() gives. */
#define XML_WHY_LEN	256

struct buf;

XML_Parser	 xml_parser_new(void);
/*
 * Split an expat "ns|local" name.  Returns the local name if the
 * namespace equals ns, NULL otherwise.
 */
const char	*xml_name_in_ns(const char *name, const char *ns);

/*
 * Feed the whole document to p, in chunks, then make the final call.
 * Returns 0, or -1 with expat's reason in why (no RFC prefix).  If one
 * of the caller's handlers stopped the parser, why is meaningless: the
 * caller keeps the reason its handler recorded.
 */
int		 xml_parse_all(XML_Parser p, const uint8_t *xml, size_t len,
		    char *why, size_t whylen);

/*
 * Copy untrusted s into dst (dstlen bytes, at least 4) for a one-line
 * error message: printable ASCII only, anything else becomes '?', and at
 * most dstlen - 4 characters, followed by "..." when s was longer.
 * Returns dst.
 */
const char	*xml_printable(char *dst, size_t dstlen, const char *s);
/*
 * Element name for an error message, through xml_printable(): the local
 * name if it is in namespace ns, the expat "ns|local" form otherwise
 * (which shows the wrong namespace).
 */
const char	*xml_printable_name(char *dst, size_t dstlen,
		    const char *name, const char *ns);

/*
 * Character data, as an expat character handler gets it (s, len bytes).
 * xml_text_is_space() returns 1 if it is all XML white space (what may
 * stand between elements), 0 otherwise.  xml_text_add_nospace() appends
 * it to b without its white space, as base64 content is collected;
 * returns 0, or -1 if b would then hold more than max bytes (b->len is
 * left as it was).
 */
int		 xml_text_is_space(const char *s, int len);
int		 xml_text_add_nospace(struct buf *b, const char *s, int len,
		    size_t max);

/* What xml_attrs_sort() found wrong. */
enum xml_attr_fault {
	XML_ATTR_OK,
	XML_ATTR_UNKNOWN,	/* not in names[], or not allowed here */
	XML_ATTR_DUPLICATE,	/* given twice (expat refuses this first) */
	XML_ATTR_MISSING	/* a required attribute is absent */
};

/*
 * Sort expat's attribute list (name, value, ..., NULL) into vals[],
 * which is indexed like names[] (nnames entries, at most the bits of an
 * unsigned int).  Only the attributes whose bit (1u << index) is in
 * allowed may appear, each once, and all those in required must.  Faults
 * are found in document order, then missing ones in names[] order.  On a
 * fault *bad is the attribute concerned: the untrusted name as given for
 * XML_ATTR_UNKNOWN (quote it through xml_printable), names[i] otherwise.
 * vals[] points into attr.
 */
enum xml_attr_fault	 xml_attrs_sort(const char **attr,
			    const char *const *names, size_t nnames,
			    unsigned int allowed, unsigned int required,
			    const char **vals, const char **bad);

#endif
