#!/usr/bin/env bash
# rtrd with real routers and clients nobody here wrote, on 127.0.0.1:
# rtrclient (rtrlib; RTR v1, and v0 from a cache limited to it), BIRD 2
# (protocol rpki, ROA tables) and OpenBGPD
# (bgpctl show sets).  Each gets exactly the VRPs of the input, then,
# after the input file changes (1000 withdrawals, 1000 announcements),
# exactly the new set through Serial Notify and an incremental update.
# StayRTR serves the same file as the reference: rtrclient must see the
# same set from both.
. "$(dirname "$0")/rtr_lib.sh"
rtr_setup

N=3000
read -r PORT MPORT BGPPORT SPORT SMPORT V0PORT < <(free_ports 6 | tr '\n' ' ')
JSON=$WORK/vrps.json
gen_json "$JSON" $N 0
expected_csv "$JSON" >"$WORK/want0.csv"

start_bg "$WORK/rtrd.log" "$BIN/rtrd" --json "$JSON" --listen "127.0.0.1:$PORT" \
	--listen "[::1]:$PORT" --metrics "127.0.0.1:$MPORT" --refresh 30 --retry 5 \
	--expire 600
RTRD=$LAST_PID
wait_port "$PORT" "$RTRD" rtrd

# rtrclient -e: Reset Query, dump, exit.  Output "prefix, plen, max, asn".
rtrclient_dump() {
	timeout 10 rtrclient -e -t csv tcp "$1" "$2" 2>/dev/null |
		grep -E '^[0-9a-f:.]+, ' | tr -d ' ' | LC_ALL=C sort
}

if command -v rtrclient >/dev/null; then
	rtrclient_dump 127.0.0.1 "$PORT" >"$WORK/rtrclient0.csv"
	same "$WORK/want0.csv" "$WORK/rtrclient0.csv" "rtrclient (RTR v1) over IPv4: exactly the input's VRPs"
	rtrclient_dump ::1 "$PORT" >"$WORK/rtrclient0v6.csv"
	same "$WORK/want0.csv" "$WORK/rtrclient0v6.csv" "rtrclient over IPv6 ([::1])"
	# Version 0 (RFC 6810): a cache limited to it answers rtrlib's v1
	# Reset Query with an Error Report naming version 0, and rtrlib
	# starts again with version 0.
	start_bg "$WORK/rtrd-v0.log" "$BIN/rtrd" --json "$JSON" \
		--listen "127.0.0.1:$V0PORT" --max-version 0
	wait_port "$V0PORT" "$LAST_PID" "rtrd --max-version 0"
	rtrclient_dump 127.0.0.1 "$V0PORT" >"$WORK/rtrclient0v0.csv"
	same "$WORK/want0.csv" "$WORK/rtrclient0v0.csv" "rtrclient with RTR v0 (RFC 6810): exactly the input's VRPs"
	grep -q "protocol version 0" "$WORK/rtrd-v0.log" &&
		ok "the v0 session was negotiated down from v1" ||
		bad "rtrd-v0.log shows no version 0 session: $(tail -3 "$WORK/rtrd-v0.log")"
	kill "$LAST_PID" 2>/dev/null
else
	skip "rtrclient (Debian rtr-tools) is not installed"
fi

# BIRD 2: two ROA tables filled by protocol rpki.
bird_roas() {
	local t
	for t in r4 r6; do
		birdc -s "$WORK/bird.ctl" show route table $t 2>/dev/null
	done | sed -n 's|^\([0-9a-f:.]*\)/\([0-9]*\)-\([0-9]*\) AS\([0-9]*\) .*|\1,\2,\3,\4|p' |
		LC_ALL=C sort
}
HAVE_BIRD=0
if command -v bird >/dev/null && command -v birdc >/dev/null; then
	cat >"$WORK/bird.conf" <<EOF
router id 192.0.2.1;
roa4 table r4;
roa6 table r6;
protocol device { }
protocol rpki rtrd {
	roa4 { table r4; };
	roa6 { table r6; };
	remote 127.0.0.1 port $PORT;
	retry keep 5;
	refresh keep 30;
	expire keep 600;
}
EOF
	start_bg "$WORK/bird.log" bird -f -c "$WORK/bird.conf" -s "$WORK/bird.ctl"
	BIRD=$LAST_PID
	HAVE_BIRD=1
	for _ in $(seq 100); do
		[ "$(bird_roas | wc -l)" -eq "$N" ] && break
		sleep 0.1
	done
	bird_roas >"$WORK/bird0.csv"
	same "$WORK/want0.csv" "$WORK/bird0.csv" "BIRD 2 ROA tables: exactly the input's VRPs"
else
	skip "BIRD 2 is not installed"
fi

# OpenBGPD: its chroot is the home of _openbgpd (/run/openbgpd); it
# needs root to chroot and drop privileges.
bgpd_counts() {
	bgpctl -s "$WORK/bgpd.sock" show sets 2>/dev/null |
		awk '$1 == "ROA" { print $(NF-3) "," $(NF-2) }'
}
HAVE_BGPD=0
if command -v bgpd >/dev/null && [ "$(id -u)" = 0 ] &&
	getent passwd _openbgpd >/dev/null && mkdir -p /run/openbgpd 2>/dev/null; then
	cat >"$WORK/bgpd.conf" <<EOF
