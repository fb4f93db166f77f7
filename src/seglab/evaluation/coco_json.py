"""COCO instance, results and panoptic files as evaluation entries (one :class:`LabelData` per image).

The file formats are decoded in :mod:`seglab.io` (:mod:`seglab.io.rle` for
RLE and polygons, :mod:`seglab.io.panoptic` for the id PNGs); this module
turns a parsed document into entries paired by image stem:

- **Instance JSON** (``{"images", "annotations", "categories"}``): one entry
  per image, its annotations' masks, categories, crowd flags and scores.
- A **results list** (COCO's detection results format: a JSON list of
  ``{"image_id", "category_id", "segmentation", "score"}``) names images by
  id, so it needs the ground-truth JSON that defines them.
- **Panoptic** (a JSON with ``annotations[i].segments_info`` plus one PNG per
  image): 0 is unlabelled (void in the ground truth); ``categories[i].isthing``
  tells things from stuff. The PNGs are looked up in the folder named like
  the JSON (``panoptic_val2017.json`` -> ``panoptic_val2017/``), then next to it.

Examples
--------
>>> doc = {"images": [{"id": 1, "file_name": "a.png", "height": 1, "width": 2}],
...        "annotations": [{"image_id": 1, "category_id": 1, "segmentation": {"size": [1, 2], "counts": [1, 1]}}],
...        "categories": [{"id": 1, "name": "cell"}]}
>>> [(stem, load().kind) for stem, _, load in instance_entries(doc, "gt.json")]
[('a', 'instances')]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InvalidImageError
from ..io.naming import stem_of
from ..io.panoptic import panoptic_ids
from ..io.rle import annotation_mask
from .formats import Instances, LabelData

__all__ = [
    "instance_entries",
    "results_entries",
    "panoptic_entries",
    "image_table",
    "ImageTable",
]

#: (stem, source, loader) of one image inside a JSON file.
Entry = tuple[str, str, Callable[[], LabelData]]
#: image id -> (stem, height, width), from a COCO ``images`` list.
ImageTable = dict[int, tuple[str, int, int]]


def image_table(doc: Mapping[str, Any], source: str) -> ImageTable:
    """image id -> (stem, height, width) of a COCO document's ``images``.

    Examples
    --------
    >>> image_table({"images": [{"id": 3, "file_name": "a/b.png", "height": 2, "width": 4}]}, "x.json")
    {3: ('b', 2, 4)}
    """
    table: ImageTable = {}
    for img in doc.get("images", []):
        try:
            table[int(img["id"])] = (stem_of(img["file_name"]), int(img["height"]), int(img["width"]))
        except (KeyError, TypeError, ValueError):
            raise InvalidImageError(
                f"{source}: every entry of 'images' needs 'id', 'file_name', 'height' and 'width'; got {str(img)[:80]}."
            ) from None
    return table


def _instances(anns: list[Mapping[str, Any]], shape: tuple[int, int], source: str) -> LabelData:
    masks = np.zeros((len(anns), *shape), bool)
    for i, ann in enumerate(anns):
        try:
            masks[i] = annotation_mask(ann["segmentation"], shape)
        except InvalidImageError as exc:
            raise InvalidImageError(f"{source}: annotation {ann.get('id', i)}: {exc}") from None
    has_scores = any("score" in a for a in anns)
    if has_scores and not all("score" in a for a in anns):
        raise InvalidImageError(f"{source}: some annotations have a 'score' and some do not; give all or none.")
    return LabelData(
        source=source,
        kind="instances",
        instances=Instances(
            masks=masks,
            category_ids=np.array([int(a.get("category_id", 0)) for a in anns], np.int64),
            scores=np.array([float(a["score"]) for a in anns], np.float64) if has_scores else None,
            iscrowd=np.array([bool(a.get("iscrowd", 0)) for a in anns], bool),
        ),
    )


def _group(anns: list[Mapping[str, Any]], table: ImageTable, source: str) -> dict[int, list[Mapping[str, Any]]]:
    groups: dict[int, list[Mapping[str, Any]]] = {i: [] for i in table}
    for ann in anns:
        image_id = int(ann["image_id"])
        if image_id not in groups:
            raise InvalidImageError(f"{source}: an annotation names image_id {image_id}, which is not in 'images'.")
        groups[image_id].append(ann)
    return groups


def instance_entries(doc: Mapping[str, Any], source: str) -> list[Entry]:
    """One entry per image of a COCO instance JSON (images without annotations included).

    Examples
    --------
    >>> doc = {"images": [{"id": 1, "file_name": "a.png", "height": 1, "width": 2}],
    ...        "annotations": [{"image_id": 1, "segmentation": {"size": [1, 2], "counts": [1, 1]}}]}
    >>> [(stem, load().instances.masks.astype(int).tolist()) for stem, _, load in instance_entries(doc, "d.json")]
    [('a', [[[0, 1]]])]
    """
    table = image_table(doc, source)
    groups = _group(doc["annotations"], table, source)
    return [
        (stem, f"{source}[{stem}]", lambda a=groups[i], s=(h, w), src=f"{source}[{stem}]": _instances(a, s, src))
        for i, (stem, h, w) in table.items()
    ]


def results_entries(results: list[Mapping[str, Any]], source: str, images: ImageTable) -> list[Entry]:
    """Entries of a COCO results list, resolved with the ground truth's `images` table.

    Images of the table without any result get an entry with no instance.

    Examples
    --------
    >>> res = [{"image_id": 7, "category_id": 1, "score": 0.5, "segmentation": {"size": [1, 1], "counts": [0, 1]}}]
    >>> [(stem, load().instances.scores.tolist()) for stem, _, load in results_entries(res, "r.json", {7: ("a", 1, 1)})]
    [('a', [0.5])]
    """
    groups = _group(results, images, source)
    return [
        (stem, f"{source}[{stem}]", lambda a=groups[i], s=(h, w), src=f"{source}[{stem}]": _instances(a, s, src))
        for i, (stem, h, w) in images.items()
    ]


def _categories(doc: Mapping[str, Any], source: str) -> dict[int, bool] | None:
    cats = doc.get("categories")
    if cats is None:
        return None
    try:
        return {int(c["id"]): bool(c["isthing"]) for c in cats}
    except (KeyError, TypeError, ValueError):
        raise InvalidImageError(f"{source}: every panoptic category needs an 'id' and 'isthing'.") from None


def _panoptic(png: Path, info: list[Mapping[str, Any]], categories: dict[int, bool] | None, source: str) -> LabelData:
    from ..io import read_image

    if not png.is_file():
        raise InvalidImageError(f"{source}: its PNG {png} does not exist; put the PNGs in a folder named like the JSON.")
    ids = panoptic_ids(read_image(png))
    segments = {}
    for seg in info:
        try:
            segments[int(seg["id"])] = {
                "category_id": int(seg["category_id"]),
                "iscrowd": int(seg.get("iscrowd", 0)),
                **({"isthing": bool(seg["isthing"])} if "isthing" in seg else {}),
            }
        except (KeyError, TypeError, ValueError):
            raise InvalidImageError(f"{source}: every entry of segments_info needs 'id' and 'category_id'.") from None
    return LabelData(source=source, kind="panoptic", labels=ids, segments=segments, categories=categories)


def panoptic_entries(doc: Mapping[str, Any], path: str | os.PathLike[str]) -> list[Entry]:
    """One entry per annotation of a COCO panoptic JSON; the PNG is read when the entry is loaded.

    Examples
    --------
    >>> doc = {"annotations": [{"file_name": "a.png", "image_id": 1, "segments_info": []}]}
    >>> [stem for stem, _, _ in panoptic_entries(doc, "/tmp/p.json")]
    ['a']
    """
    path = Path(path)
    categories = _categories(doc, str(path))
    out: list[Entry] = []
    for ann in doc["annotations"]:
        name = ann.get("file_name")
        if not isinstance(name, str):
            raise InvalidImageError(f"{path}: every panoptic annotation needs the 'file_name' of its PNG.")
        png = path.with_suffix("") / name
        if not png.is_file() and (path.parent / name).is_file():
            png = path.parent / name
        source = f"{path}[{name}]"
        out.append((stem_of(name), source,
                    lambda p=png, i=list(ann["segments_info"]), s=source: _panoptic(p, i, categories, s)))
    return out
