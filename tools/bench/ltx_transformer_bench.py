#!/usr/bin/env python3
"""The ltx-core side of the transformer benchmark (tools/bench/ltx-bench.sh runs it beside
Reelflow's ltx-bench in the same invocation).

    python tools/bench/ltx_transformer_bench.py make  DIR              # writes the checkpoints
    python tools/bench/ltx_transformer_bench.py time  DIR NAME DTYPE RUNS THREADS MASK
    python tools/bench/ltx_transformer_bench.py profile DIR NAME DTYPE RUNS THREADS MASK

`make` writes random-weight LTX-2.3-shaped video transformers as ComfyUI-style checkpoints
(`config` metadata), one per benchmark shape, each twice: float32 (`transformer_NAME`) and the
same values rounded to bf16 (`transformer_NAME_bf16`), the dtype LTX-2.3's checkpoints ship in.
bf16 runs load the bf16 file on both sides, so neither converts weights:
  tiny:  4 layers, 4 heads x 32  (D = 128), 320 target + 320 reference tokens
  small: 8 layers, 32 heads x 64 (D = 2048), 704 target + 704 reference tokens
`time` builds the state with ltx-core's own items (target grid, reference latent appended,
optionally wrapped in attention strength 0.5 so a mask exists) and times X0Model's forward;
prints one line `name<TAB>median ms<TAB>peak RSS growth MiB` (the peak over the warm-up forward
above the RSS before it, with the kernel's peak mark reset first: /proc/self/clear_refs).
`profile` runs one forward after the warm-up under torch.profiler and prints each op's share of
it (where ltx-core's time goes, beside `perf record` of Reelflow's ltx-bench).
`flops NAME` prints the forward's floating-point operations (multiply and add counted apart) in
GFLOP, as ltx-core computes it and as Reelflow does (the AdaLN once per run of equal timesteps:
two runs here; the last block's outputs for the target grid only, the clean reference giving
only its keys and values), for the benchmark's floor at the machine's FMA rate.
"""
import gc
import json
import os
import statistics
import sys
import time

import torch
from safetensors.torch import save_file

from ltx_core.components.patchifiers import VideoLatentPatchifier
from ltx_core.conditioning.types.attention_strength_wrapper import ConditioningItemAttentionStrengthWrapper
from ltx_core.conditioning.types.reference_video_cond import VideoConditionByReferenceLatent
from ltx_core.model.transformer.model import X0Model
from ltx_core.model.transformer.model_configurator import LTXVideoOnlyModelConfigurator
from ltx_core.tools import VideoLatentTools
from ltx_core.types import VideoLatentShape
from ltx_pipelines.utils.helpers import modality_from_latent_state

BASE = {
    "dropout": 0.0, "attention_bias": True, "num_vector_embeds": None, "activation_fn": "gelu-approximate",
    "num_embeds_ada_norm": 1000, "use_linear_projection": False, "only_cross_attention": False,
    "cross_attention_norm": True, "double_self_attention": False, "upcast_attention": False,
    "standardization_norm": "rms_norm", "norm_elementwise_affine": False, "qk_norm": "rms_norm",
    "positional_embedding_type": "rope", "use_middle_indices_grid": True, "in_channels": 128,
    "out_channels": 128, "norm_eps": 1e-6, "positional_embedding_theta": 10000.0,
    "positional_embedding_max_pos": [20, 2048, 2048], "timestep_scale_multiplier": 1000,
    "rope_type": "split", "frequencies_precision": "float64", "apply_gated_attention": True,
    "cross_attention_adaln": True, "caption_proj_before_connector": True,
}
SHAPES = {
    "tiny": dict(layers=4, heads=4, head_dim=32, grid=(5, 8, 8)),
    "small": dict(layers=8, heads=32, head_dim=64, grid=(11, 8, 8)),
}
CONTEXT_TOKENS = 128


def config(name):
    s = SHAPES[name]
    d = s["heads"] * s["head_dim"]
    return dict(BASE, num_layers=s["layers"], num_attention_heads=s["heads"], attention_head_dim=s["head_dim"],
                cross_attention_dim=d)


def checkpoint(directory, name, dtype_name):
    return os.path.join(directory, f"transformer_{name}{'_bf16' if dtype_name == 'bf16' else ''}.safetensors")


def make(directory):
    os.makedirs(directory, exist_ok=True)
    for name in SHAPES:
        path, path_bf16 = checkpoint(directory, name, "f32"), checkpoint(directory, name, "bf16")
        if os.path.exists(path) and os.path.exists(path_bf16):
            continue
        cfg = config(name)
        model = LTXVideoOnlyModelConfigurator.from_config({"transformer": cfg}).to_empty(device="cpu")
        g = torch.Generator().manual_seed(1)
        sd = {}
        for key, p in model.state_dict().items():
            sd[f"model.diffusion_model.{key}"] = (torch.randn(p.shape, generator=g) * 0.02).contiguous()
        metadata = {"config": json.dumps({"transformer": cfg})}
        save_file(sd, path, metadata=metadata)
        save_file({k: v.to(torch.bfloat16) for k, v in sd.items()}, path_bf16, metadata=metadata)
        print("wrote", path, "and", path_bf16)


