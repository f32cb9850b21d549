#!/usr/bin/env python3
"""Writes the vgg package's test fixtures and golden values.

    PY=$(tools/golden-venv.sh) && "$PY" vgg/testdata/make_fixtures.py

Outputs (all in this folder):

  vgg19_new.mat, vgg19_new_z.mat   tiny VGG19-shaped nets in the NEW MatConvNet layout
  vgg16_new.mat, vgg16_new_z.mat   (top-level `layers` + `meta`), uncompressed and zlib
  vgg19_old.mat, vgg19_old_z.mat   the same nets in the OLD ("beta16") layout
  vgg16_old.mat, vgg16_old_z.mat   (top-level `layers`, `classes`, `normalization`)
  goldens.json                     what the files hold (row-major HWIO kernels, biases,
                                   mean pixels) and the activations of every layer
                                   (conv*, relu*, pool*) for fixed inputs of sizes 9x11
                                   and 8x12, with avg, max and l2 pooling

The files follow the real imagenet-vgg-verydeep-19.mat layout (variable and field
names, classes, dimension order, bias shapes, the fc6/fc7/fc8/prob tail), with small
channel counts so that they stay tiny. Kernels are H x W x Cin x Cout, stored
column-major by savemat exactly as MATLAB would.

The activations come from the plain numpy forward pass below (its own convolution
over an explicitly zero-padded input, float64, rounded to float32 at the end), which
shares nothing with TensorFlow. The network it computes is the one vgg.Build makes:
  conv: 3x3 cross-correlation, stride 1, SAME (one zero row/column on every side), + bias
  relu: max(x, 0)
  pool: 2x2 window, stride 2, SAME padding as in TensorFlow (and neural-style-tf):
        the output is ceil(H/2) x ceil(W/2); on odd sizes the last window hangs over
        the bottom/right edge and covers only the valid cells. Avg pooling divides by
        the number of valid cells (TensorFlow excludes padding from the average);
        max pooling takes the max of the valid cells; l2 pooling the square root of
        the mean of the squares of the valid cells.

Golden arrays are stored as little-endian float32, base64-encoded, with their shape,
so that goldens.json stays small and Go needs only encoding/json to read it.
"""

import base64
import json
import os

import numpy as np
import scipy.io as sio

HERE = os.path.dirname(os.path.abspath(__file__))

# Channel widths of blocks 1..5. The real net has 64, 128, 256, 512, 512.
WIDTHS = [4, 6, 8, 10, 12]
# Tiny fully connected tail: fc6 keeps the real 7x7 spatial kernel (the decoder
# must skip it by its dims), fc7/fc8 are 1x1 as in the real file.
FC6_OUT, FC7_OUT, N_CLASSES = 5, 5, 4
MEAN_RGB = np.array([123.68, 116.779, 103.939])

BLOCKS = {19: [2, 2, 4, 4, 4], 16: [2, 2, 3, 3, 3]}
SIZES = [(9, 11), (8, 12)]
POOLINGS = ["avg", "max", "l2"]


def layer_names(arch):
    """Names of the feature layers, conv1_1 .. pool5, in order."""
    names = []
    for b, n in enumerate(BLOCKS[arch], start=1):
        for i in range(1, n + 1):
            names += ["conv%d_%d" % (b, i), "relu%d_%d" % (b, i)]
        names.append("pool%d" % b)
    return names


def make_weights(arch, rng):
    """Random conv weights: [(name, kernel HWIO float32, bias float32)]."""
    convs = []
    cin = 3
    for b, n in enumerate(BLOCKS[arch], start=1):
        cout = WIDTHS[b - 1]
        for i in range(1, n + 1):
            std = np.sqrt(2.0 / (9 * cin))  # He init keeps activations O(input)
            k = (rng.standard_normal((3, 3, cin, cout)) * std).astype(np.float32)
            bias = (rng.standard_normal(cout) * 0.5).astype(np.float32)
            convs.append(("conv%d_%d" % (b, i), k, bias))
            cin = cout
    fc = [
        ("fc6", (rng.standard_normal((7, 7, cin, FC6_OUT)) * 0.05).astype(np.float32)),
        ("fc7", (rng.standard_normal((1, 1, FC6_OUT, FC7_OUT)) * 0.05).astype(np.float32)),
        ("fc8", (rng.standard_normal((1, 1, FC7_OUT, N_CLASSES)) * 0.05).astype(np.float32)),
    ]
    return convs, fc


# ---------------------------------------------------------------- MAT layouts


def cell(items, shape=None):
    """A MATLAB cell array (numpy object array), 1xN unless shape is given."""
    c = np.empty(shape or (1, len(items)), dtype=object)
    for i, it in enumerate(items):
        c.flat[i] = it
    return c


def row(values, dtype=np.float64):
    return np.array([values], dtype=dtype)


def empty_cell():
    return np.empty((0, 0), dtype=object)


