"""Command-line flags generated from a method's parameter schema.

Each :class:`~seglab.core.params.ParamSpec` becomes one flag: ``window_size``
becomes ``--window-size``; booleans get ``--flag/--no-flag``. The text given
is parsed by :mod:`seglab.core.params_text` (the same parser as the web form)
when the run is prepared, before any file is read. A renamed parameter keeps
its old flag for one release, hidden from ``--help``; using it prints the
DeprecationWarning that names the new one.

Examples
--------
>>> import argparse, seglab
>>> parser = argparse.ArgumentParser()
>>> flags = add_flags(parser, seglab.get_method("adaptive"))
>>> flag_name("window_size"), collect(parser.parse_args(["--window-size", "7"]), flags)
('--window-size', {'window_size': '7'})
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.params import ParamSpec
from ..core.params_text import describe_kind
from ..core.registry import MethodSpec

__all__ = ["Flag", "RESERVED", "flag_name", "add_flags", "collect"]

#: Option names the ``segment`` command uses itself; a parameter with one of these
#: names gets the flag ``--param-NAME`` instead.
RESERVED = frozenset({"inputs", "output-dir", "outputs", "overwrite", "page", "mask", "help", "as", "things",
                      "tile-size", "overlap", "label-format", "workers", "scheduler"})

_METAVAR = {"int": "INT", "float": "FLOAT", "str": "TEXT", "array": "PATH", "points": "R,C;R,C",
            "json": "JSON", "rng": "SEED"}


@dataclass(frozen=True)
class Flag:
    """One generated flag: the parameter name it sets, its option string and argparse destination."""

    name: str
    option: str

    @property
    def dest(self) -> str:
        """Name of the argparse attribute holding the raw value."""
        return "param_" + self.name


def flag_name(param: str) -> str:
    """The option string of parameter `param`.

    Examples
    --------
    >>> flag_name("num_classes"), flag_name("page")
    ('--num-classes', '--param-page')
    """
    name = param.replace("_", "-")
    return f"--param-{name}" if name in RESERVED else f"--{name}"


def _add(group: Any, flag: Flag, kind: str, spec: ParamSpec | None) -> None:
    """Add one flag; `spec` None hides it (a deprecated name)."""
    help_text = argparse.SUPPRESS
    if spec is not None:
        default = "required" if spec.required else f"default {spec.default!r}"
        help_text = f"{spec.doc} [{describe_kind(spec)}; {default}]".replace("%", "%%")
    if kind == "bool":
        group.add_argument(flag.option, dest=flag.dest, action=argparse.BooleanOptionalAction,
                           default=argparse.SUPPRESS, help=help_text)
        return
    if spec is not None and spec.choices:
        metavar = "{" + ",".join(str(c) for c in spec.choices) + "}"
    else:
        metavar = _METAVAR.get(kind, "VALUE")
    group.add_argument(flag.option, dest=flag.dest, metavar=metavar, default=argparse.SUPPRESS, help=help_text)


def add_flags(parser: argparse.ArgumentParser, method: MethodSpec) -> list[Flag]:
    """Add one flag per parameter of `method` (plus hidden ones for renamed parameters); return them.

    Flags default to "not given" (the method's own default then applies).
    A required parameter is checked when the run is prepared, with the
    method's message.
    """
    group = parser.add_argument_group(f"{method.name} parameters (see `seglab info {method.name}`)")
    flags = []
    for spec in method.params():
        flag = Flag(spec.name, flag_name(spec.name))
        _add(group, flag, spec.kind, spec)
        flags.append(flag)
    for old, rename in method.renamed.items():
        flag = Flag(old, flag_name(old))
        _add(group, flag, rename.kind or method.param(rename.new).kind, None)
        flags.append(flag)
    return flags


def collect(ns: argparse.Namespace, flags: Sequence[Flag]) -> dict[str, Any]:
    """The parameters given on the command line: name -> raw text (a bool for switches)."""
    return {flag.name: getattr(ns, flag.dest) for flag in flags if hasattr(ns, flag.dest)}
