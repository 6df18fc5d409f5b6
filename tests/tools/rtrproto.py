#!/usr/bin/env python3
"""A scripted RTR router for tests: raw PDUs in, decoded PDUs out.

Written for rpkipub's rtrd tests from RFC 8210 section 5 and
draft-ietf-sidrops-8210bis (ASPA, version 2).  Used as a module by
tests/integration/rtr_protocol.py and from the shell:

    rtrproto.py dump HOST PORT VERSION   # Reset Query, print the payload
"""
import socket
import struct
import sys
import time

SERIAL_NOTIFY, SERIAL_QUERY, RESET_QUERY, CACHE_RESPONSE = 0, 1, 2, 3
IPV4, IPV6, END_OF_DATA, CACHE_RESET, ROUTER_KEY = 4, 6, 7, 8, 9
ERROR_REPORT, ASPA = 10, 11
NAMES = {0: "notify", 1: "serial_query", 2: "reset_query", 3: "cache_response",
         4: "ipv4", 6: "ipv6", 7: "eod", 8: "cache_reset", 9: "router_key",
         10: "error", 11: "aspa"}


class Closed(Exception):
    pass


class Pdu:
    def __init__(self, raw):
        self.raw = raw
        self.version, self.type, self.field, self.length = struct.unpack(
            "!BBHI", raw[:8])
        self.name = NAMES.get(self.type, "type%d" % self.type)
        body = raw[8:]
        if self.type in (SERIAL_NOTIFY, SERIAL_QUERY):
            self.serial, = struct.unpack("!I", body[:4])
        elif self.type == END_OF_DATA:
            self.serial, = struct.unpack("!I", body[:4])
            self.timers = struct.unpack("!III", body[4:16]) if self.version else None
        elif self.type in (IPV4, IPV6):
            self.flags, self.plen, self.maxlen = body[0], body[1], body[2]
            alen = 4 if self.type == IPV4 else 16
            fam = socket.AF_INET if self.type == IPV4 else socket.AF_INET6
            self.prefix = socket.inet_ntop(fam, body[4:4 + alen])
            self.asn, = struct.unpack("!I", body[4 + alen:8 + alen])
        elif self.type == ROUTER_KEY:
            self.flags = self.field >> 8
            self.ski = body[:20].hex()
            self.asn, = struct.unpack("!I", body[20:24])
            self.spki = body[24:]
        elif self.type == ASPA:
            self.flags = self.field >> 8
            self.customer, = struct.unpack("!I", body[:4])
            n = (len(body) - 4) // 4
            self.providers = list(struct.unpack("!%dI" % n, body[4:]))
        elif self.type == ERROR_REPORT:
            self.code = self.field
            n, = struct.unpack("!I", body[:4])
            self.inner = body[4:4 + n]
            tl, = struct.unpack("!I", body[4 + n:8 + n])
            self.text = body[8 + n:8 + n + tl].decode("utf-8", "replace")

    def key(self):
        """The payload record as a comparable tuple (without the flag)."""
        if self.type in (IPV4, IPV6):
            return ("vrp", self.prefix, self.plen, self.maxlen, self.asn)
        if self.type == ROUTER_KEY:
            return ("key", self.ski, self.asn, self.spki.hex())
        if self.type == ASPA:
            return ("aspa", self.customer)
        return None

    def __repr__(self):
        return "<%s v%d len %d>" % (self.name, self.version, self.length)


def header(version, ptype, field, length):
    return struct.pack("!BBHI", version, ptype, field, length)


def reset_query(v):
    return header(v, RESET_QUERY, 0, 8)


def serial_query(v, session, serial):
    return header(v, SERIAL_QUERY, session, 12) + struct.pack("!I", serial)


def error_report(v, code, inner, text):
    t = text.encode()
    return (header(v, ERROR_REPORT, code, 16 + len(inner) + len(t)) +
            struct.pack("!I", len(inner)) + inner + struct.pack("!I", len(t)) + t)


class Router:
    def __init__(self, host, port, timeout=10.0, rcvbuf=None):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect((host, port))
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def pdu(self):
        """The next PDU; Closed at end of stream, socket.timeout if none."""
        while True:
            if len(self.buf) >= 8:
                n, = struct.unpack("!I", self.buf[4:8])
                if len(self.buf) >= n:
                    raw, self.buf = self.buf[:n], self.buf[n:]
                    return Pdu(raw)
            data = self.s.recv(1 << 20)
            if not data:
                raise Closed()
            self.buf += data

    def response(self):
        """PDUs up to and including End of Data, Cache Reset or Error."""
        out = []
        while True:
            p = self.pdu()
            out.append(p)
            if p.type in (END_OF_DATA, CACHE_RESET, ERROR_REPORT):
                return out

    def closed_within(self, seconds):
        """True if the cache closes the connection within seconds."""
        end = time.time() + seconds
        old = self.s.gettimeout()
        self.s.settimeout(0.2)
        try:
            while time.time() < end:
                try:
                    data = self.s.recv(1 << 20)
                    if not data:
                        return True
                    self.buf += data
                except socket.timeout:
                    continue
                except ConnectionResetError:
                    return True
            return False
        finally:
            self.s.settimeout(old)

    def close(self):
        self.s.close()


def payload(pdus):
    """Apply a response's records to an empty view: set of keys."""
    view = {}
    for p in pdus:
        k = p.key()
        if k is None:
            continue
        if p.flags & 1:
            view[k] = p
        else:
            view.pop(k, None)
    return view


def fmt(p):
    if p.type in (IPV4, IPV6):
        return "vrp %s/%d-%d AS%d" % (p.prefix, p.plen, p.maxlen, p.asn)
    if p.type == ROUTER_KEY:
        return "key %s AS%d %s" % (p.ski, p.asn, p.spki.hex())
    if p.type == ASPA:
        return "aspa AS%d %s" % (p.customer,
                                 ",".join("AS%d" % a for a in p.providers))
    return repr(p)


def main():
    if len(sys.argv) != 5 or sys.argv[1] != "dump":
        print(__doc__, file=sys.stderr)
        return 2
    r = Router(sys.argv[2], int(sys.argv[3]))
    r.send(reset_query(int(sys.argv[4])))
    pdus = r.response()
    if pdus[-1].type != END_OF_DATA:
        print("no End of Data: %r" % pdus[-1], file=sys.stderr)
        return 1
    for line in sorted(fmt(p) for p in payload(pdus).values()):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
