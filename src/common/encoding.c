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

/* Value of each byte in the base64 alphabet; -1 outside it. */
static const int8_t b64_values[256] = {
	['A'] = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25,
	['a'] = 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51,
	['0'] = 52, 53, 54, 55, 56, 57, 58, 59, 60, 61,
	['+'] = 62, ['/'] = 63,
};

size_t
b64_decoded_max(size_t len)
{
	return len / 4 * 3 + 3;
}

/*
 * One pass, writing straight into reserved space: objects are decoded
 * from every publish PDU, so this is on the request path.  The table
 * above holds 0 for bytes outside the alphabet as well as for 'A', so
 * 'A' is told apart explicitly.
 */
int
b64_decode(struct buf *out, const char *in, size_t len, size_t max)
{
	uint32_t	 acc = 0;
	size_t		 i, n = 0, pad = 0, room;
	uint8_t		*start, *p;

	room = b64_decoded_max(len) < max ? b64_decoded_max(len) : max;
	buf_reserve(out, room);
	start = p = out->data + out->len;
	for (i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)in[i];
		int		v = b64_values[c];

		if (v == 0 && c != 'A') {
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			if (c != '=')
				return -1;	/* outside the alphabet */
			pad++;
			continue;
		}
		if (pad > 0)
			return -1;		/* data after padding */
		acc = (acc << 6) | (uint32_t)v;
		if (++n % 4 == 0) {
			if ((size_t)(p - start) + 3 > room)
				return -1;
			*p++ = (uint8_t)(acc >> 16);
			*p++ = (uint8_t)(acc >> 8);
			*p++ = (uint8_t)acc;
			acc = 0;
		}
	}
	switch (n % 4) {
	case 0:
		if (pad != 0)
			return -1;
		break;
	case 2:
		/* 12 bits: one byte, the low 4 bits must be zero. */
		if (pad != 2 || (acc & 0xf) != 0 ||
		    (size_t)(p - start) + 1 > room)
			return -1;
		*p++ = (uint8_t)(acc >> 4);
		break;
	case 3:
		/* 18 bits: two bytes, the low 2 bits must be zero. */
		if (pad != 1 || (acc & 0x3) != 0 ||
		    (size_t)(p - start) + 2 > room)
			return -1;
		*p++ = (uint8_t)(acc >> 10);
		*p++ = (uint8_t)(acc >> 2);
		break;
	default:
		return -1;
	}
	out->len += (size_t)(p - start);
	return 0;
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
