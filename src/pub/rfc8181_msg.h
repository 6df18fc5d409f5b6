/*
 * RFC 8181 publication protocol messages: the XML inside the CMS.
 *
 * rfc8181_parse() is a streaming expat parser for both directions (a
 * server parses queries, a client parses replies); rfc8181_write_*()
 * produce the XML.  Namespace http://www.hactrn.net/uris/rpki/publication-spec/,
 * version "4" (RFC 8181 section 2.1).
 */
#ifndef RPKIPUB_RFC8181_MSG_H
#define RPKIPUB_RFC8181_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RFC8181_NS	"http://www.hactrn.net/uris/rpki/publication-spec/"
#define RFC8181_CONTENT_TYPE	"application/rpki-publication"

enum rfc8181_msg_type { RFC8181_QUERY, RFC8181_REPLY };

enum rfc8181_pdu_type {
	PDU_PUBLISH,		/* query */
	PDU_WITHDRAW,		/* query */
	PDU_LIST,		/* query (no uri) or reply (uri + hash) */
	PDU_SUCCESS,		/* reply */
	PDU_REPORT_ERROR,	/* reply */
};

/* RFC 8181 section 2.5 error codes. */
enum rfc8181_error {
	ERR_NONE = 0,
	ERR_XML,			/* xml_error */
	ERR_PERMISSION,			/* permission_failure */
	ERR_BAD_CMS,			/* bad_cms_signature */
	ERR_ALREADY_PRESENT,		/* object_already_present */
	ERR_NO_OBJECT,			/* no_object_present */
	ERR_NO_MATCHING_HASH,		/* no_object_matching_hash */
	ERR_CONSISTENCY,		/* consistency_problem */
	ERR_OTHER,			/* other_error */
	ERR_COUNT
};

struct rfc8181_pdu {
	enum rfc8181_pdu_type	 type;
	char			*uri;		/* publish, withdraw, list reply */
	char			*tag;		/* optional, echoed in replies */
	int			 has_hash;
	uint8_t			 hash[32];	/* publish (replace), withdraw, list reply */
	uint8_t			*der;		/* publish: decoded object */
	size_t			 der_len;
	enum rfc8181_error	 error;		/* report_error */
	char			*error_text;	/* report_error, optional */
	/*
	 * report_error: the query PDU echoed in <failed_pdu>, if any (its
	 * type, and its uri when it had one of at most MAX_URI_LENGTH);
	 * the rest of it is checked but not kept.
	 */
	int			 has_failed_pdu;
	enum rfc8181_pdu_type	 failed_type;
	char			*failed_uri;
};

struct rfc8181_msg {
	enum rfc8181_msg_type	 type;
	struct rfc8181_pdu	*pdus;
	size_t			 npdus;
};

/*
 * Parse an RFC 8181 message of len bytes.  max_object bounds each decoded
 * publish object.  On success returns 0 and *out owns a new message (free
 * with rfc8181_msg_free).  On failure returns -1 and writes a one-line
 * reason, citing the RFC section, into err.
 */
int	 rfc8181_parse(const uint8_t *xml, size_t len, size_t max_object,
	    struct rfc8181_msg **out, char *err, size_t errlen);
void	 rfc8181_msg_free(struct rfc8181_msg *);

/* Wire names of error codes and back; NULL / ERR_NONE when unknown. */
const char		*rfc8181_error_name(enum rfc8181_error);
enum rfc8181_error	 rfc8181_error_from_name(const char *);

/*
 * Writers.  rfc8181_write_begin() opens <msg type=...>; each pdu writer
 * appends one element; rfc8181_write_end() closes the message.
 */
void	rfc8181_write_begin(struct buf *, enum rfc8181_msg_type);
void	rfc8181_write_end(struct buf *);
void	rfc8181_write_publish(struct buf *, const char *uri,
	    const uint8_t *hash, const uint8_t *der, size_t len, const char *tag);
void	rfc8181_write_withdraw(struct buf *, const char *uri,
	    const uint8_t *hash, const char *tag);
void	rfc8181_write_list_query(struct buf *, const char *tag);
void	rfc8181_write_list_reply(struct buf *, const char *uri,
	    const uint8_t *hash);
void	rfc8181_write_success(struct buf *);
/* failed_pdu, if not NULL, is re-serialised inside <failed_pdu>. */
void	rfc8181_write_error(struct buf *, enum rfc8181_error, const char *tag,
	    const char *text, const struct rfc8181_pdu *failed_pdu);

/*
 * Append s as an XML attribute value or text: buf_add_xml() escaping,
 * plus tab, LF and CR as character references (so attribute values read
 * back unchanged) and '?' for bytes that XML 1.0 does not allow (other
 * control characters, invalid UTF-8).  Also used by rfc8183.c.
 */
void	rfc8181_add_xml(struct buf *, const char *);

#endif
