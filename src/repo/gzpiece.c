#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "gzpiece.h"

/*
 * Compression level of the pieces.  Base64 text is nearly random over
 * 64 symbols, so the Huffman stage does almost all the work; the default
 * level buys little over level 1 and costs several times the CPU.
 */
#define GZPIECE_LEVEL	1
/*
 * zlib's default memLevel.  Smaller ones shrink deflate's block buffer
 * too (memLevel 1: 128 symbols a block), and a Huffman table per tiny
 * block left base64 at 98% of its size instead of 76%.
 */
#define GZPIECE_MEMLEVEL 8

/*
 * One deflate stream per thread, reset for each piece: setting one up
 * costs more than compressing a 2 KB object (its state is mmap'd and
 * faulted in each time; measured per 2 KB object, with SHA-256 and
 * base64: 80-110 us with a new stream, 21-27 us with a reused one).
 */
static pthread_key_t	gzpiece_key;
static pthread_once_t	gzpiece_once = PTHREAD_ONCE_INIT;

static void
gzpiece_stream_free(void *arg)
{
	z_stream	*z = arg;

	deflateEnd(z);
	free(z);
}

static void
gzpiece_key_init(void)
{
	if (pthread_key_create(&gzpiece_key, gzpiece_stream_free) != 0)
		abort();
}

static z_stream *
gzpiece_stream(void)
{
	z_stream	*z;

	pthread_once(&gzpiece_once, gzpiece_key_init);
	if ((z = pthread_getspecific(gzpiece_key)) != NULL)
		return deflateReset(z) == Z_OK ? z : NULL;
	if ((z = calloc(1, sizeof(*z))) == NULL)
		return NULL;
	/* Negative window bits: raw deflate, no zlib header (RFC 1951). */
	if (deflateInit2(z, GZPIECE_LEVEL, Z_DEFLATED, -15, GZPIECE_MEMLEVEL,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(z);
		return NULL;
	}
	if (pthread_setspecific(gzpiece_key, z) != 0) {
		gzpiece_stream_free(z);
		return NULL;
	}
	return z;
}

int
gzpiece_make(const void *in, size_t len, struct buf *out, uint32_t *crc)
{
	z_stream	*z;
	size_t		 bound;

	if ((z = gzpiece_stream()) == NULL)
		return -1;
	/* deflateBound covers Z_FINISH; a full flush adds at most 6. */
	bound = deflateBound(z, (uLong)len) + 16;
	buf_reserve(out, bound);
	z->next_in = (Bytef *)(uintptr_t)in;
	z->avail_in = (uInt)len;
	z->next_out = (Bytef *)out->data + out->len;
	z->avail_out = (uInt)bound;
	/* Z_FULL_FLUSH: end on a byte boundary and forget the history. */
	if (deflate(z, Z_FULL_FLUSH) != Z_OK || z->avail_in != 0 ||
	    z->avail_out == 0)
		return -1;
	out->len += bound - z->avail_out;
	*crc = (uint32_t)crc32(0L, in, (uInt)len);
	return 0;
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
