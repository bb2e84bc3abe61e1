#!/usr/bin/env python3
"""Writes tiny random-weight LTX-2 video VAEs and latent upsamplers and their ltx-core 1.0.0 outputs,
for the Swift parity tests in Tests/LTXTests. Run from the repository root:

    /work/venv/bin/python tools/reference/make_vae_fixtures.py

Every model is float32 on the CPU, built with ltx-core's configurators (VideoEncoderConfigurator,
VideoDecoderConfigurator, LatentUpsamplerConfigurator) and filled from seeded torch.Generators:
weights and biases normal * 0.1, GroupNorm weights 1 + normal * 0.1, `scale_shift_table`s normal *
0.3, the inject-noise `per_channel_scale1/2` normal * 0.3, `timestep_scale_multiplier` 1000,
`per_channel_statistics` std-of-means uniform [0.5, 1.5) and mean-of-means normal * 0.1 (one draw,
loaded into both the encoder and the decoder). The rational upsampler's `blur_down.kernel` buffer
keeps ltx-core's binomial value. Pixel inputs are uniform [-1, 1), latents normal.

Two VAEs (both dims 3, RGB, 16 latent channels, patch 4, pixel_norm, decoder base channels 4 and
8;
pixels [1, 3, 9, 64, 64] <-> latent [1, 16, 2, 2, 2]; the configs are VAE_A and VAE_B below):
  vae_a   uniform log-var, zeros padding, non-causal decoder, timestep conditioning
  vae_b   per-channel log-var, reflect padding, causal decoder, no timestep conditioning, and one
          `res_x_y` block on each side: in the encoder after its res_x (16 -> 32 channels,
          with compress_space_res's multiplier 1 instead of 2 so the later blocks keep vae_a's
          widths), in the decoder's list after the first res_x (applied last but one: 8 -> 4
          channels before the final res_x). Decoder base channels 8, not 4: with 2 channels
          there, the final PixelNorm normalised pairs of values near zero and magnified the
          float32 summation order of the convolutions before it (1.06-1.08e-4 relative from
          OpenBLAS's AVX-512 and oneDNN's AVX2 kernels, 3e-5 from plain loops).
Both decoders' first applied block (the last in the list) is a res_x with inject_noise.

Files in Tests/LTXTests/Fixtures (metadata on all: generator = this script, torch = version):

  vae_a.safetensors, vae_b.safetensors
      the checkpoint, ComfyUI-style as real LTX files hold it: `vae.encoder.<encoder key>` and
      `vae.decoder.<decoder key>` without their per_channel_statistics, and
      `vae.per_channel_statistics.std-of-means` / `mean-of-means` once; float32; metadata
      `config` = json({"vae": config}). Reloaded here through SingleGPUModelBuilder with
      VAE_ENCODER_COMFY_KEYS_FILTER / VAE_DECODER_COMFY_KEYS_FILTER and checked: key sets, every
      tensor bit-equal, and one encode and decode bit-equal once the loaded tensors are copied to
      aligned memory (straight from the file they sit at unaligned offsets, and torch's CPU kernels
      then round differently, ~5e-6 on the decoder: parity tests need a tolerance anyway).

  upsampler_x2.safetensors, upsampler_rational.safetensors
      the LatentUpsampler state_dict as-is (the rational one includes the buffer
      `upsampler.blur_down.kernel` [1, 1, 5, 5]), float32, metadata `config` = json(flat config)
      (UPSAMPLERS below). Reloaded through SingleGPUModelBuilder and checked the same way.

  vae_a_io.safetensors, vae_b_io.safetensors (float32 but the chunk lengths, the float16 pixel
  inputs and bf16.decoded in bf16, each exact in its dtype). The inputs are
  shared and stored once, in vae_a_io; vae_b_io holds vae_b's outputs only. Every decode is given
  a generator, vae_b's too: its inject-noise res_x draws from torch's global generator otherwise.
  Draws per decoder forward, in the latent's dtype: vae_a randn(latent shape) for the decode noise,
  then randn(H, W) twice (after conv1 and conv2 of the inject-noise res_x, H, W the latent's);
  vae_b only the two randn(H, W). tiled_decode runs one forward per tile (time-major, then height,
  then width) on one generator.
    video17 = video_long[:, :, 0:17]            encoded17                            [1, 16, 3, 2, 2]
    video9 = video_long[:, :, 0:9]              encoded9 = encoder(video9)           [1, 16, 2, 2, 2]
    frame_extra = video_long[:, :, 9:10]        encoded10 = encoder(video9 + frame_extra, 10 frames;
                                                ltx-core drops frame 9)              [1, 16, 2, 2, 2]
    image = video_long[:, :, 10:11]             encoded_image                        [1, 16, 1, 2, 2]
    latent                 [1, 16, 2, 2, 2]     decoded = decoder(latent, generator seed 7)
                                                                                     [1, 3, 9, 64, 64]
    decoded_t02            (vae_a only) decoder(latent, timestep [0.2], generator seed 7)
    latent_long            [1, 16, 4, 3, 1]
    decoded_tiled          (vae_a only) [1, 3, 25, 96, 32]  the chunks of decoder.tiled_decode(
                           latent_long, TilingConfig(SpatialTilingConfig(64, 32),
                           TemporalTilingConfig(16, 8)), generator seed 9) concatenated on time
    decoded_tiled_chunks   (vae_a only) int64   each chunk's frame count: [0, 8, 17] (latent tiles
                                                [0,2) [0,3) [1,4) in time x 2 in height; the
                                                first chunk ltx-core yields is empty)
    video_wide             [1, 3, 9, 64, 160]  (float16)
    encoded_tiled          [1, 16, 2, 2, 5]     encoder.tiled_encode(video_wide,
                                                TilingConfig(SpatialTilingConfig(96, 64), None))
    encoded_untiled_wide   [1, 16, 2, 2, 5]     encoder(video_wide)
    video_long             [1, 3, 25, 64, 64]   (float16; video9, video17, frame_extra and image
                                                are its frames, not stored)
    encoded_tiled_time     [1, 16, 4, 2, 2]     encoder.tiled_encode(video_long,
                           TilingConfig(None, TemporalTilingConfig(24, 16))) -- (16, 8) cannot
                           run: ltx-core raises the overlap to 16 frames, the tile is then no
                           longer than its overlap and the split divides by zero
    bf16.encoded9          encoder.to(bfloat16)(video9 in bf16), widened
    bf16.decoded           decoder.to(bfloat16)(latent in bf16, generator seed 7: bf16 draws),
                           stored as bf16

  upsampler_io.safetensors (float32)
    latent                    [1, 16, 2, 3, 4]
    x2.upsampled              [1, 16, 2, 6, 8]  the x2 upsampler's forward
    x2.upsample_video         [1, 16, 2, 6, 8]  ltx-core upsample_video(latent, vae_a encoder, x2)
    rational.upsampled        [1, 16, 2, 5, 6]  the x1.5 rational upsampler's forward
    bf16.x2.upsample_video    [1, 16, 2, 6, 8]  upsample_video with latent, encoder and upsampler
                                                in bf16 (as ltx-pipelines runs it), widened

About 15 MB in all, most of it the pixel-space tensors of vae_a_io.
"""
import copy
import json
import os

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ltx_core.loader.single_gpu_model_builder import SingleGPUModelBuilder
from ltx_core.model.upsampler.model import upsample_video
from ltx_core.model.upsampler.model_configurator import LatentUpsamplerConfigurator
from ltx_core.model.video_vae.model_configurator import (
    VAE_DECODER_COMFY_KEYS_FILTER,
    VAE_ENCODER_COMFY_KEYS_FILTER,
    VideoDecoderConfigurator,
    VideoEncoderConfigurator,
)
from ltx_core.model.video_vae.tiling import SpatialTilingConfig, TemporalTilingConfig, TilingConfig

