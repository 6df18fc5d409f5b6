/*
 * RFC 8181 exchanges of rpkipub-push (push_query.h): sign, send, verify,
 * parse, and check that the reply answers the query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "bounds.h"
#include "cms.h"
#include "encoding.h"
#include "log.h"
#include "push_query.h"
#include "rfc8181_msg.h"
#include "uri.h"
#include "xml.h"

/* Untrusted text quoted in a log line: printable, bounded. */
#define QUOTE_LEN	(MAX_ERROR_TEXT + 4)

static void
new_tag(char tag[PUSH_TAG_LEN + 1])
{
	uint8_t	r[PUSH_TAG_LEN / 2];

	if (RAND_bytes(r, sizeof(r)) != 1)
		fatalx("RAND_bytes failed");
	hex_encode(tag, r, sizeof(r));
}

/*
 * A short, printable excerpt of an HTTP error body: its first line, at
 * most 200 characters.
 */
static void
body_excerpt(const struct buf *b, char *dst, size_t dstlen)
{
	char	 line[204];
	size_t	 n = 0;

	while (n < b->len && n < 200 && b->data[n] != '\n' &&
	    b->data[n] != '\r' && b->data[n] != '\0')
		n++;
	memcpy(line, b->data, n);
	line[n] = '\0';
	xml_printable(dst, dstlen, line);
}

/*
 * Sign xml, send it, verify and parse the reply, and refuse a replayed
 * one (push_state_reply_age); a reply believed is recorded in the state
 * file.  what names the query in messages; changes says whether it
 * changes anything (so a failure must say the change may have been
 * applied).  PUSH_OK with the reply in *out, or an exit status after
 * logging why.  With same non-NULL, a reply that is the last accepted
 * one again sets *same and returns PUSH_EXIT_UNVERIFIED without logging:
 * the caller of a query that changes nothing may ask again.
 */
