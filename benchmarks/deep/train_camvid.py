"""Train a CamVid (11 classes, void 11 ignored) model from random initialisation; choose the epoch on val.

CamVid's licence is non-commercial (CC BY-NC 4.0, see the data's SOURCE.md): so are weights trained on it.
Usage::

    python benchmarks/deep/train_camvid.py --data ../shared/data/camvid --arch deeplab --out /work/runs/camvid/deeplab.pt
    python benchmarks/deep/train_camvid.py --data ../shared/data/camvid --arch segnet --out /work/runs/camvid/segnet.pt

``--resume`` continues from ``<out stem>.last.pt``.
"""

from __future__ import annotations

import argparse

from seglab.deep._torch.train import train

CLASSES = ["sky", "building", "pole", "road", "pavement", "tree", "sign_symbol", "fence", "car", "pedestrian",
           "bicyclist"]
#: CPU-sized settings of each architecture.
CONFIGS = {
    "deeplab": {"backbone": "mobilenet_v3_large", "output_stride": 16, "atrous_rates": [6, 12, 18],
                "decoder_channels": 128},
    "segnet": {"base_width": 16, "depth": 5},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--arch", choices=sorted(CONFIGS), default="deeplab")
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=40)
    # four passes over the 367 images at batch 8 between validations (101 full-size images each)
    parser.add_argument("--steps-per-epoch", type=int, default=184)
    parser.add_argument("--crop-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    args = parser.parse_args()
    result = train(
        args.arch, args.data, args.out, model_config=CONFIGS[args.arch], split="train", val_split="val",
        num_classes=11, ignore_index=11, in_channels=3, classes=CLASSES,
        crop_size=args.crop_size, batch_size=8, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
        lr=1e-3, weight_decay=1e-4, schedule="poly", loss="ce+dice", class_weights="median_frequency",
        augment={"scale": (0.5, 1.5), "rot90": False, "vflip": False, "jitter": 0.2},
        precise_bn=10, monitor="mean_iou", seed=args.seed, resume=args.resume, half=True,
        num_threads=args.threads,
    )
    print(f"best epoch {result.best_epoch}: {result.figures}  ({result.seconds:.0f} s) -> {result.best}")


if __name__ == "__main__":
    main()
