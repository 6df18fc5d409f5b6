/*
 * rpkipubd's data directory and its configuration file.
 *
 *   DIR/rpkipubd.conf   "key = value" lines written by rpkipubctl init
 *   DIR/store.sqlite    the store (store_sqlite.c)
 *   DIR/bpki/           the server's BPKI identity (bpki.h)
 *   DIR/admin.token     secret for the admin API (mode 0600)
 */
#ifndef RPKIPUB_CONFIG_H
#define RPKIPUB_CONFIG_H

#include <stddef.h>
#include <sys/socket.h>

#define CONFIG_FILE		"rpkipubd.conf"
#define CONFIG_STORE		"store.sqlite"
#define CONFIG_BPKI_DIR		"bpki"
#define CONFIG_TOKEN_FILE	"admin.token"
#define CONFIG_TOKEN_BYTES	32

struct config {
	char	*data_dir;
	char	*service_uri;	/* base; a publisher POSTs to <it>/<handle> */
	char	*rsync_base;	/* sia_base = <it><handle>/ */
	char	*rrdp_base;	/* notification at <it>notification.xml */
	char	*listen;	/* ADDR:PORT of the RFC 8181 listener */
	char	*admin_listen;	/* ADDR:PORT or unix:PATH of the admin API */
	size_t	 max_body;
	size_t	 max_object;
};

struct config	*config_new(const char *data_dir);
/* Read DIR/rpkipubd.conf; NULL with a logged reason on error. */
struct config	*config_load(const char *data_dir);
/* Validate and write DIR/rpkipubd.conf atomically; 0 or -1. */
int		 config_save(const struct config *);
/* Check every field; 0, or -1 with a reason in err. */
int		 config_check(const struct config *, char *err, size_t errlen);
void		 config_free(struct config *);

/* "DIR/name" in a new string. */
char		*config_path(const struct config *, const char *name);
/* The path part of service_uri ("/rpki"), without a trailing '/'. */
const char	*config_service_path(const struct config *);

#define CONFIG_UNIX_PREFIX	"unix:"

/* The socket path of a "unix:PATH" listener, or NULL for ADDR:PORT. */
const char	*config_unix_path(const char *listen);

/* "127.0.0.1:8080", "[::1]:8080" -> sockaddr.  0 or -1. */
int		 config_parse_addr(const char *, struct sockaddr_storage *,
		    socklen_t *);

#endif
