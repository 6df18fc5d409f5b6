/*
 * rpkipub-push's commands (push.h).
 *
 * Every command takes the state directory's lock first.  Those that sign
 * (sync, list) load the BPKI identity and renew its EE certificate or CRL
 * when it is within its margin (bpki_renew), so a publisher run from cron
 * never presents an expired one.  The repository_response stored by
 * configure is parsed again on each run with the strict RFC 8183 parser;
 * it gives the service_uri, the sia_base (the jail of every URI sent and
 * listed) and the repository's BPKI TA that every reply must verify
 * against.
 *
 * sync: the local directory is scanned and checked first (push_tree.c),
 * so nothing is sent when a file cannot be published; then a list query,
 * the difference by hash (push_diff.c) and, if anything differs, one
 * query with every publish and withdraw PDU (push_query.c).  A plan that
 * would empty the publication point, or withdraw a large share of it, is
 * refused unless allowed (push_plan_mass_withdraw): an unmounted source
 * directory looks like an empty one.  What changed is printed only once
 * the server said <success/>.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "bounds.h"
#include "bpki.h"
#include "encoding.h"
#include "fileio.h"
#include "log.h"
#include "ossl.h"
#include "push.h"
#include "push_diff.h"
#include "push_query.h"
#include "push_state.h"
#include "push_tree.h"
#include "rfc8183.h"

/* Refused files listed one by one; the rest are counted. */
#define MAX_REFUSALS_SHOWN	20

/* What a command has loaded; ctx_close() frees it all. */
struct ctx {
	const struct push_opts			*o;
	struct push_state			*state;
	struct rfc8183_repository_response	*resp;
	X509					*repo_ta;
	struct bpki				*id;
	struct push_http			*http;
};

static void
ctx_close(struct ctx *c)
{
	push_state_free(c->state);
	rfc8183_repository_response_free(c->resp);
	X509_free(c->repo_ta);
	bpki_free(c->id);
	push_http_free(c->http);
	memset(c, 0, sizeof(*c));
}

/*
 * Parse a repository_response of len bytes (from path) for this state's
 * handle.  0 with *resp and *ta, or -1 (logged).
 */
static int
response_check(const char *path, const uint8_t *data, size_t len,
    const struct push_state *st, struct rfc8183_repository_response **resp,
    X509 **ta)
{
	struct rfc8183_repository_response	*r = NULL;
	X509					*x = NULL;
	time_t					 na;
	char					 err[512];
	int					 rc = -1;

	*resp = NULL;
	*ta = NULL;
	if (rfc8183_parse_repository_response(data, len, &r, err,
	    sizeof(err)) == -1) {
		log_err("%s: %s", path, err);
		goto out;
	}
	if (strcmp(r->handle, st->handle) != 0) {
		log_err("%s: the repository_response is for publisher_handle "
		    "\"%s\", this state directory is publisher \"%s\" (RFC "
		    "8183 section 5.2.4); register the publisher_request of "
		    "this directory under its own handle", path, r->handle,
		    st->handle);
		goto out;
	}
	if ((x = bpki_cert_from_der(r->bpki_ta, r->bpki_ta_len)) == NULL) {
		log_err("%s: repository_bpki_ta is not a DER X.509 certificate "
		    "(RFC 8183 section 5.2.4)", path);
		goto out;
	}
	if (ossl_asn1time_to_time(X509_get0_notAfter(x), &na) == -1 ||
	    na <= time(NULL)) {
		log_err("%s: the repository_bpki_ta has expired: no reply of "
		    "this repository could be verified", path);
		goto out;
	}
	*resp = r;
	*ta = x;
	r = NULL;
	x = NULL;
	rc = 0;
 out:
	rfc8183_repository_response_free(r);
	X509_free(x);
	return rc;
}

/*
 * Lock the state directory and load its state; with response, the stored
 * repository_response too; with identity, the BPKI (renewed if due) and
 * an HTTP handle.  0, or -1 (logged).
 */
