# shellcheck shell=bash
# The chain's set-up, shared by the end-to-end test
# (tests/integration/test_e2e.sh) and the propagation benchmark
# (bench/run-propagation.sh).  Source after lib.sh (and lib_setup):
#
#   e2e_tls DIR                 the test TLS CA, a certificate for 127.0.0.1
#                               and the hashed CA directory (testca.py tls)
#   e2e_server DIR PORT APORT RRDP_PORT RSYNC_PORT INTERVAL TLS_DIR
#                               rpkipubctl init (RRDP over https from the
#                               embedded listener, rsync base on RSYNC_PORT)
#                               and rpkipubd started; waits for the first
#                               serial and one request over TLS.  Sets D
#                               (the data directory) and NOTIFY.
#   e2e_rsyncd NAME PORT        rsync --daemon on 127.0.0.1:PORT with the
#                               module text read from stdin; config and log
#                               $WORK/NAME.conf, .log; sets RSYNCD_PID
#   e2e_ca STATE PUB HANDLE NOTIFY_URI [testca init options...]
#                               a publisher made with rpkipub-push (init,
#                               rpkipubctl publishers add, configure) in
#                               STATE/push, and the test CA in STATE/ca
#                               writing to PUB, its rsync base the
#                               publisher's sia_base; sets SIA
#   push_dir STATE SRC_DIR      rpkipub-push sync
#   rrdp_serial                 the serial of $D's notification.xml
#   publish WHAT [STATE PUB]    push_dir, then wait for a new serial with
#                               the rsync tree equal to PUB
#
# Each daemon goes to DAEMON_PIDS, so lib_cleanup stops it by its pid.

TESTCA="$SRC/tests/tools/testca.py"

e2e_tls() {
	"$PY" "$TESTCA" tls "$1" --ip 127.0.0.1 >/dev/null || fail "testca tls $1 failed"
}

e2e_server() {
	local dir=$1 port=$2 aport=$3 rport=$4 sport=$5 interval=$6 tls=$7
	D=$dir
	NOTIFY=https://127.0.0.1:$rport/rrdp/notification.xml
	"$BIN/rpkipubctl" init --data-dir "$dir" \
		--service-uri "http://127.0.0.1:$port/rpki" \
		--rsync-base "rsync://127.0.0.1:$sport/repo/" \
		--rrdp-base "https://127.0.0.1:$rport/rrdp/" \
		--listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$aport" \
		--rrdp-listen "127.0.0.1:$rport" \
		--rrdp-tls-cert "$tls/server.pem" --rrdp-tls-key "$tls/server.key" \
		--rrdp-interval "$interval" >"$WORK/init.out" 2>&1 ||
		{ cat "$WORK/init.out"; fail "rpkipubctl init failed"; }
	start_daemon "$dir" "$port"
	# The first (empty) serial, then one request over TLS with the test CA.
	for _ in $(seq 100); do [ -s "$dir/rrdp/notification.xml" ] && break; sleep 0.1; done
	curl -sS -o /dev/null --cacert "$tls/ca.pem" "$NOTIFY" 2>"$WORK/curl.err" ||
		fail "the RRDP listener does not serve $NOTIFY over TLS: $(cat "$WORK/curl.err")"
}

e2e_rsyncd() {
	local name=$1 port=$2
	{
		echo "address = 127.0.0.1"
		echo "port = $port"
		echo "pid file = $WORK/$name.pid"
		echo "log file = $WORK/$name.log"
		cat
	} >"$WORK/$name.conf"
	rsync --daemon --no-detach --config="$WORK/$name.conf" </dev/null >>"$WORK/$name.log" 2>&1 &
	RSYNCD_PID=$!
	DAEMON_PIDS+=("$RSYNCD_PID")
	for _ in $(seq 100); do port_open "$port" && return 0; sleep 0.05; done
	fail "rsync --daemon ($name) did not listen on $port: $(tail -3 "$WORK/$name.log")"
}

e2e_ca() {
	local state=$1 pub=$2 handle=$3 notify=$4
	shift 4
	mkdir -p "$state"
	push_publisher "$D" "$state/push" "$handle"
	SIA=$(push_status "$state/push" sia_base)
	"$PY" "$TESTCA" init "$state/ca" --pub "$pub" --rsync-base "$SIA" --rrdp-notify "$notify" \
		"$@" >/dev/null 2>"$WORK/testca.err" || fail "testca init: $(cat "$WORK/testca.err")"
}

# push_dir STATE SRC_DIR: make the publication point of the publisher in
# STATE equal to SRC_DIR the way the BCP (section 4.4) says: a list query,
# the difference by hash, then one multi-PDU query (rpkipub-push sync).
push_dir() {
	rp --state "$1" sync "$2" >"$WORK/push.out" 2>"$WORK/push.err"
}

# rrdp_serial: the serial of the current notification.xml (0 if none).
rrdp_serial() {
	sed -n 's/.*<notification[^>]* serial="\([0-9]*\)".*/\1/p' "$D/rrdp/notification.xml" 2>/dev/null |
		grep . || echo 0
}

