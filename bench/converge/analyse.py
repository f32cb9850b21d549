#!/usr/bin/env python3
"""Reads bench/converge/run.sh's folders and finds where the picture stops changing.

    PY=$(tools/golden-venv.sh bench/requirements-judge.txt judge-venv)
    "$PY" bench/converge/analyse.py -weights "$(make -s weights | tail -n 1)" [-out docs/convergence] /tmp/converge

For every pair folder (photo-painting, with losses.jsonl and iterNNNN.png every
25 iterations up to the last) it records, for the checkpoints every 50
iterations, the last, and those where a candidate rule stops, in
<folder>/checkpoints.jsonl (kept between runs, so only new checkpoints are
judged):

  loss           the library's total loss after that iteration (losses.jsonl);
  style score    bench/judge.py's, on the numpy VGG16 (higher is better);
  content drift  bench/judge.py's (lower keeps more of the photo);
  change         the RMS difference, in grey levels, between this checkpoint
                 and the one 50 iterations before (8-bit images, all channels).

It then applies candidate rules offline (a window W, a largest RMS change m
and a largest relative loss decrease e over it: stop at the first multiple of
W from 2W on where the change over the last W iterations is below m and the
loss fell by less than e, 0 meaning any), which is exact for
the library's rule (style.Convergence) because a rule only stops a run: the
iterations before the stop are the same. For each it reports the stopping
iteration, its time as a fraction of the full run's (counted in evaluations,
which a loaded machine does not distort), and the judge's style
score against the full run's. It writes -out/curves.png (loss, style score and
change against the iteration, one line per pair), -out/pairs.jpg (for each
pair, the picture at the default rule's stop and at the last iteration, side
by side) and prints a Markdown report.
"""

import argparse
import glob
import json
import math
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import judge  # noqa: E402

IMAGES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "images")
EVERY = 25
CHANGE_OVER = 50
DEFAULT = (50, 5.0, 0.03)  # style.DefaultConvergence: window, grey levels, loss decrease
CANDIDATES = [(50, m, e) for m in (3.0, 4.0, 5.0, 6.0, 8.0) for e in (0.0, 0.02, 0.03, 0.05)] + [(25, 3.0, 0.03)]


def rms(a, b):
    d = a.astype(np.float64) - b.astype(np.float64)
    return float(np.sqrt(np.mean(d * d)))


def load(path):
    return np.asarray(Image.open(path).convert("RGB"))


class Pair:
    """One folder of bench/converge/run.sh: its losses, its checkpoints and
    the judge's scores, computed when first asked for and kept in
    <folder>/checkpoints.jsonl."""

    def __init__(self, net, folder):
        self.net, self.folder = net, folder
        self.name = os.path.basename(folder.rstrip("/"))
        photo, painting = self.name.split("-", 1)
        self.content = Image.open(os.path.join(IMAGES, photo + ".jpg"))
        self.style = Image.open(os.path.join(IMAGES, painting + ".jpg"))
        self.losses = {}
        with open(os.path.join(folder, "losses.jsonl")) as f:
            for line in f:
                r = json.loads(line)
                self.losses[r["iteration"]] = r
        self.shots = sorted(k for k in (int(os.path.basename(p)[4:8]) for p in glob.glob(os.path.join(folder, "iter*.png")))
                            if k in self.losses)
        self.cache_path = os.path.join(folder, "checkpoints.jsonl")
        self.judged = {}
        if os.path.exists(self.cache_path):
            with open(self.cache_path) as f:
                for line in f:
                    r = json.loads(line)
                    self.judged[r["iteration"]] = r

    def image(self, k):
        return os.path.join(self.folder, "iter%04d.png" % k)

    @property
    def last(self):
        return self.shots[-1]

    def row(self, k):
        """The checkpoint after iteration k: loss, evaluations, elapsed_s,
        change (RMS over the last CHANGE_OVER iterations, None at the start),
        style_score and content_drift (bench/judge.py)."""
        if k not in self.judged:
            st, drift = judge.score(self.net, self.content, self.style, Image.open(self.image(k)))
            r = {"iteration": k, "loss": self.losses[k]["loss"], "elapsed_s": self.losses[k]["elapsed_s"],
                 "style_score": st, "content_drift": drift}
            back = self.image(k - CHANGE_OVER)
            r["change"] = rms(load(self.image(k)), load(back)) if os.path.exists(back) else None
            with open(self.cache_path, "a") as cache:
                cache.write(json.dumps(r) + "\n")
            self.judged[k] = r
        r = dict(self.judged[k])
        r["evaluations"] = self.losses[k]["evaluations"]
        return r

    def curve(self):
        """The rows every CHANGE_OVER iterations and at the last."""
        return [self.row(k) for k in self.shots if k % CHANGE_OVER == 0 or k == self.last]


def stop_at(pair, window, most, decrease=0.0):
    """The iteration where rule (window, most, decrease) stops the run of pair."""
    loss = {k: pair.losses[k]["loss"] for k in pair.shots}
    for k in range(2 * window, pair.last, window):
        a, b = pair.image(k), pair.image(k - window)
        if not (os.path.exists(a) and os.path.exists(b)) or k not in loss or k - window not in loss:
            continue
        settled = decrease == 0 or (loss[k - window] - loss[k]) / abs(loss[k]) < decrease
        if rms(load(a), load(b)) < most and settled:
            return k
    return pair.last


