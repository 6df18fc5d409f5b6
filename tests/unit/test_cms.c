/*
 * CMS for RFC 8181 (RFC 6492 section 3.1 profile): sign/verify round
 * trip, interoperability with the openssl CLI, and one hostile message per
 * rule cms_verify() enforces.  Each negative test checks the failure class
 * and the rule named in the reason, so it fails if that check went away
 * (a later check would report a different class or rule, or none).
 *
 * Hostile messages are built with OpenSSL directly, or by patching fields
 * of a valid message that the signature does not cover (versions,
 * algorithm identifiers outside the signed attributes).
 */
#include <sys/wait.h>

#include <dirent.h>
#include <pthread.h>
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

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bpki.h"
#include "cms.h"

#define XML	"<msg xmlns=" \
	"\"http://www.hactrn.net/uris/rpki/publication-spec/\"" \
	" version=\"4\" type=\"query\"><list/></msg>"

struct ident {
	char		*dir;
	struct bpki	*b;
};

struct fixture {
	struct ident	 a;	/* the publisher */
	struct ident	 other;	/* another publisher */
	struct ident	 twin;	/* same names as a, other keys */
	EVP_PKEY	*key2;	/* a second EE key under a's TA */
	X509		*ee2;
};

static struct fixture	*fx;

static void
ident_new(struct ident *id, const char *cn)
{
	char	tmpl[] = "/tmp/test_cms.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	id->dir = strdup(tmpl);
	assert_int_equal(bpki_create(id->dir, cn), 0);
	id->b = bpki_load(id->dir);
	assert_non_null(id->b);
}

static void
rm_tree(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[4096];

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
			    strcmp(de->d_name, "..") == 0))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void
ident_free(struct ident *id)
{
	bpki_free(id->b);
	rm_tree(id->dir);
	free(id->dir);
}

static int
setup(void **state)
{
	time_t	now = time(NULL);

	fx = calloc(1, sizeof(*fx));
	ident_new(&fx->a, "alice");
	ident_new(&fx->other, "bob");
	ident_new(&fx->twin, "alice");
	fx->key2 = bpki_key_new();
	fx->ee2 = bpki_issue_ee(fx->a.b->ta, fx->a.b->ta_key, fx->key2,
	    "alice-2", now - 3600, now + 86400);
	assert_non_null(fx->ee2);
	return 0;
}

static int
teardown(void **state)
{
	ident_free(&fx->a);
	ident_free(&fx->other);
	ident_free(&fx->twin);
	EVP_PKEY_free(fx->key2);
	X509_free(fx->ee2);
	free(fx);
	return 0;
}

/* A valid message from b. */
static uint8_t *
sign_ok(struct bpki *b, size_t *len)
{
	uint8_t	*der;

	assert_int_equal(cms_sign((const uint8_t *)XML, strlen(XML), b->ee,
	    b->ee_key, b->crl, &der, len), 0);
	return der;
}

/* Knobs for messages that break one rule. */
struct opts {
	const EVP_MD	*md;		/* default SHA-256 */
	X509_CRL	*crl2;		/* a second CRL */
	X509		*cert2;		/* a second certificate */
	X509		*signer2;	/* a second SignerInfo ... */
	EVP_PKEY	*signer2_key;	/* ... with this key */
	int		 no_crl;
	int		 no_certs;	/* include no certificate ... */
	X509		*only_cert;	/* ... or this one instead */
	int		 issuer_serial;	/* sid: issuerAndSerial */
	int		 id_data;	/* leave eContentType id-data */
	int		 detached;
	int		 smimecap;
	int		 noattr;
	int		 drop_signing_time;
	int		 dup_signing_time;
	int		 gen_signing_time; /* GeneralizedTime at: */
	time_t		 gen_time;
	int		 binary_signing_time;
	int		 unsigned_attr;
};

