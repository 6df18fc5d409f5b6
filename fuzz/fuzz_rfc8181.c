/*
 * libFuzzer target for the RFC 8181 message parser.
 *
 * Besides "no crash, no leak" it checks two properties: a refused input
 * gets a one-line reason citing RFC 8181, and an accepted message
 * written back with the rfc8181_write_* functions parses again to the
 * same PDUs (so the writers never produce what the parser refuses, and
 * the parser keeps everything the writers need).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rfc8181_msg.h"

#define FUZZ_MAX_OBJECT	(64 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
write_msg(struct buf *b, const struct rfc8181_msg *m)
{
	const struct rfc8181_pdu	*p;
	size_t				 i;

	rfc8181_write_begin(b, m->type);
	for (i = 0; i < m->npdus; i++) {
		p = &m->pdus[i];
		switch (p->type) {
		case PDU_PUBLISH:
			rfc8181_write_publish(b, p->uri, p->has_hash ?
			    p->hash : NULL, p->der, p->der_len, p->tag);
			break;
		case PDU_WITHDRAW:
			rfc8181_write_withdraw(b, p->uri, p->hash, p->tag);
			break;
		case PDU_LIST:
			if (m->type == RFC8181_QUERY)
				rfc8181_write_list_query(b, p->tag);
			else
				rfc8181_write_list_reply(b, p->uri, p->hash);
			break;
		case PDU_SUCCESS:
			rfc8181_write_success(b);
			break;
		case PDU_REPORT_ERROR:
			rfc8181_write_error(b, p->error, p->tag, p->error_text,
			    NULL);
			break;
		}
	}
	rfc8181_write_end(b);
}

static void
compare(const struct rfc8181_msg *a, const struct rfc8181_msg *b)
{
	const struct rfc8181_pdu	*p, *q;
	size_t				 i;

	if (a->type != b->type || a->npdus != b->npdus)
		abort();
	for (i = 0; i < a->npdus; i++) {
		p = &a->pdus[i];
		q = &b->pdus[i];
		if (p->type != q->type || !str_eq(p->uri, q->uri) ||
		    p->has_hash != q->has_hash ||
		    memcmp(p->hash, q->hash, sizeof(p->hash)) != 0 ||
		    p->der_len != q->der_len ||
		    (p->der_len > 0 && memcmp(p->der, q->der, p->der_len)) ||
		    p->error != q->error ||
		    !str_eq(p->error_text, q->error_text))
			abort();
		/* The list reply writer has no tag (RFC 8181 section 2.3). */
		if (!(a->type == RFC8181_REPLY && p->type == PDU_LIST) &&
		    !str_eq(p->tag, q->tag))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rfc8181_msg	*m = NULL, *m2 = NULL;
	struct buf		 b;
	char			 err[256];

	if (rfc8181_parse(data, len, FUZZ_MAX_OBJECT, &m, err,
	    sizeof(err)) == -1) {
		if (m != NULL || strncmp(err, "RFC 8181 section ", 17) != 0 ||
		    strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	buf_init(&b);
	write_msg(&b, m);
	if (rfc8181_parse(b.data, b.len, FUZZ_MAX_OBJECT, &m2, err,
	    sizeof(err)) == -1)
		abort();
	compare(m, m2);
	rfc8181_msg_free(m);
	rfc8181_msg_free(m2);
	buf_free(&b);
	return 0;
}
