#!/usr/bin/env bash
# The repository writer against the real rpkipubd: RRDP serials from
# publications (one delta per interval, collapsed to the net change, none
# when nothing changed), every file valid against the RFC 8182 RELAX NG
# schema (xmllint), .gz twins, rpkipubctl verify after every step, listed
# deltas that never change across serials and restarts (RFC 9697), the
# rsync tree with deterministic mtimes, session-reset, a new session when
# the store is restored from an older copy, and removal of unreferenced
# files, old trees and announced changes after their keep time.
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
lib_setup
command -v xmllint >/dev/null || fail "xmllint (libxml2-utils) is missing"

read -r PORT APORT < <(free_ports 2 | paste -s -d ' ')
D=$WORK/server
A=$WORK/alice
O=$WORK/objects
mkdir -p "$O"
init_server "$D" "$PORT" "$APORT" --rrdp-interval 1 --rrdp-listen none
# Short keep times, so the removals can be watched.
printf 'rrdp_keep = 4\nrsync_keep = 4\nchange_log_keep = 4\n' >>"$D/rpkipubd.conf"
R=$D/rrdp
S=$D/rsync
NOTIF=$R/notification.xml

serial() { sed -n 's/.*<notification [^>]*serial="\([0-9]*\)".*/\1/p' "$NOTIF" 2>/dev/null; }
session() { sed -n 's/.*<notification [^>]*session_id="\([^"]*\)".*/\1/p' "$NOTIF" 2>/dev/null; }

# wait_serial N: until the notification announces serial N or more (10 s).
wait_serial() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(serial)" -ge "$1" ] 2>/dev/null && return 0
		sleep 0.1
	done
	fail "serial $1 not announced within 10 s (now $(serial))"
}

# announced: copy notification.xml and the files it names (with their
# .gz twins) to $WORK/announced: what a relying party can fetch.  Files
# of a serial being written are not announced yet and are left out.
announced() {
	local rel
	rm -rf "$WORK/announced"
	mkdir -p "$WORK/announced"
	cp "$NOTIF" "$WORK/announced/notification.xml"
	for rel in $(sed -n 's/.*uri="[^"]*\/rrdp\/\([^"]*\)".*/\1/p' "$WORK/announced/notification.xml"); do
		mkdir -p "$WORK/announced/$(dirname "$rel")"
		cp "$R/$rel" "$R/$rel.gz" "$WORK/announced/$(dirname "$rel")/"
	done
}

# check_repo DESC: verify, the RELAX NG schema and the gzip twins.
check_repo() {
	local f
	if ctl "$D" verify >"$WORK/verify.out" 2>&1; then
		ok "$1: rpkipubctl verify passes"
	else
		bad "$1: rpkipubctl verify: $(grep -v '^verify: PASS' "$WORK/verify.out" | head -3)"
	fi
	announced
	if bash "$SRC/tests/tools/rrdp-validate.sh" "$WORK/announced" >"$WORK/rng.out" 2>&1; then
		ok "$1: every announced RRDP file follows the RFC 8182 schema"
	else
		bad "$1: xmllint --relaxng: $(head -3 "$WORK/rng.out")"
	fi
	for f in $(find "$WORK/announced" -name '*.xml.gz'); do
		zcat "$f" | cmp -s - "${f%.gz}" || { bad "$1: $f is not the gzip of ${f%.gz}"; return; }
	done
	ok "$1: every .gz twin decompresses to its file"
}

start_daemon "$D" "$PORT"
wait_serial 1
[ "$(serial)" = 1 ] && ok "a new instance announces serial 1 (empty snapshot)" ||
	bad "first serial is $(serial)"
SESSION1=$(session)
grep -q 'rpkipub-rrdp-state' "$R/.rpkipub-state" && [ "$(grep '^session ' "$R/.rpkipub-state" | cut -d' ' -f2)" = "$SESSION1" ] &&
	ok "the session made at init ($SESSION1) is the one announced" ||
	bad "state file and notification disagree on the session"
check_repo "serial 1"

add_publisher "$D" "$A" alice
SA=$(state_get "$A" sia_base)

# ---- objects of every kind, for the mtimes ----
cp "$A/crl.der" "$O/ca.crl"
cp "$A/ta.cer" "$O/ca.cer"
obj "$O/blob.txt" "not an RPKI object" >/dev/null
head -c 300000 /dev/urandom >"$O/big.gbr"		# makes the snapshot outweigh deltas
pc query "$A" --list --save-cms "$O/signed.roa" >/dev/null 2>"$WORK/pc.err" ||
	fail "pubclient --save-cms failed"
