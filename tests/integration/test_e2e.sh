#!/usr/bin/env bash
# The chain of issue 6, end to end, with software nobody here wrote:
#
#   test CA (tests/tools/testca.py: TA + child CA, ROAs, ASPAs, manifests,
#   CRLs) -> RFC 8181 publication with rpkipub-push to rpkipubd -> RRDP over https from the
#   embedded listener (TLS certificate of a local test CA for 127.0.0.1) and
#   rsync from a real `rsync --daemon` with the module of
#   `rpkipubctl rsyncd-conf` -> rpki-client (RRDP), rpki-client -R (rsync
#   only), fort-validator and octorpki, each from the TAL -> rpki-client's
#   JSON -> rtrd -> rtrclient, BIRD 2 and rtrwatch (RTR v2, ASPA).
#
# Each relying party must report exactly the VRPs the test CA says it
# issued (and the ASPAs, where it supports them), and log no warning or
# error about the repository.  Then an update (one ROA added, one
# withdrawn, manifests and CRLs re-issued) is published: every relying
# party sees it on its next run, rpki-client through the RRDP delta (not
# the snapshot), and rtrd hands it to the routers as an incremental update.
#
# The objects are published with `rpkipub-push sync`, set up with
# rpkipub-push init/configure and rpkipubctl publishers add.  The set-up (TLS, rpkipubd, the rsync daemon, the publisher and the test
# CA, publish) is tests/integration/e2e_lib.sh, shared with
# bench/run-propagation.sh.
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
lib_setup
for p in rsync rpki-client fort octorpki rtrclient bird birdc; do
	command -v "$p" >/dev/null || fail "$p is missing (scripts/install-deps installs it)"
done
[ -x "$BIN/rtrd" ] && [ -x "$BIN/rtrwatch" ] && [ -x "$BIN/rpkipub-push" ] ||
	fail "rtrd, rtrwatch or rpkipub-push is missing: build first"
chmod 755 "$WORK"	# the relying parties drop privileges and read the TAL here

read -r PORT APORT RRDP_PORT RSYNC_PORT RTR_PORT RTR_MPORT < <(free_ports 6 | paste -s -d ' ')
TLS=$WORK/tls
CASTATE=$WORK/ca1	# the publisher's state (push/) and the test CA's (ca/)
CA=$CASTATE/ca		# the test CA's keys and state (never published)
PUB=$WORK/ca-pub	# what the CA publishes

# ---- the publication server: RRDP over TLS, rsync, a 1 s interval ----
e2e_tls "$TLS"
e2e_server "$WORK/server" "$PORT" "$APORT" "$RRDP_PORT" "$RSYNC_PORT" 1 "$TLS"
ctl "$D" rsyncd-conf >"$WORK/module.conf" || fail "rpkipubctl rsyncd-conf failed"
e2e_rsyncd rsyncd "$RSYNC_PORT" <"$WORK/module.conf"
ok "rpkipubd with RRDP over TLS on 127.0.0.1:$RRDP_PORT, rsync --daemon on $RSYNC_PORT"

# ---- the test CA, registered as a publisher ----
e2e_ca "$CASTATE" "$PUB" ca "$NOTIFY" --child --example
[ "$(push_status "$CASTATE/push" rrdp_notification_uri)" = "$NOTIFY" ] ||
	fail "the repository_response names another notification URI"
TAL=$CA/ta.tal
ok "test CA: TA and child CA, $(find "$PUB" -type f | wc -l) files under $SIA"

publish "the test CA's tree"

# ---- expected payloads, from the test CA ----
# VRPs as "ASN PREFIX MAXLEN"; ASPAs as "AFI CUSTOMER P1,P2" (rpki-client
# 8.2 splits each ASPA per address family: draft-ietf-sidrops-aspa-profile-10
# providers carry an optional AFI limit).
want_vrps() { "$PY" "$TESTCA" vrps "$CA" | LC_ALL=C sort; }
want_aspas() {
	"$PY" "$TESTCA" aspas "$CA" | "$PY" -c '
import sys
for line in sys.stdin:
    c, *provs = line.split()
    for afi in ("4", "6"):
        ps = sorted(int(p.split(":")[0]) for p in provs
                    if ":" not in p or p.split(":")[1] == afi)
        if ps:
            print(afi, c, ",".join(map(str, ps)))' | LC_ALL=C sort
}

