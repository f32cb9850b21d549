#!/usr/bin/env bash
# Quality side by side (issue 12): this library and the PyTorch peer on the
# real ImageNet VGG16 of `make weights`, the same objective (the library's
# default: style relu1_1 … relu5_1, content conv4_2, weights 5/1e4/1e-3, the
# unclamped image as in the peers), the same images at 512 px, with L-BFGS and
# with Adam (learning rate 1). Both read the same PNG pixels and the same
# MatConvNet file (PyTorch through scipy.io.loadmat), so they optimize the
# same function; the optimizers are each implementation's own (this library:
# gonum's L-BFGS with Moré–Thuente line search, TensorFlow's Adam update;
# PyTorch: torch.optim.LBFGS without line search, torch.optim.Adam).
#
#   bench/quality.sh          # about 20–30 minutes on 2 cores
#
# Writes bench/quality/: results.jsonl (one line per run, with the loss and
# the time after every iteration), curves.png (loss against wall time, all
# four runs), side_by_side.png (the four images), and quality.md (the table).
# Settings: OPTS ("lbfgs adam"; a subset re-runs those and keeps the other
# optimizers' lines of results.jsonl), LBFGS_ITERS (50), ADAM_ITERS (100), POOLING (avg, the default), THREADS (2),
# CONTENT (examples/images/coffee.jpg), STYLE (examples/images/starry_night.jpg);
# both images must have 512 px as their longest side (the two defaults do).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
LBFGS_ITERS=${LBFGS_ITERS:-50}
ADAM_ITERS=${ADAM_ITERS:-100}
POOLING=${POOLING:-avg}
THREADS=${THREADS:-2}
OPTS=${OPTS:-"lbfgs adam"}
CONTENT=${CONTENT:-examples/images/coffee.jpg}
STYLE=${STYLE:-examples/images/starry_night.jpg}
size=512

. bench/realsetup.sh
out=bench/quality
mkdir -p "$out"

results=$out/results.jsonl
touch "$results"
for opt in $OPTS; do # drop the lines of the optimizers that run again
  grep -Ev "\"opt\": ?\"$opt\"" "$results" >"$work/keep" || true
  cp "$work/keep" "$results"
done
for opt in $OPTS; do
  iters=$LBFGS_ITERS
  [ "$opt" = adam ] && iters=$ADAM_ITERS
  for impl in go torch; do
    load1=$(cut -d' ' -f1 /proc/loadavg)
    echo "quality: $impl $opt, $iters iterations at $size px (load $load1)" >&2
    case $impl in
      go) line=$("$work/gobench" -weights "$W" -content "$work/content.png" -style "$work/style.png" -size $size \
        -iters "$iters" -opt $opt -pooling "$POOLING" -threads "$THREADS" -out "$out/${impl}_$opt.png") ;;
      torch) line=$("$PY" bench/peer_torch.py --weights "$W" --content "$work/content.png" --style "$work/style.png" \
        --size $size --iters "$iters" --opt $opt --pooling "$POOLING" --threads "$THREADS" --out "$out/${impl}_$opt.png" | tail -n 1) ;;
    esac
    echo "{\"load1\": $load1, \"load1_end\": $(cut -d' ' -f1 /proc/loadavg), \"result\": $line}" >>"$results"
  done
done
"$JPY" bench/quality_report.py "$results" "$out" "$CONTENT" "$STYLE" "$W" > "$out/quality.md"
cat "$out/quality.md"
