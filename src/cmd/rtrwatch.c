/*
 * rtrwatch: follow RTR caches as a router would (RFC 8210 section 4) and
 * print what a router would hold; or compare two caches.  The protocol
 * side is src/rtr/client.c; this file holds the preference/fallback
 * policy, the timers and the output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "client.h"
#include "encoding.h"
#include "log.h"

#define MAX_CACHES	16

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
"protocol version and one session id.\n"
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
"announcements.\n"
"\n"
"  --format json|csv  format of the full set (json)\n"
"  --once             print the full set of the first cache that answers\n"
"                     and exit\n"
"  --compare A B      fetch the full set of both caches and print the\n"
"                     differences (\"< record\": only in A, \"> record\": only\n"
"                     in B); for monitoring\n"
"  --version N        protocol version to start with (2; a cache that does\n"
"                     not speak it names its own, which is then used)\n"
"  --timeout MS       for connecting and for one whole response (60000)\n"
"  --retry SECONDS    between attempts when no cache answers, and between\n"
"                     tries of a more preferred cache (default: the\n"
"                     cache's retry interval, else 600)\n"
"  --expire SECONDS   use the data for at most this long without a cache\n"
"                     answering (default: the cache's expire interval,\n"
"                     else 7200)\n"
"  --help             print this help and exit\n"
"\n"
"Exit status: 0 success (--compare: the caches agree); 1 --compare: they\n"
"differ; 2 no cache could be synchronised, or a usage error.\n");
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

/* --compare: 0 same, 1 different, 2 error. */
static int
compare(struct rtr_client *a, struct rtr_client *b, int timeout_ms)
{
	struct rtr_set	d;
	struct buf	out;
	size_t		i;
	int		rc;

	if (full_sync(a, timeout_ms) == -1 || full_sync(b, timeout_ms) == -1)
		return 2;
	/* Compare what both versions carry. */
	rtr_set_diff(&a->set, &b->set, &d);
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
	printf("# %s: %zu VRPs, %zu keys, %zu ASPAs (version %d); "
	    "%s: %zu VRPs, %zu keys, %zu ASPAs (version %d); %zu differences\n",
	    a->name, a->set.nvrps, a->set.nkeys, a->set.naspas, a->version,
	    b->name, b->set.nvrps, b->set.nkeys, b->set.naspas, b->version,
	    rtr_set_count(&d));
	buf_free(&out);
	rtr_set_free(&d);
	return rc;
}

/* RFC 8210 section 6: the default expire interval (version 0 has none). */
#define DEFAULT_EXPIRE	7200

static time_t
mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
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

/* The expire interval of the data last taken from cache c. */
static time_t
expire_of(const struct rtr_client *c, unsigned expire_opt)
{
	if (expire_opt)
		return (time_t)expire_opt;
	return c->timers.expire ? (time_t)c->timers.expire : DEFAULT_EXPIRE;
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
	time_t		 next_refresh = 0, next_probe = 0, last_ok = 0;
	time_t		 expire = expire_opt ? expire_opt : DEFAULT_EXPIRE;
	unsigned	 retry;
	int		 active = -1, i, r, printed = 0, rc;

	rtr_set_init(&view);

	for (;;) {
		retry = retry_opt ? retry_opt : active >= 0 &&
		    c[active].timers.retry ? c[active].timers.retry : 600;
		if (active == -1) {
			for (i = 0; i < n; i++)
				if (full_sync(&c[i], timeout_ms) == 0)
					break;
			if (i == n) {
				if (once) {
					rtr_set_free(&view);
					return 2;
				}
				if (printed)
					expire_view(&view, last_ok, expire);
				struct timespec ts = { (time_t)retry, 0 };
				nanosleep(&ts, NULL);
				continue;
			}
			switch_to(c, i, &view, f, &printed, once);
			if (once) {
				rtr_set_free(&view);
				return 0;
			}
			active = i;
			last_ok = mono();
			expire = expire_of(&c[i], expire_opt);
			next_refresh = mono() + (c[i].timers.refresh ?
			    c[i].timers.refresh : 3600);
			next_probe = mono() + retry;
			continue;
		}
		/* Wait for Serial Notify, the refresh timer or a probe. */
		time_t wake = next_refresh;
		if (active > 0 && next_probe < wake)
			wake = next_probe;
		long wait_ms = (long)(wake - mono()) * 1000;
		r = wait_ms > 0 ? rtr_client_wait(&c[active], (int)wait_ms) : 0;
		if (r == -1) {
			log_warn("%s", c[active].err);
			printf("# lost %s: %s\n", c[active].name, c[active].err);
			fflush(stdout);
			/* Fall back: the next attempt starts from the most
			 * preferred cache and prints only the change. */
			for (i = 0; i < n; i++) {
				if (i == active)
					continue;
				if (full_sync(&c[i], timeout_ms) == 0)
					break;
			}
			if (i < n) {
				switch_to(c, i, &view, f, &printed, 0);
				active = i;
				last_ok = mono();
				expire = expire_of(&c[i], expire_opt);
				next_refresh = mono() + (c[i].timers.refresh ?
				    c[i].timers.refresh : 3600);
				next_probe = mono() + retry;
			} else
				active = -1;
			continue;
		}
		if (active > 0 && mono() >= next_probe) {
			next_probe = mono() + retry;
			for (i = 0; i < active; i++)
				if (full_sync(&c[i], timeout_ms) == 0)
					break;
			if (i < active) {
				switch_to(c, i, &view, f, &printed, 0);
				rtr_client_close(&c[active]);
				active = i;
				last_ok = mono();
				expire = expire_of(&c[i], expire_opt);
				next_refresh = mono() + (c[i].timers.refresh ?
				    c[i].timers.refresh : 3600);
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
				next_refresh = mono() + (c[active].timers.refresh ?
				    c[active].timers.refresh : 3600);
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
	char			*end;

	log_init("rtrwatch", 0, LOG_LVL_INFO);
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
			version = (int)strtol(optarg, &end, 10);
			if (*end || version < 0 || version > RTR_VERSION_MAX) {
				fprintf(stderr, "rtrwatch: --version 0, 1 or 2\n");
				return 2;
			}
			break;
		case 't':
			timeout_ms = (int)strtol(optarg, &end, 10);
			if (*end || timeout_ms < 1) {
				fprintf(stderr, "rtrwatch: bad --timeout\n");
				return 2;
			}
			break;
		case 'r':
			retry = (unsigned)strtoul(optarg, &end, 10);
			if (*end || retry < 1) {
				fprintf(stderr, "rtrwatch: bad --retry\n");
				return 2;
			}
			break;
		case 'e':
			expire = (unsigned)strtoul(optarg, &end, 10);
			if (*end || expire < 1) {
				fprintf(stderr, "rtrwatch: bad --expire\n");
				return 2;
			}
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
