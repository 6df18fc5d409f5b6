#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "config.h"
#include "fileio.h"
#include "bounds.h"
#include "log.h"
#include "uri.h"

struct config *
config_new(const char *data_dir)
{
	struct config	*c = xcalloc(1, sizeof(*c));

	c->data_dir = xstrdup(data_dir);
	c->listen = xstrdup("127.0.0.1:8080");
	c->admin_listen = xstrdup("127.0.0.1:8081");
	c->max_body = MAX_REQUEST_BODY;
	c->max_object = MAX_OBJECT_SIZE;
	c->rrdp_dir = xstrdup(CONFIG_RRDP_DIR);
	c->rsync_dir = xstrdup(CONFIG_RSYNC_DIR);
	c->rrdp_interval = CONFIG_RRDP_INTERVAL;
	c->delta_window = CONFIG_DELTA_WINDOW;
	c->rrdp_keep = CONFIG_FILE_KEEP;
	c->rsync_keep = CONFIG_FILE_KEEP;
	c->change_log_keep = CONFIG_CHANGE_LOG_KEEP;
	c->rrdp_listen = xstrdup(CONFIG_RRDP_LISTEN);
	c->rrdp_tls_cert = xstrdup("");
	c->rrdp_tls_key = xstrdup("");
	return c;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	free(c->data_dir);
	free(c->service_uri);
	free(c->rsync_base);
	free(c->rrdp_base);
	free(c->listen);
	free(c->admin_listen);
	free(c->rrdp_dir);
	free(c->rsync_dir);
	free(c->rrdp_listen);
	free(c->rrdp_tls_cert);
	free(c->rrdp_tls_key);
	free(c);
}

char *
config_path(const struct config *c, const char *name)
{
	struct buf	b;

	buf_init(&b);
	buf_printf(&b, "%s/%s", c->data_dir, name);
	return buf_str(&b);
}

char *
config_resolve(const struct config *c, const char *path)
{
	return path[0] == '/' ? xstrdup(path) : config_path(c, path);
}

/* The path part of an http(s) URL: "https://h:1/a/" -> "/a/". */
static const char *
url_path(const char *url)
{
	const char	*p = strstr(url, "://");

	p = strchr(p != NULL ? p + 3 : url, '/');
	return p != NULL ? p : "";
}

const char *
config_rrdp_path(const struct config *c)
{
	return url_path(c->rrdp_base);
}

const char *
config_service_path(const struct config *c)
{
	return url_path(c->service_uri);
}

const char *
config_unix_path(const char *listen)
{
	size_t	n = strlen(CONFIG_UNIX_PREFIX);

	return strncmp(listen, CONFIG_UNIX_PREFIX, n) == 0 ? listen + n : NULL;
}

int
config_parse_addr(const char *s, struct sockaddr_storage *ss,
    socklen_t *len)
{
	return addr_parse(s, ss, len);
}

