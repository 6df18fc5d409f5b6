#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "encoding.h"
#include "uri.h"

#define RSYNC_SCHEME	"rsync://"

/*
 * Characters allowed literally in a path segment: RFC 3986 unreserved
 * plus a few sub-delims seen in real repositories.  Everything else
 * (space, quotes, '?', '#', '\\', non-ASCII, controls) is refused, so a
 * URI is always a safe file name when the rsync tree is written.
 */
static int
uri_char_ok(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return strchr("-._~+=:@,", c) != NULL && c != '\0';
}

/*
 * Check the path segments of p (no leading '/'), up to the end.  If
 * allow_trailing_slash, p may end in '/' (a directory).
 */
static int
uri_check_path(const char *p, int allow_trailing_slash, char *err,
    size_t errlen)
{
	const char	*seg = p;

	for (;;) {
		const char	*end = strchr(seg, '/');
		size_t		 n = end ? (size_t)(end - seg) : strlen(seg);
		size_t		 i;

		if (n == 0) {
			if (end == NULL && allow_trailing_slash && seg != p)
				return 0;
			snprintf(err, errlen, "empty path segment (\"//\" or "
			    "trailing '/')");
			return -1;
		}
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			snprintf(err, errlen, "\".\" or \"..\" path segment");
			return -1;
		}
		for (i = 0; i < n; i++) {
			unsigned char	c = (unsigned char)seg[i];
			int		hi, lo, d;

			if (c == '%') {
				if (i + 2 >= n) {
					snprintf(err, errlen,
					    "truncated %%-escape");
					return -1;
				}
				hi = hex_value(seg[i + 1]);
				lo = hex_value(seg[i + 2]);
				if (hi < 0 || lo < 0) {
					snprintf(err, errlen,
					    "malformed %%-escape");
					return -1;
				}
				d = hi << 4 | lo;
				if (d == '/' || d == '\\' || d == '.' ||
				    d < 0x21 || d > 0x7e) {
					snprintf(err, errlen, "%%-escape "
					    "decodes to a forbidden byte "
					    "0x%02x", d);
					return -1;
				}
				i += 2;
				continue;
			}
			if (!uri_char_ok(c)) {
				if (c < 0x20 || c == 0x7f)
					snprintf(err, errlen,
					    "control character 0x%02x", c);
				else
					snprintf(err, errlen,
					    "character 0x%02x not allowed", c);
				return -1;
			}
		}
		if (end == NULL)
			return 0;
		seg = end + 1;
	}
}

/*
 * Host part of rsync://host[:port]/: a DNS name or IPv4 address (labels
 * of letters, digits and '-', separated by single dots), or an IPv6
 * literal in brackets; an optional port of 1-5 digits.  "." and ".."
 * are not hosts: a host becomes a directory name in some layouts.
 */
static int
uri_check_host(const char *h, size_t n, char *err, size_t errlen)
{
	const char	*close, *colon;
	size_t		 i, end, label = 0;

	if (n > 0 && h[0] == '[') {
		if ((close = memchr(h, ']', n)) == NULL || close - h < 2) {
			snprintf(err, errlen, "bad IPv6 literal in host");
			return -1;
		}
		end = (size_t)(close - h) + 1;
		for (i = 1; i < end - 1; i++) {
			if (!isxdigit((unsigned char)h[i]) && h[i] != ':' &&
			    h[i] != '.') {
				snprintf(err, errlen,
				    "bad IPv6 literal in host");
				return -1;
			}
		}
	} else {
		colon = memchr(h, ':', n);
		end = colon != NULL ? (size_t)(colon - h) : n;
		for (i = 0; i < end; i++) {
			unsigned char	c = (unsigned char)h[i];

			if (c == '.' && label > 0) {
				label = 0;
				continue;
			}
			if (!isalnum(c) && !(c == '-' && label > 0)) {
				snprintf(err, errlen, "bad host (character "
				    "0x%02x at %zu)", c, i);
				return -1;
			}
			label++;
		}
		if (label == 0) {
			snprintf(err, errlen, "empty host or empty label in "
			    "host");
			return -1;
		}
	}
	if (end == n)
		return 0;
	/* ":port", 1 to 5 digits. */
	if (h[end] != ':' || n - end - 1 < 1 || n - end - 1 > 5) {
		snprintf(err, errlen, "bad port in host");
		return -1;
	}
	for (i = end + 1; i < n; i++) {
		if (!isdigit((unsigned char)h[i])) {
			snprintf(err, errlen, "bad port in host");
			return -1;
		}
	}
	return 0;
}

int
uri_valid_base(const char *base, char *err, size_t errlen)
{
	const char	*host, *slash;
	size_t		 len = strlen(base);

	if (len > MAX_URI_LENGTH) {
		snprintf(err, errlen, "longer than %d characters",
		    MAX_URI_LENGTH);
		return -1;
	}
	if (strncmp(base, RSYNC_SCHEME, strlen(RSYNC_SCHEME)) != 0) {
		snprintf(err, errlen, "not an rsync:// URI");
		return -1;
	}
	host = base + strlen(RSYNC_SCHEME);
	if ((slash = strchr(host, '/')) == NULL) {
		snprintf(err, errlen, "no path after the host");
		return -1;
	}
	if (uri_check_host(host, (size_t)(slash - host), err, errlen) == -1)
		return -1;
	if (base[len - 1] != '/') {
		snprintf(err, errlen, "does not end in '/'");
		return -1;
	}
	return uri_check_path(slash + 1, 1, err, errlen);
}

int
uri_in_jail(const char *uri, const char *base, char *err, size_t errlen)
{
	size_t	blen = strlen(base);
	size_t	len = strnlen(uri, MAX_URI_LENGTH + 1);
	char	why[128];

	if (len > MAX_URI_LENGTH) {
		snprintf(err, errlen, "URI longer than %d characters",
		    MAX_URI_LENGTH);
		return -1;
	}
	if (strncmp(uri, RSYNC_SCHEME, strlen(RSYNC_SCHEME)) != 0) {
		snprintf(err, errlen, "not an rsync:// URI");
		return -1;
	}
	/* The base comes from our own store; check it anyway, cheaply. */
	if (uri_valid_base(base, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "unusable sia_base: %s", why);
		return -1;
	}
	if (strncmp(uri, base, blen) != 0) {
		snprintf(err, errlen, "URI outside the publisher's sia_base %s",
		    base);
		return -1;
	}
	if (uri[blen] == '\0') {
		snprintf(err, errlen, "URI names the sia_base itself");
		return -1;
	}
	if (uri_check_path(uri + blen, 0, err, errlen) == -1)
		return -1;
	return 0;
}
