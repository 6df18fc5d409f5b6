/*
 * RTR payload history (src/rtr/payload.c): RFC 1982 serial comparison,
 * diffs and their composition, and the responses a router gets.  The
 * main property: for every serial kept in the history, the encoded
 * incremental response, applied by a strict router (no duplicate
 * announcement, no withdrawal of something unknown), turns the set of
 * that serial into the current set, for every protocol version.  Serials
 * are tested across the wrap at 2^32 - 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "payload.h"
#include "pdu.h"

static const struct rtr_timers timers = { 3600, 600, 7200 };

static void
serial_arithmetic(void **state)
{
	/* RFC 1982 section 3.2 with SERIAL_BITS = 32. */
	assert_true(rtr_serial_lt(0, 1));
	assert_false(rtr_serial_lt(1, 0));
	assert_false(rtr_serial_lt(5, 5));
	assert_true(rtr_serial_lt(0xffffffffu, 0));
	assert_true(rtr_serial_lt(0xfffffff0u, 5));
	assert_false(rtr_serial_lt(5, 0xfffffff0u));
	assert_true(rtr_serial_lt(0, 0x7fffffffu));
	/* Distance 2^31: undefined, so neither is less. */
	assert_false(rtr_serial_lt(0, 0x80000000u));
	assert_false(rtr_serial_lt(0x80000000u, 0));
	assert_true(rtr_serial_lt(1, 0x80000000u));
	/* 0x80000001 - 0 > 2^31: 0x80000001 is before 0. */
	assert_true(rtr_serial_lt(0x80000001u, 0));
	assert_false(rtr_serial_lt(0x80000000u, 1));
}

static struct rtr_vrp
vrp4(uint32_t net, uint8_t plen, uint8_t maxlen, uint32_t asn)
{
	struct rtr_vrp	v;

	memset(&v, 0, sizeof(v));
	v.afi = 4;
	v.addr[0] = (uint8_t)(net >> 24);
	v.addr[1] = (uint8_t)(net >> 16);
	v.addr[2] = (uint8_t)(net >> 8);
	v.addr[3] = (uint8_t)net;
	v.plen = plen;
	v.maxlen = maxlen;
	v.asn = asn;
	return v;
}

static struct rtr_vrp
vrp6(uint16_t w, uint8_t plen, uint32_t asn)
{
	struct rtr_vrp	v;

	memset(&v, 0, sizeof(v));
	v.afi = 6;
	v.addr[0] = 0x20;
	v.addr[1] = 0x01;
	v.addr[2] = 0x0d;
	v.addr[3] = 0xb8;
	v.addr[4] = (uint8_t)(w >> 8);
	v.addr[5] = (uint8_t)w;
	v.plen = plen;
	v.maxlen = plen;
	v.asn = asn;
	return v;
}

/* A pseudo-random set drawn from a small universe, so that successive
 * sets overlap, records come and go and come back. */
static void
random_set(struct rtr_set *s, unsigned *seed)
{
	struct rtr_vrp	v;
	uint8_t		ski[20];
	uint8_t		spki[3];
	uint32_t	prov[4];
	int		i, n;

	rtr_set_init(s);
	for (i = 0; i < 60; i++) {
		if (rand_r(seed) % 2)
			continue;
		if (i % 3 == 0)
			v = vrp6((uint16_t)i, 48, 64500 + (unsigned)(i % 5));
		else
			v = vrp4(0x0a000000u | ((uint32_t)i << 8), 24,
			    (uint8_t)(24 + i % 3), 64500 + (unsigned)(i % 7));
		rtr_set_add_vrp(s, &v);
		if (rand_r(seed) % 5 == 0)
			rtr_set_add_vrp(s, &v);		/* duplicate */
	}
	for (i = 0; i < 6; i++) {
		if (rand_r(seed) % 2)
			continue;
		memset(ski, i, sizeof(ski));
		spki[0] = 0x30;
		spki[1] = (uint8_t)i;
		spki[2] = (uint8_t)(rand_r(seed) % 2);
		rtr_set_add_key(s, ski, 65000 + (unsigned)i, spki, sizeof(spki));
	}
	for (i = 0; i < 8; i++) {
		if (rand_r(seed) % 2)
			continue;
		n = 1 + rand_r(seed) % 3;
		prov[0] = 1;
		prov[1] = 2 + (unsigned)(rand_r(seed) % 2);
		prov[2] = 5;
		prov[3] = 7;
		rtr_set_add_aspa(s, 64600 + (unsigned)i, prov, (size_t)n);
	}
	rtr_set_normalize(s);
}

