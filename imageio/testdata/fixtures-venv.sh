#!/usr/bin/env bash
# Creates (once) the Python virtual environment with Pillow used by
# make_images.py, pinned by requirements.txt beside this script, and prints
# the path of its python interpreter. Same pattern as tools/golden-venv.sh,
# in its own folder so that the golden venv stays numpy/scipy only.
#
#   PY=$(imageio/testdata/fixtures-venv.sh) && "$PY" imageio/testdata/make_images.py
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${IMAGEIO_FIXTURES_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle/imageio-fixtures-venv}
req="$here/requirements.txt"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$stamp"; then
  echo "fixtures-venv: creating $venv" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  cp "$req" "$stamp"
fi
echo "$venv/bin/python"
