#!/usr/bin/env bash
# scripts/trillian/signer.sh stop|kill|start — stop (TERM), kill (KILL) or start again the
# trillian_log_signer that up.sh started (used by the fault test).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
. "$TRILLIAN_STATE/config"
. "$here/common.sh" # recompute derived settings from the recorded config
case ${1:-} in
stop) stop signer ;;
kill)
	if [[ -f $TRILLIAN_STATE/signer.pid ]]; then
		kill -9 "$(<"$TRILLIAN_STATE/signer.pid")" 2>/dev/null || true
		rm -f "$TRILLIAN_STATE/signer.pid"
	fi
	;;
start) start_signer ;;
*)
	echo "usage: signer.sh stop|kill|start" >&2
	exit 2
	;;
esac
