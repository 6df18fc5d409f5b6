/*
 * Streaming parser of rpki-client JSON (see input.h).  A scope stack says
 * where the parser is; keys outside the ones we use are skipped whatever
 * they hold; a known key with the wrong type, a record with a bad or
 * missing field, or more records than the named limits, fails the whole
 * document: a partial set must never replace good data.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>

#include "bounds.h"
#include "buf.h"
#include "encoding.h"
#include "input.h"
#include "log.h"

enum scope {
	SC_NONE,	/* before the root value */
	SC_ROOT,	/* the top-level object */
	SC_META,	/* "metadata" */
	SC_ROAS,	/* "roas" array */
	SC_ROA,
	SC_KEYS,	/* "bgpsec_keys" array */
	SC_KEY,
	SC_ASPAS,	/* "aspas" array, or one of provider_authorizations' */
	SC_ASPA,
	SC_PROVS,	/* an ASPA's "providers" */
	SC_PA,		/* "provider_authorizations" object */
	SC_SKIP,	/* a value we do not use */
};

struct rtr_input {
	yajl_handle	 h;
	struct rtr_set	*set;
	time_t		 now, max_age;
	enum scope	 stack[RTR_MAX_JSON_DEPTH];
	int		 depth;		/* entries used in stack */
	char		 key[64];	/* last key in the current object */
	int		 failed;
	char		 err[256];
	struct rtr_input_info info;
	int		 have_buildtime;
	/* the record being read */
	int		 has_asn, has_prefix, has_maxlen, has_ski, has_spki;
	int		 expired;
	uint32_t	 asn;
	struct rtr_vrp	 vrp;
	unsigned	 maxlen;
	uint8_t		 ski[20];
	struct buf	 spki;
	uint32_t	*prov;
	size_t		 nprov, provcap;
};

