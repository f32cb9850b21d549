#!/usr/bin/env bash
# bench/gpu_session.sh — every GPU measurement of issue #25 in one command,
# sized for the few minutes of device time a session has left after the
# transfers (see ../shared/gpu/pack.sh and the device tool's README):
#
#   1. bash .gpu/tools/host.sh (unpacks the CUDA build's programs to
#      /tmp/neuralstyle-gpu/bin and links the host's CUDA libraries);
#   2. nvidia-smi, and a 1024 px gobench run: is the GPU used? (device,
#      host_bytes_per_iter);
#   3. mixed precision's accuracy: 100 Adam iterations at 512 px in
#      float32, bfloat16 and float16, each result's loss evaluated in
#      float32 (gobench -loss32; the goal is within 0.1 % of float32's);
#   4. bench/gpu_memory.py: the memory model against the measured GPU peak
#      at 1024, 2048 and 4096 px, both optimizers;
#   5. bench/gpu.sh: this library (also -xla, bfloat16 and float16) against
#      PyTorch TF32 on and off, interleaved, at SIZES.
#
# Everything lands in $OUT (the device tool's output folder), each step's
# log beside its results; a step that fails or runs out of its time is
# logged and the next one runs. On the device, from the checkout:
#
#   bash bench/gpu_session.sh
#
# Without a GPU (a dry run of the script on the CPU build, tiny sizes; PY
# is a Python with torch, such as bench/run.sh's venv):
#   DRY=1 GOBENCH=/tmp/gobench PY=~/.cache/neuralstyle/bench-venv/bin/python bash bench/gpu_session.sh
#
# Settings (environment): OUT ($OUT, else /tmp/gpu-session), SIZES ("1024
# 2048" for step 5), MEM_SIZES (1024,2048,4096 for step 4), ITERS (10, step
# 5), STEP_S (240: the time limit of steps 3, 4 and 5, each, in seconds),
# DRY (0).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-session}
DRY=${DRY:-0}
ITERS=${ITERS:-10}
STEP_S=${STEP_S:-240}
mkdir -p "$OUT"
if [ "$DRY" = 1 ]; then
  GOBENCH=${GOBENCH:-/tmp/gobench}
  SIZES=${SIZES:-64}; MEM_SIZES=${MEM_SIZES:-64,96}; ITERS=3
  gpu_env=(DEVICE=cpu XLA=0)
else
  GOBENCH=${GOBENCH:-/tmp/neuralstyle-gpu/bin/gobench}
  SIZES=${SIZES:-"1024 2048"}; MEM_SIZES=${MEM_SIZES:-1024,2048,4096}
  gpu_env=()
  echo "== host.sh" | tee "$OUT/session.log"
  bash .gpu/tools/host.sh >"$OUT/host.log" 2>&1 || { echo "host.sh failed:"; tail -n 20 "$OUT/host.log"; exit 1; }
  nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1
fi
step() { # name, command...
  local name=$1; shift
  local start=$SECONDS
  echo "== $name" | tee -a "$OUT/session.log"
  "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  echo "   rc $rc after $((SECONDS - start)) s" | tee -a "$OUT/session.log"
  tail -n 15 "$OUT/$name.log"
}
step smoke "$GOBENCH" -size "${SIZES%% *}" -iters 3
precisions() {
  local size=512 iters=100 p
  [ "$DRY" = 1 ] && size=64 iters=5
  for p in float32 bfloat16 float16; do
    [ "$DRY" = 1 ] && [ "$p" = float16 ] && continue # float16 is refused on a CPU
    "$GOBENCH" -size "$size" -iters "$iters" -opt adam -precision "$p" -loss32 -threads "$(nproc)" || echo "$p failed"
  done
}
step precision timeout "$STEP_S" bash -c "$(declare -f precisions); DRY=$DRY GOBENCH=$GOBENCH precisions"
step memory timeout "$STEP_S" python3 bench/gpu_memory.py --gobench "$GOBENCH" --sizes "$MEM_SIZES" --iters 3 --out "$OUT/gpu_memory"
step speed timeout "$STEP_S" env "${gpu_env[@]}" GOBENCH="$GOBENCH" SIZES="$SIZES" ITERS="$ITERS" REPEATS=1 OUT="$OUT/gpu_results" bash bench/gpu.sh
echo "== done; files in $OUT" | tee -a "$OUT/session.log"
ls -la "$OUT"
