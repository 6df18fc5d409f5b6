/*
 * rrdpsync: keeps a local copy of an upstream RRDP repository (RFC 8182)
 * and its rsync tree for a public edge node; see src/sync/sync_follow.h.
 * This file parses the command line, runs rounds once or at an interval,
 * and handles signals and the metrics listener.
 *
 * Signals are blocked in every thread and taken by one thread with
 * sigwait(): SIGTERM and SIGINT set the stop flag the round checks
 * between its steps and during transfers (nothing half-applied ever
 * becomes visible, so stopping anywhere is safe); SIGHUP starts a round
 * now.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "bounds.h"
#include "buf.h"
#include "http_client.h"
#include "log.h"
#include "sync_follow.h"
#include "sync_metrics.h"

#define DEFAULT_INTERVAL	60
#define DEFAULT_KEEP		7200	/* BCP: two hours */
#define DEFAULT_RSYNC_KEEP	7200
#define DEFAULT_GRACE		3600
/* Rounds start within this fraction of the interval around it. */
#define JITTER			0.1

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rrdpsync --source NOTIFICATION_URL --rrdp-dir DIR --rsync-dir DIR\n"
"                --base-uri PUBLIC_RRDP_BASE_URL [--state-dir DIR]\n"
"                [--ca-file FILE] [--connect-to HOST:PORT:ADDR:PORT]\n"
"                [--once | --interval SECONDS]\n"
"                [--keep SECONDS] [--rsync-keep SECONDS]\n"
"                [--regression-grace SECONDS] [--max-snapshot-size BYTES]\n"
"                [--max-delta-size BYTES] [--max-notification-size BYTES]\n"
"                [--max-round-size BYTES]\n"
"                [--timeout SECONDS] [--connect-timeout SECONDS]\n"
"                [--stall-timeout SECONDS] [--status-file FILE]\n"
"                [--metrics ADDR:PORT] [--syslog] [-q | -v]\n"
"\n"
"Follows an upstream RRDP repository (RFC 8182; normally rpkipubd's,\n"
"any RRDP server works) and keeps a local copy that nginx and rsyncd\n"
"serve on a public edge node: the same snapshot and delta files, byte\n"
"for byte (so the session, serials and hashes are upstream's and every\n"
"edge node serves identical content), a notification that lists exactly\n"
"upstream's deltas with the URIs rewritten to --base-uri, and an rsync\n"
"tree written as rpkipubd writes its own (a new tree per update, hard\n"
"links, deterministic mtimes, `current` switched atomically).\n"
"\n"
"Each round (RFC 8182 section 3.4): a conditional GET of the\n"
"notification; every snapshot and delta URI on its origin, no redirect\n"
"to another (RFC 9674); a new session means the snapshot; a newer serial\n"
"the deltas since the local one when all are listed, else the snapshot;\n"
"a delta hash that differs from the one listed before for that serial\n"
"(RFC 9697) is a WARNING and a re-sync from the snapshot.  Every file's\n"
"SHA-256 is checked against the notification before anything becomes\n"
"visible; any failure leaves the local copy as it was (notification,\n"
"files, `current`) and the next round tries again.\n"
"\n"
"  --source URL        upstream's notification.xml (http or https)\n"
"  --rrdp-dir DIR      the local RRDP directory (serve it with the block\n"
"                      of `rpkipubctl nginx-conf`); files are\n"
"                      DIR/<session>/<serial>/<h>/{snapshot,delta}.xml\n"
"                      with .gz twins, h from upstream's URI and hash\n"
"  --rsync-dir DIR     the rsync trees: DIR/current -> trees/NAME (the\n"
"                      module path of rsyncd)\n"
"  --base-uri URL      this node's public URL of --rrdp-dir, ending in /\n"
"  --state-dir DIR     where the state file, lock and status file live\n"
"                      (default: RRDP_DIR/.rrdpsync, never served: the\n"
"                      RRDP listener and nginx-conf serve RRDP names only)\n"
"  --ca-file FILE      PEM CA certificates trusted besides the system's\n"
"  --connect-to HOST:PORT:ADDR:PORT\n"
"                      connect to ADDR:PORT whenever a URL names HOST:PORT,\n"
"                      keeping HOST for the Host header and the TLS name:\n"
"                      --source can then be the public notification URL\n"
"                      (the origin rpkipubd's rrdp_base names and RFC 9674\n"
"                      holds every URI to) while the edge reaches the\n"
"                      engine at its internal address; no DNS or\n"
"                      /etc/hosts entry needed\n"
"  --once              one round, then exit (for cron)\n"
"  --interval SECONDS  a daemon: a round every SECONDS (%d), +-%d%% jitter\n"
"  --keep SECONDS      unreferenced RRDP files stay this long (%d)\n"
"  --rsync-keep SECONDS  old rsync trees stay this long (%d)\n"
"  --regression-grace SECONDS  a lower serial in the same session is\n"
"                      refused (the copy stays) until it has lasted this\n"
"                      long, then followed from the snapshot; 0 follows\n"
"                      at once (%d)\n"
"  --max-snapshot-size BYTES  largest snapshot, decoded (1G); K, M, G\n"
"  --max-delta-size BYTES     largest delta, decoded (256M)\n"
"  --max-notification-size BYTES  largest notification (16M, at most)\n"
"  --max-round-size BYTES  all files one round downloads, decoded (2G):\n"
"                      a snapshot and its deltas, which RFC 8182 wants\n"
"                      no larger than it together\n"
"  --timeout SECONDS   one whole transfer (%d)\n"
"  --connect-timeout SECONDS  (%d)\n"
"  --stall-timeout SECONDS  a transfer receiving nothing this long (%d)\n"
"  --status-file FILE  JSON status written after each round (default:\n"
"                      STATE_DIR/status.json; \"none\": no file)\n"
"  --metrics ADDR:PORT Prometheus metrics at http://ADDR:PORT/metrics\n"
"  --syslog            log to syslog (facility daemon), not stderr\n"
"  -q, --quiet         log warnings and errors only\n"
"  -v, --verbose       log debug messages too\n"
"  --version, --help\n"
"\n"
"Files upstream no longer lists stay --keep seconds, then go (old\n"
"sessions too); files of objects whose time cannot be read (not a\n"
"certificate, CRL or CMS object) get the mtime 2000-01-01T00:00:00Z,\n"
"so every edge node agrees.  One rrdpsync per state directory (a lock).\n"
"A progress line shows on stderr while a large file downloads, when\n"
"stderr is a terminal.\n"
"\n"
"Signals: SIGTERM, SIGINT stop (a round in progress is abandoned, the\n"
"copy stays as it was); SIGHUP runs a round now.\n"
"\n"
"Exit status: 0 when the local copy is current (--once) or after a clean\n"
"stop; 1 with a one-line reason when the round failed or rrdpsync could\n"
"not start; 2 on a usage error.\n",
	    DEFAULT_INTERVAL, (int)(JITTER * 100), DEFAULT_KEEP,
	    DEFAULT_RSYNC_KEEP, DEFAULT_GRACE, SYNC_DEFAULT_TIMEOUT,
	    SYNC_DEFAULT_CONNECT_TIMEOUT, SYNC_DEFAULT_STALL_TIMEOUT);
}

