#!/usr/bin/env bash
# Remakes every picture of the galleries in docs/quality.md with the exact
# commands shown there, on the ImageNet VGG16 of `make weights`, and logs
# each run's time to docs/gallery/times.txt. About an hour on 2 CPU cores.
#
#   docs/gallery/make.sh            # all
#   docs/gallery/make.sh grid       # the 3 photos × 3 paintings only
#   docs/gallery/make.sh features   # the feature comparisons only
#   docs/gallery/make.sh w2         # Gram against W2, max, avg and l2 pooling
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
what=${1:-all}
W=$(tools/lpips/run.sh | tail -n 1)
eval "$(scripts/libtensorflow.sh env)"
export TF_CPP_MIN_LOG_LEVEL=2
go build -o bin/stylize ./examples/stylize
out=docs/gallery
img=examples/images
times=$out/times.txt
touch "$times"

# run NAME ARGS...: one stylization into $out/NAME.jpg, timed.
run() {
  local name=$1 start
  shift
  start=$(date +%s)
  bin/stylize -weights "$W" -quiet -plot "" -quality 90 -out "$out/$name.jpg" "$@"
  printf '%-40s %4d s  load %s  %s\n' "$name" "$(($(date +%s) - start))" "$(cut -d' ' -f1 /proc/loadavg)" "$*" >>"$times"
}

# The grid: 256 px, 100 L-BFGS iterations, and the library's defaults
# otherwise (average pooling, content 5, style 1e4, TV 1e-3, clamped pixels).
base=(-max-size 256 -iterations 100)

if [ "$what" = all ] || [ "$what" = grid ]; then
  for c in chelsea astronaut coffee; do
    for s in starry_night scream the_kiss; do
      run "${c}_$s" -content $img/$c.jpg -style $img/$s.jpg "${base[@]}"
    done
  done
fi

if [ "$what" = all ] || [ "$what" = features ]; then
  c=$img/chelsea.jpg
  s=$img/starry_night.jpg
  # Max pooling (torchvision's VGG16 was trained with it) against the grid's
  # average pooling.
  run chelsea_starry_night_max -content $c -style $s "${base[@]}" -pooling max
  # Adam (learning rate 5, 200 iterations: 200 evaluations, about what 100
  # L-BFGS iterations cost) against L-BFGS.
  run chelsea_starry_night_adam -content $c -style $s -max-size 256 -iterations 200 -optimizer adam -lr 5
  # Original colours: the style's texture in the photo's colours (YUV).
  run chelsea_starry_night_yuv -content $c -style $s "${base[@]}" -original-colors yuv
  # Two styles blended half and half.
  run chelsea_starry_night+scream -content $c -style $s -style $img/scream.jpg -style-weights 0.5,0.5 "${base[@]}"
  # Style masks: The Starry Night on the left half, The Kiss on the right.
  "$(tools/golden-venv.sh bench/requirements-judge.txt judge-venv)" -c '
from PIL import Image, ImageDraw
for name, box in (("left", (0, 0, 225, 300)), ("right", (226, 0, 451, 300))):
    m = Image.new("L", (451, 300), 0)
    ImageDraw.Draw(m).rectangle(box, fill=255)
    m.save("docs/gallery/mask_%s.png" % name)'
  run chelsea_mask_starry_night_the_kiss -content $c -style $s -mask $out/mask_left.png \
    -style $img/the_kiss.jpg -mask $out/mask_right.png "${base[@]}"
  # Coarse to fine up to 1024 px: 256, 512, 1024, 20 iterations each.
  run coffee_starry_night_1024 -content $img/coffee.jpg -style $s -max-size 1024 -multi-scale 256 -iterations 20
fi
if [ "$what" = all ] || [ "$what" = w2 ]; then
  # 2 photos × 2 paintings; Gram with the default (avg) and max pooling, W2
  # with max, avg and l2. 256 px, 60 L-BFGS iterations.
  mkdir -p $out/w2
  for c in chelsea coffee; do
    for s in starry_night scream; do
      for loss in gram w2; do
        pools="max avg l2"
        [ $loss = gram ] && pools="avg max"
        for pool in $pools; do
          run "w2/${c}_${s}_${loss}_$pool" -content $img/$c.jpg -style $img/$s.jpg \
            -max-size 256 -iterations 60 -style-loss $loss -pooling $pool
        done
      done
    done
  done
fi
echo "gallery: done; times in $times"
