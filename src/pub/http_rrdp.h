/*
 * Serving the RRDP directory (RFC 8182) over HTTP: what rpkipubd's own
 * listener (http_rrdp.c) and the nginx configuration that rpkipubctl
 * prints (nginx_conf.c) have in common, so both answer alike, and the
 * request-header parsers of the listener (exposed for the unit tests).
 *
 * The only paths served, relative to the path of rrdp_base:
 *   notification.xml
 *   <session UUID>/<serial>/<random hex>/snapshot.xml
 *   <session UUID>/<serial>/<random hex>/delta.xml
 * Anything else is 404: no other file, no directory listing, no dotfile
 * (writer state and temporaries), no ".gz" twin by its own name.
 */
#ifndef RPKIPUB_HTTP_RRDP_H
#define RPKIPUB_HTTP_RRDP_H

#include <stddef.h>
#include <time.h>

#define RRDP_NOTIFICATION_FILE	"notification.xml"
#define RRDP_GZ_SUFFIX		".gz"

/*
 * Relying parties parse RRDP files as XML; RIPE NCC's and Krill's
 * repositories label them application/xml (RFC 7303 section 4.1).
 */
#define RRDP_HTTP_CONTENT_TYPE	"application/xml"
/*
 * Publication-server BCP: a notification file is cacheable for one
 * minute at most; snapshot and delta files never change at their
 * (random) path, so caches may keep them without asking again
 * (RFC 8246 "immutable").
 */
#define RRDP_HTTP_NOTIFICATION_MAX_AGE	60
#define RRDP_HTTP_IMMUTABLE_MAX_AGE	(365 * 86400)
#define RRDP_HTTP_CACHE_NOTIFICATION	"public, max-age=60"
#define RRDP_HTTP_CACHE_IMMUTABLE	"public, max-age=31536000, immutable"
#define RRDP_HTTP_ALLOW			"GET, HEAD"

/* The random path component: 128 to 256 bits in hex. */
#define RRDP_RANDOM_HEX_MIN	32
#define RRDP_RANDOM_HEX_MAX	64
/* A serial in a path: a positive decimal without leading zeros. */
#define RRDP_SERIAL_DIGITS_MAX	20

enum rrdp_path {
	RRDP_PATH_NONE,			/* not served: 404 */
	RRDP_PATH_NOTIFICATION,		/* notification.xml */
	RRDP_PATH_IMMUTABLE		/* a snapshot or delta file */
};

/* Classify a path relative to the RRDP base path (no leading '/'). */
enum rrdp_path	http_rrdp_path(const char *rel);

/*
 * Does an Accept-Encoding field value (NULL: absent) accept gzip?
 * RFC 9110 section 12.5.3: "gzip" or "x-gzip" with a q-value above 0,
 * else "*" with a q-value above 0; q=0 means "not acceptable".
 */
int		http_rrdp_accepts_gzip(const char *accept_encoding);

/*
 * Does an If-None-Match field value match the entity-tag etag (with its
 * quotes)?  RFC 9110 section 13.1.2: "*" matches any current
 * representation; otherwise a list of entity-tags compared weakly (a
 * W/ prefix is ignored on either side).
 */
int		http_rrdp_etag_match(const char *if_none_match,
		    const char *etag);

/*
 * Parse an HTTP-date (RFC 9110 section 5.6.7: IMF-fixdate, and the
 * obsolete RFC 850 and asctime forms).  0 with *t set, or -1.
 */
int		http_rrdp_parse_date(const char *s, time_t *t);

#endif