static void
copy_set(struct rtr_set *dst, const struct rtr_set *src)
{
	size_t	i;

	rtr_set_init(dst);
	for (i = 0; i < src->nvrps; i++)
		rtr_set_add_vrp(dst, &src->vrps[i]);
	for (i = 0; i < src->nkeys; i++)
		rtr_set_add_key(dst, src->keys[i].ski, src->keys[i].asn,
		    src->keys[i].spki, src->keys[i].spki_len);
	for (i = 0; i < src->naspas; i++)
		rtr_set_add_aspa(dst, src->aspas[i].customer,
		    src->aspas[i].prov, src->aspas[i].nprov);
	rtr_set_normalize(dst);
}

/* Only what version v carries. */
static void
restrict_to(struct rtr_set *s, int v)
{
	size_t	i;

	if (v < 1) {
		for (i = 0; i < s->nkeys; i++)
			free(s->keys[i].spki);
		s->nkeys = 0;
	}
	if (v < 2) {
		for (i = 0; i < s->naspas; i++) {
			free(s->aspas[i].prov);
			free(s->aspas[i].old);
		}
		s->naspas = 0;
	}
}

static int
set_equal(const struct rtr_set *a, const struct rtr_set *b)
{
	size_t	i;

	if (a->nvrps != b->nvrps || a->nkeys != b->nkeys ||
	    a->naspas != b->naspas)
		return 0;
	for (i = 0; i < a->nvrps; i++)
		if (rtr_vrp_cmp(&a->vrps[i], &b->vrps[i]) != 0)
			return 0;
	for (i = 0; i < a->nkeys; i++)
		if (memcmp(a->keys[i].ski, b->keys[i].ski, 20) != 0 ||
		    a->keys[i].asn != b->keys[i].asn ||
		    a->keys[i].spki_len != b->keys[i].spki_len ||
		    memcmp(a->keys[i].spki, b->keys[i].spki,
		    a->keys[i].spki_len) != 0)
			return 0;
	for (i = 0; i < a->naspas; i++)
		if (a->aspas[i].customer != b->aspas[i].customer ||
		    a->aspas[i].nprov != b->aspas[i].nprov ||
		    (a->aspas[i].nprov && memcmp(a->aspas[i].prov,
		    b->aspas[i].prov, a->aspas[i].nprov * 4) != 0))
			return 0;
	return 1;
}

static int
has_vrp(const struct rtr_set *s, const struct rtr_vrp *v)
{
	size_t	i;

	for (i = 0; i < s->nvrps; i++)
		if (rtr_vrp_cmp(&s->vrps[i], v) == 0)
			return 1;
	return 0;
}

static int
has_key(const struct rtr_set *s, const struct rtr_pdu *p)
{
	size_t	i;

	for (i = 0; i < s->nkeys; i++)
		if (memcmp(s->keys[i].ski, p->ski, 20) == 0 &&
		    s->keys[i].asn == p->asn &&
		    s->keys[i].spki_len == p->spki_len &&
		    memcmp(s->keys[i].spki, p->spki, p->spki_len) == 0)
			return 1;
	return 0;
}

static int
has_aspa(const struct rtr_set *s, uint32_t customer)
{
	size_t	i;

	for (i = 0; i < s->naspas; i++)
		if (s->aspas[i].customer == customer)
			return 1;
	return 0;
}