AS 65000
router-id 192.0.2.1
listen on 127.0.0.1 port $BGPPORT
socket "$WORK/bgpd.sock"
rtr 127.0.0.1 {
	port $PORT
}
EOF
	start_bg "$WORK/bgpd.log" bgpd -d -f "$WORK/bgpd.conf"
	BGPD=$LAST_PID
	HAVE_BGPD=1
	v4=$(grep -c '^[0-9.]*,' "$WORK/want0.csv")
	v6=$(grep -c ':' "$WORK/want0.csv")
	for _ in $(seq 100); do
		[ "$(bgpd_counts)" = "$v4,$v6" ] && break
		sleep 0.1
	done
	if [ "$(bgpd_counts)" = "$v4,$v6" ]; then
		ok "OpenBGPD ROA set: $v4 IPv4 and $v6 IPv6 entries"
	else
		bad "OpenBGPD ROA set: got '$(bgpd_counts)', want '$v4,$v6'"
	fi
else
	skip "OpenBGPD is not installed, or not root, or /run/openbgpd cannot be made"
fi

# rtrclient in live mode sees the incremental update as +/- lines.
if command -v rtrclient >/dev/null; then
	start_bg "$WORK/live.out" stdbuf -oL rtrclient -p tcp 127.0.0.1 "$PORT"
	LIVE=$LAST_PID
	for _ in $(seq 100); do
		[ "$(grep -c '^+' "$WORK/live.out")" -ge "$N" ] && break
		sleep 0.1
	done
fi

# The input changes: 1000 VRPs go, 1000 come.
# The serial before the change is read before the file is written: rtrd
# checks the file every second and may take the change at once.
serial_before=$(curl -s "http://127.0.0.1:$MPORT/metrics" | awk '$1 == "rtrd_serial" { print $2 }')
gen_json "$JSON" $N 1000
expected_csv "$JSON" >"$WORK/want1.csv"
for _ in $(seq 100); do
	s=$(curl -s "http://127.0.0.1:$MPORT/metrics" | awk '$1 == "rtrd_serial" { print $2 }')
	[ "$s" != "$serial_before" ] && break
	sleep 0.1
done
[ "$s" = $((serial_before + 1)) ] && ok "new serial $s after the input changed" ||
	bad "serial did not advance ($serial_before -> $s)"

if [ -n "${LIVE:-}" ]; then
	for _ in $(seq 100); do
		[ "$(grep -c '^-' "$WORK/live.out")" -ge 1000 ] && break
		sleep 0.1
	done
	sleep 0.5
	adds=$(grep -c '^+' "$WORK/live.out")
	dels=$(grep -c '^-' "$WORK/live.out")
	[ "$adds" -eq $((N + 1000)) ] && [ "$dels" -eq 1000 ] &&
		ok "rtrclient live: the update arrived as 1000 withdrawals and 1000 announcements" ||
		bad "rtrclient live: $adds announcements, $dels withdrawals (want $((N + 1000)), 1000)"
	stop_pid "$LIVE"
	rtrclient_dump 127.0.0.1 "$PORT" >"$WORK/rtrclient1.csv"
	same "$WORK/want1.csv" "$WORK/rtrclient1.csv" "rtrclient after the update: exactly the new VRPs"
fi
if [ "$HAVE_BIRD" = 1 ]; then
	for _ in $(seq 100); do
		bird_roas >"$WORK/bird1.csv"
		cmp -s "$WORK/want1.csv" "$WORK/bird1.csv" && break
		sleep 0.1
	done
	same "$WORK/want1.csv" "$WORK/bird1.csv" "BIRD 2 after Serial Notify: exactly the new VRPs"
	grep -qi "error" "$WORK/bird.log" && bad "BIRD logged an error: $(grep -i error "$WORK/bird.log" | head -3)"
	stop_pid "$BIRD"
fi
if [ "$HAVE_BGPD" = 1 ]; then
	# It answers Serial Notify with a Serial Query after a short delay.
	for _ in $(seq 150); do
		bgpctl -s "$WORK/bgpd.sock" show rtr >"$WORK/bgpd-rtr.txt" 2>&1
		grep -q "Serial #: $s\$" "$WORK/bgpd-rtr.txt" && break
		sleep 0.1
	done
	grep -q "Serial #: $s\$" "$WORK/bgpd-rtr.txt" && ok "OpenBGPD followed the Serial Notify to serial $s" ||
		bad "OpenBGPD serial: $(grep Serial "$WORK/bgpd-rtr.txt")"
	v4=$(grep -c '^[0-9.]*,' "$WORK/want1.csv")
	v6=$(grep -c ':' "$WORK/want1.csv")
	[ "$(bgpd_counts)" = "$v4,$v6" ] && ok "OpenBGPD after the update: $v4 IPv4, $v6 IPv6" ||
		bad "OpenBGPD after the update: got '$(bgpd_counts)', want '$v4,$v6'"
	stop_pid "$BGPD"
fi
grep -q "Error Report" "$WORK/rtrd.log" && bad "rtrd exchanged an Error Report: $(grep 'Error Report' "$WORK/rtrd.log" | head -3)"

# StayRTR as the reference, on the same file.
if command -v stayrtr >/dev/null && command -v rtrclient >/dev/null; then
	start_bg "$WORK/stayrtr.log" stayrtr -bind "127.0.0.1:$SPORT" -cache "$JSON" \
		-metrics.addr "127.0.0.1:$SMPORT" -refresh 3600
	wait_port "$SPORT" "$LAST_PID" stayrtr
	for _ in $(seq 100); do
		rtrclient_dump 127.0.0.1 "$SPORT" >"$WORK/stayrtr.csv"
		[ -s "$WORK/stayrtr.csv" ] && break
		sleep 0.2
	done
	same "$WORK/rtrclient1.csv" "$WORK/stayrtr.csv" "StayRTR (reference) serves the same VRPs as rtrd"
	stop_pid "$LAST_PID"
else
	skip "stayrtr is not installed"
fi

stop_pid "$RTRD"
finish
