/*
 * pubload: RFC 8181 publication load generator for rpkipubd.
 *
 * Phases:
 *   setup     N publisher BPKI identities (bpki_create) in a temporary
 *             directory, each registered through the admin API; the
 *             repository_response gives its service URI and sia_base.
 *   sign      every query is built and CMS-signed before the clock
 *             starts, so the client's RSA signing does not compete with
 *             the server for the CPUs.
 *   send      C threads, one libcurl handle each (keep-alive), send
 *             their queries and time each one (CLOCK_MONOTONIC); every
 *             reply must verify against the server's BPKI TA and hold
 *             one <success/>.
 *   report    one summary block (throughput, latency percentiles,
 *             CPU of both sides, server peak RSS).
 *
 * Ordering (RFC 6492 section 3.1.2, replay protection): the server
 * refuses a signing-time older than the last one it accepted from the
 * same publisher.  Publisher p belongs to thread p % C, which signs and
 * later sends its queries in the same order, so each publisher's
 * signing-times never go backwards on the wire.
 */
#define _XOPEN_SOURCE	700	/* nftw() */

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "admin_client.h"
#include "bpki.h"
#include "buf.h"
#include "cms.h"
#include "config.h"
#include "encoding.h"
#include "fileio.h"
#include "bounds.h"
#include "log.h"
#include "pubd.h"
#include "rfc8181_msg.h"
#include "rfc8183.h"

/* Defaults, as the README's figures were measured. */
#define PUBLOAD_DEF_PUBLISHERS	100
#define PUBLOAD_DEF_OBJECTS	50000
#define PUBLOAD_DEF_SIZE	2048
#define PUBLOAD_DEF_PDUS	10
#define PUBLOAD_DEF_CONCURRENCY	20

/* Bounds of the options. */
#define PUBLOAD_MAX_PUBLISHERS	10000
#define PUBLOAD_MAX_OBJECTS	10000000
#define PUBLOAD_MAX_CONCURRENCY	MAX_CONNECTIONS	/* what the server accepts */

/* A reply (signed XML with one PDU) is small; anything larger is wrong. */
#define PUBLOAD_MAX_REPLY	(1024 * 1024)
#define PUBLOAD_CONNECT_TIMEOUT	5L	/* seconds */
#define PUBLOAD_HTTP_TIMEOUT	300L	/* seconds, one query */
/* Object file names: hex of this many bytes, like a key identifier. */
#define PUBLOAD_NAME_BYTES	20
/* Progress lines per phase. */
#define PUBLOAD_PROGRESS_STEPS	10
/* Distinct failure reasons printed at the end (one per thread). */
#define PUBLOAD_ERRORS_SHOWN	10
#define PUBLOAD_ERROR_LEN	512
/* Poll interval while waiting for the next second of signing-time. */
#define PUBLOAD_SECOND_POLL_NS	10000000L

struct pubload_opts {
	const char	*data_dir;
	size_t		 publishers;
	size_t		 objects;
	size_t		 size;
	size_t		 pdus;
	size_t		 concurrency;
	long		 server_pid;	/* 0: not given */
};

struct publisher {
	char		 handle[64];
	char		*dir;		/* its BPKI files */
	char		*service_uri;	/* from the repository_response */
	char		*sia_base;
	struct bpki	*bpki;
	/* Signing-times: see pubload_sign_wait(). */
	time_t		 sign_second;
	size_t		 sign_count;
};

struct query {
	size_t		 publisher;
	size_t		 first;		/* global index of its first object */
	size_t		 nobjects;
	uint8_t		*der;		/* the signed CMS */
	size_t		 len;
	double		 latency_ms;
	int		 ok;		/* verified <success/> */
};

struct pubload;

struct worker {
	struct pubload	*pl;
	pthread_t	 thread;
	size_t		 id;
	X509		*server_ta;	/* own copy: nothing shared across threads */
	CURL		*curl;
	struct buf	 reply;
	size_t		 failures;
	char		 error[PUBLOAD_ERROR_LEN];	/* the first failure */
};

