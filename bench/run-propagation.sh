#!/usr/bin/env bash
# How long a CA's change takes to reach a router, stage by stage (issue 6,
# "The propagation figure").  Never part of the tests.
#
#   bench/run-propagation.sh BIN_DIR [RUNS]        (RUNS: 5, or $RUNS)
#   EDGE=1 bench/run-propagation.sh BIN_DIR [RUNS]  the same through an edge node
#
# The chain of tests/integration/test_e2e.sh (set up by the same code,
# tests/integration/e2e_lib.sh), with short intervals: rpkipubd with
# rrdp_interval 1 s, RRDP over https and an rsync daemon; the test CA
# publishing with rpkipub-push; rpki-client run back to back in a loop;
# rtrd reading rpki-client's JSON file (checked every second); rtrclient
# in live mode (`rtrclient -p tcp 127.0.0.1 PORT`) as the router.  Each
# run adds one new ROA (testca.py add-roa) and publishes it
# (rpkipub-push sync); bench/propwatch.py notes when the new VRP passes
# each stage.  Printed, per stage, the time from `rpkipub-push sync`
# returning to:
#   (a) the new serial in notification.xml (fetched over https from the
#       RRDP listener every 10 ms)
#   (b) rpki-client's JSON file holding the new VRP (checked every 10 ms)
#   (c) rtrd's Serial Notify for it (a scripted router, RTR v1, logs the
#       Notify's arrival; the VRP must be in the answer to its Serial Query)
#   (d) rtrclient printing the new VRP
# as median and max over the runs; then the same stages for the DEFAULT
# intervals, computed (not measured) from the timers: rpkipubd's
# rrdp_interval (60 s), Debian's rpki-client.timer (read from
# /lib/systemd/system/rpki-client.timer), rpki-client's run time as
# measured here, rtrd's one-second file check (src/rtr/server.c), and
# the router acting on Serial Notify (refresh 3600 s when it does not);
# with EDGE=1 the relying party fetches from an edge node instead, as in
# docs/DEPLOYMENT.md (rrdpsync --interval 1 following rpkipubd, nginx
# serving its copy: the examples of docs/examples/edge/, as test_e2e runs
# them; the CA's rpkiNotify names the edge), and stage (a2), the edge's
# notification.xml holding the new serial, is added (computed with
# rrdpsync's default --interval 60 and its +-10% jitter);
# and once more with the timer drop-in of the deployment examples
# (docs/examples/cache/rpki-client.timer.d/frequent.conf, every 10 min).
#
# Everything listens on 127.0.0.1 (ports from free_ports); KEEP_TMP=1
# keeps the work directory.  Needs root's view of the relying parties as
# test_e2e does (rpki-client drops to _rpki-client).
set -u
invocation="$([ "${EDGE:-0}" = 1 ] && echo "EDGE=1 ")$0 $*"
BIN=$(cd "${1:?usage: run-propagation.sh BIN_DIR [RUNS]}" && pwd)
RUNS=${2:-${RUNS:-5}}
SRC=$(cd "$(dirname "$0")/.." && pwd)
TMPBASE=${TMPDIR:-/tmp}
export BIN SRC TMPBASE
# shellcheck source=tests/integration/lib.sh
. "$SRC/tests/integration/lib.sh"
# shellcheck source=tests/integration/e2e_lib.sh
. "$SRC/tests/integration/e2e_lib.sh"
lib_setup
for p in rsync rpki-client rtrclient stdbuf; do
	command -v "$p" >/dev/null || fail "$p is missing (scripts/install-deps installs it)"
done
{ [ -x "$BIN/rtrd" ] && [ -x "$BIN/rpkipub-push" ]; } || fail "rtrd or rpkipub-push is missing: build first"
chmod 755 "$WORK"

