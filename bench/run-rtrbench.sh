#!/usr/bin/env bash
# rtrd beside StayRTR (the reference), same machine, same input, same
# load generator (bench/rtrbench.c), in one run:
#   load time (start until a Reset Query is answered), one full dump,
#   100 and 1000 concurrent routers to End of Data, a 2000-change
#   incremental update (1000 withdrawals, 1000 announcements) to 1000
#   routers (from the first Serial Notify until the last End of Data),
#   peak RSS (VmHWM).
#
#   bench/run-rtrbench.sh BUILD_BIN [VRPS ...]     (default: 500000 1000000)
#
# Inputs: rpki-client JSON from tests/tools/genvrps.py with 1000 ASPAs.
# Runs that do not finish within LIMIT seconds (default 120) are reported
# as "> LIMIT s (k of n)".  Never part of the tests.
set -u
BIN=${1:?usage: run-rtrbench.sh BUILD_BIN [VRPS ...]}
shift
SIZES=${*:-500000 1000000}
LIMIT=${LIMIT:-120}
SRC=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rtrbench.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n 4096

port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# run_server NAME PORT JSON: start, print the pid.
start_server() {
	case $1 in
	rtrd) "$BIN/rtrd" --json "$3" --listen "127.0.0.1:$2" >"$WORK/$1.log" 2>&1 & ;;
	stayrtr) stayrtr -bind "127.0.0.1:$2" -cache "$3" -refresh 1 \
		-metrics.addr "127.0.0.1:$(port)" >"$WORK/$1.log" 2>&1 & ;;
	esac
	echo $!
}

field() {	# KEY LINE
	sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"
}

secs() {	# a rtrbench line -> "1.234 s" or "> LIMIT s (k of n)"
	local line=$1 key=$2 okkey=$3 n
	n=$(field routers "$line")
	if [ "$(field "$okkey" "$line")" = "$n" ]; then
		printf '%.2f s' "$(field "$key" "$line")"
	else
		printf '> %s s (%s of %s)' "$LIMIT" "$(field "$okkey" "$line")" "$n"
	fi
}

declare -A R
for n in $SIZES; do
	python3 "$SRC/tests/tools/genvrps.py" --vrps "$n" --aspas 1000 >"$WORK/in-$n.json"
	python3 "$SRC/tests/tools/genvrps.py" --vrps "$n" --aspas 1000 --seed 1000 >"$WORK/upd-$n.json"
	for srv in rtrd stayrtr; do
		command -v "$srv" >/dev/null || [ -x "$BIN/$srv" ] || continue
		cp "$WORK/in-$n.json" "$WORK/cur.json"
		p=$(port)
		t0=$(date +%s.%N)
		pid=$(start_server "$srv" "$p" "$WORK/cur.json")
		PIDS+=("$pid")
		for _ in $(seq 3000); do
			"$BIN/rtrbench" --port "$p" --routers 1 --timeout 30 >/dev/null 2>&1 && break
			sleep 0.05
		done
		t1=$(date +%s.%N)
		R[$srv,$n,load]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s", b - a }')
		line=$("$BIN/rtrbench" --port "$p" --routers 1 --timeout "$LIMIT")
		R[$srv,$n,one]=$(secs "$line" seconds synced)
		R[$srv,$n,pdus]=$(field payload_pdus "$line")
		line=$("$BIN/rtrbench" --port "$p" --routers 100 --timeout "$LIMIT")
		R[$srv,$n,100]=$(secs "$line" seconds synced)
		line=$("$BIN/rtrbench" --port "$p" --routers 1000 --timeout "$LIMIT" \
			--update-cmd "cp $WORK/upd-$n.json $WORK/cur.tmp && mv $WORK/cur.tmp $WORK/cur.json")
		R[$srv,$n,1000]=$(secs "$line" full_seconds synced)
		if [ "$(field synced "$line")" = 1000 ]; then
			R[$srv,$n,upd]="$(secs "$line" seconds_from_first_notify updated) ($(field update_pdus "$line") PDUs)"
		else
			R[$srv,$n,upd]="not measured (initial sync unfinished)"
		fi
		R[$srv,$n,rss]=$(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$pid/status")
		kill "$pid"
		wait "$pid" 2>/dev/null
	done
done

echo "RTR cache benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r);"
echo "bench/run-rtrbench.sh $BIN $SIZES (LIMIT=$LIMIT)"
for n in $SIZES; do
	echo
	echo "| $n VRPs + 1000 ASPAs | rtrd | StayRTR $(dpkg-query -W -f='${Version}' stayrtr 2>/dev/null) |"
	echo "|---|---|---|"
	for k in load:"load (start to first answer)" one:"one full dump (Reset Query to End of Data)" \
		100:"100 routers, all at End of Data" 1000:"1000 routers, all at End of Data" \
		upd:"2000-change update to 1000 routers (first Notify to last End of Data)" \
		rss:"peak RSS (VmHWM)" pdus:"payload PDUs in a v1 full dump"; do
		echo "| ${k#*:} | ${R[rtrd,$n,${k%%:*}]:-} | ${R[stayrtr,$n,${k%%:*}]:-} |"
	done
done
