/*
 * Business PKI (RFC 8183 section 1; RFC 6492 section 3.1 for how it signs
 * RFC 8181 messages): a self-signed TA, one EE issued by it that signs the
 * CMS messages, and the TA's CRL that every message carries.
 *
 * Files under the identity's directory (see bpki.h).  Each is written to a
 * temporary name, fsynced, renamed into place and the directory fsynced.
 * An EE renewal replaces three files that must change together (the EE
 * key, the EE certificate and the CRL that revokes the old EE), so it is
 * journalled: the new files are first written as NAME.new, then a commit
 * marker, then renamed one by one.  bpki_load() finishes an interrupted
 * renewal when it finds the marker and discards NAME.new files without
 * it.  One process at a time writes a directory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bpki.h"
#include "buf.h"
#include "fileio.h"
#include "log.h"
#include "ossl.h"

#define BPKI_KEY_BITS	2048
/* RFC 5280 appendix A.1: ub-common-name. */
#define BPKI_CN_MAX	64
/* Largest file we read back; a CRL gains one entry per EE renewal. */
#define BPKI_MAX_FILE	(1024 * 1024)
/* Commit marker of an EE renewal. */
#define BPKI_JOURNAL	"renew.commit"

/* The files an EE renewal replaces, in the order they are renamed. */
static const char *const renew_files[] = { "ee.key", "ee.cer", "crl.der" };
#define NRENEW_FILES	(sizeof(renew_files) / sizeof(renew_files[0]))

static char *
bpki_file(const char *dir, const char *name, const char *suffix)
{
	struct buf	b;

	buf_init(&b);
	buf_printf(&b, "%s/%s%s", dir, name, suffix);
	return buf_str(&b);
}

/* Write dir/name atomically (fileio.c): a crash leaves old or new. */
static int
write_atomic(const char *dir, const char *name, const void *data,
    size_t len, mode_t mode)
{
	char	*path = bpki_file(dir, name, "");
	int	 rc;

	rc = file_write_atomic(path, data, len, (int)mode);
	free(path);
	return rc;
}

/* Read dir/name (1 to BPKI_MAX_FILE bytes); malloc'd, or NULL. */
static uint8_t *
read_file(const char *dir, const char *name, size_t *len)
{
	char	*path = bpki_file(dir, name, "");
	char	*data;

	if ((data = file_read(path, BPKI_MAX_FILE, len)) != NULL &&
	    *len == 0) {
		log_err("%s: empty file", path);
		free(data);
		data = NULL;
	}
	free(path);
	return (uint8_t *)data;
}

/* Finish an interrupted EE renewal, or drop the leftovers of one. */
static int
bpki_recover(const char *dir)
{
	char	*journal, *from, *to;
	size_t	 i;
	int	 rc = -1;

	journal = bpki_file(dir, BPKI_JOURNAL, "");
	if (access(journal, F_OK) == 0) {
		for (i = 0; i < NRENEW_FILES; i++) {
			from = bpki_file(dir, renew_files[i], ".new");
			to = bpki_file(dir, renew_files[i], "");
			if (rename(from, to) == -1 && errno != ENOENT) {
				log_err("rename %s to %s: %s", from, to,
				    strerror(errno));
				free(from);
				free(to);
				goto out;
			}
			free(from);
			free(to);
		}
		if (dir_fsync(dir) == -1)
			goto out;
		if (unlink(journal) == -1) {
			log_err("%s: unlink: %s", journal, strerror(errno));
			goto out;
		}
		if (dir_fsync(dir) == -1)
			goto out;
		log_warn("%s: completed an interrupted BPKI EE renewal", dir);
	} else if (errno != ENOENT) {
		log_err("%s: %s", journal, strerror(errno));
		goto out;
	} else {
		/* Renewal interrupted before its commit: the old set stands. */
		for (i = 0; i < NRENEW_FILES; i++) {
			from = bpki_file(dir, renew_files[i], ".new");
			if (unlink(from) == -1 && errno != ENOENT)
				log_warn("%s: unlink: %s", from,
				    strerror(errno));
			free(from);
		}
	}
	rc = 0;
 out:
	free(journal);
	return rc;
}

EVP_PKEY *
bpki_key_new(void)
{
	EVP_PKEY	*key;

	if ((key = EVP_RSA_gen(BPKI_KEY_BITS)) == NULL)
		log_err("RSA key generation failed: %s", ossl_reason());
	return key;
}

