#!/usr/bin/env bash
# posters.sh — peak RSS and seconds per iteration against size, tiled and
# untiled, on the ImageNet VGG16 (bench/posters; one process per run), then
# the plot bench/posters.png. Appends to bench/posters.jsonl.
#
#   bench/posters.sh                 # the series below
#   RUNS="untiled:512 tiled:1024:256" bench/posters.sh
#
# A run is mode:size[:tile]. Not part of CI (tens of minutes on 2 cores).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
eval "$(scripts/libtensorflow.sh env)"
go build -o bin/posters ./bench/posters
runs=${RUNS:-"untiled:256 untiled:512 tiled:512:256 untiled:768 tiled:768:256 single-pass:768:256 untiled:1024 tiled:1024:256 tiled:1024:512"}
for r in $runs; do
	IFS=: read -r mode size tile <<<"$r"
	echo "== $mode $size ${tile:-auto} (load $(cut -d' ' -f1-3 /proc/loadavg))"
	bin/posters -mode "$mode" -size "$size" -tile "${tile:-0}" -iterations "${ITERATIONS:-3}" -out bench/posters.jsonl
done
bin/posters -plot bench/posters.png -in bench/posters.jsonl
echo "wrote bench/posters.png"
