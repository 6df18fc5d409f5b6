/*
 * One router session of rtrd: the cache side of RFC 8210.
 *
 * States:
 *   CONNECTED    accepted; no PDU yet, so no protocol version
 *   ESTABLISHED  the router's first query fixed the version (RFC 8210
 *                section 7); queries are answered from the shared
 *                responses, Serial Notify sent on every new serial
 *   CLOSING      an Error Report is queued; once written, close
 *   CLOSED       to be reaped by the server loop
 * Every transition goes through session_fsm(), which logs it.
 *
 * Output is a short queue of references into shared buffers (struct
 * rtr_blob) with an offset; nothing is copied per session.  A session
 * whose queue grows beyond RTR_MAX_QUEUED, or whose socket takes nothing
 * for stall_secs while output waits, is dropped: a router that stopped
 * reading must not hold memory forever.
 */
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bounds.h"
#include "log.h"
#include "pdu.h"
#include "server.h"

enum sess_state { SS_CONNECTED, SS_ESTABLISHED, SS_CLOSING, SS_CLOSED };
enum sess_event { EV_QUERY, EV_BAD_PDU, EV_ERROR_RECEIVED, EV_EOF,
	EV_IO_ERROR, EV_STALLED, EV_FLOODED, EV_FLUSHED };

static const char *const state_names[] = {
	"CONNECTED", "ESTABLISHED", "CLOSING", "CLOSED"
};
static const char *const event_names[] = {
	"query", "bad PDU", "Error Report received", "end of stream",
	"I/O error", "output stalled", "too many queued responses",
	"output flushed"
};

struct out_item {
	struct rtr_blob	*blob;
	size_t		 off;
};

struct rtr_session {
	int			 kind;		/* FD_SESSION: first, for epoll */
	int			 fd;
	struct rtr_server	*srv;
	struct rtr_session	*prev, *next;
	char			 peer[80];
	enum sess_state		 state;
	int			 version;	/* -1 until negotiated */
	struct buf		 in;
	struct out_item		 q[RTR_MAX_QUEUED];
	size_t			 qhead, qlen;
	int			 polling_out;
	time_t			 last_progress;
	SSL			*ssl;		/* TLS session, or NULL */
	int			 tls_want_read;	/* SSL_write waits for input */
};

