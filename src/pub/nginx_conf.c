/*
 * rpkipubctl nginx-conf: an nginx server block equivalent to rpkipubd's
 * own RRDP listener (http_rrdp.c).  The two must answer alike, so the
 * header values come from http_rrdp.h and the location regex below is
 * the path grammar of http_rrdp_path():
 *   - gzip on every file: the writer's .gz twin of snapshot and delta
 *     files (gzip_static), notification.xml compressed by nginx (the
 *     writer keeps no twin of the file it replaces every interval);
 *   - ETag and Last-Modified with 304 for If-None-Match and, per RFC 9110
 *     section 13.1.3, If-Modified-Since not before the file's mtime;
 *   - Cache-Control as the publication-server BCP asks; Vary;
 *   - 400 for a query string (BCP), 405 but for GET and HEAD, 404 for
 *     every path outside the grammar (dotfiles, listings, .gz names).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "http_rrdp.h"
#include "log.h"
#include "nginx_conf.h"

/* The parts of rrdp_base an nginx server block needs. */
struct nginx_origin {
	int	 tls;
	char	 host[256];	/* without IPv6 brackets */
	int	 literal;	/* host is an IP address */
	int	 v6;
	char	 port[8];
	char	 path[1024];	/* with leading and trailing '/' */
};

/* Split an http(s) URL into scheme, host, port and path.  0 or -1. */
static int
nginx_origin_parse(const char *url, struct nginx_origin *o)
{
	const char	*p, *auth_end, *h, *he, *port = NULL;
	unsigned char	 addr[16];
	size_t		 n;

	memset(o, 0, sizeof(*o));
	if (strncmp(url, "https://", 8) == 0) {
		o->tls = 1;
		p = url + 8;
	} else if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return -1;
	if ((auth_end = strchr(p, '/')) == NULL)
		return -1;
	if (*p == '[') {
		h = p + 1;
		if ((he = memchr(h, ']', (size_t)(auth_end - h))) == NULL)
			return -1;
		if (he + 1 < auth_end) {
			if (he[1] != ':')
				return -1;
			port = he + 2;
		}
		o->v6 = 1;
	} else {
		h = p;
		he = memchr(h, ':', (size_t)(auth_end - h));
		if (he != NULL)
			port = he + 1;
		else
			he = auth_end;
	}
	n = (size_t)(he - h);
	if (n == 0 || n >= sizeof(o->host))
		return -1;
	memcpy(o->host, h, n);
	o->host[n] = '\0';
	if (port != NULL) {
		n = (size_t)(auth_end - port);
		if (n == 0 || n > 5 || strspn(port, "0123456789") < n)
			return -1;
		memcpy(o->port, port, n);
		o->port[n] = '\0';
	} else
		snprintf(o->port, sizeof(o->port), "%s", o->tls ? "443" : "80");
	if (atoi(o->port) < 1 || atoi(o->port) > 65535)
		return -1;
	o->literal = inet_pton(o->v6 ? AF_INET6 : AF_INET, o->host, addr) == 1;
	if (o->v6 && !o->literal)
		return -1;
	/* Host names: letters, digits, '-', '.' (nothing nginx would parse). */
	if (!o->literal && strspn(o->host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != strlen(o->host))
		return -1;
	n = strlen(auth_end);
	if (n >= sizeof(o->path) || auth_end[n - 1] != '/')
		return -1;
	/*
	 * The path goes into nginx location patterns: only unreserved
	 * characters and '/', so it needs no quoting there, and no
	 * percent-escapes (nginx matches the decoded path).
	 */
	if (strspn(auth_end, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/") != n ||
	    strstr(auth_end, "//") != NULL || strstr(auth_end, "/./") != NULL ||
	    strstr(auth_end, "/../") != NULL)
		return -1;
	memcpy(o->path, auth_end, n + 1);
	return 0;
}

/* A path nginx takes inside double quotes, without variables.  0 or -1. */
static int
nginx_path_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '"' || *s == '\\' || *s == '$' ||
		    (unsigned char)*s < 0x20 || *s == 0x7f)
			return -1;
	return 0;
}

/* The path as a regex: '.' and '~' are the only metacharacters allowed. */
static void
nginx_regex_path(struct buf *b, const char *path)
{
	for (; *path != '\0'; path++) {
		if (*path == '.')
			buf_adds(b, "\\.");
		else
			buf_add(b, path, 1);
	}
}