static int
vrp_qcmp(const void *a, const void *b)
{
	return rtr_vrp_cmp(a, b);
}

static int
key_qcmp(const void *a, const void *b)
{
	const struct rtr_rkey	*x = a, *y = b;
	int			 c;

	if ((c = memcmp(x->ski, y->ski, 20)) != 0)
		return c;
	if (x->asn != y->asn)
		return x->asn < y->asn ? -1 : 1;
	if (x->spki_len != y->spki_len)
		return x->spki_len < y->spki_len ? -1 : 1;
	return memcmp(x->spki, y->spki, x->spki_len);
}

static int
aspa_qcmp(const void *a, const void *b)
{
	const struct rtr_aspa	*x = a, *y = b;

	return x->customer < y->customer ? -1 : x->customer > y->customer;
}

/*
 * Play response blob as a strict router of version v holding *view:
 * every PDU of the version, framed by Cache Response and End of Data
 * with our session and serial, no duplicate, no unknown withdrawal.
 */
static void
play(const struct rtr_blob *b, int v, uint16_t sid, uint32_t serial,
    struct rtr_set *view)
{
	struct rtr_pdu		 p;
	struct rtr_set		 d;
	struct rtr_vrp		 vrp;
	enum rtr_error_code	 code;
	const char		*why;
	size_t			 off = 0, bad, i;
	uint32_t		 prov[64];
	int			 r, first = 1, ended = 0;

	rtr_set_init(&d);
	while (off < b->len) {
		r = rtr_pdu_decode(b->data + off, b->len - off, &p, &code, &why,
		    &bad);
		if (r <= 0)
			fail_msg("undecodable PDU at %zu: %s", off, why);
		assert_int_equal(p.version, v);
		assert_false(ended);
		if (first) {
			assert_int_equal(p.type, RTR_CACHE_RESPONSE);
			assert_int_equal(p.session, sid);
			first = 0;
		} else if (p.type == RTR_END_OF_DATA) {
			assert_int_equal(p.serial, serial);
			if (v == 0)
				assert_int_equal(p.session, sid);
			else
				assert_int_equal(p.timers.refresh, 3600);
			ended = 1;
		} else if (p.type == RTR_IPV4_PREFIX || p.type == RTR_IPV6_PREFIX) {
			memset(&vrp, 0, sizeof(vrp));
			vrp.afi = p.type == RTR_IPV4_PREFIX ? 4 : 6;
			memcpy(vrp.addr, p.addr, 16);
			vrp.plen = p.plen;
			vrp.maxlen = p.maxlen;
			vrp.asn = p.asn;
			if (p.flags & RTR_FLAG_ANNOUNCE)
				assert_false(has_vrp(view, &vrp));
			else
				assert_true(has_vrp(view, &vrp));
			vrp.flags = p.flags;
			rtr_set_add_vrp(&d, &vrp);
		} else if (p.type == RTR_ROUTER_KEY) {
			assert_true(v >= 1);
			assert_int_equal(has_key(view, &p),
			    !(p.flags & RTR_FLAG_ANNOUNCE));
			rtr_set_add_key(&d, p.ski, p.asn, p.spki, p.spki_len);
			d.keys[d.nkeys - 1].flags = p.flags;
		} else if (p.type == RTR_ASPA) {
			assert_int_equal(v, 2);
			if (!(p.flags & RTR_FLAG_ANNOUNCE))
				assert_true(has_aspa(view, p.asn));
			assert_true(p.nproviders <= 64);
			for (i = 0; i < p.nproviders; i++)
				prov[i] = rtr_pdu_provider(&p, i);
			rtr_set_add_aspa(&d, p.asn, prov, p.nproviders);
			d.aspas[d.naspas - 1].flags = p.flags;
		} else
			fail_msg("unexpected PDU type %d", p.type);
		off += (size_t)r;
	}
	assert_true(ended);
	/* Withdrawals come before announcements; apply wants key order. */
	if (d.nvrps > 1)
		qsort(d.vrps, d.nvrps, sizeof(*d.vrps), vrp_qcmp);
	if (d.nkeys > 1)
		qsort(d.keys, d.nkeys, sizeof(*d.keys), key_qcmp);
	if (d.naspas > 1)
		qsort(d.aspas, d.naspas, sizeof(*d.aspas), aspa_qcmp);
	rtr_set_apply(view, &d);
	rtr_set_free(&d);
}

