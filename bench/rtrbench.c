/*
 * rtrbench: many RTR routers at once against one cache, for the
 * side-by-side benchmark of rtrd and StayRTR (bench/run-rtrbench.sh).
 *
 *   rtrbench --port P [--host H] [--routers N] [--version V]
 *            [--timeout S] [--update-cmd CMD]
 *
 * Opens N connections, sends a Reset Query on each and reads until End
 * of Data (PDUs are framed by their length; payload PDUs counted).  With
 * --update-cmd, once all are synchronised it runs CMD (which changes the
 * cache's input), waits for a Serial Notify on every connection, answers
 * each with a Serial Query and reads the update to End of Data.
 * Prints one line of figures; exit 0 if every router finished in time.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pdu.h"

enum rstate { R_CONNECTING, R_FULL, R_SYNCED, R_UPDATING, R_DONE, R_FAILED };

struct router {
	int		 fd;
	enum rstate	 st;
	/*
	 * The start of a PDU that the last read cut off.  Reads go to one
	 * buffer shared by all routers (rbuf) that stays in the CPU's cache;
	 * a buffer per router (1,000 of 1 MB) made the kernel's copy and
	 * the parse miss it, and the load generator, not the cache under
	 * test, set the pace (measured with perf: 27% of its time in the
	 * parse, 17% in the copy).
	 */
	uint8_t		*carry;
	size_t		 len, cap;
	uint16_t	 session;
	uint32_t	 serial;
	size_t		 payload;	/* payload PDUs in the last response */
	double		 t_done;
};

/* The shared read buffer: a carried PDU start plus one read. */
#define RBUF_READ	(256 * 1024)
#define MAX_PDU		(1u << 20)
static uint8_t		*rbuf;

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
send_pdu(struct router *r, const uint8_t *p, size_t n)
{
	if (write(r->fd, p, n) != (ssize_t)n)
		r->st = R_FAILED;
}

/*
 * Consume the whole PDUs of buf[0..len); the incomplete rest is kept in
 * r->carry.  Returns 1 when r reached End of Data.
 */