/*
 * The subject name: CN=cn followed by suffix, cn cut (on a UTF-8
 * character boundary) so the whole stays within ub-common-name.
 */
static X509_NAME *
bpki_name(const char *cn, const char *suffix)
{
	X509_NAME	*name;
	struct buf	 b;
	size_t		 n, max;

	max = BPKI_CN_MAX - strlen(suffix);
	if ((n = strlen(cn)) > max) {
		n = max;
		while (n > 0 && ((unsigned char)cn[n] & 0xc0) == 0x80)
			n--;
	}
	buf_init(&b);
	buf_add(&b, cn, n);
	buf_adds(&b, suffix);
	if ((name = X509_NAME_new()) == NULL)
		fatalx("%s: out of memory", __func__);
	if (!X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)buf_str(&b), -1, -1, 0)) {
		log_err("invalid common name \"%s\": %s", buf_str(&b),
		    ossl_reason());
		X509_NAME_free(name);
		name = NULL;
	}
	buf_free(&b);
	return name;
}

/* RFC 5280 section 4.2.1.2 method (1): SHA-1 of the subjectPublicKey. */
static ASN1_OCTET_STRING *
bpki_key_id(const X509 *x)
{
	ASN1_OCTET_STRING	*id;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 len;

	if (!X509_pubkey_digest(x, EVP_sha1(), md, &len))
		return NULL;
	if ((id = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(id, md, (int)len))
		fatalx("%s: out of memory", __func__);
	return id;
}

/* The issuer's key identifier, for an authorityKeyIdentifier. */
static ASN1_OCTET_STRING *
bpki_issuer_key_id(X509 *issuer)
{
	const ASN1_OCTET_STRING	*ski;
	ASN1_OCTET_STRING	*id;

	if ((ski = X509_get0_subject_key_id(issuer)) == NULL)
		return bpki_key_id(issuer);
	if ((id = ASN1_OCTET_STRING_dup(ski)) == NULL)
		fatalx("%s: out of memory", __func__);
	return id;
}

static int
bpki_add_akid(X509 *x, X509_CRL *crl, ASN1_OCTET_STRING *keyid)
{
	AUTHORITY_KEYID	*akid;
	int		 ok;

	if ((akid = AUTHORITY_KEYID_new()) == NULL)
		fatalx("%s: out of memory", __func__);
	akid->keyid = keyid;
	if (x != NULL)
		ok = X509_add1_ext_i2d(x, NID_authority_key_identifier, akid,
		    0, X509V3_ADD_DEFAULT);
	else
		ok = X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier,
		    akid, 0, X509V3_ADD_DEFAULT);
	AUTHORITY_KEYID_free(akid);
	return ok == 1 ? 0 : -1;
}