/* Random updates from first_serial; every kept serial's delta must lead
 * to the current set, in every version. */
static void
history_property(uint32_t first_serial, unsigned seed0)
{
	struct rtr_cache	 c;
	struct rtr_set		 sets[40], s, view, want;
	uint32_t		 serials[40];
	struct rtr_blob		*b;
	unsigned		 seed = seed0;
	size_t			 n = 0, i;
	int			 v, round;

	rtr_cache_init(&c, 4242, first_serial, 8, &timers);
	for (round = 0; round < 30; round++) {
		random_set(&s, &seed);
		copy_set(&sets[n], &s);
		if (!rtr_cache_update(&c, &s)) {
			/* unchanged: same serial */
			rtr_set_free(&sets[n]);
			continue;
		}
		serials[n] = c.serial;
		n++;
		for (v = 0; v < RTR_NVERSIONS; v++) {
			copy_set(&want, &c.cur);
			restrict_to(&want, v);
			/* Full response from nothing. */
			rtr_set_init(&view);
			b = rtr_cache_full(&c, v);
			play(b, v, 4242, c.serial, &view);
			rtr_blob_unref(b);
			assert_true(set_equal(&view, &want));
			rtr_set_free(&view);
			for (i = 0; i < n; i++) {
				b = rtr_cache_delta(&c, v, serials[i]);
				if (n - 1 - i > 8) {
					assert_null(b);	/* beyond the history */
					continue;
				}
				assert_non_null(b);
				copy_set(&view, &sets[i]);
				restrict_to(&view, v);
				play(b, v, 4242, c.serial, &view);
				rtr_blob_unref(b);
				assert_true(set_equal(&view, &want));
				rtr_set_free(&view);
			}
			rtr_set_free(&want);
		}
	}
	/* A serial never issued, and one "from the future". */
	assert_null(rtr_cache_delta(&c, 1, c.serial + 1));
	assert_null(rtr_cache_delta(&c, 1, c.serial + 1000));
	for (i = 0; i < n; i++)
		rtr_set_free(&sets[i]);
	rtr_cache_free(&c);
}

static void
history_from_zero(void **state)
{
	history_property(0, 1);
	history_property(0, 7);
}

static void
history_across_wrap(void **state)
{
	/* Starts 5 below 2^32 - 1: the serial wraps to 0 mid-run. */
	history_property(0xfffffffau, 3);
	history_property(0xffffffffu, 11);
}

static void
wrap_exact(void **state)
{
	struct rtr_cache	 c;
	struct rtr_set		 s;
	struct rtr_vrp		 v = vrp4(0x0a000000, 8, 8, 1);
	struct rtr_blob		*b;

	rtr_cache_init(&c, 1, 0xffffffffu, 4, &timers);
	rtr_set_init(&s);
	rtr_set_add_vrp(&s, &v);
	rtr_set_normalize(&s);
	assert_int_equal(rtr_cache_update(&c, &s), 1);
	assert_int_equal(c.serial, 0xffffffffu);
	rtr_set_add_vrp(&s, &v);	/* taken over: add both again */
	v = vrp4(0x0b000000, 8, 8, 1);
	rtr_set_add_vrp(&s, &v);
	rtr_set_normalize(&s);
	assert_int_equal(rtr_cache_update(&c, &s), 1);
	assert_int_equal(c.serial, 0);		/* wrapped */
	b = rtr_cache_delta(&c, 1, 0xffffffffu);
	assert_non_null(b);
	/* CR 8 + one IPv4 announcement 20 + EoD 24 */
	assert_int_equal(b->len, 8 + 20 + 24);
	rtr_blob_unref(b);
	/* Up to date: only Cache Response and End of Data. */
	b = rtr_cache_delta(&c, 1, 0);
	assert_int_equal(b->len, 8 + 24);
	rtr_blob_unref(b);
	rtr_set_free(&s);
	rtr_cache_free(&c);
}

