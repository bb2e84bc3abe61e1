#!/usr/bin/env python3
"""Writes Tests/TensorsTests/Fixtures/ops_bf16.safetensors: seeded bfloat16 inputs and the
PyTorch 2.7.1 CPU / ltx-core bfloat16 outputs for the ops Reelflow runs in bf16, so the Swift
tests can check its bf16 path (what is rounded, and when) against torch's. Run from the
repository root:

    /work/venv/bin/python tools/reference/make_bf16_op_fixtures.py

Names are `<case>.<role>`. Every tensor is torch.bfloat16 except `mulscalar.s`: inputs are drawn
as float32 randn and cast with `.to(torch.bfloat16)`; every op runs on the bf16 tensors on the
CPU and the stored output is torch's bf16 result (torch's own intermediate roundings included).
Layouts:
  linear[_nobias]   x [3,5,40], weight [24,40], bias [24] -> out [3,5,24] = F.linear(x, weight, bias)
  matmul            a [2,3,7,33] @ b [2,3,33,6] -> out [2,3,7,6]
  add/sub/mul/div   a [4,1,33] (op) b [5,33] -> out [4,5,33]; div.b is already |randn|+0.5
  mulscalar         x [4,33] * s -> out; s is a float32 [1] holding 0.37 (a Python float in
                    torch: the CPU kernel multiplies in float32 by 0.37, not by bf16(0.37))
  exp               x [4,65] (randn*3) -> out
  sigmoid/silu/gelu_tanh/softmax  x [4,65] (randn*4) -> out (softmax over the last axis)
  rms_norm          x [2,7,48], weight [48] -> torch.nn.RMSNorm(48, eps=1e-6) in bf16
  layer_norm        x [2,7,48], weight, bias [48] -> torch.nn.LayerNorm(48, eps=1e-6) in bf16
  group_norm        x [2,16,3,5,5] (B,C,F,H,W), weight, bias [16] -> nn.GroupNorm(4, 16, eps=1e-6)
  pixel_norm        x [1,8,2,4,4] -> ltx-core PixelNorm(dim=1, eps=1e-8), as ops.safetensors
  sum/mean          x [3,17,5] -> out [3,5] (reduced over axis 1)
  sdpa              q [1,2,37,16], k/v [1,2,53,16] ([B,H,T,d]) -> out [1,2,37,16]
  sdpa_mask         same shapes plus mask [1,1,37,53]: additive, log of weights in [0.1,1]
                    with about 15% -inf (never a whole row; key 0 always kept)
  sdpa_d64          q [1,2,40,64], k/v [1,2,530,64] -> out [1,2,40,64] (drawn after every
                    other case)
  rope_interleaved  x [1,12,104] ([B,T,D]); cos, sin [1,12,104] ([B,T,D]); out [1,12,104]
  rope_split        x [1,12,104] ([B,T,D]); cos, sin [1,2,12,26] ([B,H,T,d/2], H=2, d=52);
                    out [1,12,104]
                    Both use the grid, width 104 and 2 heads of ops.safetensors' rope cases;
                    the tables are ltx-core's precompute_freqs_cis(out_dtype=bfloat16), i.e.
                    float32 angles/cos/sin cast to bf16 once at the end (what the bf16
                    transformer does); apply_rotary_emb then runs on bf16 x and tables.
  modulate          x [2,9,32], scale, shift [2,1,32] -> out = x * (1 + scale) + shift
  gated             x, y [2,9,32], gate [2,1,32] -> out = x + y * gate
Where torch rounds to bf16 (checked against a float64 emulation of these very tensors):
  once, at the end: linear (bias added before rounding), matmul, add/sub/mul/div, exp,
    sigmoid, silu, gelu_tanh, softmax, sum, mean (float sum / n), RMSNorm (weight multiplied
    in float), LayerNorm, GroupNorm (affine in float).
  after every op (they are several torch ops): PixelNorm (x**2, mean, +eps, sqrt, /),
    modulate (1 + scale, *, +), gated (*, +), interleaved RoPE (x*cos, x_rot*sin, +).
  split RoPE: round(round(x1*cos) - sin*x2), as addcmul_ fuses the second step.
  SDPA (CPU flash kernel): scores, softmax max and sum in float32, but the unnormalised
    probabilities exp(s - rowmax) are rounded to bf16 before the product with v; the
    output is then divided by the float sum and rounded once.
  gelu_tanh below x ~ -4 is torch's float32 formula (it flushes to -0.0), not the exact value.
Keep the file small (well under 300 KB).
"""
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from ltx_core.model.common.normalization import PixelNorm
from ltx_core.model.transformer.rope import LTXRopeType, apply_rotary_emb, precompute_freqs_cis

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "TensorsTests", "Fixtures", "ops_bf16.safetensors")
BF16 = torch.bfloat16
tensors: dict[str, torch.Tensor] = {}


