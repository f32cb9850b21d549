#!/usr/bin/env bash
# bench/batch/run.sh — throughput of `stylize batch` on this machine, in
# items per hour (a benchmark, not a test; results in bench/batch/results.md):
#
#   A  one process, -threads 2, the whole manifest;
#   B  a 2-task array: two processes at once, -shard 0/2 and 1/2, -threads 1 each
#      (what `sbatch --array=0-1 --cpus-per-task=1` runs on one node);
#   C  as A, but every item's tv-weight differs by a hair, so that no item can
#      reuse the previous item's graph: C − A is the graph-reuse saving.
#
# Items: ITEMS (default 4) pictures at 512 px, ITERS (default 10) L-BFGS
# iterations each, on the ImageNet VGG16 (make weights). `uptime` is recorded
# before and after each run, since the machine is shared.
#
#   bench/batch/run.sh > bench/batch/results.md
set -euo pipefail
cd "$(dirname "$0")/../.."
ITEMS=${ITEMS:-4}
ITERS=${ITERS:-10}
SIZE=${SIZE:-512}
eval "$(scripts/libtensorflow.sh env)"
weights=$(tools/lpips/run.sh | tail -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/stylize" ./examples/stylize
# chelsea and coffee are both 3:2, so every item has the same output size and
# A can reuse one graph for all items (C cannot).
photos=(chelsea.jpg coffee.jpg chelsea.jpg coffee.jpg)
for i in $(seq 0 $((ITEMS - 1))); do
  cp "examples/images/${photos[$((i % 4))]}" "$work/c$i.jpg"
done
cp examples/images/starry_night.jpg "$work/style.jpg"
manifest() { # $1: folder, $2: 1 to vary the tv-weight per item
  mkdir -p "$1"
  for i in $(seq 0 $((ITEMS - 1))); do
    tv=0.001
    [ "$2" = 1 ] && tv=$(printf '0.00100%d' "$i")
    printf '{"content": "../c%d.jpg", "style": "../style.jpg", "out": "out/%d.png", "options": {"max-size": %d, "iterations": %d, "tv-weight": %s}}\n' \
      "$i" "$i" "$SIZE" "$ITERS" "$tv"
  done >"$1/m.jsonl"
}
now() { date +%s.%N; }
report() { # $1 name, $2 seconds, $3 manifest
  local rate
  rate=$(awk -v n="$ITEMS" -v s="$2" 'BEGIN { printf "%.1f", n * 3600 / s }')
  echo "| $1 | $(printf '%.1f' "$2") | $rate |"
  "$work/stylize" batch -report -manifest "$3" -weights "$weights" | sed 's/^/    /' >>"$work/reports"
}
echo "# stylize batch throughput"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), shared with other work;"
echo "$ITEMS items at $SIZE px, $ITERS L-BFGS iterations each, ImageNet VGG16. Command: \`ITEMS=$ITEMS ITERS=$ITERS bench/batch/run.sh\`."
echo
echo "| run | wall s | items/hour |"
echo "|---|---|---|"
loads=()
manifest "$work/a" 0
loads+=("A before: $(uptime)")
t0=$(now); "$work/stylize" batch -quiet -manifest "$work/a/m.jsonl" -weights "$weights" -threads 2 >"$work/a.log"; t1=$(now)
report "A: one process, 2 threads" "$(echo "$t1 - $t0" | bc)" "$work/a/m.jsonl"
manifest "$work/b" 0
loads+=("B before: $(uptime)")
t0=$(now)
"$work/stylize" batch -quiet -manifest "$work/b/m.jsonl" -weights "$weights" -threads 1 -shard 0/2 >"$work/b0.log" &
p0=$!
"$work/stylize" batch -quiet -manifest "$work/b/m.jsonl" -weights "$weights" -threads 1 -shard 1/2 >"$work/b1.log" &
p1=$!
wait "$p0"; wait "$p1"; t1=$(now)
report "B: 2-task array, 1 thread each" "$(echo "$t1 - $t0" | bc)" "$work/b/m.jsonl"
manifest "$work/c" 1
loads+=("C before: $(uptime)")
t0=$(now); "$work/stylize" batch -quiet -manifest "$work/c/m.jsonl" -weights "$weights" -threads 2 >"$work/c.log"; t1=$(now)
report "C: as A, a new graph for every item" "$(echo "$t1 - $t0" | bc)" "$work/c/m.jsonl"
loads+=("after: $(uptime)")
echo
echo "Load (uptime):"
echo
for l in "${loads[@]}"; do echo "    $l"; done
echo
echo "Reports:"
echo
cat "$work/reports"
