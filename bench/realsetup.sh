# Sourced by the benchmarks on the real ImageNet VGG16 (bench/quality.sh,
# bench/ttq.sh), from the repository root, with THREADS, CONTENT and STYLE
# set: the Python peers' venv ($PY), the judge's venv ($JPY), the weights
# ($W), the TensorFlow environment, a temporary folder ($work, removed on
# exit) holding the gobench binary and the two images as PNGs decoded once
# by Pillow ($work/content.png, $work/style.png), so that every
# implementation reads the same pixels.
bench/run.sh --setup >&2 # the Python peers' venv and a Go build check
venv=${BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle/bench-venv}
PY="$venv/bin/python"
JPY=$(tools/golden-venv.sh bench/requirements-judge.txt judge-venv)
W=$(tools/lpips/run.sh | tail -n 1)
eval "$(scripts/libtensorflow.sh env)"
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
export OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/gobench" ./bench/gobench
"$JPY" -c 'import sys; from PIL import Image; [Image.open(a).convert("RGB").save(b) for a, b in zip(sys.argv[1::2], sys.argv[2::2])]' \
  "$CONTENT" "$work/content.png" "$STYLE" "$work/style.png"
