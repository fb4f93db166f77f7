"""Colour segmentation: HSV ranges and CIE Lab colour distance.

Both methods are pointwise: each pixel is labelled from its own colour. They
take ``(H, W, 3)`` RGB images: uint8, uint16, or float in [0, 1].

Hue is in degrees (0-360, wrapping: ``(340, 20)`` is red), saturation and
value are fractions in [0, 1] (value = ``max(R, G, B) / white`` with
``white`` = 255 for uint8, 65535 for uint16, 1 for float). Lab is CIE L*a*b*
(D65, 2 degree observer, sRGB), the same conversion as
``skimage.color.rgb2lab``.

Examples
--------
>>> import numpy as np
>>> from seglab.classical.color import hsv_range
>>> img = np.zeros((2, 2, 3), np.uint8); img[0] = (220, 30, 30); img[1] = (30, 200, 40)
>>> seg = hsv_range(img, ranges=["red", "green"])
>>> seg.classes, seg.labels.tolist()
(('background', 'red', 'green'), [[1, 1], [2, 2]])
"""

from __future__ import annotations

import functools
import itertools
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidImageError, InvalidParameterError, did_you_mean
from ..core.jit import jit
from ..core.params import JSON, Interval
from ..core.registry import register
from ..core.types import Segmentation
from ..core.validate import as_image, check_param, float_dtype_for

__all__ = ["hsv_range", "color_distance", "rgb_to_lab", "rgb_to_hsv", "white_level", "HSV_PRESETS"]

#: Named HSV ranges: hue arc in degrees, saturation and value as fractions.
#: The eight hue presets tile the colour circle; ``skin`` is the classic
#: H 0-50, S 0.23-0.68 rule of Sobottka and Pitas (1998).
HSV_PRESETS: Mapping[str, Mapping[str, tuple[float, float]]] = {
    "red": {"hue": (340, 20), "saturation": (0.3, 1), "value": (0.2, 1)},
    "orange": {"hue": (20, 45), "saturation": (0.3, 1), "value": (0.2, 1)},
    "yellow": {"hue": (45, 70), "saturation": (0.3, 1), "value": (0.2, 1)},
    "green": {"hue": (70, 160), "saturation": (0.3, 1), "value": (0.2, 1)},
    "cyan": {"hue": (160, 200), "saturation": (0.3, 1), "value": (0.2, 1)},
    "blue": {"hue": (200, 260), "saturation": (0.3, 1), "value": (0.2, 1)},
    "purple": {"hue": (260, 300), "saturation": (0.3, 1), "value": (0.2, 1)},
    "magenta": {"hue": (300, 340), "saturation": (0.3, 1), "value": (0.2, 1)},
    "skin": {"hue": (0, 50), "saturation": (0.23, 0.68), "value": (0.35, 1)},
    "white": {"hue": (0, 360), "saturation": (0, 0.15), "value": (0.8, 1)},
    "gray": {"hue": (0, 360), "saturation": (0, 0.15), "value": (0.2, 0.8)},
    "black": {"hue": (0, 360), "saturation": (0, 1), "value": (0, 0.2)},
}

#: Pixels per block: intermediate arrays stay in cache and are reused, so
#: only the output is allocated at full size (8-bit HSV blocks are smaller
#: arrays, so they take more pixels for the same cache footprint).
_BLOCK_PIXELS = 1 << 16
#: hsv_range's blocks: the whole image up to _HSV_WHOLE pixels (at 512², four 64K-pixel blocks took 197 us in
#: cvtColor against 98 us for one whole-image call), above it a quarter of the image, at most _HSV_BLOCK_MAX
#: (1M-pixel blocks 0.83x the floor at 4096², 64K blocks 1.01x; 0.99x at 2048²).
_HSV_WHOLE, _HSV_BLOCK_MAX = 1 << 18, 1 << 20

#: sRGB -> XYZ (D65) matrix, and the D65 2-degree white: scikit-image's values.
_XYZ_FROM_RGB = np.array(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]]
)
_D65 = np.array([0.95047, 1.0, 1.08883])
#: f(X), f(Y), f(Z) -> L*, a*, b* as one affine map.
_LAB_FROM_F = np.array([[0.0, 116.0, 0.0, -16.0], [500.0, -500.0, 0.0, 0.0], [0.0, 200.0, -200.0, 0.0]])
_HUE_STEP_U8 = 360.0 / 256.0  # OpenCV's 8-bit full-range hue


