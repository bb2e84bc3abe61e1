#!/usr/bin/env python3
"""Writes Tests/TensorsTests/Fixtures/noise_cpu.safetensors: torch.randn draws from torch's CPU
generator (mt19937) for the Swift tests of Sources/Tensors/Random. Run from the repository root:

    /work/venv/bin/python tools/reference/make_noise_fixtures.py

The float32 path of torch's CPU normal_ depends on the CPU: with AVX2 (every x86-64 torch
build on an AVX2 machine, AVX-512 ones included) sizes >= 16 use avx_mathfun's log/sincos;
this script records `cpuCapability` in the metadata. The CUDA fixtures come from
make_noise_fixtures_cuda.py (needs a GPU).

Every tensor is F32 (the test reader reads F32 only): bf16 draws widened exactly, uint32
words bit-cast (`*.words_bits`). `<case>.dN` is the N-th successive draw of one generator.
"""
import os

import numpy as np
import torch
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "TensorsTests", "Fixtures", "noise_cpu.safetensors")
tensors: dict[str, np.ndarray] = {}


def put(name, t):
    tensors[name] = t.detach().float().contiguous().numpy().reshape(-1).copy()


# The raw mt19937 stream: random_() on int64 draws random64() (two 32-bit words, the first
# one high) modulo 2**63, so each value holds one word whole and 31 bits of the other. 350
# values = 700 words, past the first 624-word twist. Stored as uint64 bit-cast to F32 pairs.
g = torch.Generator().manual_seed(5489)
words = torch.empty(350, dtype=torch.int64).random_(generator=g)
tensors["mt.5489.random64_bits"] = words.numpy().astype(np.uint64).view(np.float32).copy()

cases = [
    # (case, seed, [(shape, dtype), ...] drawn in order from one generator)
    ("a", 42, [((1000,), torch.float32), ((3, 5, 7), torch.float32), ((16,), torch.float32),
               ((5,), torch.float32), ((3,), torch.float32), ((40,), torch.float32)]),
    ("b", 0, [((7,), torch.bfloat16), ((16,), torch.bfloat16), ((1, 37, 8), torch.bfloat16),
              ((2, 3), torch.bfloat16), ((1000,), torch.bfloat16), ((1000,), torch.float32)]),
    ("c", (1 << 40) + 12345, [((1,), torch.float32), ((15,), torch.float32), ((17,), torch.float32),
                               ((1, 300, 128), torch.bfloat16)]),
]
plan = []
for case, seed, draws in cases:
    g = torch.Generator().manual_seed(seed)
    for i, (shape, dtype) in enumerate(draws):
        put(f"{case}.d{i}", torch.randn(shape, generator=g, dtype=dtype))
        plan.append(f"{case}.d{i}:{seed}:{list(shape)}:{str(dtype)[6:]}")

meta = {"torch": torch.__version__, "cpuCapability": torch.backends.cpu.get_cpu_capability(), "plan": ";".join(plan)}
save_file(tensors, OUT, metadata=meta)
print(meta, os.path.getsize(OUT), "bytes")