static uint8_t *
sign_with(X509 *ee, EVP_PKEY *key, X509_CRL *crl, const struct opts *o,
    size_t *len)
{
	CMS_ContentInfo		*cms;
	CMS_SignerInfo		*si;
	ASN1_OBJECT		*obj;
	ASN1_TIME		*t;
	ASN1_INTEGER		*bt;
	BIO			*in;
	uint8_t			*der = NULL, *p;
	unsigned int		 flags = CMS_PARTIAL | CMS_BINARY;
	int			 n, i;

	if (!o->smimecap)
		flags |= CMS_NOSMIMECAP;
	if (!o->issuer_serial)
		flags |= CMS_USE_KEYID;
	if (o->detached)
		flags |= CMS_DETACHED;
	if (o->no_certs || o->only_cert != NULL)
		flags |= CMS_NOCERTS;

	in = BIO_new_mem_buf(XML, (int)strlen(XML));
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	assert_non_null(cms);
	if (!o->id_data) {
		obj = OBJ_txt2obj("1.2.840.113549.1.9.16.1.28", 1);
		assert_true(CMS_set1_eContentType(cms, obj));
		ASN1_OBJECT_free(obj);
	}
	si = CMS_add1_signer(cms, ee, key, o->md ? o->md : EVP_sha256(),
	    flags);
	assert_non_null(si);
	if (o->signer2 != NULL)
		assert_non_null(CMS_add1_signer(cms, o->signer2,
		    o->signer2_key, EVP_sha256(), flags));
	if (o->gen_signing_time) {
		t = ASN1_GENERALIZEDTIME_set(NULL, o->gen_time);
		assert_true(CMS_signed_add1_attr_by_NID(si,
		    NID_pkcs9_signingTime, V_ASN1_GENERALIZEDTIME, t, -1));
		ASN1_GENERALIZEDTIME_free(t);
	}
	if (o->binary_signing_time) {
		/* RFC 6019 id-aa-binarySigningTime */
		obj = OBJ_txt2obj("1.2.840.113549.1.9.16.2.46", 1);
		bt = ASN1_INTEGER_new();
		ASN1_INTEGER_set_int64(bt, (int64_t)time(NULL));
		assert_true(CMS_signed_add1_attr_by_OBJ(si, obj,
		    V_ASN1_INTEGER, bt, -1));
		ASN1_INTEGER_free(bt);
		ASN1_OBJECT_free(obj);
	}
	if (!o->no_crl)
		assert_true(CMS_add1_crl(cms, crl));
	if (o->crl2 != NULL)
		assert_true(CMS_add1_crl(cms, o->crl2));
	if (o->cert2 != NULL)
		assert_true(CMS_add1_cert(cms, o->cert2));
	if (o->only_cert != NULL)
		assert_true(CMS_add1_cert(cms, o->only_cert));
	assert_true(CMS_final(cms, in, NULL, flags & ~CMS_PARTIAL));

	/* Changes after signing: the profile check comes first anyway. */
	if (o->unsigned_attr) {
		t = X509_gmtime_adj(NULL, 0);
		assert_true(CMS_unsigned_add1_attr_by_NID(si,
		    NID_pkcs9_signingTime, t->type, t, -1));
		ASN1_TIME_free(t);
	}
	if (o->dup_signing_time) {	/* OpenSSL refuses it when signing */
		t = X509_gmtime_adj(NULL, 1);
		assert_true(CMS_signed_add1_attr_by_NID(si,
		    NID_pkcs9_signingTime, t->type, t, -1));
		ASN1_TIME_free(t);
	}
	/* OpenSSL refuses CMS_NOATTR for id-ct-xml: strip them after. */
	if (o->noattr)
		while (CMS_signed_get_attr_count(si) > 0)
			X509_ATTRIBUTE_free(CMS_signed_delete_attr(si, 0));
	if (o->drop_signing_time) {
		i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
		assert_true(i >= 0);
		X509_ATTRIBUTE_free(CMS_signed_delete_attr(si, i));
	}

	n = i2d_CMS_ContentInfo(cms, NULL);
	assert_true(n > 0);
	der = p = malloc((size_t)n);
	assert_int_equal(i2d_CMS_ContentInfo(cms, &p), n);
	*len = (size_t)n;
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return der;
}

/* Verify against ta at now; the class must be want, the reason hold sub. */
static void
expect(const uint8_t *der, size_t len, X509 *ta, time_t now,
    enum cms_fail want, const char *sub)
{
	struct cms_verified	v;
	enum cms_fail		rc;
	char			err[512];

	rc = cms_verify(der, len, ta, now, &v, err, sizeof(err));
	if (rc != want || (sub != NULL && strstr(err, sub) == NULL))
		fail_msg("expected %s (\"%s\"), got %s: %s",
		    cms_fail_name(want), sub ? sub : "", cms_fail_name(rc),
		    err);
	if (rc == CMS_OK) {
		assert_int_equal(v.content_len, strlen(XML));
		assert_memory_equal(v.content, XML, v.content_len);
		free(v.content);
	} else {
		assert_null(v.content);
		assert_int_equal(v.content_len, 0);
		assert_non_null(strchr(err, '\0'));
		assert_null(strchr(err, '\n'));
		assert_true(strlen(err) > 10);
	}
}

