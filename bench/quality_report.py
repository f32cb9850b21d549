#!/usr/bin/env python3
"""Report of bench/quality.sh: a markdown table on stdout, curves.png (loss
against wall time) and side_by_side.png in the output folder.

    python quality_report.py results.jsonl OUTDIR CONTENT STYLE WEIGHTS

The table also holds the independent judge's scores of each image
(bench/judge.py: how much closer to the painting's Gram statistics than the
photo, and the conv4_2 drift from the photo).
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

NAMES = {"go": "neuralstyle (Go, TF C API)", "torch": "PyTorch 2.5.1"}
OPTS = {"lbfgs": "L-BFGS", "adam": "Adam (lr 1)"}


def main():
    results_path, out, content, style, weights = sys.argv[1:6]
    runs = [json.loads(l) for l in open(results_path) if l.strip()]
    net = judge.load_net(weights)

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    styles = {("go", "lbfgs"): ("C0", "-"), ("torch", "lbfgs"): ("C1", "-"),
              ("go", "adam"): ("C0", "--"), ("torch", "adam"): ("C1", "--")}
    rows = []
    for r in runs:
        res = r["result"]
        impl, opt = res["impl"], res["opt"]
        c, ls = styles[(impl, opt)]
        ax.plot(res["iter_end_s"], res["losses"], color=c, linestyle=ls, label="%s, %s" % (NAMES[impl], OPTS[opt]))
        img = os.path.join(out, "%s_%s.png" % (impl, opt))
        score, drift = judge.score(net, Image.open(content), Image.open(style), Image.open(img))
        t = res["iter_end_s"][-1]
        rows.append((NAMES[impl], OPTS[opt], res["iters"], res["evals"], res["loss"], t, t / res["iters"],
                     res["peak_rss_mb"], score, drift, r["load1"], r["load1_end"], img))
    ax.set_yscale("log")
    ax.set_xlabel("wall time (s), from the start of the transfer (weights loaded)")
    ax.set_ylabel("total loss (content 5, style 1e4, TV 1e-3)")
    ax.set_title("ImageNet VGG16 at 512 px: loss against time")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "curves.png"))

    # The four images in a 2x2 grid, labelled.
    ims = [Image.open(r[-1]).convert("RGB") for r in rows]
    w, h = ims[0].size
    grid = Image.new("RGB", (2 * w + 10, 2 * (h + 24) + 10), "white")
    d = ImageDraw.Draw(grid)
    order = sorted(range(len(rows)), key=lambda i: (rows[i][1], rows[i][0]))
    for k, i in enumerate(order):
        x, y = (k % 2) * (w + 10), (k // 2) * (h + 34)
        d.text((x + 4, y + 4), "%s, %s: loss %.3g" % (rows[i][0], rows[i][1], rows[i][4]), fill="black")
        grid.paste(ims[i], (x, y + 22))
    grid.save(os.path.join(out, "side_by_side.png"))

    print("| implementation | optimizer | iterations | evaluations | final loss | time (s) | s/iteration | peak RSS (MB) | style score | content drift | load (start–end) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %d | %d | %.4g | %.1f | %.2f | %.0f | %.2f | %.3f | %.1f–%.1f |" % r[:12])


if __name__ == "__main__":
    main()
