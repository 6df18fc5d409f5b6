/*
 * The rrdpsync state file (see sync_state.h): a strict line parser and
 * its writer.  Every line is checked as if it came from outside (the
 * file is ours, but a disk or an operator may have damaged it): a bad
 * line makes the whole file corrupt, and the caller starts over from
 * upstream's snapshot rather than trust any of it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "encoding.h"
#include "fileio.h"
#include "log.h"
#include "sync_state.h"

#define STATE_MAX_LINE	(2 * MAX_URI_LENGTH + 512)

int
sync_validator_valid(const char *v)
{
	size_t	i;

	for (i = 0; v[i] != '\0'; i++)
		if (i >= SYNC_MAX_VALIDATOR - 1 || (unsigned char)v[i] < 0x20 ||
		    (unsigned char)v[i] >= 0x7f)
			return 0;
	return 1;
}

static void
file_clear(struct sync_file *f)
{
	free(f->rel);
	free(f->uri);
	memset(f, 0, sizeof(*f));
}

void
sync_state_free(struct sync_state *st)
{
	size_t	i;

	if (st == NULL)
		return;
	free(st->source);
	file_clear(&st->snapshot);
	for (i = 0; i < st->ndeltas; i++)
		file_clear(&st->deltas[i]);
	free(st->deltas);
	for (i = 0; i < st->ngone; i++)
		free(st->gone[i].rel);
	free(st->gone);
	free(st->tree);
	memset(st, 0, sizeof(*st));
}

void
sync_state_gone_add(struct sync_state *st, const char *rel, time_t since)
{
	st->gone = xrealloc(st->gone, (st->ngone + 1) * sizeof(*st->gone));
	st->gone[st->ngone].rel = xstrdup(rel);
	st->gone[st->ngone].since = since;
	st->ngone++;
}

static void
file_copy(struct sync_file *dst, const struct sync_file *src)
{
	*dst = *src;
	dst->rel = src->rel != NULL ? xstrdup(src->rel) : NULL;
	dst->uri = src->uri != NULL ? xstrdup(src->uri) : NULL;
}

void
sync_state_copy(struct sync_state *dst, const struct sync_state *src)
{
	size_t	i;

	*dst = *src;
	dst->source = src->source != NULL ? xstrdup(src->source) : NULL;
	dst->tree = src->tree != NULL ? xstrdup(src->tree) : NULL;
	file_copy(&dst->snapshot, &src->snapshot);
	dst->deltas = xcalloc(src->ndeltas + 1, sizeof(*dst->deltas));
	for (i = 0; i < src->ndeltas; i++)
		file_copy(&dst->deltas[i], &src->deltas[i]);
	dst->gone = xcalloc(src->ngone + 1, sizeof(*dst->gone));
	for (i = 0; i < src->ngone; i++) {
		dst->gone[i].rel = xstrdup(src->gone[i].rel);
		dst->gone[i].since = src->gone[i].since;
	}
}

struct parser {
	int	 lineno;
	char	*err;
	size_t	 errlen;
};

static int	bad(struct parser *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
bad(struct parser *p, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(p->err, p->errlen, "line %d: ", p->lineno);
	if (n > 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The next space-separated word of *s (NUL-terminated in place). */
static char *
word(char **s)
{
	char	*w = *s, *e;

	if (w == NULL || *w == '\0')
		return NULL;
	if ((e = strchr(w, ' ')) != NULL) {
		*e = '\0';
		*s = e + 1;
	} else
		*s = w + strlen(w);
	return w;
}