static uint8_t *
find(uint8_t *hay, size_t hlen, const uint8_t *needle, size_t nlen,
    int last)
{
	uint8_t	*found = NULL;
	size_t	 i;

	for (i = 0; i + nlen <= hlen; i++)
		if (memcmp(hay + i, needle, nlen) == 0) {
			found = hay + i;
			if (!last)
				break;
		}
	assert_non_null(found);
	return found;
}

static const uint8_t der_sha256[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
    0x65, 0x03, 0x04, 0x02, 0x01 };
static const uint8_t der_rsa[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
    0xf7, 0x0d, 0x01, 0x01, 0x01 };
static const uint8_t der_ct_xml[] = { 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86,
    0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x1c };
static const uint8_t der_signed_data[] = { 0x06, 0x09, 0x2a, 0x86, 0x48,
    0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };

static void
test_fail_names(void **state)
{
	assert_string_equal(cms_fail_name(CMS_OK), "ok");
	assert_string_equal(cms_fail_name(CMS_FAIL_DECODE), "decode");
	assert_string_equal(cms_fail_name(CMS_FAIL_PROFILE), "profile");
	assert_string_equal(cms_fail_name(CMS_FAIL_SIGNATURE), "signature");
	assert_string_equal(cms_fail_name(CMS_FAIL_UNTRUSTED), "untrusted");
	assert_string_equal(cms_fail_name(CMS_FAIL_EXPIRED), "expired");
	assert_string_equal(cms_fail_name(CMS_FAIL_REVOKED), "revoked");
	assert_string_equal(cms_fail_name(CMS_FAIL_CRL), "crl");
	assert_string_equal(cms_fail_name(CMS_FAIL_COUNT), "unknown");
}

static void
test_roundtrip(void **state)
{
	struct cms_verified	 v;
	CMS_ContentInfo		*cms;
	CMS_SignerInfo		*si;
	const unsigned char	*p;
	uint8_t			*der, md[32];
	size_t			 len;
	char			 err[256];
	time_t			 t0, t1;

	t0 = time(NULL);
	der = sign_ok(fx->a.b, &len);
	t1 = time(NULL);
	assert_int_equal(cms_verify(der, len, fx->a.b->ta, time(NULL), &v,
	    err, sizeof(err)), CMS_OK);
	assert_int_equal(v.content_len, strlen(XML));
	assert_memory_equal(v.content, XML, v.content_len);
	assert_true(v.signing_time >= t0 - 1 && v.signing_time <= t1 + 1);
	free(v.content);

	/* What cms_sign() produced: exactly the three signed attributes. */
	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	assert_non_null(cms);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	/* The replay key is the hash of the signature value. */
	{
		ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);

		assert_true(EVP_Digest(ASN1_STRING_get0_data(sig),
		    (size_t)ASN1_STRING_length(sig), md, NULL, EVP_sha256(),
		    NULL));
		assert_memory_equal(v.digest, md, 32);
	}
	assert_int_equal(CMS_signed_get_attr_count(si), 3);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime,
	    -1) >= 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_SMIMECapabilities,
	    -1) < 0);
	CMS_ContentInfo_free(cms);

	/*
	 * At the start of the EE's validity (an hour back) the EE would
	 * still do, but the signing-time is then far in the future.
	 */
	expect(der, len, fx->a.b->ta, t0 - 3500, CMS_FAIL_SIGNING_TIME,
	    "in the future");
	free(der);
}

