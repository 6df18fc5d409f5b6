/*
 * CMS signed messages for RFC 8181 (the RFC 6492 section 3.1 profile).
 *
 * Verification runs in four separate steps, each with its own failure
 * class: decode (DER, no trailing bytes), profile (every rule of RFC 6492
 * section 3.1.1 checked by hand), signature (CMS_verify without any
 * certificate checks) and certificate validation (the one EE against the
 * signer's BPKI TA as the verifier holds it: the publisher's for a query,
 * the repository's for a reply; and the one CRL the message carries).
 *
 * Both cms_verify() and cms_sign() run concurrently in many threads with
 * shared X509 and EVP_PKEY objects; they never modify those (OpenSSL takes
 * its own references where it keeps one).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "cms.h"
#include "log.h"
#include "ossl.h"

/* id-ct-xml, RFC 6492 section 3.1.1.3.1. */
#define OID_CT_XML	"1.2.840.113549.1.9.16.1.28"

/* DER contents octets of the OIDs we compare by hand. */
/* 2.16.840.1.101.3.4.2.1 */
static const uint8_t oid_sha256[] = {
	0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01
};
/* 1.2.840.113549.1.9.16.2.46, RFC 6019 */
static const uint8_t oid_binary_signing_time[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x2e
};

static const char *const cms_fail_names[CMS_FAIL_COUNT] = {
	[CMS_OK] = "ok",
	[CMS_FAIL_DECODE] = "decode",
	[CMS_FAIL_PROFILE] = "profile",
	[CMS_FAIL_SIGNATURE] = "signature",
	[CMS_FAIL_UNTRUSTED] = "untrusted",
	[CMS_FAIL_EXPIRED] = "expired",
	[CMS_FAIL_REVOKED] = "revoked",
	[CMS_FAIL_CRL] = "crl",
	[CMS_FAIL_SIGNING_TIME] = "signing_time",
};

const char *
cms_fail_name(enum cms_fail f)
{
	if ((unsigned int)f >= CMS_FAIL_COUNT)
		return "unknown";
	return cms_fail_names[f];
}

static void	 cms_seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Format a failure reason.  Reasons end up in one log line and in an
 * RFC 8181 error_text, so anything that is not printable ASCII (names
 * from a certificate, say) is replaced.
 */
static void
cms_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (s = err; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static void
name_fmt(const X509_NAME *name, char *buf, size_t len)
{
	BIO	*bio;
	char	*p;
	long	 n;

	snprintf(buf, len, "(unprintable name)");
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_get_mem_data(bio, &p)) >= 0)
		snprintf(buf, len, "%.*s", (int)(n > 200 ? 200 : n), p);
	BIO_free(bio);
}

/*
 * A minimal reader of DER TLVs, for the few fields OpenSSL 3.0 does not
 * expose (see cms_shape()).  Low tag numbers and definite lengths only,
 * which is all DER of CMS ever uses.
 */
struct der {
	const uint8_t	*p;
	size_t		 len;
};

static int
der_get(struct der *d, uint8_t *tag, struct der *val)
{
	size_t	 i = 2, n, len;

	if (d->len < 2)
		return -1;
	*tag = d->p[0];
	if ((*tag & 0x1f) == 0x1f)
		return -1;
	len = d->p[1];
	if (len & 0x80) {
		n = len & 0x7f;
		/* n == 0 is the BER indefinite form. */
		if (n == 0 || n > sizeof(size_t) || n > d->len - 2)
			return -1;
		for (len = 0; n > 0; n--)
			len = (len << 8) | d->p[i++];
	}
	if (len > d->len - i)
		return -1;
	val->p = d->p + i;
	val->len = len;
	d->p += i + len;
	d->len -= i + len;
	return 0;
}

static int
der_expect(struct der *d, uint8_t want, struct der *val)
{
	uint8_t	tag;

	if (der_get(d, &tag, val) == -1 || tag != want)
		return -1;
	return 0;
}

static uint8_t
der_peek(const struct der *d)
{
	return d->len > 0 ? d->p[0] : 0;
}

