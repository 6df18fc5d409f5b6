#!/usr/bin/env bash
# The deployment examples (docs/examples/, described in docs/DEPLOYMENT.md)
# are files an operator installs as they are: check that each still fits
# the programs it configures.
#
#   - every systemd unit passes `systemd-analyze verify` (when it is
#     there), with /usr/local/bin/ replaced by the build's bin directory;
#     the rpki-client timer drop-in together with Debian's timer;
#   - every ExecStart runs: the program with exactly those options and
#     --help appended must accept them all (getopt stops at an unknown
#     option or a bad number before it reaches --help);
#   - the edge's nginx block is still what `rpkipubctl nginx-conf` prints
#     for that rrdp_base and directory, and `nginx -t` accepts it;
#   - the rpki-client options file sets OPTIONS that rpki-client takes.
#
# test_e2e.sh runs the nginx block, the rsyncd.conf and the rrdpsync
# command line for real (ports and paths changed with sed).
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
lib_setup
EX=$EXAMPLES
UNITS=(engine/rpkipubd.service edge/rrdpsync.service cache/rtrd.service)

# unit_file UNIT: the unit with the build's programs, in $WORK/units/.
mkdir -p "$WORK/units"
for u in "${UNITS[@]}"; do
	[ -f "$EX/$u" ] || fail "$EX/$u is missing"
	sed "s|/usr/local/bin/|$BIN/|g" "$EX/$u" >"$WORK/units/$(basename "$u")"
done

# ---- systemd-analyze verify ----
if command -v systemd-analyze >/dev/null; then
	for u in "${UNITS[@]}"; do
		f=$WORK/units/$(basename "$u")
		if systemd-analyze verify "$f" >"$WORK/verify.out" 2>&1 && [ ! -s "$WORK/verify.out" ]; then
			ok "systemd-analyze verify $u"
		else
			bad "systemd-analyze verify $u: $(head -5 "$WORK/verify.out")"
		fi
	done
	if [ -f /lib/systemd/system/rpki-client.timer ]; then
		mkdir -p "$WORK/rpc-units/rpki-client.timer.d"
		cp /lib/systemd/system/rpki-client.timer /lib/systemd/system/rpki-client.service "$WORK/rpc-units/"
		cp "$EX/cache/rpki-client.timer.d/frequent.conf" "$WORK/rpc-units/rpki-client.timer.d/"
		# The search path makes verify read the drop-in directory too.
		if SYSTEMD_UNIT_PATH="$WORK/rpc-units:" systemd-analyze verify \
			"$WORK/rpc-units/rpki-client.timer" >"$WORK/verify.out" 2>&1 &&
			[ ! -s "$WORK/verify.out" ]; then
			ok "systemd-analyze verify: Debian's rpki-client.timer with cache/rpki-client.timer.d/frequent.conf"
		else
			bad "rpki-client.timer with the drop-in: $(head -5 "$WORK/verify.out")"
		fi
		cal=$(sed -n 's/^OnCalendar=\(..*\)$/\1/p' "$EX/cache/rpki-client.timer.d/frequent.conf")
		systemd-analyze calendar "$cal" >/dev/null 2>&1 &&
			ok "the drop-in's OnCalendar=$cal is a calendar systemd parses" ||
			bad "systemd-analyze calendar $cal refused it"
	fi
else
	echo "# systemd-analyze is not installed: units checked by their ExecStart only"
fi

# ---- every ExecStart: the options exist ----
for u in "${UNITS[@]}"; do
	f=$WORK/units/$(basename "$u")
	cmdline=$(unit_exec_start "$f")
	read -ra argv <<<"$cmdline"
	[ -x "${argv[0]}" ] || { bad "$u: ExecStart names ${argv[0]}, not built"; continue; }
	if "${argv[@]}" --help >"$WORK/help.out" 2>"$WORK/help.err" && [ ! -s "$WORK/help.err" ] &&
		grep -q '^usage:' "$WORK/help.out"; then
		ok "$u: $(basename "${argv[0]}") accepts every ExecStart option (${#argv[@]} words, then --help)"
	else
		bad "$u: $(basename "${argv[0]}") refuses its ExecStart: $(head -3 "$WORK/help.err")"
	fi
done

