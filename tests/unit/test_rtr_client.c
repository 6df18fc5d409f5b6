/*
 * The router side of RTR (src/rtr/client.c) against canned cache
 * responses written into the other end of a socketpair before the
 * client reads: the limits of bounds.h (lowered here so a test needs a
 * handful of records, not twenty million; the SPKI limit is the real
 * one), for full sets and for diffs, where the set the diff makes
 * counts; End of Data timers outside RFC 8210 section 6 refused with an
 * Error Report "Corrupt Data" that echoes the PDU; End of Data of
 * another session than the Cache Response; a Serial Notify inside a
 * response.  A refused response leaves the client's data as it was.
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bounds.h"
#include "buf.h"
#include "client.h"
#include "pdu.h"

#define SID	7
#define V	2

static const struct rtr_timers good = { 3600, 600, 7200 };

/* A client whose connection is one end of a socketpair; *peer the other. */
static void
pair(struct rtr_client *c, int *peer)
{
	int	sv[2];

	assert_int_equal(rtr_client_init(c, "cache.test:323", V), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	assert_int_not_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), -1);
	c->fd = sv[0];
	c->state = RC_CONNECTED;
	*peer = sv[1];
}

static void
put(int fd, struct buf *b)
{
	assert_int_equal(write(fd, b->data, b->len), (ssize_t)b->len);
	b->len = 0;
}

static void
prefix(struct buf *b, uint8_t flags, uint8_t third)
{
	uint8_t	addr[4] = { 192, 0, third, 0 };

	rtr_pdu_prefix(b, V, 4, flags, addr, 24, 24, 64496);
}

/* A response of n announced (or, with flags 0, withdrawn) prefixes
 * 192.0.first..first+n-1.0/24. */
static void
prefixes(struct buf *b, uint8_t flags, unsigned first, unsigned n)
{
	unsigned	i;

	for (i = 0; i < n; i++)
		prefix(b, flags, (uint8_t)(first + i));
}

static void
key(struct buf *b, unsigned asn, size_t spki_len)
{
	static uint8_t	spki[RTR_MAX_SPKI_LEN + 1];
	uint8_t		ski[20];

	memset(ski, (int)asn, sizeof(ski));
	memset(spki, 0x30, sizeof(spki));
	rtr_pdu_router_key(b, V, RTR_FLAG_ANNOUNCE, ski, asn, spki, spki_len);
}

static void
aspa(struct buf *b, uint32_t customer)
{
	uint32_t	prov[1] = { 65000 };

	rtr_pdu_aspa(b, V, RTR_FLAG_ANNOUNCE, customer, prov, 1);
}

static int
sync_with(struct rtr_client *c, int peer, struct buf *resp, int reset)
{
	put(peer, resp);
	return rtr_client_sync(c, reset, 2000, NULL);
}

static void
full_set_limits(void **state)
{
	static const char *const why[] = {
		"more than RTR_MAX_VRPS (3) VRPs",
		"more than RTR_MAX_ROUTER_KEYS (2) router keys",
		"more than RTR_MAX_ASPAS (2) ASPAs",
		"1025-byte SPKI, more than RTR_MAX_SPKI_LEN (1024)",
	};
	struct rtr_client	c;
	struct buf		b;
	unsigned		i;
	int			peer;

	buf_init(&b);
	/* The defaults are bounds.h's. */
	pair(&c, &peer);
	assert_int_equal(c.max_vrps, RTR_MAX_VRPS);
	assert_int_equal(c.max_keys, RTR_MAX_ROUTER_KEYS);
	assert_int_equal(c.max_aspas, RTR_MAX_ASPAS);
	rtr_client_free(&c);
	close(peer);

	/* Exactly the limit of each kind: accepted. */
	pair(&c, &peer);
	c.max_vrps = 3;
	c.max_keys = 2;
	c.max_aspas = 2;
	rtr_pdu_cache_response(&b, V, SID);
	prefixes(&b, RTR_FLAG_ANNOUNCE, 0, 3);
	key(&b, 1, 91);
	key(&b, 2, RTR_MAX_SPKI_LEN);
	aspa(&b, 64500);
	aspa(&b, 64501);
	rtr_pdu_end_of_data(&b, V, SID, 1, &good);
	assert_int_equal(sync_with(&c, peer, &b, 1), 0);
	assert_int_equal(c.set.nvrps, 3);
	assert_int_equal(c.set.nkeys, 2);
	assert_int_equal(c.set.naspas, 2);
	rtr_client_free(&c);
	close(peer);

	/* One over, each kind in turn. */
	for (i = 0; i < 4; i++) {
		pair(&c, &peer);
		c.max_vrps = 3;
		c.max_keys = 2;
		c.max_aspas = 2;
		rtr_pdu_cache_response(&b, V, SID);
		prefixes(&b, RTR_FLAG_ANNOUNCE, 0, i == 0 ? 4 : 1);
		key(&b, 1, i == 3 ? RTR_MAX_SPKI_LEN + 1 : 91);
		if (i == 1) {
			key(&b, 2, 91);
			key(&b, 3, 91);
		}
		aspa(&b, 64500);
		if (i == 2) {
			aspa(&b, 64501);
			aspa(&b, 64502);
		}
		rtr_pdu_end_of_data(&b, V, SID, 1, &good);
		assert_int_equal(sync_with(&c, peer, &b, 1), -1);
		assert_non_null(strstr(c.err, why[i]));
		assert_int_equal(c.has_data, 0);
		assert_int_equal(c.fd, -1);
		rtr_client_free(&c);
		close(peer);
	}
	buf_free(&b);
}

