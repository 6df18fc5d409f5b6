/*
 * rtrd's event loop (see server.h): listeners, the one-second tick that
 * reloads the input when it changed, signals, and the metrics listener.
 */
#define _GNU_SOURCE		/* accept4(2) */
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <sys/eventfd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bounds.h"
#include "fetch.h"
#include "input.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "slurm.h"

struct listener {
	int	kind;		/* FD_LISTENER */
	int	fd;
	int	tls;
	char	name[80];
};

struct fdref {
	int	kind;
	int	fd;
};

/* What was loaded last, to notice a change of either file. */
struct file_id {
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	struct timespec	mtime;
	int		valid;
};

/* One load of the input on the worker thread (see reload). */
struct load_job {
	pthread_t			 thread;
	const struct rtr_server_config	*cfg;
	int				 efd;	/* signalled when done */
	time_t				 now;
	struct file_id			 in_now, sl_now;
	/* results */
	int				 rc;	/* 0, 1 not modified, -1 input, -2 SLURM */
	struct rtr_set			 set;
	struct rtr_input_info		 info;
	char				 err[512];
};

struct loop {
	struct rtr_server	 srv;
	struct load_job		 job;
	int			 job_running, again;
	struct fdref		 ev;	/* FD_LOADED: the job's eventfd */
	struct listener		 lis[2 * RTR_MAX_LISTEN];
	SSL_CTX			*ssl_ctx;
	size_t			 nlis;
	struct fdref		 timer, sig;
	struct file_id		 input_id, slurm_id;
	time_t			 next_fetch;
	struct rtr_metrics	*metrics;
};

void
rtr_server_config_defaults(struct rtr_server_config *c)
{
	memset(c, 0, sizeof(*c));
	c->timers.refresh = RTR_REFRESH_DEFAULT;
	c->timers.retry = RTR_RETRY_DEFAULT;
	c->timers.expire = RTR_EXPIRE_DEFAULT;
	c->max_age = 24 * 3600;
	c->interval = 60;
	c->history = RTR_DEFAULT_HISTORY;
	c->session_id = -1;
	c->max_sessions = RTR_MAX_SESSIONS;
	c->stall_secs = RTR_WRITE_STALL_SECS;
	c->max_version = RTR_VERSION_MAX;
}

/*
 * Split "ADDR:PORT" or "[V6ADDR]:PORT" and bind a non-blocking listening
 * socket to it.  Returns the fd or -1 (logged).
 */
int
rtr_listen(const char *spec)
{
	struct addrinfo	 hints, *res = NULL;
	char		 host[INET6_ADDRSTRLEN + 2];
	const char	*port;
	size_t		 hlen;
	int		 fd = -1, one = 1, rc;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (end == NULL || end[1] != ':')
			goto bad;
		hlen = (size_t)(end - spec - 1);
		if (hlen >= sizeof(host))
			goto bad;
		memcpy(host, spec + 1, hlen);
		port = end + 2;
	} else {
		const char *colon = strrchr(spec, ':');

		if (colon == NULL)
			goto bad;
		hlen = (size_t)(colon - spec);
		if (hlen >= sizeof(host))
			goto bad;
		memcpy(host, spec, hlen);
		port = colon + 1;
	}
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res)) != 0) {
		log_err("listen %s: %s", spec, gai_strerror(rc));
		goto out;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_err("listen %s: socket: %s", spec, strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, 1024) == -1) {
		log_err("listen %s: %s", spec, strerror(errno));
		close(fd);
		fd = -1;
	}
	goto out;
bad:
	log_err("listen %s: want ADDR:PORT or [ADDR]:PORT", spec);
out:
	if (res)
		freeaddrinfo(res);
	return fd;
}

static void
peer_name(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char		 a[INET6_ADDRSTRLEN];
	unsigned	 port = 0;

	a[0] = '\0';
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		port = ntohs(in->sin_port);
		snprintf(out, len, "%s:%u", a, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		port = ntohs(in6->sin6_port);
		snprintf(out, len, "[%s]:%u", a, port);
	} else
		snprintf(out, len, "unknown");
}