GENERATOR = "tools/reference/make_vae_fixtures.py"
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "LTXTests", "Fixtures")
META = {"generator": GENERATOR, "torch": torch.__version__}

COMMON = {
    "dims": 3, "in_channels": 3, "out_channels": 3, "latent_channels": 16, "patch_size": 4,
    "norm_layer": "pixel_norm", "decoder_base_channels": 4,
}
VAE_A = dict(
    COMMON, latent_log_var="uniform", spatial_padding_mode="zeros", causal_decoder=False,
    timestep_conditioning=True,
    encoder_blocks=[
        ["res_x", {"num_layers": 1}], ["compress_space_res", {"multiplier": 2}],
        ["compress_time_res", {"multiplier": 2}], ["compress_all_res", {"multiplier": 1}],
        ["compress_all_res", {"multiplier": 1}],
    ],
    decoder_blocks=[
        ["res_x", {"num_layers": 1}], ["compress_space", {"multiplier": 2}],
        ["compress_time", {"multiplier": 2}], ["compress_all", {"multiplier": 1, "residual": True}],
        ["compress_all", {"multiplier": 2}], ["res_x", {"num_layers": 1, "inject_noise": True}],
    ],
)
VAE_B = dict(
    COMMON, latent_log_var="per_channel", spatial_padding_mode="reflect", causal_decoder=True,
    timestep_conditioning=False, decoder_base_channels=8,
    encoder_blocks=[
        ["res_x", {"num_layers": 1}], ["res_x_y", {"multiplier": 2}],
        ["compress_space_res", {"multiplier": 1}], ["compress_time_res", {"multiplier": 2}],
        ["compress_all_res", {"multiplier": 1}], ["compress_all_res", {"multiplier": 1}],
    ],
    decoder_blocks=[
        ["res_x", {"num_layers": 1}], ["res_x_y", {"multiplier": 2}],
        ["compress_space", {"multiplier": 2}], ["compress_time", {"multiplier": 2}],
        ["compress_all", {"multiplier": 1, "residual": True}], ["compress_all", {"multiplier": 2}],
        ["res_x", {"num_layers": 1, "inject_noise": True}],
    ],
)
VAES = {"vae_a": (VAE_A, 1), "vae_b": (VAE_B, 2)}

