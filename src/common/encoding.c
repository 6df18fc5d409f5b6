#include <string.h>

#include "encoding.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
b64_encode(struct buf *out, const uint8_t *in, size_t len)
{
	size_t	 i;
	char	*p;

	buf_reserve(out, (len + 2) / 3 * 4);
	p = (char *)out->data + out->len;
	for (i = 0; i + 2 < len; i += 3) {
		*p++ = b64_alphabet[in[i] >> 2];
		*p++ = b64_alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*p++ = b64_alphabet[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*p++ = b64_alphabet[in[i + 2] & 63];
	}
	if (i < len) {
		*p++ = b64_alphabet[in[i] >> 2];
		if (i + 1 < len) {
			*p++ = b64_alphabet[((in[i] & 3) << 4) |
			    (in[i + 1] >> 4)];
			*p++ = b64_alphabet[(in[i + 1] & 15) << 2];
		} else {
			*p++ = b64_alphabet[(in[i] & 3) << 4];
			*p++ = '=';
		}
		*p++ = '=';
	}
	out->len = (size_t)(p - (char *)out->data);
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

size_t
b64_decoded_max(size_t len)
{
	return len / 4 * 3 + 3;
}

int
b64_decode(struct buf *out, const char *in, size_t len, size_t max)
{
	uint32_t	 acc = 0;
	size_t		 i, n = 0, pad = 0, produced = 0, start = out->len;
	int		 v;

	buf_reserve(out, b64_decoded_max(len) < max ? b64_decoded_max(len) :
	    max);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(c)) < 0)
			goto fail;	/* data after padding, or bad char */
		acc = (acc << 6) | (uint32_t)v;
		if (++n % 4 == 0) {
			if (produced + 3 > max)
				goto fail;
			buf_addc(out, (char)(acc >> 16));
			buf_addc(out, (char)(acc >> 8));
			buf_addc(out, (char)acc);
			produced += 3;
			acc = 0;
		}
	}
	switch (n % 4) {
	case 0:
		if (pad != 0)
			goto fail;
		break;
	case 2:
		/* 12 bits: one byte, the low 4 bits must be zero. */
		if (pad != 2 || (acc & 0xf) != 0 || produced + 1 > max)
			goto fail;
		buf_addc(out, (char)(acc >> 4));
		break;
	case 3:
		/* 18 bits: two bytes, the low 2 bits must be zero. */
		if (pad != 1 || (acc & 0x3) != 0 || produced + 2 > max)
			goto fail;
		buf_addc(out, (char)(acc >> 10));
		buf_addc(out, (char)(acc >> 2));
		break;
	default:
		goto fail;
	}
	return 0;
 fail:
	out->len = start;
	return -1;
}

void
hex_encode(char *out, const uint8_t *in, size_t len)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(uint8_t *out, size_t len, const char *in)
{
	size_t	i;
	int	hi, lo;

	if (strlen(in) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		if ((hi = hex_value(in[2 * i])) < 0 ||
		    (lo = hex_value(in[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
