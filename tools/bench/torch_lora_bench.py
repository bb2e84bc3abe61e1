"""PyTorch peer for Benchmarks/SafetensorsBench (run by safetensors-bench, not by hand).

  open FILE REPEATS                     median ms of safetensors.safe_open + keys()
  fuse BASE LORA STRENGTH REPEATS LAYERS
      median ms per layer of (a) ltx-core's apply_loras with dtype bf16, on the first LAYERS
      layers (its bf16 matmul is very slow on CPUs without bf16 instructions), and (b) the
      same rounding points written with a float32 matmul (the fast way to do it in PyTorch)

Prints one JSON object. Files are loaded into memory before timing; only the fuse is timed.
"""

import json
import statistics
import sys
import time

import torch


def bench_open(path, repeats):
    from safetensors import safe_open

    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        with safe_open(path, framework="pt") as f:
            keys = list(f.keys())
        times.append((time.perf_counter() - t) * 1e3)
    return {"median_ms": statistics.median(times), "tensors": len(keys)}


def bench_fuse(base_path, lora_path, strength, repeats, max_layers):
    from ltx_core.loader import (
        LTXV_LORA_COMFY_RENAMING_MAP,
        LoraStateDictWithStrength,
        SafetensorsStateDictLoader,
        apply_loras,
    )
    from ltx_core.loader.primitives import StateDict
    from ltx_core.loader.sd_ops import SDOps

    loader = SafetensorsStateDictLoader()
    keep_all = SDOps("ALL").with_matching()
    base = loader.load(base_path, sd_ops=keep_all)
    lora = loader.load(lora_path, sd_ops=LTXV_LORA_COMFY_RENAMING_MAP)
    keys = sorted(base.sd)
    subset = StateDict({k: base.sd[k] for k in keys[:max_layers]}, base.device, 0, base.dtype)
    times = []
    for _ in range(repeats if max_layers > 0 else 0):
        t = time.perf_counter()
        fused = apply_loras(subset, [LoraStateDictWithStrength(lora, strength)], dtype=torch.bfloat16)
        times.append((time.perf_counter() - t) * 1e3 / len(subset.sd))
        del fused

    # Same rounding points as apply_loras: bf16(B*s), product accumulated in float32 and
    # rounded to bf16, then the bf16 add; only the matmul runs in float32.
    fp32_times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for k in keys:
            m = k[: -len(".weight")]
            a, b = lora.sd[f"{m}.lora_A.weight"], lora.sd[f"{m}.lora_B.weight"]
            delta = torch.matmul((b * strength).float(), a.float()).to(torch.bfloat16)
            fused = delta.add_(base.sd[k])
            del fused, delta
        fp32_times.append((time.perf_counter() - t) * 1e3 / len(keys))
    return {
        "median_ms_per_layer": statistics.median(times) if times else None,
        "layers": len(subset.sd),
        "fp32_median_ms_per_layer": statistics.median(fp32_times),
        "fp32_layers": len(keys),
        "threads": torch.get_num_threads(),
    }


def main():
    mode = sys.argv[1]
    if mode == "open":
        result = bench_open(sys.argv[2], int(sys.argv[3]))
    elif mode == "fuse":
        result = bench_fuse(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
