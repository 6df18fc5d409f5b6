#!/usr/bin/env bash
# What one RRDP serial costs as the repository grows, beside the physical
# limit measured in the same run: dd writing and fsyncing the same number
# of bytes.  Builds nothing.
#
#   bench/run-rrdpserial.sh [BIN_DIR] [SIZES...]
#
# BIN_DIR defaults to build/bin; SIZES to "10000 100000 1000000" objects
# of 2 KB.  For each size: bench/rrdpserial fills a fresh store, writes
# the first serial, then three serials of a 100-object delta (snapshot +
# .gz + delta + .gz + notification + rsync tree) in one writer process
# kept for the three, as rpkipubd keeps its writer; then dd writes the
# bytes of one such serial with conv=fsync,
# three times, through the page cache as the issue's reference asks
# (dd_s) and with oflag=direct (dd_direct_s: the disk's own rate, which
# the writer's snapshot files use).  Medians are printed, with the
# writer's peak RSS.
# serial_s is the time from the interval's start to the notification and
# the rsync switch; prepare_s the hard-link copy rpkipubd makes right
# after, in the idle time, for the next serial's tree.  ratio is
# serial_s / dd_s, ratio_d serial_s / dd_direct_s, ratio_all
# (serial_s + prepare_s) / dd_s.
# Needs about 12 GB of free disk under ${TMPDIR:-/tmp} for 1,000,000.
set -euo pipefail

invocation="$0 $*"
BIN=${1:-build/bin}
[ $# -gt 0 ] && shift
SIZES=${*:-10000 100000 1000000}
[ -x "$BIN/rrdpserial" ] || { echo "run-rrdpserial: $BIN/rrdpserial missing; run make build" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-rrdpserial.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# dd_median MB FLAGS...: median seconds of three dd runs writing MB MiB.
dd_median() {
	local mb=$1 _
	shift
	for _ in 1 2 3; do
		dd if=/dev/zero of="$tmp/dd.out" bs=1M count="$mb" "$@" 2>&1 |
			sed -n 's/.* copied, \([0-9.]*\) s.*/\1/p'
		rm -f "$tmp/dd.out"
	done | median
}

echo "# $invocation"
echo "# $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr), disk of $tmp: $(df -h "$tmp" | awk 'NR == 2 { print $1 }')"
printf '%9s %9s %10s %7s %12s %7s %8s %10s %10s %7s\n' objects serial_s \
	prepare_s dd_s dd_direct_s ratio ratio_d ratio_all MB/serial rss_MB
for n in $SIZES; do
	out=$("$BIN/rrdpserial" "$tmp/r$n" "$n" 100 3)
	line=$(grep '^objects=' <<<"$out")
	serial=$(sed 's/.*serial_s=\([^ ]*\).*/\1/' <<<"$line")
	prep=$(sed 's/.*prepare_s=\([^ ]*\).*/\1/' <<<"$line")
	rss=$(sed 's/.*rss_kb=\([^ ]*\).*/\1/' <<<"$line")
	bytes=$(sed 's/.*bytes=\([^ ]*\).*/\1/' <<<"$line")
	mb=$(( (bytes + 1048575) / 1048576 ))
	dd_s=$(dd_median "$mb" conv=fsync)
	ddd_s=$(dd_median "$mb" oflag=direct conv=fsync)
	awk -v n="$n" -v s="$serial" -v p="$prep" -v d="$dd_s" -v dd="$ddd_s" \
	    -v mb="$mb" -v rss="$rss" 'BEGIN {
		printf "%9s %9.3f %10.3f %7.3f %12.3f %7.2f %8.2f %10.2f %10s %7.1f\n",
		    n, s, p, d, dd, s / d, s / dd, (s + p) / d, mb, rss / 1024 }'
	rm -rf "$tmp/r$n"
done
