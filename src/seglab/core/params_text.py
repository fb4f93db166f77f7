"""Parameter values from text: one parser for the command line, ``seglab bench`` and the web form.

Each :class:`~seglab.core.params.ParamSpec` kind reads text this way:

============  =======================================================
kind          text
============  =======================================================
int, float    a number (``none`` for a parameter that accepts None)
bool          ``true``/``false`` (also yes/no, on/off, 1/0)
choice, str   the text
array         a path to an image file, read by the caller's `read_array`
points        ``"r,c;r,c"`` (row, column pairs) or a JSON list
json          a JSON value, e.g. ``'[1, 2]'`` or ``'{"a": 1}'``; bare
              words ``red,skin`` are the list ``["red", "skin"]``
rng           an integer seed
============  =======================================================

:func:`parse_value` converts and :func:`parse_param` also checks the value
against the schema, so a bad value names its parameter (or flag) and what was
expected.

Examples
--------
>>> from seglab.core.params import ParamSpec, Interval
>>> spec = ParamSpec(name="window_size", kind="int", default=35, interval=Interval(3, None))
>>> parse_param(spec, "7", where="--window-size")
7
>>> parse_points("3,4; 10,2")
[(3, 4), (10, 2)]
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .errors import InvalidParameterError, did_you_mean
from .params import ParamSpec

__all__ = ["parse_value", "parse_param", "parse_points", "parse_bool", "parse_json", "describe_kind", "NONE_WORDS"]

#: Text that means None for a parameter that accepts None.
NONE_WORDS = ("none", "None", "null")
_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")
_BARE_WORDS = re.compile(r"[A-Za-z_][\w-]*(,[A-Za-z_][\w-]*)*")


def describe_kind(spec: ParamSpec) -> str:
    """Short text for a parameter's type and allowed values, e.g. ``int in [3, inf)``.

    Examples
    --------
    >>> describe_kind(ParamSpec(name="m", kind="choice", choices=("mean", "gaussian")))
    "one of 'mean', 'gaussian'"
    """
    if spec.choices:
        return spec.range_text() + (" or none" if spec.nullable else "")
    text = {"array": "image file", "points": "row,col points", "rng": "random seed (int)"}.get(spec.kind, spec.kind)
    if spec.interval is not None:
        text += f" in {spec.interval}"
    return text + (" or none" if spec.nullable else "")


def parse_points(text: str) -> list[tuple[int, ...]]:
    """Parse ``"r,c;r,c"`` (or a JSON list of pairs) into a list of integer tuples.

    Examples
    --------
    >>> parse_points("[[1, 2], [3, 4]]")
    [(1, 2), (3, 4)]
    """
    text = text.strip()
    try:
        if text.startswith("["):
            rows = json.loads(text)
        else:
            rows = [part.split(",") for part in text.split(";") if part.strip()]
        points = [tuple(int(str(v).strip()) for v in row) for row in rows]
    except (ValueError, TypeError):
        points = []
    if not points or any(len(p) != 2 for p in points):
        raise ValueError(f"expected row,col pairs such as '12,30;40,8'; got {text!r}")
    return points


def parse_bool(text: str) -> bool:
    """``true``/``false`` (also yes/no, on/off, 1/0, any case).

    Examples
    --------
    >>> parse_bool("Yes"), parse_bool("off")
    (True, False)
    """
    low = text.strip().lower()
    if low not in _TRUE + _FALSE:
        raise ValueError(f"expected true or false; got {text!r}")
    return low in _TRUE


def parse_json(raw: str) -> Any:
    """A JSON value; bare comma-separated words (``red,skin``) are a list of those strings.

    Examples
    --------
    >>> parse_json("red,skin"), parse_json('[[340, 20]]')
    (['red', 'skin'], [[340, 20]])
    """
    try:
        return json.loads(raw)
    except ValueError as exc:
        if _BARE_WORDS.fullmatch(raw.replace(" ", "")):
            return raw.replace(" ", "").split(",")
        raise ValueError(
            f"{raw!r} is not valid JSON ({exc.args[0] if exc.args else exc}); write e.g. '[1, 2]', "
            "'{\"hue\": [340, 20]}' or bare names red,skin, in single quotes for the shell"
        ) from None


def parse_value(spec: ParamSpec, raw: Any, *, where: str = "",
                read_array: Callable[[str], Any] | None = None) -> Any:
    """Turn the text `raw` into a Python value of the parameter's kind (not yet range-checked).

    Values that are not text (a bool from a ``--flag/--no-flag`` switch, an
    array already read) are returned as they are.

    Parameters
    ----------
    spec : ParamSpec
        The parameter's schema.
    raw : str or any
        The text given.
    where : str
        How the user named the parameter (``--sigma``, ``sigma``), for messages.
    read_array : callable, optional
        Reads an image file for ``array`` parameters (e.g. :func:`seglab.io.read_image`);
        without it the path is returned.

    Raises
    ------
    InvalidParameterError
        Naming `where` and what was expected.

    Examples
    --------
    >>> parse_value(ParamSpec(name="sigma", kind="float"), "x", where="--sigma")
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: --sigma: expected a number; got 'x'.
    """
    where = where or spec.name
    if not isinstance(raw, str):
        return raw
    if raw in NONE_WORDS and spec.kind != "str" and (spec.nullable or spec.default is None):
        return None
    if spec.choices:
        by_text = {str(c): c for c in spec.choices}
        if raw not in by_text:
            raise InvalidParameterError(
                f"{where}: {raw!r} is not allowed; choose {spec.range_text()}.{did_you_mean(raw, by_text)}"
            )
        return by_text[raw]
    try:
        if spec.kind in ("int", "rng"):
            return int(raw)
        if spec.kind == "float":
            return float(raw)
        if spec.kind == "bool":
            return parse_bool(raw)
        if spec.kind == "points":
            return parse_points(raw)
        if spec.kind == "json":
            return parse_json(raw)
    except ValueError as exc:
        expected = {"int": "an integer", "rng": "an integer seed", "float": "a number"}.get(spec.kind)
        detail = f"expected {expected}; got {raw!r}" if expected else str(exc)
        raise InvalidParameterError(f"{where}: {detail}.") from None
    if spec.kind == "array" and read_array is not None:
        try:
            return read_array(raw)
        except ValueError as exc:
            raise InvalidParameterError(f"{where}: {exc}") from None
    return raw


def parse_param(spec: ParamSpec, raw: Any, *, where: str = "", method: str = "",
                read_array: Callable[[str], Any] | None = None) -> Any:
    """:func:`parse_value`, then :meth:`ParamSpec.validate` (range, type, choices).

    Examples
    --------
    >>> from seglab.core.params import Interval
    >>> parse_param(ParamSpec(name="k", kind="int", interval=Interval(1, 9)), "12", method="demo")
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: demo: k=12 is out of range; it must lie in [1, 9].
    """
    return spec.validate(parse_value(spec, raw, where=where, read_array=read_array), method)
