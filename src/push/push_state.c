/*
 * rpkipub-push's state file: parser, writer, and the files around it
 * (push_state.h describes the directory and the format).
 *
 * The file is ours, but it sits on disk where anything may change it, so
 * the parser is as strict as the others: bounded (MAX_PUSH_STATE_SIZE),
 * no NUL bytes, every line a comment, blank, or "key = value" with a
 * known key given once, numbers in plain decimal within range, and a
 * handle that passes the RFC 8183 check (it becomes a path and a URI
 * component elsewhere), a digest of exactly 64 hex digits.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "encoding.h"
#include "fileio.h"
#include "log.h"
#include "push_state.h"
#include "rfc8183.h"

enum key {
	K_FORMAT,
	K_HANDLE,
	K_LAST_SIGNING_TIME,
	K_LAST_SYNC_TIME,
	K_LAST_SYNC_PUBLISHED,
	K_LAST_SYNC_REPLACED,
	K_LAST_SYNC_WITHDRAWN,
	K_LAST_SYNC_UNCHANGED,
	K_LAST_REPLY_SIGNING_TIME,
	K_LAST_REPLY_DIGEST,
	K_LAST_SUCCESS_SIGNING_TIME,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
	"format", "handle", "last_signing_time", "last_sync_time",
	"last_sync_published", "last_sync_replaced", "last_sync_withdrawn",
	"last_sync_unchanged", "last_reply_signing_time", "last_reply_digest",
	"last_success_signing_time"
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Plain decimal, 1 to 19 digits, at most INT64_MAX.  0 or -1. */
static int
parse_number(const char *s, size_t len, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > INT64_MAX)
		return -1;
	*out = v;
	return 0;
}

/*
 * One "key = value" line (line, len bytes, no newline) into s.  seen
 * records the keys given so far.  0, or -1 with the reason in err.
 */
static int
parse_line(struct push_state *s, const char *line, size_t len,
    unsigned int *seen, uint64_t *format, char *err, size_t errlen)
{
	const char	*key, *val, *eq;
	size_t		 klen, vlen, i;
	uint64_t	 n = 0;
	int		 k;

	for (i = 0; i < len; i++) {
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t') {
			snprintf(err, errlen, "control character 0x%02x",
			    (unsigned char)line[i]);
			return -1;
		}
	}
	if ((eq = memchr(line, '=', len)) == NULL) {
		snprintf(err, errlen, "not a \"key = value\" line");
		return -1;
	}
	key = line;
	klen = (size_t)(eq - line);
	while (klen > 0 && is_blank(key[klen - 1]))
		klen--;
	while (klen > 0 && is_blank(key[0])) {
		key++;
		klen--;
	}
	val = eq + 1;
	vlen = len - (size_t)(val - line);
	while (vlen > 0 && is_blank(val[0])) {
		val++;
		vlen--;
	}
	while (vlen > 0 && is_blank(val[vlen - 1]))
		vlen--;

	for (k = 0; k < K_COUNT; k++)
		if (strlen(key_names[k]) == klen &&
		    memcmp(key_names[k], key, klen) == 0)
			break;
	if (k == K_COUNT) {
		snprintf(err, errlen, "unknown key \"%.*s\" (written by a "
		    "newer rpkipub-push?)", (int)(klen > 64 ? 64 : klen), key);
		return -1;
	}
	if (*seen & (1u << k)) {
		snprintf(err, errlen, "%s given twice", key_names[k]);
		return -1;
	}
	*seen |= 1u << k;

	if (k == K_HANDLE) {
		s->handle = xstrndup(val, vlen);
		if (!rfc8183_handle_valid(s->handle)) {
			snprintf(err, errlen, "handle is not a valid RFC 8183 "
			    "publisher handle");
			return -1;
		}
		return 0;
	}
	if (k == K_LAST_REPLY_DIGEST) {
		char	hex[65];

		if (vlen != 64) {
			snprintf(err, errlen, "%s is not 64 hex digits "
			    "(SHA-256)", key_names[k]);
			return -1;
		}
		memcpy(hex, val, 64);
		hex[64] = '\0';
		if (hex_decode(s->last_reply_digest, 32, hex) == -1) {
			snprintf(err, errlen, "%s is not 64 hex digits "
			    "(SHA-256)", key_names[k]);
			return -1;
		}
		s->has_reply_digest = 1;
		return 0;
	}
	if (parse_number(val, vlen, &n) == -1) {
		snprintf(err, errlen, "%s is not a number from 0 to %" PRId64,
		    key_names[k], INT64_MAX);
		return -1;
	}
	switch (k) {
	case K_FORMAT:
		*format = n;
		break;
	case K_LAST_SIGNING_TIME:
		s->last_signing_time = (int64_t)n;
		break;
	case K_LAST_SYNC_TIME:
		s->last_sync_time = (int64_t)n;
		break;
	case K_LAST_SYNC_PUBLISHED:
		s->last_sync_published = n;
		break;
	case K_LAST_SYNC_REPLACED:
		s->last_sync_replaced = n;
		break;
	case K_LAST_SYNC_WITHDRAWN:
		s->last_sync_withdrawn = n;
		break;
	case K_LAST_SYNC_UNCHANGED:
		s->last_sync_unchanged = n;
		break;
	case K_LAST_REPLY_SIGNING_TIME:
		s->last_reply_signing_time = (int64_t)n;
		break;
	default:
		s->last_success_signing_time = (int64_t)n;
		break;
	}
	return 0;
}

