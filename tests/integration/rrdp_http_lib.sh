# shellcheck shell=bash
# What test_rrdp_http.sh (rpkipubd's own RRDP listener) and test_nginx.sh
# (nginx with the block of `rpkipubctl nginx-conf`) check alike: source
# after lib.sh.
#
#   rrdp_fixture DIR       a session of the test's own under the RRDP dir DIR:
#                          a snapshot with its .gz twin, a delta without,
#                          dotfiles and a symbolic link that must never be
#                          served.  Sets SESSION RND RND2 SD SNAP DELTA.
#   rrdp_notification DIR  wait for the writer's notification.xml, or write
#                          one (when there is no writer)
#   rrdp_http_checks BASE MODE
#                          every check of both servers against BASE
#                          (http://127.0.0.1:PORT); MODE embedded or nginx
#                          names where nginx answers otherwise (and why it
#                          is still right)

# get NAME CURL-ARGS...: one request; body in $WORK/NAME.body, headers in
# $WORK/NAME.hdr; prints the status code ("000curl-failed" if curl failed).
get() {
	local name=$1
	shift
	curl -sS --max-time 20 -o "$WORK/$name.body" -D "$WORK/$name.hdr" \
		-w '%{http_code}' "$@" 2>"$WORK/curl.err" || echo "curl-failed"
}

# hdr NAME FIELD: the value of a response header field (empty if absent).
hdr() {
	awk -v f="$(echo "$2" | tr 'A-Z' 'a-z')" '
		{ sub(/\r$/, "") }
		{ i = index($0, ":") }
		i > 0 && tolower(substr($0, 1, i - 1)) == f {
			v = substr($0, i + 1); sub(/^[ \t]*/, "", v); print v; exit
		}' "$WORK/$1.hdr"
}

# expect DESC GOT WANT
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi
}

# expect_status DESC WANT CURL-ARGS...
expect_status() {
	local desc=$1 want=$2 got
	shift 2
	got=$(get last "$@")
	expect "$desc: HTTP $want" "$got" "$want"
}

rrdp_fixture() {
	local r=$1 i
	SESSION=5d0c1a52-7e4b-4f7a-9c1e-0123456789ab
	RND=$(openssl rand -hex 16)
	RND2=$(openssl rand -hex 16)
	SD=$r/$SESSION/7/$RND
	mkdir -p "$SD" "$r/$SESSION/8/$RND2"
	{
		echo '<snapshot xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="'$SESSION'" serial="7">'
		for i in $(seq 200); do
			echo "<publish uri=\"rsync://rpki.example.net/repo/a/$i.roa\">$(openssl rand -base64 600 | tr -d '\n')</publish>"
		done
		echo '</snapshot>'
	} >"$SD/snapshot.xml"
	gzip -9 -n -c "$SD/snapshot.xml" >"$SD/snapshot.xml.gz"
	printf '<delta xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="%s" serial="7"><withdraw uri="rsync://rpki.example.net/repo/a/1.roa" hash="%064d"/></delta>\n' \
		"$SESSION" 0 >"$SD/delta.xml"	# no .gz twin: identity only
	echo "secret-state" >"$r/.fixture-state"
	echo "secret-temp" >"$SD/.snapshot.xml.tmp"
	# A link to the instance's config, where a snapshot would be.
	ln -s "$(dirname "$r")/rpkipubd.conf" "$r/$SESSION/8/$RND2/snapshot.xml"
	SNAP=/rrdp/$SESSION/7/$RND/snapshot.xml
	DELTA=/rrdp/$SESSION/7/$RND/delta.xml
}

rrdp_notification() {
	local r=$1
	for _ in $(seq 50); do [ -f "$r/notification.xml" ] && break; sleep 0.1; done
	if [ -f "$r/notification.xml" ]; then
		ok "notification.xml was written by rpkipubd"
	else
		printf '<notification xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="%s" serial="7">\n  <snapshot uri="https://rrdp.example.net%s" hash="%s"/>\n</notification>\n' \
			"$SESSION" "$SNAP" "$(sha256sum "$SD/snapshot.xml" | cut -d ' ' -f 1)" >"$r/.n.tmp"
		mv "$r/.n.tmp" "$r/notification.xml"
		echo "# no RRDP writer: the test wrote notification.xml"
	fi
	sleep 1.1	# Last-Modified is sent once the file's second has passed
}

