#!/usr/bin/env bash
# rrdpsync against hostile or broken upstreams (tests/tools/rrdpserve.py
# serving repositories of tests/tools/rrdpgen.py, gzip-coded in two
# members): a copy synced at serial 5, then one fault at a time: a wrong
# hash (delta, snapshot), a truncated file, a serial gap, a regression,
# URIs of another origin, redirects to another origin (notification,
# delta), an entity bomb (notification, snapshot), a DOCTYPE, a gzip
# bomb, a content coding not asked for, 5xx, a 304 to a first request, a
# stalled server (total and stall timeouts), oversized notifications
# (the option and the default limit) and a round over its total limit.  Each must make rrdpsync exit 1 with one ERROR line
# naming the rule, and leave the copy exactly as it was: notification
# bytes, every file, `current` and its tree.  Then a delta that does not
# fit the tree (RFC 8182 section 3.4.2) is replaced by the snapshot in
# the same round, and a same-origin redirect is followed.
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/sync_lib.sh
. "$(dirname "$0")/sync_lib.sh"
lib_setup
[ -x "$SYNC_BIN" ] || fail "$SYNC_BIN is missing: build first"

PORT=$(free_ports 1)
UP=http://127.0.0.1:$PORT/
SES=2f0d3c4e-8a1b-4c5d-9e6f-7a8b9c0d1e2f
C=$WORK/copy
RULES=$WORK/rules.json
LOG=$WORK/server.log
echo '{"*": {"gzip": true, "members": 2}}' >"$RULES"
gen() {	# gen NAME SERIAL [rrdpgen args]: a repository in $WORK/NAME
	local name=$1 serial=$2
	shift 2
	rm -rf "${WORK:?}/$name"
	"$PY" "$RRDPGEN" "$WORK/$name" --base "$UP" --session "$SES" --serial "$serial" "$@" ||
		fail "rrdpgen $name failed"
}
serve() { ln -sfn "$WORK/$1" "$WORK/root"; }
rules() { printf '%s\n' "$1" >"$RULES"; }

gen good5 5
serve good5
start_rrdpserve "$WORK/root" "$PORT" "$RULES" "$LOG"
sync_once "$C" "${UP}notification.xml" --keep 3600 ||
	fail "baseline sync: exit $SYNC_RC: $(tail -2 "$WORK/sync.err")"
grep -q "2 gzip\|[0-9] gzip" "$WORK/sync.err" && ! grep -q " 0 gzip" "$WORK/sync.err" &&
	ok "baseline: serial 5 synced, files gzip-coded in two members" ||
	bad "baseline: $(tail -1 "$WORK/sync.err")"
"$BIN/rpkipubctl" verify --rrdp-dir "$C/rrdp" --rsync-dir "$C/rsync" >/dev/null 2>&1 &&
	ok "baseline: verify passes" || bad "baseline: verify fails"
copy_fingerprint "$C" >"$WORK/fp.base"

# hostile DESC REGEX [rrdpsync args]: the round fails with one ERROR line
# matching REGEX and the copy is unchanged.
hostile() {
	local desc=$1 want=$2 line
	shift 2
	if sync_once "$C" "${UP}notification.xml" --keep 3600 "$@"; then
		bad "$desc: rrdpsync exit 0"
	else
		line=$(grep ' ERROR: ' "$WORK/sync.err" | tail -1)
		if [ "$SYNC_RC" = 1 ] && [ "$(grep -c ' ERROR: ' "$WORK/sync.err")" = 1 ] &&
			grep -Eq -- "$want" <<<"$line"; then
			ok "$desc: exit 1: ${line#* ERROR: }"
		else
			bad "$desc: exit $SYNC_RC, want 1 and an ERROR line matching '$want': $line"
		fi
	fi
	copy_fingerprint "$C" >"$WORK/fp.now"
	cmp -s "$WORK/fp.base" "$WORK/fp.now" && ok "$desc: the copy is unchanged" ||
		bad "$desc: the copy changed: $(diff "$WORK/fp.base" "$WORK/fp.now" | head -3 | tr '\n' ' ')"
}

