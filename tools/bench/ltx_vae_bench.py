#!/usr/bin/env python3
"""The ltx-core side of the VAE and latent-upsampler benchmark (the Reelflow side runs the same
figures on the same files and inputs).

    python tools/bench/ltx_vae_bench.py make  DIR                              # checkpoints + inputs
    python tools/bench/ltx_vae_bench.py time  DIR FIGURE DTYPE RUNS THREADS    # DTYPE f32 or bf16
    python tools/bench/ltx_vae_bench.py profile DIR FIGURE DTYPE RUNS THREADS  # ops and conv GFLOP/s

`make` writes, each only if absent (float32, random normal weights std 0.02, `config` metadata):
  vae_bench.safetensors: an LTX-2.3-shaped video VAE at a quarter of the widths (32 latent channels,
    encoder 32 -> 256 features, decoder_base_channels 32, the LTX-2.3 block lists, pixel norm, no
    timestep conditioning), ComfyUI-style keys `vae.encoder.*`, `vae.decoder.*` and the shared
    `vae.per_channel_statistics.{std-of-means,mean-of-means}` (std-of-means uniform in [0.5, 1.5],
    mean-of-means normal x 0.1); metadata `config` = {"vae": VAE}. `make` checks that it round-trips
    (1,3,9,256,256) -> (1,32,2,8,8) -> (1,3,9,256,256).
  upsampler_bench.safetensors: a spatial x2 LatentUpsampler (32 in, 256 mid, 4 blocks per stage),
    its state_dict keys as they are; metadata `config` = UPSAMPLER (flat).
  inputs.safetensors: the exact float32 inputs `time` uses (seeded generator), so the Reelflow side
    can use identical ones: video_9x256 (1,3,9,256,256) uniform in [-1, 1], latent_9x256
    (1,32,2,8,8), latent_33x384 (1,32,5,12,12) and latent_65x512 (1,32,9,16,16) standard normal.
`time` loads the models the figure needs (load_file + load_state_dict, statistics into both encoder
and decoder), converts models and inputs to DTYPE, then times one of
  encode_9x256          encoder(video_9x256)
  decode_9x256          decoder(latent_9x256)
  decode_33x384         decoder(latent_33x384), untiled
  decode_33x384_tiled   decoder.tiled_decode(latent_33x384, TilingConfig(SpatialTilingConfig(256, 64),
                          TemporalTilingConfig(16, 8))), each chunk dropped as it comes (counting
                          its frames), as the Reelflow side consumes them: a saver would write a
                          chunk and let it go, so the peak is the decode's own, not the whole video
  upsample_5x12         upsample_video(latent_33x384, encoder, upsampler)
  decode_65x512[_tiled] the same two decodes of latent_65x512 (a 65-frame 512 x 512 video): the
                          longer clip, where the tiles cover a smaller part of the video
after one warm-up call, with torch.set_num_threads(THREADS) and no grad; prints one line
`FIGURE_DTYPE<TAB>median ms<TAB>peak RSS growth MiB`, the growth being ru_maxrss after the warm-up
call minus ru_maxrss before it. Everything is loaded, built and converted before that first reading,
and the high-water mark is then reset to the current RSS (/proc/self/clear_refs, Linux), since
load_state_dict's copy out of the mapped file peaks at about twice the weights and would otherwise
hide the first ~100 MiB of the call's growth; the inputs are copied out of their mapped file so
the call does not page them in.
"""
import gc
import json
import os
import resource
import statistics
import sys
import time

import torch
from safetensors.torch import load_file, save_file

from ltx_core.model.upsampler.model import upsample_video
from ltx_core.model.upsampler.model_configurator import LatentUpsamplerConfigurator
from ltx_core.model.video_vae.model_configurator import VideoDecoderConfigurator, VideoEncoderConfigurator
from ltx_core.model.video_vae.tiling import SpatialTilingConfig, TemporalTilingConfig, TilingConfig

