/*
 * RFC 8416 SLURM.  A SLURM file is a local, operator-written document of
 * bounded size (RTR_MAX_SLURM_SIZE), so it is parsed into a yajl tree
 * rather than streamed; every member is checked against section 3 and
 * unknown members are refused (section 3.2: "MUST NOT" carry others).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "bounds.h"
#include "encoding.h"
#include "fileio.h"
#include "input.h"
#include "log.h"
#include "slurm.h"

struct pfilter {
	int		has_prefix, has_asn;
	struct rtr_vrp	p;
	uint32_t	asn;
};

struct kfilter {
	int		has_ski, has_asn;
	uint8_t		ski[20];
	uint32_t	asn;
};

struct rtr_slurm {
	struct pfilter	*pf;
	size_t		 npf;
	struct kfilter	*kf;
	size_t		 nkf;
	struct rtr_set	 add;		/* assertions */
};

static int
err_at(char *err, size_t len, const char *what)
{
	snprintf(err, len, "RFC 8416 section 3: %s", what);
	return -1;
}

/* Only the listed keys may appear in object o. */
static int
only_keys(yajl_val o, const char *const *allowed)
{
	size_t	i, j;

	for (i = 0; i < o->u.object.len; i++) {
		for (j = 0; allowed[j]; j++)
			if (strcmp(o->u.object.keys[i], allowed[j]) == 0)
				break;
		if (allowed[j] == NULL)
			return -1;
	}
	return 0;
}

static yajl_val
member(yajl_val o, const char *k)
{
	size_t	i;

	for (i = 0; i < o->u.object.len; i++)
		if (strcmp(o->u.object.keys[i], k) == 0)
			return o->u.object.values[i];
	return NULL;
}

static int
get_asn(yajl_val v, uint32_t *out)
{
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 ||
	    YAJL_GET_INTEGER(v) > (long long)UINT32_MAX)
		return -1;
	*out = (uint32_t)YAJL_GET_INTEGER(v);
	return 0;
}

/* Section 3.3.2: base64url without padding (RFC 4648 section 5). */
static int
b64url(const char *s, struct buf *out, size_t max)
{
	struct buf	t;
	size_t		i;
	int		rc;

	buf_init(&t);
	for (i = 0; s[i]; i++)
		buf_addc(&t, s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i]);
	while (t.len % 4)
		buf_addc(&t, '=');
	rc = b64_decode(out, (const char *)t.data, t.len, max);
	buf_free(&t);
	return rc;
}

static int
get_prefix(yajl_val v, struct rtr_vrp *p)
{
	const char	*s = YAJL_GET_STRING(v);

	if (s == NULL)
		return -1;
	return rtr_parse_prefix(s, strlen(s), p);
}

static int
parse_filters(struct rtr_slurm *sl, yajl_val vof, char *err, size_t len)
{
	static const char *const top[] = { "prefixFilters", "bgpsecFilters", NULL };
	static const char *const pk[] = { "prefix", "asn", "comment", NULL };
	static const char *const kk[] = { "asn", "SKI", "comment", NULL };
	yajl_val	 a, o, v;
	struct buf	 b;
	size_t		 i;

	if (!YAJL_IS_OBJECT(vof) || only_keys(vof, top) == -1)
		return err_at(err, len, "bad validationOutputFilters");
	if ((a = member(vof, "prefixFilters")) == NULL || !YAJL_IS_ARRAY(a))
		return err_at(err, len, "prefixFilters missing");
	sl->pf = xcalloc(a->u.array.len + 1, sizeof(*sl->pf));
	for (i = 0; i < a->u.array.len; i++) {
		struct pfilter	*f = &sl->pf[sl->npf];

		o = a->u.array.values[i];
		if (!YAJL_IS_OBJECT(o) || only_keys(o, pk) == -1)
			return err_at(err, len, "bad prefixFilter");
		if ((v = member(o, "prefix")) != NULL) {
			if (get_prefix(v, &f->p) == -1)
				return err_at(err, len, "bad prefixFilter prefix");
			f->has_prefix = 1;
		}
		if ((v = member(o, "asn")) != NULL) {
			if (get_asn(v, &f->asn) == -1)
				return err_at(err, len, "bad prefixFilter asn");
			f->has_asn = 1;
		}
		/* Section 3.3.1: at least one of prefix and asn. */
		if (!f->has_prefix && !f->has_asn)
			return err_at(err, len, "prefixFilter without prefix or asn");
		sl->npf++;
	}
	if ((a = member(vof, "bgpsecFilters")) == NULL || !YAJL_IS_ARRAY(a))
		return err_at(err, len, "bgpsecFilters missing");
	sl->kf = xcalloc(a->u.array.len + 1, sizeof(*sl->kf));
	for (i = 0; i < a->u.array.len; i++) {
		struct kfilter	*f = &sl->kf[sl->nkf];

		o = a->u.array.values[i];
		if (!YAJL_IS_OBJECT(o) || only_keys(o, kk) == -1)
			return err_at(err, len, "bad bgpsecFilter");
		if ((v = member(o, "asn")) != NULL) {
			if (get_asn(v, &f->asn) == -1)
				return err_at(err, len, "bad bgpsecFilter asn");
			f->has_asn = 1;
		}
		if ((v = member(o, "SKI")) != NULL) {
			buf_init(&b);
			if (!YAJL_IS_STRING(v) || b64url(YAJL_GET_STRING(v),
			    &b, 20) == -1 || b.len != 20) {
				buf_free(&b);
				return err_at(err, len, "bad bgpsecFilter SKI");
			}
			memcpy(f->ski, b.data, 20);
			buf_free(&b);
			f->has_ski = 1;
		}
		if (!f->has_ski && !f->has_asn)
			return err_at(err, len, "bgpsecFilter without SKI or asn");
		sl->nkf++;
	}
	return 0;
}

