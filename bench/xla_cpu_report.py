#!/usr/bin/env python3
"""Markdown report of bench/xla_cpu.sh's JSON lines: per size and
optimizer, the median time per iteration (iterations 2 on; the first holds
XLA's compilation) with and without XLA, each run listed, and the ratio of
the medians.

    python3 bench/xla_cpu_report.py bench/xla_cpu.jsonl > bench/xla_cpu.md
"""
import json
import os
import statistics
import sys


def per_iter(r):
    t = r["iter_end_s"]
    steps = [b - a for a, b in zip(t, t[1:])]
    return statistics.median(steps), t[0]


def main():
    path = sys.argv[1]
    rows = [json.loads(line) for line in open(path) if line.strip()]
    load = os.path.splitext(path)[0] + ".load"
    print("# XLA auto-clustering on the CPU (bench/xla_cpu.sh)\n")
    if os.path.exists(load):
        print("".join("    " + line for line in open(load)))
    print("| size | optimizer | without XLA, s per iteration | with XLA | XLA ÷ without | first iteration, without / with XLA (s) |")
    print("|---|---|---|---|---|---|")
    keys = sorted({(r["size"], r["opt"]) for r in rows})
    for size, opt in keys:
        runs = {x: [per_iter(r) for r in rows if r["size"] == size and r["opt"] == opt and r["xla"] == x] for x in (False, True)}
        if not runs[False] or not runs[True]:
            continue
        off = statistics.median(p for p, _ in runs[False])
        on = statistics.median(p for p, _ in runs[True])
        first = "%s / %s" % (", ".join("%.2f" % f for _, f in runs[False]), ", ".join("%.2f" % f for _, f in runs[True]))
        print("| %d | %s | %.3f (%s) | %.3f (%s) | **%.2f** | %s |" % (
            size, opt, off, ", ".join("%.3f" % p for p, _ in runs[False]),
            on, ", ".join("%.3f" % p for p, _ in runs[True]), on / off, first))


if __name__ == "__main__":
    sys.exit(main())
