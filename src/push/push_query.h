/*
 * One RFC 8181 exchange of rpkipub-push: sign the query with the
 * publisher's BPKI EE (RFC 6492 section 3.1 profile), POST it, verify the
 * reply against the repository's BPKI TA from the repository_response
 * and parse it, and check it answers this query.
 *
 * Replay (RFC 6492 section 3.1.2): the server refuses a signing-time
 * older than the last one it accepted, and a message it already accepted
 * in the same second.  So each signing-time is at least the last one
 * used (kept in the state file, written before the query leaves: a clock
 * that steps back does not make the next query "old"), and every PDU
 * carries the query's random tag, so no two queries are the same bytes,
 * not even two list queries in one second.  The tag also binds a
 * report_error (or a tagged <list/>) to its query: one carrying another
 * tag is refused.  A reply must be signed no earlier than
 * CMS_MAX_CLOCK_SKEW before its query was sent, which turns away replies
 * recorded long ago, and pass the replay check of push_state.h against
 * the last reply and the last <success/> accepted: <success/> carries no
 * tag, so without it a dropped change query answered with an earlier
 * <success/> would pass.
 */
#ifndef RPKIPUB_PUSH_QUERY_H
#define RPKIPUB_PUSH_QUERY_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "bpki.h"
#include "push.h"
#include "push_diff.h"
#include "push_http.h"
#include "push_state.h"
#include "rfc8181_msg.h"
#include "rfc8183.h"

/* Random tag of a query: 8 bytes in hex. */
#define PUSH_TAG_LEN	16

/* Everything a query needs; the caller owns each member. */
struct push_peer {
	const char				*dir;	/* state directory */
	struct push_state			*state;
	struct bpki				*id;
	const struct rfc8183_repository_response *resp;
	X509					*repo_ta;
	struct push_http			*http;
	size_t					 max_body;
};

/*
 * List query (RFC 8181 section 2.3).  PUSH_OK with the objects in
 * *listed (*nlisted; free with push_listed_free), or an exit status
 * after logging why.
 */
enum push_exit	push_query_list(struct push_peer *, struct push_listed **listed,
		    size_t *nlisted);
void		push_listed_free(struct push_listed *, size_t);
/*
 * The objects of a verified list reply m (no report_error left) to the
 * query tagged tag: every PDU a <list/>, untagged or with tag, its URI
 * under sia_base.  0 with *listed (URIs moved out of m), or -1 with the
 * reason in err.
 */
int		push_reply_listed(struct rfc8181_msg *m, const char *tag,
		    const char *sia_base, struct push_listed **listed,
		    size_t *nlisted, char *err, size_t errlen);

/*
 * The plan as one query of publish and withdraw PDUs (RFC 8181 section
 * 2.2), each publish read again from root (push_tree_read).  PUSH_OK
 * when the reply is <success/>, or an exit status after logging why.
 */
enum push_exit	push_query_change(struct push_peer *,
		    const struct push_plan *, const char *root);

#endif
