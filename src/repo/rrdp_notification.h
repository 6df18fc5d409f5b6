/*
 * RRDP update notification file (RFC 8182 section 3.5.1): parser and
 * writer, plus the attribute syntax shared by every RRDP document
 * (namespace, version, session_id, serial, hash).
 *
 * The parser takes the whole file (at most MAX_RRDP_NOTIFICATION_SIZE
 * bytes: it is small and fetched often) and checks it against the
 * RFC 8182 section 3.5.4 schema plus what section 3.5.1.3 adds: a
 * version 4 UUID, positive serials, SHA-256 hashes, delta serials
 * unique and not above the notification's serial.  It does not check
 * that delta serials are contiguous or that URIs share an origin: a
 * relying party falls back to the snapshot for the first (section
 * 3.4.1) and the second is a policy of its caller (RFC 9674); verify.c
 * reports both.
 */
#ifndef RPKIPUB_RRDP_NOTIFICATION_H
#define RPKIPUB_RRDP_NOTIFICATION_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RRDP_NS			"http://www.ripe.net/rpki/rrdp"
#define RRDP_VERSION		"1"
#define RRDP_SESSION_LEN	36
#define RRDP_HASH_LEN		32	/* SHA-256 */

struct rrdp_delta_ref {
	int64_t	 serial;
	char	*uri;
	uint8_t	 hash[32];
};

struct rrdp_notification {
	char			 session[RRDP_SESSION_LEN + 1];
	int64_t			 serial;
	char			*snapshot_uri;
	uint8_t			 snapshot_hash[32];
	struct rrdp_delta_ref	*deltas;	/* newest (highest serial) first */
	size_t			 ndeltas;
};

/*
 * Parse a notification file.  Returns 0 with *out filled (free its
 * members with rrdp_notification_free), or -1 with a one-line reason
 * citing the RFC section in err; *out holds nothing to free then.
 */
int	rrdp_notification_parse(const uint8_t *xml, size_t len,
	    struct rrdp_notification *out, char *err, size_t errlen);
/*
 * Append the document: XML declaration, namespace RRDP_NS,
 * version="1", deltas in the order given, hashes in lowercase hex,
 * attribute values XML-escaped.
 */
void	rrdp_notification_write(struct buf *out,
	    const struct rrdp_notification *);
/* Frees the members, not the struct; NULL-safe. */
void	rrdp_notification_free(struct rrdp_notification *);

/*
 * Attribute syntax shared with the snapshot and delta parser
 * (rrdp_content.c).  Each returns 0, or -1 if s is not acceptable.
 *
 * rrdp_session_valid: RFC 8182 section 3.5.1.3 wants a version 4 UUID
 * (RFC 4122): 8-4-4-4-12 hex digits of either case, version nibble 4,
 * variant 10xx.
 * rrdp_serial_parse: a positive decimal integer (the schema's
 * xsd:positiveInteger, written canonically: no sign, no leading zero)
 * that fits an int64_t.
 * rrdp_hash_parse: exactly 64 hex digits of either case (SHA-256).
 * rrdp_uri_valid: non-empty, at most MAX_URI_LENGTH characters, all
 * printable ASCII without space (a URI as RFC 3986 writes it).
 */
int	rrdp_session_valid(const char *s);
int	rrdp_serial_parse(const char *s, int64_t *out);
int	rrdp_hash_parse(const char *s, uint8_t hash[32]);
int	rrdp_uri_valid(const char *s);

#endif
