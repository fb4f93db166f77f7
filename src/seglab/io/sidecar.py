"""The JSON sidecar: everything about a result except its pixels.

It records the method, the effective parameters, the by-products in ``meta``,
the segments and classes, the seglab version and the input file, so a result
can be traced and reproduced. Values JSON cannot hold (arrays such as an
edge map, NaN, paths, ...) are summarised instead of failing the write.

Examples
--------
>>> import numpy as np
>>> to_jsonable({"edges": np.zeros((100, 100), np.float32), "t": np.float64(0.5), "bad": float("nan")})
{'edges': {'shape': [100, 100], 'dtype': 'float32', 'min': 0.0, 'max': 0.0}, 't': 0.5, 'bad': None}
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath
from typing import Any

import numpy as np

from ..core.types import Segmentation
from .atomic import write_atomic

__all__ = ["sidecar", "write_json", "to_jsonable", "json_bytes"]

_SMALL_ARRAY = 64  # arrays up to this many elements are stored in full


def to_jsonable(value: Any) -> Any:
    """Convert `value` to something :func:`json.dumps` accepts, summarising what it cannot hold.

    Small arrays (up to 64 elements) become lists; larger ones become
    ``{"shape", "dtype", "min", "max"}``. NaN and infinities become ``None``.
    Objects with a ``to_json()`` method use it; anything else unknown becomes its ``repr``.

    Examples
    --------
    >>> to_jsonable((np.int64(3), {1: np.array([1.5, 2.0])}))
    [3, {'1': [1.5, 2.0]}]
    """
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        if value.size <= _SMALL_ARRAY:
            return to_jsonable(value.tolist())
        summary: dict[str, Any] = {"shape": list(value.shape), "dtype": str(value.dtype)}
        if value.dtype.kind in "biuf":
            finite = value[np.isfinite(value)] if value.dtype.kind == "f" else value
            if finite.size:
                summary.update(min=to_jsonable(finite.min()), max=to_jsonable(finite.max()))
        return summary
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, PurePath):
        return str(value)
    if hasattr(value, "to_json"):
        return to_jsonable(value.to_json())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    return repr(value)


def json_bytes(doc: Any, *, indent: int | None = 2) -> bytes:
    """UTF-8 JSON text of `doc` ending in a newline; NaN is refused (strict JSON).

    Examples
    --------
    >>> json_bytes({"a": [1, 2]}, indent=None)
    b'{"a": [1, 2]}\\n'
    """
    return (json.dumps(doc, indent=indent, allow_nan=False) + "\n").encode("utf-8")


def sidecar(
    seg: Segmentation,
    *,
    input_file: str | os.PathLike[str] | None = None,
    page: int | None = None,
    notes: Iterable[str] = (),
    pixel_spacing: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """The sidecar document of `seg` as a JSON-able dict.

    Parameters
    ----------
    seg : Segmentation
        The result to describe.
    input_file : str or path-like, optional
        The image file that was segmented, recorded as given.
    page : int, optional
        The page read from a multi-page input.
    notes : iterable of str
        Warnings raised while reading or segmenting (e.g. an alpha channel dropped).
    pixel_spacing : (float, float), optional
        The input's (row, column) pixel spacing in mm (DICOM, NIfTI:
        :func:`seglab.io.pixel_spacing`), so that areas can be converted.

    Returns
    -------
    dict
        Keys ``seglab_version, input_file, page, pixel_spacing_mm, method, task,
        params, classes, segments, meta, shape, num_segments, notes``.

    Examples
    --------
    >>> import seglab
    >>> seg = seglab.segment(np.array([[0, 9], [9, 9]], np.uint8), "threshold", value=5)
    >>> doc = sidecar(seg, input_file="a.png")
    >>> doc["method"], doc["params"]["value"], doc["meta"], doc["num_segments"]
    ('threshold', 5.0, {'threshold': 5.0}, 1)
    """
    from .. import __version__

    body = seg.to_json()
    return {
        "seglab_version": __version__,
        "input_file": None if input_file is None else os.fspath(input_file),
        "page": page,
        "pixel_spacing_mm": None if pixel_spacing is None else [float(v) for v in pixel_spacing],
        "method": body["method"],
        "task": body["task"],
        "params": to_jsonable(body["params"]),
        "classes": body["classes"],
        "segments": to_jsonable(body["segments"]),
        "meta": to_jsonable(body["meta"]),
        "shape": body["shape"],
        "num_segments": body["num_segments"],
        "notes": list(notes),
    }


def write_json(
    path: str | os.PathLike[str],
    seg: Segmentation,
    *,
    input_file: str | os.PathLike[str] | None = None,
    page: int | None = None,
    notes: Iterable[str] = (),
    overwrite: bool = False,
) -> Path:
    """Write the JSON sidecar of `seg` (see :func:`sidecar`), atomically.

    Parameters
    ----------
    path : str or path-like
        Destination ``.json`` file.
    seg : Segmentation
        The result to describe.
    input_file, page, notes
        As in :func:`sidecar`.
    overwrite : bool
        Replace an existing file (default: refuse).

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import json, tempfile, pathlib, seglab
    >>> seg = seglab.segment(np.array([[0, 9], [9, 9]], np.uint8), "otsu")
    >>> path = write_json(pathlib.Path(tempfile.mkdtemp()) / "a.json", seg, input_file="a.png")
    >>> json.loads(path.read_text())["input_file"]
    'a.png'
    """
    doc = sidecar(seg, input_file=input_file, page=page, notes=notes)
    return write_atomic(path, json_bytes(doc), overwrite=overwrite)