static int	fail(struct rtr_input *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Record the first reason; returns 0, which makes yajl stop. */
static int
fail(struct rtr_input *in, const char *fmt, ...)
{
	va_list	ap;

	if (!in->failed) {
		va_start(ap, fmt);
		vsnprintf(in->err, sizeof(in->err), fmt, ap);
		va_end(ap);
		in->failed = 1;
	}
	return 0;
}

int
rtr_parse_asn(const char *s, size_t n, uint32_t *out)
{
	uint64_t	v = 0;
	size_t		i = 0;

	if (n >= 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's'))
		i = 2;
	if (i == n || n - i > 10)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_uint(const char *s, size_t n, unsigned max, unsigned *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int
rtr_parse_prefix(const char *s, size_t n, struct rtr_vrp *v)
{
	char		 tmp[64];
	const char	*slash;
	unsigned	 plen, bits, i;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if ((slash = strchr(tmp, '/')) == NULL)
		return -1;
	tmp[slash - tmp] = '\0';
	memset(v->addr, 0, sizeof(v->addr));
	if (inet_pton(AF_INET, tmp, v->addr) == 1) {
		v->afi = 4;
		bits = 32;
	} else if (inet_pton(AF_INET6, tmp, v->addr) == 1) {
		v->afi = 6;
		bits = 128;
	} else
		return -1;
	if (parse_uint(slash + 1, strlen(slash + 1), bits, &plen) == -1)
		return -1;
	/* Host bits set: the prefix is not what its author meant. */
	for (i = plen; i < bits; i++)
		if (v->addr[i / 8] & (0x80 >> (i % 8)))
			return -1;
	v->plen = (uint8_t)plen;
	return 0;
}

int
rtr_parse_time(const char *s, size_t n, time_t *out)
{
	char		 tmp[40];
	struct tm	 tm;
	const char	*end;
	int		 used = 0;

	if (n < 20 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(&tm, 0, sizeof(tm));
	if (sscanf(tmp, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 ||
	    used != 19 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	end = tmp + used;
	if (*end == '.') {
		end++;
		while (isdigit((unsigned char)*end))
			end++;
	}
	if (strcmp(end, "Z") != 0)
		return -1;
	*out = timegm(&tm);
	return 0;
}

static enum scope
top(const struct rtr_input *in)
{
	return in->depth ? in->stack[in->depth - 1] : SC_NONE;
}

static int
push(struct rtr_input *in, enum scope s)
{
	if (in->depth == RTR_MAX_JSON_DEPTH)
		return fail(in, "JSON nested deeper than %s levels", "16");
	in->stack[in->depth++] = s;
	in->key[0] = '\0';
	return 1;
}

static void
record_reset(struct rtr_input *in)
{
	in->has_asn = in->has_prefix = in->has_maxlen = 0;
	in->has_ski = in->has_spki = in->expired = 0;
	in->spki.len = 0;
	in->nprov = 0;
}

static int
keyis(const struct rtr_input *in, const char *k)
{
	return strcmp(in->key, k) == 0;
}

/* An ASN, as a JSON number or string. */
static int
take_asn(struct rtr_input *in, const char *s, size_t n, uint32_t *out)
{
	if (rtr_parse_asn(s, n, out) == -1)
		return fail(in, "bad AS number in \"%s\"", in->key);
	return 1;
}

static int
add_provider(struct rtr_input *in, const char *s, size_t n)
{
	uint32_t	asn;

	if (!take_asn(in, s, n, &asn))
		return 0;
	if (in->nprov == RTR_MAX_ASPA_PROVIDERS)
		return fail(in, "ASPA with more than %s providers", "the limit of");
	if (in->nprov == in->provcap) {
		in->provcap = in->provcap ? in->provcap * 2 : 16;
		in->prov = xrealloc(in->prov, in->provcap * sizeof(*in->prov));
	}
	in->prov[in->nprov++] = asn;
	return 1;
}

/* A scalar (number or string s[0..n)) in the current scope. */
static int
scalar(struct rtr_input *in, const char *s, size_t n, int is_string)
{
	unsigned	u;
	time_t		t;

	switch (top(in)) {
	case SC_NONE:
		return fail(in, "the document is not a JSON object%s", "");
	case SC_META:
		if (keyis(in, "buildtime")) {
			if (!is_string || rtr_parse_time(s, n, &t) == -1)
				return fail(in, "metadata.buildtime is not an RFC 3339 UTC time%s", "");
			in->info.buildtime = t;
			in->have_buildtime = 1;
		}
		return 1;
	case SC_ROA:
		if (keyis(in, "asn")) {
			in->has_asn = take_asn(in, s, n, &in->asn);
			return in->has_asn;
		}
		if (keyis(in, "prefix")) {
			if (!is_string || rtr_parse_prefix(s, n, &in->vrp) == -1)
				return fail(in, "bad ROA prefix%s", "");
			in->has_prefix = 1;
		} else if (keyis(in, "maxLength")) {
			if (is_string || parse_uint(s, n, 128, &u) == -1)
				return fail(in, "bad ROA maxLength%s", "");
			in->maxlen = u;
			in->has_maxlen = 1;
		} else if (keyis(in, "expires")) {
			if (!is_string && parse_uint(s, n, UINT32_MAX, &u) == 0 &&
			    (time_t)u < in->now)
				in->expired = 1;
		}
		return 1;
	case SC_KEY:
		if (keyis(in, "asn")) {
			in->has_asn = take_asn(in, s, n, &in->asn);
			return in->has_asn;
		}
		if (keyis(in, "ski")) {
			char	hex[41];

			if (is_string && n == 40) {
				memcpy(hex, s, 40);
				hex[40] = '\0';
			}
			if (!is_string || n != 40 || hex_decode(in->ski, 20, hex) == -1)
				return fail(in, "bad router key ski (want 40 hex digits)%s", "");
			in->has_ski = 1;
		} else if (keyis(in, "pubkey")) {
			in->spki.len = 0;
			if (!is_string || b64_decode(&in->spki, s, n,
			    RTR_MAX_SPKI_LEN) == -1 || in->spki.len == 0)
				return fail(in, "bad router key pubkey (base64 SPKI)%s", "");
			in->has_spki = 1;
		} else if (keyis(in, "expires")) {
			if (!is_string && parse_uint(s, n, UINT32_MAX, &u) == 0 &&
			    (time_t)u < in->now)
				in->expired = 1;
		}
		return 1;
	case SC_ASPA:
		if (keyis(in, "customer_asid")) {
			in->has_asn = take_asn(in, s, n, &in->asn);
			return in->has_asn;
		}
		if (keyis(in, "expires")) {
			if (!is_string && parse_uint(s, n, UINT32_MAX, &u) == 0 &&
			    (time_t)u < in->now)
				in->expired = 1;
		} else if (keyis(in, "providers"))
			return fail(in, "ASPA providers is not an array%s", "");
		return 1;
	case SC_PROVS:
		return add_provider(in, s, n);
	case SC_ROOT:
		if (keyis(in, "roas") || keyis(in, "bgpsec_keys") ||
		    keyis(in, "aspas") || keyis(in, "metadata") ||
		    keyis(in, "provider_authorizations"))
			return fail(in, "\"%s\" has the wrong type", in->key);
		return 1;
	case SC_ROAS: case SC_KEYS: case SC_ASPAS:
		return fail(in, "a record that is not an object in an array%s", "");
	default:
		return 1;
	}
}

static int
cb_null(void *ctx)
{
	return scalar(ctx, "", 0, 0) ? 1 : 0;
}

static int
cb_bool(void *ctx, int b)
{
	return scalar(ctx, "", 0, 0) ? 1 : 0;
}

static int
cb_number(void *ctx, const char *s, size_t n)
{
	return scalar(ctx, s, n, 0);
}

static int
cb_string(void *ctx, const unsigned char *s, size_t n)
{
	struct rtr_input	*in = ctx;

	if (n > RTR_MAX_JSON_STRING)
		return fail(in, "JSON string longer than the limit%s", "");
	return scalar(in, (const char *)s, n, 1);
}

static int
cb_key(void *ctx, const unsigned char *k, size_t n)
{
	struct rtr_input	*in = ctx;

	if (n >= sizeof(in->key))
		n = sizeof(in->key) - 1;	/* long keys are never ours */
	memcpy(in->key, k, n);
	in->key[n] = '\0';
	return 1;
}

static int
open_container(struct rtr_input *in, int is_map)
{
	enum scope	next = SC_SKIP;

	switch (top(in)) {
	case SC_NONE:
		if (!is_map)
			return fail(in, "the document is not a JSON object%s", "");
		next = SC_ROOT;
		break;
	case SC_ROOT:
		if (keyis(in, "metadata"))
			next = is_map ? SC_META : SC_NONE;
		else if (keyis(in, "roas"))
			next = is_map ? SC_NONE : SC_ROAS;
		else if (keyis(in, "bgpsec_keys"))
			next = is_map ? SC_NONE : SC_KEYS;
		else if (keyis(in, "aspas"))
			next = is_map ? SC_NONE : SC_ASPAS;
		else if (keyis(in, "provider_authorizations"))
			next = is_map ? SC_PA : SC_NONE;
		if (next == SC_NONE)
			return fail(in, "\"%s\" has the wrong type", in->key);
		break;
	case SC_PA:
		next = is_map ? SC_SKIP : SC_ASPAS;
		break;
	case SC_ROAS:
	case SC_KEYS:
	case SC_ASPAS:
		if (!is_map)
			return fail(in, "a record that is not an object in an array%s", "");
		next = top(in) == SC_ROAS ? SC_ROA : top(in) == SC_KEYS ?
		    SC_KEY : SC_ASPA;
		record_reset(in);
		break;
	case SC_ASPA:
		if (keyis(in, "providers")) {
			if (is_map)
				return fail(in, "ASPA providers is not an array%s", "");
			next = SC_PROVS;
		}
		break;
	case SC_PROVS:
		return fail(in, "an ASPA provider that is not an AS number%s", "");
	default:
		break;
	}
	return push(in, next);
}

static int
cb_start_map(void *ctx)
{
	return open_container(ctx, 1);
}

static int
cb_start_array(void *ctx)
{
	return open_container(ctx, 0);
}

/* The end of a record: check it is whole, then add it. */
static int
close_record(struct rtr_input *in, enum scope s)
{
	struct rtr_set	*set = in->set;
	unsigned	 bits;

	switch (s) {
	case SC_ROA:
		if (!in->has_asn || !in->has_prefix)
			return fail(in, "ROA without %s", !in->has_asn ?
			    "asn" : "prefix");
		bits = in->vrp.afi == 4 ? 32 : 128;
		if (!in->has_maxlen)
			in->maxlen = in->vrp.plen;
		/* RFC 9582 section 4.3.2: plen <= maxLength <= address bits. */
		if (in->maxlen < in->vrp.plen || in->maxlen > bits)
			return fail(in, "ROA maxLength out of range%s", "");
		if (in->expired) {
			in->info.expired++;
			return 1;
		}
		if (set->nvrps >= RTR_MAX_VRPS)
			return fail(in, "more VRPs than the limit%s", "");
		in->vrp.asn = in->asn;
		in->vrp.maxlen = (uint8_t)in->maxlen;
		in->vrp.flags = RTR_FLAG_ANNOUNCE;
		rtr_set_add_vrp(set, &in->vrp);
		return 1;
	case SC_KEY:
		if (!in->has_asn || !in->has_ski || !in->has_spki)
			return fail(in, "router key without %s", !in->has_asn ?
			    "asn" : !in->has_ski ? "ski" : "pubkey");
		if (in->expired) {
			in->info.expired++;
			return 1;
		}
		if (set->nkeys >= RTR_MAX_ROUTER_KEYS)
			return fail(in, "more router keys than the limit%s", "");
		rtr_set_add_key(set, in->ski, in->asn, in->spki.data,
		    in->spki.len);
		return 1;
	case SC_ASPA:
		if (!in->has_asn)
			return fail(in, "ASPA without %s", "customer_asid");
		if (in->expired) {
			in->info.expired++;
			return 1;
		}
		if (set->naspas >= RTR_MAX_ASPAS)
			return fail(in, "more ASPAs than the limit%s", "");
		rtr_set_add_aspa(set, in->asn, in->prov, in->nprov);
		return 1;
	default:
		return 1;
	}
}

static int
cb_end(void *ctx)
{
	struct rtr_input	*in = ctx;
	enum scope		 s;

	if (in->depth == 0)
		return fail(in, "unbalanced JSON%s", "");
	s = in->stack[--in->depth];
	in->key[0] = '\0';
	return close_record(in, s);
}

static const yajl_callbacks callbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_key, cb_end, cb_start_array, cb_end,
};

struct rtr_input *
rtr_input_new(struct rtr_set *set, time_t now, time_t max_age)
{
	struct rtr_input	*in;

	in = xcalloc(1, sizeof(*in));
	in->set = set;
	in->now = now;
	in->max_age = max_age;
	buf_init(&in->spki);
	if ((in->h = yajl_alloc(&callbacks, NULL, in)) == NULL)
		fatalx("yajl_alloc failed");
	return in;
}

static void
yajl_reason(struct rtr_input *in, const uint8_t *p, size_t n)
{
	unsigned char	*msg;

	if (in->failed)
		return;
	msg = yajl_get_error(in->h, 0, p, n);
	fail(in, "JSON syntax: %s", msg ? (const char *)msg : "error");
	if (msg)
		yajl_free_error(in->h, msg);
}

int
rtr_input_feed(struct rtr_input *in, const uint8_t *p, size_t n)
{
	if (in->failed)
		return -1;
	if (yajl_parse(in->h, p, n) != yajl_status_ok) {
		yajl_reason(in, p, n);
		rtr_set_free(in->set);
		return -1;
	}
	return 0;
}

static int	finish(struct rtr_input *);

int
rtr_input_finish(struct rtr_input *in, struct rtr_input_info *info)
{
	if (in->failed || finish(in) == -1) {
		rtr_set_free(in->set);
		return -1;
	}
	if (info)
		*info = in->info;
	return 0;
}

/* The end-of-document checks of rtr_input_finish. */
static int
finish(struct rtr_input *in)
{
	char	num[32];

	/* Without this a truncated document would pass. */
	if (yajl_complete_parse(in->h) != yajl_status_ok) {
		yajl_reason(in, NULL, 0);
		return -1;
	}
	if (in->depth != 0 || in->stack[0] != SC_ROOT)
		return fail(in, "incomplete JSON document%s", ""), -1;
	if (in->max_age > 0) {
		if (!in->have_buildtime)
			return fail(in, "no metadata.buildtime%s", ""), -1;
		if (in->now - in->info.buildtime > in->max_age) {
			snprintf(num, sizeof(num), "%lld",
			    (long long)(in->now - in->info.buildtime));
			return fail(in, "metadata.buildtime is %s seconds old, "
			    "older than the allowed age", num), -1;
		}
	}
	rtr_set_normalize(in->set);
	return 0;
}

const char *
rtr_input_error(const struct rtr_input *in)
{
	return in->failed ? in->err : "";
}

void
rtr_input_free(struct rtr_input *in)
{
	if (in == NULL)
		return;
	yajl_free(in->h);
	buf_free(&in->spki);
	free(in->prov);
	free(in);
}

int
rtr_input_file(const char *path, time_t now, time_t max_age,
    struct rtr_set *set, struct rtr_input_info *info, char *err, size_t errlen)
{
	struct rtr_input	*in = NULL;
	uint8_t			*chunk = NULL;
	ssize_t			 n;
	size_t			 total = 0;
	int			 fd = -1, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	chunk = xmalloc(256 * 1024);
	in = rtr_input_new(set, now, max_age);
	for (;;) {
		n = read(fd, chunk, 256 * 1024);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > RTR_MAX_INPUT_SIZE) {
			snprintf(err, errlen, "%s: larger than the input limit", path);
			goto out;
		}
		if (rtr_input_feed(in, chunk, (size_t)n) == -1)
			break;
	}
	if (rtr_input_finish(in, info) == -1) {
		snprintf(err, errlen, "%s: %s", path, rtr_input_error(in));
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		rtr_set_free(set);
	rtr_input_free(in);
	free(chunk);
	if (fd != -1)
		close(fd);
	return rc;
}
