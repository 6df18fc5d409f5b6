/*
 * Business PKI (RFC 8183 section 1): the key pairs and certificates that
 * sign and verify RFC 8181 CMS messages.  One identity = a self-signed TA,
 * an EE issued by it and a CRL issued by it, stored under a directory:
 *   ta.key ta.cer ee.key ee.cer crl.der  (keys PEM, mode 0600; rest DER)
 * The server uses one for its replies; rpkipub-push one per publisher.
 */
#ifndef RPKIPUB_BPKI_H
#define RPKIPUB_BPKI_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Lifetimes.  EE and CRL are re-issued when less than the margin is left. */
#define BPKI_TA_DAYS		(20 * 365)
#define BPKI_EE_DAYS		365
#define BPKI_EE_RENEW_DAYS	30
#define BPKI_CRL_HOURS		(7 * 24)
#define BPKI_CRL_RENEW_HOURS	(3 * 24)

struct bpki {
	X509		*ta;
	EVP_PKEY	*ta_key;
	X509		*ee;
	EVP_PKEY	*ee_key;
	X509_CRL	*crl;
};

/* Create a new identity named cn under dir (which must exist). 0 or -1. */
int		 bpki_create(const char *dir, const char *cn);
/* Load; NULL on error (logged). */
struct bpki	*bpki_load(const char *dir);
void		 bpki_free(struct bpki *);
/*
 * Re-issue EE (and revoke the old one in the new CRL) or CRL when they
 * are within their renewal margin at now; write the files atomically.
 * Returns 1 if something was re-issued, 0 if not, -1 on error (b is then
 * unchanged).  The old objects in b are freed: callers serialise this
 * against every other user of b.
 */
int		 bpki_renew(const char *dir, struct bpki *, time_t now);

/* DER of a certificate; malloc'd, or NULL. */
unsigned char	*bpki_cert_der(X509 *, size_t *len);
/* Parse a DER certificate; trailing bytes are an error.  NULL on error. */
X509		*bpki_cert_from_der(const unsigned char *, size_t);

/*
 * The builders behind bpki_create() and bpki_renew(), for tools and tests
 * that need certificates and CRLs with chosen dates.  All return new
 * objects owned by the caller, or NULL (logged).
 */
/* A new RSA 2048 key pair. */
EVP_PKEY	*bpki_key_new(void);
/* An EE certificate for ee_key, issued by ta, named after cn. */
X509		*bpki_issue_ee(X509 *ta, EVP_PKEY *ta_key, EVP_PKEY *ee_key,
		    const char *cn, time_t not_before, time_t not_after);
/*
 * A CRL issued by ta: the revocations of prev (may be NULL; not modified)
 * plus serial revoke (may be NULL), crlNumber one more than prev's (1
 * without prev).
 */
X509_CRL	*bpki_issue_crl(X509 *ta, EVP_PKEY *ta_key, X509_CRL *prev,
		    const ASN1_INTEGER *revoke, time_t this_update,
		    time_t next_update);

#endif
