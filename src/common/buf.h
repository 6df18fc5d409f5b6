/*
 * A growable byte buffer.  Allocation failure is fatal (fatalx): these
 * buffers only ever hold data whose size was already bounded by a limit.
 */
#ifndef RPKIPUB_BUF_H
#define RPKIPUB_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t	*data;
	size_t	 len;
	size_t	 cap;
};

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);		/* frees the data, keeps b */
void	 buf_reserve(struct buf *, size_t);	/* room for n more bytes */
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_addc(struct buf *, char);
void	 buf_adds(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Append s with the five XML special characters escaped. */
void	 buf_add_xml(struct buf *, const char *, size_t);
/* NUL-terminate (not counted in len) and return the data as a string. */
char	*buf_str(struct buf *);
/* Hand the data to the caller (who frees it); b is left empty. */
uint8_t	*buf_release(struct buf *, size_t *);

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);

#endif
