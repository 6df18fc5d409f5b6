#!/usr/bin/env bash
# rrdpsync against the real rpkipubd (RRDP over TLS from its embedded
# listener, a 1 s interval, gzip answered from the .gz twins): a first
# sync from the snapshot, then many serials followed by deltas only (the
# log and the metrics say so), as --once runs and as a daemon (metrics,
# SIGHUP, SIGTERM, the lock against a second instance), a 304 when
# nothing changed, and a session reset.  After every step the copy
# passes `rpkipubctl verify`, its rsync tree equals rpkipubd's (diff -r,
# mtimes equal; the one object without a time of its own has the
# constant), its snapshot and delta files are byte-identical to
# upstream's (and their .gz twins decode to them), its notification is
# upstream's but for the URIs, and every RRDP file follows the RELAX NG
# schema (xmllint).  Files of the old session go after --keep.  At the
# end nginx serves the copy with the block of `rpkipubctl nginx-conf`,
# and a second rrdpsync follows that copy through nginx.
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/sync_lib.sh
. "$(dirname "$0")/sync_lib.sh"
lib_setup
command -v xmllint >/dev/null || fail "xmllint (libxml2-utils) is missing"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || fail "nginx is missing"
[ -x "$SYNC_BIN" ] || fail "$SYNC_BIN is missing: build first"

read -r PORT APORT RPORT NPORT MPORT < <(free_ports 5 | paste -s -d ' ')
D=$WORK/server
A=$WORK/alice
O=$WORK/objects
C=$WORK/copy
TLS=$WORK/tls
mkdir -p "$O"
"$PY" "$SRC/tests/tools/testca.py" tls "$TLS" --ip 127.0.0.1 >/dev/null || fail "testca tls failed"
UP_BASE=https://127.0.0.1:$RPORT/rrdp/
SOURCE=${UP_BASE}notification.xml
init_server "$D" "$PORT" "$APORT" --rrdp-interval 1 --rrdp-base "$UP_BASE" \
	--rrdp-listen "127.0.0.1:$RPORT" --rrdp-tls-cert "$TLS/server.pem" \
	--rrdp-tls-key "$TLS/server.key"
UR=$D/rrdp
US=$D/rsync
export SYNC_BASE=http://127.0.0.1:$NPORT/rrdp/
SYNC_ARGS=(--ca-file "$TLS/ca.pem" --keep 4)

serial() { sed -n 's/.*<notification [^>]*serial="\([0-9]*\)".*/\1/p' "$UR/notification.xml" 2>/dev/null; }
session() { sed -n 's/.*<notification [^>]*session_id="\([^"]*\)".*/\1/p' "$UR/notification.xml" 2>/dev/null; }
wait_serial() {
	local i
	for ((i = 0; i < 150; i++)); do
		[ "$(serial)" -ge "$1" ] 2>/dev/null && return 0
		sleep 0.1
	done
	fail "upstream serial $1 not announced within 15 s (now $(serial))"
}

