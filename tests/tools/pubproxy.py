#!/usr/bin/python3
"""pubproxy.py: an HTTP proxy between an RFC 8181 publisher and its server
that breaks replies on purpose, for rpkipub-push's tests.

  pubproxy.py PORT UPSTREAM MODE

listens on 127.0.0.1:PORT and forwards each POST to UPSTREAM + path (e.g.
UPSTREAM http://127.0.0.1:8080 and path /rpki/ca), then answers with:

  pass     the server's reply unchanged
  tamper   the server's reply with one byte of the signed XML changed
           (version="4" becomes version="5", same length): the CMS
           signature no longer verifies
  replay   the first reply it ever got, for every request (the requests
           still reach the server): an old, validly signed reply
  dropchange
           everything passes until a change query (one with publish or
           withdraw PDUs) gets a <success/>, which is kept; every later
           change query is NOT forwarded and is answered with that reply:
           an attacker who drops a change and replays an earlier
           <success/> (it carries no tag)

Each request is logged to stderr as one line.  Stop it with SIGTERM.
"""

import http.server
import sys
import urllib.error
import urllib.request

PORT, UPSTREAM, MODE = int(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3]
FIRST = []
SUCCESS = []


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        # The signed XML is in clear inside the CMS.
        change = b"<publish" in body or b"<withdraw" in body
        if MODE == "dropchange" and change and SUCCESS:
            reply = SUCCESS[0]
            sys.stderr.write("pubproxy %s: %s %d bytes dropped -> the kept "
                             "success, %d bytes\n" % (MODE, self.path, len(body), len(reply)))
            self.send_response(200)
            self.send_header("Content-Type", "application/rpki-publication")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
            return
        req = urllib.request.Request(UPSTREAM + self.path, data=body, method="POST",
                                     headers={"Content-Type": self.headers.get("Content-Type", "")})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, ctype, reply = r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            status, ctype, reply = e.code, e.headers.get("Content-Type", ""), e.read()
        if MODE == "tamper" and status == 200:
            reply = reply.replace(b'version="4"', b'version="5"', 1)
        elif MODE == "replay" and status == 200:
            if not FIRST:
                FIRST.append(reply)
            reply = FIRST[0]
        elif MODE == "dropchange" and status == 200 and change and b"<success" in reply:
            SUCCESS.append(reply)
        sys.stderr.write("pubproxy %s: %s %d bytes -> HTTP %d, %d bytes\n" % (
            MODE, self.path, len(body), status, len(reply)))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
