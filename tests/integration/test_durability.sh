#!/usr/bin/env bash
# Durability: an acknowledged publish survives kill -9.
# ITERATIONS times (default 200): start rpkipubd, publish one new object,
# and SIGKILL the daemon the moment the HTTP reply arrives (pubclient
# --kill-after-reply, before it even verifies the reply).  Every CHECK_EVERY
# iterations and at the end a fresh daemon must list exactly the
# acknowledged objects with their hashes.
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
lib_setup

ITERATIONS=${ITERATIONS:-200}
CHECK_EVERY=${CHECK_EVERY:-50}
read -r PORT APORT < <(free_ports 2 | paste -s -d ' ')
D=$WORK/server
A=$WORK/alice
O=$WORK/objects
mkdir -p "$O"
init_server "$D" "$PORT" "$APORT"
start_daemon "$D" "$PORT"
add_publisher "$D" "$A" alice
stop_daemon "$DAEMON_PID" || bad "rpkipubd exit status $? on SIGTERM"
SA=$(state_get "$A" sia_base)
ACKED=$WORK/acked
: >"$ACKED"

# check_all WHEN: a fresh daemon lists exactly the acknowledged objects.
check_all() {
	start_daemon "$D" "$PORT"
	expect_list "$1: every acknowledged object is present with its hash, nothing else" \
		"$A" "$ACKED"
	stop_daemon "$DAEMON_PID" || bad "rpkipubd exit status $? on SIGTERM"
}

t0=$(date +%s)
acks=0
for ((i = 1; i <= ITERATIONS; i++)); do
	start_daemon "$D" "$PORT"
	h=$(obj "$O/o$i.roa" "durability object $i $$ $RANDOM $(date +%s.%N)")
	pc query "$A" --publish "${SA}d/o$i.roa=$O/o$i.roa" \
		--kill-after-reply "$DAEMON_PID" >"$WORK/pc.out" 2>"$WORK/pc.err"
	rc=$?
	if [ $rc -eq 0 ]; then
		printf '%s %s\n' "${SA}d/o$i.roa" "$h" >>"$ACKED"
		acks=$((acks + 1))
	else
		bad "iteration $i: publish not acknowledged (pubclient exit $rc)"
	fi
	kill9_daemon "$DAEMON_PID"
	if ((i % CHECK_EVERY == 0 && i < ITERATIONS)); then
		check_all "after $i kill -9 cycles"
	fi
done
ok "$acks of $ITERATIONS publishes acknowledged, each followed by kill -9 at once ($(($(date +%s) - t0)) s)"
check_all "after all $ITERATIONS kill -9 cycles"

# And the store still takes writes after all that.
start_daemon "$D" "$PORT"
h=$(obj "$O/final.roa" "final object")
expect_success "publish after the crash cycles" "$A" --publish "${SA}final.roa=$O/final.roa"
printf '%s %s\n' "${SA}final.roa" "$h" >>"$ACKED"
expect_list "final list" "$A" "$ACKED"
stop_daemon "$DAEMON_PID" && ok "rpkipubd stops cleanly on SIGTERM" ||
	bad "rpkipubd exit status $? on SIGTERM"
finish