time_t
rtr_monotime(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
session_fsm(struct rtr_session *s, enum sess_event ev, enum sess_state next)
{
	if (s->state == next)
		return;
	log_debug("rtr %s: %s -> %s on %s", s->peer, state_names[s->state],
	    state_names[next], event_names[ev]);
	if (s->state == SS_ESTABLISHED && s->version >= 0)
		s->srv->by_version[s->version]--;
	if (next == SS_ESTABLISHED)
		s->srv->by_version[s->version]++;
	if (next == SS_CLOSED && (ev == EV_STALLED || ev == EV_FLOODED)) {
		s->srv->stats.sessions_dropped++;
		log_warn("rtr %s: dropped: %s", s->peer, event_names[ev]);
	}
	s->state = next;
}

static void
set_pollout(struct rtr_session *s, int on)
{
	struct epoll_event	ev;

	if (s->polling_out == on || s->state == SS_CLOSED)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
	ev.data.ptr = s;
	if (epoll_ctl(s->srv->epfd, EPOLL_CTL_MOD, s->fd, &ev) == -1)
		fatalx("epoll_ctl: %s", strerror(errno));
	s->polling_out = on;
}

struct rtr_session *
rtr_session_new(struct rtr_server *srv, int fd, const char *peer,
    void *ssl_ctx)
{
	struct rtr_session	*s;
	struct epoll_event	 ev;

	s = xcalloc(1, sizeof(*s));
	s->kind = FD_SESSION;
	s->fd = fd;
	s->srv = srv;
	s->version = -1;
	s->state = SS_CONNECTED;
	s->last_progress = rtr_monotime();
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	buf_init(&s->in);
	if (ssl_ctx != NULL) {
		if ((s->ssl = SSL_new(ssl_ctx)) == NULL ||
		    SSL_set_fd(s->ssl, fd) != 1)
			fatalx("SSL_new failed");
		SSL_set_accept_state(s->ssl);
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = s;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		fatalx("epoll_ctl: %s", strerror(errno));
	s->next = srv->sessions;
	if (s->next)
		s->next->prev = s;
	srv->sessions = s;
	srv->nsessions++;
	srv->stats.sessions_total++;
	log_info("rtr %s: connected", peer);
	return s;
}

/* Queue a reference to b (taken over). */
static void
enqueue(struct rtr_session *s, struct rtr_blob *b)
{
	if (s->qlen == RTR_MAX_QUEUED) {
		rtr_blob_unref(b);
		session_fsm(s, EV_FLOODED, SS_CLOSED);
		return;
	}
	if (s->qlen == 0)
		s->last_progress = rtr_monotime();
	s->q[(s->qhead + s->qlen) % RTR_MAX_QUEUED].blob = b;
	s->q[(s->qhead + s->qlen) % RTR_MAX_QUEUED].off = 0;
	s->qlen++;
	s->srv->stats.pdus_sent += b->npdus;
}

/*
 * TLS write of up to 1 MB of p: bytes written, -1 when it would block
 * (tls_want_read set if it waits for input), -2 when the session failed.
 */
static ssize_t
tls_write(struct rtr_session *s, const uint8_t *p, size_t len)
{
	int	n, e;

	if (len > 1024 * 1024)
		len = 1024 * 1024;
	s->tls_want_read = 0;
	ERR_clear_error();
	n = SSL_write(s->ssl, p, (int)len);
	if (n > 0)
		return n;
	e = SSL_get_error(s->ssl, n);
	if (e == SSL_ERROR_WANT_WRITE)
		return -1;
	if (e == SSL_ERROR_WANT_READ) {
		s->tls_want_read = 1;
		return -1;
	}
	log_info("rtr %s: TLS write failed (%d)", s->peer, e);
	session_fsm(s, EV_IO_ERROR, SS_CLOSED);
	return -2;
}

/*
 * Write as much queued output as the socket takes: large shared
 * responses with sendfile(2) from their memfd (no copy into the socket),
 * runs of small ones with one writev(2).
 */
static void
flush(struct rtr_session *s)
{
	struct iovec	 iov[RTR_MAX_QUEUED];
	struct out_item	*it;
	ssize_t		 n;
	off_t		 o;
	size_t		 cnt, left;

	while (s->qlen > 0 && s->state != SS_CLOSED) {
		it = &s->q[s->qhead];
		if (s->ssl != NULL) {
			n = tls_write(s, it->blob->data + it->off,
			    it->blob->len - it->off);
			if (n == -2)
				return;		/* closed */
			if (n == -1)
				break;		/* would block */
		} else if (it->blob->fd != -1) {
			o = (off_t)it->off;
			n = sendfile(s->fd, it->blob->fd, &o,
			    it->blob->len - it->off);
		} else {
			for (cnt = 0; cnt < s->qlen; cnt++) {
				it = &s->q[(s->qhead + cnt) % RTR_MAX_QUEUED];
				if (it->blob->fd != -1)
					break;
				iov[cnt].iov_base = it->blob->data + it->off;
				iov[cnt].iov_len = it->blob->len - it->off;
			}
			n = writev(s->fd, iov, (int)cnt);
		}
		if (n == -1 && s->ssl == NULL) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			log_info("rtr %s: write: %s", s->peer, strerror(errno));
			session_fsm(s, EV_IO_ERROR, SS_CLOSED);
			return;
		}
		s->srv->stats.bytes_sent += (uint64_t)n;
		s->last_progress = rtr_monotime();
		left = (size_t)n;
		while (s->qlen > 0 && left > 0) {
			it = &s->q[s->qhead];
			if (left < it->blob->len - it->off) {
				it->off += left;
				break;
			}
			left -= it->blob->len - it->off;
			rtr_blob_unref(it->blob);
			it->blob = NULL;
			s->qhead = (s->qhead + 1) % RTR_MAX_QUEUED;
			s->qlen--;
		}
	}
	if (s->qlen == 0 && s->state == SS_CLOSING) {
		session_fsm(s, EV_FLUSHED, SS_CLOSED);
		return;
	}
	/* A TLS write waiting for input resumes from the read side. */
	set_pollout(s, s->qlen > 0 && !s->tls_want_read);
}

/* A small response (Error Report, Cache Reset) in its own buffer. */
static struct rtr_blob *
small_blob(struct buf *b)
{
	return rtr_blob_new(b);
}

/*
 * Send an Error Report carrying the offending PDU; fatal errors close the
 * session once it is written (RFC 8210 section 5.11, section 12).
 */
static void
send_error(struct rtr_session *s, int v, enum rtr_error_code code,
    const uint8_t *pdu, size_t pdu_len, const char *why, int fatal)
{
	struct buf	b;

	log_warn("rtr %s: sending Error Report (%s): %s", s->peer,
	    rtr_error_name(code), why);
	buf_init(&b);
	rtr_pdu_error_report(&b, v, code, pdu, pdu_len, why);
	enqueue(s, small_blob(&b));
	s->srv->stats.errors_sent++;
	if (fatal && s->state != SS_CLOSED)
		session_fsm(s, EV_BAD_PDU, SS_CLOSING);
}

static void
answer_query(struct rtr_session *s, const struct rtr_pdu *pdu,
    const uint8_t *raw)
{
	struct rtr_server	*srv = s->srv;
	struct rtr_blob		*b;
	struct buf		 tmp;

	if (!srv->cache.has_data) {
		/* RFC 8210 section 12: No Data Available is not fatal. */
		send_error(s, s->version, RTR_ERR_NO_DATA, raw, pdu->length,
		    "no valid input loaded yet", 0);
		return;
	}
	if (pdu->type == RTR_RESET_QUERY) {
		srv->stats.reset_queries++;
		enqueue(s, rtr_cache_full(&srv->cache, s->version));
		return;
	}
	srv->stats.serial_queries++;
	/* A query for another session (we restarted) or a serial we do
	 * not hold: Cache Reset, and the router sends a Reset Query
	 * (RFC 8210 section 5.9). */
	b = NULL;
	if (pdu->session == srv->cache.session_id)
		b = rtr_cache_delta(&srv->cache, s->version, pdu->serial);
	if (b == NULL) {
		log_info("rtr %s: Serial Query session %u serial %u: Cache Reset",
		    s->peer, pdu->session, pdu->serial);
		srv->stats.cache_resets++;
		buf_init(&tmp);
		rtr_pdu_cache_reset(&tmp, s->version);
		b = small_blob(&tmp);
	}
	enqueue(s, b);
}

/* One decoded PDU from the router. */
static void
handle_pdu(struct rtr_session *s, const struct rtr_pdu *pdu, const uint8_t *raw)
{
	char	text[RTR_MAX_ERROR_TEXT + 1];
	size_t	i, n;

	if (pdu->type == RTR_ERROR_REPORT) {
		/* Never answer an Error Report with one (section 5.11). */
		n = pdu->err_text_len < RTR_MAX_ERROR_TEXT ?
		    pdu->err_text_len : RTR_MAX_ERROR_TEXT;
		for (i = 0; i < n; i++)
			text[i] = pdu->err_text[i] >= 0x20 &&
			    pdu->err_text[i] < 0x7f ? (char)pdu->err_text[i] : '?';
		text[n] = '\0';
		log_warn("rtr %s: Error Report received: %s: %s", s->peer,
		    rtr_error_name(pdu->session), text);
		s->srv->stats.errors_received++;
		/* No Data Available is not fatal; every other code is. */
		if (pdu->session != RTR_ERR_NO_DATA)
			session_fsm(s, EV_ERROR_RECEIVED, SS_CLOSED);
		return;
	}
	if (s->state == SS_CONNECTED && pdu->version > s->srv->cfg->max_version) {
		/*
		 * A version this cache is configured not to speak: the Error
		 * Report carries the highest one it does, and the router
		 * may try again with that (RFC 8210 section 7).
		 */
		send_error(s, s->srv->cfg->max_version,
		    RTR_ERR_UNSUPPORTED_VERSION, raw, pdu->length,
		    "RFC 8210 section 7: this cache speaks a lower version", 1);
		return;
	}
	if (s->state == SS_CONNECTED) {
		/* The router's first PDU sets the version (section 7). */
		s->version = pdu->version;
		session_fsm(s, EV_QUERY, SS_ESTABLISHED);
		log_info("rtr %s: protocol version %d", s->peer, s->version);
	} else if (pdu->version != s->version) {
		send_error(s, s->version, RTR_ERR_UNEXPECTED_VERSION, raw,
		    pdu->length, "RFC 8210 section 7: version changed "
		    "within the session", 1);
		return;
	}
	if (pdu->type != RTR_RESET_QUERY && pdu->type != RTR_SERIAL_QUERY) {
		send_error(s, s->version, RTR_ERR_INVALID_REQUEST, raw,
		    pdu->length, "RFC 8210 section 5: a router sends only "
		    "Reset Query, Serial Query and Error Report", 1);
		return;
	}
	answer_query(s, pdu, raw);
}

/*
 * TLS read into s->in, draining what OpenSSL already holds: bytes read,
 * 0 at the end of the stream, -1 when nothing is there yet, -2 when the
 * session failed.
 */
static ssize_t
tls_read(struct rtr_session *s)
{
	ssize_t	total = 0;
	int	n, e;

	if (s->tls_want_read) {
		flush(s);	/* the write was waiting for this input */
		if (s->state == SS_CLOSED)
			return -2;
	}
	for (;;) {
		buf_reserve(&s->in, 4096);
		if (s->in.len >= RTR_MAX_PDU_LEN + 4096)
			return total;	/* decode first; level-triggered */
		ERR_clear_error();
		n = SSL_read(s->ssl, s->in.data + s->in.len,
		    (int)(s->in.cap - s->in.len));
		if (n > 0) {
			s->in.len += (size_t)n;
			total += n;
			continue;
		}
		e = SSL_get_error(s->ssl, n);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (e == SSL_ERROR_WANT_WRITE)
				set_pollout(s, 1);
			return total > 0 ? total : -1;
		}
		if (total > 0)
			return total;
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		log_info("rtr %s: TLS: %s", s->peer, ERR_reason_error_string(
		    ERR_peek_last_error()) ? ERR_reason_error_string(
		    ERR_peek_last_error()) : "connection failed");
		session_fsm(s, EV_IO_ERROR, SS_CLOSED);
		return -2;
	}
}

