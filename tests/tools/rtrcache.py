#!/usr/bin/python3
"""A scripted RTR cache for rtrwatch's tests: one way of misbehaving
(or of behaving well, then going away) per run.

    rtrcache.py --port PORT --scenario NAME [--timers R/T/E[,R/T/E...]]
                [--log FILE]

Written from RFC 8210 section 5 and draft-ietf-sidrops-8210bis (PDU
layouts in tests/tools/rtrproto.py).  Answers in the version of the
router's query.  Scenarios:

    timers   every Reset Query: Cache Response, one IPv4 Prefix, End of
             Data with the next --timers of the list (the last one
             repeats); logs the Error Report the router sends back
    session  Cache Response of session 9, End of Data of session 10
    notify   the first Reset Query: a Serial Notify for serial 2 in the
             middle of the response, End of Data serial 1; a Serial
             Query for serial 1 then gets the update to serial 2
    sigpipe  a full set, then (0.3 s later) Serial Notify and Cache
             Reset, a FIN and a TCP reset before the router's queries
             arrive
    gone     the first Reset Query: a full set with --timers, then the
             connection closed (0.5 s later); every later connection
             closed at once
    aspas    1,000,001 ASPAs, one customer each (one over RTR_MAX_ASPAS),
             in a full set
    spki     one Router Key with a 1025-byte SPKI (RTR_MAX_SPKI_LEN 1024)

Log lines (flushed): "accept N", "reset vV", "serial vV S", "error C
echo=eod|other TEXT", "closed".  Test tooling only: binds 127.0.0.1.
"""
import argparse
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtrproto as rp  # noqa: E402

LOG = sys.stdout


def note(line):
    LOG.write(line + "\n")
    LOG.flush()


def cache_response(v, sid):
    return rp.header(v, rp.CACHE_RESPONSE, sid, 8)


def end_of_data(v, sid, serial, timers=(3600, 600, 7200)):
    if v == 0:
        return rp.header(0, rp.END_OF_DATA, sid, 12) + struct.pack("!I", serial)
    return rp.header(v, rp.END_OF_DATA, sid, 24) + struct.pack(
        "!IIII", serial, *timers)


def prefix4(v, addr, plen, asn, flags=1):
    return (rp.header(v, rp.IPV4, 0, 20) + bytes([flags, plen, plen, 0]) +
            socket.inet_aton(addr) + struct.pack("!I", asn))


def serial_notify(v, sid, serial):
    return rp.header(v, rp.SERIAL_NOTIFY, sid, 12) + struct.pack("!I", serial)


def aspa(v, customer, providers):
    return (rp.header(v, rp.ASPA, 1 << 8, 12 + 4 * len(providers)) +
            struct.pack("!I%dI" % len(providers), customer, *providers))


def router_key(v, asn, spki):
    return (rp.header(v, rp.ROUTER_KEY, 1 << 8, 32 + len(spki)) + b"\x11" * 20 +
            struct.pack("!I", asn) + spki)


class Conn:
    def __init__(self, s):
        self.s = s
        self.buf = b""
        self.s.settimeout(10)

    def pdu(self):
        """The next PDU from the router, or None at end of stream."""
        while True:
            if len(self.buf) >= 8:
                n, = struct.unpack("!I", self.buf[4:8])
                if len(self.buf) >= n:
                    raw, self.buf = self.buf[:n], self.buf[n:]
                    return rp.Pdu(raw)
            try:
                data = self.s.recv(1 << 16)
            except (socket.timeout, ConnectionResetError):
                data = b""
            if not data:
                return None
            self.buf += data

    def query(self):
        """The router's next query, logged; Error Reports are logged and
        returned too (None at end of stream)."""
        p = self.pdu()
        if p is None:
            note("closed")
        elif p.type == rp.RESET_QUERY:
            note("reset v%d" % p.version)
        elif p.type == rp.SERIAL_QUERY:
            note("serial v%d %d" % (p.version, p.serial))
        elif p.type == rp.ERROR_REPORT:
            what = "eod" if self.last_eod is not None and \
                p.inner == self.last_eod else "other"
            note("error %d echo=%s %s" % (p.code, what, p.text))
        else:
            note("pdu %s" % p.name)
        return p

    last_eod = None

    def send(self, data):
        self.s.sendall(data)

    def close(self):
        self.s.close()


def serve_timers(c, n, args):
    p = c.query()
    while p is not None and p.type == rp.RESET_QUERY:
        v = p.version
        t = args.timers[min(args.answered, len(args.timers) - 1)]
        args.answered += 1
        c.last_eod = end_of_data(v, 7, 1, t)
        c.send(cache_response(v, 7) + prefix4(v, "192.0.2.0", 24, 64496) +
               c.last_eod)
        p = c.query()
    # Whatever came last (an Error Report, end of stream) is logged.


