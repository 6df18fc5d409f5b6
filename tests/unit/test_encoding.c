/*
 * Base64 and hex (src/common/encoding.c).  The RFC 4648 section 10 test
 * vectors both ways, then every way strict decoding must refuse input:
 * characters outside the alphabet, bad padding, non-zero pad bits, data
 * after padding, and the output limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "encoding.h"

static const struct {
	const char	*plain;
	const char	*b64;
} vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void
decodes_to(const char *in, const void *want, size_t wantlen)
{
	struct buf	b;

	buf_init(&b);
	if (b64_decode(&b, in, strlen(in), 1024) != 0)
		fail_msg("\"%s\" refused", in);
	assert_int_equal(b.len, wantlen);
	if (wantlen > 0)
		assert_memory_equal(b.data, want, wantlen);
	buf_free(&b);
}

/* Refused, and the output buffer keeps what it held before. */
static void
refused(const char *in)
{
	struct buf	b;

	buf_init(&b);
	buf_adds(&b, "keep");
	if (b64_decode(&b, in, strlen(in), 1024) != -1)
		fail_msg("\"%s\" accepted", in);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "keep", 4);
	buf_free(&b);
}

static void
test_b64_vectors(void **state)
{
	struct buf	b;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		buf_init(&b);
		b64_encode(&b, (const uint8_t *)vectors[i].plain,
		    strlen(vectors[i].plain));
		assert_int_equal(b.len, strlen(vectors[i].b64));
		assert_memory_equal(buf_str(&b), vectors[i].b64, b.len);
		buf_free(&b);
		decodes_to(vectors[i].b64, vectors[i].plain,
		    strlen(vectors[i].plain));
	}
}

static void
test_b64_all_bytes(void **state)
{
	struct buf	enc, dec;
	uint8_t		all[256];
	size_t		i, n;

	(void)state;
	for (i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)i;
	/* Every length mod 3, every byte value, both alphabets' ends. */
	for (n = 0; n <= sizeof(all); n++) {
		buf_init(&enc);
		buf_init(&dec);
		b64_encode(&enc, all + sizeof(all) - n, n);
		assert_int_equal(enc.len, (n + 2) / 3 * 4);
		assert_int_equal(b64_decode(&dec, (const char *)enc.data,
		    enc.len, n), 0);
		assert_int_equal(dec.len, n);
		if (n > 0)
			assert_memory_equal(dec.data, all + sizeof(all) - n, n);
		buf_free(&enc);
		buf_free(&dec);
	}
	/* Appends to what the buffer holds. */
	buf_init(&enc);
	buf_adds(&enc, "x=");
	b64_encode(&enc, (const uint8_t *)"foo", 3);
	assert_memory_equal(buf_str(&enc), "x=Zm9v", 7);
	buf_free(&enc);
}

static void
test_b64_whitespace(void **state)
{
	(void)state;
	decodes_to("Zm9v\nYmFy", "foobar", 6);
	decodes_to("  Zm 9v\r\n\tYm Fy \n", "foobar", 6);
	decodes_to("Zg=\n=", "f", 1);
	decodes_to(" \n\t", "", 0);
}

static void
test_b64_refused(void **state)
{
	(void)state;
	/* Outside the alphabet (URL-safe and other characters included). */
	refused("Zm9v-A==");
	refused("Zm9v_A==");
	refused("Zm9v!A==");
	refused("Zm\0v");		/* stops at NUL: "Zm" lacks padding */
	refused("Zm9v\v");
	refused("Zm9v\f");
	refused("Zm9v\xc3\xa9");
	/* Padding. */
	refused("Zg=");			/* one '=' short */
	refused("Zg");			/* none */
	refused("Zg===");		/* one too many */
	refused("Zm8");
	refused("Zm8==");
	refused("Zm9v=");		/* after a full quantum */
	refused("Zm9v====");
	refused("=");
	refused("====");
	refused("Z");			/* 6 spare bits */
	refused("Zm9vY");
	/* Data after padding. */
	refused("Zg==Zg==");
	refused("Zg==Z");
	refused("Zm8=Zm9v");
	/* Non-zero pad bits: the canonical form has them zero. */
	refused("Zh==");		/* 'h' = 33: low 4 bits 0001 */
	refused("Zm9=");		/* '9' = 61: low 2 bits 01 */
	refused("Zm/=");
	refused("Zv==");
}

static void
test_b64_max(void **state)
{
	struct buf	b;

	(void)state;
	buf_init(&b);
	assert_int_equal(b64_decode(&b, "Zm9vYmFy", 8, 6), 0);
	assert_int_equal(b.len, 6);
	b.len = 0;
	assert_int_equal(b64_decode(&b, "Zm9vYmFy", 8, 5), -1);
	assert_int_equal(b.len, 0);
	assert_int_equal(b64_decode(&b, "Zm9vYmE=", 8, 5), 0);
	assert_int_equal(b.len, 5);
	b.len = 0;
	assert_int_equal(b64_decode(&b, "Zm9vYmE=", 8, 4), -1);
	assert_int_equal(b64_decode(&b, "Zm9vYg==", 8, 4), 0);
	b.len = 0;
	assert_int_equal(b64_decode(&b, "Zm9vYg==", 8, 3), -1);
	assert_int_equal(b64_decode(&b, "Zg==", 4, 0), -1);
	assert_int_equal(b64_decode(&b, "", 0, 0), 0);
	assert_int_equal(b.len, 0);
	buf_free(&b);

	assert_true(b64_decoded_max(4) >= 3);
	assert_true(b64_decoded_max(8) >= 6);
	assert_true(b64_decoded_max(7) >= 5);	/* whitespace, short input */
}

static void
test_hex(void **state)
{
	static const uint8_t	bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	uint8_t			out[6];
	char			hex[2 * sizeof(bytes) + 1];

	(void)state;
	hex_encode(hex, bytes, sizeof(bytes));
	assert_string_equal(hex, "00017f80abff");
	hex_encode(hex, bytes, 0);
	assert_string_equal(hex, "");

	assert_int_equal(hex_decode(out, 6, "00017f80abff"), 0);
	assert_memory_equal(out, bytes, 6);
	assert_int_equal(hex_decode(out, 6, "00017F80ABFF"), 0);
	assert_memory_equal(out, bytes, 6);
	assert_int_equal(hex_decode(out, 6, "00017f80AbFf"), 0);
	assert_memory_equal(out, bytes, 6);
	assert_int_equal(hex_decode(out, 0, ""), 0);

	assert_int_equal(hex_decode(out, 6, "00017f80abf"), -1);	/* short */
	assert_int_equal(hex_decode(out, 6, "00017f80abfff"), -1);	/* odd */
	assert_int_equal(hex_decode(out, 6, "00017f80abff00"), -1);	/* long */
	assert_int_equal(hex_decode(out, 6, "00017f80abfg"), -1);
	assert_int_equal(hex_decode(out, 6, "0x017f80abff"), -1);
	assert_int_equal(hex_decode(out, 6, " 0017f80abff"), -1);
	assert_int_equal(hex_decode(out, 6, "00017f80abf\xff"), -1);
	assert_int_equal(hex_decode(out, 6, ""), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_all_bytes),
		cmocka_unit_test(test_b64_whitespace),
		cmocka_unit_test(test_b64_refused),
		cmocka_unit_test(test_b64_max),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
