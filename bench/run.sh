#!/usr/bin/env bash
# The comparison harness of issue 6: runs the same style-transfer objective in
#   (a) this library (bench/gobench, through package style),
#   (b) TensorFlow 2.18 Python (bench/peer_tf.py: tf.function, variable image,
#       Keras Adam / SciPy L-BFGS-B),
#   (c) PyTorch on the CPU (bench/peer_torch.py: torch.optim.Adam / LBFGS),
# on a full-width VGG19 with deterministic random weights, interleaved (every
# repeat runs each size × optimizer in all three, the order rotating), with
# the same threads. Writes bench/results.md (markdown) and prints it.
#
#   bench/run.sh            # full run, about 25–30 minutes on 2 cores
#   bench/run.sh --setup    # only create the venv and build the Go program
#   REPEATS=1 SIZES="256" bench/run.sh   # a quick look
#
# Settings (environment): REPEATS (3), SIZES ("256 512 1024"), ITERS_256
# (8), ITERS_512 (5), ITERS_1024 (3), REPEATS_1024 (1), OPTS ("adam lbfgs"), THREADS (2),
# INTER (1), BENCH_VENV (the venv folder, created with the pinned versions of
# bench/requirements*.txt on first use; about 4.5 GB, mostly the CUDA
# libraries PyPI's torch wheel links against).
# BF16 (1 where /proc/cpuinfo lists avx512_bf16 or amx_bf16, else 0): also run
# this library with style.WithPrecision(BFloat16) for Adam, after the three
# (a fourth row, not part of the like-for-like ratios).
# BEFORE (unset): the path of another build of bench/gobench (an earlier
# commit: `git worktree add /tmp/before <commit> && (cd /tmp/before && go
# build -o /tmp/gobench-before ./bench/gobench)`), run as a fourth
# implementation in the same rotation, labelled go-before, so that a change
# is measured against the code before it in one run with the peers.
# MAX_LOAD (unset): before each run, wait up to MAX_WAIT (900) seconds for the
# 1-minute load average to fall below it (the load is recorded either way).
# Each process is one transfer; the JSON lines land in bench/results.jsonl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

REPEATS=${REPEATS:-3}
SIZES=${SIZES:-"256 512 1024"}
OPTS=${OPTS:-"adam lbfgs"}
THREADS=${THREADS:-2}
if grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo; then BF16=${BF16:-1}; else BF16=${BF16:-0}; fi
INTER=${INTER:-1}
ITERS_256=${ITERS_256:-8}
ITERS_512=${ITERS_512:-5}
ITERS_1024=${ITERS_1024:-3}
REPEATS_1024=${REPEATS_1024:-1} # one evaluation takes ~20 s at 1024 px on 2 cores
venv=${BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle/bench-venv}

# --- the Python venv, pinned -------------------------------------------------
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cat bench/requirements.txt bench/requirements-torch.txt | cmp -s - "$stamp"; then
  echo "bench: creating $venv (TensorFlow, SciPy, PyTorch CPU; several GB, once)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r bench/requirements-torch.txt
  "$venv/bin/python" - <<'EOF'
import torch, torch.nn.functional as F
x = F.conv2d(torch.ones(1, 3, 8, 8), torch.ones(4, 3, 3, 3), padding=1)
assert float(x[0, 0, 4, 4]) == 27.0, "torch conv2d on the CPU gives a wrong value"
EOF
  cat bench/requirements.txt bench/requirements-torch.txt > "$stamp"
fi
PY="$venv/bin/python"

# --- the Go program ----------------------------------------------------------
eval "$(scripts/libtensorflow.sh env)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/gobench" ./bench/gobench
[ "${1:-}" = "--setup" ] && { echo "bench: ready ($PY, Go program builds)"; exit 0; }

export TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
# Same threads everywhere, also for OpenMP/MKL pools a library might start.
export OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS

machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "$machine" > "$work/machine.txt"
: > "$work/peak.jsonl"
"$work/gobench" -peak -threads "$THREADS" -inter "$INTER" >> "$work/peak.jsonl"

results=bench/results.jsonl
: > "$results"
run_one() { # impl size opt iters
  local impl=$1 size=$2 opt=$3 iters=$4 out
  local load1 waited=0
  load1=$(cut -d' ' -f1 /proc/loadavg)
  # On a shared machine: wait (up to MAX_WAIT s) for the load to fall below MAX_LOAD.
  while [ -n "${MAX_LOAD:-}" ] && [ "$waited" -lt "${MAX_WAIT:-900}" ] && awk -v l="$load1" -v m="$MAX_LOAD" 'BEGIN {exit !(l >= m)}'; do
    sleep 10; waited=$((waited + 10)); load1=$(cut -d' ' -f1 /proc/loadavg)
  done
  local start
  start=$(date -u +%FT%TZ)
  case $impl in
    go)    out=$("$work/gobench" -size "$size" -iters "$iters" -opt "$opt" -threads "$THREADS" -inter "$INTER") ;;
    go-before) out=$("$BEFORE" -size "$size" -iters "$iters" -opt "$opt" -threads "$THREADS" -inter "$INTER" | sed 's/"impl": *"go"/"impl": "go-before"/') ;;
    go-bf16) out=$("$work/gobench" -size "$size" -iters "$iters" -opt "$opt" -threads "$THREADS" -inter "$INTER" -precision bfloat16) ;;
    tf)    out=$(cd bench && "$PY" peer_tf.py --size "$size" --iters "$iters" --opt "$opt" --threads "$THREADS" --inter "$INTER" | tail -n1) ;;
    torch) out=$(cd bench && "$PY" peer_torch.py --size "$size" --iters "$iters" --opt "$opt" --threads "$THREADS" --inter "$INTER" | tail -n1) ;;
  esac
  echo "{\"start\": \"$start\", \"load1\": $load1, \"load1_end\": $(cut -d' ' -f1 /proc/loadavg), \"result\": $out}" >> "$results"
  echo "  $impl $size px $opt (load $load1): $(echo "$out" | (cd bench && "$PY" report.py --line))" >&2
}

impls=(go tf torch)
[ -n "${BEFORE:-}" ] && impls+=(go-before)
n=${#impls[@]}
for r in $(seq 1 "$REPEATS"); do
  echo "bench: repeat $r/$REPEATS" >&2
  for size in $SIZES; do
    var=ITERS_$size
    iters=${!var:-3}
    var=REPEATS_$size
    [ "$r" -le "${!var:-$REPEATS}" ] || continue
    for opt in $OPTS; do
      for k in $(seq 0 $((n - 1))); do # rotate the order so no implementation always runs first
        run_one "${impls[$(( (k + r) % n ))]}" "$size" "$opt" "$iters"
      done
      if [ "$BF16" = 1 ] && [ "$opt" = adam ]; then
        run_one go-bf16 "$size" "$opt" "$iters"
      fi
    done
  done
done
"$work/gobench" -peak -threads "$THREADS" -inter "$INTER" >> "$work/peak.jsonl"

(cd bench && "$PY" report.py results.jsonl "$work/peak.jsonl" "$work/machine.txt") > bench/results.md
cat bench/results.md