UPSAMPLER_COMMON = {
    "in_channels": 16, "mid_channels": 32, "num_blocks_per_stage": 1, "dims": 3,
    "spatial_upsample": True, "temporal_upsample": False,
}
UPSAMPLERS = {
    "x2": (dict(UPSAMPLER_COMMON, spatial_scale=2.0, rational_resampler=False), 3),
    "rational": (dict(UPSAMPLER_COMMON, spatial_scale=1.5, rational_resampler=True), 4),
}

WEIGHT_STD = 0.1
DECODE_SEED, TILED_DECODE_SEED = 7, 9
TILED_DECODE = TilingConfig(spatial_config=SpatialTilingConfig(64, 32), temporal_config=TemporalTilingConfig(16, 8))
TILED_ENCODE_SPACE = TilingConfig(spatial_config=SpatialTilingConfig(96, 64), temporal_config=None)
TILED_ENCODE_TIME = TilingConfig(spatial_config=None, temporal_config=TemporalTilingConfig(24, 16))


def randomize(model: torch.nn.Module, g: torch.Generator) -> None:
    """Fills every parameter, in named_parameters order, from g."""
    for name, p in model.named_parameters():
        owner_name, _, leaf = name.rpartition(".")
        owner = model.get_submodule(owner_name) if owner_name else model
        noise = torch.randn(p.shape, generator=g)
        if leaf == "timestep_scale_multiplier":
            value = torch.full(p.shape, 1000.0)
        elif "scale_shift_table" in leaf or leaf.startswith("per_channel_scale"):
            value = noise * 0.3
        elif isinstance(owner, torch.nn.GroupNorm) and leaf == "weight":
            value = 1.0 + noise * 0.1
        else:
            value = noise * WEIGHT_STD
        p.copy_(value)


def build_vae(config: dict, seed: int) -> tuple[torch.nn.Module, torch.nn.Module]:
    encoder = VideoEncoderConfigurator.from_config({"vae": config})
    decoder = VideoDecoderConfigurator.from_config({"vae": config})
    g = torch.Generator().manual_seed(seed)
    channels = config["latent_channels"]
    std_of_means = torch.rand(channels, generator=g) + 0.5
    mean_of_means = torch.randn(channels, generator=g) * 0.1
    randomize(encoder, g)
    randomize(decoder, g)
    for model in (encoder, decoder):
        model.per_channel_statistics.get_buffer("std-of-means").copy_(std_of_means)
        model.per_channel_statistics.get_buffer("mean-of-means").copy_(mean_of_means)
    return encoder.float().eval(), decoder.float().eval()


