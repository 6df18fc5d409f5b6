#!/usr/bin/env python3
"""Route origin validation probes for a router that only shows verdicts.

OpenBGPD keeps the VRPs it learns over RTR in a ROA set that bgpctl shows
only as counts ("show sets"), but it marks every route it receives with
its origin validation state (RFC 6811: valid, invalid, not-found), shown
by "bgpctl show rib in".  Routes whose verdicts depend on the VRPs, fed
to it over BGP, therefore show whether it holds the right VRPs.

  ovsprobe.py routes JSON            BIRD static protocols announcing the
                                     probes (each with its origin AS
                                     prepended), to stdout
  ovsprobe.py expect JSON PROBES     "prefix origin state" lines the
                                     router must show, computed from the
                                     VRPs of JSON (rpki-client JSON)
  ovsprobe.py parse                  the same lines from "bgpctl show rib
                                     in" on stdin

The probes are chosen from the VRPs of the JSON given to "routes" and
written to stdout after the BIRD config as comment lines, so "expect" can
read them back from the config file: for a spread of VRPs, the VRP's own
prefix with its AS (valid) and with another AS (invalid), a prefix one
bit longer than maxLength (invalid), and prefixes no VRP covers
(not-found).  Computed again for a changed JSON, the same probes show
whether the router followed the change.
"""
import ipaddress
import json
import re
import sys

FEED_AS = 64500     # the AS of the BGP speaker that announces the probes
SPREAD = 24         # VRPs the probes are made from
# Never covered by the VRPs of tests/tools/genvrps.py (11.0.0.0/24
# upwards and 2001:X:Y::/48, X the VRP's number >> 16) below 5 million.
UNCOVERED = ["100.64.0.0/16", "192.0.2.0/24", "2001:db9:1::/48"]


def vrps(path):
    d = json.load(open(path))
    out = []
    for r in d["roas"]:
        asn = r["asn"] if isinstance(r["asn"], int) else int(r["asn"][2:])
        out.append((ipaddress.ip_network(r["prefix"]), r["maxLength"], asn))
    return out


def verdict(vs, net, origin):
    """RFC 6811 section 2."""
    covered = False
    for vnet, maxlen, asn in vs:
        if vnet.version != net.version or not net.subnet_of(vnet):
            continue
        covered = True
        if asn == origin and asn != 0 and net.prefixlen <= maxlen:
            return "valid"
    return "invalid" if covered else "not-found"


def probes(vs):
    step = max(1, len(vs) // SPREAD)
    out = []
    for net, maxlen, asn in vs[::step][:SPREAD]:
        out.append((net, asn))
        out.append((net, asn + 1))
        if maxlen < net.max_prefixlen:
            longer = next(net.subnets(new_prefix=maxlen + 1))
            out.append((longer, asn))
    for p in UNCOVERED:
        out.append((ipaddress.ip_network(p), FEED_AS + 1))
    # One probe per prefix: BGP keeps a single route per prefix.
    seen, uniq = set(), []
    for net, origin in out:
        if net not in seen:
            seen.add(net)
            uniq.append((net, origin))
    return uniq


def cmd_routes(path):
    ps = probes(vrps(path))
    for ver, name in ((4, "ipv4"), (6, "ipv6")):
        print("protocol static probes%d {\n\t%s;" % (ver, name))
        for net, origin in ps:
            if net.version != ver:
                continue
            attr = ""
            if origin != FEED_AS:
                attr = " { bgp_path.prepend(%d); }" % origin
            print("\troute %s unreachable%s;" % (net, attr))
        print("}")
    for net, origin in ps:
        print("# probe %s %d" % (net, origin))


def cmd_expect(path, probe_file):
    vs = vrps(path)
    lines = []
    for line in open(probe_file):
        m = re.match(r"# probe (\S+) (\d+)$", line.strip())
        if m:
            net = ipaddress.ip_network(m.group(1))
            origin = int(m.group(2))
            lines.append("%s %d %s" % (net, origin, verdict(vs, net, origin)))
    print("\n".join(sorted(lines)))


STATE = {"V": "valid", "!": "invalid", "N": "not-found"}
RIB = re.compile(r"^\s*(?:[*>IASE]+\s+)?([VN!])\s+(\S+)\s+\S+\s+\d+\s+\d+"
                 r"\s+([\d ]+?)\s+[ie?]\s*$")


def cmd_parse():
    lines = []
    for line in sys.stdin:
        m = RIB.match(line)
        if m:
            origin = int(m.group(3).split()[-1])
            lines.append("%s %d %s" % (m.group(2), origin, STATE[m.group(1)]))
    print("\n".join(sorted(lines)))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "routes":
        cmd_routes(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "expect":
        cmd_expect(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 2 and sys.argv[1] == "parse":
        cmd_parse()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