static int
uri_is_http(const char *u)
{
	return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

int
config_check(const struct config *c, char *err, size_t errlen)
{
	struct sockaddr_storage	ss;
	socklen_t		sl;
	const char		*upath;
	char			why[128];

	if (c->service_uri == NULL || !uri_is_http(c->service_uri) ||
	    strlen(c->service_uri) > MAX_URI_LENGTH / 2) {
		snprintf(err, errlen, "service_uri must be an http:// or "
		    "https:// URL");
		return -1;
	}
	if (c->rsync_base == NULL ||
	    uri_valid_base(c->rsync_base, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "rsync_base: %s", c->rsync_base == NULL ?
		    "missing" : why);
		return -1;
	}
	if (c->rrdp_base == NULL || !uri_is_http(c->rrdp_base) ||
	    c->rrdp_base[strlen(c->rrdp_base) - 1] != '/') {
		snprintf(err, errlen, "rrdp_base must be an http(s) URL "
		    "ending in '/'");
		return -1;
	}
	if (config_parse_addr(c->listen, &ss, &sl) == -1) {
		snprintf(err, errlen, "listen: \"%s\" is not ADDR:PORT",
		    c->listen);
		return -1;
	}
	if ((upath = config_unix_path(c->admin_listen)) != NULL) {
		if (upath[0] != '/' ||
		    strlen(upath) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(err, errlen, "admin_listen: \"%s\": the socket "
			    "path must be absolute and shorter than %zu bytes",
			    c->admin_listen,
			    sizeof(((struct sockaddr_un *)0)->sun_path));
			return -1;
		}
	} else if (config_parse_addr(c->admin_listen, &ss, &sl) == -1) {
		snprintf(err, errlen, "admin_listen: \"%s\" is not ADDR:PORT "
		    "or unix:/PATH", c->admin_listen);
		return -1;
	}
	if (c->rrdp_listen[0] != '\0' &&
	    config_parse_addr(c->rrdp_listen, &ss, &sl) == -1) {
		snprintf(err, errlen, "rrdp_listen: \"%s\" is not ADDR:PORT "
		    "(or empty to serve RRDP with another web server)",
		    c->rrdp_listen);
		return -1;
	}
	if ((c->rrdp_tls_cert[0] == '\0') != (c->rrdp_tls_key[0] == '\0')) {
		snprintf(err, errlen, "rrdp_tls_cert and rrdp_tls_key go "
		    "together");
		return -1;
	}
	if (c->rrdp_dir[0] == '\0' || c->rsync_dir[0] == '\0') {
		snprintf(err, errlen, "rrdp_dir and rsync_dir must not be "
		    "empty");
		return -1;
	}
	if (c->rrdp_interval < CONFIG_RRDP_INTERVAL_MIN ||
	    c->rrdp_interval > 86400) {
		snprintf(err, errlen, "rrdp_interval must be between %d and "
		    "86400 seconds", CONFIG_RRDP_INTERVAL_MIN);
		return -1;
	}
	if (c->max_body < 1024 || c->max_object < 1 ||
	    c->max_object > c->max_body) {
		snprintf(err, errlen, "max_body must be >= 1024 and "
		    "max_object between 1 and max_body");
		return -1;
	}
	return 0;
}

/* Every key of rpkipubd.conf: a string or a size. */
struct config_key {
	const char	*name;
	size_t		 str;	/* offsetof a char *, or SIZE_MAX */
	size_t		 num;	/* offsetof a size_t, or SIZE_MAX */
};

#define CK_STR(k)	{ #k, offsetof(struct config, k), SIZE_MAX }
#define CK_NUM(k)	{ #k, SIZE_MAX, offsetof(struct config, k) }

static const struct config_key config_keys[] = {
	CK_STR(service_uri), CK_STR(rsync_base), CK_STR(rrdp_base),
	CK_STR(listen), CK_STR(admin_listen), CK_NUM(max_body),
	CK_NUM(max_object), CK_STR(rrdp_dir), CK_STR(rsync_dir),
	CK_NUM(rrdp_interval), CK_NUM(delta_window), CK_NUM(rrdp_keep),
	CK_NUM(rsync_keep), CK_NUM(change_log_keep), CK_STR(rrdp_listen),
	CK_STR(rrdp_tls_cert), CK_STR(rrdp_tls_key),
};

static int
config_set(struct config *c, const char *key, const char *val)
{
	const struct config_key	*k = NULL;
	char			*end, **sp;
	unsigned long long	 v;
	size_t			 i;

	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		if (strcmp(key, config_keys[i].name) == 0)
			k = &config_keys[i];
	if (k == NULL)
		return -1;
	if (k->str != SIZE_MAX) {
		sp = (char **)((char *)c + k->str);
		free(*sp);
		*sp = xstrdup(val);
		return 0;
	}
	errno = 0;
	v = strtoull(val, &end, 10);
	if (errno != 0 || *end != '\0' || val[0] == '\0' || v > SIZE_MAX)
		return -1;
	*(size_t *)((char *)c + k->num) = (size_t)v;
	return 0;
}

struct config *
config_load(const char *data_dir)
{
	struct config	*c = config_new(data_dir);
	char		*path = config_path(c, CONFIG_FILE);
	char		 line[MAX_CONFIG_LINE], err[256];
	char		*key, *val, *e;
	FILE		*f;
	int		 lineno = 0;

	if ((f = fopen(path, "r")) == NULL) {
		log_err("%s: %s (run rpkipubctl init first)", path,
		    strerror(errno));
		goto fail;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			log_err("%s:%d: line too long", path, lineno);
			goto fail;
		}
		line[strcspn(line, "\r\n")] = '\0';
		key = line + strspn(line, " \t");
		if (*key == '#' || *key == '\0')
			continue;
		if ((val = strchr(key, '=')) == NULL) {
			log_err("%s:%d: expected \"key = value\"", path,
			    lineno);
			goto fail;
		}
		for (e = val; e > key && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		val++;
		val += strspn(val, " \t");
		for (e = val + strlen(val); e > val &&
		    (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		if (config_set(c, key, val) == -1) {
			log_err("%s:%d: unknown key or bad value \"%s\"", path,
			    lineno, key);
			goto fail;
		}
	}
	if (config_check(c, err, sizeof(err)) == -1) {
		log_err("%s: %s", path, err);
		goto fail;
	}
	fclose(f);
	free(path);
	return c;
 fail:
	if (f != NULL)
		fclose(f);
	free(path);
	config_free(c);
	return NULL;
}

int
config_save(const struct config *c)
{
	struct buf	 b;
	char		*path = config_path(c, CONFIG_FILE);
	int		 rc;

	buf_init(&b);
	buf_printf(&b, "# rpkipubd configuration (rpkipubd(8)); written by "
	    "rpkipubctl init\n"
	    "# Publishers POST RFC 8181 queries to <service_uri>/<handle>.\n"
	    "service_uri = %s\n"
	    "# Each publisher's sia_base is <rsync_base><handle>/.\n"
	    "rsync_base = %s\n"
	    "rrdp_base = %s\n"
	    "listen = %s\n"
	    "admin_listen = %s\n"
	    "# Largest RFC 8181 request body and published object, bytes.\n"
	    "max_body = %zu\n"
	    "max_object = %zu\n"
	    "# Repository output; relative paths are under the data dir.\n"
	    "rrdp_dir = %s\n"
	    "rsync_dir = %s\n"
	    "# Seconds between RRDP serials (one delta for all publishers).\n"
	    "rrdp_interval = %zu\n"
	    "# Seconds of deltas the notification lists at least (size rule\n"
	    "# permitting), and that unreferenced RRDP files and replaced\n"
	    "# rsync trees stay on disk.\n"
	    "delta_window = %zu\n"
	    "rrdp_keep = %zu\n"
	    "rsync_keep = %zu\n"
	    "# Seconds a change stays in the store's change log after the\n"
	    "# RRDP writer announced it (0: forever); an audit trail only.\n"
	    "change_log_keep = %zu\n"
	    "# Embedded RRDP server (empty: none); TLS when both files are set.\n"
	    "rrdp_listen = %s\n"
	    "rrdp_tls_cert = %s\n"
	    "rrdp_tls_key = %s\n",
	    c->service_uri, c->rsync_base, c->rrdp_base, c->listen,
	    c->admin_listen, c->max_body, c->max_object, c->rrdp_dir,
	    c->rsync_dir, c->rrdp_interval, c->delta_window, c->rrdp_keep,
	    c->rsync_keep, c->change_log_keep, c->rrdp_listen,
	    c->rrdp_tls_cert, c->rrdp_tls_key);
	rc = file_write_atomic(path, b.data, b.len, 0644);
	buf_free(&b);
	free(path);
	return rc;
}
