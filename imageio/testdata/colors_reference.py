"""Golden values for imageio's colour conversions, written independently of
the Go code from the published definitions, vectorised with numpy.

Definitions (inputs are gamma-encoded sRGB in 0..1):
- YUV (OpenCV COLOR_RGB2YUV for float images; BT.601 luma):
    Y = 0.299 R + 0.587 G + 0.114 B, U = 0.492 (B - Y) + 0.5, V = 0.877 (R - Y) + 0.5
- YCrCb (OpenCV COLOR_RGB2YCrCb, channel order Y, Cr, Cb):
    Cr = 0.713 (R - Y) + 0.5, Cb = 0.564 (B - Y) + 0.5
  Both are affine maps; their inverses here are solved with numpy.linalg.
- CIE L*a*b* and L*u*v* (CIE 15:2004), D65:
    linearise with the sRGB transfer function (IEC 61966-2-1),
    XYZ = M rgb_linear with OpenCV's sRGB2XYZ_D65 matrix M, white = M (1,1,1),
    f(t) = cbrt(t) if t > (6/29)^3 else t / (3 (6/29)^2) + 4/29,
    L = 116 f(Y/Yn) - 16, a = 500 (f(X/Xn) - f(Y/Yn)), b = 200 (f(Y/Yn) - f(Z/Zn)),
    u' = 4X / (X + 15Y + 3Z), v' = 9Y / (X + 15Y + 3Z), u = 13 L (u' - u'n), v = 13 L (v' - v'n).

Also golden outputs of histogram matching (quantile mapping with linear
interpolation, np.interp) and of original-colour preservation on tiny images.

Run from the repository root:
    PY=$(tools/golden-venv.sh) && "$PY" imageio/testdata/colors_reference.py
"""

import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

M = np.array([[0.412453, 0.357580, 0.180423],
              [0.212671, 0.715160, 0.072169],
              [0.019334, 0.119193, 0.950227]])
WHITE = M @ np.ones(3)
DELTA = 6.0 / 29.0


