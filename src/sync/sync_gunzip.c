/*
 * Streaming, multi-member, size-bounded gzip decoding (see
 * sync_gunzip.h).  zlib with windowBits 16 + MAX_WBITS reads exactly
 * one gzip member; at its end the stream is reset for the next one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"
#include "log.h"
#include "sync_gunzip.h"

/* Decoded bytes per inflate() call. */
#define GUNZIP_CHUNK	(256 * 1024)

struct sync_gunzip {
	z_stream	 z;
	uint64_t	 max_out;
	uint64_t	 out_bytes;
	sync_gunzip_out	 out;
	void		*arg;
	uint8_t		*chunk;
	unsigned int	 members;	/* complete ones */
	int		 in_member;	/* bytes of a member seen, not its end */
	int		 failed;
	int		 over_limit;
	char		 err[256];
};

struct sync_gunzip *
sync_gunzip_new(uint64_t max_out, sync_gunzip_out out, void *arg)
{
	struct sync_gunzip	*g = xcalloc(1, sizeof(*g));

	if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK)
		fatalx("inflateInit2 failed");
	g->max_out = max_out;
	g->out = out;
	g->arg = arg;
	g->chunk = xmalloc(GUNZIP_CHUNK);
	return g;
}

static int
gunzip_fail(struct sync_gunzip *g, const char *what)
{
	g->failed = 1;
	snprintf(g->err, sizeof(g->err), "%s", what);
	return -1;
}

int
sync_gunzip_feed(struct sync_gunzip *g, const uint8_t *in, size_t len)
{
	size_t	n;
	int	zr, more_out = 0;

	if (g->failed)
		return -1;
	g->z.next_in = (Bytef *)(uintptr_t)in;
	g->z.avail_in = 0;
	for (;;) {
		if (g->z.avail_in == 0) {
			/* Output left inside zlib is drained before leaving. */
			if (len == 0 && !more_out)
				break;
			/* avail_in is a uInt: feed large inputs in parts. */
			n = len > (1u << 30) ? (1u << 30) : len;
			g->z.avail_in = (uInt)n;
			len -= n;
		}
		g->z.next_out = g->chunk;
		g->z.avail_out = GUNZIP_CHUNK;
		zr = inflate(&g->z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			char	why[200];

			snprintf(why, sizeof(why), "%s gzip data (zlib: %s)",
			    g->members > 0 && !g->in_member ? "bytes after the "
			    "last member are not" : "invalid",
			    g->z.msg != NULL ? g->z.msg : "inflate failed");
			return gunzip_fail(g, why);
		}
		g->in_member = 1;
		n = GUNZIP_CHUNK - g->z.avail_out;
		more_out = g->z.avail_out == 0;
		if (n > 0) {
			if (n > g->max_out - g->out_bytes) {
				snprintf(g->err, sizeof(g->err), "the gzip-coded "
				    "body decodes to more than the limit of "
				    "%llu bytes (a decompression bomb?)",
				    (unsigned long long)g->max_out);
				g->failed = g->over_limit = 1;
				return -1;
			}
			g->out_bytes += n;
			if (g->out(g->arg, g->chunk, n) == -1)
				return gunzip_fail(g, "stopped");
		}
		if (zr == Z_STREAM_END) {
			/* RFC 1952 section 2.2: another member may follow. */
			g->members++;
			g->in_member = 0;
			more_out = 0;
			if (inflateReset(&g->z) != Z_OK)
				fatalx("inflateReset failed");
		} else if (zr == Z_BUF_ERROR) {
			/* No progress: only right when it needs more input. */
			if (g->z.avail_in > 0)
				return gunzip_fail(g, "invalid gzip data (zlib "
				    "makes no progress)");
			more_out = 0;
		}
	}
	return 0;
}

int
sync_gunzip_finish(struct sync_gunzip *g)
{
	if (g->failed)
		return -1;
	if (g->in_member)
		return gunzip_fail(g, "the gzip-coded body ends inside a "
		    "member (truncated)");
	if (g->members == 0)
		return gunzip_fail(g, "the gzip-coded body holds no member");
	return 0;
}

const char *
sync_gunzip_error(const struct sync_gunzip *g)
{
	return g->err;
}

int
sync_gunzip_over_limit(const struct sync_gunzip *g)
{
	return g->over_limit;
}

uint64_t
sync_gunzip_out_bytes(const struct sync_gunzip *g)
{
	return g->out_bytes;
}

unsigned int
sync_gunzip_members(const struct sync_gunzip *g)
{
	return g->members;
}

void
sync_gunzip_free(struct sync_gunzip *g)
{
	if (g == NULL)
		return;
	inflateEnd(&g->z);
	free(g->chunk);
	free(g);
}
