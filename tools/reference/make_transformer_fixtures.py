#!/usr/bin/env python3
"""Writes tiny random-weight LTX video transformers and their ltx-core 1.0.0 outputs, for the
Swift parity tests in Tests/LTXTests. Run from the repository root:

    /work/venv/bin/python tools/reference/make_transformer_fixtures.py

For each style (`ltx2`: LTX-2-shaped, interleaved RoPE, caption projection, no gating;
`ltx23`: LTX-2.3-shaped, split RoPE with the float64 frequency grid, gated attention,
cross-attention AdaLN and the prompt AdaLN) it writes two files into Tests/LTXTests/Fixtures:

  transformer_<style>.safetensors   the checkpoint, ComfyUI-style: every transformer key under
                                    `model.diffusion_model.`, float32, metadata `config` =
                                    json({"transformer": ...}) as real LTX files carry it
  euler_loop.safetensors            an 8-step distilled Euler loop (float32 and bf16) on the
                                    LTX-2.3-shaped model with seed 2: image latent at frame 0
                                    (strength 1), injected noise `eps` [1, 24, 128], context; the
                                    latent after step 0 and at the end
  conditioning.safetensors          states built by ltx-core's conditioning items (image at frame 0,
                                    reference at downscale 2 with attention strength 0.5 or per-token
                                    weights, keyframe at pixel frame 8 with strength 0.8), float32
                                    and bf16, and one X0 forward on each at sigma 0.9
  rope_grid.safetensors             the RoPE frequency grid at width 4096, float32 and float64 paths
  forward_<style>.safetensors       one forward of ltx-core's LTXVideoOnlyModelConfigurator model
                                    (float32, CPU):
    latent      [1, T, 128]   patchified tokens of a [1, 128, 2, 3, 4] latent (T = 24)
    positions   [1, 3, T, 2]  VideoLatentTools' pixel bounds (causal fix, time / fps 24), float32
    timesteps   [1, T, 1]     sigma * denoise mask (frame 0 clean: mask 0)
    sigma       [1]           0.7
    context     [1, 5, W]     prompt context (W = caption_channels 24 for ltx2, D = 16 for ltx23)
    velocity    [1, T, 128]   the model's output
    x0          [1, T, 128]   X0Model's output (latent - velocity * timesteps)
    pe_cos, pe_sin            the RoPE tables the model computed (layout of the style)
    mask        [1, T, T]     a [0, 1] self-attention mask (rows of the last frame attend to
                              frame 0 with weight 0.5, to one token not at all)
    velocity_masked           the output with that mask
"""
import json
import os
from dataclasses import replace

import torch
from safetensors.torch import save_file

from ltx_core.components.patchifiers import VideoLatentPatchifier
from ltx_core.model.transformer.modality import Modality
from ltx_core.model.transformer.rope import generate_freq_grid_np, generate_freq_grid_pytorch
from ltx_core.model.transformer.model import X0Model
from ltx_core.model.transformer.model_configurator import LTXVideoOnlyModelConfigurator
from ltx_core.components.diffusion_steps import EulerDiffusionStep
from ltx_core.conditioning.types.attention_strength_wrapper import ConditioningItemAttentionStrengthWrapper
from ltx_core.conditioning.types.keyframe_cond import VideoConditionByKeyframeIndex
from ltx_core.conditioning.types.latent_cond import VideoConditionByLatentIndex
from ltx_core.conditioning.types.reference_video_cond import VideoConditionByReferenceLatent
from ltx_core.tools import VideoLatentTools
from ltx_pipelines.utils.constants import DISTILLED_SIGMA_VALUES
from ltx_pipelines.utils.helpers import modality_from_latent_state, post_process_latent
from ltx_core.types import VideoLatentShape

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "LTXTests", "Fixtures")

