#!/usr/bin/env bash
# Hostile and broken input against the real rpkipubd: replays and signing
# times (RFC 8181 replay protection), replays re-encoded in other bytes
# (BER lengths), signing-times in the future, wrong signer, expired or
# revoked EE, missing or expired CRL, two certificates, malformed XML,
# DOCTYPE and entities (billion laughs, XXE), truncated and trailing-garbage
# CMS, oversize bodies (413, memory stays flat), unknown publisher (404,
# before the body is read), wrong content type (415), GET (405), and
# rpkipubctl init on a data directory it cannot create.  After every bad
# input the daemon must still serve, and the stored objects must be exactly
# the previous ones.
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
lib_setup

MAX_BODY=1048576
read -r PORT APORT < <(free_ports 2 | paste -s -d ' ')
D=$WORK/server
A=$WORK/alice
B=$WORK/bob
M=$WORK/mallory		# an identity the server has never seen
O=$WORK/objects
mkdir -p "$O"
# rpkipubctl init refuses --max-body below the default max_object (8 MiB)
# unless --max-object is lowered too.
init_server "$D" "$PORT" "$APORT" --max-body "$MAX_BODY" --max-object $((MAX_BODY * 3 / 4))
start_daemon "$D" "$PORT"
PID=$DAEMON_PID
add_publisher "$D" "$A" alice
add_publisher "$D" "$B" bob
pc init "$M" --handle mallory >/dev/null || fail "pubclient init mallory"
cp "$A/repository_response.xml.new" "$M/response.xml"
pc configure "$M" --response "$M/response.xml" >/dev/null 2>&1 || fail "configure mallory"
SA=$(state_get "$A" sia_base)
URL="http://127.0.0.1:$PORT/rpki/alice"

# still_fine DESC: the daemon is alive and alice's list is exactly $WORK/want.
# After a mismatch the list got becomes the new baseline, so one bad input
# is reported once, not again after every later one.
still_fine() {
	local before=$FAILED
	alive "$PID" || fail "rpkipubd died after: $1"
	expect_list "after $1: daemon serves, objects unchanged" "$A" "$WORK/want"
	if [ "$FAILED" -ne "$before" ] && [ -s "$WORK/list.got" ]; then
		cp "$WORK/list.got" "$WORK/want"
		echo "# (the objects now stored are the baseline of the next checks)"
	fi
}

# ---- signing-time and replays (the first queries alice ever sends) ----
NOW=$(date +%s)
H1=$(obj "$O/one.roa" "object one")
# Replay protection starts with the registration (less the 300 s skew):
# a message signed before could be one captured under an earlier
# registration of the handle.
expect_report bad_cms_signature "first query, signed 15 minutes before the registration" "$A" \
	--signing-time $((NOW - 900)) --publish "${SA}one.roa=$O/one.roa"
grep -q '^error_text: .*older than the last accepted message.s or the registration' "$WORK/pc.err" &&
	ok "its error_text names the registration" ||
	bad "error_text: '$(sed -n 's/^error_text: //p' "$WORK/pc.err")'"
expect_success "first query, signing-time 3 minutes ago (within the skew)" "$A" \
	--signing-time $((NOW - 180)) --publish "${SA}one.roa=$O/one.roa"
printf '%s\n' "${SA}one.roa $H1" >"$WORK/want"
H2=$(obj "$O/two.roa" "object two")
expect_report bad_cms_signature "signing-time older than the last accepted one" "$A" \
	--signing-time $((NOW - 240)) --publish "${SA}two.roa=$O/two.roa"
expect_report bad_cms_signature "a list with that older signing-time" "$A" \
	--list --signing-time $((NOW - 240))
expect_success "signing-time 1 minute ago, newer than the last accepted: accepted" "$A" \
	--signing-time $((NOW - 60)) --list
expect_list "objects after the signing-time tests (the list itself used 'now')" "$A" "$WORK/want"

