#!/usr/bin/env bash
# scripts/trillian/ci.sh — the tests that need real Trillian processes, end to end:
#
#   1. build trillian_log_server, trillian_log_signer, createtree v1.8.0 (cached; build.sh)
#   2. start them on MariaDB/MySQL with a fresh database (up.sh)
#   3. the ledger conformance suite on the process Trillian, directly (trillianlog) and
#      through the ledger server (httplog)
#   4. the load test through the server: 64 clients for $LOAD_DURATION (default 30s)
#   5. the fault test: kill -9 the signer mid-load, restart it, check every receipt
#   6. stop both processes (down.sh), also on failure
#
# Called by .ci/run. Needs Go, the mysql client and a MariaDB/MySQL server (default
# 127.0.0.1:3306, root, no password; see common.sh). LOAD_DURATION=10s shortens step 4.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
t0=$SECONDS
step() { echo "== trillian ci: $* (at $((SECONDS - t0)) s)"; }

step "build"
"$here/build.sh" >/dev/null
step "up"
trap '"$here/down.sh"' EXIT
env_file=$("$here/up.sh")
# shellcheck disable=SC1090
. "$env_file"
echo "EVIDCTL_TRILLIAN=$EVIDCTL_TRILLIAN"

step "conformance on process Trillian (direct and through the server)"
go test -count=1 -run 'Process$' -v ./ledger/trillianlog/ ./ledger/httplog/ | grep -E '^(---|    ---|ok|FAIL|PASS)'

step "CLI: two 'evidctl serve' in front of one tree, and trillian:// directly"
go test -count=1 -run '^TestTrillianScripts$' -v ./cmd/evidctl/ | grep -E '^(---|    ---|ok|FAIL|PASS)|process Trillian'

step "load: 64 clients through the server for ${LOAD_DURATION:-30s}"
EVIDCTL_LOAD=1 EVIDCTL_LOAD_BACKENDS=trillian-process EVIDCTL_LOAD_DURATION=${LOAD_DURATION:-30s} \
	go test -count=1 -run '^TestLoad$' -v ./ledger/server/ | grep -Ev '^(=== |I[0-9]{4} )'

step "fault: kill the signer mid-load"
EVIDCTL_FAULT=1 go test -count=1 -run '^TestSignerFault$' -v ./ledger/server/ | grep -Ev '^(=== |I[0-9]{4} )'

step "done in $((SECONDS - t0)) s"
