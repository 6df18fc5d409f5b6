#!/usr/bin/env bash
# rpkipubd's own RRDP listener (src/pub/http_rrdp.c), plain and TLS, checked
# with curl: gzip from the .gz twin and for notification.xml (Accept-Encoding
# q-values), identity when there is no twin, ETag per encoding, 304 on
# If-None-Match and If-Modified-Since (If-None-Match wins), Last-Modified,
# Cache-Control (one minute / immutable), Vary, HEAD, keep-alive, a
# replaced notification.xml seen at once, 400 for query strings, 405 with
# Allow, 404 for listings, dotfiles, .gz names, symlinks and traversal
# (.., %2e%2e, %2f, %00), one log line per error, the metrics, the
# per-IP connection limit, and no listener when rrdp_listen is empty.
#
# The checks both servers must pass are in rrdp_http_lib.sh (test_nginx.sh
# runs them against nginx).  The fixture snapshot and delta live in a
# session directory of the test's own, so the test works whether or not
# the RRDP writer has put its own files beside them; notification.xml is
# the writer's when there is one, else the test's.
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rrdp_http_lib.sh
. "$(dirname "$0")/rrdp_http_lib.sh"
lib_setup
command -v gzip >/dev/null || fail "gzip is missing"

read -r PORT APORT RPORT < <(free_ports 3 | paste -s -d ' ')
D=$WORK/server
init_server "$D" "$PORT" "$APORT"
CONF=$D/rpkipubd.conf
sed -i "s/^rrdp_listen = .*/rrdp_listen = 127.0.0.1:$RPORT/" "$CONF"
R=$D/rrdp
METRICS="http://127.0.0.1:$APORT/metrics"

rrdp_fixture "$R"
BASE=http://127.0.0.1:$RPORT
NOTIF=$BASE/rrdp/notification.xml

start_daemon "$D" "$RPORT"
ok "rpkipubd listens for RRDP on 127.0.0.1:$RPORT"
rrdp_notification "$R"

rrdp_http_checks "$BASE" embedded

# ---- rpkipubd only: no Last-Modified within the file's own second ----
cp -p "$R/notification.xml" "$WORK/notif.keep"
{ cat "$WORK/notif.keep"; echo "<!-- again -->"; } >"$R/.n4.tmp"
before=$(date +%s)
mv "$R/.n4.tmp" "$R/notification.xml"
got=$(get r "$NOTIF")
after=$(date +%s)
if [ "$before" = "$after" ] && [ "$after" = "$(stat -c %Y "$R/notification.xml")" ]; then
	expect "no Last-Modified while the file is from the current second" "$got:$(hdr r Last-Modified)" "200:"
fi
sleep 1.1
get r "$NOTIF" >/dev/null
[ -n "$(hdr r Last-Modified)" ] && ok "Last-Modified once that second has passed" ||
	bad "still no Last-Modified a second later"
cp -p "$WORK/notif.keep" "$R/.n5.tmp" && mv "$R/.n5.tmp" "$R/notification.xml"

# ---- one log line per error ----
n=$(grep -c "RRDP: GET /rrdp/.fixture-state from 127.0.0.1: HTTP 404" "$DAEMON_LOG")
expect "one log line for the dotfile request" "$n" 1
grep -q "RRDP: POST /rrdp/notification.xml from 127.0.0.1: HTTP 405" "$DAEMON_LOG" &&
	ok "405 logged" || bad "no log line for the 405"
grep -q "RRDP: .*HTTP 200" "$DAEMON_LOG" && bad "successful requests are logged" ||
	ok "successful requests are not logged"

# ---- metrics ----
for s in 200 304 400 404 405; do
	c=$(curl -sS "$METRICS" | awk -v s="$s" '$1 == "rpkipubd_rrdp_requests_total{status=\"" s "\"}" { print $2 }')
	[ "${c:-0}" -gt 0 ] && ok "metrics: $c answers with status $s" || bad "metrics: no status $s counted"
done
b=$(metric_sum "$METRICS" "^rpkipubd_rrdp_response_bytes_total$")
[ "$b" -ge "$(stat -c %s "$SD/snapshot.xml")" ] && ok "metrics: $b response bytes" || bad "metrics: $b response bytes"

