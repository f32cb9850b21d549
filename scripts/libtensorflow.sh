#!/usr/bin/env bash
# libtensorflow.sh — installs (once) and locates the TensorFlow C library that
# neuralstyle links against through github.com/wamuir/graft.
#
# Usage:
#   scripts/libtensorflow.sh [install]   make sure the runtime is there; print its folder
#   scripts/libtensorflow.sh env         same, then print `export` lines for CGO_CFLAGS,
#                                        CGO_LDFLAGS (with an rpath) and LIBTENSORFLOW_DIR:
#                                          eval "$(scripts/libtensorflow.sh env)"
#
# Where the runtime comes from:
#   Debian has no TensorFlow package, but the official `tensorflow-cpu` wheel on PyPI
#   carries the C API in tensorflow/libtensorflow_cc.so.2 (next to
#   libtensorflow_framework.so.2) and the C headers under tensorflow/include. This
#   script downloads that wheel with `pip download --no-deps` (no Python install of
#   TensorFlow happens), extracts only the two libraries and the headers the
#   bindings include, adds lib/libtensorflow.so -> libtensorflow_cc.so.2, checks
#   that every C API function the bindings call is exported, and caches the result.
#
# The CUDA variant (TF_VARIANT=cuda):
#   The `tensorflow` wheel on PyPI (not -cpu) is a CUDA build. Its two libraries
#   dlopen the CUDA libraries at run time and search for them with a RUNPATH of
#   $ORIGIN/../nvidia/<name>/lib, the layout of the nvidia-* wheels next to
#   tensorflow/ in a site-packages folder. This script downloads that wheel and
#   the nvidia-* wheels its METADATA pins (extra "and-cuda"), and extracts only
#   their shared libraries into the same layout: lib/ holds the two TensorFlow
#   libraries and nvidia/<name>/lib/ the CUDA ones, so no LD_LIBRARY_PATH is
#   needed and only the NVIDIA driver (libcuda.so.1) comes from the host.
#   Left out: nccl (multi-GPU collectives), cuda-nvcc (ptxas, for XLA's JIT),
#   curand (no op the library runs calls it) and cuda-nvrtc (cuDNN loads it for
#   runtime-compiled kernels, but cuDNN's RUNPATH is its own folder, so it would
#   not find it there; cuDNN then uses its precompiled kernels). Without a GPU
#   or a driver, the CUDA build runs on the CPU. See docs/gpu.md.
#
# Environment:
#   TF_VARIANT           cpu (the default) or cuda. Each variant has its own cache
#                        folder: libtensorflow-<version> and libtensorflow-<version>-cuda.
#   TF_VERSION           wheel version to take (default 2.18.0, the one graft v0.10.0
#                        is generated from). If the registry refuses it, the newest
#                        2.x it offers is taken and the script says which.
#   LIBTENSORFLOW_DIR    use this folder instead of the cache. If it already holds a
#                        libtensorflow — the official C tarball layout (lib/ +
#                        include/) or a wheel's tensorflow/ folder (libtensorflow_cc.so.2
#                        + include/), e.g. a CUDA build — it is used as it is;
#                        if it is missing or empty, the wheel is installed into it.
#   XDG_CACHE_HOME       the default cache is
#                        ${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle/libtensorflow-<version>[-cuda]
#
# Guarantees: idempotent (a second run finds the cache and returns at once);
# an interrupted download or extraction never leaves a folder that looks complete
# (everything is built in a temporary sibling folder and renamed at the end, under
# a lock so concurrent runs do not race).
set -euo pipefail

tmp=""
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
want_version=${TF_VERSION:-2.18.0}
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle
symbols_file="$here/tf_c_api_symbols.txt"
variant=${TF_VARIANT:-cpu}
case "$variant" in
  cpu) wheel_name=tensorflow-cpu suffix="" approx="about 230 MB" ;;
  cuda) wheel_name=tensorflow suffix=-cuda approx="about 615 MB, then 1.4 GB of nvidia-* wheels" ;;
  *) echo "libtensorflow: error: TF_VARIANT=$variant: want cpu or cuda" >&2; exit 1 ;;
esac

say() { echo "libtensorflow: $*" >&2; }
die() { echo "libtensorflow: error: $*" >&2; exit 1; }

