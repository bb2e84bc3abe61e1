#!/usr/bin/env python3
"""Writes noise_cuda.safetensors: torch.randn draws from torch's CUDA generator (Philox4x32-10
through cuRAND's curand_normal4), plus raw Philox words and Box-Muller intermediates from
cuRAND itself (tools/reference/philox_dump.cu, built here with nvcc), for the Swift tests of
Sources/Tensors/Random. Needs a CUDA GPU; run on the device machine:

    python3 tools/reference/make_noise_fixtures_cuda.py OUT_DIR

then copy OUT_DIR/noise_cuda.safetensors to Tests/TensorsTests/Fixtures/.

Every tensor is stored as F32 (the test reader reads F32 only): bf16 draws widened exactly,
uint32 words bit-cast (`*.words_bits`). Large draws keep slices only: `<draw>.head` (first
512), `<draw>.tail` (last 512), `<draw>.cap` (512 values from 256 before the grid cap) and
`<draw>.sum` (float64 sum, stored as float64 bits in two F32 words: lo, hi);
`s42.offsets_bits` holds the generator's Philox offset after each draw of seed 42.
"""
import os
import subprocess
import sys

import numpy as np
import torch
from safetensors.numpy import save_file

out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
here = os.path.dirname(os.path.abspath(__file__))
props = torch.cuda.get_device_properties(0)
sms = props.multi_processor_count
tpm = getattr(props, "max_threads_per_multi_processor", 2048)
cap = sms * (tpm // 256) * 256
tensors: dict[str, np.ndarray] = {}


def put(name, values):
    tensors[name] = np.ascontiguousarray(values, dtype=np.float32)


def put_draw(name, t):
    v = t.float().cpu().numpy().reshape(-1)
    if v.size <= 4096:
        put(name, v)
        return
    put(name + ".head", v[:512])
    put(name + ".tail", v[-512:])
    lo = max(0, min(cap - 256, v.size - 512))
    put(name + ".cap", v[lo:lo + 512])
    tensors[name + ".sum"] = np.array([v.astype(np.float64).sum()]).view(np.float32)


# torch.randn on the CUDA generator: successive draws on one generator (offset advances),
# sizes below, at and above the grid cap, float32 and bf16.
g = torch.Generator("cuda").manual_seed(42)
plan = [("s42.d0", (1000,), torch.float32), ("s42.d1", (3, 5, 7), torch.float32),
        ("s42.d2", (cap,), torch.float32), ("s42.d3", (600000,), torch.float32),
        ("s42.d4", (1000,), torch.bfloat16), ("s42.d5", (1200000,), torch.float32),
        ("s42.d6", (1, 300, 128), torch.bfloat16), ("s42.d7", (600000,), torch.bfloat16),
        ("s42.d8", (1000,), torch.float32)]
offsets = []
for name, shape, dtype in plan:
    put_draw(name, torch.randn(shape, generator=g, dtype=dtype, device="cuda"))
    offsets.append(g.get_offset())  # the Philox offset after the draw
tensors["s42.offsets_bits"] = np.array(offsets, dtype=np.uint32).view(np.float32)
big = (1 << 40) + 12345
g = torch.Generator("cuda").manual_seed(big)
put_draw("sbig.d0", torch.randn((777,), generator=g, dtype=torch.float32, device="cuda"))

# cuRAND itself: raw Philox words and curand_normal4 for subsequences 0..511.
try:
    exe = "/tmp/philox_dump"
    subprocess.run(["nvcc", "-O3", "-arch=sm_90", "-o", exe, os.path.join(here, "philox_dump.cu")], check=True)
    raw = np.frombuffer(subprocess.run([exe], check=True, capture_output=True).stdout, dtype=np.uint32)
    threads = 512
    per = threads * (8 + 4 + 10)
    cases = ["42_0", "42_4", "42_8", "big_0", "0_12"]
    for i, c in enumerate(cases):
        block = raw[i * per:(i + 1) * per]
        tensors[f"philox.{c}.words_bits"] = block[:8 * threads].view(np.float32).copy()
        tensors[f"philox.{c}.normal4"] = block[8 * threads:12 * threads].view(np.float32).copy()
        if i == 0:
            tensors[f"philox.{c}.parts"] = block[12 * threads:].view(np.float32).copy()
except (OSError, subprocess.CalledProcessError) as error:  # the draws above still get written
    print("philox_dump failed:", error)

meta = {"multiProcessorCount": str(sms), "maxThreadsPerMultiProcessor": str(tpm), "gridCap": str(cap),
        "device": torch.cuda.get_device_name(0), "torch": torch.__version__,
        "cuda": str(torch.version.cuda), "plan": ";".join(f"{n}:{list(s)}:{str(d)[6:]}" for n, s, d in plan)}
path = os.path.join(out_dir, "noise_cuda.safetensors")
save_file(tensors, path, metadata=meta)
print(meta, os.path.getsize(path), "bytes")
