/*
 * BPKI identities: create/load round trip, the certificate and CRL
 * profile, renewal of the CRL and of the EE (old EE revoked), the journal
 * that makes an EE renewal survive a crash, and the DER helpers.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bpki.h"
#include "cms.h"

static char *
mkdir_tmp(void)
{
	char	 tmpl[] = "/tmp/test_bpki.XXXXXX", *d;

	d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

static void
rm_tree(char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[4096];

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

static int
file_exists(const char *dir, const char *name)
{
	char	path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static uint8_t *
slurp(const char *dir, const char *name, size_t *len)
{
	char	 path[4096];
	FILE	*f;
	uint8_t	*p;
	long	 n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void
spit(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char	 path[4096];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
}

static time_t
to_time(const ASN1_TIME *at)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	assert_true(ASN1_TIME_to_tm(at, &tm));
	return timegm(&tm);
}

static long
crl_number(const X509_CRL *crl)
{
	ASN1_INTEGER	*n;
	long		 v;

	n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_non_null(n);
	v = ASN1_INTEGER_get(n);
	ASN1_INTEGER_free(n);
	return v;
}

static int
ext_critical(X509 *x, int nid)
{
	int	i;

	i = X509_get_ext_by_NID(x, nid, -1);
	assert_true(i >= 0);
	return X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static void
assert_serial_ok(X509 *x)
{
	BIGNUM	*bn;

	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	assert_non_null(bn);
	assert_false(BN_is_negative(bn));
	assert_false(BN_is_zero(bn));
	assert_true(BN_num_bits(bn) <= 64);
	BN_free(bn);
}

static int
file_mode(const char *dir, const char *name)
{
	struct stat	st;
	char		path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(stat(path, &st), 0);
	return (int)(st.st_mode & 0777);
}

static void
test_create_load(void **state)
{
	struct bpki			*b;
	const ASN1_OCTET_STRING		*ski;
	const ASN1_OCTET_STRING		*aki;
	char				*dir = mkdir_tmp();
	time_t				 now = time(NULL);

	assert_int_equal(bpki_create(dir, "publisher-1"), 0);
	assert_int_equal(file_mode(dir, "ta.key"), 0600);
	assert_int_equal(file_mode(dir, "ee.key"), 0600);
	assert_int_equal(file_mode(dir, "ta.cer"), 0644);
	assert_int_equal(file_mode(dir, "ee.cer"), 0644);
	assert_int_equal(file_mode(dir, "crl.der"), 0644);
	assert_false(file_exists(dir, "renew.commit"));

	b = bpki_load(dir);
	assert_non_null(b);

	/* Keys: RSA 2048, matching their certificates. */
	assert_int_equal(EVP_PKEY_get_base_id(b->ta_key), EVP_PKEY_RSA);
	assert_int_equal(EVP_PKEY_get_bits(b->ta_key), 2048);
	assert_int_equal(EVP_PKEY_get_bits(b->ee_key), 2048);
	assert_int_equal(X509_check_private_key(b->ee, b->ee_key), 1);

	/* TA: self-signed v3 CA, critical CA:TRUE and keyUsage. */
	assert_int_equal(X509_get_version(b->ta), 2);
	assert_int_equal(X509_self_signed(b->ta, 1), 1);
	assert_int_equal(X509_check_ca(b->ta), 1);
	assert_true(ext_critical(b->ta, NID_basic_constraints));
	assert_true(ext_critical(b->ta, NID_key_usage));
	assert_int_equal(X509_get_key_usage(b->ta),
	    KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(X509_get_signature_nid(b->ta),
	    NID_sha256WithRSAEncryption);
	ski = X509_get0_subject_key_id(b->ta);
	assert_non_null(ski);
	aki = X509_get0_authority_key_id(b->ta);
	assert_non_null(aki);
	assert_int_equal(ASN1_OCTET_STRING_cmp(ski, aki), 0);
	assert_serial_ok(b->ta);
	assert_true(labs((long)(to_time(X509_get0_notBefore(b->ta)) -
	    (now - 3600))) < 60);
	assert_true(labs((long)(to_time(X509_get0_notAfter(b->ta)) -
	    (now + (time_t)BPKI_TA_DAYS * 86400))) < 60);

	/* EE: issued by the TA, not a CA, digitalSignature only. */
	assert_int_equal(X509_check_issued(b->ta, b->ee), X509_V_OK);
	assert_int_equal(X509_check_ca(b->ee), 0);
	assert_true(ext_critical(b->ee, NID_basic_constraints));
	assert_true(ext_critical(b->ee, NID_key_usage));
	assert_int_equal(X509_get_key_usage(b->ee), KU_DIGITAL_SIGNATURE);
	assert_non_null(X509_get0_subject_key_id(b->ee));
	assert_int_equal(ASN1_OCTET_STRING_cmp(ski,
	    X509_get0_authority_key_id(b->ee)), 0);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(b->ta),
	    X509_get0_serialNumber(b->ee)), 0);
	assert_serial_ok(b->ee);
	assert_true(labs((long)(to_time(X509_get0_notAfter(b->ee)) -
	    (now + (time_t)BPKI_EE_DAYS * 86400))) < 60);

	/* CRL: v2, by the TA, AKI, crlNumber 1, empty, the right window. */
	assert_int_equal(X509_CRL_get_version(b->crl), 1);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(b->crl),
	    X509_get_subject_name(b->ta)), 0);
	assert_int_equal(X509_CRL_verify(b->crl, X509_get0_pubkey(b->ta)), 1);
	assert_true(X509_CRL_get_ext_by_NID(b->crl,
	    NID_authority_key_identifier, -1) >= 0);
	assert_int_equal(crl_number(b->crl), 1);
	assert_true(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(b->crl)) <= 0);
	assert_true(labs((long)(to_time(X509_CRL_get0_lastUpdate(b->crl)) -
	    (now - 3600))) < 60);
	assert_true(labs((long)(to_time(X509_CRL_get0_nextUpdate(b->crl)) -
	    (now + (time_t)BPKI_CRL_HOURS * 3600))) < 60);

	/* Nothing to renew right after creation. */
	assert_int_equal(bpki_renew(dir, b, now), 0);

	bpki_free(b);
	bpki_free(NULL);
	rm_tree(dir);
}