COMMON = {
    "dropout": 0.0, "attention_bias": True, "num_vector_embeds": None, "activation_fn": "gelu-approximate",
    "num_embeds_ada_norm": 1000, "use_linear_projection": False, "only_cross_attention": False,
    "cross_attention_norm": True, "double_self_attention": False, "upcast_attention": False,
    "standardization_norm": "rms_norm", "norm_elementwise_affine": False, "qk_norm": "rms_norm",
    "positional_embedding_type": "rope", "use_middle_indices_grid": True,
    "num_attention_heads": 2, "attention_head_dim": 8, "num_layers": 2, "cross_attention_dim": 16,
    "in_channels": 128, "out_channels": 128, "norm_eps": 1e-6, "positional_embedding_theta": 10000.0,
    "positional_embedding_max_pos": [20, 2048, 2048], "timestep_scale_multiplier": 1000,
}
STYLES = {
    "ltx2": dict(COMMON, caption_channels=24),
    "ltx23": dict(COMMON, rope_type="split", frequencies_precision="float64", apply_gated_attention=True,
                  cross_attention_adaln=True, caption_proj_before_connector=True),
}


def build(config: dict, seed: int) -> torch.nn.Module:
    model = LTXVideoOnlyModelConfigurator.from_config({"transformer": config})
    model = model.to_empty(device="cpu")
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.3 if "scale_shift" in name else 0.2))
    return model.float().eval()


