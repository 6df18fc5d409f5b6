/*
 * rpkipub-push's state directory, one publisher identity:
 *
 *   STATE/bpki/                     the publisher's BPKI (bpki.h): TA, EE, CRL
 *   STATE/publisher_request.xml     RFC 8183 publisher_request (init)
 *   STATE/repository_response.xml   the server's repository_response, as
 *                                   given to configure (parsed on each run)
 *   STATE/state                     the state file below
 *   STATE/lock                      flock(2)ed by the running command
 *
 * The state file is "key = value" lines ('#' comments, blank lines):
 *   format = 1
 *   handle = H                      the publisher handle (RFC 8183)
 *   last_signing_time = EPOCH       of the last message signed (0: none)
 *   last_sync_time = EPOCH          of the last sync that left the
 *                                   publication point equal to its
 *                                   directory (0: none), and its counts:
 *   last_sync_published = N
 *   last_sync_replaced = N
 *   last_sync_withdrawn = N
 *   last_sync_unchanged = N
 *   last_reply_signing_time = EPOCH of the last reply accepted (0: none)
 *   last_reply_digest = HEX         its replay key: SHA-256 of its
 *                                   signature value (absent: none)
 *   last_success_signing_time = EPOCH of the last <success/> accepted
 * Every key at most once; format and handle are required, the rest
 * default to 0 (or absent), so a file written before the last_reply_*
 * and last_success_* keys existed reads as "no reply seen yet"; an
 * unknown key is an error (a newer rpkipub-push wrote the file).
 */
#ifndef RPKIPUB_PUSH_STATE_H
#define RPKIPUB_PUSH_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

#define PUSH_STATE_FORMAT	1

/* File names inside the state directory. */
#define PUSH_FILE_BPKI		"bpki"
#define PUSH_FILE_REQUEST	"publisher_request.xml"
#define PUSH_FILE_RESPONSE	"repository_response.xml"
#define PUSH_FILE_STATE		"state"
#define PUSH_FILE_LOCK		"lock"

struct push_state {
	char		*handle;
	int64_t		 last_signing_time;
	int64_t		 last_sync_time;
	uint64_t	 last_sync_published;
	uint64_t	 last_sync_replaced;
	uint64_t	 last_sync_withdrawn;
	uint64_t	 last_sync_unchanged;
	int64_t		 last_reply_signing_time;
	int		 has_reply_digest;
	uint8_t		 last_reply_digest[32];
	int64_t		 last_success_signing_time;
};

/*
 * Replay of replies (RFC 6492 section 3.1.2, which RFC 8181 section 2
 * applies to both directions): <success/> carries no tag, so an attacker
 * on the path (plain http is allowed) could drop a change query and
 * answer it with an earlier, validly signed <success/>.  A reply is
 * believed only if it is signed no earlier than the last reply accepted,
 * is not that reply again (the same signature), and, for a <success/>,
 * is signed later than the last <success/> accepted (the client waits
 * before a change query that could otherwise be answered in that same
 * second, push_query.c).
 */
enum push_reply_age {
	PUSH_REPLY_NEW,		/* may be believed */
	PUSH_REPLY_SAME,	/* the reply accepted last, again */
	PUSH_REPLY_OLD		/* signed too early: refused */
};

/*
 * Judge a verified reply signed at signing_time whose signature hashes
 * to digest; success: it is one <success/>.  PUSH_REPLY_NEW, or another
 * age with the reason (citing the RFC) in err.
 */
enum push_reply_age push_state_reply_age(const struct push_state *,
		    int64_t signing_time, const uint8_t digest[32], int success,
		    char *err, size_t errlen);
/* Record a reply believed (to be saved by the caller). */
void		 push_state_reply_accept(struct push_state *,
		    int64_t signing_time, const uint8_t digest[32], int success);
/* Forget the replies seen: the repository's BPKI TA changed. */
void		 push_state_reply_reset(struct push_state *);

/*
 * Parse a state file of len bytes.  Returns 0 and a new state in *out,
 * or -1 with a one-line reason ("line N: ...") in err.
 */
int		 push_state_parse(const char *text, size_t len,
		    struct push_state **out, char *err, size_t errlen);
/* Append the state file form of s to b (what push_state_parse reads). */
void		 push_state_write(struct buf *b, const struct push_state *s);
void		 push_state_free(struct push_state *);

/* dir/name, malloc'd. */
char		*push_path(const char *dir, const char *name);
/* Read and parse dir/state; NULL on error (logged with the path). */
struct push_state *push_state_load(const char *dir);
/* Write dir/state atomically (fsynced, mode 0600).  0 or -1 (logged). */
int		 push_state_save(const char *dir, const struct push_state *);
/*
 * Take the lock of the state directory for this process's lifetime, so
 * two commands never sign or sync with one identity at once.  Returns 0,
 * or -1 (logged) if another process holds it or it cannot be taken.
 */
int		 push_state_lock(const char *dir);

#endif
