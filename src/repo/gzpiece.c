#include <string.h>

#include <zlib.h>

#include "gzpiece.h"

/*
 * Compression level of the pieces.  Base64 text is nearly random over
 * 64 symbols, so the Huffman stage does almost all the work; the default
 * level buys little over level 1 and costs several times the CPU.
 */
#define GZPIECE_LEVEL	1

int
gzpiece_make(const void *in, size_t len, struct buf *out, uint32_t *crc)
{
	z_stream	z;
	size_t		bound;
	int		rc = -1;

	memset(&z, 0, sizeof(z));
	/* Negative window bits: raw deflate, no zlib header (RFC 1951). */
	if (deflateInit2(&z, GZPIECE_LEVEL, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	/* deflateBound covers Z_FINISH; a full flush adds at most 6. */
	bound = deflateBound(&z, (uLong)len) + 16;
	buf_reserve(out, bound);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->data + out->len;
	z.avail_out = (uInt)bound;
	/* Z_FULL_FLUSH: end on a byte boundary and forget the history. */
	if (deflate(&z, Z_FULL_FLUSH) != Z_OK || z.avail_in != 0 ||
	    z.avail_out == 0)
		goto out;
	out->len += bound - z.avail_out;
	*crc = (uint32_t)crc32(0L, in, (uInt)len);
	rc = 0;
 out:
	deflateEnd(&z);
	return rc;
}

void
gzjoin_start(struct gzjoin *j, uint8_t hdr[GZPIECE_HEADER_LEN])
{
	/* RFC 1952 2.3: magic, CM=8, no flags, MTIME 0, XFL 0, OS 255. */
	static const uint8_t	h[GZPIECE_HEADER_LEN] = {
		0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff
	};

	j->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	j->len = 0;
	memcpy(hdr, h, sizeof(h));
}

void
gzjoin_add(struct gzjoin *j, uint32_t crc, size_t len)
{
	j->crc = (uint32_t)crc32_combine(j->crc, crc, (z_off_t)len);
	j->len += len;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

void
gzjoin_finish(const struct gzjoin *j, uint8_t trl[GZPIECE_TRAILER_LEN])
{
	/*
	 * A final fixed-Huffman block holding only the end-of-block code
	 * (BFINAL=1, BTYPE=01, then seven zero bits): 0x03 0x00.
	 */
	trl[0] = 0x03;
	trl[1] = 0x00;
	put_le32(trl + 2, j->crc);
	put_le32(trl + 6, (uint32_t)(j->len & 0xffffffffu));
}
