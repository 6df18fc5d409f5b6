# shellcheck shell=bash
# Helpers shared by lib.sh (rpkipubd tests) and rtr_lib.sh (RTR tests).

PY=${PY:-/usr/bin/python3}	# Debian's: it has the modules the tools need

# free_ports N: print N distinct free TCP ports on 127.0.0.1, one a line.
# The kernel picks them (bind to port 0); all stay bound until all are
# chosen, so they differ.
free_ports() {
	"$PY" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
EOF
}

# port_open PORT: true if something accepts on 127.0.0.1:PORT.
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
