/*
 * RFC 8183 out-of-band setup: publisher_request in, repository_response
 * out (server), and the reverse (client).
 * Namespace http://www.hactrn.net/uris/rpki/rpki-setup/, version "1".
 */
#ifndef RPKIPUB_RFC8183_H
#define RPKIPUB_RFC8183_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RFC8183_NS	"http://www.hactrn.net/uris/rpki/rpki-setup/"

struct rfc8183_publisher_request {
	char	*handle;
	char	*tag;		/* optional */
	uint8_t	*bpki_ta;	/* DER certificate */
	size_t	 bpki_ta_len;
	int	 has_referral;	/* referrals are accepted and ignored */
};

struct rfc8183_repository_response {
	char	*handle;
	char	*tag;
	char	*service_uri;
	char	*sia_base;
	char	*rrdp_notification_uri;	/* optional */
	uint8_t	*bpki_ta;
	size_t	 bpki_ta_len;
};

/* Parse; 0 and *out, or -1 with a reason in err. */
int	rfc8183_parse_publisher_request(const uint8_t *, size_t,
	    struct rfc8183_publisher_request **out, char *err, size_t errlen);
int	rfc8183_parse_repository_response(const uint8_t *, size_t,
	    struct rfc8183_repository_response **out, char *err, size_t errlen);
void	rfc8183_publisher_request_free(struct rfc8183_publisher_request *);
void	rfc8183_repository_response_free(struct rfc8183_repository_response *);

void	rfc8183_write_publisher_request(struct buf *,
	    const struct rfc8183_publisher_request *);
void	rfc8183_write_repository_response(struct buf *,
	    const struct rfc8183_repository_response *);

/*
 * RFC 8183 section 5.2.2 handle syntax, as used here: 1..MAX_HANDLE_LENGTH
 * characters of [-_A-Za-z0-9/], no leading, trailing or doubled '/', so
 * a handle is always a safe relative path.  Returns 1 if valid.
 */
int	rfc8183_handle_valid(const char *);

#endif
