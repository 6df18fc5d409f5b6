#!/usr/bin/env bash
# `rpkipubctl nginx-conf` with the real nginx: the printed server block,
# included by a minimal nginx.conf (pid, logs and temp paths in the work
# directory, daemon off, stopped by its own pid), serves the instance's
# RRDP directory on 127.0.0.1 and must pass the same curl checks as
# rpkipubd's own listener (rrdp_http_lib.sh): gzip (gzip_static for the
# .gz twins, compressed on the fly for notification.xml), ETag and
# Last-Modified with 304s, Cache-Control, Vary, HEAD, 400 for query
# strings, 405 with Allow, 404 for listings, dotfiles, symlinks and
# traversal.  Also: `nginx -t` accepts the block printed for an https
# rrdp_base with a certificate, and one with a (quoted) odd data path.
# shellcheck source=tests/integration/lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rrdp_http_lib.sh
. "$(dirname "$0")/rrdp_http_lib.sh"
lib_setup
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || fail "nginx is missing (scripts/install-deps installs it)"

read -r PORT APORT NPORT < <(free_ports 3 | paste -s -d ' ')
D=$WORK/server
init_server "$D" "$PORT" "$APORT" --rrdp-base "http://127.0.0.1:$NPORT/rrdp/"
CONF=$D/rpkipubd.conf
# nginx serves RRDP here: no embedded listener.
sed -i "s/^rrdp_listen = .*/rrdp_listen = /" "$CONF"
R=$D/rrdp
rrdp_fixture "$R"

"$BIN/rpkipubctl" --data-dir "$D" nginx-conf >"$WORK/rrdp-server.conf" 2>"$WORK/ctl.err" ||
	fail "rpkipubctl nginx-conf: $(cat "$WORK/ctl.err")"
ok "rpkipubctl nginx-conf printed $(wc -l <"$WORK/rrdp-server.conf") lines"
grep -q "listen 127.0.0.1:$NPORT;" "$WORK/rrdp-server.conf" &&
	ok "listens on the address of rrdp_base (127.0.0.1:$NPORT)" ||
	bad "no 'listen 127.0.0.1:$NPORT;' in the block"
grep -q "server_name 127.0.0.1;" "$WORK/rrdp-server.conf" && ok "server_name from rrdp_base" ||
	bad "server_name is not 127.0.0.1"
grep -q "gzip_static on;" "$WORK/rrdp-server.conf" && ok "gzip_static on" || bad "no gzip_static"
grep -q "autoindex off;" "$WORK/rrdp-server.conf" && ok "autoindex off" || bad "no autoindex off"

# nginx_conf FILE SERVER-BLOCK: a complete nginx.conf for the test.
nginx_conf() {
	{
		# As root the workers would become nobody, who cannot read the
		# 0700 data directory: keep them as the test user.
		[ "$(id -u)" = 0 ] && echo "user root;"
		cat <<EOF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log info;
events { worker_connections 512; }
http {
	access_log $WORK/nginx-access.log;
	client_body_temp_path $WORK/nginx-tmp/body;
	proxy_temp_path $WORK/nginx-tmp/proxy;
	fastcgi_temp_path $WORK/nginx-tmp/fastcgi;
	uwsgi_temp_path $WORK/nginx-tmp/uwsgi;
	scgi_temp_path $WORK/nginx-tmp/scgi;
	include $2;
}
EOF
	} >"$1"
}
mkdir -p "$WORK/nginx-tmp"
nginx_conf "$WORK/nginx.conf" "$WORK/rrdp-server.conf"
"$NGINX" -t -p "$WORK" -c "$WORK/nginx.conf" >"$WORK/nginx-t.out" 2>&1 &&
	ok "nginx -t accepts it" || fail "nginx -t: $(cat "$WORK/nginx-t.out")"

# nginx in the foreground (daemon off), stopped by lib_cleanup with the rest.
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -g "daemon off;" </dev/null >>"$WORK/nginx-error.log" 2>&1 &
NGINX_PID=$!
DAEMON_PIDS+=("$NGINX_PID")
for _ in $(seq 100); do port_open "$NPORT" && break; sleep 0.05; done
port_open "$NPORT" || fail "nginx does not answer on $NPORT: $(tail -5 "$WORK/nginx-error.log")"
ok "nginx ($NGINX_PID) serves on 127.0.0.1:$NPORT"

# The writer (if any) writes notification.xml when rpkipubd starts.
start_daemon "$D" "$PORT"
rrdp_notification "$R"

rrdp_http_checks "http://127.0.0.1:$NPORT" nginx

stop_daemon "$DAEMON_PID" || bad "rpkipubd exit status $? on SIGTERM"
kill "$NGINX_PID" && wait "$NGINX_PID"
ok "nginx stopped (exit $?)"

# ---- other blocks nginx must accept: https with a certificate ----
D2=$WORK/tls
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=localhost -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>"$WORK/openssl.err" ||
	fail "openssl req: $(cat "$WORK/openssl.err")"
"$BIN/rpkipubctl" init --data-dir "$D2" --service-uri "http://127.0.0.1:$PORT/rpki" \
	--rsync-base rsync://rpki.example.net/repo/ --rrdp-base "https://rrdp.example.net:8443/rrdp/x/" \
	--rrdp-listen none >/dev/null 2>&1 || fail "init $D2"
printf 'rrdp_tls_cert = %s\nrrdp_tls_key = %s\n' "$WORK/tls.crt" "$WORK/tls.key" >>"$D2/rpkipubd.conf"
"$BIN/rpkipubctl" --data-dir "$D2" nginx-conf >"$WORK/tls-server.conf" || fail "nginx-conf (https)"
grep -q "listen 8443 ssl;" "$WORK/tls-server.conf" && grep -q "ssl_certificate \"$WORK/tls.crt\";" "$WORK/tls-server.conf" &&
	ok "https rrdp_base: listen 8443 ssl with the configured certificate" ||
	bad "https block: $(grep -E 'listen|ssl_cert' "$WORK/tls-server.conf" | tr '\n' ' ')"
grep -q 'location = /rrdp/x/notification.xml' "$WORK/tls-server.conf" && ok "a deeper rrdp path" ||
	bad "location of the rrdp path /rrdp/x/ missing"
nginx_conf "$WORK/nginx-tls.conf" "$WORK/tls-server.conf"
"$NGINX" -t -p "$WORK" -c "$WORK/nginx-tls.conf" >"$WORK/nginx-t.out" 2>&1 &&
	ok "nginx -t accepts the https block" || bad "nginx -t (https): $(cat "$WORK/nginx-t.out")"

# ---- what nginx cannot take is refused, not printed ----
sed -i 's|^rrdp_dir = .*|rrdp_dir = /srv/rrdp$x|' "$D2/rpkipubd.conf"
if "$BIN/rpkipubctl" --data-dir "$D2" nginx-conf >/dev/null 2>"$WORK/ctl.err"; then
	bad "nginx-conf printed a block for an rrdp_dir with a '\$'"
else
	ok "an rrdp_dir with '\$' is refused: $(head -1 "$WORK/ctl.err" | cut -c1-100)"
fi

finish
