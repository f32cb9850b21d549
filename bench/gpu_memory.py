#!/usr/bin/env python3
"""The memory model's prediction against what a run uses (issue #25):
bench/gobench at each size and optimizer, its predicted peak
(predicted_peak_bytes, style.MemoryPlan.Needed) against the measured one.

    python3 bench/gpu_memory.py [--gobench PATH] [--sizes 1024,2048,4096] [--opts adam,lbfgs] [--iters 5] [--out bench/gpu_memory]

On a GPU the measured peak is the largest memory.used that nvidia-smi
reports for GPU 0 while the run lasts (sampled every 50 ms), less what was
in use before it started. With TensorFlow's default allocator and
allow_growth (tfruntime.Devices) that is the allocator's reservation: it
grows in regions, so it can exceed the bytes in use at the peak (by less
than the last region). Without nvidia-smi (the CPU build, a dry run) it is
the process's peak resident memory (gobench's peak_rss_mb), which the model
predicts on the CPU.

Writes OUT.jsonl (gobench's lines with "measured_peak_bytes" and
"measured_by" added) and OUT.md (a table), and prints the table.
"""
import argparse
import json
import shutil
import subprocess
import threading
import time

GIB = 1 << 30


def gpu_used_mib():
    out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[0])


class Sampler:
    """Polls nvidia-smi every 50 ms on a thread and keeps the largest value."""

    def __init__(self):
        self.peak, self.stop = 0.0, threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, gpu_used_mib())
            time.sleep(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gobench", default="/tmp/neuralstyle-gpu/bin/gobench")
    ap.add_argument("--sizes", default="1024,2048,4096")
    ap.add_argument("--opts", default="adam,lbfgs")
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--out", default="bench/gpu_memory")
    a = ap.parse_args()
    gpu = shutil.which("nvidia-smi") is not None
    rows = []
    with open(a.out + ".jsonl", "w") as jl:
        for size in (int(s) for s in a.sizes.split(",")):
            for opt in a.opts.split(","):
                cmd = [a.gobench, "-size", str(size), "-opt", opt, "-iters", str(a.iters)]
                if gpu:
                    before = gpu_used_mib()
                    with Sampler() as s:
                        p = subprocess.run(cmd, capture_output=True, text=True)
                    measured, by = (s.peak - before) * (1 << 20), "nvidia-smi memory.used, less %.0f MiB before" % before
                else:
                    p = subprocess.run(cmd, capture_output=True, text=True)
                    measured, by = None, "peak resident memory"
                if p.returncode != 0:
                    tail = p.stderr.strip().splitlines()[-1:] or ["(no output)"]
                    print("%d px %s: gobench failed: %s" % (size, opt, tail[0]))
                    rows.append((size, opt, None, None, None, "failed: " + tail[0]))
                    continue
                r = json.loads(p.stdout.strip().splitlines()[-1])
                if measured is None:
                    measured = r["peak_rss_mb"] * (1 << 20)
                r["measured_peak_bytes"], r["measured_by"] = measured, by
                jl.write(json.dumps(r) + "\n")
                rows.append((size, opt, r["predicted_peak_bytes"], measured, r["tiled"], r["device"]))
    lines = ["Measured by %s; %d iterations per run." % ("nvidia-smi (GPU 0)" if gpu else "peak resident memory (no nvidia-smi)", a.iters), "",
             "| size | optimizer | device | tiled | predicted peak | measured peak | predicted ÷ measured |",
             "|---|---|---|---|---|---|---|"]
    for size, opt, pred, meas, tiled, dev in rows:
        if pred is None:
            lines.append("| %d | %s | %s | | | | |" % (size, opt, dev))
            continue
        lines.append("| %d | %s | %s | %s | %.2f GiB | %.2f GiB | %.2f |" % (
            size, opt, dev, "yes" if tiled else "no", pred / GIB, meas / GIB, pred / meas if meas else float("nan")))
    text = "\n".join(lines) + "\n"
    with open(a.out + ".md", "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
