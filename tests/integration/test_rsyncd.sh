#!/usr/bin/env bash
# The rsync tree served by the real rsync daemon with the module printed
# by `rpkipubctl rsyncd-conf`, fetched by the real rsync client: the copy
# equals the tree with its deterministic mtimes; and a client slowed down
# so it is mid-transfer while rpkipubd switches `current` to a new tree
# still receives one consistent tree (the one it started with).
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
lib_setup
command -v rsync >/dev/null || fail "rsync is missing (scripts/install-deps installs it)"

read -r PORT APORT RPORT < <(free_ports 3 | paste -s -d ' ')
D=$WORK/server
A=$WORK/alice
init_server "$D" "$PORT" "$APORT" --rrdp-interval 1 --rrdp-listen none
start_daemon "$D" "$PORT"
add_publisher "$D" "$A" alice
SA=$(state_get "$A" sia_base)
S=$D/rsync

# wait_tree_change OLD: until `current` names another tree (10 s).
wait_tree_change() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(readlink "$S/current")" != "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

cur=$(readlink "$S/current")
bulk_query "$WORK/bulk.xml" "$SA" 2000
pc query "$A" --raw-xml "$WORK/bulk.xml" >/dev/null 2>"$WORK/pc.err" ||
	fail "bulk publish failed: $(cat "$WORK/pc.err")"
wait_tree_change "$cur" || fail "no new rsync tree after the publication"
ok "2,000 objects published"

ctl "$D" rsyncd-conf >"$WORK/module.conf" || fail "rpkipubctl rsyncd-conf failed"
grep -q '^\[repo\]' "$WORK/module.conf" && ok "rsyncd-conf prints the module [repo]" ||
	bad "no [repo] module in: $(cat "$WORK/module.conf")"
{
	echo "address = 127.0.0.1"
	echo "port = $RPORT"
	echo "pid file = $WORK/rsyncd.pid"
	echo "log file = $WORK/rsyncd.log"
	cat "$WORK/module.conf"
} >"$WORK/rsyncd.conf"
rsync --daemon --no-detach --config="$WORK/rsyncd.conf" </dev/null >>"$WORK/rsyncd.log" 2>&1 &
RSYNCD_PID=$!
DAEMON_PIDS+=("$RSYNCD_PID")	# stopped by lib_cleanup, by its pid
for ((i = 0; i < 100; i++)); do port_open "$RPORT" && break; sleep 0.05; done
port_open "$RPORT" || fail "rsync --daemon did not listen on $RPORT: $(tail -3 "$WORK/rsyncd.log")"
ok "rsync --daemon runs with the module"

URL=rsync://127.0.0.1:$RPORT/repo/
rsync -rt "$URL" "$WORK/copy/" 2>"$WORK/rsync.err" || fail "rsync $URL: $(cat "$WORK/rsync.err")"
diff -r "$WORK/copy" "$S/current/repo" >/dev/null && ok "rsync fetches exactly the current tree" ||
	bad "the fetched copy differs from the tree"
want=$(cd "$S/current/repo" && find . -type f -printf '%P %T@\n' | sort | md5sum)
got=$(cd "$WORK/copy" && find . -type f -printf '%P %T@\n' | sort | md5sum)
[ "$want" = "$got" ] && ok "the copy keeps every file's mtime" || bad "mtimes differ in the copy"
rsync -rt --itemize-changes "$URL" "$WORK/copy/" >"$WORK/again" 2>&1
[ ! -s "$WORK/again" ] && ok "a second rsync finds nothing to transfer" ||
	bad "a second rsync transfers: $(head -3 "$WORK/again")"

# ---- a transfer in progress while `current` switches ----
before=$(readlink "$S/current")
rm -rf "$WORK/slow"
# 4 MB at 500 KB/s: about 8 s, long enough for the writer to switch.
rsync -rt --bwlimit=500 "$URL" "$WORK/slow/" 2>"$WORK/slow.err" &
SLOW=$!
sleep 1
# A change all over the tree: every 10th object replaced, 100 new ones.
bulk_query "$WORK/change.xml" "$SA" 100 new
pc query "$A" --raw-xml "$WORK/change.xml" >/dev/null 2>"$WORK/pc.err" ||
	fail "the change during the transfer failed: $(cat "$WORK/pc.err")"
"$PY" - "$SA" "$S/current/repo/alice" "$WORK/replace.xml" <<'EOF'
import base64, hashlib, os, sys
sia, tree, out = sys.argv[1:4]
with open(out, "w") as f:
    f.write('<msg xmlns="http://www.hactrn.net/uris/rpki/publication-spec/" '
            'version="4" type="query">\n')
    for i in range(0, 2000, 10):
        rel = "d%02d/o%05d.roa" % (i % 50, i)
        old = hashlib.sha256(open(os.path.join(tree, rel), "rb").read()).hexdigest()
        f.write('<publish uri="%s%s" hash="%s">%s</publish>\n' % (
            sia, rel, old, base64.b64encode(os.urandom(2048)).decode()))
    f.write('</msg>\n')
EOF
pc query "$A" --raw-xml "$WORK/replace.xml" >/dev/null 2>"$WORK/pc.err" ||
	fail "the replaces during the transfer failed: $(cat "$WORK/pc.err")"
wait_tree_change "$before" && ok "current switched to a new tree while the client was transferring" ||
	bad "current did not switch during the transfer"
alive "$SLOW" && ok "the slow client was still transferring at the switch" ||
	bad "the slow client finished before the switch: the test proves nothing"
wait "$SLOW" || bad "the slow rsync failed: $(cat "$WORK/slow.err")"
diff -r "$WORK/slow" "$S/$before/repo" >"$WORK/slow.diff" 2>&1 &&
	ok "the client got exactly the tree it started with (no mix of old and new files)" ||
	bad "the slow client's copy is not the tree it started with: $(head -3 "$WORK/slow.diff")"
rsync -rt --delete "$URL" "$WORK/slow/" 2>"$WORK/rsync.err" &&
	diff -r "$WORK/slow" "$S/current/repo" >/dev/null && ok "the next rsync brings the copy to the new tree" ||
	bad "after the next rsync the copy differs from the current tree"

kill "$RSYNCD_PID" 2>/dev/null
stop_daemon "$DAEMON_PID" && ok "rpkipubd stops cleanly" || bad "rpkipubd stop"
finish
