#!/usr/bin/env bash
# RFC 8181 publication round trip against the real rpkipubd:
# publish / replace / withdraw / list with exact URI+hash pairs, atomic
# multi-PDU queries, the error codes of RFC 8181 section 2.5, report_error
# echoing the failing PDU's tag and carrying it in <failed_pdu>, the URI
# jail, `publishers response` and `publishers remove`, and the metrics
# endpoint.
# After every refused query the list must show exactly the previous objects.
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
lib_setup
command -v xmllint >/dev/null || fail "xmllint (libxml2-utils) is missing: it reads the reply XML"

read -r PORT APORT < <(free_ports 2 | paste -s -d ' ')
D=$WORK/server
A=$WORK/alice
B=$WORK/bob
O=$WORK/objects
mkdir -p "$O"
init_server "$D" "$PORT" "$APORT"
start_daemon "$D" "$PORT"
METRICS="http://127.0.0.1:$APORT/metrics"
curl -sS --max-time 10 "$METRICS" >"$WORK/metrics.before" ||
	fail "GET $METRICS failed"
add_publisher "$D" "$A" alice
add_publisher "$D" "$B" bob
SA=$(state_get "$A" sia_base)
SB=$(state_get "$B" sia_base)
[ "$SA" = "rsync://rpki.example.net/repo/alice/" ] && ok "alice's sia_base is $SA" ||
	bad "alice's sia_base is $SA, want rsync://rpki.example.net/repo/alice/"
[ "$(state_get "$A" service_uri)" = "http://127.0.0.1:$PORT/rpki/alice" ] &&
	ok "alice's service_uri is http://127.0.0.1:$PORT/rpki/alice" ||
	bad "alice's service_uri is $(state_get "$A" service_uri)"

# want A_LINES...: the expected list of a publisher, one "URI HASH" a line.
want() { printf '%s\n' "$@" >"$WORK/want"; }

# ---- single-PDU round trip ----
: >"$WORK/empty"
expect_list "a new publisher has no objects" "$A" "$WORK/empty"

cp "$A/ee.cer" "$O/a1.cer"          # real DER objects as the first ones
H1=$(pc hash "$O/a1.cer")
expect_success "publish ${SA}a.cer" "$A" --publish "${SA}a.cer=$O/a1.cer"
want "${SA}a.cer $H1"
expect_list "list shows the published object with its hash" "$A" "$WORK/want"

cp "$A/ta.cer" "$O/a2.cer"
H2=$(pc hash "$O/a2.cer")
expect_success "replace ${SA}a.cer (right hash)" "$A" --replace "${SA}a.cer=$O/a2.cer@$H1"
want "${SA}a.cer $H2"
expect_list "list shows the new hash after replace" "$A" "$WORK/want"

obj "$O/a3.cer" "third version" >/dev/null
expect_report no_object_matching_hash "replace with the old hash" \
	"$A" --replace "${SA}a.cer=$O/a3.cer@$H1"
expect_list "store unchanged after the refused replace" "$A" "$WORK/want"

expect_report no_object_present "withdraw of an absent object" \
	"$A" --withdraw "${SA}absent.cer@$H2"
expect_list "store unchanged after the refused withdraw" "$A" "$WORK/want"

expect_report object_already_present "publish over an existing object without hash" \
	"$A" --publish "${SA}a.cer=$O/a3.cer"
expect_list "store unchanged after the refused publish" "$A" "$WORK/want"

expect_report no_object_matching_hash "withdraw with a wrong hash" \
	"$A" --withdraw "${SA}a.cer@$H1"
expect_list "store unchanged after the refused withdraw" "$A" "$WORK/want"

expect_report no_object_present "replace of an absent object" \
	"$A" --replace "${SA}nothere.cer=$O/a3.cer@$H2"
expect_list "store unchanged after the refused replace" "$A" "$WORK/want"

expect_success "withdraw ${SA}a.cer (right hash)" "$A" --withdraw "${SA}a.cer@$H2"
expect_list "list is empty after the withdraw" "$A" "$WORK/empty"

