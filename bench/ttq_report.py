#!/usr/bin/env python3
"""Report of bench/ttq.sh: a markdown table on stdout, curves.png (loss
against wall time, one line per run, the target dashed) and images.png (the
results side by side) in the output folder.

    python ttq_report.py results.jsonl OUTDIR TARGET CONTENT STYLE WEIGHTS

A run's time to quality is the wall time of its first full-size iteration
at or below TARGET (the reference's final loss); the reference's own is its
last iteration's. The ratio divides each by the reference's. The table
also holds the independent judge's scores of each image (bench/judge.py:
how much closer to the painting's Gram statistics than the photo, and the
conv4_2 drift from the photo), since equal losses can balance content and
style differently.
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge  # noqa: E402

# The image each run saved (bench/ttq.sh), by a part of its name.
IMAGES = [("TF-Python", "tf_adam.png"), ("Fast", "go_fast.png"), ("from 256", "go_lbfgs_ms256.png"),
          ("from 128", "go_lbfgs_ms128.png"), ("bfloat16", "go_adam_bf16.png"), ("L-BFGS", "go_lbfgs.png")]


def image_of(name):
    return next(f for part, f in IMAGES if part in name)


def reached(res, target):
    """Seconds to the first full-size iteration at or below target, or None."""
    full = max(res.get("scales") or [res["size"]])
    for t, loss, s in zip(res["iter_end_s"], res["losses"], res.get("scales") or [full] * len(res["losses"])):
        if s == full and loss <= target:
            return t
    return None


def main():
    results_path, out, target = sys.argv[1], sys.argv[2], float(sys.argv[3])
    content, style, weights = sys.argv[4:7]
    net = judge.load_net(weights)
    runs = [json.loads(l) for l in open(results_path) if l.strip()]
    ref_t = runs[0]["result"]["iter_end_s"][-1]

    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    rows = []
    for i, r in enumerate(runs):
        res = r["result"]
        t = ref_t if i == 0 else reached(res, target)
        ax.plot(res["iter_end_s"], res["losses"], color="C%d" % i, linewidth=2 if i == 0 else 1.5, label=r["name"])
        if t is not None:
            ax.plot([t], [res["losses"][res["iter_end_s"].index(t)]], "o", color="C%d" % i)
        full = [s for s in (res.get("scales") or [])]
        n_full = sum(1 for s in full if s == max(full)) if full else len(res["losses"])
        img = os.path.join(out, image_of(r["name"]))
        sc, drift = judge.score(net, Image.open(content), Image.open(style), Image.open(img))
        rows.append((r["name"], len(res["losses"]), n_full, res["evals"], res["loss"],
                     "%.1f" % t if t is not None else "not reached",
                     "%.3f×" % (t / ref_t) if t is not None else "—",
                     sc, drift, res["peak_rss_mb"], r["load1"], r["load1_end"]))
    ax.axhline(target, color="gray", linestyle="--", linewidth=1, label="target: the tutorial recipe's final loss")
    ax.set_yscale("log")
    ax.set_xscale("log")
    ax.set_xlabel("wall time (s, log scale) from the start of the transfer (weights loaded), 2 cores")
    ax.set_ylabel("total loss (content 5, style 1e4, TV 1e-3)")
    ax.set_title("Time to quality, ImageNet VGG16 at 512 px (dots: target reached; before a jump,\n"
                 "a coarse scale's loss, of the smaller image)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "curves.png"))

    ims = [(r[0], r[4], Image.open(os.path.join(out, p)).convert("RGB"))
           for r, p in ((r, image_of(r[0])) for r in rows)]
    w, h = ims[0][2].size
    cols = 3
    nrow = (len(ims) + cols - 1) // cols
    grid = Image.new("RGB", (cols * (w + 10), nrow * (h + 34)), "white")
    d = ImageDraw.Draw(grid)
    for k, (name, loss, im) in enumerate(ims):
        x, y = (k % cols) * (w + 10), (k // cols) * (h + 34)
        d.text((x + 4, y + 4), "%s: loss %.3g" % (name, loss), fill="black")
        grid.paste(im, (x, y + 22))
    grid.save(os.path.join(out, "images.png"))

    print("Target: %.4g, the final loss of the first row. Time to it from the start of the transfer." % target)
    print()
    print("| run | iterations | at full size | evaluations | final loss | time to target (s) | ratio | style score | content drift | peak RSS (MB) | load (start–end) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %d | %d | %d | %.4g | %s | %s | %.2f | %.3f | %.0f | %.1f–%.1f |" % r)


if __name__ == "__main__":
    main()