/* A random positive 64-bit serial number (RFC 5280 section 4.1.2.2). */
static ASN1_INTEGER *
bpki_serial(void)
{
	ASN1_INTEGER	*ai;
	BIGNUM		*bn;
	unsigned char	 r[8];

	do {
		if (RAND_bytes(r, sizeof(r)) != 1)
			fatalx("RAND_bytes: %s", ossl_reason());
	} while ((r[0] | r[1] | r[2] | r[3] | r[4] | r[5] | r[6] | r[7]) == 0);
	if ((bn = BN_bin2bn(r, sizeof(r), NULL)) == NULL ||
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		fatalx("%s: out of memory", __func__);
	BN_free(bn);
	return ai;
}

/*
 * A certificate for key named subject, issued by issuer (NULL: self-signed
 * with key).  CA: basicConstraints CA:TRUE, keyUsage keyCertSign and
 * cRLSign; EE: CA:FALSE, digitalSignature.  Both critical, with SKI and
 * AKI (RFC 5280 section 4.2.1).
 */
static X509 *
bpki_issue(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key,
    const X509_NAME *subject, time_t not_before, time_t not_after, int ca)
{
	X509			*x = NULL;
	ASN1_INTEGER		*serial = NULL;
	BASIC_CONSTRAINTS	*bc = NULL;
	ASN1_BIT_STRING		*ku = NULL;
	ASN1_OCTET_STRING	*ski = NULL, *akid;
	int			 ok = 0;

	if ((x = X509_new()) == NULL ||
	    (bc = BASIC_CONSTRAINTS_new()) == NULL ||
	    (ku = ASN1_BIT_STRING_new()) == NULL)
		fatalx("%s: out of memory", __func__);
	serial = bpki_serial();
	if (!X509_set_version(x, 2) ||		/* v3 */
	    !X509_set_serialNumber(x, serial) ||
	    !X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : subject) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), not_after) == NULL ||
	    !X509_set_pubkey(x, key))
		goto out;

	bc->ca = ca ? 0xff : 0;
	/* Bits: 0 digitalSignature, 5 keyCertSign, 6 cRLSign. */
	if (ca) {
		if (!ASN1_BIT_STRING_set_bit(ku, 5, 1) ||
		    !ASN1_BIT_STRING_set_bit(ku, 6, 1))
			goto out;
	} else if (!ASN1_BIT_STRING_set_bit(ku, 0, 1))
		goto out;
	if ((ski = bpki_key_id(x)) == NULL)
		goto out;
	akid = issuer != NULL ? bpki_issuer_key_id(issuer) :
	    ASN1_OCTET_STRING_dup(ski);
	if (akid == NULL)
		goto out;
	if (X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
	    X509V3_ADD_DEFAULT) != 1 ||
	    X509_add1_ext_i2d(x, NID_key_usage, ku, 1,
	    X509V3_ADD_DEFAULT) != 1 ||
	    X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0,
	    X509V3_ADD_DEFAULT) != 1) {
		ASN1_OCTET_STRING_free(akid);
		goto out;
	}
	/* It takes akid, whatever happens. */
	if (bpki_add_akid(x, NULL, akid) == -1)
		goto out;
	if (X509_sign(x, issuer_key != NULL ? issuer_key : key,
	    EVP_sha256()) <= 0)
		goto out;
	ok = 1;
 out:
	if (!ok) {
		log_err("cannot issue BPKI certificate: %s", ossl_reason());
		X509_free(x);
		x = NULL;
	}
	ASN1_INTEGER_free(serial);
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	ASN1_OCTET_STRING_free(ski);
	return x;
}

X509 *
bpki_issue_ee(X509 *ta, EVP_PKEY *ta_key, EVP_PKEY *ee_key, const char *cn,
    time_t not_before, time_t not_after)
{
	X509_NAME	*name;
	X509		*x;

	if ((name = bpki_name(cn, " EE")) == NULL)
		return NULL;
	x = bpki_issue(ta, ta_key, ee_key, name, not_before, not_after, 0);
	X509_NAME_free(name);
	return x;
}

