/*
 * The decision table of a round (sync_decide, RFC 8182 section 3.4.1
 * with RFC 9697): every row, including the two notification files of
 * RFC 9697 section 3.1 (Figures 1 and 3) with their exact hashes, and
 * the same-origin check of RFC 9674.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "encoding.h"
#include "http_client.h"
#include "sync_follow.h"

#define FIG_SESSION	"fe528335-db5f-48b2-be7e-bf0992d0b5ec"
#define OTHER_SESSION	"9df4b597-af9e-4dca-bdda-719cce2c4e28"
#define NOW		1800000000

/* RFC 9697 section 3.1, Figure 1 (serial 1774) and Figure 3 (1775). */
#define FIG1_SNAP	"4b5f27b099737b8bf288a33796bfe825fb2014a69fd6aa99080380299952f2e2"
#define FIG1_1774	"effac94afd30bbf1cd6e180e7f445a4d4653cb4c91068fa9e7b669d49b5aaa00"
#define FIG1_1773	"731169254dd5de0ede94ba6999bda63b0fae9880873a3710e87a71bafb64761a"
#define FIG1_1772	"d4087585323fd6b7fd899ebf662ef213c469d39f53839fa6241847f4f6ceb939"
#define FIG3_SNAP	"cd430c386deacb04bda55301c2aa49f192b529989b739f412aea01c9a77e5389"
#define FIG3_1775	"d199376e98a9095dbcf14ccd49208b4223a28a1327669f89566475d94b2b08cc"
#define FIG3_1774	"10ca28480a584105a059f95df5ca8369142fd7c8069380f84ebe613b8b89f0d3"
#define FIG3_1773	FIG1_1773

struct ref {
	int64_t		 serial;
	const char	*hash;
};

static void
hash_of(uint8_t out[32], const char *hex)
{
	assert_int_equal(hex_decode(out, 32, hex), 0);
}

/* A notification: session, serial, snapshot hash, deltas newest first. */
static void
make_notif(struct rrdp_notification *n, const char *session, int64_t serial,
    const char *snap, const struct ref *d, size_t nd)
{
	char	uri[128];
	size_t	i;

	memset(n, 0, sizeof(*n));
	snprintf(n->session, sizeof(n->session), "%s", session);
	n->serial = serial;
	snprintf(uri, sizeof(uri), "https://rrdp.example.net/%lld/snapshot.xml",
	    (long long)serial);
	n->snapshot_uri = strdup(uri);
	hash_of(n->snapshot_hash, snap);
	n->deltas = calloc(nd + 1, sizeof(*n->deltas));
	for (i = 0; i < nd; i++) {
		n->deltas[i].serial = d[i].serial;
		snprintf(uri, sizeof(uri), "https://rrdp.example.net/%lld/"
		    "delta.xml", (long long)d[i].serial);
		n->deltas[i].uri = strdup(uri);
		hash_of(n->deltas[i].hash, d[i].hash);
	}
	n->ndeltas = nd;
}

/* The state after processing n (what sync_round records). */
static void
state_of(struct sync_state *st, const struct rrdp_notification *n)
{
	size_t	i;

	memset(st, 0, sizeof(*st));
	memcpy(st->session, n->session, sizeof(st->session));
	st->serial = n->serial;
	memcpy(st->snapshot.hash, n->snapshot_hash, 32);
	st->snapshot.rel = strdup("x/snapshot.xml");
	st->snapshot.uri = strdup(n->snapshot_uri);
	st->deltas = calloc(n->ndeltas + 1, sizeof(*st->deltas));
	for (i = 0; i < n->ndeltas; i++) {
		st->deltas[i].serial = n->deltas[i].serial;
		memcpy(st->deltas[i].hash, n->deltas[i].hash, 32);
		st->deltas[i].rel = strdup("x/delta.xml");
		st->deltas[i].uri = strdup(n->deltas[i].uri);
	}
	st->ndeltas = n->ndeltas;
	st->tree = strdup("tree");
}

static const struct ref fig1[] = {
	{ 1774, FIG1_1774 }, { 1773, FIG1_1773 }, { 1772, FIG1_1772 }
};
static const struct ref fig3[] = {
	{ 1775, FIG3_1775 }, { 1774, FIG3_1774 }, { 1773, FIG3_1773 }
};
/* Figure 3 as it would be had 1774 not changed. */
static const struct ref fig3_kept[] = {
	{ 1775, FIG3_1775 }, { 1774, FIG1_1774 }, { 1773, FIG3_1773 }
};