# norm KIND FILE: a relying party's output as the lines above.
#   rpki-client-vrps, rpki-client-aspas (JSON -j), fort (CSV),
#   octorpki (JSON), rtrwatch-aspas (JSON: one ASPA per customer, AFIs
#   merged as RTR v2 carries them)
norm() {
	"$PY" - "$1" "$2" <<'EOF' | LC_ALL=C sort
import csv, ipaddress, json, sys
kind, path = sys.argv[1], sys.argv[2]
asn = lambda a: int(a[2:]) if isinstance(a, str) and a.upper().startswith("AS") else int(a)
def vrp(a, p, m):
    print("%d %s %d" % (asn(a), ipaddress.ip_network(p), int(m)))
if kind == "fort":
    rows = list(csv.reader(open(path)))
    for r in rows[1:]:
        vrp(r[0], r[1], r[2])
    sys.exit()
d = json.load(open(path))
if kind in ("rpki-client-vrps", "octorpki"):
    for r in d["roas"]:
        vrp(r["asn"], r["prefix"], r["maxLength"])
elif kind == "rpki-client-aspas":
    for afi, key in (("4", "ipv4"), ("6", "ipv6")):
        for a in d.get("provider_authorizations", {}).get(key, []):
            print(afi, asn(a["customer_asid"]), ",".join(str(asn(p)) for p in sorted(a["providers"], key=asn)))
elif kind == "rtrwatch-aspas":
    for a in d.get("aspas", []):
        print(asn(a["customer_asid"]), ",".join(str(asn(p)) for p in sorted(a["providers"], key=asn)))
EOF
}

# same WANT GOT WHAT: compare two sorted files.
same() {
	if cmp -s "$1" "$2"; then
		ok "$3 ($(wc -l <"$1") records)"
	else
		bad "$3: differs (< want, > got):
$(diff "$1" "$2" | head -20 | sed 's/^/#   /')"
	fi
}

# quiet_log WHAT FILE ERE: FILE must hold no line matching ERE.
quiet_log() {
	if grep -Eiq "$3" "$2"; then
		bad "$1 logged warnings or errors:
$(grep -Ei "$3" "$2" | head -10 | sed 's/^/#   /')"
	else
		ok "$1 logged no warning or error"
	fi
}

# ---- the relying parties ----
# rpki-client run as root drops to _rpki-client: its cache and output
# directories must belong to that user.  Only -v logging (-vv would name
# every file).  It trusts the test TLS CA through SSL_CERT_FILE.
RPC_CACHE=$WORK/rpki-client/cache
RPC_OUT=$WORK/rpki-client/out
RPCR_CACHE=$WORK/rpki-client-rsync/cache
RPCR_OUT=$WORK/rpki-client-rsync/out
mkdir -p "$RPC_CACHE" "$RPC_OUT" "$RPCR_CACHE" "$RPCR_OUT"
if [ "$(id -u)" = 0 ]; then
	chown _rpki-client "$RPC_CACHE" "$RPC_OUT" "$RPCR_CACHE" "$RPCR_OUT"
