#!/usr/bin/python3
"""A scriptable HTTP server for rrdpsync's tests: an RRDP upstream that
behaves well or badly on request.

    rrdpserve.py --root DIR --port PORT [--rules FILE] [--log FILE]

Serves the files under DIR (which may be a symbolic link the test swaps
between rounds) with an ETag (SHA-256 of the bytes) and Last-Modified,
answering If-None-Match with 304, and gzip-coding a response when the
client accepts gzip and the rules ask for it.  FILE, read again on every
request, is a JSON object mapping request paths to what to do instead:

    {"status": 503}                     that status, a short body
    {"redirect": "URL", "code": 302}    a redirect
    {"stall": SECONDS}                  wait before answering
    {"stall_body": SECONDS}             headers and half the body, then wait
    {"truncate": N}                     announce the whole length, send N
                                        bytes, close
    {"gzip": true, "members": K}        gzip-code the file (K members)
    {"gzip_file": "NAME"}               send DIR/NAME as the gzip-coded body
    {"encoding": "br"}                  claim another content coding

A path of "*" applies to every request.  Each request is logged as one
line "METHOD PATH STATUS" (to --log, flushed, or stdout).  Test tooling
only: it binds 127.0.0.1 and serves nothing outside DIR.
"""
import argparse
import email.utils
import gzip
import hashlib
import http.server
import json
import os
import sys
import threading
import time


def load_rules(path):
    if not path or not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "rrdpserve/1"

    def log_message(self, fmt, *args):
        pass

    def note(self, status):
        line = "%s %s %d\n" % (self.command, self.path, status)
        with self.server.log_lock:
            self.server.log.write(line)
            self.server.log.flush()

    def send_plain(self, status, text, extra=None):
        # 204 and 304 carry no body (RFC 9110 sections 15.3.5, 15.4.5).
        body = b"" if status in (204, 304) else text.encode()
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.note(status)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        rules = load_rules(self.server.rules)
        rule = rules.get(self.path.split("?")[0], rules.get("*", {}))
        if "stall" in rule:
            time.sleep(float(rule["stall"]))
        if "status" in rule:
            self.send_plain(int(rule["status"]), "scripted status\n")
            return
        if "redirect" in rule:
            self.send_plain(int(rule.get("code", 302)), "moved\n",
                            {"Location": rule["redirect"]})
            return
        rel = self.path.split("?")[0].lstrip("/")
        root = os.path.realpath(self.server.root)
        path = os.path.realpath(os.path.join(root, rel))
        if not path.startswith(root + os.sep) or not os.path.isfile(path):
            self.send_plain(404, "not found\n")
            return
        with open(path, "rb") as f:
            data = f.read()
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:32]
        mtime = os.stat(path).st_mtime
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        coding = None
        if "gzip_file" in rule:
            with open(os.path.join(root, rule["gzip_file"]), "rb") as f:
                data = f.read()
            coding = "gzip"
        elif rule.get("gzip") and accepts:
            members = max(1, int(rule.get("members", 1)))
            step = max(1, (len(data) + members - 1) // members)
            data = b"".join(gzip.compress(data[i:i + step], mtime=0)
                            for i in range(0, len(data), step)) or \
                gzip.compress(b"", mtime=0)
            coding = "gzip"
            etag = etag[:-1] + '-gz"'
        elif "encoding" in rule:
            coding = rule["encoding"]
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            self.note(304)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified",
                         email.utils.formatdate(mtime, usegmt=True))
        if coding:
            self.send_header("Content-Encoding", coding)
        if "truncate" in rule:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            self.note(200)
            return
        try:
            if "truncate" in rule:
                self.wfile.write(data[:int(rule["truncate"])])
                self.wfile.flush()
                self.close_connection = True
            elif "stall_body" in rule:
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                time.sleep(float(rule["stall_body"]))
                self.wfile.write(data[len(data) // 2:])
            else:
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.note(200)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rules")
    ap.add_argument("--log")
    a = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.root = a.root
    srv.rules = a.rules
    srv.log = open(a.log, "a") if a.log else sys.stdout
    srv.log_lock = threading.Lock()
    srv.serve_forever()


if __name__ == "__main__":
    main()
