#!/usr/bin/env bash
# rtrd reading rpki-client JSON over HTTP (libcurl): the data is served,
# a change of the file becomes a new serial, an unchanged file costs a
# conditional GET answered 304 (python3 -m http.server honours
# If-Modified-Since), and a broken download keeps the last good data.
. "$(dirname "$0")/rtr_lib.sh"
rtr_setup

read -r PORT HPORT < <(free_ports 2 | tr '\n' ' ')
mkdir -p "$WORK/www"
gen_json "$WORK/www/vrps.json" 500 0
start_bg "$WORK/http.log" "$PY" -u -m http.server --bind 127.0.0.1 --directory "$WORK/www" "$HPORT"
wait_port "$HPORT" "$LAST_PID" "python3 -m http.server"
start_bg "$WORK/rtrd.log" "$BIN/rtrd" --json "http://127.0.0.1:$HPORT/vrps.json" \
	--interval 1 --listen "127.0.0.1:$PORT"
RTRD=$LAST_PID
wait_port "$PORT" "$RTRD" rtrd

dump() {
	"$PY" "$SRC/tests/tools/rtrproto.py" dump 127.0.0.1 "$PORT" 1 2>/dev/null |
		grep -c '^vrp'
}
for _ in $(seq 50); do [ "$(dump)" = 500 ] && break; sleep 0.1; done
[ "$(dump)" = 500 ] && ok "the downloaded input is served (500 VRPs)" || bad "served: $(dump) VRPs"
sleep 2.5
n304=$(grep -c '" 304 ' "$WORK/http.log")
[ "$n304" -ge 1 ] && ok "unchanged file: conditional GET answered 304 ($n304 times)" ||
	bad "no 304 in the server log"
# A newer file with other VRPs (mtime moves at least a second on).
sleep 1
gen_json "$WORK/www/vrps.json" 600 0
for _ in $(seq 50); do grep -q "serial 1 " "$WORK/rtrd.log" && break; sleep 0.1; done
[ "$(dump)" = 600 ] && ok "changed file: new serial with 600 VRPs" || bad "after change: $(dump) VRPs"
# A broken download: truncated JSON.
sleep 1
head -c 1000 "$WORK/www/vrps.json" >"$WORK/www/t" && mv "$WORK/www/t" "$WORK/www/vrps.json"
for _ in $(seq 50); do grep -q "input refused" "$WORK/rtrd.log" && break; sleep 0.1; done
grep -q "input refused" "$WORK/rtrd.log" && [ "$(dump)" = 600 ] &&
	ok "truncated download refused, the last good data still served" ||
	bad "truncated download: $(dump) VRPs; $(grep -c 'input refused' "$WORK/rtrd.log") refusals"
stop_pid "$RTRD"

# A download that hangs must not stall the routers: loading runs on a
# worker thread.  The server below answers the first request at once and
# every later one after 6 s, then leaves a marker file; a Reset Query
# sent while the download hangs must be answered before the marker
# exists (an order of events, not a time limit).
cat >"$WORK/slow.py" <<'PYEOF'
import http.server, sys, time
first = [True]
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        slow = not first[0]
        first[0] = False
        if slow:
            time.sleep(6)
        super().do_GET()
        if slow:
            open(sys.argv[2] + "/../slow-done", "w").close()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
    lambda *a: H(*a, directory=sys.argv[2])).serve_forever()
PYEOF
read -r PORT2 HPORT2 < <(free_ports 2 | tr '\n' ' ')
gen_json "$WORK/www/vrps.json" 500 0
start_bg "$WORK/slow.log" "$PY" "$WORK/slow.py" "$HPORT2" "$WORK/www"
wait_port "$HPORT2" "$LAST_PID" "slow http server"
start_bg "$WORK/rtrd2.log" "$BIN/rtrd" --json "http://127.0.0.1:$HPORT2/vrps.json" \
	--interval 1 --listen "127.0.0.1:$PORT2"
wait_port "$PORT2" "$LAST_PID" rtrd
sleep 1.5	# the second download (slow) is now running
n=$("$PY" "$SRC/tests/tools/rtrproto.py" dump 127.0.0.1 "$PORT2" 1 | grep -c '^vrp')
[ "$n" = 500 ] && [ ! -e "$WORK/slow-done" ] &&
	ok "a Reset Query during a hanging download is answered before it ends" ||
	bad "during a hanging download: $n VRPs; download already over: $([ -e "$WORK/slow-done" ] && echo yes || echo no)"
finish
