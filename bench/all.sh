#!/usr/bin/env bash
# bench/all.sh — the benchmark table of issue 14: evidctl against its baseline, one
# row per job, every row measured in the same run with evidctl and its baseline
# alternating, and ONE table printed at the end (Markdown, for docs/BENCHMARKS.md).
#
#   bench/all.sh                      1 GiB of random data, 3 alternating runs per row
#   BENCH_SIZE=4G bench/all.sh        4 GiB (needs ~3x that on disk, in $TMPDIR)
#   BENCH_SIZE=64M BENCH_RUNS=2 bench/all.sh    small mode: checks the script, < 1 min
#
# Environment:
#   BENCH_SIZE  evidence size, as numfmt --from=iec reads it (64M, 1G, 4G); default 1G
#   BENCH_RUNS  alternating runs per row (each row keeps the best of each side); default 3
#   BENCH_EVENTS  events in the bundle of the verification-at-scale row; default 10000
#   BENCH_ONLY_SIZE  set (to anything): only the rows that depend on BENCH_SIZE (for 4G)
#   BENCH_FILES   files of the bulk disclose row; default 10000
#   TMPDIR      where the work directory goes (removed at the end)
#
# evidctl is built once (go build ./cmd/evidctl) and run as it is today (README's
# quickstart commands) against a fresh embedded log, keys and trust policy. Wall time
# is the best of BENCH_RUNS (the load of other processes only ever adds time); peak RSS
# is the largest seen; evidctl's cpu (user + system) is the least of its runs. The ratio
# is evidctl / baseline: below 1 evidctl is faster.
#
# It installs nothing: without age, age-keygen, GNU time (/usr/bin/time), numfmt, bc
# and go it says what is missing and stops (apt-get install -y age time bc).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

size_arg=${BENCH_SIZE:-1G}
runs=${BENCH_RUNS:-3}
events=${BENCH_EVENTS:-10000}

missing=()
for tool in go age age-keygen /usr/bin/time numfmt bc sha256sum sync; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
	echo "all.sh: missing: ${missing[*]} (on Debian: apt-get install -y age time bc coreutils; Go 1.26)" >&2
	exit 2
