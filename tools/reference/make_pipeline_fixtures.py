#!/usr/bin/env python3
"""Writes an end-to-end fixture of the two-stage IC-LoRA pipeline (video only, float32, CPU) with
ltx-core / ltx-pipelines 1.0.0, for the Swift parity test in Tests/ReelflowCLITests. Run from the
repository root:

    /work/venv/bin/python tools/reference/make_pipeline_fixtures.py

Every step calls ltx-core / ltx-pipelines: ModelLedger (SingleGPUModelBuilder + the ComfyUI key filters)
loads every model from the files below, ltx-core's apply_loras fuses the IC-LoRA,
ICLoraPipeline._create_conditionings / combined_image_conditionings load and encode the conditionings
(load_image_conditioning with the CRF round trip off (crf 0), load_video_conditioning), noise_video_state +
GaussianNoiser + euler_denoising_loop + EulerDiffusionStep + modality_from_latent_state +
post_process_latent run the sampler, VideoLatentTools.clear_conditioning / unpatchify end each stage,
upsample_video upscales and decode_video (no tiling) decodes. The only differences from ICLoraPipeline
(see "Deviations" below) are float32 instead of bfloat16 and the video-only transformer.

Parameters: output 256x256 (stage 1 at 128x128), 9 frames, 24 fps; image edited.png at frame 0 with
strength 1.0 and CRF 0 (no H.264 round trip; see IMAGE_CRF); reference video reference.mp4 with strength 1.0,
reference_downscale_factor 2 (read from ic_lora.safetensors' metadata by ltx-pipelines' reader, so
the reference is loaded at 64x64 with at most 9 frames); no attention mask (strength 1.0); IC-LoRA
fused at strength 1.0 in stage 1 only; stage 1: zeros initial latent, noise scale 1.0, 8 Euler steps on
DISTILLED_SIGMA_VALUES; stage 2: initial latent = upscaled, image re-loaded at 256x256, noise scale
0.909375 (STAGE_2_DISTILLED_SIGMA_VALUES[0], a float32 tensor), 3 Euler steps on
STAGE_2_DISTILLED_SIGMA_VALUES, no LoRA, no reference. torch threads 1.

Files in Tests/ReelflowCLITests/Fixtures/pipeline/ (all mode 644; metadata `generator` = this script):

  checkpoint.safetensors   float32, ComfyUI-style: the tiny LTX-2.3-style video-only transformer under
                           `model.diffusion_model.` (make_transformer_fixtures.py's ltx23 config: 2 heads
                           x 8, D 16, 2 layers, split RoPE with the float64 grid, gated attention,
                           cross-attention AdaLN, caption_proj_before_connector, in/out 128), the VAE
                           encoder under `vae.encoder.`, decoder under `vae.decoder.`, statistics once under
                           `vae.per_channel_statistics.`; metadata config = json({"transformer": ...,
                           "vae": ...}) (TRANSFORMER and VAE below), model_version "2.3.0".
                           VAE: 128 latent channels (ltx-pipelines' PipelineComponents hardcodes 128),
                           patch 4, encoder 3 x compress_all_res (multiplier 1), decoder 3 x compress_all
                           (multiplier 2) between two res_x, decoder_base_channels 2, pixel_norm, uniform
                           log-var, zeros padding, non-causal decoder, no timestep conditioning.
  ic_lora.safetensors      float32 LoRA, rank 4: `diffusion_model.transformer_blocks.<i>.<module>.lora_A.weight`
                           [4, in] and `.lora_B.weight` [out, 4] for attn1/attn2 to_q, to_k, to_v, to_out.0,
                           ff.net.0.proj and ff.net.2 of both blocks; metadata reference_downscale_factor "2".
  upsampler.safetensors    float32 LatentUpsampler state dict (spatial x2, in 128, mid 32, 1 block per stage),
                           metadata config = json(UPSAMPLER) (flat).
  context.safetensors      video_context [1, 5, 16] float32 (the prompt context both stages see).
  reference.mp4            12 frames, 24 fps, 100 wide x 90 high, H.264 yuv420p (PyAV, crf 18, veryfast,
                           1 thread), a moving pattern.
  edited.png               300 wide x 260 high RGB 8-bit PNG, a synthetic pattern.
  noise.safetensors        injected noise, float32, torch.randn from torch.Generator("cpu").manual_seed(1234),
                           drawn in this order: stage1 [1, T1, 128] with T1 = 32 + 8 = 40 (2x4x4 target tokens
                           then 2x2x2 reference tokens), stage2 [1, T2, 128] with T2 = 2x8x8 = 128.
  expected.safetensors     float32 unless said; metadata params = json of the parameters above.
    image_pixels_stage1    [1, 3, 1, 128, 128]  load_image_conditioning(edited.png, 128, 128, crf 0: no round trip), in [-1, 1]
    reference_pixels       [1, 3, 9, 64, 64]    load_video_conditioning(reference.mp4, 64, 64, frame_cap 9)
    image_pixels_stage2    [1, 3, 1, 256, 256]  load_image_conditioning(edited.png, 256, 256, crf 0)
    image_latent_stage1    [1, 128, 1, 4, 4]    encoder(image_pixels_stage1)
    reference_latent       [1, 128, 2, 2, 2]    encoder(reference_pixels)
    image_latent_stage2    [1, 128, 1, 8, 8]    encoder(image_pixels_stage2)
    stage1_latent          [1, 128, 2, 4, 4]    stage 1 with the injected noise, after clear_conditioning + unpatchify
    upscaled               [1, 128, 2, 8, 8]    upsample_video(stage1_latent, encoder, upsampler)
    final_latent           [1, 128, 2, 8, 8]    stage 2 with the injected noise, after clear_conditioning + unpatchify
    frames                 uint8 [9, 256, 256, 3]  decode_video(final_latent, decoder, no tiling): (F, H, W, RGB),
                           uint8(clamp((x + 1) / 2, 0, 1) * 255) computed in float32, truncating
    seeded_stage1_latent, seeded_final_latent
                           the same pipeline with no injected noise: one torch.Generator("cpu").manual_seed(42)
                           feeds GaussianNoiser for stage 1 (randn [1, 40, 128] float32) and then stage 2
                           (randn [1, 128, 128] float32); no audio draws in between (video only), the decoder
                           draws nothing (no timestep conditioning, no inject_noise).

Weights (seeded): transformer as make_transformer_fixtures.py (normal * 0.2, scale_shift tables * 0.3);
VAE and upsampler: conv / linear weights normal / sqrt(fan_in), biases normal * 0.05, GroupNorm weights
1 + normal * 0.1, std-of-means uniform [0.5, 1.5), mean-of-means normal * 0.1; LoRA A and B normal * 0.3.

Deviations from ICLoraPipeline (which cannot run here as is): float32 instead of bfloat16 everywhere;
LTXVideoOnlyModelConfigurator instead of the audio+video model (no audio state, no audio noise draws,
transformer called with audio=None through a video-only denoise function; euler_denoising_loop gets an
empty audio state with 0 tokens); ltx-core's _fuse_deltas rejects float32 base weights ("Unsupported
dtype"), so this script routes float32 weights through ltx-core's own bf16 fuse helper
(_fuse_delta_with_bfloat16: deltas.add_(weight), cast), which is dtype-generic: W' = W + (B * 1.0) @ A
in float32; the injected noise goes through GaussianNoiser itself with torch.randn patched to return
the given tensor.
"""
import contextlib
import json
import math
import os
import struct
from dataclasses import replace
from types import SimpleNamespace

