"""Parameter schemas derived from a method's signature, annotations and numpydoc.

A parameter's range is declared with ``Annotated[float, Interval(0, 1)]``;
``Literal[...]`` gives choices; the text comes from the docstring's
``Parameters`` section. The same schema validates Python calls, builds CLI
flags and feeds the web form.

Examples
--------
>>> from typing import Annotated
>>> def f(image, /, *, k: Annotated[int, Interval(1, 9)] = 3):
...     '''Doc.
...
...     Parameters
...     ----------
...     k : int
...         Number of things.
...     '''
>>> [p.to_json()["max"] for p in params_of(f)]
[9]
"""

from __future__ import annotations

import inspect
import math
import re
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_args, get_origin

import numpy as np

from .errors import InvalidParameterError

__all__ = [
    "Interval", "ParamSpec", "Renamed", "params_of", "parse_param_docs", "ARRAY", "POINTS", "JSON",
    "WeightsName", "Device", "Precision", "BatchSize", "TileSize", "Overlap", "STANDARD_PARAMS",
]

#: Schema kinds that are not scalar: an image-like array, a list of (row, col) points, free JSON.
ARRAY, POINTS, JSON = "array", "points", "json"


@dataclass(frozen=True)
class Interval:
    """Allowed range of a numeric parameter (closed unless ``*_open``).

    Examples
    --------
    >>> Interval(0, 1, lo_open=True).contains(0)
    False
    """

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    def contains(self, value: float) -> bool:
        """Whether `value` lies in the interval."""
        if self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)):
            return False
        if self.hi is not None and (value > self.hi or (self.hi_open and value == self.hi)):
            return False
        return True

    def __str__(self) -> str:
        left = "(" if self.lo_open or self.lo is None else "["
        right = ")" if self.hi_open or self.hi is None else "]"
        lo = "-inf" if self.lo is None else f"{self.lo:g}"
        hi = "inf" if self.hi is None else f"{self.hi:g}"
        return f"{left}{lo}, {hi}{right}"


@dataclass(frozen=True)
class Renamed:
    """A parameter name kept for one release after a rename, with a DeprecationWarning naming the new one.

    Parameters
    ----------
    old, new : str
        The old and the new parameter name.
    convert : callable, optional
        Maps an old value to the new parameter's value (e.g. ``dark_foreground=True`` -> ``polarity="dark"``).
    kind : str, optional
        The old parameter's schema kind when it differs from the new one's (so the CLI can still parse it).
    removed_in : str
        The release that drops the old name.

    Examples
    --------
    >>> r = Renamed("dark_foreground", "polarity", convert=lambda v: "dark" if v else "bright", kind="bool")
    >>> r.value(True), r.message("otsu")
    ('dark', "otsu: the parameter 'dark_foreground' is deprecated and will be removed in seglab 0.3; use 'polarity' instead (dark_foreground=True is polarity='dark').")
    """

    old: str
    new: str
    convert: Callable[[Any], Any] | None = None
    kind: str | None = None
    removed_in: str = "0.3"

    def value(self, old_value: Any) -> Any:
        """The new parameter's value for `old_value`."""
        return old_value if self.convert is None else self.convert(old_value)

    def message(self, method: str) -> str:
        """The DeprecationWarning text."""
        text = (f"{method}: the parameter {self.old!r} is deprecated and will be removed in seglab "
                f"{self.removed_in}; use {self.new!r} instead")
        if self.convert is not None:
            text += f" ({self.old}=True is {self.new}={self.value(True)!r})"
        return text + "."


