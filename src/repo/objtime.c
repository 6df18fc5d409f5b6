#include <string.h>

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "objtime.h"

static int
objtime_asn1(const ASN1_TIME *at, time_t *out)
{
	struct tm	tm;

	if (at == NULL || ASN1_TIME_to_tm(at, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

static int
objtime_crl(const uint8_t *der, size_t len, time_t *out)
{
	const unsigned char	*p = der;
	X509_CRL		*crl;
	int			 rc = -1;

	if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL)
		return -1;
	rc = objtime_asn1(X509_CRL_get0_lastUpdate(crl), out);
	X509_CRL_free(crl);
	return rc;
}

static int
objtime_cert(const uint8_t *der, size_t len, time_t *out)
{
	const unsigned char	*p = der;
	X509			*x;
	int			 rc;

	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return -1;
	rc = objtime_asn1(X509_get0_notBefore(x), out);
	X509_free(x);
	return rc;
}

/* RFC 6488 section 2.1.6.4.3: the signing-time signed attribute. */
static int
objtime_cms(const uint8_t *der, size_t len, time_t *out)
{
	const unsigned char		*p = der;
	CMS_ContentInfo			*cms;
	STACK_OF(CMS_SignerInfo)	*sis;
	X509_ATTRIBUTE			*attr;
	ASN1_TYPE			*t;
	int				 idx, rc = -1;

	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL)
		return -1;
	if ((sis = CMS_get0_SignerInfos(cms)) == NULL ||
	    sk_CMS_SignerInfo_num(sis) != 1)
		goto out;
	idx = CMS_signed_get_attr_by_NID(sk_CMS_SignerInfo_value(sis, 0),
	    NID_pkcs9_signingTime, -1);
	if (idx < 0 || (attr = CMS_signed_get_attr(
	    sk_CMS_SignerInfo_value(sis, 0), idx)) == NULL ||
	    X509_ATTRIBUTE_count(attr) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(attr, 0)) == NULL)
		goto out;
	if (t->type == V_ASN1_UTCTIME || t->type == V_ASN1_GENERALIZEDTIME)
		rc = objtime_asn1((const ASN1_TIME *)t->value.asn1_string,
		    out);
 out:
	CMS_ContentInfo_free(cms);
	return rc;
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t	n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

time_t
objtime_get(const char *name, const uint8_t *der, size_t len,
    time_t fallback)
{
	time_t	t;
	int	rc;

	if (has_suffix(name, ".crl"))
		rc = objtime_crl(der, len, &t);
	else if (has_suffix(name, ".cer"))
		rc = objtime_cert(der, len, &t);
	else
		rc = objtime_cms(der, len, &t);
	/* A time before the epoch cannot be an honest RPKI object's. */
	if (rc == -1 || t < 0)
		return fallback;
	return t;
}
