#!/usr/bin/env bash
# rtrwatch against rtrd and StayRTR: --once output (CSV, JSON), --compare
# (same sets exit 0, a divergence exit 1 with the differing records,
# rtrd and StayRTR on the same file agree, caches at lower versions
# compared only on the types they carry), and following two caches in
# order of preference: an update arrives as +/- lines, the preferred
# cache stops and rtrwatch falls back, it comes back and rtrwatch
# returns to it; with no cache for the expire interval the data is
# withdrawn.  Then scripted caches (tests/tools/rtrcache.py): End of
# Data timers outside RFC 8210 section 6 refused with an Error Report,
# End of Data of another session, a Serial Notify inside a response,
# the limits of bounds.h, a cache that resets the connection (no
# SIGPIPE), and the retry and expiry timing once the cache is gone.
# Options out of range are usage errors.
. "$(dirname "$0")/rtr_lib.sh"
rtr_setup
[ -x "$BIN/rtrwatch" ] || fail "$BIN/rtrwatch is missing"

# Options: a number out of range (or not a number) is a usage error that
# names the option and its range, before anything is tried.
usage_ok=1
while IFS='|' read -r opt arg want; do
	err=$("$BIN/rtrwatch" --once "$opt" "$arg" 127.0.0.1:1 2>&1 >/dev/null)
	rc=$?
	if [ $rc -ne 2 ] || ! grep -qF -- "$want" <<<"$err" || grep -q connect <<<"$err"; then
		bad "rtrwatch $opt '$arg': exit $rc, '$err' (want '$want')"
		usage_ok=0
	fi
done <<'OPTS'
--retry|-1|--retry: want a number in 1..7200
--retry|7201|--retry: want a number in 1..7200
--retry|99999999999999999999|--retry: want a number in 1..7200
--retry||--retry: want a number in 1..7200
--expire|0|--expire: want a number in 1..172800
--expire|4294967297|--expire: want a number in 1..172800
--expire|2x|--expire: want a number in 1..172800
--timeout|0|--timeout: want a number in 1..86400000
--timeout|2147483648|--timeout: want a number in 1..86400000
--version|4294967298|--version: want a number in 0..2
--version|-1|--version: want a number in 0..2
OPTS
[ $usage_ok = 1 ] && ok "options out of range or not numbers: exit 2 naming the option and range"

N=2000
read -r PA PB PS PSM PC PD < <(free_ports 6 | tr '\n' ' ')
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

# --compare across versions: caches that speak only version 1 or 0
# (rtrd --max-version) on A's data agree with A on what they carry; the
# ASPAs (and router keys) they cannot send are no difference.
cp "$WORK/a.json" "$WORK/c.json"
for v in 1 0; do
	port=$PC
	[ $v = 0 ] && port=$PD
	start_bg "$WORK/rtrd-v$v.log" "$BIN/rtrd" --json "$WORK/c.json" \
		--listen "127.0.0.1:$port" --max-version $v
	wait_port "$port" "$LAST_PID" "rtrd --max-version $v"
done
"$BIN/rtrwatch" --compare "127.0.0.1:$PA" "127.0.0.1:$PC" >"$WORK/cmpv1.out"
rc=$?
[ $rc -eq 0 ] && grep -qx "# compared: VRPs, router keys (version 1 has no ASPAs)" "$WORK/cmpv1.out" &&
	grep -q " 0 differences" "$WORK/cmpv1.out" &&
	ok "--compare v2 with v1 cache: VRPs and router keys compared, the same" ||
	bad "--compare v2/v1: exit $rc: $(grep '^#' "$WORK/cmpv1.out" | tr '\n' ' ') $(grep -c '^[<>]' "$WORK/cmpv1.out") differing"
"$BIN/rtrwatch" --compare "127.0.0.1:$PD" "127.0.0.1:$PA" >"$WORK/cmpv0.out"
rc=$?
[ $rc -eq 0 ] && grep -qx "# compared: VRPs (version 0 has no router keys nor ASPAs)" "$WORK/cmpv0.out" &&
	grep -q " 0 differences" "$WORK/cmpv0.out" &&
	ok "--compare v0 with v2 cache: only VRPs compared, the same" ||
	bad "--compare v0/v2: exit $rc: $(grep '^#' "$WORK/cmpv0.out" | tr '\n' ' ')"