/* A decimal in lo..hi (no sign, no leading zero but "0"). */
static int
number(const char *w, int64_t lo, int64_t hi, int64_t *out)
{
	int64_t	v = 0;
	size_t	i;

	if (w == NULL || w[0] == '\0' || (w[0] == '0' && w[1] != '\0'))
		return -1;
	for (i = 0; w[i] != '\0'; i++) {
		if (w[i] < '0' || w[i] > '9' ||
		    v > (INT64_MAX - (w[i] - '0')) / 10)
			return -1;
		v = v * 10 + (w[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* "HASH REL URI" of a snapshot or delta line. */
static int
file_line(struct parser *p, char *rest, struct sync_file *f)
{
	char	*h = word(&rest), *rel = word(&rest), *uri = word(&rest);

	if (h == NULL || rel == NULL || uri == NULL || *rest != '\0')
		return bad(p, "want HASH REL URI");
	if (strlen(h) != 2 * RRDP_HASH_LEN ||
	    hex_decode(f->hash, RRDP_HASH_LEN, h) == -1)
		return bad(p, "hash is not 64 hex digits");
	if (!path_rel_safe(rel))
		return bad(p, "unsafe path %.60s", rel);
	if (rrdp_uri_valid(uri) == -1)
		return bad(p, "URI is not printable ASCII or too long");
	f->rel = xstrdup(rel);
	f->uri = xstrdup(uri);
	return 0;
}

static int
parse_line(struct parser *p, struct sync_state *st, char *line)
{
	char		*rest = line, *key, *w;
	int64_t		 v;
	struct sync_file f;

	if ((key = word(&rest)) == NULL)
		return bad(p, "empty line");
	if (strcmp(key, "source") == 0) {
		if ((w = word(&rest)) == NULL || *rest != '\0' ||
		    rrdp_uri_valid(w) == -1 || st->source != NULL)
			return bad(p, "bad or repeated source");
		st->source = xstrdup(w);
	} else if (strcmp(key, "session") == 0) {
		if ((w = word(&rest)) == NULL || *rest != '\0' ||
		    rrdp_session_valid(w) == -1 || st->session[0] != '\0')
			return bad(p, "bad or repeated session");
		memcpy(st->session, w, RRDP_SESSION_LEN + 1);
	} else if (strcmp(key, "serial") == 0) {
		if (number(word(&rest), 1, INT64_MAX, &v) == -1 ||
		    *rest != '\0' || st->serial != 0)
			return bad(p, "bad or repeated serial");
		st->serial = v;
	} else if (strcmp(key, "snapshot") == 0) {
		if (st->snapshot.rel != NULL)
			return bad(p, "second snapshot");
		if (file_line(p, rest, &st->snapshot) == -1)
			return -1;
	} else if (strcmp(key, "delta") == 0) {
		memset(&f, 0, sizeof(f));
		if (st->ndeltas >= MAX_RRDP_DELTAS)
			return bad(p, "more than %d deltas", MAX_RRDP_DELTAS);
		if (number(word(&rest), 1, INT64_MAX, &f.serial) == -1)
			return bad(p, "bad delta serial");
		/* Newest first, each once (as the notification had them). */
		if (st->ndeltas > 0 &&
		    f.serial >= st->deltas[st->ndeltas - 1].serial)
			return bad(p, "delta serials not strictly decreasing");
		if (file_line(p, rest, &f) == -1)
			return -1;
		st->deltas = xrealloc(st->deltas, (st->ndeltas + 1) *
		    sizeof(*st->deltas));
		st->deltas[st->ndeltas++] = f;
	} else if (strcmp(key, "tree") == 0) {
		if ((w = word(&rest)) == NULL || *rest != '\0' ||
		    !path_rel_safe(w) || strchr(w, '/') != NULL ||
		    st->tree != NULL)
			return bad(p, "bad or repeated tree");
		st->tree = xstrdup(w);
	} else if (strcmp(key, "etag") == 0 ||
	    strcmp(key, "last_modified") == 0) {
		char	*dst = key[0] == 'e' ? st->etag : st->last_modified;

		/* The rest of the line, spaces included. */
		if (*rest == '\0' || !sync_validator_valid(rest) ||
		    dst[0] != '\0')
			return bad(p, "bad or repeated %s", key);
		snprintf(dst, SYNC_MAX_VALIDATOR, "%s", rest);
	} else if (strcmp(key, "regression") == 0) {
		if (number(word(&rest), 1, INT64_MAX, &v) == -1 ||
		    *rest != '\0' || st->regression_since != 0)
			return bad(p, "bad or repeated regression");
		st->regression_since = (time_t)v;
	} else if (strcmp(key, "gone") == 0) {
		if (st->ngone >= SYNC_MAX_GONE)
			return bad(p, "more than %d files awaiting removal",
			    SYNC_MAX_GONE);
		if (number(word(&rest), 0, INT64_MAX, &v) == -1 ||
		    (w = word(&rest)) == NULL || *rest != '\0' ||
		    !path_rel_safe(w))
			return bad(p, "want gone SINCE REL");
		sync_state_gone_add(st, w, (time_t)v);
	} else
		return bad(p, "unknown keyword");
	return 0;
}

int
sync_state_parse(const char *data, size_t len, struct sync_state *st,
    char *err, size_t errlen)
{
	struct parser	 p;
	char		 line[STATE_MAX_LINE + 1];
	const char	*s = data, *end = data + len, *nl;
	size_t		 n;

	memset(st, 0, sizeof(*st));
	memset(&p, 0, sizeof(p));
	p.err = err;
	p.errlen = errlen;
	if (len > SYNC_MAX_STATE_SIZE) {
		snprintf(err, errlen, "larger than %u bytes",
		    SYNC_MAX_STATE_SIZE);
		return -1;
	}
	while (s < end) {
		p.lineno++;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL) {
			bad(&p, "no newline at the end (truncated?)");
			goto fail;
		}
		n = (size_t)(nl - s);
		if (n > STATE_MAX_LINE || memchr(s, '\0', n) != NULL) {
			bad(&p, "too long, or a NUL byte");
			goto fail;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		s = nl + 1;
		if (p.lineno == 1) {
			if (strcmp(line, SYNC_STATE_MAGIC) != 0) {
				bad(&p, "not \"" SYNC_STATE_MAGIC "\"");
				goto fail;
			}
			continue;
		}
		if (parse_line(&p, st, line) == -1)
			goto fail;
	}
	if (p.lineno == 0) {
		snprintf(err, errlen, "empty");
		goto fail;
	}
	/* A synced state names its session, snapshot and tree. */
	if (st->serial != 0 && (st->session[0] == '\0' ||
	    st->snapshot.rel == NULL || st->tree == NULL)) {
		snprintf(err, errlen, "serial %lld without session, snapshot "
		    "or tree", (long long)st->serial);
		goto fail;
	}
	if (st->serial == 0 && (st->snapshot.rel != NULL ||
	    st->ndeltas > 0)) {
		snprintf(err, errlen, "files listed without a serial");
		goto fail;
	}
	if (st->ndeltas > 0 && st->deltas[0].serial > st->serial) {
		snprintf(err, errlen, "delta %lld above serial %lld",
		    (long long)st->deltas[0].serial, (long long)st->serial);
		goto fail;
	}
	return 0;
 fail:
	sync_state_free(st);
	return -1;
}

static void
write_file(struct buf *b, const char *key, const struct sync_file *f)
{
	char	hex[2 * RRDP_HASH_LEN + 1];

	hex_encode(hex, f->hash, RRDP_HASH_LEN);
	if (f->serial > 0)
		buf_printf(b, "%s %lld %s %s %s\n", key, (long long)f->serial,
		    hex, f->rel, f->uri);
	else
		buf_printf(b, "%s %s %s %s\n", key, hex, f->rel, f->uri);
}

void
sync_state_write(struct buf *b, const struct sync_state *st)
{
	size_t	i;

	buf_adds(b, SYNC_STATE_MAGIC "\n");
	if (st->source != NULL)
		buf_printf(b, "source %s\n", st->source);
	if (st->session[0] != '\0')
		buf_printf(b, "session %s\n", st->session);
	if (st->serial > 0)
		buf_printf(b, "serial %lld\n", (long long)st->serial);
	if (st->snapshot.rel != NULL)
		write_file(b, "snapshot", &st->snapshot);
	for (i = 0; i < st->ndeltas; i++)
		write_file(b, "delta", &st->deltas[i]);
	if (st->tree != NULL)
		buf_printf(b, "tree %s\n", st->tree);
	if (st->etag[0] != '\0')
		buf_printf(b, "etag %s\n", st->etag);
	if (st->last_modified[0] != '\0')
		buf_printf(b, "last_modified %s\n", st->last_modified);
	if (st->regression_since > 0)
		buf_printf(b, "regression %lld\n",
		    (long long)st->regression_since);
	for (i = 0; i < st->ngone; i++)
		buf_printf(b, "gone %lld %s\n", (long long)st->gone[i].since,
		    st->gone[i].rel);
}

int
sync_state_load(const char *path, struct sync_state *st, char *err,
    size_t errlen)
{
	char	*data;
	size_t	 len;
	int	 rc;

	memset(st, 0, sizeof(*st));
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return 0;
	if ((data = file_read(path, SYNC_MAX_STATE_SIZE, &len)) == NULL) {
		snprintf(err, errlen, "unreadable or larger than %u bytes",
		    SYNC_MAX_STATE_SIZE);
		return -1;
	}
	rc = sync_state_parse(data, len, st, err, errlen) == 0 ? 1 : -1;
	free(data);
	return rc;
}

int
sync_state_save(const char *path, const struct sync_state *st)
{
	struct buf	b;
	int		rc;

	buf_init(&b);
	sync_state_write(&b, st);
	rc = file_write_atomic(path, b.data, b.len, 0644);
	buf_free(&b);
	return rc;
}