static void
test_create_refuses_existing(void **state)
{
	char	*dir = mkdir_tmp();
	uint8_t	*ta1, *ta2;
	size_t	 l1, l2;

	assert_int_equal(bpki_create(dir, "one"), 0);
	ta1 = slurp(dir, "ta.cer", &l1);
	assert_int_equal(bpki_create(dir, "two"), -1);
	ta2 = slurp(dir, "ta.cer", &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(ta1, ta2, l1);
	assert_int_equal(bpki_create(dir, ""), -1);
	free(ta1);
	free(ta2);
	rm_tree(dir);
}

static void
test_long_cn(void **state)
{
	struct bpki	*b;
	char		 cn[300], got[128];
	char		*dir = mkdir_tmp();

	/* Handles may be 255 characters; ub-common-name is 64. */
	memset(cn, 'h', 200);
	cn[200] = '\0';
	assert_int_equal(bpki_create(dir, cn), 0);
	b = bpki_load(dir);
	assert_non_null(b);
	assert_int_equal(X509_NAME_get_text_by_NID(
	    X509_get_subject_name(b->ta), NID_commonName, got,
	    sizeof(got)), 64);
	assert_int_equal(X509_NAME_get_text_by_NID(
	    X509_get_subject_name(b->ee), NID_commonName, got,
	    sizeof(got)), 64);
	assert_string_equal(got + 61, " EE");
	bpki_free(b);
	rm_tree(dir);
}

static void
test_renew_crl(void **state)
{
	struct bpki	*b, *b2;
	ASN1_INTEGER	*serial;
	char		*dir = mkdir_tmp();
	time_t		 now = time(NULL) + 5 * 86400;

	assert_int_equal(bpki_create(dir, "crl-renew"), 0);
	b = bpki_load(dir);
	assert_non_null(b);
	serial = ASN1_INTEGER_dup(X509_get0_serialNumber(b->ee));

	/* 2 days of CRL left, less than BPKI_CRL_RENEW_HOURS. */
	assert_int_equal(bpki_renew(dir, b, now), 1);
	assert_int_equal(ASN1_INTEGER_cmp(serial,
	    X509_get0_serialNumber(b->ee)), 0);
	assert_int_equal(crl_number(b->crl), 2);
	assert_true(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(b->crl)) <= 0);
	assert_true(labs((long)(to_time(X509_CRL_get0_nextUpdate(b->crl)) -
	    (now + (time_t)BPKI_CRL_HOURS * 3600))) < 5);
	assert_int_equal(bpki_renew(dir, b, now), 0);

	b2 = bpki_load(dir);
	assert_non_null(b2);
	assert_int_equal(crl_number(b2->crl), 2);
	assert_int_equal(X509_cmp(b->ee, b2->ee), 0);

	ASN1_INTEGER_free(serial);
	bpki_free(b);
	bpki_free(b2);
	rm_tree(dir);
}