def build_upsampler(config: dict, seed: int) -> torch.nn.Module:
    model = LatentUpsamplerConfigurator.from_config(config)
    randomize(model, torch.Generator().manual_seed(seed))
    return model.float().eval()


def vae_checkpoint(encoder: torch.nn.Module, decoder: torch.nn.Module) -> dict[str, torch.Tensor]:
    state = {}
    for prefix, model in (("vae.encoder.", encoder), ("vae.decoder.", decoder)):
        for key, value in model.state_dict().items():
            if not key.startswith("per_channel_statistics."):
                state[prefix + key] = value.contiguous()
    for key, value in encoder.per_channel_statistics.state_dict().items():
        state["vae.per_channel_statistics." + key] = value.contiguous()
    return state


def assert_same_state(reference: torch.nn.Module, loaded: torch.nn.Module, what: str) -> None:
    a, b = reference.state_dict(), loaded.state_dict()
    assert set(a) == set(b), f"{what}: key sets differ: {set(a) ^ set(b)}"
    for key in a:
        assert b[key].device.type == "cpu" and b[key].dtype == a[key].dtype, f"{what}: {key} not loaded"
        assert torch.equal(a[key], b[key]), f"{what}: {key} differs after reload"


def realigned(model: torch.nn.Module) -> torch.nn.Module:
    """Copies every tensor of a model loaded from safetensors into fresh memory: the file's tensors sit
    at unaligned offsets, and CPU kernels then take other paths that round differently (~1e-6)."""
    for module in model.modules():
        for key, p in list(module._parameters.items()):
            if p is not None:
                p.data = p.data.clone()
        for key, b in list(module._buffers.items()):
            if b is not None:
                module._buffers[key] = b.clone()
    return model


def verify_vae_file(path: str, encoder, decoder, video: torch.Tensor, latent: torch.Tensor) -> None:
    """Reloads the checkpoint the way ltx-pipelines' ModelLedger does (SingleGPUModelBuilder with the
    ComfyUI key filters) and checks the key sets, every tensor and one output of each half."""
    with safe_open(path, framework="pt") as f:
        file_keys = list(f.keys())
    halves = ((VideoEncoderConfigurator, VAE_ENCODER_COMFY_KEYS_FILTER, encoder),
              (VideoDecoderConfigurator, VAE_DECODER_COMFY_KEYS_FILTER, decoder))
    loaded = []
    for configurator, sd_ops, model in halves:
        mapped = {sd_ops.apply_to_key(k) for k in file_keys} - {None}
        assert mapped == set(model.state_dict()), f"{sd_ops.name}: {mapped ^ set(model.state_dict())}"
        reloaded = SingleGPUModelBuilder(model_path=path, model_class_configurator=configurator,
                                         model_sd_ops=sd_ops).build(device=torch.device("cpu")).eval()
        assert_same_state(model, reloaded, path)
        loaded.append(realigned(reloaded))
    assert torch.equal(loaded[0](video), encoder(video)), f"{path}: reloaded encoder output differs"
    assert torch.equal(loaded[1](latent, generator=seeded(DECODE_SEED)), decoder(latent, generator=seeded(DECODE_SEED)))


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class RandnLog:
    """Records the shape and dtype of every torch.randn call made inside the block."""

    def __enter__(self):
        self.calls, self.original = [], torch.randn

        def logged(*args, **kwargs):
            out = self.original(*args, **kwargs)
            self.calls.append((tuple(out.shape), str(out.dtype).replace("torch.", ""),
                               "generator" if kwargs.get("generator") is not None else "GLOBAL"))
            return out

        torch.randn = logged
        return self

    def __exit__(self, *exc):
        torch.randn = self.original

    def __str__(self) -> str:
        runs = []
        for call in self.calls:
            if runs and runs[-1][0] == call:
                runs[-1][1] += 1
            else:
                runs.append([call, 1])
        return ", ".join(f"{n} x randn{shape} {dtype}" if n > 1 else f"randn{shape} {dtype}"
                         for (shape, dtype, _), n in runs)

    def all_from_generator(self) -> bool:
        return all(source == "generator" for *_, source in self.calls)


