#!/usr/bin/env bash
# bench/serve.sh — appends/s through the ledger server (ledger/server + ledger/httplog,
# signed DSSE envelopes over loopback HTTP) per backend, beside the raw engine in the same
# run, as recorded in docs/BENCHMARKS.md ("## ledger server and Trillian"):
#
#   posix/server      evidctl serve on a posixlog     vs  posix/tessera     Tessera Add + await
#   trillian/server   evidctl serve on trillianlog    vs  trillian/queueleaf  Trillian QueueLeaf
#                                                     and trillian/queue+wait QueueLeaf, poll until integrated
#
# with 64 and 256 closed-loop clients. Starts a Trillian v1.8.0 on MariaDB with
# scripts/trillian/up.sh (building it first if needed) and stops it at the end; set
# NO_TRILLIAN=1 to bench posix only. Environment: BENCHTIME (appends per benchmark,
# default 4000x), COUNT (repetitions, default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -srm), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg), $(go version)"
if [[ ${NO_TRILLIAN:-0} != 1 ]]; then
	trap scripts/trillian/down.sh EXIT
	# shellcheck disable=SC1090
	. "$(scripts/trillian/up.sh)"
	echo "# EVIDCTL_TRILLIAN=$EVIDCTL_TRILLIAN"
fi
set -x
go test -run '^$' -timeout 30m -bench BenchmarkServe -benchtime "${BENCHTIME:-4000x}" -count "${COUNT:-1}" ./ledger/server/ |
	grep --line-buffered -Ev '^I[0-9]{4} '
