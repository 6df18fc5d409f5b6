/*
 * Base64 (RFC 4648 section 4) and lowercase hex.
 */
#ifndef RPKIPUB_ENCODING_H
#define RPKIPUB_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Append the base64 form of in to out, without line breaks. */
void	b64_encode(struct buf *out, const uint8_t *in, size_t len);
/*
 * Strict base64 decoding: whitespace (space, tab, CR, LF) between
 * characters is skipped, as XML text may be wrapped; anything else outside
 * the alphabet, bad padding, or non-zero pad bits is an error.
 * At most max bytes are produced.  Returns 0 and appends to out, or -1.
 */
int	b64_decode(struct buf *out, const char *in, size_t len, size_t max);
/* Decoded size upper bound for len base64 characters. */
size_t	b64_decoded_max(size_t len);

/* Lowercase hex of in into out (2 * len + 1 bytes). */
void	hex_encode(char *out, const uint8_t *in, size_t len);
/* Value of one hex digit (either case), or -1. */
int	hex_value(char c);
/* Exactly 2 * len hex digits (either case) into out; 0 or -1. */
int	hex_decode(uint8_t *out, size_t len, const char *in);

#endif
