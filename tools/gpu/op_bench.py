#!/usr/bin/env python3
"""Times the ops of `cuda-op-suite --bench` with PyTorch on the same GPU, in the same run, and
prints each beside the Swift CUDA backend's figure with the ratio (Reelflow / PyTorch).

usage: op_bench.py SWIFT_JSON_LINES  (the output of `cuda-op-suite --bench`)
Runs on the GPU machine (tools/gpu/run.sh); needs only torch.
"""
import statistics
import sys
import time

import torch

import swift_results
import torch.nn.functional as F

RUNS = 15
dev = "cuda"
bf = torch.bfloat16
torch.manual_seed(1)


def rand(*shape, scale=1.0):
    return (torch.randn(*shape, device=dev) * scale).to(bf)


def timed(fn):
    fn()
    torch.cuda.synchronize()
    samples = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        samples.append((time.perf_counter() - t) * 1e3)
    return statistics.median(samples)


T, W, H = 5632, 4096, 32
x, wq, bq, wff = rand(1, T, W), rand(W, W, scale=0.02), rand(W), rand(4 * W, W, scale=0.02)
q, k, v, ctx = rand(1, T, W), rand(1, T, W), rand(1, T, W), rand(1, 1024, W)
scale, shift, gain = rand(1, 1, W), rand(1, 1, W), rand(W)
video, kernel, kbias = rand(1, 128, 9, 128, 128), rand(128, 128, 3, 3, 3, scale=0.02), rand(128)


def heads(t):
    return t.view(1, -1, H, W // H).transpose(1, 2)


def attention(q, k, v):
    o = F.scaled_dot_product_attention(heads(q), heads(k), heads(v))
    return o.transpose(1, 2).reshape(1, -1, W)


def causal_conv(x):
    x = torch.cat([x[:, :, :1].repeat(1, 1, 2, 1, 1), x], dim=2)
    return F.conv3d(x, kernel, kbias, padding=(0, 1, 1))


torch_ops = {
    "linear 5632x4096 -> 4096 (+bias)": lambda: F.linear(x, wq, bq),
    "linear 5632x4096 -> 16384": lambda: F.linear(x, wff),
    "attention 5632 tokens, 32 x 128": lambda: attention(q, k, v),
    "cross-attention 5632 x 1024 tokens": lambda: attention(q, ctx, ctx),
    "rms_norm 5632x4096": lambda: F.rms_norm(x, (W,), gain, 1e-6),
    "modulate 5632x4096": lambda: x * (1 + scale) + shift,
    "gelu_tanh 5632x16384": lambda: F.gelu(F.linear(x, wff), approximate="tanh"),
    "causal conv3d 128->128 at 9x128x128": lambda: causal_conv(video),
    "group_norm 32 groups at 128x9x128x128": lambda: F.group_norm(video, 32, eps=1e-6),
}

swift = swift_results.read(sys.argv[1])

print(f"{'op (bf16, ' + torch.cuda.get_device_name() + ')':58} {'reelflow ms':>12} {'torch ms':>10} {'ratio':>7}")
torch_ms = {}
for name, fn in torch_ops.items():
    t = torch_ms[name] = timed(fn)
    s = swift.get(name)
    ratio = f"{s / t:6.2f}x" if s else "   -"
    print(f"{name:58} {s if s is not None else float('nan'):12.3f} {t:10.3f} {ratio:>7}")
# Reelflow's variants of an op ("NAME [variant]"), against the same PyTorch time.
for name, s in swift.items():
    base = name.split(" [")[0]
    if name != base and base in torch_ms:
        print(f"{name:58} {s:12.3f} {torch_ms[base]:10.3f} {s / torch_ms[base]:6.2f}x")
print(f"torch {torch.__version__}, peak allocated {torch.cuda.max_memory_allocated() >> 20} MiB; "
      f"reelflow pool peak {swift.get('peak pool MiB', float('nan')):.0f} MiB (different op mix: not comparable)")
