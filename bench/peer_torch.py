"""Peer (c) of the comparison harness: the objective in PyTorch, on the CPU
or (--device cuda) on a GPU.

The network with frozen weights (no gradient), the targets computed once
under no_grad, the image a leaf tensor with requires_grad. Adam is
torch.optim.Adam (lr 1, ε 1e-8); L-BFGS is torch.optim.LBFGS (lr 1, history
10, no line search, as the PyTorch style-transfer tutorial uses it), one
iteration per step call so that every iteration is timed.

  python peer_torch.py --size 512 --iters 5 --opt adam --threads 2
  python peer_torch.py --size 1024 --iters 20 --opt lbfgs --device cuda --tf32 on

On a GPU, --tf32 on lets cuDNN and cuBLAS use TF32 tensor cores for float32
convolutions and matrix products (TensorFlow's default), off keeps full
float32. Every iteration ends with the loss read on the host, which waits for
the GPU, so the iteration times are the GPU's. The JSON line adds device,
tf32 and, on a GPU, peak_device_mb (torch.cuda.max_memory_allocated).

Tensors are NCHW (PyTorch's layout); the images and weights are the same as
the other two implementations', transposed.
"""

import time

import numpy as np

import common


def main():
    def extra(ap):
        ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="where the network and the optimizer run (default cpu)")
        ap.add_argument("--tf32", choices=["on", "off"], default="on",
                        help="on a GPU: TF32 tensor cores for float32 convolutions and matmuls (default on)")
    a = common.parse_args("PyTorch peer of the neuralstyle benchmark", extra)

    import torch
    import torch.nn.functional as F

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(a.inter)
    if a.device == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("peer_torch.py: --device cuda, but torch sees no CUDA device "
                             f"(torch {torch.__version__}, built for CUDA {torch.version.cuda})")
        torch.backends.cuda.matmul.allow_tf32 = a.tf32 == "on"
        torch.backends.cudnn.allow_tf32 = a.tf32 == "on"
        torch.backends.cudnn.benchmark = True
    dev = torch.device(a.device)

    layers, hwio, mean = common.network(a)
    ws = [(torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1))).to(dev), torch.from_numpy(b).to(dev))
          for k, b in hwio]  # HWIO → OIHW
    start = time.perf_counter()  # the library and the weights are loaded, as in gobench

    def net(x):
        out = {}
        for name, kind, conv in layers:
            if kind == "conv":
                k, b = ws[conv]
                x = F.conv2d(x, k, b, padding=1)
            elif kind == "relu":
                x = F.relu(x)
            elif a.pooling == "max":
                x = F.max_pool2d(x, 2, 2, ceil_mode=True)  # TF's SAME on odd sizes
            else:
                # 2×2 stride 2, ceil_mode: TF's SAME (the mean over the valid cells) on odd sizes
                x = F.avg_pool2d(x, 2, 2, ceil_mode=True)
            out[name] = x
        return out

    def mean_gram(f):
        n = f.shape[1]
        flat = f.reshape(n, -1)
        return flat @ flat.t() / flat.shape[1]

    def nchw(x):
        return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).to(dev)

    content_np, style_np = common.real_images(a, mean)
    with torch.no_grad():
        p_content = net(nchw(content_np))[common.CONTENT_LAYER]
        fs = net(nchw(style_np))
        g_style = [mean_gram(fs[l]) for l in common.STYLE_LAYERS]
        del fs

    def loss_fn(x):
        f = net(x)
        fc = f[common.CONTENT_LAYER]
        n, m = fc.shape[1], fc.shape[2] * fc.shape[3]
        content = ((fc - p_content) ** 2).sum() / (2.0 * np.sqrt(n) * np.sqrt(m))
        style = 0.0
        for l, g in zip(common.STYLE_LAYERS, g_style):
            n = f[l].shape[1]
            style = style + common.LAYER_WEIGHT * ((mean_gram(f[l]) - g) ** 2).sum() / (4.0 * n * n)
        tv = (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().sum() + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().sum()
        return common.CONTENT_WEIGHT * content + common.STYLE_WEIGHT * style + common.TV_WEIGHT * tv

    img = nchw(content_np).clone().requires_grad_(True)
    count = [0]

    def closure():
        opt.zero_grad()
        loss = loss_fn(img)
        loss.backward()
        count[0] += 1
        return loss

    ends, losses = [], []
    if a.opt == "adam":
        opt = torch.optim.Adam([img], lr=1.0, betas=(0.9, 0.999), eps=1e-8)
        closure()  # the evaluation at the start point
        for _ in range(a.iters):
            opt.step()
            loss = closure()
            losses.append(float(loss))
            ends.append(time.perf_counter() - start)
    else:
        opt = torch.optim.LBFGS([img], lr=1.0, max_iter=1, history_size=10,
                                tolerance_grad=-1, tolerance_change=-1)
        for _ in range(a.iters):
            loss = opt.step(closure)
            losses.append(float(loss))
            ends.append(time.perf_counter() - start)

    extra = {"device": a.device, "tf32": a.tf32 == "on" if a.device == "cuda" else None}
    if a.device == "cuda":
        extra["peak_device_mb"] = torch.cuda.max_memory_allocated() / 2**20
        extra["gpu"] = torch.cuda.get_device_name()
    common.emit("torch", a.size, a.opt, len(ends), count[0], ends, losses, a.threads, **extra)
    if a.out:
        common.save_image(a.out, img.detach().cpu().numpy().transpose(0, 2, 3, 1), mean)


if __name__ == "__main__":
    main()