/* A small non-negative INTEGER (a CMSVersion); -1 if it is not one. */
static long
der_small_int(const struct der *v)
{
	long	x = 0;
	size_t	i;

	if (v->len == 0 || v->len > 3 || (v->p[0] & 0x80))
		return -1;
	for (i = 0; i < v->len; i++)
		x = (x << 8) | v->p[i];
	return x;
}

static int
der_count(struct der set)
{
	struct der	val;
	uint8_t		tag;
	int		n = 0;

	while (set.len > 0) {
		if (der_get(&set, &tag, &val) == -1)
			return -1;
		n++;
	}
	return n;
}

/* What cms_shape() reads from the DER of a SignedData. */
struct cms_shape {
	long	sd_version;
	int	ndigest_algs;
	int	digest_algs_sha256;	/* all of them are SHA-256 */
	int	ncerts;		/* CertificateChoices of any kind */
	int	ncrls;		/* RevocationInfoChoices, any kind */
	int	nsigners;
	long	si_version;		/* of the first SignerInfo */
	int	si_unsigned_attrs;	/* [1] present in the first one */
};

/*
 * OpenSSL 3.0 has no public accessor for the SignedData and SignerInfo
 * versions (LibreSSL added CMS_get_version() and
 * CMS_SignerInfo_get_version(); OpenSSL did not), nor for the
 * SignedData digestAlgorithms set, nor does CMS_get1_certs() and
 * CMS_get1_crls() count certificate and revocation choices other than
 * X.509 ones.  So read them from the DER: OpenSSL's own re-encoding of the
 * parsed structure, which keeps every value as received (OpenSSL only
 * recomputes versions when it builds a message) and is DER even when the
 * input used BER indefinite lengths.
 */
static int
cms_shape(const CMS_ContentInfo *cms, struct cms_shape *sh)
{
	unsigned char	*enc = NULL;
	struct der	 d, ci, sd, set, alg, oid, si, skip;
	int		 enclen, rc = -1;

	memset(sh, 0, sizeof(*sh));
	if ((enclen = i2d_CMS_ContentInfo(cms, &enc)) <= 0)
		goto out;
	d.p = enc;
	d.len = (size_t)enclen;
	/* ContentInfo ::= SEQUENCE { contentType, [0] EXPLICIT content } */
	if (der_expect(&d, 0x30, &ci) == -1 ||
	    der_expect(&ci, 0x06, &skip) == -1 ||
	    der_expect(&ci, 0xa0, &d) == -1 ||
	    der_expect(&d, 0x30, &sd) == -1)
		goto out;
	/* SignedData ::= SEQUENCE { version, digestAlgorithms, ... } */
	if (der_expect(&sd, 0x02, &skip) == -1)
		goto out;
	sh->sd_version = der_small_int(&skip);
	if (der_expect(&sd, 0x31, &set) == -1)
		goto out;
	sh->digest_algs_sha256 = 1;
	while (set.len > 0) {
		if (der_expect(&set, 0x30, &alg) == -1 ||
		    der_expect(&alg, 0x06, &oid) == -1)
			goto out;
		sh->ndigest_algs++;
		if (oid.len != sizeof(oid_sha256) ||
		    memcmp(oid.p, oid_sha256, oid.len) != 0)
			sh->digest_algs_sha256 = 0;
	}
	if (der_expect(&sd, 0x30, &skip) == -1)	/* encapContentInfo */
		goto out;
	/* [0] IMPLICIT CertificateSet */
	if (der_peek(&sd) == 0xa0) {
		if (der_expect(&sd, 0xa0, &set) == -1 ||
		    (sh->ncerts = der_count(set)) == -1)
			goto out;
	}
	/* [1] IMPLICIT RevocationInfoChoices */
	if (der_peek(&sd) == 0xa1) {
		if (der_expect(&sd, 0xa1, &set) == -1 ||
		    (sh->ncrls = der_count(set)) == -1)
			goto out;
	}
	if (der_expect(&sd, 0x31, &set) == -1 || sd.len != 0)
		goto out;
	if ((sh->nsigners = der_count(set)) == -1)
		goto out;
	if (sh->nsigners > 0) {
		/* SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm,
		 *   [0] signedAttrs OPTIONAL, signatureAlgorithm, signature,
		 *   [1] unsignedAttrs OPTIONAL } */
		if (der_expect(&set, 0x30, &si) == -1 ||
		    der_expect(&si, 0x02, &skip) == -1)
			goto out;
		sh->si_version = der_small_int(&skip);
		while (si.len > 0) {
			uint8_t	tag;

			if (der_get(&si, &tag, &skip) == -1)
				goto out;
			if (tag == 0xa1)
				sh->si_unsigned_attrs = 1;
		}
	}
	rc = 0;
 out:
	OPENSSL_free(enc);
	return rc;
}

