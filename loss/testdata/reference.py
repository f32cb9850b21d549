#!/usr/bin/env python3
"""Independent numpy/scipy reference for package loss: values and gradients.

Run with the pinned golden venv from the repository root:

    PY=$(tools/golden-venv.sh) && "$PY" loss/testdata/reference.py

It writes loss/testdata/reference.json. Everything is written here from the
formulas in loss/doc.go, in float64, with hand-derived gradients (no automatic
differentiation, no TensorFlow); the W2 term's matrix square roots are
scipy.linalg.sqrtm's, and its hand-derived gradients are checked here against
central finite differences. Inputs are drawn from a fixed seed and rounded
to float32 first, so the Go tests feed exactly the values used here and the
only difference left is TensorFlow's arithmetic.

Notation: a feature tensor x has shape [1, H, W, N]; F is x reshaped to
M x N with M = H*W.
"""

import json
import os

import numpy as np
import scipy.linalg

rng = np.random.default_rng(20240504)
tensors = {}


def put(name, a):
    a = np.asarray(a, dtype=np.float64)
    tensors[name] = a
    return a


def draw_features(name, shape):
    # relu-like activations: non-negative, some exact zeros
    a = np.maximum(rng.normal(0.3, 1.0, size=shape), 0.0).astype(np.float32)
    return put(name, a)


def draw_image(name, shape):
    a = rng.normal(0.0, 40.0, size=shape).astype(np.float32)
    return put(name, a)


def draw_mask(name, shape):
    a = rng.uniform(0.0, 1.0, size=shape).astype(np.float32)
    return put(name, a)


# ---------------------------------------------------------------- Gram matrices

def flat(x):
    _, h, w, n = x.shape
    return x.reshape(h * w, n)


def gram(x):
    f = flat(x)
    return f.T @ f


def mean_gram(x):
    return gram(x) / (x.shape[1] * x.shape[2])


# ------------------------------------------------------------- area resampling

def area_resize_1d(v, n, axis):
    """Resamples v along axis to n cells by exact area averaging.

    The input is a piecewise-constant function on [0, L) (pixel p covers
    [p, p+1)); output cell i covers [i*L/n, (i+1)*L/n) and takes the mean of
    the function over it, computed from the cumulative integral.
    """
    v = np.moveaxis(v, axis, 0)
    length = v.shape[0]
    cum = np.concatenate([np.zeros((1,) + v.shape[1:]), np.cumsum(v, axis=0)], axis=0)
    edges = np.arange(n + 1) * (length / n)
    # cumulative integral at the cell edges, linear between integer points
    lo = np.floor(edges).astype(int)
    frac = edges - lo
    hi = np.minimum(lo + 1, length)
    lo = np.minimum(lo, length)
    at = cum[lo] + (cum[hi] - cum[lo]) * frac.reshape((-1,) + (1,) * (v.ndim - 1))
    out = (at[1:] - at[:-1]) * (n / length)
    return np.moveaxis(out, 0, axis)


def area_resize(mask, h, w):
    return area_resize_1d(area_resize_1d(mask, h, 0), w, 1)


# ------------------------------------------------------------------ style loss

def style_layer(x, target, norm, mask=None):
    """Returns (E, dE/dx) for one layer. target is the style image's mean Gram."""
    _, h, w, n = x.shape
    f = flat(x)
    if mask is None:
        m = np.ones(h * w)
    else:
        m = area_resize(mask, h, w).reshape(h * w)
    s = np.sum(m * m)
    fm = f * m[:, None]
    g = fm.T @ fm / s
    d = g - target
    if norm == "tutorial":
        e = np.sum(d * d) / (4.0 * n * n)
        de_dg = 2.0 * d / (4.0 * n * n)
    elif norm == "mean":
        e = np.sum(d * d) / (n * n)
        de_dg = 2.0 * d / (n * n)
    else:
        raise ValueError(norm)
    de_dfm = fm @ (de_dg + de_dg.T) / s
    de_df = de_dfm * m[:, None]
    return e, de_df.reshape(x.shape)


def style_unnormalized(x, style, n_norm="tutorial"):
    """Gatys / neural-style-tf per-layer loss on unnormalized Grams of two
    same-size images: sum((Gx - Gs)^2) / (4 N^2 M^2), and its gradient."""
    assert x.shape == style.shape and n_norm == "tutorial"
    _, h, w, n = x.shape
    m = h * w
    gx, gs = gram(x), gram(style)
    e = np.sum((gx - gs) ** 2) / (4.0 * n * n * m * m)
    # dE/dGx = 2 (Gx - Gs) / (4 N^2 M^2); dE/dF = F (K + K^T)
    k = 2.0 * (gx - gs) / (4.0 * n * n * m * m)
    return e, (flat(x) @ (k + k.T)).reshape(x.shape)


