"""Instance training data: the ``seglab bench`` layout or a COCO instance file, checked once, held in memory.

Two layouts are read:

- ``DIR/images/[SPLIT/]`` + ``DIR/labels/[SPLIT/]``: instance label images
  (0 background, 1..N objects, -1 void), all objects of one class;
- ``DIR/images/`` + ``DIR/annotations.json``: a COCO instance file whose
  masks are polygons or RLE; categories become classes 1..K in id order,
  crowd regions become void, and where masks overlap the later annotation
  keeps the pixel.

Every problem is one error naming the file and the entry: a COCO image that
is not in ``images/``, an annotation of an unknown image or category, a
polygon outside its image, an empty file, a label image whose size differs
from its image, a data set without any object.

Examples
--------
>>> import tempfile, json, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp()); (root / "images").mkdir()
>>> _ = (root / "annotations.json").write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
>>> load_instance_samples(root)
Traceback (most recent call last):
...
seglab.core.errors.InvalidImageError: .../annotations.json lists no images; ...
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ....core.errors import InvalidImageError, InvalidParameterError
from ....io import read_image
from ....io.coco import read_json
from ....io.naming import stem_of
from ....io.rle import annotation_mask
from ..data import load_samples

__all__ = ["COCO_FILE", "InstanceSample", "check_objects", "coco_samples", "load_instance_samples"]

#: The COCO file of a data-set folder.
COCO_FILE = "annotations.json"


@dataclass(frozen=True)
class InstanceSample:
    """One image (file units), its instance ids (-1 void) and each id's class (index 0 unused)."""

    stem: str
    image_path: Path
    source: str
    image: NDArray
    labels: NDArray[np.int32]
    class_ids: NDArray[np.int64]


def _polygon_inside(poly: Sequence[float], height: int, width: int) -> bool:
    xy = np.asarray(poly, np.float64)
    return bool(xy.size and (xy[0::2].min() >= -0.5) and (xy[1::2].min() >= -0.5)
                and (xy[0::2].max() <= width + 0.5) and (xy[1::2].max() <= height + 0.5))


def _coco_image_files(images_dir: Path) -> dict[str, Path]:
    return {p.name: p for p in images_dir.rglob("*") if p.is_file()}