BEFORE=$(date +%s)
expect_success "publish a CRL, a certificate, a CMS object and two others" "$A" \
	--publish "${SA}ca.crl=$O/ca.crl" --publish "${SA}ca.cer=$O/ca.cer" \
	--publish "${SA}sub/signed.roa=$O/signed.roa" --publish "${SA}blob.txt=$O/blob.txt" \
	--publish "${SA}big.gbr=$O/big.gbr"
wait_serial 2
check_repo "serial 2"
grep -c '<publish ' "$(find "$R/$SESSION1/2" -name delta.xml)" | grep -qx 5 &&
	ok "delta 2 holds the five publishes" || bad "delta 2 does not hold five publishes"

T=$S/current/repo/alice
want_mtime() {	# FILE EPOCH DESC
	local m
	m=$(stat -c %Y "$1")
	[ "$m" = "$2" ] && ok "mtime of $3 is $2" || bad "mtime of $3 is $m, want $2"
}
want_mtime "$T/ca.crl" "$(date -d "$(openssl crl -inform DER -in "$O/ca.crl" -noout -lastupdate | cut -d= -f2)" +%s)" "the CRL (thisUpdate)"
want_mtime "$T/ca.cer" "$(date -d "$(openssl x509 -inform DER -in "$O/ca.cer" -noout -startdate | cut -d= -f2)" +%s)" "the certificate (notBefore)"
ST=$(openssl cms -cmsout -print -inform DER -in "$O/signed.roa" | grep -A3 'signingTime' | sed -n 's/.*UTCTIME:\(.*\)/\1/p' | head -1)
want_mtime "$T/sub/signed.roa" "$(date -d "$ST" +%s)" "the CMS object (signing-time)"
M=$(stat -c %Y "$T/blob.txt")
[ "$M" -ge "$BEFORE" ] && [ "$M" -le "$(date +%s)" ] && ok "an unparsable object gets the time it was stored" ||
	bad "mtime of blob.txt is $M, not the time it was stored"
want_mtime "$T/sub" 946684800 "a directory (the constant)"
cmp -s "$T/ca.crl" "$O/ca.crl" && ok "the rsync tree holds the published bytes" || bad "rsync file differs"

# ---- no change, no serial; changes that cancel out make none either ----
sleep 2.5
[ "$(serial)" = 2 ] && ok "no change: no new serial" || bad "serial $(serial) without a change"
obj "$O/tmp.roa" "short-lived" >/dev/null
expect_success "publish and withdraw one URI in one query" "$A" \
	--publish "${SA}tmp.roa=$O/tmp.roa" --withdraw "${SA}tmp.roa@$(sha256sum "$O/tmp.roa" | cut -d' ' -f1)"
sleep 2.5
[ "$(serial)" = 2 ] && ok "a change that cancels out makes no serial (never an empty delta)" ||
	bad "serial $(serial) after a cancelled change"

# ---- several changes to one URI collapse to the net change ----
H1=$(obj "$O/m1.mft" "manifest 1")
obj "$O/m2.mft" "manifest 2" >/dev/null
H2=$(sha256sum "$O/m2.mft" | cut -d' ' -f1)
H3=$(obj "$O/m3.mft" "manifest 3")
expect_success "publish m.mft" "$A" --publish "${SA}m.mft=$O/m1.mft"
wait_serial 3
expect_success "replace m.mft twice in one query" "$A" \
	--replace "${SA}m.mft=$O/m2.mft@$H1" --replace "${SA}m.mft=$O/m3.mft@$H2"
wait_serial 4
DELTA4=$(find "$R/$SESSION1/4" -name delta.xml)
if [ "$(grep -c '<publish ' "$DELTA4")" = 1 ] && grep -q "hash=\"$H1\"" "$DELTA4" &&
	grep -q "$(base64 -w0 "$O/m3.mft")" "$DELTA4"; then
	ok "two replaces in one interval are one publish: old hash of the first, content of the last"
else
	bad "delta 4 is not the net change: $(cat "$DELTA4")"
fi
[ "$(stat -c %i "$S/current/repo/alice/big.gbr")" = "$(stat -c %i "$S/trees/$(grep '^tree ' "$R/.rpkipub-state" | cut -d' ' -f2)/repo/alice/big.gbr")" ] &&
	ok "current is the state's tree" || bad "current is not the tree the state names"