# A signing-time beyond the 300 s clock skew in the future is refused: once
# accepted it would make every honest query look older, a lock-out.
H5=$(obj "$O/five.roa" "object five")
expect_report bad_cms_signature "signing-time 6 minutes in the future (beyond the 300 s skew)" "$A" \
	--signing-time $(($(date +%s) + 360)) --publish "${SA}five.roa=$O/five.roa"
grep -q '^error_text: .*in the future' "$WORK/pc.err" &&
	ok "its error_text says the signing-time is in the future" ||
	bad "error_text of the future signing-time: '$(sed -n 's/^error_text: //p' "$WORK/pc.err")', want 'in the future'"
expect_list "not stored, and a list signed now still works: the publisher is not locked out" \
	"$A" "$WORK/want"
expect_success "a publish signed now after the future-dated one: accepted" "$A" \
	--publish "${SA}five.roa=$O/five.roa"
printf '%s\n' "${SA}five.roa $H5" >>"$WORK/want"
still_fine "the future signing-time"

expect_success "publish, saving the CMS" "$A" --publish "${SA}two.roa=$O/two.roa" \
	--save-cms "$WORK/publish-two.cms"
expect_success "withdraw it again" "$A" --withdraw "${SA}two.roa@$H2"
expect_report bad_cms_signature "replay of the saved publish CMS (would succeed if not refused)" \
	"$A" --send-cms "$WORK/publish-two.cms"
still_fine "the replayed publish"
expect_success "list, saving the CMS" "$A" --list --save-cms "$WORK/list.cms"
expect_report bad_cms_signature "the same list CMS sent again" "$A" --send-cms "$WORK/list.cms"
S=$(date +%s)
expect_success "a list with an explicit signing-time S" "$A" --tag same-1 --list --signing-time "$S"
expect_success "a different query with the same signing-time S: accepted" "$A" \
	--tag same-2 --list --signing-time "$S"
expect_report bad_cms_signature "the first one again, re-signed (same bytes) with signing-time S" \
	"$A" --tag same-1 --list --signing-time "$S"

# ---- the replay key is the signature, not the request bytes ----
# The outer ContentInfo length of a saved message is re-encoded in a long
# BER form (30 82 LL LL -> 30 84 00 00 LL LL): other bytes, the same signed
# message.  Everything here is signed at one signing-time T, so the replays
# meet the same-second check of accepted messages rather than the "older
# than the last accepted signing-time" one, which refuses them whatever
# the key.  A list at T checks the store without moving past T.  The
# server remembers every authenticated message, refused or not, so each
# replay uses bytes never sent before (4, then 5 length octets).
T=$(date +%s)
H4=$(obj "$O/four.roa" "object four")
cp "$WORK/want" "$WORK/want-no-four"
expect_success "publish four.roa at signing-time T, saving the CMS" "$A" \
	--signing-time "$T" --publish "${SA}four.roa=$O/four.roa" --save-cms "$WORK/pub4.cms"
printf '%s\n' "${SA}four.roa $H4" >>"$WORK/want"
expect_report bad_cms_signature "that publish with its outer length re-encoded (BER), sent again" \
	"$A" --send-cms "$WORK/pub4.cms" --reencode-length --save-cms "$WORK/pub4-ber.cms"
hexhead() { od -An -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }	# FILE SKIP COUNT
LL=$(hexhead "$WORK/pub4.cms" 2 2)
if [ "$(hexhead "$WORK/pub4.cms" 0 4)" = "3082$LL" ] &&
	[ "$(hexhead "$WORK/pub4-ber.cms" 0 6)" = "30840000$LL" ] &&
	cmp -s <(tail -c +5 "$WORK/pub4.cms") <(tail -c +7 "$WORK/pub4-ber.cms"); then
	ok "the re-encoded copy differs only in its first bytes: 30 82 LL LL -> 30 84 00 00 LL LL"
else
	bad "the re-encoded copy is not the expected BER form: $(od -An -tx1 -N8 "$WORK/pub4.cms") -> $(od -An -tx1 -N8 "$WORK/pub4-ber.cms")"
