#!/usr/bin/env python3
"""How large the network's values get, against float16's largest finite
value (65504): the activations and Gram products of the ImageNet VGG16 on
the 0–255 pixel scale, for mixed precision on a GPU (issue #25, docs/gpu.md).

    PY=$(tools/golden-venv.sh bench/requirements-judge.txt judge-venv)
    "$PY" bench/fp16_range.py -weights "$(make -s weights | tail -n 1)" IMAGE... > bench/fp16_range.md

For each image (resized to 512 px on its longest side) and each layer the
style and content losses use, it prints the largest activation, the largest
entry of the mean Gram matrix FᵀF/(h·w) and of the raw product FᵀF (what a
float16 MatMul would write before any division), with bench/judge.py's numpy
forward pass (float32; no TensorFlow).
"""
import argparse
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge  # noqa: E402

LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "conv4_2", "relu5_1"]
FP16_MAX = 65504.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-weights", required=True)
    ap.add_argument("-size", type=int, default=512)
    ap.add_argument("images", nargs="+")
    a = ap.parse_args()
    net = judge.load_net(a.weights)
    print("| image | layer | largest activation | ÷ 65504 | largest mean Gram entry | largest FᵀF entry | ÷ 65504 |")
    print("|---|---|---|---|---|---|---|")
    worst = 0.0
    for path in a.images:
        img = judge.fit(Image.open(path), a.size)
        f = judge.features(net, img, set(LAYERS))
        for n in LAYERS:
            x = f[n].reshape(-1, f[n].shape[-1])
            raw = x.T @ x
            worst = max(worst, raw.max() / FP16_MAX)
            print("| %s | %s | %.0f | %.2f | %.3g | %.3g | %.2g |" % (
                os.path.basename(path), n, x.max(), x.max() / FP16_MAX, raw.max() / x.shape[0], raw.max(), raw.max() / FP16_MAX))
    print()
    print("The largest raw Gram product is %.2g× float16's largest finite value." % worst)


if __name__ == "__main__":
    sys.exit(main())