static void
test_renew_ee(void **state)
{
	struct bpki		*b, *b2;
	struct cms_verified	 v;
	ASN1_INTEGER		*old;
	X509_REVOKED		*rev = NULL;
	EVP_PKEY		*oldkey;
	uint8_t			*der;
	size_t			 derlen;
	char			*dir = mkdir_tmp(), err[256];
	time_t			 now = time(NULL) + 400 * 86400;
	static const char	 xml[] = "<msg/>";

	assert_int_equal(bpki_create(dir, "ee-renew"), 0);
	b = bpki_load(dir);
	assert_non_null(b);
	old = ASN1_INTEGER_dup(X509_get0_serialNumber(b->ee));
	oldkey = b->ee_key;
	EVP_PKEY_up_ref(oldkey);

	assert_int_equal(bpki_renew(dir, b, now), 1);
	assert_int_not_equal(ASN1_INTEGER_cmp(old,
	    X509_get0_serialNumber(b->ee)), 0);
	assert_int_not_equal(EVP_PKEY_eq(oldkey, b->ee_key), 1);
	assert_int_equal(X509_check_private_key(b->ee, b->ee_key), 1);
	assert_int_equal(X509_check_issued(b->ta, b->ee), X509_V_OK);
	assert_true(labs((long)(to_time(X509_get0_notAfter(b->ee)) -
	    (now + (time_t)BPKI_EE_DAYS * 86400))) < 5);
	/* The same subject as before. */
	assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(
	    b->ee), NID_commonName, err, sizeof(err)), 11);
	assert_string_equal(err, "ee-renew EE");

	/* The new CRL revokes the old EE, and its number went up. */
	assert_int_equal(crl_number(b->crl), 2);
	assert_int_equal(X509_CRL_get0_by_serial(b->crl, &rev, old), 1);
	assert_non_null(rev);
	assert_int_equal(X509_CRL_get0_by_serial(b->crl, &rev,
	    X509_get0_serialNumber(b->ee)), 0);
	assert_int_equal(bpki_renew(dir, b, now), 0);
	assert_false(file_exists(dir, "renew.commit"));
	assert_false(file_exists(dir, "ee.key.new"));

	/* The files say the same. */
	b2 = bpki_load(dir);
	assert_non_null(b2);
	assert_int_equal(X509_cmp(b->ee, b2->ee), 0);
	assert_int_equal(EVP_PKEY_eq(b->ee_key, b2->ee_key), 1);
	assert_int_equal(X509_CRL_get0_by_serial(b2->crl, &rev, old), 1);
	assert_int_equal(file_mode(dir, "ee.key"), 0600);

	/* A later CRL renewal keeps the revocation. */
	assert_int_equal(bpki_renew(dir, b2, now + 5 * 86400), 1);
	assert_int_equal(crl_number(b2->crl), 3);
	assert_int_equal(X509_CRL_get0_by_serial(b2->crl, &rev, old), 1);

	/* The renewed identity signs messages that verify at that time. */
	assert_int_equal(cms_sign((const uint8_t *)xml, sizeof(xml) - 1,
	    b->ee, b->ee_key, b->crl, &der, &derlen), 0);
	assert_int_equal(cms_verify(der, derlen, b->ta, now, &v, err,
	    sizeof(err)), CMS_OK);
	free(v.content);
	free(der);

	ASN1_INTEGER_free(old);
	EVP_PKEY_free(oldkey);
	bpki_free(b);
	bpki_free(b2);
	rm_tree(dir);
}

/*
 * A crash during an EE renewal: after the commit marker the next load
 * completes the renewal; before it the old identity stays.
 */
static void
test_renew_recovery(void **state)
{
	static const char *const names[] = { "ee.key", "ee.cer", "crl.der" };
	struct bpki	*b, *b2;
	X509		*oldee, *newee;
	uint8_t		*oldf[3], *newf[3];
	size_t		 oldl[3], newl[3], i;
	char		*dir = mkdir_tmp(), name[64];

	assert_int_equal(bpki_create(dir, "recovery"), 0);
	for (i = 0; i < 3; i++)
		oldf[i] = slurp(dir, names[i], &oldl[i]);
	b = bpki_load(dir);
	assert_non_null(b);
	oldee = X509_dup(b->ee);
	assert_int_equal(bpki_renew(dir, b, time(NULL) + 400 * 86400), 1);
	newee = X509_dup(b->ee);
	for (i = 0; i < 3; i++)
		newf[i] = slurp(dir, names[i], &newl[i]);
	bpki_free(b);

	/* Crash after the marker, before any rename. */
	for (i = 0; i < 3; i++) {
		spit(dir, names[i], oldf[i], oldl[i]);
		snprintf(name, sizeof(name), "%s.new", names[i]);
		spit(dir, name, newf[i], newl[i]);
	}
	spit(dir, "renew.commit", (const uint8_t *)"x\n", 2);
	b2 = bpki_load(dir);
	assert_non_null(b2);
	assert_int_equal(X509_cmp(b2->ee, newee), 0);
	assert_false(file_exists(dir, "renew.commit"));
	assert_false(file_exists(dir, "ee.cer.new"));
	bpki_free(b2);

	/* Crash after the marker and the first rename. */
	spit(dir, "ee.cer", oldf[1], oldl[1]);
	spit(dir, "crl.der", oldf[2], oldl[2]);
	spit(dir, "ee.cer.new", newf[1], newl[1]);
	spit(dir, "crl.der.new", newf[2], newl[2]);
	spit(dir, "renew.commit", (const uint8_t *)"x\n", 2);
	b2 = bpki_load(dir);
	assert_non_null(b2);
	assert_int_equal(X509_cmp(b2->ee, newee), 0);
	bpki_free(b2);

	/* Crash before the marker: the old set stands, leftovers go. */
	for (i = 0; i < 3; i++) {
		spit(dir, names[i], oldf[i], oldl[i]);
		snprintf(name, sizeof(name), "%s.new", names[i]);
		spit(dir, name, newf[i], newl[i]);
	}
	b2 = bpki_load(dir);
	assert_non_null(b2);
	assert_int_equal(X509_cmp(b2->ee, oldee), 0);
	assert_false(file_exists(dir, "ee.key.new"));
	assert_false(file_exists(dir, "crl.der.new"));
	bpki_free(b2);

	for (i = 0; i < 3; i++) {
		free(oldf[i]);
		free(newf[i]);
	}
	X509_free(oldee);
	X509_free(newee);
	rm_tree(dir);
}