def coco_samples(data_dir: str | os.PathLike[str], annotations: str | os.PathLike[str] | None = None, *,
                 stems: Sequence[str] | None = None) -> tuple[list[InstanceSample], list[str]]:
    """The samples of a COCO instance data set and its class names (``categories`` in id order).

    Parameters
    ----------
    data_dir : path-like
        Holds ``images/`` (the ``file_name`` of each COCO image, relative to it).
    annotations : path-like, optional
        The COCO file (default ``data_dir/annotations.json``).
    stems : sequence of str, optional
        Only these images (file stems).

    Raises
    ------
    InvalidImageError
        An empty or invalid file, an image missing from ``images/`` or of
        another size than recorded, an annotation of an unknown image or
        category, a polygon outside its image, an unreadable mask.
    """
    root = Path(data_dir)
    path = Path(annotations) if annotations is not None else root / COCO_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such COCO annotation file.")
    if path.stat().st_size == 0:
        raise InvalidImageError(f"{path} is empty; expected a COCO instance file (images, annotations, categories).")
    doc = read_json(path)
    if not isinstance(doc, Mapping) or not isinstance(doc.get("images"), list) \
            or not isinstance(doc.get("annotations"), list):
        raise InvalidImageError(f"{path} is not a COCO instance file: it needs 'images' and 'annotations' lists.")
    if not doc["images"]:
        raise InvalidImageError(f"{path} lists no images; a COCO instance file needs 'images' and 'annotations'.")
    categories = sorted(doc.get("categories") or [], key=lambda c: int(c["id"]))
    if not categories:
        raise InvalidImageError(f"{path} has no 'categories'; list the object classes with their ids.")
    class_of = {int(c["id"]): k for k, c in enumerate(categories, start=1)}
    names = [str(c.get("name", c["id"])) for c in categories]
    files = _coco_image_files(root / "images")
    table: dict[int, tuple[Path, str, int, int]] = {}
    for entry in doc["images"]:
        try:
            image_id, name = int(entry["id"]), str(entry["file_name"])
            height, width = int(entry["height"]), int(entry["width"])
        except (KeyError, TypeError, ValueError):
            raise InvalidImageError(f"{path}: image entry {str(entry)[:80]} needs 'id', 'file_name', 'height' "
                                    "and 'width'.") from None
        file = root / "images" / name
        if not file.is_file():
            file = files.get(Path(name).name, file)
        if not file.is_file():
            raise InvalidImageError(f"{path}: image {image_id} ({name!r}) is not in {root / 'images'}.")
        table[image_id] = (file, stem_of(file), height, width)
    groups: dict[int, list[Mapping[str, Any]]] = {i: [] for i in table}
    for k, ann in enumerate(doc["annotations"]):
        ann_id = ann.get("id", f"#{k}")
        if int(ann.get("image_id", -1)) not in table:
            raise InvalidImageError(f"{path}: annotation {ann_id} names image_id {ann.get('image_id')!r}, which is "
                                    "not in 'images'.")
        if not ann.get("iscrowd") and int(ann.get("category_id", -1)) not in class_of:
            raise InvalidImageError(f"{path}: annotation {ann_id} has category_id {ann.get('category_id')!r}, which "
                                    f"is not in 'categories' (ids {sorted(class_of)}).")
        groups[int(ann["image_id"])].append(ann)
    wanted = None if stems is None else set(stems)
    samples = []
    for image_id, (file, stem, height, width) in table.items():
        if wanted is not None and stem not in wanted:
            continue
        image = read_image(file)
        if image.shape[:2] != (height, width):
            raise InvalidImageError(f"{path}: image {image_id} ({file}) is {image.shape[1]}x{image.shape[0]} but "
                                    f"recorded as {width}x{height}.")
        labels = np.zeros((height, width), np.int32)
        class_ids = [0]
        for k, ann in enumerate(groups[image_id]):
            ann_id = ann.get("id", f"#{k}")
            seg = ann.get("segmentation")
            if isinstance(seg, list) and not all(_polygon_inside(p, height, width) for p in seg):
                raise InvalidImageError(f"{path}: annotation {ann_id} has a polygon outside its image "
                                        f"{image_id} ({width}x{height}).")
            try:
                mask = annotation_mask(seg, (height, width))
            except InvalidImageError as exc:
                raise InvalidImageError(f"{path}: annotation {ann_id}: {exc}") from None
            if ann.get("iscrowd"):
                labels[mask] = -1
                continue
            class_ids.append(class_of[int(ann["category_id"])])
            labels[mask] = len(class_ids) - 1
        samples.append(InstanceSample(stem, file, f"{path}[{image_id}]", image, labels, np.array(class_ids)))
    if wanted is not None:
        unknown = sorted(wanted - {s.stem for s in samples})
        if unknown:
            raise InvalidParameterError(f"stem list: {', '.join(unknown[:5])} not found among the images of {path}.")
    return samples, names


def load_instance_samples(data_dir: str | os.PathLike[str], *, split: str | None = None,
                          stems: Sequence[str] | None = None, annotations: str | os.PathLike[str] | None = None,
                          what: str = "training") -> tuple[list[InstanceSample], list[str] | None]:
    """The samples of `data_dir` (COCO when it holds ``annotations.json`` or `annotations` is given).

    Returns
    -------
    samples : list of InstanceSample
    classes : list of str or None
        The COCO category names; None for label images (one unnamed class).
    """
    root = Path(data_dir)
    if annotations is not None or (root / COCO_FILE).is_file():
        if split is not None:
            raise InvalidParameterError(f"split: {root} is a COCO data set; choose its images with stem lists "
                                        "(train_list, val_list) instead of a split.")
        return coco_samples(root, annotations, stems=stems)
    samples = []
    for s in load_samples(root, split=split, stems=stems, what=what):
        ids = np.where(s.labels > 0, s.labels, 0)
        class_ids = np.minimum(np.bincount(ids.ravel()), 1).astype(np.int64)
        samples.append(InstanceSample(s.stem, s.image_path, str(s.labels_path), s.image, s.labels, class_ids))
    return samples, None


def check_objects(samples: Sequence[InstanceSample], where: str) -> None:
    """Raise when no sample holds an object (nothing to learn from).

    Raises
    ------
    InvalidParameterError
    """
    if not any((s.labels > 0).any() for s in samples):
        raise InvalidParameterError(f"{where}: the {len(samples)} labelled image(s) hold no object at all (every "
                                    "label is background); an instance model needs objects to learn.")