X509_CRL *
bpki_issue_crl(X509 *ta, EVP_PKEY *ta_key, X509_CRL *prev,
    const ASN1_INTEGER *revoke, time_t this_update, time_t next_update)
{
	X509_CRL		*crl = NULL;
	STACK_OF(X509_REVOKED)	*old;
	X509_REVOKED		*rev = NULL;
	ASN1_TIME		*tu = NULL, *nu = NULL;
	ASN1_INTEGER		*num = NULL, *sn = NULL;
	ASN1_ENUMERATED		*reason = NULL;
	ASN1_OCTET_STRING	*akid;
	BIGNUM			*bn = NULL;
	int			 i, ok = 0, dup = 0;

	if ((crl = X509_CRL_new()) == NULL || (bn = BN_new()) == NULL)
		fatalx("%s: out of memory", __func__);
	if ((tu = ASN1_TIME_set(NULL, this_update)) == NULL ||
	    (nu = ASN1_TIME_set(NULL, next_update)) == NULL)
		goto out;
	if (!X509_CRL_set_version(crl, 1) ||	/* v2 */
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ta)) ||
	    !X509_CRL_set1_lastUpdate(crl, tu) ||
	    !X509_CRL_set1_nextUpdate(crl, nu))
		goto out;

	/* Revocations stay on the CRL: an old EE must stay revoked. */
	if (prev != NULL && (old = X509_CRL_get_REVOKED(prev)) != NULL) {
		for (i = 0; i < sk_X509_REVOKED_num(old); i++) {
			rev = sk_X509_REVOKED_value(old, i);
			if (revoke != NULL && ASN1_INTEGER_cmp(revoke,
			    X509_REVOKED_get0_serialNumber(rev)) == 0)
				dup = 1;
			if ((rev = X509_REVOKED_dup(rev)) == NULL ||
			    !X509_CRL_add0_revoked(crl, rev))
				goto out;
			rev = NULL;
		}
	}
	if (revoke != NULL && !dup) {
		if ((rev = X509_REVOKED_new()) == NULL ||
		    (sn = ASN1_INTEGER_dup(revoke)) == NULL ||
		    (reason = ASN1_ENUMERATED_new()) == NULL)
			fatalx("%s: out of memory", __func__);
		/* RFC 5280 section 5.3.1: replaced by a new EE. */
		if (!X509_REVOKED_set_serialNumber(rev, sn) ||
		    !X509_REVOKED_set_revocationDate(rev, tu) ||
		    !ASN1_ENUMERATED_set(reason, CRL_REASON_SUPERSEDED) ||
		    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0,
		    X509V3_ADD_DEFAULT) != 1 ||
		    !X509_CRL_add0_revoked(crl, rev))
			goto out;
		rev = NULL;
	}

	/* RFC 5280 section 5.2.3: crlNumber increases with each CRL. */
	if (prev != NULL && (num = X509_CRL_get_ext_d2i(prev, NID_crl_number,
	    NULL, NULL)) != NULL) {
		if (ASN1_INTEGER_to_BN(num, bn) == NULL)
			goto out;
		ASN1_INTEGER_free(num);
		num = NULL;
	}
	if (!BN_add_word(bn, 1) || (num = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		goto out;
	if (X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0,
	    X509V3_ADD_DEFAULT) != 1)
		goto out;
	if ((akid = bpki_issuer_key_id(ta)) == NULL ||
	    bpki_add_akid(NULL, crl, akid) == -1)
		goto out;
	if (!X509_CRL_sort(crl) ||
	    X509_CRL_sign(crl, ta_key, EVP_sha256()) <= 0)
		goto out;
	ok = 1;
 out:
	if (!ok) {
		log_err("cannot issue BPKI CRL: %s", ossl_reason());
		X509_CRL_free(crl);
		crl = NULL;
	}
	X509_REVOKED_free(rev);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ASN1_INTEGER_free(num);
	ASN1_INTEGER_free(sn);
	ASN1_ENUMERATED_free(reason);
	BN_free(bn);
	return crl;
}

/* PKCS#8 PEM of key, unencrypted (the file is mode 0600); malloc'd. */
static uint8_t *
key_pem(EVP_PKEY *key, size_t *len)
{
	BIO	*bio;
	uint8_t	*out = NULL;
	char	*p;
	long	 n;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		fatalx("%s: out of memory", __func__);
	if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) &&
	    (n = BIO_get_mem_data(bio, &p)) > 0) {
		out = xmalloc((size_t)n);
		memcpy(out, p, (size_t)n);
		*len = (size_t)n;
	} else
		log_err("cannot encode private key: %s", ossl_reason());
	BIO_free(bio);
	return out;
}

