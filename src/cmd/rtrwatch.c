/*
 * rtrwatch: follow RTR caches as a router would (RFC 8210 section 4) and
 * print what a router would hold; or compare two caches.  The protocol
 * side is src/rtr/client.c; this file holds the preference/fallback
 * policy, the timers and the output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "buf.h"
#include "client.h"
#include "encoding.h"
#include "log.h"

#define MAX_CACHES	16
/* --timeout: one day, which also keeps deadlines in int milliseconds. */
#define MAX_TIMEOUT_MS	(86400 * 1000)

enum format { FMT_JSON, FMT_CSV };

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rtrwatch [--format json|csv] [--once] [--version N] [--timeout MS]\n"
"                [--retry SECONDS] [--expire SECONDS] HOST:PORT [HOST:PORT ...]\n"
"       rtrwatch --compare [--version N] HOST:PORT HOST:PORT\n"
"\n"
"Follows RPKI-to-Router caches the way a router does (RFC 8210 section 4):\n"
"the caches are given in order of preference; rtrwatch keeps a session to\n"
"the most preferred one that answers, starts with a Reset Query, sends a\n"
"Serial Query on every Serial Notify and when the cache's refresh interval\n"
"(End of Data) runs out, and answers Cache Reset with a Reset Query.  When\n"
"the cache fails it falls back to the next one; while on a less preferred\n"
"cache it tries the preferred ones every retry interval and returns to the\n"
"first that answers.  Every response is checked as a strict router would:\n"
"no record announced twice, no withdrawal of an unknown record, one\n"
"protocol version and one session id (End of Data's too), End of Data\n"
"timers within RFC 8210 section 6 (refresh 1..86400, retry 1..7200,\n"
"expire 600..172800 and larger than both; else an Error Report \"Corrupt\n"
"Data\" is sent back), and at most %u VRPs, %u router keys and\n"
"%u ASPAs, SPKIs of at most %u bytes (bounds.h); a response that\n"
"fails any check changes nothing and counts as a failed try.  A Serial\n"
"Notify that arrives during a response, for a newer serial than its End\n"
"of Data, is answered by a Serial Query at once.\n"
"\n"
"Output: the full set once synchronised (rpki-client style JSON with\n"
"\"roas\", \"bgpsec_keys\" and \"aspas\", or CSV of the VRPs:\n"
"ASN,IP Prefix,Max Length), then one line per change:\n"
"  + vrp 192.0.2.0/24-24 AS64496      - key AS65000 SKI SPKI\n"
"  + aspa AS64496 AS64497,AS64498     - aspa AS64496\n"
"and \"# serial N from HOST:PORT\" after each update, \"# switched to ...\"\n"
"when the cache changes.  When no cache has answered for the expire\n"
"interval (End of Data; 7200 s for version 0), the data must not be used\n"
"any more (RFC 8210 section 6): every record is printed as withdrawn,\n"
"then \"# expired ...\", and the next cache that answers is printed as\n"
"announcements.  Expiry is checked after every failed try, and while no\n"
"cache answers the next round of tries starts after the retry interval\n"
"or when the data expires, whichever comes first.\n"
"\n"
"  --format json|csv  format of the full set (json)\n"
"  --once             print the full set of the first cache that answers\n"
"                     and exit\n"
"  --compare A B      fetch the full set of both caches and print the\n"
"                     differences (\"< record\": only in A, \"> record\": only\n"
"                     in B); only the record types both negotiated\n"
"                     versions carry are compared (0: VRPs; 1: and router\n"
"                     keys; 2: and ASPAs), as a \"# compared:\" line says;\n"
"                     for monitoring\n"
"  --version N        protocol version to start with, 0..2 (2; a cache\n"
"                     that does not speak it names its own, then used)\n"
"  --timeout MS       for connecting and for one whole response,\n"
"                     1..86400000 (60000)\n"
"  --retry SECONDS    between attempts when no cache answers, and between\n"
"                     tries of a more preferred cache, 1..7200 (default:\n"
"                     the retry interval of the cache whose data is held,\n"
"                     also once it stopped answering; else 600)\n"
"  --expire SECONDS   use the data for at most this long without a cache\n"
"                     answering, 1..172800 (default: the cache's expire\n"
"                     interval, else 7200)\n"
"  --help             print this help and exit\n"
"\n"
"Exit status: 0 success (--compare: the caches agree); 1 --compare: they\n"
"differ; 2 no cache could be synchronised, or a usage error.\n",
	    RTR_MAX_VRPS, RTR_MAX_ROUTER_KEYS, RTR_MAX_ASPAS, RTR_MAX_SPKI_LEN);
}

