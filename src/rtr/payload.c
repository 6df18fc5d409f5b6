/*
 * Payload sets, diffs and the serial history of an RTR cache.
 *
 * Sets are sorted arrays (VRPs by family, address, length, max length,
 * ASN; keys by SKI, ASN, SPKI; ASPAs by customer), so a diff is one merge
 * walk.  The history keeps, for each of the last max_hist serials, the
 * net change from that serial to the current one: when the data changes,
 * each kept net change is composed with the new diff, so a Serial Query
 * from any kept serial gets exactly the records that differ, never a
 * withdrawal of something the router was not told nor an announcement it
 * already has (RFC 8210 section 5.3 and draft-ietf-sidrops-8210bis
 * section 11).
 */
#define _GNU_SOURCE		/* memfd_create(2) */
#include <sys/mman.h>

#include <arpa/inet.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"
#include "log.h"
#include "payload.h"

int
rtr_serial_lt(uint32_t a, uint32_t b)
{
	/* RFC 1982 section 3.2: i1 < i2 iff the forward distance from i1
	 * to i2 is in 1 .. 2^31 - 1. */
	uint32_t	d = b - a;

	return d != 0 && d < 0x80000000u;
}

/* --- sets --- */

void
rtr_set_init(struct rtr_set *s)
{
	memset(s, 0, sizeof(*s));
}

static void
aspa_clear(struct rtr_aspa *a)
{
	free(a->prov);
	free(a->old);
	a->prov = a->old = NULL;
}

void
rtr_set_free(struct rtr_set *s)
{
	size_t	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nkeys; i++)
		free(s->keys[i].spki);
	for (i = 0; i < s->naspas; i++)
		aspa_clear(&s->aspas[i]);
	free(s->vrps);
	free(s->keys);
	free(s->aspas);
	rtr_set_init(s);
}

size_t
rtr_set_count(const struct rtr_set *s)
{
	return s->nvrps + s->nkeys + s->naspas;
}

static void *
grow(void *p, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	return xrealloc(p, *cap * sz);
}

void
rtr_set_add_vrp(struct rtr_set *s, const struct rtr_vrp *v)
{
	s->vrps = grow(s->vrps, &s->vcap, s->nvrps, sizeof(*s->vrps));
	s->vrps[s->nvrps++] = *v;
}

static uint32_t *
dup_u32(const uint32_t *p, size_t n)
{
	uint32_t	*q;

	if (n == 0)
		return NULL;
	q = xmalloc(n * sizeof(*q));
	memcpy(q, p, n * sizeof(*q));
	return q;
}

static void
push_key(struct rtr_set *s, const struct rtr_rkey *k, uint8_t flags)
{
	struct rtr_rkey	*n;

	s->keys = grow(s->keys, &s->kcap, s->nkeys, sizeof(*s->keys));
	n = &s->keys[s->nkeys++];
	*n = *k;
	n->spki = xmalloc(k->spki_len ? k->spki_len : 1);
	memcpy(n->spki, k->spki, k->spki_len);
	n->flags = flags;
}

void
rtr_set_add_key(struct rtr_set *s, const uint8_t ski[20], uint32_t asn,
    const uint8_t *spki, size_t len)
{
	struct rtr_rkey	k;

	memset(&k, 0, sizeof(k));
	memcpy(k.ski, ski, 20);
	k.asn = asn;
	k.spki = (uint8_t *)(uintptr_t)spki;
	k.spki_len = len;
	push_key(s, &k, RTR_FLAG_ANNOUNCE);
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t	x, y;

	memcpy(&x, a, 4);
	memcpy(&y, b, 4);
	return x < y ? -1 : x > y;
}

/* Sort and de-duplicate a provider list in place; returns the new count. */
static size_t
uniq_u32(uint32_t *p, size_t n)
{
	size_t	i, j;

	if (n < 2)
		return n;
	qsort(p, n, sizeof(*p), u32_cmp);
	for (i = 1, j = 1; i < n; i++)
		if (p[i] != p[j - 1])
			p[j++] = p[i];
	return j;
}

void
rtr_set_add_aspa(struct rtr_set *s, uint32_t customer, const uint32_t *prov,
    size_t n)
{
	struct rtr_aspa	*a;

	s->aspas = grow(s->aspas, &s->acap, s->naspas, sizeof(*s->aspas));
	a = &s->aspas[s->naspas++];
	memset(a, 0, sizeof(*a));
	a->customer = customer;
	a->prov = dup_u32(prov, n);
	a->nprov = uniq_u32(a->prov, n);
	a->flags = RTR_FLAG_ANNOUNCE;
}