int
push_state_parse(const char *text, size_t len, struct push_state **out,
    char *err, size_t errlen)
{
	struct push_state	*s;
	const char		*p = text, *end = text + len, *nl;
	char			 why[160];
	unsigned int		 seen = 0;
	uint64_t		 format = 0;
	size_t			 lineno = 0, n, i;
	int			 rc = -1;

	*out = NULL;
	s = xcalloc(1, sizeof(*s));
	if (len > MAX_PUSH_STATE_SIZE) {
		snprintf(err, errlen, "larger than %u bytes",
		    MAX_PUSH_STATE_SIZE);
		goto out;
	}
	if (len > 0 && memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "holds a NUL byte");
		goto out;
	}
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		for (i = 0; i < n && is_blank(p[i]); i++)
			;
		if (i < n && p[i] != '#' && parse_line(s, p, n, &seen,
		    &format, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "line %zu: %s", lineno, why);
			goto out;
		}
		p += n + (nl != NULL);
	}
	if (!(seen & (1u << K_FORMAT)) || format != PUSH_STATE_FORMAT) {
		snprintf(err, errlen, "format %s, this rpkipub-push reads "
		    "format %d", (seen & (1u << K_FORMAT)) ? "unknown" :
		    "missing", PUSH_STATE_FORMAT);
		goto out;
	}
	if (s->handle == NULL) {
		snprintf(err, errlen, "no handle");
		goto out;
	}
	*out = s;
	s = NULL;
	rc = 0;
 out:
	push_state_free(s);
	return rc;
}

void
push_state_write(struct buf *b, const struct push_state *s)
{
	buf_printf(b, "# rpkipub-push state: written by rpkipub-push, "
	    "replaced as a whole\n"
	    "format = %d\n"
	    "handle = %s\n"
	    "last_signing_time = %" PRId64 "\n"
	    "last_sync_time = %" PRId64 "\n"
	    "last_sync_published = %" PRIu64 "\n"
	    "last_sync_replaced = %" PRIu64 "\n"
	    "last_sync_withdrawn = %" PRIu64 "\n"
	    "last_sync_unchanged = %" PRIu64 "\n",
	    PUSH_STATE_FORMAT, s->handle, s->last_signing_time,
	    s->last_sync_time, s->last_sync_published, s->last_sync_replaced,
	    s->last_sync_withdrawn, s->last_sync_unchanged);
	buf_printf(b, "last_reply_signing_time = %" PRId64 "\n",
	    s->last_reply_signing_time);
	if (s->has_reply_digest) {
		char	hex[65];

		hex_encode(hex, s->last_reply_digest, 32);
		buf_printf(b, "last_reply_digest = %s\n", hex);
	}
	buf_printf(b, "last_success_signing_time = %" PRId64 "\n",
	    s->last_success_signing_time);
}