def normalize(ws):
    ws = np.asarray(ws, dtype=np.float64)
    return ws / ws.sum()


def style_total(features, layer_weights, images, norm, layer=None):
    """neural-style-tf's sum_style_losses / sum_masked_style_losses scaling:
    per image sum_l w_l E_l / L with w normalized to sum 1, then
    sum_i b_i S_i / I with b normalized to sum 1. E_l is the Gram loss with
    norm, or layer(x, style_features, mask) when given (the W2 term)."""
    L = len(features)
    lw = normalize(layer_weights)
    bw = [im["weight"] for im in images]
    bw = normalize(bw) if sum(bw) > 0 else np.full(len(images), 1.0 / len(images))
    total = 0.0
    grads = [np.zeros_like(tensors[f]) for f in features]
    for im, b in zip(images, bw):
        mask = tensors[im["mask"]] if im.get("mask") else None
        for l, fname in enumerate(features):
            x = tensors[fname]
            if layer is None:
                e, g = style_layer(x, mean_gram(tensors[im["styles"][l]]), norm, mask)
            else:
                e, g = layer(x, tensors[im["styles"][l]], mask)
            c = b * lw[l] / L / len(images)
            total += c * e
            grads[l] += c * g
    return total, dict(zip(features, grads))


# ----------------------------------------------------- Wasserstein-2 style loss
#
# The W2 term of loss/doc.go, with scipy.linalg.sqrtm for every matrix square
# root (no Newton-Schulz, no eigendecomposition of our own) and a gradient
# derived by hand:
#   target:  mu_s, Sigma_s = cov of the style features, eps = max(1e-2 tr/N, 1e-8),
#            C_s = Sigma_s + eps I, S = sqrtm(C_s)
#   layer:   E = k (|mu_x - mu_s|^2 + tr(C_x) + tr(C_s) - 2 tr(sqrtm(S C_x S))) / N, k = 100,
#            C_x = Sigma_x + eps I, moments weighted by w = m^2 (m = resampled mask)
#   dE/dC_x  = k (I - S (S C_x S)^-1/2 S) / N             (d tr A^1/2 = tr(A^-1/2 dA)/2)
#   dE/df_p  = (2 w_p / W) dE/dC_x (f_p - mu_x) + (w_p / W) dE/dmu_x,  W = sum w
# (the mean's own dependence drops out of the covariance term since
# sum_p w_p (f_p - mu_x) = 0).

W2_REL_EPS, W2_MIN_EPS, W2_SCALE = 1e-2, 1e-8, 100.0


def sqrtm(a):
    r = scipy.linalg.sqrtm(a)
    assert np.abs(r.imag).max() <= 1e-9 * np.abs(r.real).max(), "sqrtm: complex result"
    return r.real


def w2_target(sfeat):
    """(C_s, S, mu_s, eps) of one style layer and their packed [2N+2, N] form."""
    f = flat(sfeat)
    n = f.shape[1]
    mu = f.mean(axis=0)
    fc = f - mu
    cov = fc.T @ fc / f.shape[0]
    eps = max(W2_REL_EPS * np.trace(cov) / n, W2_MIN_EPS)
    c = cov + eps * np.eye(n)
    root = sqrtm(c)
    packed = np.concatenate([c, root, mu[None, :], np.full((1, n), eps)], axis=0)
    return (c, root, mu, eps), packed


def w2_layer(x, sfeat, mask=None):
    """Returns (E, dE/dx) for one W2 layer against the style features sfeat."""
    (cs, root, mus, eps), _ = w2_target(sfeat)
    _, h, w, n = x.shape
    f = flat(x)
    wt = np.ones(h * w) if mask is None else area_resize(mask, h, w).reshape(h * w) ** 2
    W = wt.sum()
    mu = wt @ f / W
    fc = f - mu
    cx = (fc * wt[:, None]).T @ fc / W + eps * np.eye(n)
    a = root @ cx @ root
    r = sqrtm(a)
    e = (np.sum((mu - mus) ** 2) + np.trace(cx) + np.trace(cs) - 2 * np.trace(r)) * W2_SCALE / n
    de_dc = (np.eye(n) - root @ np.linalg.inv(r) @ root) * W2_SCALE / n
    de_dmu = 2 * (mu - mus) * W2_SCALE / n
    de_df = (2 / W) * wt[:, None] * (fc @ de_dc) + (wt[:, None] / W) * de_dmu[None, :]
    return e, de_df.reshape(x.shape)