/* An absolute form of a configured path (nginx resolves from its prefix). */
static char *
nginx_abs(const struct config *cfg, const char *path)
{
	char		*rel, *abs, cwd[PATH_MAX];
	struct buf	 b;

	rel = config_resolve(cfg, path);
	if (rel[0] == '/')
		return rel;
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		log_err("getcwd: %s", strerror(errno));
		free(rel);
		return NULL;
	}
	buf_init(&b);
	buf_printf(&b, "%s/%s", cwd, strncmp(rel, "./", 2) == 0 ? rel + 2 :
	    rel);
	abs = xstrdup(buf_str(&b));
	buf_free(&b);
	free(rel);
	return abs;
}

/* The directives every RRDP location shares. */
static void
nginx_location_common(struct buf *b)
{
	buf_adds(b,
	    "\t\t# Only GET and HEAD (405 with Allow, as rpkipubd answers).\n"
	    "\t\tif ($request_method !~ ^(GET|HEAD)$) {\n"
	    "\t\t\tadd_header Allow \"" RRDP_HTTP_ALLOW "\" always;\n"
	    "\t\t\treturn 405;\n"
	    "\t\t}\n"
	    "\t\tgzip_vary on;\n"
	    "\t\tgzip_proxied any;\n"
	    "\t\tgzip_http_version 1.0;\n");
}

