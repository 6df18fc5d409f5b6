/*
 * RFC 8416 SLURM: local filters and assertions applied to the validated
 * payloads before they are served (filters first, then assertions,
 * section 4.1).
 */
#ifndef RPKIPUB_RTR_SLURM_H
#define RPKIPUB_RTR_SLURM_H

#include <stddef.h>
#include <stdint.h>

#include "payload.h"

struct rtr_slurm;

/* Parse a SLURM document; NULL with err set on failure. */
struct rtr_slurm *rtr_slurm_parse(const uint8_t *, size_t, char *err, size_t);
void	rtr_slurm_free(struct rtr_slurm *);
/* Filter, then add, then normalize set. */
void	rtr_slurm_apply(const struct rtr_slurm *, struct rtr_set *);
/* Read, parse and apply a SLURM file.  0, or -1 with err set (set
 * unchanged). */
int	rtr_slurm_apply_file(const char *path, struct rtr_set *, char *err,
	    size_t);

#endif
