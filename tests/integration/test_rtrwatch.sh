#!/usr/bin/env bash
# rtrwatch against rtrd and StayRTR: --once output (CSV, JSON), --compare
# (same sets exit 0, a divergence exit 1 with the differing records,
# rtrd and StayRTR on the same file agree), and following two caches in
# order of preference: an update arrives as +/- lines, the preferred
# cache stops and rtrwatch falls back, it comes back and rtrwatch
# returns to it; with no cache for the expire interval the data is
# withdrawn.
. "$(dirname "$0")/rtr_lib.sh"
rtr_setup
[ -x "$BIN/rtrwatch" ] || fail "$BIN/rtrwatch is missing"

N=2000
read -r PA PB PS PSM < <(free_ports 4 | tr '\n' ' ')
gen_json "$WORK/a.json" $N 0
cp "$WORK/a.json" "$WORK/b.json"

start_rtrd() {	# NAME PORT JSON
	start_bg "$WORK/rtrd-$1.log" "$BIN/rtrd" --json "$3" --listen "127.0.0.1:$2" \
		--refresh 30 --retry 1 --expire 600
	wait_port "$2" "$LAST_PID" "rtrd $1"
}
start_rtrd A "$PA" "$WORK/a.json"
RA=$LAST_PID
start_rtrd B "$PB" "$WORK/b.json"

# --once, CSV: exactly the VRPs of the input.
"$BIN/rtrwatch" --once --format csv "127.0.0.1:$PA" >"$WORK/once.csv" ||
	bad "rtrwatch --once exited $?"
tail -n +2 "$WORK/once.csv" | sed 's|^AS\([0-9]*\),\(.*\)/\([0-9]*\),\([0-9]*\)$|\2,\3,\4,\1|' |
	LC_ALL=C sort >"$WORK/once.sorted"
expected_csv "$WORK/a.json" >"$WORK/want.csv"
same "$WORK/want.csv" "$WORK/once.sorted" "rtrwatch --once --format csv: the input's VRPs"
"$BIN/rtrwatch" --once "127.0.0.1:$PA" >"$WORK/once.json"
"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["roas"]) == int(sys.argv[2]), len(d["roas"])
assert len(d["bgpsec_keys"]) == 2 and len(d["aspas"]) == 20
assert d["metadata"]["version"] == 2
' "$WORK/once.json" $N && ok "rtrwatch --once JSON: $N VRPs, 2 keys, 20 ASPAs over version 2" ||
	bad "rtrwatch --once JSON content"

# --compare: identical caches, then a divergence.
"$BIN/rtrwatch" --compare "127.0.0.1:$PA" "127.0.0.1:$PB" >"$WORK/cmp0.out"
rc=$?
[ $rc -eq 0 ] && ok "--compare of two caches with the same data: exit 0" ||
	bad "--compare same data: exit $rc: $(tail -1 "$WORK/cmp0.out")"
gen_json "$WORK/b.json" $N 1000
for _ in $(seq 50); do
	grep -q "serial 1" "$WORK/rtrd-B.log" && break
	sleep 0.1
done
"$BIN/rtrwatch" --compare "127.0.0.1:$PA" "127.0.0.1:$PB" >"$WORK/cmp1.out"
rc=$?
lt=$(grep -c '^< vrp' "$WORK/cmp1.out")
gt=$(grep -c '^> vrp' "$WORK/cmp1.out")
[ $rc -eq 1 ] && [ "$lt" -eq 1000 ] && [ "$gt" -eq 1000 ] &&
	ok "--compare after B changed: exit 1, 1000 VRPs only in A, 1000 only in B" ||
	bad "--compare divergence: exit $rc, $lt only in A, $gt only in B"
"$BIN/rtrwatch" --compare "127.0.0.1:$PA" "127.0.0.1:1" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && ok "--compare with an unreachable cache: exit 2" || bad "--compare unreachable: exit $rc"

# rtrd and StayRTR on the same file.  StayRTR 0.5.1 encodes ASPA as
# draft-ietf-sidrops-8210bis-10 did (other PDU layout), so the two are
# compared over version 1: VRPs and router keys.
if command -v stayrtr >/dev/null; then
	start_bg "$WORK/stayrtr.log" stayrtr -bind "127.0.0.1:$PS" -cache "$WORK/a.json" \
		-metrics.addr "127.0.0.1:$PSM" -refresh 3600
	wait_port "$PS" "$LAST_PID" stayrtr
	for _ in $(seq 50); do
		"$BIN/rtrwatch" --compare --version 1 "127.0.0.1:$PA" "127.0.0.1:$PS" \
			>"$WORK/cmps.out" 2>&1 && break
		sleep 0.2
	done
	grep -q "127.0.0.1:$PS: $N VRPs, 2 keys" "$WORK/cmps.out" &&
		grep -q " 0 differences" "$WORK/cmps.out" &&
		ok "rtrwatch: rtrd and StayRTR serve the same set ($N VRPs, 2 router keys)" ||
		bad "rtrd vs StayRTR: $(tail -3 "$WORK/cmps.out")"
	stop_pid "$LAST_PID"