fi
bytes=$(numfmt --from=iec "$size_arg") || { echo "all.sh: BENCH_SIZE=$size_arg is not a size (64M, 1G, 4G)" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "all.sh: BENCH_RUNS=$runs is not a positive number" >&2; exit 2; }
[[ $events =~ ^[1-9][0-9]*$ ]] || { echo "all.sh: BENCH_EVENTS=$events is not a positive number" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/evidctl-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

echo "building evidctl and preparing $size_arg of evidence in $work ..." >&2
go build -o "$work/evidctl" ./cmd/evidctl
ev="$work/evidctl"
export EVIDCTL_HOME="$work/home" EVIDCTL_PASSWORD="bench-only password"
cd "$work"
run_quiet() { "$@" >/dev/null 2>"$work/setup.err" || { cat "$work/setup.err" >&2; echo "all.sh: setup failed: $*" >&2; exit 1; }; }
run_quiet "$ev" init
run_quiet "$ev" keygen --out lab --age --name "A. Examiner" --org "Bench Lab" --role examiner --jurisdiction FR
run_quiet "$ev" trust init --trust trust.json
run_quiet "$ev" trust add-log --trust trust.json
run_quiet "$ev" trust add-signer --trust trust.json --key lab.pub
recipient=$(cat lab.recipient.txt)
head -c "$bytes" /dev/urandom >evidence.bin
printf 'x' >one.bin
run_quiet "$ev" acquire evidence.bin --key lab.key --recipient lab.recipient.txt --out case
run_quiet "$ev" verify case.custody.json --trust trust.json --payload case.age --identity lab.age.txt

# timed CMD...: runs CMD once, output discarded; sets T (wall seconds), CPU (user +
# system seconds, which the load of other processes inflates far less than T) and RSS
# (peak, KiB).
timed() {
	local t0 t1 u sy
	t0=$EPOCHREALTIME
	if ! /usr/bin/time -f '%M %U %S' -o "$work/rss" "$@" >/dev/null 2>"$work/cmd.err"; then
		cat "$work/cmd.err" >&2
		echo "all.sh: failed: $*" >&2
		exit 1
	fi
	t1=$EPOCHREALTIME
	T=$(echo "$t1 - $t0" | bc -l)
	read -r RSS u sy < <(tail -1 "$work/rss")
	CPU=$(echo "$u + $sy" | bc -l)
}

min() { echo "if ($1 < $2) $1 else $2" | bc -l; }
rows=()

# row NAME BASELINE_NAME SETUP EVIDCTL_CMD BASELINE_CMD [TARGET]: BENCH_RUNS
# alternating runs; SETUP (a shell snippet) runs before each command, untimed (removes
# outputs). Without a baseline command, a TARGET (seconds) gives the ratio.
row() {
	local name=$1 bname=$2 setup=$3 ecmd=$4 bcmd=$5 target=${6:-}
	local best_e=999999 best_b=999999 cpu_e=999999 rss_e=0 i base ratio
	for ((i = 1; i <= runs; i++)); do
		eval "$setup"
		timed bash -c "$ecmd"
		best_e=$(min "$T" "$best_e")
		cpu_e=$(min "$CPU" "$cpu_e")
		((RSS > rss_e)) && rss_e=$RSS
		if [[ -n $bcmd ]]; then
			eval "$setup"
			timed bash -c "$bcmd"
			best_b=$(min "$T" "$best_b")
		fi
	done
	eval "$setup"
	base=$bname ratio="—"
	if [[ -n $bcmd ]]; then
		base=$(printf '%s: %.2f s' "$bname" "$best_b")
		ratio=$(printf '**%.2f**' "$(echo "$best_e / $best_b" | bc -l)")
	elif [[ -n $target ]]; then
		base="$bname: $target s"
		ratio=$(printf '**%.2f**' "$(echo "$best_e / $target" | bc -l)")
	fi
	rows+=("$(printf '| %s | %.2f s | %s | %s | %.2f s | %.0f MiB |' "$name" "$best_e" "$base" "$ratio" "$cpu_e" "$(echo "$rss_e / 1024" | bc -l)")")
	echo "  done: $name" >&2
}

echo "measuring ($runs alternating runs per row) ..." >&2
# Each run starts with no dirty pages: plain `age -o F` leaves its whole output to be
# written back, which the kernel would do while the next command runs (evidctl fsyncs
# its outputs, so it leaves none). The sync is untimed, like the rm.
clean='rm -f out.bin age.out acq.custody.json acq.age one.custody.json one.age; sync'
row "verify with decryption (\`verify --payload --identity\`)" "\`age -d -i ID -o /dev/null\`" "$clean" \
	"'$ev' verify case.custody.json --trust trust.json --payload case.age --identity lab.age.txt" \
	"age -d -i lab.age.txt -o /dev/null case.age"
row "verify without identity (\`verify --payload\`)" "\`sha256sum\`" "$clean" \
	"'$ev' verify case.custody.json --trust trust.json --payload case.age" \
	"sha256sum case.age"
row "decrypt (\`decrypt --out\`)" "\`age -d -i ID -o F\`" "$clean" \
	"'$ev' decrypt case.custody.json --payload case.age --identity lab.age.txt --out out.bin" \
	"age -d -i lab.age.txt -o age.out case.age"
row "acquire" "\`age -r R -o F\`" "$clean" \
	"'$ev' acquire evidence.bin --key lab.key --recipient lab.recipient.txt --out acq" \
	"age -r '$recipient' -o age.out evidence.bin"
row "acquire, durable baseline" "\`age -r R -o F && sync F\`" "$clean" \
	"'$ev' acquire evidence.bin --key lab.key --recipient lab.recipient.txt --out acq" \
	"age -r '$recipient' -o age.out evidence.bin && sync age.out"
row "fixed cost: acquire of 1 byte" "—" "$clean" \
	"'$ev' acquire one.bin --key lab.key --recipient lab.recipient.txt --out one" ""
if [[ -z ${BENCH_ONLY_SIZE:-} ]]; then
# A bundle of BENCH_EVENTS events (default 10,000: acquire, accesses, a hand-over
# every tenth event, ECDSA P-256, one log, each event under its own checkpoint), made
# by custody's benchmark builder (TestWriteBundleForBench), with its trust policy.
# Its row has no baseline command: the ratio is against the target time, 1 s.
(cd "$repo" && EVIDCTL_BENCH_BUNDLE=$work EVIDCTL_BENCH_EVENTS=$events go test -count=1 -run '^TestWriteBundleForBench$' ./custody) >"$work/setup.err" 2>&1 ||
	{ cat "$work/setup.err" >&2; echo "all.sh: setup failed: writing the $events-event bundle" >&2; exit 1; }
row "verify a $(printf "%'d" "$events")-event bundle (\`verify --trust\`, no payload)" "target" "" \
	"'$ev' verify '$work/bench.custody.json' --trust '$work/bench-trust.json'" "" 1
# Bulk signed events (custody.Batch): BenchmarkSignedEvents signs and logs batches of
# 1,000 and of 10,000 accesses on the embedded log with an ECDSA P-256 key, end to end;
# the ratio is evidctl's rate over the ~1,000 entries/s Rekor v2 reached on this machine
# with 1,024 clients (above 1 evidctl is faster; the target is 10).
(cd "$repo" && go test -count=1 -run '^$' -bench '^BenchmarkSignedEvents$' -benchtime 10x ./custody) >"$work/events.out" 2>&1 ||
	{ cat "$work/events.out" >&2; echo "all.sh: BenchmarkSignedEvents failed" >&2; exit 1; }
for batch in 1000 10000; do
	# The result line may come after log lines of Tessera's, so follow the sub-benchmark.
	rate=$(awk -v want="batch=$batch-" '/^BenchmarkSignedEvents\//{cur = index($1, want) > 0} /events\/s/{if (cur) r = $(NF-1)} END{print r}' "$work/events.out")
	[[ -n $rate ]] || { cat "$work/events.out" >&2; echo "all.sh: no events/s for batches of $batch" >&2; exit 1; }
	rows+=("$(printf '| bulk signed events/s (`custody.Batch`, embedded log, ECDSA P-256, batches of %s) | %.0f events/s | Rekor v2 here: ~1,000/s | **%.1f×** (target 10×) | — | — |' "$(printf "%'d" "$batch")" "$rate" "$(echo "$rate / 1000" | bc -l)")")
done
echo "  done: bulk signed events/s" >&2
# disclose of BENCH_FILES small files (default 10,000): one batch, one payload per file;
# the ratio is against the target, 5 s (bench/disclose.sh also gives this machine's
# floor for creating as many files).
files=${BENCH_FILES:-10000}
mkdir -p many
for ((i = 1; i <= files; i++)); do printf 'record %d of the production\n' "$i" >"many/r$i.txt"; done
# Each run gets a fresh directory and the last one is moved aside, not removed: on ext4
# without a journal, creating a file skips every inode freed in the last 60 to 300 s
# (see bench/disclose.sh), and removing 10,000 payloads before each run had the next
# run measure that (6.2-6.8 s here, where bench/disclose.sh measured 3.0 s).
n_dis=0
row "disclose of $(printf "%'d" "$files") small files (\`disclose FILE...\`)" "target" 'if [[ -d dis ]]; then mv dis "dis.old.$((++n_dis))"; fi; mkdir dis' \
	"'$ev' disclose many/* --key lab.key --recipient lab.recipient.txt --order-ref PO-BENCH --out dis/po" "" 5
fi

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo
echo "bench/all.sh — $started (UTC), evidctl $rev"
echo "machine: $(nproc) cores ($cpu), $(uname -sr), $(go version | cut -d' ' -f3), age $(age --version)"
echo "evidence: $size_arg ($bytes bytes) of random data; $runs alternating runs per row, best of each side"
echo "load average (1, 5, 15 min): $load_before at start, $load_after at end"
echo
echo "| row | evidctl | baseline | ratio | evidctl cpu | evidctl peak RSS |"
echo "| --- | ---: | --- | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
