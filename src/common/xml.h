/*
 * Shared expat set-up for every XML document this project parses.
 *
 * xml_parser_new() returns a namespace-aware parser (element names arrive
 * as "namespace-URI|local-name") that refuses any DOCTYPE declaration and
 * any entity declaration: no DTD is ever processed, which blocks XXE and
 * entity expansion ("billion laughs") attacks.  Every handler receives
 * the parser as its first argument (XML_UseParserAsHandlerArg); handlers
 * reach their state with XML_GetUserData(p).  Callers set their own
 * element and character handlers afterwards and must finish with
 * XML_Parse(p, NULL, 0, 1) so a truncated document fails.
 */
#ifndef RPKIPUB_XML_H
#define RPKIPUB_XML_H

#include <expat.h>

#define XML_NS_SEP	'|'

XML_Parser	 xml_parser_new(void);
/*
 * Split an expat "ns|local" name.  Returns the local name if the
 * namespace equals ns, NULL otherwise.
 */
const char	*xml_name_in_ns(const char *name, const char *ns);

#endif