fi
expect_list "four.roa stored once: the re-encoded replay changed nothing" "$A" "$WORK/want" \
	--signing-time "$T"
expect_success "withdraw four.roa at the same T, itself re-encoded (BER): accepted" "$A" \
	--signing-time "$T" --withdraw "${SA}four.roa@$H4" --reencode-length
cp "$WORK/want-no-four" "$WORK/want"
expect_report bad_cms_signature "the publish replayed after that withdraw, re-encoded anew: 30 85 00 00 00 LL LL (would publish four.roa again)" \
	"$A" --send-cms "$WORK/pub4.cms" --reencode-length 5
expect_report bad_cms_signature "the original publish replayed after that withdraw" \
	"$A" --send-cms "$WORK/pub4.cms"
expect_list "four.roa stays withdrawn" "$A" "$WORK/want" --signing-time "$T"
still_fine "the re-encoded replays"

# ---- CMS and BPKI faults: all carry a publish that would change the store ----
obj "$O/three.roa" "object three" >/dev/null
P3=(--publish "${SA}three.roa=$O/three.roa")
expect_report bad_cms_signature "signed by another registered publisher (bob)" \
	"$A" "${P3[@]}" --sign-with "$B"
still_fine "the wrong signer (bob)"
expect_report bad_cms_signature "signed by an unknown identity" "$A" "${P3[@]}" --sign-with "$M"
still_fine "the wrong signer (unknown)"
expect_report bad_cms_signature "bob's own query sent to alice's service_uri" \
	"$B" "${P3[@]}" --service-uri "$URL"
still_fine "bob's query at alice's URL"
expect_report bad_cms_signature "EE certificate expired yesterday" "$A" "${P3[@]}" --ee-expired
still_fine "the expired EE"
expect_report bad_cms_signature "EE certificate revoked by the CRL carried" "$A" "${P3[@]}" --ee-revoked
still_fine "the revoked EE"
expect_report bad_cms_signature "no CRL in the CMS" "$A" "${P3[@]}" --no-crl
still_fine "the missing CRL"
expect_report bad_cms_signature "CRL whose nextUpdate was yesterday" "$A" "${P3[@]}" --crl-expired
still_fine "the expired CRL"
expect_report bad_cms_signature "two certificates in the CMS" "$A" "${P3[@]}" --extra-cert
still_fine "two certificates"

# A good CMS, saved without reaching the server (nothing listens on port 9).
q "$A" "${P3[@]}" --save-cms "$WORK/good.cms" --service-uri http://127.0.0.1:9/
[ -s "$WORK/good.cms" ] || fail "could not save a CMS for the truncation tests"
LEN=$(stat -c %s "$WORK/good.cms")
for n in 0 1 10 $((LEN / 2)) $((LEN - 1)); do
	head -c "$n" "$WORK/good.cms" >"$WORK/trunc.cms"
	expect_report bad_cms_signature "CMS truncated to $n of $LEN bytes" "$A" --send-cms "$WORK/trunc.cms"
done
still_fine "the truncated CMS"
{ cat "$WORK/good.cms"; printf 'trailing garbage'; } >"$WORK/trailing.cms"
expect_report bad_cms_signature "CMS followed by trailing bytes" "$A" --send-cms "$WORK/trailing.cms"
still_fine "the trailing bytes"
head -c 4096 /dev/urandom >"$WORK/random.cms"
expect_report bad_cms_signature "4 KiB of random bytes" "$A" --send-cms "$WORK/random.cms"
still_fine "the random bytes"

# ---- XML faults, properly signed ----
NS='xmlns="http://www.hactrn.net/uris/rpki/publication-spec/"'
B64=$(base64 -w0 "$O/three.roa")
xml_case() {	# xml_case DESC XML: must get xml_error and change nothing
	printf '%s' "$2" >"$WORK/raw.xml"
	expect_report xml_error "$1" "$A" --raw-xml "$WORK/raw.xml"
	still_fine "$1"
}
xml_case "unclosed element" \
	"<msg $NS version=\"4\" type=\"query\"><publish uri=\"${SA}three.roa\">$B64</publish>"
