#!/usr/bin/env bash
# RFC 9697 with rrdpsync: the two notification files of the RFC's section
# 3.1 example (Figure 1: session fe528335-..., serial 1774, deltas 1774,
# 1773, 1772; Figure 3: serial 1775, deltas 1775, 1774, 1773, where the
# hash of 1774 changed), each with real snapshot and delta files whose
# hashes rrdpgen.py computes and puts in the notifications, served in
# turn from a local HTTP server (tests/tools/rrdpserve.py) under the
# figures' paths.  rrdpsync runs as a daemon (a round on each SIGHUP)
# with its metrics listener:
#  - mutated history: a WARNING naming serial 1774, its old and its new
#    hash; rrdpsync_rfc9697_desyncs_total 1; the snapshot of 1775 fetched
#    and applied, no delta applied;
#  - unchanged history (a second copy): no warning, delta 1775 applied,
#    no second snapshot applied;
#  - then Figure 3 after the unchanged 1775: the same serial with other
#    hashes is a desync too, and the snapshot is applied.
# The copy passes `rpkipubctl verify` after each step.
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/sync_lib.sh
. "$(dirname "$0")/sync_lib.sh"
lib_setup
[ -x "$SYNC_BIN" ] || fail "$SYNC_BIN is missing: build first"

read -r PORT MPORT < <(free_ports 2 | paste -s -d ' ')
UP=http://127.0.0.1:$PORT/
SES=fe528335-db5f-48b2-be7e-bf0992d0b5ec
LOG=$WORK/server.log
RULES=$WORK/rules.json
echo '{}' >"$RULES"
gen() {	# gen NAME SERIAL [rrdpgen args]
	local name=$1 serial=$2
	shift 2
	"$PY" "$RRDPGEN" "$WORK/$name" --base "$UP" --session "$SES" --serial "$serial" \
		--deltas 3 "$@" || fail "rrdpgen $name"
}
gen fig1 1774			# Figure 1
gen fig3 1775 --mutate 1774	# Figure 3: delta 1774 rewritten
gen kept 1775			# what Figure 3 should have been
hash_of() { sed -n "s|.*<delta serial=\"$2\" uri=\"[^\"]*\" hash=\"\([0-9a-f]*\)\".*|\1|p" "$WORK/$1/notification.xml"; }
H1774=$(hash_of fig1 1774)
H1774B=$(hash_of fig3 1774)
[ -n "$H1774" ] && [ "$H1774" != "$H1774B" ] && [ "$(hash_of fig1 1773)" = "$(hash_of fig3 1773)" ] &&
	[ "$(hash_of kept 1774)" = "$H1774" ] &&
	ok "Figure 1 (1774; deltas $(grep -o 'delta serial="[0-9]*"' "$WORK/fig1/notification.xml" | grep -o '[0-9]*' | tr '\n' ' ')) and Figure 3 (1775; 1774 changed, 1773 the same), as in RFC 9697 section 3.1" ||
	fail "the figures do not have the shape of RFC 9697's example"
grep -q "<snapshot uri=\"${UP}1774/snapshot.xml\"" "$WORK/fig1/notification.xml" &&
	grep -q "<delta serial=\"1772\" uri=\"${UP}1772/delta.xml\"" "$WORK/fig1/notification.xml" &&
	ok "the figures' paths: /1774/snapshot.xml, /1772/delta.xml, ..." || bad "paths differ from the figures'"

ln -sfn "$WORK/fig1" "$WORK/root"
start_rrdpserve "$WORK/root" "$PORT" "$RULES" "$LOG"
METRICS=http://127.0.0.1:$MPORT/metrics

# daemon COPY: rrdpsync following $UP with a round at start and on SIGHUP.
daemon() {
	"$SYNC_BIN" --source "${UP}notification.xml" --rrdp-dir "$1/rrdp" --rsync-dir "$1/rsync" \
		--base-uri https://edge.example.net/rrdp/ --interval 3600 --metrics "127.0.0.1:$MPORT" \
		</dev/null 2>>"$1.log" &
	SYNC_PID=$!
	DAEMON_PIDS+=("$SYNC_PID")
}
# round N: wait until the daemon has run N rounds.
round() {
	for _ in $(seq 100); do [ "$(metric "$METRICS" rrdpsync_rounds_total)" = "$1" ] && return 0; sleep 0.1; done
	fail "round $1 did not happen: $(tail -2 "$COPY.log")"
}
verify_copy() {
	"$BIN/rpkipubctl" verify --rrdp-dir "$COPY/rrdp" --rsync-dir "$COPY/rsync" >"$WORK/verify.out" 2>&1 &&
		ok "$1: verify passes on the copy ($(grep -o 'serial [0-9]*' "$WORK/verify.out"))" ||
		bad "$1: verify: $(head -3 "$WORK/verify.out")"
}
requests() { wc -l <"$LOG"; }