static int
parse_assertions(struct rtr_slurm *sl, yajl_val laa, char *err, size_t len)
{
	static const char *const top[] = { "prefixAssertions",
	    "bgpsecAssertions", NULL };
	static const char *const pk[] = { "prefix", "asn", "maxPrefixLength",
	    "comment", NULL };
	static const char *const kk[] = { "asn", "SKI", "routerPublicKey",
	    "comment", NULL };
	yajl_val	 a, o, v;
	struct rtr_vrp	 p;
	struct buf	 ski, spki;
	uint32_t	 asn;
	size_t		 i;
	int		 rc;

	if (!YAJL_IS_OBJECT(laa) || only_keys(laa, top) == -1)
		return err_at(err, len, "bad locallyAddedAssertions");
	if ((a = member(laa, "prefixAssertions")) == NULL || !YAJL_IS_ARRAY(a))
		return err_at(err, len, "prefixAssertions missing");
	for (i = 0; i < a->u.array.len; i++) {
		o = a->u.array.values[i];
		memset(&p, 0, sizeof(p));
		if (!YAJL_IS_OBJECT(o) || only_keys(o, pk) == -1 ||
		    (v = member(o, "prefix")) == NULL || get_prefix(v, &p) == -1 ||
		    (v = member(o, "asn")) == NULL || get_asn(v, &p.asn) == -1)
			return err_at(err, len, "bad prefixAssertion");
		p.maxlen = p.plen;
		if ((v = member(o, "maxPrefixLength")) != NULL) {
			if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < p.plen ||
			    YAJL_GET_INTEGER(v) > (p.afi == 4 ? 32 : 128))
				return err_at(err, len, "bad maxPrefixLength");
			p.maxlen = (uint8_t)YAJL_GET_INTEGER(v);
		}
		p.flags = RTR_FLAG_ANNOUNCE;
		rtr_set_add_vrp(&sl->add, &p);
	}
	if ((a = member(laa, "bgpsecAssertions")) == NULL || !YAJL_IS_ARRAY(a))
		return err_at(err, len, "bgpsecAssertions missing");
	for (i = 0; i < a->u.array.len; i++) {
		o = a->u.array.values[i];
		if (!YAJL_IS_OBJECT(o) || only_keys(o, kk) == -1 ||
		    (v = member(o, "asn")) == NULL || get_asn(v, &asn) == -1)
			return err_at(err, len, "bad bgpsecAssertion");
		buf_init(&ski);
		buf_init(&spki);
		rc = 0;
		if ((v = member(o, "SKI")) == NULL || !YAJL_IS_STRING(v) ||
		    b64url(YAJL_GET_STRING(v), &ski, 20) == -1 || ski.len != 20)
			rc = -1;
		if (rc == 0 && ((v = member(o, "routerPublicKey")) == NULL ||
		    !YAJL_IS_STRING(v) || b64url(YAJL_GET_STRING(v), &spki,
		    RTR_MAX_SPKI_LEN) == -1 || spki.len == 0))
			rc = -1;
		if (rc == 0)
			rtr_set_add_key(&sl->add, ski.data, asn, spki.data, spki.len);
		buf_free(&ski);
		buf_free(&spki);
		if (rc == -1)
			return err_at(err, len, "bad bgpsecAssertion SKI or routerPublicKey");
	}
	return 0;
}