gen bad 6 --wrong-hash 6
serve bad
hostile "wrong delta hash" "RFC 8182 section 3\.4\.2: delta 6 \(.*\) has SHA-256 [0-9a-f]{64}, the notification lists [0-9a-f]{64}"
gen bad 6 --wrong-hash snapshot
hostile "wrong snapshot hash" "RFC 8182 section 3\.4\.3: snapshot 6 .* has SHA-256"
gen bad 6
rules '{"/6/snapshot.xml": {"truncate": 700}}'
hostile "truncated snapshot" "snapshot 6: GET .*6/snapshot.xml: transfer closed with [0-9]+ bytes remaining to read"
rules '{"*": {"gzip": true}, "/6/delta.xml": {"gzip": true, "truncate": 100}}'
hostile "truncated gzip-coded delta" "delta 6: GET .*: transfer closed with [0-9]+ bytes remaining to read"
rules '{"*": {"gzip": true}}'
gen bad 8 --omit-delta 7
hostile "serial gap" "RFC 8182 section 3\.3\.2: the deltas listed jump from serial 8 to 6 \(a gap\)"
gen bad 8 --omit-delta 8
hostile "newest delta missing" "RFC 8182 section 3\.3\.2: the newest delta listed is serial 7"
gen bad 4
hostile "serial regression" "RFC 8182 section 3\.4\.1: upstream's serial went back from 5 to 4 .* refused"
gen bad 6 --foreign "http://127.0.0.2:$PORT/"
hostile "snapshot URI of another origin" "RFC 9674 section 3\.2: the snapshot URI http://127\.0\.0\.2:$PORT/6/snapshot\.xml is not on the notification's origin http://127\.0\.0\.1:$PORT"
gen bad 6
rules "{\"/notification.xml\": {\"redirect\": \"http://localhost:$PORT/notification.xml\"}}"
hostile "notification redirected to another origin" "RFC 9674 section 3\.2: .*notification\.xml redirects \(HTTP 302\) to http://localhost:$PORT/notification\.xml, another origin: not followed"
rules "{\"/6/delta.xml\": {\"redirect\": \"http://localhost:$PORT/6/delta.xml\", \"code\": 307}}"
hostile "delta redirected to another origin" "RFC 9674 section 3\.2: .*6/delta\.xml redirects \(HTTP 307\) to http://localhost:$PORT/6/delta\.xml, another origin: not followed \(delta 6\)"
rules '{}'
gen bad 6 --entity-bomb notification
hostile "entity bomb in the notification" "RFC 8182 section 3\.5\.1\.3: .*(DOCTYPE|entit)"
gen bad 6 --entity-bomb snapshot
hostile "entity bomb in the snapshot" "snapshot 6 .*RFC 8182 section 3\.5\.2\.3: DOCTYPE or entity declaration refused"
gen bad 6 --doctype 6
hostile "DOCTYPE in a delta" "delta 6 .*RFC 8182 section 3\.5\.3\.3: DOCTYPE or entity declaration refused"
gen bad 6
# A snapshot's start, then 64 MB of white space: well-formed as far as
# it goes, so only the limit stops it.
"$PY" -c 'import gzip, sys; sys.stdout.buffer.write(gzip.compress(
    b"<snapshot xmlns=\"http://www.ripe.net/rpki/rrdp\" version=\"1\" session_id=\"" +
    sys.argv[1].encode() + b"\" serial=\"6\">" + b" " * (64 << 20), 9))' "$SES" >"$WORK/bad/bomb.gz"
rules '{"/6/snapshot.xml": {"gzip_file": "bomb.gz"}}'
hostile "gzip bomb ($(stat -c %s "$WORK/bad/bomb.gz") bytes, 64 MB decoded)" \
	"snapshot 6 .*the gzip-coded body decodes to more than the limit of 8388608 bytes \(a decompression bomb\?\) \(--max-snapshot-size\)" \
	--max-snapshot-size 8M
rules '{}'
hostile "a snapshot over --max-snapshot-size" \
	"snapshot 6 \(.*\): larger than the limit of 4096 bytes \(--max-snapshot-size\)" \
	--max-snapshot-size 4K
# Each file within its limit, the round's files together not.
ROUND=$(( $(stat -c %s "$WORK/bad/6/snapshot.xml") > $(stat -c %s "$WORK/bad/6/delta.xml") ?
	$(stat -c %s "$WORK/bad/6/snapshot.xml") : $(stat -c %s "$WORK/bad/6/delta.xml") ))
hostile "snapshot and delta over --max-round-size $ROUND, each within it" \
	"(snapshot|delta) 6 \(.*\): larger than the limit of [0-9]+ bytes \(what is left of --max-round-size\)" \
	--max-round-size "$ROUND"
rules '{"/6/snapshot.xml": {"encoding": "br"}}'
hostile "a content coding not asked for" "snapshot 6: GET .*Content-Encoding \"br\" was not asked for"
rules '{"/notification.xml": {"status": 503}}'
hostile "notification 503" "notification: GET .*notification\.xml: HTTP status 503"
rules '{"/6/delta.xml": {"status": 500}}'
hostile "delta 500" "delta 6: GET .*6/delta\.xml: HTTP status 500"
# A 304 to a copy that has nothing yet (no validators sent): no sync.
rules '{"/notification.xml": {"status": 304}}'
if sync_once "$WORK/fresh" "${UP}notification.xml"; then
	bad "304 to an unconditional request: rrdpsync exit 0"
else
	grep -q "ERROR: notification: GET .*notification\.xml: 304 Not Modified to an unconditional request" "$WORK/sync.err" &&
		[ "$SYNC_RC" = 1 ] && [ ! -e "$WORK/fresh/rrdp/notification.xml" ] &&
		ok "304 to a first (unconditional) request: exit 1, nothing written" ||
		bad "304 to a first request: exit $SYNC_RC: $(tail -1 "$WORK/sync.err")"
