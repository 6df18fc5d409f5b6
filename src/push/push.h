/*
 * rpkipub-push: an RFC 8181 publisher that makes a publication point
 * equal to a local directory.  The commands of src/cmd/rpkipub-push.c.
 *
 *   init       a BPKI identity and its RFC 8183 publisher_request
 *   configure  store the server's repository_response
 *   sync       list query, difference by hash, one multi-PDU query
 *              (BCP section 4.4)
 *   list       what the server holds
 *   status     the state directory, without the network
 *
 * Each returns its exit status.  Results go to stdout, errors to the log
 * (stderr).
 */
#ifndef RPKIPUB_PUSH_H
#define RPKIPUB_PUSH_H

#include <stddef.h>

/* Exit statuses, as rpkipub-push --help documents them. */
enum push_exit {
	PUSH_OK = 0,
	PUSH_EXIT_LOCAL = 1,	/* usage, state, local files: nothing sent */
	PUSH_EXIT_REFUSED = 2,	/* the server answered report_error */
	PUSH_EXIT_TRANSPORT = 3, /* no usable answer: connection, HTTP */
	PUSH_EXIT_UNVERIFIED = 4 /* an answer that does not verify, or that
				    is not a reply to the query sent */
};

struct push_opts {
	const char	*state_dir;
	unsigned int	 timeout;	/* seconds, one query and its reply */
	size_t		 max_object;	/* largest file published */
	size_t		 max_body;	/* largest signed query sent */
	const char	*tls_ca;	/* CA file for https, or NULL */
	int		 dry_run;	/* sync: plan only */
	unsigned int	 max_withdraw;	/* sync: percent of the listed objects */
	int		 allow_mass_withdraw; /* sync: no mass-withdraw rule */
	int		 verify;	/* sync: list again after a change */
};

int	push_cmd_init(const struct push_opts *, const char *handle);
int	push_cmd_configure(const struct push_opts *, const char *response);
int	push_cmd_sync(const struct push_opts *, const char *src);
int	push_cmd_list(const struct push_opts *);
int	push_cmd_status(const struct push_opts *);

#endif
