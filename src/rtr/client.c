/*
 * Router side of RTR for rtrwatch (see client.h).  Blocking I/O with
 * deadlines (poll): rtrwatch follows one cache at a time, so an event
 * loop would buy nothing.  Everything a cache sends is checked as a
 * strict router would: the PDU itself (pdu.c), the version of the
 * session, the session id, and that an update never announces what the
 * router has nor withdraws what it has not (RFC 8210 section 5.6).
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
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
	return 0;
}

static int
send_all(struct rtr_client *c, const struct buf *b)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < b->len) {
		n = write(c->fd, b->data + off, b->len - off);
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
		if (poll(&pfd, 1, (int)left) == 0)
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

/*
 * Sort diff d and check it against set s: no record twice, every
 * announcement new, every withdrawal known (RFC 8210 section 5.6; ASPA
 * announcements replace, so only their withdrawals are checked).
 * NULL, or what is wrong.
 */
static const char *
check_diff(const struct rtr_set *s, struct rtr_set *d)
{
	size_t	i, j;
	int	c;

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
	}
	for (i = 0, j = 0; i < d->nkeys; i++) {
		while (j < s->nkeys && rtr_rkey_cmp(&s->keys[j], &d->keys[i]) < 0)
			j++;
		c = j < s->nkeys && rtr_rkey_cmp(&s->keys[j], &d->keys[i]) == 0;
		if (c == !!(d->keys[i].flags & RTR_FLAG_ANNOUNCE))
			return c ? "Duplicate Announcement of a router key" :
			    "Withdrawal of an unknown router key";
	}
	for (i = 0, j = 0; i < d->naspas; i++) {
		while (j < s->naspas && s->aspas[j].customer < d->aspas[i].customer)
			j++;
		c = j < s->naspas && s->aspas[j].customer == d->aspas[i].customer;
		if (!c && !(d->aspas[i].flags & RTR_FLAG_ANNOUNCE))
			return "Withdrawal of an unknown ASPA";
	}
	return NULL;
}

static void
add_record(struct rtr_set *d, const struct rtr_pdu *p)
{
	struct rtr_vrp	 v;
	uint32_t	*prov;
	size_t		 i;

	switch (p->type) {
	case RTR_IPV4_PREFIX:
	case RTR_IPV6_PREFIX:
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
		rtr_set_add_key(d, p->ski, p->asn, p->spki, p->spki_len);
		d->keys[d->nkeys - 1].flags = p->flags & RTR_FLAG_ANNOUNCE;
		break;
	case RTR_ASPA:
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
}

int
rtr_client_sync(struct rtr_client *c, int reset, int timeout_ms,
    struct rtr_set *changes)
{
	struct rtr_pdu	 p;
	struct rtr_set	 d, fresh;
	struct buf	 q;
	const char	*why;
	long long	 deadline = now_ms() + timeout_ms;
	size_t		 used = 0, before;
	int		 r, rc = -1, downgraded = 0, started = 0;

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
			c->notified = 1;	/* answered by this query */
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
			c->session_id = p.session;
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
		add_record(&d, &p);
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
		if ((why = check_diff(&c->set, &d)) != NULL) {
			cerr(c, "%s: %s (RFC 8210 section 5.6)", c->name, why);
			goto out;
		}
		rtr_set_apply(&c->set, &d);
		if (changes) {
			*changes = d;
			rtr_set_init(&d);
		}
	}
	c->serial = p.serial;
	if (c->version > 0)
		c->timers = p.timers;
	c->has_data = 1;
	c->state = RC_SYNCED;
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
	r = next_pdu(c, now_ms() + timeout_ms, &p, &used);
	if (r <= 0)
		return r;
	if (used > 0) {
		memmove(c->in.data, c->in.data + used, c->in.len - used);
		c->in.len -= used;
	}
	if (p.type == RTR_SERIAL_NOTIFY) {
		c->notified = 1;
		return 1;
	}
	if (p.type == RTR_ERROR_REPORT)
		return cerr(c, "%s: Error Report from the cache: %s", c->name,
		    rtr_error_name(p.session));
	return cerr(c, "%s: unexpected %s between responses", c->name,
	    rtr_pdu_type_name(p.type));
}