fi
rules '{"/notification.xml": {"stall": 8}}'
T0=$(date +%s)
hostile "stalled server (--timeout 2)" "notification: GET .*: Operation timed out after [0-9]+ milliseconds" --timeout 2
[ $(($(date +%s) - T0)) -le 6 ] && ok "the timeout cut the stall short" || bad "took $(($(date +%s) - T0)) s"
# SIGTERM while the server has not answered yet: the stop is not held up
# by the transfer (--timeout 60), and the copy stays.
"$SYNC_BIN" --once --source "${UP}notification.xml" --rrdp-dir "$C/rrdp" --rsync-dir "$C/rsync" \
	--base-uri https://edge.example.net/rrdp/ --keep 3600 </dev/null 2>"$WORK/term.err" &
TPID=$!
sleep 1.5
T0=$(date +%s%N)
kill -TERM "$TPID"
wait "$TPID"
TRC=$?
T1=$(date +%s%N)
[ $(((T1 - T0) / 1000000)) -le 2000 ] && grep -q "stopped by a signal" "$WORK/term.err" &&
	ok "SIGTERM before the headers: stopped in $(((T1 - T0) / 1000000)) ms (exit $TRC)" ||
	bad "SIGTERM before the headers: $(((T1 - T0) / 1000000)) ms, exit $TRC: $(tail -1 "$WORK/term.err")"
copy_fingerprint "$C" >"$WORK/fp.now"
cmp -s "$WORK/fp.base" "$WORK/fp.now" && ok "SIGTERM: the copy is unchanged" || bad "SIGTERM: the copy changed"
rules '{"/6/snapshot.xml": {"stall_body": 8}}'
hostile "stall in the middle of a body (--stall-timeout 1)" "snapshot 6: GET .*Operation too slow" --stall-timeout 1
rules '{}'
gen bad 6 --pad 200000
hostile "oversized notification (--max-notification-size 64K)" \
	"notification .*larger than the limit of 65536 bytes \(--max-notification-size\)" \
	--max-notification-size 64K
gen bad 6 --pad 17000000
hostile "oversized notification (default limit)" "larger than the limit of 16777216 bytes"
grep -q 'GET /6/snapshot.xml' "$LOG" && ok "the server saw the fetches ($(wc -l <"$LOG") requests)" ||
	bad "the server log lacks the snapshot fetches"

# ---- a delta that does not fit: the snapshot in the same round ----
rules '{"*": {"gzip": true}}'
gen fit 6 --no-fit 6
serve fit
if sync_once "$C" "${UP}notification.xml" --keep 3600; then
	grep -q "WARNING: RFC 8182 section 3.4.2: delta 6 replaces .*manifest.mft with hash 0\{64\}, but the object there has .*the rsync tree is built from the snapshot instead" "$WORK/sync.err" &&
		grep -q "applied the snapshot (a delta did not fit)" "$WORK/sync.err" &&
		ok "a delta that does not fit the tree: WARNING, then the snapshot in the same round" ||
		bad "no-fit delta: $(grep -E 'WARNING|INFO: session' "$WORK/sync.err")"
else
	bad "no-fit delta: exit $SYNC_RC: $(tail -1 "$WORK/sync.err")"
fi
# verify finds upstream's broken delta (mirrored as it is) and nothing
# else: the rsync tree is the snapshot's.
verify_upstream_fault() {
	"$BIN/rpkipubctl" verify --rrdp-dir "$C/rrdp" --rsync-dir "$C/rsync" >"$WORK/verify.out" 2>&1
	if [ "$(grep -c '^problem: ' "$WORK/verify.out")" = 1 ] &&
		grep -q '^problem: .*delta 6 replaces .*manifest.mft with hash 0\{64\}' "$WORK/verify.out" &&
		grep -q 'rsync tree: [0-9]* files match' "$WORK/verify.out"; then
		ok "$1: verify finds only upstream's broken delta 6; the rsync tree matches the snapshot"
	else
		bad "$1: verify: $(head -3 "$WORK/verify.out")"
	fi
}
verify_upstream_fault "serial 6"

# ---- a same-origin redirect is followed ----
gen fit 7 --no-fit 6
mkdir -p "$WORK/fit/moved"
cp "$WORK/fit/notification.xml" "$WORK/fit/moved/notification.xml"
rules '{"/notification.xml": {"redirect": "/moved/notification.xml", "code": 301}}'
if sync_once "$C" "${UP}notification.xml" --keep 3600; then
	grep -q "applied delta 7" "$WORK/sync.err" &&
		ok "a redirect within the origin is followed (and delta 7 applied)" ||
		bad "redirect: $(tail -1 "$WORK/sync.err")"
else
	bad "same-origin redirect: exit $SYNC_RC: $(tail -1 "$WORK/sync.err")"
fi
grep -q 'GET /moved/notification.xml 200' "$LOG" && ok "the notification came from the redirect's target" ||
	bad "no GET of the redirect's target"
verify_upstream_fault "serial 7"
finish