def save(tensors: dict[str, torch.Tensor], name: str, metadata: dict[str, str]) -> None:
    path = os.path.join(OUT, name)
    save_file({k: v.contiguous() for k, v in tensors.items()}, path, metadata=metadata)
    os.chmod(path, 0o644)


def report(name: str, tensors: dict[str, torch.Tensor]) -> None:
    for key, value in tensors.items():
        if value.is_floating_point():
            assert torch.isfinite(value).all(), f"{name}: {key} is not finite"
            print(f"  {key:24s} {str(tuple(value.shape)):22s} max|x| {float(value.abs().max()):.4g}")
        else:
            print(f"  {key:24s} {str(tuple(value.shape)):22s} {value.tolist()}")


def shared_inputs(seed: int) -> dict[str, torch.Tensor]:
    """The inputs both VAEs see (stored once, in vae_a_io, as float16: every pixel value is
    drawn already rounded to float16, so storing it loses nothing). video9, frame_extra and
    image, video17 are frames of video_long (0-8, 9, 10 and 0-16), so only video_long is
    stored; the Swift tests slice it the same way. video10 is video9 plus frame_extra."""
    g = seeded(seed)

    def pixels(*shape):
        return (torch.rand(shape, generator=g) * 2 - 1).half().float()

    video_long = pixels(1, 3, 25, 64, 64)
    return {
        "video_long": video_long, "video17": video_long[:, :, :17], "video9": video_long[:, :, :9],
        "frame_extra": video_long[:, :, 9:10], "image": video_long[:, :, 10:11],
        "latent": torch.randn(1, 16, 2, 2, 2, generator=g), "latent_long": torch.randn(1, 16, 4, 3, 1, generator=g),
        "video_wide": pixels(1, 3, 9, 64, 160),
    }


DERIVED_INPUTS = ("video9", "frame_extra", "image", "video17")
HALF_INPUTS = ("video_wide", "video_long")