static int
obj_is(const ASN1_OBJECT *obj, const uint8_t *oid, size_t len)
{
	return obj != NULL && (size_t)OBJ_length(obj) == len &&
	    memcmp(OBJ_get0_data(obj), oid, len) == 0;
}

static void
obj_fmt(const ASN1_OBJECT *obj, char *buf, size_t len)
{
	if (obj == NULL || OBJ_obj2txt(buf, (int)len, obj, 0) <= 0)
		snprintf(buf, len, "(none)");
}

/*
 * RFC 6492 section 3.1.1.6.4: the signed attributes are exactly
 * content-type, message-digest and signing-time, plus optionally
 * binary-signing-time, each once and single-valued (RFC 5652 section
 * 11).  Returns the signing-time in *stime.
 */
static enum cms_fail
cms_check_attrs(CMS_SignerInfo *si, time_t *stime, char *err, size_t errlen)
{
	X509_ATTRIBUTE		*attr;
	const ASN1_OBJECT	*obj;
	const ASN1_TYPE		*val;
	char			 oname[80];
	int			 i, n, nid;
	int			 has_ct = 0, has_md = 0, has_st = 0;
	int			 has_bst = 0;
	int			*seen;

	if ((n = CMS_signed_get_attr_count(si)) <= 0) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.6.4: "
		    "signed attributes absent");
		return CMS_FAIL_PROFILE;
	}
	for (i = 0; i < n; i++) {
		attr = CMS_signed_get_attr(si, i);
		obj = X509_ATTRIBUTE_get0_object(attr);
		nid = OBJ_obj2nid(obj);
		obj_fmt(obj, oname, sizeof(oname));
		if (nid == NID_pkcs9_contentType)
			seen = &has_ct;
		else if (nid == NID_pkcs9_messageDigest)
			seen = &has_md;
		else if (nid == NID_pkcs9_signingTime)
			seen = &has_st;
		else if (obj_is(obj, oid_binary_signing_time,
		    sizeof(oid_binary_signing_time)))
			seen = &has_bst;
		else {
			cms_seterr(err, errlen, "RFC 6492 section 3.1.1.6.4: "
			    "signed attribute %s not allowed", oname);
			return CMS_FAIL_PROFILE;
		}
		if (*seen) {
			cms_seterr(err, errlen, "RFC 6492 section 3.1.1.6.4: "
			    "signed attribute %s present more than once",
			    oname);
			return CMS_FAIL_PROFILE;
		}
		*seen = 1;
		if (X509_ATTRIBUTE_count(attr) != 1) {
			cms_seterr(err, errlen, "RFC 5652 section 11: "
			    "signed attribute %s must have exactly one value",
			    oname);
			return CMS_FAIL_PROFILE;
		}
		val = X509_ATTRIBUTE_get0_type(attr, 0);
		if (seen == &has_ct) {
			if (val == NULL || val->type != V_ASN1_OBJECT ||
			    OBJ_obj2nid(val->value.object) != NID_id_ct_xml) {
				cms_seterr(err, errlen, "RFC 6492 section "
				    "3.1.1.6.4.1: content-type attribute is "
				    "not id-ct-xml");
				return CMS_FAIL_PROFILE;
			}
		} else if (seen == &has_md) {
			if (val == NULL || val->type != V_ASN1_OCTET_STRING) {
				cms_seterr(err, errlen, "RFC 6492 section "
				    "3.1.1.6.4.2: message-digest attribute is "
				    "not an OCTET STRING");
				return CMS_FAIL_PROFILE;
			}
		} else if (seen == &has_st) {
			/* RFC 5652 section 11.3: UTCTime or GeneralizedTime */
			if (val == NULL || (val->type != V_ASN1_UTCTIME &&
			    val->type != V_ASN1_GENERALIZEDTIME) ||
			    ossl_asn1time_to_time(val->value.asn1_string,
			    stime) == -1) {
				cms_seterr(err, errlen, "RFC 6492 section "
				    "3.1.1.6.4.3: signing-time is not a valid "
				    "UTCTime or GeneralizedTime");
				return CMS_FAIL_PROFILE;
			}
		} else {
			/* RFC 6019: BinaryTime ::= INTEGER */
			if (val == NULL || val->type != V_ASN1_INTEGER) {
				cms_seterr(err, errlen, "RFC 6492 section "
				    "3.1.1.6.4.4: binary-signing-time is not "
				    "an INTEGER");
				return CMS_FAIL_PROFILE;
			}
		}
	}
	if (!has_ct || !has_md || !has_st) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.6.4: "
		    "signed attribute %s missing", !has_ct ? "content-type" :
		    !has_md ? "message-digest" : "signing-time");
		return CMS_FAIL_PROFILE;
	}
	return CMS_OK;
}

