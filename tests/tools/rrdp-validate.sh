#!/bin/sh
# Validate an RRDP directory against the RFC 8182 section 3.5.4 schema
# (tests/data/rrdp/rrdp.rng) with xmllint: notification.xml and every
# snapshot.xml and delta.xml below DIR, and the decompressed bytes of
# each .gz twin.  Hidden files and directories (state, temporary files)
# are skipped, and so is a file the server's retention removes while
# this runs (it was listed, then vanished).  Exits non-zero if any file
# fails or none was found.
#
# usage: rrdp-validate.sh DIR [SCHEMA]
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 DIR [SCHEMA]" >&2
	exit 2
fi
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
schema=${2:-$here/../data/rrdp/rrdp.rng}

if [ ! -d "$dir" ]; then
	echo "$0: $dir: not a directory" >&2
	exit 2
fi
if [ ! -r "$schema" ]; then
	echo "$0: $schema: cannot read the schema" >&2
	exit 2
fi
command -v xmllint >/dev/null || { echo "$0: xmllint not found" >&2; exit 2; }

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

list=$tmp/files
find "$dir" -name '.*' -prune -o -type f \
    \( -name notification.xml -o -name snapshot.xml -o -name delta.xml \
    -o -name notification.xml.gz -o -name snapshot.xml.gz \
    -o -name delta.xml.gz \) -print | LC_ALL=C sort > "$list"

checked=0
failed=0
vanished=0
while IFS= read -r f; do
	checked=$((checked + 1))
	case $f in
	*.gz)
		if ! gzip -dc -- "$f" > "$tmp/doc.xml" 2> "$tmp/err"; then
			if [ ! -e "$f" ]; then
				vanished=$((vanished + 1))
				checked=$((checked - 1))
				continue
			fi
			echo "FAIL $f: not valid gzip: $(cat "$tmp/err")"
			failed=$((failed + 1))
			continue
		fi
		doc=$tmp/doc.xml
		;;
	*)
		doc=$f
		;;
	esac
	# --nonet: no network; a DOCTYPE is not followed anywhere.
	if ! xmllint --noout --nonet --relaxng "$schema" "$doc" \
	    > "$tmp/err" 2>&1; then
		if [ ! -e "$f" ]; then
			vanished=$((vanished + 1))
			checked=$((checked - 1))
			continue
		fi
		echo "FAIL $f:"
		sed 's/^/    /' "$tmp/err" | head -20
		failed=$((failed + 1))
	fi
done < "$list"

if [ "$checked" -eq 0 ]; then
	echo "FAIL $dir: no RRDP files found"
	exit 1
fi
if [ "$failed" -gt 0 ]; then
	echo "rrdp-validate: $failed of $checked files fail the schema"
	exit 1
fi
echo "rrdp-validate: $checked files valid ($vanished removed while checking)"
exit 0