TIMER=/lib/systemd/system/rpki-client.timer
INTERVAL=1			# rrdp_interval of the measured chain
EDGE=${EDGE:-0}
read -r PORT APORT RRDP_PORT RSYNC_PORT RTR_PORT EDGE_PORT SYNC_MPORT < <(free_ports 7 | paste -s -d ' ')
TLS=$WORK/tls
CASTATE=$WORK/ca1
CA=$CASTATE/ca
PUB=$WORK/ca-pub
EVENTS=$WORK/events.log
RUNLOG=$WORK/runs.txt		# i t_push_start t0 serial_before vrp
RPCRUNS=$WORK/rpki-client-runs.txt	# start end exit-status
: >"$EVENTS"
: >"$RUNLOG"
: >"$RPCRUNS"

e2e_tls "$TLS"
e2e_server "$WORK/server" "$PORT" "$APORT" "$RRDP_PORT" "$RSYNC_PORT" "$INTERVAL" "$TLS"
ctl "$D" rsyncd-conf >"$WORK/module.conf" || fail "rpkipubctl rsyncd-conf failed"
e2e_rsyncd rsyncd "$RSYNC_PORT" <"$WORK/module.conf"
RP_NOTIFY=$NOTIFY		# the notification the relying party follows
EDGE_ARGS=()
if [ "$EDGE" = 1 ]; then
	# The edge node of docs/examples/edge/: rrdpsync (a round every
	# second) and nginx in front of its copy.
	[ -x "$BIN/rrdpsync" ] || fail "rrdpsync is missing: build first"
	NGINX=$(command -v nginx || echo /usr/sbin/nginx)
	[ -x "$NGINX" ] || fail "nginx is missing (scripts/install-deps installs it)"
	EDGE_DIR=$WORK/edge
	RP_NOTIFY=https://127.0.0.1:$EDGE_PORT/rrdp/notification.xml
	mkdir -p "$EDGE_DIR"
	example_rrdpsync_edge "$WORK/rrdpsync.args" "$NOTIFY" "$TLS/ca.pem" \
		"https://127.0.0.1:$EDGE_PORT/rrdp/" "$EDGE_DIR" "127.0.0.1:$SYNC_MPORT" 1
	mapfile -t SYNC_ARGV <"$WORK/rrdpsync.args"
	"${SYNC_ARGV[@]}" </dev/null >>"$WORK/rrdpsync.log" 2>&1 &
	DAEMON_PIDS+=("$!")
	example_nginx_edge "$WORK/edge-site.conf" "$EDGE_PORT" "$EDGE_DIR/rrdp" "$TLS"
	nginx_conf edge-nginx "$WORK/edge-site.conf"
	"$NGINX" -p "$WORK" -c "$WORK/edge-nginx.conf" -g "daemon off;" </dev/null \
		>>"$WORK/edge-nginx-error.log" 2>&1 &
	DAEMON_PIDS+=("$!")
	for _ in $(seq 100); do port_open "$EDGE_PORT" && break; sleep 0.05; done
	port_open "$EDGE_PORT" || fail "nginx (edge) does not listen: $(tail -3 "$WORK/edge-nginx-error.log")"
	EDGE_ARGS=(--edge-notify "$RP_NOTIFY")
fi
e2e_ca "$CASTATE" "$PUB" ca "$RP_NOTIFY" --child --example
publish "the test CA's tree"
if [ "$EDGE" = 1 ]; then
	for _ in $(seq 300); do
		curl -sS --max-time 5 --cacert "$TLS/ca.pem" "$RP_NOTIFY" 2>/dev/null |
			grep -q "serial=\"$(rrdp_serial)\"" && break
		sleep 0.1
	done
	ok "the edge node (rrdpsync, nginx) serves serial $(rrdp_serial) at $RP_NOTIFY"
fi

