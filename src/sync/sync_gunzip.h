/*
 * Streaming gzip decoding (RFC 1952) for bodies that arrive with
 * "Content-Encoding: gzip": one or more members back to back (RFC 1952
 * section 2.2; `cat a.gz b.gz` is valid gzip), decoded as the bytes come
 * in and handed on in pieces, never held whole.
 *
 * The decoded size is bounded: a body that would decode to more than
 * max_out bytes is refused as soon as it passes the limit, so a
 * decompression bomb costs no more than the limit.  Anything after the
 * last member that is not another member, and a body that ends inside a
 * member, are errors.
 */
#ifndef RPKIPUB_SYNC_GUNZIP_H
#define RPKIPUB_SYNC_GUNZIP_H

#include <stddef.h>
#include <stdint.h>

struct sync_gunzip;

/* Receives decoded bytes; 0 to go on, -1 to stop (its own reason). */
typedef int	(*sync_gunzip_out)(void *arg, const uint8_t *, size_t);

struct sync_gunzip	*sync_gunzip_new(uint64_t max_out, sync_gunzip_out,
			    void *arg);
/*
 * Decode the next len bytes.  0, or -1 (sync_gunzip_error says why; an
 * output callback's failure has the reason "stopped").  Later calls
 * keep failing.
 */
int			 sync_gunzip_feed(struct sync_gunzip *,
			    const uint8_t *in, size_t len);
/* End of the body: -1 if no member was complete or one is unfinished. */
int			 sync_gunzip_finish(struct sync_gunzip *);
const char		*sync_gunzip_error(const struct sync_gunzip *);
/* 1 if the failure was the output limit. */
int			 sync_gunzip_over_limit(const struct sync_gunzip *);
uint64_t		 sync_gunzip_out_bytes(const struct sync_gunzip *);
unsigned int		 sync_gunzip_members(const struct sync_gunzip *);
void			 sync_gunzip_free(struct sync_gunzip *);

#endif
