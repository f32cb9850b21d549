#!/usr/bin/env bash
# bench/device/compare.sh — the optimizer in the graph against the code
# before it, on the real weights: the same `stylize` run built from BEFORE (a
# commit; default 3be7482, the last commit with the optimizer on the host)
# and from the working tree, one after the other, each under
# /usr/bin/time -v. It prints the final loss, the evaluations, the wall time
# and the peak RSS of each, and writes side.png (before | after) into OUT.
#
#   bench/device/compare.sh                         # 512 px, 100 L-BFGS iterations
#   SIZE=2048 ITERS=20 bench/device/compare.sh      # the peak-RSS comparison
#
# Settings (environment): BEFORE (3be7482), SIZE (512), ITERS (100), OPT
# (lbfgs), CONTENT (docs/gallery/coffee.jpg), STYLE
# (docs/gallery/starry_night.jpg), OUT (a temporary folder, printed).
set -euo pipefail
cd "$(dirname "$0")/../.."
BEFORE=${BEFORE:-3be7482}
SIZE=${SIZE:-512}
ITERS=${ITERS:-100}
OPT=${OPT:-lbfgs}
CONTENT=${CONTENT:-docs/gallery/coffee.jpg}
STYLE=${STYLE:-docs/gallery/starry_night.jpg}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
eval "$(scripts/libtensorflow.sh env)"
weights=$(make -s weights | tail -n 1)
wt=$(mktemp -d)
trap 'git worktree remove --force "$wt" >/dev/null 2>&1 || true' EXIT
git worktree add --detach "$wt" "$BEFORE" >/dev/null 2>&1
(cd "$wt" && go build -o "$OUT/stylize-before" ./examples/stylize)
go build -o "$OUT/stylize-after" ./examples/stylize
label_before="before ($BEFORE)"
label_after="after (working tree at $(git rev-parse --short HEAD))"
for v in before after; do
  label=label_$v
  /usr/bin/time -v "$OUT/stylize-$v" -content "$CONTENT" -style "$STYLE" -weights "$weights" \
    -max-size "$SIZE" -iterations "$ITERS" -optimizer "$OPT" -out "$OUT/$v.png" -v >"$OUT/$v.log" 2>&1
  echo "${!label}: $(grep -o '([0-9]*×[0-9]*, .*final loss [^)]*)' "$OUT/$v.log")," \
    "peak RSS $(awk '/Maximum resident/ {printf "%.2f GiB", $NF / 1048576}' "$OUT/$v.log"); $(grep -h '^host traffic' "$OUT/$v.log" || echo 'no traffic line (before it existed)')"
done
PY=$(tools/golden-venv.sh bench/requirements-judge.txt judge-venv)
"$PY" - "$OUT" <<'PYEOF'
import sys
import numpy as np
from PIL import Image
out = sys.argv[1]
a = Image.open(f"{out}/before.png").convert("RGB")
b = Image.open(f"{out}/after.png").convert("RGB")
w, h = a.size
c = Image.new("RGB", (2 * w + 10, h), "white")
c.paste(a, (0, 0))
c.paste(b, (w + 10, 0))
c.save(f"{out}/side.png")
d = np.abs(np.asarray(a, float) - np.asarray(b, float))
print(f"mean absolute difference {d.mean():.1f} grey levels; side by side: {out}/side.png")
PYEOF
