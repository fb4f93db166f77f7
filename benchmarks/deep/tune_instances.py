"""Choose an instance checkpoint's thresholds on the validation images, as ``seglab train`` does unless ``--no-tune``.

For a checkpoint trained with ``--no-tune`` (or tuned on another split):
``mask_rcnn`` gets its `score_threshold`, ``unet_instances`` its
`foreground_threshold`, `seed_threshold` and `min_size`, each by the mean DSB
score on the validation images only. The input is never overwritten. Usage::

    .venv/bin/python benchmarks/deep/tune_instances.py mask_rcnn /work/runs/mask_rcnn/nuclei.pt \\
        --data ../shared/data/dsb2018_stage1_train --val-list benchmarks/deep/splits/dsb2018_val.txt \\
        -o /work/runs/mask_rcnn/nuclei.tuned.pt --half
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from seglab.deep._torch.data import read_stems
from seglab.deep._torch.instances.data import load_instance_samples
from seglab.deep._torch.instances.train import tune_checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=("mask_rcnn", "unet_instances"))
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--val-list", required=True, type=Path)
    parser.add_argument("-o", "--out", required=True, type=Path)
    parser.add_argument("--half", action="store_true", help="store float16 weights (half the size)")
    parser.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    args = parser.parse_args()
    if args.out.resolve() == args.checkpoint.resolve():
        parser.error("--out must differ from the checkpoint (inputs are never overwritten)")
    if args.threads:
        torch.set_num_threads(args.threads)
    samples = load_instance_samples(args.data, stems=read_stems(args.val_list), what="validation")[0]
    figures = tune_checkpoint(args.checkpoint, samples, out=args.out, arch=args.method, half=args.half)
    print({k: round(v, 4) for k, v in figures.items()})


if __name__ == "__main__":
    main()
