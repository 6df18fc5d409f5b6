/*
 * libFuzzer target for rrdpsync's state file parser (sync_state.h).
 *
 * Checked besides "no crash, no leak": a refused file gets a one-line
 * reason; an accepted one is written back and parsed again, which must
 * succeed and give the same bytes (the writer is the parser's inverse),
 * and every path it holds is one the state may hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileio.h"
#include "sync_state.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sync_state	 st, again;
	struct buf		 a, b;
	char			 err[512];
	size_t			 i;

	if (sync_state_parse((const char *)data, len, &st, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
		if (st.snapshot.rel != NULL || st.ndeltas != 0 || st.ngone != 0)
			abort();
		return 0;
	}
	if (st.snapshot.rel != NULL && !path_rel_safe(st.snapshot.rel))
		abort();
	for (i = 0; i < st.ndeltas; i++)
		if (!path_rel_safe(st.deltas[i].rel) ||
		    (i > 0 && st.deltas[i].serial >= st.deltas[i - 1].serial))
			abort();
	for (i = 0; i < st.ngone; i++)
		if (!path_rel_safe(st.gone[i].rel))
			abort();
	buf_init(&a);
	sync_state_write(&a, &st);
	if (sync_state_parse((const char *)a.data, a.len, &again, err,
	    sizeof(err)) == -1)
		abort();
	buf_init(&b);
	sync_state_write(&b, &again);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	buf_free(&a);
	buf_free(&b);
	sync_state_free(&again);
	sync_state_free(&st);
	return 0;
}
