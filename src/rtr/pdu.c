/*
 * RTR PDU codec.  Layouts: RFC 6810 section 5, RFC 8210 section 5,
 * draft-ietf-sidrops-8210bis section 5 (ASPA, type 11, version 2 only).
 */
#include <arpa/inet.h>
#include <string.h>

#include "bounds.h"
#include "pdu.h"

static const char *const type_names[] = {
	[RTR_SERIAL_NOTIFY] = "Serial Notify",
	[RTR_SERIAL_QUERY] = "Serial Query",
	[RTR_RESET_QUERY] = "Reset Query",
	[RTR_CACHE_RESPONSE] = "Cache Response",
	[RTR_IPV4_PREFIX] = "IPv4 Prefix",
	[5] = NULL,
	[RTR_IPV6_PREFIX] = "IPv6 Prefix",
	[RTR_END_OF_DATA] = "End of Data",
	[RTR_CACHE_RESET] = "Cache Reset",
	[RTR_ROUTER_KEY] = "Router Key",
	[RTR_ERROR_REPORT] = "Error Report",
	[RTR_ASPA] = "ASPA",
};

static const char *const error_names[] = {
	"Corrupt Data", "Internal Error", "No Data Available",
	"Invalid Request", "Unsupported Protocol Version",
	"Unsupported PDU Type", "Withdrawal of Unknown Record",
	"Duplicate Announcement Received", "Unexpected Protocol Version",
	"ASPA Provider List Error", "Transport Error", "Ordering Error",
};

const char *
rtr_pdu_type_name(unsigned t)
{
	if (t < sizeof(type_names) / sizeof(type_names[0]) && type_names[t])
		return type_names[t];
	return "unknown PDU type";
}

const char *
rtr_error_name(unsigned c)
{
	if (c < sizeof(error_names) / sizeof(error_names[0]))
		return error_names[c];
	return "unknown error code";
}

const char *
rtr_timers_check(const struct rtr_timers *t)
{
	if (t->refresh < RTR_REFRESH_MIN || t->refresh > RTR_REFRESH_MAX)
		return "RFC 8210 section 6: refresh interval not in 1..86400";
	if (t->retry < RTR_RETRY_MIN || t->retry > RTR_RETRY_MAX)
		return "RFC 8210 section 6: retry interval not in 1..7200";
	if (t->expire < RTR_EXPIRE_MIN || t->expire > RTR_EXPIRE_MAX)
		return "RFC 8210 section 6: expire interval not in 600..172800";
	/* Data that expired before the next refresh or retry would leave
	 * the router without data between two good responses. */
	if (t->expire <= t->refresh || t->expire <= t->retry)
		return "RFC 8210 section 6: expire interval not larger than "
		    "refresh and retry";
	return NULL;
}

