/*
 * rpkipubctl: operator CLI for rpkipubd.  init creates an instance; the
 * publisher commands talk to the running daemon's admin API and, when no
 * daemon runs, apply the same operations (publishers.c) to the store
 * directly.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "admin_client.h"
#include "bpki.h"
#include "config.h"
#include "encoding.h"
#include "fileio.h"
#include "bounds.h"
#include "log.h"
#include "nginx_conf.h"
#include "publishers.h"
#include "rfc8183.h"
#include "pubd.h"
#include "rrdp_writer.h"
#include "verify.h"
#include "store.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rpkipubctl init --data-dir DIR --service-uri URL --rsync-base URI\n"
"                  --rrdp-base URL [--listen ADDR:PORT]\n"
"                  [--admin-listen ADDR:PORT|unix:/PATH] [--max-body BYTES]\n"
"                  [--max-object BYTES] [--rrdp-interval SECONDS]\n"
"                  [--rrdp-listen ADDR:PORT|none] [--rrdp-tls-cert FILE\n"
"                  --rrdp-tls-key FILE] [--rrdp-dir DIR] [--rsync-dir DIR]\n"
"       rpkipubctl --data-dir DIR publishers add --request FILE [--handle H]\n"
"       rpkipubctl --data-dir DIR publishers list\n"
"       rpkipubctl --data-dir DIR publishers show HANDLE\n"
"       rpkipubctl --data-dir DIR publishers response HANDLE\n"
"       rpkipubctl --data-dir DIR publishers remove HANDLE\n"
"       rpkipubctl --data-dir DIR status\n"
"       rpkipubctl --data-dir DIR nginx-conf\n"
"       rpkipubctl --data-dir DIR rsyncd-conf\n"
"       rpkipubctl --data-dir DIR session-reset\n"
"       rpkipubctl --data-dir DIR verify\n"
"       rpkipubctl verify --rrdp-dir DIR [--rsync-dir DIR]\n"
"\n"
"Operator tool of the rpkipubd RPKI publication server.\n"
"\n"
"init creates DIR with rpkipubd.conf, the server's BPKI (a self-signed TA,\n"
"an EE and a CRL, for signing RFC 8181 replies), the store and an admin\n"
"token.  Publishers POST to <service-uri>/<handle>; each gets the sia_base\n"
"<rsync-base><handle>/ and the RRDP notification <rrdp-base>notification.xml.\n"
"  --listen ADDR:PORT        RFC 8181 listener (default 127.0.0.1:8080)\n"
"  --admin-listen ADDR:PORT  metrics and admin API (default 127.0.0.1:8081);\n"
"                            or unix:/PATH: a Unix socket (mode 0600)\n"
"  --max-body BYTES          largest request body (default %u)\n"
"  --max-object BYTES        largest published object (default %u)\n"
"  --rrdp-interval SECONDS   seconds between RRDP serials: all changes of\n"
"                            an interval become one delta (default 60,\n"
"                            at least 1)\n"
"  --rrdp-listen ADDR:PORT   the embedded RRDP server, a listener of its\n"
"                            own (default 127.0.0.1:8082); none: serve\n"
"                            the RRDP dir with nginx (see nginx-conf)\n"
"  --rrdp-tls-cert FILE, --rrdp-tls-key FILE\n"
"                            PEM certificate chain and key: serve RRDP\n"
"                            over https (relying parties require it)\n"
"  --rrdp-dir DIR            RRDP output (default DIR/rrdp)\n"
"  --rsync-dir DIR           rsync trees and their `current' link\n"
"                            (default DIR/rsync)\n"
"\n"
"publishers add registers the publisher of an RFC 8183 publisher_request\n"
"(its handle, or --handle) and prints the repository_response to give back\n"
"to it.  remove withdraws all its objects in one change, then deletes it.\n"
"response prints a registered publisher's repository_response again.\n"
"\n"
"These commands use the admin API of the running rpkipubd; when none runs\n"
"they work on the store directly.  status needs the running daemon.\n"
"\n"
"nginx-conf prints an nginx server block that serves the RRDP directory\n"
"at <rrdp-base> with the headers of rpkipubd's own RRDP listener.\n"
"rsyncd-conf prints an rsyncd.conf module serving the rsync tree through\n"
"its `current' link.\n"
"\n"
"session-reset makes rpkipubd start a new RRDP session (new session id,\n"
"serial 1, a snapshot and no deltas) at its next interval, or at its next\n"
"start if it is not running.  rpkipubd does this by itself when it finds\n"
"the store behind what it already published (a restored backup).\n"
"\n"
"verify checks the RRDP directory as a relying party would (notification,\n"
"hashes, session and serials, the size rule, one origin, deltas replayed\n"
"onto the previous snapshot give the current one, gzip twins) and that\n"
"the rsync tree holds exactly the snapshot's objects.  It prints one line\n"
"per problem and exits 1 if there is any.  With --data-dir it checks the\n"
"instance's directories; with --rrdp-dir (and --rsync-dir) any copy.\n"
"\n"
"Exit status: 0 on success, 1 on error (reason on stderr).\n",
	    MAX_REQUEST_BODY, MAX_OBJECT_SIZE);
}

static int
ctl_size(const char *s, size_t *out)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || s[0] == '\0')
		return -1;
	*out = (size_t)v;
	return 0;
}

/* A path given on the command line, made absolute (the daemon's cwd
 * differs from the operator's). */