os.environ.setdefault("TQDM_DISABLE", "1")

import av
import numpy as np
import torch
from PIL import Image
from safetensors import safe_open
from safetensors.torch import save_file

import ltx_core.loader.fuse_loras as fuse_loras
from ltx_core.components.diffusion_steps import EulerDiffusionStep
from ltx_core.components.noisers import GaussianNoiser
from ltx_core.conditioning import VideoConditionByLatentIndex, VideoConditionByReferenceLatent
from ltx_core.loader import LTXV_LORA_COMFY_RENAMING_MAP, LoraPathStrengthAndSDOps
from ltx_core.model.transformer.model_configurator import LTXVideoOnlyModelConfigurator
from ltx_core.model.upsampler import upsample_video
from ltx_core.model.upsampler.model_configurator import LatentUpsamplerConfigurator
from ltx_core.model.video_vae import decode_video as vae_decode_video
from ltx_core.model.video_vae.model_configurator import VideoDecoderConfigurator, VideoEncoderConfigurator
from ltx_core.types import LatentState, VideoPixelShape
from ltx_pipelines.ic_lora import ICLoraPipeline, _read_lora_reference_downscale_factor
from ltx_pipelines.utils.args import ImageConditioningInput
from ltx_pipelines.utils.constants import (
    DEFAULT_IMAGE_CRF,
    DISTILLED_SIGMA_VALUES,
    STAGE_2_DISTILLED_SIGMA_VALUES,
    VIDEO_LATENT_CHANNELS,
)
from ltx_pipelines.utils.helpers import (
    combined_image_conditionings,
    modality_from_latent_state,
    noise_video_state,
)
from ltx_pipelines.utils.media_io import load_image_conditioning, load_video_conditioning
from ltx_pipelines.utils.model_ledger import ModelLedger
from ltx_pipelines.utils.samplers import euler_denoising_loop
from ltx_pipelines.utils.types import PipelineComponents

