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
