#!/usr/bin/env bash
# RRDP serving benchmark: rpkipubd's own RRDP listener against nginx with
# the block `rpkipubctl nginx-conf` prints, on the same files, measured by
# wrk in one run.  Builds nothing.
#
#   bench/run-rrdp-http.sh [BIN_DIR]
#
# BIN_DIR defaults to build/bin.  Environment: SNAPSHOT_MB (size of the
# synthetic snapshot.xml, default 80), THREADS, CONNECTIONS, DURATION,
# TIMEOUT (wrk -t -c -d --timeout; default 2, 50, 10s, 30s), KEEP=1 keeps
# the work directory.
#
# A fresh instance under ${TMPDIR:-/tmp} gets a synthetic RRDP session: a
# notification.xml listing 100 deltas and a snapshot.xml of SNAPSHOT_MB
# (2 KB objects in base64) with its .gz twin.  Both servers serve that
# directory on 127.0.0.1 at the same time (nginx: worker_processes auto,
# access_log off; rpkipubd: a thread per CPU) and wrk measures, one server
# after the other:
#   (a) conditional GET of notification.xml that is answered 304
#       (If-None-Match with the server's own ETag, Accept-Encoding: gzip)
#   (b) GET of the snapshot with Accept-Encoding: gzip (the .gz twin)
# Prints the machine, the exact commands and a side-by-side table.  The
# bar (issue 3): rpkipubd at least half of nginx's requests/s.
set -euo pipefail

invocation="$0 $*"
BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
SNAPSHOT_MB=${SNAPSHOT_MB:-80}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-50}
DURATION=${DURATION:-10s}
TIMEOUT=${TIMEOUT:-30s}
START_SECS=10
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for p in "$BIN/rpkipubd" "$BIN/rpkipubctl" "$NGINX" "$(command -v wrk || echo wrk)" \
	"$(command -v curl || echo curl)"; do
	if [ ! -x "$p" ]; then
		echo "run-rrdp-http: $p missing (make build; scripts/install-deps)" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-rrdp-http.XXXXXX")
pid=
npid=
cleanup() {
	local p
	for p in $pid $npid; do
		if kill -0 "$p" 2>/dev/null; then
			kill "$p"
			wait "$p" 2>/dev/null || true
		fi
	done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "run-rrdp-http: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r port aport eport nport < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(4)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

wait_port() {
	local p=$1 who=$2
	for _ in $(seq $((START_SECS * 10))); do
		if /usr/bin/python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$p" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "run-rrdp-http: $who did not come up on 127.0.0.1:$p" >&2
	return 1
}

# ---- the instance and its synthetic RRDP session ----
data=$tmp/data
"$BIN/rpkipubctl" init --data-dir "$data" \
	--service-uri "http://127.0.0.1:$port/rpki" \
	--rsync-base rsync://bench.example/repo/ \
	--rrdp-base "http://127.0.0.1:$nport/rrdp/" \
	--listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$aport" \
	>"$tmp/init.log" 2>&1 || { cat "$tmp/init.log" >&2; exit 1; }
sed -i "s/^rrdp_listen = .*/rrdp_listen = 127.0.0.1:$eport/" "$data/rpkipubd.conf"
rrdp=$data/rrdp
mkdir -p "$rrdp"
session=$(cat /proc/sys/kernel/random/uuid)
rnd=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
sdir=$rrdp/$session/100/$rnd
mkdir -p "$sdir"
/usr/bin/python3 - "$sdir/snapshot.xml" "$session" "$SNAPSHOT_MB" <<'EOF'
import base64, os, sys
path, session, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, "w") as f:
    f.write('<snapshot xmlns="http://www.ripe.net/rpki/rrdp" version="1" '
            'session_id="%s" serial="100">\n' % session)
    i, size = 0, 0
    while size < mb * 1000 * 1000:
        # 2 KB objects: a DER-like header, then random bytes.
        obj = bytes.fromhex("308207fc3082") + os.urandom(2042)
        line = '<publish uri="rsync://bench.example/repo/ca%d/%d.roa">%s</publish>\n' % (
            i % 1000, i, base64.b64encode(obj).decode())
        f.write(line)
        size += len(line)
        i += 1
    f.write("</snapshot>\n")
EOF
gzip -6 -n -c "$sdir/snapshot.xml" >"$sdir/snapshot.xml.gz"
snap_uri=/rrdp/$session/100/$rnd/snapshot.xml

"$BIN/rpkipubd" --data-dir "$data" 2>"$tmp/rpkipubd.log" &
pid=$!
wait_port "$eport" rpkipubd || { cat "$tmp/rpkipubd.log" >&2; exit 1; }
# The notification after rpkipubd's start: the writer (if any) writes its
# own first; this one lists 100 deltas, as a real one would.
sleep 1
/usr/bin/python3 - "$rrdp/.bench-notification" "$session" "$nport" "$snap_uri" <<'EOF'
import hashlib, os, sys
path, session, port, snap = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
base = "http://127.0.0.1:%s" % port
with open(path, "w") as f:
    f.write('<notification xmlns="http://www.ripe.net/rpki/rrdp" version="1" '
            'session_id="%s" serial="100">\n' % session)
    f.write('  <snapshot uri="%s%s" hash="%s"/>\n' % (base, snap, "0" * 64))
    for s in range(100, 0, -1):
        f.write('  <delta serial="%d" uri="%s/rrdp/%s/%d/%s/delta.xml" hash="%s"/>\n' % (
            s, base, session, s, os.urandom(16).hex(), os.urandom(32).hex()))
    f.write("</notification>\n")
