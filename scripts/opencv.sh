#!/usr/bin/env bash
# opencv.sh — makes sure the OpenCV development files that the video package
# (through gocv.io/x/gocv v0.31.0, `pkg-config: opencv4`) builds against are
# installed. Only `video` and `examples/video` need them; the core packages
# build without OpenCV.
#
# Usage: scripts/opencv.sh            install when missing (Debian/Ubuntu, as root)
#
# Idempotent and quick: when `pkg-config --exists opencv4` succeeds it returns
# at once. Otherwise, on a Debian-like system run as root, it runs
# `apt-get update` and installs libopencv-dev (OpenCV 4.6 on Debian bookworm;
# gocv v0.31.0 wants 4.6, newer gocv releases need OpenCV ≥ 4.7).
# Elsewhere it says which package to install and exits 1.
set -euo pipefail

say() { echo "opencv: $*" >&2; }

if pkg-config --exists opencv4 2>/dev/null; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  say "OpenCV 4 (pkg-config opencv4) is missing and this is not a Debian-like system;"
  say "install OpenCV 4.6's development files (e.g. opencv-devel, or brew install opencv@4) and run again"
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  say "OpenCV 4 (pkg-config opencv4) is missing; run as root, or: sudo apt-get install libopencv-dev"
  exit 1
fi
say "installing libopencv-dev (about 250 MB) with apt-get"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
       apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends libopencv-dev pkg-config; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  say "apt-get failed (the last lines are above)"
  exit 1
fi
pkg-config --exists opencv4 || { say "libopencv-dev installed but pkg-config still finds no opencv4"; exit 1; }
say "OpenCV $(pkg-config --modversion opencv4) installed"
