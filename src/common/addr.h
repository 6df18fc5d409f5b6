#ifndef RPKIPUB_ADDR_H
#define RPKIPUB_ADDR_H

#include <sys/socket.h>

/*
 * Parse "IPv4:PORT" or "[IPv6]:PORT" (port 0..65535) into ss and len.
 * 0, or -1 if s is not of that form.
 */
int	addr_parse(const char *s, struct sockaddr_storage *ss,
	    socklen_t *len);

#endif
