/*
 * rpki-client JSON input (the de-facto format relying parties write for
 * RTR caches), parsed streaming with yajl: memory is the payload set, not
 * the document.  Accepted shapes: "roas", "bgpsec_keys", "aspas", and the
 * older "provider_authorizations": {"ipv4": [...], "ipv6": [...]}; "asn"
 * and provider ASNs as numbers or "AS64496" strings.
 */
#ifndef RPKIPUB_RTR_INPUT_H
#define RPKIPUB_RTR_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "payload.h"

struct rtr_input;

struct rtr_input_info {
	time_t	buildtime;	/* metadata.buildtime, 0 if absent */
	size_t	expired;	/* records skipped: "expires" in the past */
};

/*
 * A parser that fills set (initialised by the caller, normalized by
 * rtr_input_finish).  now: the time "expires" is compared with; max_age:
 * refuse a document whose metadata.buildtime is older (0: no check, and
 * buildtime becomes optional).
 */
struct rtr_input *rtr_input_new(struct rtr_set *set, time_t now, time_t max_age);
/* Feed the next chunk.  0, or -1 on a syntax or content error (the set
 * is then emptied: a partial set must never be used). */
int	 rtr_input_feed(struct rtr_input *, const uint8_t *, size_t);
/* End of document: 0 when it was complete and valid, else -1 (set
 * emptied). */
int	 rtr_input_finish(struct rtr_input *, struct rtr_input_info *);
/* Why it failed (valid until rtr_input_free). */
const char *rtr_input_error(const struct rtr_input *);
void	 rtr_input_free(struct rtr_input *);

/* Parse a whole file.  On failure err holds the reason and set is left
 * empty.  0 or -1. */
int	 rtr_input_file(const char *path, time_t now, time_t max_age,
	    struct rtr_set *set, struct rtr_input_info *, char *err, size_t);

/* Parse an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SSZ" (fraction allowed). */
int	 rtr_parse_time(const char *, size_t, time_t *);
/* An ASN as digits or "AS" digits (case-insensitive). */
int	 rtr_parse_asn(const char *, size_t, uint32_t *);
/* "192.0.2.0/24" or "2001:db8::/32" into v (afi, addr, plen); the host
 * bits must be zero. */
int	 rtr_parse_prefix(const char *, size_t, struct rtr_vrp *);

#endif
