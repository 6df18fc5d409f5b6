/*
 * rpki-client JSON input (src/rtr/input.c) and SLURM (src/rtr/slurm.c):
 * the three shapes of ASPAs, "AS" strings, fed one byte at a time (the
 * parser streams), the buildtime age check, and documents that must be
 * refused as a whole (truncated, a bad record, wrong types, limits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "input.h"
#include "slurm.h"

#define NOW	1795000000	/* 2026-11-18T11:06:40Z */

static const char good[] =
"{\"metadata\": {\"buildtime\": \"2026-11-18T08:00:00Z\", \"vrps\": 3},\n"
" \"roas\": [\n"
"  {\"asn\": 64496, \"prefix\": \"192.0.2.0/24\", \"maxLength\": 24, \"ta\": \"a\", \"expires\": 1900000000},\n"
"  {\"asn\": \"AS64497\", \"prefix\": \"2001:db8::/32\", \"maxLength\": 48, \"ta\": \"a\", \"expires\": 1900000000},\n"
"  {\"asn\": 64496, \"prefix\": \"192.0.2.0/24\", \"maxLength\": 24, \"ta\": \"b\", \"expires\": 1900000000},\n"
"  {\"asn\": 64499, \"prefix\": \"198.51.100.0/24\", \"maxLength\": 24, \"ta\": \"a\", \"expires\": 1000}\n"
" ],\n"
" \"bgpsec_keys\": [{\"asn\": 65001, \"ski\": \"0123456789abcdef0123456789ABCDEF01234567\",\n"
"   \"pubkey\": \"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\", \"ta\": \"a\", \"expires\": 1900000000}],\n"
" \"aspas\": [{\"customer_asid\": 64496, \"providers\": [64498, \"AS64497\"], \"expires\": 1900000000}],\n"
" \"provider_authorizations\": {\"ipv4\": [{\"customer_asid\": 64496, \"providers\": [64499]}],\n"
"   \"ipv6\": [{\"customer_asid\": 64500, \"providers\": []}]},\n"
" \"unknown\": {\"nested\": [1, {\"x\": null}, true]}\n"
"}\n";

static int
parse(const char *doc, size_t chunk, time_t max_age, struct rtr_set *s,
    struct rtr_input_info *info)
{
	struct rtr_input	*in;
	size_t			 off, n, len = strlen(doc);
	int			 rc = 0;

	rtr_set_init(s);
	in = rtr_input_new(s, NOW, max_age);
	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < chunk ? len - off : chunk;
		rc = rtr_input_feed(in, (const uint8_t *)doc + off, n);
	}
	if (rc == 0)
		rc = rtr_input_finish(in, info);
	if (rc != 0)
		print_message("refused: %s\n", rtr_input_error(in));
	rtr_input_free(in);
	return rc;
}

static void
accepts_all_shapes(void **state)
{
	struct rtr_set		s;
	struct rtr_input_info	info;
	size_t			chunk;

	for (chunk = 1; chunk <= 4096; chunk *= 8) {
		assert_int_equal(parse(good, chunk, 86400, &s, &info), 0);
		assert_int_equal(s.nvrps, 2);		/* dup merged, expired gone */
		assert_int_equal(info.expired, 1);
		assert_int_equal(info.buildtime, 1794988800);
		assert_int_equal(s.vrps[0].afi, 4);
		assert_int_equal(s.vrps[1].asn, 64497);
		assert_int_equal(s.nkeys, 1);
		assert_int_equal(s.keys[0].ski[19], 0x67);
		assert_int_equal(s.naspas, 2);
		/* both shapes merged for customer 64496 */
		assert_int_equal(s.aspas[0].customer, 64496);
		assert_int_equal(s.aspas[0].nprov, 3);
		assert_int_equal(s.aspas[0].prov[0], 64497);
		assert_int_equal(s.aspas[1].customer, 64500);
		assert_int_equal(s.aspas[1].nprov, 0);
		rtr_set_free(&s);
	}
}

static void
age_check(void **state)
{
	struct rtr_set	s;

	/* buildtime is 11200 s before NOW */
	assert_int_equal(parse(good, 4096, 3600, &s, NULL), -1);
	assert_int_equal(s.nvrps, 0);
	rtr_set_free(&s);
	assert_int_equal(parse(good, 4096, 0, &s, NULL), 0);
	rtr_set_free(&s);
	assert_int_equal(parse("{\"roas\": []}", 4096, 86400, &s, NULL), -1);
	rtr_set_free(&s);
	assert_int_equal(parse("{\"roas\": []}", 4096, 0, &s, NULL), 0);
	rtr_set_free(&s);
}

