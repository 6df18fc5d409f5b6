# shellcheck shell=bash
# Helpers for the rrdpsync tests: source after lib.sh.
#
#   sync_once COPY SOURCE [ARGS...]   one `rrdpsync --once` into COPY/rrdp and
#                                     COPY/rsync; stderr in $WORK/sync.err,
#                                     exit status in SYNC_RC
#   copy_fingerprint COPY             what a relying party sees of COPY:
#                                     notification bytes, every file under the
#                                     RRDP dir but the state dir (with its
#                                     SHA-256) and the target of `current`
#   start_rrdpserve ROOT PORT RULES LOG   the scripted upstream
#                                     (tests/tools/rrdpserve.py), stopped by
#                                     lib_cleanup by its pid
#   metric URL NAME                   one sample's value ("" if absent)

SYNC_BIN=$BIN/rrdpsync
RRDPSERVE=$SRC/tests/tools/rrdpserve.py
RRDPGEN=$SRC/tests/tools/rrdpgen.py
SYNC_RC=0

# sync_once COPY SOURCE [ARGS...]: BASE defaults to https://edge.example.net/rrdp/.
sync_once() {
	local copy=$1 source=$2
	shift 2
	"$SYNC_BIN" --once --source "$source" --rrdp-dir "$copy/rrdp" \
		--rsync-dir "$copy/rsync" --base-uri "${SYNC_BASE:-https://edge.example.net/rrdp/}" \
		"$@" </dev/null 2>"$WORK/sync.err"
	SYNC_RC=$?
	cat "$WORK/sync.err" >>"$WORK/sync.log"
	return $SYNC_RC
}

copy_fingerprint() {
	local copy=$1
	{
		sha256sum "$copy/rrdp/notification.xml" 2>/dev/null | cut -d' ' -f1
		(cd "$copy/rrdp" 2>/dev/null && find . -path ./.rrdpsync -prune -o -type f -print0 |
			LC_ALL=C sort -z | xargs -0 -r sha256sum)
		echo "current -> $(readlink "$copy/rsync/current" 2>/dev/null)"
		(cd "$copy/rsync/current/" 2>/dev/null && find . -type f -print0 | LC_ALL=C sort -z |
			xargs -0 -r sha256sum)
	}
}

start_rrdpserve() {
	local root=$1 port=$2 rules=$3 log=$4
	"$PY" "$RRDPSERVE" --root "$root" --port "$port" --rules "$rules" --log "$log" \
		</dev/null >/dev/null 2>>"$WORK/rrdpserve.err" &
	DAEMON_PIDS+=("$!")
	for _ in $(seq 100); do port_open "$port" && return 0; sleep 0.05; done
	fail "rrdpserve did not listen on $port: $(cat "$WORK/rrdpserve.err")"
}

metric() {
	curl -sS --max-time 10 "$1" 2>/dev/null | awk -v n="$2" '$1 == n { print $2 }'
}
