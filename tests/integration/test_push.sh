#!/usr/bin/env bash
# rpkipub-push against the real rpkipubd: init (publisher_request),
# registration with rpkipubctl, configure (repository_response), then sync
# of a directory as the BCP (section 4.4) wants it: the server's list must
# equal the directory, by `rpkipub-push list` and independently by the
# rsync tree rpkipubd writes; a second sync sends one list query and ONE
# change query with the expected PDUs (server log and metrics); nothing to
# do sends no change query; --dry-run changes nothing; --verify lists
# again after the change; an empty or much
# reduced directory does not withdraw the point without
# --allow-mass-withdraw (--max-withdraw).  Files that cannot
# be published are refused before anything is sent; a query the server
# refuses exits 2 with its error_code, error_text and failed PDU; replies
# that do not verify (another repository TA, a tampered reply, a replayed
# one: the last reply again, or an earlier <success/> for a dropped change
# query) are refused; signing-times never go back with the clock; the EE and
# CRL are renewed when the clock moves (libfaketime).
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
lib_setup
[ -x "$BIN/rpkipub-push" ] || fail "$BIN/rpkipub-push is missing: build first"
faketime_setup

read -r PORT APORT PPORT < <(free_ports 3 | paste -s -d ' ')
D=$WORK/server
S=$WORK/state		# rpkipub-push's state directory
PUBD=$WORK/src		# the directory published
METRICS="http://127.0.0.1:$APORT/metrics"
init_server "$D" "$PORT" "$APORT" --rrdp-interval 1
start_daemon "$D" "$PORT"

# push ARGS...: rpkipub-push on $S; stdout, stderr and status in
# $WORK/push.out, $WORK/push.err, $RC.
push() {
	rp --state "$S" "$@" >"$WORK/push.out" 2>"$WORK/push.err"
	RC=$?
}
# expect_rc N WHAT: the last push exited N.
expect_rc() {
	if [ "$RC" -eq "$1" ]; then
		ok "$2 (exit $RC)"
	else
		bad "$2: exit $RC, want $1:
$(sed 's/^/#   /' "$WORK/push.out" "$WORK/push.err" | tail -15)"
	fi
}
# expect_err REGEX WHAT: the last push's stderr matches REGEX.
expect_err() {
	if grep -Eq "$1" "$WORK/push.err"; then
		ok "$2: $(grep -E -m1 "$1" "$WORK/push.err" | sed 's/^[^ ]* [^ ]* [A-Z]*: //' | cut -c1-160)"
	else
		bad "$2: stderr lacks /$1/:
$(sed 's/^/#   /' "$WORK/push.err" | tail -10)"
	fi
}
# queries: how many RFC 8181 requests of publisher ca the server logged.
queries() { grep -c 'INFO: publisher ca: ' "$DAEMON_LOG"; }
# asked_again: list queries the last push asked a second time, as the
# reply was the same bytes as the one it accepted last (an honest server
# signs a list of the same content in the same second so).
asked_again() { grep -c 'asking again in a second' "$WORK/push.err"; }
# sent Q0: the queries of the last push since queries was Q0, but for
# those asked again.
sent() { echo $(($(queries) - $1 - $(asked_again))); }
pdus() { metric_sum "$METRICS" '^rpkipubd_pdus_total$'; }
# want_list: the directory as "URI HASH" lines, hashed with coreutils.
want_list() {
	(cd "$PUBD" && find . -type f -o -type l) | sed 's|^\./||' | LC_ALL=C sort |
		while read -r f; do
			echo "$SIA$f $(sha256sum <"$PUBD/$f" | cut -d ' ' -f 1)"
		done | LC_ALL=C sort
}
# check_equal WHAT: the server's list (rpkipub-push list) and its rsync
# tree (written at the next RRDP serial, 1 s) both equal $PUBD.
check_equal() {
	local tree=$D/rsync/current/repo/ca i
	want_list >"$WORK/want.list"
	push list
	if [ "$RC" -eq 0 ] && cmp -s "$WORK/want.list" "$WORK/push.out"; then
		ok "$1: rpkipub-push list equals the directory ($(wc -l <"$WORK/want.list") objects)"
	else
		bad "$1: rpkipub-push list (exit $RC) differs from the directory:
$(diff "$WORK/want.list" "$WORK/push.out" | head -10 | sed 's/^/#   /')"
	fi
	for ((i = 0; i < 100; i++)); do
		diff -r "$PUBD" "$tree" >/dev/null 2>&1 && break
		[ ! -s "$WORK/want.list" ] && [ ! -e "$tree" ] && break
		sleep 0.1
	done
	if diff -r "$PUBD" "$tree" >"$WORK/tree.diff" 2>&1 ||
		{ [ ! -s "$WORK/want.list" ] && [ ! -e "$tree" ]; }; then
		ok "$1: rpkipubd's rsync tree equals the directory"
	else
		bad "$1: rsync tree differs: $(head -5 "$WORK/tree.diff")"
	fi
}
obj() { mkdir -p "$(dirname "$PUBD/$1")" && head -c "${2:-300}" /dev/urandom >"$PUBD/$1"; }

