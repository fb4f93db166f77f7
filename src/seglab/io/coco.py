"""COCO instance JSON with run-length encoded (RLE) masks.

The encoder is our own (no pycocotools needed at run time) and produces the
compressed RLE strings of the COCO API: counts of alternating runs of 0 and 1
over the mask in column-major (Fortran) order, starting with a run of zeros,
stored as a LEB128-like string with each count after the second given
relative to the one two places before.

Examples
--------
>>> import numpy as np
>>> rle_counts(np.array([[0, 1], [1, 1]], bool))
[1, 3]
>>> rle_encode(np.array([[0, 1], [1, 1]], bool))
{'size': [2, 2], 'counts': '13'}
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage as ndi

from ..core.errors import InvalidParameterError
from ..core.types import Segment, Segmentation
from .atomic import write_atomic
from .sidecar import json_bytes

__all__ = ["rle_counts", "rle_encode", "coco_document", "write_coco"]


def _runs(positions: NDArray[np.int64], total: int) -> list[int]:
    """Alternating 0/1 run lengths from the sorted column-major indices of the 1 pixels."""
    if positions.size == 0:
        return [total]
    breaks = np.flatnonzero(np.diff(positions) != 1)
    starts = positions[np.r_[0, breaks + 1]]
    ends = positions[np.r_[breaks, positions.size - 1]] + 1
    counts = np.empty(2 * starts.size, np.int64)
    counts[0::2] = np.r_[starts[0], starts[1:] - ends[:-1]]  # zeros before each run of ones
    counts[1::2] = ends - starts
    tail = total - int(ends[-1])
    return counts.tolist() + ([tail] if tail else [])


def rle_counts(mask: ArrayLike) -> list[int]:
    """Uncompressed COCO RLE counts of a 2-D boolean mask.

    Examples
    --------
    >>> rle_counts(np.zeros((2, 3), bool)), rle_counts(np.ones((1, 2), bool))
    ([6], [0, 2])
    """
    m = np.asarray(mask, dtype=bool)
    return _runs(np.flatnonzero(m.ravel(order="F")), m.size)


def _compress(counts: list[int]) -> str:
    """The COCO API's string form of RLE counts (maskApi.c ``rleToString``)."""
    out = []
    for i, count in enumerate(counts):
        x = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = x != -1 if c & 0x10 else x != 0
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def rle_encode(mask: ArrayLike) -> dict[str, Any]:
    """Compressed COCO RLE ``{"size": [H, W], "counts": str}`` of a 2-D boolean mask.

    ``pycocotools.mask.decode`` reads it back (after encoding ``counts`` to bytes).

    Examples
    --------
    >>> rle_encode(np.eye(3, dtype=bool))
    {'size': [3, 3], 'counts': '013000'}
    """
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 2:
        raise InvalidParameterError(f"RLE needs a 2-D mask; got shape {m.shape}.")
    return {"size": [int(m.shape[0]), int(m.shape[1])], "counts": _compress(rle_counts(m))}


def _instance_rle(labels: NDArray[np.int32], label: int, box: tuple[slice, slice]) -> tuple[dict[str, Any], int]:
    """RLE of ``labels == label`` computed inside its bounding box only."""
    height = labels.shape[0]
    sub = labels[box] == label
    rows, cols = np.nonzero(sub.T)[::-1]  # column-major order, as RLE needs
    positions = (cols + box[1].start).astype(np.int64) * height + rows + box[0].start
    counts = _runs(positions, labels.size)
    return {"size": [int(labels.shape[0]), int(labels.shape[1])], "counts": _compress(counts)}, int(rows.size)


def segment_boxes(
    labels: NDArray[np.int32], seg: Segmentation
) -> Iterator[tuple[int, tuple[slice, slice], Segment | None, int]]:
    """``(id, bounding box, its Segment or None, class id)`` of every id > 0 present in `labels`, in id order.

    Examples
    --------
    >>> from seglab import Segmentation
    >>> lab = np.array([[0, 2]], np.int32)
    >>> [(i, bbox_xywh(box), c) for i, box, _, c in segment_boxes(lab, Segmentation(lab, "instance"))]
    [(2, [1, 0, 1, 1], 0)]
    """
    for index, box in enumerate(ndi.find_objects(np.where(labels > 0, labels, 0))):
        if box is not None:
            segment = seg.segments.get(index + 1)
            yield index + 1, box, segment, int(segment.class_id) if segment is not None else 0


