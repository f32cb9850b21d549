#!/usr/bin/env python3
"""An independent judge of stylizations: numpy and scipy, no TensorFlow, no Go.

    PY=$(tools/golden-venv.sh bench/requirements-judge.txt judge-venv)
    "$PY" bench/judge.py -weights W.mat -content photo.jpg -style painting.jpg out1.png [out2.png ...]

For each output image it reports, on the VGG16 of the MatConvNet file W (read
with scipy.io.loadmat; a numpy forward pass with max pooling, the pooling the
network was trained with):

  style score    D(content) / D(output), where D(x) = sum over relu1_1 ... relu5_1
                 of ||G(x) - G(style)||_F / ||G(style)||_F and G = F^T F / (h w)
                 (mean Gram matrices, so images of different sizes compare). Higher
                 is better: 1 means no closer to the painting's statistics than the
                 photo itself.
  content drift  ||F(output) - F(content)|| / ||F(content)|| at conv4_2, the content
                 photo resized to the output's size. Lower keeps more of the photo.

The content and style images are resized (Pillow, Lanczos) so that their longest
side is the output's longest side, as the library does by default. With --json
it prints one JSON object per output instead of a table.
"""

import argparse
import json
import sys

import numpy as np
import scipy.io as sio
from PIL import Image

STYLE_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
CONTENT_LAYER = "conv4_2"


def load_net(path):
    d = sio.loadmat(path)
    layers = []
    for el in d["layers"][0]:
        el = el[0, 0]
        name, kind = str(el["name"][0]), str(el["type"][0])
        if kind == "conv":
            w = el["weights"][0]
            layers.append((name, kind, w[0].astype(np.float32), w[1].reshape(-1).astype(np.float32)))
        elif kind in ("relu", "pool"):
            layers.append((name, kind, None, None))
    mean = d["meta"][0, 0]["normalization"][0, 0]["averageImage"].reshape(-1)[:3].astype(np.float32)
    return layers, mean


def conv3x3(x, k, b):
    h, w, cin = x.shape
    p = np.zeros((h + 2, w + 2, cin), np.float32)
    p[1:-1, 1:-1] = x
    cols = np.concatenate([p[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)], axis=2)
    return cols.reshape(h * w, 9 * cin).dot(k.reshape(9 * cin, -1)).reshape(h, w, -1) + b


def maxpool(x):
    h, w, c = x.shape
    h2, w2 = (h + 1) // 2, (w + 1) // 2
    p = np.full((2 * h2, 2 * w2, c), -np.inf, np.float32)
    p[:h, :w] = x
    return p.reshape(h2, 2, w2, 2, c).max(axis=(1, 3))


def features(net, img, wanted):
    layers, mean = net
    x = np.asarray(img, np.float32)[:, :, :3] - mean
    out, deepest = {}, max(i for i, l in enumerate(layers) if l[0] in wanted)
    for i, (name, kind, k, b) in enumerate(layers[:deepest + 1]):
        if kind == "conv":
            x = conv3x3(x, k, b)
        elif kind == "relu":
            x = np.maximum(x, 0)
        else:
            x = maxpool(x)
        if name in wanted:
            out[name] = x.astype(np.float64)
    return out


def gram(f):
    f = f.reshape(-1, f.shape[-1])
    return f.T @ f / f.shape[0]


def fit(img, side):
    img = img.convert("RGB")
    s = side / max(img.size)
    return img.resize((max(1, round(img.size[0] * s)), max(1, round(img.size[1] * s))), Image.LANCZOS)


def score(net, content, style, out):
    """(style score, content drift) of the PIL image out, given the content
    and style PIL images (resized here as the library does)."""
    wanted = set(STYLE_LAYERS) | {CONTENT_LAYER}
    out = out.convert("RGB")
    side = max(out.size)
    content = fit(content, side).resize(out.size, Image.LANCZOS)
    style = fit(style, side)
    fs, fc, fo = (features(net, im, wanted) for im in (style, content, out))
    gs = {n: gram(fs[n]) for n in STYLE_LAYERS}

    def dist(f):
        return sum(np.linalg.norm(gram(f[n]) - gs[n]) / np.linalg.norm(gs[n]) for n in STYLE_LAYERS)

    drift = np.linalg.norm(fo[CONTENT_LAYER] - fc[CONTENT_LAYER]) / np.linalg.norm(fc[CONTENT_LAYER])
    return float(dist(fc) / dist(fo)), float(drift)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-weights", required=True)
    ap.add_argument("-content", required=True)
    ap.add_argument("-style", required=True)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("outputs", nargs="+")
    a = ap.parse_args()
    net = load_net(a.weights)
    rows = []
    for path in a.outputs:
        out = Image.open(path)
        st, drift = score(net, Image.open(a.content), Image.open(a.style), out)
        rows.append({"output": path, "size": list(out.size), "style_score": round(st, 3),
                     "content_drift": round(drift, 3)})
    if a.json:
        for r in rows:
            print(json.dumps(r))
    else:
        print("%-50s %10s %12s %14s" % ("output", "size", "style score", "content drift"))
        for r in rows:
            print("%-50s %10s %12.2f %14.3f" % (r["output"], "x".join(map(str, r["size"])),
                                                r["style_score"], r["content_drift"]))


if __name__ == "__main__":
    sys.exit(main())