static int
consume(struct router *r, const uint8_t *buf, size_t len, int v,
    size_t *notifies)
{
	size_t		off = 0;
	uint32_t	plen;
	uint8_t		type;
	int		eod = 0;

	while (len - off >= 8) {
		/*
		 * Prefix PDUs are nearly all of a dump: their type and length
		 * checked against the two fixed sizes without a byte swap.
		 */
		while (len - off >= 32) {
			uint32_t	raw;

			memcpy(&raw, buf + off + 4, 4);
			if (buf[off + 1] == RTR_IPV4_PREFIX && raw == htonl(20))
				off += 20;
			else if (buf[off + 1] == RTR_IPV6_PREFIX &&
			    raw == htonl(32))
				off += 32;
			else
				break;
			r->payload++;
		}
		if (len - off < 8)
			break;
		memcpy(&plen, buf + off + 4, 4);
		plen = ntohl(plen);
		if (plen < 8 || plen > MAX_PDU) {
			r->st = R_FAILED;
			return 0;
		}
		if (len - off < plen)
			break;
		type = buf[off + 1];
		/* The common case first: one test, no table jump. */
		if (type == RTR_IPV4_PREFIX || type == RTR_IPV6_PREFIX) {
			r->payload++;
			off += plen;
			continue;
		}
		switch (type) {
		case RTR_CACHE_RESPONSE:
			memcpy(&r->session, buf + off + 2, 2);
			r->session = ntohs(r->session);
			r->payload = 0;
			break;
		case RTR_ROUTER_KEY: case RTR_ASPA:
			r->payload++;
			break;
		case RTR_END_OF_DATA:
			memcpy(&r->serial, buf + off + 8, 4);
			r->serial = ntohl(r->serial);
			eod = 1;
			break;
		case RTR_SERIAL_NOTIFY:
			if (r->st == R_SYNCED) {
				uint8_t	q[12] = { (uint8_t)v, RTR_SERIAL_QUERY };
				uint16_t s = htons(r->session);
				uint32_t l = htonl(12), ser = htonl(r->serial);

				memcpy(q + 2, &s, 2);
				memcpy(q + 4, &l, 4);
				memcpy(q + 8, &ser, 4);
				send_pdu(r, q, sizeof(q));
				r->st = R_UPDATING;
				(*notifies)++;
			}
			break;
		case RTR_ERROR_REPORT:
		case RTR_CACHE_RESET:
			r->st = R_FAILED;
			return 0;
		}
		off += plen;
	}
	r->len = len - off;
	if (r->len > r->cap) {
		r->cap = r->len;
		r->carry = realloc(r->carry, r->cap);
	}
	memcpy(r->carry, buf + off, r->len);
	return eod;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "routers", required_argument, NULL, 'n' },
		{ "version", required_argument, NULL, 'v' },
		{ "timeout", required_argument, NULL, 't' },
		{ "update-cmd", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	struct epoll_event	 evs[512], ev;
	struct sockaddr_in	 sin;
	struct router		*rs, *r;
	const char		*host = "127.0.0.1", *update = NULL;
	double			 t0, t_synced = 0, t_update = 0, t_first_notify = 0;
	double			 deadline;
	size_t			 synced = 0, done = 0, notifies = 0, payload = 0;
	ssize_t			 nr;
	int			 port = 0, n = 1, v = 1, timeout = 600, c, i, k, ep;
	uint8_t			 reset[8] = { 0, RTR_RESET_QUERY, 0, 0, 0, 0, 0, 8 };

	while ((c = getopt_long(argc, argv, "H:p:n:v:t:u:", opts, NULL)) != -1) {
		switch (c) {
		case 'H': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 'v': v = atoi(optarg); break;
		case 't': timeout = atoi(optarg); break;
		case 'u': update = optarg; break;
		default:
			fprintf(stderr, "usage: rtrbench --port P [--host H] "
			    "[--routers N] [--version V] [--timeout S] "
			    "[--update-cmd CMD]\n");
			return 2;
		}
	}
	if (port <= 0 || n < 1)
		return 2;
	reset[0] = (uint8_t)v;
	rs = calloc((size_t)n, sizeof(*rs));
	rbuf = malloc(MAX_PDU + RBUF_READ);
	ep = epoll_create1(0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &sin.sin_addr);
	t0 = now();
	deadline = t0 + timeout;
	for (i = 0; i < n; i++) {
		r = &rs[i];
		r->cap = 64;
		r->carry = malloc(r->cap);
		r->fd = socket(AF_INET, SOCK_STREAM, 0);
		if (r->fd == -1 || connect(r->fd, (struct sockaddr *)&sin,
		    sizeof(sin)) == -1) {
			perror("connect");
			return 1;
		}
		fcntl(r->fd, F_SETFL, O_NONBLOCK);
		r->st = R_FULL;
		send_pdu(r, reset, sizeof(reset));
		ev.events = EPOLLIN;
		ev.data.ptr = r;
		epoll_ctl(ep, EPOLL_CTL_ADD, r->fd, &ev);
	}
	while (now() < deadline) {
		if (update && t_update == 0 && synced == (size_t)n) {
			t_synced = now();
			t_update = now();
			if (system(update) != 0)
				fprintf(stderr, "rtrbench: update command failed\n");
		}
		if ((update ? done : synced) == (size_t)n)
			break;
		k = epoll_wait(ep, evs, 512, 200);
		for (i = 0; i < k; i++) {
			r = evs[i].data.ptr;
			if (r->st == R_FAILED)
				continue;
			memcpy(rbuf, r->carry, r->len);
			nr = read(r->fd, rbuf + r->len, RBUF_READ);
			if (nr <= 0) {
				if (nr == -1 && errno == EAGAIN)
					continue;
				r->st = R_FAILED;
				continue;
			}
			size_t before = notifies;
			if (consume(r, rbuf, r->len + (size_t)nr, v, &notifies)) {
				if (r->st == R_FULL) {
					r->st = R_SYNCED;
					payload = r->payload;
					synced++;
				} else if (r->st == R_UPDATING) {
					r->st = R_DONE;
					r->t_done = now();
					done++;
				}
			}
			if (notifies > before && t_first_notify == 0)
				t_first_notify = now();
		}
	}
	if (!update) {
		printf("routers=%d synced=%zu payload_pdus=%zu seconds=%.3f\n",
		    n, synced, payload, now() - t0);
		return synced == (size_t)n ? 0 : 1;
	}
	printf("routers=%d synced=%zu full_seconds=%.3f updated=%zu "
	    "update_pdus=%zu seconds_from_change=%.3f seconds_from_first_notify=%.3f\n",
	    n, synced, t_synced - t0, done, rs[0].payload,
	    now() - t_update, t_first_notify ? now() - t_first_notify : -1.0);
	return done == (size_t)n ? 0 : 1;
}
