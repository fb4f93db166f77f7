"""The method registry: one place that Python, the CLI and the web form read.

``@register`` wraps a front function so that every call, direct or through
:func:`segment`, gets the same treatment: the image and mask are validated,
each keyword is checked against the schema derived from the signature, the
mask is applied last, and the result carries the method name and the
effective, JSON-able parameters.

Examples
--------
>>> import numpy as np, seglab
>>> img = np.zeros((8, 8), np.uint8); img[2:6, 2:6] = 200
>>> seg = seglab.segment(img, "otsu")
>>> seg.method, int(seg.labels.sum())
('otsu', 16)
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.util
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .errors import (
    InvalidParameterError,
    MissingDependencyError,
    UnknownMethodError,
    UnknownParameterError,
    did_you_mean,
)
from .params import ParamSpec, params_of
from .types import Segmentation, Task
from .validate import as_image, as_mask

__all__ = ["MethodSpec", "register", "list_methods", "get_method", "segment", "FRONT_MODULES"]

Family = Literal[
    "threshold", "edge", "region", "watershed", "clustering", "color", "texture", "deep"
]
Tiling = Literal["pointwise", "local", "global", "instance", "model"]

#: The modules that register methods. The core imports exactly these (plus
#: plugins from the ``seglab.methods`` entry-point group), so no method can go
#: missing because nobody imported its module.
FRONT_MODULES: tuple[str, ...] = (
    "seglab.classical.threshold",
    "seglab.classical.clustering",
    "seglab.classical.color",
    "seglab.classical.histogram_threshold",
    "seglab.classical.local_threshold",
    "seglab.classical.edges",
    "seglab.classical.texture",
    "seglab.classical.region_growing",
    "seglab.classical.split_merge",
    "seglab.classical.watershed",
)

_REGISTRY: dict[str, MethodSpec] = {}
_LOADED = False


@dataclass(frozen=True)
class MethodSpec:
    """Everything the toolkit knows about one registered method."""

    name: str
    fn: Callable[..., Segmentation]
    family: Family
    task: Task
    input: Literal["gray", "color", "any"]
    tiling: Tiling
    summary: str = ""
    halo: int | Callable[[Mapping[str, Any]], int] = 0
    requires: tuple[str, ...] = ()
    stochastic: bool = False
    fit: Callable[..., Any] | None = None
    apply: Callable[..., Any] | None = None
    example_params: Mapping[str, Any] = field(default_factory=dict)

    def params(self) -> list[ParamSpec]:
        """Schemas of the method's keyword parameters (``image`` and ``mask`` excluded)."""
        return params_of(self.fn)

    def available(self) -> bool:
        """Whether the optional packages the method needs can be imported (checked, never imported)."""
        return all(importlib.util.find_spec(mod) is not None for mod in self.requires)

    def to_json(self) -> dict[str, Any]:
        """What ``seglab info --json`` prints and the web form consumes."""
        return {
            "name": self.name,
            "family": self.family,
            "task": self.task,
            "input": self.input,
            "tiling": self.tiling,
            "summary": self.summary,
            "requires": list(self.requires),
            "stochastic": self.stochastic,
            "available": self.available(),
            "params": [p.to_json() for p in self.params()],
        }


def _describe_value(value: Any) -> Any:
    """A JSON-able record of a parameter value (arrays are summarised, not dumped)."""
    if isinstance(value, np.ndarray):
        if value.size <= 64 and value.ndim <= 2:
            return value.tolist()
        return f"<array shape={list(value.shape)} dtype={value.dtype}>"
    if isinstance(value, np.random.Generator):
        return "<Generator>"
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_describe_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _describe_value(v) for k, v in value.items()}
    return value