check_repo "serial 4"
curl -sS --max-time 10 "http://127.0.0.1:$APORT/metrics" >"$WORK/metrics" || fail "GET /metrics failed"
grep -qx "rpkipubd_rrdp_serial{session=\"$SESSION1\"} 4" "$WORK/metrics" &&
	grep -qx 'rpkipubd_objects 6' "$WORK/metrics" && grep -qx 'rpkipubd_rrdp_serials_total 4' "$WORK/metrics" &&
	ok "metrics: serial 4, 6 objects, 4 serials written" ||
	bad "metrics: $(grep -E '^rpkipubd_(rrdp_serial|objects|rrdp_serials_total)' "$WORK/metrics")"

# ---- listed deltas never change, across serials and restarts ----
declare -A SEEN=()
# record_deltas: every (serial, hash) listed must equal what was seen before.
record_deltas() {
	local line s h changed=0
	while read -r line; do
		s=$(sed -n 's/.*serial="\([0-9]*\)".*/\1/p' <<<"$line")
		h=$(sed -n 's/.*hash="\([0-9a-f]*\)".*/\1/p' <<<"$line")
		if [ -n "${SEEN[$s]:-}" ] && [ "${SEEN[$s]}" != "$h" ]; then
			changed=1
			bad "delta $s changed: ${SEEN[$s]} -> $h (RFC 9697)"
		fi
		SEEN[$s]=$h
	done < <(grep '<delta ' "$NOTIF")
	return $changed
}
record_deltas
N=$(serial)
for i in $(seq 1 10); do
	obj "$O/c$i.roa" "change $i" >/dev/null
	expect_success "change $i" "$A" --publish "${SA}c$i.roa=$O/c$i.roa" >/dev/null
	N=$((N + 1))
	wait_serial "$N"
	record_deltas || true
	case $i in
	4) stop_daemon "$DAEMON_PID" || bad "rpkipubd did not stop cleanly"
	   start_daemon "$D" "$PORT" ;;
	7) kill9_daemon "$DAEMON_PID"
	   start_daemon "$D" "$PORT" ;;
	esac
done
# Checked at once: rrdp_keep (4 s) may pass during the checks below on a
# loaded machine.
OLD_SNAP=$(find "$R/$SESSION1/$((N - 1))" -name snapshot.xml)
[ -f "$OLD_SNAP" ] && ok "the snapshot of serial $((N - 1)) stays while unreferenced" ||
	bad "the snapshot of serial $((N - 1)) was removed at once"
record_deltas && ok "${#SEEN[@]} deltas listed over 10 serials, a restart and a kill -9: none changed" ||
	bad "a listed delta changed"
# The files behind the hashes are the ones on disk, byte for byte.
grep '<delta ' "$NOTIF" | sed -n 's/.*uri="[^"]*\/rrdp\/\([^"]*\)".*hash="\([0-9a-f]*\)".*/\1 \2/p' |
while read -r rel h; do
	[ "$(sha256sum "$R/$rel" | cut -d' ' -f1)" = "$h" ] || echo "$rel"
done >"$WORK/mismatch"
[ ! -s "$WORK/mismatch" ] && ok "every listed delta file has its listed hash" ||
	bad "files differ from their hashes: $(cat "$WORK/mismatch")"
[ "$(grep -c '<delta ' "$NOTIF")" -ge 10 ] && ok "the notification lists $(grep -c '<delta ' "$NOTIF") deltas (size rule allows)" ||
	bad "only $(grep -c '<delta ' "$NOTIF") deltas listed"
check_repo "after restarts"

# ---- unreferenced files and old trees go after their keep time ----
sleep 5
obj "$O/k.roa" "keep-time probe" >/dev/null
expect_success "one more change" "$A" --publish "${SA}k.roa=$O/k.roa"
N=$((N + 1))
wait_serial "$N"
sleep 1.5
[ ! -e "$OLD_SNAP" ] && ok "an unreferenced snapshot is removed after rrdp_keep" ||
	bad "$OLD_SNAP is still there"
[ "$(find "$S/trees" -mindepth 1 -maxdepth 1 | wc -l)" -le 3 ] &&
	ok "old rsync trees are removed after rsync_keep ($(find "$S/trees" -mindepth 1 -maxdepth 1 | wc -l) left)" ||
	bad "$(find "$S/trees" -mindepth 1 -maxdepth 1 | wc -l) rsync trees left"
