/*
 * rpkipub-push: the RFC 8181 publisher for a CA that writes its objects
 * to a directory.  Options and dispatch only; the commands are in
 * src/push/ (push.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "cms.h"
#include "log.h"
#include "push.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rpkipub-push --state DIR init --handle HANDLE\n"
"       rpkipub-push --state DIR configure --response FILE\n"
"       rpkipub-push --state DIR sync [--dry-run] [--verify]\n"
"                    [--max-withdraw PERCENT] [--allow-mass-withdraw] SRC_DIR\n"
"       rpkipub-push --state DIR list\n"
"       rpkipub-push --state DIR status\n"
"       rpkipub-push --help | --version\n"
"\n"
"An RFC 8181 publisher: it makes the publication point a repository\n"
"(rpkipubd, Krill, ...) keeps for this CA equal to a local directory,\n"
"for a CA that writes the objects it publishes to files.\n"
"\n"
"init creates DIR (mode 0700) with a new publisher identity: a BPKI\n"
"(RFC 8183 section 1) self-signed TA, an EE certificate that signs every\n"
"query and the TA's CRL, keys in DIR/bpki.  It prints the RFC 8183\n"
"publisher_request (also in DIR/publisher_request.xml): give it to the\n"
"repository operator (rpkipubd: rpkipubctl publishers add --request FILE).\n"
"The EE certificate (a year) and the CRL (a week) are renewed by any later\n"
"sync or list when they are within 30 days and 3 days of their end; the\n"
"TA lasts 20 years.\n"
"\n"
"configure stores the repository_response the operator gave back: its\n"
"publisher_handle must be this directory's handle; it names the\n"
"service_uri queries go to, the sia_base every URI lies under, and the\n"
"repository's BPKI TA that every reply must verify against.  Running it\n"
"again with a new response moves the publisher to it.\n"
"\n"
"sync SRC_DIR makes the publication point equal to SRC_DIR as the\n"
"publication-server BCP (section 4.4) recommends.  Each regular file\n"
"SRC_DIR/a/b.roa is the object sia_base + \"a/b.roa\"; SRC_DIR is read and\n"
"checked first, and nothing is sent if a file cannot be published (a name\n"
"outside the URI characters or segments RFC 8181 repositories accept, an\n"
"empty file or one over --max-object, a symbolic link out of SRC_DIR or\n"
"to a directory, a device or FIFO, more than %d files).  Then a list\n"
"query asks what the server holds, the difference is computed by SHA-256\n"
"(new files are published, changed ones replaced with the hash of the\n"
"old object, objects whose file is gone withdrawn), and ONE query carries\n"
"every publish and withdraw PDU, so the server applies the whole change\n"
"or none of it.  Once the server says success, one line per object\n"
"(\"publish URI\", \"replace URI\", \"withdraw URI\") and a summary are\n"
"printed.  Nothing differs: no second query.  --dry-run prints the plan\n"
"and sends only the list query.  --verify sends one more list query\n"
"after the success and exits 4 unless the server now holds exactly\n"
"SRC_DIR (then \"verified: ...\" follows the summary): a check of the\n"
"server, which costs a round trip and a second list of the whole point;\n"
"the path is covered without it (replayed replies are refused, below).\n"
"\n"
"An empty or unmounted SRC_DIR scans cleanly, and syncing it would\n"
"withdraw the whole publication point (relying parties would lose every\n"
"ROA).  So sync refuses, after the list query and before any change, a\n"
"plan that withdraws every object the server lists while publishing\n"
"nothing, however few they are, or that withdraws more than\n"
"--max-withdraw percent (default %d) of the listed objects when the\n"
"server lists at least %d (below that one ordinary change is already a\n"
"large share).  Replaced objects do not count.  The log says how many\n"
"objects would go; --dry-run prints the plan and that it would be\n"
"refused (exit 1).  --allow-mass-withdraw sends such a plan: for a\n"
"deliberate emptying, a key rollover's removal of the old key's objects,\n"
"or a renaming.\n"
"\n"
"list prints what the server holds for this publisher, one \"URI HASH\"\n"
"line per object in URI order.  status prints the state directory (the\n"
"identity and its renewal dates, the repository, the last sync) without\n"
"asking the server.\n"
"\n"
"Every reply is verified before it is believed: the CMS profile of RFC\n"
"6492 section 3.1, its signature, its EE certificate against the\n"
"repository's BPKI TA and the CRL it carries, and its signing-time (not\n"
"more than %d s in the future, nor older than the query).  Replayed\n"
"replies are refused (RFC 6492 section 3.1.2): <success/> carries no\n"
"tag, so on plain http an attacker could drop a change query and answer\n"
"it with an earlier <success/>.  So the state file keeps the signing-time\n"
"and the signature's SHA-256 of the last reply accepted, and the\n"
"signing-time of the last <success/>: a reply signed before the last\n"
"one, the last one again, or a <success/> not signed after the last\n"
"<success/> is not believed (exit 4).  As servers sign deterministically,\n"
"two honest replies may be the same bytes within one second: a list\n"
"query whose reply is the last one again is asked once more a second\n"
"later, and a change query waits a second when the list reply came in\n"
"the second of the last <success/>.  List replies carrying a tag must\n"
"carry the query's.  configure with another repository TA forgets these\n"
"times.  Each query's\n"
"signing-time is never before the previous one's, and each carries a\n"
"random tag, so the server's replay protection (RFC 6492 section 3.1.2)\n"
"never refuses an honest query.\n"
"\n"
"Options:\n"
"  --state DIR          the state directory (required)\n"
"  --handle HANDLE      init: the publisher handle (RFC 8183: letters,\n"
"                       digits, - _ /)\n"
"  --response FILE      configure: the RFC 8183 repository_response\n"
"  --dry-run            sync: print the plan, send only the list query\n"
"  --verify             sync: list again after a change, compare\n"
"  --max-withdraw PERCENT\n"
"                       sync: refuse to withdraw more than PERCENT (0-100,\n"
"                       default %d) of the listed objects (from %d on)\n"
"  --allow-mass-withdraw\n"
"                       sync: send a plan the mass-withdraw rules refuse\n"
"  --max-object BYTES   largest file published (default %u,\n"
"                       rpkipubd's default max_object)\n"
"  --max-body BYTES     largest signed query sent (default %u,\n"
"                       rpkipubd's default max_body)\n"
"  --timeout SECONDS    for each query and its reply (default %d; connect:\n"
"                       %d)\n"
"  --tls-ca FILE        PEM CA certificates for an https service_uri\n"
"                       (default: the system's)\n"
"  -v, --verbose        also log each query and reply (sizes, times)\n"
"  -q, --quiet          log errors and warnings only\n"
"\n"
"Results go to stdout, log lines (with the server's error text) to\n"
"stderr.  HTTP proxies are taken from http_proxy/https_proxy/no_proxy.\n"
"\n"
"Exit status:\n"
"  0  success (sync: the publication point equals SRC_DIR; also when\n"
"     nothing had to change)\n"
"  1  a local problem: usage, the state directory, files that cannot be\n"
"     published, a change too large for one query, a mass withdrawal\n"
"     refused; nothing was sent (or only the list query)\n"
"  2  the server refused the query with report_error (RFC 8181 section\n"
"     2.4): its error_code, error_text and failed PDU are logged; it\n"
"     applied none of the change\n"
"  3  no usable answer: connection, TLS, timeout, an HTTP status other\n"
"     than 200 (the server's text is logged)\n"
"  4  an answer that does not verify or does not answer the query; it is\n"
"     not believed (also: --verify found the server's list not SRC_DIR)\n"
"After 3 or 4 on a sync the change may or may not have been applied: run\n"
"sync again, its list query shows what the server holds.\n",
	    MAX_PUSH_FILES, PUSH_MAX_WITHDRAW_PCT, PUSH_MASS_MIN_LISTED,
	    CMS_MAX_CLOCK_SKEW, PUSH_MAX_WITHDRAW_PCT, PUSH_MASS_MIN_LISTED,
	    MAX_OBJECT_SIZE,
	    MAX_REQUEST_BODY, PUSH_TIMEOUT, PUSH_CONNECT_TIMEOUT);
}

static int
parse_size(const char *s, unsigned long long max, unsigned long long *out)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || s[0] < '0' || s[0] > '9' ||
	    v == 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "handle", required_argument, NULL, 'H' },
		{ "response", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "max-withdraw", required_argument, NULL, 'w' },
		{ "allow-mass-withdraw", no_argument, NULL, 'W' },
		{ "verify", no_argument, NULL, 'y' },
		{ "max-object", required_argument, NULL, 'o' },
		{ "max-body", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, 't' },
		{ "tls-ca", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct push_opts	 o;
	enum log_level		 level = LOG_LVL_INFO;
	const char		*handle = NULL, *response = NULL, *cmd;
	unsigned long long	 v;
	int			 ch, nargs, syncopt = 0;

	memset(&o, 0, sizeof(o));
	o.timeout = PUSH_TIMEOUT;
	o.max_object = MAX_OBJECT_SIZE;
	o.max_body = MAX_REQUEST_BODY;
	o.max_withdraw = PUSH_MAX_WITHDRAW_PCT;
	while ((ch = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			o.state_dir = optarg;
			break;
		case 'H':
			handle = optarg;
			break;
		case 'r':
			response = optarg;
			break;
		case 'n':
			o.dry_run = 1;
			syncopt = 1;
			break;
		case 'w':
			/* 0 is allowed: no withdrawal of a large point at all. */
			if (strcmp(optarg, "0") == 0)
				v = 0;
			else if (parse_size(optarg, 100, &v) == -1) {
				fprintf(stderr, "rpkipub-push: --max-withdraw "
				    "wants a percentage from 0 to 100\n");
				return PUSH_EXIT_LOCAL;
			}
			o.max_withdraw = (unsigned int)v;
			syncopt = 1;
			break;
		case 'W':
			o.allow_mass_withdraw = 1;
			syncopt = 1;
			break;
		case 'y':
			o.verify = 1;
			syncopt = 1;
			break;
		case 'o':
			if (parse_size(optarg, SIZE_MAX, &v) == -1) {
				fprintf(stderr, "rpkipub-push: --max-object "
				    "wants a byte count\n");
				return PUSH_EXIT_LOCAL;
			}
			o.max_object = (size_t)v;
			break;
		case 'b':
			if (parse_size(optarg, SIZE_MAX, &v) == -1) {
				fprintf(stderr, "rpkipub-push: --max-body "
				    "wants a byte count\n");
				return PUSH_EXIT_LOCAL;
			}
			o.max_body = (size_t)v;
			break;
		case 't':
			if (parse_size(optarg, 86400, &v) == -1) {
				fprintf(stderr, "rpkipub-push: --timeout wants "
				    "1 to 86400 seconds\n");
				return PUSH_EXIT_LOCAL;
			}
			o.timeout = (unsigned int)v;
			break;
		case 'c':
			o.tls_ca = optarg;
			break;
		case 'v':
			level = LOG_LVL_DEBUG;
			break;
		case 'q':
			level = LOG_LVL_WARN;
			break;
		case 'h':
			usage(stdout);
			return PUSH_OK;
		case 'V':
			printf("rpkipub-push %s\n", RPKIPUB_VERSION);
			return PUSH_OK;
		default:
			usage(stderr);
			return PUSH_EXIT_LOCAL;
		}
	}
	log_init("rpkipub-push", 0, level);
	nargs = argc - optind;
	if (nargs < 1 || o.state_dir == NULL) {
		fprintf(stderr, "rpkipub-push: %s\n", nargs < 1 ?
		    "no command given" : "--state DIR is required");
		usage(stderr);
		return PUSH_EXIT_LOCAL;
	}
	cmd = argv[optind];
	if ((handle != NULL && strcmp(cmd, "init") != 0) ||
	    (response != NULL && strcmp(cmd, "configure") != 0) ||
	    (syncopt && strcmp(cmd, "sync") != 0)) {
		fprintf(stderr, "rpkipub-push: --handle goes with init, "
		    "--response with configure, --dry-run, --verify, "
		    "--max-withdraw and --allow-mass-withdraw with sync\n");
		return PUSH_EXIT_LOCAL;
	}
	if (strcmp(cmd, "init") == 0 && nargs == 1 && handle != NULL)
		return push_cmd_init(&o, handle);
	if (strcmp(cmd, "configure") == 0 && nargs == 1 && response != NULL)
		return push_cmd_configure(&o, response);
	if (strcmp(cmd, "sync") == 0 && nargs == 2)
		return push_cmd_sync(&o, argv[optind + 1]);
	if (strcmp(cmd, "list") == 0 && nargs == 1)
		return push_cmd_list(&o);
	if (strcmp(cmd, "status") == 0 && nargs == 1)
		return push_cmd_status(&o);
	fprintf(stderr, "rpkipub-push: unknown command or wrong arguments: "
	    "%s\n", cmd);
	usage(stderr);
	return PUSH_EXIT_LOCAL;
}
