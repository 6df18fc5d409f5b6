/*
 * RTR PDU codec (src/rtr/pdu.c): every encoder decodes back to its
 * fields; the decoder refuses what RFC 8210 section 5 and 8210bis do not
 * allow, with the error code the cache must report, and asks for more
 * bytes (returns 0) for a PDU that is only partly there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bounds.h"
#include "buf.h"
#include "pdu.h"

static int
decode(const struct buf *b, struct rtr_pdu *p, enum rtr_error_code *code)
{
	const char	*why;
	size_t		 bad;

	return rtr_pdu_decode(b->data, b->len, p, code, &why, &bad);
}

static void
round_trips(void **state)
{
	struct rtr_timers	 t = { 900, 300, 3600 };
	struct rtr_pdu		 p;
	enum rtr_error_code	 code;
	struct buf		 b;
	uint8_t			 addr[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint8_t			 ski[20], spki[91];
	uint32_t		 prov[3] = { 64497, 64498, 4200000000u };
	int			 v;

	memset(ski, 0xab, sizeof(ski));
	memset(spki, 0x30, sizeof(spki));
	for (v = 0; v <= 2; v++) {
		buf_init(&b);
		rtr_pdu_serial_notify(&b, v, 77, 0xfffffffeu);
		assert_int_equal(decode(&b, &p, &code), 12);
		assert_int_equal(p.version, v);
		assert_int_equal(p.type, RTR_SERIAL_NOTIFY);
		assert_int_equal(p.session, 77);
		assert_int_equal(p.serial, 0xfffffffeu);
		b.len = 0;
		rtr_pdu_end_of_data(&b, v, 77, 9, &t);
		assert_int_equal(decode(&b, &p, &code), v == 0 ? 12 : 24);
		assert_int_equal(p.serial, 9);
		if (v > 0) {
			assert_int_equal(p.timers.refresh, 900);
			assert_int_equal(p.timers.retry, 300);
			assert_int_equal(p.timers.expire, 3600);
		}
		b.len = 0;
		rtr_pdu_prefix(&b, v, 6, RTR_FLAG_ANNOUNCE, addr, 32, 48, 64496);
		assert_int_equal(decode(&b, &p, &code), 32);
		assert_int_equal(p.type, RTR_IPV6_PREFIX);
		assert_int_equal(p.flags, 1);
		assert_int_equal(p.plen, 32);
		assert_int_equal(p.maxlen, 48);
		assert_int_equal(p.asn, 64496);
		assert_memory_equal(p.addr, addr, 16);
		b.len = 0;
		rtr_pdu_prefix(&b, v, 4, 0, addr, 16, 24, 1);
		assert_int_equal(decode(&b, &p, &code), 20);
		assert_int_equal(p.flags, 0);
		assert_memory_equal(p.addr, addr, 4);
		buf_free(&b);
	}
	buf_init(&b);
	rtr_pdu_router_key(&b, 1, RTR_FLAG_ANNOUNCE, ski, 65001, spki, sizeof(spki));
	assert_int_equal(decode(&b, &p, &code), 32 + 91);
	assert_memory_equal(p.ski, ski, 20);
	assert_int_equal(p.asn, 65001);
	assert_int_equal(p.spki_len, 91);
	b.len = 0;
	rtr_pdu_aspa(&b, 2, RTR_FLAG_ANNOUNCE, 64496, prov, 3);
	assert_int_equal(decode(&b, &p, &code), 24);
	assert_int_equal(p.asn, 64496);
	assert_int_equal(p.nproviders, 3);
	assert_int_equal(rtr_pdu_provider(&p, 2), 4200000000u);
	b.len = 0;
	rtr_pdu_aspa(&b, 2, 0, 64496, prov, 3);	/* withdrawal: no list */
	assert_int_equal(decode(&b, &p, &code), 12);
	assert_int_equal(p.nproviders, 0);
	b.len = 0;
	rtr_pdu_error_report(&b, 1, RTR_ERR_NO_DATA, (const uint8_t *)"12345678",
	    8, "no data");
	assert_int_equal(decode(&b, &p, &code), 16 + 8 + 7);
	assert_int_equal(p.session, RTR_ERR_NO_DATA);
	assert_int_equal(p.err_pdu_len, 8);
	assert_int_equal(p.err_text_len, 7);
	assert_memory_equal(p.err_text, "no data", 7);
	buf_free(&b);
}

static void
expect_error(const uint8_t *pdu, size_t len, enum rtr_error_code want)
{
	struct rtr_pdu		 p;
	enum rtr_error_code	 code = 99;
	const char		*why = NULL;
	size_t			 bad = 0;

	assert_int_equal(rtr_pdu_decode(pdu, len, &p, &code, &why, &bad), -1);
	assert_int_equal(code, want);
	assert_non_null(why);
	assert_true(bad >= 8 && bad <= len);
}

