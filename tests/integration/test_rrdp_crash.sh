#!/usr/bin/env bash
# Crash safety of the repository writer: rpkipubd is killed with SIGKILL
# at random moments after a change, while the writer produces a serial
# every second (a snapshot of a few MB and an
# rsync tree of some thousand files each time).  After every kill, before
# the restart, `rpkipubctl verify` must pass on what is on disk (the
# notification names only complete files with the right hashes, deltas
# replay onto the previous snapshot, the `current` rsync tree is complete
# and equals the snapshot), serials never go back within a session, and a
# delta announced once keeps its hash (RFC 9697).
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
lib_setup

ITERATIONS=${CRASH_ITERATIONS:-200}
read -r PORT APORT < <(free_ports 2 | paste -s -d ' ')
D=$WORK/server
A=$WORK/alice
init_server "$D" "$PORT" "$APORT" --rrdp-interval 1 --rrdp-listen none
R=$D/rrdp
NOTIF=$R/notification.xml
start_daemon "$D" "$PORT"
add_publisher "$D" "$A" alice
SA=$(state_get "$A" sia_base)

# A repository big enough that a serial takes a while: 2,000 objects of
# 2 KB in one query.
bulk_query "$WORK/bulk.xml" "$SA" 2000
pc query "$A" --raw-xml "$WORK/bulk.xml" >/dev/null 2>"$WORK/pc.err" ||
	fail "bulk publish of 2,000 objects failed: $(cat "$WORK/pc.err")"
ok "2,000 objects published"

# churn: one more change through the daemon (a replace of churn.roa), so
# the writer has a serial to write at its next run.
CHURN_HASH=""
CHURN_N=0
churn() {
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

declare -A SEEN=()
SESSION=""
LAST=0
INTERRUPTED=0
declare -A COUNTED=()
failures=0
for ((it = 1; it <= ITERATIONS; it++)); do
	churn || fail "iteration $it: the change was refused: $(cat "$WORK/pc.err" 2>/dev/null)"
	# Anywhere in the next 1.2 s: the writer runs once a second.
	sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", r / 32767 * 1.1 }')"
	kill9_daemon "$DAEMON_PID"
	if ! ctl "$D" verify >"$WORK/verify.out" 2>&1; then
		failures=$((failures + 1))
		bad "iteration $it: verify after kill -9: $(grep -v PASS "$WORK/verify.out" | head -3)"
		cp -a "$R" "$WORK/rrdp.failed.$it" 2>/dev/null
	fi
	cur=$(readlink "$D/rsync/current")
	case $cur in
	trees/.tmp-*|"") failures=$((failures + 1)); bad "iteration $it: current -> '$cur'" ;;
	esac
	[ -d "$D/rsync/$cur" ] || { failures=$((failures + 1)); bad "iteration $it: current -> missing $cur"; }
	s=$(sed -n 's/.*<notification [^>]*session_id="\([^"]*\)".*/\1/p' "$NOTIF")
	n=$(sed -n 's/.*<notification [^>]*serial="\([0-9]*\)".*/\1/p' "$NOTIF")
	# Evidence that this kill hit a serial being written: its directory
	# or a partial rsync tree exists, but the notification does not name it.
	# Each such directory is counted once.
	for x in "$R/$s/$((n + 1))"/* "$D"/rsync/trees/.tmp-*; do
		[ -e "$x" ] && [ -z "${COUNTED[$x]:-}" ] || continue
		COUNTED[$x]=1
		INTERRUPTED=$((INTERRUPTED + 1))
		break
	done
	if [ "$s" = "$SESSION" ] && [ "$n" -lt "$LAST" ]; then
		failures=$((failures + 1))
		bad "iteration $it: serial went back from $LAST to $n"
	fi
	[ "$s" = "$SESSION" ] || { [ -z "$SESSION" ] || bad "iteration $it: session changed"; SEEN=(); }
	SESSION=$s
	LAST=$n
	while read -r ds dh; do
		if [ -n "${SEEN[$ds]:-}" ] && [ "${SEEN[$ds]}" != "$dh" ]; then
			failures=$((failures + 1))
			bad "iteration $it: delta $ds changed from ${SEEN[$ds]} to $dh"
		fi
		SEEN[$ds]=$dh
	done < <(grep '<delta ' "$NOTIF" | sed -n 's/.*serial="\([0-9]*\)".*hash="\([0-9a-f]*\)".*/\1 \2/p')
	start_daemon "$D" "$PORT"
done
[ "$failures" -eq 0 ] && ok "$ITERATIONS kills with SIGKILL: verify passed every time, current always a complete tree, serials up to $LAST in one session, no announced delta changed; $INTERRUPTED kills interrupted a serial being written" ||
	bad "$failures failures in $ITERATIONS kills"
churn || bad "the last change was refused"
sleep 2
ctl "$D" verify >"$WORK/verify.out" 2>&1 && ok "verify passes on the last serial: $(tail -1 "$WORK/verify.out")" ||
	bad "final verify: $(head -3 "$WORK/verify.out")"
stop_daemon "$DAEMON_PID" && ok "rpkipubd stops cleanly" || bad "rpkipubd stop"
finish