static void
test_rfc9697_example(void **unused)
{
	struct rrdp_notification	n1, n3;
	struct sync_state		st;
	struct sync_decision		d;
	uint8_t				want[32];

	(void)unused;
	make_notif(&n1, FIG_SESSION, 1774, FIG1_SNAP, fig1, 3);
	make_notif(&n3, FIG_SESSION, 1775, FIG3_SNAP, fig3, 3);
	state_of(&st, &n1);
	sync_decide(&st, &n3, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_SNAPSHOT);
	assert_int_equal(d.reason, SYNC_WHY_DESYNC);
	assert_int_equal(d.ndesync, 1);
	assert_int_equal(d.desync_serial, 1774);
	hash_of(want, FIG1_1774);
	assert_memory_equal(d.desync_old, want, 32);
	hash_of(want, FIG3_1774);
	assert_memory_equal(d.desync_new, want, 32);
	/* The log line names serial, old and new hash. */
	assert_non_null(strstr(d.why, "RFC 9697"));
	assert_non_null(strstr(d.why, "1774"));
	assert_non_null(strstr(d.why, FIG1_1774));
	assert_non_null(strstr(d.why, FIG3_1774));
	rrdp_notification_free(&n3);
	/* Unchanged history: the delta of 1775 applies. */
	make_notif(&n3, FIG_SESSION, 1775, FIG3_SNAP, fig3_kept, 3);
	sync_decide(&st, &n3, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_DELTAS);
	assert_int_equal(d.reason, SYNC_WHY_DELTAS);
	assert_int_equal(d.first, 1775);
	assert_int_equal(d.last, 1775);
	assert_int_equal(d.ndesync, 0);
	rrdp_notification_free(&n3);
	rrdp_notification_free(&n1);
	sync_state_free(&st);
}

static void
test_desync_counts(void **unused)
{
	static const struct ref old[] = {
		{ 10, FIG1_1774 }, { 9, FIG1_1773 }, { 8, FIG1_1772 }
	};
	static const struct ref two[] = {
		{ 11, FIG3_1775 }, { 10, FIG3_1774 }, { 9, FIG3_1775 },
		{ 8, FIG1_1772 }, { 7, FIG1_1772 }
	};
	static const struct ref more[] = {
		{ 11, FIG3_1775 }, { 10, FIG1_1774 }, { 9, FIG1_1773 },
		{ 8, FIG1_1772 }, { 7, FIG3_1774 }, { 6, FIG3_1774 }
	};
	struct rrdp_notification	n0, n;
	struct sync_state		st;
	struct sync_decision		d;

	(void)unused;
	make_notif(&n0, OTHER_SESSION, 10, FIG1_SNAP, old, 3);
	state_of(&st, &n0);
	make_notif(&n, OTHER_SESSION, 11, FIG3_SNAP, two, 5);
	sync_decide(&st, &n, NOW, 3600, &d);
	assert_int_equal(d.reason, SYNC_WHY_DESYNC);
	assert_int_equal(d.ndesync, 2);
	assert_int_equal(d.desync_serial, 10);
	rrdp_notification_free(&n);
	/* Serials the state never saw are not compared. */
	make_notif(&n, OTHER_SESSION, 11, FIG3_SNAP, more, 6);
	sync_decide(&st, &n, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_DELTAS);
	assert_int_equal(d.first, 11);
	rrdp_notification_free(&n);
	/* The same serial with deltas dropped from the list: current. */
	make_notif(&n, OTHER_SESSION, 10, FIG1_SNAP, old, 2);
	sync_decide(&st, &n, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_NONE);
	assert_int_equal(d.reason, SYNC_WHY_CURRENT);
	rrdp_notification_free(&n);
	/* The same serial with a changed hash: a desync too. */
	make_notif(&n, OTHER_SESSION, 10, FIG1_SNAP, two + 1, 2);
	sync_decide(&st, &n, NOW, 3600, &d);
	assert_int_equal(d.reason, SYNC_WHY_DESYNC);
	rrdp_notification_free(&n);
	rrdp_notification_free(&n0);
	sync_state_free(&st);
}