void
rtr_session_readable(struct rtr_session *s)
{
	struct rtr_pdu		 pdu;
	enum rtr_error_code	 code;
	const char		*why;
	size_t			 off, bad_len;
	ssize_t			 n;
	int			 r, v;

	if (s->state == SS_CLOSED)
		return;
	buf_reserve(&s->in, 4096);
	if (s->ssl != NULL) {
		n = tls_read(s);
		if (n == -2)
			return;
		if (n == -1) {		/* nothing yet (handshake, partial) */
			flush(s);
			return;
		}
	} else
		n = read(s->fd, s->in.data + s->in.len, s->in.cap - s->in.len);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		log_info("rtr %s: read: %s", s->peer, strerror(errno));
		session_fsm(s, EV_IO_ERROR, SS_CLOSED);
		return;
	}
	if (n == 0) {
		log_info("rtr %s: closed by the router", s->peer);
		session_fsm(s, EV_EOF, SS_CLOSED);
		return;
	}
	if (s->state == SS_CLOSING)
		return;		/* nothing more is read after an error */
	if (s->ssl == NULL)
		s->in.len += (size_t)n;
	off = 0;
	while (s->state == SS_CONNECTED || s->state == SS_ESTABLISHED) {
		r = rtr_pdu_decode(s->in.data + off, s->in.len - off, &pdu,
		    &code, &why, &bad_len);
		if (r == 0)
			break;
		if (r < 0) {
			/* Report in the session's version; before it is
			 * known, in the PDU's if we speak it, else ours. */
			v = s->version >= 0 ? s->version :
			    pdu.version <= RTR_VERSION_MAX ? pdu.version :
			    RTR_VERSION_MAX;
			if (v > s->srv->cfg->max_version)
				v = s->srv->cfg->max_version;
			if (code == RTR_ERR_UNSUPPORTED_VERSION)
				v = s->version >= 0 ? s->version :
				    s->srv->cfg->max_version;
			send_error(s, v, code, s->in.data + off, bad_len, why, 1);
			break;
		}
		handle_pdu(s, &pdu, s->in.data + off);
		off += (size_t)r;
	}
	if (off > 0) {
		memmove(s->in.data, s->in.data + off, s->in.len - off);
		s->in.len -= off;
	}
	flush(s);
}

