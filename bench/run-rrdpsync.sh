#!/usr/bin/env bash
# What a first `rrdpsync --once` costs, beside what the same bytes cost
# to download with curl and what the file system costs, in one run.
#
#   bench/run-rrdpsync.sh [BIN_DIR] [SIZES...]
#
# BIN_DIR defaults to build/bin, SIZES to "100000 1000000" objects of
# 2 KB.  For each size: bench/rrdpserial fills a store and writes two
# serials (a directory per CA of 100 objects; the notification lists
# the snapshot and one delta), nginx serves that RRDP directory on
# 127.0.0.1 with the block `rpkipubctl nginx-conf` prints (gzip_static:
# the .gz twins), and then, one after the other:
#   curl_gz    curl -o /dev/null of notification, snapshot and delta,
#              asking for gzip (what rrdpsync receives): median of 3
#   curl_plain the same without gzip (the decoded bytes): median of 3
#   curl_file  the gzip download written to a file: median of 3
#   floor      bench/mkfiles: the same number of 2 KB files created in a
#              simple loop (mkdir per CA, open, write, futimens, close)
#              plus one syncfs: what the rsync tree costs at least
#   rrdpsync   a first sync into an empty copy: time and peak RSS
#              (GNU time), and from its log line where the time went
# Nothing is deleted before the timed runs (on this VM's ext4, which has
# no journal, creating inodes for minutes after many were deleted is up
# to ten times slower); everything goes at the end.  The copy of sizes
# up to VERIFY_MAX (100000) is checked with `rpkipubctl verify`.
# Needs about 25 GB of free disk under ${TMPDIR:-/tmp} for 1,000,000.
set -euo pipefail