/*
 * Everything RFC 6492 section 3.1.1 says about the structure, checked
 * before any cryptography.  On success *pee and *pcrl are borrowed from
 * certs and crls (which the caller frees) and *stime is the signing-time.
 */
static enum cms_fail
cms_check_profile(CMS_ContentInfo *cms, STACK_OF(X509) *certs,
    STACK_OF(X509_CRL) *crls, X509 **pee, X509_CRL **pcrl, time_t *stime,
    char *err, size_t errlen)
{
	STACK_OF(CMS_SignerInfo)	*sis;
	CMS_SignerInfo			*si;
	ASN1_OCTET_STRING		*keyid = NULL, **pos;
	X509_NAME			*issuer = NULL;
	ASN1_INTEGER			*sno = NULL;
	const ASN1_OCTET_STRING		*ski;
	X509_ALGOR			*dig = NULL, *sig = NULL;
	const ASN1_OBJECT		*obj;
	struct cms_shape		 sh;
	char				 oname[80];
	X509				*ee;
	int				 nid;

	obj = CMS_get0_type(cms);
	if (OBJ_obj2nid(obj) != NID_pkcs7_signed) {
		obj_fmt(obj, oname, sizeof(oname));
		cms_seterr(err, errlen, "RFC 6492 section 3.1: content type "
		    "is %s, not signedData", oname);
		return CMS_FAIL_PROFILE;
	}
	if (cms_shape(cms, &sh) == -1) {
		cms_seterr(err, errlen, "cannot re-encode the SignedData: %s",
		    ossl_reason());
		return CMS_FAIL_DECODE;
	}
	if (sh.sd_version != 3) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.1: SignedData "
		    "version is %ld, must be 3", sh.sd_version);
		return CMS_FAIL_PROFILE;
	}
	if (sh.ndigest_algs != 1 || !sh.digest_algs_sha256) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.2: "
		    "digestAlgorithms must hold SHA-256 only (%d present)",
		    sh.ndigest_algs);
		return CMS_FAIL_PROFILE;
	}

	obj = CMS_get0_eContentType(cms);
	if (OBJ_obj2nid(obj) != NID_id_ct_xml) {
		obj_fmt(obj, oname, sizeof(oname));
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.3.1: "
		    "eContentType is %s, not id-ct-xml " OID_CT_XML, oname);
		return CMS_FAIL_PROFILE;
	}
	if ((pos = CMS_get0_content(cms)) == NULL || *pos == NULL) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.3.2: "
		    "eContent absent (detached signature)");
		return CMS_FAIL_PROFILE;
	}

	if (sh.ncerts != 1 || sk_X509_num(certs) != 1) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.4: %d "
		    "certificates, must be exactly one EE certificate",
		    sh.ncerts);
		return CMS_FAIL_PROFILE;
	}
	ee = sk_X509_value(certs, 0);
	if (X509_check_ca(ee) != 0) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.4: the "
		    "certificate is a CA certificate, not an EE certificate");
		return CMS_FAIL_PROFILE;
	}
	if (sh.ncrls == 0) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.5: no CRL");
		return CMS_FAIL_CRL;
	}
	if (sh.ncrls != 1 || sk_X509_CRL_num(crls) != 1) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.5: %d CRLs, "
		    "must be exactly one X.509 CRL", sh.ncrls);
		return CMS_FAIL_PROFILE;
	}

	sis = CMS_get0_SignerInfos(cms);
	if (sh.nsigners != 1 || sk_CMS_SignerInfo_num(sis) != 1) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.6: %d "
		    "SignerInfos, must be exactly one", sh.nsigners);
		return CMS_FAIL_PROFILE;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	if (!CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &sno) ||
	    keyid == NULL) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.6.2: sid is "
		    "not a subjectKeyIdentifier");
		return CMS_FAIL_PROFILE;
	}
	if ((ski = X509_get0_subject_key_id(ee)) == NULL ||
	    ASN1_OCTET_STRING_cmp(keyid, ski) != 0) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.6.2: sid does "
		    "not match the certificate's subjectKeyIdentifier");
		return CMS_FAIL_PROFILE;
	}
	if (sh.si_version != 3) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.6.1: "
		    "SignerInfo version is %ld, must be 3", sh.si_version);
		return CMS_FAIL_PROFILE;
	}
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	X509_ALGOR_get0(&obj, NULL, NULL, dig);
	if (OBJ_obj2nid(obj) != NID_sha256) {
		obj_fmt(obj, oname, sizeof(oname));
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.6.3: "
		    "digestAlgorithm is %s, must be SHA-256", oname);
		return CMS_FAIL_PROFILE;
	}
	X509_ALGOR_get0(&obj, NULL, NULL, sig);
	nid = OBJ_obj2nid(obj);
	if (nid != NID_rsaEncryption && nid != NID_sha256WithRSAEncryption) {
		obj_fmt(obj, oname, sizeof(oname));
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.6.5: "
		    "signatureAlgorithm is %s, must be rsaEncryption or "
		    "sha256WithRSAEncryption", oname);
		return CMS_FAIL_PROFILE;
	}
	if (CMS_unsigned_get_attr_count(si) > 0 || sh.si_unsigned_attrs) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.6.7: "
		    "unsignedAttrs present");
		return CMS_FAIL_PROFILE;
	}
	*pee = ee;
	*pcrl = sk_X509_CRL_value(crls, 0);
	return cms_check_attrs(si, stime, err, errlen);
}

