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
 * Every key at most once; format and handle are required, the rest
 * default to 0; an unknown key is an error (a newer rpkipub-push wrote
 * the file).
 */
#ifndef RPKIPUB_PUSH_STATE_H
#define RPKIPUB_PUSH_STATE_H

#include <stddef.h>
#include <stdint.h>

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
};

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
