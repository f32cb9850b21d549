#!/usr/bin/env bash
# The multi-scale goal of issue 6: time for style.WithMultiScale to reach the
# loss that a single-scale run ends at, at SIZE (1024) px. Runs bench/gobench
# twice with L-BFGS on the bundled photographs (chelsea.jpg in the style of
# starry_night.jpg, enlarged to SIZE; the network is the full-width VGG19
# with random weights): once at one scale for ITERS (10) iterations, then
# coarse to fine from MIN (256) px with ITERS iterations per scale, stopping
# at the first full-size iteration whose loss is at or below the first
# run's final loss. Appends the result to bench/multiscale.md and prints it.
# CLAMP (true) is style.WithClampPixels, the library's default.
# About 3 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1024} ITERS=${ITERS:-10} MIN=${MIN:-256} THREADS=${THREADS:-2} CLAMP=${CLAMP:-true}
eval "$(scripts/libtensorflow.sh env)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/gobench" ./bench/gobench
export TF_CPP_MIN_LOG_LEVEL=2
args=(-size "$SIZE" -iters "$ITERS" -opt lbfgs -threads "$THREADS" -inter 1 -clamp-pixels="$CLAMP"
  -content examples/images/chelsea.jpg -style examples/images/starry_night.jpg)
load0=$(cut -d' ' -f1 /proc/loadavg)
"$work/gobench" "${args[@]}" > "$work/single.json"
target=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["loss"])' "$work/single.json")
"$work/gobench" "${args[@]}" -multiscale "$MIN" -target "$target" > "$work/multi.json"
load1=$(cut -d' ' -f1 /proc/loadavg)
python3 - "$work/single.json" "$work/multi.json" "$SIZE" "$ITERS" "$MIN" "$load0" "$load1" "$CLAMP" <<'PY' | tee -a bench/multiscale.md
import json, sys
single, multi = (json.load(open(p)) for p in sys.argv[1:3])
size, iters, low = sys.argv[3:6]
t1 = single["iter_end_s"][-1]
t2 = multi["reached_s"]
print(f"\n### {size} px, L-BFGS, {iters} iterations per scale, clamped pixels {sys.argv[8]} (load {sys.argv[6]} → {sys.argv[7]})\n")
print(f"- one scale: {iters} iterations, {single['evals']} evaluations, final loss {single['loss']:.4g}, {t1:.1f} s")
if t2:
    n = sum(1 for s in multi["scales"] if s == int(size))
    print(f"- coarse to fine from {low} px: loss {multi['loss']:.4g} after {n} full-size iteration(s), "
          f"{multi['evals']} evaluations in all, {t2:.1f} s: {t1 / t2:.2f}× faster")
else:
    print(f"- coarse to fine from {low} px: did not reach {single['loss']:.4g} within {iters} full-size iterations "
          f"(final {multi['loss']:.4g}, {multi['iter_end_s'][-1]:.1f} s)")
PY