static void
test_openssl_cli(void **state)
{
	char		 dir[] = "/tmp/test_cms_cli.XXXXXX", cmd[1024];
	char		 path[512], got[1024];
	uint8_t		*der;
	size_t		 len, n;
	FILE		*f;
	int		 rc;

	if (system("openssl version >/dev/null 2>&1") != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	der = sign_ok(fx->a.b, &len);
	snprintf(path, sizeof(path), "%s/reply.der", dir);
	f = fopen(path, "wb");
	assert_int_equal(fwrite(der, 1, len, f), len);
	fclose(f);
	snprintf(path, sizeof(path), "%s/ta.pem", dir);
	f = fopen(path, "w");
	assert_true(PEM_write_X509(f, fx->a.b->ta));
	fclose(f);

	snprintf(cmd, sizeof(cmd), "openssl cms -verify -inform DER "
	    "-in %s/reply.der -CAfile %s/ta.pem -purpose any -crl_check "
	    "-binary -out %s/content.xml 2>%s/stderr", dir, dir, dir, dir);
	rc = system(cmd);
	if (rc != 0) {
		snprintf(path, sizeof(path), "%s/stderr", dir);
		f = fopen(path, "r");
		n = f ? fread(got, 1, sizeof(got) - 1, f) : 0;
		got[n] = '\0';
		fail_msg("openssl cms -verify failed: %s", got);
	}
	snprintf(path, sizeof(path), "%s/content.xml", dir);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(got, 1, sizeof(got), f);
	fclose(f);
	assert_int_equal(n, strlen(XML));
	assert_memory_equal(got, XML, n);

	/* And the CLI refuses it with another TA, as we do. */
	snprintf(path, sizeof(path), "%s/ta.pem", dir);
	f = fopen(path, "w");
	assert_true(PEM_write_X509(f, fx->other.b->ta));
	fclose(f);
	assert_int_not_equal(system(cmd), 0);

	free(der);
	rm_tree(dir);
}

static void
test_tampered_content(void **state)
{
	uint8_t	*der, *p;
	size_t	 len;

	der = sign_ok(fx->a.b, &len);
	p = find(der, len, (const uint8_t *)"<list/>", 7, 0);
	p[1] = 'L';
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_SIGNATURE,
	    "signature");
	free(der);
}

static void
test_tampered_signature(void **state)
{
	uint8_t	*der;
	size_t	 len;

	/* The signature value is the last field of the message. */
	der = sign_ok(fx->a.b, &len);
	der[len - 1] ^= 0x01;
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_SIGNATURE,
	    "signature");
	free(der);
}

static void
test_wrong_ta(void **state)
{
	uint8_t	*der;
	size_t	 len;

	der = sign_ok(fx->a.b, &len);
	expect(der, len, fx->other.b->ta, time(NULL), CMS_FAIL_UNTRUSTED,
	    "trust anchor");
	/* Same names, other key: the key decides, not the name. */
	expect(der, len, fx->twin.b->ta, time(NULL), CMS_FAIL_UNTRUSTED,
	    "trust anchor");
	free(der);
}

static void
test_ee_expired(void **state)
{
	EVP_PKEY	*key = fx->key2;
	X509		*ee;
	uint8_t		*der;
	size_t		 len;
	struct opts	 o = { 0 };
	time_t		 now = time(NULL);

	/* An EE whose validity ended yesterday. */
	ee = bpki_issue_ee(fx->a.b->ta, fx->a.b->ta_key, key, "old",
	    now - 10 * 86400, now - 86400);
	assert_non_null(ee);
	der = sign_with(ee, key, fx->a.b->crl, &o, &len);
	expect(der, len, fx->a.b->ta, now, CMS_FAIL_EXPIRED,
	    "EE certificate expired at");
	free(der);
	X509_free(ee);

	/* A valid message checked a year later. */
	der = sign_ok(fx->a.b, &len);
	expect(der, len, fx->a.b->ta, now + 400 * 86400, CMS_FAIL_EXPIRED,
	    "EE certificate expired at");
	/* ... and two days before the EE existed. */
	expect(der, len, fx->a.b->ta, now - 2 * 86400, CMS_FAIL_EXPIRED,
	    "EE certificate not valid before");
	free(der);
}

static void
test_ee_revoked(void **state)
{
	X509_CRL	*crl;
	uint8_t		*der;
	size_t		 len;
	time_t		 now = time(NULL);

	crl = bpki_issue_crl(fx->a.b->ta, fx->a.b->ta_key, fx->a.b->crl,
	    X509_get0_serialNumber(fx->a.b->ee), now - 3600, now + 86400);
	assert_non_null(crl);
	assert_int_equal(cms_sign((const uint8_t *)XML, strlen(XML),
	    fx->a.b->ee, fx->a.b->ee_key, crl, &der, &len), 0);
	expect(der, len, fx->a.b->ta, now, CMS_FAIL_REVOKED, "revoked");
	free(der);
	X509_CRL_free(crl);
}

