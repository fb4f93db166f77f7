"""The DSB2018 split of the instance models: modality of every image and a validation part stratified by it.

Modality, from the pixels (documented, reproducible; the data set itself
records none):

- ``fluorescence``: grey (the three channels equal within 1 level on
  average) with a dark background (the median below the mid-range);
- ``brightfield``: grey with a light background;
- ``stained``: colour (H&E and other stained tissue, light background).

Writes ``benchmarks/deep/splits/dsb2018_{train,val}.txt`` (stems of
stage1_train: 12 % of each modality, at least two images, drawn with seed 0,
for validation) and ``dsb2018_modality.csv`` (stem, set, modality for the
663 training and 65 test images; the test images are only grouped for the
report, never used to choose anything). Usage::

    .venv/bin/python benchmarks/deep/instances_split.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import csv
import math
import warnings
from pathlib import Path

import numpy as np

from seglab.io import read_image

SPLITS = Path(__file__).parent / "splits"
VAL_FRACTION = 0.12


def modality(image: np.ndarray) -> str:
    """fluorescence / brightfield / stained, from an image's colour and background."""
    rgb = image[..., :3].astype(np.float64) if image.ndim == 3 else np.repeat(image[..., None], 3, 2).astype(float)
    grey = np.abs(rgb[..., 0] - rgb[..., 1]).mean() + np.abs(rgb[..., 1] - rgb[..., 2]).mean() < 2
    luma = rgb.mean(axis=2)
    dark = np.median(luma) < (luma.min() + luma.max()) / 2
    if grey:
        return "fluorescence" if dark else "brightfield"
    return "stained"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    args = parser.parse_args()
    rows = []
    for name, role in (("dsb2018_stage1_train", "train"), ("dsb2018_stage1_test", "test")):
        for path in sorted((Path(args.data) / name / "images").glob("*.png")):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # RGBA files: the alpha channel is dropped
                rows.append((path.stem, role, modality(read_image(path))))
    rng = np.random.default_rng(0)
    val: list[str] = []
    for group in ("fluorescence", "brightfield", "stained"):
        stems = sorted(s for s, role, m in rows if role == "train" and m == group)
        k = max(2, math.ceil(VAL_FRACTION * len(stems)))
        val += sorted(rng.choice(stems, size=k, replace=False).tolist())
    train = sorted(s for s, role, _ in rows if role == "train" and s not in set(val))
    SPLITS.mkdir(exist_ok=True)
    (SPLITS / "dsb2018_train.txt").write_text("\n".join(train) + "\n")
    (SPLITS / "dsb2018_val.txt").write_text("\n".join(sorted(val)) + "\n")
    with open(SPLITS / "dsb2018_modality.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["stem", "set", "modality"])
        writer.writerows(rows)
    counts = {(role, m): sum(1 for _, r, mm in rows if r == role and mm == m) for _, role, m in rows}
    print(f"train {len(train)}, val {len(val)}; " + ", ".join(f"{r}/{m}: {n}" for (r, m), n in sorted(counts.items())))


if __name__ == "__main__":
    main()
