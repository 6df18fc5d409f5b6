#!/usr/bin/env python3
"""A TCP forwarder for tests: what a load balancer or an internal address
in front of a server looks like to a client.

  tcpfwd.py LISTEN_PORT TARGET_PORT LOG

Listens on 127.0.0.1:LISTEN_PORT and copies every connection both ways
to 127.0.0.1:TARGET_PORT, bytes untouched (TLS passes through).  Appends
one line "connection N" to LOG per accepted connection, so a test can
show that a client went through it.  Runs until killed.
"""
import socket
import sys
import threading


def pump(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    listen, target, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen))
    srv.listen(64)
    n = 0
    while True:
        c, _ = srv.accept()
        n += 1
        with open(log, "a") as f:
            f.write("connection %d\n" % n)
        u = socket.create_connection(("127.0.0.1", target))
        threading.Thread(target=pump, args=(c, u), daemon=True).start()
        threading.Thread(target=pump, args=(u, c), daemon=True).start()


if __name__ == "__main__":
    main()
