"""Turns bench/gpu.sh's JSON lines into bench/gpu_results.md (printed) and a plot.

  python gpu_report.py gpu_results.jsonl gpu_results.png > gpu_results.md

The first line describes the machine; every other line is one run of
bench/gobench or bench/peer_torch.py. Per implementation, size and
optimizer: the milliseconds per iteration are the differences between
consecutive iteration ends from iteration 2 on (the first holds graph
building, tracing and the targets), pooled over the repeats; median and
min–max. The goals of issue #25 are ratios to PyTorch with TF32 on: at most
1.0 in float32, at most 0.6 in mixed precision. The plot needs matplotlib;
without it only the table is written.
"""

import json
import statistics
import sys

LABELS = {"go": "neuralstyle", "go-xla": "neuralstyle, -xla", "go-bf16": "neuralstyle, bfloat16", "go-fp16": "neuralstyle, float16",
          "torch-tf32": "PyTorch, TF32 on", "torch-fp32": "PyTorch, TF32 off", "torch": "PyTorch (CPU dry run)"}


def main():
    lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    head, runs = lines[0], lines[1:]
    groups = {}
    for r in runs:
        groups.setdefault((r["size"], r["opt"], r["impl"]), []).append(r)
    ms = {}
    out = [f"GPU: {head['gpu']}; host: {head['machine']}; {head['date']}.", "",
           "| size | optimizer | implementation | ms/iteration median (min–max) | evaluations/iteration | host bytes/iteration | peak GPU MiB |",
           "|---|---|---|---|---|---|---|"]
    for (size, opt, impl) in sorted(groups, key=lambda k: (k[0], k[1], list(LABELS).index(k[2]) if k[2] in LABELS else 99)):
        rs = groups[(size, opt, impl)]
        deltas = [b - a for r in rs for a, b in zip(r["iter_end_s"], r["iter_end_s"][1:])]
        if not deltas:
            continue
        med = 1000 * statistics.median(deltas)
        ms[(size, opt, impl)] = med
        iters = sum(len(r["iter_end_s"]) for r in rs)
        epi = sum(r["evals"] for r in rs) / iters
        hb = [r["host_bytes_per_iter"] for r in rs if r.get("host_bytes_per_iter") is not None]
        peak = [r["peak_device_mb"] for r in rs if r.get("peak_device_mb") is not None]
        out.append(f"| {size} | {opt} | {LABELS.get(impl, impl)} | {med:.1f} ({1000 * min(deltas):.1f}–{1000 * max(deltas):.1f}) | "
                   f"{epi:.2f} | {statistics.median(hb):,.0f} | " if hb else
                   f"| {size} | {opt} | {LABELS.get(impl, impl)} | {med:.1f} ({1000 * min(deltas):.1f}–{1000 * max(deltas):.1f}) | {epi:.2f} | — | ")
        out[-1] += f"{statistics.median(peak):.0f} |" if peak else "— |"
    ref = "torch-tf32" if any(k[2] == "torch-tf32" for k in ms) else "torch"
    out += ["", f"Time per iteration ÷ {LABELS[ref]} (goals: float32 ≤ 1.0, mixed precision ≤ 0.6):", "",
            "| size | optimizer | neuralstyle | -xla | bfloat16 | float16 |", "|---|---|---|---|---|---|"]
    for size, opt in sorted({(k[0], k[1]) for k in ms}):
        base = ms.get((size, opt, ref))
        cells = [f"{ms[(size, opt, i)] / base:.2f}" if base and (size, opt, i) in ms else "—" for i in ("go", "go-xla", "go-bf16", "go-fp16")]
        out.append(f"| {size} | {opt} | " + " | ".join(cells) + " |")
    print("\n".join(out))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\n(no plot: matplotlib is not installed)")
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, opt in zip(axes, ("adam", "lbfgs")):
        for impl in LABELS:
            pts = sorted((k[0], v) for k, v in ms.items() if k[1] == opt and k[2] == impl)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=LABELS[impl])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("image side, px")
        ax.set_ylabel("ms per iteration")
        ax.set_title(f"{opt}: {head['gpu']}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=90)


if __name__ == "__main__":
    main()
