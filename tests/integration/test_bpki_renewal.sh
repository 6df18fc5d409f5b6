#!/usr/bin/env bash
# The server's own BPKI: rpkipubd re-issues its EE certificate (and the
# CRL revoking the old one) when the EE is within 30 days of expiry, and
# refreshes a CRL near its nextUpdate.  Time is moved with faketime
# (Debian's libfaketime), so the daemon itself decides, not a unit test.
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
lib_setup
faketime_setup

# start_at OFFSET: run rpkipubd with its clock moved by OFFSET ("+5d").
start_at() { start_daemon_at "$D" "$PORT" "$1"; }

read -r PORT APORT < <(free_ports 2 | paste -s -d ' ')
D=$WORK/server
init_server "$D" "$PORT" "$APORT"

serial() { openssl x509 -inform DER -in "$D/bpki/ee.cer" -noout -serial | cut -d= -f2; }
crlnum() { openssl crl -inform DER -in "$D/bpki/crl.der" -noout -crlnumber | cut -d= -f2; }
revoked() { openssl crl -inform DER -in "$D/bpki/crl.der" -noout -text | grep -c "Serial Number: $1" || true; }

ee0=$(serial)
crl0=$(crlnum)

# A normal start changes nothing.
start_daemon "$D" "$PORT"
stop_daemon "$DAEMON_PID" || bad "rpkipubd exit status $? on SIGTERM"
[ "$(serial)" = "$ee0" ] && [ "$(crlnum)" = "$crl0" ] &&
	ok "fresh EE and CRL are kept on a normal start" ||
	bad "a normal start re-issued: EE $ee0 -> $(serial), CRL $crl0 -> $(crlnum)"

# Five days on: the 7-day CRL is within its 3-day margin, the EE is not.
start_at +5d
curl -sS --max-time 10 "http://127.0.0.1:$APORT/metrics" >"$WORK/m1" || fail "metrics failed"
stop_daemon "$DAEMON_PID" || bad "rpkipubd exit status $? on SIGTERM"
[ "$(serial)" = "$ee0" ] && [ "$(crlnum)" != "$crl0" ] &&
	ok "after 5 days: CRL re-issued (number $crl0 -> $(crlnum)), EE kept" ||
	bad "after 5 days: EE $ee0 -> $(serial), CRL $crl0 -> $(crlnum)"
grep -q '^rpkipubd_bpki_renewals_total 1$' "$WORK/m1" && ok "metric counts the renewal" ||
	bad "renewal metric: $(grep bpki_renewals "$WORK/m1")"

# 340 days on: the one-year EE is within 30 days of expiry.
crl1=$(crlnum)
start_at +340d
stop_daemon "$DAEMON_PID" || bad "rpkipubd exit status $? on SIGTERM"
ee1=$(serial)
[ "$ee1" != "$ee0" ] && ok "after 340 days: EE re-issued ($ee0 -> $ee1)" ||
	bad "after 340 days: EE not re-issued"
[ "$(revoked "$ee0")" = 1 ] && ok "the new CRL (number $(crlnum)) revokes the old EE" ||
	bad "old EE $ee0 is not on the new CRL"
[ $(($(crlnum))) -gt $((crl1)) ] && ok "CRL number grew ($crl1 -> $(crlnum))" ||
	bad "CRL number $crl1 -> $(crlnum)"
grep -q "EE certificate re-issued" "$DAEMON_LOG" && ok "the log says the EE was re-issued" ||
	bad "no log line about the EE renewal"
openssl verify -CAfile <(openssl x509 -inform DER -in "$D/bpki/ta.cer") \
	-attime "$(( $(date +%s) + 340 * 86400 ))" \
	<(openssl x509 -inform DER -in "$D/bpki/ee.cer") >/dev/null 2>&1 &&
	ok "the new EE chains to the unchanged server TA" || bad "the new EE does not verify against the TA"
finish