static enum cms_fail
verify_error_class(int e)
{
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
		return CMS_FAIL_EXPIRED;
	case X509_V_ERR_CERT_REVOKED:
		return CMS_FAIL_REVOKED;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE:
	case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
	case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
		return CMS_FAIL_CRL;
	default:
		return CMS_FAIL_UNTRUSTED;
	}
}

/* The trust anchor a signer's EE must chain to, as reasons name it. */
static const char *
cms_ta_name(enum cms_signer who)
{
	return who == CMS_SIGNER_REPOSITORY ? "repository's BPKI trust anchor "
	    "(RFC 8183 repository_bpki_ta)" : "publisher's BPKI trust anchor "
	    "(RFC 8183 publisher_bpki_ta)";
}

/*
 * Validate the EE certificate at now: within its validity, issued by the
 * signer's BPKI TA, not revoked by the CRL the message carries, which
 * must itself be current and issued by the EE's issuer (RFC 6492 section
 * 3.1.1.5, RFC 8181 section 2).  The dates and the CRL issuer are checked
 * by hand first so the reason names the date; X509_verify_cert() then
 * does the chain, the signatures and the revocation check.
 */
static enum cms_fail
cms_check_ee(X509 *ee, X509_CRL *crl, STACK_OF(X509_CRL) *crls, X509 *ta,
    enum cms_signer who, time_t now, char *err, size_t errlen)
{
	X509_STORE		*store = NULL;
	X509_STORE_CTX		*ctx = NULL;
	X509_VERIFY_PARAM	*param;
	enum cms_fail		 rc = CMS_FAIL_UNTRUSTED;
	char			 ts[40], n1[256], n2[256];
	time_t			 nb, na, tu, nu;
	int			 e;

