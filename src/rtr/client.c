/*
 * Router side of RTR for rtrwatch (see client.h).  Blocking I/O with
 * deadlines (poll): rtrwatch follows one cache at a time, so an event
 * loop would buy nothing.  Everything a cache sends is checked as a
 * strict router would: the PDU itself (pdu.c), the version of the
 * session, the session id, the End of Data timers (RFC 8210 section 6),
 * the limits of bounds.h, and that an update never announces what the
 * router has nor withdraws what it has not (RFC 8210 section 5.6).
 * Writes use MSG_NOSIGNAL: a cache that reset the connection is an
 * error of that cache, not a signal that ends the program.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "client.h"
#include "log.h"

static int	cerr(struct rtr_client *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Record why, close the connection; returns -1. */
static int
cerr(struct rtr_client *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	rtr_client_close(c);
	c->state = RC_FAILED;
	return -1;
}

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
rtr_client_init(struct rtr_client *c, const char *spec, int version)
{
	const char	*p;
	size_t		 hl;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->version = version;
	buf_init(&c->in);
	rtr_set_init(&c->set);
	snprintf(c->name, sizeof(c->name), "%s", spec);
	c->max_vrps = RTR_MAX_VRPS;
	c->max_keys = RTR_MAX_ROUTER_KEYS;
	c->max_aspas = RTR_MAX_ASPAS;
	if (spec[0] == '[') {
		if ((p = strchr(spec, ']')) == NULL || p[1] != ':')
			return -1;
		hl = (size_t)(p - spec - 1);
		memcpy(c->host, spec + 1, hl < sizeof(c->host) ? hl : 0);
		p += 2;
	} else {
		if ((p = strrchr(spec, ':')) == NULL)
			return -1;
		hl = (size_t)(p - spec);
		memcpy(c->host, spec, hl < sizeof(c->host) ? hl : 0);
		p++;
	}
	if (hl == 0 || hl >= sizeof(c->host) || *p == '\0' ||
	    strlen(p) >= sizeof(c->port))
		return -1;
	c->host[hl] = '\0';
	snprintf(c->port, sizeof(c->port), "%s", p);
	return 0;
}

void
rtr_client_close(struct rtr_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->in.len = 0;
	c->state = RC_IDLE;
}

void
rtr_client_free(struct rtr_client *c)
{
	rtr_client_close(c);
	rtr_set_free(&c->set);
	buf_free(&c->in);
}

int
rtr_client_connect(struct rtr_client *c, int timeout_ms)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	struct pollfd	 pfd;
	socklen_t	 len;
	int		 fd = -1, rc, soerr = 0;

	rtr_client_close(c);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(c->host, c->port, &hints, &res)) != 0)
		return cerr(c, "%s: %s", c->name, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			len = sizeof(soerr);
			if (poll(&pfd, 1, timeout_ms) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 &&
			    soerr == 0)
				break;
			errno = soerr ? soerr : ETIMEDOUT;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return cerr(c, "%s: connect: %s", c->name, strerror(errno));
	c->fd = fd;
	c->state = RC_CONNECTED;
	c->notified = 0;	/* a new connection: nothing announced yet */
	return 0;
}

static int
send_all(struct rtr_client *c, const struct buf *b)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < b->len) {
		n = send(c->fd, b->data + off, b->len - off, MSG_NOSIGNAL);
		if (n == -1 && (errno == EINTR || errno == EAGAIN)) {
			struct pollfd pfd = { c->fd, POLLOUT, 0 };

			poll(&pfd, 1, 1000);
			continue;
		}
		if (n <= 0)
			return cerr(c, "%s: write: %s", c->name, strerror(errno));
		off += (size_t)n;
	}
	return 0;
}

/*
 * Tell the cache what was wrong with the PDU pdu[0..len) before the
 * caller gives up on the session: an Error Report with the PDU echoed
 * (RFC 8210 section 5.11).  Best effort: the socket is non-blocking and
 * the report is small; a cache that is gone does not hear it.
 */
