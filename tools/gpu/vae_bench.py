#!/usr/bin/env python3
"""ltx-core's side of the VAE decode benchmark, on the GPU, in the same run as
`cuda-op-suite --vae-bench DIR` (which writes DIR/vae_full.safetensors, the LTX-2.3-shaped VAE
with random bf16 weights, with Reelflow's RandomCheckpoint). Decodes a latent [1, 128, 11, 32, 32]
(81 frames at 1024x1024) with ltx-core's VideoDecoder in bf16, untiled and with ltx-core's
default tiling (TilingConfig.default()), and prints each time and peak memory beside
Reelflow's with the ratio (Reelflow / ltx-core).

usage: vae_bench.py FILE SWIFT_JSON_LINES [DEVICE [F,H,W]]
  DEVICE: cuda, or cpu with a small latent (e.g. 2,4,4) for a smoke test of the harness.
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

from ltx_core.model.video_vae.model_configurator import VAE_DECODER_COMFY_KEYS_FILTER, VideoDecoderConfigurator
from ltx_core.model.video_vae.tiling import TilingConfig

RUNS = 3
path, swift_lines = sys.argv[1], sys.argv[2]
dev = sys.argv[3] if len(sys.argv) > 3 else "cuda"
frames, height, width = (int(v) for v in (sys.argv[4] if len(sys.argv) > 4 else "11,32,32").split(","))
torch.set_grad_enabled(False)
with safe_open(path, "pt") as f:
    config = json.loads(f.metadata()["config"])
with torch.device("meta"):
    decoder = VideoDecoderConfigurator.from_config(config)
state = {}
for key, value in load_file(path, device=dev).items():
    mapped = VAE_DECODER_COMFY_KEYS_FILTER.apply_to_key(key)
    if mapped is not None:
        state[mapped] = value
decoder.load_state_dict(state, strict=True, assign=True)
decoder = decoder.to(torch.bfloat16).eval()
del state
channels = config["vae"].get("latent_channels", 128)
latent = torch.randn(1, channels, frames, height, width, generator=torch.Generator(dev).manual_seed(4), device=dev).to(torch.bfloat16)


def sync():
    if dev == "cuda":
        torch.cuda.synchronize()


def untiled():
    decoder(latent)
    sync()


def tiled():
    for _ in decoder.tiled_decode(latent, TilingConfig.default()):
        pass
    sync()


out_frames = (frames - 1) * 8 + 1
size = f"{out_frames}x{height * 32}x{width * 32}"
rows = []
for label, run in [("untiled", untiled), ("tiled (ltx-core default)", tiled)]:
    run()
    if dev == "cuda":
        torch.cuda.reset_peak_memory_stats()
    samples = []
    for _ in range(RUNS):
        t = time.perf_counter()
        run()
        samples.append((time.perf_counter() - t) * 1e3)
    peak = torch.cuda.max_memory_allocated() >> 20 if dev == "cuda" else 0
    rows.append((f"VAE decode {size}, {label}", statistics.median(samples)))
    rows.append((f"VAE decode peak MiB, {label}", peak))

swift = swift_results.read(swift_lines)
name = torch.cuda.get_device_name() if dev == "cuda" else "cpu"
params = sum(p.numel() for p in decoder.parameters())
print(f"{f'bf16 decoder ({params / 1e6:.0f}M), ' + name:52} {'reelflow':>10} {'ltx-core':>10} {'ratio':>7}")
for op, t in rows:
    s = swift.get(op)
    unit = "MiB" if "MiB" in op else "ms"
    print(f"{op + ' (' + unit + ')':52} {s if s is not None else float('nan'):10.1f} {t:10.1f} "
          f"{(s / t if s and t else float('nan')):6.2f}x")
print(f"torch {torch.__version__}")
