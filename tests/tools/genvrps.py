#!/usr/bin/env python3
"""Generate rpki-client style JSON for RTR tests and benchmarks.

    genvrps.py --vrps N [--seed S] [--aspas N] [--keys N] [--age SECONDS]

VRP i (0 <= i < N + S) is a fixed function of i; the output holds
i = S .. S + N - 1, so the files for seeds 0 and 1000 share N - 1000 VRPs:
the change between them is 1000 withdrawals and 1000 announcements.
About one VRP in four is IPv6.  Written for rpkipub's tests.
"""
import argparse
import base64
import sys
import time


def vrp(i):
    asn = 64496 + (i * 7919) % 100000
    if i % 4 == 3:
        a, b = (i >> 16) & 0xffff, i & 0xffff
        return '{"asn":%d,"prefix":"2001:%x:%x::/48","maxLength":48,"ta":"bench","expires":4102444800}' % (asn, a, b)
    a, b, c = (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff
    return '{"asn":%d,"prefix":"%d.%d.%d.0/24","maxLength":%d,"ta":"bench","expires":4102444800}' % (
        asn, 11 + a, b, c, 24 + (i % 2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vrps", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--aspas", type=int, default=0)
    ap.add_argument("--keys", type=int, default=0)
    ap.add_argument("--age", type=int, default=0)
    o = ap.parse_args()
    out = sys.stdout
    bt = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - o.age))
    out.write('{"metadata":{"buildtime":"%s","vrps":%d},\n"roas":[\n' % (bt, o.vrps))
    chunk = []
    for i in range(o.seed, o.seed + o.vrps):
        chunk.append(vrp(i))
        if len(chunk) == 10000:
            out.write(",\n".join(chunk))
            chunk = []
            if i + 1 < o.seed + o.vrps:
                out.write(",\n")
    out.write(",\n".join(chunk))
    out.write('\n],\n"bgpsec_keys":[')
    # A P-256 SubjectPublicKeyInfo is 91 bytes (RFC 8208); rtrlib
    # refuses other sizes.  The point itself is filler.
    spki_head = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d03010703420004")
    out.write(",".join(
        '{"asn":%d,"ski":"%040x","pubkey":"%s","ta":"bench","expires":4102444800}'
        % (65000 + k, k + 1, base64.b64encode(spki_head + bytes([k % 256]) * 64).decode())
        for k in range(o.keys)))
    out.write('],\n"aspas":[')
    # The seed moves the provider lists too, so ASPAs change with it.
    out.write(",".join(
        '{"customer_asid":%d,"providers":[%s],"expires":4102444800}'
        % (70000 + a, ",".join(str(80000 + (a + o.seed // 1000 + p) % 50) for p in range(1 + a % 4)))
        for a in range(o.aspas)))
    out.write("]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