static void
test_crl_not_current(void **state)
{
	X509_CRL	*crl;
	uint8_t		*der;
	size_t		 len;
	time_t		 now = time(NULL);

	/* Past nextUpdate (7 days), EE still valid. */
	der = sign_ok(fx->a.b, &len);
	expect(der, len, fx->a.b->ta, now + 8 * 86400, CMS_FAIL_CRL,
	    "next update");
	free(der);

	/* thisUpdate in the future. */
	crl = bpki_issue_crl(fx->a.b->ta, fx->a.b->ta_key, NULL, NULL,
	    now + 3600, now + 86400);
	assert_int_equal(cms_sign((const uint8_t *)XML, strlen(XML),
	    fx->a.b->ee, fx->a.b->ee_key, crl, &der, &len), 0);
	expect(der, len, fx->a.b->ta, now, CMS_FAIL_CRL, "this update");
	free(der);
	X509_CRL_free(crl);
}

/*
 * cms_sign_at(): the signing-time given is the one signed, also one in
 * the past (a publisher whose clock went back keeps its last one) and
 * after 2049 (GeneralizedTime).  A reply verified as the repository's
 * names the repository's trust anchor in its reasons.
 */
static void
test_sign_at(void **state)
{
	struct cms_verified	 v;
	uint8_t			*der;
	size_t			 len;
	time_t			 now = time(NULL), t;
	const time_t		 times[] = { now - 1800, now, 2524608000 };
	char			 err[512];
	size_t			 i;

	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		t = times[i];
		assert_int_equal(cms_sign_at((const uint8_t *)XML,
		    strlen(XML), fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl,
		    t, &der, &len), 0);
		/* Verified at the time signed, within the EE and CRL. */
		assert_int_equal(cms_verify_signer(CMS_SIGNER_REPOSITORY, der,
		    len, fx->a.b->ta, now, &v, err,
		    sizeof(err)), t > now + CMS_MAX_CLOCK_SKEW ?
		    CMS_FAIL_SIGNING_TIME : CMS_OK);
		if (t > now + CMS_MAX_CLOCK_SKEW) {
			assert_non_null(strstr(err, "repository's clock"));
		} else {
			assert_int_equal(v.signing_time, t);
			free(v.content);
		}
		free(der);
	}

	der = sign_ok(fx->a.b, &len);
	assert_int_equal(cms_verify_signer(CMS_SIGNER_REPOSITORY, der, len,
	    fx->other.b->ta, now, &v, err, sizeof(err)), CMS_FAIL_UNTRUSTED);
	assert_non_null(strstr(err, "repository_bpki_ta"));
	assert_int_equal(cms_verify(der, len, fx->other.b->ta, now, &v, err,
	    sizeof(err)), CMS_FAIL_UNTRUSTED);
	assert_non_null(strstr(err, "publisher_bpki_ta"));
	free(der);
}

static void
test_crl_wrong_issuer(void **state)
{
	uint8_t	*der;
	size_t	 len;

	/* Another TA's CRL. */
	assert_int_equal(cms_sign((const uint8_t *)XML, strlen(XML),
	    fx->a.b->ee, fx->a.b->ee_key, fx->other.b->crl, &der, &len), 0);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_CRL,
	    "not the EE issuer");
	free(der);

	/* The right issuer name, signed with another key. */
	assert_int_equal(cms_sign((const uint8_t *)XML, strlen(XML),
	    fx->a.b->ee, fx->a.b->ee_key, fx->twin.b->crl, &der, &len), 0);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_CRL,
	    "CRL not acceptable");
	free(der);
}

static void
test_crl_count(void **state)
{
	struct opts	 o = { 0 };
	uint8_t		*der;
	size_t		 len;

	o.no_crl = 1;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_CRL,
	    "RFC 6492 section 3.1.1.5: no CRL");
	free(der);

	memset(&o, 0, sizeof(o));
	o.crl2 = fx->other.b->crl;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.5: 2 CRLs");
	free(der);
}

static void
test_cert_count(void **state)
{
	struct opts	 o = { 0 };
	uint8_t		*der;
	size_t		 len;

	o.cert2 = fx->a.b->ta;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.4: 2 certificates");
	free(der);

	memset(&o, 0, sizeof(o));
	o.no_certs = 1;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.4: 0 certificates");
	free(der);
}