static void
refusals(void **state)
{
	/* version 3 */
	static const uint8_t v3[] = { 3, 2, 0, 0, 0, 0, 0, 8 };
	/* Reset Query of length 12 */
	static const uint8_t badlen[] = { 1, 2, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0 };
	/* length below the header, and above the limit */
	static const uint8_t tiny[] = { 1, 2, 0, 0, 0, 0, 0, 4 };
	static const uint8_t huge[] = { 1, 9, 0, 0, 0x7f, 0, 0, 0 };
	/* type 5 and 200 do not exist */
	static const uint8_t t5[] = { 1, 5, 0, 0, 0, 0, 0, 8 };
	static const uint8_t t200[] = { 1, 200, 0, 0, 0, 0, 0, 8 };
	/* Router Key in version 0, ASPA in version 1 */
	static const uint8_t rk0[] = { 0, 9, 1, 0, 0, 0, 0, 40 };
	static const uint8_t aspa1[] = { 1, 11, 1, 0, 0, 0, 0, 12, 0, 0, 0, 1 };
	/* IPv4 prefix: max length below prefix length; prefix length 33 */
	static const uint8_t pfx[] = { 1, 4, 0, 0, 0, 0, 0, 20,
	    1, 24, 16, 0, 192, 0, 2, 0, 0, 0, 0, 1 };
	static const uint8_t pfx33[] = { 1, 4, 0, 0, 0, 0, 0, 20,
	    1, 33, 33, 0, 192, 0, 2, 0, 0, 0, 0, 1 };
	/* ASPA of length 14, and a withdrawal with a provider */
	static const uint8_t aspa14[] = { 2, 11, 1, 0, 0, 0, 0, 14,
	    0, 0, 0, 1, 0, 0 };
	static const uint8_t aspaw[] = { 2, 11, 0, 0, 0, 0, 0, 16,
	    0, 0, 0, 1, 0, 0, 0, 2 };
	/* Error Report whose inner length overruns it */
	static const uint8_t er[] = { 1, 10, 0, 0, 0, 0, 0, 16,
	    0, 0, 0, 9, 0, 0, 0, 0 };
	/* Router Key without an SPKI */
	static const uint8_t rk[32] = { 1, 9, 1, 0, 0, 0, 0, 32 };

	expect_error(v3, sizeof(v3), RTR_ERR_UNSUPPORTED_VERSION);
	expect_error(badlen, sizeof(badlen), RTR_ERR_CORRUPT_DATA);
	expect_error(tiny, sizeof(tiny), RTR_ERR_CORRUPT_DATA);
	expect_error(huge, sizeof(huge), RTR_ERR_CORRUPT_DATA);
	expect_error(t5, sizeof(t5), RTR_ERR_UNSUPPORTED_TYPE);
	expect_error(t200, sizeof(t200), RTR_ERR_UNSUPPORTED_TYPE);
	expect_error(rk0, sizeof(rk0), RTR_ERR_UNSUPPORTED_TYPE);
	expect_error(aspa1, sizeof(aspa1), RTR_ERR_UNSUPPORTED_TYPE);
	expect_error(pfx, sizeof(pfx), RTR_ERR_CORRUPT_DATA);
	expect_error(pfx33, sizeof(pfx33), RTR_ERR_CORRUPT_DATA);
	expect_error(aspa14, sizeof(aspa14), RTR_ERR_CORRUPT_DATA);
	expect_error(aspaw, sizeof(aspaw), RTR_ERR_ASPA_PROVIDER_LIST);
	expect_error(er, sizeof(er), RTR_ERR_CORRUPT_DATA);
	expect_error(rk, sizeof(rk), RTR_ERR_CORRUPT_DATA);
}

static void
partial(void **state)
{
	struct rtr_pdu		 p;
	enum rtr_error_code	 code;
	const char		*why;
	struct buf		 b;
	size_t			 i, bad;
	uint32_t		 prov[100];

	memset(prov, 1, sizeof(prov));
	buf_init(&b);
	rtr_pdu_aspa(&b, 2, RTR_FLAG_ANNOUNCE, 1, prov, 100);
	rtr_pdu_serial_query(&b, 2, 5, 6);
	for (i = 0; i < 12 + 400; i++)
		assert_int_equal(rtr_pdu_decode(b.data, i, &p, &code, &why,
		    &bad), 0);
	assert_int_equal(rtr_pdu_decode(b.data, b.len, &p, &code, &why, &bad),
	    12 + 400);
	assert_int_equal(rtr_pdu_decode(b.data + 412, b.len - 412, &p, &code,
	    &why, &bad), 12);
	assert_int_equal(p.type, RTR_SERIAL_QUERY);
	assert_int_equal(p.serial, 6);
	buf_free(&b);
}

static void
error_report_is_bounded(void **state)
{
	struct buf	b;
	static uint8_t	big[RTR_MAX_PDU_LEN + 100];

	buf_init(&b);
	rtr_pdu_error_report(&b, 1, RTR_ERR_CORRUPT_DATA, big, sizeof(big),
	    "text");
	assert_true(b.len <= RTR_MAX_PDU_LEN);
	buf_free(&b);
}

/* RFC 8210 section 6: each timer's range, and expire above the other two. */
static void
timer_ranges(void **state)
{
	static const struct {
		struct rtr_timers	t;
		int			ok;
	} cases[] = {
		{ { 3600, 600, 7200 }, 1 },
		{ { 1, 1, 600 }, 1 },			/* every minimum */
		{ { 86400, 7200, 172800 }, 1 },		/* every maximum */
		{ { 0, 600, 7200 }, 0 },
		{ { 86401, 600, 172800 }, 0 },
		{ { 3600, 0, 7200 }, 0 },
		{ { 3600, 7201, 172800 }, 0 },
		{ { 60, 60, 599 }, 0 },
		{ { 3600, 600, 172801 }, 0 },
		{ { 3600, 600, 3600 }, 0 },		/* expire = refresh */
		{ { 600, 1200, 1200 }, 0 },		/* expire = retry */
		{ { 7200, 600, 1000 }, 0 },		/* expire < refresh */
		{ { 0xffffffffu, 0xffffffffu, 0xffffffffu }, 0 },
	};
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = rtr_timers_check(&cases[i].t);
		if (cases[i].ok)
			assert_null(why);
		else {
			assert_non_null(why);
			assert_non_null(strstr(why, "RFC 8210 section 6"));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trips),
		cmocka_unit_test(refusals),
		cmocka_unit_test(partial),
		cmocka_unit_test(error_report_is_bounded),
		cmocka_unit_test(timer_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