def bbox_xywh(box: tuple[slice, slice]) -> list[int]:
    """COCO's ``[x, y, width, height]`` of a ``(rows, cols)`` slice pair."""
    return [box[1].start, box[0].start, box[1].stop - box[1].start, box[0].stop - box[0].start]


def coco_document(seg: Segmentation, *, image_id: int = 1, file_name: str = "") -> dict[str, Any]:
    """A COCO instance dataset (one image) holding the segments of `seg`.

    Parameters
    ----------
    seg : Segmentation
        An instance or panoptic result; each positive label becomes one annotation.
    image_id : int
        The ``id`` of the image entry.
    file_name : str
        The image entry's ``file_name`` (the segmented file).

    Returns
    -------
    dict
        ``info, images, categories, annotations``. Category ids equal seglab
        class ids (``seg.classes`` names them; "object" when a method has no
        classes). Each annotation holds ``segmentation`` (compressed RLE),
        ``area``, ``bbox`` ``[x, y, width, height]``, ``iscrowd: 0``,
        ``score`` when known, and ``seglab_label``, its id in the label image.

    Raises
    ------
    InvalidParameterError
        For a semantic result: COCO instance files list objects.

    Examples
    --------
    >>> from seglab import Segmentation
    >>> seg = Segmentation(labels=np.array([[1, 0], [0, 2]], np.int32), task="instance")
    >>> doc = coco_document(seg, file_name="a.png")
    >>> [(a["seglab_label"], a["bbox"], a["area"]) for a in doc["annotations"]]
    [(1, [0, 0, 1, 1], 1), (2, [1, 1, 1, 1], 1)]
    """
    if seg.task == "semantic":
        raise InvalidParameterError(
            f"COCO output lists object instances, but {seg.method or 'this'} result is semantic "
            "(class ids per pixel). Use an instance or panoptic method, convert it with "
            "seglab.to_instance(seg) (command line: --as instance), or drop coco from the outputs."
        )
    from .. import __version__

    labels = seg.labels  # a Segmentation's labels are already checked int32
    height, width = labels.shape
    annotations = []
    used_classes = set()
    for label, box, segment, class_id in segment_boxes(labels, seg):
        rle, area = _instance_rle(labels, label, box)
        used_classes.add(class_id)
        ann = {
            "id": len(annotations) + 1,
            "image_id": image_id,
            "category_id": class_id,
            "segmentation": rle,
            "area": area,
            "bbox": bbox_xywh(box),
            "iscrowd": 0,
            "seglab_label": label,
        }
        if segment is not None and segment.score is not None:
            ann["score"] = float(segment.score)
        annotations.append(ann)
    class_ids = sorted(used_classes | set(range(len(seg.classes))))
    names = {i: (seg.classes[i] if i < len(seg.classes) else "object" if not seg.classes else f"class_{i}") for i in class_ids}
    return {
        "info": {"description": f"seglab {seg.method}".strip(), "version": __version__},
        "images": [{"id": image_id, "file_name": file_name, "height": height, "width": width}],
        "categories": [{"id": i, "name": names[i]} for i in class_ids],
        "annotations": annotations,
    }


def write_coco(
    path: str | os.PathLike[str],
    seg: Segmentation,
    *,
    image_id: int = 1,
    file_name: str = "",
    overwrite: bool = False,
) -> Path:
    """Write :func:`coco_document` of `seg` as JSON, atomically.

    Parameters
    ----------
    path : str or path-like
        Destination ``.json`` file.
    seg : Segmentation
        An instance or panoptic result.
    image_id, file_name
        As in :func:`coco_document`.
    overwrite : bool
        Replace an existing file (default: refuse).

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> from seglab import Segmentation
    >>> seg = Segmentation(labels=np.array([[0, 1], [1, 1]], np.int32), task="instance")
    >>> path = write_coco(pathlib.Path(tempfile.mkdtemp()) / "c.json", seg)
    >>> json.loads(path.read_text())["annotations"][0]["segmentation"]
    {'size': [2, 2], 'counts': '13'}
    """
    doc = coco_document(seg, image_id=image_id, file_name=file_name)
    return write_atomic(path, json_bytes(doc, indent=None), overwrite=overwrite)