# publish WHAT [STATE PUB]: push PUB (default $PUB) with the publisher in
# STATE/push (default $CASTATE), then wait (15 s) until a new serial is
# announced and the rsync tree holds exactly PUB.
publish() {
	local what=$1 state=${2:-$CASTATE} pub=${3:-$PUB} before i tree sia
	before=$(rrdp_serial)
	push_dir "$state/push" "$pub" || fail "publishing $what: $(cat "$WORK/push.err")"
	ok "$what: rpkipub-push sync: $(tail -1 "$WORK/push.out")"
	sia=$(push_status "$state/push" sia_base)
	tree=$D/rsync/current/repo/${sia#rsync://*/repo/}
	for ((i = 0; i < 150; i++)); do
		if [ "$(rrdp_serial)" -gt "$before" ] && diff -r "$pub" "$tree" >/dev/null 2>&1; then
			ok "$what published: RRDP serial $(rrdp_serial), rsync tree equal to the CA's directory"
			return 0
		fi
		sleep 0.1
	done
	fail "$what: no new serial with the CA's files within 15 s (serial $(rrdp_serial))"
}

# ---- the deployment examples (docs/examples/), made to run here ----
# Each prints an example with the production values (ports, paths, names)
# replaced by the test's, and fails if any production value is left.
EXAMPLES=$SRC/docs/examples

# example_check FILE: no production name or path left in FILE.
example_check() {
	if grep -v '^[[:space:]]*#' "$1" |
		grep -nE 'example\.net|/var/lib/|/etc/ssl/|/etc/rrdpsync|/run/|:(323|443|873|9323|9324)\b' \
		>"$WORK/example-left.out"; then
		fail "$1: production values left after substitution: $(head -3 "$WORK/example-left.out")"
	fi
}

# unit_exec_start UNIT_FILE: the ExecStart command line, continuation
# lines joined.
unit_exec_start() {
	"$PY" - "$1" <<'PYEOF'
import sys
out, cont = [], False
for l in open(sys.argv[1]).read().split("\n"):
    if cont or l.startswith("ExecStart="):
        l = l if cont else l[len("ExecStart="):]
        cont = l.endswith("\\")
        out.append(l[:-1] if cont else l)
        if not cont:
            break
print(" ".join(x.strip() for x in out))
PYEOF
}

# example_nginx_edge OUT PORT RRDP_DIR TLS_DIR: edge/nginx-rrdp.conf
# listening on 127.0.0.1:PORT (IPv4 only), serving RRDP_DIR with the test
# certificate.
example_nginx_edge() {
	sed -e "s|listen 443 ssl;|listen 127.0.0.1:$2 ssl;|" -e '/listen \[::\]:443 ssl;/d' \
		-e "s|server_name rrdp.example.net;|server_name 127.0.0.1;|" \
		-e "s|/etc/ssl/rrdp/fullchain.pem|$4/server.pem|" \
		-e "s|/etc/ssl/rrdp/privkey.pem|$4/server.key|" \
		-e "s|/var/lib/rrdpsync/rrdp|$3|g" "$EXAMPLES/edge/nginx-rrdp.conf" >"$1"
	example_check "$1"
}

# nginx_conf NAME SERVER_BLOCK: $WORK/NAME.conf, an nginx.conf with its
# files under $WORK that includes SERVER_BLOCK.
nginx_conf() {
	mkdir -p "$WORK/$1-tmp"
	cat >"$WORK/$1.conf" <<NGINX
pid $WORK/$1.pid;
error_log $WORK/$1-error.log info;
events { }
http {
	access_log $WORK/$1-access.log;
	client_body_temp_path $WORK/$1-tmp/body;
	proxy_temp_path $WORK/$1-tmp/proxy;
	fastcgi_temp_path $WORK/$1-tmp/fastcgi;
	uwsgi_temp_path $WORK/$1-tmp/uwsgi;
	scgi_temp_path $WORK/$1-tmp/scgi;
	include $2;
}
NGINX
}

# example_rsyncd_edge OUT PORT EDGE_DIR: edge/rsyncd.conf on
# 127.0.0.1:PORT serving EDGE_DIR/rsync, pid, lock and log under $WORK
# (not as nobody unless run as root).
example_rsyncd_edge() {
	local out=$1 port=$2 dir=$3
	sed -e "s|^port = 873\$|address = 127.0.0.1\\nport = $port|" \
		-e "s|^pid file = /run/rsyncd.pid\$|pid file = $WORK/edge-rsyncd.pid|" \
		-e "s|^syslog facility = daemon\$|log file = $WORK/edge-rsyncd.log|" \
		-e "s|/run/rsyncd-repo.lock|$WORK/edge-rsyncd.lock|" \
		-e "s|rsync://rsync.example.net/repo/|rsync://127.0.0.1:$port/repo/|" \
		-e "s|/var/lib/rrdpsync/|$dir/|g" "$EXAMPLES/edge/rsyncd.conf" >"$out"
	[ "$(id -u)" = 0 ] || sed -i -e '/^uid = /d' -e '/^gid = /d' "$out"
	example_check "$out"
}

# example_rrdpsync_edge OUT SOURCE CA_FILE BASE EDGE_DIR METRICS INTERVAL:
# the ExecStart of edge/rrdpsync.service with the test's values, one
# word a line.
example_rrdpsync_edge() {
	local hp
	# The test reaches the engine at the source's own address: the
	# example's --connect-to becomes the identity mapping.
	hp=$(sed 's|^https*://\([^/]*\)/.*|\1|' <<<"$2")
	unit_exec_start "$EXAMPLES/edge/rrdpsync.service" | sed \
		-e "s|/usr/local/bin/|$BIN/|" \
		-e "s|--connect-to [^ ]*|--connect-to $hp:$hp|" \
		-e "s|--source [^ ]*|--source $2|" -e "s|--ca-file [^ ]*|--ca-file $3|" \
		-e "s|--base-uri [^ ]*|--base-uri $4|" -e "s|/var/lib/rrdpsync/|$5/|g" \
		-e "s|--metrics [^ ]*|--metrics $6|" -e "s|--interval [0-9]*|--interval $7|" |
		tr ' ' '\n' | sed '/^$/d' >"$1"
	example_check "$1"
}
