/*
 * The request parsers of the RRDP listener (src/pub/http_rrdp.c): the
 * path grammar (the only defence against traversal and dotfiles), the
 * Accept-Encoding q-values of RFC 9110 section 12.5.3, If-None-Match
 * lists and weak comparison (section 13.1.2) and the three HTTP-date
 * forms (section 5.6.7).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "http_rrdp.h"

#define UUID	"3f1f5e8a-1b2c-4d3e-8f90-0123456789ab"
#define RND	"0123456789abcdef0123456789abcdef"

static void
test_path_served(void **state)
{
	assert_int_equal(http_rrdp_path("notification.xml"),
	    RRDP_PATH_NOTIFICATION);
	assert_int_equal(http_rrdp_path(UUID "/1/" RND "/snapshot.xml"),
	    RRDP_PATH_IMMUTABLE);
	assert_int_equal(http_rrdp_path(UUID "/18446744073709551615/" RND
	    "/delta.xml"), RRDP_PATH_IMMUTABLE);
	assert_int_equal(http_rrdp_path("3F1F5E8A-1B2C-4D3E-8F90-0123456789AB"
	    "/7/" RND RND "/delta.xml"), RRDP_PATH_IMMUTABLE);
}

static void
test_path_refused(void **state)
{
	static const char *const bad[] = {
		"", "/", "notification.xml/", "notification.xml.gz",
		"Notification.xml", "./notification.xml", "../notification.xml",
		"/notification.xml", ".rpkipub-state", ".notification.xml.tmp",
		UUID, UUID "/", UUID "/1/", UUID "/1/" RND "/",
		UUID "/1/" RND "/snapshot.xml.gz",
		UUID "/1/" RND "/snapshot.xml/",
		UUID "/1/" RND "/.snapshot.xml",
		UUID "/1/" RND "/../../notification.xml",
		UUID "/1/" RND "//snapshot.xml",
		UUID "//1/" RND "/snapshot.xml",
		UUID "/0/" RND "/snapshot.xml",
		UUID "/01/" RND "/snapshot.xml",
		UUID "/-1/" RND "/snapshot.xml",
		UUID "/123456789012345678901/" RND "/snapshot.xml",
		UUID "/1/0123456789abcdef0123456789abcde/snapshot.xml",
		UUID "/1/" RND RND "0/snapshot.xml",
		UUID "/1/0123456789abcdef0123456789abcdeg/snapshot.xml",
		UUID "/1/" RND "/other.xml",
		UUID "/../1/" RND "/snapshot.xml",
		"3f1f5e8a1b2c4d3e8f900123456789ab/1/" RND "/snapshot.xml",
		"3f1f5e8a-1b2c-4d3e-8f90-0123456789a/1/" RND "/snapshot.xml",
		"3f1f5e8a-1b2c-4d3e-8f90-0123456789abc/1/" RND "/snapshot.xml",
		"3f1f5e8a-1b2c-4d3e-8f9--0123456789ab/1/" RND "/snapshot.xml",
		".." , "%2e%2e/notification.xml", UUID "/1/" RND "/snapshot%2exml",
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (http_rrdp_path(bad[i]) != RRDP_PATH_NONE)
			fail_msg("path \"%s\" accepted", bad[i]);
}

static void
test_accept_encoding(void **state)
{
	static const struct {
		const char	*ae;
		int		 gzip;
	} cases[] = {
		{ NULL, 0 },
		{ "", 0 },
		{ "identity", 0 },
		{ "gzip", 1 },
		{ "GZIP", 1 },
		{ "x-gzip", 1 },
		{ "deflate, gzip, br, zstd", 1 },
		{ "gzip;q=0", 0 },
		{ "gzip; q=0.000", 0 },
		{ "gzip ;q=0.001", 1 },
		{ "gzip;Q=0.5", 1 },
		{ "gzip;q=1.000", 1 },
		{ "gzip;q=1.001", 0 },	/* malformed q: element ignored */
		{ "*", 1 },
		{ "*;q=0", 0 },
		{ "*;q=0.1, gzip;q=0", 0 },	/* explicit gzip wins over * */
		{ "gzip;q=0, *", 0 },
		{ "br, *;q=0.5", 1 },
		{ "gzipx", 0 },
		{ "xgzip, gzi", 0 },
		{ "gzip;level=9;q=0", 0 },
		{ "gzip;q=0;level=9", 0 },
		{ " , ,gzip", 1 },
		{ "deflate;q=1, identity;q=0", 0 },
		{ "gzip;q=2", 0 },	/* malformed: ignored */
		{ "gzip;q=0.5x", 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (http_rrdp_accepts_gzip(cases[i].ae) != cases[i].gzip)
			fail_msg("Accept-Encoding \"%s\": want %d",
			    cases[i].ae ? cases[i].ae : "(none)",
			    cases[i].gzip);
}

static void
test_etag_match(void **state)
{
	static const struct {
		const char	*inm;
		const char	*etag;
		int		 match;
	} cases[] = {
		{ NULL, "\"a\"", 0 },
		{ "\"a\"", "\"a\"", 1 },
		{ "\"a\"", "\"a-gz\"", 0 },
		{ "\"a-gz\"", "\"a\"", 0 },
		{ "W/\"a\"", "\"a\"", 1 },
		{ "\"a\"", "W/\"a\"", 1 },
		{ "\"b\", \"a\"", "\"a\"", 1 },
		{ "\"b\",\"c\"", "\"a\"", 0 },
		{ "*", "\"a\"", 1 },
		{ " * ", "\"a\"", 1 },
		{ "a", "\"a\"", 0 },
		{ "\"a", "\"a\"", 0 },
		{ "\"ab\"", "\"a\"", 0 },
		{ "\"\"", "\"a\"", 0 },
		{ "\"b\" junk, \"a\"", "\"a\"", 0 },
		{ "", "\"a\"", 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (http_rrdp_etag_match(cases[i].inm, cases[i].etag) !=
		    cases[i].match)
			fail_msg("If-None-Match %s vs %s: want %d",
			    cases[i].inm ? cases[i].inm : "(none)",
			    cases[i].etag, cases[i].match);
}

static void
test_dates(void **state)
{
	time_t	t;

	/* RFC 9110 section 5.6.7's example, in all three forms. */
	assert_int_equal(http_rrdp_parse_date("Sun, 06 Nov 1994 08:49:37 GMT",
	    &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(http_rrdp_parse_date("Sunday, 06-Nov-94 08:49:37 GMT",
	    &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(http_rrdp_parse_date("Sun Nov  6 08:49:37 1994", &t),
	    0);
	assert_int_equal(t, 784111777);
	assert_int_equal(http_rrdp_parse_date("Mon, 23 Nov 2026 16:00:00 GMT",
	    &t), 0);
	assert_int_equal(t, 1795449600);

	assert_int_equal(http_rrdp_parse_date(NULL, &t), -1);
	assert_int_equal(http_rrdp_parse_date("", &t), -1);
	assert_int_equal(http_rrdp_parse_date("yesterday", &t), -1);
	assert_int_equal(http_rrdp_parse_date("Sun, 06 Nov 1994 08:49:37 GMT "
	    "trailing", &t), -1);
	assert_int_equal(http_rrdp_parse_date("Sun, 06 Nov 1994 08:49:37 CET",
	    &t), -1);
	assert_int_equal(http_rrdp_parse_date("784111777", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_served),
		cmocka_unit_test(test_path_refused),
		cmocka_unit_test(test_accept_encoding),
		cmocka_unit_test(test_etag_match),
		cmocka_unit_test(test_dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