int
nginx_conf_print(FILE *f, const struct config *cfg)
{
	struct nginx_origin	 o;
	struct buf		 b;
	char			*dir = NULL, *cert = NULL, *key = NULL;
	const char		*listen_ssl;
	int			 rc = -1;

	buf_init(&b);
	if (nginx_origin_parse(cfg->rrdp_base, &o) == -1) {
		log_err("rrdp_base %s: not an http(s) URL whose path has only "
		    "letters, digits, '-', '.', '_', '~' and '/'",
		    cfg->rrdp_base);
		goto out;
	}
	if ((dir = nginx_abs(cfg, cfg->rrdp_dir)) == NULL)
		goto out;
	if (o.tls && cfg->rrdp_tls_cert[0] != '\0') {
		if ((cert = nginx_abs(cfg, cfg->rrdp_tls_cert)) == NULL ||
		    (key = nginx_abs(cfg, cfg->rrdp_tls_key)) == NULL)
			goto out;
	} else if (o.tls) {
		cert = xstrdup("/etc/ssl/rrdp/fullchain.pem");
		key = xstrdup("/etc/ssl/rrdp/privkey.pem");
	}
	if (nginx_path_ok(dir) == -1 || (cert != NULL &&
	    (nginx_path_ok(cert) == -1 || nginx_path_ok(key) == -1))) {
		log_err("%s: nginx cannot take a path with '\"', '\\', '$' or "
		    "control characters", dir);
		goto out;
	}

	buf_printf(&b,
	    "# RRDP repository (RFC 8182) of the rpkipubd instance in %s,\n"
	    "# printed by \"rpkipubctl nginx-conf\".  It serves the files the\n"
	    "# way rpkipubd's own RRDP listener does.  Put it inside the http\n"
	    "# block of nginx.conf.\n"
	    "server {\n", cfg->data_dir);
	listen_ssl = o.tls ? " ssl" : "";
	if (o.literal)
		buf_printf(&b, "\tlisten %s%s%s:%s%s;\n", o.v6 ? "[" : "",
		    o.host, o.v6 ? "]" : "", o.port, listen_ssl);
	else
		buf_printf(&b, "\tlisten %s%s;\n\tlisten [::]:%s%s;\n",
		    o.port, listen_ssl, o.port, listen_ssl);
	buf_printf(&b, "\tserver_name %s;\n", o.host);
	if (o.tls) {
		if (cfg->rrdp_tls_cert[0] == '\0')
			buf_adds(&b, "\t# rrdp_tls_cert/rrdp_tls_key are not "
			    "set: name your certificate here.\n");
		buf_printf(&b, "\tssl_certificate \"%s\";\n"
		    "\tssl_certificate_key \"%s\";\n"
		    "\tssl_protocols TLSv1.2 TLSv1.3;\n", cert, key);
	}
	/* Like rpkipubd's O_NOFOLLOW: no symbolic link inside the dir. */
	buf_printf(&b, "\n\tdisable_symlinks on from=\"%s\";\n", dir);
	buf_adds(&b,
	    "\tserver_tokens off;\n"
	    "\tautoindex off;\n"
	    "\tsendfile on;\n"
	    "\ttcp_nopush on;\n"
	    "\tcharset off;\n"
	    "\ttypes { }\n"
	    "\tdefault_type " RRDP_HTTP_CONTENT_TYPE ";\n"
	    "\tetag on;\n"
	    "\t# RFC 9110 section 13.1.3: 304 when the file is not newer than\n"
	    "\t# If-Modified-Since (nginx's default wants the same date).\n"
	    "\tif_modified_since before;\n"
	    "\n"
	    "\t# Publication-server BCP: refuse requests with query "
	    "parameters,\n"
	    "\t# which would make every CDN fetch from the origin.\n"
	    "\tif ($request_uri ~ \"\\?\") {\n"
	    "\t\treturn 400;\n"
	    "\t}\n\n");

	/*
	 * notification.xml is replaced by rename(2) every interval and has
	 * no .gz twin: nginx compresses it (small, and it is what every
	 * relying party polls).
	 */
	buf_printf(&b, "\tlocation = %s" RRDP_NOTIFICATION_FILE " {\n"
	    "\t\talias \"%s/" RRDP_NOTIFICATION_FILE "\";\n", o.path, dir);
	nginx_location_common(&b);
	buf_adds(&b,
	    "\t\tgzip on;\n"
	    "\t\tgzip_types " RRDP_HTTP_CONTENT_TYPE ";\n"
	    "\t\tgzip_min_length 0;\n"
	    "\t\tgzip_comp_level 6;\n"
	    "\t\t# Publication-server BCP: cacheable for one minute at most.\n"
	    "\t\tadd_header Cache-Control \"" RRDP_HTTP_CACHE_NOTIFICATION
	    "\";\n"
	    "\t}\n\n");

	/* Snapshots and deltas: <session>/<serial>/<random>/<name>.xml. */
	buf_adds(&b, "\tlocation ~ \"^");
	nginx_regex_path(&b, o.path);
	/*
	 * Named captures: the regex of the method check below would
	 * overwrite $1..$4 before alias uses them.
	 */
	buf_printf(&b, "(?<rrdp_session>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-"
	    "[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/"
	    "(?<rrdp_serial>[1-9][0-9]{0,%d})/"
	    "(?<rrdp_random>[0-9a-fA-F]{%d,%d})/"
	    "(?<rrdp_file>snapshot|delta)\\.xml$\" {\n"
	    "\t\talias \"%s/$rrdp_session/$rrdp_serial/$rrdp_random/"
	    "$rrdp_file.xml\";\n", RRDP_SERIAL_DIGITS_MAX - 1,
	    RRDP_RANDOM_HEX_MIN, RRDP_RANDOM_HEX_MAX, dir);
	nginx_location_common(&b);
	buf_adds(&b,
	    "\t\t# The writer's .gz twin, written once beside each file.\n"
	    "\t\tgzip_static on;\n"
	    "\t\t# Never changed at this (random) path: RFC 8246 immutable.\n"
	    "\t\tadd_header Cache-Control \"" RRDP_HTTP_CACHE_IMMUTABLE "\";\n"
	    "\t}\n\n"
	    "\t# Nothing else: no listings, no dotfiles (writer state and\n"
	    "\t# temporaries), no .gz names.\n"
	    "\tlocation / {\n"
	    "\t\treturn 404;\n"
	    "\t}\n"
	    "\t# A refused link (disable_symlinks says 403) is not found\n"
	    "\t# either, as rpkipubd answers: nothing about what is there.\n"
	    "\terror_page 403 =404 @rrdp_not_found;\n"
	    "\tlocation @rrdp_not_found {\n"
	    "\t\treturn 404;\n"
	    "\t}\n"
	    "}\n");
	if (fwrite(b.data, 1, b.len, f) != b.len || fflush(f) != 0) {
		log_err("writing the nginx configuration: %s", strerror(errno));
		goto out;
	}
	rc = 0;
 out:
	free(dir);
	free(cert);
	free(key);
	buf_free(&b);
	return rc;
}
