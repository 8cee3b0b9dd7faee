#!/usr/bin/env bash
# scripts/trillian/down.sh — stop the trillian_log_signer and trillian_log_server that
# up.sh started, by the PIDs it recorded in $TRILLIAN_STATE. DROP_DB=1 also drops the
# database.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
if [[ -f $TRILLIAN_STATE/config ]]; then . "$TRILLIAN_STATE/config"; fi
stop signer
stop server
if [[ ${DROP_DB:-0} == 1 ]]; then
	"${mysql_cli[@]}" -e "DROP DATABASE IF EXISTS \`$TRILLIAN_DB\`;"
fi
echo "down.sh: stopped" >&2