def check_gradient(fn, x, grad, name, probes=12, h=1e-6):
    """Central finite differences of fn at a few entries of x against grad."""
    r = np.random.default_rng(99)
    flat_x = x.reshape(-1)
    worst = 0.0
    for i in r.choice(flat_x.size, size=min(probes, flat_x.size), replace=False):
        xp, xm = flat_x.copy(), flat_x.copy()
        xp[i] += h
        xm[i] -= h
        fd = (fn(xp.reshape(x.shape)) - fn(xm.reshape(x.shape))) / (2 * h)
        worst = max(worst, abs(fd - grad.reshape(-1)[i]) / max(np.abs(grad).max(), 1e-300))
    assert worst < 1e-6, "%s: finite differences disagree by %.2e" % (name, worst)
    return worst


# ---------------------------------------------------------------- content loss

def content_layer(x, p, norm):
    _, h, w, n = x.shape
    m = h * w
    k = {1: 1.0 / (2.0 * np.sqrt(n) * np.sqrt(m)), 2: 1.0 / (n * m), 3: 0.5}[norm]
    d = x - p
    return k * np.sum(d * d), 2.0 * k * d


def content_total(features, targets, layer_weights, norm):
    L = len(features)
    lw = normalize(layer_weights)
    total = 0.0
    grads = {}
    for l, (fname, tname) in enumerate(zip(features, targets)):
        e, g = content_layer(tensors[fname], tensors[tname], norm)
        total += lw[l] * e / L
        grads[fname] = grads.get(fname, 0) + lw[l] * g / L
    return total, grads


# ------------------------------------------------------------- total variation

def tv(img, kind):
    dy = img[:, 1:, :, :] - img[:, :-1, :, :]
    dx = img[:, :, 1:, :] - img[:, :, :-1, :]
    g = np.zeros_like(img)
    if kind == "abs":
        e = np.sum(np.abs(dy)) + np.sum(np.abs(dx))
        py, px = np.sign(dy), np.sign(dx)
    elif kind == "squared":
        e = np.sum(dy * dy) + np.sum(dx * dx)
        py, px = 2.0 * dy, 2.0 * dx
    else:
        raise ValueError(kind)
    g[:, 1:, :, :] += py
    g[:, :-1, :, :] -= py
    g[:, :, 1:, :] += px
    g[:, :, :-1, :] -= px
    return e, g


# ---------------------------------------------------------------------- inputs

draw_features("x_a", (1, 4, 5, 3))       # generated features
draw_features("s_a", (1, 5, 3, 3))       # style image features, another size
draw_features("s_a_same", (1, 4, 5, 3))  # style image features, same size
draw_features("p_a", (1, 4, 5, 3))       # content target

# three "layers" of a 7x9 image under SAME 2x2 pooling: 7x9 -> 4x5 -> 2x3
draw_features("x1", (1, 7, 9, 3))
draw_features("x2", (1, 4, 5, 4))
draw_features("x3", (1, 2, 3, 5))
# two style images of another size (6x5 -> 3x3 -> 2x2) and a third (10x8)
draw_features("s1_1", (1, 6, 5, 3))
draw_features("s1_2", (1, 3, 3, 4))
draw_features("s1_3", (1, 2, 2, 5))
draw_features("s2_1", (1, 10, 8, 3))
draw_features("s2_2", (1, 5, 4, 4))
draw_features("s2_3", (1, 3, 2, 5))
draw_features("p2", (1, 4, 5, 4))
draw_features("p3", (1, 2, 3, 5))
# masks at the generated image's resolution, complementary
m = draw_mask("mask", (7, 9))
put("mask_inv", (1.0 - m).astype(np.float32))
# a mask at the resolution of x_a (no resampling needed)
draw_mask("mask_a", (4, 5))
# a mask that is an integer multiple of x_a's size (8x10 -> 4x5)
draw_mask("mask_a2", (8, 10))

draw_image("img", (1, 6, 7, 3))

# ---------------------------------------------------------------------- cases

cases = []
T = tensors


