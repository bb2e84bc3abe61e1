#!/usr/bin/env python3
"""Writes the Media test fixtures from ltx-pipelines' own preprocessing functions.

Run from the repository root with the reference venv:
    /work/venv/bin/python tools/reference/make_media_fixtures.py

Outputs (Tests/MediaTests/Fixtures/, little-endian, no headers; a few KB in all):
  resize_input.rgb            29 rows x 37 columns x RGB, uint8, a deterministic pattern
  resize_<H>x<W>.f32          float32 [1, 3, 1, H, W]: ltx_pipelines.utils.media_io
                              resize_and_center_crop then normalize_latent (dtype float32)
  eightbit_input.f32          float32 values, rounded to bf16 by the script
  eightbit_output.u8          uint8: ltx-core's convert_to_uint8 expression on that bf16 tensor
  crf_input.rgb               29 x 37 x RGB uint8, a smooth pattern with one wrap
  crf33_output.rgb            28 x 36 x RGB uint8: ltx_pipelines preprocess(image, crf=33)
  clip_64x48.mp4              6 frames, libx264 yuv420p, 24 fps, written with PyAV
  clip_64x48_to_32x40.f32     float32 [1, 3, 5, 32, 40]: load_video_conditioning(clip,
                              height=32, width=40, frame_cap=5, dtype=float32)
"""
import os
import sys

import numpy as np
import torch

import av

from ltx_pipelines.utils.media_io import (
    load_video_conditioning,
    normalize_latent,
    preprocess,
    resize_and_center_crop,
)

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "MediaTests", "Fixtures")
WIDTH, HEIGHT = 37, 29
# (height, width) targets: downscale, identity, upscale, extreme aspect ratios, square crop.
CASES = [(16, 24), (29, 37), (64, 48), (8, 40), (30, 30), (100, 17)]


def pattern() -> np.ndarray:
    """A non-smooth RGB pattern, so a wrong tap index or weight shows up."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    r = (x * 7 + y * 3) % 256
    g = (x * x + 5 * y) % 256
    b = (255 - 4 * x + y * y) % 256
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    image = pattern()
    image.tofile(os.path.join(OUT, "resize_input.rgb"))
    for h, w in CASES:
        t = torch.tensor(image, dtype=torch.float32)
        out = normalize_latent(resize_and_center_crop(t, h, w), torch.device("cpu"), torch.float32)
        assert tuple(out.shape) == (1, 3, 1, h, w), out.shape
        out.numpy().astype("<f4").tofile(os.path.join(OUT, f"resize_{h}x{w}.f32"))

    # 8-bit conversion: edge values, values near each level boundary, and a sweep.
    values = [-2.0, -1.0, -0.999, 0.0, 0.5, 0.99, 0.999, 1.0, 1.5, float("inf"), float("-inf")]
    values += list(np.linspace(-1.0, 1.0, 1021))
    x = torch.tensor(values, dtype=torch.float32).to(torch.bfloat16)
    # ltx_core/model/video_vae/video_vae.py, decode_video's convert_to_uint8 (the expression only).
    u8 = (((x + 1.0) / 2.0).clamp(0.0, 1.0) * 255.0).to(torch.uint8)
    x.to(torch.float32).numpy().astype("<f4").tofile(os.path.join(OUT, "eightbit_input.f32"))
    u8.numpy().astype(np.uint8).tofile(os.path.join(OUT, "eightbit_output.u8"))
    # The H.264 round trip applied to conditioning images.
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    smooth = np.stack([40 + (x * 3 + y * 2 + c * 20) % 150 for c in range(3)], axis=-1).astype(np.uint8)
    smooth.tofile(os.path.join(OUT, "crf_input.rgb"))
    preprocess(smooth, 33).astype(np.uint8).tofile(os.path.join(OUT, "crf33_output.rgb"))

    # A small clip encoded by PyAV, and what ltx-pipelines' video loader makes of it.
    clip = os.path.join(OUT, "clip_64x48.mp4")
    with av.open(clip, "w") as container:
        stream = container.add_stream("libx264", rate=24, options={"crf": "18", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        yy, xx = np.mgrid[0:48, 0:64]
        for f in range(6):
            frame = np.stack(
                [20 + xx * 3 + f * 6, 30 + yy * 4, 60 + (xx + yy) * 2 + f * 4], axis=-1
            ).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    video = load_video_conditioning(clip, 32, 40, 5, torch.float32, torch.device("cpu"))
    assert tuple(video.shape) == (1, 3, 5, 32, 40), video.shape
    video.numpy().astype("<f4").tofile(os.path.join(OUT, "clip_64x48_to_32x40.f32"))
    print(f"wrote fixtures to {os.path.normpath(OUT)} (torch {torch.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
