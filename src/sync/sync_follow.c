/*
 * rrdpsync's follower (see sync_follow.h for a round's steps).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "buf.h"
#include "encoding.h"
#include "fileio.h"
#include "http_client.h"
#include "log.h"
#include "rsync_tree.h"
#include "sync_follow.h"
#include "sync_mirror.h"
#include "sync_tree.h"

#define STATE_FILE	"state"
#define LOCK_FILE	"lock"
#define ERR_LEN		1024

struct sync {
	struct sync_config	 cfg;
	char			*state_path;
	int			 lockfd;
	struct sync_state	 state;
	struct buf		 saved;		/* bytes last written */
	struct sync_http	 http;
	pthread_mutex_t		 mtx;		/* stats */
	struct sync_stats	 stats;
};

/* ---- the decision ---- */

static const char *const reason_names[] = {
	"current", "first sync", "new session", "deltas",
	"deltas do not reach back", "RFC 9697 desync", "snapshot changed",
	"serial regression", "serial regression refused",
	"delta chain broken"
};

const char *
sync_reason_name(enum sync_reason r)
{
	return (size_t)r < sizeof(reason_names) / sizeof(reason_names[0]) ?
	    reason_names[r] : "unknown";
}

static void	decided(struct sync_decision *, enum sync_action,
		    enum sync_reason, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

static void
decided(struct sync_decision *d, enum sync_action a, enum sync_reason r,
    const char *fmt, ...)
{
	va_list	ap;

	d->action = a;
	d->reason = r;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
}

/*
 * RFC 9697 section 3: every serial both the last processed notification
 * and this one list must have the same delta hash.  Both lists are
 * newest first.
 */
static void
desync_check(const struct sync_state *st, const struct rrdp_notification *n,
    struct sync_decision *d)
{
	size_t	i = 0, j = 0;

	while (i < st->ndeltas && j < n->ndeltas) {
		if (st->deltas[i].serial > n->deltas[j].serial)
			i++;
		else if (st->deltas[i].serial < n->deltas[j].serial)
			j++;
		else {
			if (memcmp(st->deltas[i].hash, n->deltas[j].hash,
			    RRDP_HASH_LEN) != 0 && d->ndesync++ == 0) {
				d->desync_serial = n->deltas[j].serial;
				memcpy(d->desync_old, st->deltas[i].hash,
				    RRDP_HASH_LEN);
				memcpy(d->desync_new, n->deltas[j].hash,
				    RRDP_HASH_LEN);
			}
			i++;
			j++;
		}
	}
}

void
sync_decide(const struct sync_state *st, const struct rrdp_notification *n,
    time_t now, time_t grace, struct sync_decision *d)
{
	char	h1[65], h2[65];
	int64_t	oldest;
	size_t	i;

	memset(d, 0, sizeof(*d));
	/* The listed deltas: one per serial, ending at the notification's. */
	if (n->ndeltas > 0 && n->deltas[0].serial != n->serial) {
		decided(d, SYNC_ACT_REFUSE, SYNC_WHY_CHAIN, "RFC 8182 section "
		    "3.3.2: the newest delta listed is serial %lld, the "
		    "notification's serial is %lld",
		    (long long)n->deltas[0].serial, (long long)n->serial);
		return;
	}
	for (i = 1; i < n->ndeltas; i++) {
		if (n->deltas[i].serial != n->deltas[i - 1].serial - 1) {
			decided(d, SYNC_ACT_REFUSE, SYNC_WHY_CHAIN, "RFC 8182 "
			    "section 3.3.2: the deltas listed jump from serial "
			    "%lld to %lld (a gap)",
			    (long long)n->deltas[i - 1].serial,
			    (long long)n->deltas[i].serial);
			return;
		}
	}
	if (st->serial == 0 || st->session[0] == '\0') {
		decided(d, SYNC_ACT_SNAPSHOT, SYNC_WHY_FIRST, "first sync: the "
		    "snapshot of serial %lld", (long long)n->serial);
		return;
	}
	/* Section 3.4.1: another session_id means the snapshot. */
	if (strcasecmp(st->session, n->session) != 0) {
		decided(d, SYNC_ACT_SNAPSHOT, SYNC_WHY_NEW_SESSION, "RFC 8182 "
		    "section 3.4.1: new session %s (was %s): the snapshot",
		    n->session, st->session);
		return;
	}
	if (n->serial < st->serial) {
		if (grace == 0 || (st->regression_since > 0 &&
		    now - st->regression_since >= grace)) {
			decided(d, SYNC_ACT_SNAPSHOT, SYNC_WHY_REGRESSION, "RFC "
			    "8182 section 3.4.1: upstream's serial went back "
			    "from %lld to %lld in session %s: following its "
			    "snapshot", (long long)st->serial,
			    (long long)n->serial, n->session);
			return;
		}
		decided(d, SYNC_ACT_REFUSE, SYNC_WHY_REGRESSION_REFUSED, "RFC "
		    "8182 section 3.4.1: upstream's serial went back from %lld "
		    "to %lld in session %s: refused, the local copy stays at "
		    "%lld (followed from the snapshot if this lasts %lld s)",
		    (long long)st->serial, (long long)n->serial, n->session,
		    (long long)st->serial, (long long)grace);
		return;
	}
	desync_check(st, n, d);
	if (d->ndesync > 0) {
		hex_encode(h1, d->desync_old, RRDP_HASH_LEN);
		hex_encode(h2, d->desync_new, RRDP_HASH_LEN);
		decided(d, SYNC_ACT_SNAPSHOT, SYNC_WHY_DESYNC, "RFC 9697: delta "
		    "serial %lld of session %s changed its hash from %s to %s "
		    "(%zu delta%s changed): re-syncing from the snapshot",
		    (long long)d->desync_serial, n->session, h1, h2,
		    d->ndesync, d->ndesync == 1 ? "" : "s");
		return;
	}
	if (n->serial == st->serial) {
		if (memcmp(st->snapshot.hash, n->snapshot_hash,
		    RRDP_HASH_LEN) != 0) {
			hex_encode(h1, st->snapshot.hash, RRDP_HASH_LEN);
			hex_encode(h2, n->snapshot_hash, RRDP_HASH_LEN);
			decided(d, SYNC_ACT_SNAPSHOT, SYNC_WHY_SNAPSHOT_CHANGED,
			    "RFC 9697: the snapshot of serial %lld of session "
			    "%s changed its hash from %s to %s: re-syncing from "
			    "it", (long long)n->serial, n->session, h1, h2);
			return;
		}
		decided(d, SYNC_ACT_NONE, SYNC_WHY_CURRENT, "serial %lld is "
		    "current", (long long)n->serial);
		return;
	}
	/* Section 3.4.1: the deltas after the local serial, if all listed. */
	oldest = n->ndeltas > 0 ? n->deltas[n->ndeltas - 1].serial :
	    n->serial + 1;
	if (oldest <= st->serial + 1) {
		d->first = st->serial + 1;
		d->last = n->serial;
		decided(d, SYNC_ACT_DELTAS, SYNC_WHY_DELTAS, "deltas %lld-%lld",
		    (long long)d->first, (long long)d->last);
		return;
	}
	decided(d, SYNC_ACT_SNAPSHOT, SYNC_WHY_BEHIND, "RFC 8182 section "
	    "3.4.1: serial %lld, but the oldest delta listed is %lld and the "
	    "local serial %lld: the snapshot", (long long)n->serial,
	    (long long)oldest, (long long)st->serial);
}

int
sync_check_origin(const char *source, const struct rrdp_notification *n,
    char *err, size_t errlen)
{
	char	origin[HTTP_MAX_ORIGIN];
	size_t	i;

	if (http_origin(source, origin, sizeof(origin)) == -1)
		snprintf(origin, sizeof(origin), "%s", source);
	if (!http_same_origin(source, n->snapshot_uri)) {
		snprintf(err, errlen, "RFC 9674 section 3.2: the snapshot URI "
		    "%.300s is not on the notification's origin %s",
		    n->snapshot_uri, origin);
		return -1;
	}
	for (i = 0; i < n->ndeltas; i++) {
		if (!http_same_origin(source, n->deltas[i].uri)) {
			snprintf(err, errlen, "RFC 9674 section 3.2: the URI "
			    "%.300s of delta %lld is not on the notification's "
			    "origin %s", n->deltas[i].uri,
			    (long long)n->deltas[i].serial, origin);
			return -1;
		}
	}
	return 0;
}

/* ---- open and close ---- */

/*
 * The last success of an earlier run, from its status file: a cron job's
 * failing round must still say when the copy was last current.
 */
static time_t
status_last_success(const char *path)
{
	char		*data, *at;
	size_t		 len;
	long long	 v;

	if (path == NULL || access(path, F_OK) == -1 ||
	    (data = file_read(path, 64 * 1024, &len)) == NULL)
		return 0;
	v = 0;
	if ((at = strstr(data, "\"last_success\": ")) == NULL ||
	    sscanf(at + 16, "%lld", &v) != 1 || v < 0)
		v = 0;
	free(data);
	return (time_t)v;
}

struct sync *
sync_open(const struct sync_config *cfg, char *err, size_t errlen)
{
	struct sync	*s = xcalloc(1, sizeof(*s));
	char		*lock = NULL, *corrupt = NULL;
	char		 why[ERR_LEN];
	int		 r;

	s->cfg = *cfg;
	s->lockfd = -1;
	pthread_mutex_init(&s->mtx, NULL);
	buf_init(&s->saved);
	if (dir_create(cfg->rrdp_dir) == -1 || dir_create(cfg->rsync_dir) == -1 ||
	    dir_create(cfg->state_dir) == -1) {
		snprintf(err, errlen, "cannot make the RRDP, rsync or state "
		    "directory");
		goto fail;
	}
	/* One rrdpsync per copy: cron runs must not overlap. */
	lock = path_join(cfg->state_dir, LOCK_FILE);
	if ((s->lockfd = file_lock(lock)) == -1) {
		snprintf(err, errlen, "%s: %s", lock, errno == EWOULDBLOCK ?
		    "another rrdpsync works on this copy" : strerror(errno));
		goto fail;
	}
	s->state_path = path_join(cfg->state_dir, STATE_FILE);
	r = sync_state_load(s->state_path, &s->state, why, sizeof(why));
	if (r == -1) {
		/* Start over from the snapshot; keep the file to look at. */
		corrupt = path_join(cfg->state_dir, STATE_FILE ".corrupt");
		log_err("%s: corrupt state file (%s); set aside as %s, starting "
		    "over from upstream's snapshot", s->state_path, why,
		    corrupt);
		if (rename(s->state_path, corrupt) == -1)
			log_warn("rename %s: %s", s->state_path,
			    strerror(errno));
		memset(&s->state, 0, sizeof(s->state));
	}
	if (s->state.source != NULL && strcmp(s->state.source,
	    cfg->source) != 0)
		log_warn("the local copy followed %s, now %s: its session "
		    "decides whether deltas still apply", s->state.source,
		    cfg->source);
	free(s->state.source);
	s->state.source = xstrdup(cfg->source);
	s->http.ca_file = cfg->ca_file;
	s->http.connect_to = cfg->connect_to;
	s->http.connect_timeout = cfg->connect_timeout;
	s->http.timeout = cfg->timeout;
	s->http.stall_timeout = cfg->stall_timeout;
	s->http.progress = cfg->progress;
	memcpy(s->stats.session, s->state.session, sizeof(s->stats.session));
	s->stats.serial = s->state.serial;
	s->stats.deltas_listed = s->state.ndeltas;
	s->stats.started = time(NULL);
	s->stats.last_success = status_last_success(cfg->status_file);
	free(lock);
	free(corrupt);
	return s;
 fail:
	free(lock);
	free(corrupt);
	sync_close(s);
	return NULL;
}

void
sync_close(struct sync *s)
{
	if (s == NULL)
		return;
	if (s->lockfd != -1)
		close(s->lockfd);
	sync_state_free(&s->state);
	buf_free(&s->saved);
	free(s->state_path);
	pthread_mutex_destroy(&s->mtx);
	free(s);
}

void
sync_get_stats(struct sync *s, struct sync_stats *out)
{
	pthread_mutex_lock(&s->mtx);
	*out = s->stats;
	pthread_mutex_unlock(&s->mtx);
}

void
sync_idle(struct sync *s)
{
	rsync_tree_prepare(s->cfg.rsync_dir);
}

/* Write the state file unless it holds exactly these bytes already. */
static int
state_save(struct sync *s, const struct sync_state *st)
{
	struct buf	b;
	int		rc = 0;

	buf_init(&b);
	sync_state_write(&b, st);
	if (b.len != s->saved.len || memcmp(b.data, s->saved.data,
	    b.len) != 0) {
		if ((rc = file_write_atomic(s->state_path, b.data, b.len,
		    0644)) == 0) {
			buf_free(&s->saved);
			s->saved = b;
			buf_init(&b);
		}
	}
	buf_free(&b);
	return rc;
}

/* ---- one round ---- */

enum tree_mode {
	TREE_KEEP,		/* `current` stays */
	TREE_DELTAS,		/* links of the current tree + deltas */
	TREE_SNAPSHOT		/* a new tree from the snapshot */
};

struct round {
	struct sync			*s;
	const struct rrdp_notification	*n;
	struct sync_decision		 d;
	struct sync_state		 next;
	volatile sig_atomic_t		*stop;
	enum sync_fault			 fault;
	char				 err[ERR_LEN];
	enum tree_mode			 mode;
	struct sync_tree		*worker;
	char				 tree_name[128];
	int				 fell_back;
	uint64_t			 files, bytes, gzip_files;
	uint64_t			 decoded;	/* of max_round */
	uint64_t			 reused;	/* left by a killed round */
	uint64_t			 put, withdrawn, skipped;
	int64_t				 applied_first, applied_last;
	/* where the time went (the round's log line) */
	double				 t_files, t_tree_wait, t_commit;
	double				 fetch_cpu, parse_cpu, tree_cpu;
	char				**fetched;	/* rels, this round */
	size_t				 nfetched;
	int				 committing;
};

static void	round_fail(struct round *, enum sync_fault, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
round_fail(struct round *r, enum sync_fault f, const char *fmt, ...)
{
	va_list	ap;

	if (r->fault != SYNC_FAULT_NONE)
		return;
	r->fault = f;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

static int
stopped(struct round *r)
{
	if (r->stop != NULL && *r->stop) {
		round_fail(r, SYNC_FAULT_STOPPED, "stopped by a signal before "
		    "the update was complete; the local copy is unchanged");
		return 1;
	}
	return 0;
}

/* The new state's listing: upstream's files and where they go here. */
static void
next_listing(struct round *r)
{
	const struct rrdp_notification	*n = r->n;
	struct sync_state		*nx = &r->next;
	size_t				 i;

	memcpy(nx->session, n->session, sizeof(nx->session));
	nx->serial = n->serial;
	memcpy(nx->snapshot.hash, n->snapshot_hash, RRDP_HASH_LEN);
	nx->snapshot.uri = xstrdup(n->snapshot_uri);
	nx->snapshot.rel = sync_local_rel(n->session, n->serial,
	    n->snapshot_uri, n->snapshot_hash, "snapshot.xml");
	nx->deltas = xcalloc(n->ndeltas + 1, sizeof(*nx->deltas));
	for (i = 0; i < n->ndeltas; i++) {
		nx->deltas[i].serial = n->deltas[i].serial;
		memcpy(nx->deltas[i].hash, n->deltas[i].hash, RRDP_HASH_LEN);
		nx->deltas[i].uri = xstrdup(n->deltas[i].uri);
		nx->deltas[i].rel = sync_local_rel(n->session,
		    n->deltas[i].serial, n->deltas[i].uri, n->deltas[i].hash,
		    "delta.xml");
	}
	nx->ndeltas = n->ndeltas;
}

/* Does st list rel (so the file was checked when it was fetched)? */
static int
listed(const struct sync_state *st, const char *rel)
{
	size_t	i;

	if (st->snapshot.rel != NULL && strcmp(st->snapshot.rel, rel) == 0)
		return 1;
	for (i = 0; i < st->ndeltas; i++)
		if (strcmp(st->deltas[i].rel, rel) == 0)
			return 1;
	return 0;
}

static void
new_tree_name(struct round *r)
{
	uint8_t	rnd[4];
	char	hex[9];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		fatalx("RAND_bytes failed");
	hex_encode(hex, rnd, sizeof(rnd));
	snprintf(r->tree_name, sizeof(r->tree_name), "%s-%lld-%s",
	    r->n->session, (long long)r->n->serial, hex);
}

/*
 * One listed file: in place already (parsed into the tree when it has
 * to be applied), or fetched now.  0 or -1 (round_fail).
 */
static int
one_file(struct round *r, const struct sync_file *f, enum rrdp_kind kind,
    int apply)
{
	const struct sync_config	*cfg = &r->s->cfg;
	struct sync_fetch		 fx;
	struct sync_fetch_stats		 st;
	enum sync_fault			 fault;
	char				 what[64], err[ERR_LEN];
	char				*path, *dir, *slash;
	int				 rc = -1;

	if (stopped(r))
		return -1;
	if (kind == RRDP_SNAPSHOT)
		snprintf(what, sizeof(what), "snapshot %lld",
		    (long long)r->n->serial);
	else
		snprintf(what, sizeof(what), "delta %lld", (long long)f->serial);
	memset(&fx, 0, sizeof(fx));
	fx.url = f->uri;
	fx.what = what;
	fx.kind = kind;
	fx.session = r->n->session;
	fx.serial = kind == RRDP_SNAPSHOT ? r->n->serial : f->serial;
	fx.hash = f->hash;
	fx.max_size = kind == RRDP_SNAPSHOT ? cfg->max_snapshot :
	    cfg->max_delta;
	fx.limit_option = kind == RRDP_SNAPSHOT ? "--max-snapshot-size" :
	    "--max-delta-size";
	if (cfg->max_round - r->decoded < fx.max_size) {
		fx.max_size = cfg->max_round - r->decoded;
		fx.limit_option = "what is left of --max-round-size";
	}
	if (apply) {
		fx.cb = sync_tree_elem;
		fx.cbarg = r->worker;
		sync_tree_file(r->worker, what);
	}
	path = path_join(cfg->rrdp_dir, f->rel);
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	fx.dir = dir;
	fx.name = slash + 1;
	if (sync_file_present(cfg->rrdp_dir, f->rel, f->hash,
	    listed(&r->s->state, f->rel))) {
		/* Not known to be on disk: synced with the fetched ones. */
		if (!listed(&r->s->state, f->rel))
			r->reused++;
		if (apply && sync_parse_local(path, &fx, &fault, err,
		    sizeof(err)) == -1) {
			round_fail(r, fault == SYNC_FAULT_NONE ?
			    SYNC_FAULT_LOCAL : fault, "%s", err);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (sync_fetch_file(&r->s->http, &fx, &st, &fault, err,
	    sizeof(err)) == -1) {
		round_fail(r, fault == SYNC_FAULT_NONE ? SYNC_FAULT_LOCAL :
		    fault, "%s", err);
		goto out;
	}
	r->files++;
	r->bytes += st.wire_bytes;
	r->decoded += st.xml_bytes;
	r->parse_cpu += st.parse_cpu;
	r->fetched = xrealloc(r->fetched, (r->nfetched + 1) *
	    sizeof(*r->fetched));
	r->fetched[r->nfetched++] = xstrdup(f->rel);
	if (st.gzip)
		r->gzip_files++;
	rc = 0;
 out:
	free(path);
	free(dir);
	return rc;
}

/* Start a tree: on the current one (base) or empty (base NULL). */
static double	elapsed(const struct timespec *);

/* sync_tree_wait, timed: how long the fetch waited for the tree. */
static int
tree_wait(struct round *r, char *err, size_t errlen)
{
	struct timespec	t0;
	int		rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = sync_tree_wait(r->worker, err, errlen);
	r->t_tree_wait += elapsed(&t0);
	return rc;
}

static int
tree_start(struct round *r, const char *base)
{
	struct rsync_tree	*t;

	if ((t = rsync_tree_new(r->s->cfg.rsync_dir, r->tree_name,
	    base)) == NULL) {
		round_fail(r, SYNC_FAULT_LOCAL, "rsync tree %s: cannot start "
		    "it", r->tree_name);
		return -1;
	}
	if (base != NULL && !rsync_tree_incremental(t)) {
		rsync_tree_free(t);
		return 1;
	}
	r->worker = sync_tree_start(t, base != NULL);
	return 0;
}

static void
tree_counts(struct round *r)
{
	uint64_t	p, w, k;

	sync_tree_counts(r->worker, &p, &w, &k);
	r->put += p;
	r->withdrawn += w;
	r->skipped += k;
}

/* The files of the notification and the new tree, not yet visible. */
static int
round_files(struct round *r)
{
	const struct sync_state	*prev = &r->s->state;
	struct sync_state	*nx = &r->next;
	char			 err[ERR_LEN];
	char			*cur;
	size_t			 i;
	int			 apply, have_tree;

	cur = rsync_tree_current(r->s->cfg.rsync_dir);
	have_tree = prev->tree != NULL && cur != NULL &&
	    strcmp(cur, prev->tree) == 0;
	switch (r->d.action) {
	case SYNC_ACT_NONE:
		r->mode = TREE_KEEP;
		if (!have_tree) {
			log_warn("rsync: %s/current is %s, not the state's tree "
			    "%s: building the tree again from the snapshot",
			    r->s->cfg.rsync_dir, cur ? cur : "missing",
			    prev->tree ? prev->tree : "(none)");
			r->mode = TREE_SNAPSHOT;
		}
		break;
	case SYNC_ACT_DELTAS:
		r->mode = TREE_DELTAS;
		if (!have_tree) {
			log_info("rsync: %s/current is not the state's tree: "
			    "the new tree comes from the snapshot",
			    r->s->cfg.rsync_dir);
			r->mode = TREE_SNAPSHOT;
		}
		break;
	default:
		r->mode = TREE_SNAPSHOT;
		break;
	}
	free(cur);
	if (r->mode != TREE_KEEP)
		new_tree_name(r);
	if (r->mode == TREE_DELTAS) {
		switch (tree_start(r, prev->tree)) {
		case -1:
			return -1;
		case 1:
			r->mode = TREE_SNAPSHOT;
			break;
		}
	}
	/* Oldest first: the deltas to apply go in serial order. */
	for (i = nx->ndeltas; i-- > 0;) {
		apply = r->mode == TREE_DELTAS &&
		    nx->deltas[i].serial >= r->d.first &&
		    nx->deltas[i].serial <= r->d.last;
		if (one_file(r, &nx->deltas[i], RRDP_DELTA, apply) == -1)
			return -1;
	}
	if (r->mode == TREE_DELTAS) {
		if (tree_wait(r, err, sizeof(err)) == -1) {
			if (!sync_tree_violated(r->worker)) {
				round_fail(r, SYNC_FAULT_LOCAL, "%s", err);
				return -1;
			}
			/* RFC 8182 section 3.4.2: the update fails; the tree
			 * comes from the snapshot instead. */
			log_warn("%s; the rsync tree is built from the snapshot "
			    "instead", err);
			r->fell_back = 1;
			sync_tree_stop(r->worker, &r->tree_cpu);
			r->worker = NULL;
			r->mode = TREE_SNAPSHOT;
		} else {
			tree_counts(r);
			r->applied_first = r->d.first;
			r->applied_last = r->d.last;
		}
	}
	if (r->mode == TREE_SNAPSHOT && tree_start(r, NULL) == -1)
		return -1;
	if (one_file(r, &nx->snapshot, RRDP_SNAPSHOT,
	    r->mode == TREE_SNAPSHOT) == -1)
		return -1;
	if (r->mode == TREE_SNAPSHOT) {
		if (tree_wait(r, err, sizeof(err)) == -1) {
			round_fail(r, SYNC_FAULT_LOCAL, "%s", err);
			return -1;
		}
		tree_counts(r);
	}
	return 0;
}

/* Is rel a file st lists, or the .gz twin of one? */
static int
listed_or_twin(const struct sync_state *st, const char *rel)
{
	size_t	n = strlen(rel);
	char	*base;
	int	 r;

	if (listed(st, rel))
		return 1;
	if (n <= 3 || strcmp(rel + n - 3, ".gz") != 0)
		return 0;
	base = xstrndup(rel, n - 3);
	r = listed(st, base);
	free(base);
	return r;
}

/*
 * Files awaiting removal in the next state: those of the previous state
 * that are not listed again, and the previous state's listed files that
 * the next one does not list (gone since now).
 */
/* The files a round adds to the gone list always fit in the state. */
_Static_assert(2 * (MAX_RRDP_DELTAS + 1) < SYNC_MAX_GONE,
    "SYNC_MAX_GONE below what one round can add");

static void
next_gone(struct round *r, time_t now)
{
	const struct sync_state	*prev = &r->s->state;
	struct sync_state	*nx = &r->next;
	struct sync_gone	*carry;
	struct buf		 gz;
	const char		*rel;
	size_t			 i, ncarry = 0, nnew = 0, early = 0;

	/* Two files (and a twin) per file no longer listed. */
	for (i = 0; i <= prev->ndeltas; i++) {
		rel = i < prev->ndeltas ? prev->deltas[i].rel :
		    prev->snapshot.rel;
		if (rel != NULL && !listed(nx, rel))
			nnew += 2;
	}
	carry = xcalloc(prev->ngone + 1, sizeof(*carry));
	for (i = 0; i < prev->ngone; i++)
		if (!listed_or_twin(nx, prev->gone[i].rel))
			carry[ncarry++] = prev->gone[i];
	/*
	 * The state holds SYNC_MAX_GONE at most (its parser refuses more):
	 * past it the oldest go now rather than after --keep.  No served
	 * notification names them (they were unlisted before this round).
	 * The new ones always fit (the assertion above).
	 */
	if (ncarry + nnew > SYNC_MAX_GONE) {
		early = sync_gone_trim(r->s->cfg.rrdp_dir, carry, ncarry,
		    SYNC_MAX_GONE - nnew);
		log_warn("%zu files await removal, more than the %d the state "
		    "keeps: the %zu oldest removed before --keep", ncarry +
		    nnew, SYNC_MAX_GONE, early);
	}
	for (i = early; i < ncarry; i++)
		sync_state_gone_add(nx, carry[i].rel, carry[i].since);
	free(carry);
	for (i = 0; i <= prev->ndeltas; i++) {
		rel = i < prev->ndeltas ? prev->deltas[i].rel :
		    prev->snapshot.rel;
		if (rel == NULL || listed(nx, rel))
			continue;
		sync_state_gone_add(nx, rel, now);
		buf_init(&gz);
		buf_printf(&gz, "%s.gz", rel);
		sync_state_gone_add(nx, buf_str(&gz), now);
		buf_free(&gz);
	}
}

/* Durable, switched, recorded, announced: from here on no way back. */
static int
round_commit(struct round *r, time_t now)
{
	struct sync		*s = r->s;
	struct rsync_tree	*t = NULL;
	struct buf		 notif;
	struct stat		 a, b;
	int			 same_fs, rc = -1;

	r->committing = 1;
	if (r->worker != NULL)
		t = sync_tree_stop(r->worker, &r->tree_cpu);
	r->worker = NULL;
	if (r->mode != TREE_KEEP && t == NULL) {
		r->committing = 0;
		round_fail(r, SYNC_FAULT_LOCAL, "rsync tree %s failed",
		    r->tree_name);
		return -1;
	}
	if (stopped(r)) {
		r->committing = 0;
		rsync_tree_free(t);
		return -1;
	}
	/*
	 * rsync_tree_commit's syncfs() puts the RRDP files on disk too when
	 * both directories are on one file system; else one more.
	 */
	same_fs = stat(s->cfg.rrdp_dir, &a) == 0 &&
	    stat(s->cfg.rsync_dir, &b) == 0 && a.st_dev == b.st_dev;
	if (r->files + r->reused > 0 && (t == NULL || !same_fs) &&
	    sync_syncfs(s->cfg.rrdp_dir) == -1) {
		rsync_tree_free(t);
		round_fail(r, SYNC_FAULT_LOCAL, "%s: syncfs failed",
		    s->cfg.rrdp_dir);
		return -1;
	}
	if (t != NULL) {
		if (rsync_tree_commit(t, now) == -1) {
			round_fail(r, SYNC_FAULT_LOCAL, "rsync tree %s: commit "
			    "failed", r->tree_name);
			return -1;
		}
		r->next.tree = xstrdup(r->tree_name);
	} else
		r->next.tree = s->state.tree != NULL ?
		    xstrdup(s->state.tree) : NULL;
	next_gone(r, now);
	if (state_save(s, &r->next) == -1) {
		round_fail(r, SYNC_FAULT_LOCAL, "%s: cannot write the state",
		    s->state_path);
		return -1;
	}
	sync_state_free(&s->state);
	s->state = r->next;
	memset(&r->next, 0, sizeof(r->next));
	buf_init(&notif);
	sync_notification(&notif, &s->state, s->cfg.base_uri);
	if (sync_notification_install(s->cfg.rrdp_dir, notif.data,
	    notif.len) == -1)
		round_fail(r, SYNC_FAULT_LOCAL, "%s/notification.xml: cannot "
		    "write it", s->cfg.rrdp_dir);
	else
		rc = 0;
	buf_free(&notif);
	return rc;
}

/*
 * A failed round leaves no trace: the files it fetched (complete and
 * checked, but listed by no notification) are removed with their
 * directories, so the copy is exactly what it was.
 */
static void
round_undo(struct round *r)
{
	struct buf	gz;
	size_t		i;

	for (i = 0; i < r->nfetched; i++) {
		/* Fetched again (its twin was lost): the copy names it. */
		if (listed(&r->s->state, r->fetched[i]))
			continue;
		buf_init(&gz);
		buf_printf(&gz, "%s.gz", r->fetched[i]);
		file_remove_under(r->s->cfg.rrdp_dir, buf_str(&gz));
		file_remove_under(r->s->cfg.rrdp_dir, r->fetched[i]);
		buf_free(&gz);
	}
}

/* The notification the state was made from (for a 304). */
static void
state_notification(const struct sync_state *st, struct rrdp_notification *n)
{
	size_t	i;

	memset(n, 0, sizeof(*n));
	memcpy(n->session, st->session, sizeof(n->session));
	n->serial = st->serial;
	n->snapshot_uri = xstrdup(st->snapshot.uri);
	memcpy(n->snapshot_hash, st->snapshot.hash, RRDP_HASH_LEN);
	n->deltas = xcalloc(st->ndeltas + 1, sizeof(*n->deltas));
	for (i = 0; i < st->ndeltas; i++) {
		n->deltas[i].serial = st->deltas[i].serial;
		n->deltas[i].uri = xstrdup(st->deltas[i].uri);
		memcpy(n->deltas[i].hash, st->deltas[i].hash, RRDP_HASH_LEN);
	}
	n->ndeltas = st->ndeltas;
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	    (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* JSON string (RFC 8259 section 7) of s, appended to b. */
static void
json_str(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s != '\0'; s++) {
		unsigned char	c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			buf_printf(b, "\\u%04x", c);
		else
			buf_addc(b, (char)c);
	}
	buf_addc(b, '"');
}

/*
 * The status file: the state of the copy and of the last round, then
 * this process's counters (the metrics).  Written to a temporary name
 * and renamed.
 */
static void
status_write(struct sync *s)
{
	struct sync_stats	 st;
	struct buf		 b;
	uint64_t		 failures = 0;
	size_t			 i;

	if (s->cfg.status_file == NULL)
		return;
	sync_get_stats(s, &st);
	for (i = 0; i < SYNC_FAULT_COUNT; i++)
		failures += st.failures[i];
	buf_init(&b);
	buf_adds(&b, "{\n  \"program\": \"rrdpsync\",\n  \"version\": ");
	json_str(&b, RPKIPUB_VERSION);
	buf_adds(&b, ",\n  \"source\": ");
	json_str(&b, s->cfg.source);
	buf_adds(&b, ",\n  \"session\": ");
	if (st.session[0] != '\0')
		json_str(&b, st.session);
	else
		buf_adds(&b, "null");
	buf_printf(&b, ",\n  \"serial\": %lld,\n  \"deltas_listed\": %llu,\n"
	    "  \"current\": %s,\n  \"last_attempt\": %lld,\n"
	    "  \"last_success\": %lld,\n  \"last_duration_seconds\": %.3f,\n"
	    "  \"last_round\": ", (long long)st.serial,
	    (unsigned long long)st.deltas_listed,
	    st.last_fault == SYNC_FAULT_NONE && st.last_success > 0 ?
	    "true" : "false", (long long)st.last_attempt,
	    (long long)st.last_success, st.last_duration);
	json_str(&b, st.last_round);
	buf_adds(&b, ",\n  \"last_error\": ");
	if (st.last_fault != SYNC_FAULT_NONE) {
		json_str(&b, st.last_error);
		buf_adds(&b, ",\n  \"last_error_kind\": ");
		json_str(&b, sync_fault_name(st.last_fault));
	} else
		buf_adds(&b, "null");
	buf_printf(&b, ",\n  \"since_start\": {\n    \"started\": %lld,\n"
	    "    \"rounds\": %llu,\n    \"failures\": %llu,\n"
	    "    \"not_modified\": %llu,\n    \"snapshots_applied\": %llu,\n"
	    "    \"deltas_applied\": %llu,\n    \"rfc9697_desyncs\": %llu,\n"
	    "    \"regressions\": %llu,\n    \"files_fetched\": %llu,\n"
	    "    \"bytes_fetched\": %llu,\n    \"files_removed\": %llu\n  }\n}\n",
	    (long long)st.started, (unsigned long long)st.rounds,
	    (unsigned long long)failures,
	    (unsigned long long)st.not_modified,
	    (unsigned long long)st.snapshots_applied,
	    (unsigned long long)st.deltas_applied,
	    (unsigned long long)st.desyncs,
	    (unsigned long long)st.regressions,
	    (unsigned long long)st.files_fetched,
	    (unsigned long long)st.bytes_fetched,
	    (unsigned long long)st.files_removed);
	/* Bookkeeping: atomic, no fsync (its loss costs nothing). */
	file_write_swap(s->cfg.status_file, b.data, b.len, 0644);
	buf_free(&b);
}

/* Retention of RRDP files and rsync trees, after a round. */
static void
housekeeping(struct sync *s, time_t now)
{
	size_t	removed;
	int	changed, trees;

	removed = sync_sweep(s->cfg.rrdp_dir, &s->state, now, s->cfg.keep,
	    &changed);
	if (changed)
		state_save(s, &s->state);
	if ((trees = rsync_tree_expire(s->cfg.rsync_dir, now,
	    s->cfg.rsync_keep)) == -1)
		log_warn("%s: removing old rsync trees failed",
		    s->cfg.rsync_dir);
	pthread_mutex_lock(&s->mtx);
	s->stats.files_removed += removed;
	if (trees > 0)
		s->stats.trees_removed += (uint64_t)trees;
	pthread_mutex_unlock(&s->mtx);
	if (removed > 0)
		log_info("removed %zu RRDP files unreferenced for %lld s or more",
		    removed, (long long)s->cfg.keep);
}

/* The round's one log line. */
static void
round_log(struct round *r, const char *fetched, double secs)
{
	struct sync	*s = r->s;
	char		 tree[256];

	if (r->mode == TREE_KEEP)
		snprintf(tree, sizeof(tree), "rsync tree unchanged");
	else if (r->applied_last > r->applied_first)
		snprintf(tree, sizeof(tree), "applied deltas %lld-%lld to the "
		    "rsync tree %s (%llu objects written, %llu withdrawn)",
		    (long long)r->applied_first, (long long)r->applied_last,
		    r->tree_name, (unsigned long long)r->put,
		    (unsigned long long)r->withdrawn);
	else if (r->applied_last > 0)
		snprintf(tree, sizeof(tree), "applied delta %lld to the rsync "
		    "tree %s (%llu objects written, %llu withdrawn)",
		    (long long)r->applied_last, r->tree_name,
		    (unsigned long long)r->put,
		    (unsigned long long)r->withdrawn);
	else
		snprintf(tree, sizeof(tree), "applied the snapshot%s: rsync "
		    "tree %s of %llu objects", r->fell_back ? " (a delta did "
		    "not fit)" : "", r->tree_name, (unsigned long long)r->put);
	log_info("session %s serial %lld (%s): %s; %llu files fetched "
	    "(%llu bytes, %llu gzip); %s; %zu deltas listed; %.3f s (files "
	    "%.3f s, of which waiting for the rsync tree %.3f s; commit "
	    "%.3f s; CPU: fetch thread %.3f s, parse threads %.3f s, rsync "
	    "tree thread %.3f s)",
	    s->state.session, (long long)s->state.serial,
	    sync_reason_name(r->d.reason), fetched,
	    (unsigned long long)r->files, (unsigned long long)r->bytes,
	    (unsigned long long)r->gzip_files, tree, s->state.ndeltas, secs,
	    r->t_files, r->t_tree_wait, r->t_commit, r->fetch_cpu,
	    r->parse_cpu, r->tree_cpu);
}

int
sync_round(struct sync *s, volatile sig_atomic_t *stop, char *err,
    size_t errlen)
{
	struct rrdp_notification	 n;
	struct http_result		 res;
	struct round			 r;
	struct timespec			 t0, t1;
	struct buf			 body;
	enum sync_fault			 fault;
	const char			*fetched = "";
	char				 why[ERR_LEN];
	time_t				 now = time(NULL);
	size_t				 i;
	int				 got, parsed = 0, rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&r, 0, sizeof(r));
	memset(&n, 0, sizeof(n));
	buf_init(&body);
	r.s = s;
	r.stop = stop;
	r.n = &n;
	s->http.stop = stop;

	/* 1. The notification, conditional when there is a copy of it. */
	got = sync_fetch_notification(&s->http, s->cfg.source,
	    s->state.serial > 0 ? s->state.etag : NULL,
	    s->state.serial > 0 ? s->state.last_modified : NULL,
	    s->cfg.max_notification, &body, &res, &fault, why, sizeof(why));
	if (got == -1) {
		round_fail(&r, fault, "%s", why);
		goto out;
	}
	r.bytes += res.bytes;
	if (got == 1 && s->state.serial == 0) {
		/* Nothing to be unmodified: never taken as a sync. */
		round_fail(&r, SYNC_FAULT_HTTP, "notification %s: 304 Not "
		    "Modified without a copy of it", s->cfg.source);
		goto out;
	}
	if (got == 1) {
		/* 304: upstream still announces what the state holds. */
		fetched = "notification not modified (304)";
		state_notification(&s->state, &n);
		parsed = 1;
		pthread_mutex_lock(&s->mtx);
		s->stats.not_modified++;
		pthread_mutex_unlock(&s->mtx);
	} else {
		fetched = res.gzip ? "notification fetched (gzip)" :
		    "notification fetched";
		/* 2. RFC 8182 section 3.5.1, RFC 9674 section 3.2. */
		if (rrdp_notification_parse(body.data, body.len, &n, why,
		    sizeof(why)) == -1) {
			round_fail(&r, SYNC_FAULT_XML, "notification %s: %s",
			    s->cfg.source, why);
			goto out;
		}
		parsed = 1;
		if (sync_check_origin(s->cfg.source, &n, why,
		    sizeof(why)) == -1) {
			round_fail(&r, SYNC_FAULT_ORIGIN, "notification %s: %s",
			    s->cfg.source, why);
			goto out;
		}
	}

	/* 3. What to do. */
	sync_decide(&s->state, &n, now, s->cfg.regression_grace, &r.d);
	if (r.d.reason == SYNC_WHY_REGRESSION_REFUSED ||
	    r.d.reason == SYNC_WHY_REGRESSION) {
		pthread_mutex_lock(&s->mtx);
		s->stats.regressions++;
		pthread_mutex_unlock(&s->mtx);
	}
	if (r.d.action == SYNC_ACT_REFUSE) {
		if (r.d.reason == SYNC_WHY_REGRESSION_REFUSED &&
		    s->state.regression_since == 0) {
			s->state.regression_since = now;
			state_save(s, &s->state);
		}
		round_fail(&r, r.d.reason == SYNC_WHY_CHAIN ? SYNC_FAULT_CHAIN :
		    SYNC_FAULT_REGRESSION, "notification %s: %s", s->cfg.source,
		    r.d.why);
		goto out;
	}
	if (r.d.reason == SYNC_WHY_DESYNC ||
	    r.d.reason == SYNC_WHY_SNAPSHOT_CHANGED) {
		log_warn("%s", r.d.why);
		pthread_mutex_lock(&s->mtx);
		s->stats.desyncs++;
		pthread_mutex_unlock(&s->mtx);
	} else if (r.d.reason == SYNC_WHY_REGRESSION ||
	    r.d.reason == SYNC_WHY_NEW_SESSION ||
	    r.d.reason == SYNC_WHY_BEHIND)
		log_warn("%s", r.d.why);

	/* 4. The files and the tree, not visible yet. */
	r.next.source = xstrdup(s->cfg.source);
	next_listing(&r);
	if (got == 1) {
		memcpy(r.next.etag, s->state.etag, sizeof(r.next.etag));
		memcpy(r.next.last_modified, s->state.last_modified,
		    sizeof(r.next.last_modified));
	} else {
		if (sync_validator_valid(res.etag))
			memcpy(r.next.etag, res.etag, sizeof(r.next.etag));
		if (sync_validator_valid(res.last_modified))
			memcpy(r.next.last_modified, res.last_modified,
			    sizeof(r.next.last_modified));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r.fetch_cpu = sync_thread_cpu();
	if (round_files(&r) == -1)
		goto out;
	r.fetch_cpu = sync_thread_cpu() - r.fetch_cpu;
	r.t_files = elapsed(&t1);

	/* 5. Visible. */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (round_commit(&r, now) == -1)
		goto out;
	r.t_commit = elapsed(&t1);
	rc = 0;
 out:
	if (r.worker != NULL)
		rsync_tree_free(sync_tree_stop(r.worker, NULL));
	if (rc == -1 && !r.committing)
		round_undo(&r);
	for (i = 0; i < r.nfetched; i++)
		free(r.fetched[i]);
	free(r.fetched);
	pthread_mutex_lock(&s->mtx);
	/* Counted when done: the metric says a round is complete. */
	s->stats.rounds++;
	s->stats.last_attempt = now;
	s->stats.last_duration = elapsed(&t0);
	s->stats.files_fetched += r.files;
	s->stats.bytes_fetched += r.bytes;
	if (rc == 0) {
		if (r.mode == TREE_SNAPSHOT)
			s->stats.snapshots_applied++;
		if (r.applied_last > 0)
			s->stats.deltas_applied += (uint64_t)(r.applied_last -
			    r.applied_first + 1);
		if (r.fell_back)
			s->stats.delta_fallbacks++;
		memcpy(s->stats.session, s->state.session,
		    sizeof(s->stats.session));
		s->stats.serial = s->state.serial;
		s->stats.deltas_listed = s->state.ndeltas;
		s->stats.last_success = time(NULL);
		s->stats.last_fault = SYNC_FAULT_NONE;
		s->stats.last_error[0] = '\0';
		if (r.mode == TREE_SNAPSHOT)
			snprintf(s->stats.last_round, sizeof(s->stats.last_round),
			    "snapshot %lld (%s)", (long long)s->state.serial,
			    sync_reason_name(r.d.reason));
		else if (r.applied_last > 0)
			snprintf(s->stats.last_round, sizeof(s->stats.last_round),
			    "deltas %lld-%lld", (long long)r.applied_first,
			    (long long)r.applied_last);
		else
			snprintf(s->stats.last_round, sizeof(s->stats.last_round),
			    "%s", got == 1 ? "not modified" : "unchanged");
	} else {
		snprintf(s->stats.last_round, sizeof(s->stats.last_round),
		    "failed (%s)", sync_fault_name(r.fault));
		s->stats.failures[r.fault]++;
		s->stats.last_fault = r.fault;
		snprintf(s->stats.last_error, sizeof(s->stats.last_error), "%s",
		    r.err);
	}
	pthread_mutex_unlock(&s->mtx);
	if (rc == 0)
		round_log(&r, fetched, elapsed(&t0));
	else {
		snprintf(err, errlen, "%s", r.err);
		log_err("%s", r.err);
	}
	if (r.fault != SYNC_FAULT_STOPPED)
		housekeeping(s, now);
	status_write(s);
	if (parsed)
		rrdp_notification_free(&n);
	sync_state_free(&r.next);
	buf_free(&body);
	return rc;
}