# The LTX-2.3 VAE block lists at a quarter of the widths (latent 128 -> 32, decoder base 128 -> 32).
VAE = {
    "dims": 3, "in_channels": 3, "out_channels": 3, "latent_channels": 32, "patch_size": 4,
    "norm_layer": "pixel_norm", "latent_log_var": "uniform", "spatial_padding_mode": "zeros",
    "causal_decoder": False, "timestep_conditioning": False, "decoder_base_channels": 32,
    "encoder_blocks": [
        ["res_x", {"num_layers": 4}], ["compress_space_res", {"multiplier": 2}],
        ["res_x", {"num_layers": 6}], ["compress_time_res", {"multiplier": 2}],
        ["res_x", {"num_layers": 4}], ["compress_all_res", {"multiplier": 2}],
        ["res_x", {"num_layers": 2}], ["compress_all_res", {"multiplier": 1}],
        ["res_x", {"num_layers": 2}],
    ],
    "decoder_blocks": [
        ["res_x", {"num_layers": 4}], ["compress_space", {"multiplier": 2}],
        ["res_x", {"num_layers": 6}], ["compress_time", {"multiplier": 2}],
        ["res_x", {"num_layers": 4}], ["compress_all", {"multiplier": 1}],
        ["res_x", {"num_layers": 2}], ["compress_all", {"multiplier": 2}],
        ["res_x", {"num_layers": 2}],
    ],
}
UPSAMPLER = {
    "in_channels": 32, "mid_channels": 256, "num_blocks_per_stage": 4, "dims": 3, "spatial_upsample": True,
    "temporal_upsample": False, "spatial_scale": 2.0, "rational_resampler": False,
}
STATS = ("std-of-means", "mean-of-means")
INPUTS = {
    "video_9x256": (1, 3, 9, 256, 256),
    "latent_9x256": (1, 32, 2, 8, 8),
    "latent_33x384": (1, 32, 5, 12, 12),
    "latent_65x512": (1, 32, 9, 16, 16),
}
# LTX_VAE_BENCH_TILING="tile,overlap,frames,overlap" overrides the tiles (the Swift side reads it too).
_T = [int(x) for x in os.environ.get("LTX_VAE_BENCH_TILING", "256,64,16,8").split(",")]
TILING = TilingConfig(spatial_config=SpatialTilingConfig(_T[0], _T[1]), temporal_config=TemporalTilingConfig(_T[2], _T[3]))
FIGURES = ("encode_9x256", "decode_9x256", "decode_33x384", "decode_33x384_tiled", "upsample_5x12",
           "decode_65x512", "decode_65x512_tiled")


def build(configurator, config):
    """The module with uninitialised storage (the weights are loaded over it)."""
    with torch.device("meta"):
        model = configurator.from_config(config)
    return model.to_empty(device="cpu")


def random_weights(model, prefix, g):
    return {f"{prefix}{key}": (torch.randn(p.shape, generator=g) * 0.02).contiguous()
            for key, p in model.state_dict().items() if not key.startswith("per_channel_statistics.")}


def make(directory):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "vae_bench.safetensors")
    if not os.path.exists(path):
        g = torch.Generator().manual_seed(1)
        sd = {}
        sd.update(random_weights(build(VideoEncoderConfigurator, {"vae": VAE}), "vae.encoder.", g))
        sd.update(random_weights(build(VideoDecoderConfigurator, {"vae": VAE}), "vae.decoder.", g))
        channels = VAE["latent_channels"]
        sd["vae.per_channel_statistics.std-of-means"] = torch.rand(channels, generator=g) + 0.5
        sd["vae.per_channel_statistics.mean-of-means"] = torch.randn(channels, generator=g) * 0.1
        save_file(sd, path, metadata={"config": json.dumps({"vae": VAE})})
        print("wrote", path)
        with torch.no_grad():
            video = torch.rand(INPUTS["video_9x256"], generator=g) * 2 - 1
            latent = load_vae(directory, "encoder", torch.float32)(video)
            decoded = load_vae(directory, "decoder", torch.float32)(latent)
        assert tuple(latent.shape) == INPUTS["latent_9x256"], latent.shape
        assert tuple(decoded.shape) == INPUTS["video_9x256"], decoded.shape
        assert torch.isfinite(decoded).all()
        print("round trip", tuple(video.shape), "->", tuple(latent.shape), "->", tuple(decoded.shape))
    path = os.path.join(directory, "upsampler_bench.safetensors")
    if not os.path.exists(path):
        g = torch.Generator().manual_seed(2)
        sd = random_weights(build(LatentUpsamplerConfigurator, UPSAMPLER), "", g)
        save_file(sd, path, metadata={"config": json.dumps(UPSAMPLER)})
        print("wrote", path)
    path = os.path.join(directory, "inputs.safetensors")
    if not os.path.exists(path) or set(load_file(path)) != set(INPUTS):
        g = torch.Generator().manual_seed(3)
        inputs = {
            "video_9x256": torch.rand(INPUTS["video_9x256"], generator=g) * 2 - 1,
            "latent_9x256": torch.randn(INPUTS["latent_9x256"], generator=g),
            "latent_33x384": torch.randn(INPUTS["latent_33x384"], generator=g),
            # Drawn after the others, so theirs stay the values earlier runs used.
            "latent_65x512": torch.randn(INPUTS["latent_65x512"], generator=g),
        }
        save_file(inputs, path)
        print("wrote", path)