enum push_reply_age
push_state_reply_age(const struct push_state *s, int64_t signing_time,
    const uint8_t digest[32], int success, char *err, size_t errlen)
{
	char	t1[32], t2[32];

	log_time_fmt((time_t)signing_time, t1, sizeof(t1));
	if (signing_time < s->last_reply_signing_time) {
		log_time_fmt((time_t)s->last_reply_signing_time, t2,
		    sizeof(t2));
		snprintf(err, errlen, "the reply was signed at %s, before the "
		    "last reply accepted from this repository (%s): a replayed "
		    "reply? (RFC 6492 section 3.1.2, by RFC 8181 section 2; "
		    "if the repository's clock was set back, its replies "
		    "verify again once it is past %s)", t1, t2, t2);
		return PUSH_REPLY_OLD;
	}
	/*
	 * The signature value, not the bytes: BER lets a reply be
	 * re-encoded into other bytes with the same signature.
	 */
	if (s->has_reply_digest && signing_time ==
	    s->last_reply_signing_time &&
	    memcmp(digest, s->last_reply_digest, 32) == 0) {
		snprintf(err, errlen, "the reply is the one accepted last "
		    "(signed at %s, the same signature): a replayed reply "
		    "(RFC 6492 section 3.1.2, by RFC 8181 section 2)", t1);
		return PUSH_REPLY_SAME;
	}
	if (success && s->last_success_signing_time != 0 &&
	    signing_time <= s->last_success_signing_time) {
		log_time_fmt((time_t)s->last_success_signing_time, t2,
		    sizeof(t2));
		snprintf(err, errlen, "the <success/> was signed at %s, not "
		    "after the last <success/> accepted (%s): an earlier "
		    "reply replayed? (RFC 6492 section 3.1.2, by RFC 8181 "
		    "section 2)", t1, t2);
		return PUSH_REPLY_OLD;
	}
	return PUSH_REPLY_NEW;
}

void
push_state_reply_accept(struct push_state *s, int64_t signing_time,
    const uint8_t digest[32], int success)
{
	s->last_reply_signing_time = signing_time;
	memcpy(s->last_reply_digest, digest, 32);
	s->has_reply_digest = 1;
	if (success)
		s->last_success_signing_time = signing_time;
}

void
push_state_reply_reset(struct push_state *s)
{
	s->last_reply_signing_time = 0;
	s->has_reply_digest = 0;
	memset(s->last_reply_digest, 0, sizeof(s->last_reply_digest));
	s->last_success_signing_time = 0;
}

void
push_state_free(struct push_state *s)
{
	if (s == NULL)
		return;
	free(s->handle);
	free(s);
}

char *
push_path(const char *dir, const char *name)
{
	struct buf	b;

	buf_init(&b);
	buf_printf(&b, "%s/%s", dir, name);
	return buf_str(&b);
}

struct push_state *
push_state_load(const char *dir)
{
	struct push_state	*s = NULL;
	char			*path, *text;
	char			 err[256];
	size_t			 len;

	path = push_path(dir, PUSH_FILE_STATE);
	if (access(path, F_OK) == -1 && errno == ENOENT) {
		log_err("%s: no rpkipub-push state here: run rpkipub-push "
		    "--state %s init --handle HANDLE first", dir, dir);
		goto out;
	}
	if ((text = file_read(path, MAX_PUSH_STATE_SIZE, &len)) == NULL)
		goto out;
	if (push_state_parse(text, len, &s, err, sizeof(err)) == -1)
		log_err("%s: %s", path, err);
	free(text);
 out:
	free(path);
	return s;
}

int
push_state_save(const char *dir, const struct push_state *s)
{
	struct buf	 b;
	char		*path;
	int		 rc;

	buf_init(&b);
	push_state_write(&b, s);
	path = push_path(dir, PUSH_FILE_STATE);
	rc = file_write_atomic(path, b.data, b.len, 0600);
	free(path);
	buf_free(&b);
	return rc;
}

int
push_state_lock(const char *dir)
{
	char	*path;
	int	 fd, rc = -1;

	path = push_path(dir, PUSH_FILE_LOCK);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_err("%s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			log_err("%s: another rpkipub-push works on this state "
			    "directory; try again when it is done", dir);
		else
			log_err("%s: flock: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	/* Kept open, so held, until the process exits. */
	rc = 0;
 out:
	free(path);
	return rc;
}