# ---- init, registration, configure ----
push init --handle ca
expect_rc 0 "init makes an identity"
grep -q 'publisher_handle="ca"' "$WORK/push.out" && cmp -s "$WORK/push.out" "$S/publisher_request.xml" &&
	ok "init prints the RFC 8183 publisher_request and writes it to the state directory" ||
	bad "init's output is not $S/publisher_request.xml"
[ "$(stat -c %a "$S")" = 700 ] && [ "$(stat -c %a "$S/bpki/ee.key")" = 600 ] &&
	ok "state directory 0700, keys 0600" || bad "modes: $(stat -c '%a %n' "$S" "$S/bpki/ee.key")"
push init --handle ca
expect_rc 1 "a second init is refused"
expect_err "exists already" "a second init says why"
rp --state "$WORK/other" init --handle ../x >/dev/null 2>"$WORK/push.err"
RC=$?
expect_rc 1 "an invalid handle is refused"
expect_err "not a valid publisher handle" "an invalid handle says why"

push list
expect_rc 1 "list before configure is refused"
expect_err "not configured yet" "list before configure says what to do"

ctl "$D" publishers add --request "$S/publisher_request.xml" >"$WORK/resp.xml" 2>"$WORK/ctl.err" ||
	fail "rpkipubctl publishers add: $(cat "$WORK/ctl.err")"
sed 's/publisher_handle="ca"/publisher_handle="cb"/' "$WORK/resp.xml" >"$WORK/resp-cb.xml"
push configure --response "$WORK/resp-cb.xml"
expect_rc 1 "a repository_response for another handle is refused"
expect_err 'for publisher_handle "cb", this state directory is publisher "ca"' "configure names both handles"
push configure --response "$WORK/resp.xml"
expect_rc 0 "configure with the repository_response"
SIA=$(push_status "$S" sia_base)
[ "$SIA" = "rsync://rpki.example.net/repo/ca/" ] && ok "status shows the sia_base $SIA" ||
	bad "sia_base from status: '$SIA'"
[ "$(push_status "$S" service_uri)" = "http://127.0.0.1:$PORT/rpki/ca" ] &&
	ok "status shows the service_uri" || bad "service_uri: $(push_status "$S" service_uri)"
[ "$(push_status "$S" publisher_bpki_ta_sha256)" = "$(ctl "$D" publishers show ca | sed -n 's/^bpki_ta_sha256: *//p')" ] &&
	ok "the server holds the BPKI TA status shows" || bad "BPKI TA fingerprints differ"

push list
expect_rc 0 "list of a new publisher"
[ ! -s "$WORK/push.out" ] && ok "a new publisher has no objects" || bad "list: $(head -3 "$WORK/push.out")"

# ---- the first sync ----
obj ta.cer
obj ta/ta.mft
obj ta/ta.crl
obj ta/a.roa
obj ta/sub/b.roa 5000
obj child.cer
q0=$(queries) p0=$(pdus)
push sync "$PUBD"
expect_rc 0 "first sync"
[ "$(grep -c '^publish  rsync://rpki.example.net/repo/ca/' "$WORK/push.out")" = 6 ] &&
	grep -q '^sync: 6 published, 0 replaced, 0 withdrawn, 0 unchanged (one query of 6 PDUs)$' "$WORK/push.out" &&
	ok "first sync prints six publish lines and the summary" ||
	bad "first sync printed: $(cat "$WORK/push.out")"
