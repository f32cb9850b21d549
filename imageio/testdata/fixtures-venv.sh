#!/usr/bin/env bash
# Creates (once) the Python virtual environment with Pillow used by
# make_images.py, pinned by requirements.txt beside this script, and prints
# the path of its python interpreter (tools/golden-venv.sh does the work; this
# venv is separate so that the golden venv stays numpy/scipy only).
#
#   PY=$(imageio/testdata/fixtures-venv.sh) && "$PY" imageio/testdata/make_images.py
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../../tools/golden-venv.sh" "$here/requirements.txt" imageio-fixtures-venv
