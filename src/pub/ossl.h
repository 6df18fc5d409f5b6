/*
 * Small OpenSSL helpers shared by the BPKI and CMS code.
 */
#ifndef RPKIPUB_OSSL_H
#define RPKIPUB_OSSL_H

#include <time.h>

#include <openssl/asn1.h>

/*
 * The reason of the most recent OpenSSL error of this thread, for a log
 * line or an error message.  Never NULL; the string is static.
 */
const char	*ossl_reason(void);
/*
 * ASN1_TIME (UTCTime or GeneralizedTime) to seconds since the epoch.
 * Returns 0, or -1 if at is NULL or not a valid time.
 */
int		 ossl_asn1time_to_time(const ASN1_TIME *at, time_t *t);

#endif