static int
ctx_open(struct ctx *c, const struct push_opts *o, int response,
    int identity)
{
	uint8_t	*data = NULL;
	char	*path = NULL, *bdir = NULL;
	size_t	 len;
	int	 rc = -1;

	memset(c, 0, sizeof(*c));
	c->o = o;
	if (access(o->state_dir, F_OK) == -1) {
		log_err("%s: %s (make it with rpkipub-push --state %s init "
		    "--handle HANDLE)", o->state_dir, strerror(errno),
		    o->state_dir);
		goto out;
	}
	if (push_state_lock(o->state_dir) == -1 ||
	    (c->state = push_state_load(o->state_dir)) == NULL)
		goto out;
	if (response) {
		path = push_path(o->state_dir, PUSH_FILE_RESPONSE);
		if (access(path, F_OK) == -1) {
			log_err("%s: not configured yet: give the "
			    "publisher_request to the repository and run "
			    "rpkipub-push --state %s configure --response "
			    "FILE with its repository_response", o->state_dir,
			    o->state_dir);
			goto out;
		}
		if ((data = (uint8_t *)file_read(path, MAX_RFC8183_SIZE,
		    &len)) == NULL ||
		    response_check(path, data, len, c->state, &c->resp,
		    &c->repo_ta) == -1)
			goto out;
	}
	if (identity) {
		bdir = push_path(o->state_dir, PUSH_FILE_BPKI);
		if ((c->id = bpki_load(bdir)) == NULL ||
		    bpki_renew(bdir, c->id, time(NULL)) == -1)
			goto out;
		c->http = push_http_new(o->timeout, o->tls_ca);
	}
	rc = 0;
 out:
	free(data);
	free(path);
	free(bdir);
	if (rc == -1)
		ctx_close(c);
	return rc;
}

static void
peer_init(struct push_peer *p, struct ctx *c)
{
	memset(p, 0, sizeof(*p));
	p->dir = c->o->state_dir;
	p->state = c->state;
	p->id = c->id;
	p->resp = c->resp;
	p->repo_ta = c->repo_ta;
	p->http = c->http;
	p->max_body = c->o->max_body;
}

int
push_cmd_init(const struct push_opts *o, const char *handle)
{
	struct rfc8183_publisher_request	 req;
	struct push_state			 st;
	struct bpki				*id = NULL;
	struct buf				 xml;
	char					*bdir = NULL, *path = NULL;
	int					 rc = PUSH_EXIT_LOCAL;

	memset(&req, 0, sizeof(req));
	buf_init(&xml);
	if (!rfc8183_handle_valid(handle)) {
		log_err("\"%s\" is not a valid publisher handle (RFC 8183 "
		    "section 5.2.2: 1-%d characters of A-Z a-z 0-9 - _ /, no "
		    "leading, trailing or doubled /)", handle,
		    MAX_HANDLE_LENGTH);
		goto out;
	}
	if (mkdir(o->state_dir, 0700) == -1 && errno != EEXIST) {
		log_err("%s: %s", o->state_dir, strerror(errno));
		goto out;
	}
	if (push_state_lock(o->state_dir) == -1)
		goto out;
	path = push_path(o->state_dir, PUSH_FILE_STATE);
	if (access(path, F_OK) == 0) {
		log_err("%s: an rpkipub-push identity exists already here; "
		    "its publisher_request is %s/" PUSH_FILE_REQUEST,
		    o->state_dir, o->state_dir);
		goto out;
	}
	bdir = push_path(o->state_dir, PUSH_FILE_BPKI);
	if (mkdir(bdir, 0700) == -1 && errno != EEXIST) {
		log_err("%s: %s", bdir, strerror(errno));
		goto out;
	}
	if (bpki_create(bdir, handle) == -1) {
		log_err("%s: no state file but a BPKI identity: an earlier "
		    "init was interrupted; remove %s and run init again",
		    o->state_dir, o->state_dir);
		goto out;
	}
	if ((id = bpki_load(bdir)) == NULL)
		goto out;
	req.handle = (char *)handle;
	if ((req.bpki_ta = bpki_cert_der(id->ta, &req.bpki_ta_len)) == NULL)
		fatalx("%s: cannot encode the BPKI TA", __func__);
	rfc8183_write_publisher_request(&xml, &req);
	free(path);
	path = push_path(o->state_dir, PUSH_FILE_REQUEST);
	if (file_write_atomic(path, xml.data, xml.len, 0644) == -1)
		goto out;
	/* The state file last: it marks a complete init. */
	memset(&st, 0, sizeof(st));
	st.handle = (char *)handle;
	if (push_state_save(o->state_dir, &st) == -1)
		goto out;
	fwrite(xml.data, 1, xml.len, stdout);
	log_info("publisher \"%s\" created in %s; give %s to the repository "
	    "operator (rpkipubctl publishers add --request FILE), then run "
	    "rpkipub-push --state %s configure --response FILE with the "
	    "repository_response", handle, o->state_dir, path, o->state_dir);
	rc = PUSH_OK;
 out:
	free(req.bpki_ta);
	bpki_free(id);
	buf_free(&xml);
	free(bdir);
	free(path);
	return rc;
}