[ $(sent "$q0") = 2 ] && ok "first sync: a list query and a change query" ||
	bad "first sync: $(sent "$q0") queries"
check_equal "after the first sync"

# ---- change, add, remove: one change query with exactly those PDUs ----
obj ta/ta.mft			# changed
obj ta/ta.crl			# changed
obj ta/c.roa			# new
rm "$PUBD/ta/a.roa"		# gone
rm -r "$PUBD/ta/sub"		# gone
q0=$(queries) p0=$(pdus)
push sync "$PUBD"
expect_rc 0 "second sync"
{
	echo "withdraw ${SIA}ta/a.roa"
	echo "publish  ${SIA}ta/c.roa"
	echo "withdraw ${SIA}ta/sub/b.roa"
	echo "replace  ${SIA}ta/ta.crl"
	echo "replace  ${SIA}ta/ta.mft"
	echo "sync: 1 published, 2 replaced, 2 withdrawn, 2 unchanged (one query of 5 PDUs)"
} >"$WORK/want.out"
cmp -s "$WORK/want.out" "$WORK/push.out" && ok "second sync prints each change in URI order and the summary" ||
	bad "second sync printed (< want, > got): $(diff "$WORK/want.out" "$WORK/push.out")"
new=$(sent "$q0")
grep 'INFO: publisher ca: ' "$DAEMON_LOG" | tail -n 2 >"$WORK/last2"
[ "$new" = 2 ] && grep -q 'publisher ca: .* 1 PDUs, success' <(head -1 "$WORK/last2") &&
	grep -q 'publisher ca: .* 5 PDUs, success' <(tail -1 "$WORK/last2") &&
	ok "second sync: the server logged one list query and ONE change query of 5 PDUs" ||
	bad "second sync: $new queries logged: $(sed 's/^/#   /' "$WORK/last2")"
[ $(($(pdus) - p0 - $(asked_again))) = 6 ] && ok "rpkipubd_pdus_total grew by 6 (list + 5)" ||
	bad "rpkipubd_pdus_total grew by $(($(pdus) - p0)), want 6 + $(asked_again)"
check_equal "after the second sync"

# ---- nothing to do: no change query ----
q0=$(queries)
push sync "$PUBD"
expect_rc 0 "sync with nothing to change"
grep -q '^nothing to do: the 5 objects under rsync://rpki.example.net/repo/ca/ are those of ' "$WORK/push.out" &&
	ok "it says nothing is to do" || bad "printed: $(cat "$WORK/push.out")"
[ $(sent "$q0") = 1 ] && ok "nothing to do: only the list query was sent" ||
	bad "nothing to do: $(sent "$q0") queries"

# ---- --dry-run: the plan, nothing changes ----
push list
cp "$WORK/push.out" "$WORK/before.list"
obj ta/d.roa
rm "$PUBD/child.cer"
q0=$(queries)
push sync --dry-run "$PUBD"
expect_rc 0 "sync --dry-run"
printf '%s\n' "withdraw ${SIA}child.cer" "publish  ${SIA}ta/d.roa" \
	"dry run: 1 to publish, 0 to replace, 1 to withdraw, 4 unchanged; only the list query was sent" >"$WORK/want.out"
cmp -s "$WORK/want.out" "$WORK/push.out" && ok "--dry-run prints the plan" ||
	bad "--dry-run printed: $(diff "$WORK/want.out" "$WORK/push.out")"
[ $(sent "$q0") = 1 ] && ok "--dry-run sent only the list query" || bad "--dry-run: $(sent "$q0") queries"
push list
cmp -s "$WORK/before.list" "$WORK/push.out" && ok "--dry-run changed nothing on the server" ||
	bad "--dry-run changed the server's list"
push sync "$PUBD"
expect_rc 0 "sync after the dry run"
check_equal "after the dry run and a sync"

# ---- --verify: one more list query after the change ----
obj ta/v.roa
q0=$(queries)
push sync --verify "$PUBD"
expect_rc 0 "sync --verify"
grep -q "^verified: the server lists exactly the $(want_list | wc -l) objects of $PUBD\$" "$WORK/push.out" &&
	ok "sync --verify says the server holds exactly the directory" ||
	bad "sync --verify printed: $(cat "$WORK/push.out")"
