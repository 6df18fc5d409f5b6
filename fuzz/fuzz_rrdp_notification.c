/*
 * libFuzzer target for the RRDP notification parser (RFC 8182 section
 * 3.5.1).
 *
 * Besides "no crash, no leak": a refused input gets a one-line reason
 * citing RFC 8182 and leaves nothing to free; an accepted one keeps its
 * promises (valid session, positive serials, unique delta serials not
 * above the notification's, newest first) and, written back with
 * rrdp_notification_write, parses again to the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rrdp_notification.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const struct rrdp_notification *n)
{
	size_t	i;

	if (rrdp_session_valid(n->session) != 0 || n->serial <= 0 ||
	    n->snapshot_uri == NULL || rrdp_uri_valid(n->snapshot_uri) != 0)
		abort();
	for (i = 0; i < n->ndeltas; i++) {
		if (n->deltas[i].serial <= 0 ||
		    n->deltas[i].serial > n->serial ||
		    rrdp_uri_valid(n->deltas[i].uri) != 0)
			abort();
		if (i > 0 && n->deltas[i].serial >= n->deltas[i - 1].serial)
			abort();
	}
}

static void
compare(const struct rrdp_notification *a, const struct rrdp_notification *b)
{
	size_t	i;

	if (strcmp(a->session, b->session) != 0 || a->serial != b->serial ||
	    strcmp(a->snapshot_uri, b->snapshot_uri) != 0 ||
	    memcmp(a->snapshot_hash, b->snapshot_hash, 32) != 0 ||
	    a->ndeltas != b->ndeltas)
		abort();
	for (i = 0; i < a->ndeltas; i++)
		if (a->deltas[i].serial != b->deltas[i].serial ||
		    strcmp(a->deltas[i].uri, b->deltas[i].uri) != 0 ||
		    memcmp(a->deltas[i].hash, b->deltas[i].hash, 32) != 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rrdp_notification	n, m;
	struct buf			b;
	char				err[512];

	if (rrdp_notification_parse(data, len, &n, err, sizeof(err)) == -1) {
		if (n.snapshot_uri != NULL || n.deltas != NULL ||
		    strncmp(err, "RFC 8182 section ", 17) != 0 ||
		    strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	check(&n);
	buf_init(&b);
	rrdp_notification_write(&b, &n);
	if (rrdp_notification_parse(b.data, b.len, &m, err, sizeof(err)) != 0)
		abort();
	compare(&n, &m);
	rrdp_notification_free(&n);
	rrdp_notification_free(&m);
	buf_free(&b);
	return 0;
}