def put(name: str, t: torch.Tensor) -> None:
    assert t.dtype == BF16, f"{name} is {t.dtype}"
    tensors[name] = t.detach().contiguous().clone()


def randn(*shape: int, scale: float = 1.0) -> torch.Tensor:
    """float32 randn (times scale), then cast to bf16."""
    return (torch.randn(*shape, dtype=torch.float32) * scale).to(BF16)


def module_params(prefix: str, module: torch.nn.Module) -> None:
    for key, value in module.state_dict().items():
        put(f"{prefix}.{key}", value)


torch.manual_seed(20261122)
torch.set_grad_enabled(False)

# --- GEMM ----------------------------------------------------------------------------
x, w, b = randn(3, 5, 40), randn(24, 40, scale=40 ** -0.5), randn(24, scale=0.5)
put("linear.x", x); put("linear.weight", w); put("linear.bias", b); put("linear.out", F.linear(x, w, b))
x, w = randn(3, 5, 40), randn(24, 40, scale=40 ** -0.5)
put("linear_nobias.x", x); put("linear_nobias.weight", w); put("linear_nobias.out", F.linear(x, w))
a, b = randn(2, 3, 7, 33), randn(2, 3, 33, 6)
put("matmul.a", a); put("matmul.b", b); put("matmul.out", a @ b)