xml_case "not XML at all" "this is not xml"
xml_case "empty content" ""
xml_case "unknown element" \
	"<msg $NS version=\"4\" type=\"query\"><frobnicate uri=\"${SA}three.roa\"/></msg>"
xml_case "wrong namespace" \
	"<msg xmlns=\"urn:example:wrong\" version=\"4\" type=\"query\"><publish uri=\"${SA}three.roa\">$B64</publish></msg>"
xml_case "bad base64 in publish" \
	"<msg $NS version=\"4\" type=\"query\"><publish uri=\"${SA}three.roa\">!!!not base64!!!</publish></msg>"
xml_case "a reply sent as a query" "<msg $NS version=\"4\" type=\"reply\"><success/></msg>"

RSS0=$(rss_kb "$PID" VmHWM)
LOL='<?xml version="1.0"?>
<!DOCTYPE msg [
 <!ENTITY lol "lollollollollollollollollollol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<msg '"$NS"' version="4" type="query"><publish uri="'"${SA}"'lol.roa" tag="&lol9;">'"$B64"'</publish></msg>'
xml_case "billion laughs (DOCTYPE with nested entities)" "$LOL"
xml_case "external entity (XXE)" '<?xml version="1.0"?>
<!DOCTYPE msg [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<msg '"$NS"' version="4" type="query"><publish uri="'"${SA}"'xxe.roa" tag="&xxe;">'"$B64"'</publish></msg>'
xml_case "plain DOCTYPE, no entities" '<!DOCTYPE msg>
<msg '"$NS"' version="4" type="query"><publish uri="'"${SA}"'dt.roa">'"$B64"'</publish></msg>'
RSS1=$(rss_kb "$PID" VmHWM)
[ $((RSS1 - RSS0)) -lt 16384 ] && ok "peak RSS grew by $((RSS1 - RSS0)) kB over the XML attacks (< 16 MiB)" ||
	bad "peak RSS grew by $((RSS1 - RSS0)) kB over the XML attacks"

# ---- HTTP-level faults ----
expect_http 404 "unknown publisher" "$A" --list --service-uri "http://127.0.0.1:$PORT/rpki/nobody"
expect_http 404 "a path outside /rpki/" "$A" --list --service-uri "http://127.0.0.1:$PORT/elsewhere"
still_fine "the 404s"
expect_http 415 "Content-Type text/plain" "$A" "${P3[@]}" --content-type text/plain
still_fine "the wrong content type"
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$URL")
[ "$code" = 405 ] && ok "GET on the service_uri: HTTP 405" || bad "GET on the service_uri: HTTP $code, want 405"
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -X PUT \
	-H 'Content-Type: application/rpki-publication' --data-binary @"$WORK/good.cms" "$URL")
[ "$code" = 405 ] && ok "PUT on the service_uri: HTTP 405" || bad "PUT on the service_uri: HTTP $code, want 405"
still_fine "GET and PUT"

# Oversize bodies: 64 times the limit.  Neither may be buffered.
truncate -s $((64 * MAX_BODY)) "$WORK/huge.cms"
HWM0=$(rss_kb "$PID" VmHWM)
expect_http 413 "body of $((64 * MAX_BODY)) bytes with Content-Length (limit $MAX_BODY)" \
	"$A" --send-cms "$WORK/huge.cms"
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 60 -X POST \
	-H 'Content-Type: application/rpki-publication' -H 'Transfer-Encoding: chunked' \
	--data-binary @"$WORK/huge.cms" "$URL" 2>"$WORK/curl.err")
[ "$code" = 413 ] && ok "chunked body of $((64 * MAX_BODY)) bytes: HTTP 413" ||
	bad "chunked body of $((64 * MAX_BODY)) bytes: HTTP $code, want 413 ($(cat "$WORK/curl.err"))"