def add(case, value, grads=None, arrays=None):
    case["value"] = float(value)
    case["grads"] = {k: v.reshape(-1).tolist() for k, v in (grads or {}).items()}
    case["arrays"] = {k: np.asarray(v).reshape(-1).tolist() for k, v in (arrays or {}).items()}
    cases.append(case)


# Gram and mean Gram of one tensor (no gradient)
add({"name": "gram/x_a", "kind": "gram", "features": "x_a"}, 0.0,
    arrays={"gram": gram(T["x_a"]), "mean_gram": mean_gram(T["x_a"])})
add({"name": "gram/s_a", "kind": "gram", "features": "s_a"}, 0.0,
    arrays={"gram": gram(T["s_a"]), "mean_gram": mean_gram(T["s_a"])})

# one style layer, style image of another size, both normalizations
for norm in ("tutorial", "mean"):
    e, g = style_layer(T["x_a"], mean_gram(T["s_a"]), norm)
    add({"name": "style_layer/" + norm, "kind": "style_layer", "features": "x_a",
         "style": "s_a", "norm": norm}, e, {"x_a": g})

# same-size style image: the mean-Gram form equals the unnormalized formula
e, g = style_unnormalized(T["x_a"], T["s_a_same"])
add({"name": "style_layer/tutorial_equals_unnormalized", "kind": "style_layer",
     "features": "x_a", "style": "s_a_same", "norm": "tutorial"}, e, {"x_a": g})

# masked layer: mask at the layer's resolution, and one resampled 8x10 -> 4x5
for mname in ("mask_a", "mask_a2"):
    for norm in ("tutorial", "mean"):
        e, g = style_layer(T["x_a"], mean_gram(T["s_a"]), norm, T[mname])
        add({"name": "masked_style_layer/%s/%s" % (mname, norm), "kind": "style_layer",
             "features": "x_a", "style": "s_a", "mask": mname, "norm": norm}, e, {"x_a": g})

# masks resampled to 7x9 (identity), 4x5 and 2x3 (non-integer factors)
add({"name": "resize/mask", "kind": "resize", "mask": "mask", "sizes": [[7, 9], [4, 5], [2, 3]]}, 0.0,
    arrays={"7x9": area_resize(T["mask"], 7, 9), "4x5": area_resize(T["mask"], 4, 5),
            "2x3": area_resize(T["mask"], 2, 3)})

# content layer, three normalizations
for norm in (1, 2, 3):
    e, g = content_layer(T["x_a"], T["p_a"], norm)
    add({"name": "content_layer/%d" % norm, "kind": "content_layer", "features": "x_a",
         "target": "p_a", "content_norm": norm}, e, {"x_a": g})

# total variation
for kind in ("abs", "squared"):
    e, g = tv(T["img"], kind)
    add({"name": "tv/" + kind, "kind": "tv", "image": "img", "tv": kind}, e, {"img": g})

# multi-layer style, one image
feats = ["x1", "x2", "x3"]
spec = {"features": feats, "layer_weights": [3.0, 1.0, 2.0], "norm": "tutorial",
        "images": [{"styles": ["s1_1", "s1_2", "s1_3"], "weight": 0.0}]}
e, g = style_total(feats, spec["layer_weights"], spec["images"], spec["norm"])
add(dict(name="style/layers", kind="style", **spec), e, g)

# two style images blended 2:1
spec = {"features": feats, "layer_weights": [1.0, 1.0, 1.0], "norm": "mean",
        "images": [{"styles": ["s1_1", "s1_2", "s1_3"], "weight": 2.0},
                   {"styles": ["s2_1", "s2_2", "s2_3"], "weight": 1.0}]}
e, g = style_total(feats, spec["layer_weights"], spec["images"], spec["norm"])
add(dict(name="style/blend", kind="style", **spec), e, g)

# two style images on complementary masks (7x9 mask resampled to each layer)
for norm in ("tutorial", "mean"):
    spec = {"features": feats, "layer_weights": [1.0, 2.0, 1.0], "norm": norm,
            "images": [{"styles": ["s1_1", "s1_2", "s1_3"], "weight": 1.0, "mask": "mask"},
                       {"styles": ["s2_1", "s2_2", "s2_3"], "weight": 3.0, "mask": "mask_inv"}]}
    e, g = style_total(feats, spec["layer_weights"], spec["images"], spec["norm"])
    add(dict(name="style/masked/" + norm, kind="style", **spec), e, g)