/* A diff may hold more records than the limit (each known one
 * withdrawn, as many announced); the set it makes may not. */
static void
diff_limits(void **state)
{
	struct rtr_client	c;
	struct buf		b;
	int			peer;

	buf_init(&b);
	pair(&c, &peer);
	c.max_vrps = 3;
	rtr_pdu_cache_response(&b, V, SID);
	prefixes(&b, RTR_FLAG_ANNOUNCE, 0, 3);
	rtr_pdu_end_of_data(&b, V, SID, 1, &good);
	assert_int_equal(sync_with(&c, peer, &b, 1), 0);

	/* Everything replaced: 6 records in the diff, 3 in the set. */
	rtr_pdu_cache_response(&b, V, SID);
	prefixes(&b, 0, 0, 3);
	prefixes(&b, RTR_FLAG_ANNOUNCE, 10, 3);
	rtr_pdu_end_of_data(&b, V, SID, 2, &good);
	assert_int_equal(sync_with(&c, peer, &b, 0), 0);
	assert_int_equal(c.set.nvrps, 3);
	assert_int_equal(c.serial, 2);

	/* One withdrawn, two announced: the set would hold 4. */
	rtr_pdu_cache_response(&b, V, SID);
	prefixes(&b, 0, 10, 1);
	prefixes(&b, RTR_FLAG_ANNOUNCE, 20, 2);
	rtr_pdu_end_of_data(&b, V, SID, 3, &good);
	assert_int_equal(sync_with(&c, peer, &b, 0), -1);
	assert_non_null(strstr(c.err, "more than RTR_MAX_VRPS (3) VRPs"));
	assert_int_equal(c.set.nvrps, 3);	/* nothing applied */
	assert_int_equal(c.serial, 2);
	rtr_client_free(&c);
	close(peer);

	/* A diff longer than the set and the limit together: refused as
	 * it streams in, before End of Data. */
	pair(&c, &peer);
	c.max_vrps = 3;
	rtr_pdu_cache_response(&b, V, SID);
	prefixes(&b, RTR_FLAG_ANNOUNCE, 0, 1);
	rtr_pdu_end_of_data(&b, V, SID, 1, &good);
	assert_int_equal(sync_with(&c, peer, &b, 1), 0);
	rtr_pdu_cache_response(&b, V, SID);
	prefixes(&b, RTR_FLAG_ANNOUNCE, 30, 5);
	assert_int_equal(sync_with(&c, peer, &b, 0), -1);
	assert_non_null(strstr(c.err, "more than RTR_MAX_VRPS (3) VRPs"));
	assert_int_equal(c.set.nvrps, 1);
	rtr_client_free(&c);
	close(peer);
	buf_free(&b);
}

/* The Error Report the client wrote after its query, decoded. */
static void
read_report(int peer, struct rtr_pdu *p, uint8_t *raw, size_t rawsz)
{
	enum rtr_error_code	 code;
	const char		*why;
	size_t			 bad, off = 0;
	ssize_t			 n;
	int			 r;

	n = read(peer, raw, rawsz);
	assert_true(n > 0);
	/* Skip the query. */
	r = rtr_pdu_decode(raw, (size_t)n, p, &code, &why, &bad);
	assert_true(r > 0);
	assert_true(p->type == RTR_RESET_QUERY || p->type == RTR_SERIAL_QUERY);
	off = (size_t)r;
	r = rtr_pdu_decode(raw + off, (size_t)n - off, p, &code, &why, &bad);
	assert_int_equal(r, (int)((size_t)n - off));
	assert_int_equal(p->type, RTR_ERROR_REPORT);
}

