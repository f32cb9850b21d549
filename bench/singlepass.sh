#!/usr/bin/env bash
# singlepass.sh — what single-pass tiled evaluation costs in final loss:
# 100 Adam iterations (learning rate 1) untiled, tiled exact and tiled
# single-pass, on the ImageNet VGG16 (bench/posters, one process per run),
# appended to bench/singlepass.jsonl. The single-pass gradient differs from
# the exact one only by its residuals' lag, which does not depend on the
# tiles' geometry, so a small size with small tiles measures it cheaply.
# Each run's progress (the loss after every iteration) is kept in
# bench/singlepass/MODE-SIZE-tileTILE.log for bench/singlepass_plot.py.
#
#   bench/singlepass.sh               # 512 px, 256 px tiles: about 15 minutes on 2 cores
#   MODES="untiled single-pass" SIZE=256 TILE=96 bench/singlepass.sh
#   $(tools/golden-venv.sh bench/requirements-judge.txt judge-venv) bench/singlepass_plot.py  # bench/singlepass.png
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
eval "$(scripts/libtensorflow.sh env)"
export TF_CPP_MIN_LOG_LEVEL=2
go build -o bin/posters ./bench/posters
mkdir -p bench/singlepass
size=${SIZE:-512} tile=${TILE:-256}
for mode in ${MODES:-untiled single-pass tiled}; do
	echo "== $mode $size px, tiles $tile (load $(cut -d' ' -f1-3 /proc/loadavg))"
	bin/posters -mode "$mode" -size "$size" -tile "$tile" -iterations "${ITERATIONS:-100}" -out bench/singlepass.jsonl \
		2> >(tee "bench/singlepass/$mode-$size-tile$tile.log" >&2)
done