static void
accept_sessions(struct loop *l, struct listener *li)
{
	struct rtr_server	*srv = &l->srv;
	struct sockaddr_storage	 ss;
	socklen_t		 slen;
	char			 peer[80];
	int			 fd, one = 1;

	for (;;) {
		slen = sizeof(ss);
		fd = accept4(li->fd, (struct sockaddr *)&ss, &slen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("accept on %s: %s", li->name,
				    strerror(errno));
			return;
		}
		peer_name(&ss, peer, sizeof(peer));
		if (srv->nsessions >= srv->cfg->max_sessions) {
			log_warn("rtr %s: refused: %zu sessions already",
			    peer, srv->nsessions);
			close(fd);
			continue;
		}
		/* Small PDUs (Serial Notify) must not wait for Nagle. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		rtr_session_new(srv, fd, peer, li->tls ? l->ssl_ctx : NULL);
	}
}

static int
file_changed(const char *path, struct file_id *id, struct file_id *now)
{
	struct stat	st;

	memset(now, 0, sizeof(*now));
	if (stat(path, &st) == -1)
		return 0;	/* reported when a load is tried */
	now->dev = st.st_dev;
	now->ino = st.st_ino;
	now->size = st.st_size;
	now->mtime = st.st_mtim;
	now->valid = 1;
	return !id->valid || id->dev != now->dev || id->ino != now->ino ||
	    id->size != now->size || id->mtime.tv_sec != now->mtime.tv_sec ||
	    id->mtime.tv_nsec != now->mtime.tv_nsec;
}

static int
is_url(const char *s)
{
	return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

/*
 * Loading runs on a worker thread (fetch or read, parse, SLURM), so
 * routers are served while a large file is parsed or a slow download
 * runs; the loop only starts a job and, when the thread signals the
 * eventfd, takes the result: diff, new serial, Serial Notify.  One job
 * at a time; a request during a job runs after it.
 */
static void *
load_run(void *arg)
{
	struct load_job	*j = arg;
	uint64_t	 one = 1;

	rtr_set_init(&j->set);
	if (is_url(j->cfg->input))
		j->rc = rtr_fetch_url(j->cfg->input, j->now, j->cfg->max_age,
		    &j->set, &j->info, j->err, sizeof(j->err));
	else
		j->rc = rtr_input_file(j->cfg->input, j->now, j->cfg->max_age,
		    &j->set, &j->info, j->err, sizeof(j->err));
	if (j->rc == 0 && j->cfg->slurm && rtr_slurm_apply_file(j->cfg->slurm,
	    &j->set, j->err, sizeof(j->err)) == -1) {
		rtr_set_free(&j->set);
		j->rc = -2;
	}
	if (write(j->efd, &one, sizeof(one)) != sizeof(one))
		fatalx("eventfd write: %s", strerror(errno));
	return NULL;
}

/* Start a load if the input or SLURM file changed (or force). */
static void
reload(struct loop *l, int force)
{
	const struct rtr_server_config *cfg = l->srv.cfg;
	struct load_job	*j = &l->job;
	int		 in_ch = 0, sl_ch = 0;

	if (l->job_running) {
		l->again |= force;
		return;
	}
	memset(&j->in_now, 0, sizeof(j->in_now));
	memset(&j->sl_now, 0, sizeof(j->sl_now));
	if (is_url(cfg->input)) {
		if (!force && rtr_monotime() < l->next_fetch)
			return;
		l->next_fetch = rtr_monotime() + cfg->interval;
		in_ch = 1;
	} else
		in_ch = file_changed(cfg->input, &l->input_id, &j->in_now);
	if (cfg->slurm)
		sl_ch = file_changed(cfg->slurm, &l->slurm_id, &j->sl_now);
	if (!force && !in_ch && !sl_ch)
		return;
	j->cfg = cfg;
	j->now = time(NULL);
	j->err[0] = '\0';
	l->srv.stats.reloads++;
	if (pthread_create(&j->thread, NULL, load_run, j) != 0)
		fatalx("pthread_create: %s", strerror(errno));
	l->job_running = 1;
}

/* The worker finished: use its set, or log why not. */
static void
load_done(struct loop *l)
{
	struct rtr_server	*srv = &l->srv;
	const struct rtr_server_config *cfg = srv->cfg;
	struct load_job		*j = &l->job;
	struct rtr_session	*s;
	uint64_t		 n;
	int			 v;

	if (read(l->ev.fd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_join(j->thread, NULL);
	l->job_running = 0;
	/* A file that failed is not read again until it changes. */
	if (!is_url(cfg->input))
		l->input_id = j->in_now;
	l->slurm_id = j->sl_now;
	if (j->rc == 1)
		goto out;	/* HTTP 304: nothing new */
	if (j->rc < 0) {
		srv->stats.reload_errors++;
		log_err("%s refused, keeping the data of serial %u: %s",
		    j->rc == -2 ? "SLURM" : "input", srv->cache.serial, j->err);
		goto out;
	}
	srv->stats.last_buildtime = j->info.buildtime;
	srv->stats.last_reload = j->now;
	log_info("input loaded: %zu VRPs, %zu router keys, %zu ASPAs"
	    " (%zu expired records skipped)", j->set.nvrps, j->set.nkeys,
	    j->set.naspas, j->info.expired);
	if (!rtr_cache_update(&srv->cache, &j->set))
		goto out;
	log_info("serial %u (session %u)", srv->cache.serial,
	    srv->cache.session_id);
	for (v = 0; v < RTR_NVERSIONS; v++) {
		rtr_blob_unref(srv->notify[v]);
		srv->notify[v] = NULL;
	}
	for (s = srv->sessions; s != NULL; s = rtr_session_next(s))
		rtr_session_notify(s);
out:
	rtr_set_free(&j->set);
	if (l->again) {
		l->again = 0;
		reload(l, 1);
	}
}

static int
add_fd(int epfd, int fd, void *ptr)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = ptr;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/*
 * The TLS context of the --tls-listen listeners (RFC 8210 section 9):
 * TLS 1.2 or newer, the operator's certificate and key.  Routers are not
 * asked for certificates.  NULL (logged) on failure.
 */
static SSL_CTX *
tls_setup(const struct rtr_server_config *cfg)
{
	SSL_CTX		*ctx;
	unsigned long	 e;

	if (cfg->tls_cert == NULL || cfg->tls_key == NULL) {
		log_err("--tls-listen needs --tls-cert and --tls-key");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		fatalx("SSL_CTX_new failed");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		e = ERR_get_error();
		log_err("TLS certificate %s / key %s: %s", cfg->tls_cert,
		    cfg->tls_key, ERR_reason_error_string(e) ?
		    ERR_reason_error_string(e) : "unusable");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int
setup(struct loop *l, const struct rtr_server_config *cfg)
{
	struct itimerspec	its;
	sigset_t		set;
	uint16_t		sid;
	size_t			i;
	int			fd;

	l->srv.cfg = cfg;
	if ((l->srv.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatalx("epoll_create1: %s", strerror(errno));
	/* RFC 8210 section 5.1: a new Session ID for each start, so
	 * routers never mix data of two runs. */
	if (cfg->session_id >= 0)
		sid = (uint16_t)cfg->session_id;
	else if (getrandom(&sid, sizeof(sid), 0) != sizeof(sid))
		fatalx("getrandom: %s", strerror(errno));
	rtr_cache_init(&l->srv.cache, sid, cfg->first_serial, cfg->history,
	    &cfg->timers);
	if (cfg->ntls_listen > 0 && (l->ssl_ctx = tls_setup(cfg)) == NULL)
		return -1;
	for (i = 0; i < cfg->nlisten + cfg->ntls_listen; i++) {
		int		 tls = i >= cfg->nlisten;
		const char	*spec = tls ? cfg->tls_listen[i - cfg->nlisten] :
				    cfg->listen[i];

		if ((fd = rtr_listen(spec)) == -1)
			return -1;
		l->lis[l->nlis].kind = FD_LISTENER;
		l->lis[l->nlis].fd = fd;
		l->lis[l->nlis].tls = tls;
		snprintf(l->lis[l->nlis].name, sizeof(l->lis[0].name), "%s", spec);
		if (add_fd(l->srv.epfd, fd, &l->lis[l->nlis]) == -1)
			fatalx("epoll_ctl: %s", strerror(errno));
		l->nlis++;
		log_info("listening on %s%s", spec, tls ? " (TLS)" : "");
	}
	if (cfg->metrics) {
		if ((l->metrics = rtr_metrics_new(&l->srv, cfg->metrics)) == NULL)
			return -1;
		log_info("metrics on http://%s/metrics", cfg->metrics);
	}
	l->ev.kind = FD_LOADED;
	if ((l->ev.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		fatalx("eventfd: %s", strerror(errno));
	l->job.efd = l->ev.fd;
	add_fd(l->srv.epfd, l->ev.fd, &l->ev);
	l->timer.kind = FD_TIMER;
	if ((l->timer.fd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1)
		fatalx("timerfd_create: %s", strerror(errno));
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = 1;
	its.it_interval.tv_sec = 1;
	timerfd_settime(l->timer.fd, 0, &its, NULL);
	add_fd(l->srv.epfd, l->timer.fd, &l->timer);

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	l->sig.kind = FD_SIGNAL;
	if ((l->sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatalx("signalfd: %s", strerror(errno));
	add_fd(l->srv.epfd, l->sig.fd, &l->sig);
	return 0;
}

static void
on_signal(struct loop *l)
{
	struct signalfd_siginfo	si;

	while (read(l->sig.fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reloading the input");
			reload(l, 1);
		} else {
			log_info("signal %u: stopping", si.ssi_signo);
			l->srv.stop = 1;
		}
	}
}

static void
on_tick(struct loop *l)
{
	struct rtr_session	*s;
	uint64_t		 n;
	time_t			 now = rtr_monotime();

	while (read(l->timer.fd, &n, sizeof(n)) == sizeof(n))
		;
	for (s = l->srv.sessions; s != NULL; s = rtr_session_next(s))
		rtr_session_tick(s, now);
	reload(l, 0);
}

int
rtr_server_run(const struct rtr_server_config *cfg)
{
	struct epoll_event	 evs[256];
	struct loop		*l;
	int			 n, i, rc = 1, kind;
	size_t			 j;

	l = xcalloc(1, sizeof(*l));
	if (setup(l, cfg) == -1)
		goto out;
	log_info("session id %u, first serial %u", l->srv.cache.session_id,
	    l->srv.cache.serial);
	/* The first load is waited for: until it is done there is
	 * nothing to serve, and routers connecting meanwhile wait in the
	 * listen queue rather than get No Data Available. */
	reload(l, 1);
	if (l->job_running) {
		struct pollfd	pfd = { l->ev.fd, POLLIN, 0 };

		while (poll(&pfd, 1, -1) == -1 && errno == EINTR)
			;
		load_done(l);
	}
	while (!l->srv.stop) {
		n = epoll_wait(l->srv.epfd, evs, 256, -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatalx("epoll_wait: %s", strerror(errno));
		}
		for (i = 0; i < n; i++) {
			kind = *(int *)evs[i].data.ptr;
			switch (kind) {
			case FD_LISTENER:
				accept_sessions(l, evs[i].data.ptr);
				break;
			case FD_SESSION:
				if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					rtr_session_readable(evs[i].data.ptr);
				if (evs[i].events & EPOLLOUT)
					rtr_session_writable(evs[i].data.ptr);
				break;
			case FD_TIMER:
				on_tick(l);
				break;
			case FD_SIGNAL:
				on_signal(l);
				break;
			case FD_LOADED:
				load_done(l);
				break;
			default:
				rtr_metrics_event(l->metrics, evs[i].data.ptr,
				    evs[i].events);
				break;
			}
		}
		rtr_session_reap(&l->srv);
	}
	rc = 0;
out:
	if (l->job_running) {	/* at most the download timeout */
		pthread_join(l->job.thread, NULL);
		rtr_set_free(&l->job.set);
	}
	rtr_session_free_all(&l->srv);
	rtr_metrics_free(l->metrics);
	for (j = 0; j < l->nlis; j++)
		close(l->lis[j].fd);
	for (i = 0; i < RTR_NVERSIONS; i++)
		rtr_blob_unref(l->srv.notify[i]);
	rtr_cache_free(&l->srv.cache);
	SSL_CTX_free(l->ssl_ctx);
	if (l->timer.fd > 0)
		close(l->timer.fd);
	if (l->sig.fd > 0)
		close(l->sig.fd);
	if (l->ev.fd > 0)
		close(l->ev.fd);
	if (l->srv.epfd > 0)
		close(l->srv.epfd);
	free(l);
	return rc;
}
