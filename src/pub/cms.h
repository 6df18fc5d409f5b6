/*
 * CMS for RFC 8181: the RFC 6492 section 3.1 profile.
 *
 * Unlike RFC 6488 signed objects, this profile carries exactly one
 * certificate (the signer's BPKI EE) AND exactly one CRL (issued by the
 * signer's BPKI CA).
 */
#ifndef RPKIPUB_CMS_H
#define RPKIPUB_CMS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

/* Seconds a signing-time may lie in the future (clock skew). */
#define CMS_MAX_CLOCK_SKEW	300

/* Why a message failed; also the label of a metric. */
enum cms_fail {
	CMS_OK = 0,
	CMS_FAIL_DECODE,	/* not DER CMS, or trailing bytes */
	CMS_FAIL_PROFILE,	/* RFC 6492 section 3.1 profile violated */
	CMS_FAIL_SIGNATURE,	/* signature does not verify */
	CMS_FAIL_UNTRUSTED,	/* EE does not chain to the BPKI TA */
	CMS_FAIL_EXPIRED,	/* EE not yet valid or expired */
	CMS_FAIL_REVOKED,	/* EE revoked by the CRL */
	CMS_FAIL_CRL,		/* CRL missing, not current, wrong issuer, bad signature */
	CMS_FAIL_SIGNING_TIME,	/* signing-time beyond clock skew in the future */
	CMS_FAIL_COUNT
};

/*
 * Whose message is verified: the server verifies a publisher's query
 * against the publisher_bpki_ta it registered, a publisher (rpkipub-push)
 * the server's reply against the repository_bpki_ta of its
 * repository_response (RFC 8183).  Only the reasons differ.
 */
enum cms_signer {
	CMS_SIGNER_PUBLISHER,
	CMS_SIGNER_REPOSITORY
};

struct cms_verified {
	uint8_t	*content;	/* the eContent (XML), caller frees */
	size_t	 content_len;
	time_t	 signing_time;	/* signed attribute (RFC 5652 section 11.3) */
	uint8_t	 digest[32];	/* SHA-256 of the signature: replay key */
};

/*
 * Verify der against the publisher's BPKI trust anchor ta at time now.
 * Returns CMS_OK and fills *out, or a failure with a reason (citing the
 * RFC section) in err.  Nothing is allocated on failure.
 */
enum cms_fail	 cms_verify(const uint8_t *der, size_t len, X509 *ta,
		    time_t now, struct cms_verified *out, char *err,
		    size_t errlen);
/* The same for a message of either signer; cms_verify() is PUBLISHER. */
enum cms_fail	 cms_verify_signer(enum cms_signer, const uint8_t *der,
		    size_t len, X509 *ta, time_t now, struct cms_verified *out,
		    char *err, size_t errlen);
const char	*cms_fail_name(enum cms_fail);

/*
 * Sign content with the profile above: eContentType id-ct-xml, SHA-256,
 * signed attributes content-type, message-digest, signing-time; ee as the
 * one certificate, crl as the one CRL.  Returns 0 and a malloc'd DER
 * message in *der, or -1.
 */
int	cms_sign(const uint8_t *content, size_t len, X509 *ee, EVP_PKEY *key,
	    X509_CRL *crl, uint8_t **der, size_t *derlen);
/*
 * The same with the signing-time given (cms_sign() uses the current
 * time): a publisher keeps its signing-times from going backwards when
 * its clock does, as the server refuses older ones (RFC 6492 section
 * 3.1.2).
 */
int	cms_sign_at(const uint8_t *content, size_t len, X509 *ee,
	    EVP_PKEY *key, X509_CRL *crl, time_t signing_time, uint8_t **der,
	    size_t *derlen);

#endif
