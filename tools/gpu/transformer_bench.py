#!/usr/bin/env python3
"""ltx-core's side of the full-size transformer benchmark, on the GPU, in the same run as
`cuda-op-suite --transformer-bench DIR` (which writes DIR/transformer_full.safetensors with
Reelflow's RandomCheckpoint). Times one X0Model forward (bf16, eager, torch's SDPA) at 5632
and 11264 tokens with 1024 context tokens, and prints each figure beside Reelflow's with the
ratio (Reelflow / ltx-core).

usage: transformer_bench.py DIR SWIFT_JSON_LINES [DEVICE]   (DEVICE: cuda, or cpu for a smoke test)
Needs torch and ltx-core (the GPU machine has torch; ltx-core travels as a wheel, docs/cuda.md).
"""
import json
import statistics
import sys
import time

import torch

import swift_results
from safetensors import safe_open
from safetensors.torch import load_file

from ltx_core.components.patchifiers import VideoLatentPatchifier
from ltx_core.model.transformer import Modality, X0Model
from ltx_core.model.transformer.model_configurator import LTXVideoOnlyModelConfigurator
from ltx_core.tools import VideoLatentTools
from ltx_core.types import VideoLatentShape

RUNS = 5
directory, swift_lines = sys.argv[1], sys.argv[2]
dev = sys.argv[3] if len(sys.argv) > 3 else "cuda"
path = f"{directory}/transformer_full.safetensors"
torch.set_grad_enabled(False)
with safe_open(path, "pt") as f:
    config = json.loads(f.metadata()["config"])
with torch.device("meta"):
    model = LTXVideoOnlyModelConfigurator.from_config(config)
t0 = time.perf_counter()
state = load_file(path, device=dev)
prefix = "model.diffusion_model."
model.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}, assign=True)
del state
model = X0Model(model.to(torch.bfloat16).eval())
if dev == "cuda":
    torch.cuda.synchronize()
load_s = time.perf_counter() - t0
if dev == "cuda":
    torch.cuda.reset_peak_memory_stats()  # the peak below is the steps' (weights included), as Reelflow's
g = torch.Generator(dev).manual_seed(2)
width = config["transformer"]["num_attention_heads"] * config["transformer"]["attention_head_dim"]
rows = []
for label, (f, h, w) in [("stage-1 5632 tokens", (22, 16, 16)), ("stage-2 11264 tokens", (11, 32, 32))]:
    shape = VideoLatentShape(batch=1, channels=128, frames=f, height=h, width=w)
    tools = VideoLatentTools(patchifier=VideoLatentPatchifier(patch_size=1), target_shape=shape, fps=24.0)
    latent = torch.randn(shape.to_torch_shape(), generator=g, device=dev).to(torch.bfloat16)
    st = tools.create_initial_state(device=dev, dtype=torch.bfloat16, initial_latent=latent)
    context = torch.randn(1, 1024, width, generator=g, device=dev).to(torch.bfloat16)
    sigma = torch.tensor(0.9, device=dev)
    video = Modality(enabled=True, latent=st.latent, sigma=sigma, timesteps=st.denoise_mask * sigma,
                     positions=st.positions, context=context, context_mask=None, attention_mask=st.attention_mask)
    model(video=video, audio=None, perturbations=None)
    if dev == "cuda":
        torch.cuda.synchronize()
    samples = []
    for _ in range(RUNS):
        t = time.perf_counter()
        model(video=video, audio=None, perturbations=None)
        if dev == "cuda":
            torch.cuda.synchronize()
        samples.append((time.perf_counter() - t) * 1e3)
    rows.append((f"transformer step, {label}", statistics.median(samples)))

swift = swift_results.read(swift_lines)
name = torch.cuda.get_device_name() if dev == "cuda" else "cpu"
print(f"{'bf16, 48 layers, ' + name:48} {'reelflow ms':>12} {'ltx-core ms':>12} {'ratio':>7}")
for op, t in rows:
    s = swift.get(op)
    print(f"{op:48} {s if s is not None else float('nan'):12.1f} {t:12.1f} {(s / t if s else float('nan')):6.2f}x")
peak = torch.cuda.max_memory_allocated() >> 20 if dev == "cuda" else 0
print(f"load: reelflow {swift.get('load weights to the GPU (s)', float('nan'))} s, ltx-core {load_s:.1f} s; "
      f"peak GPU memory: reelflow pool {swift.get('transformer peak pool MiB', float('nan')):.0f} MiB, "
      f"ltx-core {peak} MiB (max_memory_allocated); torch {torch.__version__}")
