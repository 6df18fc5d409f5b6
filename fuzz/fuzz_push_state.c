/*
 * libFuzzer target for rpkipub-push's state file parser (push_state.c).
 * Whatever is accepted is written back and must parse again to the same
 * values; every refusal must come with a one-line reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "push_state.h"
#include "rfc8183.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct push_state	*s = NULL, *s2 = NULL;
	struct buf		 b;
	char			 err[256];

	if (push_state_parse((const char *)data, len, &s, err,
	    sizeof(err)) == -1) {
		if (s != NULL || err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	if (!rfc8183_handle_valid(s->handle) || s->last_signing_time < 0 ||
	    s->last_sync_time < 0 || s->last_reply_signing_time < 0 ||
	    s->last_success_signing_time < 0)
		abort();
	buf_init(&b);
	push_state_write(&b, s);
	if (push_state_parse((const char *)b.data, b.len, &s2, err,
	    sizeof(err)) == -1)
		abort();
	if (strcmp(s->handle, s2->handle) != 0 ||
	    s->last_signing_time != s2->last_signing_time ||
	    s->last_sync_time != s2->last_sync_time ||
	    s->last_sync_published != s2->last_sync_published ||
	    s->last_sync_replaced != s2->last_sync_replaced ||
	    s->last_sync_withdrawn != s2->last_sync_withdrawn ||
	    s->last_sync_unchanged != s2->last_sync_unchanged ||
	    s->last_reply_signing_time != s2->last_reply_signing_time ||
	    s->has_reply_digest != s2->has_reply_digest ||
	    memcmp(s->last_reply_digest, s2->last_reply_digest, 32) != 0 ||
	    s->last_success_signing_time != s2->last_success_signing_time)
		abort();
	push_state_free(s);
	push_state_free(s2);
	buf_free(&b);
	return 0;
}