EOF
mv "$rrdp/.bench-notification" "$rrdp/notification.xml"
sleep 1.1	# Last-Modified once the file's second has passed

# ---- nginx with the printed block ----
"$BIN/rpkipubctl" --data-dir "$data" nginx-conf >"$tmp/rrdp-server.conf"
mkdir -p "$tmp/nginx-tmp"
{
	[ "$(id -u)" = 0 ] && echo "user root;"
	cat <<EOF
worker_processes auto;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx-tmp/body;
	proxy_temp_path $tmp/nginx-tmp/proxy;
	fastcgi_temp_path $tmp/nginx-tmp/fastcgi;
	uwsgi_temp_path $tmp/nginx-tmp/uwsgi;
	scgi_temp_path $tmp/nginx-tmp/scgi;
	include $tmp/rrdp-server.conf;
}
EOF
} >"$tmp/nginx.conf"
"$NGINX" -p "$tmp" -c "$tmp/nginx.conf" -g "daemon off;" 2>>"$tmp/nginx-error.log" &
npid=$!
wait_port "$nport" nginx || { cat "$tmp/nginx-error.log" >&2; exit 1; }

# ---- check what each server answers, then measure ----
etag() {	# URL: the ETag of the gzip representation
	curl -sS -o /dev/null -D - -H 'Accept-Encoding: gzip' "$1" |
		awk 'tolower($1) == "etag:" { sub(/\r$/, ""); print $2 }'
}
status() {	# URL CURL-ARGS...
	local u=$1
	shift
	curl -sS -o /dev/null -w '%{http_code} %{size_download}' "$@" "$u"
}

declare -A RPS TPS LAT
gzsize=$(stat -c %s "$sdir/snapshot.xml.gz")
for srv in rpkipubd nginx; do
	if [ "$srv" = rpkipubd ]; then p=$eport; else p=$nport; fi
	base=http://127.0.0.1:$p
	tag=$(etag "$base/rrdp/notification.xml")
	got=$(status "$base/rrdp/notification.xml" -H 'Accept-Encoding: gzip' -H "If-None-Match: $tag")
	if [ "${got% *}" != 304 ]; then
		echo "run-rrdp-http: $srv answers $got to If-None-Match $tag, not 304" >&2
		exit 1
	fi
	got=$(status "$base$snap_uri" -H 'Accept-Encoding: gzip')
	if [ "$got" != "200 $gzsize" ]; then
		echo "run-rrdp-http: $srv answers '$got' for the gzip snapshot, not '200 $gzsize'" >&2
		exit 1
	fi
	for t in a b; do
		if [ $t = a ]; then
			cmd=(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout "$TIMEOUT" --latency
			    -H "If-None-Match: $tag" -H "Accept-Encoding: gzip"
			    "$base/rrdp/notification.xml")
		else
			cmd=(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout "$TIMEOUT" --latency
			    -H "Accept-Encoding: gzip" "$base$snap_uri")
		fi
		echo "# $srv ($t): ${cmd[*]}"
		"${cmd[@]}" >"$tmp/wrk-$srv-$t.out" 2>&1
		sed 's/^/#   /' "$tmp/wrk-$srv-$t.out"
		if grep -q "Non-2xx or 3xx" "$tmp/wrk-$srv-$t.out"; then
			echo "run-rrdp-http: $srv ($t): wrk saw error responses" >&2
			exit 1
		fi
		RPS[$srv-$t]=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk-$srv-$t.out")
		TPS[$srv-$t]=$(awk '/^Transfer\/sec:/ { print $2 }' "$tmp/wrk-$srv-$t.out")
		LAT[$srv-$t]=$(awk '$1 == "99%" { print $2 }' "$tmp/wrk-$srv-$t.out")
	done
done

echo
echo "RRDP serving, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), Linux $(uname -r)"
echo "command: $invocation   (SNAPSHOT_MB=$SNAPSHOT_MB THREADS=$THREADS CONNECTIONS=$CONNECTIONS DURATION=$DURATION)"
echo "$("$NGINX" -v 2>&1), $(wrk -v 2>&1 | head -1 | cut -d ' ' -f 1-2), libmicrohttpd $(pkg-config --modversion libmicrohttpd 2>/dev/null || echo '?')"
echo "snapshot.xml $(stat -c %s "$sdir/snapshot.xml") bytes, .gz $gzsize bytes; notification.xml $(stat -c %s "$rrdp/notification.xml") bytes"
echo
printf '| %-46s | %14s | %14s | %9s |\n' "wrk -t$THREADS -c$CONNECTIONS -d$DURATION" "rpkipubd req/s" "nginx req/s" "rpkipubd/nginx"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..48})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..16})"
for t in a b; do
	if [ $t = a ]; then what="(a) notification.xml, If-None-Match -> 304"; else what="(b) snapshot, Accept-Encoding: gzip -> 200"; fi
	ratio=$(awk -v e="${RPS[rpkipubd-$t]}" -v n="${RPS[nginx-$t]}" 'BEGIN { printf "%.2f", (n > 0 ? e / n : 0) }')
	printf '| %-46s | %14s | %14s | %14s |\n' "$what" "${RPS[rpkipubd-$t]}" "${RPS[nginx-$t]}" "$ratio"
	printf '| %-46s | %14s | %14s | %14s |\n' "    transfer/s, p99 latency" \
		"${TPS[rpkipubd-$t]} ${LAT[rpkipubd-$t]}" "${TPS[nginx-$t]} ${LAT[nginx-$t]}" ""
done
