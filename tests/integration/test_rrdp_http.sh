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
# The fixture snapshot and delta live in a session directory of this
# test's own, so the test works whether or not the RRDP writer has put its
# own files beside them; notification.xml is the writer's when there is
# one, else the test's.
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
lib_setup
command -v gzip >/dev/null || fail "gzip is missing"

read -r PORT APORT RPORT < <(free_ports 3 | paste -s -d ' ')
D=$WORK/server
init_server "$D" "$PORT" "$APORT"
CONF=$D/rpkipubd.conf
sed -i "s/^rrdp_listen = .*/rrdp_listen = 127.0.0.1:$RPORT/" "$CONF"
R=$D/rrdp
METRICS="http://127.0.0.1:$APORT/metrics"

# ---- fixture: a session of this test's own ----
SESSION=5d0c1a52-7e4b-4f7a-9c1e-0123456789ab
RND=$(openssl rand -hex 16)
RND2=$(openssl rand -hex 16)
SD=$R/$SESSION/7/$RND
mkdir -p "$SD" "$R/$SESSION/8/$RND2"
{
	echo '<snapshot xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="'$SESSION'" serial="7">'
	for i in $(seq 200); do
		echo "<publish uri=\"rsync://rpki.example.net/repo/a/$i.roa\">$(openssl rand -base64 600 | tr -d '\n')</publish>"
	done
	echo '</snapshot>'
} >"$SD/snapshot.xml"
gzip -9 -n -c "$SD/snapshot.xml" >"$SD/snapshot.xml.gz"
printf '<delta xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="%s" serial="7"><withdraw uri="rsync://rpki.example.net/repo/a/1.roa" hash="%064d"/></delta>\n' \
	"$SESSION" 0 >"$SD/delta.xml"	# no .gz twin: identity only
echo "secret-state" >"$R/.fixture-state"
echo "secret-temp" >"$SD/.snapshot.xml.tmp"
ln -s "$CONF" "$R/$SESSION/8/$RND2/snapshot.xml"	# must never be followed
SNAP=/rrdp/$SESSION/7/$RND/snapshot.xml
DELTA=/rrdp/$SESSION/7/$RND/delta.xml
BASE=http://127.0.0.1:$RPORT

start_daemon "$D" "$RPORT"
ok "rpkipubd listens for RRDP on 127.0.0.1:$RPORT"

# notification.xml: the writer's, or (without a writer) the test's.
for _ in $(seq 50); do [ -f "$R/notification.xml" ] && break; sleep 0.1; done
if [ -f "$R/notification.xml" ]; then
	ok "notification.xml was written by rpkipubd"
else
	printf '<notification xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="%s" serial="7">\n  <snapshot uri="https://rrdp.example.net%s" hash="%s"/>\n</notification>\n' \
		"$SESSION" "$SNAP" "$(sha256sum "$SD/snapshot.xml" | cut -d ' ' -f 1)" >"$R/.n.tmp"
	mv "$R/.n.tmp" "$R/notification.xml"
	echo "# no RRDP writer: the test wrote notification.xml"
fi
sleep 1.1	# Last-Modified is sent once the file's second has passed

# get NAME CURL-ARGS...: one request; body in $WORK/NAME.body, headers in
# $WORK/NAME.hdr; prints the status code.
get() {
	local name=$1
	shift
	curl -sS --max-time 20 -o "$WORK/$name.body" -D "$WORK/$name.hdr" \
		-w '%{http_code}' "$@" 2>"$WORK/curl.err" || echo "curl-failed"
}

# hdr NAME FIELD: the value of a response header field (empty if absent).
hdr() {
	awk -v f="$(echo "$2" | tr 'A-Z' 'a-z')" -F': ' '
		{ sub(/\r$/, "") }
		tolower($1) == f { sub(/^[^:]*: */, ""); print; exit }' "$WORK/$1.hdr"
}

# expect DESC GOT WANT
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi
}

# expect_status DESC WANT CURL-ARGS...
expect_status() {
	local desc=$1 want=$2 got
	shift 2
	got=$(get last "$@")
	expect "$desc: HTTP $want" "$got" "$want"
}

