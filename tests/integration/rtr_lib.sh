# shellcheck shell=bash
# Helpers for the RTR integration tests (rtrd, rtrwatch and third-party
# routers).  Source after lib.sh-style variables: BIN, SRC, TMPBASE.
# Every process started here is recorded and stopped by its own pid.

set -u

: "${BIN:?BIN must name the bin directory of the build}"
: "${SRC:?SRC must name the repository root}"
: "${TMPBASE:?TMPBASE must name a scratch directory}"

PY=/usr/bin/python3
# shellcheck source=tests/integration/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
TEST_NAME=$(basename "$0" .sh)
PASSED=0
FAILED=0
SKIPPED=0
WORK=""
PIDS=()

rtr_cleanup() {
	local rc=$? pid
	for pid in "${PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null || continue
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "${KEEP_TMP:-0}" = 1 ] || [ "$FAILED" -gt 0 ]; then
			echo "# work directory kept: $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}

rtr_setup() {
	[ -x "$BIN/rtrd" ] || { echo "FAIL - $BIN/rtrd is missing: build first"; exit 1; }
	mkdir -p "$TMPBASE"
	WORK=$(mktemp -d "$TMPBASE/$TEST_NAME.XXXXXX")
	trap rtr_cleanup EXIT
	trap 'exit 130' INT TERM
	echo "# $TEST_NAME: work directory $WORK"
}

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
skip() { SKIPPED=$((SKIPPED + 1)); echo "ok - # SKIP $*"; }
fail() { bad "$*"; echo "$PASSED passed, $FAILED failed (stopped)"; exit 1; }
finish() {
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ]
}



# wait_port PORT PID WHAT: until PORT answers (10 s) or PID died.
wait_port() {
	local i
	for ((i = 0; i < 1000; i++)); do
		port_open "$1" && return 0
		kill -0 "$2" 2>/dev/null || fail "$3 exited before port $1 answered"
		sleep 0.01
	done
	fail "$3: port $1 did not answer within 10 s"
}

# start_bg LOG CMD...: run in the background, record the pid in LAST_PID.
start_bg() {
	local log=$1
	shift
	"$@" </dev/null >>"$log" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

stop_pid() {
	local pid=$1
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# gen_json FILE N SEED [EXTRA]: rpki-client JSON with N VRPs (a mix of
# IPv4 and IPv6, a few ASPAs and one router key).  SEED shifts which
# VRPs are in, so two seeds overlap (add and withdraw).
gen_json() {
	"$PY" "$SRC/tests/tools/genvrps.py" --vrps "$2" --seed "$3" --aspas 20 \
		--keys 2 >"$1.tmp" && mv "$1.tmp" "$1"
}

# expected_csv FILE: "prefix,plen,maxlen,asn" lines of the VRPs of FILE,
# sorted (what rtrclient, BIRD and rtrwatch must show).
expected_csv() {
	"$PY" - "$1" <<'EOF' | LC_ALL=C sort
import ipaddress, json, sys
d = json.load(open(sys.argv[1]))
for r in d["roas"]:
    n = ipaddress.ip_network(r["prefix"])
    asn = r["asn"] if isinstance(r["asn"], int) else int(r["asn"][2:])
    print("%s,%d,%d,%d" % (n.network_address, n.prefixlen, r["maxLength"], asn))
EOF
}

# same FILE_WANT FILE_GOT WHAT: compare two sorted files.
same() {
	if cmp -s "$1" "$2"; then
		ok "$3 ($(wc -l <"$1") records)"
	else
		bad "$3: differs (< want, > got):"
		diff "$1" "$2" | head -10 | sed 's/^/#   /'
	fi
}
