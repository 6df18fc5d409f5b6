/*
 * libFuzzer target for RFC 8416 SLURM (src/rtr/slurm.c): parse, and if
 * accepted apply to a small fixed set; the result must be normalized.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "payload.h"
#include "slurm.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rtr_slurm	*sl;
	struct rtr_set		 set;
	struct rtr_vrp		 v;
	char			 err[256];
	size_t			 i;

	if ((sl = rtr_slurm_parse(data, len, err, sizeof(err))) == NULL)
		return 0;
	rtr_set_init(&set);
	memset(&v, 0, sizeof(v));
	v.afi = 4;
	v.addr[0] = 192;
	v.plen = 8;
	v.maxlen = 24;
	v.asn = 64496;
	rtr_set_add_vrp(&set, &v);
	v.afi = 6;
	v.addr[0] = 0x20;
	v.plen = 32;
	rtr_set_add_vrp(&set, &v);
	rtr_set_normalize(&set);
	rtr_slurm_apply(sl, &set);
	for (i = 1; i < set.nvrps; i++)
		if (rtr_vrp_cmp(&set.vrps[i - 1], &set.vrps[i]) >= 0)
			abort();
	rtr_set_free(&set);
	rtr_slurm_free(sl);
	return 0;
}
