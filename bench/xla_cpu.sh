#!/usr/bin/env bash
# bench/xla_cpu.sh — XLA auto-clustering (style.WithXLA, stylize -xla) on
# the CPU: gobench with and without -xla, interleaved, for Adam and L-BFGS
# at 256 and 512 px on the hash-noise pictures shared with the peers
# (ImageNet-free VGG19 with hash weights: the same FLOPs as the real one).
# Per-iteration time is the median over iterations 2…ITERS (the first
# includes XLA's compilation, reported apart). The GPU side is bench/gpu.sh.
#
#   bench/xla_cpu.sh [OUT]     # OUT defaults to bench/xla_cpu.jsonl; report: bench/xla_cpu.md
#
# Takes about 10 minutes on a 2-core machine. Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/xla_cpu.jsonl}
ITERS=${ITERS:-8}
REPEATS=${REPEATS:-2}
SIZES=${SIZES:-"256 512"}
eval "$(scripts/libtensorflow.sh env)"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/gobench" ./bench/gobench
: >"$out"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores; before: $(uptime)" >"${out%.jsonl}.load"
for rep in $(seq "$REPEATS"); do
  for size in $SIZES; do
    for opt in adam lbfgs; do
      for xla in false true; do
        "$bin/gobench" -size "$size" -opt "$opt" -iters "$ITERS" -threads 2 -xla="$xla" 2>/dev/null |
          python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); r["xla"]=sys.argv[1]=="true"; print(json.dumps(r))' "$xla" >>"$out"
        echo "rep $rep size $size $opt xla=$xla done" >&2
      done
    done
  done
done
echo "# after: $(uptime)" >>"${out%.jsonl}.load"
python3 bench/xla_cpu_report.py "$out" >"${out%.jsonl}.md"
cat "${out%.jsonl}.md"