expect_success "publish the withdrawn URI again" "$A" --publish "${SA}a.cer=$O/a1.cer"
want "${SA}a.cer $H1"
expect_list "list shows the re-published object" "$A" "$WORK/want"

# ---- a CA's atomic update: manifest + CRL + ROAs in one query ----
cp "$A/crl.der" "$O/ca.crl"
HC=$(pc hash "$O/ca.crl")
HM=$(obj "$O/ca1.mft" "manifest 1")
HR1=$(obj "$O/r1.roa" "roa 1 192.0.2.0/24 AS64496")
HR2=$(obj "$O/r2.roa" "roa 2 198.51.100.0/24 AS64497")
HR3=$(obj "$O/r3.roa" "roa 3 203.0.113.0/24 AS64498")
expect_success "one query publishing manifest, CRL and three ROAs" "$A" \
	--tag mft --publish "${SA}ca/ca.mft=$O/ca1.mft" \
	--tag crl --publish "${SA}ca/ca.crl=$O/ca.crl" \
	--publish "${SA}ca/r1.roa=$O/r1.roa" \
	--publish "${SA}ca/r2.roa=$O/r2.roa" \
	--publish "${SA}ca/r3.roa=$O/r3.roa"
want "${SA}a.cer $H1" "${SA}ca/ca.mft $HM" "${SA}ca/ca.crl $HC" \
	"${SA}ca/r1.roa $HR1" "${SA}ca/r2.roa $HR2" "${SA}ca/r3.roa $HR3"
expect_list "the five objects of the multi-PDU query are listed (and a.cer)" "$A" "$WORK/want"
cp "$WORK/want" "$WORK/state1"

HM2=$(obj "$O/ca2.mft" "manifest 2")
HCRL2=$(obj "$O/ca2.crl" "crl 2")
HR4=$(obj "$O/r4.roa" "roa 4 192.0.2.0/25 AS64499")
expect_success "one query: replace manifest and CRL, withdraw a ROA, add a ROA" "$A" \
	--replace "${SA}ca/ca.mft=$O/ca2.mft@$HM" \
	--replace "${SA}ca/ca.crl=$O/ca2.crl@$HC" \
	--withdraw "${SA}ca/r1.roa@$HR1" \
	--publish "${SA}ca/r4.roa=$O/r4.roa"
want "${SA}a.cer $H1" "${SA}ca/ca.mft $HM2" "${SA}ca/ca.crl $HCRL2" \
	"${SA}ca/r2.roa $HR2" "${SA}ca/r3.roa $HR3" "${SA}ca/r4.roa $HR4"
expect_list "the whole update is visible" "$A" "$WORK/want"
cp "$WORK/want" "$WORK/state2"

# failed_pdu_is KIND URI HASH [FILE]: the verified reply in $WORK/pc.out
# holds one report_error, tagged "t3" (the failing PDU's tag, RFC 8181
# section 2.5), whose <failed_pdu> holds that PDU: one KIND element with
# this uri and hash ("" for none) and, for a publish, FILE's bytes.
# Two lines: the tag, the failed_pdu.
failed_pdu_is() {
	local kind=$1 uri=$2 hash=$3 file=${4:-} re fp n tag got want
	xp() { xmllint --xpath "$1" "$WORK/pc.out" 2>/dev/null; }
	re='//*[local-name()="report_error"]'
	fp="$re/*[local-name()=\"failed_pdu\"]/*"
	n=$(xp "count($re)")
	tag=$(xp "string($re/@tag)")
	if [ "$n" = 1 ] && [ "$tag" = t3 ]; then
		ok "its report_error carries the failing PDU's tag=\"t3\""
	else
		bad "want one report_error with tag=\"t3\": $n report_error(s), tag=\"$tag\" in:
$(sed 's/^/#   /' "$WORK/pc.out")"
	fi
	got="$(xp "count($fp)") $(xp "local-name($fp)") $(xp "string($fp/@uri)") $(xp "string($fp/@hash)")"
	want="1 $kind $uri $hash"
	if [ -n "$file" ]; then
		got="$got $(xp "string($fp)" | tr -d ' \t\r\n')"
		want="$want $(base64 -w0 "$file")"
	fi
	if [ "$got" = "$want" ]; then
		ok "its failed_pdu holds the failing $kind of $uri${hash:+ (hash ${hash:0:12}...)}"
	else
		bad "failed_pdu is not the failing $kind of $uri: got '${got:0:200}', want '${want:0:200}' in:
$(sed 's/^/#   /' "$WORK/pc.out" | cut -c 1-200)"
	fi
}

