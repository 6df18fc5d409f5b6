/*
 * The URI jail: which rsync URIs a publisher may publish to.
 */
#ifndef RPKIPUB_URI_H
#define RPKIPUB_URI_H

#include <stddef.h>

/*
 * Check that uri is an rsync:// URI of an object strictly inside base
 * (a publisher's sia_base, ending in '/').  Rejected: other schemes,
 * over-long URIs (MAX_URI_LENGTH), characters outside the safe set,
 * control characters, empty, "." or ".." segments ("//" included),
 * percent-escapes that are malformed or decode to a separator, a dot,
 * a control character or a non-ASCII byte, and a trailing '/'.
 * Returns 0, or -1 with a reason in err.
 */
int	uri_in_jail(const char *uri, const char *base, char *err, size_t errlen);

/*
 * Check that base is a usable rsync sia_base: rsync://host/path/ with a
 * trailing slash and the same character rules.  0 or -1 with reason.
 */
int	uri_valid_base(const char *base, char *err, size_t errlen);

#endif