# ---- notification.xml ----
NOTIF=$BASE/rrdp/notification.xml
cp "$R/notification.xml" "$WORK/notif.disk"
expect "GET notification.xml" "$(get n "$NOTIF")" 200
cmp -s "$WORK/n.body" "$WORK/notif.disk" && ok "body is the file on disk" ||
	bad "body differs from $R/notification.xml"
expect "Content-Type" "$(hdr n Content-Type)" "application/xml"
expect "Cache-Control of notification.xml" "$(hdr n Cache-Control)" "public, max-age=60"
expect "Vary" "$(hdr n Vary)" "Accept-Encoding"
expect "no Content-Encoding without Accept-Encoding" "$(hdr n Content-Encoding)" ""
ETAG=$(hdr n ETag)
LM=$(hdr n Last-Modified)
[[ $ETAG =~ ^\"[^\"]+\"$ ]] && ok "strong ETag $ETAG" || bad "ETag '$ETAG'"
[ -n "$LM" ] && ok "Last-Modified: $LM" || bad "no Last-Modified"

expect "GET notification.xml, Accept-Encoding: gzip" \
	"$(get ngz -H 'Accept-Encoding: gzip' "$NOTIF")" 200
expect "Content-Encoding gzip" "$(hdr ngz Content-Encoding)" "gzip"
gzip -dc <"$WORK/ngz.body" >"$WORK/ngz.plain" 2>/dev/null && cmp -s "$WORK/ngz.plain" "$WORK/notif.disk" &&
	ok "gzip body decompresses to the file" || bad "gzip body is not the file gzipped"
ETAG_GZ=$(hdr ngz ETag)
[ -n "$ETAG_GZ" ] && [ "$ETAG_GZ" != "$ETAG" ] && ok "gzip ETag $ETAG_GZ differs from identity" ||
	bad "gzip ETag '$ETAG_GZ' vs identity '$ETAG'"
expect "Vary on the gzip answer" "$(hdr ngz Vary)" "Accept-Encoding"
expect "curl --compressed decodes it" "$(get nc --compressed "$NOTIF")" 200
cmp -s "$WORK/nc.body" "$WORK/notif.disk" && ok "curl --compressed: same bytes" || bad "curl --compressed: body differs"

for ae in 'gzip;q=0' 'identity' 'br' '*;q=0' 'gzip;q=0, *'; do
	get ae -H "Accept-Encoding: $ae" "$NOTIF" >/dev/null
	expect "Accept-Encoding: $ae -> identity" "$(hdr ae Content-Encoding)" ""
done
for ae in '*' 'x-gzip' 'br, gzip;q=0.1' 'GZIP'; do
	get ae -H "Accept-Encoding: $ae" "$NOTIF" >/dev/null
	expect "Accept-Encoding: $ae -> gzip" "$(hdr ae Content-Encoding)" "gzip"
done

# ---- conditional requests ----
expect "If-None-Match: identity ETag" "$(get c -H "If-None-Match: $ETAG" "$NOTIF")" 304
[ ! -s "$WORK/c.body" ] && ok "304 has no body" || bad "304 carried a body"
expect "304 repeats the ETag" "$(hdr c ETag)" "$ETAG"
expect "304 repeats Cache-Control" "$(hdr c Cache-Control)" "public, max-age=60"
expect "304 repeats Vary" "$(hdr c Vary)" "Accept-Encoding"
expect "If-None-Match: gzip ETag, gzip accepted" \
	"$(get c -H "If-None-Match: $ETAG_GZ" -H 'Accept-Encoding: gzip' "$NOTIF")" 304
expect "304 of the gzip form names its ETag" "$(hdr c ETag)" "$ETAG_GZ"
expect "If-None-Match: identity ETag, gzip accepted (other representation)" \
	"$(get c -H "If-None-Match: $ETAG" -H 'Accept-Encoding: gzip' "$NOTIF")" 200
expect "If-None-Match: a list holding the ETag" \
	"$(get c -H "If-None-Match: \"nope\", W/$ETAG" "$NOTIF")" 304
expect "If-None-Match: *" "$(get c -H 'If-None-Match: *' "$NOTIF")" 304
expect "If-None-Match: another tag" "$(get c -H 'If-None-Match: "other"' "$NOTIF")" 200
expect "If-Modified-Since: Last-Modified" "$(get c -H "If-Modified-Since: $LM" "$NOTIF")" 304
expect "If-Modified-Since: a later date" \
	"$(get c -H "If-Modified-Since: $(date -u -d '+1 day' '+%a, %d %b %Y %H:%M:%S GMT')" "$NOTIF")" 304
expect "If-Modified-Since: a day earlier" \
	"$(get c -H "If-Modified-Since: $(date -u -d "$LM - 1 day" '+%a, %d %b %Y %H:%M:%S GMT')" "$NOTIF")" 200
expect "If-Modified-Since: not a date" "$(get c -H 'If-Modified-Since: yesterday' "$NOTIF")" 200
expect "If-None-Match (no match) wins over a matching If-Modified-Since" \
	"$(get c -H 'If-None-Match: "other"' -H "If-Modified-Since: $LM" "$NOTIF")" 200

# ---- HEAD ----
expect "HEAD notification.xml" "$(get h -I "$NOTIF")" 200
expect "HEAD: Content-Length is the file size" "$(hdr h Content-Length)" "$(stat -c %s "$WORK/notif.disk")"
# curl -I writes the headers as the output: anything more is a body.
cmp -s "$WORK/h.body" "$WORK/h.hdr" && ok "HEAD: no body" || bad "HEAD: a body came"
expect "HEAD: the GET's ETag" "$(hdr h ETag)" "$ETAG"

# ---- a replaced notification.xml is seen at once ----
ORIG=$WORK/notif.orig
cp -p "$R/notification.xml" "$ORIG"
{ cat "$ORIG"; echo "<!-- replaced by the test -->"; } >"$R/.n2.tmp"
before=$(date +%s)
mv "$R/.n2.tmp" "$R/notification.xml"
expect "GET after rename(2) of a new notification.xml" "$(get r "$NOTIF")" 200
after=$(date +%s)
cmp -s "$WORK/r.body" "$R/notification.xml" && ok "the new content is served" || bad "the old content is still served"
[ "$(hdr r ETag)" != "$ETAG" ] && ok "new ETag $(hdr r ETag)" || bad "ETag unchanged after the file changed"
expect "the old ETag no longer gets 304" "$(get c -H "If-None-Match: $ETAG" "$NOTIF")" 200
mtime=$(stat -c %Y "$R/notification.xml")
if [ "$before" = "$after" ] && [ "$after" = "$mtime" ]; then
	expect "no Last-Modified while the file is from the current second" "$(hdr r Last-Modified)" ""
fi
cp -p "$ORIG" "$R/.n3.tmp" && mv "$R/.n3.tmp" "$R/notification.xml"	# the writer's again
expect "GET after the original is back" "$(get r "$NOTIF")" 200
cmp -s "$WORK/r.body" "$ORIG" && ok "the original content is served again" || bad "original not served"

# ---- snapshot (with .gz twin) and delta (without) ----
expect "GET snapshot, gzip accepted" "$(get s -H 'Accept-Encoding: gzip' "$BASE$SNAP")" 200
expect "snapshot: Content-Encoding gzip" "$(hdr s Content-Encoding)" "gzip"
cmp -s "$WORK/s.body" "$SD/snapshot.xml.gz" && ok "snapshot: the .gz twin's bytes" || bad "snapshot: not the .gz twin"
expect "snapshot: Cache-Control immutable" "$(hdr s Cache-Control)" "public, max-age=31536000, immutable"
expect "snapshot: Content-Type" "$(hdr s Content-Type)" "application/xml"
expect "snapshot: Vary" "$(hdr s Vary)" "Accept-Encoding"
SETAG_GZ=$(hdr s ETag)
SLM=$(hdr s Last-Modified)
expect "GET snapshot, identity" "$(get si "$BASE$SNAP")" 200
cmp -s "$WORK/si.body" "$SD/snapshot.xml" && ok "snapshot identity: the file's bytes" || bad "snapshot identity differs"
expect "snapshot identity: no Content-Encoding" "$(hdr si Content-Encoding)" ""
SETAG=$(hdr si ETag)
[ -n "$SETAG" ] && [ "$SETAG" != "$SETAG_GZ" ] && ok "snapshot ETags differ by encoding ($SETAG, $SETAG_GZ)" ||
	bad "snapshot ETags '$SETAG' '$SETAG_GZ'"
expect "snapshot: If-None-Match gzip ETag" \
	"$(get c -H "If-None-Match: $SETAG_GZ" -H 'Accept-Encoding: gzip' "$BASE$SNAP")" 304
expect "snapshot 304: Cache-Control" "$(hdr c Cache-Control)" "public, max-age=31536000, immutable"
expect "snapshot: If-None-Match identity ETag" "$(get c -H "If-None-Match: $SETAG" "$BASE$SNAP")" 304
expect "snapshot: If-Modified-Since" "$(get c -H "If-Modified-Since: $SLM" "$BASE$SNAP")" 304
expect "snapshot: HEAD" "$(get h -I -H 'Accept-Encoding: gzip' "$BASE$SNAP")" 200
expect "snapshot HEAD: Content-Length of the .gz" "$(hdr h Content-Length)" "$(stat -c %s "$SD/snapshot.xml.gz")"
expect "snapshot: curl --compressed" "$(get sc --compressed "$BASE$SNAP")" 200
cmp -s "$WORK/sc.body" "$SD/snapshot.xml" && ok "snapshot --compressed: the XML" || bad "snapshot --compressed differs"
expect "delta without a .gz twin, gzip accepted" "$(get dl -H 'Accept-Encoding: gzip' "$BASE$DELTA")" 200
expect "delta: identity (no twin)" "$(hdr dl Content-Encoding)" ""
cmp -s "$WORK/dl.body" "$SD/delta.xml" && ok "delta: the file's bytes" || bad "delta differs"

# ---- keep-alive ----
curl -sS -v -o /dev/null -o /dev/null "$NOTIF" "$BASE$SNAP" 2>"$WORK/ka.err"
grep -q "Re-using existing connection" "$WORK/ka.err" && ok "two requests on one connection" ||
	bad "the connection was not kept alive"

# ---- 400: query strings (publication-server BCP) ----
for u in "$NOTIF?x=1" "$NOTIF?" "$BASE$SNAP?nocache" "$BASE/rrdp/nothing?x" "$BASE/rrdp/?"; do
	expect_status "query string: $u" 400 "$u"
done
expect_status "query string with POST" 400 -X POST "$NOTIF?x"

# ---- 405 ----
for m in POST PUT DELETE OPTIONS PATCH; do
	expect_status "$m notification.xml" 405 -X "$m" "$NOTIF"
	expect "$m: Allow" "$(hdr last Allow)" "GET, HEAD"
done

# ---- 404: no listings, no dotfiles, no traversal ----
for p in /rrdp/ /rrdp /rrdp/$SESSION/ /rrdp/$SESSION/7/ /rrdp/$SESSION/7/$RND/ \
	/rrdp/notification.xml.gz "$SNAP.gz" /rrdp/.fixture-state /rrdp/.rpkipub-state \
	"/rrdp/$SESSION/7/$RND/.snapshot.xml.tmp" "/rrdp/$SESSION/8/$RND2/snapshot.xml" \
	/ /rpkipubd.conf /rrdp/rpkipubd.conf /rrdp/NOTIFICATION.XML "/rrdp/$SESSION/9/$RND/snapshot.xml" \
	/rrdp/../rpkipubd.conf /rrdp/./notification.xml //rrdp/notification.xml /rrdp//notification.xml \
	/rrdp/%2e%2e/rpkipubd.conf /rrdp/%2E%2E/%2E%2E/etc/passwd /rrdp/..%2frpkipubd.conf \
	"/rrdp/$SESSION/7/$RND/%2e%2e/%2e%2e/%2e%2e/%2e%2e/rpkipubd.conf" \
	/rrdp/notification.xml%00 /rrdp/notification.xml%00.gz /rrdp/%2frpkipubd.conf \
	"/rrdp/$SESSION%2f7%2f$RND%2fsnapshot.xml" /rrdp/notification%2exml%2egz; do
	got=$(get t --path-as-is "$BASE$p")
	if [ "$got" = 404 ] && ! grep -q "secret\|rrdp_listen\|root:" "$WORK/t.body"; then
		ok "404: $p"
	else
		bad "$p: HTTP $got, want 404 without file content"
	fi
done
# Percent-escaped unreserved characters are the characters (RFC 3986 6.2.2.2).
expect_status "escaped unreserved characters: /rrdp/notification%2Exml" 200 --path-as-is "$BASE/rrdp/notification%2Exml"

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