static void
test_sessions_and_serials(void **unused)
{
	static const struct ref d5[] = {
		{ 5, FIG1_1774 }, { 4, FIG1_1773 }
	};
	static const struct ref d8[] = {
		{ 8, FIG3_1775 }, { 7, FIG3_1774 }, { 6, FIG3_1773 },
		{ 5, FIG1_1774 }, { 4, FIG1_1773 }
	};
	static const struct ref d8short[] = {
		{ 8, FIG3_1775 }, { 7, FIG3_1774 }
	};
	static const struct ref d8from6[] = {
		{ 8, FIG3_1775 }, { 7, FIG3_1774 }, { 6, FIG3_1773 }
	};
	struct rrdp_notification	n5, n;
	struct sync_state		st, empty;
	struct sync_decision		d;
	char				upper[RRDP_SESSION_LEN + 1];
	size_t				i;

	(void)unused;
	make_notif(&n5, OTHER_SESSION, 5, FIG1_SNAP, d5, 2);
	memset(&empty, 0, sizeof(empty));
	sync_decide(&empty, &n5, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_SNAPSHOT);
	assert_int_equal(d.reason, SYNC_WHY_FIRST);
	state_of(&st, &n5);

	/* Current: same session and serial. */
	sync_decide(&st, &n5, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_NONE);
	/* Session ids compare without regard to case (RFC 4122). */
	for (i = 0; i <= RRDP_SESSION_LEN; i++)
		upper[i] = (char)(OTHER_SESSION[i] >= 'a' &&
		    OTHER_SESSION[i] <= 'f' ? OTHER_SESSION[i] - 32 :
		    OTHER_SESSION[i]);
	memcpy(n5.session, upper, sizeof(upper));
	sync_decide(&st, &n5, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_NONE);
	/* A new session: the snapshot. */
	memcpy(n5.session, FIG_SESSION, sizeof(upper));
	sync_decide(&st, &n5, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_SNAPSHOT);
	assert_int_equal(d.reason, SYNC_WHY_NEW_SESSION);
	memcpy(n5.session, OTHER_SESSION, sizeof(upper));
	/* Same serial, another snapshot hash. */
	hash_of(n5.snapshot_hash, FIG3_SNAP);
	sync_decide(&st, &n5, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_SNAPSHOT);
	assert_int_equal(d.reason, SYNC_WHY_SNAPSHOT_CHANGED);

	/* Newer, all deltas since 5 listed: 6..8. */
	make_notif(&n, OTHER_SESSION, 8, FIG3_SNAP, d8, 5);
	sync_decide(&st, &n, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_DELTAS);
	assert_int_equal(d.first, 6);
	assert_int_equal(d.last, 8);
	rrdp_notification_free(&n);
	/* Exactly the ones needed. */
	make_notif(&n, OTHER_SESSION, 8, FIG3_SNAP, d8from6, 3);
	sync_decide(&st, &n, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_DELTAS);
	assert_int_equal(d.first, 6);
	rrdp_notification_free(&n);
	/* Not reaching back to 6: the snapshot. */
	make_notif(&n, OTHER_SESSION, 8, FIG3_SNAP, d8short, 2);
	sync_decide(&st, &n, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_SNAPSHOT);
	assert_int_equal(d.reason, SYNC_WHY_BEHIND);
	rrdp_notification_free(&n);
	/* No deltas at all. */
	make_notif(&n, OTHER_SESSION, 8, FIG3_SNAP, NULL, 0);
	sync_decide(&st, &n, NOW, 3600, &d);
	assert_int_equal(d.reason, SYNC_WHY_BEHIND);
	rrdp_notification_free(&n);
	rrdp_notification_free(&n5);
	sync_state_free(&st);
}

static void
test_regression(void **unused)
{
	static const struct ref d8[] = {
		{ 8, FIG3_1775 }, { 7, FIG3_1774 }
	};
	static const struct ref d6[] = {
		{ 6, FIG1_1774 }
	};
	struct rrdp_notification	n8, n6;
	struct sync_state		st;
	struct sync_decision		d;

	(void)unused;
	make_notif(&n8, OTHER_SESSION, 8, FIG3_SNAP, d8, 2);
	make_notif(&n6, OTHER_SESSION, 6, FIG1_SNAP, d6, 1);
	state_of(&st, &n8);
	/* First seen: refused (the copy stays at 8). */
	sync_decide(&st, &n6, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_REFUSE);
	assert_int_equal(d.reason, SYNC_WHY_REGRESSION_REFUSED);
	assert_non_null(strstr(d.why, "RFC 8182 section 3.4.1"));
	/* Still within the grace time. */
	st.regression_since = NOW - 3599;
	sync_decide(&st, &n6, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_REFUSE);
	/* Lasting: followed from the snapshot. */
	st.regression_since = NOW - 3600;
	sync_decide(&st, &n6, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_SNAPSHOT);
	assert_int_equal(d.reason, SYNC_WHY_REGRESSION);
	/* Grace 0: RFC 8182's relying party, the snapshot at once. */
	st.regression_since = 0;
	sync_decide(&st, &n6, NOW, 0, &d);
	assert_int_equal(d.action, SYNC_ACT_SNAPSHOT);
	rrdp_notification_free(&n8);
	rrdp_notification_free(&n6);
	sync_state_free(&st);
}

