/*
 * ADDR:PORT listen addresses: IPv4 "192.0.2.1:80" or IPv6 "[2001:db8::1]:80",
 * numeric only (a listener never waits for DNS).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "addr.h"

int
addr_parse(const char *s, struct sockaddr_storage *ss,
    socklen_t *len)
{
	char		 host[64];
	const char	*colon;
	char		*end;
	long		 port;
	size_t		 hlen;

	memset(ss, 0, sizeof(*ss));
	if ((colon = strrchr(s, ':')) == NULL)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port < 0 || port > 65535)
		return -1;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

		if (hlen - 2 >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hlen - 2);
		host[hlen - 2] = '\0';
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	} else {
		struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

		if (hlen >= sizeof(host))
			return -1;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
}