int
rtr_vrp_cmp(const struct rtr_vrp *a, const struct rtr_vrp *b)
{
	int	c;

	if (a->afi != b->afi)
		return a->afi < b->afi ? -1 : 1;
	if ((c = memcmp(a->addr, b->addr, a->afi == 4 ? 4 : 16)) != 0)
		return c;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	if (a->maxlen != b->maxlen)
		return a->maxlen < b->maxlen ? -1 : 1;
	if (a->asn != b->asn)
		return a->asn < b->asn ? -1 : 1;
	return 0;
}

static int
vrp_qcmp(const void *a, const void *b)
{
	return rtr_vrp_cmp(a, b);
}

int
rtr_rkey_cmp(const struct rtr_rkey *a, const struct rtr_rkey *b)
{
	int	c;

	if ((c = memcmp(a->ski, b->ski, 20)) != 0)
		return c;
	if (a->asn != b->asn)
		return a->asn < b->asn ? -1 : 1;
	if (a->spki_len != b->spki_len)
		return a->spki_len < b->spki_len ? -1 : 1;
	return memcmp(a->spki, b->spki, a->spki_len);
}

static int
key_qcmp(const void *a, const void *b)
{
	return rtr_rkey_cmp(a, b);
}

static int
aspa_qcmp(const void *a, const void *b)
{
	const struct rtr_aspa	*x = a, *y = b;

	return x->customer < y->customer ? -1 : x->customer > y->customer;
}