static void
test_chain(void **unused)
{
	static const struct ref gap[] = {
		{ 9, FIG3_1775 }, { 8, FIG3_1774 }, { 6, FIG3_1773 }
	};
	static const struct ref stale[] = {
		{ 8, FIG3_1774 }, { 7, FIG3_1773 }
	};
	struct rrdp_notification	n;
	struct sync_state		st;
	struct sync_decision		d;

	(void)unused;
	memset(&st, 0, sizeof(st));
	/* Refused even on a first sync: the copy would list a gap. */
	make_notif(&n, OTHER_SESSION, 9, FIG3_SNAP, gap, 3);
	sync_decide(&st, &n, NOW, 3600, &d);
	assert_int_equal(d.action, SYNC_ACT_REFUSE);
	assert_int_equal(d.reason, SYNC_WHY_CHAIN);
	assert_non_null(strstr(d.why, "RFC 8182 section 3.3.2"));
	assert_non_null(strstr(d.why, "from serial 8 to 6"));
	rrdp_notification_free(&n);
	make_notif(&n, OTHER_SESSION, 9, FIG3_SNAP, stale, 2);
	sync_decide(&st, &n, NOW, 3600, &d);
	assert_int_equal(d.reason, SYNC_WHY_CHAIN);
	assert_non_null(strstr(d.why, "newest delta listed is serial 8"));
	rrdp_notification_free(&n);
}

static void
test_origin(void **unused)
{
	static const struct ref d[] = { { 9, FIG3_1775 } };
	struct rrdp_notification	n;
	char				o[HTTP_MAX_ORIGIN], err[512];

	(void)unused;
	assert_int_equal(http_origin("https://RRDP.example.net/a/b", o,
	    sizeof(o)), 0);
	assert_string_equal(o, "https://rrdp.example.net:443");
	assert_int_equal(http_origin("http://127.0.0.1:8080/x", o,
	    sizeof(o)), 0);
	assert_string_equal(o, "http://127.0.0.1:8080");
	assert_int_equal(http_origin("HTTP://[::1]/x", o, sizeof(o)), 0);
	assert_string_equal(o, "http://[::1]:80");
	assert_int_equal(http_origin("rsync://h/x", o, sizeof(o)), -1);
	assert_int_equal(http_origin("https://user@h/x", o, sizeof(o)), -1);
	assert_int_equal(http_origin("https:///x", o, sizeof(o)), -1);
	assert_int_equal(http_origin("https://h:99999/x", o, sizeof(o)), -1);
	assert_int_equal(http_origin("https://h:8a/x", o, sizeof(o)), -1);
	assert_int_equal(http_same_origin("https://h/a", "https://h:443/b"), 1);
	assert_int_equal(http_same_origin("https://h/a", "http://h/b"), 0);
	assert_int_equal(http_same_origin("https://h/a", "https://h:8443/b"),
	    0);
	assert_int_equal(http_same_origin("https://h/a", "https://h.evil/b"),
	    0);
	assert_int_equal(http_same_origin("https://h/a", "https://h@evil/b"),
	    0);

	make_notif(&n, OTHER_SESSION, 9, FIG3_SNAP, d, 1);
	assert_int_equal(sync_check_origin(
	    "https://rrdp.example.net/notification.xml", &n, err,
	    sizeof(err)), 0);
	assert_int_equal(sync_check_origin(
	    "https://rrdp.example.net:8443/notification.xml", &n, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "RFC 9674 section 3.2"));
	assert_non_null(strstr(err, "snapshot"));
	free(n.deltas[0].uri);
	n.deltas[0].uri = strdup("https://cdn.example.org/9/delta.xml");
	assert_int_equal(sync_check_origin(
	    "https://rrdp.example.net/notification.xml", &n, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "delta 9"));
	rrdp_notification_free(&n);
}

/* --connect-to values: HOST:PORT:ADDR:PORT, as libcurl's CONNECT_TO. */
static void
test_connect_to(void **unused)
{
	(void)unused;
	assert_int_equal(http_connect_to_valid(
	    "rrdp.example.net:443:10.0.0.10:8443"), 1);
	assert_int_equal(http_connect_to_valid("h:443:[2001:db8::1]:443"), 1);
	assert_int_equal(http_connect_to_valid("[::1]:1:127.0.0.1:65535"), 1);
	assert_int_equal(http_connect_to_valid("h:443"), 0);
	assert_int_equal(http_connect_to_valid("h:443:10.0.0.10"), 0);
	assert_int_equal(http_connect_to_valid("h:443:10.0.0.10:0"), 0);
	assert_int_equal(http_connect_to_valid("h:443:10.0.0.10:65536"), 0);
	assert_int_equal(http_connect_to_valid("h:443:10.0.0.10:443:x"), 0);
	assert_int_equal(http_connect_to_valid(":443:10.0.0.10:443"), 0);
	assert_int_equal(http_connect_to_valid("h:443::443"), 0);
	assert_int_equal(http_connect_to_valid("h x:443:a:443"), 0);
	assert_int_equal(http_connect_to_valid("[::1:443:a:443"), 0);
	assert_int_equal(http_connect_to_valid("h:44a:a:443"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc9697_example),
		cmocka_unit_test(test_desync_counts),
		cmocka_unit_test(test_sessions_and_serials),
		cmocka_unit_test(test_regression),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_connect_to),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
