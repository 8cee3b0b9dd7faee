#!/bin/sh
# Ledger benchmarks, as recorded in docs/BENCHMARKS.md ("## ledger (posixlog)"):
#   - appends/s and single-append latency (p50/p99, to a verified receipt) with 1, 16 and
#     256 concurrent appenders, posixlog beside raw Tessera (Add + publication await) on
#     the same settings, in the same run;
#   - receipt verification from a tree of 10^6 leaves (built in memory).
# Environment: COUNT (repetitions, default 3), BENCHTIME (per append benchmark, default 3s).
set -eu
cd "$(dirname "$0")/.."
count=${COUNT:-3}
benchtime=${BENCHTIME:-3s}
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -srm), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg), $(go version)"
set -x
go test -run '^$' -bench 'BenchmarkAppend' -benchtime "$benchtime" -count "$count" ./ledger/posixlog/
go test -run '^$' -bench 'Receipt' -benchtime 2s -count "$count" ./ledger/
