/*
 * The URI jail (src/common/uri.c): which rsync URIs a publisher may
 * touch (uri_in_jail) and which sia_base values are usable
 * (uri_valid_base).  A URI that passes becomes a file name in the rsync
 * tree, so every way out of the base directory is tried here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bounds.h"
#include "uri.h"

#define BASE	"rsync://rpki.example.net/repo/ca1/"

static void
in_jail(const char *uri, const char *base)
{
	char	err[256];

	if (uri_in_jail(uri, base, err, sizeof(err)) != 0)
		fail_msg("\"%s\" in \"%s\" refused: %s", uri, base, err);
}

/* Refused, with a reason containing want. */
static void
not_in_jail(const char *uri, const char *base, const char *want)
{
	char	err[256];

	err[0] = '\0';
	if (uri_in_jail(uri, base, err, sizeof(err)) != -1)
		fail_msg("\"%s\" in \"%s\" accepted", uri, base);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", uri, err, want);
}

static void
base_ok(const char *base)
{
	char	err[256];

	if (uri_valid_base(base, err, sizeof(err)) != 0)
		fail_msg("base \"%s\" refused: %s", base, err);
}

static void
base_bad(const char *base, const char *want)
{
	char	err[256];

	err[0] = '\0';
	if (uri_valid_base(base, err, sizeof(err)) != -1)
		fail_msg("base \"%s\" accepted", base);
	if (strstr(err, want) == NULL)
		fail_msg("base \"%s\": reason \"%s\" lacks \"%s\"", base, err,
		    want);
}

static void
test_accept(void **state)
{
	(void)state;
	in_jail(BASE "abc-DEF_12.roa", BASE);
	in_jail("rsync://rpki.example.net/repo/ca1/abc-DEF_12.roa",
	    "rsync://rpki.example.net/repo/");
	in_jail(BASE "a/b/c/d/e.cer", BASE);
	in_jail(BASE "x.mft", BASE);
	in_jail(BASE "~+=:@,.crl", BASE);
	in_jail(BASE "...", BASE);		/* a name, not a path step */
	in_jail(BASE ".hidden.roa", BASE);
	in_jail(BASE "a%41b.roa", BASE);	/* %41 is 'A' */
	in_jail(BASE "a%7e.roa", BASE);
	in_jail(BASE "a%7E.roa", BASE);
	in_jail(BASE "aa%41", BASE);		/* escape ending a segment */
}

static void
test_outside(void **state)
{
	(void)state;
	not_in_jail("rsync://rpki.example.net/repo/ca2/x.roa", BASE,
	    "outside the publisher's sia_base");
	not_in_jail("rsync://other.example.net/repo/ca1/x.roa", BASE,
	    "outside");
	/* A sibling sharing the base's prefix without its '/'. */
	not_in_jail("rsync://h/r/ab/x.roa", "rsync://h/r/a/", "outside");
	not_in_jail("rsync://h/r/a", "rsync://h/r/a/", "outside");
	/* A base must end in '/', or ab/ would be inside a. */
	not_in_jail("rsync://h/r/ab/x.roa", "rsync://h/r/a", "unusable sia_base");
	not_in_jail("rsync://h/r/a/x.roa", "", "unusable sia_base");
	not_in_jail("RSYNC://rpki.example.net/repo/ca1/x.roa", BASE,
	    "not an rsync:// URI");
	not_in_jail("http://rpki.example.net/repo/ca1/x.roa", BASE,
	    "not an rsync:// URI");
	not_in_jail("https://rpki.example.net/repo/ca1/x.roa", BASE,
	    "not an rsync:// URI");
	not_in_jail("", BASE, "not an rsync:// URI");
	not_in_jail(BASE, BASE, "names the sia_base itself");
}

static void
test_dot_segments(void **state)
{
	(void)state;
	not_in_jail(BASE "../ca2/x.roa", BASE, "\"..\" path segment");
	not_in_jail(BASE "a/../../x.roa", BASE, "\"..\"");
	not_in_jail(BASE "..", BASE, "\"..\"");
	not_in_jail(BASE "./x.roa", BASE, "\".\"");
	not_in_jail(BASE "a/./x.roa", BASE, "\".\"");
	not_in_jail(BASE ".", BASE, "\".\"");
	not_in_jail(BASE "a//x.roa", BASE, "empty path segment");
	not_in_jail(BASE "/x.roa", BASE, "empty path segment");
	not_in_jail(BASE "a/", BASE, "empty path segment");
	not_in_jail(BASE "a/b/", BASE, "trailing");
}

