#!/usr/bin/env bash
# Hostile and broken input against the real rpkipubd: replays and signing
# times (RFC 8181 replay protection), wrong signer, expired or revoked EE,
# missing or expired CRL, two certificates, malformed XML, DOCTYPE and
# entities (billion laughs, XXE), truncated and trailing-garbage CMS,
# oversize bodies (413, memory stays flat), unknown publisher (404), wrong
# content type (415), GET (405).  After every bad input the daemon must
# still serve, and the stored objects must be exactly the previous ones.
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
expect_success "first query, signing-time 15 minutes ago" "$A" \
	--signing-time $((NOW - 900)) --publish "${SA}one.roa=$O/one.roa"
printf '%s\n' "${SA}one.roa $H1" >"$WORK/want"
H2=$(obj "$O/two.roa" "object two")
expect_report bad_cms_signature "signing-time older than the last accepted one" "$A" \
	--signing-time $((NOW - 1200)) --publish "${SA}two.roa=$O/two.roa"
expect_report bad_cms_signature "a list with that older signing-time" "$A" \
	--list --signing-time $((NOW - 1200))
expect_success "signing-time 5 minutes ago, newer than the last accepted: accepted" "$A" \
	--signing-time $((NOW - 300)) --list
expect_list "objects after the signing-time tests (the list itself used 'now')" "$A" "$WORK/want"

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

alive "$PID" && ok "rpkipubd (pid $PID) served the whole test" || bad "rpkipubd died"
stop_daemon "$PID" && ok "rpkipubd stops cleanly on SIGTERM" || bad "rpkipubd exit status $? on SIGTERM"
finish
