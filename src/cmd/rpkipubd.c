/*
 * rpkipubd: the RPKI publication server (RFC 8181), see pubd.h.
 * This file only parses the command line, handles signals and runs the
 * periodic maintenance.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pubd.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rpkipubd --data-dir DIR [--syslog] [--debug]\n"
"\n"
"The RPKI publication server.  Certification Authorities publish to it\n"
"with RFC 8181 (CMS-signed XML over HTTP), after being registered with\n"
"rpkipubctl publishers add (RFC 8183).  Every accepted change is committed\n"
"to the store (SQLite, WAL, synchronous=FULL) before the reply is sent.\n"
"\n"
"  --data-dir DIR  instance created by 'rpkipubctl init' (config in\n"
"                  DIR/rpkipubd.conf, store DIR/store.sqlite, server BPKI\n"
"                  in DIR/bpki/, admin token in DIR/admin.token, RRDP\n"
"                  state in <rrdp_dir>/.rpkipub-state)\n"
"  --syslog        log to syslog (facility daemon) instead of stderr\n"
"  --debug         log debug messages too\n"
"  --version       print the version and exit\n"
"  --help          print this help and exit\n"
"\n"
"Listeners (from the config): 'listen' serves POST <service path>/<handle>\n"
"with content type application/rpki-publication; 'admin_listen' (127.0.0.1\n"
"by default, or a Unix socket) serves GET /metrics (Prometheus) and the\n"
"admin API used by rpkipubctl (bearer token); 'rrdp_listen' (unless empty)\n"
"serves the RRDP files under the path of rrdp_base, over https when\n"
"rrdp_tls_cert and rrdp_tls_key are set.\n"
"\n"
"Repository output: every rrdp_interval seconds (60 by default) the changes\n"
"of all publishers become one RRDP serial (RFC 8182): a delta, a new\n"
"snapshot, then notification.xml, in rrdp_dir (DIR/rrdp); and a complete\n"
"rsync tree in rsync_dir/trees/ (DIR/rsync) that the rsync_dir/current\n"
"link is switched to.  No change, no serial.  Files stop being listed\n"
"after the size rule and are removed rrdp_keep seconds later; replaced\n"
"trees rsync_keep seconds later (two hours by default).  A store found\n"
"behind what was announced (a restored backup) starts a new RRDP session.\n"
"Announced changes leave the store's change log change_log_keep seconds\n"
"later (seven days; 0 keeps them).\n"
"\n"
"Signals: SIGTERM and SIGINT stop after the requests in progress have been\n"
"answered; SIGHUP checks the server's BPKI EE certificate and CRL and\n"
"re-issues them when due (also done every hour).\n"
"\n"
"Exit status: 0 after a clean stop, 1 if the instance cannot start.\n");
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "syslog", no_argument, NULL, 's' },
		{ "debug", no_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct pubd	*d;
	struct timespec	 ts;
	sigset_t	 set;
	const char	*dir = NULL;
	int		 c, use_syslog = 0, sig;
	enum log_level	 level = LOG_LVL_INFO;

	while ((c = getopt_long(argc, argv, "d:sDVh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			use_syslog = 1;
			break;
		case 'D':
			level = LOG_LVL_DEBUG;
			break;
		case 'V':
			printf("rpkipubd %s\n", RPKIPUB_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (dir == NULL || optind != argc) {
		usage(stderr);
		return 1;
	}
	log_init("rpkipubd", use_syslog, level);

	/* Signals go to this thread only: block them before any thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((d = pubd_start(dir)) == NULL) {
		log_err("cannot start; see the messages above");
		return 1;
	}
	for (;;) {
		ts.tv_sec = PUBD_MAINTAIN_SECS;
		ts.tv_nsec = 0;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		pubd_maintain(d);
	}
	log_info("stopping (signal %d)", sig);
	pubd_stop(d);
	log_info("stopped");
	return 0;
}