def srgb_to_linear(c):
    c = np.asarray(c, float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(l):
    l = np.asarray(l, float)
    out = np.empty_like(l)
    small = np.abs(l) <= 0.04045 / 12.92
    out[small] = 12.92 * l[small]
    big = ~small
    out[big] = np.sign(l[big]) * (1.055 * np.abs(l[big]) ** (1 / 2.4) - 0.055)
    return out


def f(t):
    return np.where(t > DELTA ** 3, np.cbrt(t), t / (3 * DELTA ** 2) + 4.0 / 29.0)


def finv(ft):
    return np.where(ft > DELTA, ft ** 3, 3 * DELTA ** 2 * (ft - 4.0 / 29.0))


def affine(kind):
    """Rows of (A, offset) with out = A rgb + offset."""
    luma = np.array([0.299, 0.587, 0.114])
    r, b = np.eye(3)[0], np.eye(3)[2]
    if kind == "yuv":
        a = np.stack([luma, 0.492 * (b - luma), 0.877 * (r - luma)])
    else:
        a = np.stack([luma, 0.713 * (r - luma), 0.564 * (b - luma)])
    return a, np.array([0.0, 0.5, 0.5])


def from_rgb(space, rgb):
    rgb = np.atleast_2d(np.asarray(rgb, float))
    if space in ("yuv", "ycrcb"):
        a, off = affine(space)
        return rgb @ a.T + off
    xyz = srgb_to_linear(rgb) @ M.T / WHITE  # normalised by the white point
    fx, fy, fz = f(xyz[:, 0]), f(xyz[:, 1]), f(xyz[:, 2])
    L = 116 * fy - 16
    if space == "lab":
        return np.stack([L, 500 * (fx - fy), 200 * (fy - fz)], axis=1)
    XYZ = xyz * WHITE
    d = XYZ[:, 0] + 15 * XYZ[:, 1] + 3 * XYZ[:, 2]
    dn = WHITE[0] + 15 * WHITE[1] + 3 * WHITE[2]
    safe = np.where(d > 0, d, 1)
    up = np.where(d > 0, 4 * XYZ[:, 0] / safe, 4 * WHITE[0] / dn)
    vp = np.where(d > 0, 9 * XYZ[:, 1] / safe, 9 * WHITE[1] / dn)
    return np.stack([L, 13 * L * (up - 4 * WHITE[0] / dn), 13 * L * (vp - 9 * WHITE[1] / dn)], axis=1)


def to_rgb(space, c):
    c = np.atleast_2d(np.asarray(c, float))
    if space in ("yuv", "ycrcb"):
        a, off = affine(space)
        return np.linalg.solve(a, (c - off).T).T
    L = c[:, 0]
    fy = (L + 16) / 116
    Y = finv(fy)
    if space == "lab":
        X = WHITE[0] * finv(fy + c[:, 1] / 500)
        Z = WHITE[2] * finv(fy - c[:, 2] / 200)
    else:
        dn = WHITE[0] + 15 * WHITE[1] + 3 * WHITE[2]
        with np.errstate(divide="ignore", invalid="ignore"):
            up = c[:, 1] / (13 * L) + 4 * WHITE[0] / dn
            vp = c[:, 2] / (13 * L) + 9 * WHITE[1] / dn
            X = np.where(L > 0, Y * 9 * up / (4 * vp), 0)
            Z = np.where(L > 0, Y * (12 - 3 * up - 20 * vp) / (4 * vp), 0)
        Y = np.where(L > 0, Y, 0)
    lin = np.linalg.solve(M, np.stack([X, Y, Z])).T
    return linear_to_srgb(lin)


def to8(x):
    return np.clip(np.floor(x * 255 + 0.5), 0, 255).astype(int)


def match_histogram(src, ref):
    out = np.empty_like(src)
    for ch in range(3):
        s, r = src[..., ch].ravel(), ref[..., ch].ravel()
        s_vals, s_idx, s_counts = np.unique(s, return_inverse=True, return_counts=True)
        r_vals, r_counts = np.unique(r, return_counts=True)
        s_q = np.cumsum(s_counts) / s.size
        r_q = np.cumsum(r_counts) / r.size
        mapped = np.interp(s_q, r_q, r_vals)
        out[..., ch] = np.floor(mapped[s_idx] + 0.5).reshape(src.shape[:2])
    return out


def lcg_image(h, w, seed, lo=0, hi=256):
    """A deterministic pseudo-random uint8 image, reproducible in Go."""
    x = seed
    vals = []
    for _ in range(h * w * 3):
        x = (1103515245 * x + 12345) % (1 << 31)
        vals.append(lo + (x >> 16) % (hi - lo))
    return np.array(vals, dtype=np.int64).reshape(h, w, 3)


def main():
    levels = [0.0, 1 / 3, 2 / 3, 1.0]
    colours = [[r, g, b] for r in levels for g in levels for b in levels]
    colours += [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.04045, 0.04045, 0.04045],
                [0.04, 0.5, 0.9], [0.003, 0.002, 0.001], [0.2, 0.7, 0.1], [0.85, 0.6, 0.45]]
    rgb = np.array(colours)
    spaces = ["yuv", "ycrcb", "luv", "lab"]
    conv = {}
    for s in spaces:
        c = from_rgb(s, rgb)
        back = to_rgb(s, c)
        assert np.abs(back - rgb).max() < 1e-6, s  # the sRGB curve pieces meet only to ~3e-8
        conv[s] = c.tolist()

    content = lcg_image(5, 7, 1)
    stylized = lcg_image(5, 7, 2)
    preserve = {}
    for s in spaces:
        l = from_rgb(s, stylized.reshape(-1, 3) / 255)[:, 0]
        c = from_rgb(s, content.reshape(-1, 3) / 255)
        merged = np.stack([l, c[:, 1], c[:, 2]], axis=1)
        preserve[s] = to8(to_rgb(s, merged)).reshape(5, 7, 3).tolist()

    src = lcg_image(6, 9, 3, 40, 120)
    ref = lcg_image(4, 5, 4, 0, 256)
    matched = match_histogram(src, ref)

    out = {
        "numpy": np.__version__,
        "rgb": rgb.tolist(),
        "convert": conv,
        "preserve": {"content": content.tolist(), "stylized": stylized.tolist(), "out": preserve},
        "histogram": {"src": src.tolist(), "ref": ref.tolist(), "out": matched.tolist()},
    }
    with open(os.path.join(HERE, "colors_reference.json"), "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
        fh.write("\n")


if __name__ == "__main__":
    main()
