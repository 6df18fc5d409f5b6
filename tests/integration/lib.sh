# shellcheck shell=bash
# Helpers for the integration tests: source this file, then call
# lib_setup.  Environment (set by CTest): BIN (the build's bin directory),
# SRC (repository root), TMPBASE (scratch space).  KEEP_TMP=1 keeps the
# work directory; TRACE=1 prints every pubclient command.
#
# Every check prints one line ("ok - ..." or "FAIL - ..."); finish prints
# "N passed, M failed" and sets the exit status.  Daemons started here are
# always stopped when the script exits, however it exits.

set -u

: "${BIN:?BIN must name the bin directory of the build}"
: "${SRC:?SRC must name the repository root}"
: "${TMPBASE:?TMPBASE must name a scratch directory}"

PY=/usr/bin/python3	# Debian's: it has python3-cryptography and asn1crypto
# shellcheck source=tests/integration/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PUBCLIENT="$SRC/tests/tools/pubclient.py"
TEST_NAME=$(basename "$0" .sh)
PASSED=0
FAILED=0
WORK=""
DAEMON_PIDS=()		# every rpkipubd this script started
DAEMON_PID=""		# the last one
DAEMON_LOG=""

# pc ARGS...: run the publisher tool.
pc() {
	[ "${TRACE:-0}" = 1 ] && echo "+ pubclient $*" >&2
	"$PY" "$PUBCLIENT" "$@"
}

# ctl DATADIR ARGS...: run rpkipubctl on a data directory.
ctl() {
	local dir=$1
	shift
	"$BIN/rpkipubctl" --data-dir "$dir" "$@"
}

lib_cleanup() {
	local rc=$? pid
	for pid in "${DAEMON_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null || continue
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "${KEEP_TMP:-0}" = 1 ]; then
			echo "# work directory kept: $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}

# lib_setup: check the programs, make $WORK (removed on exit), set traps.
lib_setup() {
	local p
	for p in "$BIN/rpkipubd" "$BIN/rpkipubctl"; do
		[ -x "$p" ] || { echo "FAIL - $p is missing: build first"; exit 1; }
	done
	for p in curl openssl "$PY"; do
		command -v "$p" >/dev/null || { echo "FAIL - $p is missing"; exit 1; }
	done
	mkdir -p "$TMPBASE"
	WORK=$(mktemp -d "$TMPBASE/$TEST_NAME.XXXXXX")
	DAEMON_LOG="$WORK/rpkipubd.log"
	: >"$DAEMON_LOG"
	trap lib_cleanup EXIT
	trap 'exit 130' INT TERM
	echo "# $TEST_NAME: work directory $WORK"
}


# context: what the reader needs to see after a failure.
context() {
	if [ -n "$DAEMON_LOG" ] && [ -s "$DAEMON_LOG" ]; then
		echo "# --- last lines of $DAEMON_LOG ---"
		tail -n 25 "$DAEMON_LOG" | sed 's/^/# /'
	fi
	if [ -n "$WORK" ] && [ -s "$WORK/pc.err" ]; then
		echo "# --- stderr of the last pubclient run ---"
		tail -n 15 "$WORK/pc.err" | sed 's/^/# /'
	fi
}

# fail MSG: a fatal failure: print it with context, exit 1.
fail() {
	echo "FAIL - $*"
	context
	FAILED=$((FAILED + 1))
	echo "$PASSED passed, $FAILED failed (stopped at the first fatal failure)"
	exit 1
}

ok() {
	PASSED=$((PASSED + 1))
	echo "ok - $*"
}

# bad MSG: a failed check; the script goes on.
bad() {
	FAILED=$((FAILED + 1))
	echo "FAIL - $*"
	context
}

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}