# ---- per-IP connection limit (MAX_RRDP_CONNECTIONS_PER_IP, 64) ----
served=$("$PY" - "$RPORT" <<'EOF'
import socket, sys
port = int(sys.argv[1])
socks = []
for _ in range(80):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(5)
    socks.append(s)
n = 0
for s in socks:
    try:
        s.sendall(b"GET /rrdp/notification.xml HTTP/1.1\r\nHost: x\r\n\r\n")
        if s.recv(64).startswith(b"HTTP/1.1 200"):
            n += 1
    except OSError:
        pass
for s in socks:
    s.close()
print(n)
EOF
)
[ "$served" -le 64 ] && [ "$served" -ge 32 ] && ok "80 connections from one IP: $served served (limit 64)" ||
	bad "80 connections from one IP: $served served, want at most 64"
expect "the listener still answers afterwards" "$(get n "$NOTIF")" 200

stop_daemon "$DAEMON_PID" && ok "rpkipubd stops cleanly" || bad "rpkipubd exit status $? on SIGTERM"

# ---- TLS ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	-keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>"$WORK/openssl.err" ||
	fail "openssl req: $(cat "$WORK/openssl.err")"
printf 'rrdp_tls_cert = %s\nrrdp_tls_key = %s\n' "$WORK/tls.crt" "$WORK/tls.key" >>"$CONF"
start_daemon "$D" "$RPORT"
TBASE=https://127.0.0.1:$RPORT
TNOTIF=$TBASE/rrdp/notification.xml
expect "https GET notification.xml (--cacert)" "$(get tn --cacert "$WORK/tls.crt" "$TNOTIF")" 200
cmp -s "$WORK/tn.body" "$R/notification.xml" && ok "https: the file's bytes" || bad "https: body differs"
expect "https: gzip" "$(get tg --cacert "$WORK/tls.crt" -H 'Accept-Encoding: gzip' "$TNOTIF"; hdr tg Content-Encoding)" "200gzip"
TETAG=$(hdr tn ETag)
expect "https: If-None-Match" "$(get c --cacert "$WORK/tls.crt" -H "If-None-Match: $TETAG" "$TNOTIF")" 304
expect "https: snapshot, gzip" "$(get ts --cacert "$WORK/tls.crt" -H 'Accept-Encoding: gzip' "$TBASE$SNAP")" 200
cmp -s "$WORK/ts.body" "$SD/snapshot.xml.gz" && ok "https: snapshot .gz bytes" || bad "https: snapshot differs"
expect "https: query string" "$(get c --cacert "$WORK/tls.crt" "$TNOTIF?x")" 400
expect "https: dotfile" "$(get c --cacert "$WORK/tls.crt" "$TBASE/rrdp/.fixture-state")" 404
expect "https: TLS 1.1 refused" "$(get c --cacert "$WORK/tls.crt" --tlsv1.1 --tls-max 1.1 "$TNOTIF")" "000curl-failed"
expect "https: an unknown CA is refused by curl" "$(get c "$TNOTIF")" "000curl-failed"
got=$(get c "http://127.0.0.1:$RPORT/rrdp/notification.xml")
[ "$got" != 200 ] && ok "plain http to the TLS listener fails ($got)" || bad "plain http to the TLS listener got 200"
stop_daemon "$DAEMON_PID" && ok "rpkipubd (TLS) stops cleanly" || bad "rpkipubd (TLS) exit status $?"

# A key that does not load: rpkipubd refuses to start, and says why.
echo "not a key" >"$WORK/bad.key"
sed -i "s|^rrdp_tls_key = $WORK/tls.key\$|rrdp_tls_key = $WORK/bad.key|" "$CONF"
if timeout 20 "$BIN/rpkipubd" --data-dir "$D" >"$WORK/badkey.log" 2>&1; then
	bad "rpkipubd started with an unusable TLS key"
else
	grep -q "RRDP" "$WORK/badkey.log" && ok "unusable TLS key: start refused: $(grep RRDP "$WORK/badkey.log" | tail -1 | cut -c1-120)" ||
		bad "unusable TLS key: no reason given: $(tail -3 "$WORK/badkey.log")"
fi

# ---- rrdp_listen empty: no RRDP listener ----
sed -i -e '/^rrdp_tls_/d' -e 's/^rrdp_listen = .*/rrdp_listen = /' "$CONF"
start_daemon "$D" "$PORT"
port_open "$RPORT" && bad "rrdp_listen empty: port $RPORT still answers" ||
	ok "rrdp_listen empty: no RRDP listener"
stop_daemon "$DAEMON_PID" || bad "rpkipubd exit status $? on SIGTERM"

finish