def new_layers(arch, convs, fc):
    """Layer structs of the new layout (fields as in the vlfeat download)."""
    out = []
    conv_by_name = {n: (k, b) for n, k, b in convs}
    for name in layer_names(arch):
        if name.startswith("conv"):
            k, b = conv_by_name[name]
            out.append({
                "name": name, "type": "conv",
                "weights": cell([k, b.reshape(-1, 1)]),  # bias is Cout x 1
                "size": row(k.shape), "pad": row([1, 1, 1, 1]), "stride": row([1, 1]),
                "precious": np.array([[False]]), "dilate": row([1]), "opts": empty_cell(),
            })
        elif name.startswith("relu"):
            out.append({"name": name, "type": "relu", "leak": row([0]),
                        "precious": np.array([[False]])})
        else:
            out.append({"name": name, "type": "pool", "method": "max",
                        "pool": row([2, 2]), "stride": row([2, 2]), "pad": row([0, 1, 0, 1]),
                        "precious": np.array([[False]]), "opts": empty_cell()})
    for i, (name, k) in enumerate(fc):
        out.append({
            "name": name, "type": "conv",
            "weights": cell([k, np.zeros((k.shape[3], 1), np.float32)]),
            "size": row(k.shape), "pad": row([0, 0, 0, 0]), "stride": row([1, 1]),
            "precious": np.array([[False]]), "dilate": row([1]), "opts": empty_cell(),
        })
        if name != "fc8":
            out.append({"name": "relu%d" % (6 + i), "type": "relu", "leak": row([0]),
                        "precious": np.array([[False]])})
    out.append({"name": "prob", "type": "softmax", "precious": np.array([[False]])})
    return cell(out)


def old_layers(arch, convs, fc):
    """Layer structs of the old layout: `weights` is the FIRST field, bias is 1 x Cout,
    pad/stride stored as uint8."""
    out = []
    conv_by_name = {n: (k, b) for n, k, b in convs}
    for name in layer_names(arch):
        if name.startswith("conv"):
            k, b = conv_by_name[name]
            out.append({
                "weights": cell([k, b.reshape(1, -1)]),  # bias is 1 x Cout
                "pad": row([1, 1, 1, 1], np.uint8), "type": "conv", "name": name,
                "stride": row([1, 1], np.uint8),
            })
        elif name.startswith("relu"):
            out.append({"type": "relu", "name": name})
        else:
            out.append({"name": name, "stride": row([2, 2], np.uint8),
                        "pad": row([0, 1, 0, 1], np.uint8), "type": "pool",
                        "method": "max", "pool": row([2, 2], np.uint8)})
    for i, (name, k) in enumerate(fc):
        out.append({
            "weights": cell([k, np.zeros((1, k.shape[3]), np.float32)]),
            "pad": row([0, 0, 0, 0], np.uint8), "type": "conv", "name": name,
            "stride": row([1, 1], np.uint8),
        })
        if name != "fc8":
            out.append({"type": "relu", "name": "relu%d" % (6 + i)})
    out.append({"type": "softmax", "name": "prob"})
    return cell(out)


def classes():
    return {
        "name": cell(["n%08d" % i for i in range(N_CLASSES)]),
        "description": cell(["class %d" % i for i in range(N_CLASSES)]),
    }


def old_average_image(h, w):
    """An H x W x 3 single image whose spatial mean is close to MEAN_RGB, with a
    pattern (so that averaging is really tested) that compresses well."""
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), np.float32)
    for c in range(3):
        # Period 4 in both directions: zlib folds the 224x224 image to almost nothing.
        img[:, :, c] = MEAN_RGB[c] + 1.5 * (yy % 4) - 2.25 * (xx % 4) + 0.5 * c
    return img


def write_new(path, arch, convs, fc, compress):
    meta = {
        "inputs": {"name": "input", "size": row([224, 224, 3, 10])},
        "classes": classes(),
        "normalization": {
            "imageSize": row([224, 224, 3, 10]),
            "interpolation": "bilinear",
            "averageImage": MEAN_RGB.astype(np.float32).reshape(1, 1, 3),
            "keepAspect": np.array([[True]]),
            "border": row([32, 32]),
            "cropSize": row([0.875]),
        },
    }
    layers = new_layers(arch, convs, fc)
    # Variable order differs between files: the decoder must not depend on it.
    mdict = {"layers": layers, "meta": meta} if arch == 19 else {"meta": meta, "layers": layers}
    sio.savemat(path, mdict, do_compression=compress, oned_as="row")
    return MEAN_RGB.astype(np.float32)


def write_old(path, arch, convs, fc, compress):
    # The real file holds a 224x224x3 image; the uncompressed fixtures use a small
    # one (the decoder averages any H x W x 3) to stay tiny.
    img = old_average_image(224, 224) if compress else old_average_image(7, 5)
    normalization = {
        "averageImage": img,
        "keepAspect": np.array([[True]]),
        "border": row([32, 32]),
        "imageSize": row([224, 224, 3]),
        "interpolation": "bilinear",
    }
    sio.savemat(path, {"layers": old_layers(arch, convs, fc), "classes": classes(),
                       "normalization": normalization},
                do_compression=compress, oned_as="row")
    return img.astype(np.float64).mean(axis=(0, 1)).astype(np.float32)