# multi-layer content
spec = {"features": ["x2", "x3"], "targets": ["p2", "p3"], "layer_weights": [1.0, 3.0], "content_norm": 1}
e, g = content_total(spec["features"], spec["targets"], spec["layer_weights"], spec["content_norm"])
add(dict(name="content/layers", kind="content", **spec), e, g)

# weighted total: alpha*content + beta*style + gamma*tv on independent inputs
alpha, beta, gamma = 5.0, 1e4, 1e-3
ec, gc = content_layer(T["x_a"], T["p_a"], 1)
es, gs = style_layer(T["x2"], mean_gram(T["s1_2"]), "tutorial")
et, gt = tv(T["img"], "abs")
add({"name": "weighted", "kind": "weighted", "content_features": "x_a", "content_target": "p_a",
     "style_features": "x2", "style": "s1_2", "image": "img",
     "weights": [alpha, beta, gamma]},
    alpha * ec + beta * es + gamma * et,
    {"x_a": alpha * gc, "x2": beta * gs, "img": gamma * gt},
    arrays={"terms": [alpha * ec, beta * es, gamma * et]})

# Wasserstein-2 style loss (kind w2_target, w2_layer, and style with loss w2).
# New inputs are drawn after all the others, so the cases above keep theirs.
draw_features("w_x", (1, 6, 7, 16))   # a wider layer: 16 channels, 42 positions
draw_features("w_s", (1, 9, 5, 16))
wx = put("w_x_dead", T["w_x"].copy())  # two channels dead in the generated image
wx[..., 14:] = 0
ws = put("w_s_dead", T["w_s"].copy())  # and one in the style image
ws[..., 15] = 0
fd_worst = 0.0
for sname in ("s_a", "s1_2", "w_s"):
    _, packed = w2_target(T[sname])
    add({"name": "w2_target/" + sname, "kind": "w2_target", "style": sname}, 0.0, arrays={"target": packed})
for name, xname, sname, mask in (
        ("w2_layer/other_size", "x_a", "s_a", ""),
        ("w2_layer/same_size", "x_a", "s_a_same", ""),
        ("w2_layer/masked", "x_a", "s_a", "mask_a"),
        ("w2_layer/masked_resampled", "x_a", "s_a", "mask_a2"),
        ("w2_layer/wide", "w_x", "w_s", ""),
        ("w2_layer/dead_channels", "w_x_dead", "w_s_dead", ""),
        ("w2_layer/few_positions", "x3", "s1_3", "")):
    mk = T[mask] if mask else None
    e, g = w2_layer(T[xname], T[sname], mk)
    fd_worst = max(fd_worst, check_gradient(lambda v: w2_layer(v, T[sname], mk)[0], T[xname], g, name))
    add({"name": name, "kind": "w2_layer", "features": xname, "style": sname, "mask": mask}, e, {xname: g})
for name, spec in (
        ("style/w2/layers", {"layer_weights": [3.0, 1.0, 2.0],
                             "images": [{"styles": ["s1_1", "s1_2", "s1_3"], "weight": 0.0}]}),
        ("style/w2/blend", {"layer_weights": [1.0, 1.0, 1.0],
                            "images": [{"styles": ["s1_1", "s1_2", "s1_3"], "weight": 2.0},
                                       {"styles": ["s2_1", "s2_2", "s2_3"], "weight": 1.0}]}),
        ("style/w2/masked_blend", {"layer_weights": [1.0, 2.0, 1.0],
                                   "images": [{"styles": ["s1_1", "s1_2", "s1_3"], "weight": 1.0, "mask": "mask"},
                                              {"styles": ["s2_1", "s2_2", "s2_3"], "weight": 3.0, "mask": "mask_inv"}]})):
    e, g = style_total(feats, spec["layer_weights"], spec["images"], None, layer=w2_layer)
    add(dict(name=name, kind="style", loss="w2", features=feats, norm="tutorial", **spec), e, g)
print("w2: worst finite-difference disagreement with the hand-derived gradients %.2e" % fd_worst)

out = {
    "generator": "loss/testdata/reference.py (numpy %s, scipy %s, float64)" % (np.__version__, scipy.__version__),
    "tensors": {k: {"shape": list(v.shape), "data": v.reshape(-1).tolist()} for k, v in tensors.items()},
    "cases": cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=None, separators=(",", ":"))
    fh.write("\n")
print("wrote %s: %d tensors, %d cases" % (path, len(tensors), len(cases)))