static void
refusals(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"42",
		"{\"roas\": [",
		"{\"roas\": []",
		"{\"roas\": {}}",
		"{\"roas\": 5}",
		"{\"roas\": [5]}",
		"{\"roas\": [{\"asn\": 1}]}",
		"{\"roas\": [{\"prefix\": \"10.0.0.0/8\"}]}",
		"{\"roas\": [{\"asn\": 1, \"prefix\": \"10.0.0.0/8\", \"maxLength\": 7}]}",
		"{\"roas\": [{\"asn\": 1, \"prefix\": \"10.0.0.0/8\", \"maxLength\": 33}]}",
		"{\"roas\": [{\"asn\": 1, \"prefix\": \"10.0.0.1/8\"}]}",
		"{\"roas\": [{\"asn\": 1, \"prefix\": \"10.0.0.0/33\"}]}",
		"{\"roas\": [{\"asn\": 4294967296, \"prefix\": \"10.0.0.0/8\"}]}",
		"{\"roas\": [{\"asn\": \"ASX\", \"prefix\": \"10.0.0.0/8\"}]}",
		"{\"roas\": [{\"asn\": -1, \"prefix\": \"10.0.0.0/8\"}]}",
		"{\"roas\": [{\"asn\": 1.5, \"prefix\": \"10.0.0.0/8\"}]}",
		"{\"bgpsec_keys\": [{\"asn\": 1, \"ski\": \"00\", \"pubkey\": \"AA==\"}]}",
		"{\"bgpsec_keys\": [{\"asn\": 1, \"ski\": \"0123456789abcdef0123456789abcdef01234567\", \"pubkey\": \"!!\"}]}",
		"{\"aspas\": [{\"providers\": [1]}]}",
		"{\"aspas\": [{\"customer_asid\": 1, \"providers\": 1}]}",
		"{\"aspas\": [{\"customer_asid\": 1, \"providers\": [{\"asid\": 1}]}]}",
		"{\"metadata\": {\"buildtime\": \"yesterday\"}}",
		"{\"roas\": []} {",
		"{\"a\":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}",
	};
	struct rtr_set	s;
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], 3, 0, &s, NULL) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(rtr_set_count(&s), 0);
		rtr_set_free(&s);
	}
}

static void
slurm(void **state)
{
	static const char doc[] =
	"{\"slurmVersion\": 1,\n"
	" \"validationOutputFilters\": {\n"
	"  \"prefixFilters\": [{\"prefix\": \"192.0.2.0/23\", \"comment\": \"x\"},\n"
	"                    {\"asn\": 64497}],\n"
	"  \"bgpsecFilters\": [{\"asn\": 65001}]},\n"
	" \"locallyAddedAssertions\": {\n"
	"  \"prefixAssertions\": [{\"asn\": 64510, \"prefix\": \"203.0.113.0/24\", \"maxPrefixLength\": 25}],\n"
	"  \"bgpsecAssertions\": [{\"asn\": 65002, \"SKI\": \"ASNFZ4mrze8BI0VniavN7wEjRWc\", \"routerPublicKey\": \"MFkwEwYH\"}]}}\n";
	static const char *const bad[] = {
		"{\"slurmVersion\": 2, \"validationOutputFilters\": {\"prefixFilters\": [], \"bgpsecFilters\": []}, \"locallyAddedAssertions\": {\"prefixAssertions\": [], \"bgpsecAssertions\": []}}",
		"{\"slurmVersion\": 1, \"validationOutputFilters\": {\"prefixFilters\": [{}], \"bgpsecFilters\": []}, \"locallyAddedAssertions\": {\"prefixAssertions\": [], \"bgpsecAssertions\": []}}",
		"{\"slurmVersion\": 1, \"validationOutputFilters\": {\"prefixFilters\": [], \"bgpsecFilters\": []}}",
		"{\"slurmVersion\": 1, \"extra\": 1, \"validationOutputFilters\": {\"prefixFilters\": [], \"bgpsecFilters\": []}, \"locallyAddedAssertions\": {\"prefixAssertions\": [], \"bgpsecAssertions\": []}}",
		"{\"slurmVersion\": 1, \"validationOutputFilters\": {\"prefixFilters\": [], \"bgpsecFilters\": []}, \"locallyAddedAssertions\": {\"prefixAssertions\": [{\"asn\": 1, \"prefix\": \"10.0.0.0/8\", \"maxPrefixLength\": 7}], \"bgpsecAssertions\": []}}",
		"{\"slurmVersion\": 1,",
	};
	struct rtr_slurm	*sl;
	struct rtr_set		 s;
	char			 err[256];
	size_t			 i;

	assert_int_equal(parse(good, 4096, 0, &s, NULL), 0);
	sl = rtr_slurm_parse((const uint8_t *)doc, strlen(doc), err, sizeof(err));
	if (sl == NULL)
		fail_msg("%s", err);
	rtr_slurm_apply(sl, &s);
	/* 192.0.2.0/24 (inside the /23) and AS64497 filtered, one added */
	assert_int_equal(s.nvrps, 1);
	assert_int_equal(s.vrps[0].asn, 64510);
	assert_int_equal(s.vrps[0].maxlen, 25);
	assert_int_equal(s.nkeys, 1);
	assert_int_equal(s.keys[0].asn, 65002);
	assert_int_equal(s.keys[0].ski[0], 0x01);
	assert_int_equal(s.naspas, 2);		/* SLURM has no ASPA rules */
	rtr_slurm_free(sl);
	rtr_set_free(&s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sl = rtr_slurm_parse((const uint8_t *)bad[i], strlen(bad[i]),
		    err, sizeof(err));
		if (sl != NULL)
			fail_msg("accepted: %s", bad[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_all_shapes),
		cmocka_unit_test(age_check),
		cmocka_unit_test(refusals),
		cmocka_unit_test(slurm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
