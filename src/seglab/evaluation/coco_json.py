"""COCO instance and panoptic files, read without pycocotools.

- **Instance JSON** (``{"images", "annotations", "categories"}``): each
  annotation's ``segmentation`` is a compressed RLE (``{"size", "counts": str}``),
  an uncompressed RLE (``counts`` a list) or polygons (lists of
  ``x1, y1, x2, y2, ...``). Polygons are filled at the pixel centres
  ``(x + 0.5, y + 0.5)``, which reproduces pycocotools on axis-aligned shapes
  (except vertices exactly half-way between pixel corners, which pycocotools
  rounds up); on slanted edges single boundary pixels may differ. ``score`` is read when
  present. A **results list** (COCO's detection results format: a JSON list
  of ``{"image_id", "category_id", "segmentation", "score"}``) names images by
  id, so it needs the ground-truth JSON that defines them.
- **Panoptic** (a JSON with ``annotations[i].segments_info`` plus one PNG per
  image): segment ids are ``R + 256 G + 256**2 B`` of the PNG; 0 is
  unlabelled (void in the ground truth). ``categories[i].isthing`` tells
  things from stuff. The PNGs are looked up in the folder named like the
  JSON (``panoptic_val2017.json`` -> ``panoptic_val2017/``), then next to it.

Examples
--------
>>> import numpy as np
>>> rle_decode({"size": [2, 2], "counts": "13"}).astype(int).tolist()
[[0, 1], [1, 1]]
>>> panoptic_ids(np.array([[[1, 2, 0]]], np.uint8)).tolist()
[[513]]
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidImageError
from .formats import Instances, LabelData, stem_of

__all__ = [
    "rle_decode",
    "polygon_mask",
    "annotation_mask",
    "panoptic_ids",
    "read_json",
    "json_kind",
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


def _counts_from_string(text: str) -> list[int]:
    """Inverse of the COCO API's ``rleToString`` (maskApi.c ``rleFrString``)."""
    counts: list[int] = []
    pos = 0
    while pos < len(text):
        value, shift, more = 0, 0, True
        while more:
            if pos >= len(text):
                raise InvalidImageError("compressed RLE counts end in the middle of a number; the string is cut short.")
            c = ord(text[pos]) - 48
            value |= (c & 0x1F) << shift
            more = bool(c & 0x20)
            pos += 1
            shift += 5
            if not more and c & 0x10:
                value |= -1 << shift
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def rle_decode(rle: Mapping[str, Any]) -> NDArray[np.bool_]:
    """Decode a COCO RLE (compressed string or uncompressed list of counts) to an ``(H, W)`` mask.

    Raises
    ------
    InvalidImageError
        Malformed ``size``/``counts`` or counts that do not add up to ``H * W``.

    Examples
    --------
    >>> rle_decode({"size": [3, 3], "counts": "013000"}).astype(int).tolist()
    [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    >>> rle_decode({"size": [1, 3], "counts": [1, 2]}).astype(int).tolist()
    [[0, 1, 1]]
    """
    try:
        h, w = (int(v) for v in rle["size"])
        raw = rle["counts"]
    except (KeyError, TypeError, ValueError):
        raise InvalidImageError(f"an RLE must be {{'size': [H, W], 'counts': ...}}; got {str(rle)[:80]}.") from None
    if isinstance(raw, bytes):
        raw = raw.decode("ascii")
    counts = _counts_from_string(raw) if isinstance(raw, str) else [int(c) for c in raw]
    if any(c < 0 for c in counts) or sum(counts) != h * w:
        raise InvalidImageError(
            f"RLE counts add up to {sum(counts)} pixels (or hold negative runs) but size is {h}x{w} = {h * w}."
        )
    values = np.arange(len(counts)) % 2 == 1
    return np.repeat(values, counts).reshape(w, h).T