struct rtr_slurm *
rtr_slurm_parse(const uint8_t *data, size_t n, char *err, size_t len)
{
	static const char *const top[] = { "slurmVersion",
	    "validationOutputFilters", "locallyAddedAssertions", NULL };
	struct rtr_slurm	*sl = NULL, *ret = NULL;
	yajl_val		 root = NULL, v;
	char			*text = NULL, ebuf[128];

	text = xmalloc(n + 1);
	if (n > 0)
		memcpy(text, data, n);
	text[n] = '\0';
	if (strlen(text) != n) {
		err_at(err, len, "NUL byte in the document");
		goto out;
	}
	if ((root = yajl_tree_parse(text, ebuf, sizeof(ebuf))) == NULL) {
		snprintf(err, len, "SLURM JSON: %s", ebuf);
		goto out;
	}
	if (!YAJL_IS_OBJECT(root) || only_keys(root, top) == -1) {
		err_at(err, len, "unknown top-level member");
		goto out;
	}
	if ((v = member(root, "slurmVersion")) == NULL || !YAJL_IS_INTEGER(v) ||
	    YAJL_GET_INTEGER(v) != 1) {
		err_at(err, len, "slurmVersion must be 1");
		goto out;
	}
	sl = xcalloc(1, sizeof(*sl));
	rtr_set_init(&sl->add);
	if ((v = member(root, "validationOutputFilters")) == NULL ||
	    parse_filters(sl, v, err, len) == -1) {
		if (v == NULL)
			err_at(err, len, "validationOutputFilters missing");
		goto out;
	}
	if ((v = member(root, "locallyAddedAssertions")) == NULL ||
	    parse_assertions(sl, v, err, len) == -1) {
		if (v == NULL)
			err_at(err, len, "locallyAddedAssertions missing");
		goto out;
	}
	rtr_set_normalize(&sl->add);
	ret = sl;
	sl = NULL;
out:
	rtr_slurm_free(sl);
	yajl_tree_free(root);
	free(text);
	return ret;
}

void
rtr_slurm_free(struct rtr_slurm *sl)
{
	if (sl == NULL)
		return;
	free(sl->pf);
	free(sl->kf);
	rtr_set_free(&sl->add);
	free(sl);
}

/* Section 3.3.1: a VRP matches when its prefix is the filter's or more
 * specific, and its ASN is the filter's (each only if given). */
static int
vrp_filtered(const struct rtr_slurm *sl, const struct rtr_vrp *v)
{
	const struct pfilter	*f;
	size_t			 i, bits;

	for (i = 0; i < sl->npf; i++) {
		f = &sl->pf[i];
		if (f->has_asn && f->asn != v->asn)
			continue;
		if (f->has_prefix) {
			if (f->p.afi != v->afi || v->plen < f->p.plen)
				continue;
			for (bits = 0; bits < f->p.plen; bits++)
				if ((f->p.addr[bits / 8] ^ v->addr[bits / 8]) &
				    (0x80 >> (bits % 8)))
					break;
			if (bits < f->p.plen)
				continue;
		}
		return 1;
	}
	return 0;
}

static int
key_filtered(const struct rtr_slurm *sl, const struct rtr_rkey *k)
{
	size_t	i;

	for (i = 0; i < sl->nkf; i++) {
		if (sl->kf[i].has_asn && sl->kf[i].asn != k->asn)
			continue;
		if (sl->kf[i].has_ski && memcmp(sl->kf[i].ski, k->ski, 20) != 0)
			continue;
		return 1;
	}
	return 0;
}

void
rtr_slurm_apply(const struct rtr_slurm *sl, struct rtr_set *set)
{
	size_t	i, j;

	for (i = 0, j = 0; i < set->nvrps; i++)
		if (!vrp_filtered(sl, &set->vrps[i]))
			set->vrps[j++] = set->vrps[i];
	set->nvrps = j;
	for (i = 0, j = 0; i < set->nkeys; i++) {
		if (!key_filtered(sl, &set->keys[i]))
			set->keys[j++] = set->keys[i];
		else
			free(set->keys[i].spki);
	}
	set->nkeys = j;
	/* Section 4.1: assertions after filters, so they always apply. */
	for (i = 0; i < sl->add.nvrps; i++)
		rtr_set_add_vrp(set, &sl->add.vrps[i]);
	for (i = 0; i < sl->add.nkeys; i++)
		rtr_set_add_key(set, sl->add.keys[i].ski, sl->add.keys[i].asn,
		    sl->add.keys[i].spki, sl->add.keys[i].spki_len);
	rtr_set_normalize(set);
}

int
rtr_slurm_apply_file(const char *path, struct rtr_set *set, char *err,
    size_t len)
{
	struct rtr_slurm	*sl;
	char			*data;
	size_t			 n;
	char			 e[256];

	if ((data = file_read(path, RTR_MAX_SLURM_SIZE, &n)) == NULL) {
		snprintf(err, len, "%s: cannot read (or larger than the limit)",
		    path);
		return -1;
	}
	sl = rtr_slurm_parse((const uint8_t *)data, n, e, sizeof(e));
	free(data);
	if (sl == NULL) {
		snprintf(err, len, "%s: %s", path, e);
		return -1;
	}
	rtr_slurm_apply(sl, set);
	rtr_slurm_free(sl);
	return 0;
}