def white_level(dtype: np.dtype | type) -> float:
    """Value of white for an RGB dtype: 255 (uint8), 65535 (uint16), 1 (float).

    Raises
    ------
    InvalidImageError
        For other dtypes, whose white level is ambiguous.

    Examples
    --------
    >>> white_level(np.uint16)
    65535.0
    """
    dt = np.dtype(dtype)
    if dt == np.uint8:
        return 255.0
    if dt == np.uint16:
        return 65535.0
    if dt.kind == "f":
        return 1.0
    raise InvalidImageError(
        f"colour conversion needs uint8, uint16 or float RGB (float in [0, 1]); got dtype {dt}. "
        "Convert with image.astype(np.uint16) if the values fit, or divide by the white level."
    )


def _blocks(height: int, width: int, pixels: int = _BLOCK_PIXELS) -> Iterator[slice]:
    step = max(1, pixels // width)
    for r0 in range(0, height, step):
        yield slice(r0, min(height, r0 + step))


@functools.lru_cache(maxsize=4)
def _linear_lut(bits: int, ftype: type) -> NDArray:
    x = np.arange(2**bits, dtype=np.float64) / (2**bits - 1)
    return _srgb_to_linear(x).astype(ftype)


def _srgb_to_linear(x: NDArray) -> NDArray:
    lin = np.power((x + 0.055) / 1.055, 2.4)
    small = x <= 0.04045
    lin[small] = x[small] / 12.92
    return lin


def _lab_f_block(rgb: NDArray, ftype: type) -> NDArray:
    """CIE f(X/Xn), f(Y/Yn), f(Z/Zn) of one block of validated RGB, in `ftype` (skimage's formulas)."""
    import cv2

    rgb = np.ascontiguousarray(rgb)
    if rgb.dtype == np.uint8:
        lin = cv2.LUT(rgb, _linear_lut(8, ftype))
    elif rgb.dtype == np.uint16:
        lin = np.take(_linear_lut(16, ftype), rgb)
    else:
        lin = _srgb_to_linear(rgb.astype(ftype))
    xyz = cv2.transform(lin, (_XYZ_FROM_RGB / _D65[:, None]).astype(ftype))
    small = xyz <= 0.008856
    linear_part = 7.787 * xyz[small] + 16.0 / 116.0
    f = np.cbrt(xyz, out=xyz)
    f[small] = linear_part
    return f


def _lab_block(rgb: NDArray, ftype: type) -> NDArray:
    """CIE Lab of one block of validated RGB, in `ftype`."""
    import cv2

    return cv2.transform(_lab_f_block(rgb, ftype), _LAB_FROM_F.astype(ftype))


def rgb_to_lab(image: ArrayLike) -> NDArray:
    """CIE L*a*b* (D65, 2 degree observer) of an sRGB image.

    Same formulas and constants as ``skimage.color.rgb2lab``, computed in
    float32 (float64 for float64 input): L* in [0, 100], a*, b* about
    [-128, 127].

    Parameters
    ----------
    image : (H, W, 3) ndarray
        RGB, uint8, uint16 or float in [0, 1].

    Returns
    -------
    (H, W, 3) ndarray of float32 or float64

    Examples
    --------
    >>> rgb_to_lab(np.array([[[255, 255, 255]]], np.uint8)).round(2).tolist()
    [[[100.0, 0.0, 0.0]]]
    """
    img = as_image(image, kind="color")
    white_level(img.dtype)
    ftype = float_dtype_for(img.dtype)
    out = np.empty(img.shape, ftype)
    for rows in _blocks(*img.shape[:2]):
        out[rows] = _lab_block(img[rows], ftype)
    return out


def rgb_to_hsv(image: ArrayLike) -> NDArray[np.float32]:
    """HSV of an RGB image: hue in degrees [0, 360), saturation and value in [0, 1].

    Value is ``max(R, G, B) / white`` (see :func:`white_level`); achromatic
    pixels have hue 0. Computed in float32 with OpenCV's float conversion
    (hue within 0.002 degrees of the exact value).

    Parameters
    ----------
    image : (H, W, 3) ndarray
        RGB, uint8, uint16 or float in [0, 1].

    Returns
    -------
    (H, W, 3) ndarray of float32

    Examples
    --------
    >>> rgb_to_hsv(np.array([[[0, 255, 0]]], np.uint8)).tolist()
    [[[120.0, 1.0, 1.0]]]
    """
    import cv2

    img = as_image(image, kind="color")
    white = white_level(img.dtype)
    out = np.empty(img.shape, np.float32)
    for rows in _blocks(*img.shape[:2]):
        cv2.cvtColor(np.ascontiguousarray(img[rows], dtype=np.float32), cv2.COLOR_RGB2HSV, dst=out[rows])
    out[..., 2] *= np.float32(1.0 / white)
    np.copyto(out[..., 0], 0, where=out[..., 0] >= 360)  # float32 rounding can give 360, which is 0
    return out


# --------------------------------------------------------------------------- hsv_range


def _number_pair(value: Any, what: str, lo: float, hi: float, where: str) -> tuple[float, float]:
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str)
        or len(value) != 2
        or not all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in value)
    ):
        raise InvalidParameterError(f"ranges: {where} {what} must be a pair of numbers (min, max); got {value!r}.")
    a, b = float(value[0]), float(value[1])
    for v in (a, b):
        if not lo <= v <= hi:  # also rejects NaN
            unit = "degrees" if what == "hue" else "(a fraction; value = max(R, G, B) / white)"
            fix = " Hue wraps around: use (340, 20) for red." if what == "hue" else ""
            raise InvalidParameterError(
                f"ranges: {where} {what} bound {v:g} is outside [{lo:g}, {hi:g}] {unit}; "
                f"bounds are rejected, not clipped.{fix}"
            )
    if what != "hue" and a > b:
        raise InvalidParameterError(f"ranges: {where} {what} min {a:g} is greater than max {b:g}.")
    return a, b