GENERATOR = "tools/reference/make_pipeline_fixtures.py"
OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests",
                                    "ReelflowCLITests", "Fixtures", "pipeline"))
DTYPE, DEVICE = torch.float32, torch.device("cpu")
C = 16  # ltx-pipelines' PipelineComponents hardcodes 128 (VIDEO_LATENT_CHANNELS); the script sets its count to match, and 16 keeps the fixtures small

WIDTH, HEIGHT, FRAMES, FPS = 256, 256, 9, 24.0
REFERENCE_DOWNSCALE = 2
# The edited frame skips ltx-pipelines' H.264 round trip (its default CRF 33): x264 builds
# differ (PyAV's bundled one and the system's gave different pixels here), and the round trip
# is checked on its own by the media fixtures. The graph runs with image_crf=0 to match.
IMAGE_CRF = 0
LORA_STRENGTH, LORA_RANK = 1.0, 4
NOISE_SEED, PIPELINE_SEED = 1234, 42
REF_W, REF_H, REF_FRAMES = 100, 90, 12
IMG_W, IMG_H = 300, 260

TRANSFORMER = {  # make_transformer_fixtures.py's ltx23 style
    "dropout": 0.0, "attention_bias": True, "num_vector_embeds": None, "activation_fn": "gelu-approximate",
    "num_embeds_ada_norm": 1000, "use_linear_projection": False, "only_cross_attention": False,
    "cross_attention_norm": True, "double_self_attention": False, "upcast_attention": False,
    "standardization_norm": "rms_norm", "norm_elementwise_affine": False, "qk_norm": "rms_norm",
    "positional_embedding_type": "rope", "use_middle_indices_grid": True,
    "num_attention_heads": 2, "attention_head_dim": 8, "num_layers": 2, "cross_attention_dim": 16,
    "in_channels": C, "out_channels": C, "norm_eps": 1e-6, "positional_embedding_theta": 10000.0,
    "positional_embedding_max_pos": [20, 2048, 2048], "timestep_scale_multiplier": 1000,
    "rope_type": "split", "frequencies_precision": "float64", "apply_gated_attention": True,
    "cross_attention_adaln": True, "caption_proj_before_connector": True,
}
D = TRANSFORMER["num_attention_heads"] * TRANSFORMER["attention_head_dim"]
VAE = {
    "dims": 3, "in_channels": 3, "out_channels": 3, "latent_channels": C, "patch_size": 4,
    "norm_layer": "pixel_norm", "latent_log_var": "uniform", "spatial_padding_mode": "zeros",
    "causal_decoder": False, "timestep_conditioning": False, "decoder_base_channels": 2,
    "encoder_blocks": [["compress_all_res", {"multiplier": 1}]] * 3,
    "decoder_blocks": [["res_x", {"num_layers": 1}]] + [["compress_all", {"multiplier": 2}]] * 3
                      + [["res_x", {"num_layers": 1}]],
}
UPSAMPLER = {
    "in_channels": C, "mid_channels": 32, "num_blocks_per_stage": 1, "dims": 3,
    "spatial_upsample": True, "temporal_upsample": False, "spatial_scale": 2.0, "rational_resampler": False,
}
LORA_MODULES = ["attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0",
                "attn2.to_q", "attn2.to_k", "attn2.to_v", "attn2.to_out.0", "ff.net.0.proj", "ff.net.2"]

PATHS = {name: os.path.join(OUT, name) for name in (
    "checkpoint.safetensors", "ic_lora.safetensors", "upsampler.safetensors", "context.safetensors",
    "reference.mp4", "edited.png", "noise.safetensors", "expected.safetensors")}