static void
report(struct rtr_client *c, enum rtr_error_code code, const uint8_t *pdu,
    size_t len, const char *text)
{
	struct buf	b;

	buf_init(&b);
	rtr_pdu_error_report(&b, c->version, code, pdu, len, text);
	(void)send(c->fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	buf_free(&b);
}

/* Keep the newest Serial Notify (RFC 1982 order) until it is answered. */
static void
note_notify(struct rtr_client *c, const struct rtr_pdu *p)
{
	if (c->notified && p->session == c->notify_session &&
	    !rtr_serial_lt(c->notify_serial, p->serial))
		return;
	c->notified = 1;
	c->notify_session = p->session;
	c->notify_serial = p->serial;
}

/*
 * The next PDU before deadline (ms, monotonic).  1 with *p (valid until
 * the next call), 0 on timeout, -1 on error (closed).
 */
static int
next_pdu(struct rtr_client *c, long long deadline, struct rtr_pdu *p,
    size_t *consumed)
{
	enum rtr_error_code	 code;
	const char		*why;
	struct pollfd		 pfd;
	size_t			 bad;
	ssize_t			 n;
	long long		 left;
	int			 r;

	if (*consumed > 0) {
		memmove(c->in.data, c->in.data + *consumed, c->in.len - *consumed);
		c->in.len -= *consumed;
		*consumed = 0;
	}
	for (;;) {
		r = rtr_pdu_decode(c->in.data, c->in.len, p, &code, &why, &bad);
		if (r > 0) {
			*consumed = (size_t)r;
			return 1;
		}
		if (r < 0)
			return cerr(c, "%s: bad PDU from the cache: %s", c->name, why);
		if ((left = deadline - now_ms()) <= 0)
			return 0;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) == 0)
			return 0;
		buf_reserve(&c->in, 64 * 1024);
		n = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return cerr(c, "%s: connection closed by the cache%s%s",
			    c->name, n ? ": " : "", n ? strerror(errno) : "");
		c->in.len += (size_t)n;
	}
}

