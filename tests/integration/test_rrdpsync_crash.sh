#!/usr/bin/env bash
# Crash safety of rrdpsync: a daemon (--interval 1) follows a live
# rpkipubd (a serial every second from a steady stream of changes, a
# repository of 3,000 objects, every seventh iteration a session reset so
# that snapshot rounds with a fresh tree are hit too) and is killed with
# SIGKILL within 0.3 s of its start, when its first round is
# fetching and applying upstream's new serial, CRASH_ITERATIONS times (60).  After each
# kill, `current` must name a complete tree (never a .tmp one); then one
# `rrdpsync --once` must succeed, after which `rpkipubctl verify` passes
# on the copy (the notification names complete files with upstream's
# hashes, the rsync tree equals the snapshot) and the copy's serial is
# upstream's.  Labelled slow (check-asan skips it).
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/sync_lib.sh
. "$(dirname "$0")/sync_lib.sh"
lib_setup
[ -x "$SYNC_BIN" ] || fail "$SYNC_BIN is missing: build first"

ITERATIONS=${CRASH_ITERATIONS:-60}
read -r PORT APORT RPORT < <(free_ports 3 | paste -s -d ' ')
D=$WORK/server
A=$WORK/alice
C=$WORK/copy
SOURCE=http://127.0.0.1:$RPORT/rrdp/notification.xml
init_server "$D" "$PORT" "$APORT" --rrdp-interval 1 --rrdp-base "http://127.0.0.1:$RPORT/rrdp/" \
	--rrdp-listen "127.0.0.1:$RPORT"
start_daemon "$D" "$PORT"
add_publisher "$D" "$A" alice
SA=$(state_get "$A" sia_base)
bulk_query "$WORK/bulk.xml" "$SA" 3000
pc query "$A" --raw-xml "$WORK/bulk.xml" >/dev/null 2>"$WORK/pc.err" ||
	fail "bulk publish failed: $(cat "$WORK/pc.err")"
ok "3,000 objects published"

CHURN_HASH=""
CHURN_N=0
churn() {	# one more change (a replace of churn.roa) for the next serial
	local f h
	CHURN_N=$((CHURN_N + 1))
	f=$WORK/churn.$((CHURN_N % 2))
	printf 'churn %s\n' "$CHURN_N" >"$f"
	h=$(sha256sum "$f" | cut -d' ' -f1)
	if [ -z "$CHURN_HASH" ]; then
		pc query "$A" --publish "${SA}churn.roa=$f" >/dev/null 2>&1
	else
		pc query "$A" --replace "${SA}churn.roa=$f@$CHURN_HASH" >/dev/null 2>&1
	fi || return 1
	CHURN_HASH=$h
}
up_serial() { sed -n 's/.*<notification [^>]*serial="\([0-9]*\)".*/\1/p' "$D/rrdp/notification.xml"; }
up_session() { sed -n 's/.*<notification [^>]*session_id="\([^"]*\)".*/\1/p' "$D/rrdp/notification.xml"; }

start_sync() {
	"$SYNC_BIN" --source "$SOURCE" --rrdp-dir "$C/rrdp" --rsync-dir "$C/rsync" \
		--base-uri https://edge.example.net/rrdp/ --interval 1 --keep 30 --rsync-keep 10 \
		</dev/null 2>>"$WORK/daemon.log" &
	SYNC_PID=$!
	DAEMON_PIDS+=("$SYNC_PID")
}

copy_at() {	# does the copy's notification announce upstream's serial?
	grep -q "session_id=\"$(up_session)\" serial=\"$(up_serial)\"" "$C/rrdp/notification.xml" 2>/dev/null
}
failures=0
INTERRUPTED=0
for ((it = 1; it <= ITERATIONS; it++)); do
	# A new serial upstream (or a new session), then the daemon, whose
	# first round starts at once, killed within 0.3 s.
	before="$(up_session) $(up_serial)"
	churn || fail "iteration $it: the change was refused"
	[ $((it % 7)) = 0 ] && ctl "$D" session-reset >/dev/null
	for _ in $(seq 100); do [ "$(up_session) $(up_serial)" != "$before" ] && break; sleep 0.05; done
	start_sync
	sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", r / 32767 * 0.3 }')"
	kill -9 "$SYNC_PID" 2>/dev/null
	wait "$SYNC_PID" 2>/dev/null
	# A round was cut off: the copy is not at upstream's serial, or a
	# tree or a file being built is left.
	if ! copy_at || compgen -G "$C/rsync/trees/.tmp-*" >/dev/null; then
		INTERRUPTED=$((INTERRUPTED + 1))
	fi
	cur=$(readlink "$C/rsync/current")
	case $cur in
	trees/.tmp-*|"") [ -z "$cur" ] && [ ! -e "$C/rrdp/.rrdpsync/state" ] ||
		{ failures=$((failures + 1)); bad "iteration $it: current -> '$cur'"; } ;;
	*) [ -d "$C/rsync/$cur" ] || { failures=$((failures + 1)); bad "iteration $it: current -> missing $cur"; } ;;
	esac
	if ! sync_once "$C" "$SOURCE" --keep 30 --rsync-keep 10; then
		failures=$((failures + 1))
		bad "iteration $it: the round after the kill failed: $(grep ERROR "$WORK/sync.err" | tail -1)"
	elif ! "$BIN/rpkipubctl" verify --rrdp-dir "$C/rrdp" --rsync-dir "$C/rsync" >"$WORK/verify.out" 2>&1; then
		failures=$((failures + 1))
		bad "iteration $it: verify after the round: $(grep -v PASS "$WORK/verify.out" | head -3)"
		cp -a "$C" "$WORK/copy.failed.$it"
	fi
done
start_sync
[ "$failures" -eq 0 ] && ok "$ITERATIONS kills with SIGKILL: current always a complete tree, the next round succeeded and verify passed every time; $INTERRUPTED kills cut a round short" ||
	bad "$failures failures in $ITERATIONS kills"
[ "$INTERRUPTED" -gt 0 ] && ok "some kills hit a round in progress ($INTERRUPTED)" ||
	bad "no kill hit a round in progress: the test proves little"
# The daemon converges to upstream's serial.
churn
sleep 1.5
for _ in $(seq 100); do copy_at && break; sleep 0.2; done
copy_at &&
	ok "the daemon caught up with upstream's serial $(up_serial)" || bad "the daemon did not catch up"
kill -TERM "$SYNC_PID"
wait "$SYNC_PID" && ok "rrdpsync stops with exit 0" || bad "rrdpsync exit status $?"
"$BIN/rpkipubctl" verify --rrdp-dir "$C/rrdp" --rsync-dir "$C/rsync" >"$WORK/verify.out" 2>&1 &&
	ok "final verify: $(tail -1 "$WORK/verify.out")" || bad "final verify: $(head -3 "$WORK/verify.out")"
stop_daemon "$DAEMON_PID" && ok "rpkipubd stops cleanly" || bad "rpkipubd stop"
finish