def serve_session(c, n, args):
    p = c.query()
    if p is not None and p.type == rp.RESET_QUERY:
        v = p.version
        c.last_eod = end_of_data(v, 10, 1)
        c.send(cache_response(v, 9) + prefix4(v, "192.0.2.0", 24, 64496) +
               c.last_eod)
        c.query()


def serve_notify(c, n, args):
    p = c.query()
    if p is None or p.type != rp.RESET_QUERY:
        return
    v = p.version
    c.send(cache_response(v, 7) + prefix4(v, "192.0.2.0", 24, 64496) +
           serial_notify(v, 7, 2) + prefix4(v, "198.51.100.0", 24, 64497) +
           end_of_data(v, 7, 1))
    p = c.query()
    while p is not None and p.type == rp.SERIAL_QUERY:
        if p.serial == 1:
            c.send(cache_response(v, 7) +
                   prefix4(v, "203.0.113.0", 24, 64498) + end_of_data(v, 7, 2))
        else:
            c.send(cache_response(v, 7) + end_of_data(v, 7, p.serial))
        p = c.query()


def serve_sigpipe(c, n, args):
    p = c.query()
    if p is None or p.type != rp.RESET_QUERY:
        return
    v = p.version
    c.send(cache_response(v, 7) + prefix4(v, "192.0.2.0", 24, 64496) +
           end_of_data(v, 7, 1))
    time.sleep(0.3)
    # Notify and Cache Reset in one segment, a FIN, then at once a reset
    # (linger 0).  The router reads both PDUs, but its socket was in
    # CLOSE_WAIT when the reset came: its next write fails with EPIPE,
    # which is SIGPIPE unless ignored.
    c.send(serial_notify(v, 7, 2) + rp.header(v, rp.CACHE_RESET, 0, 8))
    c.s.shutdown(socket.SHUT_WR)
    c.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                   struct.pack("ii", 1, 0))
    c.close()
    note("reset after Cache Reset")


def serve_gone(c, n, args):
    if args.served:
        c.close()
        return
    p = c.query()           # None: a port probe, not the router
    if p is None or p.type != rp.RESET_QUERY:
        return
    args.served = True
    v = p.version
    c.send(cache_response(v, 7) + prefix4(v, "192.0.2.0", 24, 64496) +
           prefix4(v, "198.51.100.0", 24, 64497) +
           end_of_data(v, 7, 1, args.timers[0]))
    time.sleep(0.5)
    c.close()
    note("gone")


def serve_aspas(c, n, args):
    p = c.query()
    if p is None or p.type != rp.RESET_QUERY:
        return
    v = p.version
    # Distinct customers: a valid set but for its size.
    head = rp.header(v, rp.ASPA, 1 << 8, 16)
    c.send(cache_response(v, 7))
    try:
        for k in range(11):
            c.send(b"".join(head + struct.pack("!II", 1 + i, 65000)
                            for i in range(k * 100000,
                                           min((k + 1) * 100000, 1000001))))
        c.send(end_of_data(v, 7, 1))
    except OSError:
        note("router hung up while sending")
        return
    c.query()


def serve_spki(c, n, args):
    p = c.query()
    if p is None or p.type != rp.RESET_QUERY:
        return
    v = p.version
    c.send(cache_response(v, 7) + router_key(v, 64496, b"\x30" * 1025) +
           end_of_data(v, 7, 1))
    c.query()


SCENARIOS = {"timers": serve_timers, "session": serve_session,
             "notify": serve_notify, "sigpipe": serve_sigpipe,
             "gone": serve_gone, "aspas": serve_aspas, "spki": serve_spki}


def timers_list(s):
    out = []
    for t in s.split(","):
        r, tr, e = (int(x) for x in t.split("/"))
        out.append((r, tr, e))
    return out


def main():
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--scenario", choices=sorted(SCENARIOS), required=True)
    ap.add_argument("--timers", type=timers_list, default=[(3600, 600, 7200)])
    ap.add_argument("--log")
    args = ap.parse_args()
    args.served = False
    args.answered = 0
    if args.log:
        LOG = open(args.log, "a")
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(16)
    n = 0
    while True:
        s, _ = ls.accept()
        note("accept %d" % n)
        c = Conn(s)
        try:
            SCENARIOS[args.scenario](c, n, args)
        except OSError as e:
            note("connection error: %s" % e)
        c.close()
        n += 1


if __name__ == "__main__":
    sys.exit(main())