else
	skip "stayrtr is not installed"
fi

# Follow A (preferred) then B.  B's data differs from A's, so every
# switch shows as changes.
# rtrwatch flushes stdout after every line group (no stdbuf: its
# LD_PRELOAD would clash with ASan).
start_bg "$WORK/follow.out" "$BIN/rtrwatch" --format csv --retry 1 \
	--timeout 5000 "127.0.0.1:$PA" "127.0.0.1:$PB"
W=$LAST_PID
wait_line() {	# REGEX: until a line of follow.out matches (15 s)
	for _ in $(seq 150); do
		grep -Eq "$1" "$WORK/follow.out" && return 0
		sleep 0.1
	done
	return 1
}
wait_line "^# switched to 127.0.0.1:$PA " && ok "follows the preferred cache" ||
	bad "no '# switched to A' line"
[ "$(grep -c '^AS[0-9]' "$WORK/follow.out")" -eq $N ] && ok "prints the full set once ($N VRPs)" ||
	bad "full set: $(grep -c '^AS[0-9]' "$WORK/follow.out") lines"
gen_json "$WORK/a.json" $N 500
wait_line "^# serial 1 from 127.0.0.1:$PA" && ok "Serial Notify followed: serial 1" ||
	bad "no '# serial 1' line"
[ "$(grep -c '^- vrp' "$WORK/follow.out")" -eq 500 ] &&
	[ "$(grep -c '^+ vrp' "$WORK/follow.out")" -eq 500 ] &&
	ok "the update: 500 withdrawals and 500 announcements" ||
	bad "update lines: $(grep -c '^- vrp' "$WORK/follow.out") -, $(grep -c '^+ vrp' "$WORK/follow.out") +"
stop_pid "$RA"
wait_line "^# switched to 127.0.0.1:$PB " && ok "A stopped: fell back to B" ||
	bad "no fallback to B"
# A comes back (same port, new session id): rtrwatch returns to it.
start_rtrd A "$PA" "$WORK/a.json"
n0=$(grep -c "^# switched to 127.0.0.1:$PA " "$WORK/follow.out")
for _ in $(seq 150); do
	[ "$(grep -c "^# switched to 127.0.0.1:$PA " "$WORK/follow.out")" -gt "$n0" ] && break
	sleep 0.1
done
[ "$(grep -c "^# switched to 127.0.0.1:$PA " "$WORK/follow.out")" -gt "$n0" ] &&
	ok "A is back: returned to the preferred cache" || bad "did not return to A"
stop_pid "$W"

# Expiry (RFC 8210 section 6): with no cache answering for the expire
# interval (--expire 2 here; rtrd's own is at least 600 s) the data is
# withdrawn, and announced again when the cache is back.
start_bg "$WORK/expire.out" "$BIN/rtrwatch" --format csv --retry 1 \
	--expire 2 --timeout 2000 "127.0.0.1:$PB"
W=$LAST_PID
for _ in $(seq 150); do
	grep -q "^# switched to 127.0.0.1:$PB " "$WORK/expire.out" && break
	sleep 0.1
done
RB=$(pgrep -f "rtrd --json $WORK/b.json")
stop_pid "$RB"
for _ in $(seq 100); do
	grep -q '^# expired' "$WORK/expire.out" && break
	sleep 0.1
done
grep -q '^# expired' "$WORK/expire.out" &&
	[ "$(grep -c '^- vrp' "$WORK/expire.out")" -eq $N ] &&
	[ "$(grep -c '^- aspa' "$WORK/expire.out")" -eq 20 ] &&
	ok "no cache for the expire interval: all $N VRPs and 20 ASPAs withdrawn" ||
	bad "expiry: $(grep '^#' "$WORK/expire.out" | tail -2 | tr '\n' ' ') $(grep -c '^- vrp' "$WORK/expire.out") VRPs withdrawn"
start_rtrd B "$PB" "$WORK/b.json"
for _ in $(seq 150); do
	[ "$(grep -c "^# switched to 127.0.0.1:$PB " "$WORK/expire.out")" -ge 2 ] && break
	sleep 0.1
done
[ "$(grep -c '^+ vrp' "$WORK/expire.out")" -eq $N ] &&
	ok "the cache is back: its $N VRPs announced again" ||
	bad "after expiry: $(grep -c '^+ vrp' "$WORK/expire.out") VRPs announced"
stop_pid "$W"
finish
