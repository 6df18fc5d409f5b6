/*
 * Publisher administration (RFC 8183 set-up): the operations behind
 * "rpkipubctl publishers ..." and the admin API.  Both call these on a
 * store connection of their own, so the daemon and the CLI share one
 * implementation.  Output (documents, listings) is appended to out; a
 * failure returns why (the admin API maps it to an HTTP status) with a
 * one-line reason in err.
 */
#ifndef RPKIPUB_PUBLISHERS_H
#define RPKIPUB_PUBLISHERS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "store.h"

enum publishers_result {
	PUB_OK = 0,
	PUB_INVALID = -1,	/* bad publisher_request or handle */
	PUB_NOT_FOUND = -2,	/* no such publisher */
	PUB_CONFLICT = -3,	/* handle taken, or jails would nest */
	PUB_STORE = -4,		/* the store failed */
};

/*
 * Register the publisher of an RFC 8183 publisher_request (handle from
 * the request unless handle is not NULL) and append its
 * repository_response.  server_ta is the server's BPKI TA (DER).
 * PUB_INVALID for a bad request or handle, PUB_CONFLICT for a taken
 * handle or one whose sia_base would overlap another publisher's.
 */
enum publishers_result
	publishers_add(struct store *, const struct config *,
	    const uint8_t *server_ta, size_t server_ta_len,
	    const uint8_t *request, size_t len, const char *handle,
	    time_t now, struct buf *out, char *err, size_t errlen);
/* Append the repository_response of an existing publisher. */
enum publishers_result
	publishers_response(struct store *, const struct config *,
	    const uint8_t *server_ta, size_t server_ta_len, const char *handle,
	    struct buf *out, char *err, size_t errlen);
/* One line per publisher: handle, objects, bytes, sia_base. */
enum publishers_result
	publishers_list(struct store *, struct buf *out, char *err,
	    size_t errlen);
/* Details of one publisher. */
enum publishers_result
	publishers_show(struct store *, const struct config *,
	    const char *handle, struct buf *out, char *err, size_t errlen);
/*
 * Withdraw every object of the publisher as one change of the change log
 * and delete it, in one transaction.
 */
enum publishers_result
	publishers_remove(struct store *, const char *handle, time_t now,
	    struct buf *out, char *err, size_t errlen);

#endif
