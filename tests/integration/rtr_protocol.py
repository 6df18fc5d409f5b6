#!/usr/bin/env python3
"""rtrd protocol tests with a scripted router (tests/tools/rtrproto.py).

Each PDU type, every error path (bad version, bad length, unknown type,
a PDU a router must not send, version change in a session, Serial Query
for another session, unknown and expired serials), No Data Available
before the first good input, version downgrade, Serial Notify and exact
incremental updates, ASPA only in version 2, serial wrap-around at
2^32 - 1, bad input that must not replace good data, SLURM, SIGHUP, a
router that never reads and one that floods queries.

Environment: BIN, SRC, TMPBASE (set by CTest).  Prints "ok - ..." or
"FAIL - ..." per check; exit status 1 if any failed.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.environ["SRC"], "tests", "tools"))
import rtrproto as rp  # noqa: E402

BIN = os.environ["BIN"]
TMPBASE = os.environ["TMPBASE"]
PASSED = 0
FAILED = 0


def check(cond, what):
    global PASSED, FAILED
    if cond:
        PASSED += 1
        print("ok - %s" % what)
    else:
        FAILED += 1
        print("FAIL - %s" % what)
    sys.stdout.flush()
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def now_rfc3339(offset=0):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))


def write_json(path, vrps, keys=(), aspas=(), age=0, raw=None):
    """vrps: (prefix, maxlen, asn); keys: (ski hex, asn, spki b64);
    aspas: (customer, [providers]).  Written to a temporary name and
    renamed, as rpki-client does."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        if raw is not None:
            f.write(raw)
        else:
            json.dump({
                "metadata": {"buildtime": now_rfc3339(-age)},
                "roas": [{"asn": a, "prefix": p, "maxLength": m, "ta": "test",
                          "expires": 4102444800} for p, m, a in vrps],
                "bgpsec_keys": [{"asn": a, "ski": s, "pubkey": k, "ta": "test",
                                 "expires": 4102444800} for s, a, k in keys],
                "aspas": [{"customer_asid": c, "providers": p,
                           "expires": 4102444800} for c, p in aspas],
            }, f)
    os.rename(tmp, path)


