#!/usr/bin/env python3
"""PyTorch peer figures for tensor-bench, printed as `figure<TAB>median ms<TAB>note` lines.

    python tools/bench/torch_ops_bench.py [linear|attention|all|bf16|conv|norms|shuffle|kernels] [runs] [threads]
"""
import resource
import sys
import time

import torch
import torch.nn.functional as F

mode = sys.argv[1] if len(sys.argv) > 1 else "all"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
torch.set_num_threads(threads)
torch.set_grad_enabled(False)
print(f"#\ttorch {torch.__version__}, {torch.get_num_threads()} threads")


def timed(fn):
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    samples.sort()
    n = len(samples)
    return samples[n // 2] if n % 2 else (samples[n // 2 - 1] + samples[n // 2]) / 2


def report(name, ms, note):
    print(f"{name}\t{ms:.2f}\t{note}")


if mode in ("attention", "all"):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.rand(1, 32, 1408, 128, generator=g) - 0.5 for _ in range(3))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    F.scaled_dot_product_attention(q, k, v)
    delta = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    ms = timed(lambda: F.scaled_dot_product_attention(q, k, v))
    report("torch_attention_32x128x1408", ms, f"fp32 SDPA, peak RSS +{delta:.1f} MiB")

if mode in ("linear", "all"):
    for rows, inf, outf in ((1408, 4096, 4096), (1408, 4096, 16384)):
        gflop = 2 * rows * inf * outf / 1e9
        x, w = torch.rand(rows, inf) - 0.5, torch.rand(outf, inf) - 0.5
        ms = timed(lambda: F.linear(x, w))
        report(f"torch_fp32_{rows}x{inf}x{outf}", ms, f"{gflop / ms * 1e3:.0f} GFLOP/s")
        xb, wb = x.bfloat16(), w.bfloat16()
        ms = timed(lambda: F.linear(xb, wb))
        report(f"torch_bf16_{rows}x{inf}x{outf}", ms, f"{gflop / ms * 1e3:.0f} GFLOP/s")

if mode == "bf16":
    rows, inf, outf = 1408, 4096, 4096
    gflop = 2 * rows * inf * outf / 1e9
    xb, wb = (torch.rand(rows, inf) - 0.5).bfloat16(), (torch.rand(outf, inf) - 0.5).bfloat16()
    ms = timed(lambda: F.linear(xb, wb))
    report(f"torch_bf16_linear_{rows}x{inf}x{outf}", ms, f"{gflop / ms * 1e3:.0f} GFLOP/s")
    g = torch.Generator().manual_seed(0)
    q, k, v = ((torch.rand(1, 32, 1408, 128, generator=g) - 0.5).bfloat16() for _ in range(3))
    ms = timed(lambda: F.scaled_dot_product_attention(q, k, v))
    report("torch_bf16_attention_32x128x1408", ms, "bf16 SDPA")

if mode == "conv":
    # ltx-core's CausalConv3d at a VAE size: replicate the first frame twice in time, zero
    # padding 1 in space, then a 3x3x3 conv3d (the peer of `tensor-bench conv`).
    x, w, b = torch.rand(1, 128, 9, 64, 64) - 0.5, torch.rand(128, 128, 3, 3, 3) - 0.5, torch.rand(128) - 0.5

    def causal():
        padded = torch.cat([x[:, :, :1]] * 2 + [x], dim=2)
        return F.conv3d(padded, w, b, padding=(0, 1, 1))

    causal()
    ms = timed(causal)
    gflop = 2 * 128 * 128 * 27 * 9 * 64 * 64 / 1e9
    report("torch_causal_conv3d_128x9x64x64_k3", ms, f"{gflop / ms * 1e3:.0f} GFLOP/s")

if mode == "norms":
    # The peer of `tensor-bench norms`; PixelNorm as ltx-core writes it.
    tokens, scale = torch.rand(1408, 4096) - 0.5, torch.rand(4096)
    video, gamma, beta = torch.rand(1, 128, 9, 64, 64) - 0.5, torch.rand(128), torch.rand(128)
    report("torch_rms_norm_1408x4096", timed(lambda: F.rms_norm(tokens, (4096,), scale, 1e-6)), "")
    report("torch_group_norm_32_128x9x64x64", timed(lambda: F.group_norm(video, 32, gamma, beta, 1e-5)), "")
    report("torch_pixel_norm_128x9x64x64",
           timed(lambda: video / torch.sqrt(torch.mean(video ** 2, dim=1, keepdim=True) + 1e-8)), "")

if mode == "shuffle":
    # ltx-core's DepthToSpaceUpsample rearrange "b (c p1 p2 p3) d h w -> b c (d p1) (h p2) (w p3)".
    def depth_to_space(x, p=2):
        b, c, d, h, w = x.shape
        y = x.view(b, c // p ** 3, p, p, p, d, h, w).permute(0, 1, 5, 2, 6, 3, 7, 4)
        return y.contiguous().view(b, c // p ** 3, d * p, h * p, w * p)

    x = torch.rand(1, 1024, 5, 32, 32)
    report("torch_depth_to_space_2x2x2_1024x5x32x32", timed(lambda: depth_to_space(x)), "")
    big = torch.rand(1, 512, 9, 64, 64)
    report("torch_depth_to_space_2x2x2_512x9x64x64", timed(lambda: depth_to_space(big)), "")

if mode == "kernels":
    # Single-threaded CPU time per call (user + system), the peer of `tensor-bench kernels`.
    torch.set_num_threads(1)

    def cpu_ms(fn):
        fn()
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        for _ in range(runs):
            fn()
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        return ((r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)) / runs * 1e3

    x = torch.rand(16 << 20) * 8 - 4
    report("torch_cpu_exp_16M", cpu_ms(lambda: torch.exp(x)), "CPU ms, 1 thread")
    report("torch_cpu_silu_16M", cpu_ms(lambda: F.silu(x)), "CPU ms, 1 thread")
    report("torch_cpu_gelu_tanh_16M", cpu_ms(lambda: F.gelu(x, approximate="tanh")), "CPU ms, 1 thread")
    q, k = torch.rand(4, 1408, 128) - 0.5, torch.rand(4, 1408, 128) - 0.5
    report("torch_cpu_qk_matmul_4heads", cpu_ms(lambda: torch.bmm(q, k.transpose(1, 2))), "CPU ms, 1 thread")
    q4, k4 = q.unsqueeze(0), k.unsqueeze(0)
    report("torch_cpu_attention_4heads", cpu_ms(lambda: F.scaled_dot_product_attention(q4, k4, k4)), "CPU ms, 1 thread")