@dataclass(frozen=True)
class ParamSpec:
    """Schema of one keyword parameter.

    ``kind`` is one of ``"int"``, ``"float"``, ``"bool"``, ``"str"``,
    ``"choice"``, ``"array"``, ``"points"``, ``"json"``, ``"rng"``.
    """

    name: str
    kind: str
    default: Any = None
    required: bool = False
    nullable: bool = False
    interval: Interval | None = None
    choices: tuple[Any, ...] = ()
    doc: str = ""
    type_text: str = ""
    alternatives: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """JSON-able description (what ``seglab info --json`` prints)."""
        iv = self.interval
        return {
            "name": self.name,
            "type": self.kind,
            "default": _jsonable(self.default),
            "required": self.required,
            "nullable": self.nullable,
            "min": None if iv is None else iv.lo,
            "max": None if iv is None else iv.hi,
            "min_open": bool(iv and iv.lo_open),
            "max_open": bool(iv and iv.hi_open),
            "choices": [_jsonable(c) for c in self.choices],
            "also_accepts": list(self.alternatives),
            "doc": self.doc,
        }

    def range_text(self) -> str:
        """Human text for the allowed values, e.g. ``[2, 65536]`` or ``one of 'mean', 'gaussian'``."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.interval is not None:
            return str(self.interval)
        return ""

    def validate(self, value: Any, method: str = "") -> Any:
        """Check `value` and return it normalised (numpy scalars -> Python)."""
        where = f"{method}: " if method else ""
        if value is None:
            if self.nullable or self.required is False and self.default is None:
                return None
            raise InvalidParameterError(f"{where}{self.name} may not be None; expected {self.kind}.")
        if self.kind == "rng":
            return _checked_rng(value, where)
        if self.kind in (ARRAY, POINTS, JSON, "str") and not self.choices:
            return value
        if self.choices:
            if value not in self.choices:
                raise InvalidParameterError(
                    f"{where}{self.name}={value!r} is not allowed; choose {self.range_text()}."
                )
            return value
        if self.kind == "bool":
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            raise InvalidParameterError(f"{where}{self.name} must be True or False; got {value!r}.")
        if self.kind == "int":
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                if isinstance(value, (float, np.floating)) and float(value).is_integer():
                    value = int(value)
                else:
                    raise InvalidParameterError(f"{where}{self.name} must be an integer; got {value!r}.")
            value = int(value)
            if not -(2**63) <= value < 2**63:  # compiled kernels take 64-bit integers
                raise InvalidParameterError(
                    f"{where}{self.name}={_digits(value)} is too large; give an integer of magnitude below 2**63."
                )
        elif self.kind == "float":
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise InvalidParameterError(f"{where}{self.name} must be a number; got {value!r}.")
            try:
                value = float(value)
            except OverflowError:  # an int beyond the range of a float
                raise InvalidParameterError(
                    f"{where}{self.name}={_digits(value)} is not finite as a float; give a finite number."
                ) from None
            if math.isnan(value):
                raise InvalidParameterError(f"{where}{self.name} is NaN; give a number.")
            if math.isinf(value):
                raise InvalidParameterError(f"{where}{self.name}={value} is not finite; give a finite number.")
        if self.interval is not None and not self.interval.contains(value):
            raise InvalidParameterError(
                f"{where}{self.name}={value!r} is out of range; it must lie in {self.interval}."
            )
        return value


#: Standard parameters of model methods: every method that takes one of these names declares it with this type.
WeightsName = str | None
Device = Literal["auto", "cpu", "cuda"]
Precision = Literal["auto", "float32", "bfloat16", "float16"]
BatchSize = Annotated[int, Interval(1, 4096)]
TileSize = Annotated[int, Interval(32, None)] | None
Overlap = Annotated[float, Interval(0, 0.95)]

#: Name -> (annotation, what it means); the vocabulary test holds every method to these.
STANDARD_PARAMS: dict[str, tuple[Any, str]] = {
    "weights": (WeightsName, "a shipped weights name (see `seglab info METHOD`) or a checkpoint path"),
    "device": (Device, "where the network runs: 'auto' (a GPU when present), 'cpu' or 'cuda'"),
    "precision": (Precision, "arithmetic of the forward pass: 'auto' (float16 autocast on CUDA, float32 on a CPU), "
                             "'float32', 'bfloat16' or 'float16' (CUDA) autocast"),
    "batch_size": (BatchSize, "tiles per forward pass"),
    "tile_size": (TileSize, "side of the square tiles of sliding-window inference (None: the whole image)"),
    "overlap": (Overlap, "fraction of a tile shared with its neighbour, blended with a Gaussian window"),
}


def _checked_rng(rng: Any, where: str) -> Any:
    """`rng` if it is an integer seed >= 0 or a numpy Generator (None is handled before); else a clear error.

    A float or a string silently replaced by a fresh seed would not reproduce.

    >>> _checked_rng(2.5, "kmeans: ")
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: kmeans: rng: expected None, an integer seed >= 0 or a numpy Generator; got float 2.5.
    """
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise InvalidParameterError(f"{where}rng: an integer seed must be >= 0; got {rng}.")
        return int(rng)
    if not isinstance(rng, np.random.Generator):
        raise InvalidParameterError(
            f"{where}rng: expected None, an integer seed >= 0 or a numpy Generator; got {type(rng).__name__} {rng!r}."
        )
    return rng


def _digits(value: int) -> str:
    """A huge integer in a few characters for a message.

    >>> _digits(10**400), _digits(12)
    ('1000000000...(401 digits)', '12')
    """
    text = str(value)
    return text if len(text) <= 24 else f"{text[:10]}...({len(text.lstrip('-'))} digits)"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if value is inspect.Parameter.empty:
        return None
    return value


_SECTION = re.compile(r"^\s*([A-Z][A-Za-z ]+)\n\s*-{3,}\s*$", re.M)


def parse_param_docs(doc: str | None) -> dict[str, tuple[str, str]]:
    """Map parameter name -> (type text, description) from a numpydoc ``Parameters`` section.

    Examples
    --------
    >>> parse_param_docs('''x.
    ...
    ... Parameters
    ... ----------
    ... a, b : int
    ...     Sizes.
    ... ''')["b"]
    ('int', 'Sizes.')
    """
    if not doc:
        return {}
    text = inspect.cleandoc(doc)
    match = re.search(r"^Parameters\n-{3,}\n", text, re.M)
    if not match:
        return {}
    body = text[match.end():]
    end = _SECTION.search(body)
    if end:
        body = body[: end.start()]
    out: dict[str, tuple[str, str]] = {}
    names: list[str] = []
    type_text, desc = "", []
    for line in body.splitlines() + [""]:
        if line and not line.startswith(" "):
            for n in names:
                out[n] = (type_text, " ".join(desc).strip())
            head, _, type_text = line.partition(":")
            names = [n.strip() for n in head.split(",") if n.strip()]
            type_text, desc = type_text.strip(), []
        elif line.strip():
            desc.append(line.strip())
    for n in names:
        out[n] = (type_text, " ".join(desc).strip())
    return out


_SKIPPED = {"image", "mask"}


def _kind_of(tp: Any) -> tuple[str, bool, Interval | None, tuple[Any, ...], tuple[str, ...]]:
    """Return (kind, nullable, interval, choices, alternative kinds) of an annotation."""
    interval: Interval | None = None
    if get_origin(tp) is Annotated:
        base, *extras = get_args(tp)
        for extra in extras:
            if isinstance(extra, Interval):
                interval = extra
            elif isinstance(extra, str):  # explicit kind, e.g. Annotated[Any, "points"]
                kind, nullable, _, choices, alts = _kind_of(base)
                return extra, nullable, interval, choices, alts
        kind, nullable, _, choices, alts = _kind_of(base)
        return kind, nullable, interval, choices, alts
    if get_origin(tp) is Literal:
        return "choice", False, None, tuple(get_args(tp)), ()
    if get_origin(tp) in (typing.Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        nullable = len(members) < len(get_args(tp))
        if any("_SupportsArray" in str(m) for m in members):  # numpy.typing.ArrayLike, expanded
            return ARRAY, nullable, None, (), ()
        kinds = [_kind_of(m) for m in members]
        if any(k[0] == "rng" for k in kinds):
            return "rng", nullable, None, (), ()
        first = kinds[0]
        alts = tuple(k[0] for k in kinds[1:] if k[0] != first[0])
        return first[0], nullable or first[1], first[2], first[3], alts
    if tp is bool:
        return "bool", False, None, (), ()
    if tp is int:
        return "int", False, None, (), ()
    if tp is float:
        return "float", False, None, (), ()
    if tp is str:
        return "str", False, None, (), ()
    if tp is np.random.Generator:
        return "rng", False, None, (), ()
    name = getattr(tp, "__name__", str(tp))
    if "ArrayLike" in str(tp) or name == "ndarray":
        return ARRAY, False, None, (), ()
    if get_origin(tp) in (list, tuple, Sequence) or tp in (list, tuple, dict):
        return JSON, False, None, (), ()
    return JSON, False, None, (), ()


def params_of(fn: Callable[..., Any]) -> list[ParamSpec]:
    """Build the :class:`ParamSpec` list of a segmenter from its signature.

    `image` and `mask` are not parameters of the schema (every method takes them).
    """
    sig = inspect.signature(fn)
    hints = typing.get_type_hints(fn, include_extras=True)
    docs = parse_param_docs(fn.__doc__)
    specs = []
    for p in sig.parameters.values():
        if p.kind is not p.KEYWORD_ONLY or p.name in _SKIPPED:
            continue
        tp = hints.get(p.name, Any)
        kind, nullable, interval, choices, alts = _kind_of(tp)
        type_text, doc = docs.get(p.name, ("", ""))
        specs.append(
            ParamSpec(
                name=p.name,
                kind=kind,
                default=None if p.default is p.empty else p.default,
                required=p.default is p.empty,
                nullable=nullable,
                interval=interval,
                choices=choices,
                doc=doc,
                type_text=type_text,
                alternatives=alts,
            )
        )
    return specs