def register(
    name: str,
    *,
    family: Family,
    task: Task,
    input: Literal["gray", "color", "any"],
    tiling: Tiling,
    halo: int | Callable[[Mapping[str, Any]], int] = 0,
    requires: tuple[str, ...] = (),
    stochastic: bool = False,
    fit: Callable[..., Any] | None = None,
    apply: Callable[..., Any] | None = None,
    example_params: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Segmentation]], Callable[..., Segmentation]]:
    """Register a segmenter under `name` and wrap it with the shared checks.

    The decorated function receives a validated image (converted to gray when
    ``input="gray"``), a bool mask or ``None``, and validated keywords. It must
    return a :class:`Segmentation`; the wrapper fills ``method`` and ``params``.

    Raises
    ------
    ValueError
        If `name` is already registered, or a ``global`` method lacks fit/apply.
    """
    if tiling == "global" and (fit is None or apply is None):
        raise ValueError(f"method {name!r} declares tiling='global' and must supply fit= and apply=.")

    def decorate(fn: Callable[..., Segmentation]) -> Callable[..., Segmentation]:
        if name in _REGISTRY:
            raise ValueError(f"a method named {name!r} is already registered ({_REGISTRY[name].fn.__module__}).")
        sig = inspect.signature(fn)
        schema: dict[str, ParamSpec] = {}

        @functools.wraps(fn)
        def wrapper(image: Any, /, **kwargs: Any) -> Segmentation:
            if not schema:
                schema.update({p.name: p for p in params_of(fn)})
            for extra in requires:
                _require(extra, name)
            unknown = [k for k in kwargs if k not in sig.parameters or k == "image"]
            if unknown:
                raise UnknownParameterError(
                    f"{name} got an unknown parameter {unknown[0]!r}."
                    + did_you_mean(unknown[0], schema)
                    + f" Its parameters: {', '.join(schema) or 'none'} (see `seglab info {name}`)."
                )
            img = as_image(image, kind=input, method=name)
            mask = as_mask(kwargs.pop("mask", None), like=img) if "mask" in sig.parameters else None
            checked = {}
            for pname, spec in schema.items():
                if pname in kwargs:
                    checked[pname] = spec.validate(kwargs[pname], name)
                elif spec.required:
                    raise InvalidParameterError(f"{name} needs the parameter {pname!r}: {spec.doc}")
                else:
                    checked[pname] = spec.default
            if "mask" in sig.parameters:
                checked_call = dict(checked, mask=mask)
            else:
                checked_call = checked
            seg = fn(img, **checked_call)
            labels = seg.labels
            if mask is not None and not mask.all():
                labels = np.where(mask, labels, np.int32(0))
            params = {k: _describe_value(v) for k, v in checked.items()}
            meta = dict(seg.meta)
            if input == "gray" and np.ndim(image) == 3 and np.shape(image)[2] == 3:
                meta.setdefault("input_conversion", "RGB to gray, BT.601 luma (0.299 R + 0.587 G + 0.114 B)")
            return dataclasses.replace(seg, labels=labels, method=name, params=params, meta=meta)

        doc = inspect.getdoc(fn) or ""
        summary = doc.splitlines()[0] if doc else ""
        _REGISTRY[name] = MethodSpec(
            name=name, fn=wrapper, family=family, task=task, input=input, tiling=tiling,
            summary=summary, halo=halo, requires=requires, stochastic=stochastic,
            fit=fit, apply=apply, example_params=dict(example_params or {}),
        )
        return wrapper

    return decorate


_EXTRA_OF = {"torch": "torch", "torchvision": "torch", "dask": "dask", "pydicom": "medical", "nibabel": "medical"}


def _require(module: str, method: str) -> None:
    if importlib.util.find_spec(module) is None:
        extra = _EXTRA_OF.get(module, module)
        raise MissingDependencyError(
            f"{method} needs the optional package {module!r}; install it with: pip install \"seglab[{extra}]\""
        )


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    for mod in FRONT_MODULES:
        importlib.import_module(mod)
    from importlib.metadata import entry_points

    for ep in entry_points(group="seglab.methods"):
        ep.load()
    _LOADED = True


def list_methods(*, family: str | None = None, available_only: bool = False) -> list[MethodSpec]:
    """All registered methods, sorted by name.

    Examples
    --------
    >>> "otsu" in [m.name for m in list_methods(family="threshold")]
    True
    """
    _load()
    specs = sorted(_REGISTRY.values(), key=lambda s: s.name)
    if family is not None:
        specs = [s for s in specs if s.family == family]
    if available_only:
        specs = [s for s in specs if s.available()]
    return specs


def get_method(name: str) -> MethodSpec:
    """The :class:`MethodSpec` registered under `name`.

    Raises
    ------
    UnknownMethodError
        With a did-you-mean suggestion.

    Examples
    --------
    >>> get_method("otsuu")
    Traceback (most recent call last):
    ...
    seglab.core.errors.UnknownMethodError: unknown method 'otsuu'. Did you mean 'otsu'? ...
    """
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownMethodError(
            f"unknown method {name!r}.{did_you_mean(name, _REGISTRY)} "
            "List them with `seglab methods` or seglab.list_methods()."
        ) from None


def segment(image: Any, method: str, /, **params: Any) -> Segmentation:
    """Segment `image` with the registered `method`; exactly ``get_method(method).fn(image, **params)``.

    Examples
    --------
    >>> import numpy as np
    >>> segment(np.arange(16.0).reshape(4, 4), "threshold", value=7.5).labels.sum()
    np.int64(8)
    """
    return get_method(method).fn(image, **params)
