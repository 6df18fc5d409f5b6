/*
 * Writing the elements of RRDP snapshot and delta files (RFC 8182
 * sections 3.5.2 and 3.5.3), and the pre-encoded form of an object.
 *
 * Every stored object keeps its snapshot element, the exact bytes
 *   <publish uri="URI">BASE64</publish>\n
 * and a raw deflate piece of them (gzpiece.h), so that writing a
 * snapshot and its .gz twin is a stream of stored bytes.  Delta elements
 * reuse the base64 text of the snapshot element.  The parsers live in
 * rrdp_notification.c and rrdp_content.c.
 */
#ifndef RPKIPUB_RRDP_ELEM_H
#define RPKIPUB_RRDP_ELEM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rrdp_notification.h"	/* RRDP_NS */

/* An object in the form the store keeps for RRDP. */
struct rrdp_obj {
	uint8_t		hash[32];	/* SHA-256 of the DER */
	size_t		der_len;
	struct buf	elem;		/* snapshot element */
	struct buf	piece;		/* raw deflate of elem */
	uint32_t	crc;		/* CRC-32 of elem */
};

/* Fill o (initialised or not) for uri and der.  0, or -1 (zlib). */
int	rrdp_obj_make(struct rrdp_obj *o, const char *uri, const uint8_t *der,
	    size_t len);
void	rrdp_obj_free(struct rrdp_obj *);

/*
 * The base64 text inside a stored snapshot element: *b64 points into
 * elem.  0, or -1 if elem is not of the form rrdp_obj_make writes.
 */
int	rrdp_elem_b64(const uint8_t *elem, size_t len, const uint8_t **b64,
	    size_t *b64len);
/* The DER of a stored snapshot element, appended to der.  0 or -1. */
int	rrdp_elem_der(const uint8_t *elem, size_t len, struct buf *der);

/* Root elements.  session is a UUID; serial > 0. */
void	rrdp_snapshot_begin(struct buf *, const char *session, int64_t serial);
void	rrdp_snapshot_end(struct buf *);
void	rrdp_delta_begin(struct buf *, const char *session, int64_t serial);
void	rrdp_delta_end(struct buf *);
/*
 * Delta elements.  A publish replacing an object carries the old
 * object's hash (RFC 8182 section 3.5.3); elem is the new object's
 * stored snapshot element.  0, or -1 if elem is malformed.
 */
int	rrdp_delta_publish(struct buf *, const char *uri,
	    const uint8_t *elem, size_t elen, const uint8_t *old_hash);
void	rrdp_delta_withdraw(struct buf *, const char *uri,
	    const uint8_t hash[32]);

#endif