def stored_io(records: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """What an _io file holds: derived inputs left out, pixel inputs as float16 (exact, see
    shared_inputs), bf16 results as bf16 (exact)."""
    out = {}
    for k, v in records.items():
        if k in DERIVED_INPUTS:
            continue
        if k in HALF_INPUTS:
            assert torch.equal(v.half().float(), v), k
            v = v.half()
        elif k.startswith("bf16.") and k != "bf16.encoded9":
            assert torch.equal(v.bfloat16().float(), v), k
            v = v.bfloat16()
        out[k] = v
    return out


def vae_records(config: dict, encoder, decoder, inputs: dict[str, torch.Tensor], tiled_decode: bool) -> dict[str, torch.Tensor]:
    r = dict(inputs)
    r["video10"] = torch.cat([r["video9"], r["frame_extra"]], dim=2)
    r["encoded9"] = encoder(r["video9"])
    r["encoded17"] = encoder(r["video17"])
    r["encoded10"] = encoder(r["video10"])
    r["encoded_image"] = encoder(r["image"])
    assert r["encoded9"].shape == (1, 16, 2, 2, 2), r["encoded9"].shape
    assert torch.equal(r["encoded10"], encoder(r["video10"][:, :, :9]))

    with RandnLog() as log:
        r["decoded"] = decoder(r["latent"], generator=seeded(DECODE_SEED))
    assert r["decoded"].shape == (1, 3, 9, 64, 64), r["decoded"].shape
    print("  decode draws:", log)
    assert log.all_from_generator()
    if config["timestep_conditioning"]:
        r["decoded_t02"] = decoder(r["latent"], timestep=torch.tensor([0.2]), generator=seeded(DECODE_SEED))

    if tiled_decode:
        with RandnLog() as log:
            chunks = list(decoder.tiled_decode(r["latent_long"], TILED_DECODE, generator=seeded(TILED_DECODE_SEED)))
        print(f"  tiled decode draws ({len(log.calls)}):", log)
        assert log.all_from_generator()
        r["decoded_tiled"] = torch.cat(chunks, dim=2)
        r["decoded_tiled_chunks"] = torch.tensor([c.shape[2] for c in chunks], dtype=torch.int64)
        assert r["decoded_tiled"].shape == (1, 3, 25, 96, 32)

    r["encoded_tiled"] = encoder.tiled_encode(r["video_wide"], TILED_ENCODE_SPACE)
    r["encoded_untiled_wide"] = encoder(r["video_wide"])
    r["encoded_tiled_time"] = encoder.tiled_encode(r["video_long"], TILED_ENCODE_TIME)

    encoder16 = copy.deepcopy(encoder).to(torch.bfloat16)
    decoder16 = copy.deepcopy(decoder).to(torch.bfloat16)
    r["bf16.encoded9"] = encoder16(r["video9"].to(torch.bfloat16)).float()
    with RandnLog() as log:
        r["bf16.decoded"] = decoder16(r["latent"].to(torch.bfloat16), generator=seeded(DECODE_SEED)).float()
    print("  bf16 decode draws:", log)
    del r["video10"]
    return r


def main() -> None:
    torch.set_grad_enabled(False)
    os.makedirs(OUT, exist_ok=True)
    written = []
    encoders = {}
    inputs = shared_inputs(101)
    for name, (config, seed) in VAES.items():
        encoder, decoder = build_vae(config, seed)
        encoders[name] = encoder
        print(name, "encoder params", sum(p.numel() for p in encoder.parameters()),
              "decoder params", sum(p.numel() for p in decoder.parameters()))
        records = vae_records(config, encoder, decoder, inputs, tiled_decode=name == "vae_a")
        save(vae_checkpoint(encoder, decoder), f"{name}.safetensors", dict(META, config=json.dumps({"vae": config})))
        verify_vae_file(os.path.join(OUT, f"{name}.safetensors"), encoder, decoder, records["video9"], records["latent"])
        report(name, records)
        if name != "vae_a":  # inputs are stored once, in vae_a_io
            records = {k: v for k, v in records.items() if k not in inputs}
        save(stored_io(records), f"{name}_io.safetensors", META)
        written += [f"{name}.safetensors", f"{name}_io.safetensors"]

    upsamplers = {}
    for name, (config, seed) in UPSAMPLERS.items():
        model = build_upsampler(config, seed)
        upsamplers[name] = model
        path = os.path.join(OUT, f"upsampler_{name}.safetensors")
        save(model.state_dict(), f"upsampler_{name}.safetensors", dict(META, config=json.dumps(config)))
        loaded = SingleGPUModelBuilder(model_path=path, model_class_configurator=LatentUpsamplerConfigurator) \
            .build(device=torch.device("cpu")).eval()
        assert_same_state(model, loaded, path)
        loaded = realigned(loaded)
        probe = torch.randn(1, 16, 2, 3, 4, generator=seeded(5))
        assert torch.equal(loaded(probe), model(probe)), f"{path}: reloaded output differs"
        print(f"upsampler_{name}: buffers {[k for k, _ in model.named_buffers()]}")
        written.append(f"upsampler_{name}.safetensors")

    g = seeded(300)
    latent = torch.randn(1, 16, 2, 3, 4, generator=g)
    encoder = encoders["vae_a"]
    x2 = upsamplers["x2"]
    records = {
        "latent": latent,
        "x2.upsampled": x2(latent),
        "x2.upsample_video": upsample_video(latent, encoder, x2),
        "rational.upsampled": upsamplers["rational"](latent),
        "bf16.x2.upsample_video": upsample_video(latent.to(torch.bfloat16), copy.deepcopy(encoder).to(torch.bfloat16),
                                                 copy.deepcopy(x2).to(torch.bfloat16)).float(),
    }
    print("upsamplers")
    report("upsampler_io", records)
    save(records, "upsampler_io.safetensors", META)
    written.append("upsampler_io.safetensors")

    total = 0
    for name in written:
        size = os.path.getsize(os.path.join(OUT, name))
        total += size
        print(f"{name:32s} {size:>10,d} bytes")
    print(f"{'total':32s} {total:>10,d} bytes")


if __name__ == "__main__":
    main()