static enum push_exit
exchange(struct push_peer *p, const struct buf *xml, const char *what,
    int changes, struct rfc8181_msg **out, int *same)
{
	struct cms_verified	 v;
	struct buf		 body;
	enum cms_fail		 cf;
	enum push_reply_age	 age;
	const char		*maybe;
	uint8_t			*der = NULL;
	size_t			 derlen = 0;
	time_t			 now, stime, sent;
	long			 status;
	int			 typed, success;
	char			 err[1024], t1[32], t2[32];
	enum push_exit		 rc;

	*out = NULL;
	if (same != NULL)
		*same = 0;
	memset(&v, 0, sizeof(v));
	buf_init(&body);
	maybe = changes ? "; the change may or may not have been applied: "
	    "run sync again (its list query shows what the server holds)" :
	    "";

	now = time(NULL);
	stime = now > p->state->last_signing_time ? now :
	    (time_t)p->state->last_signing_time;
	if (stime > now + 1) {
		log_time_fmt(stime, t1, sizeof(t1));
		log_warn("the clock is behind the last signing-time used "
		    "(%s): signing with that one, as the server refuses older "
		    "ones (RFC 6492 section 3.1.2)", t1);
	}
	p->state->last_signing_time = stime;
	if (push_state_save(p->dir, p->state) == -1) {
		rc = PUSH_EXIT_LOCAL;
		goto out;
	}
	if (cms_sign_at(xml->data, xml->len, p->id->ee, p->id->ee_key,
	    p->id->crl, stime, &der, &derlen) == -1) {
		rc = PUSH_EXIT_LOCAL;
		goto out;
	}
	if (derlen > p->max_body) {
		log_err("the %s is %zu bytes signed, over the server's limit "
		    "of %zu bytes (--max-body; rpkipubd's max_body): nothing "
		    "was sent", what, derlen, p->max_body);
		rc = PUSH_EXIT_LOCAL;
		goto out;
	}

	sent = time(NULL);
	log_time_fmt(stime, t1, sizeof(t1));
	log_debug("%s: POST %s: %zu bytes signed at %s", what,
	    p->resp->service_uri, derlen, t1);
	if (push_http_post(p->http, p->resp->service_uri, der, derlen,
	    &status, &typed, &body, err, sizeof(err)) == -1) {
		log_err("%s: no reply: %s%s", what, err, maybe);
		rc = PUSH_EXIT_TRANSPORT;
		goto out;
	}
	if (status != 200) {
		body_excerpt(&body, err, sizeof(err));
		log_err("%s: HTTP %ld from %s: %s%s", what, status,
		    p->resp->service_uri, err[0] != '\0' ? err :
		    "(no text)", maybe);
		rc = PUSH_EXIT_TRANSPORT;
		goto out;
	}
	if (!typed) {
		log_err("%s: the reply from %s is not of type "
		    RFC8181_CONTENT_TYPE " (RFC 8181 section 2)%s", what,
		    p->resp->service_uri, maybe);
		rc = PUSH_EXIT_TRANSPORT;
		goto out;
	}

	if ((cf = cms_verify_signer(CMS_SIGNER_REPOSITORY, body.data,
	    body.len, p->repo_ta, time(NULL), &v, err, sizeof(err))) !=
	    CMS_OK) {
		log_err("%s: the reply does not verify (%s): %s; it is not "
		    "trusted%s", what, cms_fail_name(cf), err, maybe);
		rc = PUSH_EXIT_UNVERIFIED;
		goto out;
	}
	if (v.signing_time < sent - CMS_MAX_CLOCK_SKEW) {
		log_time_fmt(v.signing_time, t1, sizeof(t1));
		log_time_fmt(sent, t2, sizeof(t2));
		log_err("%s: the reply was signed at %s, before the query was "
		    "sent (%s): a reply recorded earlier? (RFC 6492 section "
		    "3.1.2); it is not trusted%s", what, t1, t2, maybe);
		rc = PUSH_EXIT_UNVERIFIED;
		goto out;
	}
	log_time_fmt(v.signing_time, t1, sizeof(t1));
	log_debug("%s: reply of %zu bytes, signed at %s, verified", what,
	    body.len, t1);
	/* A reply carries no objects: publish PDUs are refused in it. */
	if (rfc8181_parse(v.content, v.content_len, 0, out, err,
	    sizeof(err)) == -1) {
		log_err("%s: the signed reply is not a valid RFC 8181 "
		    "message: %s%s", what, err, maybe);
		rc = PUSH_EXIT_UNVERIFIED;
		goto out;
	}
	if ((*out)->type != RFC8181_REPLY) {
		log_err("%s: the signed answer is a query, not a reply (RFC "
		    "8181 section 2.1)%s", what, maybe);
		rc = PUSH_EXIT_UNVERIFIED;
		goto out;
	}
	success = (*out)->npdus == 1 && (*out)->pdus[0].type == PDU_SUCCESS;
	if ((age = push_state_reply_age(p->state, v.signing_time, v.digest,
	    success, err, sizeof(err))) != PUSH_REPLY_NEW) {
		if (age == PUSH_REPLY_SAME && same != NULL)
			*same = 1;
		else
			log_err("%s: %s; it is not trusted%s", what, err,
			    maybe);
		rc = PUSH_EXIT_UNVERIFIED;
		goto out;
	}
	push_state_reply_accept(p->state, v.signing_time, v.digest, success);
	if (push_state_save(p->dir, p->state) == -1)
		log_warn("%s: the reply could not be recorded in %s/"
		    PUSH_FILE_STATE ": a replay of it would not be recognised "
		    "as one", what, p->dir);
	rc = PUSH_OK;
 out:
	if (rc != PUSH_OK) {
		rfc8181_msg_free(*out);
		*out = NULL;
	}
	free(der);
	free(v.content);
	buf_free(&body);
	return rc;
}

static const char *
pdu_name(enum rfc8181_pdu_type t)
{
	switch (t) {
	case PDU_PUBLISH:
		return "publish";
	case PDU_WITHDRAW:
		return "withdraw";
	case PDU_LIST:
		return "list";
	case PDU_SUCCESS:
		return "success";
	default:
		return "report_error";
	}
}

/*
 * A reply holding report_error PDUs: log each (code, text, failed PDU)
 * and return PUSH_EXIT_REFUSED; one carrying another query's tag makes
 * the reply untrusted.  Returns PUSH_OK if there is none.
 */