static void
test_signer_is_ca(void **state)
{
	struct opts	 o = { 0 };
	uint8_t		*der;
	size_t		 len;

	/* The TA signing for itself is not an EE. */
	der = sign_with(fx->a.b->ta, fx->a.b->ta_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "CA certificate");
	free(der);
}

static void
test_decode(void **state)
{
	uint8_t	*der, *longer;
	size_t	 len, i;
	time_t	 now = time(NULL);

	der = sign_ok(fx->a.b, &len);
	longer = malloc(len + 3);
	memcpy(longer, der, len);
	memcpy(longer + len, "\x00\x00\x00", 3);
	expect(longer, len + 1, fx->a.b->ta, now, CMS_FAIL_DECODE,
	    "1 trailing byte(s)");
	expect(longer, len + 3, fx->a.b->ta, now, CMS_FAIL_DECODE,
	    "trailing");
	/* Every truncation. */
	for (i = 0; i < len; i++)
		expect(der, i, fx->a.b->ta, now, CMS_FAIL_DECODE, NULL);
	expect((const uint8_t *)"garbage", 7, fx->a.b->ta, now,
	    CMS_FAIL_DECODE, "not a CMS");
	expect(der, 0, fx->a.b->ta, now, CMS_FAIL_DECODE, "0 bytes");
	free(longer);
	free(der);
}

/*
 * RFC 6492 section 3.1 does not demand DER of the whole message (the
 * signed attributes are DER by RFC 5652 section 5.3), so BER indefinite
 * lengths outside them are accepted; the profile checks still apply.
 */
static void
test_ber_accepted(void **state)
{
	uint8_t	*der, *ber, *p;
	size_t	 len, blen;

	der = sign_ok(fx->a.b, &len);
	/* 30 82 LL LL <OID 11> a0 82 LL LL <SignedData> */
	assert_int_equal(der[0], 0x30);
	assert_int_equal(der[1], 0x82);
	assert_int_equal(der[15], 0xa0);
	assert_int_equal(der[16], 0x82);
	blen = 2 + 11 + 2 + (len - 19) + 4;
	ber = p = malloc(blen);
	memcpy(p, "\x30\x80", 2);
	memcpy(p + 2, der + 4, 11);
	memcpy(p + 13, "\xa0\x80", 2);
	memcpy(p + 15, der + 19, len - 19);
	memset(p + 15 + len - 19, 0, 4);
	expect(ber, blen, fx->a.b->ta, time(NULL), CMS_OK, NULL);

	/* The versions are still read, from OpenSSL's re-encoding. */
	p = find(ber, blen, der_signed_data, sizeof(der_signed_data), 0);
	p = find(p, blen - (size_t)(p - ber), (const uint8_t *)"\x02\x01\x03",
	    3, 0);
	p[2] = 1;
	expect(ber, blen, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.1");
	free(ber);
	free(der);
}

static void
test_not_signed_data(void **state)
{
	CMS_ContentInfo	*cms;
	BIO		*in;
	uint8_t		*der = NULL;
	int		 n;

	in = BIO_new_mem_buf(XML, (int)strlen(XML));
	cms = CMS_data_create(in, CMS_BINARY);
	assert_non_null(cms);
	n = i2d_CMS_ContentInfo(cms, &der);
	assert_true(n > 0);
	expect(der, (size_t)n, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "not signedData");
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
}

static void
test_econtent(void **state)
{
	struct opts	 o = { 0 };
	uint8_t		*der;
	size_t		 len;

	o.id_data = 1;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.3.1");
	free(der);

	memset(&o, 0, sizeof(o));
	o.detached = 1;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.3.2");
	free(der);
}

static void
test_sid(void **state)
{
	struct opts	 o = { 0 };
	uint8_t		*der;
	size_t		 len;

	o.issuer_serial = 1;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.6.2: sid is not a subjectKeyIdentifier");
	free(der);

	/* The SKI of one EE, the certificate of another. */
	memset(&o, 0, sizeof(o));
	o.only_cert = fx->ee2;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.6.2: sid does not match");
	free(der);
}

static void
test_versions(void **state)
{
	static const uint8_t	 si_v3[] = { 0x02, 0x01, 0x03, 0x80, 0x14 };
	uint8_t			*der, *p;
	size_t			 len;

	/* SignedData version: the INTEGER right after [0] { SEQUENCE. */
	der = sign_ok(fx->a.b, &len);
	p = find(der, len, der_signed_data, sizeof(der_signed_data), 0);
	p = find(p, len - (size_t)(p - der), (const uint8_t *)"\x02\x01\x03",
	    3, 0);
	p[2] = 4;
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.1: SignedData version is 4");
	free(der);

	/* SignerInfo version, before its [0] subjectKeyIdentifier. */
	der = sign_ok(fx->a.b, &len);
	p = find(der, len, si_v3, sizeof(si_v3), 1);
	p[2] = 1;
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.6.1: SignerInfo version is 1");
	free(der);
}

static void
test_digest_algorithms(void **state)
{
	struct opts	 o = { 0 };
	uint8_t		*der, *p;
	size_t		 len;

	/* SignedData.digestAlgorithms: the first SHA-256 OID. */
	der = sign_ok(fx->a.b, &len);
	p = find(der, len, der_sha256, sizeof(der_sha256), 0);
	p[sizeof(der_sha256) - 1] = 0x02;	/* SHA-384 */
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.2");
	free(der);

	/* SignerInfo.digestAlgorithm: the last one. */
	der = sign_ok(fx->a.b, &len);
	p = find(der, len, der_sha256, sizeof(der_sha256), 1);
	p[sizeof(der_sha256) - 1] = 0x02;
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.6.3");
	free(der);

	/* Signed with SHA-384 throughout. */
	o.md = EVP_sha384();
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "SHA-256");
	free(der);
}