[ $(sent "$q0") = 3 ] && ok "--verify: list, change, list" || bad "--verify: $(sent "$q0") queries"
check_equal "after sync --verify"

# ---- files that cannot be published: refused, nothing sent ----
refused_case() {	# refused_case WHAT REGEX [PUSH ARGS...]: set up before
	local what=$1 re=$2 q
	shift 2
	q=$(queries)
	push "$@" sync "$PUBD"
	expect_rc 1 "$what is refused"
	expect_err "$re" "$what: the reason"
	[ "$(queries)" = "$q" ] && ok "$what: nothing was sent" || bad "$what: $(($(queries) - q)) queries sent"
}
obj "bad name.roa"
refused_case "a name the URI jail refuses" "bad name.roa: cannot be published as .*character 0x20 not allowed"
rm "$PUBD/bad name.roa"
ln -s /etc/passwd "$PUBD/out.roa"
refused_case "a symbolic link out of the tree" "out.roa: symbolic link to /etc/passwd, outside the directory"
rm "$PUBD/out.roa"
obj big.roa 2000
refused_case "a file over --max-object" "big.roa: 2000 bytes, over the object limit of 1000" --max-object 1000
rm "$PUBD/big.roa"
: >"$PUBD/empty.roa"
refused_case "an empty file" "empty.roa: empty file"
rm "$PUBD/empty.roa"
obj toolarge.roa 600000
q0=$(queries)
push --max-body 100000 sync "$PUBD"
expect_rc 1 "a change over --max-body is refused"
expect_err "over the server's limit of 100000 bytes .*nothing was sent" "the change over --max-body: the reason"
[ $(sent "$q0") = 1 ] && ok "the change over --max-body: only the list query was sent" ||
	bad "--max-body: $(sent "$q0") queries"
rm "$PUBD/toolarge.roa"

# ---- an empty or much reduced SRC_DIR: refused unless allowed ----
# (An unmounted CA output directory scans cleanly; its sync would empty
# the publication point.)
mkdir -p "$WORK/empty"
push list
cp "$WORK/push.out" "$WORK/before.list"
n=$(wc -l <"$WORK/before.list")
q0=$(queries)
push sync "$WORK/empty"
expect_rc 1 "sync of an empty directory is refused"
expect_err "the plan withdraws all $n objects the server lists and publishes nothing" \
	"it says how many objects would be withdrawn"
expect_err "run sync again with --allow-mass-withdraw" "it says how to override"
[ $(sent "$q0") = 1 ] && ok "the refused mass withdrawal: only the list query was sent" ||
	bad "the refused mass withdrawal: $(sent "$q0") queries"
push sync --dry-run "$WORK/empty"
expect_rc 1 "--dry-run of an empty directory exits 1 too"
[ "$(grep -c '^withdraw ' "$WORK/push.out")" = "$n" ] &&
	grep -q "^dry run: sync would refuse this plan: the plan withdraws all $n objects .*--allow-mass-withdraw sends it$" "$WORK/push.out" &&
	ok "--dry-run prints the $n withdrawals and that sync would refuse them" ||
	bad "--dry-run of an empty directory printed: $(cat "$WORK/push.out")"
push list
cmp -s "$WORK/before.list" "$WORK/push.out" && ok "the refused syncs withdrew nothing" ||
	bad "the refused syncs changed the server's list"
for i in 1 2 3 4 5 6 7 8; do obj "ta/m$i.roa"; done
push sync "$PUBD"
expect_rc 0 "sync of $((n + 8)) objects"
rm -rf "$WORK/part" && cp -a "$PUBD" "$WORK/part" && rm "$WORK/part"/ta/m[1-8].roa
push sync "$WORK/part"
expect_rc 1 "withdrawing 8 of $((n + 8)) objects is refused"
expect_err "the plan withdraws 8 of the $((n + 8)) objects the server lists \([0-9]+%, over --max-withdraw 50%\)" \
	"it names the share and the limit"