fi
# What rpki-client says about a broken repository, e.g. "bad message
# digest for X.roa", "ASPA: failed to parse ASProviderAttestation" (both
# seen with trees broken on purpose).
RPKI_CLIENT_LOG_BAD='warn|error|fail|invalid|stale|not found|mismatch|unknown|bad |expired|could not|cannot|refus'
run_rpki_client() {	# run_rpki_client TAG [-R]: one validation run, log in $WORK/TAG.log
	local tag=$1 cache=$RPC_CACHE out=$RPC_OUT
	shift
	if [ "${1:-}" = -R ]; then cache=$RPCR_CACHE out=$RPCR_OUT; fi
	SSL_CERT_FILE=$TLS/ca.pem timeout 120 rpki-client -j -v -s 100 -t "$TAL" -d "$cache" "$@" "$out" \
		>"$WORK/$tag.log" 2>&1 || {
		bad "rpki-client $* exited $?: $(tail -5 "$WORK/$tag.log")"
		return 1
	}
	# The statistics lines say "0 failed parse, 0 invalid": they are
	# checked through the JSON metadata instead.
	grep -v -E '^(Route Origin|AS Provider|BGPsec|Certificates|Trust Anchor|Manifests|Certificate revocation|Ghostbuster|Skiplist|Repositories|Cleanup|VRP Entries|VAP Entries|Processing time)' \
		"$WORK/$tag.log" >"$WORK/$tag.filtered"
	quiet_log "rpki-client${*:+ }$* ($tag)" "$WORK/$tag.filtered" "$RPKI_CLIENT_LOG_BAD"
	"$PY" - "$out/json" <<'EOF' >"$WORK/$tag.meta"
import json, sys
m = json.load(open(sys.argv[1]))["metadata"]
bad = {k: m.get(k, 0) for k in ("failedroas", "invalidroas", "failedaspas", "invalidaspas",
       "invalidcertificates", "invalidtals", "failedmanifests", "stalemanifests")}
print(" ".join("%s=%s" % kv for kv in bad.items() if kv[1]))
EOF
	[ -n "$(cat "$WORK/$tag.meta")" ] && bad "rpki-client $* ($tag) counts problems: $(cat "$WORK/$tag.meta")"
	return 0
}

FORT_CACHE=$WORK/fort/cache
mkdir -p "$FORT_CACHE"
FORT_LOG_BAD='^[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} (WRN|ERR|CRT)'
run_fort() {	# run_fort TAG: fort --mode=standalone over RRDP (https) with rsync as fallback
	local tag=$1
	timeout 120 fort --mode=standalone --tal="$TAL" --local-repository="$FORT_CACHE" \
		--http.ca-path="$TLS/hashed" --output.roa="$WORK/$tag.csv" --output.format=csv \
		--log.output=console --validation-log.enabled=true --validation-log.output=console \
		--log.level=info --validation-log.level=info >"$WORK/$tag.log" 2>&1 || {
		bad "fort exited $?: $(grep -E 'WRN|ERR' "$WORK/$tag.log" | tail -5)"
		return 1
	}
	# fort prints two lines at warning level on every run.
	grep -v -E 'WRN: The validation has (begun|successfully ended)\.' "$WORK/$tag.log" \
		>"$WORK/$tag.filtered"
	quiet_log "fort ($tag)" "$WORK/$tag.filtered" "$FORT_LOG_BAD"
	grep -q "Couldn't fetch data from RRDP" "$WORK/$tag.log" &&
		bad "fort ($tag) fell back to rsync: $(grep -m1 "Couldn't fetch" "$WORK/$tag.log")"
	return 0
}