invocation="$0 $*"
BIN=${1:-build/bin}
[ $# -gt 0 ] && shift
SIZES=${*:-100000 1000000}
VERIFY_MAX=${VERIFY_MAX:-100000}
for p in rrdpserial rrdpsync rpkipubctl mkfiles; do
	[ -x "$BIN/$p" ] || { echo "run-rrdpsync: $BIN/$p missing; run make build" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "run-rrdpsync: nginx is missing" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "run-rrdpsync: GNU time (/usr/bin/time) is missing" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-rrdpsync.XXXXXX")
NGINX_PID=""
cleanup() {
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# curl3 ARGS...: median seconds (wall clock) of three runs of curl ARGS.
curl3() {
	local _ t0 t1
	for _ in 1 2 3; do
		t0=$(date +%s.%N)
		curl -sS "$@"
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
	done | median
}

echo "# $invocation"
echo "# $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr), $(df -T "$tmp" | awk 'NR == 2 { print $2 " on " $1 }'), load $(cut -d' ' -f1-3 /proc/loadavg)"
results=()
for n in $SIZES; do
	d=$tmp/r$n
	"$BIN/rrdpserial" "$d" "$n" 100 1 >"$tmp/rrdpserial.$n.log"
	# Only what nginx serves is kept: the store and serial 1 go.
	rm -f "$d"/store.sqlite*
	session=$(sed -n 's/.*<notification [^>]*session_id="\([^"]*\)".*/\1/p' "$d/rrdp/notification.xml")
	rm -rf "${d:?}/rrdp/$session/1"
	port=$(free_port)
	base=http://127.0.0.1:$port/rrdp/
	sed -i "s|https://rrdp.example.net/rrdp/|$base|g" "$d/rrdp/notification.xml"
	"$BIN/rpkipubctl" init --data-dir "$tmp/ngx$n" --service-uri http://127.0.0.1:1/rpki \
		--rsync-base rsync://rpki.example.net/repo/ --rrdp-base "$base" --rrdp-listen none \
		>/dev/null 2>&1
	sed -i "s|^rrdp_dir = .*|rrdp_dir = $d/rrdp|" "$tmp/ngx$n/rpkipubd.conf"
	"$BIN/rpkipubctl" --data-dir "$tmp/ngx$n" nginx-conf >"$tmp/edge$n.conf"
	mkdir -p "$tmp/nginx-tmp"
	{
		[ "$(id -u)" = 0 ] && echo "user root;"
		cat <<EOF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx-tmp/body;
	proxy_temp_path $tmp/nginx-tmp/proxy;
	fastcgi_temp_path $tmp/nginx-tmp/fastcgi;
	uwsgi_temp_path $tmp/nginx-tmp/uwsgi;
	scgi_temp_path $tmp/nginx-tmp/scgi;
	include $tmp/edge$n.conf;
}
EOF
	} >"$tmp/nginx.conf"
	"$NGINX" -p "$tmp" -c "$tmp/nginx.conf" -g "daemon off;" </dev/null >/dev/null 2>&1 &
	NGINX_PID=$!
	for _ in $(seq 100); do curl -s -o /dev/null "${base}notification.xml" && break; sleep 0.05; done
	snap=$(sed -n 's|.*<snapshot uri="\([^"]*\)".*|\1|p' "$d/rrdp/notification.xml")
	delta=$(sed -n 's|.*<delta serial="[0-9]*" uri="\([^"]*\)".*|\1|p' "$d/rrdp/notification.xml")
	urls=("${base}notification.xml" "$snap" "$delta")
	srel=${snap#"$base"}
	xml_mb=$(( $(stat -c %s "$d/rrdp/$srel") / 1000000 ))
	gz_mb=$(( $(stat -c %s "$d/rrdp/$srel.gz") / 1000000 ))
	# Warm the page cache: every run reads the same cached files.
	cat "$d/rrdp/$srel" "$d/rrdp/$srel.gz" >/dev/null
	gzargs=(-H 'Accept-Encoding: gzip')
	for u in "${urls[@]}"; do gzargs+=(-o /dev/null "$u"); done
	c_gz=$(curl3 "${gzargs[@]}")
	plain=()
	for u in "${urls[@]}"; do plain+=(-o /dev/null "$u"); done
	c_plain=$(curl3 "${plain[@]}")
	c_file=$(curl3 -H 'Accept-Encoding: gzip' -o "$tmp/curl.$n.gz" "$snap")
	floor=$("$BIN/mkfiles" "$tmp/floor$n" "$n" 2048 | sed 's/.*seconds=\([0-9.]*\) .*/\1/')
	c=$tmp/copy$n
	/usr/bin/time -f '%e %M' -o "$tmp/time.$n" "$BIN/rrdpsync" --once \
		--source "${base}notification.xml" --rrdp-dir "$c/rrdp" --rsync-dir "$c/rsync" \
		--base-uri https://edge.example.net/rrdp/ --max-snapshot-size 16G \
		2>"$tmp/rrdpsync.$n.log" || { cat "$tmp/rrdpsync.$n.log"; exit 1; }
	read -r s_time s_rss <"$tmp/time.$n"
	line=$(grep 'INFO: session' "$tmp/rrdpsync.$n.log" | tail -1)
	phases=$(sed -n 's/.*s (files \([0-9.]*\) s, of which waiting for the rsync tree \([0-9.]*\) s; commit \([0-9.]*\) s; CPU: fetch thread \([0-9.]*\) s, parse threads \([0-9.]*\) s, rsync tree thread \([0-9.]*\) s)$/\1 \2 \3 \4 \5 \6/p' <<<"$line")
	check="-"
	if [ "$n" -le "$VERIFY_MAX" ]; then
		"$BIN/rpkipubctl" verify --rrdp-dir "$c/rrdp" --rsync-dir "$c/rsync" >"$tmp/verify.$n" 2>&1 &&
			check=PASS || check=FAIL
	fi
	results+=("$n $xml_mb $gz_mb $c_gz $c_plain $c_file $floor $s_time $s_rss $check $phases")
	kill "$NGINX_PID" && wait "$NGINX_PID" 2>/dev/null || true
	NGINX_PID=""
done
echo "# load after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%9s %8s %7s %8s %9s %8s %8s %9s %9s %9s %7s %6s\n' objects snap_MB gz_MB \
	curl_gz curl_plain curl_file floor rrdpsync vs_curl vs_floor RSS_MB verify
for r in "${results[@]}"; do
	read -r n xm gm cg cp cf fl st rss ck _ <<<"$r"
	awk -v n="$n" -v xm="$xm" -v gm="$gm" -v cg="$cg" -v cp="$cp" -v cf="$cf" -v fl="$fl" \
	    -v st="$st" -v rss="$rss" -v ck="$ck" 'BEGIN {
		printf "%9s %8s %7s %8.2f %9.2f %8.2f %8.2f %9.2f %9.1f %9.2f %7.1f %6s\n",
		    n, xm, gm, cg, cp, cf, fl, st, st / cg, st / fl, rss / 1024, ck }'
done
echo "# where rrdpsync's time went (seconds; from its log line):"
printf '%9s %8s %12s %8s %13s %13s %12s\n' objects files tree_wait commit fetch_cpu parse_cpu tree_cpu
for r in "${results[@]}"; do
	read -r n _ _ _ _ _ _ _ _ _ f w cm fc pc tc <<<"$r"
	printf '%9s %8s %12s %8s %13s %13s %12s\n' "$n" "$f" "$w" "$cm" "$fc" "$pc" "$tc"
done
