"""Text for ``seglab methods`` and ``seglab info``, built from the registry.

Examples
--------
>>> import seglab
>>> print(methods_markdown([seglab.get_method("threshold")]))
| method | family | task | what it does |
|---|---|---|---|
| threshold | threshold | semantic | Fixed threshold: foreground where ``image > value``. |
"""

from __future__ import annotations

import json
import shlex
import textwrap
from collections.abc import Sequence
from typing import Any

from ..core.params import ParamSpec
from ..core.registry import MethodSpec
from ..core.params_text import describe_kind
from .flags import flag_name

__all__ = ["methods_text", "methods_markdown", "info_text", "availability"]


def availability(spec: MethodSpec) -> str:
    """``""`` when the method can run, else what to install.

    Examples
    --------
    >>> import seglab
    >>> availability(seglab.get_method("otsu"))
    ''
    """
    if spec.available():
        return ""
    return f"needs {', '.join(spec.requires)} (see `seglab info {spec.name}`)"


def methods_text(specs: Sequence[MethodSpec]) -> str:
    """One aligned line per method: name, family, task, summary.

    Examples
    --------
    >>> import seglab
    >>> print(methods_text([seglab.get_method("threshold")]))
    threshold  threshold  semantic  Fixed threshold: foreground where ``image > value``.
    """
    rows = [(s.name, s.family, s.task, s.summary + (f" [{availability(s)}]" if availability(s) else "")) for s in specs]
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
    return "\n".join("  ".join([*(r[i].ljust(widths[i]) for i in range(3)), r[3]]).rstrip() for r in rows)


def methods_markdown(specs: Sequence[MethodSpec]) -> str:
    """The README's methods table (pipes in summaries escaped)."""
    lines = ["| method | family | task | what it does |", "|---|---|---|---|"]
    for s in specs:
        lines.append(f"| {s.name} | {s.family} | {s.task} | {s.summary.replace('|', chr(92) + '|')} |")
    return "\n".join(lines)


def _python_call(spec: MethodSpec) -> str:
    args = [f'"{spec.name}"']
    for p in spec.params():
        if p.name in spec.example_params:
            args.append(f"{p.name}={spec.example_params[p.name]!r}")
        elif p.required:
            args.append(f"{p.name}=...")
    return f"seglab.segment(image, {', '.join(args)})"


def _cli_value(spec: ParamSpec, value: Any) -> str:
    """`value` written as the flag's argument, quoted for a POSIX shell."""
    if spec.kind == "array":
        return "PATH"
    if spec.kind == "points" and value is not None:
        return shlex.quote(";".join(",".join(str(v) for v in point) for point in value))
    if spec.kind == "json":
        return shlex.quote(json.dumps(value))
    return shlex.quote("none" if value is None else str(value))


def _cli_call(spec: MethodSpec) -> str:
    words = ["seglab segment", spec.name, "INPUT...", "-o OUTDIR"]
    for p in spec.params():
        if p.name in spec.example_params:
            value = spec.example_params[p.name]
            if p.kind == "bool":
                words.append(flag_name(p.name) if value else "--no-" + flag_name(p.name)[2:])
            else:
                words.append(f"{flag_name(p.name)} {_cli_value(p, value)}")
        elif p.required:
            words.append(f"{flag_name(p.name)} VALUE")
    return " ".join(words)


def info_text(spec: MethodSpec) -> str:
    """Human description of one method: what it is, every parameter, how to call it.

    Examples
    --------
    >>> import seglab
    >>> print(info_text(seglab.get_method("threshold")))  # doctest: +ELLIPSIS
    threshold: Fixed threshold: foreground where ``image > value``.
      family threshold, task semantic, input gray, tiling global
    <BLANKLINE>
    Parameters (flag: type and range; default):
      --value: float; required
          Threshold in the image's units (e.g. 0-255 for uint8, 0-65535 for uint16).
    ...
    """
    lines = [f"{spec.name}: {spec.summary}",
             f"  family {spec.family}, task {spec.task}, input {spec.input}, tiling {spec.tiling}"
             + (", stochastic (pass --rng for repeatable results)" if spec.stochastic else "")]
    if availability(spec):
        lines.append(f"  NOT AVAILABLE: {', '.join(spec.requires)} missing; install the matching seglab extra.")
    lines += ["", "Parameters (flag: type and range; default):"]
    params = spec.params()
    for p in params:
        default = "required" if p.required else f"default {p.default!r}"
        flag = flag_name(p.name)
        if p.kind == "bool":
            flag += f" / --no-{flag[2:]}"
        lines.append(f"  {flag}: {describe_kind(p)}; {default}")
        lines += textwrap.wrap(p.doc or "(undocumented)", width=88, initial_indent=" " * 6, subsequent_indent=" " * 6)
    if spec.takes_mask:
        lines.append("  --mask: image file; optional")
        lines.append("      Pixels where the mask image is 0 get label 0.")
    if not params and not spec.takes_mask:
        lines.append("  (none)")
    if spec.renamed:
        renamed = ", ".join(f"{flag_name(old)} -> {flag_name(r.new)}" for old, r in spec.renamed.items())
        lines += textwrap.wrap(f"Deprecated names, accepted until seglab 0.3: {renamed}", width=92,
                               initial_indent="  ", subsequent_indent="    ")
    if spec.weights:
        lines += ["", "Weights (weights=NAME):"]
        for w in spec.weights.values():
            state = "" if w.available() else " [not installed]"
            lines.append(f"  {w.name}: {w.description}{state}")
            if w.figures:
                lines.append("      " + ", ".join(f"{k} {v}" for k, v in w.figures.items()))
    lines += ["", f"Python:        {_python_call(spec)}", f"Command line:  {_cli_call(spec)}"]
    return "\n".join(lines)
