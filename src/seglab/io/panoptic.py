"""COCO panoptic output: an RGB id PNG plus a JSON of its segments, as panopticapi reads them.

The PNG stores each pixel's segment id as ``R + 256 G + 256**2 B`` (0 is
unlabelled, so void, -1, is written as 0); the JSON is a one-image COCO
panoptic file whose annotation names the PNG and lists ``segments_info``
(``id``, ``category_id``, ``iscrowd``, ``isthing``, ``area``, ``bbox``, and
``score`` when known). Category ids are seglab class ids, so class 0
(background) is never a category. ``seglab eval`` reads both files back.

Examples
--------
>>> import numpy as np
>>> from seglab import Segment, Segmentation
>>> seg = Segmentation(np.array([[1, 2], [2, 0]], np.int32), "panoptic", classes=("bg", "car", "road"),
...                    segments={1: Segment(1, 0.9), 2: Segment(2, None, False)})
>>> panoptic_png(seg.labels)[0, 1].tolist()
[2, 0, 0]
>>> doc = panoptic_document(seg, png_name="a.panoptic.png", file_name="a.png")
>>> [(s["id"], s["category_id"], s["isthing"], s["area"]) for s in doc["annotations"][0]["segments_info"]]
[(1, 1, True, 1), (2, 2, False, 2)]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidImageError, InvalidParameterError
from ..core.types import Segmentation
from ..core.validate import as_labels
from .atomic import check_target, write_atomic
from .coco import bbox_xywh, segment_boxes
from .labels import encode_png
from .sidecar import json_bytes

__all__ = ["panoptic_png", "panoptic_ids", "panoptic_document", "panoptic_files", "write_panoptic"]

_MAX_ID = 256**3 - 1


def panoptic_png(labels: NDArray[np.int32] | Segmentation) -> NDArray[np.uint8]:
    """The ``(H, W, 3)`` uint8 RGB encoding of segment ids (void and 0 become 0).

    Raises
    ------
    InvalidParameterError
        If an id exceeds 16,777,215, the most three bytes can hold.
    """
    ids = np.maximum(labels.labels if isinstance(labels, Segmentation) else as_labels(labels), 0).astype(np.uint32)
    top = int(ids.max()) if ids.size else 0
    if top > _MAX_ID:
        raise InvalidParameterError(
            f"segment id {top} does not fit a COCO panoptic PNG (at most {_MAX_ID}); "
            "relabel the segments 1..N first (seglab.postprocess.relabel_sequential)."
        )
    return np.stack([ids & 255, (ids >> 8) & 255, ids >> 16], axis=-1).astype(np.uint8)


def panoptic_ids(rgb: NDArray) -> NDArray[np.int32]:
    """Segment ids of a COCO panoptic PNG: ``R + 256 G + 256**2 B``.

    Examples
    --------
    >>> panoptic_ids(np.zeros((1, 1, 3), np.uint8)).tolist()
    [[0]]
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise InvalidImageError(
            f"a COCO panoptic PNG must be 8-bit RGB (id = R + 256 G + 256^2 B); got {rgb.dtype} {rgb.shape}."
        )
    c = rgb.astype(np.int32)
    return c[..., 0] + 256 * c[..., 1] + 65536 * c[..., 2]


def panoptic_document(seg: Segmentation, *, png_name: str, file_name: str = "", image_id: int = 1) -> dict[str, Any]:
    """A one-image COCO panoptic JSON for `seg`, whose id PNG is named `png_name`.

    Parameters
    ----------
    seg : Segmentation
        A panoptic or instance result (instances are all things); see
        :func:`seglab.to_panoptic` to make one from a class map.
    png_name : str
        File name of the id PNG, as the annotation's ``file_name``.
    file_name : str, optional
        The segmented image's file name, for the ``images`` entry.
    image_id : int, optional
        The image id.

    Raises
    ------
    InvalidParameterError
        For a semantic result, which has no segments.
    """
    if seg.task == "semantic":
        raise InvalidParameterError(
            "COCO panoptic output lists segments, but this result is semantic (class ids per pixel); "
            "convert it first with seglab.to_panoptic(seg, things=[...]) (command line: --as panoptic)."
        )
    from .. import __version__

    labels = seg.labels  # a Segmentation's labels are already checked int32
    areas = np.bincount(np.maximum(labels, 0).ravel())
    segments_info = []
    # the thing classes the result declares (to_panoptic records them; an instance result's classes are all
    # things), so that an image without any object still says which categories are things
    declared = seg.meta.get("things") if seg.task == "panoptic" else range(1, len(seg.classes))
    thing_of: dict[int, bool] = {int(c): True for c in declared or ()}
    for sid, box, segment, class_id in segment_boxes(labels, seg):
        is_thing = bool(segment.is_thing) if segment is not None else True
        thing_of[class_id] = thing_of.get(class_id, False) or is_thing
        info = {
            "id": sid, "category_id": class_id, "iscrowd": 0, "isthing": is_thing, "area": int(areas[sid]),
            "bbox": bbox_xywh(box),
        }
        if segment is not None and segment.score is not None:
            info["score"] = float(segment.score)
        segments_info.append(info)
    names = dict(enumerate(seg.classes))
    class_ids = sorted((set(range(1, len(seg.classes))) | set(thing_of)) - {0})
    return {
        "info": {"description": f"seglab {seg.method}".strip(), "version": __version__},
        "images": [{"id": image_id, "file_name": file_name, "height": labels.shape[0], "width": labels.shape[1]}],
        "annotations": [{"image_id": image_id, "file_name": png_name, "segments_info": segments_info}],
        "categories": [{"id": c, "name": names.get(c, f"class_{c}"), "isthing": thing_of.get(c, False)}
                       for c in class_ids],
    }


def write_panoptic(
    path: str | os.PathLike[str], seg: Segmentation, *, file_name: str = "", overwrite: bool = False
) -> tuple[Path, Path]:
    """Write the id PNG at `path` and its JSON next to it (same name, ``.json``), each atomically.

    Returns
    -------
    (Path, Path)
        The PNG and the JSON.

    Examples
    --------
    >>> import tempfile, seglab
    >>> from seglab import Segment, Segmentation
    >>> seg = Segmentation(np.array([[1, 0]], np.int32), "instance", classes=("bg", "cell"),
    ...                    segments={1: Segment(1)})
    >>> png, js = write_panoptic(Path(tempfile.mkdtemp()) / "a.panoptic.png", seg)
    >>> js.name
    'a.panoptic.json'
    """
    files = panoptic_files(path, seg, file_name=file_name)
    for target in files:  # both or neither: never a PNG without its JSON
        check_target(target, overwrite=overwrite)
    png, js = (write_atomic(target, data, overwrite=overwrite) for target, data in files.items())
    return png, js


def panoptic_files(path: str | os.PathLike[str], seg: Segmentation, *, file_name: str = "") -> dict[Path, bytes]:
    """The content of the id PNG at `path` and of its JSON (same name, ``.json``), PNG first.

    Examples
    --------
    >>> from seglab import Segment, Segmentation
    >>> seg = Segmentation(np.array([[1]], np.int32), "instance", classes=("bg", "cell"), segments={1: Segment(1)})
    >>> [p.name for p in panoptic_files("out/a.panoptic.png", seg)]
    ['a.panoptic.png', 'a.panoptic.json']
    """
    png = Path(path)
    doc = panoptic_document(seg, png_name=png.name, file_name=file_name)
    return {png: encode_png(panoptic_png(seg)), png.with_suffix(".json"): json_bytes(doc)}