ways_out() {
  cat >&2 <<EOF
libtensorflow: two ways out:
  1. make pip available (python3 -m pip, from your distribution's python3-pip package)
     and let this script download the $wheel_name wheel from PyPI; or
  2. point LIBTENSORFLOW_DIR at an existing libtensorflow: the official C library
     tarball unpacked (it has lib/ and include/), a CUDA build, or the tensorflow/
     folder of an installed tensorflow wheel, then run this again:
       export LIBTENSORFLOW_DIR=/path/to/libtensorflow
EOF
}

# layout DIR: prints "tarball" or "wheel" when DIR holds a usable libtensorflow.
layout() {
  local d=$1
  [ -f "$d/include/tensorflow/c/c_api.h" ] || return 1
  if ls "$d"/lib/libtensorflow.so* >/dev/null 2>&1 || [ -e "$d/lib/libtensorflow_cc.so.2" ]; then
    echo tarball
  elif [ -e "$d/libtensorflow_cc.so.2" ]; then
    echo wheel
  else
    return 1
  fi
}

# libdir DIR: the folder that holds the shared libraries.
libdir() { if [ "$(layout "$1")" = wheel ]; then echo "$1"; else echo "$1/lib"; fi; }

# link_dir DIR: a folder with libtensorflow.so for `-ltensorflow`. Our own
# installs and the tarball have it in lib/; a wheel's folder may be read-only,
# so a link is made in the cache instead.
link_dir() {
  local d=$1 l
  l=$(libdir "$d")
  if [ -e "$l/libtensorflow.so" ]; then echo "$l"; return; fi
  local shim="$cache_root/links/$(echo "$d" | sed 's#[^A-Za-z0-9._-]#_#g')"
  mkdir -p "$shim"
  ln -sfn "$l/libtensorflow_cc.so.2" "$shim/libtensorflow.so"
  echo "$shim"
}

find_pip() {
  local py
  for py in python3 python; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -m pip --version >/dev/null 2>&1; then
      echo "$py"; return 0
    fi
  done
  return 1
}

# check_symbols LIBDIR: every C API function graft calls must be exported.
check_symbols() {
  local l=$1 exported missing
  [ -f "$symbols_file" ] || die "missing $symbols_file"
  if command -v nm >/dev/null 2>&1; then
    exported=$(nm -D --defined-only "$l"/libtensorflow*.so* 2>/dev/null | awk '{print $3}' | sed 's/@.*//' | sort -u)
  else
    say "nm not found (binutils); skipping the exported-symbol check"
    return 0
  fi
  missing=$(grep -v '^#' "$symbols_file" | sort -u | comm -23 - <(echo "$exported") | tr '\n' ' ')
  if [ -n "${missing// /}" ]; then
    die "the library in $l does not export these TensorFlow C API functions the Go bindings call: $missing"
  fi
}

# check_runpath DIR: every nvidia/<name>/lib folder that the RUNPATH of the
# TensorFlow libraries names must hold shared libraries (CUDA variant).
check_runpath() {
  local d=$1 f dir missing=""
  command -v readelf >/dev/null 2>&1 || { say "readelf not found (binutils); skipping the RUNPATH check"; return 0; }
  for f in "$d"/lib/libtensorflow_cc.so.2 "$d"/lib/libtensorflow_framework.so.2; do
    for dir in $(readelf -d "$f" | sed -n 's/.*runpath: \[\(.*\)\]/\1/p' | tr ':' '\n' | grep -o 'nvidia/[a-z_]*/lib' | sort -u); do
      ls "$d/$dir"/*.so* >/dev/null 2>&1 || missing="$missing $dir"
    done
  done
  [ -z "$missing" ] || die "the CUDA libraries the TensorFlow RUNPATH expects are missing:$missing"
}

# check_headers DIR: the C headers the bindings include must compile.
check_headers() {
  local inc=$1/include cc=${CC:-cc}
  command -v "$cc" >/dev/null 2>&1 || return 0
  printf '#include "tensorflow/c/c_api.h"\n#include "tensorflow/c/eager/c_api.h"\n' |
    "$cc" -fsyntax-only -x c -I"$inc" - 2>/dev/null ||
    die "the C headers under $inc are incomplete (tensorflow/c/c_api.h or tensorflow/c/eager/c_api.h does not compile)"
}

# download_wheel TMPDIR: pip-downloads the TensorFlow wheel into TMPDIR; prints its path.
download_wheel() {
  local tmp=$1 py out
  py=$(find_pip) || { say "pip is not available, and LIBTENSORFLOW_DIR is not set"; ways_out; exit 1; }
  local args=(-m pip download --no-deps --only-binary=:all: --disable-pip-version-check
    --platform manylinux2014_x86_64 --python-version 3.11 --implementation cp
    --timeout 60 --retries 3 -d "$tmp")
  say "downloading $wheel_name==$want_version from PyPI ($approx; the C library is inside the wheel)"
  if ! out=$("$py" "${args[@]}" "$wheel_name==$want_version" 2>&1); then
    if grep -qiE 'connection|network|timed out|resolve|retrying|ssl' <<<"$out"; then
      echo "$out" | tail -n 3 >&2
      say "could not reach the package registry to download the $wheel_name wheel"; ways_out; exit 1
    elif grep -qiE 'no matching distribution|could not find a version' <<<"$out"; then
      say "the registry refused $wheel_name==$want_version; taking the newest 2.x it offers"
      if ! out=$("$py" "${args[@]}" "$wheel_name>=2,<3" 2>&1); then
        echo "$out" | tail -n 5 >&2
        say "could not download any $wheel_name 2.x wheel"; ways_out; exit 1
      fi
    else
      echo "$out" | tail -n 5 >&2
      say "could not download the $wheel_name wheel (is PyPI reachable?)"; ways_out; exit 1
    fi
  fi
  ls "$tmp"/"${wheel_name//-/_}"-*.whl
}

# cuda_pins WHEEL: the nvidia-* requirements the wheel's METADATA pins for its
# "and-cuda" extra, one "name==version" a line, less the ones we leave out.
cuda_pins() {
  python3 - "$1" <<'PY'
import re, sys, zipfile
skip = {"nvidia-nccl-cu12", "nvidia-cuda-nvcc-cu12", "nvidia-curand-cu12", "nvidia-cuda-nvrtc-cu12"}
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    text = z.read(meta).decode()
pins = re.findall(r"^Requires-Dist: (nvidia-[a-z0-9-]+) ?==([0-9.]+) ?; extra == .and-cuda.", text, re.M)
if not pins:
    sys.exit("libtensorflow: error: the wheel's METADATA pins no nvidia-* packages (extra and-cuda)")
for name, version in pins:
    if name not in skip:
        print(f"{name}=={version}")
PY
}

# download_cuda TMPDIR WHEEL: pip-downloads the pinned nvidia-* wheels.
download_cuda() {
  local tmp=$1 whl=$2 py out pins
  py=$(find_pip)
  pins=$(cuda_pins "$whl") || exit 1
  say "downloading the CUDA libraries TensorFlow pins: $(echo $pins)"
  if ! out=$("$py" -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
    --platform manylinux2014_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_28_x86_64 \
    --python-version 3.11 --implementation cp --timeout 60 --retries 3 -d "$tmp" $pins 2>&1); then
    echo "$out" | tail -n 5 >&2
    say "could not download the nvidia-* wheels (is PyPI reachable?)"; ways_out; exit 1
  fi
}

# install DEST: download the wheel and build DEST atomically.
install() {
  local dest=$1 parent whl version
  [ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] ||
    die "the $wheel_name wheel route supports linux/amd64 only (this is $(uname -s)/$(uname -m)); set LIBTENSORFLOW_DIR to a libtensorflow built for this platform"
  parent=$(dirname "$dest")
  mkdir -p "$parent"
  exec 9>"$parent/.libtensorflow.lock"
  flock 9
  if layout "$dest" >/dev/null 2>&1; then return 0; fi # another run finished it
  rm -rf "$dest".tmp.* 2>/dev/null || true             # leftovers of interrupted runs
  tmp=$(mktemp -d "$dest.tmp.XXXXXX") # global: the EXIT trap needs it
  trap 'rm -rf "$tmp"' EXIT
  whl=$(download_wheel "$tmp/wheel") || exit 1
  version=$(basename "$whl" | cut -d- -f2)
  if [ "$variant" = cuda ]; then download_cuda "$tmp/nvidia" "$whl"; fi
  say "extracting the C library and headers of $wheel_name $version$([ "$variant" = cuda ] && echo ", and the CUDA libraries")"
  mkdir -p "$tmp/out/lib" "$tmp/out/include"
  python3 - "$whl" "$tmp/out" "$tmp"/nvidia/*.whl <<'PY'
import os, shutil, sys, zipfile
whl, out, nvidia = sys.argv[1], sys.argv[2], [w for w in sys.argv[3:] if w.endswith(".whl") and os.path.isfile(w)]  # an unmatched glob stays literal
libs = {"tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"}
# The headers that tensorflow/c/c_api.h and tensorflow/c/eager/c_api.h pull in.
header_prefixes = ("tensorflow/include/tensorflow/c/", "tensorflow/include/xla/tsl/c/",
                   "tensorflow/include/tsl/platform/ctstring",
                   "tensorflow/include/tensorflow/core/platform/ctstring")
found = set()
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        n = info.filename
        if n in libs:
            target = os.path.join(out, "lib", os.path.basename(n)); found.add(n)
        elif n.startswith(header_prefixes) and not n.endswith("/"):
            target = os.path.join(out, "include", n[len("tensorflow/include/"):])
        else:
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
missing = libs - found
if missing:
    sys.exit("libtensorflow: error: the wheel has no " + ", ".join(sorted(missing)))
# The CUDA variant: only the shared libraries of each nvidia-* wheel, at the
# path they have in site-packages (nvidia/<name>/lib/), which is where the
# RUNPATH of the TensorFlow libraries ($ORIGIN/../nvidia/<name>/lib) looks.
for w in nvidia:
    with zipfile.ZipFile(w) as z:
        for info in z.infolist():
            parts = info.filename.split("/")
            if len(parts) == 4 and parts[0] == "nvidia" and parts[2] == "lib" and ".so" in parts[3]:
                target = os.path.join(out, info.filename)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with z.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
PY
  ln -s libtensorflow_cc.so.2 "$tmp/out/lib/libtensorflow.so"
  ln -s libtensorflow_framework.so.2 "$tmp/out/lib/libtensorflow_framework.so"
  echo "$version" >"$tmp/out/VERSION"
  echo "$variant" >"$tmp/out/VARIANT"
  if [ "$variant" = cuda ]; then check_runpath "$tmp/out"; fi
  check_symbols "$tmp/out/lib"
  check_headers "$tmp/out"
  if [ "$version" != "$want_version" ] && [ -z "${LIBTENSORFLOW_DIR:-}" ]; then
    # A fallback version gets its own folder, and the requested name links to
    # it so that the next run finds the cache without asking pip again.
    local final=$cache_root/libtensorflow-$version$suffix
    rm -rf "$final"
    mv "$tmp/out" "$final"
    ln -sfn "libtensorflow-$version$suffix" "$dest"
    dest=$final
  else
    rm -rf "$dest" # an empty folder the user named
    mv "$tmp/out" "$dest"
  fi
  local downloaded
  # (du fails on the unmatched nvidia/*.whl of the CPU variant: not an error.)
  downloaded=$( (du -shc "$tmp"/wheel/*.whl "$tmp"/nvidia/*.whl 2>/dev/null || true) | tail -n 1 | cut -f1)
  rm -rf "$tmp"
  trap - EXIT
  say "installed $wheel_name $version C library in $dest ($(du -sh "$dest" | cut -f1) on disk, $downloaded downloaded)"
}

resolve() {
  local dir
  case "${LIBTENSORFLOW_DIR:-}" in
    # One of our own caches, exported by an earlier `env` (perhaps of the
    # other variant): TF_VARIANT and TF_VERSION choose, not the leftover.
    "$cache_root"/libtensorflow-*) unset LIBTENSORFLOW_DIR ;;
  esac
  if [ -n "${LIBTENSORFLOW_DIR:-}" ]; then
    dir=$LIBTENSORFLOW_DIR
    if layout "$dir" >/dev/null; then echo "$dir"; return; fi
    if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
      die "LIBTENSORFLOW_DIR=$dir holds no libtensorflow: expected lib/libtensorflow.so and include/tensorflow/c/c_api.h (C tarball) or libtensorflow_cc.so.2 and include/tensorflow/c/c_api.h (wheel's tensorflow/ folder)"
    fi
    install "$dir"
  else
    dir=$cache_root/libtensorflow-$want_version$suffix
    if ! layout "$dir" >/dev/null 2>&1; then
      install "$dir"
    fi
  fi
  echo "$dir"
}

cmd=${1:-install}
case "$cmd" in
  install)
    resolve
    ;;
  env)
    dir=$(resolve)
    lib=$(libdir "$dir")
    link=$(link_dir "$dir")
    ldflags="-L$link -Wl,-rpath,$lib"
    echo "export LIBTENSORFLOW_DIR='$dir'"
    echo "export CGO_CFLAGS='-O2 -g -I$dir/include'"
    echo "export CGO_LDFLAGS='$ldflags'"
    # Hide TensorFlow's INFO lines (oneDNN notices) unless the user chose a level.
    echo "export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-1}"
    ;;
  -h | --help | help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    ;;
  *)
    die "unknown command \"$cmd\" (want install or env)"
    ;;
esac