# --- element-wise -----------------------------------------------------------------------
for name, op in (("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div)):
    a = randn(4, 1, 33, scale=2.0)
    b = (torch.randn(5, 33).abs() + 0.5).to(BF16) if name == "div" else randn(5, 33)
    put(f"{name}.a", a); put(f"{name}.b", b); put(f"{name}.out", op(a, b))
x = randn(4, 33, scale=3.0)
put("mulscalar.x", x); put("mulscalar.out", x * 0.37)
tensors["mulscalar.s"] = torch.tensor([0.37], dtype=torch.float32)
x = randn(4, 65, scale=3.0)
put("exp.x", x); put("exp.out", torch.exp(x))
for name, op in (("sigmoid", torch.sigmoid), ("silu", F.silu),
                 ("gelu_tanh", lambda t: F.gelu(t, approximate="tanh")), ("softmax", lambda t: torch.softmax(t, dim=-1))):
    x = randn(4, 65, scale=4.0)
    put(f"{name}.x", x); put(f"{name}.out", op(x))

# --- norms -------------------------------------------------------------------------------
rms = torch.nn.RMSNorm(48, eps=1e-6)
rms.weight.copy_(torch.randn(48) * 0.2 + 1)
rms = rms.to(BF16)
x = randn(2, 7, 48, scale=3.0)
put("rms_norm.x", x); put("rms_norm.weight", rms.weight); put("rms_norm.out", rms(x))
ln = torch.nn.LayerNorm(48, eps=1e-6)
ln.weight.copy_(torch.randn(48) * 0.2 + 1); ln.bias.copy_(torch.randn(48) * 0.1)
ln = ln.to(BF16)
x = randn(2, 7, 48, scale=2.0) + 0.5
put("layer_norm.x", x); module_params("layer_norm", ln); put("layer_norm.out", ln(x))
gn = torch.nn.GroupNorm(4, 16, eps=1e-6)
gn.weight.copy_(torch.randn(16) * 0.3 + 1); gn.bias.copy_(torch.randn(16) * 0.1)
gn = gn.to(BF16)
x = randn(2, 16, 3, 5, 5, scale=2.0) + 0.5
put("group_norm.x", x); module_params("group_norm", gn); put("group_norm.out", gn(x))
x = randn(1, 8, 2, 4, 4, scale=2.0)
put("pixel_norm.x", x); put("pixel_norm.out", PixelNorm(dim=1, eps=1e-8)(x))

# --- reductions --------------------------------------------------------------------------
x = randn(3, 17, 5, scale=2.0)
put("sum.x", x); put("sum.out", x.sum(dim=1))
x = randn(3, 17, 5, scale=2.0) + 0.25
put("mean.x", x); put("mean.out", x.mean(dim=1))

# --- attention ---------------------------------------------------------------------------
q, k, v = randn(1, 2, 37, 16), randn(1, 2, 53, 16), randn(1, 2, 53, 16)
put("sdpa.q", q); put("sdpa.k", k); put("sdpa.v", v)
put("sdpa.out", F.scaled_dot_product_attention(q, k, v))
q, k, v = randn(1, 2, 37, 16), randn(1, 2, 53, 16), randn(1, 2, 53, 16)
weights = torch.rand(1, 1, 37, 53) * 0.9 + 0.1
masked = torch.rand(1, 1, 37, 53) < 0.15
masked[..., 0] = False  # every query keeps at least one key
mask = torch.log(weights).masked_fill(masked, float("-inf")).to(BF16)
put("sdpa_mask.q", q); put("sdpa_mask.k", k); put("sdpa_mask.v", v); put("sdpa_mask.mask", mask)
put("sdpa_mask.out", F.scaled_dot_product_attention(q, k, v, attn_mask=mask))

# --- RoPE (ltx-core's own functions; the grid of ops.safetensors' rope cases) ------------
fr, hh, ww = torch.meshgrid(torch.arange(2), torch.arange(2), torch.arange(3), indexing="ij")
starts = torch.stack([fr.flatten(), hh.flatten(), ww.flatten()]).float()  # (3, T)
bounds = torch.stack([starts, starts + 1], dim=-1) * torch.tensor([8.0, 32.0, 32.0]).view(3, 1, 1)
bounds[0] = (bounds[0] + 1 - 8).clamp(min=0) / 24.0
grid = bounds.unsqueeze(0)  # (1, 3, T, 2), float32 as the patchifier makes it
width, heads = 104, 2
for layout in (LTXRopeType.INTERLEAVED, LTXRopeType.SPLIT):
    x = randn(1, 12, width)
    cos, sin = precompute_freqs_cis(
        grid, width, BF16, theta=10000.0, max_pos=[20, 2048, 2048], use_middle_indices_grid=True,
        num_attention_heads=heads, rope_type=layout,
    )
    case = f"rope_{layout.value}"
    put(f"{case}.x", x); put(f"{case}.cos", cos); put(f"{case}.sin", sin)
    put(f"{case}.out", apply_rotary_emb(x, (cos, sin), layout))

# --- AdaLN modulation and gated residual (as ltx-core's transformer block writes them) ----
x, scale, shift = randn(2, 9, 32, scale=2.0), randn(2, 1, 32, scale=0.5), randn(2, 1, 32, scale=0.5)
put("modulate.x", x); put("modulate.scale", scale); put("modulate.shift", shift)
put("modulate.out", x * (1 + scale) + shift)
x, y, gate = randn(2, 9, 32, scale=2.0), randn(2, 9, 32), randn(2, 1, 32, scale=0.5)
put("gated.x", x); put("gated.y", y); put("gated.gate", gate); put("gated.out", x + y * gate)

# --- attention at a real head width (drawn last, so the cases above keep their values) ------
# 64 channels and 530 keys: the tiles Reelflow runs on AMX CPUs (two key blocks of 512 and
# a partial one, a partial 16-query block), against torch's own bf16 kernel.
q, k, v = randn(1, 2, 40, 64), randn(1, 2, 530, 64), randn(1, 2, 530, 64)
put("sdpa_d64.q", q); put("sdpa_d64.k", k); put("sdpa_d64.v", v)
put("sdpa_d64.out", F.scaled_dot_product_attention(q, k, v))

save_file(tensors, OUT, metadata={"generator": "tools/reference/make_bf16_op_fixtures.py", "torch": torch.__version__})
total = sum(t.numel() * t.element_size() for t in tensors.values())
print(f"wrote {len(tensors)} tensors, {total / 1024:.0f} KiB of data, to {os.path.normpath(OUT)}")
