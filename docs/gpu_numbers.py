"""The numbers of docs/gpu.md, computed from VGG19's layer shapes.

Run: python3 docs/gpu_numbers.py   (standard library only)

FLOPs per evaluation (loss and gradient) of the default transfer at S×S px:
forward 3×3 convolutions conv1_1 … conv5_1 (2·9·H·W·Cin·Cout each) and the
five style Grams FᵀF (2·M·C² each, M = H·W), twice: the gradient with
respect to the input costs what the forward pass costs, and the frozen
weights get no gradient. Element-wise work (ReLU, pooling, the loss sums) is
left out: under 1 % of the total.
"""

# (name, output channels) in order; "pool" halves H and W.
VGG19_TO_CONV5_1 = [
    ("conv1_1", 64), ("conv1_2", 64), ("pool", 0),
    ("conv2_1", 128), ("conv2_2", 128), ("pool", 0),
    ("conv3_1", 256), ("conv3_2", 256), ("conv3_3", 256), ("conv3_4", 256), ("pool", 0),
    ("conv4_1", 512), ("conv4_2", 512), ("conv4_3", 512), ("conv4_4", 512), ("pool", 0),
    ("conv5_1", 512),
]
STYLE = {"conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"}  # relu*_1 follow these


def flops(size):
    h = w = size
    cin = 3
    total = 0
    for name, cout in VGG19_TO_CONV5_1:
        if name == "pool":
            h, w = (h + 1) // 2, (w + 1) // 2
            continue
        total += 2 * 9 * h * w * cin * cout
        if name in STYLE:
            total += 2 * h * w * cout * cout
        cin = cout
    return 2 * total


# float32 peaks, vendor figures (TFLOP/s, dense, no sparsity).
GPUS = [
    # name, FP32 (CUDA cores), TF32 tensor cores, BF16 tensor cores
    ("NVIDIA H100 SXM", 67, 495, 989),
    ("NVIDIA A100 SXM", 19.5, 156, 312),
    ("NVIDIA RTX 4090", 82.6, 82.6, 165.2),
    ("NVIDIA Titan X (Pascal)", 11.0, None, None),
]
EFFICIENCY = 0.5  # assumed fraction of the peak that cuDNN reaches on these shapes
PCIE = 25e9       # bytes/s per direction, PCIe 4.0 x16 (32 GB/s nominal) with pageable host memory: ~ 12–25
STORE = 15        # L-BFGS history (gonum's default, the library's)


def main():
    sizes = [512, 1024, 2048]
    print("GFLOP per evaluation:", ", ".join(f"{s} px {flops(s) / 1e9:.0f}" for s in [256] + sizes))
    print()
    print("ms per evaluation at the peak / at", EFFICIENCY, "of it:")
    for name, fp32, tf32, bf16 in GPUS:
        for label, peak in (("FP32", fp32), ("TF32", tf32), ("BF16", bf16)):
            if peak is None:
                continue
            cells = []
            for s in sizes:
                t = flops(s) / (peak * 1e12)
                cells.append(f"{s} px {1e3 * t:.1f} / {1e3 * t / EFFICIENCY:.1f}")
            print(f"  {name} {label} {peak} TFLOP/s: " + "; ".join(cells))
    print()
    print("per evaluation over PCIe (image in + gradient out, float32, at", PCIE / 1e9, "GB/s):")
    for s in sizes:
        b = s * s * 3 * 4
        print(f"  {s} px: {b / 1e6:.1f} MB each way, {1e3 * 2 * b / PCIE:.2f} ms")
    print()
    print(f"L-BFGS on the host (gonum, float64, store {STORE}): about 4·store·n FLOPs and")
    print("  8·(4·store)·n bytes read per iteration:")
    for s in sizes:
        n = 3 * s * s
        print(f"  {s} px: n = {n}, {4 * STORE * n / 1e9:.2f} GFLOP, {8 * 4 * STORE * n / 1e9:.2f} GB")
    print()
    # jcjohnson/neural-style's README: Titan X (Pascal), 500 iterations at 512 px, 22 s with cuDNN.
    t = 500 * flops(512) / 11.0e12
    print(f"check: 500 evaluations at 512 px on a Titan X (Pascal) at its peak: {t:.1f} s "
          f"(neural-style's README reports 22 s, {t / 22:.0%} of the peak)")


if __name__ == "__main__":
    main()