# rpki-client back to back, as root dropping to _rpki-client (its
# directories are its own).  The loop stops its running rpki-client when
# lib_cleanup stops the loop by its pid.
RPC_CACHE=$WORK/rpki-client/cache
RPC_OUT=$WORK/rpki-client/out
mkdir -p "$RPC_CACHE" "$RPC_OUT"
[ "$(id -u)" = 0 ] && chown _rpki-client "$RPC_CACHE" "$RPC_OUT"
(
	child=
	trap '[ -n "$child" ] && kill "$child" 2>/dev/null; wait; exit 0' TERM
	while :; do
		s=$(date +%s.%N)
		SSL_CERT_FILE=$TLS/ca.pem rpki-client -j -s 60 -t "$CA/ta.tal" -d "$RPC_CACHE" "$RPC_OUT" \
			</dev/null >>"$WORK/rpki-client.log" 2>&1 &
		child=$!
		wait "$child"
		echo "$s $(date +%s.%N) $?" >>"$RPCRUNS"
		child=
	done
) &
DAEMON_PIDS+=("$!")
for _ in $(seq 600); do [ -s "$RPC_OUT/json" ] && break; sleep 0.1; done
[ -s "$RPC_OUT/json" ] || fail "rpki-client wrote no JSON within 60 s: $(tail -5 "$WORK/rpki-client.log")"
ok "rpki-client runs back to back, writing $RPC_OUT/json"

"$BIN/rtrd" --json "$RPC_OUT/json" --listen "127.0.0.1:$RTR_PORT" </dev/null >>"$WORK/rtrd.log" 2>&1 &
DAEMON_PIDS+=("$!")
for _ in $(seq 200); do port_open "$RTR_PORT" && break; sleep 0.05; done
port_open "$RTR_PORT" || fail "rtrd does not listen on $RTR_PORT: $(tail -3 "$WORK/rtrd.log")"

"$PY" "$SRC/bench/propwatch.py" --notify "$NOTIFY" "${EDGE_ARGS[@]}" --cafile "$TLS/ca.pem" --json "$RPC_OUT/json" \
	--rtr "127.0.0.1:$RTR_PORT" --router-cmd "stdbuf -oL rtrclient -p tcp 127.0.0.1 $RTR_PORT" \
	--log "$EVENTS" --poll 0.01 </dev/null >>"$WORK/propwatch.log" 2>&1 &
DAEMON_PIDS+=("$!")
for _ in $(seq 300); do grep -q ' ready$' "$EVENTS" && break; sleep 0.1; done
grep -q ' ready$' "$EVENTS" || fail "propwatch not ready within 30 s: $(tail -3 "$WORK/propwatch.log")"
ok "watching: notification over https, rpki-client's JSON, rtrd (scripted router), rtrclient live"

# ---- the measured runs: one new ROA each ----
for ((i = 1; i <= RUNS; i++)); do
	prefix=172.16.$i.0/24
	asn=$((65000 + i))
	want="$asn $prefix 24"
	"$PY" "$TESTCA" add-roa "$CA" "$prefix" "$asn" 2>"$WORK/testca.err" ||
		fail "testca add-roa: $(cat "$WORK/testca.err")"
	before=$(rrdp_serial)
	ts=$(date +%s.%N)
	push_dir "$CASTATE/push" "$PUB" || fail "run $i: rpkipub-push sync: $(cat "$WORK/push.err")"
	t0=$(date +%s.%N)
	echo "$i $ts $t0 $before $want" >>"$RUNLOG"
	for _ in $(seq 1200); do grep -q " router + $want\$" "$EVENTS" && break; sleep 0.05; done
	grep -q " router + $want\$" "$EVENTS" || fail "run $i: the router did not get $want within 60 s"
	sdur=$(curl -sS --max-time 5 "http://127.0.0.1:$APORT/metrics" 2>/dev/null |
		awk '$1 == "rpkipubd_rrdp_serial_duration_seconds" { print $2 }')
	echo "$i ${sdur:-0}" >>"$WORK/serial-durations.txt"
	echo "# run $i: $want at the router (the serial took ${sdur:-?} s)"
	# The next push lands at another phase of the intervals.
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
done

