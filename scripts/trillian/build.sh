#!/usr/bin/env bash
# scripts/trillian/build.sh — build Trillian's log server, log signer and createtree at
# the version evidctl is tested against, into a cache directory, and print that bin dir.
#
#   scripts/trillian/build.sh            # prints e.g. /root/.cache/evidctl/trillian-v1.8.0/bin
#
# The binaries are built from the Go module (go install MODULE/cmd/X@VERSION, with
# Trillian's own go.mod), so nothing but the Go toolchain and the module proxy is needed.
# A cold build takes about 5 minutes on 2 cores; later runs reuse the cache.
# Environment: TRILLIAN_VERSION (default v1.8.0), EVIDCTL_CACHE (default ~/.cache/evidctl).
set -euo pipefail

version=${TRILLIAN_VERSION:-v1.8.0}
cache=${EVIDCTL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/evidctl}
bin="$cache/trillian-$version/bin"
cmds=(trillian_log_server trillian_log_signer createtree)

missing=()
for c in "${cmds[@]}"; do
	[[ -x $bin/$c ]] || missing+=("github.com/google/trillian/cmd/$c@$version")
done
if ((${#missing[@]})); then
	mkdir -p "$bin"
	echo "build.sh: building ${missing[*]} into $bin (a cold build takes minutes)" >&2
	# Build outside any module so that Trillian's own go.mod decides every version.
	(cd "$bin" && GOBIN="$bin" GOFLAGS=-mod=mod GOWORK=off go install "${missing[@]}")
fi
echo "$bin"
