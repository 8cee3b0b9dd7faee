#!/usr/bin/env bash
# scripts/trillian/up.sh — start a Trillian v1.8.0 on MariaDB/MySQL for tests and benchmarks.
#
#   scripts/trillian/up.sh && . ~/.cache/evidctl/trillian-run/env
#
# Builds (or reuses) the binaries (build.sh); (re)creates the database $TRILLIAN_DB
# (default evidctl_trillian) from Trillian's storage/mysql/schema/storage.sql; starts
# trillian_log_server and trillian_log_signer (--force_master: the only signer) on
# loopback ports; creates a log tree (createtree --max_root_duration=0); and writes
# $TRILLIAN_STATE/env (default ~/.cache/evidctl/trillian-run/env):
#
#   EVIDCTL_TRILLIAN=127.0.0.1:18090/TREE_ID       what the Go tests read
#   EVIDCTL_TRILLIAN_SIGNER_CTL=.../signer.sh      stop/start the signer (fault test)
#
# Logs and PID files are in $TRILLIAN_STATE; scripts/trillian/down.sh stops both. Needs a
# running MariaDB or MySQL (default 127.0.0.1:3306, user root, no password; see
# common.sh for the variables) and the mysql client.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
TRILLIAN_BIN=$("$here/build.sh")
export TRILLIAN_BIN
. "$here/common.sh"

mkdir -p "$TRILLIAN_STATE"
"$here/down.sh" >/dev/null 2>&1 || true

schema=$(cd "$here/../.." && go list -m -f '{{.Dir}}' github.com/google/trillian 2>/dev/null || true)/storage/mysql/schema/storage.sql
if [[ ! -f $schema ]]; then
	schema=$(GOFLAGS=-mod=mod go mod download -json github.com/google/trillian@v1.8.0 | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')/storage/mysql/schema/storage.sql
fi
echo "up.sh: database $TRILLIAN_DB on $MYSQL_HOST:$MYSQL_PORT from $schema" >&2
"${mysql_cli[@]}" -e "DROP DATABASE IF EXISTS \`$TRILLIAN_DB\`; CREATE DATABASE \`$TRILLIAN_DB\`;"
"${mysql_cli[@]}" "$TRILLIAN_DB" <"$schema"

cat >"$TRILLIAN_STATE/config" <<CONF
TRILLIAN_BIN=$TRILLIAN_BIN
TRILLIAN_DB=$TRILLIAN_DB
MYSQL_HOST=$MYSQL_HOST
MYSQL_PORT=$MYSQL_PORT
MYSQL_USER=$MYSQL_USER
TRILLIAN_SERVER_RPC=$TRILLIAN_SERVER_RPC
TRILLIAN_SERVER_HTTP=$TRILLIAN_SERVER_HTTP
TRILLIAN_SIGNER_RPC=$TRILLIAN_SIGNER_RPC
TRILLIAN_SIGNER_HTTP=$TRILLIAN_SIGNER_HTTP
TRILLIAN_SEQUENCER_INTERVAL=$TRILLIAN_SEQUENCER_INTERVAL
TRILLIAN_BATCH_SIZE=$TRILLIAN_BATCH_SIZE
TRILLIAN_SIGNER_MAX_CONNS=$TRILLIAN_SIGNER_MAX_CONNS
CONF

start server "$TRILLIAN_BIN/trillian_log_server" \
	--storage_system=mysql --mysql_uri="$mysql_uri" --quota_system=mysql \
	--rpc_endpoint="$TRILLIAN_SERVER_RPC" --http_endpoint="$TRILLIAN_SERVER_HTTP" \
	--mysql_max_conns="$TRILLIAN_SERVER_MAX_CONNS" --logtostderr
wait_port "$TRILLIAN_SERVER_RPC"
start_signer

tree=$("$TRILLIAN_BIN/createtree" --admin_server="$TRILLIAN_SERVER_RPC" --max_root_duration=0 \
	--display_name=evidctl 2>>"$TRILLIAN_STATE/createtree.log")
cat >"$env_file" <<ENV
export EVIDCTL_TRILLIAN=$TRILLIAN_SERVER_RPC/$tree
export EVIDCTL_TRILLIAN_SIGNER_CTL=$here/signer.sh
export TRILLIAN_STATE=$TRILLIAN_STATE
ENV
echo "up.sh: trillian_log_server pid $(<"$TRILLIAN_STATE/server.pid") on $TRILLIAN_SERVER_RPC, signer pid $(<"$TRILLIAN_STATE/signer.pid"), tree $tree; env in $env_file" >&2
echo "$env_file"
