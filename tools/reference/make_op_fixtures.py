#!/usr/bin/env python3
"""Writes Tests/TensorsTests/Fixtures/ops.safetensors: seeded inputs and PyTorch / ltx-core
outputs for every tensor op Reelflow implements, so the Swift tests can compare op by op
without PyTorch. Run from the repository root:

    /work/venv/bin/python tools/reference/make_op_fixtures.py

Names are `<case>.<role>`; every tensor is float32. Keep the file small (well under 1.5 MB).
"""
import math
import os

import torch
import torch.nn.functional as F
from einops import rearrange
from safetensors.torch import save_file

from ltx_core.model.common.normalization import PixelNorm
from ltx_core.model.transformer.rope import (
    LTXRopeType,
    apply_rotary_emb,
    generate_freq_grid_pytorch,
    generate_freqs,
    precompute_freqs_cis,
)
from ltx_core.model.upsampler.pixel_shuffle import PixelShuffleND
from ltx_core.model.video_vae.convolution import CausalConv3d
from ltx_core.model.video_vae.enums import PaddingModeType
from ltx_core.model.video_vae.ops import patchify, unpatchify
from ltx_core.model.video_vae.sampling import DepthToSpaceUpsample, SpaceToDepthDownsample

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "TensorsTests", "Fixtures", "ops.safetensors")
tensors: dict[str, torch.Tensor] = {}


def put(name: str, t: torch.Tensor) -> None:
    tensors[name] = t.detach().to(torch.float32).contiguous().clone()


def randn(*shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, dtype=torch.float32) * scale


def module_params(prefix: str, module: torch.nn.Module) -> None:
    for key, value in module.state_dict().items():
        put(f"{prefix}.{key}", value)


torch.manual_seed(20261121)
torch.set_grad_enabled(False)

# --- GEMM ----------------------------------------------------------------------------
lin = torch.nn.Linear(16, 24)
x = randn(3, 5, 16)
put("linear.x", x); put("linear.weight", lin.weight); put("linear.bias", lin.bias); put("linear.out", lin(x))
a, b = randn(2, 3, 7, 5), randn(2, 3, 5, 6)
put("matmul.a", a); put("matmul.b", b); put("matmul.out", a @ b)

# --- element-wise -----------------------------------------------------------------------
x = randn(4, 33, scale=4.0)
put("unary.x", x)
put("unary.silu", F.silu(x))
put("unary.gelu_tanh", F.gelu(x, approximate="tanh"))
put("unary.softmax", torch.softmax(x, dim=-1))
put("unary.bf16", x.to(torch.bfloat16).float())
a, b = randn(2, 3, 4, 5), randn(3, 1, 5)
put("broadcast.a", a); put("broadcast.b", b)
put("broadcast.add", a + b); put("broadcast.mul", a * b); put("broadcast.sub", a - b); put("broadcast.div", a / (b.abs() + 0.5))

# --- norms -------------------------------------------------------------------------------
rms = torch.nn.RMSNorm(48, eps=1e-6)
rms.weight.copy_(randn(48) * 0.2 + 1)
x = randn(2, 7, 48, scale=3.0)
put("rmsnorm.x", x); put("rmsnorm.weight", rms.weight); put("rmsnorm.out", rms(x))
put("layernorm.out", F.layer_norm(x, (48,), eps=1e-6))
x = randn(2, 16, 3, 5, 6, scale=2.0)
put("pixelnorm.x", x); put("pixelnorm.out", PixelNorm(dim=1, eps=1e-8)(x))
gn = torch.nn.GroupNorm(8, 32, eps=1e-6)
gn.weight.copy_(randn(32) * 0.3 + 1); gn.bias.copy_(randn(32) * 0.1)
x = randn(2, 32, 3, 4, 5) + 0.5
put("groupnorm.x", x); put("groupnorm.weight", gn.weight); put("groupnorm.bias", gn.bias); put("groupnorm.out", gn(x))

# --- attention ---------------------------------------------------------------------------
q, k, v = randn(2, 4, 37, 16), randn(2, 4, 45, 16), randn(2, 4, 45, 16)
put("sdpa.q", q); put("sdpa.k", k); put("sdpa.v", v)
put("sdpa.out", F.scaled_dot_product_attention(q, k, v))
bias = randn(2, 1, 37, 45, scale=2.0)
put("sdpa.additive_mask", bias); put("sdpa.out_additive", F.scaled_dot_product_attention(q, k, v, attn_mask=bias))
keep = torch.rand(37, 45) > 0.4
keep[:, 0] = True  # every query keeps at least one key
put("sdpa.bool_mask", keep.float()); put("sdpa.out_bool", F.scaled_dot_product_attention(q, k, v, attn_mask=keep))
empty_row = keep.clone()
empty_row[5] = False  # a query with no key: torch 2.7's CPU SDPA gives a zero row
put("sdpa.bool_mask_empty_row", empty_row.float())
put("sdpa.out_bool_empty_row", F.scaled_dot_product_attention(q, k, v, attn_mask=empty_row))
weights = torch.rand(2, 4, 37, 45) * 0.9 + 0.1
put("sdpa.multiplicative_mask", weights)
put("sdpa.out_multiplicative", F.scaled_dot_product_attention(q, k, v, attn_mask=torch.log(weights)))