# check_copy DESC: everything the copy must be, against upstream now.
check_copy() {
	local desc=$1 f rel want lh ok=1
	if ctl "$D" verify >/dev/null 2>&1 &&
		"$BIN/rpkipubctl" verify --rrdp-dir "$C/rrdp" --rsync-dir "$C/rsync" >"$WORK/verify.out" 2>&1; then
		ok "$desc: rpkipubctl verify passes on the copy ($(grep -o 'serial [0-9]*' "$WORK/verify.out" | head -1))"
	else
		bad "$desc: verify: $(grep -v '^verify: PASS' "$WORK/verify.out" | head -3)"
	fi
	if diff -r "$US/current/" "$C/rsync/current/" >"$WORK/diff.out" 2>&1; then
		ok "$desc: the rsync tree equals rpkipubd's (diff -r, $(find "$C/rsync/current/" -type f | wc -l) files)"
	else
		bad "$desc: rsync trees differ: $(head -3 "$WORK/diff.out")"
	fi
	# Every mtime equal, but of the objects that carry no time of their
	# own (rpkipubd: when it stored them; rrdpsync: a constant).
	(cd "$US/current/" && find . -printf '%P %Ts\n' | grep -v '/blob' | LC_ALL=C sort) >"$WORK/mt.up"
	(cd "$C/rsync/current/" && find . -printf '%P %Ts\n' | grep -v '/blob' | LC_ALL=C sort) >"$WORK/mt.copy"
	if cmp -s "$WORK/mt.up" "$WORK/mt.copy"; then
		ok "$desc: every file and directory has rpkipubd's mtime"
	else
		bad "$desc: mtimes differ: $(diff "$WORK/mt.up" "$WORK/mt.copy" | head -4 | tr '\n' ' ')"
	fi
	for f in $(find "$C/rsync/current/" -name 'blob*'); do
		[ "$(stat -c %Y "$f")" = 946684800 ] ||
			bad "$desc: $f has mtime $(stat -c %Y "$f"), not the constant 946684800"
	done
	# The notification is upstream's but for the URIs.
	sed -E 's/uri="[^"]*"/uri=""/g' "$UR/notification.xml" >"$WORK/n.up"
	sed -E 's/uri="[^"]*"/uri=""/g' "$C/rrdp/notification.xml" >"$WORK/n.copy"
	if cmp -s "$WORK/n.up" "$WORK/n.copy"; then
		ok "$desc: the notification is upstream's with other URIs ($(grep -c '<delta ' "$WORK/n.copy") deltas)"
	else
		bad "$desc: notifications differ beyond the URIs: $(diff "$WORK/n.up" "$WORK/n.copy" | head -3)"
	fi
	grep -q "uri=\"$SYNC_BASE" "$C/rrdp/notification.xml" && ! grep -q "$UP_BASE" "$C/rrdp/notification.xml" ||
		bad "$desc: the copy's URIs are not under --base-uri $SYNC_BASE"
	# Each listed file byte for byte upstream's, its twin decoding to it.
	while read -r rel want; do
		lh=$(grep "hash=\"$want\"" "$C/rrdp/notification.xml" | sed -n "s|.*uri=\"${SYNC_BASE}\([^\"]*\)\".*|\1|p")
		if [ -z "$lh" ] || ! cmp -s "$UR/$rel" "$C/rrdp/$lh" ||
			! zcat "$C/rrdp/$lh.gz" | cmp -s - "$UR/$rel"; then
			ok=0
			bad "$desc: the copy of $rel is not byte-identical (local $lh)"
		fi
	done < <(sed -n "s|.*uri=\"${UP_BASE}\([^\"]*\)\" hash=\"\([0-9a-f]*\)\".*|\1 \2|p" "$UR/notification.xml")
	[ "$ok" = 1 ] && ok "$desc: every listed file is byte-identical to upstream's, with a .gz twin"
	if bash "$SRC/tests/tools/rrdp-validate.sh" "$C/rrdp" >"$WORK/rng.out" 2>&1; then
		ok "$desc: every RRDP file of the copy follows the RFC 8182 schema"
	else
		bad "$desc: xmllint --relaxng: $(head -3 "$WORK/rng.out")"
	fi
}

start_daemon "$D" "$PORT"
wait_serial 1
add_publisher "$D" "$A" alice
SA=$(state_get "$A" sia_base)

# ---- objects of every kind: CRL, certificate, CMS, one without a time ----
cp "$A/crl.der" "$O/ca.crl"
cp "$A/ta.cer" "$O/ca.cer"
obj "$O/blob.txt" "not an RPKI object" >/dev/null
# A large one too: the snapshot must outweigh the deltas, or rpkipubd
# lists fewer of them (RFC 8182 section 3.3.2) and a copy a serial
# behind would need the snapshot.
head -c 400000 /dev/urandom >"$O/blob-big.gbr"
pc query "$A" --list --save-cms "$O/cms0.roa" >/dev/null 2>"$WORK/pc.err" || fail "pubclient --save-cms failed"
expect_success "publish a CRL, a certificate, a CMS object and a blob" "$A" \
	--publish "${SA}ca.crl=$O/ca.crl" --publish "${SA}ca.cer=$O/ca.cer" \
	--publish "${SA}sub/c0.roa=$O/cms0.roa" --publish "${SA}blob.txt=$O/blob.txt" \
	--publish "${SA}blob-big.gbr=$O/blob-big.gbr"
