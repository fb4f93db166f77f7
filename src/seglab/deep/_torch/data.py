"""Training data: the ``seglab bench`` data-set layout, checked once, held in memory.

Images are read in their own units and normalised with the model's record
(whole image, as :func:`.predict.predict` does); labels become class ids
after an optional ``label_map``; ``ignore_index`` pixels become
:data:`.losses.IGNORE` for the losses. Every problem is one clear error
naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch.utils.data import Dataset as TorchDataset
from torchvision import tv_tensors
from torchvision.transforms import v2

from ...core.errors import InvalidImageError, InvalidParameterError
from ...evaluation.scores import apply_label_map
from ...io import read_image, read_labels
from ...io.datasets import DatasetItem, find_dataset, listed_stem, volume_of
from .losses import IGNORE
from .preprocess import normalize

__all__ = ["Sample", "void", "read_stems", "load_samples", "check_samples", "infer_num_classes",
           "median_frequency_weights", "TrainSet"]


@dataclass(frozen=True)
class Sample:
    """One image (file units) and its class-id labels (after the label map)."""

    stem: str
    image_path: Path
    labels_path: Path
    image: NDArray
    labels: NDArray[np.int32]

    @property
    def channels(self) -> int:
        return self.image.shape[2] if self.image.ndim == 3 else 1


def read_stems(path: str | os.PathLike[str]) -> list[str]:
    """File stems listed one per line (``#`` comments and blank lines skipped; page stems ``vol.p0004`` kept)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such split list.") from None
    names = [line.split("#")[0].strip() for line in lines]
    return [listed_stem(n) for n in names if n]


def load_samples(data_dir: str | os.PathLike[str], *, split: str | None = None,
                 stems: Sequence[str] | None = None, label_map: Mapping[int, int] | None = None,
                 what: str = "training") -> list[Sample]:
    """Read the image/label pairs of `data_dir` (optionally one split, optionally only `stems`).

    Raises
    ------
    FileNotFoundError
        No such folder.
    InvalidParameterError
        No labelled image (an empty data set), or listed stems that do not exist.
    InvalidImageError
        A label image whose size differs from its image (both files named).
    """
    ds = find_dataset(data_dir, split=split, option="--val-split" if what == "validation" else "--split")
    items = ds.items
    where = f"{ds.root}/images" + (f" (split {split!r})" if split else "")
    if stems is not None:  # a stem names an image or a page, a volume's stem all its pages
        by_stem: dict[str, list[DatasetItem]] = {}
        for item in items:
            by_stem.setdefault(item.stem, []).append(item)
            if item.page is not None:
                by_stem.setdefault(volume_of(item.stem), []).append(item)
        unknown = [s for s in stems if s not in by_stem]
        if unknown:
            raise InvalidParameterError(f"{what} list: {', '.join(unknown[:5])} not found among the labelled "
                                        f"images of {where}.")
        items = [item for s in stems for item in by_stem[s]]
    if not items:
        raise InvalidParameterError(f"{where}: no {what} images with labels found; the layout is "
                                    "DIR/images/[SPLIT/]<stem>.png + DIR/labels/[SPLIT/]<stem>.png.")
    samples = []
    for item in items:
        image = read_image(item.image, page=item.page)
        labels = read_labels(item.labels, page=item.page)
        if labels.shape != image.shape[:2]:
            where = "" if item.page is None else f" (page {item.page})"
            raise InvalidImageError(f"{item.labels}{where} has size {labels.shape} but its image {item.image} has "
                                    f"{image.shape[:2]}; labels must match their image pixel for pixel.")
        if label_map:
            labels = apply_label_map(labels, label_map)
        samples.append(Sample(item.stem, item.image, item.labels, image, labels))
    return samples


def void(labels: NDArray[np.integer], ignore_index: int | None) -> NDArray[np.bool_]:
    """Pixels left out of training and scoring: -1 (seglab's void) and `ignore_index`."""
    out = labels == -1
    return out | (labels == ignore_index) if ignore_index is not None else out


def infer_num_classes(samples: Sequence[Sample], ignore_index: int | None) -> int:
    """``max class id + 1`` over all labels (void left out), at least 2."""
    top = max(int(s.labels[~void(s.labels, ignore_index)].max(initial=0)) for s in samples)
    return max(top + 1, 2)


def check_samples(samples: Sequence[Sample], *, num_classes: int, ignore_index: int | None, in_channels: int) -> None:
    """Every image has `in_channels` channels and every label is a class id or `ignore_index`.

    Raises
    ------
    InvalidImageError
        Naming the first offending file.
    """
    for s in samples:
        if s.channels != in_channels:
            raise InvalidImageError(f"{s.image_path} has {s.channels} channel(s) but in_channels={in_channels}; "
                                    "all images of a data set must have the model's channel count.")
        values = np.unique(s.labels[~void(s.labels, ignore_index)])
        bad = values[(values < 0) | (values >= num_classes)]
        if bad.size:
            hint = "" if ignore_index is not None else " (pass ignore_index for a void value)"
            raise InvalidImageError(
                f"{s.labels_path} holds values {bad[:5].tolist()} outside the class ids 0..{num_classes - 1}{hint}; "
                "set num_classes, ignore_index or a label_map that covers them."
            )


def median_frequency_weights(samples: Sequence[Sample], num_classes: int, ignore_index: int | None) -> list[float]:
    """SegNet's median-frequency balancing: ``median(freq) / freq[c]`` (0 for absent classes)."""
    counts = np.zeros(num_classes, np.int64)
    present = np.zeros(num_classes, np.int64)  # pixels of the images where the class occurs
    for s in samples:
        valid = s.labels[~void(s.labels, ignore_index)]
        c = np.bincount(valid.ravel(), minlength=num_classes)[:num_classes]
        counts += c
        present += np.where(c > 0, valid.size, 0)
    freq = np.where(present > 0, counts / np.maximum(present, 1), 0.0)
    med = float(np.median(freq[freq > 0]))
    return [med / f if f > 0 else 0.0 for f in freq]


class TrainSet(TorchDataset):
    """Normalised images and masks in memory; each item is one augmented crop."""

    def __init__(self, samples: Sequence[Sample], *, normalization: Mapping[str, Any],
                 ignore_index: int | None, transform: v2.Transform) -> None:
        self.images = []
        self.masks = []
        for s in samples:
            image = s.image if s.image.ndim == 3 else s.image[..., None]
            self.images.append(torch.from_numpy(normalize(image, normalization)))
            mask = s.labels.astype(np.int64)
            mask[void(s.labels, ignore_index)] = IGNORE
            self.masks.append(torch.from_numpy(mask))
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        image, mask = self.transform(tv_tensors.Image(self.images[i]), tv_tensors.Mask(self.masks[i]))
        return image.as_subclass(torch.Tensor), mask.as_subclass(torch.Tensor)