class Rtrd:
    def __init__(self, work, json_path, *args):
        self.port = free_port()
        self.mport = free_port()
        self.log = open(os.path.join(work, "rtrd-%d.log" % self.port), "w")
        self.logpath = self.log.name
        self.p = subprocess.Popen(
            [os.path.join(BIN, "rtrd"), "--json", json_path,
             "--listen", "127.0.0.1:%d" % self.port,
             "--metrics", "127.0.0.1:%d" % self.mport, "--debug"] + list(args),
            stdout=self.log, stderr=self.log)
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.1).close()
                return
            except OSError:
                if self.p.poll() is not None:
                    break
                time.sleep(0.01)
        raise RuntimeError("rtrd did not start; see %s" % self.logpath)

    def router(self, **kw):
        return rp.Router("127.0.0.1", self.port, **kw)

    def metric(self, name):
        text = urllib.request.urlopen(
            "http://127.0.0.1:%d/metrics" % self.mport, timeout=5).read().decode()
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                if line.split()[0] == name or name.endswith("}"):
                    return float(line.split()[-1])
        return None

    def wait_log(self, text, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            with open(self.logpath) as f:
                if text in f.read():
                    return True
            time.sleep(0.05)
        return False

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()
        return self.p.returncode


def reset(r, v):
    r.send(rp.reset_query(v))
    return r.response()


def view_of(pdus):
    return set(rp.payload(pdus).keys())


KEY1 = ("0123456789abcdef0123456789abcdef01234567", 65001,
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")
V1 = [("192.0.2.0/24", 24, 64496), ("2001:db8::/32", 48, 64497),
      ("198.51.100.0/24", 26, 64498)]
ASPA1 = [(64496, [64497, 64498]), (64510, [64511])]


def test_versions_and_updates(work):
    js = os.path.join(work, "a.json")
    write_json(js, V1, [KEY1], ASPA1)
    d = Rtrd(work, js, "--refresh", "120", "--retry", "30", "--expire", "900")
    try:
        views = {}
        for v in (0, 1, 2):
            r = d.router()
            pdus = reset(r, v)
            r.close()
            types = [p.type for p in pdus]
            check(types[0] == rp.CACHE_RESPONSE and types[-1] == rp.END_OF_DATA
                  and all(p.version == v for p in pdus),
                  "v%d Reset Query: Cache Response .. End of Data, all in version %d" % (v, v))
            views[v] = view_of(pdus)
            kinds = sorted(set(k[0] for k in views[v]))
            want = {0: ["vrp"], 1: ["key", "vrp"], 2: ["aspa", "key", "vrp"]}[v]
            check(kinds == want, "v%d full set carries %s" % (v, ",".join(want)))
            if v > 0:
                check(pdus[-1].timers == (120, 30, 900),
                      "v%d End of Data has the configured timers" % v)
        check(len([k for k in views[2] if k[0] == "vrp"]) == 3, "3 VRPs served")

        # Serial Query at the current serial: nothing but CR + EoD.
        r = d.router()
        full = reset(r, 2)
        sid, serial = full[0].field, full[-1].serial
        r.send(rp.serial_query(2, sid, serial))
        pdus = r.response()
        check([p.type for p in pdus] == [rp.CACHE_RESPONSE, rp.END_OF_DATA],
              "Serial Query at the current serial: empty response")

        # An update: Serial Notify on the open session, then the diff.
        r1 = d.router()
        full1 = reset(r1, 1)
        v2 = [V1[0], V1[2], ("203.0.113.0/24", 24, 64499)]
        aspa2 = [(64496, [64497]), ]          # 64510 withdrawn, 64496 replaced
        write_json(js, v2, [KEY1], aspa2)
        n = r.pdu()
        check(n.type == rp.SERIAL_NOTIFY and n.serial == serial + 1 and n.field == sid,
              "Serial Notify with the new serial after the input changed")
        n1 = r1.pdu()
        check(n1.type == rp.SERIAL_NOTIFY and n1.version == 1,
              "Serial Notify to a version 1 session too")
        r.send(rp.serial_query(2, sid, serial))
        diff = r.response()
        recs = [(p.flags & 1, p.key()) for p in diff if p.key()]
        want = {(0, ("vrp", "2001:db8::", 32, 48, 64497)),
                (1, ("vrp", "203.0.113.0", 24, 24, 64499)),
                (0, ("aspa", 64510)), (1, ("aspa", 64496))}
        check(set(recs) == want and len(recs) == 4,
              "v2 incremental update: exactly the net change (got %r)" % recs)
        wd = [i for i, (f, _) in enumerate(recs) if f == 0]
        an = [i for i, (f, _) in enumerate(recs) if f == 1]
        check(max(wd) < min(an), "withdrawals before announcements")
        aspa = [p for p in diff if p.type == rp.ASPA and p.flags & 1][0]
        check(aspa.providers == [64497], "ASPA replacement carries the new provider list")
        r1.send(rp.serial_query(1, sid, serial))
        diff1 = r1.response()
        check(all(p.type != rp.ASPA for p in diff1) and
              len([p for p in diff1 if p.key()]) == 2,
              "v1 incremental update has no ASPA PDUs")
        check(all(p.version == 1 for p in diff1), "v1 diff entirely in version 1")
        r1.close()

        # Unknown session id, unknown serial: Cache Reset.
        r.send(rp.serial_query(2, (sid + 1) & 0xffff, serial + 1))
        p = r.response()
        check(p[-1].type == rp.CACHE_RESET, "Serial Query for another session: Cache Reset")
        r.send(rp.serial_query(2, sid, serial + 77))
        p = r.response()
        check(p[-1].type == rp.CACHE_RESET, "Serial Query for a serial never issued: Cache Reset")
        r.close()

        # Bad input never replaces good data.
        for name, raw in (("truncated", '{"roas": [{"asn": 1, "prefix": "10.0.0.0/8"'),
                          ("a bad record", '{"metadata": {"buildtime": "%s"}, "roas": [{"asn": 1, "prefix": "10.0.0.1/8"}]}' % now_rfc3339()),
                          ("stale", None)):
            before = d.metric("rtrd_reload_errors_total")
            if raw is None:
                write_json(js, [("10.0.0.0/8", 8, 1)], age=2 * 86400)
            else:
                write_json(js, None, raw=raw)
            end = time.time() + 10
            while time.time() < end and d.metric("rtrd_reload_errors_total") == before:
                time.sleep(0.1)
            r = d.router()
            pdus = reset(r, 2)
            r.close()
            check(len([k for k in view_of(pdus) if k[0] == "vrp"]) == 3 and
                  pdus[-1].serial == serial + 1,
                  "%s input refused, the last good data still served" % name)
        check(d.metric("rtrd_reload_errors_total") == 3, "reload errors counted")
        check(d.metric("rtrd_serial") == serial + 1, "serial metric")
        check(d.metric('rtrd_payloads{type="aspa"}') == 1, "payload metric")
    finally:
        check(d.stop() == 0, "rtrd exits 0 on SIGTERM")


def test_errors(work):
    js = os.path.join(work, "e.json")
    write_json(js, V1, [KEY1], ASPA1)
    d = Rtrd(work, js)
    try:
        cases = [
            ("version 3", rp.header(3, rp.RESET_QUERY, 0, 8), 4, 2),
            ("length 12 Reset Query", rp.header(1, rp.RESET_QUERY, 0, 12) + b"\0" * 4, 0, 1),
            ("length over the limit", rp.header(1, rp.ERROR_REPORT, 0, 1 << 30), 0, 1),
            ("unknown type 42", rp.header(1, 42, 0, 8), 5, 1),
            ("Router Key in version 0", rp.header(0, rp.ROUTER_KEY, 0, 40) + b"\0" * 32, 5, 0),
            ("ASPA in version 1", rp.header(1, rp.ASPA, 0, 12) + b"\0" * 4, 5, 1),
            ("Cache Response from a router", rp.header(1, rp.CACHE_RESPONSE, 0, 8), 3, 1),
        ]
        for what, raw, code, v in cases:
            r = d.router()
            r.send(raw)
            try:
                p = r.pdu()
                ok = (p.type == rp.ERROR_REPORT and p.code == code and
                      p.version == v and p.inner == raw[:len(p.inner)] and
                      len(p.inner) >= 8)
                check(ok, "%s: Error Report code %d in version %d with the PDU echoed (got code %s v%d)"
                      % (what, code, v, getattr(p, "code", None), p.version))
            except (rp.Closed, socket.timeout):
                check(False, "%s: no Error Report" % what)
            check(r.closed_within(5), "%s: then the connection is closed" % what)
            r.close()

        # Version change inside a session.
        r = d.router()
        reset(r, 1)
        r.send(rp.reset_query(2))
        p = r.pdu()
        check(p.type == rp.ERROR_REPORT and p.code == 8 and p.version == 1,
              "version change within a session: Error Report 8 (Unexpected Protocol Version)")
        check(r.closed_within(5), "and the connection is closed")
        r.close()

        # Version downgrade: a v0 router after v2 routers.
        r = d.router()
        pdus = reset(r, 0)
        check(all(p.version == 0 for p in pdus) and len(pdus[-1].raw) == 12,
              "version 0 router: v0 End of Data (12 bytes), no newer PDUs")
        r.close()

        # An Error Report from the router: closed, never answered.
        r = d.router()
        reset(r, 1)
        r.send(rp.error_report(1, 7, rp.reset_query(1), "duplicate"))
        check(r.closed_within(5), "Error Report from the router: session closed")
        r.close()
        check(d.metric('rtrd_error_reports_total{direction="received"}') == 1,
              "received Error Report counted")

        # Pipelined queries in one segment, split PDUs across segments.
        r = d.router()
        r.send(rp.reset_query(1) + rp.reset_query(1)[:3])
        a = r.response()
        time.sleep(0.2)
        r.send(rp.reset_query(1)[3:])
        b = r.response()
        check(len(a) == len(b) and a[-1].type == rp.END_OF_DATA,
              "a PDU split across TCP segments is reassembled")
        r.close()
    finally:
        check(d.stop() == 0, "rtrd exits 0")


def test_no_data_then_data(work):
    js = os.path.join(work, "n.json")
    write_json(js, None, raw="{")
    d = Rtrd(work, js)
    try:
        r = d.router()
        r.send(rp.reset_query(1))
        p = r.pdu()
        check(p.type == rp.ERROR_REPORT and p.code == 2,
              "no good input yet: Error Report 2 (No Data Available)")
        check(not r.closed_within(0.5), "No Data Available does not close the session")
        write_json(js, V1)
        n = r.pdu()
        check(n.type == rp.SERIAL_NOTIFY, "first good input: Serial Notify")
        pdus = reset(r, 1)
        check(len(view_of(pdus)) == 3, "then the data")
        r.close()
    finally:
        d.stop()


def test_wrap_and_history(work):
    js = os.path.join(work, "w.json")
    write_json(js, [V1[0]])
    d = Rtrd(work, js, "--serial", "4294967294", "--history", "2")
    try:
        r = d.router()
        full = reset(r, 1)
        sid = full[0].field
        check(full[-1].serial == 4294967294, "first serial as configured (2^32 - 2)")
        serials = [4294967294]
        sets = [[V1[0]], [V1[0], V1[1]], [V1[1]], [V1[1], V1[2]]]
        for s in sets[1:]:
            write_json(js, s)
            n = r.pdu()
            serials.append(n.serial)
        check(serials == [4294967294, 4294967295, 0, 1],
              "serials wrap: %r" % serials)
        # From 2^32 - 1 (kept: history 2 holds 4294967295 and 0).
        r.send(rp.serial_query(1, sid, 4294967295))
        diff = r.response()
        recs = sorted((p.flags & 1, p.key()) for p in diff if p.key())
        check(recs == [(0, ("vrp", "192.0.2.0", 24, 24, 64496)),
                       (1, ("vrp", "198.51.100.0", 24, 26, 64498))],
              "Serial Query from 2^32 - 1 across the wrap: net change (%r)" % recs)
        r.send(rp.serial_query(1, sid, 4294967294))
        check(r.response()[-1].type == rp.CACHE_RESET,
              "serial older than the kept history: Cache Reset")
        r.close()
    finally:
        d.stop()


def test_slurm_and_sighup(work):
    js = os.path.join(work, "s.json")
    sl = os.path.join(work, "slurm.json")
    write_json(js, V1)
    with open(sl, "w") as f:
        json.dump({"slurmVersion": 1,
                   "validationOutputFilters": {"prefixFilters": [{"asn": 64497}],
                                               "bgpsecFilters": []},
                   "locallyAddedAssertions": {"prefixAssertions": [
                       {"asn": 64999, "prefix": "203.0.113.0/24"}],
                       "bgpsecAssertions": []}}, f)
    d = Rtrd(work, js, "--slurm", sl)
    try:
        r = d.router()
        v = view_of(reset(r, 1))
        check(("vrp", "2001:db8::", 32, 48, 64497) not in v and
              ("vrp", "203.0.113.0", 24, 24, 64999) in v and len(v) == 3,
              "SLURM: filter removed AS64497, assertion added")
        os.kill(d.p.pid, signal.SIGHUP)
        check(d.wait_log("SIGHUP: reloading"), "SIGHUP reloads")
        r.close()
    finally:
        d.stop()


def big_json(path, n):
    with open(path + ".tmp", "w") as f:
        f.write('{"metadata": {"buildtime": "%s"}, "roas": [' % now_rfc3339())
        f.write(",".join('{"asn": %d, "prefix": "10.%d.%d.0/24", "maxLength": 24}'
                         % (64496 + i % 1000, (i >> 8) & 255, i & 255)
                         for i in range(n)))
        f.write("]}")
    os.rename(path + ".tmp", path)


def test_slow_routers(work):
    js = os.path.join(work, "big.json")
    big_json(js, 60000)
    d = Rtrd(work, js, "--stall", "2")
    try:
        # Never reads: the socket fills, nothing moves for 2 s: dropped.
        r = d.router(rcvbuf=4096)
        for _ in range(5):
            r.send(rp.reset_query(1))
        time.sleep(3.5)
        check(r.closed_within(5), "a router that never reads is dropped")
        r.close()
        # Floods queries without reading: dropped at the queue limit.
        r = d.router(rcvbuf=4096)
        try:
            r.send(rp.reset_query(1) * 200)
        except OSError:
            pass
        check(r.closed_within(5), "a router flooding queries is dropped")
        r.close()
        check(d.metric("rtrd_sessions_dropped_total") == 2, "drops counted")
        # And the server still serves everyone else.
        r = d.router()
        check(len(view_of(reset(r, 1))) == 60000, "others still get all 60000 VRPs")
        r.close()
    finally:
        d.stop()


def test_tls(work):
    """RTR over TLS (RFC 8210 section 9) with a self-signed certificate."""
    import ssl
    cert, key = os.path.join(work, "tls.crt"), os.path.join(work, "tls.key")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
                        "-days", "1", "-keyout", key, "-out", cert],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not check(r.returncode == 0, "self-signed certificate made with openssl"):
        return
    js = os.path.join(work, "t.json")
    big_json(js, 20000)
    tport = free_port()
    d = Rtrd(work, js, "--tls-listen", "127.0.0.1:%d" % tport,
             "--tls-cert", cert, "--tls-key", key)
    try:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cert)
        ctx.check_hostname = False
        for v in (1, 2):
            raw = socket.create_connection(("127.0.0.1", tport), 10)
            t = ctx.wrap_socket(raw, server_hostname="localhost")
            r = rp.Router.__new__(rp.Router)
            r.s, r.buf = t, b""
            pdus = reset(r, v)
            check(len(view_of(pdus)) == 20000 and pdus[-1].type == rp.END_OF_DATA,
                  "TLS: v%d Reset Query gets all 20000 VRPs" % v)
            write = v == 2
            if write:
                big_json(js, 20001)
                n = r.pdu()
                check(n.type == rp.SERIAL_NOTIFY, "TLS: Serial Notify after a change")
                r.send(rp.serial_query(2, pdus[0].field, pdus[-1].serial))
                diff = r.response()
                check(len([p for p in diff if p.key()]) == 1,
                      "TLS: Serial Query gets the one new VRP")
            t.close()
        # Plain RTR on the TLS port: no answer, connection closed.
        r = rp.Router("127.0.0.1", tport)
        r.send(rp.reset_query(1))
        check(r.closed_within(5) and not r.buf, "plain TCP on the TLS port: closed, nothing sent")
        r.close()
        r = d.router()
        check(len(view_of(reset(r, 1))) == 20001, "plain listener serves the same data")
        r.close()
    finally:
        check(d.stop() == 0, "rtrd with TLS exits 0")