# ---- the figures ----
echo
echo "# $invocation"
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "# rpki-client $(rpki-client -V 2>&1 | head -1 | awk '{print $NF}'), rtr-tools $(dpkg-query -W -f '${Version}' rtr-tools 2>/dev/null)"
"$PY" - "$RUNLOG" "$EVENTS" "$RPCRUNS" "$TIMER" "$INTERVAL" "$WORK/serial-durations.txt" \
	"$SRC/docs/examples/cache/rpki-client.timer.d/frequent.conf" "$EDGE" "$WORK/rrdpsync.log" <<'EOF'
import re, statistics, sys

runlog, events, rpcruns, timer, interval, sdurs, dropin, edge, synclog = sys.argv[1:10]
edge = edge == "1"
sdur = [float(l.split()[1]) for l in open(sdurs)]
interval = float(interval)
ev = []
for line in open(events):
    t, what = line.split(" ", 1)
    ev.append((float(t), what.strip()))
runs = []
for line in open(runlog):
    f = line.split()
    runs.append({"i": int(f[0]), "ts": float(f[1]), "t0": float(f[2]),
                 "before": int(f[3]), "vrp": " ".join(f[4:7])})

STAGES = [("a", "new serial in notification.xml (https)")]
if edge:
    STAGES.append(("a2", "the edge's notification.xml (rrdpsync, nginx)"))
STAGES += [("b", "rpki-client's JSON holds the VRP"),
          ("c", "rtrd's Serial Notify (scripted router)"),
          ("d", "router (rtrclient) prints the VRP")]
got = {k: [] for k, _ in STAGES}
push = []
for r in runs:
    push.append(r["t0"] - r["ts"])
    def first(pred):
        for t, w in ev:
            if pred(w):
                return t - r["t0"]
        return None
    got["a"].append(first(lambda w: w.startswith("notify ") and int(w.split()[1]) > r["before"]))
    if edge:
        got["a2"].append(first(lambda w: w.startswith("edge-notify ") and
                               int(w.split()[1]) > r["before"]))
    got["b"].append(first(lambda w: w == "json + " + r["vrp"]))
    got["c"].append(first(lambda w: w == "rtr + " + r["vrp"]))
    got["d"].append(first(lambda w: w == "router + " + r["vrp"]))

# rrdpsync's round that took each run's serial: its log line says how
# long the round took ("serial N (deltas): ...; 0.055 s (files ...").
rdur = []
if edge:
    took = {}
    for line in open(synclog):
        m = re.search(r" serial (\d+) \(deltas\):.*; ([0-9.]+) s \(files", line)
        if m:
            took[int(m.group(1))] = float(m.group(2))
    rdur = [took[r["before"] + 1] for r in runs if r["before"] + 1 in took]
    if not rdur:
        sys.exit("no rrdpsync delta round found in %s" % synclog)

rpc = []
for line in open(rpcruns):
    s, e, rc = line.split()
    rpc.append(float(e) - float(s))
rpc_med = statistics.median(rpc)
rpc_max = max(rpc)

def fmt(x):
    return "-" if x is None else "%.2f s" % x

print()
print("Measured, short intervals (rpkipubd rrdp_interval %g s,%s rpki-client back"
      " to back, rtrd file check 1 s, router on Serial Notify), %d runs;"
      % (interval, " an edge node with rrdpsync --interval 1 and nginx," if edge else "",
         len(runs)))
print("time from `rpkipub-push sync` returning (the sync itself took median %.2f s):"
      % statistics.median(push))
print()
print("| stage | " + " | ".join("run %d" % r["i"] for r in runs) + " | median | max |")
print("|---|" + "---|" * (len(runs) + 2))
for k, name in STAGES:
    xs = got[k]
    ok = [x for x in xs if x is not None]
    print("| (%s) %s | %s | %s | %s |" % (k, name, " | ".join(fmt(x) for x in xs),
          fmt(statistics.median(ok)) if ok else "-", fmt(max(ok)) if ok else "-"))
