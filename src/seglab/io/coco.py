"""COCO JSON files: instance documents written from a result, and any COCO file read back.

Masks are encoded as compressed RLE by :mod:`.rle` (our own code, equal to
the COCO API's). :func:`read_json` parses a file with one clear error and
:func:`json_kind` tells a COCO instance file, a results list and a panoptic
file apart from other JSON (such as seglab's sidecars).

Examples
--------
>>> import numpy as np
>>> from seglab import Segmentation
>>> doc = coco_document(Segmentation(np.array([[1, 0]], np.int32), "instance"), file_name="a.png")
>>> json_kind(doc), doc["annotations"][0]["segmentation"]
('instance', {'size': [1, 2], 'counts': '011'})
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidImageError, InvalidParameterError
from ..core.types import Segment, Segmentation
from .atomic import write_atomic
from .rle import rle_of_positions
from .sidecar import json_bytes

__all__ = ["coco_document", "write_coco", "read_json", "json_kind", "coco_defect", "segment_boxes", "bbox_xywh"]


def _instance_rle(labels: NDArray[np.int32], label: int, box: tuple[slice, slice]) -> tuple[dict[str, Any], int]:
    """RLE of ``labels == label`` computed inside its bounding box only."""
    height = labels.shape[0]
    sub = labels[box] == label
    rows, cols = np.nonzero(sub.T)[::-1]  # column-major order, as RLE needs
    positions = (cols + box[1].start).astype(np.int64) * height + rows + box[0].start
    return rle_of_positions(positions, labels.shape), int(rows.size)


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
    from scipy import ndimage as ndi  # here, not at import: reading and writing files need no SciPy

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
    class_ids = sorted(used_classes | set(range(1, len(seg.classes))))  # class 0 is background, not a category
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


def read_json(path: str | os.PathLike[str]) -> Any:
    """Parse a JSON file, with one clear error for a file that is not JSON.

    Examples
    --------
    >>> import tempfile
    >>> path = tempfile.mkdtemp() + "/x.json"
    >>> _ = open(path, "w").write("{oops")
    >>> read_json(path)
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidImageError: ...x.json is not valid JSON (line 1, column 2: ...); ...
    """
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise InvalidImageError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "expected a COCO instance or panoptic file."
        ) from None
    except UnicodeDecodeError:
        raise InvalidImageError(f"{path} is not a UTF-8 text file; expected COCO JSON.") from None


def json_kind(doc: Any) -> Literal["instance", "results", "panoptic"] | None:
    """Which COCO file `doc` is, or None for other JSON (e.g. seglab's sidecar files).

    Examples
    --------
    >>> json_kind({"images": [], "annotations": []}), json_kind([{"image_id": 1, "segmentation": []}])
    ('instance', 'results')
    >>> json_kind({"annotations": [{"segments_info": []}]}), json_kind({"method": "otsu"}), json_kind([])
    ('panoptic', None, 'results')

    An empty list is a results list that found nothing. :func:`coco_defect`
    says what is wrong with a file that looks like COCO but is not one of these.
    """
    if isinstance(doc, list):
        if all(isinstance(a, Mapping) and "image_id" in a and "segmentation" in a for a in doc):
            return "results"
        return None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("annotations"), list):
        return None
    anns = doc["annotations"]
    if anns and all(isinstance(a, Mapping) and "segments_info" in a for a in anns):
        return "panoptic"
    if "images" in doc and all(isinstance(a, Mapping) and "segmentation" in a and "image_id" in a for a in anns):
        return "instance"
    return None


def coco_defect(doc: Any) -> str | None:
    """What keeps `doc`, which looks like a COCO instance file or results list, from being one; None otherwise.

    Examples
    --------
    >>> coco_defect([{"image_id": 1, "bbox": [0, 0, 2, 2], "score": 0.9}])
    "result 0 has no 'segmentation' (seglab scores masks: bbox-only detections cannot be scored)."
    >>> coco_defect({"images": [], "annotations": [{"id": 7, "segmentation": []}]})
    "annotation 0 (id 7) has no 'image_id'; give each annotation its image_id and a polygon or RLE segmentation."
    >>> coco_defect({"method": "otsu"}) is None
    True
    """
    if isinstance(doc, list):
        for k, entry in enumerate(doc):
            if isinstance(entry, Mapping) and ("image_id" in entry or "category_id" in entry):
                missing = " or ".join(repr(key) for key in ("image_id", "segmentation") if key not in entry)
                if missing:
                    return f"result {k} has no {missing} (seglab scores masks: bbox-only detections cannot be scored)."
        return None
    if not isinstance(doc, Mapping) or not ("images" in doc or "categories" in doc):
        return None
    anns = doc.get("annotations")
    if not isinstance(anns, list):
        return "it has 'images' or 'categories' but no 'annotations' list (an empty list when there is no object)."
    for k, ann in enumerate(anns):
        if not isinstance(ann, Mapping):
            return f"annotation {k} is not a JSON object."
        missing = " or ".join(repr(key) for key in ("image_id", "segmentation") if key not in ann)
        if missing and "segments_info" not in ann:
            return (f"annotation {k} (id {ann.get('id')}) has no {missing}; give each annotation its image_id and a "
                    "polygon or RLE segmentation.")
    return None