N=2
wait_serial $N
if sync_once "$C" "$SOURCE" "${SYNC_ARGS[@]}"; then
	ok "first sync: exit 0"
else
	fail "first sync: exit $SYNC_RC: $(tail -2 "$WORK/sync.err")"
fi
grep -q "(first sync).*applied the snapshot" "$WORK/sync.err" && ok "the first sync applied the snapshot" ||
	bad "first sync log: $(tail -1 "$WORK/sync.err")"
grep -q "gzip" "$WORK/sync.err" && ! grep -q "0 gzip" "$WORK/sync.err" &&
	ok "files arrived gzip-coded (kept as the .gz twins)" || bad "no gzip: $(tail -1 "$WORK/sync.err")"
check_copy "serial $N"

# ---- many serials, each followed by its delta ----
# Each query's own CMS (saved by pubclient) is the next object to
# publish: real signed objects, whose mtime is their signing-time.
CUR=$O/cms0.roa
C0HASH=$(sha256sum "$CUR" | cut -d' ' -f1)
SEQ=0
declare -A PUB=()
send() {	# one query with ARGS; the CMS it sends becomes $CUR
	SEQ=$((SEQ + 1))
	q "$A" "$@" --save-cms "$O/q$SEQ.roa"
	[ "$PC_RC" = 0 ] || fail "query $SEQ ($*) refused: $(cat "$WORK/pc.err")"
	CUR=$O/q$SEQ.roa
}
change() {	# change I: publish dI.roa, replace sub/c0.roa, or withdraw
	local i=$1 h
	h=$(sha256sum "$CUR" | cut -d' ' -f1)
	case $((i % 3)) in
	1) PUB[$i]=$h; send --publish "${SA}d/c$i.roa=$CUR" ;;
	2) send --replace "${SA}sub/c0.roa=$CUR@$C0HASH"; C0HASH=$h ;;
	0) send --withdraw "${SA}d/c$((i - 2)).roa@${PUB[$((i - 2))]}" ;;
	esac
}
for i in $(seq 1 12); do
	change "$i"
	N=$((N + 1))
	wait_serial $N
	if [ $((i % 5)) = 0 ]; then	# two serials in one round
		change 2
		N=$((N + 1))
		wait_serial $N
	fi
	if ! sync_once "$C" "$SOURCE" "${SYNC_ARGS[@]}"; then
		bad "round at serial $N: exit $SYNC_RC: $(tail -1 "$WORK/sync.err")"
		continue
	fi
	grep -q "applied delta" "$WORK/sync.err" || bad "serial $N: not from deltas: $(grep 'INFO: session' "$WORK/sync.err")"
	check_copy "serial $N" >"$WORK/check.out"
	grep '^FAIL' "$WORK/check.out" || ok "serial $N: the copy checks out ($(grep -c '^ok' "$WORK/check.out") checks)"
done
grep -c "applied the snapshot" "$WORK/sync.log" | grep -qx 1 &&
	ok "$(grep -c 'applied delta' "$WORK/sync.log") rounds applied deltas, only the first a snapshot" ||
	bad "snapshots applied: $(grep -c 'applied the snapshot' "$WORK/sync.log")"
grep -oE "applied deltas [0-9]+-[0-9]+" "$WORK/sync.log" |
	awk '{ split($3, r, "-"); if (r[2] == r[1] + 1) n++ } END { exit n ? 0 : 1 }' &&
	ok "a round two serials behind applied both deltas" || bad "no round applied two deltas"