def check_file(path, layout, arch, convs, fc):
    """Reads the file back with scipy and checks it holds what was meant."""
    d = sio.loadmat(path)
    layers = d["layers"]
    names = layer_names(arch)
    assert layers.shape == (1, len(names) + 6), layers.shape
    conv_by_name = {n: (k, b) for n, k, b in convs}
    for i in range(layers.shape[1]):
        s = layers[0, i]
        fields = s.dtype.names
        if layout == "old" and "weights" in fields:
            assert fields[0] == "weights", fields
        name = str(s["name"][0, 0][0])
        if name in conv_by_name:
            k, b = conv_by_name[name]
            w = s["weights"][0, 0]
            assert w.shape == (1, 2)
            assert w[0, 0].dtype == np.float32 and w[0, 0].shape == k.shape
            assert np.array_equal(w[0, 0], k)
            want_b = (b.shape[0], 1) if layout == "new" else (1, b.shape[0])
            assert w[0, 1].shape == want_b, (w[0, 1].shape, want_b)
            assert np.array_equal(w[0, 1].reshape(-1), b)
    if layout == "new":
        avg = d["meta"]["normalization"][0, 0]["averageImage"][0, 0]
        assert avg.shape == (1, 1, 3) and avg.dtype == np.float32
    else:
        assert "normalization" in d and "classes" in d and "meta" not in d
        avg = d["normalization"]["averageImage"][0, 0]
        assert avg.ndim == 3 and avg.shape[2] == 3


# ---------------------------------------------------------------- forward pass


def conv_same(x, k, b):
    """x: H x W x Cin, k: 3 x 3 x Cin x Cout -> H x W x Cout (float64)."""
    h, w, _ = x.shape
    xp = np.zeros((h + 2, w + 2, x.shape[2]))
    xp[1:-1, 1:-1, :] = x
    out = np.zeros((h, w, k.shape[3]))
    for dy in range(3):
        for dx in range(3):
            out += np.einsum("hwc,cd->hwd", xp[dy:dy + h, dx:dx + w, :], k[dy, dx].astype(np.float64))
    return out + b.astype(np.float64)


def pool_same(x, kind):
    h, w, c = x.shape
    oh, ow = -(-h // 2), -(-w // 2)
    out = np.zeros((oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            win = x[2 * i:min(2 * i + 2, h), 2 * j:min(2 * j + 2, w), :]
            if kind == "avg":
                out[i, j] = win.reshape(-1, c).mean(axis=0)
            elif kind == "l2":
                out[i, j] = np.sqrt((win.reshape(-1, c) ** 2).mean(axis=0))
            else:
                out[i, j] = win.reshape(-1, c).max(axis=0)
    return out


def forward(arch, convs, x, pooling):
    """Activations of every feature layer for one image x (H x W x 3)."""
    acts = {}
    conv_by_name = {n: (k, b) for n, k, b in convs}
    cur = x.astype(np.float64)
    for name in layer_names(arch):
        if name.startswith("conv"):
            k, b = conv_by_name[name]
            cur = conv_same(cur, k, b)
        elif name.startswith("relu"):
            cur = np.maximum(cur, 0.0)
        else:
            cur = pool_same(cur, pooling)
        acts[name] = cur
    return acts


# ---------------------------------------------------------------- goldens


def enc(a):
    a = np.ascontiguousarray(np.asarray(a, dtype="<f4"))
    return {"shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode("ascii")}


def main():
    models = {}
    files = {}
    activations = []
    for arch, seed in ((19, 1919), (16, 1616)):
        rng = np.random.default_rng(seed)
        convs, fc = make_weights(arch, rng)
        models["VGG%d" % arch] = {
            "convs": [{"name": n, "kernel": enc(k), "bias": enc(b)} for n, k, b in convs],
        }
        for layout in ("new", "old"):
            for compress in (False, True):
                fname = "vgg%d_%s%s.mat" % (arch, layout, "_z" if compress else "")
                path = os.path.join(HERE, fname)
                write = write_new if layout == "new" else write_old
                mean = write(path, arch, convs, fc, compress)
                check_file(path, layout, arch, convs, fc)
                files[fname] = {"arch": "VGG%d" % arch, "layout": layout,
                                "compressed": compress, "mean": enc(mean)}
        for (h, w) in SIZES:
            x = (rng.uniform(-120.0, 120.0, (1, h, w, 3))).astype(np.float32)
            for pooling in POOLINGS:
                acts = forward(arch, convs, x[0], pooling)
                activations.append({
                    "arch": "VGG%d" % arch, "pooling": pooling, "input": enc(x),
                    "layers": {n: enc(a[np.newaxis]) for n, a in acts.items()},
                })
    golden = {
        "comment": "written by make_fixtures.py; float32 little-endian, base64; "
                   "kernels row-major H,W,Cin,Cout",
        "files": files, "models": models, "activations": activations,
    }
    with open(os.path.join(HERE, "goldens.json"), "w") as f:
        json.dump(golden, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
