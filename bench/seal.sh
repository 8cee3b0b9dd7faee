#!/usr/bin/env bash
# bench/seal.sh — time crypto/seal.Seal against the stock age CLI.
#
#   bench/seal.sh            1 GiB
#   bench/seal.sh 4          1 GiB and 4 GiB
#
# For each size it creates a random file in a temporary directory, then runs
# "sealbench -r R -o out FILE" (crypto/seal, which also computes the plaintext
# and ciphertext sha256) and "age -r R -o out FILE" under /usr/bin/time -v,
# alternately, REPEAT times each (default 3), and reports wall time, the
# ratio seal/age (best of runs) and peak RSS. Targets: ratio <= 1.2 and peak
# RSS <= 64 MiB. Needs: go, age, /usr/bin/time (apt-get install -y age time).
set -euo pipefail

cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-3}
sizes=(1)
if [[ $# -ge 1 ]]; then sizes+=("$1"); fi

for tool in age age-keygen /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "seal.sh: $tool not found (apt-get install -y age time)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/sealbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/sealbench" ./bench/cmd/sealbench
age-keygen -o "$work/key.txt" 2>/dev/null
R=$(age-keygen -y "$work/key.txt")

# measure CMD...: prints "wall_seconds peak_rss_kib cpu_seconds" for one run
# (cpu = user + system time, which does not depend on how busy the machine is).
measure() {
	local log="$work/time.log"
	/usr/bin/time -v -o "$log" "$@" >/dev/null
	local wall rss cpu
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
		awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
	cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$log")
	echo "$wall $rss $cpu"
}

echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr)"
echo "tools:   $(go version | cut -d' ' -f3), age $(age --version)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-6s %-4s %8s %8s %6s %10s %10s %6s\n' size run seal_s age_s ratio seal_cpu_s age_cpu_s load1
for gib in "${sizes[@]}"; do
	in="$work/in-$gib.bin"
	head -c "$((gib << 30))" /dev/urandom >"$in"
	best_seal=999999 best_age=999999 max_rss_seal=0 max_rss_age=0
	for run in $(seq "$REPEAT"); do
		read -r s_wall s_rss s_cpu < <(measure "$work/sealbench" -r "$R" -o "$work/out-seal.age" "$in")
		rm -f "$work/out-seal.age"
		read -r a_wall a_rss a_cpu < <(measure age -r "$R" -o "$work/out-age.age" "$in")
		rm -f "$work/out-age.age"
		printf '%-6s %-4s %8.2f %8.2f %6.2f %10.2f %10.2f %6s\n' "${gib}GiB" "$run" "$s_wall" "$a_wall" \
			"$(echo "$s_wall / $a_wall" | bc -l)" "$s_cpu" "$a_cpu" "$(cut -d' ' -f1 /proc/loadavg)"
		best_seal=$(echo "if ($s_wall < $best_seal) $s_wall else $best_seal" | bc -l)
		best_age=$(echo "if ($a_wall < $best_age) $a_wall else $best_age" | bc -l)
		((s_rss > max_rss_seal)) && max_rss_seal=$s_rss
		((a_rss > max_rss_age)) && max_rss_age=$a_rss
	done
	printf 'RESULT %sGiB: best seal %.2fs, best age %.2fs, ratio %.2f; peak RSS seal %.1f MiB, age %.1f MiB\n' \
		"$gib" "$best_seal" "$best_age" "$(echo "$best_seal / $best_age" | bc -l)" \
		"$(echo "$max_rss_seal / 1024" | bc -l)" "$(echo "$max_rss_age / 1024" | bc -l)"
	rm -f "$in"
done