/* After a change larger than the budget the oldest diffs go: their
 * serials get Cache Reset (NULL), the newest stays. */
static void
history_budget(void **state)
{
	struct rtr_cache	 c;
	struct rtr_set		 s;
	struct rtr_vrp		 v;
	struct rtr_blob		*b;
	uint32_t		 i, round;

	rtr_cache_init(&c, 1, 0, 8, &timers);
	c.hist_min_records = 10;
	for (round = 0; round < 4; round++) {
		rtr_set_init(&s);
		/* rounds 0-2 share 100 VRPs and differ by one; round 3
		 * replaces all */
		for (i = 0; i < 100; i++) {
			v = vrp4(0x0a000000u | (i << 8), 24, 24,
			    round == 3 ? 2 : 1);
			rtr_set_add_vrp(&s, &v);
		}
		v = vrp4(0x0b000000u | (round << 8), 24, 24, 1);
		rtr_set_add_vrp(&s, &v);
		rtr_set_normalize(&s);
		rtr_cache_update(&c, &s);
		rtr_set_free(&s);
		if (round == 2) {
			assert_int_equal(c.nhist, 2);
			b = rtr_cache_delta(&c, 1, 0);
			assert_non_null(b);
			rtr_blob_unref(b);
		}
	}
	assert_int_equal(c.serial, 3);
	/* Budget 10 + 2 * 101 = 212: the diff from serial 2 (202 records)
	 * stays, those from 0 and 1 (204 each) go. */
	assert_int_equal(c.nhist, 1);
	assert_null(rtr_cache_delta(&c, 1, 0));
	assert_null(rtr_cache_delta(&c, 1, 1));
	b = rtr_cache_delta(&c, 1, 2);
	assert_non_null(b);
	rtr_blob_unref(b);
	rtr_cache_free(&c);
}

static void
aspa_replace_and_back(void **state)
{
	struct rtr_set	a, b, c, d1, d2, net;
	uint32_t	p1[] = { 3, 1, 2, 2 }, p2[] = { 4 };

	rtr_set_init(&a);
	rtr_set_add_aspa(&a, 100, p1, 4);
	rtr_set_add_aspa(&a, 100, p2, 1);	/* merged: 1 2 3 4 */
	rtr_set_normalize(&a);
	assert_int_equal(a.naspas, 1);
	assert_int_equal(a.aspas[0].nprov, 4);
	rtr_set_init(&b);
	rtr_set_add_aspa(&b, 100, p2, 1);
	rtr_set_normalize(&b);
	copy_set(&c, &a);
	rtr_set_diff(&a, &b, &d1);		/* replace: announce {4} */
	assert_int_equal(d1.naspas, 1);
	assert_int_equal(d1.aspas[0].flags, RTR_FLAG_ANNOUNCE);
	assert_int_equal(d1.aspas[0].nprov, 1);
	rtr_set_diff(&b, &c, &d2);		/* and back */
	rtr_set_compose(&d1, &d2, &net);
	assert_int_equal(rtr_set_count(&net), 0);
	rtr_set_free(&a);
	rtr_set_free(&b);
	rtr_set_free(&c);
	rtr_set_free(&d1);
	rtr_set_free(&d2);
	rtr_set_free(&net);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(serial_arithmetic),
		cmocka_unit_test(history_from_zero),
		cmocka_unit_test(history_across_wrap),
		cmocka_unit_test(wrap_exact),
		cmocka_unit_test(history_budget),
		cmocka_unit_test(aspa_replace_and_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