def test_rtrwatch_downgrade(work):
    """rtrwatch against a version 1 only cache (a scripted one): it must
    take the version named in the Error Report (RFC 8210 section 7),
    reconnect with it and get the data."""
    import threading
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    port = lsock.getsockname()[1]
    seen = []

    def cache():
        for _ in range(2):
            c, _ = lsock.accept()
            c.settimeout(10)
            q = c.recv(8)
            v = q[0]
            seen.append(v)
            if v > 1:
                c.sendall(rp.error_report(1, 4, q, "version 1 only"))
            else:
                pfx = (rp.header(1, rp.IPV4, 0, 20) + bytes([1, 24, 24, 0]) +
                       socket.inet_aton("192.0.2.0") + (64496).to_bytes(4, "big"))
                eod = rp.header(1, rp.END_OF_DATA, 9, 24) + b"".join(
                    x.to_bytes(4, "big") for x in (5, 60, 30, 600))
                c.sendall(rp.header(1, rp.CACHE_RESPONSE, 9, 8) + pfx + eod)
            c.close()
    t = threading.Thread(target=cache, daemon=True)
    t.start()
    r = subprocess.run([os.path.join(BIN, "rtrwatch"), "--once", "--format", "csv",
                        "--timeout", "5000", "127.0.0.1:%d" % port],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    out = r.stdout.decode()
    check(r.returncode == 0 and "AS64496,192.0.2.0/24,24" in out and seen == [2, 1],
          "rtrwatch downgrades to the version the cache names (tried %r, exit %d)"
          % (seen, r.returncode))
    lsock.close()


def main():
    os.makedirs(TMPBASE, exist_ok=True)
    work = tempfile.mkdtemp(prefix="rtr_protocol.", dir=TMPBASE)
    print("# work directory %s" % work)
    try:
        for t in (test_versions_and_updates, test_errors, test_no_data_then_data,
                  test_wrap_and_history, test_slurm_and_sighup, test_slow_routers,
                  test_tls, test_rtrwatch_downgrade):
            print("# %s" % t.__name__)
            try:
                t(work)
            except Exception as e:  # a crash of the test is a failure
                check(False, "%s raised %r" % (t.__name__, e))
    finally:
        if FAILED:
            for name in sorted(os.listdir(work)):
                if name.endswith(".log"):
                    print("# --- %s (last 15 lines)" % name)
                    with open(os.path.join(work, name)) as f:
                        for line in f.readlines()[-15:]:
                            print("# " + line.rstrip())
        if os.environ.get("KEEP_TMP") != "1":
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
