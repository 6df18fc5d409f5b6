/*
 * The streaming gzip decoder of rrdpsync (sync_gunzip.h): one member and
 * several back to back, fed in pieces of every size; a decompression
 * bomb stopped at the limit with no more output than the limit; a
 * truncated member, bytes after the last member, no member, not gzip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "buf.h"
#include "sync_gunzip.h"

static int
collect(void *arg, const uint8_t *d, size_t n)
{
	buf_add(arg, d, n);
	return 0;
}

/* gzip of data as one member (level as given). */
static void
gz(struct buf *out, const uint8_t *data, size_t len, int level)
{
	z_stream	z;
	uint8_t		chunk[65536];
	int		zr;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, Z_FINISH);
		buf_add(out, chunk, sizeof(chunk) - z.avail_out);
	} while (zr != Z_STREAM_END);
	deflateEnd(&z);
}

static uint8_t *
pattern(size_t len)
{
	uint8_t		*p = malloc(len);
	uint32_t	 x = 12345;
	size_t		 i;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		/* Some repetition, so it compresses a little. */
		p[i] = (uint8_t)((x >> 16) % 40 + 'A');
	}
	return p;
}

/* Decode in pieces of step bytes; 0 or -1. */
static int
decode(const struct buf *in, size_t step, uint64_t max, struct buf *out,
    struct sync_gunzip **gp)
{
	struct sync_gunzip	*g = sync_gunzip_new(max, collect, out);
	size_t			 off, n;
	int			 rc = 0;

	for (off = 0; off < in->len && rc == 0; off += n) {
		n = in->len - off < step ? in->len - off : step;
		rc = sync_gunzip_feed(g, in->data + off, n);
	}
	if (rc == 0)
		rc = sync_gunzip_finish(g);
	*gp = g;
	return rc;
}

static void
test_one_member(void **unused)
{
	static const size_t	steps[] = { 1, 7, 4096, 100000, 10000000 };
	struct sync_gunzip	*g;
	struct buf		 in, out;
	uint8_t			*data = pattern(700000);
	size_t			 i;

	(void)unused;
	buf_init(&in);
	gz(&in, data, 700000, 6);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		buf_init(&out);
		assert_int_equal(decode(&in, steps[i], 1u << 30, &out, &g), 0);
		assert_int_equal(out.len, 700000);
		assert_memory_equal(out.data, data, 700000);
		assert_int_equal(sync_gunzip_members(g), 1);
		assert_int_equal(sync_gunzip_out_bytes(g), 700000);
		sync_gunzip_free(g);
		buf_free(&out);
	}
	buf_free(&in);
	free(data);
}

static void
test_members(void **unused)
{
	struct sync_gunzip	*g;
	struct buf		 in, out;
	uint8_t			*data = pattern(300000);

	(void)unused;
	/* Three members, as `cat a.gz b.gz c.gz` (RFC 1952 section 2.2);
	 * the middle one empty. */
	buf_init(&in);
	gz(&in, data, 100000, 1);
	gz(&in, data, 0, 1);
	gz(&in, data + 100000, 200000, 9);
	buf_init(&out);
	assert_int_equal(decode(&in, 333, 1u << 30, &out, &g), 0);
	assert_int_equal(sync_gunzip_members(g), 3);
	assert_int_equal(out.len, 300000);
	assert_memory_equal(out.data, data, 300000);
	sync_gunzip_free(g);
	buf_free(&out);
	buf_free(&in);
	free(data);
}

static void
test_bomb(void **unused)
{
	struct sync_gunzip	*g;
	struct buf		 in, out;
	uint8_t			*zeros = calloc(1, 64u << 20);

	(void)unused;
	assert_non_null(zeros);
	buf_init(&in);
	gz(&in, zeros, 64u << 20, 9);
	free(zeros);
	/* 64 MB from about 64 KB: the limit stops it at 1 MB. */
	assert_true(in.len < 200000);
	buf_init(&out);
	assert_int_equal(decode(&in, 65536, 1u << 20, &out, &g), -1);
	assert_int_equal(sync_gunzip_over_limit(g), 1);
	assert_true(out.len <= 1u << 20);
	assert_non_null(strstr(sync_gunzip_error(g), "decompression bomb"));
	/* Later feeds keep failing. */
	assert_int_equal(sync_gunzip_feed(g, in.data, 1), -1);
	sync_gunzip_free(g);
	buf_free(&out);
	buf_free(&in);
}

static void
test_broken(void **unused)
{
	struct sync_gunzip	*g;
	struct buf		 in, out, cut;
	uint8_t			*data = pattern(50000);

	(void)unused;
	buf_init(&in);
	gz(&in, data, 50000, 6);
	/* Truncated: the trailer (CRC, size) missing. */
	buf_init(&cut);
	buf_add(&cut, in.data, in.len - 4);
	buf_init(&out);
	assert_int_equal(decode(&cut, 1000, 1u << 30, &out, &g), -1);
	assert_non_null(strstr(sync_gunzip_error(g), "truncated"));
	assert_int_equal(sync_gunzip_over_limit(g), 0);
	sync_gunzip_free(g);
	buf_free(&out);
	buf_free(&cut);
	/* A corrupted CRC. */
	buf_init(&cut);
	buf_add(&cut, in.data, in.len);
	cut.data[cut.len - 6] ^= 0xff;
	buf_init(&out);
	assert_int_equal(decode(&cut, 1000, 1u << 30, &out, &g), -1);
	assert_non_null(strstr(sync_gunzip_error(g), "invalid"));
	sync_gunzip_free(g);
	buf_free(&out);
	buf_free(&cut);
	/* Garbage after the member. */
	buf_add(&in, "trailing", 8);
	buf_init(&out);
	assert_int_equal(decode(&in, 1000, 1u << 30, &out, &g), -1);
	assert_non_null(strstr(sync_gunzip_error(g), "after the last member"));
	sync_gunzip_free(g);
	buf_free(&out);
	buf_free(&in);
	/* No member at all, and not gzip. */
	buf_init(&in);
	buf_init(&out);
	assert_int_equal(decode(&in, 1000, 1u << 30, &out, &g), -1);
	assert_non_null(strstr(sync_gunzip_error(g), "no member"));
	sync_gunzip_free(g);
	buf_add(&in, "<snapshot/>", 11);
	assert_int_equal(decode(&in, 1000, 1u << 30, &out, &g), -1);
	assert_non_null(strstr(sync_gunzip_error(g), "invalid gzip"));
	sync_gunzip_free(g);
	buf_free(&out);
	buf_free(&in);
	free(data);
}

static int
refuse(void *arg, const uint8_t *d, size_t n)
{
	(void)arg;
	(void)d;
	(void)n;
	return -1;
}

static void
test_output_refused(void **unused)
{
	struct sync_gunzip	*g;
	struct buf		 in;
	uint8_t			*data = pattern(1000);

	(void)unused;
	buf_init(&in);
	gz(&in, data, 1000, 6);
	g = sync_gunzip_new(1u << 30, refuse, NULL);
	assert_int_equal(sync_gunzip_feed(g, in.data, in.len), -1);
	assert_string_equal(sync_gunzip_error(g), "stopped");
	sync_gunzip_free(g);
	buf_free(&in);
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_member),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_output_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