def polygon_mask(polygons: Any, shape: tuple[int, int]) -> NDArray[np.bool_]:
    """Fill COCO polygons (``[[x1, y1, x2, y2, ...], ...]``) into an ``(H, W)`` mask, exactly as pycocotools.

    Each polygon is rasterised by the rule of the COCO API's ``rleFrPoly``
    (``maskApi.c``): vertices are scaled by 5 and rounded, the outline is walked
    on that grid, and a pixel is inside between the column crossings of the
    outline, downsampled to pixel centres. This matches
    ``pycocotools.mask.frPyObjects`` pixel for pixel (a plain point-in-polygon
    test differs from it by a pixel on slanted edges, which moves mask AP).
    Several polygons are united, as ``COCO.annToMask`` does.

    Examples
    --------
    >>> polygon_mask([[1, 1, 5, 1, 5, 4, 1, 4]], (5, 6)).astype(int).sum(axis=0).tolist()
    [0, 3, 3, 3, 3, 0]
    """
    h, w = (int(n) for n in shape)
    toggles = np.zeros(h * w + 1, np.int64)
    mask = np.zeros(h * w, bool)
    for poly in polygons:
        xy = np.asarray(poly, np.float64)
        if xy.ndim != 1 or xy.size < 6 or xy.size % 2:
            raise InvalidImageError(f"a COCO polygon needs x, y pairs (at least 3 points); got {str(poly)[:80]}.")
        toggles[:] = 0
        np.add.at(toggles, _polygon_toggles(xy, h, w), 1)
        mask |= np.cumsum(toggles[:-1]) % 2 == 1
    return mask.reshape(w, h).T


def _polygon_toggles(xy: NDArray[np.float64], h: int, w: int) -> NDArray[np.int64]:
    """Column-major pixel indices where ``rleFrPoly``'s run-length mask switches between 0 and 1."""
    scale = 5.0
    x = np.trunc(scale * xy[0::2] + 0.5).astype(np.int64)  # C's (int) cast truncates toward zero
    y = np.trunc(scale * xy[1::2] + 0.5).astype(np.int64)
    xs, ys, xe, ye = x, y, np.roll(x, -1), np.roll(y, -1)
    us, vs = [], []
    for x0, y0, x1, y1 in zip(xs.tolist(), ys.tolist(), xe.tolist(), ye.tolist()):  # densify each edge
        dx, dy = abs(x1 - x0), abs(y0 - y1)
        flip = (dx >= dy and x0 > x1) or (dx < dy and y0 > y1)
        if flip:
            x0, x1, y0, y1 = x1, x0, y1, y0
        steps = np.arange(max(dx, dy) + 1)
        t = steps[::-1] if flip else steps
        if dx >= dy:
            slope = (y1 - y0) / dx if dx else 0.0
            us.append(t + x0)
            vs.append(np.trunc(y0 + slope * t + 0.5).astype(np.int64))
        else:
            slope = (x1 - x0) / dy
            vs.append(t + y0)
            us.append(np.trunc(x0 + slope * t + 0.5).astype(np.int64))
    u, v = np.concatenate(us), np.concatenate(vs)
    step = np.flatnonzero(u[1:] != u[:-1]) + 1  # points where the outline moves to another column
    xd = np.where(u[step] < u[step - 1], u[step], u[step] - 1)
    xd = (xd + 0.5) / scale - 0.5
    keep = (np.floor(xd) == xd) & (xd >= 0) & (xd <= w - 1)
    yd = (np.minimum(v[step], v[step - 1]) + 0.5) / scale - 0.5
    yd = np.ceil(np.clip(yd, 0, h))
    return (xd[keep] * h + yd[keep]).astype(np.int64)


def annotation_mask(segmentation: Any, shape: tuple[int, int]) -> NDArray[np.bool_]:
    """The mask of one COCO annotation's ``segmentation`` (RLE or polygons) in an image of `shape`.

    Examples
    --------
    >>> annotation_mask({"size": [1, 2], "counts": [0, 2]}, (1, 2)).tolist()
    [[True, True]]
    """
    if isinstance(segmentation, Mapping):
        mask = rle_decode(segmentation)
        if mask.shape != tuple(shape):
            raise InvalidImageError(f"an RLE has size {list(mask.shape)} but its image is {list(shape)}.")
        return mask
    if isinstance(segmentation, list):
        return polygon_mask(segmentation, shape)
    raise InvalidImageError(f"segmentation must be an RLE dict or a list of polygons; got {type(segmentation).__name__}.")


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
    >>> json_kind({"annotations": [{"segments_info": []}]}), json_kind({"method": "otsu"})
    ('panoptic', None)
    """
    if isinstance(doc, list):
        if doc and all(isinstance(a, Mapping) and "image_id" in a and "segmentation" in a for a in doc):
            return "results"
        return None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("annotations"), list):
        return None
    anns = doc["annotations"]
    if anns and all(isinstance(a, Mapping) and "segments_info" in a for a in anns):
        return "panoptic"
    if "images" in doc and all(isinstance(a, Mapping) and "segmentation" in a for a in anns):
        return "instance"
    return None


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
