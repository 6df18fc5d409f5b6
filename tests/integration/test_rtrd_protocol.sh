#!/usr/bin/env bash
# rtrd against a scripted router: every PDU type and error path, version
# negotiation, updates, wrap-around, SLURM, slow routers.  The checks are
# in rtr_protocol.py (python3 from Debian, standard library only).
set -u
: "${BIN:?}" "${SRC:?}" "${TMPBASE:?}"
[ -x "$BIN/rtrd" ] || { echo "FAIL - $BIN/rtrd is missing: build first"; exit 1; }
exec /usr/bin/python3 "$SRC/tests/integration/rtr_protocol.py"