def plot(pairs, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    for pair in pairs:
        rows, name = pair.curve(), pair.name
        it = [r["iteration"] for r in rows]
        final = rows[-1]
        line, = axes[0].plot(it, [r["loss"] / final["loss"] for r in rows], label=name)
        axes[1].plot(it, [r["style_score"] / final["style_score"] for r in rows], color=line.get_color())
        ch = [(r["iteration"], r["change"]) for r in rows if r["change"] is not None]
        axes[2].plot([c[0] for c in ch], [c[1] for c in ch], color=line.get_color())
        s = stop_at(pair, *DEFAULT)
        for ax in axes:
            ax.axvline(s, color=line.get_color(), lw=0.8, ls=":")
    axes[0].set_yscale("log")
    axes[0].set_title("loss ÷ loss at the last iteration")
    axes[1].set_title("judge's style score ÷ at the last iteration")
    axes[1].axhspan(0.98, 1.02, color="0.9")
    axes[2].set_yscale("log")
    axes[2].set_title("RMS change over the last 50 iterations (grey levels)")
    axes[2].axhline(DEFAULT[1], color="k", lw=1)
    for ax in axes:
        ax.set_xlabel("iteration (dotted: where the default rule stops)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "curves.png"), dpi=90)


def pictures(pairs, out):
    tiles = []
    for pair in pairs:
        name, s, last = pair.name, stop_at(pair, *DEFAULT), pair.last
        a = Image.open(pair.image(s)).convert("RGB")
        b = Image.open(pair.image(last)).convert("RGB")
        h = 200
        a = a.resize((round(a.width * h / a.height), h), Image.LANCZOS)
        b = b.resize((round(b.width * h / b.height), h), Image.LANCZOS)
        row = Image.new("RGB", (a.width + b.width + 10, h + 18), "white")
        row.paste(a, (0, 18))
        row.paste(b, (a.width + 10, 18))
        d = ImageDraw.Draw(row)
        d.text((2, 2), "%s: stopped at %d" % (name, s), fill="black")
        d.text((a.width + 12, 2), "%d iterations" % last, fill="black")
        tiles.append(row)
    cols = 2
    w = max(t.width for t in tiles)
    rows = [tiles[i:i + cols] for i in range(0, len(tiles), cols)]
    sheet = Image.new("RGB", (cols * (w + 16), sum(max(t.height for t in r) + 12 for r in rows)), "white")
    y = 0
    for r in rows:
        for i, t in enumerate(r):
            sheet.paste(t, (i * (w + 16), y))
        y += max(t.height for t in r) + 12
    sheet.save(os.path.join(out, "pairs.jpg"), quality=88)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-weights", required=True)
    ap.add_argument("-out", default="", help="folder for curves.png and pairs.jpg (none: no pictures)")
    ap.add_argument("root")
    a = ap.parse_args()
    net = judge.load_net(a.weights)
    pairs = [Pair(net, folder) for folder in sorted(glob.glob(os.path.join(a.root, "*-*")))
             if os.path.exists(os.path.join(folder, "losses.jsonl"))]
    pairs = [p for p in pairs if p.shots]
    print("| pair | iterations | evaluations | s per iteration | style score at the end | " +
          " | ".join("W %d, m %g, e %g" % c for c in CANDIDATES) + " |")
    print("|---|---|---|---|---|" + "---|" * len(CANDIDATES))
    summary = {c: [] for c in CANDIDATES}
    for pair in pairs:
        name, final = pair.name, pair.row(pair.last)
        cells = []
        for c in CANDIDATES:
            s = stop_at(pair, *c)
            r = pair.row(s)
            time = r["evaluations"] / final["evaluations"]
            score = r["style_score"] / final["style_score"] - 1
            summary[c].append((s, time, score))
            cells.append("%d (%.2f×, %+.1f %%)" % (s, time, 100 * score))
        print("| %s | %d | %d | %.2f | %.2f | %s |" % (name, final["iteration"], final["evaluations"],
                                                       final["elapsed_s"] / final["iteration"],
                                                       final["style_score"], " | ".join(cells)))
    print()
    print("Cells: the iteration where the rule stops (its evaluations ÷ the full run's, which is its time ÷ the full run's\n"
          "on a quiet machine: an evaluation, one forward and backward pass, is nearly all of an iteration's time;\n"
          "style score against the full run's).")
    print()
    print("| rule | mean time ÷ full run | speed-up | mean, worst style score against the full run |")
    print("|---|---|---|---|")
    for c in CANDIDATES:
        if not summary[c]:
            continue
        t = np.mean([x[1] for x in summary[c]])
        worst = min(x[2] for x in summary[c])
        mean = np.mean([x[2] for x in summary[c]])
        print("| W %d, m %g, e %g | %.2f | %.1f× | %+.1f %%, %+.1f %% |" % (c[0], c[1], c[2], t, 1 / t, 100 * mean, 100 * worst))
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        plot(pairs, a.out)
        pictures(pairs, a.out)


if __name__ == "__main__":
    sys.exit(main())
