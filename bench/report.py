"""Turns the JSON lines of bench/run.sh into the markdown table.

  python report.py results.jsonl peak.jsonl machine.txt > results.md

Per implementation, size and optimizer: the seconds per iteration are the
differences between consecutive iteration ends, from iteration 2 on (the
first iteration also holds graph building / tracing and the targets, which
is the "setup" column), pooled over the repeats; median and min–max. Peak
RSS is the median over the runs of the process's ru_maxrss. FLOPs are
counted from the layer shapes (see flops()).
"""

import json
import statistics
import sys

import common

IMPLS = [("go", "neuralstyle (Go)"), ("tf", "TF 2.18 Python"), ("torch", "PyTorch"),
         ("go-bf16", "neuralstyle (Go), bfloat16"), ("go-before", "neuralstyle (Go), BEFORE build")]


def flops(size):
    """FLOPs of one evaluation (loss and gradient) at size×size.

    Forward: 2·9·H·W·Cin·Cout per 3×3 convolution up to conv5_1, plus
    2·M·N² per style Gram. Backward: only the gradient with respect to the
    input is needed (the weights are frozen: TensorFlow prunes the filter
    gradients that nothing fetches, PyTorch skips them for tensors without
    requires_grad), which costs as much again: conv2d_backprop_input is a
    convolution of the same size, and a Gram's gradient 2·F·dG one more
    M·N² product. So an evaluation is 2 × the forward FLOPs (3× if the
    weight gradients were computed). This counts the work needed, not what
    each implementation runs: the autodiff of FᵀF in TensorFlow and PyTorch
    computes two M·N² products (F·dGᵀ and F·dG) where one suffices; this
    library's style loss computes one (loss/style.go, symmetricGram), the
    peers two, about 2 % more than counted at every size. Pooling, ReLU and the loss terms are
    O(H·W·C) and left out (< 1 %).
    """
    h = w = size
    cin = 3
    conv = gram = 0.0
    for name, kind, _ in common.layer_names():
        if kind == "conv":
            block = int(name[4])  # "conv4_2" → 4
            cout = common.BLOCKS[block - 1][1]
            conv += 2 * 9 * h * w * cin * cout
            cin = cout
        elif kind == "pool":
            h, w = (h + 1) // 2, (w + 1) // 2
        if name in common.STYLE_LAYERS:
            gram += 2 * h * w * cin * cin
    return 2 * (conv + gram)


def line():
    """One run's JSON (stdin) as a progress line."""
    r = json.load(sys.stdin)
    e = r["iter_end_s"]
    step = (e[-1] - e[0]) / max(len(e) - 1, 1)
    print(f"{len(e)} iterations, {r['evals']} evaluations, {step:.3f} s/iteration after the first, "
          f"peak RSS {r['peak_rss_mb']:.0f} MiB")


