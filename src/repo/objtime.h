/*
 * Deterministic modification times for files of an rsync tree
 * (publication-server BCP, rsync section): every node that writes the
 * same object gives its file the same mtime, so rsync clients comparing
 * size and mtime do not fetch unchanged files again after a fail-over.
 *
 *   .crl                  thisUpdate
 *   .cer                  notBefore
 *   anything else         the CMS signing-time, if it is a CMS signed
 *                         object (.roa .mft .asa .gbr .sig .tak ...)
 *
 * Whatever does not parse gets the time the server first stored it.
 */
#ifndef RPKIPUB_OBJTIME_H
#define RPKIPUB_OBJTIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The mtime for der published under name; fallback if unparsable. */
time_t	objtime_get(const char *name, const uint8_t *der, size_t len,
	    time_t fallback);

#endif