# The change log: every change announced and older than change_log_keep
# is pruned, except the last one (its id is how a restored store is told).
changes() { sqlite3 "file:$D/store.sqlite?mode=ro" 'SELECT count(*) || " " || max(id) FROM changes'; }
LAST=$(sqlite3 "file:$D/store.sqlite?mode=ro" 'SELECT max(id) FROM changes')
for ((i = 0; i < 50; i++)); do [ "$(changes)" = "1 $LAST" ] && break; sleep 0.1; done
[ "$(changes)" = "1 $LAST" ] && ok "the change log is pruned to its last change (id $LAST) after change_log_keep" ||
	bad "change log rows and last id: $(changes), want 1 $LAST"
[ "$(sqlite3 "file:$D/store.sqlite?mode=ro" 'SELECT count(*) FROM change_items WHERE change_id < '"$LAST")" = 0 ] &&
	ok "the pruned changes' items are gone" || bad "items of pruned changes are left"
curl -sS --max-time 10 "http://127.0.0.1:$APORT/metrics" >"$WORK/metrics" || fail "GET /metrics failed"
grep -Eq '^rpkipubd_change_log_pruned_total [1-9]' "$WORK/metrics" &&
	ok "metrics: $(grep '^rpkipubd_change_log_pruned_total' "$WORK/metrics")" ||
	bad "metrics: $(grep '^rpkipubd_change_log_pruned' "$WORK/metrics")"

# ---- session reset ----
ctl "$D" session-reset >/dev/null || fail "rpkipubctl session-reset failed"
for ((i = 0; i < 100; i++)); do [ "$(session)" != "$SESSION1" ] && break; sleep 0.1; done
SESSION2=$(session)
[ "$SESSION2" != "$SESSION1" ] && [ "$(serial)" = 1 ] && ! grep -q '<delta ' "$NOTIF" &&
	ok "session-reset: new session $SESSION2, serial 1, no deltas" ||
	bad "after session-reset: session $(session) serial $(serial)"
[ -d "$R/$SESSION1" ] && ok "the old session's files stay for rrdp_keep" || bad "old session files removed at once"
check_repo "after session-reset"

# ---- a store restored from an older copy starts a new session ----
obj "$O/r1.roa" "before the backup" >/dev/null
expect_success "publish before the backup" "$A" --publish "${SA}r1.roa=$O/r1.roa"
wait_serial 2
stop_daemon "$DAEMON_PID" || bad "rpkipubd did not stop cleanly"
cp "$D/store.sqlite" "$WORK/backup.sqlite"
start_daemon "$D" "$PORT"
obj "$O/r2.roa" "after the backup" >/dev/null
expect_success "publish after the backup" "$A" --publish "${SA}r2.roa=$O/r2.roa"
wait_serial 3
stop_daemon "$DAEMON_PID" || bad "rpkipubd did not stop cleanly"
rm -f "$D/store.sqlite-wal" "$D/store.sqlite-shm"
cp "$WORK/backup.sqlite" "$D/store.sqlite"
start_daemon "$D" "$PORT"
for ((i = 0; i < 100; i++)); do [ "$(session)" != "$SESSION2" ] && break; sleep 0.1; done
SESSION3=$(session)
if [ "$SESSION3" != "$SESSION2" ] && [ "$(serial)" = 1 ]; then
	ok "restored store: new session $SESSION3 at serial 1 instead of re-using serial 3"
else
	bad "restored store: session $(session) serial $(serial), want a new session"
fi
grep -q "store is behind what was announced" "$DAEMON_LOG" && ok "the log says why" ||
	bad "no log line about the regressed store"
SNAP=$(sed -n 's/.*<snapshot uri="[^"]*\/rrdp\/\([^"]*\)".*/\1/p' "$NOTIF")
grep -q 'r1.roa' "$R/$SNAP" && ! grep -q 'r2.roa' "$R/$SNAP" &&
	ok "the new snapshot is the restored content" || bad "snapshot content is not the restored store's"
[ -f "$S/current/repo/alice/r1.roa" ] && [ ! -e "$S/current/repo/alice/r2.roa" ] &&
	ok "the rsync tree is the restored content" || bad "rsync tree is not the restored content"
check_repo "after the restore"

stop_daemon "$DAEMON_PID" && ok "rpkipubd stops cleanly" || bad "rpkipubd stop"
finish