alive "$PID" || fail "rpkipubd died after the oversize bodies"
HWM1=$(rss_kb "$PID" VmHWM)
[ $((HWM1 - HWM0)) -lt $((4 * MAX_BODY / 1024)) ] &&
	ok "peak RSS grew by $((HWM1 - HWM0)) kB over 128 MiB of oversize bodies (< 4 MiB)" ||
	bad "peak RSS grew by $((HWM1 - HWM0)) kB over the oversize bodies: they were buffered"
still_fine "the oversize bodies"

# A body just under the limit is still accepted as a query.
head -c $((MAX_BODY / 2)) /dev/urandom >"$O/big.roa"
HB=$(pc hash "$O/big.roa")
expect_success "a publish of $((MAX_BODY / 2)) bytes (under the limit) works" "$A" \
	--publish "${SA}big.roa=$O/big.roa"
printf '%s\n' "${SA}big.roa $HB" >>"$WORK/want"
still_fine "the big publish"

# The client side is real too: a reply that does not chain to the
# repository TA we were given must be refused (pubclient exit 5).
cp -r "$A" "$WORK/alice-wrong-ta"
openssl x509 -inform DER -in "$B/ta.cer" -out "$WORK/alice-wrong-ta/repository_ta.pem"
q "$WORK/alice-wrong-ta" --tag wrong-ta --list
[ "$PC_RC" -eq 5 ] && ok "pubclient refuses a reply checked against the wrong repository TA" ||
	bad "pubclient exit $PC_RC for a reply checked against the wrong TA, want 5"

# ---- unknown publisher: 404 before the body is read ----
# A second daemon with the default body limit (64 MiB), so a 60 MB body is
# under it: a server that read the body before looking the handle up would
# buffer it all (and answer 404 only afterwards).
read -r PORT2 APORT2 < <(free_ports 2 | paste -s -d ' ')
D2=$WORK/server2
init_server "$D2" "$PORT2" "$APORT2"
start_daemon "$D2" "$PORT2"
PID2=$DAEMON_PID
add_publisher "$D2" "$WORK/carol" carol
SIZE60=$((60 * 1024 * 1024))
# post_nobody N: stream a 60 MB chunked body to /rpki/nobody, the body
# right after the headers, stopping at the first reply byte (curl cannot be
# used: when the server stops reading it fails with EPIPE and drops the
# reply already received).  "STATUS BYTES_SENT" goes to $WORK/nobody-N.out.
post_nobody() {
	pc stream-post "http://127.0.0.1:$PORT2/rpki/nobody" --size "$SIZE60" --chunked \
		>"$WORK/nobody-$1.out" 2>"$WORK/nobody-$1.err"
	return 0
}
reset_hwm "$PID2" || echo "# cannot reset VmHWM: the peak below may include an earlier one"
HWM0=$(rss_kb "$PID2" VmHWM)
post_nobody 0
read -r code sent <"$WORK/nobody-0.out"
[ "${code:-}" = 404 ] && ok "60 MB chunked body to an unknown publisher: HTTP 404" ||
	bad "60 MB chunked body to an unknown publisher: '$(cat "$WORK/nobody-0.out")', want 404 ($(cat "$WORK/nobody-0.err"))"
[ -n "${sent:-}" ] && [ "$sent" -lt $((SIZE60 / 2)) ] &&
	ok "the 404 came before the body was read: after $sent bytes sent (body $SIZE60 + chunk framing)" ||
	bad "the 404 came after ${sent:-?} bytes were sent (body $SIZE60 + chunk framing): the body was read first"
alive "$PID2" || fail "rpkipubd died after the 60 MB body to an unknown publisher"
HWM1=$(rss_kb "$PID2" VmHWM)
[ $((HWM1 - HWM0)) -lt 10240 ] &&
	ok "peak RSS grew by $((HWM1 - HWM0)) kB over that 60 MB body (< 10 MiB: not buffered)" ||
	bad "peak RSS grew by $((HWM1 - HWM0)) kB over the 60 MB body to an unknown publisher: it was buffered"