	if (ossl_asn1time_to_time(X509_get0_notBefore(ee), &nb) == -1 ||
	    ossl_asn1time_to_time(X509_get0_notAfter(ee), &na) == -1) {
		cms_seterr(err, errlen, "EE certificate validity unreadable");
		return CMS_FAIL_EXPIRED;
	}
	if (now < nb) {
		log_time_fmt(nb, ts, sizeof(ts));
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.4 / RFC 5280 "
		    "section 6.1.3: EE certificate not valid before %s", ts);
		return CMS_FAIL_EXPIRED;
	}
	if (now >= na) {
		log_time_fmt(na, ts, sizeof(ts));
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.4 / RFC 5280 "
		    "section 6.1.3: EE certificate expired at %s", ts);
		return CMS_FAIL_EXPIRED;
	}

	if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_issuer_name(ee)) != 0) {
		name_fmt(X509_CRL_get_issuer(crl), n1, sizeof(n1));
		name_fmt(X509_get_issuer_name(ee), n2, sizeof(n2));
		cms_seterr(err, errlen, "CRL issuer %s is not the EE issuer %s "
		    "(RFC 6492 section 3.1.1.5)", n1, n2);
		return CMS_FAIL_CRL;
	}
	if (ossl_asn1time_to_time(X509_CRL_get0_lastUpdate(crl), &tu) == -1) {
		cms_seterr(err, errlen, "CRL thisUpdate unreadable");
		return CMS_FAIL_CRL;
	}
	if (X509_CRL_get0_nextUpdate(crl) == NULL ||
	    ossl_asn1time_to_time(X509_CRL_get0_nextUpdate(crl), &nu) == -1) {
		cms_seterr(err, errlen, "CRL nextUpdate missing or unreadable "
		    "(RFC 5280 section 5.1.2.5)");
		return CMS_FAIL_CRL;
	}
	if (tu > now) {
		log_time_fmt(tu, ts, sizeof(ts));
		cms_seterr(err, errlen, "CRL this update %s is in the future "
		    "(RFC 6492 section 3.1.1.5)", ts);
		return CMS_FAIL_CRL;
	}
	if (nu <= now) {
		log_time_fmt(nu, ts, sizeof(ts));
		cms_seterr(err, errlen, "CRL next update %s is in the past "
		    "(RFC 6492 section 3.1.1.5)", ts);
		return CMS_FAIL_CRL;
	}

	if ((store = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL)
		fatalx("%s: out of memory", __func__);
	/* The store takes its own reference: ta itself is not changed. */
	if (!X509_STORE_add_cert(store, ta) ||
	    !X509_STORE_CTX_init(ctx, store, ee, NULL)) {
		cms_seterr(err, errlen, "cannot set up certificate "
		    "validation: %s", ossl_reason());
		goto out;
	}
	X509_STORE_CTX_set0_crls(ctx, crls);
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, now);
	/*
	 * The configured certificate is the trust anchor (RFC 8183:
	 * publisher_bpki_ta) whether or not it is self-signed; only the
	 * EE is checked against the CRL, which its issuer signed.
	 */
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK |
	    X509_V_FLAG_PARTIAL_CHAIN);
	/* BPKI certificates carry no TLS or S/MIME key purposes. */
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	if (X509_verify_cert(ctx) == 1) {
		rc = CMS_OK;
		goto out;
	}
	e = X509_STORE_CTX_get_error(ctx);
	rc = verify_error_class(e);
	switch (rc) {
	case CMS_FAIL_EXPIRED:
		cms_seterr(err, errlen, "%s certificate outside its validity: "
		    "%s", X509_STORE_CTX_get_error_depth(ctx) == 0 ? "EE" :
		    "TA", X509_verify_cert_error_string(e));
		break;
	case CMS_FAIL_REVOKED:
		cms_seterr(err, errlen, "EE certificate revoked by the CRL "
		    "(RFC 6492 section 3.1.1.5)");
		break;
	case CMS_FAIL_CRL:
		cms_seterr(err, errlen, "CRL not acceptable: %s "
		    "(RFC 6492 section 3.1.1.5)",
		    X509_verify_cert_error_string(e));
		break;
	default:
		cms_seterr(err, errlen, "RFC 6492 section 3.1.1.4 / RFC 5280 "
		    "section 6: EE certificate does not validate against the "
		    "%s: %s", cms_ta_name(who),
		    X509_verify_cert_error_string(e));
		break;
	}
 out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