static void
test_signature_algorithm(void **state)
{
	uint8_t	*der, *p;
	size_t	 len;

	/* The last rsaEncryption OID is the SignerInfo's. */
	der = sign_ok(fx->a.b, &len);
	p = find(der, len, der_rsa, sizeof(der_rsa), 1);
	p[sizeof(der_rsa) - 1] = 0x0c;	/* sha384WithRSAEncryption */
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.6.5");
	free(der);
}

static void
test_signer_count(void **state)
{
	struct opts	 o = { 0 };
	uint8_t		*der;
	size_t		 len;

	o.signer2 = fx->ee2;
	o.signer2_key = fx->key2;
	o.only_cert = fx->a.b->ee;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.6: 2 SignerInfos");
	free(der);
}

static void
test_signed_attrs(void **state)
{
	struct opts	 o = { 0 };
	uint8_t		*der, *p;
	size_t		 len;

	o.smimecap = 1;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "not allowed");
	free(der);

	memset(&o, 0, sizeof(o));
	o.noattr = 1;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "signed attributes absent");
	free(der);

	memset(&o, 0, sizeof(o));
	o.drop_signing_time = 1;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "signing-time missing");
	free(der);

	memset(&o, 0, sizeof(o));
	o.dup_signing_time = 1;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "more than once");
	free(der);

	/* content-type attribute other than id-ct-xml (its 2nd OID). */
	der = sign_ok(fx->a.b, &len);
	p = find(der, len, der_ct_xml, sizeof(der_ct_xml), 1);
	p[sizeof(der_ct_xml) - 1] = 0x1d;
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.6.4.1");
	free(der);

	memset(&o, 0, sizeof(o));
	o.unsigned_attr = 1;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_FAIL_PROFILE,
	    "3.1.1.6.7");
	free(der);
}

static void
test_signed_attrs_allowed(void **state)
{
	struct cms_verified	 v;
	struct opts		 o = { 0 };
	uint8_t			*der;
	size_t			 len;
	char			 err[256];

	/* binary-signing-time is allowed (RFC 6492 section 3.1.1.6.4.4). */
	o.binary_signing_time = 1;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	expect(der, len, fx->a.b->ta, time(NULL), CMS_OK, NULL);
	free(der);

	/* signing-time as GeneralizedTime (RFC 5652 section 11.3). */
	memset(&o, 0, sizeof(o));
	o.gen_signing_time = 1;
	o.gen_time = time(NULL) - 12345;
	der = sign_with(fx->a.b->ee, fx->a.b->ee_key, fx->a.b->crl, &o,
	    &len);
	assert_int_equal(cms_verify(der, len, fx->a.b->ta, time(NULL), &v,
	    err, sizeof(err)), CMS_OK);
	assert_int_equal((long long)v.signing_time, (long long)o.gen_time);
	free(v.content);
	free(der);
}

struct worker {
	int	ok;
};

