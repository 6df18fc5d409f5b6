/*
 * libFuzzer target for rrdpsync's gzip + content pipeline: a body that
 * arrived "Content-Encoding: gzip" goes through the streaming decoder
 * (sync_gunzip.h, multi-member, bounded) into the snapshot/delta parser
 * (rrdp_content.h), as sync_fetch.c chains them.
 *
 * Input: one control byte, then the gzip-coded body.  Control bit 0
 * picks the kind (snapshot, delta); bits 1-7 the size of the pieces
 * the body is fed in.  The decoded size is capped at 1 MB here.
 *
 * Checked besides "no crash, no leak": never more decoded bytes than the
 * cap; a refusal has a reason; when both stages accept, the parser's
 * hash is the SHA-256 of exactly the decoded bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "rrdp_content.h"
#include "sync_gunzip.h"

#define CAP	(1u << 20)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct chain {
	struct rrdp_content	*c;
	EVP_MD_CTX		*md;
	uint64_t		 n;
};

static int
to_parser(void *arg, const uint8_t *d, size_t n)
{
	struct chain	*ch = arg;

	ch->n += n;
	if (EVP_DigestUpdate(ch->md, d, n) != 1)
		abort();
	return rrdp_content_feed(ch->c, d, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sync_gunzip	*g;
	struct chain		 ch;
	uint8_t			 got[32], want[32];
	unsigned int		 mdlen;
	size_t			 off, step, n;
	int			 rc = 0;

	if (len < 1)
		return 0;
	memset(&ch, 0, sizeof(ch));
	ch.c = rrdp_content_new((data[0] & 1) ? RRDP_DELTA : RRDP_SNAPSHOT,
	    NULL, 0, NULL, NULL);
	if ((ch.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ch.md, EVP_sha256(), NULL) != 1)
		abort();
	step = (size_t)(data[0] >> 1) * 13 + 1;
	g = sync_gunzip_new(CAP, to_parser, &ch);
	data++;
	len--;
	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < step ? len - off : step;
		rc = sync_gunzip_feed(g, data + off, n);
	}
	if (rc == 0)
		rc = sync_gunzip_finish(g);
	if (sync_gunzip_out_bytes(g) > CAP || ch.n > CAP)
		abort();
	if (rc == -1 && sync_gunzip_error(g)[0] == '\0')
		abort();
	if (rc == 0 && rrdp_content_finish(ch.c, got) == 0) {
		if (EVP_DigestFinal_ex(ch.md, want, &mdlen) != 1 ||
		    memcmp(got, want, 32) != 0)
			abort();
	}
	sync_gunzip_free(g);
	rrdp_content_free(ch.c);
	EVP_MD_CTX_free(ch.md);
	return 0;
}