static int
list_eq(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

void
rtr_set_normalize(struct rtr_set *s)
{
	struct rtr_aspa	*a, *b;
	size_t		 i, j;

	if (s->nvrps > 1) {
		qsort(s->vrps, s->nvrps, sizeof(*s->vrps), vrp_qcmp);
		for (i = 1, j = 1; i < s->nvrps; i++)
			if (rtr_vrp_cmp(&s->vrps[i], &s->vrps[j - 1]) != 0)
				s->vrps[j++] = s->vrps[i];
		s->nvrps = j;
	}
	for (i = 0; i < s->nvrps; i++)
		s->vrps[i].flags = RTR_FLAG_ANNOUNCE;
	if (s->nkeys > 1) {
		qsort(s->keys, s->nkeys, sizeof(*s->keys), key_qcmp);
		for (i = 1, j = 1; i < s->nkeys; i++) {
			if (rtr_rkey_cmp(&s->keys[i], &s->keys[j - 1]) != 0)
				s->keys[j++] = s->keys[i];
			else
				free(s->keys[i].spki);
		}
		s->nkeys = j;
	}
	if (s->naspas > 1) {
		/* One ASPA per customer (draft-ietf-sidrops-aspa-profile
		 * section 3): several objects of one customer are merged. */
		qsort(s->aspas, s->naspas, sizeof(*s->aspas), aspa_qcmp);
		for (i = 1, j = 1; i < s->naspas; i++) {
			a = &s->aspas[j - 1];
			b = &s->aspas[i];
			if (a->customer != b->customer) {
				s->aspas[j++] = *b;
				continue;
			}
			a->prov = xrealloc(a->prov,
			    (a->nprov + b->nprov + 1) * sizeof(*a->prov));
			if (b->nprov)
				memcpy(a->prov + a->nprov, b->prov,
				    b->nprov * sizeof(*b->prov));
			a->nprov = uniq_u32(a->prov, a->nprov + b->nprov);
			aspa_clear(b);
		}
		s->naspas = j;
	}
}

void
rtr_set_copy(struct rtr_set *dst, const struct rtr_set *src)
{
	size_t	i;

	rtr_set_init(dst);
	if (src->nvrps) {
		dst->vrps = xmalloc(src->nvrps * sizeof(*dst->vrps));
		memcpy(dst->vrps, src->vrps, src->nvrps * sizeof(*dst->vrps));
		dst->nvrps = dst->vcap = src->nvrps;
	}
	for (i = 0; i < src->nkeys; i++)
		push_key(dst, &src->keys[i], src->keys[i].flags);
	for (i = 0; i < src->naspas; i++)
		rtr_set_add_aspa(dst, src->aspas[i].customer, src->aspas[i].prov,
		    src->aspas[i].nprov);
}

/* --- diffs --- */

static void
push_aspa(struct rtr_set *d, uint32_t customer, uint8_t flags,
    const uint32_t *prov, size_t nprov, int had_old, const uint32_t *old,
    size_t nold)
{
	struct rtr_aspa	*a;

	d->aspas = grow(d->aspas, &d->acap, d->naspas, sizeof(*d->aspas));
	a = &d->aspas[d->naspas++];
	memset(a, 0, sizeof(*a));
	a->customer = customer;
	a->flags = flags;
	if (flags & RTR_FLAG_ANNOUNCE) {
		a->prov = dup_u32(prov, nprov);
		a->nprov = nprov;
	}
	a->had_old = (uint8_t)had_old;
	if (had_old) {
		a->old = dup_u32(old, nold);
		a->nold = nold;
	}
}

static void
push_vrp(struct rtr_set *d, const struct rtr_vrp *v, uint8_t flags)
{
	struct rtr_vrp	n = *v;

	n.flags = flags;
	rtr_set_add_vrp(d, &n);
}

void
rtr_set_diff(const struct rtr_set *a, const struct rtr_set *b,
    struct rtr_set *d)
{
	size_t	i = 0, j = 0;
	int	c;

	rtr_set_init(d);
	while (i < a->nvrps || j < b->nvrps) {
		if (i == a->nvrps)
			c = 1;
		else if (j == b->nvrps)
			c = -1;
		else
			c = rtr_vrp_cmp(&a->vrps[i], &b->vrps[j]);
		if (c < 0)
			push_vrp(d, &a->vrps[i++], 0);
		else if (c > 0)
			push_vrp(d, &b->vrps[j++], RTR_FLAG_ANNOUNCE);
		else
			i++, j++;
	}
	i = j = 0;
	while (i < a->nkeys || j < b->nkeys) {
		if (i == a->nkeys)
			c = 1;
		else if (j == b->nkeys)
			c = -1;
		else
			c = rtr_rkey_cmp(&a->keys[i], &b->keys[j]);
		if (c < 0)
			push_key(d, &a->keys[i++], 0);
		else if (c > 0)
			push_key(d, &b->keys[j++], RTR_FLAG_ANNOUNCE);
		else
			i++, j++;
	}
	i = j = 0;
	while (i < a->naspas || j < b->naspas) {
		const struct rtr_aspa	*x = i < a->naspas ? &a->aspas[i] : NULL;
		const struct rtr_aspa	*y = j < b->naspas ? &b->aspas[j] : NULL;

		if (y == NULL || (x != NULL && x->customer < y->customer)) {
			push_aspa(d, x->customer, 0, NULL, 0, 1, x->prov, x->nprov);
			i++;
		} else if (x == NULL || y->customer < x->customer) {
			push_aspa(d, y->customer, RTR_FLAG_ANNOUNCE, y->prov,
			    y->nprov, 0, NULL, 0);
			j++;
		} else {
			if (!list_eq(x->prov, x->nprov, y->prov, y->nprov))
				push_aspa(d, y->customer, RTR_FLAG_ANNOUNCE,
				    y->prov, y->nprov, 1, x->prov, x->nprov);
			i++, j++;
		}
	}
}

void
rtr_set_compose(const struct rtr_set *x, const struct rtr_set *y,
    struct rtr_set *out)
{
	size_t	i = 0, j = 0;
	int	c;

	rtr_set_init(out);
	/* A record in both diffs was changed and changed back: each diff
	 * flips its presence, so the net change drops it. */
	while (i < x->nvrps || j < y->nvrps) {
		if (i == x->nvrps)
			c = 1;
		else if (j == y->nvrps)
			c = -1;
		else
			c = rtr_vrp_cmp(&x->vrps[i], &y->vrps[j]);
		if (c < 0)
			rtr_set_add_vrp(out, &x->vrps[i++]);
		else if (c > 0)
			rtr_set_add_vrp(out, &y->vrps[j++]);
		else {
			if (x->vrps[i].flags == y->vrps[j].flags)
				fatalx("rtr_set_compose: VRP changed the same way twice");
			i++, j++;
		}
	}
	i = j = 0;
	while (i < x->nkeys || j < y->nkeys) {
		if (i == x->nkeys)
			c = 1;
		else if (j == y->nkeys)
			c = -1;
		else
			c = rtr_rkey_cmp(&x->keys[i], &y->keys[j]);
		if (c < 0) {
			push_key(out, &x->keys[i], x->keys[i].flags);
			i++;
		} else if (c > 0) {
			push_key(out, &y->keys[j], y->keys[j].flags);
			j++;
		} else {
			if (x->keys[i].flags == y->keys[j].flags)
				fatalx("rtr_set_compose: key changed the same way twice");
			i++, j++;
		}
	}
	i = j = 0;
	while (i < x->naspas || j < y->naspas) {
		const struct rtr_aspa	*p = i < x->naspas ? &x->aspas[i] : NULL;
		const struct rtr_aspa	*q = j < y->naspas ? &y->aspas[j] : NULL;

		if (q == NULL || (p != NULL && p->customer < q->customer)) {
			push_aspa(out, p->customer, p->flags, p->prov, p->nprov,
			    p->had_old, p->old, p->nold);
			i++;
		} else if (p == NULL || q->customer < p->customer) {
			push_aspa(out, q->customer, q->flags, q->prov, q->nprov,
			    q->had_old, q->old, q->nold);
			j++;
		} else {
			/* Start from p's start, end at q's end. */
			int	has_end = q->flags & RTR_FLAG_ANNOUNCE;

			if (!(p->had_old == has_end && (!has_end ||
			    list_eq(p->old, p->nold, q->prov, q->nprov))))
				push_aspa(out, q->customer, q->flags, q->prov,
				    q->nprov, p->had_old, p->old, p->nold);
			i++, j++;
		}
	}
}

void
rtr_set_apply(struct rtr_set *s, const struct rtr_set *d)
{
	struct rtr_set	n;
	size_t		i = 0, j = 0;
	int		c;

	rtr_set_init(&n);
	while (i < s->nvrps || j < d->nvrps) {
		if (i == s->nvrps)
			c = 1;
		else if (j == d->nvrps)
			c = -1;
		else
			c = rtr_vrp_cmp(&s->vrps[i], &d->vrps[j]);
		if (c < 0)
			rtr_set_add_vrp(&n, &s->vrps[i++]);
		else if (c > 0) {
			if (d->vrps[j].flags & RTR_FLAG_ANNOUNCE)
				push_vrp(&n, &d->vrps[j], RTR_FLAG_ANNOUNCE);
			j++;
		} else {
			if (d->vrps[j].flags & RTR_FLAG_ANNOUNCE)
				rtr_set_add_vrp(&n, &s->vrps[i]);
			i++, j++;
		}
	}
	i = j = 0;
	while (i < s->nkeys || j < d->nkeys) {
		if (i == s->nkeys)
			c = 1;
		else if (j == d->nkeys)
			c = -1;
		else
			c = rtr_rkey_cmp(&s->keys[i], &d->keys[j]);
		if (c < 0) {
			push_key(&n, &s->keys[i], RTR_FLAG_ANNOUNCE);
			i++;
		} else if (c > 0) {
			if (d->keys[j].flags & RTR_FLAG_ANNOUNCE)
				push_key(&n, &d->keys[j], RTR_FLAG_ANNOUNCE);
			j++;
		} else {
			if (d->keys[j].flags & RTR_FLAG_ANNOUNCE)
				push_key(&n, &s->keys[i], RTR_FLAG_ANNOUNCE);
			i++, j++;
		}
	}
	i = j = 0;
	while (i < s->naspas || j < d->naspas) {
		const struct rtr_aspa	*p = i < s->naspas ? &s->aspas[i] : NULL;
		const struct rtr_aspa	*q = j < d->naspas ? &d->aspas[j] : NULL;

		if (q == NULL || (p != NULL && p->customer < q->customer)) {
			rtr_set_add_aspa(&n, p->customer, p->prov, p->nprov);
			i++;
		} else {
			if (q->flags & RTR_FLAG_ANNOUNCE)
				rtr_set_add_aspa(&n, q->customer, q->prov,
				    q->nprov);
			if (p != NULL && p->customer == q->customer)
				i++;
			j++;
		}
	}
	rtr_set_free(s);
	*s = n;
}

/* --- encoding --- */

static void
encode_pass(struct buf *b, const struct rtr_set *s, int v, uint8_t want)
{
	const struct rtr_vrp	*p;
	const struct rtr_aspa	*a;
	size_t			 i;

	for (i = 0; i < s->nvrps; i++) {
		p = &s->vrps[i];
		if (p->flags == want)
			rtr_pdu_prefix(b, v, p->afi, want, p->addr, p->plen,
			    p->maxlen, p->asn);
	}
	/* Router Keys exist from version 1 (RFC 8210 section 5.10). */
	if (v >= 1)
		for (i = 0; i < s->nkeys; i++)
			if (s->keys[i].flags == want)
				rtr_pdu_router_key(b, v, want, s->keys[i].ski,
				    s->keys[i].asn, s->keys[i].spki,
				    s->keys[i].spki_len);
	/* ASPA from version 2 (draft-ietf-sidrops-8210bis section 5.12). */
	if (v >= 2)
		for (i = 0; i < s->naspas; i++) {
			a = &s->aspas[i];
			if (a->flags == want)
				rtr_pdu_aspa(b, v, want, a->customer, a->prov,
				    a->nprov);
		}
}

void
rtr_set_encode(struct buf *b, const struct rtr_set *s, int v, int full)
{
	size_t	est;

	est = s->nvrps * 32 + s->nkeys * 128 + s->naspas * 64;
	buf_reserve(b, est);
	/* Withdrawals before announcements, each in the order IPv4, IPv6,
	 * Router Key, ASPA (draft-ietf-sidrops-8210bis section 11): a router
	 * never holds more than the larger of the two sets. */
	if (!full)
		encode_pass(b, s, v, 0);
	encode_pass(b, s, v, RTR_FLAG_ANNOUNCE);
}

/* --- shared encoded responses --- */

/* PDUs in encoded data (framed by their length fields). */
static size_t
count_pdus(const uint8_t *p, size_t len)
{
	size_t		off = 0, n = 0;
	uint32_t	l;

	while (off + RTR_HEADER_LEN <= len) {
		memcpy(&l, p + off + 4, 4);
		l = ntohl(l);
		if (l < RTR_HEADER_LEN)
			break;
		off += l;
		n++;
	}
	return n;
}

/* Move a large blob into a sealed memfd; on any failure it stays on
 * the heap (correct, only slower). */
static void
blob_to_memfd(struct rtr_blob *bl)
{
	size_t	 off = 0;
	ssize_t	 n;
	void	*map;
	int	 fd;

	if ((fd = memfd_create("rtr-response", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		return;
	while (off < bl->len) {
		n = write(fd, bl->data + off, bl->len - off);
		if (n <= 0) {
			close(fd);
			return;
		}
		off += (size_t)n;
	}
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
	    F_SEAL_SEAL);
	map = mmap(NULL, bl->len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return;
	}
	free(bl->data);
	bl->data = map;
	bl->fd = fd;
}

struct rtr_blob *
rtr_blob_new(struct buf *b)
{
	struct rtr_blob	*bl;

	bl = xcalloc(1, sizeof(*bl));
	bl->refs = 1;
	bl->fd = -1;
	bl->data = buf_release(b, &bl->len);
	bl->npdus = count_pdus(bl->data, bl->len);
	if (bl->len >= RTR_BLOB_MEMFD_MIN)
		blob_to_memfd(bl);
	return bl;
}

struct rtr_blob *
rtr_blob_ref(struct rtr_blob *bl)
{
	bl->refs++;
	return bl;
}

void
rtr_blob_unref(struct rtr_blob *bl)
{
	if (bl == NULL || --bl->refs > 0)
		return;
	if (bl->fd != -1) {
		munmap(bl->data, bl->len);
		close(bl->fd);
	} else
		free(bl->data);
	free(bl);
}

void
rtr_cache_init(struct rtr_cache *c, uint16_t session_id, uint32_t first_serial,
    size_t max_hist, const struct rtr_timers *t)
{
	memset(c, 0, sizeof(*c));
	c->session_id = session_id;
	c->serial = first_serial;
	c->max_hist = max_hist;
	c->hist_min_records = RTR_HISTORY_MIN_RECORDS;
	c->timers = *t;
	rtr_set_init(&c->cur);
}

static void
delta_free(struct rtr_delta *d)
{
	int	v;

	rtr_set_free(&d->diff);
	for (v = 0; v < RTR_NVERSIONS; v++) {
		rtr_blob_unref(d->enc[v]);
		d->enc[v] = NULL;
	}
}

static void
drop_encoded(struct rtr_cache *c)
{
	int	v;

	for (v = 0; v < RTR_NVERSIONS; v++) {
		rtr_blob_unref(c->full[v]);
		c->full[v] = NULL;
	}
}

void
rtr_cache_free(struct rtr_cache *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nhist; i++)
		delta_free(&c->hist[i]);
	free(c->hist);
	rtr_set_free(&c->cur);
	drop_encoded(c);
	c->hist = NULL;
	c->nhist = 0;
}

/* Drop the oldest diffs while all together exceed the record budget. */
static void
trim_history(struct rtr_cache *c)
{
	size_t	total = 0, budget, i, drop;

	budget = c->hist_min_records + 2 * rtr_set_count(&c->cur);
	for (i = 0; i < c->nhist; i++)
		total += rtr_set_count(&c->hist[i].diff);
	for (drop = 0; drop < c->nhist && total > budget; drop++) {
		total -= rtr_set_count(&c->hist[drop].diff);
		delta_free(&c->hist[drop]);
	}
	if (drop == 0)
		return;
	memmove(c->hist, c->hist + drop, (c->nhist - drop) * sizeof(*c->hist));
	c->nhist -= drop;
}

int
rtr_cache_update(struct rtr_cache *c, struct rtr_set *set)
{
	struct rtr_set	d, n;
	size_t		i;

	if (!c->has_data) {
		rtr_set_free(&c->cur);
		c->cur = *set;
		rtr_set_init(set);
		c->has_data = 1;
		drop_encoded(c);
		return 1;
	}
	rtr_set_diff(&c->cur, set, &d);
	if (rtr_set_count(&d) == 0) {
		rtr_set_free(&d);
		rtr_set_free(set);
		return 0;
	}
	for (i = 0; i < c->nhist; i++) {
		rtr_set_compose(&c->hist[i].diff, &d, &n);
		delta_free(&c->hist[i]);
		c->hist[i].diff = n;
	}
	if (c->max_hist > 0) {
		if (c->nhist == c->max_hist) {
			delta_free(&c->hist[0]);
			memmove(c->hist, c->hist + 1,
			    (c->nhist - 1) * sizeof(*c->hist));
			c->nhist--;
		}
		c->hist = xrealloc(c->hist, (c->nhist + 1) * sizeof(*c->hist));
		memset(&c->hist[c->nhist], 0, sizeof(*c->hist));
		c->hist[c->nhist].serial = c->serial;
		c->hist[c->nhist].diff = d;
		c->nhist++;
	} else
		rtr_set_free(&d);
	rtr_set_free(&c->cur);
	c->cur = *set;
	rtr_set_init(set);
	c->serial++;		/* wraps at 2^32 (RFC 1982 section 3.1) */
	trim_history(c);
	drop_encoded(c);
	return 1;
}

static struct rtr_blob *
encode_response(const struct rtr_cache *c, const struct rtr_set *s, int v,
    int full)
{
	struct buf	b;

	buf_init(&b);
	rtr_pdu_cache_response(&b, v, c->session_id);
	rtr_set_encode(&b, s, v, full);
	rtr_pdu_end_of_data(&b, v, c->session_id, c->serial, &c->timers);
	return rtr_blob_new(&b);
}

struct rtr_blob *
rtr_cache_full(struct rtr_cache *c, int v)
{
	if (c->full[v] == NULL)
		c->full[v] = encode_response(c, &c->cur, v, 1);
	return rtr_blob_ref(c->full[v]);
}

struct rtr_blob *
rtr_cache_delta(struct rtr_cache *c, int v, uint32_t serial)
{
	struct rtr_set	 empty;
	struct rtr_delta *d;
	size_t		 i;

	if (serial == c->serial) {
		/* Up to date: Cache Response and End of Data only. */
		rtr_set_init(&empty);
		return encode_response(c, &empty, v, 0);
	}
	/* Only serials we issued and still hold; a serial that is not
	 * before ours (RFC 1982) cannot be one of them. */
	if (!rtr_serial_lt(serial, c->serial))
		return NULL;
	for (i = 0; i < c->nhist; i++) {
		d = &c->hist[i];
		if (d->serial != serial)
			continue;
		if (d->enc[v] == NULL)
			d->enc[v] = encode_response(c, &d->diff, v, 0);
		return rtr_blob_ref(d->enc[v]);
	}
	return NULL;
}