static enum push_exit
reply_errors(const struct rfc8181_msg *m, const char *tag, const char *what,
    int changes)
{
	const struct rfc8181_pdu	*pdu;
	struct buf			 failed;
	char				 text[QUOTE_LEN], uri[MAX_URI_LENGTH + 4];
	size_t				 i, n = 0;

	for (i = 0; i < m->npdus; i++) {
		pdu = &m->pdus[i];
		if (pdu->type != PDU_REPORT_ERROR)
			continue;
		if (pdu->tag != NULL && strcmp(pdu->tag, tag) != 0) {
			log_err("%s: the reply's report_error carries the tag "
			    "\"%s\", not this query's: not a reply to it",
			    what, xml_printable(text, 64, pdu->tag));
			return PUSH_EXIT_UNVERIFIED;
		}
		n++;
	}
	if (n == 0)
		return PUSH_OK;
	for (i = 0; i < m->npdus; i++) {
		pdu = &m->pdus[i];
		if (pdu->type != PDU_REPORT_ERROR)
			continue;
		xml_printable(text, sizeof(text), pdu->error_text != NULL ?
		    pdu->error_text : "(no error_text)");
		buf_init(&failed);
		if (pdu->has_failed_pdu)
			buf_printf(&failed, " (failed PDU: %s%s%s)",
			    pdu_name(pdu->failed_type), pdu->failed_uri != NULL ?
			    " " : "", pdu->failed_uri != NULL ?
			    xml_printable(uri, sizeof(uri), pdu->failed_uri) :
			    "");
		log_err("%s refused by the server: %s: %s%s", what,
		    rfc8181_error_name(pdu->error), text, failed.len > 0 ?
		    buf_str(&failed) : "");
		buf_free(&failed);
	}
	if (changes)
		log_err("the server applied none of the change (RFC 8181 "
		    "section 2.4: a query is all or nothing)");
	return PUSH_EXIT_REFUSED;
}

void
push_listed_free(struct push_listed *l, size_t n)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		free(l[i].uri);
	free(l);
}

int
push_reply_listed(struct rfc8181_msg *m, const char *tag,
    const char *sia_base, struct push_listed **listed, size_t *nlisted,
    char *err, size_t errlen)
{
	struct push_listed	*l = NULL;
	char			 why[256], q[MAX_URI_LENGTH + 4];
	size_t			 i, n = 0;
	int			 rc = -1;

	*listed = NULL;
	*nlisted = 0;
	l = xcalloc(m->npdus > 0 ? m->npdus : 1, sizeof(*l));
	for (i = 0; i < m->npdus; i++) {
		if (m->pdus[i].type != PDU_LIST) {
			snprintf(err, errlen, "the reply holds <%s>, not only "
			    "<list/> PDUs (RFC 8181 section 2.3)",
			    pdu_name(m->pdus[i].type));
			goto out;
		}
		/* An untagged <list/> is any list reply's; a tagged one ours. */
		if (m->pdus[i].tag != NULL && strcmp(m->pdus[i].tag, tag) !=
		    0) {
			snprintf(err, errlen, "the reply's <list/> carries the "
			    "tag \"%s\", not this query's: not a reply to it",
			    xml_printable(q, 64, m->pdus[i].tag));
			goto out;
		}
		/* Nothing outside our jail may end up in a withdraw. */
		if (uri_in_jail(m->pdus[i].uri, sia_base, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "the reply lists %s: %s",
			    xml_printable(q, sizeof(q), m->pdus[i].uri), why);
			goto out;
		}
		l[n].uri = m->pdus[i].uri;
		m->pdus[i].uri = NULL;
		memcpy(l[n++].hash, m->pdus[i].hash, 32);
	}
	*listed = l;
	*nlisted = n;
	l = NULL;
	rc = 0;
 out:
	push_listed_free(l, n);
	return rc;
}