# start_daemon DATADIR PORT [TIMEOUT_S]: run rpkipubd in the background
# (stderr appended to $DAEMON_LOG), set DAEMON_PID, wait until PORT answers.
start_daemon() {
	local dir=$1 port=$2 timeout=${3:-15} i
	# The RRDP listener's default address (127.0.0.1:8082) would collide
	# between tests run in parallel: move an instance still on it to a
	# free port, once (restarts keep it).  RRDP_PORT names it.
	if grep -qx 'rrdp_listen = 127.0.0.1:8082' "$dir/rpkipubd.conf" 2>/dev/null; then
		RRDP_PORT=$(free_ports 1)
		sed -i "s/^rrdp_listen = 127\.0\.0\.1:8082\$/rrdp_listen = 127.0.0.1:$RRDP_PORT/" \
			"$dir/rpkipubd.conf"
	fi
	echo "### start $(date +%T.%N)" >>"$DAEMON_LOG"
	"$BIN/rpkipubd" --data-dir "$dir" </dev/null >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	DAEMON_PIDS+=("$DAEMON_PID")
	for ((i = 0; i < timeout * 100; i++)); do
		port_open "$port" && return 0
		if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			wait "$DAEMON_PID"
			fail "rpkipubd --data-dir $dir exited (status $?) before port $port answered"
		fi
		sleep 0.01
	done
	fail "rpkipubd --data-dir $dir: port $port did not answer within ${timeout}s"
}

# stop_daemon PID: SIGTERM, wait (10 s), SIGKILL if needed.  Returns the
# daemon's exit status (non-zero also when it had to be killed).
# faketime_setup: FT names libfaketime (the library itself, not the
# faketime wrapper: the wrapper forks, and the test must stop the daemon by
# its own pid), or the test fails.
faketime_setup() {
	local f
	FT=""
	for f in /usr/lib/*/faketime/libfaketimeMT.so.1; do [ -e "$f" ] && FT=$f; done
	[ -n "$FT" ] || fail "libfaketime is missing (scripts/install-deps installs faketime)"
}

# at OFFSET CMD...: run CMD with its clock moved by OFFSET ("+5d").  (An
# ASan build wants its runtime first; libfaketime only wraps time
# functions, so the order check can be waived.)
at() {
	local off=$1
	shift
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		LD_PRELOAD=$FT FAKETIME="$off" "$@"
}

# start_daemon_at DIR PORT OFFSET: start rpkipubd on DIR with its clock
# moved by OFFSET, wait for PORT.  Not through at(): $! must be rpkipubd's
# own pid, not a subshell's.
start_daemon_at() {
	echo "### clock $3" >>"$DAEMON_LOG"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		LD_PRELOAD=$FT FAKETIME="$3" "$BIN/rpkipubd" --data-dir "$1" \
		</dev/null >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	DAEMON_PIDS+=("$DAEMON_PID")
	for _ in $(seq 500); do port_open "$2" && return 0; sleep 0.02; done
	fail "rpkipubd with the clock at $3 did not start"
}

stop_daemon() {
	local pid=$1 rc
	kill "$pid" 2>/dev/null || return 1
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		echo "# rpkipubd $pid ignored SIGTERM for 10 s: SIGKILL"
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		return 1
	fi
	wait "$pid"
	rc=$?
	return $rc
}

# kill9_daemon PID: SIGKILL and reap.
kill9_daemon() {
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

alive() {
	kill -0 "$1" 2>/dev/null
}

# rss_kb PID [VmRSS|VmHWM]: resident (or peak resident) set size in kB.
rss_kb() {
	awk -v k="${2:-VmRSS}:" '$1 == k { print $2 }' "/proc/$1/status"
}

# reset_hwm PID: set the peak resident set size (VmHWM) back to the current
# one (Linux 4.0+, /proc/PID/clear_refs "5"), so a later VmHWM shows the
# peak of what came after, not of an earlier test.  False if unsupported.
reset_hwm() {
	{ echo 5 >"/proc/$1/clear_refs"; } 2>/dev/null
}

# init_server DATADIR PORT APORT [EXTRA init ARGS...]
init_server() {
	local dir=$1 port=$2 aport=$3
	shift 3
	"$BIN/rpkipubctl" init --data-dir "$dir" \
		--service-uri "http://127.0.0.1:$port/rpki" \
		--rsync-base rsync://rpki.example.net/repo/ \
		--rrdp-base https://rrdp.example.net/rrdp/ \
		--listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$aport" "$@" \
		>"$WORK/init.out" 2>&1 ||
		{ cat "$WORK/init.out"; fail "rpkipubctl init --data-dir $dir failed"; }
}

# add_publisher DATADIR STATE HANDLE: make a publisher identity in STATE,
# register it with rpkipubctl and configure it with the response.
add_publisher() {
	local dir=$1 state=$2 handle=$3
	[ -f "$state/state.json" ] || pc init "$state" --handle "$handle" >/dev/null ||
		fail "pubclient init $state failed"
	ctl "$dir" publishers add --request "$state/publisher_request.xml" \
		>"$state/repository_response.xml.new" 2>"$WORK/ctl.err" ||
		{ cat "$WORK/ctl.err"; fail "rpkipubctl publishers add ($handle) failed"; }
	pc configure "$state" --response "$state/repository_response.xml.new" >/dev/null 2>"$WORK/pc.err" ||
		fail "pubclient configure $state: $(cat "$WORK/pc.err")"
}

# rp ARGS...: run rpkipub-push (the build's) with stdin from /dev/null.
rp() {
	[ "${TRACE:-0}" = 1 ] && echo "+ rpkipub-push $*" >&2
	"$BIN/rpkipub-push" "$@" </dev/null
}

# push_publisher DATADIR STATE HANDLE: a publisher identity made with
# `rpkipub-push init`, registered from its publisher_request with
# `rpkipubctl publishers add`, configured with the repository_response.
push_publisher() {
	local dir=$1 state=$2 handle=$3
	rp --state "$state" init --handle "$handle" >"$WORK/push-init.out" 2>"$WORK/push-init.err" ||
		fail "rpkipub-push init $state: $(cat "$WORK/push-init.err")"
	ctl "$dir" publishers add --request "$state/publisher_request.xml" \
		>"$WORK/${handle//\//_}.response.xml" 2>"$WORK/ctl.err" ||
		fail "rpkipubctl publishers add ($handle): $(cat "$WORK/ctl.err")"
	rp --state "$state" configure --response "$WORK/${handle//\//_}.response.xml" \
		>"$WORK/push-configure.out" 2>"$WORK/push-configure.err" ||
		fail "rpkipub-push configure $state: $(cat "$WORK/push-configure.err")"
}

# push_status STATE KEY: a value `rpkipub-push status` prints (sia_base,
# service_uri, rrdp_notification_uri, ...).
push_status() {
	rp --state "$1" status 2>/dev/null | sed -n "s/^$2: *//p"
}

