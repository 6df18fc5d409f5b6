/*
 * rtrd: RPKI-to-Router cache (RFC 6810, RFC 8210, draft-ietf-sidrops-8210bis),
 * see src/rtr/server.h.  This file only parses the command line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "log.h"
#include "server.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rtrd --json FILE_OR_URL --listen ADDR:PORT [--listen ...]\n"
"            [--tls-listen ADDR:PORT --tls-cert FILE --tls-key FILE]\n"
"            [--slurm FILE] [--refresh N] [--retry N] [--expire N]\n"
"            [--max-age SECONDS] [--interval SECONDS] [--history N]\n"
"            [--max-version N]\n"
"            [--metrics ADDR:PORT] [--serial N] [--session-id N]\n"
"            [--max-sessions N] [--stall SECONDS] [--syslog] [--debug]\n"
"\n"
"An RPKI-to-Router cache.  It reads the validated payloads a relying\n"
"party writes as rpki-client JSON (VRPs in \"roas\", BGPsec router keys in\n"
"\"bgpsec_keys\", ASPAs in \"aspas\" or the older\n"
"\"provider_authorizations\"), applies an optional SLURM file (RFC 8416)\n"
"and serves the result to routers over RTR versions 0 (RFC 6810), 1\n"
"(RFC 8210) and 2 (draft-ietf-sidrops-8210bis, with ASPA).  The version\n"
"is the one of the router's first PDU; a router asking for a newer one\n"
"gets an Error Report naming version 2.\n"
"\n"
"  --json FILE_OR_URL  rpki-client JSON: a file, checked every second and\n"
"                      reloaded when it changes (and on SIGHUP), or an\n"
"                      https:// URL fetched every --interval seconds\n"
"                      with a conditional GET\n"
"  --listen ADDR:PORT  listen for routers (TCP); IPv6 as [ADDR]:PORT;\n"
"                      repeat for several addresses (at most %d)\n"
"  --tls-listen ADDR:PORT  RTR over TLS (RFC 8210 section 9; port 324 is\n"
"                      the assigned one); repeatable; needs --tls-cert\n"
"                      and --tls-key (PEM); routers are not asked for a\n"
"                      certificate\n"
"  --slurm FILE        RFC 8416 local exceptions, reloaded with the input\n"
"  --refresh N         End of Data refresh interval, 1..86400 (3600)\n"
"  --retry N           End of Data retry interval, 1..7200 (600)\n"
"  --expire N          End of Data expire interval, 600..172800 (7200);\n"
"                      must be larger than refresh and retry\n"
"  --max-age SECONDS   refuse input whose metadata.buildtime is older\n"
"                      (86400); 0 accepts any age and a missing buildtime\n"
"  --interval SECONDS  between downloads of a URL input (60)\n"
"  --history N         serials whose diffs are kept for Serial Query (%d)\n"
"  --max-version N     highest RTR version to speak, 0..2 (2); a router\n"
"                      asking for more gets an Error Report naming N\n"
"  --metrics ADDR:PORT Prometheus metrics at http://ADDR:PORT/metrics\n"
"  --serial N          serial of the first data set (0)\n"
"  --session-id N      fixed session id 0..65535 (default: random per start)\n"
"  --max-sessions N    concurrent router sessions (%d)\n"
"  --stall SECONDS     drop a router that takes no output for this long (%d)\n"
"  --syslog            log to syslog (facility daemon) instead of stderr\n"
"  --debug             log debug messages too (every session transition)\n"
"  --version           print the version and exit\n"
"  --help              print this help and exit\n"
"\n"
"Input that is not valid JSON of this shape, is truncated, has a bad\n"
"record or is older than --max-age is refused and logged; the last good\n"
"data keeps being served.  Until a first good input is loaded, queries\n"
"get Error Report \"No Data Available\".  Each change of the data makes a\n"
"new serial and a Serial Notify to every router; the net change from each\n"
"of the last --history serials is kept, older serials get Cache Reset.\n"
"\n"
"Signals: SIGHUP reloads the input and SLURM file now; SIGTERM and SIGINT\n"
"stop.\n"
"\n"
"Exit status: 0 after a clean stop, 1 if rtrd cannot start, 2 on a usage\n"
"error.\n", RTR_MAX_LISTEN, RTR_DEFAULT_HISTORY, RTR_MAX_SESSIONS,
	    RTR_WRITE_STALL_SECS);
}

/* A decimal number in lo..hi, or exit 2. */
static unsigned long
number(const char *opt, const char *s, unsigned long lo, unsigned long hi)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || *s == '-' || v < lo || v > hi) {
		fprintf(stderr, "rtrd: --%s: want a number in %lu..%lu\n", opt,
		    lo, hi);
		exit(2);
	}
	return v;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "listen", required_argument, NULL, 'l' },
		{ "slurm", required_argument, NULL, 's' },
		{ "tls-listen", required_argument, NULL, 'L' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "refresh", required_argument, NULL, 'r' },
		{ "retry", required_argument, NULL, 't' },
		{ "expire", required_argument, NULL, 'e' },
		{ "max-age", required_argument, NULL, 'a' },
		{ "interval", required_argument, NULL, 'i' },
		{ "history", required_argument, NULL, 'H' },
		{ "max-version", required_argument, NULL, 'X' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "serial", required_argument, NULL, 'S' },
		{ "session-id", required_argument, NULL, 'I' },
		{ "max-sessions", required_argument, NULL, 'M' },
		{ "stall", required_argument, NULL, 'T' },
		{ "syslog", no_argument, NULL, 'y' },
		{ "debug", no_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct rtr_server_config cfg;
	enum log_level		 level = LOG_LVL_INFO;
	int			 c, use_syslog = 0;

	rtr_server_config_defaults(&cfg);
	while ((c = getopt_long(argc, argv, "j:l:s:L:C:K:r:t:e:a:i:H:m:S:I:M:T:yDVh",
	    opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			cfg.input = optarg;
			break;
		case 'l':
			if (cfg.nlisten == RTR_MAX_LISTEN) {
				fprintf(stderr, "rtrd: at most %d --listen\n",
				    RTR_MAX_LISTEN);
				return 2;
			}
			cfg.listen[cfg.nlisten++] = optarg;
			break;
		case 's':
			cfg.slurm = optarg;
			break;
		case 'L':
			if (cfg.ntls_listen == RTR_MAX_LISTEN) {
				fprintf(stderr, "rtrd: at most %d --tls-listen\n",
				    RTR_MAX_LISTEN);
				return 2;
			}
			cfg.tls_listen[cfg.ntls_listen++] = optarg;
			break;
		case 'C':
			cfg.tls_cert = optarg;
			break;
		case 'K':
			cfg.tls_key = optarg;
			break;
		/* RFC 8210 section 6: the ranges of the three timers. */
		case 'r':
			cfg.timers.refresh = number("refresh", optarg, 1, 86400);
			break;
		case 't':
			cfg.timers.retry = number("retry", optarg, 1, 7200);
			break;
		case 'e':
			cfg.timers.expire = number("expire", optarg, 600, 172800);
			break;
		case 'a':
			cfg.max_age = (time_t)number("max-age", optarg, 0,
			    10L * 365 * 86400);
			break;
		case 'i':
			cfg.interval = number("interval", optarg, 1, 86400);
			break;
		case 'X':
			cfg.max_version = (int)number("max-version", optarg, 0,
			    RTR_VERSION_MAX);
			break;
		case 'H':
			cfg.history = number("history", optarg, 0, 100000);
			break;
		case 'm':
			cfg.metrics = optarg;
			break;
		case 'S':
			cfg.first_serial = (uint32_t)number("serial", optarg, 0,
			    UINT32_MAX);
			break;
		case 'I':
			cfg.session_id = (int)number("session-id", optarg, 0, 65535);
			break;
		case 'M':
			cfg.max_sessions = number("max-sessions", optarg, 1,
			    RTR_MAX_SESSIONS * 8);
			break;
		case 'T':
			cfg.stall_secs = number("stall", optarg, 1, 86400);
			break;
		case 'y':
			use_syslog = 1;
			break;
		case 'D':
			level = LOG_LVL_DEBUG;
			break;
		case 'V':
			printf("rtrd %s\n", RPKIPUB_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || cfg.input == NULL ||
	    cfg.nlisten + cfg.ntls_listen == 0) {
		usage(stderr);
		return 2;
	}
	if (cfg.timers.expire <= cfg.timers.refresh ||
	    cfg.timers.expire <= cfg.timers.retry) {
		fprintf(stderr, "rtrd: RFC 8210 section 6: expire must be "
		    "larger than refresh and retry\n");
		return 2;
	}
	log_init("rtrd", use_syslog, level);
	return rtr_server_run(&cfg);
}
