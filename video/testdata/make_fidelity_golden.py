"""Golden value for video.MotionFidelity (fidelity_test.go), from numpy and
scipy.ndimage, independently of the Go code:

  ~/.cache/neuralstyle/judge-venv/bin/python video/testdata/make_fidelity_golden.py

(any Python with numpy and scipy; bench/requirements-judge.txt pins them).
Writes fidelity.json: three random 3-channel 0-255 frames of 13x9 pixels
(previous input, current input, output), the grey levels
0.299 R + 0.587 G + 0.114 B, the moving pixels |grey1 - grey0| > threshold
dilated by a (2r+1)^2 square (scipy.ndimage.binary_dilation), Sobel
magnitudes with edge pixels replicated (scipy.ndimage.sobel, mode "nearest")
and Pearson's correlation of the two magnitudes on the moving pixels.
"""
import json
import os

import numpy as np
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
W, H, THRESHOLD, R = 13, 9, 40.0, 1

rng = np.random.default_rng(26)
prev = rng.integers(0, 256, (H, W, 3)).astype(np.float64)
cur = prev.copy()
cur[2:6, 3:9] = rng.integers(0, 256, (4, 6, 3))  # a patch that changes
out = np.clip(cur + rng.normal(0, 30, cur.shape), 0, 255).round()


def grey(img):
    return img @ np.array([0.299, 0.587, 0.114])


def sobel(g):
    gx = ndimage.sobel(g, axis=1, mode="nearest")
    gy = ndimage.sobel(g, axis=0, mode="nearest")
    return np.hypot(gx, gy)


moving = np.abs(grey(cur) - grey(prev)) > THRESHOLD
moving = ndimage.binary_dilation(moving, structure=np.ones((2 * R + 1, 2 * R + 1), bool))
a, b = sobel(grey(cur))[moving], sobel(grey(out))[moving]
score = float(np.corrcoef(a, b)[0, 1])

with open(os.path.join(HERE, "fidelity.json"), "w") as f:
    json.dump({"W": W, "H": H, "Threshold": THRESHOLD, "Dilation": R,
               "Prev": prev.ravel().tolist(), "Cur": cur.ravel().tolist(), "Out": out.ravel().tolist(),
               "Moving": int(moving.sum()), "Score": score}, f)
    f.write("\n")
print("moving", int(moving.sum()), "score", score)