_RANGE_KEYS = ("hue", "saturation", "value", "name")


def _parse_range(spec: Any, index: int) -> dict[str, Any]:
    where = f"range {index}"
    if isinstance(spec, str):
        key = spec.lower()
        if key not in HSV_PRESETS:
            raise InvalidParameterError(
                f"ranges: unknown preset {spec!r}.{did_you_mean(key, HSV_PRESETS)} "
                f"Presets: {', '.join(HSV_PRESETS)}."
            )
        return {"name": key, **{k: list(v) for k, v in HSV_PRESETS[key].items()}}
    if isinstance(spec, Mapping):
        unknown = [k for k in spec if k not in _RANGE_KEYS]
        if unknown:
            raise InvalidParameterError(
                f"ranges: {where} has unknown key {unknown[0]!r}; allowed keys: {', '.join(_RANGE_KEYS)}."
            )
        name = spec.get("name", f"range{index + 1}")
        check_param(isinstance(name, str) and name != "", "ranges", f"{where} name must be a non-empty string.")
        fields = {"hue": (0.0, 360.0), "saturation": (0.0, 1.0), "value": (0.0, 1.0)}
        out = {"name": name}
        for key, full in fields.items():
            out[key] = list(_number_pair(spec.get(key, full), key, *full, where))
        return out
    if isinstance(spec, Sequence) and len(spec) in (2, 4, 6):
        keys = ("hue", "saturation", "value")[: len(spec) // 2]
        return _parse_range({k: spec[2 * i : 2 * i + 2] for i, k in enumerate(keys)}, index)
    raise InvalidParameterError(
        f"ranges: {where} must be a preset name, a dict with keys hue/saturation/value/name, or a tuple "
        f"(hue_min, hue_max[, s_min, s_max[, v_min, v_max]]); got {spec!r}."
    )


def _parse_ranges(ranges: Any) -> list[dict[str, Any]]:
    if isinstance(ranges, (str, Mapping)):
        ranges = [ranges]
    elif isinstance(ranges, Sequence) and ranges and not isinstance(ranges[0], (str, Mapping, Sequence)):
        ranges = [ranges]  # one bare tuple such as (340, 20)
    check_param(
        isinstance(ranges, Sequence) and 0 < len(ranges) < 256,
        "ranges",
        f"give 1 to 255 ranges (preset names, dicts or tuples); got {ranges!r}.",
    )
    parsed = [_parse_range(r, i) for i, r in enumerate(ranges)]
    names = [r["name"] for r in parsed]
    check_param(len(set(names)) == len(names), "ranges", f"range names must be unique; got {names}.")
    return parsed


def _in_arc(theta: NDArray, lo: float, hi: float) -> NDArray[np.bool_]:
    """Whether hues `theta` (degrees) lie on the arc from `lo` to `hi` (wrapping when lo > hi)."""
    span = hi - lo if lo <= hi else hi - lo + 360.0
    return np.mod(theta - lo, 360.0) <= span


def _runs(selected: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Inclusive (start, end) index runs of True values."""
    edges = np.diff(np.concatenate([[0], selected.view(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))


def _float_hue_runs(lo: float, hi: float) -> list[tuple[float, float]]:
    if lo > hi:
        return [(lo, 360.0), (0.0, hi)]
    runs = [(lo, hi)]
    if hi == 360.0 and lo > 0:
        runs.append((0.0, 0.0))  # 360 is 0
    if lo == 0.0 and hi < 360.0:
        runs.append((360.0, 360.0))  # float rounding can give 360 for hues just below 0
    return runs


def _table_row(hue_runs: Sequence[tuple[float, float]], s: tuple[float, float], v: tuple[float, float]) -> list[float]:
    """``[h0, h1, h2, h3, s_lo, s_hi, v_lo, v_hi]``: at most two hue runs, an unused one the empty ``(1, 0)``."""
    hues = [h for run in hue_runs for h in run] + [1, 0, 1, 0]
    return [*hues[:4], *s, *v]


def _bounds_u8(r: Mapping[str, Any]) -> list[float]:
    """The table row on OpenCV's 8-bit full-range HSV (hue step 360/256, S and V 0-255): whole numbers."""
    q = np.arange(256) * _HUE_STEP_U8
    s_lo, s_hi = int(np.ceil(255 * r["saturation"][0] - 1e-9)), int(np.floor(255 * r["saturation"][1] + 1e-9))
    v_lo, v_hi = int(np.ceil(255 * r["value"][0] - 1e-9)), int(np.floor(255 * r["value"][1] + 1e-9))
    return _table_row(_runs(_in_arc(q, *r["hue"])), (s_lo, s_hi), (v_lo, v_hi))


def _bounds_float(r: Mapping[str, Any], white: float) -> list[float]:
    """The table row on float HSV (hue in degrees, S in [0, 1], V in image units)."""
    (s_lo, s_hi), (v_lo, v_hi) = r["saturation"], r["value"]
    return _table_row(_float_hue_runs(*r["hue"]), (s_lo, s_hi), (v_lo * white, v_hi * white))


_SCALARS = frozenset({float, int, str, bool, type(None)})


def _freeze(value: Any) -> Any:
    """A hashable copy of a JSON-like value (lists and arrays become tuples, dicts sorted item tuples)."""
    if type(value) in _SCALARS:  # the common leaves first: the Mapping check below is an ABC check
        return value
    if isinstance(value, Mapping):
        return ("__dict__", tuple(sorted((str(k), _freeze(v)) for k, v in value.items())))
    if isinstance(value, np.ndarray):
        return _freeze(value.tolist())
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _hashable_ranges(ranges: Any) -> Any:
    """`ranges` frozen for the parse cache, checked: parsing (cached) raises on any bad range."""
    frozen = _freeze(ranges)
    try:
        hash(frozen)
    except TypeError:
        raise InvalidParameterError(
            f"ranges: expected preset names, dicts or tuples of numbers; got {ranges!r}."
        ) from None
    _compile_ranges(frozen, "|u1")
    return frozen


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple) and value[:1] == ("__dict__",):
        return {k: _thaw(v) for k, v in value[1]}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@functools.lru_cache(maxsize=64)
def _compile_ranges(frozen: Any, dtype: str) -> tuple[list[dict[str, Any]], NDArray]:
    """Parsed ranges and their bounds table for images of `dtype` (memoised: parsing costs ~50 us).

    The table has one row per range, ``[h0, h1, h2, h3, s_lo, s_hi, v_lo,
    v_hi]``: hue in ``[h0, h1]`` or ``[h2, h3]`` (two runs, for hue arcs that
    wrap; an unused run is the empty ``(1, 0)``), in the HSV image's dtype
    (8-bit full-range HSV for uint8 images, float32 otherwise), the values
    ``cv2.inRange`` would compare with.
    """
    parsed = _parse_ranges(_thaw(frozen))
    if np.dtype(dtype) == np.uint8:
        return parsed, np.array([_bounds_u8(r) for r in parsed], np.uint8)
    white = white_level(np.dtype(dtype))
    return parsed, np.array([_bounds_float(r, white) for r in parsed], np.float32)


#: hsv_range calls a process makes through OpenCV before the compiled pass takes over (at once where numba is
#: already loaded): a one-off call should not pay numba's start-up (~0.3 s) to save ~0.1 ms.
_OPENCV_CALLS = 16
_calls = itertools.count()


def _compiled_pass_pays() -> bool:
    return "numba" in sys.modules or next(_calls) >= _OPENCV_CALLS


def _classify_hsv_opencv(hsv: NDArray, table: NDArray, out: NDArray[np.int32]) -> None:
    """The labels of :func:`_classify_hsv` through ``cv2.inRange`` (no compiled code)."""
    import cv2

    if len(table) > 1:
        out.fill(0)
    for index in reversed(range(len(table))):
        h0, h1, h2, h3, s0, s1, v0, v1 = table[index].tolist()
        hit = cv2.inRange(hsv, np.array([h0, s0, v0], float), np.array([h1, s1, v1], float))
        if h2 <= h3:  # the second hue run of an arc that wraps
            cv2.bitwise_or(hit, cv2.inRange(hsv, np.array([h2, s0, v0], float), np.array([h3, s1, v1], float)),
                           dst=hit)
        if len(table) == 1:
            np.copyto(out, np.bitwise_and(hit, 1, out=hit), casting="unsafe")
        else:
            np.putmask(out, hit, index + 1)


@jit
def _classify_hsv(hsv, table, out):  # pragma: no cover - compiled
    """``out`` = 1 + the first row of `table` whose box holds each HSV pixel, or 0; one pass per range.

    Rows are applied last to first, each overwriting where it matches, so the
    first matching range wins; each pass is branch-free, so it vectorises
    (one range on 512² uint8: 0.13 ms against 0.22 ms for inRange, the 255 -> 1
    step and the int32 copy).
    """
    flat = hsv.reshape(-1)
    labels = out.reshape(-1)
    last = table.shape[0] - 1
    for r in range(last, -1, -1):
        h0, h1, h2, h3 = table[r, 0], table[r, 1], table[r, 2], table[r, 3]
        s0, s1, v0, v1 = table[r, 4], table[r, 5], table[r, 6], table[r, 7]
        value = np.int32(r + 1)
        for i in range(labels.size):
            h, s, v = flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]
            hit = (((h >= h0) & (h <= h1)) | ((h >= h2) & (h <= h3))) & (s >= s0) & (s <= s1) & (v >= v0) & (v <= v1)
            if r == last:
                labels[i] = value * np.int32(hit)
            else:
                labels[i] = value if hit else labels[i]


