/*
 * rpkipub-push's state file (push_state.c): what it accepts, every
 * refusal with its reason, the written form read back unchanged, save
 * and load on disk (atomic, mode 0600), the lock that keeps two
 * commands off one state directory, and the replay check of replies.
 */
#define _XOPEN_SOURCE 700	/* nftw */
#include <sys/stat.h>

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bounds.h"
#include "buf.h"
#include "push_state.h"

static struct push_state *
parse_ok(const char *text)
{
	struct push_state	*s = NULL;
	char			 err[256];

	if (push_state_parse(text, strlen(text), &s, err, sizeof(err)) != 0)
		fail_msg("unexpected failure: %s", err);
	assert_non_null(s);
	return s;
}

static void
parse_fails_len(const char *text, size_t len, const char *want)
{
	struct push_state	*s = (void *)1;
	char			 err[256];

	if (push_state_parse(text, len, &s, err, sizeof(err)) != -1)
		fail_msg("accepted, expected \"%s\"", want);
	assert_null(s);
	assert_null(strchr(err, '\n'));
	if (strstr(err, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want);
}

static void
parse_fails(const char *text, const char *want)
{
	parse_fails_len(text, strlen(text), want);
}

static void
test_parse(void **state)
{
	struct push_state	*s;

	(void)state;
	/* The minimum: the rest defaults to 0. */
	s = parse_ok("format = 1\nhandle = ca\n");
	assert_string_equal(s->handle, "ca");
	assert_int_equal(s->last_signing_time, 0);
	assert_int_equal(s->last_sync_time, 0);
	assert_int_equal(s->last_sync_published, 0);
	/* A file of before the reply keys: no reply seen yet. */
	assert_int_equal(s->last_reply_signing_time, 0);
	assert_int_equal(s->has_reply_digest, 0);
	assert_int_equal(s->last_success_signing_time, 0);
	push_state_free(s);

	/* The reply keys; the digest in either case. */
	s = parse_ok("format = 1\nhandle = ca\n"
	    "last_reply_signing_time = 1732400002\n"
	    "last_reply_digest = 00112233445566778899AABBCCDDEEFF"
	    "00112233445566778899aabbccddeeff\n"
	    "last_success_signing_time = 1732400001\n");
	assert_int_equal(s->last_reply_signing_time, 1732400002);
	assert_int_equal(s->has_reply_digest, 1);
	assert_int_equal(s->last_reply_digest[0], 0x00);
	assert_int_equal(s->last_reply_digest[10], 0xaa);
	assert_int_equal(s->last_reply_digest[31], 0xff);
	assert_int_equal(s->last_success_signing_time, 1732400001);
	push_state_free(s);

	/* Comments, blank lines, spacing, no final newline, any order. */
	s = parse_ok("# comment\n\n  \t\nlast_sync_unchanged=7\n"
	    "\thandle\t=\tparent/child-1_x \n  # indented comment\n"
	    "last_signing_time = 1732400000\nformat = 1\n"
	    "last_sync_time = 1732400001\nlast_sync_published = 1\n"
	    "last_sync_replaced = 2\nlast_sync_withdrawn = 9223372036854775807");
	assert_string_equal(s->handle, "parent/child-1_x");
	assert_int_equal(s->last_signing_time, 1732400000);
	assert_int_equal(s->last_sync_time, 1732400001);
	assert_int_equal(s->last_sync_published, 1);
	assert_int_equal(s->last_sync_replaced, 2);
	assert_int_equal(s->last_sync_withdrawn, 9223372036854775807ull);
	assert_int_equal(s->last_sync_unchanged, 7);
	push_state_free(s);
}

static void
test_parse_refusals(void **state)
{
	char	*big;

	(void)state;
	parse_fails("", "format missing");
	parse_fails("handle = ca\n", "format missing");
	parse_fails("format = 2\nhandle = ca\n", "format unknown");
	parse_fails("format = 1\n", "no handle");
	parse_fails("format = 1\nhandle = ../etc\n", "line 2: handle is not "
	    "a valid RFC 8183 publisher handle");
	parse_fails("format = 1\nhandle = /x\n", "not a valid RFC 8183");
	parse_fails("format = 1\nhandle =\n", "not a valid RFC 8183");
	parse_fails("format = 1\nhandle = a b\n", "not a valid RFC 8183");
	parse_fails("format = 1\nhandle = ca\nhandle = cb\n",
	    "line 3: handle given twice");
	parse_fails("format = 1\nformat = 1\nhandle = ca\n",
	    "format given twice");
	parse_fails("format = 1\nhandle = ca\ncolour = blue\n",
	    "line 3: unknown key \"colour\"");
	parse_fails("format = 1\nhandle = ca\njust words\n",
	    "line 3: not a \"key = value\" line");
	parse_fails("format = 1\nhandle = ca\nlast_signing_time = -1\n",
	    "last_signing_time is not a number");
	parse_fails("format = 1\nhandle = ca\nlast_signing_time = 1e9\n",
	    "not a number");
	parse_fails("format = 1\nhandle = ca\nlast_signing_time = \n",
	    "not a number");
	parse_fails("format = 1\nhandle = ca\nlast_signing_time = 0x10\n",
	    "not a number");
	parse_fails("format = 1\nhandle = ca\n"
	    "last_sync_time = 9223372036854775808\n", "not a number");
	parse_fails("format = 1\nhandle = ca\n"
	    "last_sync_time = 99999999999999999999\n", "not a number");
	parse_fails("format = 1\nhandle = ca\nlast_reply_digest = 00\n",
	    "last_reply_digest is not 64 hex digits");
	parse_fails("format = 1\nhandle = ca\nlast_reply_digest = "
	    "001122334455667788990011223344556677889900112233445566778899001g\n",
	    "last_reply_digest is not 64 hex digits");
	parse_fails("format = 1\nhandle = ca\nlast_reply_digest = "
	    "0011223344556677889900112233445566778899001122334455667788990011"
	    "22\n", "last_reply_digest is not 64 hex digits");
	parse_fails("format = 1\nhandle = ca\nlast_reply_digest = "
	    "0011223344556677889900112233445566778899001122334455667788990011"
	    "\nlast_reply_digest = "
	    "0011223344556677889900112233445566778899001122334455667788990011"
	    "\n", "last_reply_digest given twice");
	parse_fails("format = 1\nhandle = ca\n"
	    "last_success_signing_time = -5\n", "not a number");
	parse_fails("format = 1\nhandle = ca\r\n", "control character 0x0d");
	parse_fails("format = 1\nhandle = c\x1b" "a\n",
	    "control character 0x1b");
	parse_fails_len("format = 1\nhandle = ca\n\0", 24, "NUL byte");

	big = malloc(MAX_PUSH_STATE_SIZE + 2);
	memset(big, '#', MAX_PUSH_STATE_SIZE + 1);
	big[MAX_PUSH_STATE_SIZE + 1] = '\0';
	parse_fails(big, "larger than");
	free(big);
}

/* The written form parses to the same values. */
static void
test_roundtrip(void **state)
{
	struct push_state	 s, *r;
	struct buf		 b;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.handle = "org/ca-1";
	s.last_signing_time = 1732400000;
	s.last_sync_time = INT64_MAX;
	s.last_sync_published = 3;
	s.last_sync_replaced = 4;
	s.last_sync_withdrawn = 5;
	s.last_sync_unchanged = 6;
	buf_init(&b);
	/* No reply seen: no digest written, and none read back. */
	push_state_write(&b, &s);
	assert_null(strstr(buf_str(&b), "last_reply_digest"));
	r = parse_ok(buf_str(&b));
	assert_int_equal(r->has_reply_digest, 0);
	push_state_free(r);
	buf_free(&b);

	s.last_reply_signing_time = 1732400010;
	s.has_reply_digest = 1;
	memset(s.last_reply_digest, 0xa5, 32);
	s.last_reply_digest[31] = 0x07;
	s.last_success_signing_time = 1732400009;
	push_state_write(&b, &s);
	r = parse_ok(buf_str(&b));
	assert_int_equal(r->last_reply_signing_time, 1732400010);
	assert_int_equal(r->has_reply_digest, 1);
	assert_memory_equal(r->last_reply_digest, s.last_reply_digest, 32);
	assert_int_equal(r->last_success_signing_time, 1732400009);
	assert_string_equal(r->handle, s.handle);
	assert_int_equal(r->last_signing_time, s.last_signing_time);
	assert_int_equal(r->last_sync_time, s.last_sync_time);
	assert_int_equal(r->last_sync_published, 3);
	assert_int_equal(r->last_sync_replaced, 4);
	assert_int_equal(r->last_sync_withdrawn, 5);
	assert_int_equal(r->last_sync_unchanged, 6);
	push_state_free(r);
	buf_free(&b);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Save and load on disk; the lock. */
static void
test_save_load_lock(void **state)
{
	struct push_state	 s, *r;
	struct stat		 sb;
	char			 dir[64], *path;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_push_state.XXXXXX");
	assert_non_null(mkdtemp(dir));

	/* Nothing there yet: NULL (and the log says to run init). */
	assert_null(push_state_load(dir));

	memset(&s, 0, sizeof(s));
	s.handle = "ca";
	s.last_signing_time = 42;
	assert_int_equal(push_state_save(dir, &s), 0);
	path = push_path(dir, PUSH_FILE_STATE);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_non_null(r = push_state_load(dir));
	assert_string_equal(r->handle, "ca");
	assert_int_equal(r->last_signing_time, 42);
	push_state_free(r);

	/* Saved again: replaced as a whole. */
	s.last_signing_time = 43;
	s.last_sync_time = 44;
	assert_int_equal(push_state_save(dir, &s), 0);
	assert_non_null(r = push_state_load(dir));
	assert_int_equal(r->last_signing_time, 43);
	assert_int_equal(r->last_sync_time, 44);
	push_state_free(r);

	/* A damaged file is refused, not guessed at. */
	{
		FILE	*f = fopen(path, "w");

		assert_non_null(f);
		fputs("format = 1\nhandle = ca\nlast_signing_time = x\n", f);
		fclose(f);
	}
	assert_null(push_state_load(dir));
	free(path);

	/*
	 * The lock: flock(2) locks belong to an open file description, so
	 * a second take in this same process fails as another process's
	 * would.
	 */
	assert_int_equal(push_state_lock(dir), 0);
	assert_int_equal(push_state_lock(dir), -1);

	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Replies: not signed before the last one accepted, not the last one
 * again, a <success/> later than the last <success/>; an old state (no
 * reply seen) believes the first.
 */
static void
test_reply_age(void **state)
{
	struct push_state	 s;
	uint8_t			 d1[32], d2[32], d3[32];
	char			 err[512];

	(void)state;
	memset(&s, 0, sizeof(s));
	s.handle = "ca";
	memset(d1, 1, sizeof(d1));
	memset(d2, 2, sizeof(d2));
	memset(d3, 3, sizeof(d3));

	/* Nothing seen yet (a state directory of an older rpkipub-push). */
	assert_int_equal(push_state_reply_age(&s, 100, d1, 1, err,
	    sizeof(err)), PUSH_REPLY_NEW);
	push_state_reply_accept(&s, 100, d1, 1);	/* <success/> at 100 */
	assert_int_equal(s.last_reply_signing_time, 100);
	assert_int_equal(s.last_success_signing_time, 100);
	assert_int_equal(s.has_reply_digest, 1);

	/* The same reply again. */
	assert_int_equal(push_state_reply_age(&s, 100, d1, 1, err,
	    sizeof(err)), PUSH_REPLY_SAME);
	assert_non_null(strstr(err, "the one accepted last"));
	assert_non_null(strstr(err, "RFC 6492 section 3.1.2"));
	assert_int_equal(push_state_reply_age(&s, 100, d1, 0, err,
	    sizeof(err)), PUSH_REPLY_SAME);

	/* A list reply in the same second is another reply: fine. */
	assert_int_equal(push_state_reply_age(&s, 100, d2, 0, err,
	    sizeof(err)), PUSH_REPLY_NEW);
	push_state_reply_accept(&s, 100, d2, 0);
	assert_int_equal(s.last_success_signing_time, 100);

	/*
	 * The attack of the review: the change query dropped, the earlier
	 * <success/> replayed in the second of the list reply.  Not the
	 * last reply, not older than it, but not after the last success.
	 */
	assert_int_equal(push_state_reply_age(&s, 100, d1, 1, err,
	    sizeof(err)), PUSH_REPLY_OLD);
	assert_non_null(strstr(err, "not after the last <success/>"));
	/* Another <success/> of that second is refused alike. */
	assert_int_equal(push_state_reply_age(&s, 100, d3, 1, err,
	    sizeof(err)), PUSH_REPLY_OLD);
	/* One signed later is believed. */
	assert_int_equal(push_state_reply_age(&s, 101, d3, 1, err,
	    sizeof(err)), PUSH_REPLY_NEW);
	push_state_reply_accept(&s, 101, d3, 1);

	/* Anything signed before the last reply accepted. */
	assert_int_equal(push_state_reply_age(&s, 100, d2, 0, err,
	    sizeof(err)), PUSH_REPLY_OLD);
	assert_non_null(strstr(err, "before the last reply accepted"));
	assert_non_null(strstr(err, "RFC 6492 section 3.1.2"));
	assert_int_equal(push_state_reply_age(&s, 50, d1, 1, err,
	    sizeof(err)), PUSH_REPLY_OLD);

	/* A new repository TA: forgotten. */
	push_state_reply_reset(&s);
	assert_int_equal(push_state_reply_age(&s, 50, d1, 1, err,
	    sizeof(err)), PUSH_REPLY_NEW);
	assert_int_equal(s.has_reply_digest, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_save_load_lock),
		cmocka_unit_test(test_reply_age),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