def load_vae(directory, part, dtype):
    """The VAE encoder or decoder: its `vae.<part>.*` keys plus the shared statistics."""
    sd = load_file(os.path.join(directory, "vae_bench.safetensors"))
    prefix = f"vae.{part}."
    weights = {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
    for name in STATS:
        weights[f"per_channel_statistics.{name}"] = sd[f"vae.per_channel_statistics.{name}"]
    configurator = VideoEncoderConfigurator if part == "encoder" else VideoDecoderConfigurator
    model = build(configurator, {"vae": VAE})
    model.load_state_dict(weights)
    return model.to(dtype).eval()


def load_upsampler(directory, dtype):
    model = build(LatentUpsamplerConfigurator, UPSAMPLER)
    model.load_state_dict(load_file(os.path.join(directory, "upsampler_bench.safetensors")))
    return model.to(dtype).eval()


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak():
    """Sets the high-water mark (ru_maxrss) to the current RSS, so growth counts only what follows."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError as e:
        print(f"cannot reset the peak RSS ({e}); the growth may hide the loading peak", file=sys.stderr)


def profile_call(call, figure, dtype_name, modules):
    """Where ltx-core's time goes in one call after the warm-up: each op's self time under
    torch.profiler, and the convolutions' multiply-adds counted by forward hooks on every
    Conv3d (2 x output elements x input channels per group x kernel volume), so their rate in
    GFLOP/s can be set beside the machine's FMA rate (tools/bench/fma_peak.c)."""
    from torch.profiler import ProfilerActivity, profile
    flops = [0.0]

    def count(module, args, output):
        kernel = module.kernel_size[0] * module.kernel_size[1] * module.kernel_size[2]
        flops[0] += 2.0 * output.numel() * (module.in_channels // module.groups) * kernel

    hooks = [m.register_forward_hook(count) for root in modules for m in root.modules()
             if isinstance(m, torch.nn.Conv3d)]
    t0 = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        call()
    total = (time.perf_counter() - t0) * 1e3
    for h in hooks:
        h.remove()
    print(f"# {figure}_{dtype_name}: {total:.1f} ms under the profiler; ops by self time")
    conv = 0.0
    for e in sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total):
        ms = e.self_cpu_time_total / 1e3
        if "conv" in e.key or e.key == "aten::mkldnn_convolution":
            conv += ms
        if ms >= total * 0.005:
            print(f"{e.key}\t{ms:.1f}\t{100 * ms / total:.1f}%\t{e.count}")
    rate = flops[0] / (conv / 1e3) / 1e9 if conv > 0 else 0
    print(f"# convolutions: {flops[0] / 1e9:.1f} GFLOP in {conv:.1f} ms ({100 * conv / total:.1f}%), {rate:.0f} GFLOP/s")


def time_figure(directory, figure, dtype_name, runs, threads, profile=False):
    if figure not in FIGURES:
        raise SystemExit(f"unknown figure {figure}; one of {', '.join(FIGURES)}")
    torch.set_num_threads(threads)
    torch.set_grad_enabled(False)
    dtype = torch.float32 if dtype_name == "f32" else torch.bfloat16
    inputs = {k: v.to(dtype, copy=True) for k, v in load_file(os.path.join(directory, "inputs.safetensors")).items()}
    if figure == "encode_9x256":
        encoder = load_vae(directory, "encoder", dtype)
        video = inputs["video_9x256"]
        call = lambda: encoder(video)  # noqa: E731
    elif figure == "upsample_5x12":
        encoder = load_vae(directory, "encoder", dtype)
        upsampler = load_upsampler(directory, dtype)
        latent = inputs["latent_33x384"]
        call = lambda: upsample_video(latent, encoder, upsampler)  # noqa: E731
    else:
        decoder = load_vae(directory, "decoder", dtype)
        if figure == "decode_9x256":
            latent = inputs["latent_9x256"]
            call = lambda: decoder(latent)  # noqa: E731
        elif figure in ("decode_33x384", "decode_65x512"):
            latent = inputs["latent_" + figure.split("_")[1]]
            call = lambda: decoder(latent)  # noqa: E731
        else:
            latent = inputs["latent_" + figure.split("_")[1]]

            def call():
                frames = 0
                for chunk in decoder.tiled_decode(latent, TILING):
                    frames += chunk.shape[2]
                    del chunk
                return frames
    reset_peak()
    before = peak_mib()
    call()  # warm-up
    growth = peak_mib() - before
    if profile:
        profile_call(call, figure, dtype_name, [v for k, v in locals().items() if isinstance(v, torch.nn.Module)])
        return
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1e3)
    print(f"{figure}_{dtype_name}\t{statistics.median(times):.2f}\t{growth:.1f}", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        time_figure(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]),
                    profile=sys.argv[1] == "profile")