@register(
    "hsv_range", family="color", task="semantic", input="color", tiling="pointwise",
    example_params={"ranges": ["red", "green", "blue"]}, check=lambda p: _hashable_ranges(p["ranges"]),
)
def hsv_range(
    image: ArrayLike,
    /,
    *,
    ranges: Annotated[str | list[Any], JSON],
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Select pixels whose hue, saturation and value lie in given ranges.

    Parameters
    ----------
    image : (H, W, 3) ndarray
        RGB, uint8, uint16 or float in [0, 1].
    ranges : str, dict, tuple or list of them
        One class per range, in order. Each range is a preset name (red,
        orange, yellow, green, cyan, blue, purple, magenta, skin, white,
        gray, black), a dict ``{"hue": (min, max), "saturation": (min, max),
        "value": (min, max), "name": str}`` (missing keys mean the full
        range) or a tuple ``(hue_min, hue_max[, s_min, s_max[, v_min,
        v_max]])``. Hue is in degrees 0-360 and wraps when min > max
        (``(340, 20)`` is red); saturation and value are fractions in [0, 1]
        (value = max(R, G, B) / white). Bounds are inclusive; out-of-range
        bounds raise an error.
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` get label 0.

    Returns
    -------
    Segmentation
        Semantic labels: 0 = no range matched, ``i`` = the first range (in
        order) that matched; ``classes = ("background", name1, ...)``.
        ``meta["ranges"]`` holds the ranges as dicts, ``meta["hue_step"]``
        the hue quantisation in degrees (0 when exact).

    Notes
    -----
    uint8 images use OpenCV's 8-bit HSV: hue in steps of 360/256 = 1.41
    degrees (within 0.9 degrees of the exact hue) and saturation in steps of
    1/255 (within 0.53/255); a pixel is selected when that quantised hue and
    saturation lie in the range, so pixels within a degree of a hue bound
    may fall either side. uint16 and float images are exact to float32
    precision. Achromatic pixels (R = G = B) have hue 0. The ranges are
    tested in one compiled pass per range (numba); a process's first 16 calls
    use ``cv2.inRange`` instead (the same labels), unless numba is already
    loaded, so that a single call does not wait for numba to start.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.array([[[250, 20, 60], [250, 60, 20], [20, 60, 250]]], np.uint8)
    >>> hsv_range(img, ranges=(340, 20)).labels.tolist()
    [[1, 1, 0]]
    >>> hsv_range(img, ranges=[{"hue": (200, 260), "name": "sky"}]).classes
    ('background', 'sky')
    """
    import cv2

    exact = image.dtype != np.uint8
    parsed, table = _compile_ranges(_hashable_ranges(ranges), np.dtype(image.dtype).str)
    height, width = image.shape[:2]
    labels = np.empty((height, width), np.int32)
    block = height * width if height * width <= _HSV_WHOLE else min(height * width // 4, _HSV_BLOCK_MAX)
    step = next(_blocks(height, width, block)).stop
    hsv_buf = np.empty((step, width, 3), np.float32 if exact else np.uint8)
    rgb_buf = np.empty((step, width, 3), np.float32) if exact else None
    classify = _classify_hsv if _compiled_pass_pays() else _classify_hsv_opencv
    for rows in _blocks(height, width, block):
        n = rows.stop - rows.start
        hsv = hsv_buf[:n]
        if exact:  # float32 HSV: value stays in image units, the bounds were scaled instead
            np.copyto(rgb_buf[:n], image[rows], casting="unsafe")
            cv2.cvtColor(rgb_buf[:n], cv2.COLOR_RGB2HSV, dst=hsv)
        else:
            cv2.cvtColor(np.ascontiguousarray(image[rows]), cv2.COLOR_RGB2HSV_FULL, dst=hsv)
        classify(hsv, table, labels[rows])
    meta = {"ranges": [dict(r, hue=list(r["hue"]), saturation=list(r["saturation"]), value=list(r["value"]))
                       for r in parsed],
            "hue_step": 0.0 if exact else _HUE_STEP_U8}
    return Segmentation(
        labels=labels, task="semantic", classes=("background", *(r["name"] for r in parsed)), meta=meta
    )


# --------------------------------------------------------------------------- color_distance


#: Reference colours at most, as hsv_range's ranges (100,000 took 4.8 GB on a 64 x 64 image).
_MAX_REFERENCES = 255


def _reference_array(references: Any, space: str) -> NDArray[np.float64]:
    """The reference colours as an ``(N, 3)`` array; checks what does not depend on the image."""
    try:
        refs = np.asarray(references, dtype=np.float64)
    except (TypeError, ValueError):
        refs = None
    if refs is not None and refs.ndim == 1:
        refs = refs[None]
    if refs is None or refs.ndim != 2 or refs.shape[1] != 3 or refs.shape[0] == 0:
        raise InvalidParameterError(
            f"references: give one colour [c1, c2, c3] or a list of them; got {references!r}."
        )
    if refs.shape[0] > _MAX_REFERENCES:  # each colour is a pass over the image and its distances in memory
        raise InvalidParameterError(f"references: give 1 to {_MAX_REFERENCES} colours; got {refs.shape[0]}.")
    if not np.isfinite(refs).all():
        raise InvalidParameterError(f"references: colours must be finite numbers; got {refs.tolist()}.")
    if space == "lab":
        bad = (refs[:, 0] < 0) | (refs[:, 0] > 100)
        check_param(not bad.any(), "references", f"Lab lightness L* must lie in [0, 100]; got {refs[bad].tolist()}.")
    return refs


def _references_lab(references: Any, space: str, dtype: np.dtype) -> NDArray[np.float64]:
    refs = _reference_array(references, space)
    if space == "lab":
        return refs
    white = white_level(dtype)
    bad = (refs < 0).any(1) | (refs > white).any(1)
    if bad.any():
        raise InvalidParameterError(
            f"references: RGB colours must lie in [0, {white:g}] (the image's units, dtype {np.dtype(dtype)}); "
            f"got {refs[bad].tolist()}. Pass reference_space='lab' for Lab colours."
        )
    return _lab_block((refs / white)[None], np.float64)[0]


@register(
    "color_distance", family="color", task="semantic", input="color", tiling="pointwise",
    example_params={"references": [[48, 68, 50], [70, -65, 60]], "reference_space": "lab",
                    "tolerance": 25.0},
    check=lambda p: _reference_array(p["references"], p["reference_space"]),
)
def color_distance(
    image: ArrayLike,
    /,
    *,
    references: Annotated[list[Any], JSON],
    tolerance: Annotated[float, Interval(0, None)] = 10.0,
    metric: Literal["cie76", "ciede2000"] = "cie76",
    reference_space: Literal["rgb", "lab"] = "rgb",
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Label pixels by the nearest reference colour in CIE Lab, within a tolerance.

    Parameters
    ----------
    image : (H, W, 3) ndarray
        RGB, uint8, uint16 or float in [0, 1].
    references : list
        One colour ``[c1, c2, c3]`` or a list of them: RGB in the image's
        units (0-255 for uint8, 0-65535 for uint16, [0, 1] for float), or
        L*a*b* when ``reference_space="lab"``.
    tolerance : float, optional
        Largest colour difference (delta E) that still counts as a match.
        Distances are computed in float32 for uint8, uint16 and float32
        images (within 1e-3 of the float64 value), so to match one exact
        colour use a small tolerance such as 0.01 rather than 0.
    metric : {"cie76", "ciede2000"}, optional
        Colour difference: Euclidean distance in Lab (CIE76) or CIEDE2000
        (computed by ``skimage.color.deltaE_ciede2000``, slower).
    reference_space : {"rgb", "lab"}, optional
        Space in which `references` are given.
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` get label 0.

    Returns
    -------
    Segmentation
        Semantic labels: ``j`` = reference ``j`` (1-based) is the nearest and
        within `tolerance` (ties go to the first), 0 = none within
        `tolerance`; ``classes = ("background", "reference1", ...)``.
        ``scores[j - 1]`` is the delta E to reference ``j`` (float32);
        ``meta["references_lab"]`` the references in Lab.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.array([[[250, 10, 10], [10, 10, 250], [128, 128, 128]]], np.uint8)
    >>> seg = color_distance(img, references=[[255, 0, 0], [0, 0, 255]], tolerance=15)
    >>> seg.labels.tolist(), seg.scores.shape
    ([[1, 2, 0]], (2, 1, 3))
    """
    import cv2

    refs = _references_lab(references, reference_space, image.dtype)
    white_level(image.dtype)
    ftype = float_dtype_for(image.dtype)
    height, width = image.shape[:2]
    scores = np.empty((len(refs), height, width), np.float32)
    labels = np.empty((height, width), np.int32)
    # f(X), f(Y), f(Z) -> Lab - reference, one affine map per reference
    to_diff = [np.hstack([_LAB_FROM_F[:, :3], (_LAB_FROM_F[:, 3] - ref)[:, None]]).astype(ftype) for ref in refs]
    to_lab, ones = _LAB_FROM_F.astype(ftype), np.ones((1, 3), ftype)
    for rows in _blocks(height, width):
        f = _lab_f_block(image[rows], ftype)
        dist = np.empty((len(refs), *f.shape[:2]), ftype)
        lab = cv2.transform(f, to_lab) if metric == "ciede2000" else None
        for j, ref in enumerate(refs):
            if metric == "cie76":
                diff = cv2.transform(f, to_diff[j])
                cv2.sqrt(cv2.transform(cv2.multiply(diff, diff, dst=diff), ones), dst=dist[j])
            else:
                from skimage.color import deltaE_ciede2000

                dist[j] = deltaE_ciede2000(lab, ref.reshape(1, 1, 3))
        scores[:, rows] = dist
        if len(refs) == 1:
            np.copyto(labels[rows], dist[0] <= tolerance, casting="unsafe")
        else:
            labels[rows] = np.where(dist.min(axis=0) <= tolerance, dist.argmin(axis=0) + 1, 0)
    classes = ("background", *(f"reference{j + 1}" for j in range(len(refs))))
    return Segmentation(
        labels=labels, task="semantic", classes=classes, scores=scores,
        meta={"references_lab": refs.round(6).tolist()},
    )
