/*
 * Publisher administration (RFC 8183 set-up): the operations behind
 * "rpkipubctl publishers ..." and the admin API.  Both call these on a
 * store connection of their own, so the daemon and the CLI share one
 * implementation.  Output (documents, listings) is appended to out; a
 * failure returns -1 with a one-line reason in err.
 */
#ifndef RPKIPUB_PUBLISHERS_H
#define RPKIPUB_PUBLISHERS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "store.h"

/*
 * Register the publisher of an RFC 8183 publisher_request (handle from
 * the request unless handle is not NULL) and append its
 * repository_response.  server_ta is the server's BPKI TA (DER).
 * Returns 0, or -1 (err) for a bad request, an invalid or taken handle,
 * or a handle whose sia_base would overlap another publisher's.
 */
int	publishers_add(struct store *, const struct config *,
	    const uint8_t *server_ta, size_t server_ta_len,
	    const uint8_t *request, size_t len, const char *handle,
	    time_t now, struct buf *out, char *err, size_t errlen);
/* Append the repository_response of an existing publisher. */
int	publishers_response(struct store *, const struct config *,
	    const uint8_t *server_ta, size_t server_ta_len, const char *handle,
	    struct buf *out, char *err, size_t errlen);
/* One line per publisher: handle, objects, bytes, sia_base. */
int	publishers_list(struct store *, struct buf *out, char *err,
	    size_t errlen);
/* Details of one publisher. */
int	publishers_show(struct store *, const struct config *,
	    const char *handle, struct buf *out, char *err, size_t errlen);
/*
 * Withdraw every object of the publisher as one change of the change log
 * and delete it, in one transaction.
 */
int	publishers_remove(struct store *, const char *handle, time_t now,
	    struct buf *out, char *err, size_t errlen);

#endif
