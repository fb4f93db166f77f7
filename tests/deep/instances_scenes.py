"""Synthetic nuclei for the instance tests: touching discs made here (no external data, no torch)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def touching_discs(size: int = 96, *, radius: int = 7, seed: int = 0, dark: bool = False
                   ) -> tuple[np.ndarray, np.ndarray]:
    """A uint8 image of pairs of touching discs (bright on dark, or dark on light) and their instance labels.

    The discs sit in a grid of cells, two per cell, their centres ``2 * radius``
    apart in a random direction: each pair touches along a line. A pixel
    covered by both discs of a pair goes to the nearer centre.
    """
    rng = np.random.default_rng(seed)
    cell = 4 * radius + 6
    rr, cc = np.mgrid[:size, :size]
    labels = np.zeros((size, size), np.int32)
    best = np.full((size, size), np.inf)
    n = 0
    for r0 in range(cell // 2, size - cell // 2 + 1, cell):
        for c0 in range(cell // 2, size - cell // 2 + 1, cell):
            angle = rng.uniform(0, np.pi)
            dr, dc = radius * np.sin(angle), radius * np.cos(angle)
            for sign in (-1, 1):
                n += 1
                d2 = (rr - (r0 + sign * dr)) ** 2 + (cc - (c0 + sign * dc)) ** 2
                inside = (d2 <= radius**2) & (d2 < best)
                labels[inside] = n
                best[inside] = d2[inside]
    signal = np.where(labels > 0, 180.0, 40.0) + rng.normal(0, 12, labels.shape)
    image = np.clip(255 - signal if dark else signal, 0, 255).astype(np.uint8)
    return image, labels


def write_label_set(root: Path, n: int, *, size: int = 96, radius: int = 7, first_seed: int = 0) -> Path:
    """``root/images/*.png`` + ``root/labels/*.png`` of `n` disc scenes (every second one dark on light)."""
    import imageio.v3 as iio

    for sub in ("images", "labels"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for k in range(n):
        image, labels = touching_discs(size, radius=radius, seed=first_seed + k, dark=bool(k % 2))
        iio.imwrite(root / "images" / f"d{k:02d}.png", image)
        iio.imwrite(root / "labels" / f"d{k:02d}.png", labels.astype(np.uint16))
    return root


def polygon(labels: np.ndarray, label: int) -> list[float]:
    """A COCO polygon (x, y pairs) around one object: the pixel corners of its outer contour."""
    import cv2

    contours, _ = cv2.findContours((labels == label).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    points = max(contours, key=len)[:, 0, :].astype(float) + 0.5
    return points.ravel().tolist()


def write_coco_set(root: Path, n: int, *, size: int = 64, radius: int = 7, rle_every: int = 2) -> Path:
    """``root/images/*.png`` + ``root/annotations.json``: disc scenes as COCO polygons (every `rle_every`-th as RLE)."""
    import imageio.v3 as iio

    from seglab.io.rle import rle_encode

    (root / "images").mkdir(parents=True, exist_ok=True)
    doc = {"images": [], "annotations": [], "categories": [{"id": 7, "name": "nucleus"}]}
    for k in range(n):
        image, labels = touching_discs(size, radius=radius, seed=100 + k)
        iio.imwrite(root / "images" / f"c{k:02d}.png", image)
        doc["images"].append({"id": k + 1, "file_name": f"c{k:02d}.png", "height": size, "width": size})
        for label in range(1, labels.max() + 1):
            ann_id = len(doc["annotations"]) + 1
            seg = rle_encode(labels == label) if ann_id % rle_every == 0 else [polygon(labels, label)]
            doc["annotations"].append({"id": ann_id, "image_id": k + 1, "category_id": 7, "segmentation": seg,
                                       "iscrowd": 0})
    (root / "annotations.json").write_text(json.dumps(doc))
    return root