def main() -> None:
    torch.set_grad_enabled(False)
    os.makedirs(OUT, exist_ok=True)
    for seed, (style, config) in enumerate(STYLES.items(), start=1):
        model = build(config, seed)
        state = {f"model.diffusion_model.{k}": v.contiguous() for k, v in model.state_dict().items()}
        save_file(state, os.path.join(OUT, f"transformer_{style}.safetensors"),
                  metadata={"config": json.dumps({"transformer": config}), "model_version": "tiny-test",
                            "generator": "tools/reference/make_transformer_fixtures.py"})

        g = torch.Generator().manual_seed(100 + seed)
        shape = VideoLatentShape(batch=1, channels=128, frames=2, height=3, width=4)
        tools = VideoLatentTools(patchifier=VideoLatentPatchifier(patch_size=1), target_shape=shape, fps=24.0)
        state0 = tools.create_initial_state(device="cpu", dtype=torch.float32,
                                            initial_latent=torch.randn(shape.to_torch_shape(), generator=g))
        tokens, positions = state0.latent, state0.positions
        t = tokens.shape[1]
        sigma = torch.tensor([0.7])
        mask = torch.ones(1, t, 1)
        mask[:, :12] = 0  # frame 0 is clean
        timesteps = sigma[:, None, None] * mask
        width = config.get("caption_channels", 16) if style == "ltx2" else 16
        context = torch.randn(1, 5, width, generator=g)

        def modality(attention_mask=None):
            return Modality(latent=tokens, sigma=sigma, timesteps=timesteps, positions=positions, context=context,
                            attention_mask=attention_mask)

        velocity, _ = model(video=modality(), audio=None, perturbations=None)
        x0, _ = X0Model(model)(video=modality(), audio=None, perturbations=None)
        args = model.video_args_preprocessor.prepare(modality())
        pe_cos, pe_sin = args.positional_embeddings
        attention = torch.ones(1, t, t)
        attention[:, 12:, :12] = 0.5
        attention[:, 12:, 3] = 0.0
        velocity_masked, _ = model(video=modality(attention), audio=None, perturbations=None)
        save_file({
            "latent": tokens.contiguous(), "positions": positions.float().contiguous(),
            "timesteps": timesteps.contiguous(), "sigma": sigma, "context": context,
            "velocity": velocity.contiguous(), "x0": x0.contiguous(),
            "pe_cos": pe_cos.float().contiguous(), "pe_sin": pe_sin.float().contiguous(),
            "mask": attention, "velocity_masked": velocity_masked.contiguous(),
        }, os.path.join(OUT, f"forward_{style}.safetensors"),
            metadata={"generator": "tools/reference/make_transformer_fixtures.py", "torch": torch.__version__})
        for name in os.listdir(OUT):
            os.chmod(os.path.join(OUT, name), 0o644)
        print(style, "tokens", t, "velocity", tuple(velocity.shape), "max", float(velocity.abs().max()))

    # An 8-step distilled Euler loop on the LTX-2.3-shaped model, float32 and bf16, with a
    # latent-index conditioning at frame 0 and injected noise; each step uses ltx-core's and
    # ltx-pipelines' own pieces (X0Model, post_process_latent, EulerDiffusionStep).
    model = build(STYLES["ltx23"], 2)
    g = torch.Generator().manual_seed(300)
    shape = VideoLatentShape(batch=1, channels=128, frames=2, height=3, width=4)
    image_latent = torch.randn(1, 128, 1, 3, 4, generator=g)
    eps32 = torch.randn(1, 24, 128, generator=g)
    context = torch.randn(1, 5, 16, generator=g)
    record = {"image_latent": image_latent, "eps": eps32, "context": context,
              "sigmas": torch.tensor(DISTILLED_SIGMA_VALUES, dtype=torch.float32)}
    for name, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16)):
        m = build(STYLES["ltx23"], 2).to(dtype)  # fresh: .to() converts in place
        tools = VideoLatentTools(patchifier=VideoLatentPatchifier(patch_size=1), target_shape=shape, fps=24.0)
        state = tools.create_initial_state(device="cpu", dtype=dtype)
        state = VideoConditionByLatentIndex(image_latent.to(dtype), strength=1.0, latent_idx=0).apply_to(state, tools)
        eps = eps32.to(dtype)
        sm = state.denoise_mask * 1.0
        state = replace(state, latent=(eps * sm + state.latent * (1 - sm)).to(dtype))  # GaussianNoiser's formula
        sigmas = torch.tensor(DISTILLED_SIGMA_VALUES, dtype=torch.float32)
        x0_model, stepper = X0Model(m), EulerDiffusionStep()
        record[f"loop_{name}.positions"] = state.positions.float()
        for i in range(len(sigmas) - 1):
            video = modality_from_latent_state(state, context.to(dtype), sigmas[i])
            denoised, _ = x0_model(video=video, audio=None, perturbations=None)
            denoised = post_process_latent(denoised, state.denoise_mask, state.clean_latent)
            state = replace(state, latent=stepper.step(state.latent, denoised, sigmas, i))
            if i == 0:
                record[f"loop_{name}.after_step0"] = state.latent.float()
        record[f"loop_{name}.final"] = state.latent.float()
        print("loop", name, float(state.latent.float().abs().max()))
    # The same loop seeded: ltx-core's GaussianNoiser with torch's CPU generator (seed 7), then
    # a stage-2-style second draw from the same generator (noise scale 0.909375).
    from ltx_core.components.noisers import GaussianNoiser
    for name, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16)):
        m = build(STYLES["ltx23"], 2).to(dtype)
        tools = VideoLatentTools(patchifier=VideoLatentPatchifier(patch_size=1), target_shape=shape, fps=24.0)
        state = tools.create_initial_state(device="cpu", dtype=dtype)
        state = VideoConditionByLatentIndex(image_latent.to(dtype), strength=1.0, latent_idx=0).apply_to(state, tools)
        noiser = GaussianNoiser(torch.Generator().manual_seed(7))
        state = noiser(state, 1.0)
        sigmas = torch.tensor(DISTILLED_SIGMA_VALUES, dtype=torch.float32)
        x0_model, stepper = X0Model(m), EulerDiffusionStep()
        for i in range(len(sigmas) - 1):
            video = modality_from_latent_state(state, context.to(dtype), sigmas[i])
            denoised, _ = x0_model(video=video, audio=None, perturbations=None)
            denoised = post_process_latent(denoised, state.denoise_mask, state.clean_latent)
            state = replace(state, latent=stepper.step(state.latent, denoised, sigmas, i))
        record[f"seeded_{name}.final"] = state.latent.float()
        record[f"seeded_{name}.renoised"] = noiser(state, 0.909375).latent.float()
    save_file({k: v.contiguous() for k, v in record.items()}, os.path.join(OUT, "euler_loop.safetensors"),
              metadata={"generator": "tools/reference/make_transformer_fixtures.py", "torch": torch.__version__})
    os.chmod(os.path.join(OUT, "euler_loop.safetensors"), 0o644)

    # Conditioned states: image at frame 0, a reference latent at downscale factor 2 (its
    # positions scaled) wrapped in attention strength 0.5 (or a per-token weight), and a
    # keyframe at pixel frame 8 with strength 0.8; one X0 forward at sigma 0.9 on each.
    g = torch.Generator().manual_seed(400)
    image = torch.randn(1, 128, 1, 3, 4, generator=g)
    reference = torch.randn(1, 128, 2, 2, 2, generator=g)  # half the target's 3x4 grid would not divide; any grid works
    keyframe = torch.randn(1, 128, 1, 3, 4, generator=g)
    per_token = torch.rand(8, generator=g)
    eps = torch.randn(1, 24 + 8 + 12, 128, generator=g)
    record = {"image": image, "reference": reference, "keyframe": keyframe, "per_token": per_token, "eps": eps,
              "context": context}
    for name, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16)):
        m = build(STYLES["ltx23"], 2).to(dtype)  # fresh: .to() converts in place
        for variant, strength in (("scalar", 0.5), ("tokens", per_token)):
            tools = VideoLatentTools(patchifier=VideoLatentPatchifier(patch_size=1), target_shape=shape, fps=24.0)
            state = tools.create_initial_state(device="cpu", dtype=dtype)
            items = [
                VideoConditionByLatentIndex(image.to(dtype), strength=1.0, latent_idx=0),
                ConditioningItemAttentionStrengthWrapper(
                    VideoConditionByReferenceLatent(reference.to(dtype), downscale_factor=2, strength=1.0),
                    attention_mask=strength),
                VideoConditionByKeyframeIndex(keyframes=keyframe.to(dtype), frame_idx=8, strength=0.8),
            ]
            for item in items:
                state = item.apply_to(state, tools)
            sm = state.denoise_mask * 1.0
            state = replace(state, latent=(eps.to(dtype) * sm + state.latent * (1 - sm)).to(dtype))
            video = modality_from_latent_state(state, context.to(dtype), torch.tensor(0.9))
            x0, _ = X0Model(m)(video=video, audio=None, perturbations=None)
            key = f"cond_{name}_{variant}"
            record[f"{key}.positions"] = state.positions.float()
            record[f"{key}.denoise_mask"] = state.denoise_mask.float()
            record[f"{key}.attention_mask"] = state.attention_mask.float()
            record[f"{key}.latent"] = state.latent.float()
            record[f"{key}.x0"] = x0.float()
    # A pixel mask video brought to latent tokens by ltx-pipelines' IC-LoRA helper.
    from ltx_pipelines.ic_lora import ICLoraPipeline
    pixel_mask = torch.rand(1, 1, 17, 40, 56, generator=g)
    record["pixel_mask"] = pixel_mask
    record["latent_mask"] = ICLoraPipeline._downsample_mask_to_latent(pixel_mask, VideoLatentShape(1, 128, 3, 5, 7))
    save_file({k: v.contiguous() for k, v in record.items()}, os.path.join(OUT, "conditioning.safetensors"),
              metadata={"generator": "tools/reference/make_transformer_fixtures.py", "torch": torch.__version__})
    os.chmod(os.path.join(OUT, "conditioning.safetensors"), 0o644)

    # The RoPE frequency grids at the real width (4096: 682 frequencies), both precisions.
    save_file({
        "grid_f32_4096": generate_freq_grid_pytorch(10000.0, 3, 4096).contiguous(),
        "grid_f64_4096": generate_freq_grid_np(10000.0, 3, 4096).contiguous(),
    }, os.path.join(OUT, "rope_grid.safetensors"), metadata={"generator": "tools/reference/make_transformer_fixtures.py"})
    os.chmod(os.path.join(OUT, "rope_grid.safetensors"), 0o644)


if __name__ == "__main__":
    main()