static void
test_escapes(void **state)
{
	(void)state;
	not_in_jail(BASE "a%2fb.roa", BASE, "forbidden byte 0x2f");
	not_in_jail(BASE "a%2Fb.roa", BASE, "forbidden byte 0x2f");
	not_in_jail(BASE "a%5cb.roa", BASE, "forbidden byte 0x5c");
	not_in_jail(BASE "a%5Cb.roa", BASE, "forbidden byte 0x5c");
	not_in_jail(BASE "%2e%2e/x.roa", BASE, "forbidden byte 0x2e");
	not_in_jail(BASE "%2E.roa", BASE, "forbidden byte 0x2e");
	not_in_jail(BASE "a%00.roa", BASE, "forbidden byte 0x00");
	not_in_jail(BASE "a%20.roa", BASE, "forbidden byte 0x20");
	not_in_jail(BASE "a%0a.roa", BASE, "forbidden byte 0x0a");
	not_in_jail(BASE "a%7f.roa", BASE, "forbidden byte 0x7f");
	not_in_jail(BASE "a%c3%a9.roa", BASE, "forbidden byte 0xc3");
	not_in_jail(BASE "a%zz.roa", BASE, "malformed %-escape");
	not_in_jail(BASE "a%4g.roa", BASE, "malformed %-escape");
	not_in_jail(BASE "a%4", BASE, "truncated %-escape");
	not_in_jail(BASE "a%4/b.roa", BASE, "truncated %-escape");
	not_in_jail(BASE "a%", BASE, "truncated %-escape");
	not_in_jail(BASE "%", BASE, "truncated %-escape");
}

static void
test_characters(void **state)
{
	static const char	*bad[] = { " ", "\"", "#", "?", "\\", "<", ">",
				    "|", "*", "'", "`", "{", "}", "^", "[", "]",
				    ";", "&", "$", "!" };
	char			 uri[128], want[64];
	size_t			 i;

	(void)state;
	not_in_jail(BASE "a\x01.roa", BASE, "control character 0x01");
	not_in_jail(BASE "a\t.roa", BASE, "control character 0x09");
	not_in_jail(BASE "a\n.roa", BASE, "control character 0x0a");
	not_in_jail(BASE "a\r.roa", BASE, "control character 0x0d");
	not_in_jail(BASE "a\x7f.roa", BASE, "control character 0x7f");
	not_in_jail(BASE "a b.roa", BASE, "character 0x20 not allowed");
	not_in_jail(BASE "caf\xc3\xa9.roa", BASE, "character 0xc3");
	not_in_jail(BASE "\xff.roa", BASE, "character 0xff");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(uri, sizeof(uri), BASE "a%sb.roa", bad[i]);
		snprintf(want, sizeof(want), "character 0x%02x not allowed",
		    (unsigned char)bad[i][0]);
		not_in_jail(uri, BASE, want);
	}
}

static void
test_length(void **state)
{
	char	uri[MAX_URI_LENGTH + 2];
	size_t	n = strlen(BASE);

	(void)state;
	memcpy(uri, BASE, n);
	memset(uri + n, 'a', sizeof(uri) - n);
	uri[MAX_URI_LENGTH] = '\0';
	in_jail(uri, BASE);
	uri[MAX_URI_LENGTH] = 'a';
	uri[MAX_URI_LENGTH + 1] = '\0';
	not_in_jail(uri, BASE, "URI longer than 1024 characters");
}

static void
test_valid_base(void **state)
{
	char	base[MAX_URI_LENGTH + 2];
	size_t	n = strlen("rsync://h/");

	(void)state;
	base_ok("rsync://rpki.example.net/repo/");
	base_ok(BASE);
	base_ok("rsync://rpki.example.net:873/repo/Alice/Bob-42/");
	base_ok("rsync://192.0.2.1/repo/");
	base_ok("rsync://[2001:db8::1]/repo/");

	base_bad("https://rpki.example.net/repo/", "not an rsync:// URI");
	base_bad("rsync://rpki.example.net/repo", "does not end in '/'");
	base_bad("rsync://rpki.example.net", "no path after the host");
	base_bad("rsync://rpki.example.net/", "empty path segment");
	base_bad("rsync:///repo/", "empty host");
	base_bad("rsync://h_x/repo/", "bad host (character 0x5f");
	base_bad("rsync://h x/repo/", "bad host (character 0x20");
	base_bad("rsync://h/repo//", "empty path segment");
	base_bad("rsync://h//repo/", "empty path segment");
	base_bad("rsync://h/repo/../", "\"..\" path segment");
	base_bad("rsync://h/repo/./", "\".\" or \"..\" path segment");
	base_bad("rsync://h/repo/%2e%2e/", "forbidden byte 0x2e");
	base_bad("rsync://h/re po/", "character 0x20 not allowed");
	base_bad("rsync://h/re\npo/", "control character 0x0a");

	memcpy(base, "rsync://h/", n);
	memset(base + n, 'a', sizeof(base) - n);
	base[MAX_URI_LENGTH - 1] = '/';
	base[MAX_URI_LENGTH] = '\0';
	base_ok(base);
	base[MAX_URI_LENGTH - 1] = 'a';
	base[MAX_URI_LENGTH] = '/';
	base[MAX_URI_LENGTH + 1] = '\0';
	base_bad(base, "longer than 1024 characters");
}

/*
 * Known bug: uri_valid_base() accepts "." and ".." (and other names
 * that are no host at all) as the host.  Anything that lays the rsync
 * tree out by host, or logs and compares hosts, can be misled; a base
 * of rsync://../module/ is not "usable" in any sense.
 */
static void
test_base_dot_host(void **state)
{
	(void)state;
	base_bad("rsync://../repo/", "host");
	base_bad("rsync://./repo/", "host");
	base_bad("rsync://h:/repo/", "host");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_outside),
		cmocka_unit_test(test_dot_segments),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_characters),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_valid_base),
		cmocka_unit_test(test_base_dot_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
