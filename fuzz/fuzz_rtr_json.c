/*
 * libFuzzer target for the rpki-client JSON input (src/rtr/input.c):
 * the document is fed in chunks whose sizes come from the first byte, so
 * the streaming states are exercised.  A refused document must leave the
 * set empty; an accepted one must be normalized (sorted, unique).
 */
#include <stdint.h>
#include <stdlib.h>

#include "input.h"
#include "payload.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rtr_input	*in;
	struct rtr_set		 set;
	size_t			 chunk, off, n, i;
	int			 rc = 0;

	if (len == 0)
		return 0;
	chunk = 1 + data[0] % 64;
	data++;
	len--;
	rtr_set_init(&set);
	in = rtr_input_new(&set, 1795000000, 0);
	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < chunk ? len - off : chunk;
		rc = rtr_input_feed(in, data + off, n);
	}
	if (rc == 0)
		rc = rtr_input_finish(in, NULL);
	if (rc != 0 && rtr_set_count(&set) != 0)
		abort();
	for (i = 1; i < set.nvrps; i++)
		if (rtr_vrp_cmp(&set.vrps[i - 1], &set.vrps[i]) >= 0)
			abort();
	rtr_input_free(in);
	rtr_set_free(&set);
	return 0;
}