/* SHA-256 of a certificate's DER in hex (what rpkipubctl shows). */
static void
cert_sha256(X509 *x, char hex[65])
{
	uint8_t	*der, fp[32];
	size_t	 len;

	hex[0] = '\0';
	if ((der = bpki_cert_der(x, &len)) == NULL)
		return;
	SHA256(der, len, fp);
	hex_encode(hex, fp, sizeof(fp));
	free(der);
}

static void
cert_subject(X509 *x, char *buf, size_t len)
{
	X509_NAME_oneline(X509_get_subject_name(x), buf, (int)len);
}

int
push_cmd_configure(const struct push_opts *o, const char *file)
{
	struct rfc8183_repository_response	*resp = NULL, *old = NULL;
	struct ctx				 c;
	X509					*ta = NULL, *oldta = NULL;
	uint8_t					*data = NULL, *olddata;
	char					*path = NULL, hex[65];
	char					 subject[256];
	size_t					 len, oldlen;
	int					 rc = PUSH_EXIT_LOCAL, sameta = 0;

	if (ctx_open(&c, o, 0, 0) == -1)
		return PUSH_EXIT_LOCAL;
	if ((data = (uint8_t *)file_read(file, MAX_RFC8183_SIZE, &len)) ==
	    NULL || response_check(file, data, len, c.state, &resp, &ta) == -1)
		goto out;
	path = push_path(o->state_dir, PUSH_FILE_RESPONSE);
	/* Say what a new response replaces: it moves the publication point. */
	if (access(path, F_OK) == 0 && (olddata = (uint8_t *)file_read(path,
	    MAX_RFC8183_SIZE, &oldlen)) != NULL) {
		if (response_check(path, olddata, oldlen, c.state, &old,
		    &oldta) == 0) {
			if (strcmp(old->service_uri, resp->service_uri) != 0 ||
			    strcmp(old->sia_base, resp->sia_base) != 0)
				log_warn("replacing the configured repository "
				    "%s (sia_base %s)", old->service_uri,
				    old->sia_base);
			if (X509_cmp(oldta, ta) != 0)
				log_warn("the repository_bpki_ta changes: "
				    "replies must now verify against the new "
				    "one");
			else
				sameta = 1;
		}
		free(olddata);
	}
	/*
	 * The replies seen belong to the repository whose TA signed them:
	 * another repository's clock owes nothing to them.  The state first:
	 * a crash between the two leaves it forgotten for the old one, which
	 * only weakens the replay check until its next reply.
	 */
	if (!sameta && c.state->last_reply_signing_time != 0) {
		push_state_reply_reset(c.state);
		if (push_state_save(o->state_dir, c.state) == -1)
			goto out;
	}
	if (file_write_atomic(path, data, len, 0644) == -1)
		goto out;
	cert_sha256(ta, hex);
	cert_subject(ta, subject, sizeof(subject));
	printf("handle:                     %s\n"
	    "service_uri:                %s\n"
	    "sia_base:                   %s\n"
	    "rrdp_notification_uri:      %s\n"
	    "repository_bpki_ta_subject: %s\n"
	    "repository_bpki_ta_sha256:  %s\n",
	    resp->handle, resp->service_uri, resp->sia_base,
	    resp->rrdp_notification_uri != NULL ?
	    resp->rrdp_notification_uri : "(none)", subject, hex);
	log_info("configured; rpkipub-push --state %s list asks the server "
	    "what it holds", o->state_dir);
	rc = PUSH_OK;
 out:
	rfc8183_repository_response_free(resp);
	rfc8183_repository_response_free(old);
	X509_free(ta);
	X509_free(oldta);
	free(data);
	free(path);
	ctx_close(&c);
	return rc;
}