def main():
    if sys.argv[1:] == ["--line"]:
        return line()
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    peaks = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
    machine = open(sys.argv[3]).read().strip()
    peak = max(p["gflops"] for p in peaks) if peaks else float("nan")
    loads = [r["load1"] for r in rows]
    ends = [r.get("load1_end", float("nan")) for r in rows]

    groups = {}
    for r in rows:
        res = r["result"]
        groups.setdefault((res["size"], res["opt"], res["impl"]), []).append(res)

    out = []
    out.append(f"Machine: {machine}. Threads: 2 intra-op, 1 inter-op in all three.")
    out.append(f"Measured peak: {peak:.0f} GFLOP/s (best of 4096² float32 MatMul in TensorFlow, 2 threads).")
    if loads:
        out.append(f"1-minute load average at the start of each run: median {statistics.median(loads):.2f}, "
                   f"max {max(loads):.2f} over {len(loads)} runs; at the end of each run (this benchmark's own "
                   f"2 threads included): median {statistics.median(ends):.2f}, max {max(ends):.2f}.")
    out.append("")
    out.append("| size | optimizer | implementation | s/iteration median (min–max) | evaluations/iteration | setup + iteration 1, s | peak RSS MiB | GFLOP/s | % of peak |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for size in sorted({k[0] for k in groups}):
        for opt in ["adam", "lbfgs"]:
            for impl, label in IMPLS:
                runs = groups.get((size, opt, impl))
                if not runs:
                    continue
                deltas = []
                for res in runs:
                    e = res["iter_end_s"]
                    deltas += [b - a for a, b in zip(e, e[1:])]
                iters = sum(len(res["iter_end_s"]) for res in runs)
                # evaluations per iteration, the start point's evaluation excluded
                epi = sum(res["evals"] - 1 for res in runs) / iters if opt == "adam" else \
                    sum(res["evals"] for res in runs) / iters
                setup = statistics.median(res["iter_end_s"][0] for res in runs)
                rss = statistics.median(res["peak_rss_mb"] for res in runs)
                if not deltas:
                    continue
                med = statistics.median(deltas)
                summary[(size, opt, impl)] = (med, rss, runs)
                if opt == "adam":  # exactly one evaluation per iteration
                    gf = flops(size) / med / 1e9
                    rate = f"{gf:.0f} | {100 * gf / peak:.0f} %"
                    if impl == "go-bf16":
                        rate += " of the float32 peak"
                else:  # line searches: evaluations per iteration vary
                    rate = "— | —"
                out.append(f"| {size} | {opt} | {label} | {med:.3f} ({min(deltas):.3f}–{max(deltas):.3f}) | "
                           f"{epi:.2f} | {setup:.1f} | {rss:.0f} | {rate} |")
    out.append("")
    out.append("Ratios, neuralstyle / peer (below 1.00: this library is faster or smaller):")
    out.append("")
    out.append("| size | optimizer | time vs TF | time vs PyTorch | peak RSS vs TF | peak RSS vs PyTorch |")
    out.append("|---|---|---|---|---|---|")
    for size in sorted({k[0] for k in summary}):
        for opt in ["adam", "lbfgs"]:
            ours = summary.get((size, opt, "go"))
            if not ours:
                continue
            cells = []
            for what in (0, 1):
                for peer in ("tf", "torch"):
                    theirs = summary.get((size, opt, peer))
                    cells.append(f"{ours[what] / theirs[what]:.2f}" if theirs else "—")
            out.append(f"| {size} | {opt} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} |")
    before = [(size, opt) for size in sorted({k[0] for k in summary}) for opt in ["adam", "lbfgs"]
              if (size, opt, "go-before") in summary and (size, opt, "go") in summary]
    if before:
        out.append("")
        out.append("This build against the BEFORE build (bench/run.sh's BEFORE), in the same run:")
        out.append("")
        out.append("| size | optimizer | time per iteration, this ÷ before | peak RSS, this ÷ before | "
                   "host bytes per iteration, before → this |")
        out.append("|---|---|---|---|---|")
        for size, opt in before:
            ours, theirs = summary[(size, opt, "go")], summary[(size, opt, "go-before")]

            def traffic(runs):
                v = [r.get("host_bytes_per_iter") for r in runs[2] if r.get("host_bytes_per_iter") is not None]
                return f"{statistics.median(v):,.0f}" if v else "—"
            out.append(f"| {size} | {opt} | {ours[0] / theirs[0]:.3f} | {ours[1] / theirs[1]:.3f} | "
                       f"{traffic(theirs)} → {traffic(ours)} |")
    bf16 = [(size, summary[(size, "adam", "go-bf16")]) for size in sorted({k[0] for k in summary})
            if (size, "adam", "go-bf16") in summary]
    if bf16:
        out.append("")
        out.append("With style.WithPrecision(BFloat16) (mixed bfloat16; a different arithmetic, so not part of the "
                   "like-for-like ratios above; the peers run float32), Adam, time per iteration ÷ peer:")
        out.append("")
        out.append("| size | bfloat16 vs neuralstyle float32 | vs TF | vs PyTorch | peak RSS vs TF |")
        out.append("|---|---|---|---|---|")
        for size, ours in bf16:
            cells = []
            for impl, what in (("go", 0), ("tf", 0), ("torch", 0), ("tf", 1)):
                theirs = summary.get((size, "adam", impl))
                cells.append(f"{ours[what] / theirs[what]:.2f}" if theirs else "—")
            out.append(f"| {size} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("FLOPs per evaluation (forward + input gradient, 2 × forward; see bench/report.py): " +
               ", ".join(f"{s} px {flops(s) / 1e9:.0f} GFLOP" for s in sorted({k[0] for k in summary})) + ".")
    out.append("")
    out.append("Same objective check, loss after one Adam step from the content image (all three start from "
               "bit-identical weights and images):")
    out.append("")
    for size in sorted({k[0] for k in summary}):
        vals = []
        for impl, label in IMPLS:
            s = summary.get((size, "adam", impl))
            if s:
                vals.append(f"{label} {statistics.median(r['loss1'] for r in s[2]):.6g}")
        if vals:
            out.append(f"- {size} px: " + ", ".join(vals))
    print("\n".join(out))


if __name__ == "__main__":
    main()