static void *
worker_run(void *arg)
{
	struct worker		*w = arg;
	struct cms_verified	 v;
	uint8_t			*der;
	size_t			 len;
	char			 err[256];
	int			 i;

	for (i = 0; i < 8; i++) {
		if (cms_sign((const uint8_t *)XML, strlen(XML), fx->a.b->ee,
		    fx->a.b->ee_key, fx->a.b->crl, &der, &len) != 0)
			return NULL;
		if (cms_verify(der, len, fx->a.b->ta, time(NULL), &v, err,
		    sizeof(err)) == CMS_OK) {
			w->ok++;
			free(v.content);
		}
		/* A failing path too, on the same shared objects. */
		if (cms_verify(der, len, fx->other.b->ta, time(NULL), &v,
		    err, sizeof(err)) == CMS_FAIL_UNTRUSTED)
			w->ok++;
		free(der);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t	t[4];
	struct worker	w[4];
	int		i;

	for (i = 0; i < 4; i++) {
		w[i].ok = 0;
		assert_int_equal(pthread_create(&t[i], NULL, worker_run,
		    &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].ok, 16);
	}
}

/*
 * The outer encoding is not signed: a copy re-encoded with a long-form
 * length is other bytes but the same message, and must give the same
 * replay key (else replay protection could be bypassed).
 */
static void
test_replay_key_encoding(void **state)
{
	struct cms_verified	 v1, v2;
	uint8_t			*der, *ber;
	size_t			 len, hdr;
	char			 err[256];

	der = sign_ok(fx->a.b, &len);
	assert_int_equal(der[0], 0x30);
	assert_int_equal(der[1], 0x82);		/* two length bytes */
	hdr = 4;
	ber = malloc(len + 2);
	assert_non_null(ber);
	ber[0] = 0x30;
	ber[1] = 0x84;				/* four length bytes */
	ber[2] = 0;
	ber[3] = 0;
	ber[4] = der[2];
	ber[5] = der[3];
	memcpy(ber + 6, der + hdr, len - hdr);
	assert_int_equal(cms_verify(der, len, fx->a.b->ta, time(NULL), &v1,
	    err, sizeof(err)), CMS_OK);
	assert_int_equal(cms_verify(ber, len + 2, fx->a.b->ta, time(NULL), &v2,
	    err, sizeof(err)), CMS_OK);
	assert_memory_equal(v1.digest, v2.digest, 32);
	free(v1.content);
	free(v2.content);
	free(ber);
	free(der);
}

/* A signing-time beyond clock skew in the future is refused. */
static void
test_future_signing_time(void **state)
{
	struct cms_verified	 v;
	uint8_t			*der;
	size_t			 len;
	char			 err[256];

	der = sign_ok(fx->a.b, &len);
	assert_int_equal(cms_verify(der, len, fx->a.b->ta,
	    time(NULL) - CMS_MAX_CLOCK_SKEW - 60, &v, err, sizeof(err)),
	    CMS_FAIL_SIGNING_TIME);
	assert_non_null(strstr(err, "in the future"));
	assert_int_equal(cms_verify(der, len, fx->a.b->ta,
	    time(NULL) - CMS_MAX_CLOCK_SKEW + 60, &v, err, sizeof(err)),
	    CMS_OK);
	free(v.content);
	free(der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_names),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_openssl_cli),
		cmocka_unit_test(test_tampered_content),
		cmocka_unit_test(test_tampered_signature),
		cmocka_unit_test(test_wrong_ta),
		cmocka_unit_test(test_ee_expired),
		cmocka_unit_test(test_ee_revoked),
		cmocka_unit_test(test_crl_not_current),
		cmocka_unit_test(test_sign_at),
		cmocka_unit_test(test_crl_wrong_issuer),
		cmocka_unit_test(test_crl_count),
		cmocka_unit_test(test_cert_count),
		cmocka_unit_test(test_signer_is_ca),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_ber_accepted),
		cmocka_unit_test(test_not_signed_data),
		cmocka_unit_test(test_econtent),
		cmocka_unit_test(test_sid),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_digest_algorithms),
		cmocka_unit_test(test_replay_key_encoding),
		cmocka_unit_test(test_future_signing_time),
		cmocka_unit_test(test_signature_algorithm),
		cmocka_unit_test(test_signer_count),
		cmocka_unit_test(test_signed_attrs),
		cmocka_unit_test(test_signed_attrs_allowed),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
