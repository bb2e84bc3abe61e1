"""Writes LoRA-fuse fixtures for Tests/TensorsTests/Fixtures/lora/ with ltx-core's own fuse.

Builds, with fixed seeds, a tiny bf16 ComfyUI-style base checkpoint and a few tiny LoRAs,
loads them through ltx-core's loader (the transformer and LoRA SDOps), fuses them with
ltx-core's `apply_loras` (dtype bf16, as the pipelines build), and saves the fused
transformer weights. The Swift tests fuse the same files and compare bit for bit.

Run: /work/venv/bin/python tools/reference/make_lora_fixtures.py
"""

import os
from pathlib import Path

import torch
from safetensors.torch import save_file

from ltx_core.loader import (
    LTXV_LORA_COMFY_RENAMING_MAP,
    LoraStateDictWithStrength,
    SafetensorsStateDictLoader,
    apply_loras,
)
from ltx_core.model.transformer.model_configurator import LTXV_MODEL_COMFY_RENAMING_MAP

OUT = Path(__file__).resolve().parents[2] / "Tests/TensorsTests/Fixtures/lora"
DIM, FF, OUT_CH = 16, 32, 8


def rand(*shape, std=0.05):
    return (torch.randn(*shape) * std).to(torch.bfloat16)


def base_checkpoint():
    sd = {}
    for block in range(2):
        p = f"model.diffusion_model.transformer_blocks.{block}."
        for proj in ("to_q", "to_k"):
            sd[p + f"attn1.{proj}.weight"] = rand(DIM, DIM)
            sd[p + f"attn1.{proj}.bias"] = rand(DIM)
        sd[p + "ff.net.0.proj.weight"] = rand(FF, DIM)
        sd[p + "ff.net.2.weight"] = rand(DIM, FF)
    sd["model.diffusion_model.proj_out.weight"] = rand(OUT_CH, DIM)
    # Keys other components own: the transformer map must skip them.
    sd["vae.decoder.conv_in.conv.weight"] = rand(4, 4)
    sd["vae.per_channel_statistics.std-of-means"] = rand(4)
    return sd


def pair(module, out_f, in_f, rank, dtype, std=0.3):
    a = (torch.randn(rank, in_f) * std).to(dtype)
    b = (torch.randn(out_f, rank) * std).to(dtype)
    return {f"{module}.lora_A.weight": a, f"{module}.lora_B.weight": b}


def lora_files():
    # A: LTX style, prefixed, bf16, rank 4, with alpha keys ltx-core must ignore.
    a = {}
    for block in range(2):
        for proj in ("to_q", "to_k"):
            m = f"diffusion_model.transformer_blocks.{block}.attn1.{proj}"
            a.update(pair(m, DIM, DIM, 4, torch.bfloat16))
            a[f"{m}.alpha"] = torch.tensor(1.0)
    # B: unprefixed, bf16, rank 8.
    b = {}
    b.update(pair("transformer_blocks.0.attn1.to_q", DIM, DIM, 8, torch.bfloat16))
    b.update(pair("transformer_blocks.0.ff.net.0.proj", FF, DIM, 8, torch.bfloat16))
    # C: float32 factors, rank 2.
    c = {}
    c.update(pair("diffusion_model.transformer_blocks.0.attn1.to_q", DIM, DIM, 2, torch.float32))
    c.update(pair("diffusion_model.proj_out", OUT_CH, DIM, 2, torch.float32))
    # D: float16 factors, rank 3.
    d = {}
    d.update(pair("diffusion_model.transformer_blocks.1.ff.net.2", DIM, FF, 3, torch.float16))
    return {
        "lora_a.safetensors": (a, {"reference_downscale_factor": "1"}),
        "lora_b.safetensors": (b, {"reference_downscale_factor": "2"}),
        "lora_c_f32.safetensors": (c, None),
        "lora_d_f16.safetensors": (d, None),
    }


# kohya file: same kind of factors, kohya names (underscored modules, lora_down/lora_up,
# alpha). ltx-core ignores this format, so its reference is ltx-core's fuse of the same
# factors renamed to lora_A/lora_B with strength * alpha / rank.
KOHYA_ALPHA, KOHYA_RANK = 2.0, 4


def kohya_file():
    factors = {}
    for module, out_f, in_f in (("transformer_blocks.1.ff.net.2", DIM, FF), ("transformer_blocks.1.attn1.to_k", DIM, DIM)):
        factors.update(pair(module, out_f, in_f, KOHYA_RANK, torch.bfloat16))
    kohya = {}
    for key, value in factors.items():
        module, kind = key.rsplit(".lora_", 1)
        stem = "lora_unet_" + module.replace(".", "_")
        kohya[f"{stem}.lora_{'down' if kind.startswith('A') else 'up'}.weight"] = value
        kohya[f"{stem}.alpha"] = torch.tensor(KOHYA_ALPHA, dtype=torch.bfloat16)
    return kohya, factors


CASES = {
    "single": [("lora_a.safetensors", 0.8)],
    "stack": [("lora_a.safetensors", 0.8), ("lora_b.safetensors", -0.5), ("lora_c_f32.safetensors", 1.3), ("lora_d_f16.safetensors", 2.0)],
}


def main():
    torch.manual_seed(20260321)
    OUT.mkdir(parents=True, exist_ok=True)
    base_path = OUT / "base.safetensors"
    save_file(base_checkpoint(), base_path, metadata={"model_version": "2.3.0"})
    for name, (sd, meta) in lora_files().items():
        save_file(sd, OUT / name, metadata=meta)
    kohya, kohya_factors = kohya_file()
    save_file(kohya, OUT / "lora_kohya.safetensors")
    kohya_ab = OUT / "kohya_as_ab.tmp.safetensors"
    save_file(kohya_factors, kohya_ab)

    loader = SafetensorsStateDictLoader()

    def fuse(loras):
        base = loader.load(str(base_path), sd_ops=LTXV_MODEL_COMFY_RENAMING_MAP)
        stack = [
            LoraStateDictWithStrength(loader.load(str(path), sd_ops=LTXV_LORA_COMFY_RENAMING_MAP), strength)
            for path, strength in loras
        ]
        fused = apply_loras(base, stack, dtype=torch.bfloat16)
        return {k: v.contiguous() for k, v in fused.sd.items()}

    for case, loras in CASES.items():
        fused = fuse([(OUT / path, s) for path, s in loras])
        save_file(fused, OUT / f"fused_{case}.safetensors", metadata={"loras": repr(loras)})
    kohya_strength = 0.7
    fused = fuse([(kohya_ab, kohya_strength * KOHYA_ALPHA / KOHYA_RANK)])
    save_file(fused, OUT / "fused_kohya.safetensors",
              metadata={"loras": repr([("lora_kohya.safetensors", kohya_strength)])})
    os.remove(kohya_ab)
    total = sum(f.stat().st_size for f in OUT.iterdir())
    print(f"wrote {len(list(OUT.iterdir()))} files, {total} bytes, to {OUT}")


if __name__ == "__main__":
    main()