push sync --max-withdraw 80 "$WORK/part"
expect_rc 0 "--max-withdraw 80 lets the same plan through"
push sync --allow-mass-withdraw "$WORK/empty"
expect_rc 0 "--allow-mass-withdraw empties the publication point"
expect_err "sent anyway \(--allow-mass-withdraw\)" "and warns that it does"
push list
[ "$RC" = 0 ] && [ ! -s "$WORK/push.out" ] && ok "the server lists nothing after it" ||
	bad "after --allow-mass-withdraw: exit $RC, $(wc -l <"$WORK/push.out") objects"
push sync "$PUBD"
expect_rc 0 "sync of the directory again"
check_equal "after the mass-withdraw checks"
push --max-withdraw 101 sync "$PUBD"
expect_rc 1 "--max-withdraw over 100 is a usage error"
push --allow-mass-withdraw list
expect_rc 1 "--allow-mass-withdraw with list is a usage error"

# ---- two list queries in one second: never a replay ----
for i in 1 2 3; do rp --state "$S" list >/dev/null 2>>"$WORK/lists.err" || echo fail >>"$WORK/lists.err"; done
grep -q fail "$WORK/lists.err" && bad "three list queries in a row: $(cat "$WORK/lists.err")" ||
	ok "three list queries in a row are all answered (each carries its own tag)"

# ---- the clock goes back: the last signing-time is kept ----
# (Faked 100 s back: the server would refuse an older signing-time than the
# last it accepted; replies stay within the 300 s of allowed skew.)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD=$FT FAKETIME=-100 \
	"$BIN/rpkipub-push" --state "$S" list >"$WORK/push.out" 2>"$WORK/push.err" </dev/null
RC=$?
expect_rc 0 "list with the clock 100 s behind the last query"
expect_err "the clock is behind the last signing-time used" "it signs with the last signing-time and says so"

# ---- a query the server refuses: exit 2, its error text, the failed PDU ----
# Publisher "other" is configured with a response whose sia_base is not
# the one the server gave it (edited by hand, say): its publish is outside
# the jail the server keeps for it.
C=$WORK/other-state
push_publisher "$D" "$C" other
sed 's|sia_base="rsync://rpki.example.net/repo/other/"|sia_base="rsync://rpki.example.net/repo/elsewhere/"|' \
	"$WORK/other.response.xml" >"$WORK/other-edited.xml"
rp --state "$C" configure --response "$WORK/other-edited.xml" >/dev/null 2>"$WORK/push.err" ||
	fail "configure other: $(cat "$WORK/push.err")"
mkdir -p "$WORK/other-src" && head -c 100 /dev/urandom >"$WORK/other-src/x.roa"
rp --state "$C" sync "$WORK/other-src" >"$WORK/push.out" 2>"$WORK/push.err"
RC=$?
expect_rc 2 "a publish outside the server's jail is refused by the server"
expect_err "change query refused by the server: permission_failure: rsync://rpki.example.net/repo/elsewhere/x.roa: URI outside the publisher's sia_base rsync://rpki.example.net/repo/other/ \(RFC 8181 section 2.4\) \(failed PDU: publish rsync://rpki.example.net/repo/elsewhere/x.roa\)" \
	"exit 2 logs error_code, error_text and the failed PDU"
expect_err "applied none of the change" "and says nothing was applied"
[ ! -s "$WORK/push.out" ] && ok "a refused sync prints no change lines" || bad "printed: $(cat "$WORK/push.out")"

# ---- replies that do not verify ----
# configure with a response naming another repository TA (this
# publisher's own): every reply fails the chain check.
"$PY" - "$WORK/resp.xml" "$S/publisher_request.xml" "$WORK/resp-ta.xml" <<'EOF'
import re, sys
resp, req = open(sys.argv[1]).read(), open(sys.argv[2]).read()
ta = re.search(r"<publisher_bpki_ta>(.*?)</publisher_bpki_ta>", req, re.S).group(1)
out = re.sub(r"(<repository_bpki_ta>).*?(</repository_bpki_ta>)", lambda m: m.group(1) + ta + m.group(2), resp, flags=re.S)
open(sys.argv[3], "w").write(out)
EOF
push configure --response "$WORK/resp-ta.xml"
expect_rc 0 "configure with a response carrying another repository TA"
expect_err "the repository_bpki_ta changes" "configure warns that the TA changes"
push list
expect_rc 4 "a reply signed under another TA is refused"
expect_err "list query: the reply does not verify \(untrusted\): .*repository's BPKI trust anchor \(RFC 8183 repository_bpki_ta\)" \
	"it says the reply does not chain to the repository's TA"

