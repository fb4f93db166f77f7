"""Train the shipped ``unet`` ``membrane`` weights on ISBI 2012 slices 00-21, choosing the epoch on 22-24.

Slices 25-29 are never read here (see ``eval_isbi.py``). Usage::

    python benchmarks/deep/train_isbi.py --data ../shared/data/isbi2012_em --out /work/runs/isbi/unet-membrane.pt

``--all-slices`` trains on 00-24 with nothing to choose on: a fixed number of epochs (the count a run with
validation chose), and the last checkpoint is the result.

``--arch`` and ``--config`` train the other architectures on the same recipe (the shorter comparison runs
of docs/quality.md), e.g. ``--arch segnet --config '{"base_width": 16, "depth": 4}' --epochs 5``.

``--init CKPT`` fine-tunes a membrane checkpoint (``--config '{"base_width": 24}'`` widens it first).
Re-running with ``--resume`` continues from ``<out stem>.last.pt``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from seglab.deep._torch.train import train

SPLITS = Path(__file__).parent / "splits"
#: The augmentation of the shipped weights' recipe (``--augment`` overrides keys of it).
RECIPE_AUGMENT = {"scale": (0.9, 1.1), "elastic": 6.0, "elastic_grid": 3, "jitter": 0.1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--arch", default="unet")
    parser.add_argument("--config", type=json.loads, default=None, help='JSON; default {"base_width": 16} for unet')
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    parser.add_argument("--all-slices", action="store_true", help="train on 00-24, no validation: the last epoch")
    parser.add_argument("--amp", action="store_true", help="bfloat16 mixed precision on a CPU")
    parser.add_argument("--ema", type=float, help="validate and save the moving average of the weights (decay)")
    parser.add_argument("--init", help="start from this membrane checkpoint (with --config '{\"base_width\": N}': "
                                       "widened to N first)")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--augment", type=json.loads, default=None,
                        help='JSON overrides of the recipe\'s augmentation, e.g. \'{"elastic": 10.0}\'')
    args = parser.parse_args()
    result = train(
        args.arch, args.data, args.out, init=args.init,
        model_config=args.config or ({"base_width": 16} if args.arch == "unet" and not args.init else {}),
        train_list=SPLITS / ("isbi2012_trainval.txt" if args.all_slices else "isbi2012_train.txt"),
        val_list=None if args.all_slices else SPLITS / "isbi2012_val.txt",
        label_map={255: 1}, num_classes=2, in_channels=1, classes=["membrane", "cell"],
        normalization={"kind": "percentile", "low": 1.0, "high": 99.8},
        crop_size=256, batch_size=4, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
        lr=args.lr, weight_decay=1e-4, schedule="cosine", loss="ce+dice",
        augment={**RECIPE_AUGMENT, **(args.augment or {})},
        precise_bn=10, monitor="mean_iou", seed=args.seed, resume=args.resume, half=True, num_threads=args.threads,
        amp=args.amp, ema=args.ema,
    )
    print(f"best epoch {result.best_epoch}: {result.figures}  ({result.seconds:.0f} s) -> {result.best}")


if __name__ == "__main__":
    main()