"$BIN/rtrwatch" --compare "127.0.0.1:$PB" "127.0.0.1:$PC" >"$WORK/cmpv1b.out"
rc=$?
[ $rc -eq 1 ] && [ "$(grep -c '^< vrp' "$WORK/cmpv1b.out")" -eq 1000 ] &&
	[ "$(grep -c '^> vrp' "$WORK/cmpv1b.out")" -eq 1000 ] &&
	! grep -q 'aspa' "$WORK/cmpv1b.out" &&
	ok "--compare across versions still shows VRPs that differ (1000 each way, no ASPA lines)" ||
	bad "--compare B/v1: exit $rc, $(grep -c '^[<>] vrp' "$WORK/cmpv1b.out") VRP lines, $(grep -c aspa "$WORK/cmpv1b.out") ASPA lines"

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

# --- Scripted caches ---
# start_cache SCENARIO [ARGS...]: tests/tools/rtrcache.py on a free port
# (CPORT), logging to CLOG; CPID its pid.
start_cache() {
	local name=$1
	shift
	CPORT=$(free_ports 1)
	CLOG="$WORK/cache-$name.log"
	start_bg "$WORK/cache-$name.err" "$PY" "$SRC/tests/tools/rtrcache.py" \
		--port "$CPORT" --scenario "$name" --log "$CLOG" "$@"
	CPID=$LAST_PID
	wait_port "$CPORT" "$CPID" "rtrcache $name"
}
# wait_grep FILE REGEX [TENTHS]: until a line of FILE matches (5 s).
wait_grep() {
	for _ in $(seq "${3:-50}"); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# RFC 8210 section 6: End of Data timers out of range, or an expire not
# above refresh and retry, fail the sync with the rule in the log and an
# Error Report "Corrupt Data" that echoes the End of Data; the minimum
# of each is accepted.
BADT="0/600/7200 86401/600/7200 3600/0/7200 3600/7201/172800 60/60/599 3600/600/172801 3600/600/3600 600/1200/1200"
start_cache timers --timers "${BADT// /,},1/1/600"
timers_ok=1
for t in $BADT; do
	IFS=/ read -r tr tt te <<<"$t"
	"$BIN/rtrwatch" --once --timeout 5000 "127.0.0.1:$CPORT" >/dev/null 2>"$WORK/timers.err"
	rc=$?
	if [ $rc -ne 2 ] || ! grep -q "End of Data with refresh $tr, retry $tt, expire $te refused (RFC 8210 section 6: " "$WORK/timers.err"; then
		bad "timers $t: exit $rc, $(cat "$WORK/timers.err")"
		timers_ok=0
	fi
done
[ $timers_ok = 1 ] && ok "End of Data timers outside RFC 8210 section 6 refused (8 cases), the rule logged"
wait_grep "$CLOG" "^error" 20
[ "$(grep -c '^error 0 echo=eod RFC 8210 section 6: ' "$CLOG")" -eq 8 ] &&
	ok "each refusal sent the cache an Error Report Corrupt Data echoing its End of Data" ||
	bad "Error Reports at the cache: $(grep -c '^error' "$CLOG") ($(grep '^error' "$CLOG" | head -2 | tr '\n' ' '))"
"$BIN/rtrwatch" --once --format csv "127.0.0.1:$CPORT" >"$WORK/timers.out" 2>&1 &&
	grep -q '^AS64496,192.0.2.0/24,24$' "$WORK/timers.out" &&
	ok "the smallest allowed timers (1, 1, 600) accepted" ||
	bad "timers 1/1/600: $(cat "$WORK/timers.out")"
stop_pid "$CPID"

# RFC 8210 sections 5.5 and 5.8: End of Data of another session.
start_cache session
"$BIN/rtrwatch" --once --timeout 5000 "127.0.0.1:$CPORT" >/dev/null 2>"$WORK/session.err"
rc=$?
[ $rc -eq 2 ] && grep -q "End of Data of session 10 in a response of session 9 (RFC 8210 sections 5.5, 5.8)" "$WORK/session.err" &&
	ok "End of Data of another session than the Cache Response: sync failed" ||
	bad "session mismatch: exit $rc, $(cat "$WORK/session.err")"
stop_pid "$CPID"

# A Serial Notify for serial 2 inside the response that ends at serial 1
# (refresh 3600): rtrwatch asks again at once.
start_cache notify
start_bg "$WORK/notify.out" "$BIN/rtrwatch" --format csv --timeout 5000 "127.0.0.1:$CPORT"
W=$LAST_PID
wait_grep "$WORK/notify.out" "^# serial 2 from 127.0.0.1:$CPORT" &&
	grep -q '^serial v2 1$' "$CLOG" && grep -q '^+ vrp 203.0.113.0/24-24 AS64498$' "$WORK/notify.out" &&
	ok "Serial Notify inside a response for a newer serial: Serial Query at once, serial 2" ||
	bad "notify inside a response: $(grep '^#' "$WORK/notify.out" | tr '\n' ' ') cache: $(tr '\n' ' ' <"$CLOG")"
stop_pid "$W"
stop_pid "$CPID"

# Limits (bounds.h): RTR_MAX_SPKI_LEN and RTR_MAX_ASPAS, as the cache
# sends them (VRPs and router keys: tests/unit/test_rtr_client.c, with
# the limits lowered).  1,000,001 ASPAs take 2 s, 25 s under ASan.
for sc in "spki:1025-byte SPKI, more than RTR_MAX_SPKI_LEN (1024)" \
	"aspas:more than RTR_MAX_ASPAS (1000000) ASPAs"; do
	start_cache "${sc%%:*}"
	"$BIN/rtrwatch" --once --timeout 120000 "127.0.0.1:$CPORT" >/dev/null 2>"$WORK/limit.err"
	rc=$?
	[ $rc -eq 2 ] && grep -qF "${sc#*:}" "$WORK/limit.err" &&
		ok "a cache over the limit (${sc#*:}): sync failed, the limit named" ||
		bad "limit ${sc%%:*}: exit $rc, $(cat "$WORK/limit.err")"
	stop_pid "$CPID"
done

# A cache that sends Serial Notify and Cache Reset, then a FIN and a TCP
# reset: rtrwatch's next write gets EPIPE, which must be an error of that
# cache (SIGPIPE would kill rtrwatch).  It tries again (--retry 1).
start_cache sigpipe
start_bg "$WORK/sigpipe.out" "$BIN/rtrwatch" --format csv --retry 1 --timeout 2000 "127.0.0.1:$CPORT"
W=$LAST_PID
wait_grep "$WORK/sigpipe.out" "write: Broken pipe" 80
sleep 0.5
if kill -0 "$W" 2>/dev/null; then
	grep -q "write: Broken pipe" "$WORK/sigpipe.out" &&
		[ "$(grep -c '^reset after Cache Reset' "$CLOG")" -ge 2 ] &&
		ok "a write to a reset connection: 'Broken pipe' logged, rtrwatch reconnects" ||
		bad "sigpipe: alive but $(grep -c 'Broken pipe' "$WORK/sigpipe.out") EPIPE lines, $(grep -c '^reset after' "$CLOG") resets"
else
	wait "$W"
	bad "rtrwatch died writing to a reset connection (exit $?)"
fi
stop_pid "$W"
stop_pid "$CPID"

# RFC 8210 section 6 once the cache is gone: the next tries come every
# retry interval of that cache (1 s here), not every 600 s.
start_cache gone --timers 60/1/600
start_bg "$WORK/gone.out" "$BIN/rtrwatch" --format csv --timeout 2000 "127.0.0.1:$CPORT"
W=$LAST_PID
wait_grep "$CLOG" '^gone$'
for _ in $(seq 80); do
	[ "$(sed -n '/^gone$/,$p' "$CLOG" | grep -c '^accept')" -ge 3 ] && break
	sleep 0.1
done
[ "$(sed -n '/^gone$/,$p' "$CLOG" | grep -c '^accept')" -ge 3 ] &&
	ok "the cache gone: tried again every retry interval it gave (1 s)" ||
	bad "retry after the cache went: $(sed -n '/^gone$/,$p' "$CLOG" | grep -c '^accept') tries in 8 s"
stop_pid "$W"
stop_pid "$CPID"

# And the data expires when due (--expire 2), even though the cache's
# retry interval is 7200 s: the wait is the shorter of the two.
start_cache gone --timers 3600/7200/7201
start_bg "$WORK/gone2.out" "$BIN/rtrwatch" --format csv --timeout 2000 --expire 2 "127.0.0.1:$CPORT"
W=$LAST_PID
wait_grep "$WORK/gone2.out" "^# switched to 127.0.0.1:$CPORT "
wait_grep "$WORK/gone2.out" '^# expired' 60 &&
	[ "$(grep -c '^- vrp' "$WORK/gone2.out")" -eq 2 ] &&
	ok "no cache for the expire interval, retry interval 7200 s: expired on time" ||
	bad "expiry with a long retry: $(grep '^#' "$WORK/gone2.out" | tr '\n' ' ')"
stop_pid "$W"
stop_pid "$CPID"
finish