static uint16_t
get16(const uint8_t *p)
{
	uint16_t	v;

	memcpy(&v, p, sizeof(v));
	return ntohs(v);
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

uint32_t
rtr_pdu_provider(const struct rtr_pdu *pdu, size_t i)
{
	return get32(pdu->providers + 4 * i);
}

/*
 * The exact length of a fixed-size PDU of this type and version, or 0
 * for the variable-size ones (Router Key, Error Report, ASPA).
 */
static uint32_t
fixed_length(unsigned type, unsigned version)
{
	switch (type) {
	case RTR_SERIAL_NOTIFY:
	case RTR_SERIAL_QUERY:
		return 12;
	case RTR_RESET_QUERY:
	case RTR_CACHE_RESPONSE:
	case RTR_CACHE_RESET:
		return 8;
	case RTR_IPV4_PREFIX:
		return 20;
	case RTR_IPV6_PREFIX:
		return 32;
	case RTR_END_OF_DATA:
		/* RFC 8210 section 5.8 added the three timers. */
		return version == 0 ? 12 : 24;
	default:
		return 0;
	}
}

int
rtr_pdu_decode(const uint8_t *p, size_t len, struct rtr_pdu *out,
    enum rtr_error_code *code, const char **why, size_t *bad_len)
{
	uint32_t	 plen, want, n;
	unsigned	 max_bits;

	if (len < RTR_HEADER_LEN)
		return 0;
	memset(out, 0, sizeof(*out));
	out->version = p[0];
	out->type = p[1];
	out->session = get16(p + 2);
	out->length = plen = get32(p + 4);
	*bad_len = len < plen ? len : plen;
	if (*bad_len < RTR_HEADER_LEN)
		*bad_len = RTR_HEADER_LEN;
	if (*bad_len > RTR_MAX_PDU_LEN)
		*bad_len = RTR_MAX_PDU_LEN;

	/* Version first: a newer router may use lengths we do not know. */
	if (out->version > RTR_VERSION_MAX) {
		*code = RTR_ERR_UNSUPPORTED_VERSION;
		*why = "RFC 8210 section 7: unsupported protocol version";
		return -1;
	}
	if (plen < RTR_HEADER_LEN || plen > RTR_MAX_PDU_LEN) {
		*code = RTR_ERR_CORRUPT_DATA;
		*why = "RFC 8210 section 5.1: PDU length out of range";
		return -1;
	}
	switch (out->type) {
	case RTR_SERIAL_NOTIFY: case RTR_SERIAL_QUERY: case RTR_RESET_QUERY:
	case RTR_CACHE_RESPONSE: case RTR_IPV4_PREFIX: case RTR_IPV6_PREFIX:
	case RTR_END_OF_DATA: case RTR_CACHE_RESET: case RTR_ERROR_REPORT:
		break;
	case RTR_ROUTER_KEY:
		if (out->version >= 1)
			break;
		*code = RTR_ERR_UNSUPPORTED_TYPE;
		*why = "RFC 8210 section 5.10: Router Key needs version 1";
		return -1;
	case RTR_ASPA:
		if (out->version >= 2)
			break;
		*code = RTR_ERR_UNSUPPORTED_TYPE;
		*why = "draft-ietf-sidrops-8210bis section 5.12: ASPA needs version 2";
		return -1;
	default:
		*code = RTR_ERR_UNSUPPORTED_TYPE;
		*why = "RFC 8210 section 12: unknown PDU type";
		return -1;
	}
	if ((want = fixed_length(out->type, out->version)) != 0 && plen != want) {
		*code = RTR_ERR_CORRUPT_DATA;
		*why = "RFC 8210 section 5: wrong length for the PDU type";
		return -1;
	}
	if (len < plen)
		return 0;

	*code = RTR_ERR_CORRUPT_DATA;
	switch (out->type) {
	case RTR_SERIAL_NOTIFY:
	case RTR_SERIAL_QUERY:
		out->serial = get32(p + 8);
		break;
	case RTR_END_OF_DATA:
		out->serial = get32(p + 8);
		if (out->version > 0) {
			out->timers.refresh = get32(p + 12);
			out->timers.retry = get32(p + 16);
			out->timers.expire = get32(p + 20);
		}
		break;
	case RTR_IPV4_PREFIX:
	case RTR_IPV6_PREFIX:
		out->flags = p[8];
		out->plen = p[9];
		out->maxlen = p[10];
		max_bits = out->type == RTR_IPV4_PREFIX ? 32 : 128;
		memcpy(out->addr, p + 12, max_bits / 8);
		out->asn = get32(p + 12 + max_bits / 8);
		if (out->plen > max_bits || out->maxlen > max_bits ||
		    out->maxlen < out->plen) {
			*why = "RFC 8210 section 5.6: prefix or max length out of range";
			return -1;
		}
		break;
	case RTR_ROUTER_KEY:
		/* RFC 8210 section 5.10: SKI 20, ASN 4, then a non-empty SPKI. */
		if (plen <= 8 + 20 + 4) {
			*why = "RFC 8210 section 5.10: Router Key too short";
			return -1;
		}
		out->flags = p[2];
		memcpy(out->ski, p + 8, 20);
		out->asn = get32(p + 28);
		out->spki = p + 32;
		out->spki_len = plen - 32;
		break;
	case RTR_ASPA:
		/* 8210bis: flags in byte 2, customer ASN, 4 bytes per provider. */
		if (plen < 12 || (plen - 12) % 4 != 0) {
			*why = "draft-ietf-sidrops-8210bis section 5.12: bad ASPA length";
			return -1;
		}
		out->flags = p[2];
		out->asn = get32(p + 8);
		out->providers = p + 12;
		out->nproviders = (plen - 12) / 4;
		if (!(out->flags & RTR_FLAG_ANNOUNCE) && out->nproviders != 0) {
			*code = RTR_ERR_ASPA_PROVIDER_LIST;
			*why = "draft-ietf-sidrops-8210bis section 5.12: ASPA withdrawal with providers";
			return -1;
		}
		break;
	case RTR_ERROR_REPORT:
		/* RFC 8210 section 5.11: two length-prefixed fields. */
		if (plen < 16) {
			*why = "RFC 8210 section 5.11: Error Report too short";
			return -1;
		}
		n = get32(p + 8);
		if (n > plen - 16) {
			*why = "RFC 8210 section 5.11: encapsulated PDU overruns the Error Report";
			return -1;
		}
		out->err_pdu = p + 12;
		out->err_pdu_len = n;
		want = get32(p + 12 + n);
		if (want != plen - 16 - n) {
			*why = "RFC 8210 section 5.11: error text length does not match the PDU length";
			return -1;
		}
		out->err_text = p + 16 + n;
		out->err_text_len = want;
		break;
	default:
		break;
	}
	return (int)plen;
}

static uint8_t *
put_header(struct buf *b, int v, unsigned type, uint16_t field, uint32_t len)
{
	uint8_t		*p;
	uint16_t	 f = htons(field);
	uint32_t	 l = htonl(len);

	buf_reserve(b, len);
	p = b->data + b->len;
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)type;
	memcpy(p + 2, &f, 2);
	memcpy(p + 4, &l, 4);
	b->len += len;
	return p;
}