# --- RoPE (ltx-core's own functions) ----------------------------------------------------
# Latent grid 2 x 2 x 3 -> 12 tokens; [start, end) bounds per axis as the patchifier makes
# them, pixel-scaled with the causal fix, time in seconds at 24 fps.
fr, hh, ww = torch.meshgrid(torch.arange(2), torch.arange(2), torch.arange(3), indexing="ij")
starts = torch.stack([fr.flatten(), hh.flatten(), ww.flatten()]).float()  # (3, T)
bounds = torch.stack([starts, starts + 1], dim=-1) * torch.tensor([8.0, 32.0, 32.0]).view(3, 1, 1)
bounds[0] = (bounds[0] + 1 - 8).clamp(min=0) / 24.0
grid = bounds.unsqueeze(0)  # (1, 3, T, 2)
width, heads = 104, 2  # 104 = 6*17 + 2: interleaved pads 2 channels, split pads 1 per half
indices = generate_freq_grid_pytorch(10000.0, 3, width)
angles = generate_freqs(indices, grid, [20, 2048, 2048], True)
put("rope.angles", angles)
x = randn(1, 12, width)
put("rope.x", x)
for layout in (LTXRopeType.INTERLEAVED, LTXRopeType.SPLIT):
    cos, sin = precompute_freqs_cis(
        grid, width, torch.float32, theta=10000.0, max_pos=[20, 2048, 2048], use_middle_indices_grid=True,
        num_attention_heads=heads, rope_type=layout,
    )
    put(f"rope.{layout.value}.cos", cos); put(f"rope.{layout.value}.sin", sin)
    put(f"rope.{layout.value}.out", apply_rotary_emb(x, (cos, sin), layout))

# --- convolution -------------------------------------------------------------------------
x = randn(1, 4, 5, 6, 7)
put("causalconv.x", x)
for name, mode in (("zeros", PaddingModeType.ZEROS), ("reflect", PaddingModeType.REFLECT)):
    conv = CausalConv3d(4, 6, kernel_size=3, spatial_padding_mode=mode)
    module_params(f"causalconv.{name}", conv)
    put(f"causalconv.{name}.causal", conv(x, causal=True))
    put(f"causalconv.{name}.noncausal", conv(x, causal=False))
conv = CausalConv3d(4, 5, kernel_size=3, stride=(2, 2, 2))
module_params("causalconv.strided", conv)
put("causalconv.strided.out", conv(x, causal=True))
conv = torch.nn.Conv3d(4, 5, 3, padding=1)  # the upsampler's conv: zeros in time too
module_params("conv3d.zeros", conv); put("conv3d.zeros.out", conv(x))
conv = torch.nn.Conv3d(4, 3, 1)
module_params("conv3d.pointwise", conv); put("conv3d.pointwise.out", conv(x))
x = randn(2, 3, 9, 10)
put("conv2d.x", x)
for name, kw in (("zeros", dict(padding=1)), ("reflect", dict(padding=1, padding_mode="reflect")),
                 ("strided", dict(padding=2, stride=2))):
    conv = torch.nn.Conv2d(3, 8, 5 if name == "strided" else 3, **kw)
    module_params(f"conv2d.{name}", conv); put(f"conv2d.{name}.out", conv(x))

# --- space-to-depth / depth-to-space ----------------------------------------------------
x = randn(1, 3, 3, 8, 12)
put("patchify.x", x); put("patchify.out", patchify(x, patch_size_hw=4, patch_size_t=1))
x2 = randn(2, 3, 8, 12)
put("patchify2d.x", x2); put("patchify2d.out", patchify(x2, patch_size_hw=4))
y = randn(1, 2 * 8, 2, 3, 4)
put("shuffle3d.x", y); put("shuffle3d.out", PixelShuffleND(3, (2, 2, 2))(y))
y2 = randn(2, 3 * 4, 3, 5)
put("shuffle2d.x", y2); put("shuffle2d.out", PixelShuffleND(2, (2, 2))(y2))
# The whole down/up sampling blocks (their convs included).
x = randn(1, 4, 5, 4, 6)
down = SpaceToDepthDownsample(3, 4, 16, stride=(2, 2, 2))
put("s2d_block.x", x); module_params("s2d_block", down); put("s2d_block.out", down(x, causal=True))
up = DepthToSpaceUpsample(3, 8, stride=(2, 2, 2), residual=True, out_channels_reduction_factor=2)
x = randn(1, 8, 3, 2, 3)
put("d2s_block.x", x); module_params("d2s_block", up); put("d2s_block.out", up(x, causal=False))

# --- interpolation -----------------------------------------------------------------------
x = randn(2, 3, 11, 13)
put("interp.x", x)
put("interp.area", F.interpolate(x, size=(7, 5), mode="area"))
put("interp.bilinear_up", F.interpolate(x, size=(17, 19), mode="bilinear", align_corners=False))
put("interp.bilinear_down", F.interpolate(x, size=(6, 8), mode="bilinear", align_corners=False))
put("interp.nearest", F.interpolate(x, size=(5, 20), mode="nearest"))

save_file(tensors, OUT, metadata={"generator": "tools/reference/make_op_fixtures.py", "torch": torch.__version__})
total = sum(t.numel() * 4 for t in tensors.values())
print(f"wrote {len(tensors)} tensors, {total / 1024:.0f} KiB of data, to {os.path.normpath(OUT)}")