OCTO=$WORK/octorpki
mkdir -p "$OCTO/cache"
[ "$(id -u)" = 0 ] && chown -R _cfrpki "$OCTO"
OCTO_LOG_BAD='level=(warning|error|fatal|panic)'
run_octorpki() {	# run_octorpki TAG: one oneoff run over RRDP; refuses root
	local tag=$1 as_user=()
	[ "$(id -u)" = 0 ] && as_user=(runuser -u _cfrpki --)
	(cd "$OCTO" && timeout 120 "${as_user[@]}" env SSL_CERT_FILE="$TLS/ca.pem" \
		octorpki -mode oneoff -tal.root "$TAL" -tal.name testca -cache "$OCTO/cache/" \
		-rrdp.file "$OCTO/rrdp.json" -output.roa "$OCTO/$tag.json" -output.sign=false \
		-http.addr 127.0.0.1:0 -loglevel debug) >"$WORK/$tag.log" 2>&1 || {
		bad "octorpki exited $?: $(tail -5 "$WORK/$tag.log")"
		return 1
	}
	# octorpki 1.4.4 does not know ASPA: each .asa file it fetches (from a
	# manifest; debug logging names each) is logged as an error "Unknown
	# file type".  As many of those as .asa files fetched are expected,
	# and the tree holds no other type it could not know.
	"$PY" - "$WORK/$tag.log" >"$WORK/$tag.filtered" <<'EOF'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
asa = sum(1 for l in lines if re.search(r'msg="Fetching \S+\.asa->', l))
unknown = 'level=error msg="file error for certificate: Unknown file type"'
n = sum(1 for l in lines if unknown in l)
for l in lines:
    if "level=debug" in l or (unknown in l and n <= asa):
        continue
    print(l)
EOF
	quiet_log "octorpki ($tag)" "$WORK/$tag.filtered" "$OCTO_LOG_BAD"
	# It fetches the TA certificate with rsync (the TAL has only an rsync
	# URI), the repository over RRDP: no rsync of the module.
	grep -q 'Rsync sync rsync://[^ ]*/repo"' "$WORK/$tag.log" &&
		bad "octorpki ($tag) fell back to rsync for the repository"
	cp "$OCTO/$tag.json" "$WORK/$tag.json"
	return 0
}

# check_rps STEP: every relying party once; their payloads against the CA's.
check_rps() {
	local s=$1
	want_vrps >"$WORK/want$s.vrps"
	want_aspas >"$WORK/want$s.aspas"

	run_rpki_client "rpki-client$s" &&
		norm rpki-client-vrps "$RPC_OUT/json" >"$WORK/rpki-client$s.vrps" &&
		norm rpki-client-aspas "$RPC_OUT/json" >"$WORK/rpki-client$s.aspas" &&
		same "$WORK/want$s.vrps" "$WORK/rpki-client$s.vrps" "rpki-client (RRDP over https): exactly the CA's VRPs" &&
		same "$WORK/want$s.aspas" "$WORK/rpki-client$s.aspas" "rpki-client: exactly the CA's ASPAs, per AFI"
	grep -q "$NOTIFY: loaded from network" "$WORK/rpki-client$s.log" &&
		! grep -q "pulling from rsync://[^ ]*/repo\$" "$WORK/rpki-client$s.log" ||
		bad "rpki-client ($s) did not load the repository over RRDP: $(head -5 "$WORK/rpki-client$s.log")"

	run_rpki_client "rpki-client-rsync$s" -R &&
		norm rpki-client-vrps "$RPCR_OUT/json" >"$WORK/rpki-client-rsync$s.vrps" &&
		norm rpki-client-aspas "$RPCR_OUT/json" >"$WORK/rpki-client-rsync$s.aspas" &&
		same "$WORK/want$s.vrps" "$WORK/rpki-client-rsync$s.vrps" "rpki-client -R (rsync only): exactly the CA's VRPs" &&
		same "$WORK/want$s.aspas" "$WORK/rpki-client-rsync$s.aspas" "rpki-client -R: exactly the CA's ASPAs"
	grep -q "pulling from rsync://127.0.0.1:$RSYNC_PORT/repo\$" "$WORK/rpki-client-rsync$s.log" ||
		bad "rpki-client -R ($s) did not rsync the module: $(head -5 "$WORK/rpki-client-rsync$s.log")"

	run_fort "fort$s" &&
		norm fort "$WORK/fort$s.csv" >"$WORK/fort$s.vrps" &&
		same "$WORK/want$s.vrps" "$WORK/fort$s.vrps" "fort-validator 1.5 (RRDP, no ASPA support): exactly the CA's VRPs"

	run_octorpki "octorpki$s" &&
		norm octorpki "$WORK/octorpki$s.json" >"$WORK/octorpki$s.vrps" &&
		same "$WORK/want$s.vrps" "$WORK/octorpki$s.vrps" "octorpki (RRDP, no ASPA support): exactly the CA's VRPs"
}

check_rps 0

