/*
 * rpkipubctl's side of the admin API (admin.c), over libcurl.
 */
#ifndef RPKIPUB_ADMIN_CLIENT_H
#define RPKIPUB_ADMIN_CLIENT_H

#include <stddef.h>

#include "buf.h"
#include "config.h"

#define ADMIN_CONNECT_TIMEOUT	2	/* seconds */
#define ADMIN_TIMEOUT		120	/* seconds, whole request */
#define ADMIN_MAX_RESPONSE	(64u * 1024 * 1024)

/*
 * Send method path (with body, if not NULL) to the admin listener of c
 * with the token.  Returns 0 with the HTTP status in *status and the body
 * in out; 1 if nothing listens there (the daemon is not running); -1 on
 * any other failure (logged).
 */
int	admin_client_request(const struct config *c, const char *token,
	    const char *method, const char *path, const void *body,
	    size_t len, long *status, struct buf *out);

#endif