struct rtr_session *
rtr_session_next(struct rtr_session *s)
{
	return s->next;
}

void
rtr_session_writable(struct rtr_session *s)
{
	flush(s);
}

void
rtr_session_notify(struct rtr_session *s)
{
	struct rtr_server	*srv = s->srv;
	struct buf		 b;
	int			 v = s->version;

	if (s->state != SS_ESTABLISHED)
		return;
	/* A response already on its way makes the hint redundant. */
	if (s->qlen > 0)
		return;
	if (srv->notify[v] == NULL) {
		buf_init(&b);
		rtr_pdu_serial_notify(&b, v, srv->cache.session_id,
		    srv->cache.serial);
		srv->notify[v] = rtr_blob_new(&b);
	}
	enqueue(s, rtr_blob_ref(srv->notify[v]));
	flush(s);
}

void
rtr_session_tick(struct rtr_session *s, time_t now)
{
	if (s->qlen > 0 && s->state != SS_CLOSED &&
	    now - s->last_progress >= (time_t)s->srv->cfg->stall_secs)
		session_fsm(s, EV_STALLED, SS_CLOSED);
}

static void
session_free(struct rtr_session *s)
{
	struct rtr_server	*srv = s->srv;

	if (s->prev)
		s->prev->next = s->next;
	else
		srv->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	srv->nsessions--;
	if (s->state == SS_ESTABLISHED)
		srv->by_version[s->version]--;
	while (s->qlen > 0) {
		rtr_blob_unref(s->q[s->qhead].blob);
		s->qhead = (s->qhead + 1) % RTR_MAX_QUEUED;
		s->qlen--;
	}
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	if (s->ssl != NULL) {
		SSL_shutdown(s->ssl);	/* best effort, non-blocking */
		SSL_free(s->ssl);
	}
	close(s->fd);
	buf_free(&s->in);
	free(s);
}

void
rtr_session_reap(struct rtr_server *srv)
{
	struct rtr_session	*s, *next;

	for (s = srv->sessions; s != NULL; s = next) {
		next = s->next;
		if (s->state == SS_CLOSED) {
			log_info("rtr %s: closed", s->peer);
			session_free(s);
		}
	}
}

void
rtr_session_free_all(struct rtr_server *srv)
{
	while (srv->sessions != NULL) {
		srv->sessions->state = SS_CLOSED;
		session_free(srv->sessions);
	}
}