static void
test_load_errors(void **state)
{
	char	*dir = mkdir_tmp(), *dir2 = mkdir_tmp();
	uint8_t	*p, *q;
	size_t	 len, len2;

	assert_null(bpki_load("/nonexistent/bpki"));
	assert_null(bpki_load(dir));		/* empty */

	assert_int_equal(bpki_create(dir, "errors"), 0);
	assert_int_equal(bpki_create(dir2, "errors"), 0);

	/* A key that is not the certificate's. */
	p = slurp(dir, "ee.key", &len);
	q = slurp(dir, "ta.key", &len2);
	spit(dir, "ee.key", q, len2);
	assert_null(bpki_load(dir));
	spit(dir, "ee.key", p, len);
	free(p);
	free(q);

	/* An EE of another identity with the same name. */
	p = slurp(dir, "ee.cer", &len);
	q = slurp(dir2, "ee.cer", &len2);
	spit(dir, "ee.cer", q, len2);
	assert_null(bpki_load(dir));
	free(q);

	/* Trailing bytes after a certificate. */
	q = malloc(len + 1);
	memcpy(q, p, len);
	q[len] = 0;
	spit(dir, "ee.cer", q, len + 1);
	assert_null(bpki_load(dir));
	spit(dir, "ee.cer", p, len);
	free(p);
	free(q);

	/* A CRL of another TA. */
	p = slurp(dir, "crl.der", &len);
	q = slurp(dir2, "crl.der", &len2);
	spit(dir, "crl.der", q, len2);
	assert_null(bpki_load(dir));
	spit(dir, "crl.der", p, len);
	free(p);
	free(q);

	/* A garbage key file. */
	p = slurp(dir, "ta.key", &len);
	spit(dir, "ta.key", (const uint8_t *)"junk\n", 5);
	assert_null(bpki_load(dir));
	spit(dir, "ta.key", p, len);
	free(p);

	/* Restored, it loads again. */
	bpki_free(bpki_load(dir));
	rm_tree(dir);
	rm_tree(dir2);
}

static void
test_cert_der(void **state)
{
	struct bpki	*b;
	X509		*x;
	unsigned char	*der, *longer;
	size_t		 len, i;
	char		*dir = mkdir_tmp();

	assert_int_equal(bpki_create(dir, "der"), 0);
	b = bpki_load(dir);
	assert_non_null(b);
	der = bpki_cert_der(b->ta, &len);
	assert_non_null(der);
	x = bpki_cert_from_der(der, len);
	assert_non_null(x);
	assert_int_equal(X509_cmp(x, b->ta), 0);
	X509_free(x);

	longer = malloc(len + 1);
	memcpy(longer, der, len);
	longer[len] = 0;
	assert_null(bpki_cert_from_der(longer, len + 1));
	for (i = 0; i < len; i += 7)
		assert_null(bpki_cert_from_der(der, i));
	assert_null(bpki_cert_from_der(der, len - 1));
	assert_null(bpki_cert_from_der((const unsigned char *)"\x30\x00", 2));

	free(longer);
	free(der);
	bpki_free(b);
	rm_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_load),
		cmocka_unit_test(test_create_refuses_existing),
		cmocka_unit_test(test_long_cn),
		cmocka_unit_test(test_renew_crl),
		cmocka_unit_test(test_renew_ee),
		cmocka_unit_test(test_renew_recovery),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_cert_der),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