static char *
ctl_abspath(const char *p)
{
	struct buf	b;
	char		cwd[4096];

	if (p[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(p);
	buf_init(&b);
	buf_printf(&b, "%s/%s", cwd, p);
	return buf_str(&b);
}

static int
ctl_init(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "service-uri", required_argument, NULL, 's' },
		{ "rsync-base", required_argument, NULL, 'r' },
		{ "rrdp-base", required_argument, NULL, 'R' },
		{ "listen", required_argument, NULL, 'l' },
		{ "admin-listen", required_argument, NULL, 'a' },
		{ "max-body", required_argument, NULL, 'b' },
		{ "max-object", required_argument, NULL, 'o' },
		{ "rrdp-interval", required_argument, NULL, 'i' },
		{ "rrdp-listen", required_argument, NULL, 'L' },
		{ "rrdp-tls-cert", required_argument, NULL, 'c' },
		{ "rrdp-tls-key", required_argument, NULL, 'k' },
		{ "rrdp-dir", required_argument, NULL, 'D' },
		{ "rsync-dir", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct config	*c = NULL;
	struct store	*st = NULL;
	struct stat	 sb;
	uint8_t		 rnd[CONFIG_TOKEN_BYTES];
	char		 token[2 * CONFIG_TOKEN_BYTES + 2], err[256];
	char		*path = NULL, *dir = NULL;
	size_t		 n;
	int		 ch, rc = 1, object_set = 0;

	optind = 1;
	c = config_new(".");
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			free(dir);
			dir = xstrdup(optarg);
			break;
		case 's':
			free(c->service_uri);
			c->service_uri = xstrdup(optarg);
			n = strlen(c->service_uri);
			while (n > 0 && c->service_uri[n - 1] == '/')
				c->service_uri[--n] = '\0';
			break;
		case 'r':
			free(c->rsync_base);
			c->rsync_base = xstrdup(optarg);
			break;
		case 'R':
			free(c->rrdp_base);
			c->rrdp_base = xstrdup(optarg);
			break;
		case 'l':
			free(c->listen);
			c->listen = xstrdup(optarg);
			break;
		case 'a':
			free(c->admin_listen);
			c->admin_listen = xstrdup(optarg);
			break;
		case 'b':
			if (ctl_size(optarg, &c->max_body) == -1)
				goto bad;
			break;
		case 'o':
			if (ctl_size(optarg, &c->max_object) == -1)
				goto bad;
			object_set = 1;
			break;
		case 'i':
			if (ctl_size(optarg, &c->rrdp_interval) == -1)
				goto bad;
			break;
		case 'L':
			free(c->rrdp_listen);
			c->rrdp_listen = xstrdup(strcmp(optarg, "none") == 0 ?
			    "" : optarg);
			break;
		case 'c':
			free(c->rrdp_tls_cert);
			c->rrdp_tls_cert = ctl_abspath(optarg);
			break;
		case 'k':
			free(c->rrdp_tls_key);
			c->rrdp_tls_key = ctl_abspath(optarg);
			break;
		case 'D':
			free(c->rrdp_dir);
			c->rrdp_dir = ctl_abspath(optarg);
			break;
		case 'S':
			free(c->rsync_dir);
			c->rsync_dir = ctl_abspath(optarg);
			break;
		default:
			goto bad;
		}
	}
	if (dir == NULL || optind != argc)
		goto bad;
	/* A lowered body limit lowers the default object limit with it. */
	if (!object_set && c->max_object > c->max_body)
		c->max_object = c->max_body;
	free(c->data_dir);
	c->data_dir = dir;
	dir = NULL;
	if (config_check(c, err, sizeof(err)) == -1) {
		fprintf(stderr, "rpkipubctl init: %s\n", err);
		goto out;
	}
	path = config_path(c, CONFIG_FILE);
	if (stat(path, &sb) == 0) {
		fprintf(stderr, "rpkipubctl init: %s exists; refusing to "
		    "overwrite an instance\n", path);
		goto out;
	}
	free(path);
	path = NULL;
	if (mkdir(c->data_dir, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "rpkipubctl init: %s: %s\n", c->data_dir,
		    strerror(errno));
		goto out;
	}
	path = config_path(c, CONFIG_BPKI_DIR);
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "rpkipubctl init: %s: %s\n", path,
		    strerror(errno));
		goto out;
	}
	if (bpki_create(path, "rpkipubd repository") == -1)
		goto out;
	free(path);
	path = config_path(c, CONFIG_STORE);
	if ((st = store_open(path)) == NULL)
		goto out;
	free(path);
	path = NULL;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		fatalx("RAND_bytes failed");
	hex_encode(token, rnd, sizeof(rnd));
	strcat(token, "\n");
	path = config_path(c, CONFIG_TOKEN_FILE);
	if (file_write_atomic(path, token, strlen(token), 0600) == -1)
		goto out;
	/* The RRDP session is created here and kept across restarts. */
	if (rrdp_writer_init(c) == -1)
		goto out;
	/* The config last: its presence marks a complete instance. */
	if (config_save(c) == -1)
		goto out;
	printf("initialised %s\n"
	    "  RFC 8181 service: %s/<handle> (listening on %s)\n"
	    "  admin API and metrics: %s\n"
	    "  RRDP: %snotification.xml, a serial every %zu s (files in %s;"
	    " %s)\n"
	    "  rsync: %s<handle>/ from %s/current\n"
	    "  start it with: rpkipubd --data-dir %s\n",
	    c->data_dir, c->service_uri, c->listen, c->admin_listen,
	    c->rrdp_base, c->rrdp_interval, c->rrdp_dir,
	    c->rrdp_listen[0] != '\0' ? c->rrdp_listen : "served by another "
	    "web server", c->rsync_base, c->rsync_dir, c->data_dir);
	rc = 0;
	goto out;
 bad:
	usage(stderr);
 out:
	store_close(st);
	free(path);
	free(dir);
	config_free(c);
	return rc;
}