# ---- mutated history ----
COPY=$WORK/a
daemon "$COPY"
round 1
grep -q "serial 1774 (first sync).*applied the snapshot" "$COPY.log" && ok "Figure 1: the first sync from the snapshot of 1774" ||
	bad "first sync: $(tail -1 "$COPY.log")"
verify_copy "Figure 1"
ln -sfn "$WORK/fig3" "$WORK/root"
R0=$(requests)
kill -HUP "$SYNC_PID"
round 2
W=$(grep ' WARNING: RFC 9697' "$COPY.log")
if grep -q "delta serial 1774 of session $SES changed its hash from $H1774 to $H1774B" <<<"$W"; then
	ok "Figure 3: the WARNING names serial 1774, its old and its new hash: ${W#* WARNING: }"
else
	bad "no RFC 9697 warning with serial, old and new hash: $W"
fi
[ "$(metric "$METRICS" rrdpsync_rfc9697_desyncs_total)" = 1 ] && ok "metric rrdpsync_rfc9697_desyncs_total 1" ||
	bad "rrdpsync_rfc9697_desyncs_total is $(metric "$METRICS" rrdpsync_rfc9697_desyncs_total)"
tail -n +"$((R0 + 1))" "$LOG" | grep -q '^GET /1775/snapshot.xml 200' && ok "the snapshot of 1775 was fetched" ||
	bad "no GET /1775/snapshot.xml after Figure 3"
grep -q "serial 1775 (RFC 9697 desync).*applied the snapshot" "$COPY.log" &&
	[ "$(metric "$METRICS" rrdpsync_snapshots_applied_total)" = 2 ] &&
	[ "$(metric "$METRICS" rrdpsync_deltas_applied_total)" = 0 ] &&
	ok "re-synced from the snapshot: snapshots applied 2, deltas applied 0" ||
	bad "after the desync: $(grep 'INFO: session' "$COPY.log" | tail -1)"
grep -q "hash=\"$H1774B\"" "$COPY/rrdp/notification.xml" && ! grep -q "$H1774" "$COPY/rrdp/notification.xml" &&
	ok "the local notification now lists Figure 3's hash for 1774" || bad "local notification keeps the old 1774"
verify_copy "Figure 3"
kill -TERM "$SYNC_PID"
wait "$SYNC_PID"

# ---- unchanged history: deltas keep being used ----
ln -sfn "$WORK/fig1" "$WORK/root"
COPY=$WORK/b
daemon "$COPY"
round 1
ln -sfn "$WORK/kept" "$WORK/root"
kill -HUP "$SYNC_PID"
round 2
if ! grep -q ' WARNING: ' "$COPY.log" && grep -q "serial 1775 (deltas).*applied delta 1775" "$COPY.log" &&
	[ "$(metric "$METRICS" rrdpsync_deltas_applied_total)" = 1 ] &&
	[ "$(metric "$METRICS" rrdpsync_snapshots_applied_total)" = 1 ] &&
	[ "$(metric "$METRICS" rrdpsync_rfc9697_desyncs_total)" = 0 ]; then
	ok "unchanged history: no warning, delta 1775 applied, the snapshot only at the first sync"
else
	bad "unchanged history: $(grep -E 'WARNING|INFO: session' "$COPY.log" | tail -2)"
fi
verify_copy "unchanged history"
# The same serial with other hashes (Figure 3 after this 1775): a desync.
ln -sfn "$WORK/fig3" "$WORK/root"
kill -HUP "$SYNC_PID"
round 3
grep -q "WARNING: RFC 9697: delta serial 1774 of session $SES changed its hash from $H1774 to $H1774B" "$COPY.log" &&
	grep -q "serial 1775 (RFC 9697 desync).*applied the snapshot" "$COPY.log" &&
	[ "$(metric "$METRICS" rrdpsync_rfc9697_desyncs_total)" = 1 ] &&
	ok "the same serial 1775 with a changed history: WARNING, the snapshot" ||
	bad "same-serial desync: $(grep -E 'WARNING|INFO: session' "$COPY.log" | tail -2)"
verify_copy "Figure 3 after the unchanged 1775"
kill -TERM "$SYNC_PID"
wait "$SYNC_PID" && ok "rrdpsync stops with exit 0" || bad "rrdpsync exit $?"
finish