/*
 * A decimal number in lo..hi for option opt into *out: 0, or -1 after
 * a usage error naming the option and the range.
 */
static int
number(const char *opt, const char *s, long long lo, long long hi,
    long long *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "rtrwatch: --%s: want a number in %lld..%lld\n",
		    opt, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static void
fmt_vrp(struct buf *b, const struct rtr_vrp *v)
{
	char	a[INET6_ADDRSTRLEN];

	inet_ntop(v->afi == 4 ? AF_INET : AF_INET6, v->addr, a, sizeof(a));
	buf_printf(b, "vrp %s/%u-%u AS%u", a, v->plen, v->maxlen, v->asn);
}

static void
fmt_key(struct buf *b, const struct rtr_rkey *k)
{
	char	ski[41];

	hex_encode(ski, k->ski, 20);
	buf_printf(b, "key AS%u %s ", k->asn, ski);
	b64_encode(b, k->spki, k->spki_len);
}

static void
fmt_aspa(struct buf *b, const struct rtr_aspa *a, int with_providers)
{
	size_t	i;

	buf_printf(b, "aspa AS%u", a->customer);
	if (!with_providers)
		return;
	for (i = 0; i < a->nprov; i++)
		buf_printf(b, "%sAS%u", i ? "," : " ", a->prov[i]);
}

/* One line per record of diff d, prefixed with + or -. */
static void
print_changes(const struct rtr_set *d)
{
	struct buf	b;
	size_t		i;
	int		pass;

	buf_init(&b);
	for (pass = 0; pass < 2; pass++) {	/* withdrawals first */
		for (i = 0; i < d->nvrps; i++)
			if ((d->vrps[i].flags & RTR_FLAG_ANNOUNCE) == pass) {
				buf_adds(&b, pass ? "+ " : "- ");
				fmt_vrp(&b, &d->vrps[i]);
				buf_addc(&b, '\n');
			}
		for (i = 0; i < d->nkeys; i++)
			if ((d->keys[i].flags & RTR_FLAG_ANNOUNCE) == pass) {
				buf_adds(&b, pass ? "+ " : "- ");
				fmt_key(&b, &d->keys[i]);
				buf_addc(&b, '\n');
			}
		for (i = 0; i < d->naspas; i++)
			if ((d->aspas[i].flags & RTR_FLAG_ANNOUNCE) == pass) {
				buf_adds(&b, pass ? "+ " : "- ");
				fmt_aspa(&b, &d->aspas[i], pass);
				buf_addc(&b, '\n');
			}
	}
	if (b.len > 0)
		fwrite(b.data, 1, b.len, stdout);
	fflush(stdout);
	buf_free(&b);
}

static void
print_set(const struct rtr_client *c, enum format f)
{
	const struct rtr_set	*s = &c->set;
	struct buf		 b;
	char			 a[INET6_ADDRSTRLEN], ski[41];
	size_t			 i, j;

	buf_init(&b);
	if (f == FMT_CSV) {
		buf_adds(&b, "ASN,IP Prefix,Max Length\n");
		for (i = 0; i < s->nvrps; i++) {
			inet_ntop(s->vrps[i].afi == 4 ? AF_INET : AF_INET6,
			    s->vrps[i].addr, a, sizeof(a));
			buf_printf(&b, "AS%u,%s/%u,%u\n", s->vrps[i].asn, a,
			    s->vrps[i].plen, s->vrps[i].maxlen);
		}
		goto done;
	}
	buf_printf(&b, "{\"metadata\":{\"cache\":\"%s\",\"session_id\":%u,"
	    "\"serial\":%u,\"version\":%d,\"vrps\":%zu,\"bgpsec_keys\":%zu,"
	    "\"aspas\":%zu},\n\"roas\":[", c->name, c->session_id, c->serial,
	    c->version, s->nvrps, s->nkeys, s->naspas);
	for (i = 0; i < s->nvrps; i++) {
		inet_ntop(s->vrps[i].afi == 4 ? AF_INET : AF_INET6,
		    s->vrps[i].addr, a, sizeof(a));
		buf_printf(&b, "%s\n{\"asn\":%u,\"prefix\":\"%s/%u\",\"maxLength\":%u}",
		    i ? "," : "", s->vrps[i].asn, a, s->vrps[i].plen,
		    s->vrps[i].maxlen);
	}
	buf_adds(&b, "],\n\"bgpsec_keys\":[");
	for (i = 0; i < s->nkeys; i++) {
		hex_encode(ski, s->keys[i].ski, 20);
		buf_printf(&b, "%s\n{\"asn\":%u,\"ski\":\"%s\",\"pubkey\":\"",
		    i ? "," : "", s->keys[i].asn, ski);
		b64_encode(&b, s->keys[i].spki, s->keys[i].spki_len);
		buf_adds(&b, "\"}");
	}
	buf_adds(&b, "],\n\"aspas\":[");
	for (i = 0; i < s->naspas; i++) {
		buf_printf(&b, "%s\n{\"customer_asid\":%u,\"providers\":[",
		    i ? "," : "", s->aspas[i].customer);
		for (j = 0; j < s->aspas[i].nprov; j++)
			buf_printf(&b, "%s%u", j ? "," : "", s->aspas[i].prov[j]);
		buf_adds(&b, "]}");
	}
	buf_adds(&b, "]}\n");
done:
	fwrite(b.data, 1, b.len, stdout);
	fflush(stdout);
	buf_free(&b);
}

/* Full sync of c (connect if needed). 0 or -1 (logged). */
static int
full_sync(struct rtr_client *c, int timeout_ms)
{
	if (rtr_client_sync(c, 1, timeout_ms, NULL) == 0)
		return 0;
	log_warn("%s", c->err);
	return -1;
}

/*
 * --compare: 0 same, 1 different, 2 error.  Only the record types both
 * negotiated versions carry are compared: version 0 has prefixes only,
 * version 1 adds router keys (RFC 8210 section 5.10), version 2 ASPAs
 * (draft-ietf-sidrops-8210bis section 5.12).  A cache that speaks a
 * lower version cannot show the others, so they are no difference.
 */
static int
compare(struct rtr_client *a, struct rtr_client *b, int timeout_ms)
{
	static const char *const types[RTR_NVERSIONS] = {
		"VRPs (version 0 has no router keys nor ASPAs)",
		"VRPs, router keys (version 1 has no ASPAs)",
		"VRPs, router keys, ASPAs",
	};
	struct rtr_set	sa, sb, d;
	struct buf	out;
	size_t		i;
	int		rc, vmin;

	if (full_sync(a, timeout_ms) == -1 || full_sync(b, timeout_ms) == -1)
		return 2;
	vmin = a->version < b->version ? a->version : b->version;
	/* Shallow copies with the other types cut off: read, never freed. */
	sa = a->set;
	sb = b->set;
	if (vmin < 1)
		sa.nkeys = sb.nkeys = 0;
	if (vmin < 2)
		sa.naspas = sb.naspas = 0;
	rtr_set_diff(&sa, &sb, &d);
	buf_init(&out);
	for (i = 0; i < d.nvrps; i++) {
		buf_adds(&out, d.vrps[i].flags ? "> " : "< ");
		fmt_vrp(&out, &d.vrps[i]);
		buf_addc(&out, '\n');
	}
	for (i = 0; i < d.nkeys; i++) {
		buf_adds(&out, d.keys[i].flags ? "> " : "< ");
		fmt_key(&out, &d.keys[i]);
		buf_addc(&out, '\n');
	}
	for (i = 0; i < d.naspas; i++) {
		if (d.aspas[i].had_old && (d.aspas[i].flags & RTR_FLAG_ANNOUNCE)) {
			/* same customer, other providers: both sides */
			struct rtr_aspa	old = d.aspas[i];

			old.prov = old.old;
			old.nprov = old.nold;
			buf_adds(&out, "< ");
			fmt_aspa(&out, &old, 1);
			buf_addc(&out, '\n');
		}
		if (d.aspas[i].flags & RTR_FLAG_ANNOUNCE) {
			buf_adds(&out, "> ");
			fmt_aspa(&out, &d.aspas[i], 1);
		} else {
			struct rtr_aspa	old = d.aspas[i];

			old.prov = old.old;
			old.nprov = old.nold;
			buf_adds(&out, "< ");
			fmt_aspa(&out, &old, 1);
		}
		buf_addc(&out, '\n');
	}
	if (out.len > 0)
		fwrite(out.data, 1, out.len, stdout);
	rc = rtr_set_count(&d) ? 1 : 0;
	printf("# compared: %s\n", types[vmin]);
	printf("# %s: %zu VRPs, %zu keys, %zu ASPAs (version %d); "
	    "%s: %zu VRPs, %zu keys, %zu ASPAs (version %d); %zu differences\n",
	    a->name, a->set.nvrps, a->set.nkeys, a->set.naspas, a->version,
	    b->name, b->set.nvrps, b->set.nkeys, b->set.naspas, b->version,
	    rtr_set_count(&d));
	buf_free(&out);
	rtr_set_free(&d);
	return rc;
}

static time_t
mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Milliseconds from now to monotonic second t, in 0..INT_MAX for poll. */
static int
ms_until(time_t t)
{
	time_t	left = t - mono();

	if (left <= 0)
		return 0;
	if (left > INT_MAX / 1000)
		return INT_MAX;
	return (int)left * 1000;
}

/*
 * Make cache `to` the active one: print its set the first time, else the
 * change from what was shown (view), which then becomes its set.
 */
static void
switch_to(struct rtr_client *c, int to, struct rtr_set *view, enum format f,
    int *printed, int once)
{
	struct rtr_set	d;

	if (!*printed) {
		print_set(&c[to], f);
		*printed = 1;
		if (once)
			return;		/* the output is only the set */
	} else {
		rtr_set_diff(view, &c[to].set, &d);
		print_changes(&d);
		rtr_set_free(&d);
	}
	rtr_set_free(view);
	rtr_set_copy(view, &c[to].set);
	printf("# switched to %s (version %d, session %u, serial %u)\n",
	    c[to].name, c[to].version, c[to].session_id, c[to].serial);
	fflush(stdout);
}

/*
 * No cache has answered for the expire interval since last_ok: the data
 * must not be used any more (RFC 8210 section 6).  Print every record of
 * the view as withdrawn and empty it, once; the next cache to answer is
 * then printed as announcements by switch_to.
 */
static void
expire_view(struct rtr_set *view, time_t last_ok, time_t expire)
{
	struct rtr_set	empty, d;

	if (rtr_set_count(view) == 0 || mono() - last_ok <= expire)
		return;
	rtr_set_init(&empty);
	rtr_set_diff(view, &empty, &d);
	print_changes(&d);
	rtr_set_free(&d);
	printf("# expired: no cache answered for %lld s (expire interval "
	    "%lld s, RFC 8210 section 6); %zu records withdrawn\n",
	    (long long)(mono() - last_ok), (long long)expire,
	    rtr_set_count(view));
	fflush(stdout);
	rtr_set_free(view);
	rtr_set_init(view);
}

/*
 * The intervals of the data last taken from cache c (NULL: none yet):
 * the option, else End of Data's (the client refuses any outside RFC
 * 8210 section 6), else the section's defaults (version 0 has no timers,
 * and a cache never synchronised gives none).
 */
static time_t
refresh_of(const struct rtr_client *c)
{
	return c->timers.refresh ? c->timers.refresh : RTR_REFRESH_DEFAULT;
}

static time_t
retry_of(const struct rtr_client *c, unsigned retry_opt)
{
	if (retry_opt)
		return (time_t)retry_opt;
	return c != NULL && c->timers.retry ? c->timers.retry :
	    RTR_RETRY_DEFAULT;
}

static time_t
expire_of(const struct rtr_client *c, unsigned expire_opt)
{
	if (expire_opt)
		return (time_t)expire_opt;
	return c->timers.expire ? (time_t)c->timers.expire : RTR_EXPIRE_DEFAULT;
}

/*
 * Try caches 0..n-1 but skip in order of preference until one gives its
 * full set: its index, or -1.  With a view, the data is expired after
 * each failed try once it is due (RFC 8210 section 6): a try can take
 * the whole timeout, and there may be many caches.
 */
static int
try_caches(struct rtr_client *c, int n, int skip, int timeout_ms,
    struct rtr_set *view, time_t last_ok, time_t expire)
{
	int	i;

	for (i = 0; i < n; i++) {
		if (i == skip)
			continue;
		if (full_sync(&c[i], timeout_ms) == 0)
			return i;
		if (view != NULL)
			expire_view(view, last_ok, expire);
	}
	return -1;
}

/*
 * Follow the caches forever (RFC 8210 section 4).  Returns 2 only if
 * --once and nothing answered.
 */
static int
follow(struct rtr_client *c, int n, enum format f, int once, int timeout_ms,
    unsigned retry_opt, unsigned expire_opt)
{
	struct rtr_set	 d, view;
	struct timespec	 ts;
	time_t		 next_refresh = 0, next_probe = 0, last_ok = 0;
	time_t		 expire = expire_opt ? expire_opt : RTR_EXPIRE_DEFAULT;
	time_t		 retry, wake, left;
	int		 active = -1, held = -1, i, r, printed = 0, rc;

	rtr_set_init(&view);

	for (;;) {
		/* The retry interval of the cache whose data is held, also
		 * once it stopped answering (RFC 8210 section 6). */
		retry = retry_of(held >= 0 ? &c[held] : NULL, retry_opt);
		if (active == -1) {
			/* Due already if the last round ran past it. */
			expire_view(&view, last_ok, expire);
			i = try_caches(c, n, -1, timeout_ms, &view, last_ok,
			    expire);
			if (i == -1) {
				if (once) {
					rtr_set_free(&view);
					return 2;
				}
				/* The next round after the retry interval, or
				 * at the expiry if that comes first: the data
				 * is withdrawn when due, not a retry late. */
				wake = retry;
				left = last_ok + expire + 1 - mono();
				if (rtr_set_count(&view) > 0 && left < wake)
					wake = left > 1 ? left : 1;
				ts.tv_sec = wake;
				ts.tv_nsec = 0;
				nanosleep(&ts, NULL);
				continue;
			}
			switch_to(c, i, &view, f, &printed, once);
			if (once) {
				rtr_set_free(&view);
				return 0;
			}
			active = held = i;
			last_ok = mono();
			expire = expire_of(&c[i], expire_opt);
			next_refresh = mono() + refresh_of(&c[i]);
			next_probe = mono() + retry_of(&c[i], retry_opt);
			continue;
		}
		/* Wait for Serial Notify, the refresh timer or a probe. */
		wake = next_refresh;
		if (active > 0 && next_probe < wake)
			wake = next_probe;
		r = rtr_client_wait(&c[active], ms_until(wake));
		if (r == -1) {
			log_warn("%s", c[active].err);
			printf("# lost %s: %s\n", c[active].name, c[active].err);
			fflush(stdout);
			/* Fall back: the next attempt starts from the most
			 * preferred cache and prints only the change. */
			i = try_caches(c, n, active, timeout_ms, &view, last_ok,
			    expire);
			if (i >= 0) {
				switch_to(c, i, &view, f, &printed, 0);
				active = held = i;
				last_ok = mono();
				expire = expire_of(&c[i], expire_opt);
				next_refresh = mono() + refresh_of(&c[i]);
				next_probe = mono() + retry_of(&c[i], retry_opt);
			} else
				active = -1;
			continue;
		}
		if (active > 0 && mono() >= next_probe) {
			next_probe = mono() + retry;
			/* The active cache still answers: its data is good. */
			i = try_caches(c, active, -1, timeout_ms, NULL, 0, 0);
			if (i >= 0) {
				switch_to(c, i, &view, f, &printed, 0);
				rtr_client_close(&c[active]);
				active = held = i;
				last_ok = mono();
				expire = expire_of(&c[i], expire_opt);
				next_refresh = mono() + refresh_of(&c[i]);
				next_probe = mono() + retry_of(&c[i], retry_opt);
				continue;
			}
		}
		if (r == 1 || mono() >= next_refresh) {
			rtr_set_init(&d);
			rc = rtr_client_sync(&c[active], 0, timeout_ms, &d);
			if (rc == 1) {		/* Cache Reset */
				printf("# Cache Reset from %s\n", c[active].name);
				rc = rtr_client_sync(&c[active], 1, timeout_ms, &d);
			}
			if (rc == 0) {
				print_changes(&d);
				rtr_set_free(&view);
				rtr_set_copy(&view, &c[active].set);
				printf("# serial %u from %s\n", c[active].serial,
				    c[active].name);
				fflush(stdout);
				last_ok = mono();
				expire = expire_of(&c[active], expire_opt);
				next_refresh = mono() + refresh_of(&c[active]);
			} else {
				log_warn("%s", c[active].err);
				/* Connected but not answering: the data ages
				 * all the same. */
				expire_view(&view, last_ok, expire);
			}
			rtr_set_free(&d);
		}
	}
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "once", no_argument, NULL, 'o' },
		{ "compare", no_argument, NULL, 'c' },
		{ "version", required_argument, NULL, 'v' },
		{ "timeout", required_argument, NULL, 't' },
		{ "retry", required_argument, NULL, 'r' },
		{ "expire", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct rtr_client	 c[MAX_CACHES];
	enum format		 f = FMT_JSON;
	int			 ch, once = 0, cmp = 0, version = 2, i, n, rc;
	int			 timeout_ms = 60000;
	unsigned		 retry = 0, expire = 0;
	long long		 v;

	log_init("rtrwatch", 0, LOG_LVL_INFO);
	/* A cache that resets the connection fails the write (EPIPE), it
	 * does not end the program; the client also writes with
	 * MSG_NOSIGNAL, this covers every other descriptor. */
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "f:ocv:t:r:e:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				f = FMT_JSON;
			else if (strcmp(optarg, "csv") == 0)
				f = FMT_CSV;
			else {
				usage(stderr);
				return 2;
			}
			break;
		case 'o':
			once = 1;
			break;
		case 'c':
			cmp = 1;
			break;
		case 'v':
			if (number("version", optarg, RTR_VERSION_MIN,
			    RTR_VERSION_MAX, &v) == -1)
				return 2;
			version = (int)v;
			break;
		case 't':
			if (number("timeout", optarg, 1, MAX_TIMEOUT_MS, &v) == -1)
				return 2;
			timeout_ms = (int)v;
			break;
		/* RFC 8210 section 6's upper bounds; --expire may be below
		 * the 600 s a cache must give, to be stricter than it. */
		case 'r':
			if (number("retry", optarg, RTR_RETRY_MIN, RTR_RETRY_MAX,
			    &v) == -1)
				return 2;
			retry = (unsigned)v;
			break;
		case 'e':
			if (number("expire", optarg, 1, RTR_EXPIRE_MAX, &v) == -1)
				return 2;
			expire = (unsigned)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	n = argc - optind;
	if (n < 1 || n > MAX_CACHES || (cmp && n != 2)) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < n; i++)
		if (rtr_client_init(&c[i], argv[optind + i], version) == -1) {
			fprintf(stderr, "rtrwatch: %s: want HOST:PORT or "
			    "[HOST]:PORT\n", argv[optind + i]);
			return 2;
		}
	if (cmp)
		rc = compare(&c[0], &c[1], timeout_ms);
	else
		rc = follow(c, n, f, once, timeout_ms, retry, expire);
	for (i = 0; i < n; i++)
		rtr_client_free(&c[i]);
	return rc;
}