# A query whose last PDU fails must change nothing (RFC 8181 section 2.4:
# the query is one unit).
obj "$O/ca3.mft" "manifest 3" >/dev/null
HR5=$(obj "$O/r5.roa" "roa 5")
expect_report no_object_present "3-PDU query whose third PDU withdraws an absent object" "$A" \
	--tag t1 --publish "${SA}ca/r5.roa=$O/r5.roa" \
	--tag t2 --replace "${SA}ca/ca.mft=$O/ca3.mft@$HM2" \
	--tag t3 --withdraw "${SA}ca/r9.roa@$HR5"
failed_pdu_is withdraw "${SA}ca/r9.roa" "$HR5"
expect_list "store unchanged: neither the first nor the second PDU applied" "$A" "$WORK/state2"
expect_report no_object_matching_hash "3-PDU query whose third PDU has a stale hash" "$A" \
	--tag t1 --publish "${SA}ca/r5.roa=$O/r5.roa" \
	--tag t2 --withdraw "${SA}ca/r2.roa@$HR2" \
	--tag t3 --replace "${SA}ca/ca.crl=$O/ca3.mft@$HC"
failed_pdu_is publish "${SA}ca/ca.crl" "$HC" "$O/ca3.mft"
expect_list "store unchanged after the second failed 3-PDU query" "$A" "$WORK/state2"
expect_report permission_failure "3-PDU query whose third PDU leaves the jail" "$A" \
	--tag t1 --publish "${SA}ca/r5.roa=$O/r5.roa" \
	--tag t2 --withdraw "${SA}ca/r2.roa@$HR2" \
	--tag t3 --publish "${SB}stolen.roa=$O/r5.roa"
failed_pdu_is publish "${SB}stolen.roa" "" "$O/r5.roa"
expect_list "store unchanged after the third failed 3-PDU query" "$A" "$WORK/state2"
expect_report 'object_already_present|consistency_problem' \
	"query that publishes the same new URI twice" "$A" \
	--publish "${SA}ca/r5.roa=$O/r5.roa" \
	--publish "${SA}ca/r5.roa=$O/r5.roa"
expect_list "store unchanged after the duplicate publish" "$A" "$WORK/state2"

# ---- the URI jail ----
HB=$(obj "$O/bob.roa" "bob's roa")
expect_success "bob publishes in his own sia_base" "$B" --publish "${SB}b.roa=$O/bob.roa"
want "${SB}b.roa $HB"
cp "$WORK/want" "$WORK/bobstate"

MARK="jail-escape-marker-$$-$RANDOM"
printf '%s\n' "$MARK" >"$O/escape.roa"
for uri in \
	"rsync://rpki.example.net/repo/escape.roa" \
	"rsync://rpki.example.net/repo/alicex/escape.roa" \
	"rsync://other.example.net/repo/alice/escape.roa" \
	"https://rpki.example.net/repo/alice/escape.roa" \
	"${SB}escape.roa" \
	"${SA}../bob/escape.roa" \
	"${SA}ca/../../bob/escape.roa" \
	"${SA}./escape.roa" \
	"${SA}ca//escape.roa" \
	"${SA}..%2fbob%2fescape.roa" \
	"${SA}ca%2F..%2F..%2Fbob%2Fescape.roa" \
	"${SA}%2e%2e/bob/escape.roa" \
	"${SA}" \
	"${SA}dir/"
