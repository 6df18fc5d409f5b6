/*
 * libFuzzer target for the streaming RRDP snapshot/delta parser
 * (RFC 8182 sections 3.5.2, 3.5.3).
 *
 * Input: one control byte, then the document.  Control bit 0 picks the
 * kind (0 snapshot, 1 delta); bit 1 makes the parser expect the session
 * and serial of the seeds (else any); bits 2-7 pick the chunk size the
 * document is fed in, so chunk boundaries land everywhere.
 *
 * Checked besides "no crash, no leak": a refused document gets a
 * one-line reason citing RFC 8182; the callback gets only what the
 * kind allows (a snapshot: publishes without hash; a withdraw: a hash
 * and no content; a publish: content of 1..MAX_RRDP_OBJECT_SIZE
 * bytes); an accepted document's hash is the SHA-256 of the bytes fed,
 * and a delta has at least one element.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bounds.h"
#include "rrdp_content.h"
#include "rrdp_notification.h"

#define SEED_SESSION	"9df4b597-af9e-4dca-bdda-719cce2c4e28"
#define SEED_SERIAL	3

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz_state {
	enum rrdp_kind	kind;
	uint64_t	n;
};

static int
elem(void *arg, enum rrdp_elem e, const char *uri, const uint8_t *hash,
    const uint8_t *der, size_t derlen)
{
	struct fuzz_state	*s = arg;

	s->n++;
	if (rrdp_uri_valid(uri) != 0)
		abort();
	if (e == RRDP_WITHDRAW) {
		if (s->kind != RRDP_DELTA || hash == NULL || der != NULL ||
		    derlen != 0)
			abort();
	} else {
		if ((s->kind == RRDP_SNAPSHOT && hash != NULL) || der == NULL ||
		    derlen == 0 || derlen > MAX_RRDP_OBJECT_SIZE)
			abort();
		/* Both ends readable (ASan sees a short buffer). */
		if (der[0] == 0 && der[derlen - 1] == 0 && derlen == 7777777)
			abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rrdp_content	*c;
	struct fuzz_state	 s;
	uint8_t			 got[32], want[32];
	unsigned int		 mdlen;
	size_t			 off, step, n;
	const char		*err;
	int			 rc = 0;

	if (len < 1)
		return 0;
	memset(&s, 0, sizeof(s));
	s.kind = (data[0] & 1) ? RRDP_DELTA : RRDP_SNAPSHOT;
	step = (size_t)(data[0] >> 2) * 37 + 1;
	c = rrdp_content_new(s.kind, (data[0] & 2) ? SEED_SESSION : NULL,
	    (data[0] & 2) ? SEED_SERIAL : 0, elem, &s);
	data++;
	len--;
	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < step ? len - off : step;
		rc = rrdp_content_feed(c, data + off, n);
	}
	if (rc == 0)
		rc = rrdp_content_finish(c, got);
	if (rc == -1) {
		err = rrdp_content_error(c);
		if (strncmp(err, "RFC 8182 section 3.5.", 21) != 0 ||
		    strchr(err, '\n') != NULL)
			abort();
	} else {
		if (EVP_Digest(data, len, want, &mdlen, EVP_sha256(), NULL) !=
		    1 || memcmp(got, want, 32) != 0)
			abort();
		if (s.kind == RRDP_DELTA && s.n == 0)
			abort();
		if (s.n != rrdp_content_elements(c))
			abort();
		if (rrdp_session_valid(rrdp_content_session(c)) != 0 ||
		    rrdp_content_serial(c) <= 0)
			abort();
	}
	rrdp_content_free(c);
	return 0;
}
