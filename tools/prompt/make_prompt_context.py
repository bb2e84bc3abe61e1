#!/usr/bin/env python3
"""Encodes a prompt into the context file Reelflow's LoadConditioning reads, with the same
calls ltx-pipelines' ic_lora pipeline makes (`encode_prompts`: Gemma 3, then the checkpoint's
embeddings processor). Reelflow has no text encoder of its own; the context of a prompt is
computed once and reused, so this is a one-off per prompt (the Sync-LoRA's is the constant
`3d1t`).

    python tools/prompt/make_prompt_context.py \
        --checkpoint models/ltx-2.3-22b-dev.safetensors \
        --gemma-root models/gemma-3-12b-it-qat-q4_0-unquantized \
        --prompt 3d1t --out models/prompts/sync-lora-3d1t.safetensors

Needs ltx-core and ltx-pipelines 1.0.0 (tools/reference/requirements.txt) and the Gemma
weights ltx-pipelines asks for (--gemma-root), best on a GPU. Writes `video_context`
[1, S, W] in bfloat16 (W is the transformer width for LTX-2.3), with the prompt in the
metadata. Not run in Reelflow's CI: it needs the real Gemma and checkpoint files, which the
build machines do not have.
"""
import argparse

import torch
from safetensors.torch import save_file

from ltx_pipelines.utils.helpers import encode_prompts
from ltx_pipelines.utils.model_ledger import ModelLedger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, help="the LTX checkpoint (its embeddings processor is used)")
    parser.add_argument("--gemma-root", required=True, help="the Gemma 3 folder ltx-pipelines' --gemma-root takes")
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    ledger = ModelLedger(dtype=torch.bfloat16, device=torch.device(args.device),
                         checkpoint_path=args.checkpoint, gemma_root_path=args.gemma_root)
    (context,) = encode_prompts([args.prompt], ledger)
    save_file({"video_context": context.video_encoding.to(torch.bfloat16).contiguous().cpu()}, args.out,
              metadata={"prompt": args.prompt, "generator": "tools/prompt/make_prompt_context.py"})
    print(f"wrote {args.out}: video_context {tuple(context.video_encoding.shape)}")


if __name__ == "__main__":
    main()