static void	usage_error(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

static void
usage_error(const char *fmt, ...)
{
	va_list	ap;

	fputs("rrdpsync: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see rrdpsync --help)\n", stderr);
	exit(2);
}

/* A decimal number in lo..hi, or exit 2. */
static unsigned long long
number(const char *opt, const char *s, unsigned long long lo,
    unsigned long long hi)
{
	unsigned long long	 v;
	char			*end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *s == '\0' || *s == '-' || *end != '\0' || v < lo ||
	    v > hi)
		usage_error("--%s: want a number in %llu..%llu", opt, lo, hi);
	return v;
}

/* Bytes with an optional K, M or G (binary) suffix, in lo..hi. */
static uint64_t
size_arg(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	unsigned long long	 v, mul = 1;
	char			*end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'k')
		mul = 1024;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024;
	else if (*end == 'G' || *end == 'g')
		mul = 1024ull * 1024 * 1024;
	if (mul != 1)
		end++;
	if (errno || *s == '\0' || *s == '-' || *end != '\0' ||
	    v > hi / mul || v * mul < lo || v * mul > hi)
		usage_error("--%s: want a size in %llu..%llu bytes (K, M, G "
		    "allowed)", opt, (unsigned long long)lo,
		    (unsigned long long)hi);
	return v * mul;
}

/* ---- signals ---- */

static volatile sig_atomic_t	stop_flag;
static pthread_mutex_t		wake_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		wake_cv;	/* on CLOCK_MONOTONIC */
static int			wake_now;