rrdp_http_checks() {
	local base=$1 mode=$2 r=$R ae p got ORIG NOTIF=$1/rrdp/notification.xml
	local ETAG ETAG_GZ LM SETAG SETAG_GZ SLM gz

	# ---- notification.xml ----
	cp "$r/notification.xml" "$WORK/notif.disk"
	expect "GET notification.xml" "$(get n "$NOTIF")" 200
	cmp -s "$WORK/n.body" "$WORK/notif.disk" && ok "body is the file on disk" ||
		bad "body differs from $r/notification.xml"
	expect "Content-Type" "$(hdr n Content-Type)" "application/xml"
	expect "Cache-Control of notification.xml" "$(hdr n Cache-Control)" "public, max-age=60"
	expect "Vary" "$(hdr n Vary)" "Accept-Encoding"
	expect "no Content-Encoding without Accept-Encoding" "$(hdr n Content-Encoding)" ""
	ETAG=$(hdr n ETag)
	LM=$(hdr n Last-Modified)
	[[ $ETAG =~ ^\"[^\"]+\"$ ]] && ok "strong ETag $ETAG" || bad "ETag '$ETAG'"
	[ -n "$LM" ] && ok "Last-Modified: $LM" || bad "no Last-Modified"

	expect "GET notification.xml, Accept-Encoding: gzip" \
		"$(get ngz -H 'Accept-Encoding: gzip' "$NOTIF")" 200
	expect "Content-Encoding gzip" "$(hdr ngz Content-Encoding)" "gzip"
	gzip -dc <"$WORK/ngz.body" >"$WORK/ngz.plain" 2>/dev/null && cmp -s "$WORK/ngz.plain" "$WORK/notif.disk" &&
		ok "gzip body decompresses to the file" || bad "gzip body is not the file gzipped"
	ETAG_GZ=$(hdr ngz ETag)
	# nginx weakens the tag of what it compresses (W/"..."): still another tag.
	[ -n "$ETAG_GZ" ] && [ "$ETAG_GZ" != "$ETAG" ] && ok "gzip ETag $ETAG_GZ differs from identity" ||
		bad "gzip ETag '$ETAG_GZ' vs identity '$ETAG'"
	expect "Vary on the gzip answer" "$(hdr ngz Vary)" "Accept-Encoding"
	expect "curl --compressed decodes it" "$(get nc --compressed "$NOTIF")" 200
	cmp -s "$WORK/nc.body" "$WORK/notif.disk" && ok "curl --compressed: same bytes" || bad "curl --compressed: body differs"

	for ae in 'gzip;q=0' 'identity' 'br' '*;q=0' 'gzip;q=0, *' 'gzip; q=0.000'; do
		get ae -H "Accept-Encoding: $ae" "$NOTIF" >/dev/null
		expect "Accept-Encoding: $ae -> identity" "$(hdr ae Content-Encoding)" ""
	done
	# nginx's gzip looks for the token "gzip" only: no "*", no "x-gzip".
	gz=('br, gzip;q=0.1' 'GZIP')
	[ "$mode" = embedded ] && gz+=('*' 'x-gzip')
	for ae in "${gz[@]}"; do
		get ae -H "Accept-Encoding: $ae" "$NOTIF" >/dev/null
		expect "Accept-Encoding: $ae -> gzip" "$(hdr ae Content-Encoding)" "gzip"
	done

	# ---- conditional requests ----
	expect "If-None-Match: identity ETag" "$(get c -H "If-None-Match: $ETAG" "$NOTIF")" 304
	[ ! -s "$WORK/c.body" ] && ok "304 has no body" || bad "304 carried a body"
	expect "304 repeats the ETag" "$(hdr c ETag)" "$ETAG"
	expect "304 repeats Cache-Control" "$(hdr c Cache-Control)" "public, max-age=60"
	# nginx's gzip filter adds Vary to 200s only.
	[ "$mode" = embedded ] && expect "304 repeats Vary" "$(hdr c Vary)" "Accept-Encoding"
	expect "If-None-Match: gzip ETag, gzip accepted" \
		"$(get c -H "If-None-Match: $ETAG_GZ" -H 'Accept-Encoding: gzip' "$NOTIF")" 304
	# rpkipubd: another representation, 200.  nginx compares with the
	# identity tag before compressing and answers 304: right too, the
	# client's copy (identity) is current.
	expect "If-None-Match: identity ETag, gzip accepted" \
		"$(get c -H "If-None-Match: $ETAG" -H 'Accept-Encoding: gzip' "$NOTIF")" \
		"$([ "$mode" = embedded ] && echo 200 || echo 304)"
	expect "If-None-Match: a list holding the ETag" \
		"$(get c -H "If-None-Match: \"nope\", W/$ETAG" "$NOTIF")" 304
	expect "If-None-Match: *" "$(get c -H 'If-None-Match: *' "$NOTIF")" 304
	expect "If-None-Match: another tag" "$(get c -H 'If-None-Match: "other"' "$NOTIF")" 200
	expect "If-Modified-Since: Last-Modified" "$(get c -H "If-Modified-Since: $LM" "$NOTIF")" 304
	expect "If-Modified-Since: a later date" \
		"$(get c -H "If-Modified-Since: $(date -u -d '+1 day' '+%a, %d %b %Y %H:%M:%S GMT')" "$NOTIF")" 304
	expect "If-Modified-Since: a day earlier" \
		"$(get c -H "If-Modified-Since: $(date -u -d "$LM - 1 day" '+%a, %d %b %Y %H:%M:%S GMT')" "$NOTIF")" 200
	expect "If-Modified-Since: not a date" "$(get c -H 'If-Modified-Since: yesterday' "$NOTIF")" 200
	expect "If-None-Match (no match) wins over a matching If-Modified-Since" \
		"$(get c -H 'If-None-Match: "other"' -H "If-Modified-Since: $LM" "$NOTIF")" 200

	# ---- HEAD ----
	expect "HEAD notification.xml" "$(get h -I "$NOTIF")" 200
	expect "HEAD: Content-Length is the file size" "$(hdr h Content-Length)" "$(stat -c %s "$WORK/notif.disk")"
	# curl -I writes the headers as the output: anything more is a body.
	cmp -s "$WORK/h.body" "$WORK/h.hdr" && ok "HEAD: no body" || bad "HEAD: a body came"
	expect "HEAD: the GET's ETag" "$(hdr h ETag)" "$ETAG"

	# ---- a replaced notification.xml is seen at once ----
	ORIG=$WORK/notif.orig
	cp -p "$r/notification.xml" "$ORIG"
	{ cat "$ORIG"; echo "<!-- replaced by the test -->"; } >"$r/.n2.tmp"
	mv "$r/.n2.tmp" "$r/notification.xml"
	expect "GET after rename(2) of a new notification.xml" "$(get r "$NOTIF")" 200
	cmp -s "$WORK/r.body" "$r/notification.xml" && ok "the new content is served" ||
		bad "the old content is still served"
	[ "$(hdr r ETag)" != "$ETAG" ] && ok "new ETag $(hdr r ETag)" || bad "ETag unchanged after the file changed"
	expect "the old ETag no longer gets 304" "$(get c -H "If-None-Match: $ETAG" "$NOTIF")" 200
	# A link in its place is not served (O_NOFOLLOW, disable_symlinks).
	ln -s "$ORIG" "$r/.n6.tmp" && mv -T "$r/.n6.tmp" "$r/notification.xml"
	expect_status "notification.xml as a symbolic link" 404 "$NOTIF"
	cp -p "$ORIG" "$r/.n3.tmp" && mv "$r/.n3.tmp" "$r/notification.xml"	# the writer's again
	expect "GET after the original is back" "$(get r "$NOTIF")" 200
	cmp -s "$WORK/r.body" "$ORIG" && ok "the original content is served again" || bad "original not served"

	# ---- snapshot (with .gz twin) and delta (without) ----
	expect "GET snapshot, gzip accepted" "$(get s -H 'Accept-Encoding: gzip' "$base$SNAP")" 200
	expect "snapshot: Content-Encoding gzip" "$(hdr s Content-Encoding)" "gzip"
	cmp -s "$WORK/s.body" "$SD/snapshot.xml.gz" && ok "snapshot: the .gz twin's bytes" ||
		bad "snapshot: not the .gz twin"
	expect "snapshot: Cache-Control immutable" "$(hdr s Cache-Control)" "public, max-age=31536000, immutable"
	expect "snapshot: Content-Type" "$(hdr s Content-Type)" "application/xml"
	expect "snapshot: Vary" "$(hdr s Vary)" "Accept-Encoding"
	SETAG_GZ=$(hdr s ETag)
	SLM=$(hdr s Last-Modified)
	expect "GET snapshot, identity" "$(get si "$base$SNAP")" 200
	cmp -s "$WORK/si.body" "$SD/snapshot.xml" && ok "snapshot identity: the file's bytes" ||
		bad "snapshot identity differs"
	expect "snapshot identity: no Content-Encoding" "$(hdr si Content-Encoding)" ""
	SETAG=$(hdr si ETag)
	[ -n "$SETAG" ] && [ "$SETAG" != "$SETAG_GZ" ] && ok "snapshot ETags differ by encoding ($SETAG, $SETAG_GZ)" ||
		bad "snapshot ETags '$SETAG' '$SETAG_GZ'"
	expect "snapshot: If-None-Match gzip ETag" \
		"$(get c -H "If-None-Match: $SETAG_GZ" -H 'Accept-Encoding: gzip' "$base$SNAP")" 304
	expect "snapshot 304: Cache-Control" "$(hdr c Cache-Control)" "public, max-age=31536000, immutable"
	expect "snapshot: If-None-Match identity ETag" "$(get c -H "If-None-Match: $SETAG" "$base$SNAP")" 304
	expect "snapshot: If-Modified-Since" "$(get c -H "If-Modified-Since: $SLM" "$base$SNAP")" 304
	expect "snapshot: HEAD" "$(get h -I -H 'Accept-Encoding: gzip' "$base$SNAP")" 200
	expect "snapshot HEAD: Content-Length of the .gz" "$(hdr h Content-Length)" "$(stat -c %s "$SD/snapshot.xml.gz")"
	expect "snapshot: curl --compressed" "$(get sc --compressed "$base$SNAP")" 200
	cmp -s "$WORK/sc.body" "$SD/snapshot.xml" && ok "snapshot --compressed: the XML" ||
		bad "snapshot --compressed differs"
	expect "delta without a .gz twin, gzip accepted" "$(get dl -H 'Accept-Encoding: gzip' "$base$DELTA")" 200
	expect "delta: identity (no twin)" "$(hdr dl Content-Encoding)" ""
	cmp -s "$WORK/dl.body" "$SD/delta.xml" && ok "delta: the file's bytes" || bad "delta differs"

	# ---- keep-alive ----
	curl -sS -v -o /dev/null -o /dev/null "$NOTIF" "$base$SNAP" 2>"$WORK/ka.err"
	grep -q "Re-using existing connection" "$WORK/ka.err" && ok "two requests on one connection" ||
		bad "the connection was not kept alive"

	# ---- 400: query strings (publication-server BCP) ----
	for p in "$NOTIF?x=1" "$NOTIF?" "$base$SNAP?nocache" "$base/rrdp/nothing?x" "$base/rrdp/?"; do
		expect_status "query string: $p" 400 "$p"
	done
	expect_status "query string with POST" 400 -X POST "$NOTIF?x"

	# ---- 405 ----
	for p in POST PUT DELETE OPTIONS PATCH; do
		expect_status "$p notification.xml" 405 -X "$p" "$NOTIF"
		expect "$p: Allow" "$(hdr last Allow)" "GET, HEAD"
		expect_status "$p snapshot" 405 -X "$p" "$base$SNAP"
	done

	# ---- 404: no listings, no dotfiles, no links, no traversal ----
	# nginx resolves dot-segments itself and refuses to climb above the
	# root with 400: neither server may show anything outside the grammar.
	for p in /rrdp/ /rrdp /rrdp/$SESSION/ /rrdp/$SESSION/7/ /rrdp/$SESSION/7/$RND/ \
		/rrdp/notification.xml.gz "$SNAP.gz" /rrdp/.fixture-state /rrdp/.rpkipub-state \
		"/rrdp/$SESSION/7/$RND/.snapshot.xml.tmp" "/rrdp/$SESSION/8/$RND2/snapshot.xml" \
		/ /rpkipubd.conf /rrdp/rpkipubd.conf /rrdp/NOTIFICATION.XML "/rrdp/$SESSION/9/$RND/snapshot.xml" \
		/rrdp/../rpkipubd.conf /rrdp/%2e%2e/rpkipubd.conf /rrdp/%2E%2E/%2E%2E/etc/passwd \
		/rrdp/..%2frpkipubd.conf "/rrdp/$SESSION/7/$RND/%2e%2e/%2e%2e/%2e%2e/%2e%2e/rpkipubd.conf" \
		/rrdp/../../../../../../etc/passwd /rrdp/notification.xml%00 /rrdp/notification.xml%00.gz \
		/rrdp/%2frpkipubd.conf /rrdp/notification%2exml%2egz \
		"/rrdp/$SESSION/7/$RND/..%2f..%2f..%2f..%2frpkipubd.conf"; do
		got=$(get t --path-as-is "$base$p")
		if { [ "$got" = 404 ] || { [ "$mode" = nginx ] && [ "$got" = 400 ]; }; } &&
			! grep -q "secret\|rrdp_listen\|root:" "$WORK/t.body"; then
			ok "$got: $p"
		else
			bad "$p: HTTP $got, want 404 without file content"
		fi
	done
	# Other spellings of notification.xml: rpkipubd takes only the one
	# form (404); nginx normalises them (RFC 3986 section 6.2.2.3) and
	# serves the file.  Either way nothing else.
	for p in /rrdp/./notification.xml //rrdp/notification.xml /rrdp//notification.xml \
		"/rrdp/$SESSION/../notification.xml"; do
		got=$(get t --path-as-is "$base$p")
		if [ "$got" = 404 ] || { [ "$mode" = nginx ] && [ "$got" = 200 ] &&
			cmp -s "$WORK/t.body" "$r/notification.xml"; }; then
			ok "$got: $p"
		else
			bad "$p: HTTP $got"
		fi
	done
	# Percent-escaped unreserved characters are the characters (RFC 3986
	# section 6.2.2.2).
	expect_status "escaped unreserved characters: /rrdp/notification%2Exml" 200 \
		--path-as-is "$base/rrdp/notification%2Exml"
}