# Outcomes of all queries sent, by the daemon's metric label: success,
# an RFC 8181 error code, or http_<status>.
declare -A OUTCOMES=()

# count_outcome: record the outcome of the last pubclient query.
count_outcome() {
	local k=""
	case $PC_RC in
	0) k=success ;;
	3) k=$(sed -n 's/^report_error error_code=\([^ ]*\) .*/\1/p' "$WORK/pc.err" | head -1) ;;
	4) k=http_$(sed -n 's/^HTTP \([0-9]*\)$/\1/p' "$WORK/pc.err" | head -1) ;;
	esac
	[ -n "$k" ] && OUTCOMES[$k]=$((${OUTCOMES[$k]:-0} + 1))
	return 0
}

# q STATE ARGS...: one query; PC_RC, $WORK/pc.out and $WORK/pc.err hold
# the result.
q() {
	pc query "$@" >"$WORK/pc.out" 2>"$WORK/pc.err"
	PC_RC=$?
	count_outcome
}

# expect_success DESC STATE ARGS...: the query must get <success/> (or a list).
expect_success() {
	local desc=$1
	shift
	q "$@"
	if [ "$PC_RC" -eq 0 ]; then ok "$desc"; else bad "$desc: pubclient exit $PC_RC, want 0"; fi
}