struct pubload {
	struct pubload_opts	 o;
	struct config		*cfg;
	char			 token[2 * CONFIG_TOKEN_BYTES + 1];
	uint8_t			*server_ta;	/* DER */
	size_t			 server_ta_len;
	char			*tmpdir;
	char			 tag[9];	/* hex: this run's handles */
	uint64_t		 seed;		/* object names and content */
	struct publisher	*pubs;
	struct query		*queries;
	size_t			 nqueries;
	struct worker		*workers;
	size_t			 nworkers;
	struct timespec		 phase_start;
	atomic_size_t		 progress;
};

static void
pubload_usage(FILE *f)
{
	fprintf(f,
"usage: pubload --data-dir DIR [--publishers N] [--objects M] [--size BYTES]\n"
"               [--pdus P] [--concurrency C] [--server-pid PID]\n"
"\n"
"RFC 8181 load generator for a running rpkipubd.  Registers N publishers\n"
"through the admin API, signs ceil(M / P) publish queries in advance, then\n"
"sends them from C threads (one keep-alive connection each) and reports\n"
"objects/s, queries/s and the latency of each query.  Every reply must be\n"
"a <success/> signed by the server's BPKI; any failure is reported and\n"
"makes the exit status 1.\n"
"\n"
"  --data-dir DIR      the server's instance: rpkipubd.conf, admin.token,\n"
"                      bpki/ta.cer\n"
"  --publishers N      publishers, assigned to threads round-robin\n"
"                      (default %d)\n"
"  --objects M         objects published in total (default %d)\n"
"  --size BYTES        size of each object, pseudo-random (default %d)\n"
"  --pdus P            publish PDUs per query (default %d)\n"
"  --concurrency C     sending threads (default %d; at most N are used)\n"
"  --server-pid PID    read the server's CPU time and peak RSS (VmHWM)\n"
"                      from /proc/PID\n"
"  --help              this text\n"
"\n"
"Identities are created under ${TMPDIR:-/tmp} and removed at the end.\n"
"Exit status: 0 if every query succeeded, 1 otherwise.\n",
	    PUBLOAD_DEF_PUBLISHERS, PUBLOAD_DEF_OBJECTS, PUBLOAD_DEF_SIZE,
	    PUBLOAD_DEF_PDUS, PUBLOAD_DEF_CONCURRENCY);
}

