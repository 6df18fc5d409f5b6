/*
 * rrdpsync's state file (sync_state.h): a full state written and read
 * back gives the same state and the same bytes; every kind of damage
 * (truncation, a bad field on each kind of line, repetition, order,
 * unsafe paths, an inconsistent whole) is refused with the line named;
 * load tells a missing file from a corrupt one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "fileio.h"
#include "sync_state.h"

#define SESSION	"9df4b597-af9e-4dca-bdda-719cce2c4e28"

static void
fill_file(struct sync_file *f, int64_t serial, uint8_t b, const char *rel,
    const char *uri)
{
	f->serial = serial;
	memset(f->hash, b, sizeof(f->hash));
	f->rel = strdup(rel);
	f->uri = strdup(uri);
}

/* A state with every kind of line. */
static void
make_state(struct sync_state *st)
{
	memset(st, 0, sizeof(*st));
	st->source = strdup("https://rrdp.example.net/rrdp/notification.xml");
	memcpy(st->session, SESSION, sizeof(st->session));
	st->serial = 12;
	fill_file(&st->snapshot, 0, 0xab, SESSION "/12/0123456789abcdef0123456789abcdef/"
	    "snapshot.xml", "https://rrdp.example.net/rrdp/s12.xml");
	st->deltas = calloc(3, sizeof(*st->deltas));
	fill_file(&st->deltas[0], 12, 0x12, SESSION "/12/aa/delta.xml",
	    "https://rrdp.example.net/rrdp/d12.xml");
	fill_file(&st->deltas[1], 11, 0x11, SESSION "/11/bb/delta.xml",
	    "https://rrdp.example.net/rrdp/d11.xml");
	fill_file(&st->deltas[2], 10, 0x10, SESSION "/10/cc/delta.xml",
	    "https://rrdp.example.net/rrdp/d10.xml");
	st->ndeltas = 3;
	st->tree = strdup(SESSION "-12-0a1b2c3d");
	snprintf(st->etag, sizeof(st->etag), "W/\"abc def\"");
	snprintf(st->last_modified, sizeof(st->last_modified),
	    "Wed, 21 Oct 2026 07:28:00 GMT");
	st->regression_since = 1790000000;
	sync_state_gone_add(st, SESSION "/9/dd/delta.xml", 1790000001);
	sync_state_gone_add(st, SESSION "/9/dd/delta.xml.gz", 1790000001);
}

static char *
written(const struct sync_state *st)
{
	struct buf	b;

	buf_init(&b);
	sync_state_write(&b, st);
	return buf_str(&b);
}

static void
test_round_trip(void **unused)
{
	struct sync_state	 st, back;
	char			 err[256];
	char			*text, *again;
	size_t			 i;

	(void)unused;
	make_state(&st);
	text = written(&st);
	assert_int_equal(sync_state_parse(text, strlen(text), &back, err,
	    sizeof(err)), 0);
	assert_string_equal(back.source, st.source);
	assert_string_equal(back.session, SESSION);
	assert_int_equal(back.serial, 12);
	assert_memory_equal(back.snapshot.hash, st.snapshot.hash, 32);
	assert_string_equal(back.snapshot.rel, st.snapshot.rel);
	assert_string_equal(back.snapshot.uri, st.snapshot.uri);
	assert_int_equal(back.ndeltas, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(back.deltas[i].serial, st.deltas[i].serial);
		assert_memory_equal(back.deltas[i].hash, st.deltas[i].hash, 32);
		assert_string_equal(back.deltas[i].rel, st.deltas[i].rel);
		assert_string_equal(back.deltas[i].uri, st.deltas[i].uri);
	}
	assert_string_equal(back.tree, st.tree);
	assert_string_equal(back.etag, "W/\"abc def\"");
	assert_string_equal(back.last_modified, st.last_modified);
	assert_int_equal(back.regression_since, 1790000000);
	assert_int_equal(back.ngone, 2);
	assert_string_equal(back.gone[1].rel, SESSION "/9/dd/delta.xml.gz");
	assert_int_equal(back.gone[1].since, 1790000001);
	/* The same bytes again: the writer is the parser's inverse. */
	again = written(&back);
	assert_string_equal(again, text);
	free(again);
	free(text);
	sync_state_free(&back);
	sync_state_free(&st);
}

static void
test_empty_state(void **unused)
{
	struct sync_state	 st, back;
	char			 err[256];
	char			*text;

	(void)unused;
	memset(&st, 0, sizeof(st));
	text = written(&st);
	assert_string_equal(text, SYNC_STATE_MAGIC "\n");
	assert_int_equal(sync_state_parse(text, strlen(text), &back, err,
	    sizeof(err)), 0);
	assert_int_equal(back.serial, 0);
	assert_null(back.snapshot.rel);
	free(text);
	sync_state_free(&back);
}

