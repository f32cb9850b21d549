"""Shared pieces of the Python peers of the comparison harness (bench/).

The network weights and the images are made from the same counter-based hash
as bench/gobench/main.go, so all three implementations optimize bit-identical
inputs, and their losses after one Adam step agree (run.sh prints them).
The objective is the library's default, spelled out here:

  style   relu1_1 … relu5_1, weight 0.2 each, normalized to sum 1 and divided
          by the number of layers (neural-style-tf's sum_style_losses):
          E_l = Σ(Ĝ_x − Ĝ_s)² / (4·N²) with mean Grams Ĝ = FᵀF / M
  content conv4_2, E = Σ(F_x − F_c)² / (2·√N·√M)  (content_loss_function 1)
  tv      Σ|x[i+1,j] − x[i,j]| + Σ|x[i,j+1] − x[i,j]|  (tf.image.total_variation)
  total   5·content + 1e4·style + 1e-3·tv, average pooling, 3×3 SAME convs
"""

import argparse
import json
import math
import resource
import sys

import numpy as np

MEAN = np.array([123.68, 116.779, 103.939], dtype=np.float32)
BLOCKS = [(2, 64), (2, 128), (4, 256), (4, 512), (4, 512)]
STYLE_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
CONTENT_LAYER = "conv4_2"
CONTENT_WEIGHT, STYLE_WEIGHT, TV_WEIGHT = 5.0, 1e4, 1e-3
LAYER_WEIGHT = 0.2 / 1.0 / len(STYLE_LAYERS)  # 0.2 normalized over 5 layers, / L


def hash32(i):
    """The 'lowbias32' integer hash of a uint32 array (as gobench's hash32)."""
    i = np.asarray(i, dtype=np.uint64) & 0xFFFFFFFF
    i ^= i >> 16
    i = (i * 0x7FEB352D) & 0xFFFFFFFF
    i ^= i >> 15
    i = (i * 0x846CA68B) & 0xFFFFFFFF
    i ^= i >> 16
    return i


def uniform(seed, n):
    """n float32 values uniform in [-1, 1) from stream seed."""
    h = hash32(np.arange(n, dtype=np.uint64) ^ hash32(seed))
    return (h >> 8).astype(np.float32) / np.float32(1 << 23) - np.float32(1)


def layer_names():
    """The layers up to relu5_1 in network order: (name, kind, conv index)."""
    out, conv = [], 0
    for b, (n, _) in enumerate(BLOCKS):
        for i in range(1, n + 1):
            out.append((f"conv{b+1}_{i}", "conv", conv))
            out.append((f"relu{b+1}_{i}", "relu", conv))
            conv += 1
            if b == 4:  # block 5 is needed up to relu5_1 only
                return out
        out.append((f"pool{b+1}", "pool", None))
    return out


def weights():
    """The 13 kernels (HWIO float32) and biases of conv1_1 … conv5_1."""
    out, cin, layer = [], 3, 0
    for n, ch in BLOCKS:
        for _ in range(n):
            k = uniform(100 + layer, 9 * cin * ch).reshape(3, 3, cin, ch)
            k *= np.float32(math.sqrt(6 / (9 * cin)))
            out.append((k, np.zeros(ch, np.float32)))
            cin, layer = ch, layer + 1
    return out[:13]


def picture(size, seed):
    """size×size×3 uint8 image of stream seed (as gobench's Picture)."""
    n = size * size * 3
    return (hash32(np.arange(n, dtype=np.uint64) ^ hash32(seed)) >> 24).astype(np.uint8).reshape(size, size, 3)


def images(size, mean=MEAN):
    """The content and style images as NHWC float32, mean subtracted."""
    c = picture(size, 1).astype(np.float32) - mean
    s = picture(size, 2).astype(np.float32) - mean
    return c[None], s[None]


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(impl, size, opt, iters, evals, iter_end, losses, threads, **extra):
    """Prints one JSON line; extra fields (a peer's device, say) are added as they are."""
    json.dump({"impl": impl, "size": size, "opt": opt, "iters": iters, "evals": evals,
               "iter_end_s": iter_end, "loss1": losses[0] if losses else None,
               "loss": losses[-1] if losses else None, "losses": losses,
               "peak_rss_mb": peak_rss_mb(), "threads": threads, **extra}, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()


def parse_args(description, extra=None):
    """The command line both peers take: size, iterations, optimizer, threads,
    and optionally a real network and real images (bench/quality.sh).
    extra(ap), if given, adds a peer's own arguments."""
    ap = argparse.ArgumentParser(description=description)
    if extra:
        extra(ap)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--opt", choices=["adam", "lbfgs"], default="adam")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--inter", type=int, default=1)
    ap.add_argument("--weights", help="MatConvNet file (default: the hash-weight VGG19 shared with gobench)")
    ap.add_argument("--content", help="content image, already at --size (longest side); default the hash picture")
    ap.add_argument("--style", help="style image, already at --size (longest side); default the hash picture")
    ap.add_argument("--pooling", choices=["avg", "max"], default="avg")
    ap.add_argument("--out", help="save the result image here (PNG)")
    return ap.parse_args()


def network(a):
    """(layers, weights, mean): the layer list up to relu5_1 as layer_names()
    gives it, the kernels (HWIO float32) and biases, and the mean pixel. With
    --weights, read from the MatConvNet file (new layout, as
    tools/lpips/convert.py writes it) with scipy; else the hash VGG19."""
    if not a.weights:
        return layer_names(), weights(), MEAN
    import scipy.io as sio
    d = sio.loadmat(a.weights)
    layers, ws = [], []
    for el in d["layers"][0]:
        el = el[0, 0]
        name, kind = str(el["name"][0]), str(el["type"][0])
        if kind == "conv":
            w = el["weights"][0]
            layers.append((name, "conv", len(ws)))
            ws.append((w[0].astype(np.float32), w[1].reshape(-1).astype(np.float32)))
        elif kind == "relu":
            layers.append((name, "relu", len(ws) - 1))
        elif kind == "pool":
            layers.append((name, "pool", None))
        if name == "relu5_1":
            break
    mean = d["meta"][0, 0]["normalization"][0, 0]["averageImage"].reshape(-1)[:3].astype(np.float32)
    return layers, ws, mean


def real_images(a, mean):
    """The content and style images as NHWC float32, mean subtracted, or the
    hash pictures. Real images must already have --size as their longest
    side, so that no implementation resamples them."""
    if not a.content:
        return images(a.size, mean)
    from PIL import Image
    out = []
    for path in (a.content, a.style):
        im = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)
        if max(im.shape[:2]) != a.size:
            sys.exit("%s: %dx%d, want the longest side %d" % (path, im.shape[1], im.shape[0], a.size))
        out.append((im - mean)[None])
    return out[0], out[1]


def save_image(path, x, mean):
    """Saves an NHWC float32 image (mean subtracted) as an 8-bit PNG."""
    from PIL import Image
    px = np.clip(np.rint(x[0] + mean), 0, 255).astype(np.uint8)
    Image.fromarray(px).save(path)