/* Parse a decimal number in [min, max]; 0 or -1 (reported). */
static int
pubload_number(const char *opt, const char *s, size_t min, size_t max,
    size_t *out)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || s[0] == '\0' || s[0] == '-' ||
	    v < min || v > max) {
		fprintf(stderr, "pubload: --%s: want a number from %zu to "
		    "%zu, not \"%s\"\n", opt, min, max, s);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

/* 0, 1 for --help, or -1 (reported). */
static int
pubload_opts_parse(int argc, char **argv, struct pubload_opts *o)
{
	static const struct option longopts[] = {
		{ "data-dir",		required_argument, NULL, 'd' },
		{ "publishers",		required_argument, NULL, 'n' },
		{ "objects",		required_argument, NULL, 'm' },
		{ "size",		required_argument, NULL, 's' },
		{ "pdus",		required_argument, NULL, 'p' },
		{ "concurrency",	required_argument, NULL, 'c' },
		{ "server-pid",		required_argument, NULL, 'P' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	size_t	pid;
	int	ch, idx;

	memset(o, 0, sizeof(*o));
	o->publishers = PUBLOAD_DEF_PUBLISHERS;
	o->objects = PUBLOAD_DEF_OBJECTS;
	o->size = PUBLOAD_DEF_SIZE;
	o->pdus = PUBLOAD_DEF_PDUS;
	o->concurrency = PUBLOAD_DEF_CONCURRENCY;
	while ((ch = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		const char	*name = ch == '?' ? "" : longopts[idx].name;
		int		 rc = 0;

		switch (ch) {
		case 'd':
			o->data_dir = optarg;
			break;
		case 'n':
			rc = pubload_number(name, optarg, 1,
			    PUBLOAD_MAX_PUBLISHERS, &o->publishers);
			break;
		case 'm':
			rc = pubload_number(name, optarg, 1,
			    PUBLOAD_MAX_OBJECTS, &o->objects);
			break;
		case 's':
			rc = pubload_number(name, optarg, 1, MAX_OBJECT_SIZE,
			    &o->size);
			break;
		case 'p':
			rc = pubload_number(name, optarg, 1,
			    MAX_PDUS_PER_QUERY, &o->pdus);
			break;
		case 'c':
			rc = pubload_number(name, optarg, 1,
			    PUBLOAD_MAX_CONCURRENCY, &o->concurrency);
			break;
		case 'P':
			rc = pubload_number(name, optarg, 1, INT32_MAX, &pid);
			o->server_pid = (long)pid;
			break;
		case 'h':
			pubload_usage(stdout);
			return 1;
		default:
			pubload_usage(stderr);
			return -1;
		}
		if (rc == -1)
			return -1;
	}
	if (optind != argc || o->data_dir == NULL) {
		pubload_usage(stderr);
		return -1;
	}
	return 0;
}

static double
pubload_elapsed(const struct timespec *since)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	    (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* SplitMix64: a bijective mixer, so distinct inputs give distinct names. */
static uint64_t
pubload_mix(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* Pseudo-random bytes from a stream seeded by seed. */
static void
pubload_fill(uint8_t *p, size_t len, uint64_t seed)
{
	uint64_t	v;
	size_t		n;

	while (len > 0) {
		v = pubload_mix(seed++);
		n = len < sizeof(v) ? len : sizeof(v);
		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
}

/*
 * The rsync URI of object i: sia_base, a 40-hex name and an extension in
 * the mix a CA publishes: mostly ROAs, some child certificates and ASPA
 * objects.  The name's first 8 bytes are pubload_mix(seed ^ i), a
 * bijection of i, so no two objects share a URI.
 */
static void
pubload_object_uri(const struct pubload *pl, const struct publisher *pub,
    size_t i, struct buf *uri)
{
	uint8_t		 name[PUBLOAD_NAME_BYTES];
	char		 hex[2 * PUBLOAD_NAME_BYTES + 1];
	uint64_t	 id = pubload_mix(pl->seed ^ (uint64_t)i);
	const char	*ext;

	memcpy(name, &id, sizeof(id));
	pubload_fill(name + sizeof(id), sizeof(name) - sizeof(id), id);
	hex_encode(hex, name, sizeof(name));
	ext = i % 10 == 0 ? "cer" : i % 25 == 1 ? "asa" : "roa";
	buf_free(uri);
	buf_printf(uri, "%s%s.%s", pub->sia_base, hex, ext);
}

/* Progress of a phase on stderr, PUBLOAD_PROGRESS_STEPS lines at most. */
static void
pubload_progress(struct pubload *pl, const char *phase, size_t total)
{
	size_t	done = atomic_fetch_add(&pl->progress, 1) + 1;
	size_t	step = total / PUBLOAD_PROGRESS_STEPS;

	if (step == 0)
		step = 1;
	if (done % step == 0 || done == total)
		fprintf(stderr, "pubload: %s: %zu/%zu (%.1f s)\n", phase, done,
		    total, pubload_elapsed(&pl->phase_start));
}

/* Threads: publisher p belongs to thread p % nworkers. */
static int
pubload_owns(const struct worker *w, size_t publisher)
{
	return publisher % w->pl->nworkers == w->id;
}

/* Run fn in every worker thread and wait for all of them. */
static void
pubload_run(struct pubload *pl, void *(*fn)(void *))
{
	size_t	i;

	atomic_store(&pl->progress, 0);
	clock_gettime(CLOCK_MONOTONIC, &pl->phase_start);
	for (i = 0; i < pl->nworkers; i++)
		if (pthread_create(&pl->workers[i].thread, NULL, fn,
		    &pl->workers[i]) != 0)
			fatalx("pubload: cannot start a thread");
	for (i = 0; i < pl->nworkers; i++)
		pthread_join(pl->workers[i].thread, NULL);
}

/* Record a failure of w; the first reason is kept. */
static void
worker_fail(struct worker *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list	ap;

	if (w->failures++ > 0)
		return;
	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
}

/*
 * Register pub through the admin API (POST /v1/publishers with an
 * RFC 8183 publisher_request) and take its service URI and sia_base
 * from the repository_response.  0 or -1 (reason in w).
 */
static int
publisher_register(struct worker *w, struct publisher *pub)
{
	struct pubload				*pl = w->pl;
	struct rfc8183_publisher_request	 req;
	struct rfc8183_repository_response	*resp = NULL;
	struct buf				 body, out;
	char					 err[256];
	long					 status = 0;
	int					 rc = -1;

	buf_init(&body);
	buf_init(&out);
	memset(&req, 0, sizeof(req));
	req.handle = pub->handle;
	if ((req.bpki_ta = bpki_cert_der(pub->bpki->ta, &req.bpki_ta_len)) ==
	    NULL) {
		worker_fail(w, "%s: cannot encode the BPKI TA", pub->handle);
		goto out;
	}
	rfc8183_write_publisher_request(&body, &req);
	if (admin_client_request(pl->cfg, pl->token, "POST", "/v1/publishers",
	    body.data, body.len, &status, &out) != 0) {
		worker_fail(w, "%s: admin request to %s failed", pub->handle,
		    pl->cfg->admin_listen);
		goto out;
	}
	if (status != 200) {
		worker_fail(w, "%s: registration refused: HTTP %ld: %.200s",
		    pub->handle, status, buf_str(&out));
		goto out;
	}
	if (rfc8183_parse_repository_response(out.data, out.len, &resp, err,
	    sizeof(err)) == -1) {
		worker_fail(w, "%s: repository_response: %s", pub->handle,
		    err);
		goto out;
	}
	pub->service_uri = resp->service_uri;
	pub->sia_base = resp->sia_base;
	resp->service_uri = resp->sia_base = NULL;
	rc = 0;
 out:
	rfc8183_repository_response_free(resp);
	free(req.bpki_ta);
	buf_free(&body);
	buf_free(&out);
	return rc;
}

/* Phase 1, per thread: create and register the thread's publishers. */
static void *
worker_setup(void *arg)
{
	struct worker		*w = arg;
	struct pubload		*pl = w->pl;
	struct publisher	*pub;
	size_t			 p;

	for (p = 0; p < pl->o.publishers && w->failures == 0; p++) {
		if (!pubload_owns(w, p))
			continue;
		pub = &pl->pubs[p];
		if (mkdir(pub->dir, 0700) == -1) {
			worker_fail(w, "mkdir %s: %s", pub->dir,
			    strerror(errno));
			break;
		}
		if (bpki_create(pub->dir, pub->handle) == -1 ||
		    (pub->bpki = bpki_load(pub->dir)) == NULL) {
			worker_fail(w, "%s: cannot create its BPKI in %s",
			    pub->handle, pub->dir);
			break;
		}
		if (publisher_register(w, pub) == -1)
			break;
		pubload_progress(pl, "setup: publishers", pl->o.publishers);
	}
	return NULL;
}

/*
 * The server accepts at most MAX_SAME_SECOND_MSGS messages of one
 * publisher with the same signing-time (one-second resolution).  OpenSSL
 * stamps the time while signing, so a message is stamped within
 * [time before, time after]; counting each message in the second after
 * signing undercounts a second by at most one (the message that
 * straddled it), hence the margin of one.  Wait for the next second when
 * the budget is spent.  Only matters for few publishers with many
 * queries each.
 */
static void
pubload_sign_wait(struct publisher *pub)
{
	const struct timespec	poll = { 0, PUBLOAD_SECOND_POLL_NS };

	while (time(NULL) == pub->sign_second &&
	    pub->sign_count >= MAX_SAME_SECOND_MSGS - 1)
		nanosleep(&poll, NULL);
}

static void
pubload_sign_count(struct publisher *pub)
{
	time_t	now = time(NULL);

	if (now != pub->sign_second) {
		pub->sign_second = now;
		pub->sign_count = 0;
	}
	pub->sign_count++;
}

/* Build and sign query q: its publish PDUs, then the CMS.  0 or -1. */
static int
query_sign(struct worker *w, struct query *q, uint8_t *object)
{
	struct pubload		*pl = w->pl;
	struct publisher	*pub = &pl->pubs[q->publisher];
	struct buf		 xml, uri;
	size_t			 i;
	int			 rc = -1;

	buf_init(&xml);
	buf_init(&uri);
	rfc8181_write_begin(&xml, RFC8181_QUERY);
	for (i = q->first; i < q->first + q->nobjects; i++) {
		pubload_object_uri(pl, pub, i, &uri);
		pubload_fill(object, pl->o.size, pubload_mix(pl->seed + i));
		rfc8181_write_publish(&xml, buf_str(&uri), NULL, object,
		    pl->o.size, NULL);
	}
	rfc8181_write_end(&xml);
	pubload_sign_wait(pub);
	if (cms_sign(xml.data, xml.len, pub->bpki->ee, pub->bpki->ee_key,
	    pub->bpki->crl, &q->der, &q->len) == -1) {
		worker_fail(w, "%s: cms_sign failed", pub->handle);
		goto out;
	}
	pubload_sign_count(pub);
	rc = 0;
 out:
	buf_free(&xml);
	buf_free(&uri);
	return rc;
}

/* Phase 2, per thread: sign the thread's queries in sending order. */
static void *
worker_sign(void *arg)
{
	struct worker	*w = arg;
	struct pubload	*pl = w->pl;
	uint8_t		*object = xmalloc(pl->o.size);
	size_t		 i;

	for (i = 0; i < pl->nqueries && w->failures == 0; i++) {
		if (!pubload_owns(w, pl->queries[i].publisher))
			continue;
		if (query_sign(w, &pl->queries[i], object) == -1)
			break;
		pubload_progress(pl, "sign: queries", pl->nqueries);
	}
	free(object);
	return NULL;
}

static size_t
worker_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf	*out = arg;

	if (out->len + size * n > PUBLOAD_MAX_REPLY)
		return 0;	/* CURLE_WRITE_ERROR */
	buf_add(out, p, size * n);
	return size * n;
}

/*
 * Check a reply: CMS signed by the server (RFC 8181 section 2, RFC 6492
 * section 3.1 profile), an RFC 8181 reply holding exactly one <success/>.
 * 0, or -1 with the reason in err.
 */
static int
reply_check(struct worker *w, const struct buf *body, char *err,
    size_t errlen)
{
	struct cms_verified	 v;
	struct rfc8181_msg	*msg = NULL;
	const struct rfc8181_pdu *pdu;
	enum cms_fail		 cf;
	char			 why[PUBLOAD_ERROR_LEN / 2];
	int			 rc = -1;

	memset(&v, 0, sizeof(v));
	cf = cms_verify(body->data, body->len, w->server_ta, time(NULL), &v,
	    why, sizeof(why));
	if (cf != CMS_OK) {
		snprintf(err, errlen, "reply CMS: %s: %s", cms_fail_name(cf),
		    why);
		goto out;
	}
	if (rfc8181_parse(v.content, v.content_len, PUBLOAD_MAX_REPLY, &msg,
	    why, sizeof(why)) == -1) {
		snprintf(err, errlen, "reply XML: %s", why);
		goto out;
	}
	if (msg->type != RFC8181_REPLY || msg->npdus != 1) {
		snprintf(err, errlen, "not a reply with one PDU (%zu PDUs)",
		    msg->npdus);
		goto out;
	}
	pdu = &msg->pdus[0];
	if (pdu->type == PDU_REPORT_ERROR) {
		snprintf(err, errlen, "report_error %s: %s",
		    rfc8181_error_name(pdu->error),
		    pdu->error_text != NULL ? pdu->error_text : "");
		goto out;
	}
	if (pdu->type != PDU_SUCCESS) {
		snprintf(err, errlen, "reply PDU is not <success/>");
		goto out;
	}
	rc = 0;
 out:
	rfc8181_msg_free(msg);
	free(v.content);
	return rc;
}

/* Send one query and check its reply; the latency is recorded either way. */
static void
query_send(struct worker *w, struct query *q)
{
	const struct publisher	*pub = &w->pl->pubs[q->publisher];
	struct timespec		 start;
	char			 err[PUBLOAD_ERROR_LEN];
	long			 status = 0;
	CURLcode		 cc;

	buf_free(&w->reply);
	curl_easy_setopt(w->curl, CURLOPT_URL, pub->service_uri);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, q->der);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)q->len);
	clock_gettime(CLOCK_MONOTONIC, &start);
	cc = curl_easy_perform(w->curl);
	q->latency_ms = pubload_elapsed(&start) * 1000;
	if (cc != CURLE_OK) {
		worker_fail(w, "%s: %s", pub->service_uri,
		    curl_easy_strerror(cc));
		return;
	}
	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		worker_fail(w, "%s: HTTP %ld: %.200s", pub->service_uri,
		    status, buf_str(&w->reply));
		return;
	}
	if (reply_check(w, &w->reply, err, sizeof(err)) == -1) {
		worker_fail(w, "%s: %s", pub->handle, err);
		return;
	}
	q->ok = 1;
}

/* Phase 3, per thread: send the thread's queries over one connection. */
static void *
worker_send(void *arg)
{
	struct worker	*w = arg;
	struct pubload	*pl = w->pl;
	size_t		 i;

	for (i = 0; i < pl->nqueries; i++)
		if (pubload_owns(w, pl->queries[i].publisher))
			query_send(w, &pl->queries[i]);
	return NULL;
}

/* A curl handle for RFC 8181 POSTs, kept alive across queries. */
static CURL *
worker_curl_new(struct worker *w, struct curl_slist *hdrs)
{
	CURL	*c;

	if ((c = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, PUBLOAD_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, PUBLOAD_HTTP_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, worker_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &w->reply);
	return c;
}

/* CPU seconds (user + system) of pid from /proc/PID/stat; -1 if unknown. */
static double
proc_cpu_seconds(long pid)
{
	char			 path[64], line[1024], *p;
	unsigned long long	 ut, st;
	FILE			*f;
	int			 n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) != NULL &&
	    (p = strrchr(line, ')')) != NULL)
		/* After "pid (comm)": state is field 3, utime 14, stime 15. */
		n = sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
		    "%*u %llu %llu", &ut, &st);
	fclose(f);
	if (n != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Peak resident set (VmHWM) of pid in MB; -1 if unknown. */
static double
proc_peak_rss_mb(long pid)
{
	char		 path[64], line[256];
	unsigned long	 kb;
	double		 mb = -1;
	FILE		*f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %lu kB", &kb) == 1)
			mb = (double)kb / 1024;
	fclose(f);
	return mb;
}

static double
self_cpu_seconds(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int
pubload_cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of n sorted values. */
static double
pubload_percentile(const double *sorted, size_t n, double pct)
{
	size_t	rank = (size_t)(pct / 100 * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	return sorted[(rank > n ? n : rank) - 1];
}

static size_t
pubload_failures(const struct pubload *pl)
{
	size_t	i, n = 0;

	for (i = 0; i < pl->nworkers; i++)
		n += pl->workers[i].failures;
	return n;
}

/* The first failure of each thread that failed, at most ERRORS_SHOWN. */
static void
pubload_print_failures(const struct pubload *pl, FILE *f)
{
	size_t	i, shown = 0;

	for (i = 0; i < pl->nworkers && shown < PUBLOAD_ERRORS_SHOWN; i++) {
		if (pl->workers[i].failures == 0)
			continue;
		fprintf(f, "  FAILED thread %zu: %zu; first: %s\n", i,
		    pl->workers[i].failures, pl->workers[i].error);
		shown++;
	}
}

/* The summary block; failures are listed after it. */
static void
pubload_report(const struct pubload *pl, double elapsed, double client_cpu,
    double server_cpu, size_t failures)
{
	const struct pubload_opts	*o = &pl->o;
	double				*lat;
	double				 rss = -1;
	size_t				 i, published = 0;

	lat = xcalloc(pl->nqueries, sizeof(*lat));
	for (i = 0; i < pl->nqueries; i++) {
		lat[i] = pl->queries[i].latency_ms;
		if (pl->queries[i].ok)
			published += pl->queries[i].nobjects;
	}
	qsort(lat, pl->nqueries, sizeof(*lat), pubload_cmp_double);
	if (o->server_pid != 0)
		rss = proc_peak_rss_mb(o->server_pid);

	printf("rpkipubd publication benchmark (bench/pubload)\n");
	printf("  publishers       %zu (%zu sending threads, one connection "
	    "each)\n", o->publishers, pl->nworkers);
	printf("  objects          %zu x %zu bytes, %zu publish PDUs per "
	    "query\n", o->objects, o->size, o->pdus);
	printf("  queries          %zu, failed %zu\n", pl->nqueries, failures);
	printf("  elapsed          %.2f s\n", elapsed);
	printf("  throughput       %.0f published objects/s, %.0f queries/s\n",
	    (double)published / elapsed, (double)(pl->nqueries - failures) /
	    elapsed);
	printf("  latency (ms)     p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n",
	    pubload_percentile(lat, pl->nqueries, 50),
	    pubload_percentile(lat, pl->nqueries, 90),
	    pubload_percentile(lat, pl->nqueries, 99),
	    lat[pl->nqueries - 1]);
	if (server_cpu >= 0)
		printf("  CPU seconds      server %.1f, client %.1f (of %.1f "
		    "available)\n", server_cpu, client_cpu,
		    elapsed * (double)sysconf(_SC_NPROCESSORS_ONLN));
	else
		printf("  CPU seconds      client %.1f\n", client_cpu);
	if (rss >= 0)
		printf("  server peak RSS  %.1f MB (VmHWM)\n", rss);
	else
		printf("  server peak RSS  unknown (use --server-pid)\n");
	pubload_print_failures(pl, stdout);
	free(lat);
}

static int
pubload_rm(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	if (remove(path) == -1)
		log_warn("cannot remove %s: %s", path, strerror(errno));
	return 0;
}

/*
 * Load the instance's config, token and server TA, make the temporary
 * directory and lay out publishers, queries and workers.  0 or -1.
 */
static int
pubload_init(struct pubload *pl)
{
	const struct pubload_opts	*o = &pl->o;
	const char			*tmp = getenv("TMPDIR");
	struct buf			 path;
	uint8_t				 rnd[4];
	size_t				 i, body;
	int				 rc = -1;

	buf_init(&path);
	if ((pl->cfg = config_load(o->data_dir)) == NULL)
		goto out;
	/* base64 grows 4/3; the XML around each PDU is under a URI's size. */
	body = o->pdus * (o->size / 3 * 4 + 4 + MAX_URI_LENGTH);
	if (o->size > pl->cfg->max_object || body > pl->cfg->max_body) {
		log_err("--size %zu x --pdus %zu exceeds the server's "
		    "max_object %zu or max_body %zu", o->size, o->pdus,
		    pl->cfg->max_object, pl->cfg->max_body);
		goto out;
	}
	if (pubd_read_token(o->data_dir, pl->token) == -1)
		goto out;
	buf_printf(&path, "%s/%s/ta.cer", o->data_dir, CONFIG_BPKI_DIR);
	if ((pl->server_ta = (uint8_t *)file_read(buf_str(&path),
	    MAX_BPKI_CERT_SIZE, &pl->server_ta_len)) == NULL)
		goto out;

	buf_free(&path);
	buf_printf(&path, "%s/pubload.XXXXXX", tmp != NULL && *tmp != '\0' ?
	    tmp : "/tmp");
	if (mkdtemp(buf_str(&path)) == NULL) {
		log_err("mkdtemp %s: %s", buf_str(&path), strerror(errno));
		goto out;
	}
	pl->tmpdir = xstrdup(buf_str(&path));
	if (RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    RAND_bytes((uint8_t *)&pl->seed, sizeof(pl->seed)) != 1)
		fatalx("RAND_bytes failed");
	hex_encode(pl->tag, rnd, sizeof(rnd));

	/* Handles carry the run's tag, so runs against one instance add up. */
	pl->pubs = xcalloc(o->publishers, sizeof(*pl->pubs));
	for (i = 0; i < o->publishers; i++) {
		snprintf(pl->pubs[i].handle, sizeof(pl->pubs[i].handle),
		    "pubload-%s-%zu", pl->tag, i);
		buf_free(&path);
		buf_printf(&path, "%s/%s", pl->tmpdir, pl->pubs[i].handle);
		pl->pubs[i].dir = xstrdup(buf_str(&path));
	}
	/* Query q publishes objects [q * P, q * P + P) for publisher q % N. */
	pl->nqueries = (o->objects + o->pdus - 1) / o->pdus;
	pl->queries = xcalloc(pl->nqueries, sizeof(*pl->queries));
	for (i = 0; i < pl->nqueries; i++) {
		pl->queries[i].publisher = i % o->publishers;
		pl->queries[i].first = i * o->pdus;
		pl->queries[i].nobjects = o->objects - i * o->pdus < o->pdus ?
		    o->objects - i * o->pdus : o->pdus;
	}
	/* More threads than publishers would have nothing to send. */
	pl->nworkers = o->concurrency < o->publishers ? o->concurrency :
	    o->publishers;
	pl->workers = xcalloc(pl->nworkers, sizeof(*pl->workers));
	for (i = 0; i < pl->nworkers; i++) {
		pl->workers[i].pl = pl;
		pl->workers[i].id = i;
		buf_init(&pl->workers[i].reply);
		if ((pl->workers[i].server_ta = bpki_cert_from_der(
		    pl->server_ta, pl->server_ta_len)) == NULL) {
			log_err("%s/%s/ta.cer is not a DER certificate",
			    o->data_dir, CONFIG_BPKI_DIR);
			goto out;
		}
	}
	rc = 0;
 out:
	buf_free(&path);
	return rc;
}

/* Free everything pubload_init() and the phases made; removes tmpdir. */
static void
pubload_free(struct pubload *pl)
{
	size_t	i;

	for (i = 0; pl->workers != NULL && i < pl->nworkers; i++) {
		X509_free(pl->workers[i].server_ta);
		if (pl->workers[i].curl != NULL)
			curl_easy_cleanup(pl->workers[i].curl);
		buf_free(&pl->workers[i].reply);
	}
	for (i = 0; pl->pubs != NULL && i < pl->o.publishers; i++) {
		bpki_free(pl->pubs[i].bpki);
		free(pl->pubs[i].dir);
		free(pl->pubs[i].service_uri);
		free(pl->pubs[i].sia_base);
	}
	for (i = 0; pl->queries != NULL && i < pl->nqueries; i++)
		free(pl->queries[i].der);
	if (pl->tmpdir != NULL)
		nftw(pl->tmpdir, pubload_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(pl->workers);
	free(pl->pubs);
	free(pl->queries);
	free(pl->tmpdir);
	free(pl->server_ta);
	config_free(pl->cfg);
}

int
main(int argc, char **argv)
{
	struct pubload		 pl;
	struct curl_slist	*hdrs = NULL;
	struct timespec		 start;
	double			 elapsed, cpu0, srv0, srv1 = -1;
	size_t			 i, failures;
	int			 rc, status = 1;

	memset(&pl, 0, sizeof(pl));
	if ((rc = pubload_opts_parse(argc, argv, &pl.o)) != 0)
		return rc == 1 ? 0 : 1;
	log_init("pubload", 0, LOG_LVL_WARN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");
	if (pubload_init(&pl) == -1)
		goto out;

	fprintf(stderr, "pubload: setup: %zu publisher identities in %s\n",
	    pl.o.publishers, pl.tmpdir);
	pubload_run(&pl, worker_setup);
	if (pubload_failures(&pl) > 0) {
		fprintf(stderr, "pubload: setup failed\n");
		pubload_print_failures(&pl, stderr);
		goto out;
	}
	fprintf(stderr, "pubload: setup: done in %.1f s\n",
	    pubload_elapsed(&pl.phase_start));

	fprintf(stderr, "pubload: sign: %zu queries of %zu objects\n",
	    pl.nqueries, pl.o.pdus);
	pubload_run(&pl, worker_sign);
	if (pubload_failures(&pl) > 0) {
		fprintf(stderr, "pubload: signing failed\n");
		pubload_print_failures(&pl, stderr);
		goto out;
	}
	fprintf(stderr, "pubload: sign: done in %.1f s\n",
	    pubload_elapsed(&pl.phase_start));

	/* No Expect: 100-continue; RFC 8181 clients just send the body. */
	hdrs = curl_slist_append(hdrs, "Content-Type: " RFC8181_CONTENT_TYPE);
	hdrs = curl_slist_append(hdrs, "Expect:");
	for (i = 0; i < pl.nworkers; i++)
		pl.workers[i].curl = worker_curl_new(&pl.workers[i], hdrs);

	fprintf(stderr, "pubload: send: %zu threads\n", pl.nworkers);
	cpu0 = self_cpu_seconds();
	srv0 = pl.o.server_pid != 0 ? proc_cpu_seconds(pl.o.server_pid) : -1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	pubload_run(&pl, worker_send);
	elapsed = pubload_elapsed(&start);
	if (srv0 >= 0 && (srv1 = proc_cpu_seconds(pl.o.server_pid)) >= 0)
		srv1 -= srv0;
	failures = pubload_failures(&pl);

	pubload_report(&pl, elapsed, self_cpu_seconds() - cpu0, srv1,
	    failures);
	if (failures == 0)
		status = 0;
 out:
	curl_slist_free_all(hdrs);
	pubload_free(&pl);
	curl_global_cleanup();
	return status;
}
