/*
 * RRDP snapshot and delta files (RFC 8182 sections 3.5.2 and 3.5.3):
 * one streaming parser for both.
 *
 * The caller creates a parser for the kind of file it expects, with the
 * session_id and serial the notification file promised, feeds the raw
 * bytes in chunks of any size as they arrive (from disk or HTTP), and
 * finishes it.  The bytes are hashed with SHA-256 as they stream, so the
 * caller compares the result with the notification's hash without a
 * second pass.  Every <publish> and <withdraw> is handed to a callback
 * as soon as its end tag is read, with the object decoded from base64;
 * at most one object (MAX_RRDP_OBJECT_SIZE) is held at a time, never the
 * file.
 *
 * Checked here: the root element and its namespace, version="1", the
 * session_id and serial against the expected ones, the element grammar
 * of RFC 8182 section 3.5.4 (a snapshot holds only <publish> without
 * hash; a delta holds one or more <publish uri [hash]> and <withdraw uri
 * hash/>), attribute whitelists, hash syntax, strict base64, URI bounds,
 * no DOCTYPE or entities, no text outside <publish>, a complete
 * document.  Not checked here: what the URIs point at (the caller's
 * state decides whether a publish without hash creates and a hash
 * matches).
 */
#ifndef RPKIPUB_RRDP_CONTENT_H
#define RPKIPUB_RRDP_CONTENT_H

#include <stddef.h>
#include <stdint.h>

enum rrdp_kind {
	RRDP_SNAPSHOT,
	RRDP_DELTA
};

enum rrdp_elem {
	RRDP_PUBLISH,
	RRDP_WITHDRAW
};

/*
 * Called once per element in document order.  hash is the 32-byte
 * decoded hash attribute, or NULL when there is none (a publish that
 * creates an object); der/derlen is the decoded publish content (NULL,
 * 0 for a withdraw).  All pointers are valid during the call only.
 * Return 0 to go on, -1 to stop the parse (rrdp_content_feed and
 * rrdp_content_finish then fail; the callback keeps its own reason).
 */
typedef int	(*rrdp_elem_cb)(void *arg, enum rrdp_elem, const char *uri,
		    const uint8_t *hash, const uint8_t *der, size_t derlen);

struct rrdp_content;

/*
 * A parser expecting a file of the given kind for session (36
 * characters; compared without regard to case, as RFC 4122 UUIDs are)
 * and serial.  session may be NULL and serial 0 to accept any (then
 * read them with rrdp_content_session / rrdp_content_serial).
 */
struct rrdp_content	*rrdp_content_new(enum rrdp_kind kind,
			    const char *session, int64_t serial,
			    rrdp_elem_cb cb, void *arg);
/*
 * Feed the next len bytes.  Returns 0, or -1 once the document is known
 * to be bad (the reason is rrdp_content_error); later calls keep failing.
 */
int			 rrdp_content_feed(struct rrdp_content *,
			    const void *buf, size_t len);
/*
 * End of input: a truncated document, a delta without elements, or an
 * earlier failure makes this -1.  On 0, hash (if not NULL) receives the
 * SHA-256 of all bytes fed.
 */
int			 rrdp_content_finish(struct rrdp_content *,
			    uint8_t hash[32]);
/* One-line reason of the failure, citing the RFC section; "" if none. */
const char		*rrdp_content_error(const struct rrdp_content *);
/* The root's session_id ("" before it is read) and serial (0). */
const char		*rrdp_content_session(const struct rrdp_content *);
int64_t			 rrdp_content_serial(const struct rrdp_content *);
/* Bytes fed and elements delivered so far. */
uint64_t		 rrdp_content_bytes(const struct rrdp_content *);
uint64_t		 rrdp_content_elements(const struct rrdp_content *);
void			 rrdp_content_free(struct rrdp_content *);

/*
 * Convenience for files on disk: parse path (at most
 * MAX_RRDP_FILE_SIZE bytes) as above.  Returns 0 with the SHA-256 in
 * hash (if not NULL), or -1 with a reason in err (an I/O error names
 * the path).
 */
int	rrdp_content_parse_file(const char *path, enum rrdp_kind kind,
	    const char *session, int64_t serial, rrdp_elem_cb cb, void *arg,
	    uint8_t hash[32], char *err, size_t errlen);

#endif