do
	expect_report permission_failure "publish to $uri" "$A" --publish "$uri=$O/escape.roa"
done
expect_report permission_failure "alice withdraws bob's object (right hash)" \
	"$A" --withdraw "${SB}b.roa@$HB"
expect_report permission_failure "alice replaces bob's object (right hash)" \
	"$A" --replace "${SB}b.roa=$O/escape.roa@$HB"
expect_list "alice's objects unchanged after the jail tests" "$A" "$WORK/state2"
expect_list "bob's objects unchanged after the jail tests" "$B" "$WORK/bobstate"
if grep -rqF --exclude='*.log' "$MARK" "$D"; then
	bad "the escaping object's bytes were stored under $D: $(grep -rlF --exclude='*.log' "$MARK" "$D")"
else
	ok "the escaping object's bytes are nowhere under the data directory"
fi

# ---- publishers remove withdraws everything ----
ctl "$D" publishers list >"$WORK/publishers" 2>&1 || bad "rpkipubctl publishers list failed"
grep -qw alice "$WORK/publishers" && grep -qw bob "$WORK/publishers" &&
	ok "publishers list names alice and bob" ||
	bad "publishers list does not name alice and bob: $(cat "$WORK/publishers")"
ctl "$D" publishers show alice >"$WORK/show" 2>&1 && grep -q alice "$WORK/show" &&
	ok "publishers show alice" || bad "publishers show alice: $(cat "$WORK/show")"

# publishers response prints a registered publisher's repository_response
# again, through the running daemon's admin API; a copy of bob configured
# with it reaches the server and sees his objects.
# resp_ok DESC HANDLE: `publishers response HANDLE` must print an RFC 8183
# repository_response for HANDLE.
resp_ok() {
	local got
	if ! ctl "$D" publishers response "$2" >"$WORK/resp.xml" 2>"$WORK/ctl.err"; then
		bad "$1: rpkipubctl publishers response $2 failed: $(cat "$WORK/ctl.err")"
		return 1
	fi
	got=$(xmllint --xpath 'concat(local-name(/*), " ", /*/@publisher_handle)' "$WORK/resp.xml" 2>/dev/null)
	if [ "$got" = "repository_response $2" ]; then
		ok "$1"
	else
		bad "$1: got '$got', want 'repository_response $2': $(head -c 300 "$WORK/resp.xml")"
		return 1
	fi
}
resp_ok "publishers response bob (daemon running) prints bob's repository_response" bob
cp "$WORK/resp.xml" "$WORK/resp-bob-running.xml"
rm -rf "$WORK/bob-again"
cp -r "$B" "$WORK/bob-again"
if pc configure "$WORK/bob-again" --response "$WORK/resp-bob-running.xml" >/dev/null 2>"$WORK/pc.err"; then
	expect_list "bob configured from that response lists his objects" "$WORK/bob-again" "$WORK/bobstate"
else
	bad "pubclient configure with the publishers response output: $(cat "$WORK/pc.err")"
fi
if ctl "$D" publishers response nobody >"$WORK/resp.xml" 2>"$WORK/ctl.err"; then
	bad "publishers response nobody (not registered) exited 0: $(head -c 200 "$WORK/resp.xml")"
else
	ok "publishers response nobody (not registered) fails: $(head -1 "$WORK/ctl.err")"
fi
# A handle whose last component is "response" (RFC 8183 handles may hold
# '/'): the admin routes must not take it for the response of "org".
add_publisher "$D" "$WORK/org-response" org/response
resp_ok "publishers response org/response prints its own repository_response" org/response
ctl "$D" publishers show org/response >"$WORK/show" 2>&1 && grep -q 'org/response' "$WORK/show" &&
	ok "publishers show org/response" || bad "publishers show org/response: $(cat "$WORK/show")"
