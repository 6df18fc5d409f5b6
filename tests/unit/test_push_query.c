/*
 * rpkipub-push's reading of a list reply (push_reply_listed in
 * push_query.c): untagged <list/> PDUs and those carrying the query's tag
 * are believed; one carrying another tag is not a reply to this query;
 * a URI outside the sia_base or a PDU other than <list/> is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "push_query.h"
#include "rfc8181_msg.h"

#define BASE	"rsync://rpki.example.net/repo/ca/"
#define HASH	"78a860dbfbc0d74cb0ae5dafa35b9d30bdf107c86e5e2389faa79196a728ef17"
#define TAG	"0123456789abcdef"

/* A reply of the <list/> PDUs given (XML text, in order). */
static struct rfc8181_msg *
reply(const char *pdus)
{
	struct rfc8181_msg	*m = NULL;
	char			 xml[4096], err[256];

	snprintf(xml, sizeof(xml), "<msg xmlns=\"http://www.hactrn.net/uris/"
	    "rpki/publication-spec/\" type=\"reply\" version=\"4\">%s</msg>",
	    pdus);
	if (rfc8181_parse((const uint8_t *)xml, strlen(xml), 0, &m, err,
	    sizeof(err)) == -1)
		fail_msg("reply does not parse: %s", err);
	return m;
}

static void
refused(const char *pdus, const char *want)
{
	struct rfc8181_msg	*m;
	struct push_listed	*l = (void *)1;
	size_t			 n = 1;
	char			 err[2048];

	m = reply(pdus);
	assert_int_equal(push_reply_listed(m, TAG, BASE, &l, &n, err,
	    sizeof(err)), -1);
	assert_null(l);
	assert_int_equal(n, 0);
	if (strstr(err, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want);
	rfc8181_msg_free(m);
}

static void
test_believed(void **state)
{
	struct rfc8181_msg	*m;
	struct push_listed	*l;
	size_t			 n;
	char			 err[2048];

	(void)state;
	/* rpkipubd's form: no tag; and one carrying the query's. */
	m = reply("<list uri=\"" BASE "a.roa\" hash=\"" HASH "\"/>"
	    "<list tag=\"" TAG "\" uri=\"" BASE "b/c.mft\" hash=\"" HASH
	    "\"/>");
	assert_int_equal(push_reply_listed(m, TAG, BASE, &l, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0].uri, BASE "a.roa");
	assert_string_equal(l[1].uri, BASE "b/c.mft");
	assert_int_equal(l[1].hash[0], 0x78);
	assert_null(m->pdus[0].uri);	/* moved out */
	push_listed_free(l, n);
	rfc8181_msg_free(m);

	/* An empty publication point. */
	m = reply("");
	assert_int_equal(push_reply_listed(m, TAG, BASE, &l, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 0);
	push_listed_free(l, n);
	rfc8181_msg_free(m);
}

static void
test_refused(void **state)
{
	(void)state;
	/* The reply to another query (an earlier list, replayed). */
	refused("<list uri=\"" BASE "a.roa\" hash=\"" HASH "\"/>"
	    "<list tag=\"fedcba9876543210\" uri=\"" BASE "b.roa\" hash=\""
	    HASH "\"/>", "carries the tag \"fedcba9876543210\", not this "
	    "query's");
	refused("<list tag=\"\" uri=\"" BASE "a.roa\" hash=\"" HASH "\"/>",
	    "carries the tag \"\"");
	/* Outside the jail: it would become a withdraw. */
	refused("<list uri=\"rsync://rpki.example.net/repo/other/a.roa\" "
	    "hash=\"" HASH "\"/>", "the reply lists rsync://rpki.example.net"
	    "/repo/other/a.roa");
	/* Not a list reply. */
	refused("<success/>", "the reply holds <success>, not only <list/>");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_believed),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