def forward_gflop(name, adaln_rows=None, last_queries=None):
    """The forward's matrix-product and attention FLOPs (2 per multiply-add), in GFLOP; the
    element-wise work (norms, softmax exponentials, modulation) is not counted. `adaln_rows`:
    rows the AdaLN MLP runs on (ltx-core: every token). `last_queries`: tokens whose outputs the
    last block and the output layer compute (ltx-core: every token; Reelflow's `denoised`: the
    target grid, the clean reference only giving the last self-attention its keys and values)."""
    s = SHAPES[name]
    d, heads = s["heads"] * s["head_dim"], s["heads"]
    f, h, w = s["grid"]
    t = 2 * f * h * w  # target grid + the appended reference latent
    c = CONTEXT_TOKENS

    def layer(q):  # q query tokens against t keys
        return (
            2 * q * d * d * 2 + 2 * t * d * d * 2  # self-attention q, out; k, v
            + 2 * q * d * d * 2 + 2 * c * d * d * 2  # cross-attention q, out; k, v on the context
            + 2 * q * d * heads * 2  # the two per-head gates
            + 2 * q * d * 4 * d * 2  # feed-forward, 4x width
            + 2 * 2 * q * t * d  # self-attention scores and values
            + 2 * 2 * q * c * d  # cross-attention scores and values
        )
    last = t if last_queries is None else last_queries
    rows = t if adaln_rows is None else adaln_rows
    adaln = rows * 2 * (256 * d + d * d + d * 9 * d) + 2 * (256 * d + d * d + d * 2 * d)  # + the prompt AdaLN
    ends = 2 * t * 128 * d + 2 * last * 128 * d  # patchify and output projections
    return ((s["layers"] - 1) * layer(t) + layer(last) + adaln + ends) / 1e9


def status_mib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def start_peak():
    """Resets the kernel's peak-RSS mark to the current RSS (writing 5 to clear_refs), so the
    peak read after the forward is the forward's own, not loading's (ltx-core's load, which
    makes float32 parameters before the bf16 copy, peaks far above any forward); returns the
    RSS now."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return status_mib("VmRSS")


def time_forward(directory, name, dtype_name, runs, threads, masked, profile=False):
    torch.set_num_threads(threads)
    torch.set_grad_enabled(False)
    dtype = torch.float32 if dtype_name == "f32" else torch.bfloat16
    cfg = config(name)
    model = LTXVideoOnlyModelConfigurator.from_config({"transformer": cfg}).to_empty(device="cpu")
    from safetensors.torch import load_file
    sd = load_file(checkpoint(directory, name, dtype_name))
    model.load_state_dict({k[len("model.diffusion_model."):]: v for k, v in sd.items()})
    model = X0Model(model.to(dtype).eval())
    f, h, w = SHAPES[name]["grid"]
    shape = VideoLatentShape(batch=1, channels=128, frames=f, height=h, width=w)
    tools = VideoLatentTools(patchifier=VideoLatentPatchifier(patch_size=1), target_shape=shape, fps=24.0)
    g = torch.Generator().manual_seed(2)
    state = tools.create_initial_state(device="cpu", dtype=dtype,
                                       initial_latent=torch.randn(shape.to_torch_shape(), generator=g).to(dtype))
    item = VideoConditionByReferenceLatent(torch.randn(shape.to_torch_shape(), generator=g).to(dtype), 1, 1.0)
    if masked:
        item = ConditioningItemAttentionStrengthWrapper(item, attention_mask=0.5)
    state = item.apply_to(state, tools)
    d = cfg["num_attention_heads"] * cfg["attention_head_dim"]
    context = torch.randn(1, CONTEXT_TOKENS, d, generator=g).to(dtype)
    video = modality_from_latent_state(state, context, torch.tensor(0.9))
    del sd
    gc.collect()
    before = start_peak()
    model(video=video, audio=None, perturbations=None)  # warm-up
    growth = status_mib("VmHWM") - before
    if profile:
        profile_forward(model, video, name, dtype_name)
        return
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        model(video=video, audio=None, perturbations=None)
        times.append((time.perf_counter() - t0) * 1e3)
    label = f"{name}_{dtype_name}{'_masked' if masked else ''}"
    print(f"{label}\t{statistics.median(times):.2f}\t{growth:.1f}", flush=True)


def profile_forward(model, video, name, dtype_name):
    """Where ltx-core's forward goes: one forward under torch.profiler, each op's self time
    (wall time on the calling thread, intra-op threads included) as a share of the forward."""
    from torch.profiler import ProfilerActivity, profile
    t0 = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        model(video=video, audio=None, perturbations=None)
    total = (time.perf_counter() - t0) * 1e3
    rows = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    print(f"# {name}_{dtype_name}: forward {total:.1f} ms under the profiler; ops by self time")
    products = 0.0
    for e in rows:
        ms = e.self_cpu_time_total / 1e3
        if e.key in ("aten::addmm", "aten::mm", "aten::bmm", "aten::baddbmm"):
            products += ms
        if ms >= total * 0.005:
            print(f"{e.key}\t{ms:.1f}\t{100 * ms / total:.1f}%\t{e.count}")
    print(f"# matrix products (addmm, mm, bmm, baddbmm): {products:.1f} ms, {100 * products / total:.1f}%")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "flops":
        s = SHAPES[sys.argv[2]]
        grid = s["grid"][0] * s["grid"][1] * s["grid"][2]
        print(f"{forward_gflop(sys.argv[2]):.3f}\t{forward_gflop(sys.argv[2], adaln_rows=2, last_queries=grid):.3f}")
    else:
        time_forward(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7] == "1",
                     profile=sys.argv[1] == "profile")
