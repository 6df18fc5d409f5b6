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
 * Returns 1 if something was re-issued, 0 if not, -1 on error.
 */
int		 bpki_renew(const char *dir, struct bpki *, time_t now);

/* DER of a certificate; malloc'd, or NULL. */
unsigned char	*bpki_cert_der(X509 *, size_t *len);
X509		*bpki_cert_from_der(const unsigned char *, size_t);

#endif