static void
free_secret(uint8_t *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

static uint8_t *
crl_der(X509_CRL *crl, size_t *len)
{
	uint8_t	*out, *p;
	int	 n;

	if ((n = i2d_X509_CRL(crl, NULL)) <= 0)
		return NULL;
	out = p = xmalloc((size_t)n);
	if (i2d_X509_CRL(crl, &p) != n) {
		free(out);
		return NULL;
	}
	*len = (size_t)n;
	return out;
}

unsigned char *
bpki_cert_der(X509 *x, size_t *len)
{
	unsigned char	*out, *p;
	int		 n;

	if ((n = i2d_X509(x, NULL)) <= 0)
		return NULL;
	out = p = xmalloc((size_t)n);
	if (i2d_X509(x, &p) != n) {
		free(out);
		return NULL;
	}
	*len = (size_t)n;
	return out;
}

X509 *
bpki_cert_from_der(const unsigned char *der, size_t len)
{
	const unsigned char	*p = der;
	X509			*x;

	if (len == 0 || len > INT32_MAX)	/* d2i takes a long */
		return NULL;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	if (p != der + len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Never prompt on a terminal for a passphrase: our keys have none. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static EVP_PKEY *
load_key(const char *dir, const char *name)
{
	EVP_PKEY	*key = NULL;
	BIO		*bio;
	uint8_t		*data;
	size_t		 len;

	if ((data = read_file(dir, name, &len)) == NULL)
		return NULL;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		fatalx("%s: out of memory", __func__);
	if ((key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
	    NULL)) == NULL)
		log_err("%s/%s: not a PEM private key: %s", dir, name,
		    ossl_reason());
	BIO_free(bio);
	free_secret(data, len);
	return key;
}

static X509 *
load_cert(const char *dir, const char *name)
{
	X509	*x;
	uint8_t	*data;
	size_t	 len;

	if ((data = read_file(dir, name, &len)) == NULL)
		return NULL;
	if ((x = bpki_cert_from_der(data, len)) == NULL)
		log_err("%s/%s: not a DER certificate", dir, name);
	free(data);
	return x;
}

/* Parse a DER CRL; trailing bytes are an error. */
static X509_CRL *
crl_from_der(const uint8_t *der, size_t len)
{
	const unsigned char	*p = der;
	X509_CRL		*crl;

	if (len == 0 || len > INT32_MAX)
		return NULL;
	if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL)
		return NULL;
	if (p != der + len) {
		X509_CRL_free(crl);
		return NULL;
	}
	return crl;
}

static X509_CRL *
load_crl(const char *dir, const char *name)
{
	X509_CRL	*crl;
	uint8_t		*data;
	size_t		 len;

	if ((data = read_file(dir, name, &len)) == NULL)
		return NULL;
	if ((crl = crl_from_der(data, len)) == NULL)
		log_err("%s/%s: not a DER CRL", dir, name);
	free(data);
	return crl;
}

/* Write the EE renewal as one journalled change; see the top comment. */
static int
write_ee_renewal(const char *dir, const uint8_t *key, size_t keylen,
    const uint8_t *cer, size_t cerlen, const uint8_t *crl, size_t crllen)
{
	static const char	 marker[] = "ee.key ee.cer crl.der\n";
	const uint8_t		*data[NRENEW_FILES] = { key, cer, crl };
	const size_t		 len[NRENEW_FILES] = { keylen, cerlen, crllen };
	const mode_t		 mode[NRENEW_FILES] = { 0600, 0644, 0644 };
	struct buf		 name;
	char			*from, *to, *journal;
	size_t			 i;
	int			 rc = -1;

	for (i = 0; i < NRENEW_FILES; i++) {
		buf_init(&name);
		buf_printf(&name, "%s.new", renew_files[i]);
		if (write_atomic(dir, buf_str(&name), data[i], len[i],
		    mode[i]) == -1) {
			buf_free(&name);
			return -1;
		}
		buf_free(&name);
	}
	/* The commit point: from here bpki_recover() rolls forward. */
	if (write_atomic(dir, BPKI_JOURNAL, marker, sizeof(marker) - 1,
	    0644) == -1)
		return -1;
	for (i = 0; i < NRENEW_FILES; i++) {
		from = bpki_file(dir, renew_files[i], ".new");
		to = bpki_file(dir, renew_files[i], "");
		if (rename(from, to) == -1) {
			log_err("rename %s to %s: %s", from, to,
			    strerror(errno));
			free(from);
			free(to);
			return -1;
		}
		free(from);
		free(to);
	}
	if (dir_fsync(dir) == -1)
		return -1;
	journal = bpki_file(dir, BPKI_JOURNAL, "");
	if (unlink(journal) == -1)
		log_err("%s: unlink: %s", journal, strerror(errno));
	else if (dir_fsync(dir) == 0)
		rc = 0;
	free(journal);
	return rc;
}

int
bpki_create(const char *dir, const char *cn)
{
	X509		*ta = NULL, *ee = NULL;
	EVP_PKEY	*ta_key = NULL, *ee_key = NULL;
	X509_CRL	*crl = NULL;
	X509_NAME	*name = NULL;
	uint8_t		*takey = NULL, *eekey = NULL, *tader = NULL;
	uint8_t		*eeder = NULL, *crlder = NULL;
	size_t		 takeylen = 0, eekeylen = 0, talen, eelen, crllen;
	char		*path;
	time_t		 now = time(NULL);
	int		 rc = -1;

	if (cn == NULL || cn[0] == '\0') {
		log_err("%s: BPKI identity needs a name", dir);
		return -1;
	}
	/* ta.cer is written last, so it marks a complete identity. */
	path = bpki_file(dir, "ta.cer", "");
	if (access(path, F_OK) == 0) {
		log_err("%s: a BPKI identity exists already; not replacing it",
		    dir);
		free(path);
		return -1;
	}
	free(path);
	/* Leftovers of an older identity's renewal must not be replayed. */
	path = bpki_file(dir, BPKI_JOURNAL, "");
	unlink(path);
	free(path);
	if (bpki_recover(dir) == -1)
		return -1;

	if ((ta_key = bpki_key_new()) == NULL ||
	    (ee_key = bpki_key_new()) == NULL ||
	    (name = bpki_name(cn, "")) == NULL)
		goto out;
	if ((ta = bpki_issue(NULL, NULL, ta_key, name, now - 3600,
	    now + (time_t)BPKI_TA_DAYS * 86400, 1)) == NULL ||
	    (ee = bpki_issue_ee(ta, ta_key, ee_key, cn, now - 3600,
	    now + (time_t)BPKI_EE_DAYS * 86400)) == NULL ||
	    (crl = bpki_issue_crl(ta, ta_key, NULL, NULL, now - 3600,
	    now + (time_t)BPKI_CRL_HOURS * 3600)) == NULL)
		goto out;
	if ((takey = key_pem(ta_key, &takeylen)) == NULL ||
	    (eekey = key_pem(ee_key, &eekeylen)) == NULL ||
	    (tader = bpki_cert_der(ta, &talen)) == NULL ||
	    (eeder = bpki_cert_der(ee, &eelen)) == NULL ||
	    (crlder = crl_der(crl, &crllen)) == NULL)
		goto out;
	if (write_atomic(dir, "ta.key", takey, takeylen, 0600) == -1 ||
	    write_atomic(dir, "ee.key", eekey, eekeylen, 0600) == -1 ||
	    write_atomic(dir, "ee.cer", eeder, eelen, 0644) == -1 ||
	    write_atomic(dir, "crl.der", crlder, crllen, 0644) == -1 ||
	    write_atomic(dir, "ta.cer", tader, talen, 0644) == -1)
		goto out;
	log_info("%s: created BPKI identity \"%s\"", dir, cn);
	rc = 0;
 out:
	free_secret(takey, takeylen);
	free_secret(eekey, eekeylen);
	free(tader);
	free(eeder);
	free(crlder);
	X509_NAME_free(name);
	X509_free(ta);
	X509_free(ee);
	X509_CRL_free(crl);
	EVP_PKEY_free(ta_key);
	EVP_PKEY_free(ee_key);
	return rc;
}

struct bpki *
bpki_load(const char *dir)
{
	struct bpki	*b;
	EVP_PKEY	*tapub;

	if (bpki_recover(dir) == -1)
		return NULL;
	b = xcalloc(1, sizeof(*b));
	if ((b->ta = load_cert(dir, "ta.cer")) == NULL ||
	    (b->ta_key = load_key(dir, "ta.key")) == NULL ||
	    (b->ee = load_cert(dir, "ee.cer")) == NULL ||
	    (b->ee_key = load_key(dir, "ee.key")) == NULL ||
	    (b->crl = load_crl(dir, "crl.der")) == NULL)
		goto fail;
	/* The five files must belong together. */
	if (X509_check_private_key(b->ta, b->ta_key) != 1 ||
	    X509_check_private_key(b->ee, b->ee_key) != 1) {
		log_err("%s: a private key does not match its certificate",
		    dir);
		goto fail;
	}
	tapub = X509_get0_pubkey(b->ta);
	if (X509_check_issued(b->ta, b->ee) != X509_V_OK ||
	    X509_verify(b->ee, tapub) != 1) {
		log_err("%s: ee.cer was not issued by ta.cer", dir);
		goto fail;
	}
	if (X509_NAME_cmp(X509_CRL_get_issuer(b->crl),
	    X509_get_subject_name(b->ta)) != 0 ||
	    X509_CRL_verify(b->crl, tapub) != 1) {
		log_err("%s: crl.der was not issued by ta.cer", dir);
		goto fail;
	}
	ERR_clear_error();
	return b;
 fail:
	ERR_clear_error();
	bpki_free(b);
	return NULL;
}

void
bpki_free(struct bpki *b)
{
	if (b == NULL)
		return;
	X509_free(b->ta);
	EVP_PKEY_free(b->ta_key);
	X509_free(b->ee);
	EVP_PKEY_free(b->ee_key);
	X509_CRL_free(b->crl);
	free(b);
}

int
bpki_renew(const char *dir, struct bpki *b, time_t now)
{
	X509		*ee = NULL, *ee2 = NULL;
	EVP_PKEY	*ee_key = NULL;
	X509_CRL	*crl = NULL, *crl2 = NULL;
	uint8_t		*key = NULL, *cer = NULL, *crlder = NULL;
	size_t		 keylen = 0, cerlen, crllen;
	time_t		 ee_end, crl_next, ta_end;
	int		 rc = -1;

	if (ossl_asn1time_to_time(X509_get0_notAfter(b->ee), &ee_end) == -1)
		ee_end = 0;
	/* A CRL without nextUpdate is renewed (RFC 5280 wants one). */
	if (ossl_asn1time_to_time(X509_CRL_get0_nextUpdate(b->crl),
	    &crl_next) == -1)
		crl_next = 0;

	if (ee_end - now < (time_t)BPKI_EE_RENEW_DAYS * 86400) {
		if (ossl_asn1time_to_time(X509_get0_notAfter(b->ta),
		    &ta_end) == 0 &&
		    ta_end < now + (time_t)BPKI_EE_DAYS * 86400)
			log_warn("%s: the BPKI TA expires before the new EE "
			    "certificate; a new TA is needed soon", dir);
		if ((ee_key = bpki_key_new()) == NULL)
			goto out;
		/* Same subject as before: only the key and dates change. */
		if ((ee = bpki_issue(b->ta, b->ta_key, ee_key,
		    X509_get_subject_name(b->ee), now - 3600,
		    now + (time_t)BPKI_EE_DAYS * 86400, 0)) == NULL)
			goto out;
		if ((crl = bpki_issue_crl(b->ta, b->ta_key, b->crl,
		    X509_get0_serialNumber(b->ee), now - 3600,
		    now + (time_t)BPKI_CRL_HOURS * 3600)) == NULL)
			goto out;
		if ((key = key_pem(ee_key, &keylen)) == NULL ||
		    (cer = bpki_cert_der(ee, &cerlen)) == NULL ||
		    (crlder = crl_der(crl, &crllen)) == NULL ||
		    (ee2 = bpki_cert_from_der(cer, cerlen)) == NULL ||
		    (crl2 = crl_from_der(crlder, crllen)) == NULL)
			goto out;
		if (write_ee_renewal(dir, key, keylen, cer, cerlen, crlder,
		    crllen) == -1)
			goto out;
		/*
		 * Keep what bpki_load() would give: objects parsed from the
		 * files, whose encodings are cached, so concurrent signers
		 * only ever read them.
		 */
		X509_free(b->ee);
		EVP_PKEY_free(b->ee_key);
		X509_CRL_free(b->crl);
		b->ee = ee2;
		b->ee_key = ee_key;
		b->crl = crl2;
		ee2 = NULL;
		ee_key = NULL;
		crl2 = NULL;
		log_info("%s: BPKI EE certificate re-issued, old one revoked",
		    dir);
		rc = 1;
	} else if (crl_next - now < (time_t)BPKI_CRL_RENEW_HOURS * 3600) {
		if ((crl = bpki_issue_crl(b->ta, b->ta_key, b->crl, NULL,
		    now - 3600, now + (time_t)BPKI_CRL_HOURS * 3600)) == NULL)
			goto out;
		if ((crlder = crl_der(crl, &crllen)) == NULL ||
		    (crl2 = crl_from_der(crlder, crllen)) == NULL ||
		    write_atomic(dir, "crl.der", crlder, crllen, 0644) == -1)
			goto out;
		X509_CRL_free(b->crl);
		b->crl = crl2;
		crl2 = NULL;
		log_info("%s: BPKI CRL re-issued", dir);
		rc = 1;
	} else
		rc = 0;
 out:
	free_secret(key, keylen);
	free(cer);
	free(crlder);
	X509_free(ee);
	X509_free(ee2);
	EVP_PKEY_free(ee_key);
	X509_CRL_free(crl);
	X509_CRL_free(crl2);
	ERR_clear_error();
	return rc;
}