print()
print("rpki-client run time here: median %.2f s, max %.2f s over %d runs (this"
      " test repository: 2 CAs, a few objects)" % (rpc_med, rpc_max, len(rpc)))

# ---- computed for the default intervals ----
def secs(v):
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr)?\s*", v)
    n, u = float(m.group(1)), m.group(2) or "s"
    return n * {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}[u]

def timer_of(files):
    """OnCalendar period, RandomizedDelaySec, AccuracySec of a timer and
    its drop-ins, read in order (an empty OnCalendar= resets, as systemd
    does)."""
    cal, rnd, acc = None, 0.0, 60.0	# AccuracySec: systemd's default 1 min
    for f in files:
        for line in open(f):
            k, _, v = line.strip().partition("=")
            if k == "OnCalendar":
                cal = v or None
            elif k == "RandomizedDelaySec":
                rnd = secs(v)
            elif k == "AccuracySec":
                acc = secs(v)
    fixed = {"hourly": 3600.0, "daily": 86400.0, "minutely": 60.0}
    if cal in fixed:
        period = fixed[cal]
    else:
        m = re.fullmatch(r"\*:0*(\d+)/(\d+)(?::00)?", cal or "")
        if not m:
            sys.exit("OnCalendar=%s: not a period this script knows" % cal)
        period = 60.0 * int(m.group(2))
    return cal, period, rnd, acc

# Runs start at k*period + U_k*rnd (U_k uniform in 0..1, drawn anew each
# time, systemd.timer(5)), so the gap G between two starts is period plus
# the difference of two uniforms (triangular on period +- rnd).  A change
# ready at a random moment waits the residual gap R: P(R > r) is the
# integral from r of P(G > x) dx / E[G], E[R] = E[G^2] / (2 E[G]), worst
# period + rnd (+ AccuracySec).  (A change that appears while a run is
# under way, after it fetched, waits for the next run: included, since R
# counts from the run's start and the run time is added separately.)
def waits(period, rnd, acc):
    def surv_gap(x):
        d = x - period
        if rnd == 0:
            return 1.0 if d < 0 else 0.0
        if d <= -rnd:
            return 1.0
        if d >= rnd:
            return 0.0
        if d <= 0:
            return 1 - (d + rnd) ** 2 / (2 * rnd * rnd)
        return (rnd - d) ** 2 / (2 * rnd * rnd)
    mean = (period ** 2 + rnd ** 2 / 6) / (2 * period)
    cum, step, median, x = 0.0, period / 100000, None, 0.0
    while median is None and x < period + rnd:
        inc = surv_gap(x + step / 2) * step / period
        if cum + inc >= 0.5:
            median = x + step * (0.5 - cum) / inc
        cum += inc
        x += step
    return mean, median, period + rnd + acc

RRDP_DEFAULT = 60.0		# rpkipubd rrdp_interval default (rpkipubctl --help)
SYNC_DEFAULT, SYNC_JITTER = 60.0, 0.1	# rrdpsync --interval default and jitter (--help)
RTRD_TICK = 1.0			# rtrd's file check (src/rtr/server.c, 1 s timerfd)
REFRESH = 3600.0		# rtrd --refresh default: a router that ignores Notify
def gaps(x, y):
    return [b - a for a, b in zip(got[x], got[y]) if a is not None and b is not None]
serial, serial_max = statistics.median(sdur), max(sdur)	# rpkipubd's own metric
# rtrd's load of this small file is under a millisecond (rtrd.log's
# "input loaded" lines carry the time of the tick): counted as 0; at
# 500,000 VRPs it is 0.35 s (make bench-rtr).
load = 0.0
router, router_max = statistics.median(gaps("c", "d")), max(gaps("c", "d"))

