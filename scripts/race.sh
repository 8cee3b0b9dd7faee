#!/usr/bin/env bash
# scripts/race.sh — go test -race ./..., every test, the Trillian ones included.
#
# Trillian's in-memory storage, which the Trillian tests use in-process, is not race-free
# (its own code reports data races under -race), so under the race detector those tests
# run against the trillian_log_server and trillian_log_signer processes on MariaDB
# instead (ledger/trillianlog/trilliantest: InProcess, build tag race). This script
# starts them with up.sh, unless $EVIDCTL_TRILLIAN already names one, runs the tests,
# and stops what it started (down.sh), also on failure.
#
#   scripts/race.sh                  # all packages
#   scripts/race.sh ./ledger/...     # some
#
# Called by .ci/run. Needs what up.sh needs: Go, the mysql client and a MariaDB/MySQL
# server (see common.sh). Without one, run `go test -race ./...` alone: the Trillian tests
# then skip, saying why, and `go test ./...` runs them without the race detector.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
t0=$SECONDS

if [[ -z ${EVIDCTL_TRILLIAN:-} ]]; then
	# A state directory, database and ports of its own, so that it neither stops nor
	# wipes a Trillian that scripts/trillian/ci.sh or a developer runs.
	export TRILLIAN_STATE=${RACE_TRILLIAN_STATE:-${EVIDCTL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/evidctl}/trillian-race}
	export TRILLIAN_DB=${RACE_TRILLIAN_DB:-evidctl_trillian_race}
	export TRILLIAN_SERVER_RPC=127.0.0.1:18190 TRILLIAN_SERVER_HTTP=127.0.0.1:18191
	export TRILLIAN_SIGNER_RPC=127.0.0.1:18192 TRILLIAN_SIGNER_HTTP=127.0.0.1:18193
	trap 'DROP_DB=1 "$here/trillian/down.sh"' EXIT
	env_file=$("$here/trillian/up.sh")
	# shellcheck disable=SC1090
	. "$env_file"
	echo "race.sh: process Trillian up in $((SECONDS - t0)) s: EVIDCTL_TRILLIAN=$EVIDCTL_TRILLIAN"
fi

# The race detector slows the CLI's scripts (each command is a -race binary) by 5-10x:
# cmd/evidctl's package alone takes close to go test's default 10-minute timeout on 2
# busy cores, so the timeout here is 30 minutes.
#
# One package is built without the detector's instrumentation: golang.org/x/crypto/scrypt,
# a pure function over buffers of its own (no goroutines, no shared state), which every
# command that opens a password-protected key runs over 32 MiB. Instrumented, it took
# 0.63 s a key instead of 0.10 s, a third of cmd/evidctl's scripts' time under -race.
# Every other package, evidctl's own code and the code that calls scrypt included, keeps
# the detector.
go test -race -gcflags='golang.org/x/crypto/scrypt=-race=false' -timeout 30m "${@:-./...}"
echo "race.sh: done in $((SECONDS - t0)) s"
