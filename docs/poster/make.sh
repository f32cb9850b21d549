#!/usr/bin/env bash
# The poster of docs/posters.md: coffee.jpg in the style of The Starry Night at
# 4096×2728 px on the ImageNet VGG16 of `make weights`, in two runs of
# examples/stylize:
#
#   1. coarse to fine up to 2048 px (256, 512, 1024, 2048; ITERS1 = 20
#      L-BFGS iterations each);
#   2. at 4096 px from that result (-init-image), ITERS2 = 3 L-BFGS
#      iterations, every memory setting left at its default: the memory
#      model plans the run against what the machine has available and
#      chooses tiled evaluation by itself.
#
# Writes docs/poster/: whole.jpg (the result downscaled to 1024 px),
# crop.jpg (a 1024×682 window at full resolution), run.txt (both commands,
# their stylize output, wall time and peak RSS from /usr/bin/time -v). The
# full-size result stays in bin/poster_4096.png (not committed: 20 MB).
# About 40 minutes on 2 cores; needs about 19 GB of memory.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
ITERS1=${ITERS1:-20}
ITERS2=${ITERS2:-3}
W=$(tools/lpips/run.sh | tail -n 1)
JPY=$(tools/golden-venv.sh bench/requirements-judge.txt judge-venv)
eval "$(scripts/libtensorflow.sh env)"
go build -o bin/stylize ./examples/stylize
out=docs/poster
log=$out/run.txt
: >"$log"

# timed NAME ARGS...: runs stylize under /usr/bin/time -v, logs the command,
# stylize's lines, and the wall time and peak RSS.
timed() {
  local name=$1
  shift
  echo "\$ stylize $*" >>"$log"
  echo "poster: $name (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  /usr/bin/time -v -o bin/poster_time.txt bin/stylize -weights "$W" -plot "" "$@" | grep -v '^iteration' >>"$log" || {
    cat bin/poster_time.txt >&2
    exit 1
  }
  grep -E 'Elapsed \(wall clock\)|Maximum resident set size' bin/poster_time.txt | sed 's/^\t*/  /' >>"$log"
  echo >>"$log"
}

img=examples/images
timed "2048 px, coarse to fine" -content $img/coffee.jpg -style $img/starry_night.jpg \
  -max-size 2048 -multi-scale 256 -iterations "$ITERS1" -out bin/poster_2048.png
timed "4096 px from it" -content $img/coffee.jpg -style $img/starry_night.jpg \
  -max-size 4096 -init-image bin/poster_2048.png -iterations "$ITERS2" -out bin/poster_4096.png

"$JPY" - <<'PY'
from PIL import Image
im = Image.open("bin/poster_4096.png").convert("RGB")
w, h = im.size
im.resize((1024, round(1024 * h / w)), Image.LANCZOS).save("docs/poster/whole.jpg", quality=90)
# A window at full resolution over the cup's rim and the saucer.
x, y = int(w * 0.30), int(h * 0.06)
im.crop((x, y, x + 1024, y + 682)).save("docs/poster/crop.jpg", quality=92)
print("poster: %dx%d; wrote docs/poster/whole.jpg and crop.jpg" % (w, h))
PY
cat "$log"
