#include <string.h>

#include <openssl/sha.h>

#include "encoding.h"
#include "gzpiece.h"
#include "rrdp_elem.h"

#define ELEM_CLOSE	"</publish>\n"

int
rrdp_obj_make(struct rrdp_obj *o, const char *uri, const uint8_t *der,
    size_t len)
{
	SHA256(der, len, o->hash);
	o->der_len = len;
	buf_init(&o->elem);
	buf_init(&o->piece);
	buf_reserve(&o->elem, strlen(uri) + len / 3 * 4 + 64);
	buf_adds(&o->elem, "<publish uri=\"");
	buf_add_xml(&o->elem, uri, strlen(uri));
	buf_adds(&o->elem, "\">");
	b64_encode(&o->elem, der, len);
	buf_adds(&o->elem, ELEM_CLOSE);
	return gzpiece_make(o->elem.data, o->elem.len, &o->piece, &o->crc);
}

void
rrdp_obj_free(struct rrdp_obj *o)
{
	if (o == NULL)
		return;
	buf_free(&o->elem);
	buf_free(&o->piece);
}

int
rrdp_elem_b64(const uint8_t *elem, size_t len, const uint8_t **b64,
    size_t *b64len)
{
	const uint8_t	*gt;
	size_t		 close = strlen(ELEM_CLOSE);

	/* The URI is escaped, so the first '>' ends the start tag. */
	if ((gt = memchr(elem, '>', len)) == NULL ||
	    len < (size_t)(gt - elem) + 1 + close ||
	    memcmp(elem + len - close, ELEM_CLOSE, close) != 0)
		return -1;
	*b64 = gt + 1;
	*b64len = len - (size_t)(gt + 1 - elem) - close;
	return 0;
}

int
rrdp_elem_der(const uint8_t *elem, size_t len, struct buf *der)
{
	const uint8_t	*b64;
	size_t		 n;

	if (rrdp_elem_b64(elem, len, &b64, &n) == -1)
		return -1;
	return b64_decode(der, (const char *)b64, n, b64_decoded_max(n));
}

static void
rrdp_root_begin(struct buf *b, const char *root, const char *session,
    int64_t serial)
{
	buf_printf(b, "<%s xmlns=\"%s\" version=\"1\" session_id=\"%s\" "
	    "serial=\"%lld\">\n", root, RRDP_NS, session, (long long)serial);
}

void
rrdp_snapshot_begin(struct buf *b, const char *session, int64_t serial)
{
	rrdp_root_begin(b, "snapshot", session, serial);
}

void
rrdp_snapshot_end(struct buf *b)
{
	buf_adds(b, "</snapshot>\n");
}

void
rrdp_delta_begin(struct buf *b, const char *session, int64_t serial)
{
	rrdp_root_begin(b, "delta", session, serial);
}

void
rrdp_delta_end(struct buf *b)
{
	buf_adds(b, "</delta>\n");
}

int
rrdp_delta_publish(struct buf *b, const char *uri, const uint8_t *elem,
    size_t elen, const uint8_t *old_hash)
{
	const uint8_t	*b64;
	size_t		 n;
	char		 hex[65];

	if (rrdp_elem_b64(elem, elen, &b64, &n) == -1)
		return -1;
	buf_adds(b, "<publish uri=\"");
	buf_add_xml(b, uri, strlen(uri));
	if (old_hash != NULL) {
		hex_encode(hex, old_hash, 32);
		buf_printf(b, "\" hash=\"%s", hex);
	}
	buf_adds(b, "\">");
	buf_add(b, b64, n);
	buf_adds(b, ELEM_CLOSE);
	return 0;
}

void
rrdp_delta_withdraw(struct buf *b, const char *uri, const uint8_t hash[32])
{
	char	hex[65];

	hex_encode(hex, hash, 32);
	buf_adds(b, "<withdraw uri=\"");
	buf_add_xml(b, uri, strlen(uri));
	buf_printf(b, "\" hash=\"%s\"/>\n", hex);
}