/* Ask for a new RRDP session through the store (rrdp_writer.h). */
static int
ctl_session_reset(const struct config *c)
{
	struct store	*st;
	char		*path = config_path(c, CONFIG_STORE);
	int		 rc = 1;

	if ((st = store_open(path)) == NULL)
		goto out;
	if (store_begin(st) == -1 ||
	    store_meta_set(st, RRDP_META_RESET, 1) == -1 ||
	    store_commit(st) == -1)
		goto out;
	printf("a new RRDP session starts at rpkipubd's next RRDP interval "
	    "(%zu s at most), or at its next start\n", c->rrdp_interval);
	rc = 0;
 out:
	store_close(st);
	free(path);
	return rc;
}

/*
 * An rsyncd.conf module for the tree.  The module's path goes through
 * `current': rsyncd resolves it when a client connects, so a transfer in
 * progress keeps the tree it started in while rpkipubd switches the link.
 */
static int
ctl_rsyncd_conf(const struct config *c)
{
	const char	*host, *mod;
	char		*dir = config_resolve(c, c->rsync_dir);
	size_t		 n;

	host = c->rsync_base + strlen("rsync://");
	mod = strchr(host, '/') + 1;
	n = strcspn(mod, "/");
	printf("# rsyncd.conf module for %s (rpkipubctl rsyncd-conf).\n"
	    "# rpkipubd writes a complete tree per RRDP serial and switches\n"
	    "# %s/current to it atomically; old trees stay %zu s.\n"
	    "# Global settings (port, pid file, log) are the operator's.\n"
	    "[%.*s]\n"
	    "\tpath = %s/current/%.*s\n"
	    "\tcomment = RPKI repository %s\n"
	    "\tread only = yes\n"
	    "\twrite only = no\n"
	    "\tlist = yes\n"
	    "\t# The tree holds no symlinks; a chroot needs rsyncd to run\n"
	    "\t# as root, so none is asked for.\n"
	    "\tuse chroot = no\n"
	    "\tnumeric ids = yes\n"
	    "\ttimeout = 300\n"
	    "\tmax connections = 200\n"
	    "\tlock file = %s/rsyncd.lock\n"
	    "\tdont compress = *.cer *.crl *.mft *.roa *.asa *.gbr *.sig\n",
	    c->rsync_base, dir, c->rsync_keep, (int)n, mod, dir, (int)n, mod,
	    c->rsync_base, dir);
	free(dir);
	return 0;
}

