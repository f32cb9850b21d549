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
# iterations each, on the ImageNet VGG16 (make weights). MODES (default
# "A B C") picks the runs and REPEATS (default 1) repeats them in turn, so
# that A and C interleave; with both, the graph-reuse saving is the median
# of C less the median of A. `uptime` is recorded before each run, since
# the machine may be shared.
#
#   bench/batch/run.sh > bench/batch/results.md
#   MODES="A C" REPEATS=3 ITEMS=6 ITERS=5 bench/batch/run.sh   # the graph-reuse saving
set -euo pipefail
cd "$(dirname "$0")/../.."
ITEMS=${ITEMS:-4}
ITERS=${ITERS:-10}
MODES=${MODES:-"A B C"}
REPEATS=${REPEATS:-1}
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
echo "$ITEMS items at $SIZE px, $ITERS L-BFGS iterations each, ImageNet VGG16. Command: \`MODES=\"$MODES\" REPEATS=$REPEATS ITEMS=$ITEMS ITERS=$ITERS bench/batch/run.sh\`."
echo
echo "| run | wall s | items/hour |"
echo "|---|---|---|"
loads=()
run_one() { # $1: A or C, $2: suffix; C varies the tv-weight per item
  local d t0 t1 label="A: one process, 2 threads" vary=0
  if [ "$1" = C ]; then label="C: as A, a new graph for every item"; vary=1; fi
  d="$work/$1$2"
  manifest "$d" "$vary"
  loads+=("$1$2 before: $(uptime)")
  t0=$(now); "$work/stylize" batch -quiet -manifest "$d/m.jsonl" -weights "$weights" -threads 2 >"$d.log"; t1=$(now)
  report "$label" "$(echo "$t1 - $t0" | bc)" "$d/m.jsonl"
  echo "$1 $(echo "$t1 - $t0" | bc)" >>"$work/times"
}
run_b() {
  manifest "$work/b$1" 0
  loads+=("B$1 before: $(uptime)")
  local t0 t1 p0 p1
  t0=$(now)
  "$work/stylize" batch -quiet -manifest "$work/b$1/m.jsonl" -weights "$weights" -threads 1 -shard 0/2 >"$work/b0$1.log" &
  p0=$!
  "$work/stylize" batch -quiet -manifest "$work/b$1/m.jsonl" -weights "$weights" -threads 1 -shard 1/2 >"$work/b1$1.log" &
  p1=$!
  wait "$p0"; wait "$p1"; t1=$(now)
  report "B: 2-task array, 1 thread each" "$(echo "$t1 - $t0" | bc)" "$work/b$1/m.jsonl"
  echo "B $(echo "$t1 - $t0" | bc)" >>"$work/times"
}
: >"$work/times"
for r in $(seq 1 "$REPEATS"); do
  for m in $MODES; do
    case $m in A | C) run_one "$m" "_$r" ;; B) run_b "_$r" ;; esac
  done
done
loads+=("after: $(uptime)")
if grep -q '^A ' "$work/times" && grep -q '^C ' "$work/times"; then
  echo
  awk -v n="$ITEMS" '
    function median(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
    $1 == "A" { a[++na] = $2 } $1 == "C" { c[++nc] = $2 }
    END { ma = median(a, na); mc = median(c, nc)
      printf "Graph reuse: median wall time A %.1f s, C %.1f s over %d and %d runs: C − A = %.1f s for %d graphs not built, %.2f s per item; A is %.1f %% faster.\n", ma, mc, na, nc, mc - ma, n - 1, (mc - ma) / (n - 1), 100 * (mc - ma) / mc }' "$work/times"
fi
echo
echo "Load (uptime):"
echo
for l in "${loads[@]}"; do echo "    $l"; done
echo
echo "Reports:"
echo
cat "$work/reports"
