/*
 * The publication engine: RFC 8181 query semantics on top of store.h,
 * and the writer thread that group-commits queries.
 *
 * Every authenticated query passes through one writer thread.  It takes
 * all queries waiting in its queue, runs each inside its own SAVEPOINT
 * (released on success, rolled back on any error, so each query stays
 * all-or-nothing as RFC 8181 section 2.4 and the BCP section 4.4 need),
 * COMMITs once and only then wakes the waiting HTTP threads, which reply.
 * One fsync thus serves many publishers and nothing is acknowledged
 * before it is durable.
 */
#ifndef RPKIPUB_ENGINE_H
#define RPKIPUB_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "rfc8181_msg.h"
#include "store.h"

struct engine;

struct engine_query {
	/* in */
	const char			*handle;
	int64_t				 publisher_id;	/* as verified */
	uint8_t				 ta_hash[32];	/* SHA-256 of the BPKI
							   TA verified against */
	const struct rfc8181_msg	*msg;
	time_t				 signing_time;
	uint8_t				 digest[32];	/* of the CMS */
	/* prepared: one per PDU, set for publish PDUs (rrdp_elem.h) */
	struct rrdp_obj			*objs;
	size_t				 nobjs;
	/* out */
	struct buf			 reply;		/* reply XML */
	enum rfc8181_error		 result;	/* ERR_NONE: success/list */
	int				 list;		/* accepted list query:
							   reply not built yet */
	char				 error_text[256]; /* for the log */
	size_t				 changed;	/* objects changed */
	/* queue linkage, owned by the engine */
	struct engine_query		*next;
	int				 done;
};

/*
 * Apply q inside the open write transaction of st: replay check and
 * replay state update, then the PDUs inside a savepoint.  Fills q->reply
 * and q->result.  Returns 0 when q has its answer (success or an RFC 8181
 * error), -1 when the store failed and the whole transaction must be
 * rolled back.
 */
int	engine_apply(struct store *st, struct engine_query *q, time_t now);

/*
 * The reply to an accepted list query (q->list set by engine_apply):
 * build it on any connection after the commit.  0 or -1.
 */
int	engine_list_reply(struct store *st, int64_t publisher,
	    struct buf *reply);

/* Start the writer thread on its own connection to the store at path. */
struct engine	*engine_start(const char *store_path);
void		 engine_stop(struct engine *);
/* Queue q and wait until it is durable (or failed).  q->reply is set. */
void		 engine_submit(struct engine *, struct engine_query *q);
/* Queries waiting plus being committed, for metrics. */
size_t		 engine_queue_length(struct engine *);

void		 engine_query_init(struct engine_query *);
/* The registration the query's CMS was verified against: handle, id, TA. */
void		 engine_query_publisher(struct engine_query *,
		    const struct store_publisher *);
/*
 * Encode each published object in the form the store keeps (hash, RRDP
 * element, deflate piece), outside the writer thread.  engine_apply()
 * does it when the caller has not.  0, or -1 (zlib failed).
 */
int		 engine_query_prepare(struct engine_query *);
void		 engine_query_free(struct engine_query *);

#endif
