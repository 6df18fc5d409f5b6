/*
 * gzip files assembled from independently compressed pieces.
 *
 * Each piece is raw deflate (RFC 1951) of some bytes, ended with a full
 * flush so it stops on a byte boundary with an empty dictionary; pieces
 * so made can be concatenated, and wrapping the concatenation in a gzip
 * header and trailer (RFC 1952) gives one valid gzip member.  The
 * trailer's CRC-32 is combined from the pieces' CRCs (crc32_combine), so
 * nothing is read twice.  The snapshot writer keeps one piece per object
 * in the store and streams them: a snapshot's .gz costs a copy, not a
 * compression of the whole repository.
 */
#ifndef RPKIPUB_GZPIECE_H
#define RPKIPUB_GZPIECE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Bytes before the first piece and after the last. */
#define GZPIECE_HEADER_LEN	10
#define GZPIECE_TRAILER_LEN	10	/* final empty block + CRC + ISIZE */

struct gzjoin {
	uint32_t	crc;	/* CRC-32 of the uncompressed bytes so far */
	uint64_t	len;	/* their count */
};

/*
 * Append the raw deflate piece of in[0..len) to out and return the
 * CRC-32 of in in *crc.  0, or -1 if zlib fails.
 */
int	gzpiece_make(const void *in, size_t len, struct buf *out,
	    uint32_t *crc);
/* Start a member: reset j and write the gzip header (10 bytes) to hdr. */
void	gzjoin_start(struct gzjoin *j, uint8_t hdr[GZPIECE_HEADER_LEN]);
/* Account for a piece of len uncompressed bytes with CRC crc. */
void	gzjoin_add(struct gzjoin *j, uint32_t crc, size_t len);
/* The final empty block, CRC-32 and ISIZE (10 bytes). */
void	gzjoin_finish(const struct gzjoin *j,
	    uint8_t trl[GZPIECE_TRAILER_LEN]);

#endif
