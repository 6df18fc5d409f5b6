#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>

#include "ossl.h"

/*
 * Peek, do not pop: the error stays queued for whoever else reports it,
 * and the last one is the most specific.
 */
const char *
ossl_reason(void)
{
	const char	*r;
	unsigned long	 e;

	if ((e = ERR_peek_last_error()) == 0)
		return "no OpenSSL error";
	if ((r = ERR_reason_error_string(e)) == NULL)
		return "unknown OpenSSL error";
	return r;
}

int
ossl_asn1time_to_time(const ASN1_TIME *at, time_t *t)
{
	struct tm	tm;

	if (at == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (!ASN1_TIME_to_tm(at, &tm))
		return -1;
	/* ASN1_TIME is UTC; timegm, not mktime, which applies the TZ. */
	*t = timegm(&tm);
	return 0;
}
