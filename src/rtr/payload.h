/*
 * Validated payloads and their history: sets of VRPs, router keys and
 * ASPAs; the difference between two sets; the net difference from any
 * kept serial to the current one; RFC 1982 serial arithmetic; and the
 * encoded responses (full set and diffs, once per serial and version)
 * that every session shares.
 */
#ifndef RPKIPUB_RTR_PAYLOAD_H
#define RPKIPUB_RTR_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "pdu.h"

/* One VRP (RFC 6811).  afi is 4 or 6; IPv4 uses addr[0..4). */
struct rtr_vrp {
	uint8_t		addr[16];
	uint32_t	asn;
	uint8_t		afi;
	uint8_t		plen;
	uint8_t		maxlen;
	uint8_t		flags;		/* in a diff: RTR_FLAG_ANNOUNCE or 0 */
};

/* A BGPsec router key (RFC 8210 section 5.10); owns spki. */
struct rtr_rkey {
	uint8_t		 ski[20];
	uint32_t	 asn;
	uint8_t		*spki;
	size_t		 spki_len;
	uint8_t		 flags;
};

/*
 * An ASPA: one per customer, providers sorted and unique; owns prov.
 * In a diff the record also says what the router had before (had_old,
 * old/nold): an ASPA announcement replaces the customer's previous one
 * (draft-ietf-sidrops-8210bis section 5.12), so composing two diffs needs
 * both ends to drop a change that returns to the start.
 */
struct rtr_aspa {
	uint32_t	 customer;
	uint32_t	*prov;
	size_t		 nprov;
	uint8_t		 flags;		/* in a diff: announce (new list) or withdraw */
	uint8_t		 had_old;
	uint32_t	*old;
	size_t		 nold;
};

/* A payload set, or (with flags) a diff. */
struct rtr_set {
	struct rtr_vrp	*vrps;
	size_t		 nvrps, vcap;
	struct rtr_rkey	*keys;
	size_t		 nkeys, kcap;
	struct rtr_aspa	*aspas;
	size_t		 naspas, acap;
};

void	rtr_set_init(struct rtr_set *);
void	rtr_set_free(struct rtr_set *);		/* keeps s, empty */
void	rtr_set_add_vrp(struct rtr_set *, const struct rtr_vrp *);
/* Copies spki / providers. */
void	rtr_set_add_key(struct rtr_set *, const uint8_t ski[20], uint32_t asn,
	    const uint8_t *spki, size_t len);
void	rtr_set_add_aspa(struct rtr_set *, uint32_t customer,
	    const uint32_t *prov, size_t n);
/* dst = a copy of the normalized set src (dst initialised here). */
void	rtr_set_copy(struct rtr_set *dst, const struct rtr_set *src);
/* Sort, remove duplicates, merge ASPAs of one customer (union). */
void	rtr_set_normalize(struct rtr_set *);
size_t	rtr_set_count(const struct rtr_set *);
int	rtr_vrp_cmp(const struct rtr_vrp *, const struct rtr_vrp *);
int	rtr_rkey_cmp(const struct rtr_rkey *, const struct rtr_rkey *);

/* d = the change from a to b (both normalized); d is initialised here. */
void	rtr_set_diff(const struct rtr_set *a, const struct rtr_set *b,
	    struct rtr_set *d);
/* out = x then y (x: s1 -> s2, y: s2 -> s3); out is initialised here. */
void	rtr_set_compose(const struct rtr_set *x, const struct rtr_set *y,
	    struct rtr_set *out);
/* Apply diff d to set s (the router's view; used by rtrwatch and tests). */
void	rtr_set_apply(struct rtr_set *s, const struct rtr_set *d);

/* RFC 1982 section 3.2 for SERIAL_BITS 32: 1 if a < b, 0 otherwise
 * (equal, greater, or the undefined case of a distance of exactly 2^31). */
int	rtr_serial_lt(uint32_t a, uint32_t b);

/*
 * Encoded PDUs shared by sessions; freed when the last reference goes.
 * Large ones (full sets) live in a sealed memfd mapped read-only: data
 * points at the mapping and sessions hand the pages to the kernel with
 * sendfile(2) instead of copying them into every socket.
 */
struct rtr_blob {
	unsigned	 refs;
	size_t		 len;
	uint8_t		*data;
	int		 fd;		/* memfd, or -1 */
	size_t		 npdus;		/* PDUs in data, for the metrics */
};
#define RTR_BLOB_MEMFD_MIN	(256u * 1024)
/* Takes over the bytes of b (left empty). */
struct rtr_blob	*rtr_blob_new(struct buf *b);
struct rtr_blob	*rtr_blob_ref(struct rtr_blob *);
void		 rtr_blob_unref(struct rtr_blob *);

struct rtr_delta {
	uint32_t	 serial;	/* the serial a router comes from */
	struct rtr_set	 diff;		/* net change from serial to current */
	struct rtr_blob	*enc[RTR_NVERSIONS];
};

struct rtr_cache {
	uint16_t	  session_id;
	uint32_t	  serial;
	int		  has_data;
	struct rtr_timers timers;
	struct rtr_set	  cur;
	struct rtr_delta *hist;		/* oldest first */
	size_t		  nhist, max_hist;
	size_t		  hist_min_records;	/* see RTR_HISTORY_MIN_RECORDS */
	struct rtr_blob	 *full[RTR_NVERSIONS];
};

void	rtr_cache_init(struct rtr_cache *, uint16_t session_id,
	    uint32_t first_serial, size_t max_hist, const struct rtr_timers *);
void	rtr_cache_free(struct rtr_cache *);
/*
 * Make set (normalized; taken over and left empty) the current data.
 * Returns 1 when the data changed (a new serial), 0 when it did not.
 * The first call sets the data without changing the serial.
 */
int	rtr_cache_update(struct rtr_cache *, struct rtr_set *set);
/* The full response (Cache Response .. End of Data) for version v;
 * a new reference. */
struct rtr_blob	*rtr_cache_full(struct rtr_cache *, int v);
/* The incremental response from serial for version v (a new reference),
 * or NULL when the serial is not one we can answer (Cache Reset). */
struct rtr_blob	*rtr_cache_delta(struct rtr_cache *, int v, uint32_t serial);

/* Encode the PDUs of a set (flags as in the set, announce for a full
 * set) for version v; PDUs the version does not have are left out. */
void	rtr_set_encode(struct buf *, const struct rtr_set *, int v, int full);

#endif