reset_hwm "$PID2"
HWM0=$(rss_kb "$PID2" VmHWM)
pids=()
for i in 1 2 3 4; do post_nobody "$i" & pids+=($!); done
wait "${pids[@]}"	# not a bare wait: that would wait for the daemons too
n404=0
for i in 1 2 3 4; do read -r code sent <"$WORK/nobody-$i.out" && [ "$code" = 404 ] && n404=$((n404 + 1)); done
[ "$n404" -eq 4 ] && ok "4 parallel 60 MB chunked bodies to an unknown publisher: all HTTP 404" ||
	bad "4 parallel 60 MB bodies to an unknown publisher: $n404 of 4 got HTTP 404 ($(cat "$WORK"/nobody-[1-4].out "$WORK"/nobody-[1-4].err | tr '\n' ' '))"
alive "$PID2" || fail "rpkipubd died after the parallel 60 MB bodies to an unknown publisher"
HWM1=$(rss_kb "$PID2" VmHWM)
[ $((HWM1 - HWM0)) -lt 10240 ] &&
	ok "peak RSS grew by $((HWM1 - HWM0)) kB over 4 x 60 MB in parallel (< 10 MiB: not buffered)" ||
	bad "peak RSS grew by $((HWM1 - HWM0)) kB over 4 parallel 60 MB bodies to an unknown publisher: they were buffered"
: >"$WORK/empty"
expect_list "the second daemon still serves its publisher after the 404s" "$WORK/carol" "$WORK/empty"
stop_daemon "$PID2" && ok "the second rpkipubd stops cleanly on SIGTERM" ||
	bad "the second rpkipubd: exit status $? on SIGTERM"

# ---- rpkipubctl init where the data directory cannot be created ----
# (it freed a path twice on this error path).  glibc's malloc checks,
# when available, make any such slip abort instead of passing by luck;
# an ASan build catches it itself and must not get the preload.
MDBG=""
if ! ldd "$BIN/rpkipubctl" | grep -q libasan; then
	for f in /usr/lib/*/libc_malloc_debug.so.0; do [ -e "$f" ] && MDBG=$f; done
fi
: >"$WORK/a-file"
for dd in /nonexistent/dir/x "$WORK/a-file/x"; do
	LD_PRELOAD=$MDBG GLIBC_TUNABLES=glibc.malloc.check=3 "$BIN/rpkipubctl" init --data-dir "$dd" \
		--service-uri http://127.0.0.1:9/rpki --rsync-base rsync://rpki.example.net/repo/ \
		--rrdp-base https://rrdp.example.net/rrdp/ >"$WORK/init-bad.out" 2>&1
	rc=$?
	if [ "$rc" -eq 1 ] && grep -qF "$dd" "$WORK/init-bad.out" && [ ! -e "$dd" ]; then
		ok "rpkipubctl init --data-dir $dd: exit 1, '$(head -1 "$WORK/init-bad.out")'"
	else
		bad "rpkipubctl init --data-dir $dd: exit $rc, want 1 with a message naming the directory: $(head -3 "$WORK/init-bad.out")"
	fi
done

# ---- last, as it moves alice's signing-time a minute ahead ----
# 60 s in the future is within the skew: accepted.  Until then a query
# signed "now" is older than it, so the check lists at that signing-time.
F=$(($(date +%s) + 60))
H6=$(obj "$O/six.roa" "object six")
expect_success "signing-time 60 s in the future (within the 300 s skew): accepted" "$A" \
	--signing-time "$F" --publish "${SA}six.roa=$O/six.roa"
printf '%s\n' "${SA}six.roa $H6" >>"$WORK/want"
expect_list "the future-dated publish is stored" "$A" "$WORK/want" --signing-time "$F"

alive "$PID" && ok "rpkipubd (pid $PID) served the whole test" || bad "rpkipubd died"
stop_daemon "$PID" && ok "rpkipubd stops cleanly on SIGTERM" || bad "rpkipubd exit status $? on SIGTERM"
finish
