#include <string.h>

#include "log.h"
#include "xml.h"

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
