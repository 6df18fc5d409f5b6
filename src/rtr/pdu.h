/*
 * RTR PDUs: RFC 6810 (version 0), RFC 8210 (version 1) and
 * draft-ietf-sidrops-8210bis (version 2, ASPA).  Decoding checks the
 * header, then the exact length for the type and version, then the
 * meaning of the fields; fields are copied out (memcpy + ntohl), the
 * buffer is never cast.  Encoders append to a struct buf.
 */
#ifndef RPKIPUB_RTR_PDU_H
#define RPKIPUB_RTR_PDU_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RTR_VERSION_MIN		0
#define RTR_VERSION_MAX		2
#define RTR_NVERSIONS		3
#define RTR_HEADER_LEN		8

enum rtr_pdu_type {
	RTR_SERIAL_NOTIFY	= 0,
	RTR_SERIAL_QUERY	= 1,
	RTR_RESET_QUERY		= 2,
	RTR_CACHE_RESPONSE	= 3,
	RTR_IPV4_PREFIX		= 4,
	RTR_IPV6_PREFIX		= 6,
	RTR_END_OF_DATA		= 7,
	RTR_CACHE_RESET		= 8,
	RTR_ROUTER_KEY		= 9,
	RTR_ERROR_REPORT	= 10,
	RTR_ASPA		= 11,
};

/* RFC 8210 section 12; 9-11 from draft-ietf-sidrops-8210bis. */
enum rtr_error_code {
	RTR_ERR_CORRUPT_DATA		= 0,
	RTR_ERR_INTERNAL		= 1,
	RTR_ERR_NO_DATA			= 2,
	RTR_ERR_INVALID_REQUEST		= 3,
	RTR_ERR_UNSUPPORTED_VERSION	= 4,
	RTR_ERR_UNSUPPORTED_TYPE	= 5,
	RTR_ERR_UNKNOWN_WITHDRAWAL	= 6,
	RTR_ERR_DUPLICATE_ANNOUNCEMENT	= 7,
	RTR_ERR_UNEXPECTED_VERSION	= 8,
	RTR_ERR_ASPA_PROVIDER_LIST	= 9,
	RTR_ERR_TRANSPORT		= 10,
	RTR_ERR_ORDERING		= 11,
};

#define RTR_FLAG_ANNOUNCE	0x01

/* End of Data timers, RFC 8210 section 6. */
struct rtr_timers {
	uint32_t	refresh;
	uint32_t	retry;
	uint32_t	expire;
};
#define RTR_REFRESH_DEFAULT	3600
#define RTR_RETRY_DEFAULT	600
#define RTR_EXPIRE_DEFAULT	7200
/* The allowed ranges of RFC 8210 section 6. */
#define RTR_REFRESH_MIN		1
#define RTR_REFRESH_MAX		86400
#define RTR_RETRY_MIN		1
#define RTR_RETRY_MAX		7200
#define RTR_EXPIRE_MIN		600
#define RTR_EXPIRE_MAX		172800

/*
 * A decoded PDU.  Pointers (spki, providers, error PDU and text) point
 * into the buffer that was decoded and live only as long as it does.
 */
struct rtr_pdu {
	uint8_t		 version;
	uint8_t		 type;
	uint16_t	 session;	/* session id, or error code */
	uint32_t	 length;
	uint32_t	 serial;	/* Notify, Serial Query, End of Data */
	struct rtr_timers timers;	/* End of Data, v1+ */
	/* IPv4/IPv6 Prefix, Router Key, ASPA */
	uint8_t		 flags;
	uint8_t		 plen;
	uint8_t		 maxlen;
	uint8_t		 addr[16];
	uint32_t	 asn;		/* prefix/key ASN, ASPA customer */
	uint8_t		 ski[20];
	const uint8_t	*spki;
	size_t		 spki_len;
	const uint8_t	*providers;	/* n big-endian 32-bit ASNs */
	size_t		 nproviders;
	/* Error Report */
	const uint8_t	*err_pdu;
	size_t		 err_pdu_len;
	const uint8_t	*err_text;
	size_t		 err_text_len;
};

/*
 * Decode one PDU from p[0..len).  Returns the PDU's length (> 0) when a
 * whole valid PDU was decoded into *out, 0 when more bytes are needed,
 * -1 when the PDU is bad: *code is the RFC 8210 section 12 error code to
 * report, *why a static text citing the rule, and *bad_len how many
 * bytes of p make up the offending PDU (to echo in the Error Report).
 * The caller checks the version against the session's.
 */
int	 rtr_pdu_decode(const uint8_t *p, size_t len, struct rtr_pdu *out,
	    enum rtr_error_code *code, const char **why, size_t *bad_len);

/* Read one serial of PDU i of a provider list (network order). */
uint32_t rtr_pdu_provider(const struct rtr_pdu *, size_t i);

void	 rtr_pdu_serial_notify(struct buf *, int v, uint16_t sid, uint32_t serial);
void	 rtr_pdu_serial_query(struct buf *, int v, uint16_t sid, uint32_t serial);
void	 rtr_pdu_reset_query(struct buf *, int v);
void	 rtr_pdu_cache_response(struct buf *, int v, uint16_t sid);
void	 rtr_pdu_cache_reset(struct buf *, int v);
void	 rtr_pdu_end_of_data(struct buf *, int v, uint16_t sid, uint32_t serial,
	    const struct rtr_timers *);
/* afi 4 or 6; addr holds 4 or 16 bytes. */
void	 rtr_pdu_prefix(struct buf *, int v, int afi, uint8_t flags,
	    const uint8_t *addr, uint8_t plen, uint8_t maxlen, uint32_t asn);
void	 rtr_pdu_router_key(struct buf *, int v, uint8_t flags,
	    const uint8_t ski[20], uint32_t asn, const uint8_t *spki, size_t);
void	 rtr_pdu_aspa(struct buf *, int v, uint8_t flags, uint32_t customer,
	    const uint32_t *providers, size_t n);
/* The offending PDU is truncated so the report fits RTR_MAX_PDU_LEN. */
void	 rtr_pdu_error_report(struct buf *, int v, enum rtr_error_code,
	    const uint8_t *pdu, size_t pdu_len, const char *text);

/* NULL if the End of Data timers are allowed by RFC 8210 section 6, else
 * a static text citing the rule they break. */
const char *rtr_timers_check(const struct rtr_timers *);

const char *rtr_pdu_type_name(unsigned);
const char *rtr_error_name(unsigned);

#endif
