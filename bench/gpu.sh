#!/usr/bin/env bash
# bench/gpu.sh — the same-run GPU comparison of issue #25: this library
# (bench/gobench built against TF_VARIANT=cuda) against PyTorch on the same
# GPU (bench/peer_torch.py --device cuda, TF32 on and off), interleaved: every
# repeat runs each size × optimizer in every implementation, the order
# rotating. Same objective as bench/run.sh (the full-width VGG19 with hash
# weights, the hash pictures), so no weights file is needed.
#
# On the GPU host (see ../shared/gpu/pack.sh; the programs land in
# /tmp/neuralstyle-gpu/bin):
#   bash .gpu/tools/host.sh && bash bench/gpu.sh
# and the memory model against the measured GPU peaks: python3 bench/gpu_memory.py
# Without a GPU, a dry run of the script itself (the CPU build, tiny sizes):
#   DEVICE=cpu SIZES=64 ITERS=3 REPEATS=1 GOBENCH=/tmp/gobench bench/gpu.sh
#
# Settings (environment): GOBENCH (/tmp/neuralstyle-gpu/bin/gobench), PY
# (python3, with torch and numpy), DEVICE (cuda, or cpu for the dry run),
# SIZES ("512 1024 2048 4096"), OPTS ("adam lbfgs"), ITERS (20 per run),
# REPEATS (2), XLA (1: also the library with -xla), MIXED (1: also the
# library with -precision bfloat16 and float16, Adam only), OUT
# (bench/gpu_results: OUT.jsonl, OUT.md and OUT.png).
set -euo pipefail
cd "$(dirname "$0")/.."
GOBENCH=${GOBENCH:-/tmp/neuralstyle-gpu/bin/gobench}
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
SIZES=${SIZES:-"512 1024 2048 4096"}
OPTS=${OPTS:-"adam lbfgs"}
ITERS=${ITERS:-20}
REPEATS=${REPEATS:-2}
XLA=${XLA:-1}
MIXED=${MIXED:-1}
OUT=$(realpath -m "${OUT:-bench/gpu_results}")
[ -x "$GOBENCH" ] || { echo "gpu.sh: no gobench at $GOBENCH (set GOBENCH)" >&2; exit 1; }
"$PY" -c 'import torch, numpy' || { echo "gpu.sh: $PY lacks torch or numpy (set PY)" >&2; exit 1; }
if [ "$DEVICE" = cuda ]; then
  "$PY" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' || { echo "gpu.sh: torch sees no CUDA device" >&2; exit 1; }
  impls=(go torch-tf32 torch-fp32)
else
  impls=(go torch)
fi
[ "$XLA" = 1 ] && impls+=(go-xla)
[ "$MIXED" = 1 ] && impls+=(go-bf16)
[ "$MIXED" = 1 ] && [ "$DEVICE" = cuda ] && impls+=(go-fp16) # float16 is refused on a CPU
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
gpu=$(command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -n1 || echo "no GPU ($DEVICE dry run)")
echo "{\"machine\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores\", \"gpu\": \"$gpu\", \"date\": \"$(date -u +%FT%TZ)\"}" >"$OUT.jsonl"
run_one() { # impl size opt
  local impl=$1 size=$2 opt=$3 out
  local g=("$GOBENCH" -size "$size" -iters "$ITERS" -opt "$opt" -threads "$(nproc)")
  case $impl in
    go) out=$("${g[@]}") ;;
    go-xla) out=$("${g[@]}" -xla | sed 's/"impl": *"go"/"impl": "go-xla"/') ;;
    go-bf16 | go-fp16)
      [ "$opt" = adam ] || return 0 # mixed precision is Adam's
      out=$("${g[@]}" -precision "$([ "$impl" = go-bf16 ] && echo bfloat16 || echo float16)") ;;
    torch) out=$(cd bench && "$PY" peer_torch.py --size "$size" --iters "$ITERS" --opt "$opt" --device cpu | tail -n1) ;;
    torch-tf32) out=$(cd bench && "$PY" peer_torch.py --size "$size" --iters "$ITERS" --opt "$opt" --device cuda --tf32 on | tail -n1 | sed 's/"impl": *"torch"/"impl": "torch-tf32"/') ;;
    torch-fp32) out=$(cd bench && "$PY" peer_torch.py --size "$size" --iters "$ITERS" --opt "$opt" --device cuda --tf32 off | tail -n1 | sed 's/"impl": *"torch"/"impl": "torch-fp32"/') ;;
  esac
  echo "$out" >>"$OUT.jsonl"
  echo "  $impl $size px $opt: $(echo "$out" | (cd bench && "$PY" report.py --line))" >&2
}
n=${#impls[@]}
for r in $(seq 1 "$REPEATS"); do
  for size in $SIZES; do
    for opt in $OPTS; do
      for k in $(seq 0 $((n - 1))); do
        run_one "${impls[$(((k + r) % n))]}" "$size" "$opt" || echo "  ${impls[$(((k + r) % n))]} $size px $opt failed" >&2
      done
    done
  done
done
(cd bench && "$PY" gpu_report.py "$OUT.jsonl" "$OUT.png") >"$OUT.md"
cat "$OUT.md"
