#!/usr/bin/env bash
# Publication benchmark: a fresh rpkipubd instance under ${TMPDIR:-/tmp},
# loaded by bench/pubload.  Builds nothing.
#
#   bench/run-pubload.sh [BIN_DIR] [pubload options...]
#
# BIN_DIR defaults to build/bin.  Options after it go to pubload and
# override the defaults and the environment: PUBLISHERS, OBJECTS, SIZE,
# PDUS, CONCURRENCY.  KEEP=1 keeps the instance and the server log.
# Prints the machine, the disk's raw fsync rate, the exact command and
# pubload's summary; the exit status is pubload's.
set -euo pipefail

invocation="$0 $*"
BIN=${1:-build/bin}
[ $# -gt 0 ] && shift
BIN=$(cd "$BIN" && pwd)
for prog in rpkipubd rpkipubctl pubload; do
	if [ ! -x "$BIN/$prog" ]; then
		echo "run-pubload: $BIN/$prog missing; run make build" >&2
		exit 1
	fi
done

# Writes of 4 KiB with O_DSYNC: each one waits for the disk, as a commit
# without group commit would.
FSYNC_WRITES=1000
SERVER_START_SECS=10

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-pubload.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		echo "run-pubload: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two distinct free ports: bound at the same time, then released.
read -r port aport < <(/usr/bin/python3 -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')

data=$tmp/data
"$BIN/rpkipubctl" init --data-dir "$data" \
	--service-uri "http://127.0.0.1:$port/rpki" \
	--rsync-base rsync://bench.example/repo/ \
	--rrdp-base https://bench.example/rrdp/ \
	--listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$aport" \
	>"$tmp/init.log" 2>&1 || { cat "$tmp/init.log" >&2; exit 1; }

"$BIN/rpkipubd" --data-dir "$data" 2>"$tmp/rpkipubd.log" &
pid=$!
up=0
for _ in $(seq $((SERVER_START_SECS * 10))); do
	if ! kill -0 "$pid" 2>/dev/null; then
		break
	fi
	if /usr/bin/python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
	    "$port" 2>/dev/null; then
		up=1
		break
	fi
	sleep 0.1
done
if [ "$up" != 1 ]; then
	echo "run-pubload: rpkipubd did not come up on 127.0.0.1:$port" >&2
	cat "$tmp/rpkipubd.log" >&2
	exit 1
fi

# The physical limit of commits per second without group commit, on the
# file system that holds the store.  Measured before and after the load,
# as a shared disk's speed can change within minutes.
fsync_rate() {
	local out secs
	out=$(dd if=/dev/zero of="$tmp/ddtest" bs=4k count=$FSYNC_WRITES \
		oflag=dsync 2>&1)
	rm -f "$tmp/ddtest"
	secs=$(printf '%s\n' "$out" | sed -n 's/.*copied, \([0-9.]*\) s.*/\1/p')
	awk -v n=$FSYNC_WRITES -v s="$secs" \
		'BEGIN { if (s > 0) printf "%.0f", n / s; else print "?" }'
}
fsync_before=$(fsync_rate)

cmd=("$BIN/pubload" --data-dir "$data" --server-pid "$pid"
	--publishers "${PUBLISHERS:-100}" --objects "${OBJECTS:-50000}"
	--size "${SIZE:-2048}" --pdus "${PDUS:-10}"
	--concurrency "${CONCURRENCY:-20}" "$@")

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
fstype=$(df -PT "$tmp" | awk 'NR == 2 { print $2 }')
echo "machine          $(nproc) CPUs, $cpu, $(uname -sr)," \
	"$(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)"
echo "run              $invocation"
echo "command          ${cmd[*]}"

status=0
"${cmd[@]}" || status=$?
echo "disk fsync rate  $fsync_before before, $(fsync_rate) after the load:" \
	"4 KiB writes/s with O_DSYNC ($FSYNC_WRITES x dd oflag=dsync, $fstype)"
if [ "$status" != 0 ]; then
	echo "run-pubload: pubload failed ($status); server log tail:" >&2
	tail -n 20 "$tmp/rpkipubd.log" >&2
fi
exit "$status"
