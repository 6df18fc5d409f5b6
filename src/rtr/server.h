/*
 * rtrd: the RTR cache server.
 *
 * One thread, one epoll loop (server.c) owns everything: the listeners,
 * the router sessions (session.c), a one-second timerfd that checks the
 * input for changes and drops stalled sessions, a signalfd (SIGHUP reload,
 * SIGTERM/SIGINT stop) and the metrics listener (metrics.c).  Only the
 * loading of the input (download or read, parse, SLURM) runs on a worker
 * thread, one job at a time; it hands a finished set back through an
 * eventfd and touches nothing else.  The payload
 * history (payload.c) encodes each response once per serial and protocol
 * version; a session only holds references to those shared buffers and
 * an offset, and writes them with writev when the socket is writable.
 *
 * epoll was chosen over libevent because the one thing the loop must do
 * well, writing slices of shared buffers without copying them into a
 * per-connection buffer, is a plain writev; libevent's bufferevents would
 * add a copy or reference callbacks for no gain, and level-triggered epoll
 * on Linux is all rtrd needs.
 */
#ifndef RPKIPUB_RTR_SERVER_H
#define RPKIPUB_RTR_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "payload.h"

#define RTR_MAX_LISTEN		16

struct rtr_server_config {
	const char	*input;		/* file path or https:// URL */
	const char	*slurm;		/* optional SLURM file */
	const char	*listen[RTR_MAX_LISTEN];
	size_t		 nlisten;
	const char	*tls_listen[RTR_MAX_LISTEN];	/* RFC 8210 section 9 */
	size_t		 ntls_listen;
	const char	*tls_cert;	/* PEM chain */
	const char	*tls_key;	/* PEM private key */
	const char	*metrics;	/* optional ADDR:PORT */
	struct rtr_timers timers;
	time_t		 max_age;	/* refuse older buildtime; 0 = no check */
	unsigned	 interval;	/* seconds between URL fetches */
	size_t		 history;
	uint32_t	 first_serial;
	int		 session_id;	/* -1: random */
	size_t		 max_sessions;
	unsigned	 stall_secs;
	int		 max_version;	/* highest RTR version spoken */
};

void	rtr_server_config_defaults(struct rtr_server_config *);
/* Run until SIGTERM or SIGINT.  0 after a clean stop, 1 if it could not
 * start. */
int	rtr_server_run(const struct rtr_server_config *);

/* --- shared by server.c, session.c and metrics.c --- */

enum rtr_fd_kind { FD_LISTENER, FD_SESSION, FD_TIMER, FD_SIGNAL, FD_LOADED,
	FD_METRICS_LISTENER, FD_METRICS_CLIENT };

struct rtr_stats {
	uint64_t	pdus_sent;
	uint64_t	bytes_sent;
	uint64_t	sessions_total;
	uint64_t	sessions_dropped;	/* stalled or flooded */
	uint64_t	errors_sent;
	uint64_t	errors_received;
	uint64_t	reloads;
	uint64_t	reload_errors;
	uint64_t	reset_queries;
	uint64_t	serial_queries;
	uint64_t	cache_resets;
	time_t		last_buildtime;
	time_t		last_reload;
};

struct rtr_session;

struct rtr_server {
	const struct rtr_server_config *cfg;
	int			 epfd;
	struct rtr_cache	 cache;
	struct rtr_stats	 stats;
	struct rtr_session	*sessions;	/* doubly linked */
	size_t			 nsessions;
	size_t			 by_version[RTR_NVERSIONS];
	struct rtr_blob		*notify[RTR_NVERSIONS];
	int			 stop;
};

/* Bind a non-blocking listening socket to "ADDR:PORT" or "[ADDR]:PORT";
 * the fd, or -1 (logged). */
int	rtr_listen(const char *spec);

/* session.c */
/* ssl_ctx: NULL for plain TCP, else the session is TLS (server side). */
struct rtr_session *rtr_session_new(struct rtr_server *, int fd,
	    const char *peer, void *ssl_ctx);
struct rtr_session *rtr_session_next(struct rtr_session *);
void	rtr_session_readable(struct rtr_session *);
void	rtr_session_writable(struct rtr_session *);
/* The data changed: send a Serial Notify (RFC 8210 section 5.2). */
void	rtr_session_notify(struct rtr_session *);
/* Once a second: drop the session if its output stalled. */
void	rtr_session_tick(struct rtr_session *, time_t now);
/* Close and free every closed session (after the event batch). */
void	rtr_session_reap(struct rtr_server *);
void	rtr_session_free_all(struct rtr_server *);
time_t	rtr_monotime(void);

#endif