static int
ctl_verify_dirs(const char *rrdp, const char *rsync)
{
	return repo_verify(rrdp, rsync, stdout) == 0 ? 0 : 1;
}

static int
ctl_verify(const struct config *c)
{
	char	*rrdp = config_resolve(c, c->rrdp_dir);
	char	*rsync = config_resolve(c, c->rsync_dir);
	int	 rc;

	rc = ctl_verify_dirs(rrdp, rsync);
	free(rrdp);
	free(rsync);
	return rc;
}

/* rpkipubctl verify --rrdp-dir DIR [--rsync-dir DIR]: any copy. */
static int
ctl_verify_copy(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "rrdp-dir", required_argument, NULL, 'r' },
		{ "rsync-dir", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*rrdp = NULL, *rsync = NULL;
	int		 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			rrdp = optarg;
			break;
		case 's':
			rsync = optarg;
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (rrdp == NULL || optind != argc) {
		usage(stderr);
		return 1;
	}
	return ctl_verify_dirs(rrdp, rsync);
}

/* Direct (no daemon) execution of a publisher command on the store. */
static enum publishers_result
ctl_direct(const struct config *c, const char *cmd, const char *arg,
    const uint8_t *body, size_t len, struct buf *out, char *err,
    size_t errlen)
{
	struct store	*st = NULL;
	struct bpki	*b = NULL;
	uint8_t		*ta = NULL;
	size_t		 ta_len = 0;
	char		*path;
	enum publishers_result rc = PUB_STORE;

	path = config_path(c, CONFIG_STORE);
	st = store_open(path);
	free(path);
	if (st == NULL) {
		snprintf(err, errlen, "cannot open the store");
		goto out;
	}
	if (strcmp(cmd, "add") == 0 || strcmp(cmd, "response") == 0) {
		path = config_path(c, CONFIG_BPKI_DIR);
		b = bpki_load(path);
		free(path);
		if (b == NULL || (ta = bpki_cert_der(b->ta, &ta_len)) == NULL) {
			snprintf(err, errlen, "cannot load the server BPKI");
			goto out;
		}
	}
	if (strcmp(cmd, "add") == 0)
		rc = publishers_add(st, c, ta, ta_len, body, len, arg,
		    time(NULL), out, err, errlen);
	else if (strcmp(cmd, "response") == 0)
		rc = publishers_response(st, c, ta, ta_len, arg, out, err,
		    errlen);
	else if (strcmp(cmd, "list") == 0)
		rc = publishers_list(st, out, err, errlen);
	else if (strcmp(cmd, "show") == 0)
		rc = publishers_show(st, c, arg, out, err, errlen);
	else if (strcmp(cmd, "remove") == 0)
		rc = publishers_remove(st, arg, time(NULL), out, err, errlen);
 out:
	free(ta);
	bpki_free(b);
	store_close(st);
	return rc;
}

