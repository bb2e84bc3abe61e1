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
"""
import os
import sys

import numpy as np
import torch

from ltx_pipelines.utils.media_io import normalize_latent, resize_and_center_crop

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
    print(f"wrote fixtures to {os.path.normpath(OUT)} (torch {torch.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
