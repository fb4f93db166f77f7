"""COCO masks: run-length encoding (RLE) and polygons, both ways; our own code, no pycocotools at run time.

Encoding produces the compressed RLE strings of the COCO API: counts of
alternating runs of 0 and 1 over the mask in column-major (Fortran) order,
starting with a run of zeros, stored as a LEB128-like string with each count
after the second given relative to the one two places before. Decoding reads
compressed and uncompressed RLE, and fills polygons exactly as pycocotools'
``rleFrPoly`` does.

Examples
--------
>>> import numpy as np
>>> rle_counts(np.array([[0, 1], [1, 1]], bool))
[1, 3]
>>> rle_encode(np.array([[0, 1], [1, 1]], bool))
{'size': [2, 2], 'counts': '13'}
>>> rle_decode({"size": [2, 2], "counts": "13"}).astype(int).tolist()
[[0, 1], [1, 1]]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidImageError, InvalidParameterError

__all__ = ["rle_counts", "rle_encode", "rle_of_positions", "rle_decode", "polygon_mask", "annotation_mask"]


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
    return rle_of_positions(np.flatnonzero(m.ravel(order="F")), m.shape)


def rle_of_positions(positions: NDArray[np.int64], shape: tuple[int, int]) -> dict[str, Any]:
    """Compressed RLE of an ``(H, W)`` mask given the sorted column-major indices of its 1 pixels.

    For masks known by their pixels (an instance inside its bounding box),
    without building the whole mask.

    Examples
    --------
    >>> rle_of_positions(np.array([0, 4, 8]), (3, 3))
    {'size': [3, 3], 'counts': '013000'}
    """
    h, w = (int(n) for n in shape)
    return {"size": [h, w], "counts": _compress(_runs(np.asarray(positions, np.int64), h * w))}


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