# ---- rpki-client's JSON to rtrd, to rtrclient, BIRD 2 and rtrwatch ----
JSON=$WORK/rtrd-input.json
cp "$RPC_OUT/json" "$JSON.tmp" && mv "$JSON.tmp" "$JSON"
"$BIN/rtrd" --json "$JSON" --listen "127.0.0.1:$RTR_PORT" --metrics "127.0.0.1:$RTR_MPORT" \
	--refresh 30 --retry 5 --expire 600 </dev/null >>"$WORK/rtrd.log" 2>&1 &
RTRD=$!
DAEMON_PIDS+=("$RTRD")
for _ in $(seq 200); do port_open "$RTR_PORT" && break; sleep 0.05; done
port_open "$RTR_PORT" || fail "rtrd does not listen on $RTR_PORT: $(tail -3 "$WORK/rtrd.log")"

# "prefix,plen,maxlen,asn" lines: what rtrclient and BIRD print.
as_csv() {
	awk '{ split($2, p, "/"); print p[1] "," p[2] "," $3 "," $1 }' "$1" | LC_ALL=C sort
}
rtrclient_dump() {
	timeout 10 rtrclient -e -t csv tcp 127.0.0.1 "$RTR_PORT" 2>/dev/null |
		grep -E '^[0-9a-f:.]+, ' | tr -d ' ' | LC_ALL=C sort
}
bird_roas() {
	local t
	for t in r4 r6; do
		birdc -s "$WORK/bird.ctl" show route table $t 2>/dev/null
	done | sed -n 's|^\([0-9a-f:.]*\)/\([0-9]*\)-\([0-9]*\) AS\([0-9]*\) .*|\1,\2,\3,\4|p' |
		LC_ALL=C sort
}
metric() {	# metric NAME_REGEX: sum of rtrd's samples
	metric_sum "http://127.0.0.1:$RTR_MPORT/metrics" "$1"
}

as_csv "$WORK/want0.vrps" >"$WORK/want0.csv"
rtrclient_dump >"$WORK/rtrclient0.csv"
same "$WORK/want0.csv" "$WORK/rtrclient0.csv" "rtrclient from rtrd: exactly rpki-client's VRPs"

cat >"$WORK/bird.conf" <<EOF
router id 192.0.2.1;
roa4 table r4;
roa6 table r6;
protocol device { }
protocol rpki rtrd {
	roa4 { table r4; };
	roa6 { table r6; };
	remote 127.0.0.1 port $RTR_PORT;
	retry keep 5;
	refresh keep 30;
	expire keep 600;
}
EOF
bird -f -c "$WORK/bird.conf" -s "$WORK/bird.ctl" </dev/null >>"$WORK/bird.log" 2>&1 &
DAEMON_PIDS+=("$!")
for _ in $(seq 100); do
	bird_roas >"$WORK/bird0.csv"
	cmp -s "$WORK/want0.csv" "$WORK/bird0.csv" && break
	sleep 0.1
done
same "$WORK/want0.csv" "$WORK/bird0.csv" "BIRD 2 ROA tables: exactly rpki-client's VRPs"

# rtrwatch (RTR v2) carries the ASPAs: one per customer, the AFIs merged.
timeout 20 "$BIN/rtrwatch" --once --format json "127.0.0.1:$RTR_PORT" >"$WORK/rtrwatch0.json" 2>"$WORK/rtrwatch.err" ||
	bad "rtrwatch --once: $(cat "$WORK/rtrwatch.err")"
norm rtrwatch-aspas "$WORK/rtrwatch0.json" >"$WORK/rtrwatch0.aspas"
"$PY" "$TESTCA" aspas "$CA" | awk '{ printf "%s ", $1; s = ""
	for (i = 2; i <= NF; i++) { sub(/:.*/, "", $i); s = s (s == "" ? "" : ",") $i } print s }' |
	LC_ALL=C sort >"$WORK/want0.rtraspas"
same "$WORK/want0.rtraspas" "$WORK/rtrwatch0.aspas" "rtrwatch (RTR v2) from rtrd: the CA's ASPAs"