# ----------------------------------------------------------------------------------------------
# Models and inputs
# ----------------------------------------------------------------------------------------------

def build_transformer(seed: int) -> torch.nn.Module:
    model = LTXVideoOnlyModelConfigurator.from_config({"transformer": TRANSFORMER}).to_empty(device="cpu")
    g = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        p.copy_(torch.randn(p.shape, generator=g) * (0.3 if "scale_shift" in name else 0.2))
    return model.float().eval()


def fan_in_init(model: torch.nn.Module, g: torch.Generator) -> None:
    for name, p in model.named_parameters():
        owner_name, _, leaf = name.rpartition(".")
        owner = model.get_submodule(owner_name) if owner_name else model
        noise = torch.randn(p.shape, generator=g)
        if isinstance(owner, torch.nn.GroupNorm) and leaf == "weight":
            p.copy_(1.0 + noise * 0.1)
        elif p.dim() >= 2:
            p.copy_(noise / math.sqrt(p[0].numel()))
        else:
            p.copy_(noise * 0.05)


def build_vae(seed: int) -> tuple[torch.nn.Module, torch.nn.Module]:
    encoder = VideoEncoderConfigurator.from_config({"vae": VAE})
    decoder = VideoDecoderConfigurator.from_config({"vae": VAE})
    g = torch.Generator().manual_seed(seed)
    std_of_means = torch.rand(C, generator=g) + 0.5
    mean_of_means = torch.randn(C, generator=g) * 0.1
    fan_in_init(encoder, g)
    fan_in_init(decoder, g)
    for model in (encoder, decoder):
        model.per_channel_statistics.get_buffer("std-of-means").copy_(std_of_means)
        model.per_channel_statistics.get_buffer("mean-of-means").copy_(mean_of_means)
    return encoder.float().eval(), decoder.float().eval()


def build_upsampler(seed: int) -> torch.nn.Module:
    model = LatentUpsamplerConfigurator.from_config(UPSAMPLER)
    fan_in_init(model, torch.Generator().manual_seed(seed))
    return model.float().eval()


def save(tensors: dict, name: str, metadata: dict | None = None) -> None:
    path = PATHS[name]
    save_file({k: v.contiguous() for k, v in tensors.items()}, path,
              metadata=dict({"generator": GENERATOR, "torch": torch.__version__}, **(metadata or {})))
    # safetensors writes `__metadata__` in hash-map order, which changes from run to run; rewrite the
    # header with sorted metadata keys (same compact JSON, space-padded to 8 bytes) so reruns are
    # byte-identical.
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + blob[8 + n:])


def write_models() -> None:
    transformer = build_transformer(11)
    encoder, decoder = build_vae(12)
    state = {f"model.diffusion_model.{k}": v for k, v in transformer.state_dict().items()}
    for prefix, model in (("vae.encoder.", encoder), ("vae.decoder.", decoder)):
        for key, value in model.state_dict().items():
            if not key.startswith("per_channel_statistics."):
                state[prefix + key] = value
    for key, value in encoder.per_channel_statistics.state_dict().items():
        state["vae.per_channel_statistics." + key] = value
    assert all(v.dtype == torch.float32 for v in state.values())
    save(state, "checkpoint.safetensors",
         {"config": json.dumps({"transformer": TRANSFORMER, "vae": VAE}), "model_version": "2.3.0"})

    save(build_upsampler(13).state_dict(), "upsampler.safetensors", {"config": json.dumps(UPSAMPLER)})

    g = torch.Generator().manual_seed(14)
    base = transformer.state_dict()
    lora = {}
    for block in range(TRANSFORMER["num_layers"]):
        for module in LORA_MODULES:
            stem = f"transformer_blocks.{block}.{module}"
            out_f, in_f = base[f"{stem}.weight"].shape
            lora[f"diffusion_model.{stem}.lora_A.weight"] = torch.randn(LORA_RANK, in_f, generator=g) * 0.3
            lora[f"diffusion_model.{stem}.lora_B.weight"] = torch.randn(out_f, LORA_RANK, generator=g) * 0.3
    save(lora, "ic_lora.safetensors", {"reference_downscale_factor": str(REFERENCE_DOWNSCALE)})

    g = torch.Generator().manual_seed(15)
    save({"video_context": torch.randn(1, 5, D, generator=g)}, "context.safetensors")