int
push_cmd_list(const struct push_opts *o)
{
	struct push_listed	*l = NULL;
	struct push_peer	 p;
	struct ctx		 c;
	char			 hex[65], err[256];
	size_t			 n = 0, i;
	int			 rc;

	if (ctx_open(&c, o, 1, 1) == -1)
		return PUSH_EXIT_LOCAL;
	peer_init(&p, &c);
	if ((rc = push_query_list(&p, &l, &n)) == PUSH_OK) {
		if (push_listed_sort(l, n, err, sizeof(err)) == -1) {
			log_err("list query: %s", err);
			rc = PUSH_EXIT_UNVERIFIED;
		} else {
			for (i = 0; i < n; i++) {
				hex_encode(hex, l[i].hash, 32);
				printf("%s %s\n", l[i].uri, hex);
			}
		}
	}
	push_listed_free(l, n);
	ctx_close(&c);
	return rc;
}

/* Print the plan's lines: "publish URI" and so on, in URI order. */
static void
plan_print(const struct push_plan *plan)
{
	size_t	i;

	for (i = 0; i < plan->nchanges; i++)
		printf("%-8s %s\n", push_action_name(plan->changes[i].action),
		    plan->changes[i].uri);
}

/* Print the refusals of a scan, the first MAX_REFUSALS_SHOWN of them. */
static void
refusals_log(const char *src, const struct buf *r, size_t n)
{
	const char	*p = (const char *)r->data, *nl;
	size_t		 i;

	for (i = 0; i < n && i < MAX_REFUSALS_SHOWN; i++) {
		nl = memchr(p, '\n', r->len - (size_t)(p - (const char *)
		    r->data));
		log_err("%.*s", (int)(nl - p), p);
		p = nl + 1;
	}
	if (n > MAX_REFUSALS_SHOWN)
		log_err("... and %zu more", n - MAX_REFUSALS_SHOWN);
	log_err("%s cannot be published as it is (%zu problem%s); nothing "
	    "was sent", src, n, n == 1 ? "" : "s");
}

/*
 * sync --verify: after the change query's <success/>, one more list
 * query, which must name exactly the files of tree.  The replay check
 * already ties a <success/> to this query (push_state.h), so this checks
 * the server, not the path: that it applied the whole query (RFC 8181
 * section 2.4) and that nothing else changed the point meanwhile.
 * PUSH_OK, or an exit status after logging why.
 */
static int
sync_verify(struct push_peer *p, const struct push_tree *tree,
    const char *src)
{
	struct push_listed	*l = NULL;
	char			 err[1024];
	size_t			 n = 0;
	int			 rc;

	if ((rc = push_query_list(p, &l, &n)) != PUSH_OK) {
		log_err("--verify: the server said <success/>, but the list "
		    "query that checks it failed; run sync again");
		goto out;
	}
	if (push_diff_equal(tree->files, tree->nfiles, l, n, err,
	    sizeof(err)) == -1) {
		log_err("--verify: the server said <success/>, but it does not "
		    "hold what %s holds: %s; run sync again", src, err);
		rc = PUSH_EXIT_UNVERIFIED;
		goto out;
	}
	rc = PUSH_OK;
 out:
	push_listed_free(l, n);
	return rc;
}

