#!/usr/bin/env bash
# The admin listener: a Unix socket instead of TCP (mode 0600, removed on
# stop), the bearer token, the CLI working through the daemon and on the
# store directly when no daemon runs, and status.
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
lib_setup

read -r PORT < <(free_ports 1)
D=$WORK/server
A=$WORK/alice
SOCK=$WORK/admin.sock
"$BIN/rpkipubctl" init --data-dir "$D" \
	--service-uri "http://127.0.0.1:$PORT/rpki" \
	--rsync-base rsync://rpki.example.net/repo/ \
	--rrdp-base https://rrdp.example.net/rrdp/ \
	--listen "127.0.0.1:$PORT" --admin-listen "unix:$SOCK" \
	>"$WORK/init.out" 2>&1 || { cat "$WORK/init.out"; fail "init with a Unix admin socket failed"; }

# A relative socket path is refused at init.
if "$BIN/rpkipubctl" init --data-dir "$WORK/other" \
	--service-uri "http://127.0.0.1:$PORT/rpki" \
	--rsync-base rsync://rpki.example.net/repo/ \
	--rrdp-base https://rrdp.example.net/rrdp/ \
	--admin-listen "unix:relative.sock" >"$WORK/init2.out" 2>&1; then
	bad "init accepted a relative admin socket path"
else
	grep -q "must be absolute" "$WORK/init2.out" &&
		ok "init refuses a relative admin socket path" ||
		bad "init refused a relative socket path without saying why: $(cat "$WORK/init2.out")"
fi

# No daemon: the CLI works on the store directly, and says so.
pc init "$A" --handle alice >/dev/null || fail "pubclient init failed"
ctl "$D" publishers add --request "$A/publisher_request.xml" \
	>"$WORK/resp1.xml" 2>"$WORK/ctl.err" || fail "offline publishers add failed: $(cat "$WORK/ctl.err")"
grep -q "not running" "$WORK/ctl.err" && ok "offline add says it works on the store directly" ||
	bad "offline add did not say so: $(cat "$WORK/ctl.err")"
ctl "$D" status >/dev/null 2>"$WORK/ctl.err" && bad "status succeeded without a daemon" ||
	ok "status without a daemon fails: $(head -1 "$WORK/ctl.err")"

start_daemon "$D" "$PORT"
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ] && ok "admin socket $SOCK exists" || fail "no admin socket at $SOCK"
mode=$(stat -c %a "$SOCK")
[ "$mode" = 600 ] && ok "admin socket mode is 0600" || bad "admin socket mode is $mode, want 600"

# Metrics without a token, over the socket, with curl.
curl -sS --max-time 10 --unix-socket "$SOCK" http://localhost/metrics >"$WORK/metrics" ||
	fail "GET /metrics over the socket failed"
grep -q '^rpkipubd_publishers 1$' "$WORK/metrics" && ok "metrics over the socket: 1 publisher" ||
	bad "metrics over the socket: $(grep '^rpkipubd_publishers' "$WORK/metrics")"

# The API wants the token.
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://localhost/v1/publishers)
[ "$code" = 401 ] && ok "admin API without a token: 401" || bad "admin API without a token: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(tr 0-9a-f 1-9a-f0 <"$D/admin.token")" \
	--unix-socket "$SOCK" http://localhost/v1/publishers)
[ "$code" = 401 ] && ok "admin API with a wrong token: 401" || bad "admin API with a wrong token: HTTP $code"

# Errors map to HTTP statuses: a taken handle 409, an unknown one 404.
TOKEN=$(cat "$D/admin.token")
code=$(curl -s -o "$WORK/dup.out" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	--data-binary @"$A/publisher_request.xml" --unix-socket "$SOCK" http://localhost/v1/publishers)
[ "$code" = 409 ] && grep -q "already registered" "$WORK/dup.out" &&
	ok "registering a taken handle: 409 '$(cat "$WORK/dup.out")'" ||
	bad "registering a taken handle: HTTP $code $(cat "$WORK/dup.out")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	--unix-socket "$SOCK" http://localhost/v1/publishers/nobody)
[ "$code" = 404 ] && ok "showing an unknown publisher: 404" || bad "showing an unknown publisher: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	--data-binary 'not xml' --unix-socket "$SOCK" http://localhost/v1/publishers)
[ "$code" = 400 ] && ok "a bad publisher_request: 400" || bad "a bad publisher_request: HTTP $code"

# The CLI goes through the daemon now (no "not running" note).
ctl "$D" publishers list >"$WORK/list.out" 2>"$WORK/ctl.err" || fail "publishers list failed: $(cat "$WORK/ctl.err")"
[ ! -s "$WORK/ctl.err" ] && grep -q '^alice ' "$WORK/list.out" &&
	ok "publishers list through the daemon's socket" ||
	bad "publishers list: $(cat "$WORK/list.out" "$WORK/ctl.err")"
ctl "$D" status >"$WORK/status.out" 2>&1 && grep -q '^publishers: *1$' "$WORK/status.out" &&
	ok "status through the socket" || bad "status: $(cat "$WORK/status.out")"
ctl "$D" publishers response alice >"$WORK/resp2.xml" 2>"$WORK/ctl.err" &&
	cmp -s "$WORK/resp1.xml" "$WORK/resp2.xml" &&
	ok "publishers response repeats the repository_response of add" ||
	bad "publishers response differs from add's: $(diff "$WORK/resp1.xml" "$WORK/resp2.xml" | head -5)"

# The publisher registered offline can publish.
pc configure "$A" --response "$WORK/resp1.xml" >/dev/null || fail "pubclient configure failed"
echo obj >"$WORK/a.roa"
pc query "$A" --publish "rsync://rpki.example.net/repo/alice/a.roa=$WORK/a.roa" \
	>/dev/null 2>"$WORK/pc.err" && ok "publisher registered offline publishes" ||
	bad "publish failed: $(cat "$WORK/pc.err")"

# A second rpkipubd on the same data directory is refused before it
# touches anything: the first keeps its socket and its RRDP output.
NOTIF_BEFORE=$(sha256sum "$D/rrdp/notification.xml" 2>/dev/null)
"$BIN/rpkipubd" --data-dir "$D" </dev/null >"$WORK/second.log" 2>&1 &
SECOND=$!
DAEMON_PIDS+=("$SECOND")
wait "$SECOND"
RC=$?
if [ "$RC" = 1 ] && grep -q "the data directory is in use by another rpkipubd, pid $DAEMON_PID" "$WORK/second.log"; then
	ok "a second rpkipubd on the data directory exits 1: $(grep -o 'in use.*' "$WORK/second.log")"
else
	bad "second rpkipubd: exit $RC: $(tail -2 "$WORK/second.log")"
fi
ctl "$D" status >/dev/null 2>&1 && [ -S "$SOCK" ] && [ "$(sha256sum "$D/rrdp/notification.xml" 2>/dev/null)" = "$NOTIF_BEFORE" ] &&
	ok "the first still answers on its socket, its RRDP output untouched" ||
	bad "the first rpkipubd lost its socket or its output changed"

stop_daemon "$DAEMON_PID" && ok "rpkipubd stops cleanly" || bad "rpkipubd exit status $?"
[ ! -e "$SOCK" ] && ok "admin socket removed on stop" || bad "admin socket left behind"
finish