def write_media() -> None:
    # reference.mp4: a diagonal colour ramp sliding right, plus a bright square moving down-left.
    with av.open(PATHS["reference.mp4"], "w") as container:
        stream = container.add_stream("libx264", rate=int(FPS),
                                      options={"crf": "18", "preset": "veryfast", "threads": "1"})
        stream.width, stream.height, stream.pix_fmt = REF_W, REF_H, "yuv420p"
        yy, xx = np.mgrid[0:REF_H, 0:REF_W]
        for f in range(REF_FRAMES):
            r = (xx * 2 + yy + f * 9) % 256
            gch = 40 + ((yy * 3 - f * 5) % 160)
            b = 128 + 100 * np.sin((xx + yy) / 9.0 + f * 0.5)
            frame = np.stack([r, gch, b], axis=-1)
            x0, y0 = 70 - 5 * f, 10 + 6 * f
            frame[max(y0, 0):y0 + 14, max(x0, 0):x0 + 14] = (250, 240, 30)
            frame = np.clip(frame, 0, 255).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)

    # edited.png: smooth gradients, rings and a checkerboard corner (edges for the CRF round trip).
    yy, xx = np.mgrid[0:IMG_H, 0:IMG_W].astype(np.float64)
    rings = 127.5 + 127.5 * np.cos(np.hypot(xx - 150, yy - 120) / 7.0)
    image = np.stack([xx * 255 / (IMG_W - 1), rings, yy * 255 / (IMG_H - 1)], axis=-1)
    checker = ((xx // 10 + yy // 10) % 2 == 0) & (xx < 80) & (yy < 60)
    image[checker] = (20, 20, 200)
    Image.fromarray(np.clip(image, 0, 255).round().astype(np.uint8), "RGB").save(PATHS["edited.png"])


# ----------------------------------------------------------------------------------------------
# Pipeline (video-only replica of ICLoraPipeline.__call__)
# ----------------------------------------------------------------------------------------------

_original_fuse_deltas = fuse_loras._fuse_deltas


def _fuse_deltas_float32(deltas, weight, key, sd, target_dtype, device, is_scaled_fp8, scale_key, model_sd):
    """ltx-core accepts only bf16 / fp8 base weights for LoRA deltas; its bf16 path (add, then cast)
    is dtype-generic, so float32 weights are routed through it."""
    if deltas is not None and weight.dtype == torch.float32:
        return fuse_loras._fuse_delta_with_bfloat16(deltas, weight, key, target_dtype)
    return _original_fuse_deltas(deltas, weight, key, sd, target_dtype, device, is_scaled_fp8, scale_key, model_sd)


fuse_loras._fuse_deltas = _fuse_deltas_float32


def video_only_ledger(loras: tuple) -> ModelLedger:
    ledger = ModelLedger(dtype=DTYPE, device=DEVICE, checkpoint_path=PATHS["checkpoint.safetensors"],
                         spatial_upsampler_path=PATHS["upsampler.safetensors"], loras=loras)
    ledger.transformer_builder = replace(ledger.transformer_builder,
                                         model_class_configurator=LTXVideoOnlyModelConfigurator)
    return ledger


class InjectedNoise:
    """GaussianNoiser itself, with its torch.randn draw replaced by a given tensor."""

    def __init__(self, eps: torch.Tensor):
        self.eps = eps

    def __call__(self, latent_state: LatentState, noise_scale: float = 1.0) -> LatentState:
        original = torch.randn

        def given(*shape, dtype=None, **_kwargs):
            assert tuple(shape) == tuple(self.eps.shape) and dtype == self.eps.dtype, (shape, dtype)
            return self.eps.clone()

        torch.randn = given
        try:
            return GaussianNoiser(generator=None)(latent_state, noise_scale)
        finally:
            torch.randn = original


def denoise_video(output_shape, conditionings, noiser, sigmas, transformer, context, components,
                  noise_scale=1.0, initial_latent=None, record=None):
    """denoise_audio_video's video half: noise_video_state, euler_denoising_loop with a video-only
    simple denoising function (audio=None), clear_conditioning, unpatchify."""
    video_state, video_tools = noise_video_state(
        output_shape=output_shape, noiser=noiser, conditionings=conditionings, components=components,
        dtype=DTYPE, device=DEVICE, noise_scale=noise_scale, initial_latent=initial_latent)
    if record is not None:
        record["tokens"] = video_state.latent.shape[1]
    empty = torch.zeros(1, 0, C, dtype=DTYPE)
    audio_state = LatentState(latent=empty, denoise_mask=torch.zeros(1, 0, 1), positions=torch.zeros(1, 1, 0, 2),
                              clean_latent=empty.clone())

    def denoise_fn(video_state, audio_state, sigmas, step_index):
        video = modality_from_latent_state(video_state, context, sigmas[step_index])
        denoised_video, _ = transformer(video=video, audio=None, perturbations=None)
        return denoised_video, audio_state.latent

    video_state, _ = euler_denoising_loop(sigmas=sigmas, video_state=video_state, audio_state=audio_state,
                                          stepper=EulerDiffusionStep(), denoise_fn=denoise_fn)
    video_state = video_tools.clear_conditioning(video_state)
    return video_tools.unpatchify(video_state)


def run_pipeline(noiser, context, models, generator=None, record=None):
    """ICLoraPipeline.__call__'s steps, video only, float32."""
    record = {} if record is None else record
    ledger1, ledger2 = models["ledgers"]
    components = PipelineComponents(dtype=DTYPE, device=DEVICE)
    components.video_latent_channels = C  # no-op at 128 (its hardcoded value); lets C be shrunk
    images = [ImageConditioningInput(path=PATHS["edited.png"], frame_idx=0, strength=1.0, crf=IMAGE_CRF)]
    video_encoder = models["encoder"]

    stage_1_output_shape = VideoPixelShape(batch=1, frames=FRAMES, width=WIDTH // 2, height=HEIGHT // 2, fps=FPS)
    pipeline_self = SimpleNamespace(dtype=DTYPE, device=DEVICE, reference_downscale_factor=models["factor"])
    stage_1_conditionings = ICLoraPipeline._create_conditionings(
        pipeline_self, images=images, video_conditioning=[(PATHS["reference.mp4"], 1.0)],
        height=stage_1_output_shape.height, width=stage_1_output_shape.width, video_encoder=video_encoder,
        num_frames=FRAMES, conditioning_attention_strength=1.0, conditioning_attention_mask=None)
    assert [type(c) for c in stage_1_conditionings] == [VideoConditionByLatentIndex, VideoConditionByReferenceLatent]
    record["image_latent_stage1"] = stage_1_conditionings[0].latent
    record["reference_latent"] = stage_1_conditionings[1].latent
    stage1 = {}
    video_state = denoise_video(stage_1_output_shape, stage_1_conditionings, noiser["stage1"],
                                torch.Tensor(DISTILLED_SIGMA_VALUES), models["transformer1"], context, components,
                                record=stage1)
    record["stage1_latent"], record["T1"] = video_state.latent, stage1["tokens"]

    upscaled = upsample_video(latent=video_state.latent[:1], video_encoder=video_encoder,
                              upsampler=models["upsampler"])
    record["upscaled"] = upscaled

    distilled_sigmas = torch.Tensor(STAGE_2_DISTILLED_SIGMA_VALUES)
    stage_2_output_shape = VideoPixelShape(batch=1, frames=FRAMES, width=WIDTH, height=HEIGHT, fps=FPS)
    stage_2_conditionings = combined_image_conditionings(
        images=images, height=HEIGHT, width=WIDTH, video_encoder=video_encoder, dtype=DTYPE, device=DEVICE)
    record["image_latent_stage2"] = stage_2_conditionings[0].latent
    stage2 = {}
    video_state = denoise_video(stage_2_output_shape, stage_2_conditionings, noiser["stage2"], distilled_sigmas,
                                models["transformer2"], context, components, noise_scale=distilled_sigmas[0],
                                initial_latent=upscaled, record=stage2)
    record["final_latent"], record["T2"] = video_state.latent, stage2["tokens"]

    before = generator.get_state().clone() if generator is not None else None
    chunks = list(vae_decode_video(video_state.latent, models["decoder"], None, generator))
    if generator is not None:
        assert torch.equal(before, generator.get_state()), "the decoder drew noise"
    assert len(chunks) == 1
    record["frames"] = chunks[0]
    return record


# ----------------------------------------------------------------------------------------------

def check(name: str, t: torch.Tensor) -> None:
    if t.dtype == torch.uint8:
        assert int(t.max()) > int(t.min()), f"{name}: constant"
        print(f"  {name:22s} {str(tuple(t.shape)):22s} uint8  min {int(t.min())} max {int(t.max())} "
              f"mean {float(t.float().mean()):.2f} distinct {t.unique().numel()}")
        return
    assert torch.isfinite(t).all(), f"{name}: not finite"
    std = float(t.std())
    assert 1e-3 < std < 1e3, f"{name}: std {std}"
    print(f"  {name:22s} {str(tuple(t.shape)):22s} {str(t.dtype)[6:]:7s} std {std:.4f} max|x| {float(t.abs().max()):.4f}")


def main() -> None:
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    os.makedirs(OUT, exist_ok=True)
    write_models()
    write_media()

    lora = LoraPathStrengthAndSDOps(PATHS["ic_lora.safetensors"], LORA_STRENGTH, LTXV_LORA_COMFY_RENAMING_MAP)
    factor = _read_lora_reference_downscale_factor(lora.path)
    assert factor == REFERENCE_DOWNSCALE
    ledger1, ledger2 = video_only_ledger((lora,)), video_only_ledger(())
    models = {
        "ledgers": (ledger1, ledger2), "factor": factor,
        "encoder": ledger1.video_encoder(),  # one encoder for both stages, as ICLoraPipeline
        "transformer1": ledger1.transformer(), "transformer2": ledger2.transformer(),
        "upsampler": ledger2.spatial_upsampler(), "decoder": ledger2.video_decoder(),
    }
    # The fuse: stage 1 = W + (B * strength) @ A in float32, stage 2 = W.
    with safe_open(PATHS["checkpoint.safetensors"], "pt") as f, safe_open(lora.path, "pt") as lf:
        for key in ("transformer_blocks.0.attn1.to_q", "transformer_blocks.1.ff.net.2"):
            w = f.get_tensor(f"model.diffusion_model.{key}.weight")
            a, b = lf.get_tensor(f"diffusion_model.{key}.lora_A.weight"), lf.get_tensor(f"diffusion_model.{key}.lora_B.weight")
            sd1 = models["transformer1"].velocity_model.state_dict()
            sd2 = models["transformer2"].velocity_model.state_dict()
            assert torch.equal(sd1[f"{key}.weight"], (b * LORA_STRENGTH) @ a + w), key
            assert torch.equal(sd2[f"{key}.weight"], w), key
        bias = "transformer_blocks.0.attn1.to_q.bias"
        assert torch.equal(sd1[bias], f.get_tensor(f"model.diffusion_model.{bias}"))
    assert not any(k.startswith("audio") for k in models["transformer1"].velocity_model.state_dict())

    with safe_open(PATHS["context.safetensors"], "pt") as f:
        context = f.get_tensor("video_context")

    # Pixels, exactly as the loaders return them (float32 here, bf16 in the real pipeline).
    expected = {
        "image_pixels_stage1": load_image_conditioning(PATHS["edited.png"], HEIGHT // 2, WIDTH // 2, DTYPE, DEVICE,
                                                       crf=IMAGE_CRF),
        "reference_pixels": load_video_conditioning(PATHS["reference.mp4"], HEIGHT // 2 // factor,
                                                    WIDTH // 2 // factor, FRAMES, DTYPE, DEVICE),
        "image_pixels_stage2": load_image_conditioning(PATHS["edited.png"], HEIGHT, WIDTH, DTYPE, DEVICE,
                                                       crf=IMAGE_CRF),
    }

    # Injected noise: T1 = stage-1 target tokens + reference tokens, T2 = stage-2 target tokens.
    t1 = 2 * (HEIGHT // 64) * (WIDTH // 64) + 2 * (HEIGHT // 64 // factor) * (WIDTH // 64 // factor)
    t2 = 2 * (HEIGHT // 32) * (WIDTH // 32)
    g = torch.Generator("cpu").manual_seed(NOISE_SEED)
    noise = {"stage1": torch.randn(1, t1, C, generator=g), "stage2": torch.randn(1, t2, C, generator=g)}
    save(noise, "noise.safetensors", {"seed": str(NOISE_SEED)})

    # The injected-noise noiser reproduces GaussianNoiser bit for bit.
    probe = LatentState(latent=torch.randn(1, 6, C), denoise_mask=torch.rand(1, 6, 1), positions=torch.zeros(1, 3, 6, 2),
                        clean_latent=torch.zeros(1, 6, C))
    eps = torch.randn(1, 6, C, generator=torch.Generator().manual_seed(3))
    assert torch.equal(InjectedNoise(eps)(probe, 0.7).latent,
                       GaussianNoiser(torch.Generator().manual_seed(3))(probe, 0.7).latent)

    injected = {"stage1": InjectedNoise(noise["stage1"]), "stage2": InjectedNoise(noise["stage2"])}
    record = run_pipeline(injected, context, models)
    assert (record["T1"], record["T2"]) == (t1, t2), (record["T1"], record["T2"])
    for key in ("image_latent_stage1", "reference_latent", "image_latent_stage2"):
        pixels = expected[key.replace("latent", "pixels") if key != "reference_latent" else "reference_pixels"]
        assert torch.equal(models["encoder"](pixels), record[key]), key
        expected[key] = record[key]
    for key in ("stage1_latent", "upscaled", "final_latent", "frames"):
        expected[key] = record[key]
    # The frame-0 latent of each stage's result is the image latent (strength 1: never noised, never changed).
    assert torch.equal(expected["stage1_latent"][:, :, :1], expected["image_latent_stage1"])
    assert torch.equal(expected["final_latent"][:, :, :1], expected["image_latent_stage2"])

    # Sanity: stage 2 with the injected noise, run twice from the same upscaled latent, is identical.
    again = run_pipeline(injected, context, models)
    for key in ("stage1_latent", "upscaled", "final_latent", "frames"):
        assert torch.equal(again[key], record[key]), f"rerun differs: {key}"

    generator = torch.Generator("cpu").manual_seed(PIPELINE_SEED)
    noiser = GaussianNoiser(generator=generator)
    seeded = run_pipeline({"stage1": noiser, "stage2": noiser}, context, models, generator=generator)
    expected["seeded_stage1_latent"] = seeded["stage1_latent"]
    expected["seeded_final_latent"] = seeded["final_latent"]
    # The seeded draws are torch.randn on that generator: stage 1 then stage 2.
    g = torch.Generator("cpu").manual_seed(PIPELINE_SEED)
    draws = {"stage1": torch.randn(1, t1, C, generator=g), "stage2": torch.randn(1, t2, C, generator=g)}
    replay = run_pipeline({k: InjectedNoise(v) for k, v in draws.items()}, context, models)
    assert torch.equal(replay["final_latent"], seeded["final_latent"])

    params = {
        "width": WIDTH, "height": HEIGHT, "num_frames": FRAMES, "frame_rate": FPS, "dtype": "float32",
        "device": "cpu", "stage1_width": WIDTH // 2, "stage1_height": HEIGHT // 2,
        "reference_downscale_factor": factor, "reference_width": WIDTH // 2 // factor,
        "reference_height": HEIGHT // 2 // factor, "reference_frame_cap": FRAMES, "reference_strength": 1.0,
        "conditioning_attention_strength": 1.0, "image": "edited.png", "image_frame_idx": 0,
        "image_strength": 1.0, "image_crf": IMAGE_CRF, "lora": "ic_lora.safetensors",
        "lora_strength": LORA_STRENGTH, "lora_stage": 1, "stage1_sigmas": DISTILLED_SIGMA_VALUES,
        "stage2_sigmas": STAGE_2_DISTILLED_SIGMA_VALUES, "stage1_noise_scale": 1.0,
        "stage2_noise_scale": STAGE_2_DISTILLED_SIGMA_VALUES[0], "T1": t1, "T2": t2,
        "noise_seed": NOISE_SEED, "pipeline_seed": PIPELINE_SEED, "tiling": None,
        "transformer": "LTXVideoOnlyModelConfigurator", "torch_threads": 1,
    }
    save(expected, "expected.safetensors", {"params": json.dumps(params)})

    print("expected.safetensors")
    for key, value in expected.items():
        check(key, value)
    for key, value in noise.items():
        check(f"noise.{key}", value)
    diff = float((expected["final_latent"] - expected["seeded_final_latent"]).abs().max())
    print(f"  max |final - seeded_final| {diff:.4f}; T1 {t1} T2 {t2}")

    total = 0
    for name, path in PATHS.items():
        os.chmod(path, 0o644)
        size = os.path.getsize(path)
        total += size
        print(f"{name:26s} {size:>10,d} bytes")
    print(f"{'total':26s} {total:>10,d} bytes")


if __name__ == "__main__":
    main()