int
push_cmd_sync(const struct push_opts *o, const char *src)
{
	struct push_tree	*tree = NULL;
	struct push_listed	*l = NULL;
	struct push_plan	 plan;
	struct push_peer	 p;
	struct buf		 refusals;
	struct ctx		 c;
	char			 err[512], why[256];
	size_t			 n = 0, nrefused;
	int			 mass, rc;

	memset(&plan, 0, sizeof(plan));
	buf_init(&refusals);
	if (ctx_open(&c, o, 1, 1) == -1) {
		rc = PUSH_EXIT_LOCAL;
		goto out;
	}
	if (push_tree_scan(src, c.resp->sia_base, o->max_object,
	    MAX_PUSH_FILES, &tree, &refusals, &nrefused) == -1) {
		refusals_log(src, &refusals, nrefused);
		rc = PUSH_EXIT_LOCAL;
		goto out;
	}
	peer_init(&p, &c);
	if ((rc = push_query_list(&p, &l, &n)) != PUSH_OK)
		goto out;
	if (push_diff(tree->files, tree->nfiles, l, n, &plan, err,
	    sizeof(err)) == -1) {
		log_err("list query: %s", err);
		rc = PUSH_EXIT_UNVERIFIED;
		goto out;
	}
	if (plan.nchanges > MAX_PDUS_PER_QUERY) {
		log_err("the change needs %zu PDUs, more than one RFC 8181 "
		    "query may hold (%d, MAX_PDUS_PER_QUERY): nothing was "
		    "sent", plan.nchanges, MAX_PDUS_PER_QUERY);
		rc = PUSH_EXIT_LOCAL;
		goto out;
	}
	if ((mass = push_plan_mass_withdraw(&plan, o->max_withdraw, why,
	    sizeof(why))) == -1 && o->allow_mass_withdraw) {
		log_warn("%s; sent anyway (--allow-mass-withdraw)", why);
		mass = 0;
	}
	if (o->dry_run) {
		plan_print(&plan);
		printf("dry run: %zu to publish, %zu to replace, %zu to "
		    "withdraw, %zu unchanged; only the list query was sent\n",
		    plan.npublish, plan.nreplace, plan.nwithdraw,
		    plan.nunchanged);
		rc = PUSH_OK;
		if (mass == -1) {
			printf("dry run: sync would refuse this plan: %s; "
			    "--allow-mass-withdraw sends it\n", why);
			rc = PUSH_EXIT_LOCAL;
		}
		goto out;
	}
	if (mass == -1) {
		log_err("%s: %s; refused, only the list query was sent.  If "
		    "%s is to lose these %zu objects, run sync again with "
		    "--allow-mass-withdraw (--dry-run shows the plan)", src,
		    why, c.resp->sia_base, plan.nwithdraw);
		rc = PUSH_EXIT_LOCAL;
		goto out;
	}
	if (plan.nchanges == 0) {
		printf("nothing to do: the %zu objects under %s are those of "
		    "%s\n", plan.nunchanged, c.resp->sia_base, src);
	} else {
		if ((rc = push_query_change(&p, &plan, src)) != PUSH_OK ||
		    (o->verify && (rc = sync_verify(&p, tree, src)) !=
		    PUSH_OK))
			goto out;
		plan_print(&plan);
		printf("sync: %zu published, %zu replaced, %zu withdrawn, %zu "
		    "unchanged (one query of %zu PDUs)\n", plan.npublish,
		    plan.nreplace, plan.nwithdraw, plan.nunchanged,
		    plan.nchanges);
		if (o->verify)
			printf("verified: the server lists exactly the %zu "
			    "objects of %s\n", tree->nfiles, src);
	}
	c.state->last_sync_time = time(NULL);
	c.state->last_sync_published = plan.npublish;
	c.state->last_sync_replaced = plan.nreplace;
	c.state->last_sync_withdrawn = plan.nwithdraw;
	c.state->last_sync_unchanged = plan.nunchanged;
	if (push_state_save(o->state_dir, c.state) == -1)
		log_warn("the publication point is in sync, but %s/"
		    PUSH_FILE_STATE " could not be updated", o->state_dir);
	rc = PUSH_OK;
 out:
	push_plan_free(&plan);
	push_listed_free(l, n);
	push_tree_free(tree);
	buf_free(&refusals);
	ctx_close(&c);
	return rc;
}

