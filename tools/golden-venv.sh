#!/usr/bin/env bash
# Creates (once) a Python virtual environment with pinned requirements and
# prints the path of its python interpreter. With no arguments it is the
# golden-value venv (numpy/scipy, tools/requirements-golden.txt) used by the
# testdata/*.py scripts; a script that needs other packages passes its own
# requirements file and venv name, so the golden venv stays numpy/scipy only.
#
#   PY=$(tools/golden-venv.sh) && "$PY" vgg/testdata/make_fixtures.py
#   PY=$(tools/golden-venv.sh imageio/testdata/requirements.txt imageio-fixtures-venv)
#
# The venv lives in ${XDG_CACHE_HOME:-~/.cache}/neuralstyle/<name> (GOLDEN_VENV
# overrides the golden one's path) and is rebuilt when the requirements change.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
req=${1:-$here/requirements-golden.txt}
name=${2:-golden-venv}
venv=${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle/$name
if [ $# -eq 0 ] && [ -n "${GOLDEN_VENV:-}" ]; then venv=$GOLDEN_VENV; fi
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$stamp"; then
  echo "golden-venv: creating $venv from $req" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  cp "$req" "$stamp"
fi
echo "$venv/bin/python"
