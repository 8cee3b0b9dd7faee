#!/usr/bin/env bash
# bench/seal.sh — crypto/seal against the stock age CLI, at sizes a Go benchmark cannot
# hold in memory, through bench/cmd/sealbench (the library alone: no keys to open, no
# signing, no log).
#
#   bench/seal.sh            1 GiB
#   bench/seal.sh 4          1 GiB and 4 GiB
#
# Rows, each REPEAT times (default 3) alternating with its baseline:
#   seal           sealbench seal (Seal: both digests + age)   vs  age -r R -o F
#   seal, durable  sealbench seal -sync (as acquire writes)    vs  age -r R -o F && sync F
#   verify         sealbench verify (Verify: no plaintext out)  vs  age -d -i ID -o /dev/null
#   open           sealbench open (OpenFile: temp, fsync, rename) vs age -d -i ID -o F
# For each: best wall time of each side, their ratio, CPU (user + system, which load
# does not inflate as much as wall time) and peak RSS. Targets (issue 14): seal durable
# <= 1.2, seal <= 1.5 at 4 GiB, verify and open <= 1.2; RSS <= 64 MiB.
# Needs: go, age, age-keygen, /usr/bin/time, bc (apt-get install -y age time bc).
set -euo pipefail

cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-3}
sizes=(1)
if [[ $# -ge 1 ]]; then sizes+=("$1"); fi

for tool in go age age-keygen /usr/bin/time bc; do
	command -v "$tool" >/dev/null || { echo "seal.sh: $tool not found (apt-get install -y age time bc)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/sealbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/sealbench" ./bench/cmd/sealbench
age-keygen -o "$work/key.txt" 2>/dev/null
R=$(age-keygen -y "$work/key.txt")
sb=$work/sealbench

# measure CMD...: sets W (wall s), C (cpu s = user + system), M (peak RSS KiB).
measure() {
	local log="$work/time.log"
	/usr/bin/time -f '%e %U %S %M' -o "$log" bash -c "$*" >/dev/null
	read -r W u s M < <(tail -1 "$log")
	C=$(echo "$u + $s" | bc -l)
}

echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr)"
echo "tools:   $(go version | cut -d' ' -f3), age $(age --version)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at start"
echo
echo "| size | row | crypto/seal | age | ratio | cpu seal / age | peak RSS seal / age |"
echo "| --- | --- | ---: | ---: | ---: | --- | --- |"
row() { # row SIZE NAME SEAL_CMD AGE_CMD CLEAN
	local size=$1 name=$2 scmd=$3 acmd=$4 clean=$5
	local bs=999999 ba=999999 cs=() ca=() ms=0 ma=0 i
	for ((i = 1; i <= REPEAT; i++)); do
		eval "$clean"
		measure "$scmd"
		bs=$(echo "if ($W < $bs) $W else $bs" | bc -l) cs+=("$C")
		((M > ms)) && ms=$M
		eval "$clean"
		measure "$acmd"
		ba=$(echo "if ($W < $ba) $W else $ba" | bc -l) ca+=("$C")
		((M > ma)) && ma=$M
	done
	eval "$clean"
	printf '| %s | %s | %.2f s | %.2f s | **%.2f** | %s / %s s | %.1f / %.1f MiB |\n' "$size" "$name" "$bs" "$ba" \
		"$(echo "$bs / $ba" | bc -l)" "$(IFS=,; echo "${cs[*]}")" "$(IFS=,; echo "${ca[*]}")" \
		"$(echo "$ms / 1024" | bc -l)" "$(echo "$ma / 1024" | bc -l)"
}
for gib in "${sizes[@]}"; do
	in="$work/in.bin" sealed="$work/sealed.age" out="$work/out"
	head -c "$((gib << 30))" /dev/urandom >"$in"
	age -r "$R" -o "$sealed" "$in"
	clean="rm -f '$out'"
	row "${gib} GiB" seal "$sb seal -r $R -o $out $in" "age -r $R -o $out $in" "$clean"
	row "${gib} GiB" "seal, durable" "$sb seal -sync -r $R -o $out $in" "age -r $R -o $out $in && sync $out" "$clean"
	row "${gib} GiB" verify "$sb verify -i $work/key.txt $sealed" "age -d -i $work/key.txt -o /dev/null $sealed" "$clean"
	row "${gib} GiB" open "$sb open -i $work/key.txt -o $out $sealed" "age -d -i $work/key.txt -o $out $sealed" "$clean"
	rm -f "$in" "$sealed"
done
echo
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) at end"