# expect_report CODE DESC STATE ARGS...: the query must get a signed
# report_error with error_code CODE (an extended regex: a|b allowed).
expect_report() {
	local code=$1 desc=$2
	shift 2
	q "$@"
	if [ "$PC_RC" -eq 3 ] && grep -Eq "^report_error error_code=($code) " "$WORK/pc.err"; then
		ok "$desc: $(sed -n 's/^report_error error_code=\([^ ]*\) .*/\1/p' "$WORK/pc.err" | head -1)"
	else
		bad "$desc: pubclient exit $PC_RC, want 3 with error_code=$code"
	fi
}

# expect_http STATUS DESC STATE ARGS...: the query must get HTTP STATUS.
expect_http() {
	local status=$1 desc=$2
	shift 2
	q "$@"
	if [ "$PC_RC" -eq 4 ] && grep -q "^HTTP $status\$" "$WORK/pc.err"; then
		ok "$desc: HTTP $status"
	else
		bad "$desc: pubclient exit $PC_RC, want 4 with HTTP $status"
	fi
}

# list_pairs STATE [QUERY ARGS...]: print the publisher's objects as sorted
# "URI HASH" lines.  Each list carries a new tag: two list queries in one
# second would otherwise be the same bytes, which the server must refuse as
# a replay (pubclient would wait for the next second).  Extra arguments go
# to pubclient query (e.g. --signing-time EPOCH).
LIST_SEQ=0
list_pairs() {
	local state=$1
	shift
	LIST_SEQ=$((LIST_SEQ + 1))
	pc query "$state" --tag "list-$LIST_SEQ" --list --print pairs "$@" 2>"$WORK/pc.err"
	PC_RC=$?
	count_outcome
	return $PC_RC
}

# expect_list DESC STATE EXPECTED_FILE [QUERY ARGS...]: the list reply must
# be exactly the "URI HASH" lines of EXPECTED_FILE (any order).
expect_list() {
	local desc=$1 state=$2 want=$3 rc
	shift 3
	list_pairs "$state" "$@" >"$WORK/list.got"	# not in a pipe: it counts outcomes
	rc=$?
	LC_ALL=C sort -o "$WORK/list.got" "$WORK/list.got"
	LC_ALL=C sort "$want" | sed '/^$/d' >"$WORK/list.want"
	if [ $rc -ne 0 ]; then
		bad "$desc: list query failed (pubclient exit $rc)"
	elif cmp -s "$WORK/list.got" "$WORK/list.want"; then
		ok "$desc ($(wc -l <"$WORK/list.want") objects)"
	else
		bad "$desc: list differs from the expected objects (< want, > got):
$(diff "$WORK/list.want" "$WORK/list.got" | sed 's/^/#   /')"
	fi
}

# obj FILE TEXT: write a small object; print its RFC 8181 hash (computed
# with coreutils, independently of pubclient).
obj() {
	printf '%s\n' "$2" >"$1"
	sha256sum "$1" | cut -d ' ' -f 1
}

# metric_sum URL REGEX: sum of the values of samples whose name matches REGEX.
metric_sum() {
	curl -sS --max-time 10 "$1" | awk -v re="$2" '
		/^#/ || NF < 2 { next }
		{ name = $1; sub(/\{.*/, "", name) }
		name ~ re { s += $NF } END { printf "%.0f\n", s }'
}

# state_get STATE KEY: a value of pubclient's state.json (e.g. sia_base).
state_get() {
	"$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$1/state.json" "$2"
}

# bulk_query FILE SIA_BASE N [PREFIX]: write an RFC 8181 query with N
# publish PDUs of 2 KB random objects, [PREFIX/]dNN/oNNNNN.roa under
# SIA_BASE spread over 50 directories (send it with pc query --raw-xml).
bulk_query() {
	"$PY" - "$@" <<'EOF'
import base64, os, sys
out, sia, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
prefix = sys.argv[4] + "/" if len(sys.argv) > 4 else ""
with open(out, "w") as f:
    f.write('<msg xmlns="http://www.hactrn.net/uris/rpki/publication-spec/" '
            'version="4" type="query">\n')
    for i in range(n):
        f.write('<publish uri="%s%sd%02d/o%05d.roa">%s</publish>\n' % (
            sia, prefix, i % 50, i, base64.b64encode(os.urandom(2048)).decode()))
    f.write('</msg>\n')
EOF
}
