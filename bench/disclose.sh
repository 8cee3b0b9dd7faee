#!/usr/bin/env bash
# bench/disclose.sh — issue 14, bulk signed events: `evidctl disclose` of many small
# files (one batch of signed, logged events, one sealed payload per file) against the
# 5 s target for 10,000 files, and the floor this machine's file system sets: creating
# as many empty files (evidctl creates one payload per file, and must).
#
#   bench/disclose.sh                 10,000 files, 3 runs, best kept
#   BENCH_FILES=1000 BENCH_RUNS=1 bench/disclose.sh
#
# evidctl is built once and run against a fresh home (embedded log, ECDSA P-256 key),
# as bench/all.sh does. Needs go and bc.
set -euo pipefail
cd "$(dirname "$0")/.."
files=${BENCH_FILES:-10000}
runs=${BENCH_RUNS:-3}
[[ $files =~ ^[1-9][0-9]*$ ]] || { echo "disclose.sh: BENCH_FILES=$files is not a positive number" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "disclose.sh: BENCH_RUNS=$runs is not a positive number" >&2; exit 2; }
for tool in go bc; do command -v "$tool" >/dev/null || { echo "disclose.sh: missing: $tool" >&2; exit 2; }; done

work=$(mktemp -d "${TMPDIR:-/tmp}/evidctl-disclose.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/evidctl" ./cmd/evidctl
ev="$work/evidctl"
export EVIDCTL_HOME="$work/home" EVIDCTL_PASSWORD="bench-only password"
cd "$work"
quiet() { "$@" >/dev/null 2>"$work/setup.err" || { cat "$work/setup.err" >&2; echo "disclose.sh: setup failed: $*" >&2; exit 1; }; }
quiet "$ev" init
quiet "$ev" keygen --out provider --age --name "P. Compliance" --org "Bench Provider" --role "compliance officer" --jurisdiction IE
quiet "$ev" trust init --trust trust.json
quiet "$ev" trust add-log --trust trust.json
quiet "$ev" trust add-signer --trust trust.json --key provider.pub
mkdir many
for ((i = 1; i <= files; i++)); do printf 'record %d of the production\n' "$i" >"many/r$i.txt"; done

# Each run writes into directories of its own, and nothing is removed until the end:
# on ext4 without a journal, creating a file skips every inode freed in the last 60 to
# 300 s (the kernel's recently_deleted check), so a run that follows the removal of
# the previous run's 10,000 payloads measures that removal, not evidctl.
best=999999 floor=999999 cpu=
TIMEFORMAT='%R %U %S'
for ((r = 1; r <= runs; r++)); do
	mkdir "out$r" "empty$r"
	{ time "$ev" disclose many/* --key provider.key --recipient provider.recipient.txt --order-ref PO-BENCH --out "out$r/po" >/dev/null; } 2>"$work/time"
	read -r wall user sys <"$work/time"
	cpu+="${cpu:+, }$wall s ($user user + $sys sys)"
	best=$(echo "t = $wall; if (t < $best) t else $best" | bc -l)
	t0=$EPOCHREALTIME
	for ((i = 1; i <= files; i++)); do : >"empty$r/r$i.age"; done
	t1=$EPOCHREALTIME
	floor=$(echo "t = $t1 - $t0; if (t < $floor) t else $floor" | bc -l)
done
"$ev" verify out1/po.custody.json --trust trust.json >/dev/null
printf '# %s, %s cores, load: %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'disclose of %d files: %.2f s (%.0f events/s end to end; target 5 s for 10,000)\n' "$files" "$best" "$(echo "$files / $best" | bc -l)"
printf 'each run, wall (cpu): %s\n' "$cpu"
printf 'floor, creating %d empty files here: %.2f s\n' "$files" "$floor"