enum push_exit
push_query_list(struct push_peer *p, struct push_listed **listed,
    size_t *nlisted)
{
	struct rfc8181_msg	*m = NULL;
	struct buf		 xml;
	char			 tag[PUSH_TAG_LEN + 1], why[MAX_URI_LENGTH + 300];
	int			 same = 0, asked = 0;
	enum push_exit		 rc;

	*listed = NULL;
	*nlisted = 0;
	buf_init(&xml);
	/*
	 * Servers sign deterministically, and a list reply may carry no
	 * tag: two honest list replies of one content in one second are the
	 * same bytes, which the replay check refuses.  A query that changes
	 * nothing is asked once more a second later, so an honest server's
	 * reply has a later signing-time; a replaying attacker's does not.
	 */
	for (;;) {
		new_tag(tag);
		buf_free(&xml);
		rfc8181_write_begin(&xml, RFC8181_QUERY);
		rfc8181_write_list_query(&xml, tag);
		rfc8181_write_end(&xml);
		/* The second time, the same reply is refused (logged). */
		rc = exchange(p, &xml, "list query", 0, &m, asked++ == 0 ?
		    &same : NULL);
		if (rc == PUSH_OK || !same || asked > 1)
			break;
		log_info("list query: the reply is the one accepted last (the "
		    "same list signed in the same second, or a replay): "
		    "asking again in a second");
		sleep(1);
	}
	if (rc != PUSH_OK)
		goto out;
	if ((rc = reply_errors(m, tag, "list query", 0)) != PUSH_OK)
		goto out;
	if (push_reply_listed(m, tag, p->resp->sia_base, listed, nlisted,
	    why, sizeof(why)) == -1) {
		log_err("list query: %s", why);
		rc = PUSH_EXIT_UNVERIFIED;
		goto out;
	}
	rc = PUSH_OK;
 out:
	rfc8181_msg_free(m);
	buf_free(&xml);
	return rc;
}

enum push_exit
push_query_change(struct push_peer *p, const struct push_plan *plan,
    const char *root)
{
	const struct push_change	*c;
	struct rfc8181_msg		*m = NULL;
	struct buf			 xml;
	uint8_t				*content;
	char				 tag[PUSH_TAG_LEN + 1], err[1024];
	size_t				 i;
	enum push_exit			 rc = PUSH_EXIT_LOCAL;

	new_tag(tag);
	buf_init(&xml);
	rfc8181_write_begin(&xml, RFC8181_QUERY);
	for (i = 0; i < plan->nchanges; i++) {
		c = &plan->changes[i];
		if (c->action == PUSH_WITHDRAW) {
			rfc8181_write_withdraw(&xml, c->uri, c->old_hash, tag);
		} else {
			if ((content = push_tree_read(root, c->file, err,
			    sizeof(err))) == NULL) {
				log_err("%s", err);
				goto out;
			}
			rfc8181_write_publish(&xml, c->uri, c->action ==
			    PUSH_REPLACE ? c->old_hash : NULL, content,
			    c->file->size, tag);
			free(content);
		}
		/* The signed query is larger still: stop early. */
		if (xml.len > p->max_body) {
			log_err("the change query is over %zu bytes after %zu "
			    "of its %zu PDUs, over the server's limit of %zu "
			    "bytes (--max-body; rpkipubd's max_body): nothing "
			    "was sent", xml.len, i + 1, plan->nchanges,
			    p->max_body);
			goto out;
		}
	}
	rfc8181_write_end(&xml);
	/*
	 * A <success/> must be signed later than the last one accepted
	 * (push_state_reply_age).  When the reply accepted last (the list
	 * reply of this sync) was signed in that same second, an honest
	 * server could answer within it: wait a second, so its clock is
	 * past it when it signs.
	 */
	if (p->state->last_success_signing_time != 0 &&
	    p->state->last_reply_signing_time <=
	    p->state->last_success_signing_time) {
		log_debug("change query: the last <success/> was signed in the "
		    "second of the last reply; waiting a second");
		sleep(1);
	}
	if ((rc = exchange(p, &xml, "change query", 1, &m, NULL)) != PUSH_OK)
		goto out;
	if ((rc = reply_errors(m, tag, "change query", 1)) != PUSH_OK)
		goto out;
	if (m->npdus != 1 || m->pdus[0].type != PDU_SUCCESS) {
		log_err("change query: the reply holds %zu PDUs%s%s%s, not "
		    "one <success/> (RFC 8181 section 2.4); the change may or "
		    "may not have been applied: run sync again", m->npdus,
		    m->npdus > 0 ? ", the first <" : "", m->npdus > 0 ?
		    pdu_name(m->pdus[0].type) : "", m->npdus > 0 ? ">" : "");
		rc = PUSH_EXIT_UNVERIFIED;
		goto out;
	}
	rc = PUSH_OK;
 out:
	rfc8181_msg_free(m);
	buf_free(&xml);
	return rc;
}
