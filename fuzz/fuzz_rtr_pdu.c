/*
 * libFuzzer target for the RTR PDU decoder (src/rtr/pdu.c), as rtrd and
 * rtrwatch use it: decode PDUs one after another from the input.  Every
 * accepted PDU must lie inside the input and, re-encoded from its fields,
 * give back the same bytes (for the types we encode); every refused one
 * must name an RFC 8210 error code and a length inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"
#include "pdu.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
reencode(const struct rtr_pdu *p, const uint8_t *raw)
{
	struct buf	b;
	uint32_t	*prov = NULL;
	size_t		i;

	buf_init(&b);
	switch (p->type) {
	case RTR_SERIAL_QUERY:
		rtr_pdu_serial_query(&b, p->version, p->session, p->serial);
		break;
	case RTR_RESET_QUERY:
		if (p->session != 0)
			goto out;	/* the zero field is not checked */
		rtr_pdu_reset_query(&b, p->version);
		break;
	case RTR_IPV4_PREFIX:
	case RTR_IPV6_PREFIX:
		if (raw[2] || raw[3] || raw[11])
			goto out;	/* zero fields are not kept */
		rtr_pdu_prefix(&b, p->version, p->type == RTR_IPV4_PREFIX ? 4 : 6,
		    p->flags, p->addr, p->plen, p->maxlen, p->asn);
		break;
	case RTR_ASPA:
		if (raw[3])
			goto out;
		prov = calloc(p->nproviders + 1, sizeof(*prov));
		for (i = 0; i < p->nproviders; i++)
			prov[i] = rtr_pdu_provider(p, i);
		rtr_pdu_aspa(&b, p->version, p->flags, p->asn, prov,
		    p->nproviders);
		break;
	default:
		goto out;
	}
	if (b.len != p->length || memcmp(b.data, raw, b.len) != 0)
		abort();
out:
	free(prov);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rtr_pdu		 p;
	enum rtr_error_code	 code;
	const char		*why;
	size_t			 off = 0, bad;
	int			 r;

	while (off < len) {
		r = rtr_pdu_decode(data + off, len - off, &p, &code, &why, &bad);
		if (r == 0)
			break;
		if (r < 0) {
			if (why == NULL || code > RTR_ERR_ORDERING ||
			    bad > RTR_MAX_PDU_LEN || bad < RTR_HEADER_LEN)
				abort();
			break;
		}
		if ((size_t)r > len - off || (size_t)r != p.length)
			abort();
		reencode(&p, data + off);
		off += (size_t)r;
	}
	return 0;
}
