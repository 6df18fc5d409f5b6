#!/usr/bin/python3
"""propwatch.py: timestamps of a change passing each stage of the chain.

Used by bench/run-propagation.sh.  Watches, in threads of one process,
and appends one line per event to --log ("EPOCH_SECONDS EVENT ..."):

  notify SERIAL          notification.xml fetched over https from the RRDP
                         listener (one keep-alive connection, every --poll
                         seconds) names a new serial
  edge-notify SERIAL     the same for the edge node's copy (--edge-notify)
  json + ASN PREFIX MAX  the relying party's JSON file (checked every
                         --poll seconds, parsed when it changed) holds a
                         VRP it did not hold before ("-" when gone)
  rtr-notify SERIAL      a Serial Notify arrived from the RTR cache (a
                         scripted router: tests/tools/rtrproto.py, RTR v1)
  rtr + ASN PREFIX MAX   a VRP in the response to the Serial Query sent
                         on that Notify, stamped with the Notify's time
  router + ASN PREFIX MAX  the router command (--router-cmd, rtrclient in
                         live mode) printed the VRP
  ready                  every watcher has its first state

The times are time.time() when the event was seen, so each carries up to
one --poll period of delay (the file and HTTP watchers) plus the cost of
looking.
"""
import argparse
import http.client
import ipaddress
import json
import os
import re
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "tools"))
import rtrproto  # noqa: E402

LOCK = threading.Lock()
LOG = None
READY = {}


def event(t, text):
    with LOCK:
        LOG.write("%.6f %s\n" % (t, text))
        LOG.flush()


def ready(name):
    with LOCK:
        READY[name] = True
        done = all(READY.values())
    if done:
        event(time.time(), "ready")


def vrp(asn, prefix, maxlen):
    if isinstance(asn, str) and asn.upper().startswith("AS"):
        asn = asn[2:]
    return "%d %s %d" % (int(asn), ipaddress.ip_network(prefix), int(maxlen))


def watch_notify(url, cafile, poll, name="notify"):
    u = re.match(r"https://([^/:]+)(?::(\d+))?(/.*)$", url)
    host, port, path = u.group(1), int(u.group(2) or 443), u.group(3)
    ctx = ssl.create_default_context(cafile=cafile)
    conn, last = None, None
    while True:
        try:
            if conn is None:
                conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=10)
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            t = time.time()
            m = re.search(rb'<notification[^>]*\sserial="(\d+)"', body)
            if r.status == 200 and m:
                s = int(m.group(1))
                if s != last:
                    if last is not None:
                        event(t, "%s %d" % (name, s))
                    else:
                        ready(name)
                    last = s
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
        time.sleep(poll)


def watch_json(path, poll):
    ident, have = None, None
    while True:
        try:
            st = os.stat(path)
            now = (st.st_ino, st.st_mtime_ns, st.st_size)
            if now != ident:
                t = time.time()
                with open(path) as f:
                    d = json.load(f)
                got = {vrp(r["asn"], r["prefix"], r["maxLength"]) for r in d["roas"]}
                if have is None:
                    ready("json")
                else:
                    for v in sorted(got - have):
                        event(t, "json + " + v)
                    for v in sorted(have - got):
                        event(t, "json - " + v)
                ident, have = now, got
        except (OSError, ValueError, KeyError):
            pass		# not there yet, or being replaced: look again
        time.sleep(poll)


def watch_rtr(host, port):
    while True:
        try:
            r = rtrproto.Router(host, port, timeout=30)
            r.send(rtrproto.reset_query(1))
            pdus = r.response()
            if pdus[-1].type != rtrproto.END_OF_DATA:
                raise OSError("no data yet")
            session, serial = pdus[0].field, pdus[-1].serial
            ready("rtr")
            r.s.settimeout(None)
            while True:
                p = r.pdu()
                if p.type != rtrproto.SERIAL_NOTIFY:
                    continue
                t = time.time()
                event(t, "rtr-notify %d" % p.serial)
                r.send(rtrproto.serial_query(1, session, serial))
                for q in r.response():
                    if q.type in (rtrproto.IPV4, rtrproto.IPV6) and q.flags & 1:
                        event(t, "rtr + " + vrp(q.asn, "%s/%d" % (q.prefix, q.plen),
                                                q.maxlen))
                    elif q.type == rtrproto.END_OF_DATA:
                        serial = q.serial
                        event(time.time(), "rtr-eod %d" % q.serial)
                    elif q.type in (rtrproto.CACHE_RESET, rtrproto.ERROR_REPORT):
                        raise OSError("cache reset or error")
        except (OSError, rtrproto.Closed, socket.timeout):
            time.sleep(0.2)


ROUTER = None


def watch_router(cmd):
    pat = re.compile(r"^\+\s+([0-9a-fA-F:.]+)\s+(\d+)\s+-\s+(\d+)\s+(\d+)\s*$")
    global ROUTER
    p = ROUTER = subprocess.Popen(shlex.split(cmd), stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                  text=True, bufsize=1)
    first = True
    for line in p.stdout:
        t = time.time()
        m = pat.match(line)
        if not m:
            continue
        if first:
            ready("router")
            first = False
        event(t, "router + " + vrp(m.group(4), "%s/%s" % (m.group(1), m.group(2)), m.group(3)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--notify", required=True)
    ap.add_argument("--edge-notify")
    ap.add_argument("--cafile", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--rtr", required=True, metavar="HOST:PORT")
    ap.add_argument("--router-cmd", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--poll", type=float, default=0.01)
    a = ap.parse_args()
    global LOG
    LOG = open(a.log, "a")
    host, port = a.rtr.rsplit(":", 1)
    for name in ("notify", "json", "rtr", "router") + (("edge-notify",) if a.edge_notify else ()):
        READY[name] = False
    threads = [
        threading.Thread(target=watch_notify, args=(a.notify, a.cafile, a.poll)),
        threading.Thread(target=watch_json, args=(a.json, a.poll)),
        threading.Thread(target=watch_rtr, args=(host, int(port))),
        threading.Thread(target=watch_router, args=(a.router_cmd,)),
    ]
    if a.edge_notify:
        threads.append(threading.Thread(target=watch_notify,
                                        args=(a.edge_notify, a.cafile, a.poll, "edge-notify")))
    for t in threads:
        t.daemon = True
        t.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(1):
        if ROUTER is not None and ROUTER.poll() is not None:
            event(time.time(), "router-exited %d" % ROUTER.returncode)
            break
    if ROUTER is not None and ROUTER.poll() is None:
        ROUTER.terminate()	# the router command is ours: stopped by its pid
        ROUTER.wait()


if __name__ == "__main__":
    main()
