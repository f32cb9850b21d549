#!/usr/bin/env bash
# Creates (once) the Python virtual environment used to regenerate golden
# values and fixtures, with the pinned versions in tools/requirements-golden.txt,
# and prints the path of its python interpreter.
#
#   PY=$(tools/golden-venv.sh) && "$PY" vgg/testdata/make_fixtures.py
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${GOLDEN_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle/golden-venv}
req="$here/requirements-golden.txt"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$stamp"; then
  echo "golden-venv: creating $venv" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  cp "$req" "$stamp"
fi
echo "$venv/bin/python"
