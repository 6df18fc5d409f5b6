/*
 * libFuzzer target for the URI jail (src/common/uri.c).
 *
 * Input: "base\nuri" (without a newline, the whole input is the URI and
 * the base is fixed).  Whenever uri_in_jail() accepts a URI under a base
 * that uri_valid_base() accepts, an independent and deliberately simple
 * re-check must agree that the URI stays inside the base: it starts with
 * the base, and every path segment after it is a non-empty name, not
 * "." or "..", made of the allowed characters, whose %-escapes decode to
 * printable ASCII other than '/', '\\' and '.'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "uri.h"

#define FIXED_BASE	"rsync://rpki.example.net/repo/ca/"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The relative part after the base: 1 if it is a safe relative path. */
static int
safe_relative(const char *p)
{
	const char	*seg, *end;
	size_t		 n, i;
	int		 d;

	for (seg = p;; seg = end + 1) {
		end = strchr(seg, '/');
		n = end ? (size_t)(end - seg) : strlen(seg);
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		for (i = 0; i < n; i++) {
			if (seg[i] == '%') {
				if (i + 2 >= n)
					return 0;
				if (hexval(seg[i + 1]) < 0 ||
				    hexval(seg[i + 2]) < 0)
					return 0;
				d = hexval(seg[i + 1]) * 16 + hexval(seg[i + 2]);
				if (d <= 0x20 || d >= 0x7f || d == '/' ||
				    d == '\\' || d == '.')
					return 0;
				i += 2;
				continue;
			}
			if (strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+=:@,",
			    seg[i]) == NULL)
				return 0;
		}
		if (end == NULL)
			return 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char		*buf, *nl, err[256];
	const char	*base, *uri;
	int		 base_ok, in;

	if ((buf = malloc(len + 1)) == NULL)
		return 0;
	memcpy(buf, data, len);
	buf[len] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL) {
		*nl = '\0';
		base = buf;
		uri = nl + 1;
	} else {
		base = FIXED_BASE;
		uri = buf;
	}

	err[0] = '\0';
	base_ok = uri_valid_base(base, err, sizeof(err)) == 0;
	if (!base_ok && (err[0] == '\0' || strchr(err, '\n') != NULL))
		abort();
	if (base_ok && (strncmp(base, "rsync://", 8) != 0 ||
	    base[strlen(base) - 1] != '/' || strlen(base) > MAX_URI_LENGTH))
		abort();

	err[0] = '\0';
	in = uri_in_jail(uri, base, err, sizeof(err)) == 0;
	if (!in && err[0] == '\0')
		abort();
	if (in && base_ok && (strlen(uri) > MAX_URI_LENGTH ||
	    strncmp(uri, base, strlen(base)) != 0 ||
	    !safe_relative(uri + strlen(base))))
		abort();
	free(buf);
	return 0;
}
