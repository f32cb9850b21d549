#!/usr/bin/env bash
# bench/converge/run.sh — the convergence measurement behind the default
# stopping rule (style.WithConvergence; docs/convergence.md): 3 photos × 2
# paintings at 512 px, the stylize defaults (L-BFGS, ImageNet VGG16) for 1000
# iterations with the rule off, the image every 25 iterations.
#
#   bench/converge/run.sh [OUT]        # OUT defaults to /tmp/converge
#   PY=$(tools/golden-venv.sh bench/requirements-judge.txt judge-venv)
#   "$PY" bench/converge/analyse.py -weights "$(make -s weights | tail -n 1)" OUT
#
# Two pairs run at once with one TensorFlow thread each (this machine has 2
# cores); every run records its own elapsed time per iteration, so the
# stopping point's time against the 1000-iteration time is a ratio within one
# run. Takes about 80 minutes here.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/converge}
SIZE=${SIZE:-512}
ITERS=${ITERS:-1000}
eval "$(scripts/libtensorflow.sh env)"
weights=$(make -s weights | tail -n 1)
mkdir -p "$out"
go build -o "$out/converge" ./bench/converge
uptime >"$out/uptime.txt"
one() { # $1 photo, $2 painting
  local dir="$out/${1%.jpg}-${2%.jpg}"
  [ -e "$dir/iter$(printf %04d "$ITERS").png" ] && return 0
  "$out/converge" -content "examples/images/$1" -style "examples/images/$2" \
    -weights "$weights" -size "$SIZE" -iterations "$ITERS" -every 25 -threads 1 -out "$dir"
}
export -f one; export out SIZE ITERS weights
for painting in starry_night.jpg scream.jpg; do
  for photo in astronaut.jpg chelsea.jpg coffee.jpg; do echo "$photo $painting"; done
done | xargs -P 2 -L 1 bash -c 'one "$0" "$1"'
uptime >>"$out/uptime.txt"
