/*
 * rpkipubd's data directory and its configuration file.
 *
 *   DIR/rpkipubd.conf   "key = value" lines written by rpkipubctl init
 *   DIR/store.sqlite    the store (store_sqlite.c)
 *   DIR/bpki/           the server's BPKI identity (bpki.h)
 *   DIR/admin.token     secret for the admin API (mode 0600)
 *   DIR/rpkipubd.lock   held (flock) by the running rpkipubd, with its pid
 *   DIR/rrdp/           RRDP files (RFC 8182), unless rrdp_dir says otherwise
 *   DIR/rsync/          rsync trees and the "current" link (rsync_dir)
 */
#ifndef RPKIPUB_CONFIG_H
#define RPKIPUB_CONFIG_H

#include <stddef.h>
#include <sys/socket.h>

#define CONFIG_FILE		"rpkipubd.conf"
#define CONFIG_STORE		"store.sqlite"
#define CONFIG_BPKI_DIR		"bpki"
#define CONFIG_TOKEN_FILE	"admin.token"
#define CONFIG_LOCK_FILE	"rpkipubd.lock"
#define CONFIG_TOKEN_BYTES	32
#define CONFIG_RRDP_DIR		"rrdp"
#define CONFIG_RSYNC_DIR	"rsync"

/* Defaults of the repository writer (publication-server BCP). */
#define CONFIG_RRDP_INTERVAL	60	/* s between serials (BCP 8.5) */
#define CONFIG_RRDP_INTERVAL_MIN 1
#define CONFIG_DELTA_WINDOW	(4 * 3600) /* s of deltas listed (BCP 8.5) */
#define CONFIG_FILE_KEEP	(2 * 3600) /* s unreferenced files stay */
#define CONFIG_RRDP_LISTEN	"127.0.0.1:8082"
/* s announced changes stay in the store's change log (0: forever). */
#define CONFIG_CHANGE_LOG_KEEP	(7 * 86400)

struct config {
	char	*data_dir;
	char	*service_uri;	/* base; a publisher POSTs to <it>/<handle> */
	char	*rsync_base;	/* sia_base = <it><handle>/ */
	char	*rrdp_base;	/* notification at <it>notification.xml */
	char	*listen;	/* ADDR:PORT of the RFC 8181 listener */
	char	*admin_listen;	/* ADDR:PORT or unix:PATH of the admin API */
	size_t	 max_body;
	size_t	 max_object;
	/* Repository output (rrdp_writer.c, rsync_tree.c). */
	char	*rrdp_dir;	/* absolute, or relative to data_dir */
	char	*rsync_dir;
	size_t	 rrdp_interval;	/* seconds between serials */
	size_t	 delta_window;	/* seconds of deltas to list, at least */
	size_t	 rrdp_keep;	/* seconds unreferenced RRDP files stay */
	size_t	 rsync_keep;	/* seconds replaced rsync trees stay */
	size_t	 change_log_keep; /* seconds announced changes stay; 0: ever */
	/* The embedded RRDP server (http_rrdp.c); "" disables it. */
	char	*rrdp_listen;
	char	*rrdp_tls_cert;	/* PEM files; both or neither */
	char	*rrdp_tls_key;
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
/* A configured path: itself if absolute, else under data_dir.  New. */
char		*config_resolve(const struct config *, const char *path);
/* The path part of rrdp_base ("/rrdp/"), with its trailing '/'. */
const char	*config_rrdp_path(const struct config *);
/* The path part of service_uri ("/rpki"), without a trailing '/'. */
const char	*config_service_path(const struct config *);

#define CONFIG_UNIX_PREFIX	"unix:"

/* The socket path of a "unix:PATH" listener, or NULL for ADDR:PORT. */
const char	*config_unix_path(const char *listen);

/* "127.0.0.1:8080", "[::1]:8080" -> sockaddr.  0 or -1. */
int		 config_parse_addr(const char *, struct sockaddr_storage *,
		    socklen_t *);

#endif