static void
put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

void
rtr_pdu_serial_notify(struct buf *b, int v, uint16_t sid, uint32_t serial)
{
	put32(put_header(b, v, RTR_SERIAL_NOTIFY, sid, 12) + 8, serial);
}

void
rtr_pdu_serial_query(struct buf *b, int v, uint16_t sid, uint32_t serial)
{
	put32(put_header(b, v, RTR_SERIAL_QUERY, sid, 12) + 8, serial);
}

void
rtr_pdu_reset_query(struct buf *b, int v)
{
	put_header(b, v, RTR_RESET_QUERY, 0, 8);
}

void
rtr_pdu_cache_response(struct buf *b, int v, uint16_t sid)
{
	put_header(b, v, RTR_CACHE_RESPONSE, sid, 8);
}

void
rtr_pdu_cache_reset(struct buf *b, int v)
{
	put_header(b, v, RTR_CACHE_RESET, 0, 8);
}

void
rtr_pdu_end_of_data(struct buf *b, int v, uint16_t sid, uint32_t serial,
    const struct rtr_timers *t)
{
	uint8_t	*p;

	p = put_header(b, v, RTR_END_OF_DATA, sid, v == 0 ? 12 : 24);
	put32(p + 8, serial);
	if (v > 0) {
		put32(p + 12, t->refresh);
		put32(p + 16, t->retry);
		put32(p + 20, t->expire);
	}
}

void
rtr_pdu_prefix(struct buf *b, int v, int afi, uint8_t flags,
    const uint8_t *addr, uint8_t plen, uint8_t maxlen, uint32_t asn)
{
	uint8_t	*p;
	size_t	 alen = afi == 4 ? 4 : 16;

	p = put_header(b, v, afi == 4 ? RTR_IPV4_PREFIX : RTR_IPV6_PREFIX, 0,
	    (uint32_t)(16 + alen));
	p[8] = flags;
	p[9] = plen;
	p[10] = maxlen;
	p[11] = 0;
	memcpy(p + 12, addr, alen);
	put32(p + 12 + alen, asn);
}

void
rtr_pdu_router_key(struct buf *b, int v, uint8_t flags, const uint8_t ski[20],
    uint32_t asn, const uint8_t *spki, size_t spki_len)
{
	uint8_t	*p;

	p = put_header(b, v, RTR_ROUTER_KEY, 0, (uint32_t)(32 + spki_len));
	p[2] = flags;
	p[3] = 0;
	memcpy(p + 8, ski, 20);
	put32(p + 28, asn);
	memcpy(p + 32, spki, spki_len);
}

void
rtr_pdu_aspa(struct buf *b, int v, uint8_t flags, uint32_t customer,
    const uint32_t *providers, size_t n)
{
	uint8_t	*p;
	size_t	 i;

	if (!(flags & RTR_FLAG_ANNOUNCE))
		n = 0;	/* 8210bis section 5.12: a withdrawal lists none */
	p = put_header(b, v, RTR_ASPA, 0, (uint32_t)(12 + 4 * n));
	p[2] = flags;
	p[3] = 0;
	put32(p + 8, customer);
	for (i = 0; i < n; i++)
		put32(p + 12 + 4 * i, providers[i]);
}

void
rtr_pdu_error_report(struct buf *b, int v, enum rtr_error_code code,
    const uint8_t *pdu, size_t pdu_len, const char *text)
{
	uint8_t	*p;
	size_t	 tlen = text ? strnlen(text, RTR_MAX_ERROR_TEXT) : 0;

	if (pdu == NULL)
		pdu_len = 0;
	if (pdu_len > RTR_MAX_PDU_LEN - 16 - tlen)
		pdu_len = RTR_MAX_PDU_LEN - 16 - tlen;
	p = put_header(b, v, RTR_ERROR_REPORT, (uint16_t)code,
	    (uint32_t)(16 + pdu_len + tlen));
	put32(p + 8, (uint32_t)pdu_len);
	if (pdu_len)
		memcpy(p + 12, pdu, pdu_len);
	put32(p + 12 + pdu_len, (uint32_t)tlen);
	if (tlen)
		memcpy(p + 16 + pdu_len, text, tlen);
}