enum cms_fail
cms_verify(const uint8_t *der, size_t len, X509 *ta, time_t now,
    struct cms_verified *out, char *err, size_t errlen)
{
	return cms_verify_signer(CMS_SIGNER_PUBLISHER, der, len, ta, now, out,
	    err, errlen);
}

enum cms_fail
cms_verify_signer(enum cms_signer who, const uint8_t *der, size_t len,
    X509 *ta, time_t now, struct cms_verified *out, char *err, size_t errlen)
{
	CMS_ContentInfo		*cms = NULL;
	STACK_OF(X509)		*certs = NULL;
	STACK_OF(X509_CRL)	*crls = NULL;
	ASN1_OCTET_STRING	**pos;
	const unsigned char	*p = der;
	X509			*ee = NULL;
	X509_CRL		*crl = NULL;
	time_t			 stime = 0;
	enum cms_fail		 rc;

	memset(out, 0, sizeof(*out));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	ERR_clear_error();

	/* d2i takes a long; bodies are bounded far below this anyway. */
	if (len == 0 || len > INT32_MAX) {
		cms_seterr(err, errlen, "message of %zu bytes", len);
		rc = CMS_FAIL_DECODE;
		goto out;
	}
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL) {
		cms_seterr(err, errlen, "RFC 6492 section 3.1 / RFC 5652 "
		    "section 3: not a CMS ContentInfo: %s", ossl_reason());
		rc = CMS_FAIL_DECODE;
		goto out;
	}
	if (p != der + len) {
		cms_seterr(err, errlen, "RFC 8181 section 2 / RFC 5652 "
		    "section 3: %zu trailing byte(s) after the CMS ContentInfo",
		    len - (size_t)(p - der));
		rc = CMS_FAIL_DECODE;
		goto out;
	}

	/* NULL (not an error) when the message has none. */
	if (OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed) {
		certs = CMS_get1_certs(cms);
		crls = CMS_get1_crls(cms);
	}
	rc = cms_check_profile(cms, certs, crls, &ee, &crl, &stime, err,
	    errlen);
	if (rc != CMS_OK)
		goto out;

	/*
	 * The signature over the signed attributes and the message-digest
	 * attribute against the eContent.  The signer is found among the
	 * message's certificates by its SKI; its validation is ours, below.
	 * The content is copied from the parsed eContent rather than from
	 * an output BIO, which would hold a second copy.
	 */
	if (CMS_verify(cms, NULL, NULL, NULL, NULL,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		cms_seterr(err, errlen, "RFC 5652 section 5.6: CMS signature "
		    "does not verify: %s", ossl_reason());
		rc = CMS_FAIL_SIGNATURE;
		goto out;
	}

	rc = cms_check_ee(ee, crl, crls, ta, who, now, err, errlen);
	if (rc != CMS_OK)
		goto out;

	/*
	 * A signing-time in the future would, once accepted, make every
	 * later honest message look like a replay (RFC 6492 section
	 * 3.1.2): allow only clock skew.
	 */
	if (stime > now + CMS_MAX_CLOCK_SKEW) {
		char	t1[32];

		log_time_fmt(stime, t1, sizeof(t1));
		cms_seterr(err, errlen, "RFC 6492 section 3.1.2: signing-time "
		    "%s is more than %d s in the future; check the %s clock",
		    t1, CMS_MAX_CLOCK_SKEW, who == CMS_SIGNER_REPOSITORY ?
		    "repository's" : "CA's");
		rc = CMS_FAIL_SIGNING_TIME;
		goto out;
	}

	/*
	 * The replay key: the signature value.  The signer fixed it; the
	 * outer encoding is not signed and BER allows re-encoding a message
	 * into other bytes, so a hash of the raw request would let a
	 * re-encoded copy pass as new.
	 */
	{
		CMS_SignerInfo		*si;
		ASN1_OCTET_STRING	*sig;

		si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
		sig = CMS_SignerInfo_get0_signature(si);
		if (!EVP_Digest(ASN1_STRING_get0_data(sig),
		    (size_t)ASN1_STRING_length(sig), out->digest, NULL,
		    EVP_sha256(), NULL))
			fatalx("%s: SHA-256 failed", __func__);
	}

	pos = CMS_get0_content(cms);
	out->content_len = (size_t)ASN1_STRING_length(*pos);
	out->content = xmalloc(out->content_len);
	memcpy(out->content, ASN1_STRING_get0_data(*pos), out->content_len);
	out->signing_time = stime;
 out:
	sk_X509_pop_free(certs, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}

/*
 * Sign content as RFC 6492 section 3.1 wants it: one SignerInfo
 * identified by SKI, SHA-256, the EE as the only certificate and the CRL
 * as the only CRL.  CMS_NOSMIMECAP keeps the signed attributes to
 * content-type, message-digest and signing-time; OpenSSL adds the
 * signing-time itself when it signs (CMS_SignerInfo_sign()) unless the
 * attribute is there already, as cms_sign_at() puts it, and sets the
 * content-type attribute from the eContentType at CMS_final().
 * OpenSSL takes references to ee, key and crl; none is modified.
 */
int
cms_sign(const uint8_t *content, size_t len, X509 *ee, EVP_PKEY *key,
    X509_CRL *crl, uint8_t **der, size_t *derlen)
{
	return cms_sign_at(content, len, ee, key, crl, time(NULL), der,
	    derlen);
}

int
cms_sign_at(const uint8_t *content, size_t len, X509 *ee, EVP_PKEY *key,
    X509_CRL *crl, time_t signing_time, uint8_t **der, size_t *derlen)
{
	const unsigned int	 flags = CMS_PARTIAL | CMS_BINARY |
				    CMS_NOSMIMECAP | CMS_USE_KEYID;
	CMS_ContentInfo		*cms = NULL;
	CMS_SignerInfo		*si;
	ASN1_OBJECT		*ct = NULL;
	ASN1_TIME		*st = NULL;
	BIO			*in = NULL;
	uint8_t			*buf = NULL, *p;
	int			 n, rc = -1;

	*der = NULL;
	*derlen = 0;
	if (len > INT32_MAX) {	/* BIO_new_mem_buf() takes an int */
		log_err("%s: content of %zu bytes too large", __func__, len);
		goto out;
	}
	if ((in = BIO_new_mem_buf(content, (int)len)) == NULL)
		fatalx("%s: out of memory", __func__);
	if ((cms = CMS_sign(NULL, NULL, NULL, NULL, flags)) == NULL)
		goto fail;
	if ((ct = OBJ_txt2obj(OID_CT_XML, 1)) == NULL ||
	    !CMS_set1_eContentType(cms, ct))
		goto fail;
	if ((si = CMS_add1_signer(cms, ee, key, EVP_sha256(), flags)) == NULL)
		goto fail;
	/*
	 * RFC 5652 section 11.3: UTCTime through 2049, GeneralizedTime
	 * after, which is what ASN1_TIME_set() chooses.
	 */
	if ((st = ASN1_TIME_set(NULL, signing_time)) == NULL ||
	    !CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime,
	    st->type, st, -1))
		goto fail;
	if (!CMS_add1_crl(cms, crl))
		goto fail;
	if (!CMS_final(cms, in, NULL, CMS_BINARY))
		goto fail;
	if ((n = i2d_CMS_ContentInfo(cms, NULL)) <= 0)
		goto fail;
	buf = xmalloc((size_t)n);
	p = buf;
	if (i2d_CMS_ContentInfo(cms, &p) != n)
		goto fail;
	*der = buf;
	*derlen = (size_t)n;
	buf = NULL;
	rc = 0;
	goto out;
 fail:
	log_err("%s: CMS signing failed: %s", __func__, ossl_reason());
 out:
	free(buf);
	ASN1_OBJECT_free(ct);
	ASN1_TIME_free(st);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}