def hm(s):
    if s < 120:
        return "%.1f s" % s
    s = int(round(s))
    return "%d min %02d s" % (s // 60, s % 60)

def cumul(xs):
    out, t = [], 0.0
    for x in xs:
        t += x
        out.append(t)
    return out

def table(title, files):
    cal, period, rnd, acc = timer_of(files)
    mean_wait, median_wait, worst_wait = waits(period, rnd, acc)
    best = [serial, rpc_med, load, router]
    typ = [RRDP_DEFAULT / 2 + serial, mean_wait + rpc_med, RTRD_TICK / 2 + load, router]
    worst = [RRDP_DEFAULT + serial_max, worst_wait + rpc_max, RTRD_TICK + load, router_max]
    if edge:
        # Rounds every interval +- jitter: a serial waits 0 / about half
        # an interval / the longest gap, then one round.
        best.insert(1, statistics.median(rdur))
        typ.insert(1, SYNC_DEFAULT / 2 + statistics.median(rdur))
        worst.insert(1, SYNC_DEFAULT * (1 + SYNC_JITTER) + max(rdur))
    print()
    print("COMPUTED (not measured), %s: rpkipubd rrdp_interval %g s (default);"
          " rpki-client started by %s (OnCalendar=%s, RandomizedDelaySec=%g s,"
          " AccuracySec %g s), its run time as measured above; rtrd's %g s file"
          " check; the router acting on Serial Notify:"
          % (title, RRDP_DEFAULT, " + ".join(files), cal, rnd, acc, RTRD_TICK))
    print()
    print("| stage | best | typical (mean) | worst |")
    print("|---|---|---|---|")
    for (k, name), b, t, w in zip(STAGES, cumul(best), cumul(typ), cumul(worst)):
        print("| (%s) %s | %s | %s | %s |" % (k, name, hm(b), hm(t), hm(w)))
    print()
    print("How each stage adds (best / typical / worst):")
    print("  (a) the push lands at a uniform phase of the %g s interval: 0 / %g / %g s,"
          % (RRDP_DEFAULT, RRDP_DEFAULT / 2, RRDP_DEFAULT))
    print("      plus the serial's cost (rpkipubd_rrdp_serial_duration_seconds here:"
          " median %.3f s, max %.3f s)" % (serial, serial_max))
    if edge:
        print("  (a2) the wait for rrdpsync's next round (--interval %g, +-%d%%): 0 / %g / %g s,"
              % (SYNC_DEFAULT, SYNC_JITTER * 100, SYNC_DEFAULT / 2,
                 SYNC_DEFAULT * (1 + SYNC_JITTER)))
        print("      plus the round that takes the delta (rrdpsync's log here: median %.3f s,"
              " max %.3f s)" % (statistics.median(rdur), max(rdur)))
    print("  (b) the wait for the next rpki-client start: 0 / mean %s (median %s) / %s"
          % (hm(mean_wait), hm(median_wait), hm(worst_wait)))
    print("      (the longest gap between two starts is %g + %g s, plus AccuracySec),"
          % (period, rnd))
    print("      plus one rpki-client run as measured here: median %.2f s (best, typical),"
          " max %.2f s (worst)" % (rpc_med, rpc_max))
    print("  (c) rtrd's file check: 0 / %g / %g s, plus its load (under a millisecond"
          " for this input: counted as 0)" % (RTRD_TICK / 2, RTRD_TICK))
    print("  (d) the router's Serial Query and the answer after the Notify, as measured"
          " ((d) - (c)): median %.3f s (best, typical), max %.3f s (worst)"
          % (router, router_max))
    print("A router that ignores Serial Notify and only polls adds up to its refresh"
          " interval (rtrd's default %g s, mean %g s): worst %s."
          % (REFRESH, REFRESH / 2, hm(cumul(worst)[-1] + REFRESH)))

import os
if os.path.exists(timer):
    table("Debian's defaults", [timer])
else:
    print("(%s not found: no figures for Debian's timer)" % timer)
if os.path.exists(timer) and os.path.exists(dropin):
    table("with the example drop-in docs/examples/cache/rpki-client.timer.d/frequent.conf",
          [timer, dropin])
EOF
finish >/dev/null