static int
ctl_publishers(const struct config *c, const char *token, int argc,
    char *argv[])
{
	static const struct option opts[] = {
		{ "request", required_argument, NULL, 'r' },
		{ "handle", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	struct buf	 out, path;
	const char	*cmd, *method = "GET", *arg = NULL, *request = NULL;
	char		*body = NULL, err[512];
	size_t		 len = 0;
	long		 status = 0;
	int		 ch, r, rc = 1;

	buf_init(&out);
	buf_init(&path);
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	cmd = argv[1];
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			request = optarg;
			break;
		case 'H':
			arg = optarg;
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (strcmp(cmd, "add") == 0) {
		if (request == NULL || optind != argc) {
			usage(stderr);
			return 1;
		}
		if ((body = file_read(request, MAX_RFC8183_SIZE, &len)) ==
		    NULL)
			return 1;
		method = "POST";
		buf_adds(&path, "/v1/publishers");
		if (arg != NULL)
			buf_printf(&path, "?handle=%s", arg);
	} else if (strcmp(cmd, "list") == 0 && optind == argc && arg == NULL) {
		buf_adds(&path, "/v1/publishers");
	} else if ((strcmp(cmd, "show") == 0 || strcmp(cmd, "remove") == 0 ||
	    strcmp(cmd, "response") == 0) && optind == argc - 1 &&
	    arg == NULL) {
		arg = argv[optind];
		if (!rfc8183_handle_valid(arg)) {
			fprintf(stderr, "rpkipubctl: invalid handle \"%s\"\n",
			    arg);
			return 1;
		}
		buf_printf(&path, "/v1/%s/%s", strcmp(cmd, "response") == 0 ?
		    "responses" : "publishers", arg);
		if (strcmp(cmd, "remove") == 0)
			method = "DELETE";
	} else {
		usage(stderr);
		return 1;
	}
	if (arg != NULL && !rfc8183_handle_valid(arg)) {
		fprintf(stderr, "rpkipubctl: invalid handle \"%s\"\n", arg);
		goto out;
	}

	r = admin_client_request(c, token, method, buf_str(&path), body, len,
	    &status, &out);
	if (r == -1)
		goto out;
	if (r == 1) {
		fprintf(stderr, "rpkipubctl: rpkipubd is not running on %s; "
		    "working on the store directly\n", c->admin_listen);
		if (ctl_direct(c, cmd, arg, (uint8_t *)body, len, &out, err,
		    sizeof(err)) != PUB_OK) {
			fprintf(stderr, "rpkipubctl: %s\n", err);
			goto out;
		}
	} else if (status != 200) {
		fprintf(stderr, "rpkipubctl: %.*s", (int)out.len,
		    (char *)out.data);
		goto out;
	}
	fwrite(out.data, 1, out.len, stdout);
	rc = 0;
 out:
	free(body);
	buf_free(&out);
	buf_free(&path);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct config	*c = NULL;
	struct buf	 out;
	const char	*dir = NULL;
	char		 token[2 * CONFIG_TOKEN_BYTES + 1];
	long		 status;
	int		 i, r, rc = 1;

	log_init("rpkipubctl", 0, LOG_LVL_INFO);
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("rpkipubctl %s\n", RPKIPUB_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "init") == 0)
		return ctl_init(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return ctl_verify_copy(argc - 1, argv + 1);

	/* Global options before the command: --data-dir DIR. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strncmp(argv[i], "--data-dir=", 11) == 0)
			dir = argv[i] + 11;
		else {
			usage(stderr);
			return 1;
		}
	}
	if (dir == NULL || i >= argc) {
		usage(stderr);
		return 1;
	}
	if ((c = config_load(dir)) == NULL || pubd_read_token(dir, token) == -1)
		goto out;
	if (strcmp(argv[i], "publishers") == 0)
		rc = ctl_publishers(c, token, argc - i, argv + i);
	else if (strcmp(argv[i], "nginx-conf") == 0 && i == argc - 1)
		rc = nginx_conf_print(stdout, c) == 0 ? 0 : 1;
	else if (strcmp(argv[i], "rsyncd-conf") == 0 && i == argc - 1)
		rc = ctl_rsyncd_conf(c);
	else if (strcmp(argv[i], "session-reset") == 0 && i == argc - 1)
		rc = ctl_session_reset(c);
	else if (strcmp(argv[i], "verify") == 0 && i == argc - 1)
		rc = ctl_verify(c);
	else if (strcmp(argv[i], "status") == 0 && i == argc - 1) {
		buf_init(&out);
		r = admin_client_request(c, token, "GET", "/v1/status", NULL,
		    0, &status, &out);
		if (r == 1)
			fprintf(stderr, "rpkipubctl: rpkipubd is not running "
			    "(nothing listens on %s)\n", c->admin_listen);
		else if (r == 0 && status == 200) {
			fwrite(out.data, 1, out.len, stdout);
			rc = 0;
		} else if (r == 0)
			fprintf(stderr, "rpkipubctl: %.*s", (int)out.len,
			    (char *)out.data);
		buf_free(&out);
	} else
		usage(stderr);
 out:
	config_free(c);
	return rc;
}