int
push_cmd_status(const struct push_opts *o)
{
	struct ctx	 c;
	struct bpki	*id = NULL;
	char		*path = NULL, *bdir = NULL, hex[65], subject[256];
	char		 t1[32], t2[32];
	time_t		 t;
	int		 response, rc = PUSH_EXIT_LOCAL;

	path = push_path(o->state_dir, PUSH_FILE_RESPONSE);
	response = access(path, F_OK) == 0;
	if (ctx_open(&c, o, response, 0) == -1)
		goto out;
	bdir = push_path(o->state_dir, PUSH_FILE_BPKI);
	if ((id = bpki_load(bdir)) == NULL)
		goto out;
	printf("state_dir:                  %s\n"
	    "handle:                     %s\n", o->state_dir, c.state->handle);
	cert_sha256(id->ta, hex);
	cert_subject(id->ta, subject, sizeof(subject));
	printf("publisher_bpki_ta_subject:  %s\n"
	    "publisher_bpki_ta_sha256:   %s\n", subject, hex);
	if (ossl_asn1time_to_time(X509_get0_notAfter(id->ee), &t) == 0) {
		log_time_fmt(t, t1, sizeof(t1));
		log_time_fmt(t - (time_t)BPKI_EE_RENEW_DAYS * 86400, t2,
		    sizeof(t2));
		printf("ee_not_after:               %s (renewed from %s)\n",
		    t1, t2);
	}
	if (ossl_asn1time_to_time(X509_CRL_get0_nextUpdate(id->crl),
	    &t) == 0) {
		log_time_fmt(t, t1, sizeof(t1));
		log_time_fmt(t - (time_t)BPKI_CRL_RENEW_HOURS * 3600, t2,
		    sizeof(t2));
		printf("crl_next_update:            %s (renewed from %s)\n",
		    t1, t2);
	}
	if (c.resp != NULL) {
		cert_sha256(c.repo_ta, hex);
		cert_subject(c.repo_ta, subject, sizeof(subject));
		printf("service_uri:                %s\n"
		    "sia_base:                   %s\n"
		    "rrdp_notification_uri:      %s\n"
		    "repository_bpki_ta_subject: %s\n"
		    "repository_bpki_ta_sha256:  %s\n",
		    c.resp->service_uri, c.resp->sia_base,
		    c.resp->rrdp_notification_uri != NULL ?
		    c.resp->rrdp_notification_uri : "(none)", subject, hex);
	} else
		printf("service_uri:                (not configured: "
		    "configure --response FILE)\n");
	if (c.state->last_signing_time > 0) {
		log_time_fmt((time_t)c.state->last_signing_time, t1,
		    sizeof(t1));
		printf("last_signing_time:          %s\n", t1);
	} else
		printf("last_signing_time:          (nothing signed yet)\n");
	if (c.state->last_reply_signing_time > 0) {
		log_time_fmt((time_t)c.state->last_reply_signing_time, t1,
		    sizeof(t1));
		printf("last_reply_signing_time:    %s\n", t1);
	} else
		printf("last_reply_signing_time:    (no reply accepted yet)\n");
	if (c.state->last_sync_time > 0) {
		log_time_fmt((time_t)c.state->last_sync_time, t1, sizeof(t1));
		printf("last_sync:                  %s: %" PRIu64 " published, "
		    "%" PRIu64 " replaced, %" PRIu64 " withdrawn, %" PRIu64
		    " unchanged\n", t1, c.state->last_sync_published,
		    c.state->last_sync_replaced, c.state->last_sync_withdrawn,
		    c.state->last_sync_unchanged);
	} else
		printf("last_sync:                  (none yet)\n");
	rc = PUSH_OK;
 out:
	bpki_free(id);
	free(path);
	free(bdir);
	ctx_close(&c);
	return rc;
}
