"""Command-line flags generated from a method's parameter schema.

Each :class:`~seglab.core.params.ParamSpec` becomes one flag: ``block_size``
becomes ``--block-size``; booleans get ``--flag/--no-flag``. Values are
converted here and then checked with ``ParamSpec.validate``, before any file is
read, so a bad value stops the command with exit code 2.

============  =======================================================
kind          flag value
============  =======================================================
int, float    a number (``none`` for a parameter that accepts None)
bool          ``--name`` / ``--no-name``
choice, str   the text
array         a path to an image file, read with ``seglab.read_image``
points        ``"r,c;r,c"`` (row, column pairs) or a JSON list
json          a JSON value, e.g. ``'[1, 2]'`` or ``'{"a": 1}'``; bare
              words ``red,skin`` are the list ``["red", "skin"]``
rng           an integer seed
============  =======================================================

Examples
--------
>>> from seglab.core.params import ParamSpec, Interval
>>> spec = ParamSpec(name="block_size", kind="int", default=35, interval=Interval(3, None))
>>> flag_name("block_size"), convert(spec, "--block-size", "7")
('--block-size', 7)
>>> parse_points("3,4; 10,2")
[(3, 4), (10, 2)]
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.errors import InvalidImageError, InvalidParameterError, did_you_mean
from ..core.params import ParamSpec
from ..core.registry import MethodSpec

__all__ = [
    "Flag", "RESERVED", "flag_name", "convert", "parse_points", "add_flags", "collect", "describe_kind", "takes_mask",
]

#: Option names the ``segment`` command uses itself; a parameter with one of these
#: names gets the flag ``--param-NAME`` instead.
RESERVED = frozenset({"inputs", "output-dir", "outputs", "overwrite", "page", "mask", "help", "as", "things"})

_METAVAR = {"int": "INT", "float": "FLOAT", "str": "TEXT", "array": "PATH", "points": "R,C;R,C",
            "json": "JSON", "rng": "SEED"}
_NONE = ("none", "None", "null")


@dataclass(frozen=True)
class Flag:
    """One generated flag: its parameter schema, option string and argparse destination."""

    spec: ParamSpec
    option: str

    @property
    def dest(self) -> str:
        """Name of the argparse attribute holding the raw value."""
        return "param_" + self.spec.name


def flag_name(param: str) -> str:
    """The option string of parameter `param`.

    Examples
    --------
    >>> flag_name("n_clusters"), flag_name("page")
    ('--n-clusters', '--param-page')
    """
    name = param.replace("_", "-")
    return f"--param-{name}" if name in RESERVED else f"--{name}"


def takes_mask(method: MethodSpec) -> bool:
    """Whether `method` takes ``mask=`` (then the command line offers ``--mask PATH``).

    Examples
    --------
    >>> import seglab
    >>> takes_mask(seglab.get_method("otsu"))
    True
    """
    return "mask" in inspect.signature(method.fn).parameters


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


def convert(spec: ParamSpec, option: str, raw: Any) -> Any:
    """Turn the text given to `option` into a Python value of the parameter's kind.

    Booleans arrive already converted (``--x/--no-x``). Array parameters are read
    from the image file named by `raw`.

    Raises
    ------
    InvalidParameterError
        Naming the flag and what was expected.

    Examples
    --------
    >>> convert(ParamSpec(name="sigma", kind="float"), "--sigma", "x")
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: --sigma: expected a number; got 'x'.
    """
    if not isinstance(raw, str):
        return raw
    if raw in _NONE and spec.kind != "str" and (spec.nullable or spec.default is None):
        return None
    if spec.choices:
        by_text = {str(c): c for c in spec.choices}
        if raw not in by_text:
            raise InvalidParameterError(
                f"{option}: {raw!r} is not allowed; choose {spec.range_text()}.{did_you_mean(raw, by_text)}"
            )
        return by_text[raw]
    try:
        if spec.kind in ("int", "rng"):
            return int(raw)
        if spec.kind == "float":
            return float(raw)
        if spec.kind == "points":
            return parse_points(raw)
        if spec.kind == "json":
            return _parse_json(raw)
    except ValueError as exc:
        expected = {"int": "an integer", "rng": "an integer seed", "float": "a number"}.get(spec.kind)
        detail = f"expected {expected}; got {raw!r}" if expected else str(exc)
        raise InvalidParameterError(f"{option}: {detail}.") from None
    if spec.kind == "array":
        from ..io import read_image

        try:
            return read_image(raw)
        except InvalidImageError as exc:
            raise InvalidParameterError(f"{option}: {exc}") from None
    return raw


_BARE_WORDS = re.compile(r"[A-Za-z_][\w-]*(,[A-Za-z_][\w-]*)*")


def _parse_json(raw: str) -> Any:
    """A JSON value; bare comma-separated words (``red,skin``) are a list of those strings.

    Examples
    --------
    >>> _parse_json("red,skin"), _parse_json('[[340, 20]]')
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


def add_flags(parser: argparse.ArgumentParser, method: MethodSpec) -> list[Flag]:
    """Add one flag per parameter of `method` to `parser`; return them.

    Flags default to "not given" (the method's own default then applies).

    Examples
    --------
    >>> import argparse, seglab
    >>> parser = argparse.ArgumentParser()
    >>> [f.option for f in add_flags(parser, seglab.get_method("threshold"))][:1]
    ['--value']
    """
    group = parser.add_argument_group(f"{method.name} parameters (see `seglab info {method.name}`)")
    flags = []
    for spec in method.params():
        flag = Flag(spec, flag_name(spec.name))
        default = "required" if spec.required else f"default {spec.default!r}"
        help_text = f"{spec.doc} [{describe_kind(spec)}; {default}]".replace("%", "%%")
        if spec.kind == "bool":
            group.add_argument(flag.option, dest=flag.dest, action=argparse.BooleanOptionalAction,
                               default=argparse.SUPPRESS, help=help_text)
        else:
            metavar = "{" + ",".join(str(c) for c in spec.choices) + "}" if spec.choices else _METAVAR.get(spec.kind, "VALUE")
            group.add_argument(flag.option, dest=flag.dest, metavar=metavar, required=spec.required,
                               default=argparse.SUPPRESS, help=help_text)
        flags.append(flag)
    return flags


def collect(ns: argparse.Namespace, flags: Sequence[Flag], method: MethodSpec) -> dict[str, Any]:
    """The keyword arguments given on the command line, converted and validated.

    Raises
    ------
    InvalidParameterError
        For the first flag whose value cannot be converted or is out of range.

    Examples
    --------
    >>> import argparse, seglab
    >>> method = seglab.get_method("threshold")
    >>> parser = argparse.ArgumentParser()
    >>> flags = add_flags(parser, method)
    >>> collect(parser.parse_args(["--value", "7.5"]), flags, method)
    {'value': 7.5}
    """
    params = {}
    for flag in flags:
        if hasattr(ns, flag.dest):
            value = convert(flag.spec, flag.option, getattr(ns, flag.dest))
            params[flag.spec.name] = flag.spec.validate(value, method.name)
    return params
