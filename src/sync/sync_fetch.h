/*
 * Fetching RRDP files from upstream (RFC 8182 sections 3.4.1-3.4.3):
 * the notification into memory, snapshot and delta files onto disk.
 *
 * A snapshot or delta file streams through one pipeline, never held
 * whole: the body as it arrives (asked for with "Accept-Encoding: gzip")
 * is, when gzip-coded, written as it is to the .gz twin and inflated
 * (sync_gunzip.h), otherwise compressed (deflate level 1) into the twin;
 * the decoded bytes are written to the XML file and fed to the streaming
 * parser (rrdp_content.h), which hashes them and hands each object to
 * the caller's callback.  Both files are written under temporary names
 * (".NAME.tmp", ".NAME.gz.tmp") and renamed to NAME and NAME.gz only
 * once the whole file parsed and its SHA-256 equals the notification's:
 * a file that is in place is always complete and correct.  No fsync
 * here: the caller makes everything durable with one syncfs() before a
 * notification names the files.
 */
#ifndef RPKIPUB_SYNC_FETCH_H
#define RPKIPUB_SYNC_FETCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "rrdp_content.h"

struct buf;
struct http_result;

/* Why a round failed: the label of rrdpsync_failures_total. */
enum sync_fault {
	SYNC_FAULT_NONE,
	SYNC_FAULT_HTTP,	/* transport error or HTTP status */
	SYNC_FAULT_TIMEOUT,
	SYNC_FAULT_REDIRECT,	/* to another origin (RFC 9674) */
	SYNC_FAULT_ORIGIN,	/* listed URIs of another origin (RFC 9674) */
	SYNC_FAULT_LIMIT,	/* a size limit */
	SYNC_FAULT_GZIP,	/* content coding */
	SYNC_FAULT_XML,		/* the document (RFC 8182 section 3.5) */
	SYNC_FAULT_HASH,	/* not the notification's SHA-256 */
	SYNC_FAULT_CHAIN,	/* listed deltas not contiguous */
	SYNC_FAULT_REGRESSION,	/* serial went back, refused */
	SYNC_FAULT_LOCAL,	/* local file system */
	SYNC_FAULT_STOPPED,	/* SIGTERM, SIGINT */
	SYNC_FAULT_COUNT
};

/* Metric label of a fault ("http", "timeout", ...). */
const char	*sync_fault_name(enum sync_fault);

/* How to talk to upstream; shared by every fetch of a round. */
struct sync_http {
	const char		*ca_file;	/* extra CAs, or NULL */
	const char		*connect_to;	/* http_get's, or NULL */
	long			 connect_timeout;
	long			 timeout;
	long			 stall_timeout;
	int			 progress;	/* a line on stderr (a tty) */
	volatile sig_atomic_t	*stop;		/* set: abort transfers */
};

/* Counted per fetch, for logs and metrics. */
struct sync_fetch_stats {
	uint64_t	wire_bytes;	/* as received */
	uint64_t	xml_bytes;	/* decoded */
	int		gzip;		/* received gzip-coded */
	double		parse_cpu;	/* CPU seconds of the parse thread */
};

struct sync_fetch {
	const char	*url;
	const char	*what;		/* "snapshot 12", "delta 11": messages */
	enum rrdp_kind	 kind;
	const char	*session;	/* the notification's */
	int64_t		 serial;
	const uint8_t	*hash;		/* the notification's SHA-256 */
	const char	*dir;		/* made if missing */
	const char	*name;		/* "snapshot.xml" or "delta.xml" */
	uint64_t	 max_size;	/* decoded bytes at most */
	const char	*limit_option;	/* that sets it, for messages */
	rrdp_elem_cb	 cb;		/* each object, or NULL */
	void		*cbarg;
};

/*
 * Download f->url into f->dir/f->name (and its .gz twin) as described
 * above.  0, or -1 with a one-line reason in err (citing the RFC rule
 * broken, if any), *fault set, and nothing left under NAME.  A callback
 * that returns -1 fails the fetch with *fault SYNC_FAULT_NONE: the
 * caller has its own reason then.
 */
int	sync_fetch_file(const struct sync_http *, const struct sync_fetch *f,
	    struct sync_fetch_stats *, enum sync_fault *fault, char *err,
	    size_t errlen);
/*
 * The same checks on a file already in place (a delta downloaded by an
 * earlier round and applied now): parse path, compare its SHA-256 with
 * f->hash.  0 or -1 (err, *fault).
 */
int	sync_parse_local(const char *path, const struct sync_fetch *f,
	    enum sync_fault *fault, char *err, size_t errlen);
/*
 * GET the notification (conditional on etag / last_modified when not
 * NULL or "") into out, gzip-decoded, at most max bytes.  0 with out
 * filled and res's validators, 1 not modified (304), -1 (err, *fault).
 */
int	sync_fetch_notification(const struct sync_http *, const char *url,
	    const char *etag, const char *last_modified, uint64_t max,
	    struct buf *out, struct http_result *res, enum sync_fault *fault,
	    char *err, size_t errlen);

/* "User-Agent" of every request. */
#define SYNC_USER_AGENT	"rrdpsync/" RPKIPUB_VERSION

#endif