# a proxy that changes one byte of the signed XML, then one that replays
# the first reply it saw.
sed "s|service_uri=\"http://127.0.0.1:$PORT/|service_uri=\"http://127.0.0.1:$PPORT/|" "$WORK/resp.xml" >"$WORK/resp-proxy.xml"
start_proxy() {
	"$PY" "$SRC/tests/tools/pubproxy.py" "$PPORT" "http://127.0.0.1:$PORT" "$1" 2>>"$WORK/proxy.log" &
	PROXY=$!
	DAEMON_PIDS+=("$PROXY")
	for _ in $(seq 100); do port_open "$PPORT" && return 0; sleep 0.05; done
	fail "pubproxy.py $1 did not listen on $PPORT"
}
push configure --response "$WORK/resp-proxy.xml"
expect_rc 0 "configure through the test proxy"
start_proxy tamper
push list
expect_rc 4 "a tampered reply is refused"
expect_err "the reply does not verify \(signature\): RFC 5652 section 5.6: CMS signature does not verify" \
	"it says the signature does not verify"
kill "$PROXY"; wait "$PROXY" 2>/dev/null
start_proxy replay
push list	# the proxy keeps this reply
expect_rc 0 "list through the replaying proxy (its first reply is genuine)"
obj ta/f.roa
q0=$(queries)
push sync "$PUBD"
expect_rc 4 "the last accepted reply replayed to the next list query is refused"
expect_err "list query: the reply is the one accepted last \(signed at .*, the same signature\): a replayed reply \(RFC 6492 section 3.1.2" \
	"it says the reply is the last one again, citing RFC 6492 section 3.1.2"
expect_err "asking again in a second" "after asking once more, as an honest server may repeat itself in one second"
[ $(($(queries) - q0)) = 2 ] && ok "the replayed list: two list queries, no change query" ||
	bad "the replayed list: $(($(queries) - q0)) queries"
kill "$PROXY"; wait "$PROXY" 2>/dev/null
# an attacker who drops a change query and answers with the <success/> of
# an earlier one (which carries no tag)
start_proxy dropchange
obj ta/f2.roa
push sync "$PUBD"
expect_rc 0 "a sync through the dropping proxy (its first change passes)"
obj ta/f3.roa
push sync "$PUBD"
expect_rc 4 "an earlier <success/> replayed to a dropped change query is refused"
expect_err "change query: (the <success/> was signed at .*, not after the last <success/> accepted|the reply was signed at .*, before the last reply accepted).*RFC 6492 section 3.1.2" \
	"it says the <success/> is too old, citing RFC 6492 section 3.1.2"
expect_err "may or may not have been applied" "and that the change may have been applied"
grep -q 'dropped -> the kept success' "$WORK/proxy.log" && ok "the proxy did drop the change query" ||
	bad "the proxy did not drop a change query: $(tail -3 "$WORK/proxy.log")"
sleep 1
push sync "$PUBD"
expect_rc 4 "again a second later"
expect_err "change query: the reply was signed at .*, before the last reply accepted from this repository .*RFC 6492 section 3.1.2" \
	"then it is older than the list reply"
push list
grep -q "^${SIA}ta/f2.roa " "$WORK/push.out" && ! grep -q "^${SIA}ta/f3.roa " "$WORK/push.out" &&
	ok "the server has the first change, not the dropped one" ||
	bad "through the dropping proxy the server lists: $(grep 'ta/f' "$WORK/push.out")"
kill "$PROXY"; wait "$PROXY" 2>/dev/null
push configure --response "$WORK/resp.xml"
expect_rc 0 "configure back to the server itself"
grep -q '^last_reply_digest = [0-9a-f]\{64\}$' "$S/state" && [ "$(stat -c %a "$S/state")" = 600 ] &&
	ok "the state file keeps the last reply's digest (mode 0600)" || bad "state: $(cat "$S/state")"