ST=$C/rrdp/.rrdpsync/status.json
grep -q '"current": true' "$ST" && grep -q "\"serial\": $N," "$ST" &&
	grep -q "\"session\": \"$(session)\"" "$ST" && grep -q '"last_round": "delta' "$ST" &&
	grep -q '"last_error": null' "$ST" &&
	ok "status file: current at serial $N, last round $(sed -n 's/.*"last_round": "\([^"]*\)".*/\1/p' "$ST")" ||
	bad "status file: $(tr -d '\n' <"$ST")"

# ---- nothing new: 304, nothing changes ----
copy_fingerprint "$C" >"$WORK/fp.before"
sync_once "$C" "$SOURCE" --ca-file "$TLS/ca.pem" --keep 3600 && grep -q "not modified (304)" "$WORK/sync.err" &&
	ok "an unchanged upstream answers 304: exit 0" || bad "no 304: $(tail -1 "$WORK/sync.err")"
copy_fingerprint "$C" >"$WORK/fp.after"
cmp -s "$WORK/fp.before" "$WORK/fp.after" && ok "after a 304 the copy is as it was" || bad "the copy changed after a 304"

# ---- as a daemon: metrics, a second instance refused, SIGHUP, SIGTERM ----
METRICS=http://127.0.0.1:$MPORT/metrics
"$SYNC_BIN" --source "$SOURCE" --rrdp-dir "$C/rrdp" --rsync-dir "$C/rsync" --base-uri "$SYNC_BASE" \
	"${SYNC_ARGS[@]}" --interval 3600 --metrics "127.0.0.1:$MPORT" </dev/null 2>>"$WORK/daemon.log" &
SYNC_PID=$!
DAEMON_PIDS+=("$SYNC_PID")
for _ in $(seq 100); do [ "$(metric "$METRICS" rrdpsync_rounds_total)" = 1 ] && break; sleep 0.1; done
[ "$(metric "$METRICS" rrdpsync_rounds_total)" = 1 ] && ok "daemon: the first round at start (metrics on 127.0.0.1:$MPORT)" ||
	fail "daemon: no first round: $(tail -2 "$WORK/daemon.log")"
if sync_once "$C" "$SOURCE" "${SYNC_ARGS[@]}"; then
	bad "a second rrdpsync on the same copy ran"
else
	grep -q "another rrdpsync works on this copy" "$WORK/sync.err" &&
		ok "a second rrdpsync on the copy is refused (lock): $(grep -o 'another rrdpsync.*' "$WORK/sync.err")" ||
		bad "second instance: $(tail -1 "$WORK/sync.err")"
fi
change 2
N=$((N + 1))
wait_serial $N
kill -HUP "$SYNC_PID"
for _ in $(seq 100); do [ "$(metric "$METRICS" "rrdpsync_serial{session=\"$(session)\"}")" = "$N" ] && break; sleep 0.1; done
[ "$(metric "$METRICS" "rrdpsync_serial{session=\"$(session)\"}")" = "$N" ] &&
	ok "SIGHUP: a round now, serial $N (an interval of 3600 s)" || bad "SIGHUP did not bring serial $N"
curl -sS "$METRICS" >"$WORK/metrics"
for m in rrdpsync_rounds_total rrdpsync_deltas_applied_total rrdpsync_snapshots_applied_total \
	rrdpsync_fetched_bytes_total rrdpsync_rfc9697_desyncs_total rrdpsync_last_success_timestamp_seconds \
	rrdpsync_last_round_duration_seconds 'rrdpsync_failures_total{reason="hash"}'; do
	grep -q "^$m " "$WORK/metrics" || bad "metric $m missing"
done
[ "$(metric "$METRICS" rrdpsync_snapshots_applied_total)" = 0 ] && [ "$(metric "$METRICS" rrdpsync_deltas_applied_total)" = 1 ] &&
	ok "metrics: this daemon applied 1 delta and no snapshot" ||
	bad "metrics: $(grep -E '^rrdpsync_(deltas|snapshots)_applied' "$WORK/metrics" | tr '\n' ' ')"
check_copy "daemon, serial $N" >"$WORK/check.out"
grep '^FAIL' "$WORK/check.out" || ok "daemon, serial $N: the copy checks out"
kill -TERM "$SYNC_PID"
wait "$SYNC_PID"
rc=$?
[ $rc = 0 ] && ok "SIGTERM: the daemon stops with exit 0" || bad "daemon exit $rc on SIGTERM"

# ---- session reset: the snapshot, old files kept --keep seconds ----
SESSION1=$(session)
ctl "$D" session-reset >/dev/null || fail "session-reset failed"
for _ in $(seq 100); do [ "$(session)" != "$SESSION1" ] && break; sleep 0.1; done
[ "$(session)" != "$SESSION1" ] || fail "no new session"
sync_once "$C" "$SOURCE" "${SYNC_ARGS[@]}" && grep -q "(new session).*applied the snapshot" "$WORK/sync.err" &&
	ok "session reset: the new session from its snapshot" || bad "session reset: $(tail -2 "$WORK/sync.err")"
check_copy "new session" >"$WORK/check.out"
grep '^FAIL' "$WORK/check.out" || ok "new session: the copy checks out"
[ -d "$C/rrdp/$SESSION1" ] && ok "the old session's files stay for --keep" || bad "old session files removed at once"
sleep 4.5
sync_once "$C" "$SOURCE" "${SYNC_ARGS[@]}" || bad "round after --keep: exit $SYNC_RC"
[ ! -e "$C/rrdp/$SESSION1" ] && ok "after --keep the old session's files are gone" ||
	bad "old session still there: $(find "$C/rrdp/$SESSION1" -type f | head -2)"

# ---- nginx serves the copy; a second edge follows it through nginx ----
G=$WORK/ngx
"$BIN/rpkipubctl" init --data-dir "$G" --service-uri "http://127.0.0.1:$PORT/rpki" \
	--rsync-base rsync://rpki.example.net/repo/ --rrdp-base "$SYNC_BASE" --rrdp-listen none \
	>/dev/null 2>&1 || fail "rpkipubctl init for nginx-conf failed"
sed -i "s|^rrdp_dir = .*|rrdp_dir = $C/rrdp|" "$G/rpkipubd.conf"
"$BIN/rpkipubctl" --data-dir "$G" nginx-conf >"$WORK/edge.conf" || fail "nginx-conf failed"
mkdir -p "$WORK/nginx-tmp"
{
	[ "$(id -u)" = 0 ] && echo "user root;"
	cat <<EOF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log info;
events { worker_connections 64; }
http {
	access_log $WORK/nginx-access.log;
	client_body_temp_path $WORK/nginx-tmp/body;
	proxy_temp_path $WORK/nginx-tmp/proxy;
	fastcgi_temp_path $WORK/nginx-tmp/fastcgi;
	uwsgi_temp_path $WORK/nginx-tmp/uwsgi;
	scgi_temp_path $WORK/nginx-tmp/scgi;
	include $WORK/edge.conf;
}
EOF
} >"$WORK/nginx.conf"
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -g "daemon off;" </dev/null >>"$WORK/nginx-error.log" 2>&1 &
DAEMON_PIDS+=("$!")
for _ in $(seq 100); do port_open "$NPORT" && break; sleep 0.05; done
port_open "$NPORT" || fail "nginx does not answer: $(tail -3 "$WORK/nginx-error.log")"
curl -sS --max-time 10 -o "$WORK/n.nginx" "${SYNC_BASE}notification.xml" &&
	cmp -s "$WORK/n.nginx" "$C/rrdp/notification.xml" && ok "nginx serves the copy's notification.xml" ||
	bad "nginx: notification differs"
SNAP=$(sed -n "s|.*<snapshot uri=\"${SYNC_BASE}\([^\"]*\)\".*|\1|p" "$C/rrdp/notification.xml")
curl -sS --max-time 10 -H 'Accept-Encoding: gzip' -D "$WORK/snap.hdr" -o "$WORK/snap.gz" "$SYNC_BASE$SNAP" &&
	grep -qi '^content-encoding: gzip' "$WORK/snap.hdr" && cmp -s "$WORK/snap.gz" "$C/rrdp/$SNAP.gz" &&
	ok "nginx serves the snapshot's .gz twin (gzip_static)" || bad "nginx: gzip snapshot not the twin"
if sync_once "$WORK/copy2" "${SYNC_BASE}notification.xml" --state-dir "$WORK/copy2-state"; then
	ok "a second rrdpsync follows the first copy through nginx"
else
	bad "second-level sync: $(tail -2 "$WORK/sync.err")"
fi
"$BIN/rpkipubctl" verify --rrdp-dir "$WORK/copy2/rrdp" --rsync-dir "$WORK/copy2/rsync" >"$WORK/verify2.out" 2>&1 &&
	diff -r "$C/rsync/current/" "$WORK/copy2/rsync/current/" >/dev/null &&
	ok "the second copy passes verify and has the same rsync tree" ||
	bad "second copy: $(head -3 "$WORK/verify2.out")"

# ---- --connect-to: the URLs name one address, connections go to another
# (an edge reaching the engine at its internal address while --source is
# the public notification URL, the origin every URI must have: RFC 9674).
# A forwarder stands for the internal address and logs each connection.
read -r FPORT DEADPORT < <(free_ports 2 | paste -s -d ' ')
"$PY" "$SRC/tests/tools/tcpfwd.py" "$FPORT" "$RPORT" "$WORK/fwd.log" </dev/null &
DAEMON_PIDS+=("$!")
for _ in $(seq 100); do port_open "$FPORT" && break; sleep 0.05; done
if sync_once "$WORK/copy3" "$SOURCE" --state-dir "$WORK/copy3-state" "${SYNC_ARGS[@]}" \
	--connect-to "127.0.0.1:$RPORT:127.0.0.1:$FPORT" &&
	[ "$(grep -c '^connection' "$WORK/fwd.log" 2>/dev/null)" -ge 2 ] &&
	"$BIN/rpkipubctl" verify --rrdp-dir "$WORK/copy3/rrdp" --rsync-dir "$WORK/copy3/rsync" >/dev/null 2>&1; then
	ok "--connect-to: every fetch of $SOURCE went to 127.0.0.1:$FPORT ($(grep -c '^connection' "$WORK/fwd.log") connections), the copy verifies"
else
	bad "--connect-to: rc $SYNC_RC, $(grep -c '^connection' "$WORK/fwd.log" 2>/dev/null) connections: $(tail -1 "$WORK/sync.err")"
fi
sync_once "$WORK/copy4" "$SOURCE" --state-dir "$WORK/copy4-state" "${SYNC_ARGS[@]}" \
	--connect-to "127.0.0.1:$RPORT:127.0.0.1:$DEADPORT"
[ "$SYNC_RC" = 1 ] && grep -q "$DEADPORT\|onnect" "$WORK/sync.err" &&
	ok "--connect-to a closed port: the round fails (exit 1: $(tail -1 "$WORK/sync.err" | cut -c1-100))" ||
	bad "--connect-to a closed port: rc $SYNC_RC: $(tail -1 "$WORK/sync.err")"
"$SYNC_BIN" --source "$SOURCE" --rrdp-dir "$WORK/x" --rsync-dir "$WORK/y" --base-uri "$SYNC_BASE" \
	--once --connect-to "127.0.0.1:$RPORT" </dev/null >/dev/null 2>"$WORK/ct.err"
[ $? = 2 ] && grep -q 'HOST:PORT:ADDR:PORT' "$WORK/ct.err" &&
	ok "--connect-to without a target: usage error (exit 2)" || bad "--connect-to syntax: $(cat "$WORK/ct.err")"

stop_daemon "$DAEMON_PID" && ok "rpkipubd stops cleanly" || bad "rpkipubd stop"
finish