static void *
signal_thread(void *arg)
{
	sigset_t	*set = arg;
	int		 sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		pthread_mutex_lock(&wake_mtx);
		if (sig == SIGHUP)
			wake_now = 1;
		else {
			stop_flag = 1;
			log_info("signal %d: stopping", sig);
		}
		pthread_cond_broadcast(&wake_cv);
		pthread_mutex_unlock(&wake_mtx);
		if (sig != SIGHUP)
			break;
	}
	return NULL;
}

static void
wake_init(void)
{
	pthread_condattr_t	ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wake_cv, &ca);
	pthread_condattr_destroy(&ca);
}

/* Sleep until the next round (seconds from now), SIGHUP or a stop. */
static void
wait_next(double seconds)
{
	struct timespec	until;

	/* Monotonic: a clock set back does not stretch the interval. */
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)seconds;
	until.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&wake_mtx);
	while (!stop_flag && !wake_now &&
	    pthread_cond_timedwait(&wake_cv, &wake_mtx, &until) == 0)
		;
	wake_now = 0;
	pthread_mutex_unlock(&wake_mtx);
}

static int
http_url(const char *u)
{
	char	origin[HTTP_MAX_ORIGIN];

	return http_origin(u, origin, sizeof(origin)) == 0 &&
	    strlen(u) <= MAX_URI_LENGTH / 2 && strchr(u, ' ') == NULL &&
	    strchr(u, '"') == NULL && strchr(u, '<') == NULL;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "rrdp-dir", required_argument, NULL, 'r' },
		{ "rsync-dir", required_argument, NULL, 'R' },
		{ "base-uri", required_argument, NULL, 'b' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "ca-file", required_argument, NULL, 'c' },
		{ "connect-to", required_argument, NULL, 'C' },
		{ "once", no_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "keep", required_argument, NULL, 'k' },
		{ "rsync-keep", required_argument, NULL, 'K' },
		{ "regression-grace", required_argument, NULL, 'g' },
		{ "max-snapshot-size", required_argument, NULL, 'S' },
		{ "max-delta-size", required_argument, NULL, 'D' },
		{ "max-notification-size", required_argument, NULL, 'N' },
		{ "max-round-size", required_argument, NULL, 'Z' },
		{ "timeout", required_argument, NULL, 't' },
		{ "connect-timeout", required_argument, NULL, 'T' },
		{ "stall-timeout", required_argument, NULL, 'L' },
		{ "status-file", required_argument, NULL, 'f' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "syslog", no_argument, NULL, 'y' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sync_config	 cfg;
	struct sync		*s = NULL;
	struct sync_metrics	*metrics = NULL;
	struct buf		 statedir, status;
	enum log_level		 level = LOG_LVL_INFO;
	pthread_t		 sigth;
	sigset_t		 set;
	const char		*metrics_listen = NULL, *status_opt = NULL;
	char			 err[1024];
	double			 next;
	unsigned long		 interval = DEFAULT_INTERVAL;
	int			 c, once = 0, use_syslog = 0, ok, rc = 1;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_snapshot = SYNC_DEFAULT_MAX_SNAPSHOT;
	cfg.max_delta = SYNC_DEFAULT_MAX_DELTA;
	cfg.max_round = SYNC_DEFAULT_MAX_ROUND;
	cfg.max_notification = SYNC_DEFAULT_MAX_NOTIFICATION;
	cfg.timeout = SYNC_DEFAULT_TIMEOUT;
	cfg.connect_timeout = SYNC_DEFAULT_CONNECT_TIMEOUT;
	cfg.stall_timeout = SYNC_DEFAULT_STALL_TIMEOUT;
	cfg.keep = DEFAULT_KEEP;
	cfg.rsync_keep = DEFAULT_RSYNC_KEEP;
	cfg.regression_grace = DEFAULT_GRACE;
	while ((c = getopt_long(argc, argv, "qvh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cfg.source = optarg;
			break;
		case 'r':
			cfg.rrdp_dir = optarg;
			break;
		case 'R':
			cfg.rsync_dir = optarg;
			break;
		case 'b':
			cfg.base_uri = optarg;
			break;
		case 'd':
			cfg.state_dir = optarg;
			break;
		case 'c':
			cfg.ca_file = optarg;
			break;
		case 'C':
			if (!http_connect_to_valid(optarg)) {
				fprintf(stderr, "rrdpsync: --connect-to %s: want "
				    "HOST:PORT:ADDR:PORT (an IPv6 address in "
				    "brackets)\n", optarg);
				return 2;
			}
			cfg.connect_to = optarg;
			break;
		case 'o':
			once = 1;
			break;
		case 'i':
			interval = (unsigned long)number("interval", optarg, 1,
			    86400);
			break;
		case 'k':
			cfg.keep = (time_t)number("keep", optarg, 0,
			    30L * 86400);
			break;
		case 'K':
			cfg.rsync_keep = (time_t)number("rsync-keep", optarg, 0,
			    30L * 86400);
			break;
		case 'g':
			cfg.regression_grace = (time_t)number("regression-grace",
			    optarg, 0, 30L * 86400);
			break;
		case 'S':
			cfg.max_snapshot = size_arg("max-snapshot-size", optarg,
			    1024, MAX_RRDP_FILE_SIZE);
			break;
		case 'D':
			cfg.max_delta = size_arg("max-delta-size", optarg, 1024,
			    MAX_RRDP_FILE_SIZE);
			break;
		case 'Z':
			cfg.max_round = size_arg("max-round-size", optarg,
			    1024, SYNC_MAX_ROUND);
			break;
		case 'N':
			cfg.max_notification = size_arg("max-notification-size",
			    optarg, 1024, MAX_RRDP_NOTIFICATION_SIZE);
			break;
		case 't':
			cfg.timeout = (long)number("timeout", optarg, 1, 86400);
			break;
		case 'T':
			cfg.connect_timeout = (long)number("connect-timeout",
			    optarg, 1, 3600);
			break;
		case 'L':
			cfg.stall_timeout = (long)number("stall-timeout", optarg,
			    1, 86400);
			break;
		case 'f':
			status_opt = optarg;
			break;
		case 'm':
			metrics_listen = optarg;
			break;
		case 'y':
			use_syslog = 1;
			break;
		case 'q':
			level = LOG_LVL_WARN;
			break;
		case 'v':
			level = LOG_LVL_DEBUG;
			break;
		case 'V':
			printf("rrdpsync %s\n", RPKIPUB_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc)
		usage_error("unexpected argument %s", argv[optind]);
	if (cfg.source == NULL || cfg.rrdp_dir == NULL ||
	    cfg.rsync_dir == NULL || cfg.base_uri == NULL)
		usage_error("--source, --rrdp-dir, --rsync-dir and --base-uri "
		    "are required");
	if (!http_url(cfg.source))
		usage_error("--source %s: not an http or https URL", cfg.source);
	if (!http_url(cfg.base_uri) ||
	    cfg.base_uri[strlen(cfg.base_uri) - 1] != '/')
		usage_error("--base-uri %s: not an http or https URL ending in "
		    "/", cfg.base_uri);
	buf_init(&statedir);
	buf_init(&status);
	if (cfg.state_dir == NULL) {
		buf_printf(&statedir, "%s/.rrdpsync", cfg.rrdp_dir);
		cfg.state_dir = buf_str(&statedir);
	}
	if (status_opt == NULL) {
		buf_printf(&status, "%s/status.json", cfg.state_dir);
		cfg.status_file = buf_str(&status);
	} else if (strcmp(status_opt, "none") != 0)
		cfg.status_file = status_opt;
	cfg.progress = !use_syslog && isatty(STDERR_FILENO);
	log_init("rrdpsync", use_syslog, level);

	wake_init();
	/* Every thread from here on inherits the blocked set. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_create(&sigth, NULL, signal_thread, &set) != 0)
		fatalx("cannot start the signal thread");
	pthread_detach(sigth);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatalx("curl_global_init failed");
	srandom((unsigned int)(time(NULL) ^ getpid()));

	if ((s = sync_open(&cfg, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		goto out;
	}
	if (metrics_listen != NULL &&
	    (metrics = sync_metrics_start(metrics_listen, s)) == NULL)
		goto out;
	if (once) {
		rc = sync_round(s, &stop_flag, err, sizeof(err)) == 0 ? 0 : 1;
		goto out;
	}
	log_info("following %s every %lu s", cfg.source, interval);
	while (!stop_flag) {
		ok = sync_round(s, &stop_flag, err, sizeof(err)) == 0;
		if (ok && !stop_flag)
			sync_idle(s);
		next = (double)interval * (1.0 - JITTER + 2.0 * JITTER *
		    ((double)random() / (double)RAND_MAX));
		wait_next(next);
	}
	rc = 0;
 out:
	sync_metrics_stop(metrics);
	sync_close(s);
	curl_global_cleanup();
	buf_free(&statedir);
	buf_free(&status);
	return rc;
}