/* Replace the first occurrence of from in text by to; parse; expect -1. */
static void
expect_corrupt(const char *text, const char *from, const char *to,
    const char *want)
{
	struct sync_state	 st;
	struct buf		 b;
	const char		*at;
	char			 err[256];

	at = strstr(text, from);
	assert_non_null(at);
	buf_init(&b);
	buf_add(&b, text, (size_t)(at - text));
	buf_adds(&b, to);
	buf_adds(&b, at + strlen(from));
	if (sync_state_parse((const char *)b.data, b.len, &st, err,
	    sizeof(err)) != -1)
		fail_msg("accepted after \"%s\" -> \"%s\"", from, to);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\" -> \"%s\": reason \"%s\", want \"%s\"", from,
		    to, err, want);
	assert_null(st.snapshot.rel);
	assert_int_equal(st.ndeltas, 0);
	buf_free(&b);
}

static void
test_corrupt(void **unused)
{
	struct sync_state	 made, st;
	char			*text;
	char			 err[256];
	size_t			 len;

	(void)unused;
	make_state(&made);
	text = written(&made);
	sync_state_free(&made);
	len = strlen(text);
	/* Truncated anywhere but at a line end. */
	assert_int_equal(sync_state_parse(text, len - 3, &st, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "truncated"));
	expect_corrupt(text, "rrdpsync-state 1", "rrdpsync-state 2",
	    "line 1");
	expect_corrupt(text, "serial 12", "serial 012", "serial");
	expect_corrupt(text, "serial 12", "serial -1", "serial");
	expect_corrupt(text, "serial 12", "serial 99999999999999999999",
	    "serial");
	expect_corrupt(text, "session " SESSION, "session " SESSION "x",
	    "session");
	expect_corrupt(text, "snapshot abab", "snapshot xbab", "hash");
	expect_corrupt(text, "/12/0123456789", "/../0123456789", "unsafe");
	expect_corrupt(text, "delta 11 ", "delta 13 ", "decreasing");
	expect_corrupt(text, "delta 11 ", "delta 12 ", "decreasing");
	expect_corrupt(text, " https://rrdp.example.net/rrdp/d11.xml",
	    " https://rrdp.example.net/rrdp/d11.xml extra", "HASH REL URI");
	expect_corrupt(text, "tree ", "tree ../", "tree");
	expect_corrupt(text, "etag ", "etag \x01", "etag");
	expect_corrupt(text, "gone 1790000001 ", "gone x ", "gone");
	expect_corrupt(text, "gone 1790000001 " SESSION,
	    "gone 1790000001 /etc", "gone");
	expect_corrupt(text, "regression 1790000000",
	    "regression 0", "regression");
	expect_corrupt(text, "tree ", "bogus ", "unknown keyword");
	expect_corrupt(text, "serial 12\n", "serial 12\nserial 12\n",
	    "repeated");
	expect_corrupt(text, "serial 12\n", "serial 9\n", "delta 12 above");
	expect_corrupt(text, "tree " SESSION "-12-0a1b2c3d\n", "",
	    "without session, snapshot or tree");
	expect_corrupt(text, "serial 12\n", "", "without a serial");
	expect_corrupt(text, "serial 12\n", "serial 12\n\n", "empty line");
	assert_int_equal(sync_state_parse("", 0, &st, err, sizeof(err)), -1);
	/* A NUL byte inside a line. */
	{
		char	nul[] = SYNC_STATE_MAGIC "\nserial 1\0002\n";

		assert_int_equal(sync_state_parse(nul, sizeof(nul) - 1, &st,
		    err, sizeof(err)), -1);
		assert_non_null(strstr(err, "NUL"));
	}
	free(text);
	sync_state_free(&st);
}

static void
test_load(void **unused)
{
	struct sync_state	 st, back;
	char			 dir[] = "/tmp/test_sync_state.XXXXXX";
	char			 path[300], err[256];
	FILE			*f;

	(void)unused;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(sync_state_load(path, &st, err, sizeof(err)), 0);
	make_state(&st);
	assert_int_equal(sync_state_save(path, &st), 0);
	assert_int_equal(sync_state_load(path, &back, err, sizeof(err)), 1);
	assert_int_equal(back.serial, 12);
	sync_state_free(&back);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("garbage", f);
	fclose(f);
	assert_int_equal(sync_state_load(path, &back, err, sizeof(err)), -1);
	assert_int_equal(back.serial, 0);
	unlink(path);
	rmdir(dir);
	sync_state_free(&st);
}

static void
test_validators(void **unused)
{
	char	long_v[SYNC_MAX_VALIDATOR + 1];

	(void)unused;
	assert_int_equal(sync_validator_valid("\"abc\""), 1);
	assert_int_equal(sync_validator_valid("Wed, 21 Oct 2026 07:28:00 GMT"),
	    1);
	assert_int_equal(sync_validator_valid("a\r\nX-Evil: 1"), 0);
	memset(long_v, 'a', sizeof(long_v) - 1);
	long_v[sizeof(long_v) - 1] = '\0';
	assert_int_equal(sync_validator_valid(long_v), 0);
	assert_int_equal(path_rel_safe("a/b/c.xml"), 1);
	assert_int_equal(path_rel_safe("a//b"), 0);
	assert_int_equal(path_rel_safe("a/.b"), 0);
	assert_int_equal(path_rel_safe("/a"), 0);
	assert_int_equal(path_rel_safe("a/"), 0);
	assert_int_equal(path_rel_safe("a/b c"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_state),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_validators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