static int
vrp_qcmp(const void *a, const void *b)
{
	return rtr_vrp_cmp(a, b);
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

/* Records of each kind in a set. */
struct rtr_counts {
	size_t	vrps, keys, aspas;
};

/*
 * Sort diff d and check it against set s: no record twice, every
 * announcement new, every withdrawal known (RFC 8210 section 5.6; ASPA
 * announcements replace, so only their withdrawals are checked).
 * *after is what s will hold once d is applied.  NULL, or what is wrong.
 */
static const char *
check_diff(const struct rtr_set *s, struct rtr_set *d, struct rtr_counts *after)
{
	size_t	i, j;
	int	c;

	after->vrps = s->nvrps;
	after->keys = s->nkeys;
	after->aspas = s->naspas;

	/* qsort(3) wants a valid pointer even for zero elements. */
	if (d->nvrps > 1)
		qsort(d->vrps, d->nvrps, sizeof(*d->vrps), vrp_qcmp);
	if (d->nkeys > 1)
		qsort(d->keys, d->nkeys, sizeof(*d->keys), key_qcmp);
	if (d->naspas > 1)
		qsort(d->aspas, d->naspas, sizeof(*d->aspas), aspa_qcmp);
	for (i = 1; i < d->nvrps; i++)
		if (rtr_vrp_cmp(&d->vrps[i - 1], &d->vrps[i]) == 0)
			return "the same VRP twice in one response";
	for (i = 1; i < d->nkeys; i++)
		if (rtr_rkey_cmp(&d->keys[i - 1], &d->keys[i]) == 0)
			return "the same router key twice in one response";
	for (i = 1; i < d->naspas; i++)
		if (d->aspas[i - 1].customer == d->aspas[i].customer)
			return "the same ASPA customer twice in one response";
	for (i = 0, j = 0; i < d->nvrps; i++) {
		while (j < s->nvrps && rtr_vrp_cmp(&s->vrps[j], &d->vrps[i]) < 0)
			j++;
		c = j < s->nvrps && rtr_vrp_cmp(&s->vrps[j], &d->vrps[i]) == 0;
		if (c && (d->vrps[i].flags & RTR_FLAG_ANNOUNCE))
			return "Duplicate Announcement of a VRP";
		if (!c && !(d->vrps[i].flags & RTR_FLAG_ANNOUNCE))
			return "Withdrawal of an unknown VRP";
		if (c)
			after->vrps--;
		else
			after->vrps++;
	}
	for (i = 0, j = 0; i < d->nkeys; i++) {
		while (j < s->nkeys && rtr_rkey_cmp(&s->keys[j], &d->keys[i]) < 0)
			j++;
		c = j < s->nkeys && rtr_rkey_cmp(&s->keys[j], &d->keys[i]) == 0;
		if (c == !!(d->keys[i].flags & RTR_FLAG_ANNOUNCE))
			return c ? "Duplicate Announcement of a router key" :
			    "Withdrawal of an unknown router key";
		if (c)
			after->keys--;
		else
			after->keys++;
	}
	for (i = 0, j = 0; i < d->naspas; i++) {
		while (j < s->naspas && s->aspas[j].customer < d->aspas[i].customer)
			j++;
		c = j < s->naspas && s->aspas[j].customer == d->aspas[i].customer;
		if (!c && !(d->aspas[i].flags & RTR_FLAG_ANNOUNCE))
			return "Withdrawal of an unknown ASPA";
		if (!c)
			after->aspas++;
		else if (!(d->aspas[i].flags & RTR_FLAG_ANNOUNCE))
			after->aspas--;
	}
	return NULL;
}

/* -1 (err set, closed) if a set of n records breaks a limit, else 0. */
static int
check_counts(struct rtr_client *c, const struct rtr_counts *n)
{
	if (n->vrps > c->max_vrps)
		return cerr(c, "%s: more than RTR_MAX_VRPS (%zu) VRPs from "
		    "the cache", c->name, c->max_vrps);
	if (n->keys > c->max_keys)
		return cerr(c, "%s: more than RTR_MAX_ROUTER_KEYS (%zu) router "
		    "keys from the cache", c->name, c->max_keys);
	if (n->aspas > c->max_aspas)
		return cerr(c, "%s: more than RTR_MAX_ASPAS (%zu) ASPAs from "
		    "the cache", c->name, c->max_aspas);
	return 0;
}

/*
 * Add the record of PDU p to the response d.  -1 (err set, closed) when
 * it breaks a limit of bounds.h.  The count is checked as the response
 * streams in, so a cache cannot make us hold more than the limit: a full
 * set may have that many records, a diff that many more than the set
 * has (it can withdraw each known record once, so beyond that the set
 * it makes is over the limit).
 */
static int
add_record(struct rtr_client *c, struct rtr_set *d, const struct rtr_pdu *p,
    int reset)
{
	struct rtr_counts	 n = { 0, 0, 0 }, base = { 0, 0, 0 };
	struct rtr_vrp		 v;
	uint32_t		*prov;
	size_t			 i;

	if (!reset) {
		base.vrps = c->set.nvrps;
		base.keys = c->set.nkeys;
		base.aspas = c->set.naspas;
	}
	switch (p->type) {
	case RTR_IPV4_PREFIX:
	case RTR_IPV6_PREFIX:
		if (d->nvrps + 1 > c->max_vrps + base.vrps) {
			n.vrps = d->nvrps + 1 - base.vrps;
			return check_counts(c, &n);
		}
		memset(&v, 0, sizeof(v));
		v.afi = p->type == RTR_IPV4_PREFIX ? 4 : 6;
		memcpy(v.addr, p->addr, 16);
		v.plen = p->plen;
		v.maxlen = p->maxlen;
		v.asn = p->asn;
		v.flags = p->flags & RTR_FLAG_ANNOUNCE;
		rtr_set_add_vrp(d, &v);
		break;
	case RTR_ROUTER_KEY:
		if (p->spki_len > RTR_MAX_SPKI_LEN)
			return cerr(c, "%s: Router Key with a %zu-byte SPKI, more "
			    "than RTR_MAX_SPKI_LEN (%u)", c->name, p->spki_len,
			    RTR_MAX_SPKI_LEN);
		if (d->nkeys + 1 > c->max_keys + base.keys) {
			n.keys = d->nkeys + 1 - base.keys;
			return check_counts(c, &n);
		}
		rtr_set_add_key(d, p->ski, p->asn, p->spki, p->spki_len);
		d->keys[d->nkeys - 1].flags = p->flags & RTR_FLAG_ANNOUNCE;
		break;
	case RTR_ASPA:
		if (d->naspas + 1 > c->max_aspas + base.aspas) {
			n.aspas = d->naspas + 1 - base.aspas;
			return check_counts(c, &n);
		}
		prov = xcalloc(p->nproviders + 1, sizeof(*prov));
		for (i = 0; i < p->nproviders; i++)
			prov[i] = rtr_pdu_provider(p, i);
		rtr_set_add_aspa(d, p->asn, prov, p->nproviders);
		d->aspas[d->naspas - 1].flags = p->flags & RTR_FLAG_ANNOUNCE;
		free(prov);
		break;
	default:
		break;
	}
	return 0;
}

int
rtr_client_sync(struct rtr_client *c, int reset, int timeout_ms,
    struct rtr_set *changes)
{
	struct rtr_pdu		 p;
	struct rtr_set		 d, fresh;
	struct rtr_counts	 after;
	struct buf		 q;
	const char		*why;
	long long		 deadline = now_ms() + timeout_ms;
	size_t			 used = 0, before;
	uint16_t		 sid = 0;
	int			 r, rc = -1, downgraded = 0, started = 0;

	rtr_set_init(&d);
	buf_init(&q);
	if (!c->has_data)
		reset = 1;
again:
	if (c->fd == -1 && rtr_client_connect(c, timeout_ms) == -1)
		goto out;
	q.len = 0;
	if (reset)
		rtr_pdu_reset_query(&q, c->version);
	else
		rtr_pdu_serial_query(&q, c->version, c->session_id, c->serial);
	if (send_all(c, &q) == -1)
		goto out;
	c->state = RC_SYNCING;
	for (;;) {
		if ((r = next_pdu(c, deadline, &p, &used)) <= 0) {
			if (r == 0)
				cerr(c, "%s: no complete response within %d ms",
				    c->name, timeout_ms);
			goto out;
		}
		if (p.type == RTR_ERROR_REPORT) {
			/* RFC 8210 section 7: a cache that does not speak our
			 * version names its own in the report; use it. */
			if (p.session == RTR_ERR_UNSUPPORTED_VERSION && !started &&
			    !downgraded && p.version < c->version) {
				c->version = p.version;
				downgraded = 1;
				rtr_client_close(c);	/* input dropped */
				used = 0;
				goto again;
			}
			cerr(c, "%s: Error Report from the cache: %s", c->name,
			    rtr_error_name(p.session));
			goto out;
		}
		if (p.type == RTR_SERIAL_NOTIFY) {
			/* Answered by this response only if End of Data
			 * reaches its serial; see below. */
			note_notify(c, &p);
			continue;
		}
		if (p.version != c->version) {
			cerr(c, "%s: PDU of version %d in a version %d session "
			    "(RFC 8210 section 7)", c->name, p.version, c->version);
			goto out;
		}
		if (!started) {
			if (p.type == RTR_CACHE_RESET && !reset) {
				rc = 1;
				c->state = RC_CONNECTED;
				goto out;
			}
			if (p.type != RTR_CACHE_RESPONSE) {
				cerr(c, "%s: %s where Cache Response was due",
				    c->name, rtr_pdu_type_name(p.type));
				goto out;
			}
			if (!reset && p.session != c->session_id) {
				cerr(c, "%s: session id changed from %u to %u",
				    c->name, c->session_id, p.session);
				goto out;
			}
			/* Ours only once the whole response is good. */
			sid = p.session;
			started = 1;
			continue;
		}
		if (p.type == RTR_END_OF_DATA)
			break;
		if (p.type != RTR_IPV4_PREFIX && p.type != RTR_IPV6_PREFIX &&
		    p.type != RTR_ROUTER_KEY && p.type != RTR_ASPA) {
			cerr(c, "%s: unexpected %s in a response", c->name,
			    rtr_pdu_type_name(p.type));
			goto out;
		}
		if (reset && !(p.flags & RTR_FLAG_ANNOUNCE)) {
			cerr(c, "%s: withdrawal in a Reset Query response",
			    c->name);
			goto out;
		}
		if (add_record(c, &d, &p, reset) == -1)
			goto out;
	}
	/* RFC 8210 sections 5.5 and 5.8: End of Data closes the response
	 * the Cache Response opened, in the same session. */
	if (p.session != sid) {
		cerr(c, "%s: End of Data of session %u in a response of session "
		    "%u (RFC 8210 sections 5.5, 5.8)", c->name, p.session, sid);
		goto out;
	}
	/* The PDU is c->in.data[0..used) until the next read. */
	if (c->version > 0 && (why = rtr_timers_check(&p.timers)) != NULL) {
		report(c, RTR_ERR_CORRUPT_DATA, c->in.data, used, why);
		cerr(c, "%s: End of Data with refresh %u, retry %u, expire %u "
		    "refused (%s)", c->name, p.timers.refresh, p.timers.retry,
		    p.timers.expire, why);
		goto out;
	}
	if (reset) {
		/* A full set: duplicates show as a shrink when normalized. */
		before = rtr_set_count(&d);
		rtr_set_normalize(&d);
		if (rtr_set_count(&d) != before) {
			cerr(c, "%s: Duplicate Announcement in a full set", c->name);
			goto out;
		}
		fresh = d;
		rtr_set_init(&d);
		if (changes)
			rtr_set_diff(&c->set, &fresh, changes);
		rtr_set_free(&c->set);
		c->set = fresh;
	} else {
		if ((why = check_diff(&c->set, &d, &after)) != NULL) {
			cerr(c, "%s: %s (RFC 8210 section 5.6)", c->name, why);
			goto out;
		}
		if (check_counts(c, &after) == -1)
			goto out;
		rtr_set_apply(&c->set, &d);
		if (changes) {
			*changes = d;
			rtr_set_init(&d);
		}
	}
	c->session_id = sid;
	c->serial = p.serial;
	if (c->version > 0)
		c->timers = p.timers;
	c->has_data = 1;
	c->state = RC_SYNCED;
	/* A Serial Notify that came during the response is answered by it
	 * unless it named a newer serial of this session (RFC 1982): then
	 * the router asks again now, not at the refresh timer.  One of
	 * another session is answered too: asking again would get the
	 * same End of Data, and the next query would ask once more. */
	if (c->notify_session != sid ||
	    !rtr_serial_lt(c->serial, c->notify_serial))
		c->notified = 0;
	rc = 0;
out:
	if (used > 0 && c->fd != -1) {
		memmove(c->in.data, c->in.data + used, c->in.len - used);
		c->in.len -= used;
	}
	rtr_set_free(&d);
	buf_free(&q);
	return rc;
}

int
rtr_client_wait(struct rtr_client *c, int timeout_ms)
{
	struct rtr_pdu	p;
	size_t		used = 0;
	int		r;

	if (c->fd == -1)
		return -1;
	if (c->notified)
		return 1;
	r = next_pdu(c, now_ms() + timeout_ms, &p, &used);
	if (r <= 0)
		return r;
	if (used > 0) {
		memmove(c->in.data, c->in.data + used, c->in.len - used);
		c->in.len -= used;
	}
	if (p.type == RTR_SERIAL_NOTIFY) {
		note_notify(c, &p);
		return 1;
	}
	if (p.type == RTR_ERROR_REPORT)
		return cerr(c, "%s: Error Report from the cache: %s", c->name,
		    rtr_error_name(p.session));
	return cerr(c, "%s: unexpected %s between responses", c->name,
	    rtr_pdu_type_name(p.type));
}
