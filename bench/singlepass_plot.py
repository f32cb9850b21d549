"""singlepass_plot.py — how far tiled evaluation's loss drifts from untiled
evaluation's over an Adam run: (loss / untiled loss − 1) per iteration, from
the progress logs bench/singlepass.sh keeps in bench/singlepass/.

    JPY=$(tools/golden-venv.sh bench/requirements-judge.txt judge-venv)
    $JPY bench/singlepass_plot.py            # writes bench/singlepass.png

Each curve is a log MODE-SIZE-tileTILE.log against untiled-SIZE-*.log of the
same size; a size without an untiled log is left out.
"""

import glob
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LINE = re.compile(r"^iteration (\d+)/\d+ loss ([0-9.e+-]+)")
NAME = re.compile(r"^(.+)-(\d+)-tile(\d+)\.log$")

# What each mode's log holds, for the legend.
LABELS = {
    "single-pass": "single pass (exact after a missed prediction)",
    "single-pass-from-second": "single pass from the 2nd evaluation (before)",
    "tiled": "tiled, exact",
}


def losses(path):
    """The loss after each iteration, in order."""
    out = []
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if m:
                out.append(float(m.group(2)))
    return out


def main():
    logs = sorted(glob.glob(os.path.join(HERE, "singlepass", "*.log")))
    runs = {}
    for path in logs:
        m = NAME.match(os.path.basename(path))
        if not m:
            continue
        mode, size, tile = m.group(1), int(m.group(2)), int(m.group(3))
        runs[(mode, size, tile)] = losses(path)
    untiled = {size: l for (mode, size, _), l in runs.items() if mode == "untiled"}
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=110)
    for (mode, size, tile), l in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        base = untiled.get(size)
        if mode == "untiled" or not base or not l:
            continue
        n = min(len(l), len(base))
        gap = [100 * (l[i] / base[i] - 1) for i in range(n)]
        label = f"{size} px, {LABELS.get(mode, mode)}, tile {tile}"
        ax.plot(range(1, n + 1), gap, label=label, lw=1.6, ls="-" if size >= 1024 else "--")
        print(f"{label}: {gap[-1]:+.3f} % after {n} iterations", file=sys.stderr)
    ax.axhspan(-1, 1, color="0.9", zorder=0, label="±1 % (the goal)")
    ax.axhline(0, color="0.4", lw=0.8)
    ax.set_xlabel("Adam iteration (learning rate 1)")
    ax.set_ylabel("loss relative to untiled (%)")
    ax.set_title("Tiled loss against untiled, ImageNet VGG16, coffee × The Starry Night")
    ax.legend(fontsize=8, loc="center right", bbox_to_anchor=(1, 0.6))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = os.path.join(HERE, "singlepass.png")
    fig.savefig(out)
    print(out)


if __name__ == "__main__":
    main()
