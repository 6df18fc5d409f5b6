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
want_vrps() { "$PY" "$TESTCA" vrps "$RP_CA" | LC_ALL=C sort; }
want_aspas() {
	"$PY" "$TESTCA" aspas "$RP_CA" | "$PY" -c '
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
# rp_target NAME CA TAL NOTIFY: the relying parties' directories (their
# caches kept from one check_rps to the next) for the test CA state CA,
# validated from TAL, whose RRDP notification is NOTIFY.
# rpki-client run as root drops to _rpki-client: its cache and output
# directories must belong to that user.  octorpki refuses to run as root.
rp_target() {
	local d=$WORK/rp-$1
	RP_CA=$2 TAL=$3 RP_NOTIFY=$4
	RPC_CACHE=$d/rpki-client/cache RPC_OUT=$d/rpki-client/out
	RPCR_CACHE=$d/rpki-client-rsync/cache RPCR_OUT=$d/rpki-client-rsync/out
	FORT_CACHE=$d/fort/cache OCTO=$d/octorpki
	mkdir -p "$RPC_CACHE" "$RPC_OUT" "$RPCR_CACHE" "$RPCR_OUT" "$FORT_CACHE" "$OCTO/cache"
	if [ "$(id -u)" = 0 ]; then
		chown _rpki-client "$RPC_CACHE" "$RPC_OUT" "$RPCR_CACHE" "$RPCR_OUT"
		chown -R _cfrpki "$OCTO"
	fi
}
rp_target engine "$CA" "$TAL" "$NOTIFY"

# The options of the cache host's example (docs/examples/cache/
# rpki-client.default: -j), then only -v logging (-vv would name every
# file).  It trusts the test TLS CA through SSL_CERT_FILE.
OPTIONS=
# shellcheck source=docs/examples/cache/rpki-client.default
. "$EXAMPLES/cache/rpki-client.default"
RPC_OPTIONS=$OPTIONS
# What rpki-client says about a broken repository, e.g. "bad message
# digest for X.roa", "ASPA: failed to parse ASProviderAttestation" (both
# seen with trees broken on purpose).
RPKI_CLIENT_LOG_BAD='warn|error|fail|invalid|stale|not found|mismatch|unknown|bad |expired|could not|cannot|refus'
run_rpki_client() {	# run_rpki_client TAG [-R]: one validation run, log in $WORK/TAG.log
	local tag=$1 cache=$RPC_CACHE out=$RPC_OUT
	# shellcheck disable=SC2086 # RPC_OPTIONS: words, as systemd passes $OPTIONS
	shift
	if [ "${1:-}" = -R ]; then cache=$RPCR_CACHE out=$RPCR_OUT; fi
	SSL_CERT_FILE=$TLS/ca.pem timeout 120 rpki-client $RPC_OPTIONS -v -s 100 -t "$TAL" -d "$cache" "$@" "$out" \
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
	grep -q "$RP_NOTIFY: loaded from network" "$WORK/rpki-client$s.log" &&
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

# took_delta LOG: rpki-client took the delta path (RRDP), not the snapshot.
took_delta() {
	if grep -qi "delta" "$1" && ! grep -qi "snapshot" "$1"; then
		ok "rpki-client fetched the update as an RRDP delta: $(grep -i -m1 delta "$1")"
	else
		bad "rpki-client did not take the delta path: $(grep -i -E 'rrdp|delta|snapshot' "$1" | head -5)"
	fi
}
took_delta "$WORK/rpki-client1.log"

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

# ---- issue 6 step 6: an edge node (rrdpsync + nginx + rsyncd) ----
# The edge runs the deployment examples (docs/examples/edge/, see
# docs/DEPLOYMENT.md) with the test's ports and paths: rrdpsync with the
# ExecStart of rrdpsync.service follows rpkipubd's RRDP over TLS; nginx
# with nginx-rrdp.conf serves the copy over https; rsyncd with
# rsyncd.conf serves the copy's rsync tree.
#
# The URLs relying parties use are fixed by the CA certificates: a
# second test CA, a second publisher of the same rpkipubd, names the
# edge's notification as its rpkiNotify.  Its rsync URIs are rpkipubd's
# rsync_base, as every object's URI inside RRDP is, so the edge must
# answer for that address: as in production, where rsync_base names the
# public rsync service of the edge nodes, the engine's own rsyncd gives
# way and the edge's takes its port.  The relying parties then see only
# the edge (RRDP from nginx, rsync from the edge's rsyncd, the TA
# certificate too) and must get exactly the same payloads.
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || fail "nginx is missing (scripts/install-deps installs it)"
[ -x "$BIN/rrdpsync" ] || fail "rrdpsync is missing: build first"
read -r EDGE_PORT SYNC_MPORT < <(free_ports 2 | paste -s -d ' ')
EDGE=$WORK/edge
EDGE_BASE=https://127.0.0.1:$EDGE_PORT/rrdp/
EDGE_NOTIFY=${EDGE_BASE}notification.xml
mkdir -p "$EDGE"

example_rrdpsync_edge "$WORK/rrdpsync.args" "$NOTIFY" "$TLS/ca.pem" "$EDGE_BASE" "$EDGE" \
	"127.0.0.1:$SYNC_MPORT" 1
mapfile -t SYNC_ARGV <"$WORK/rrdpsync.args"
"${SYNC_ARGV[@]}" </dev/null >>"$WORK/rrdpsync.log" 2>&1 &
DAEMON_PIDS+=("$!")
# edge_serial: the serial of the edge copy's notification.xml (0 if none).
edge_serial() {
	sed -n 's/.*<notification[^>]* serial="\([0-9]*\)".*/\1/p' "$EDGE/rrdp/notification.xml" 2>/dev/null |
		grep . || echo 0
}
# edge_follows WHAT: wait (20 s) until the edge has rpkipubd's serial and
# its rsync tree equals rpkipubd's.
edge_follows() {
	local i
	for ((i = 0; i < 200; i++)); do
		if [ "$(edge_serial)" = "$(rrdp_serial)" ] &&
			diff -r "$D/rsync/current/" "$EDGE/rsync/current/" >/dev/null 2>&1; then
			ok "$1: the edge copy has serial $(edge_serial) and rpkipubd's rsync tree"
			return 0
		fi
		sleep 0.1
	done
	fail "$1: the edge copy is at serial $(edge_serial), rpkipubd at $(rrdp_serial): $(tail -3 "$WORK/rrdpsync.log")"
}
edge_follows "rrdpsync (edge/rrdpsync.service's ExecStart)"

example_nginx_edge "$WORK/edge-site.conf" "$EDGE_PORT" "$EDGE/rrdp" "$TLS"
nginx_conf edge-nginx "$WORK/edge-site.conf"
"$NGINX" -p "$WORK" -c "$WORK/edge-nginx.conf" -g "daemon off;" </dev/null >>"$WORK/edge-nginx-error.log" 2>&1 &
DAEMON_PIDS+=("$!")
for _ in $(seq 100); do port_open "$EDGE_PORT" && break; sleep 0.05; done
curl -sS --max-time 10 --cacert "$TLS/ca.pem" -o "$WORK/edge-notification.xml" "$EDGE_NOTIFY" 2>"$WORK/curl.err" &&
	cmp -s "$WORK/edge-notification.xml" "$EDGE/rrdp/notification.xml" ||
	fail "nginx (edge/nginx-rrdp.conf) does not serve the copy at $EDGE_NOTIFY: $(cat "$WORK/curl.err")"
ok "nginx with edge/nginx-rrdp.conf serves the copy at $EDGE_NOTIFY"

kill "$RSYNCD_PID" && wait "$RSYNCD_PID" 2>/dev/null
for _ in $(seq 100); do port_open "$RSYNC_PORT" || break; sleep 0.05; done
example_rsyncd_edge "$WORK/edge-rsyncd.conf" "$RSYNC_PORT" "$EDGE"
rsync --daemon --no-detach --config="$WORK/edge-rsyncd.conf" </dev/null >>"$WORK/edge-rsyncd.log" 2>&1 &
DAEMON_PIDS+=("$!")
for _ in $(seq 100); do port_open "$RSYNC_PORT" && break; sleep 0.05; done
port_open "$RSYNC_PORT" || fail "the edge's rsyncd did not listen on $RSYNC_PORT: $(tail -3 "$WORK/edge-rsyncd.log")"
ok "the edge's rsyncd (edge/rsyncd.conf) answers for rsync://127.0.0.1:$RSYNC_PORT/repo/ in place of rpkipubd's"

# The second CA: the example content with the first CA's update, so the
# two have the same ROAs and ASPAs.
CA2STATE=$WORK/ca2
CA2=$CA2STATE/ca
PUB2=$WORK/ca2-pub
e2e_ca "$CA2STATE" "$PUB2" ca2 "$EDGE_NOTIFY" --child --example
"$PY" "$TESTCA" remove-roa "$CA2" 198.51.100.0/24-26 64497 2>"$WORK/testca.err" &&
	"$PY" "$TESTCA" add-roa "$CA2" 203.0.113.0/24 64499 2>"$WORK/testca.err" ||
	fail "testca (second CA) update: $(cat "$WORK/testca.err")"
ok "second test CA (rpkiNotify $EDGE_NOTIFY), $(find "$PUB2" -type f | wc -l) files under $SIA"
publish "the second CA's tree" "$CA2STATE" "$PUB2"
edge_follows "the second CA's tree"

rp_target edge "$CA2" "$CA2/ta.tal" "$EDGE_NOTIFY"
check_rps edge0
cmp -s "$WORK/want1.vrps" "$WORK/wantedge0.vrps" && cmp -s "$WORK/want1.aspas" "$WORK/wantedge0.aspas" ||
	bad "the two test CAs do not have the same ROAs and ASPAs"
same "$WORK/rpki-client1.vrps" "$WORK/rpki-clientedge0.vrps" \
	"rpki-client through the edge: the same VRPs as from rpkipubd with the first TAL"
same "$WORK/fort1.vrps" "$WORK/fortedge0.vrps" "fort through the edge: the same VRPs as from rpkipubd"
same "$WORK/octorpki1.vrps" "$WORK/octorpkiedge0.vrps" "octorpki through the edge: the same VRPs as from rpkipubd"

# The copy checked as a relying party would see it.
"$BIN/rpkipubctl" verify --rrdp-dir "$EDGE/rrdp" --rsync-dir "$EDGE/rsync" >"$WORK/edge-verify.out" 2>&1 &&
	ok "rpkipubctl verify --rrdp-dir --rsync-dir: the edge copy is consistent" ||
	bad "rpkipubctl verify of the edge copy: $(head -5 "$WORK/edge-verify.out")"

# An update through rpkipub-push reaches the relying parties through
# the edge: rpki-client by the RRDP delta of the copy.
"$PY" "$TESTCA" add-roa "$CA2" 198.18.0.0/15-16 64511 2>"$WORK/testca.err" &&
	"$PY" "$TESTCA" add-aspa "$CA2" 64511 64496 64497 2>"$WORK/testca.err" ||
	fail "testca (second CA) update: $(cat "$WORK/testca.err")"
publish "an update of the second CA (one ROA and one ASPA added)" "$CA2STATE" "$PUB2"
edge_follows "the update"
check_rps edge1
took_delta "$WORK/rpki-clientedge1.log"
"$BIN/rpkipubctl" verify --rrdp-dir "$EDGE/rrdp" --rsync-dir "$EDGE/rsync" >"$WORK/edge-verify.out" 2>&1 &&
	ok "rpkipubctl verify: the edge copy after the update" ||
	bad "rpkipubctl verify of the edge copy after the update: $(head -5 "$WORK/edge-verify.out")"
[ "$(metric_sum "http://127.0.0.1:$SYNC_MPORT/metrics" '^rrdpsync_serial$')" = "$(rrdp_serial)" ] &&
	ok "rrdpsync's metrics: rrdpsync_serial $(rrdp_serial), rpkipubd's serial" ||
	bad "rrdpsync_serial is not rpkipubd's serial $(rrdp_serial)"
quiet_log "rrdpsync" "$WORK/rrdpsync.log" 'WARNING|ERROR'
quiet_log "the edge's nginx" "$WORK/edge-nginx-error.log" '\[(warn|error|crit|alert|emerg)\]'
# nginx's access log (combined format: the status is the 9th field, the
# User-Agent the 6th quoted one) shows what each relying party fetched.
awk '$9 !~ /^(200|304)$/' "$WORK/edge-nginx-access.log" >"$WORK/edge-nginx-bad.log"
[ -s "$WORK/edge-nginx-bad.log" ] && bad "the edge's nginx answered: $(head -3 "$WORK/edge-nginx-bad.log")"
for ua in "rpki-client" "fort" "OctoRPKI"; do
	awk -F'"' -v ua="$ua" 'index($6, ua) && $2 ~ /(snapshot|delta)\.xml/' "$WORK/edge-nginx-access.log" |
		grep -q . && ok "$ua fetched RRDP files from the edge's nginx" ||
		bad "$ua fetched no snapshot or delta from the edge's nginx"
done

grep -E "WARNING|ERROR" "$DAEMON_LOG" >"$WORK/rpkipubd.warnings"
[ -s "$WORK/rpkipubd.warnings" ] && bad "rpkipubd logged: $(head -3 "$WORK/rpkipubd.warnings")"
stop_daemon "$DAEMON_PID" && ok "rpkipubd stops cleanly" || bad "rpkipubd stop"
finish
