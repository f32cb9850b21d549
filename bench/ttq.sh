#!/usr/bin/env bash
# Time to quality (issue 16): how soon this library reaches the loss of the
# tutorial's recipe, measured in one run on the real ImageNet VGG16 of
# `make weights`, at 512 px, on 2 cores.
#
#   bench/ttq.sh      # about 20–30 minutes on 2 cores, most of it the reference
#
# 1. The reference: the TF 2.18 Python peer (bench/peer_tf.py) runs the
#    tutorial's recipe, Adam with learning rate 1 for ADAM_ITERS (500)
#    iterations from the content image, on the library's default objective
#    (style relu1_1 … relu5_1, content conv4_2, weights 5/1e4/1e-3, average
#    pooling, the unclamped image as in the peers). Its final loss is the
#    target.
# 2. Candidates of this library (bench/gobench), each stopping at the first
#    full-size iteration at or below the target: L-BFGS at one scale;
#    L-BFGS coarse to fine from 256 px (MS_ITERS per scale); style.Fast()
#    (the same from 256 px, 30 per scale); from 128 px; the tutorial's
#    Adam in bfloat16 (up to BF16_ITERS iterations).
#
# Writes bench/ttq/: results.jsonl (one line per run, loss and time after
# every iteration), curves.png (loss against wall time, every run),
# images.png (the reference's and the candidates' results) and ttq.md (the
# table). REFERENCE=DIR takes the reference from an earlier run's folder
# instead of running it (its row is marked "earlier run"). Settings: ADAM_ITERS (500), LBFGS_ITERS (200, the cap at one scale),
# MS_ITERS (50, the iterations of each coarse-to-fine scale and the cap at the last),
# BF16_ITERS (500), THREADS (2), CONTENT (examples/images/coffee.jpg), STYLE
# (examples/images/starry_night.jpg), both with 512 px as their longest side.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
ADAM_ITERS=${ADAM_ITERS:-500}
LBFGS_ITERS=${LBFGS_ITERS:-200}
MS_ITERS=${MS_ITERS:-50}
BF16_ITERS=${BF16_ITERS:-500}
THREADS=${THREADS:-2}
CONTENT=${CONTENT:-examples/images/coffee.jpg}
STYLE=${STYLE:-examples/images/starry_night.jpg}
OUT=${OUT:-bench/ttq}
size=512

mkdir -p "$OUT"
. bench/realsetup.sh

results=$OUT/results.jsonl
: >"$results"
record() { # name, then the command printing one JSON line
  local name=$1 load1 line
  shift
  load1=$(cut -d' ' -f1 /proc/loadavg)
  echo "ttq: $name (load $load1)" >&2
  line=$("$@" | tail -n 1)
  echo "{\"name\": \"$name\", \"load1\": $load1, \"load1_end\": $(cut -d' ' -f1 /proc/loadavg), \"result\": $line}" >>"$results"
}
common=(-weights "$W" -content "$work/content.png" -style "$work/style.png" -size $size -threads "$THREADS")

if [ -n "${REFERENCE:-}" ]; then
  # The reference of an earlier run (its folder): its line, marked, and image.
  head -n 1 "$REFERENCE/results.jsonl" | sed 's/"name": "\([^"]*\)"/"name": "\1, earlier run"/' >"$results"
  [ "$REFERENCE/tf_adam.png" -ef "$OUT/tf_adam.png" ] || cp "$REFERENCE/tf_adam.png" "$OUT/tf_adam.png"
else
  record "TF-Python, Adam lr 1, $ADAM_ITERS iterations (the tutorial)" \
    "$PY" bench/peer_tf.py --weights "$W" --content "$work/content.png" --style "$work/style.png" \
    --size $size --iters "$ADAM_ITERS" --opt adam --threads "$THREADS" --out "$OUT/tf_adam.png"
fi
target=$(head -n 1 "$results" | "$JPY" -c 'import json, sys; print(json.load(sys.stdin)["result"]["loss"])')
echo "ttq: target loss $target" >&2

record "neuralstyle, L-BFGS" "$work/gobench" "${common[@]}" -opt lbfgs -iters "$LBFGS_ITERS" \
  -target "$target" -out "$OUT/go_lbfgs.png"
record "neuralstyle, L-BFGS from 256 px" "$work/gobench" "${common[@]}" -opt lbfgs -iters "$MS_ITERS" \
  -multiscale 256 -target "$target" -out "$OUT/go_lbfgs_ms256.png"
record "neuralstyle, style.Fast() (L-BFGS from 256 px, 30 per scale)" "$work/gobench" "${common[@]}" -fast \
  -target "$target" -out "$OUT/go_fast.png"
record "neuralstyle, L-BFGS from 128 px" "$work/gobench" "${common[@]}" -opt lbfgs -iters "$MS_ITERS" \
  -multiscale 128 -target "$target" -out "$OUT/go_lbfgs_ms128.png"
record "neuralstyle, Adam lr 1 in bfloat16" "$work/gobench" "${common[@]}" -opt adam \
  -precision bfloat16 -iters "$BF16_ITERS" -target "$target" -out "$OUT/go_adam_bf16.png"

"$JPY" bench/ttq_report.py "$results" "$OUT" "$target" "$work/content.png" "$work/style.png" "$W" >"$OUT/ttq.md"
cat "$OUT/ttq.md"