# a state file of an rpkipub-push before the reply keys
sed -i '/^last_reply_/d; /^last_success_/d' "$S/state"
push list
expect_rc 0 "a state file without the reply keys still works"
grep -q '^last_reply_signing_time = [1-9]' "$S/state" && grep -q '^last_success_signing_time = ' "$S/state" &&
	ok "and gets them with the next reply" || bad "state: $(cat "$S/state")"
push_status "$S" last_reply_signing_time | grep -q '^[0-9]\{4\}-[0-9][0-9]-' && ok "status shows the last reply's signing-time" ||
	bad "status: no last_reply_signing_time"
push sync "$PUBD"
expect_rc 0 "sync again after the replayed reply"
check_equal "after the replayed reply"

# ---- the publisher removed on the server: its error text, exit 3 ----
ctl "$D" publishers remove other >/dev/null 2>&1 || bad "publishers remove other"
rp --state "$C" list >/dev/null 2>"$WORK/push.err"
RC=$?
expect_rc 3 "a removed publisher's query gets no RFC 8181 reply"
expect_err "list query: HTTP 404 from http://127.0.0.1:$PORT/rpki/other: unknown publisher" \
	"it logs the HTTP status and the server's text"

# ---- EE and CRL renewal: the clock moved (server and client) ----
crlnum() { openssl crl -inform DER -in "$S/bpki/crl.der" -noout -crlnumber | cut -d= -f2; }
eeserial() { openssl x509 -inform DER -in "$S/bpki/ee.cer" -noout -serial | cut -d= -f2; }
revoked() { openssl crl -inform DER -in "$S/bpki/crl.der" -noout -text | grep -c "Serial Number: $1" || true; }
restart_at() {
	stop_daemon "$DAEMON_PID" || bad "rpkipubd exit status $? on SIGTERM"
	start_daemon_at "$D" "$PORT" "$1"
}
ee0=$(eeserial) crl0=$(crlnum)
restart_at +5d
obj ta/g.roa
at +5d "$BIN/rpkipub-push" --state "$S" sync "$PUBD" >"$WORK/push.out" 2>"$WORK/push.err" </dev/null
RC=$?
expect_rc 0 "sync five days on"
[ "$(eeserial)" = "$ee0" ] && [ "$(crlnum)" != "$crl0" ] &&
	ok "five days on: the CRL was renewed (number $crl0 -> $(crlnum)), the EE kept" ||
	bad "five days on: EE $ee0 -> $(eeserial), CRL $crl0 -> $(crlnum)"
expect_err "BPKI CRL re-issued" "the log says the CRL was renewed"
crl1=$(crlnum)
restart_at +340d
obj ta/h.roa
at +340d "$BIN/rpkipub-push" --state "$S" sync "$PUBD" >"$WORK/push.out" 2>"$WORK/push.err" </dev/null
RC=$?
expect_rc 0 "sync 340 days on (the server accepts the new EE)"
[ "$(eeserial)" != "$ee0" ] && [ "$(revoked "$ee0")" = 1 ] && [ $(($(crlnum))) -gt $((crl1)) ] &&
	ok "340 days on: a new EE ($ee0 -> $(eeserial)), the old one revoked on CRL $(crlnum)" ||
	bad "340 days on: EE $ee0 -> $(eeserial), revoked $(revoked "$ee0"), CRL $crl1 -> $(crlnum)"
expect_err "BPKI EE certificate re-issued" "the log says the EE was re-issued"
at +340d "$BIN/rpkipub-push" --state "$S" list >"$WORK/push.out" 2>"$WORK/push.err" </dev/null
RC=$?
want_list >"$WORK/want.list"
[ "$RC" = 0 ] && cmp -s "$WORK/want.list" "$WORK/push.out" &&
	ok "340 days on: the list equals the directory" || bad "340 days on: list exit $RC or differs"

grep -E "ERROR" "$DAEMON_LOG" | grep -v "refused RFC 8181" >"$WORK/rpkipubd.errors"
[ -s "$WORK/rpkipubd.errors" ] && bad "rpkipubd logged errors: $(head -3 "$WORK/rpkipubd.errors")"
stop_daemon "$DAEMON_PID" && ok "rpkipubd stops cleanly" || bad "rpkipubd stop"
finish