expect_list "org/response has no objects" "$WORK/org-response" "$WORK/empty"
ctl "$D" publishers remove org/response >"$WORK/remove" 2>&1 &&
	ok "publishers remove org/response" || bad "publishers remove org/response: $(cat "$WORK/remove")"
ctl "$D" publishers list >"$WORK/publishers" 2>&1
grep -q 'org/response' "$WORK/publishers" && bad "org/response still in publishers list" ||
	ok "org/response is gone from publishers list"
if ctl "$D" publishers remove alice >"$WORK/remove" 2>&1; then
	ok "publishers remove alice"
else
	bad "publishers remove alice: $(cat "$WORK/remove")"
fi
expect_http 404 "the removed publisher's service_uri" "$A" --list
ctl "$D" publishers list >"$WORK/publishers" 2>&1
grep -qw alice "$WORK/publishers" && bad "alice still in publishers list" ||
	ok "alice is gone from publishers list"
add_publisher "$D" "$A" alice
expect_list "re-added alice has no objects: remove withdrew them all" "$A" "$WORK/empty"
expect_list "bob's objects survived alice's removal" "$B" "$WORK/bobstate"
expect_success "re-added alice can publish again" "$A" --publish "${SA}ca/ca.mft=$O/ca1.mft"

# ---- metrics ----
curl -sS --max-time 10 "$METRICS" >"$WORK/metrics.after" || bad "GET $METRICS failed"
if grep -qE '^# (TYPE|HELP) ' "$WORK/metrics.after"; then
	ok "metrics endpoint serves Prometheus text"
else
	bad "metrics endpoint does not look like Prometheus text: $(head -5 "$WORK/metrics.after")"
fi
# rpkipubd_requests_total{result=...} must have moved by exactly the
# outcomes this script saw (it is the daemon's only client).
requests() {	# requests FILE LABEL: the counter's value (all labels: LABEL=*)
	awk -v l="$2" '$1 ~ /^rpkipubd_requests_total\{/ {
		r = $1; sub(/.*result="/, "", r); sub(/".*/, "", r)
		if (l == "*" || r == l) s += $2 } END { print s + 0 }' "$1"
}
total=0
for k in "${!OUTCOMES[@]}"; do
	case $k in
	http_404) label=http_not_found ;;
	http_405) label=http_method_not_allowed ;;
	http_413) label=http_too_large ;;
	http_415) label=http_unsupported_media_type ;;
	*) label=$k ;;
	esac
	total=$((total + OUTCOMES[$k]))
	moved=$(($(requests "$WORK/metrics.after" "$label") - $(requests "$WORK/metrics.before" "$label")))
	if [ "$moved" -eq "${OUTCOMES[$k]}" ]; then
		ok "metric rpkipubd_requests_total{result=\"$label\"} moved by $moved, the number of $k replies"
	else
		bad "metric rpkipubd_requests_total{result=\"$label\"} moved by $moved, but $k was seen ${OUTCOMES[$k]} times"
	fi
done
moved=$(($(requests "$WORK/metrics.after" '*') - $(requests "$WORK/metrics.before" '*')))
[ "$moved" -eq "$total" ] && ok "rpkipubd_requests_total moved by $total in all, one per query sent" ||
	bad "rpkipubd_requests_total moved by $moved in all, but $total queries were sent"

stop_daemon "$DAEMON_PID" && ok "rpkipubd stops cleanly on SIGTERM" ||
	bad "rpkipubd exit status $? on SIGTERM"

# With no daemon, publishers response reads the store directly.
resp_ok "publishers response bob (no daemon: from the store)" bob &&
	{ cmp -s "$WORK/resp.xml" "$WORK/resp-bob-running.xml" &&
		ok "publishers response bob: the same bytes as through the running daemon" ||
		bad "publishers response bob differs from the output through the running daemon:
$(diff "$WORK/resp-bob-running.xml" "$WORK/resp.xml" | sed 's/^/#   /')"; }
finish