# rtrclient in live mode: the update must arrive as +/- lines.
stdbuf -oL rtrclient -p tcp 127.0.0.1 "$RTR_PORT" </dev/null >"$WORK/live.out" 2>&1 &
LIVE=$!
DAEMON_PIDS+=("$LIVE")
n0=$(wc -l <"$WORK/want0.csv")
for _ in $(seq 100); do
	[ "$(grep -c '^+' "$WORK/live.out")" -ge "$n0" ] && break
	sleep 0.1
done

# ---- the update: one ROA added, one withdrawn, manifests and CRLs re-issued ----
"$PY" "$TESTCA" remove-roa "$CA" 198.51.100.0/24-26 64497 2>"$WORK/testca.err" &&
	"$PY" "$TESTCA" add-roa "$CA" 203.0.113.0/24 64499 2>"$WORK/testca.err" ||
	fail "testca update: $(cat "$WORK/testca.err")"
publish "the update (one ROA added, one withdrawn, manifests and CRLs re-issued)"
check_rps 1

# rpki-client took the delta path (RRDP), not the snapshot.
if grep -qi "delta" "$WORK/rpki-client1.log" && ! grep -qi "snapshot" "$WORK/rpki-client1.log"; then
	ok "rpki-client fetched the update as an RRDP delta: $(grep -i -m1 delta "$WORK/rpki-client1.log")"
else
	bad "rpki-client did not take the delta path: $(grep -i -E 'rrdp|delta|snapshot' "$WORK/rpki-client1.log" | head -5)"
fi

resets0=$(metric '^rtrd_cache_resets_total$')
cp "$RPC_OUT/json" "$JSON.tmp" && mv "$JSON.tmp" "$JSON"
as_csv "$WORK/want1.vrps" >"$WORK/want1.csv"
for _ in $(seq 100); do
	bird_roas >"$WORK/bird1.csv"
	cmp -s "$WORK/want1.csv" "$WORK/bird1.csv" && break
	sleep 0.1
done
same "$WORK/want1.csv" "$WORK/bird1.csv" "BIRD 2 after rtrd's Serial Notify: exactly the new VRPs"
for _ in $(seq 100); do
	[ "$(grep -c '^-' "$WORK/live.out")" -ge 1 ] && [ "$(grep -c '^+' "$WORK/live.out")" -gt "$n0" ] && break
	sleep 0.1
done
sleep 0.3
adds=$(grep -c '^+' "$WORK/live.out")
dels=$(grep -c '^-' "$WORK/live.out")
[ "$adds" -eq $((n0 + 1)) ] && [ "$dels" -eq 1 ] &&
	ok "rtrclient live: the update arrived as one withdrawal and one announcement" ||
	bad "rtrclient live: $adds announcements, $dels withdrawals (want $((n0 + 1)), 1)"
grep '^[+-]' "$WORK/live.out" | tail -2 | sed 's/^/# /'
[ "$(metric '^rtrd_cache_resets_total$')" = "$resets0" ] &&
	ok "rtrd sent no Cache Reset for the update" || bad "rtrd sent a Cache Reset for the update"
rtrclient_dump >"$WORK/rtrclient1.csv"
same "$WORK/want1.csv" "$WORK/rtrclient1.csv" "rtrclient after the update: exactly the new VRPs"
grep -q "Error Report" "$WORK/rtrd.log" && bad "rtrd exchanged an Error Report: $(grep 'Error Report' "$WORK/rtrd.log" | head -3)"
grep -qi "error" "$WORK/bird.log" && bad "BIRD logged an error: $(grep -i error "$WORK/bird.log" | head -3)"

grep -E "WARNING|ERROR" "$DAEMON_LOG" >"$WORK/rpkipubd.warnings"
[ -s "$WORK/rpkipubd.warnings" ] && bad "rpkipubd logged: $(head -3 "$WORK/rpkipubd.warnings")"
stop_daemon "$DAEMON_PID" && ok "rpkipubd stops cleanly" || bad "rpkipubd stop"
finish
