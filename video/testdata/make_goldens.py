"""Golden values for package video's tests, from OpenCV's Python binding and
numpy (pinned in requirements.txt beside this file):

  PY=$(tools/golden-venv.sh video/testdata/requirements.txt video-golden-venv)
  cd video/testdata && "$PY" make_goldens.py

basketball1.png, basketball2.png  the classic optical-flow pair from OpenCV's
                    samples/data (Debian's opencv-doc), downscaled to 160x120
                    with cv2.INTER_AREA; made from /usr/share/doc/opencv-doc/
                    examples/data when that folder exists (see README.md).
basketball_dis.flo  cv2.DISOpticalFlow (PRESET_MEDIUM) from 1 to 2, .flo format.
basketball_farneback.flo  cv2.calcOpticalFlowFarneback(0.5, 3, 15, 3, 5, 1.2, 0).
warp.json           bilinear warping with edge clamping in numpy; the flow's
                    components are multiples of 1/32 pixel, the resolution of
                    OpenCV's remap weights, so remap must match to float32
                    rounding.
temporal.json       Ruder et al.'s temporal loss sum(c (x - w)^2) / D and its
                    gradient 2 c (x - w) / D, in float64.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import cv2
    import numpy as np
except ImportError:
    # Run by `make goldens` with the numpy/scipy venv: re-run this script with
    # the OpenCV venv pinned by requirements.txt beside it.
    py = subprocess.check_output([os.path.join(HERE, "..", "..", "tools", "golden-venv.sh"),
                                  os.path.join(HERE, "requirements.txt"), "video-golden-venv"], text=True).strip()
    os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])

SRC = "/usr/share/doc/opencv-doc/examples/data"
SIZE = (160, 120)


def write_flo(path, flow):
    h, w, _ = flow.shape
    with open(path, "wb") as f:
        np.array([202021.25], "<f4").tofile(f)
        np.array([w, h], "<i4").tofile(f)
        flow.astype("<f4").tofile(f)


def basketball():
    for name in ("basketball1.png", "basketball2.png"):
        if os.path.isdir(SRC):
            img = cv2.imread(os.path.join(SRC, name), cv2.IMREAD_GRAYSCALE)
            small = cv2.resize(img, SIZE, interpolation=cv2.INTER_AREA)
            cv2.imwrite(name, small)
    a = cv2.imread("basketball1.png", cv2.IMREAD_GRAYSCALE)
    b = cv2.imread("basketball2.png", cv2.IMREAD_GRAYSCALE)
    assert a.shape == (SIZE[1], SIZE[0]), a.shape
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    write_flo("basketball_dis.flo", dis.calc(a, b, None))
    fb = cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)
    write_flo("basketball_farneback.flo", fb)


def bilinear(img, fx, fy):
    h, w, c = img.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    sx = np.clip(xs + fx, 0, w - 1)
    sy = np.clip(ys + fy, 0, h - 1)
    x0 = np.floor(sx).astype(int)
    y0 = np.floor(sy).astype(int)
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    ax = (sx - x0)[..., None]
    ay = (sy - y0)[..., None]
    top = img[y0, x0] * (1 - ax) + img[y0, x1] * ax
    bot = img[y1, x0] * (1 - ax) + img[y1, x1] * ax
    return top * (1 - ay) + bot * ay


def warp(rng):
    h, w, c = 10, 12, 3
    img = rng.uniform(0, 255, (h, w, c)).astype(np.float32)
    flow = (rng.integers(-4 * 32, 4 * 32, (h, w, 2)) / 32.0).astype(np.float32)
    out = bilinear(img.astype(np.float64), flow[..., 0].astype(np.float64), flow[..., 1].astype(np.float64))
    return {"w": w, "h": h, "c": c, "image": img.ravel().tolist(), "flow": flow.ravel().tolist(),
            "warped": out.ravel().tolist()}


def temporal(rng):
    h, w = 5, 6
    x = rng.uniform(-120, 120, (1, h, w, 3)).astype(np.float32)
    wp = rng.uniform(-120, 120, (1, h, w, 3)).astype(np.float32)
    c = rng.choice(np.array([0.0, 0.5, 1.0], np.float32), (1, h, w, 1))
    x64, w64, c64 = x.astype(np.float64), wp.astype(np.float64), c.astype(np.float64)
    d = x.size
    value = float(np.sum(c64 * (x64 - w64) ** 2) / d)
    grad = 2 * c64 * (x64 - w64) / d
    return {"w": w, "h": h, "image": x.ravel().tolist(), "warped": wp.ravel().tolist(),
            "mask": c.ravel().tolist(), "value": value, "grad": np.broadcast_to(grad, x.shape).ravel().tolist()}


def main():
    os.chdir(HERE)
    rng = np.random.default_rng(13)
    basketball()
    with open("warp.json", "w") as f:
        json.dump(warp(rng), f)
    with open("temporal.json", "w") as f:
        json.dump(temporal(rng), f)
    print("OpenCV", cv2.__version__, "numpy", np.__version__)


if __name__ == "__main__":
    main()