# ---- the engine's rpkipubctl init (in the comment of rpkipubd.service) ----
# The command, its paths moved under $WORK, must make an instance.
"$PY" - "$EX/engine/rpkipubd.service" >"$WORK/init.cmd" <<'EOF'
import sys
out, on = [], False
for l in open(sys.argv[1]):
    l = l.rstrip("\n")
    if l.startswith("#   rpkipubctl init"):
        on = True
    if on:
        out.append(l[1:].strip().rstrip("\\").strip())
        if not l.endswith("\\"):
            break
print(" ".join(out))
EOF
grep -q '^rpkipubctl init ' "$WORK/init.cmd" || fail "no rpkipubctl init in the comment of engine/rpkipubd.service"
"$PY" "$SRC/tests/tools/testca.py" tls "$WORK/tls" --ip 127.0.0.1 >/dev/null || fail "testca tls"
sed -e "s|^rpkipubctl |$BIN/rpkipubctl |" -e "s|/var/lib/rpkipubd|$WORK/engine|g" -e "s|/srv/rpki/|$WORK/srv/|g" \
	-e "s|/etc/rpkipubd/rrdp.pem|$WORK/tls/server.pem|" -e "s|/etc/rpkipubd/rrdp.key|$WORK/tls/server.key|" \
	"$WORK/init.cmd" >"$WORK/init.sh"
if bash "$WORK/init.sh" >"$WORK/init.out" 2>&1 && [ -f "$WORK/engine/rpkipubd.conf" ]; then
	ok "engine/rpkipubd.service: its rpkipubctl init makes an instance ($(wc -w <"$WORK/init.cmd") words)"
else
	bad "engine/rpkipubd.service: its rpkipubctl init fails: $(tail -3 "$WORK/init.out")"
fi

# ---- the edge's nginx block ----
# The block nginx-conf prints for the edge's rrdp_base and directory; the
# example differs only in its comments.
"$BIN/rpkipubctl" init --data-dir "$WORK/ngx" --service-uri http://127.0.0.1:1/rpki \
	--rsync-base rsync://rsync.example.net/repo/ --rrdp-base https://rrdp.example.net/rrdp/ \
	--rrdp-listen none --rrdp-dir /var/lib/rrdpsync/rrdp >"$WORK/init.out" 2>&1 ||
	fail "rpkipubctl init: $(cat "$WORK/init.out")"
ctl "$WORK/ngx" nginx-conf >"$WORK/nginx-conf.out" || fail "rpkipubctl nginx-conf failed"
strip() { sed -e 's/[[:space:]]*#.*//' -e '/^[[:space:]]*$/d' "$1"; }
if diff <(strip "$WORK/nginx-conf.out") <(strip "$EX/edge/nginx-rrdp.conf") >"$WORK/nginx.diff"; then
	ok "edge/nginx-rrdp.conf is the block rpkipubctl nginx-conf prints (comments aside)"
else
	bad "edge/nginx-rrdp.conf differs from rpkipubctl nginx-conf: $(head -10 "$WORK/nginx.diff")"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ -x "$NGINX" ]; then
	mkdir -p "$WORK/edge-rrdp"
	example_nginx_edge "$WORK/edge.conf" "$(free_ports 1)" "$WORK/edge-rrdp" "$WORK/tls"
	nginx_conf nginx "$WORK/edge.conf"
	"$NGINX" -t -p "$WORK" -c "$WORK/nginx.conf" >"$WORK/nginx-t.out" 2>&1 &&
		ok "nginx -t accepts edge/nginx-rrdp.conf" ||
		bad "nginx -t: $(grep -v 'syntax is ok\|test is successful' "$WORK/nginx-t.out" | head -3)"
fi

# ---- the rpki-client options ----
OPTIONS=
# shellcheck source=docs/examples/cache/rpki-client.default
. "$EX/cache/rpki-client.default"
case " $OPTIONS " in
*" -j "*) ok "cache/rpki-client.default: OPTIONS=\"$OPTIONS\" has -j (the JSON file rtrd reads)" ;;
*) bad "cache/rpki-client.default: OPTIONS=\"$OPTIONS\" lacks -j" ;;
esac
grep -q -- '--json /var/lib/rpki-client/json' "$EX/cache/rtrd.service" &&
	ok "cache/rtrd.service reads /var/lib/rpki-client/json (rpki-client's output directory on Debian)" ||
	bad "cache/rtrd.service does not read rpki-client's JSON file"
finish