static void
bad_timers(void **state)
{
	static const struct rtr_timers	bad[] = {
		{ 0, 600, 7200 }, { 86401, 600, 172800 }, { 3600, 0, 7200 },
		{ 3600, 7201, 172800 }, { 60, 60, 599 }, { 3600, 600, 172801 },
		{ 3600, 600, 3600 }, { 600, 1200, 1200 },
	};
	struct rtr_client	c;
	struct rtr_pdu		p;
	struct buf		b, eod;
	uint8_t			raw[4096];
	size_t			i;
	int			peer;

	buf_init(&b);
	buf_init(&eod);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pair(&c, &peer);
		rtr_pdu_cache_response(&b, V, SID);
		prefixes(&b, RTR_FLAG_ANNOUNCE, 0, 1);
		eod.len = 0;
		rtr_pdu_end_of_data(&eod, V, SID, 1, &bad[i]);
		buf_add(&b, eod.data, eod.len);
		assert_int_equal(sync_with(&c, peer, &b, 1), -1);
		assert_non_null(strstr(c.err, "RFC 8210 section 6"));
		assert_int_equal(c.has_data, 0);
		assert_int_equal(c.set.nvrps, 0);
		read_report(peer, &p, raw, sizeof(raw));
		assert_int_equal(p.session, RTR_ERR_CORRUPT_DATA);
		assert_int_equal(p.version, V);
		assert_int_equal(p.err_pdu_len, eod.len);
		assert_memory_equal(p.err_pdu, eod.data, eod.len);
		assert_non_null(p.err_text);
		rtr_client_free(&c);
		close(peer);
	}
	/* Version 0 has no timers to check. */
	pair(&c, &peer);
	c.version = 0;
	rtr_pdu_cache_response(&b, 0, SID);
	rtr_pdu_end_of_data(&b, 0, SID, 1, NULL);
	assert_int_equal(sync_with(&c, peer, &b, 1), 0);
	rtr_client_free(&c);
	close(peer);
	buf_free(&eod);
	buf_free(&b);
}

static void
session_mismatch(void **state)
{
	struct rtr_client	c;
	struct buf		b;
	int			peer;

	buf_init(&b);
	pair(&c, &peer);
	rtr_pdu_cache_response(&b, V, SID);
	prefixes(&b, RTR_FLAG_ANNOUNCE, 0, 1);
	rtr_pdu_end_of_data(&b, V, SID, 1, &good);
	assert_int_equal(sync_with(&c, peer, &b, 1), 0);
	/* A reset on the same connection, End of Data of another session:
	 * refused, and the session and data stay the old ones. */
	rtr_pdu_cache_response(&b, V, SID + 1);
	prefixes(&b, RTR_FLAG_ANNOUNCE, 5, 2);
	rtr_pdu_end_of_data(&b, V, SID + 2, 9, &good);
	assert_int_equal(sync_with(&c, peer, &b, 1), -1);
	assert_non_null(strstr(c.err, "RFC 8210 sections 5.5, 5.8"));
	assert_int_equal(c.session_id, SID);
	assert_int_equal(c.serial, 1);
	assert_int_equal(c.set.nvrps, 1);
	rtr_client_free(&c);
	close(peer);
	buf_free(&b);
}

static void
notify_inside_response(void **state)
{
	struct rtr_client	c;
	struct buf		b;
	int			peer;

	buf_init(&b);
	pair(&c, &peer);
	/* Notify of the serial End of Data brings: answered. */
	rtr_pdu_cache_response(&b, V, SID);
	rtr_pdu_serial_notify(&b, V, SID, 1);
	prefixes(&b, RTR_FLAG_ANNOUNCE, 0, 1);
	rtr_pdu_end_of_data(&b, V, SID, 1, &good);
	assert_int_equal(sync_with(&c, peer, &b, 1), 0);
	assert_int_equal(c.notified, 0);
	assert_int_equal(rtr_client_wait(&c, 0), 0);

	/* Notify of a newer serial (across the wrap, RFC 1982): still to
	 * be answered, and rtr_client_wait says so without waiting. */
	rtr_pdu_cache_response(&b, V, SID);
	rtr_pdu_serial_notify(&b, V, SID, 0);
	rtr_pdu_end_of_data(&b, V, SID, 0xffffffffu, &good);
	assert_int_equal(sync_with(&c, peer, &b, 0), 0);
	assert_int_equal(c.serial, 0xffffffffu);
	assert_int_equal(c.notified, 1);
	assert_int_equal(rtr_client_wait(&c, 60000), 1);

	/* The next response reaches it. */
	rtr_pdu_cache_response(&b, V, SID);
	rtr_pdu_end_of_data(&b, V, SID, 0, &good);
	assert_int_equal(sync_with(&c, peer, &b, 0), 0);
	assert_int_equal(c.notified, 0);

	/* An older serial than End of Data's is answered too. */
	rtr_pdu_cache_response(&b, V, SID);
	rtr_pdu_serial_notify(&b, V, SID, 0xfffffff0u);
	rtr_pdu_end_of_data(&b, V, SID, 0, &good);
	assert_int_equal(sync_with(&c, peer, &b, 0), 0);
	assert_int_equal(c.notified, 0);
	rtr_client_free(&c);
	close(peer);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_set_limits),
		cmocka_unit_test(diff_limits),
		cmocka_unit_test(bad_timers),
		cmocka_unit_test(session_mismatch),
		cmocka_unit_test(notify_inside_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
