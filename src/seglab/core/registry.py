"""The method registry: one place that Python, the CLI, ``seglab bench`` and the web page read.

``@register`` wraps a front function so that every call, direct or through
:func:`segment`, gets the same treatment: the keywords are checked against
the schema derived from the signature and against the method's own rules
(:meth:`MethodSpec.validate_params`, which needs no image, so a batch can be
checked before any file is read), the image and mask are validated, the mask
is applied last, and the result carries the method name and the effective,
JSON-able parameters.

Methods come from the built-in family packages (each lists its own front
modules in ``FRONT_MODULES``) and from plugins in the ``seglab.methods``
entry-point group: an entry point names a module that registers methods when
imported, or a package with ``FRONT_MODULES``.

Examples
--------
>>> import numpy as np, seglab
>>> img = np.zeros((8, 8), np.uint8); img[2:6, 2:6] = 200
>>> seg = seglab.segment(img, "otsu")
>>> seg.method, int(seg.labels.sum())
('otsu', 16)
>>> get_method("adaptive").validate_params({"window_size": 4})
Traceback (most recent call last):
...
seglab.core.errors.InvalidParameterError: adaptive: window_size: must be odd so that the window is centred ...
"""

from __future__ import annotations

import functools
import importlib
import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

import numpy as np

from .errors import (
    InvalidParameterError,
    MissingDependencyError,
    UnknownMethodError,
    UnknownParameterError,
    did_you_mean,
    warn_caller,
)
from .optional import install_hint, is_installed
from .params import ParamSpec, Renamed, params_of
from .types import Segmentation, Task
from .validate import as_image, as_mask
from .weights import Weights

__all__ = [
    "MethodSpec", "register", "list_methods", "get_method", "segment", "BUILTIN_FAMILIES", "PluginWarning",
    "Family", "Tiling", "describe_value",
]

Family = Literal["threshold", "edge", "region", "watershed", "clustering", "color", "texture", "deep"]
Tiling = Literal["pointwise", "local", "global", "instance", "model"]

#: Packages of built-in methods; each lists its front modules in ``FRONT_MODULES``. The registry imports
#: exactly these (plus plugins), so no method goes missing because nobody imported its module.
BUILTIN_FAMILIES: tuple[str, ...] = ("seglab.classical", "seglab.deep")

_REGISTRY: dict[str, MethodSpec] = {}
_SCHEMAS: dict[Callable[..., Segmentation], dict[str, ParamSpec]] = {}  # by front function
_LOADED = False


class PluginWarning(UserWarning):
    """A plugin of the ``seglab.methods`` entry-point group could not be loaded; its methods are missing."""


@dataclass(frozen=True)
class MethodSpec:
    """Everything the toolkit knows about one registered method.

    Attributes
    ----------
    name, family, task, input, tiling, summary
        Identity: registry name, family, the task of its result, the image it
        takes (``"gray"``, ``"color"`` or ``"any"``), how it tiles, one line of doc.
    halo : int or callable
        Context pixels a tile needs (``local``/``instance`` tiling), from the parameters.
    requires : tuple of str
        Optional packages it needs (e.g. ``("torch",)``).
    stochastic : bool
        Whether it takes ``rng``.
    fit, apply : callable, optional
        ``global`` tiling: fit a state on (a sample of) the image, apply it per tile.
        ``model`` tiling may give `fit` alone: ``fit(sample, **params)`` gets a
        bounded sample of the whole image's pixels (an ``(N, 1[, C])`` image)
        and returns parameters that every window then receives, so that what a
        network would measure on the whole image (its input range) is measured
        once instead of per window.
    stats, fit_stats : callable, optional
        ``global`` tiling from combinable statistics, so that a tiled run fits
        exactly the state `fit` gives on the whole image:
        ``stats(tile, *, value_range, mask=None, **params)`` returns an array
        that adds up over tiles (e.g. a histogram whose bins cover
        `value_range`, the (min, max) the whole image's bins must span), and
        ``fit_stats(total, *, value_range, dtype, **params)`` turns the sum
        into the state. Without them a tiled run fits on a bounded sample.
    example_params : mapping
        Parameters for tests, examples and ``seglab info``.
    check : callable, optional
        Rules beyond each parameter's own range (an odd window, two parameters
        that exclude each other); called with every effective parameter before
        any image is seen, raises :class:`InvalidParameterError`.
    renamed : mapping of str to Renamed
        Old parameter names still accepted, with a DeprecationWarning.
    weights : mapping of str to Weights
        Named trained weights (model methods).
    volumes : bool
        Whether the method also takes 3-D volumes ``(D, H, W)``.
    """

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
    stats: Callable[..., Any] | None = None
    fit_stats: Callable[..., Any] | None = None
    example_params: Mapping[str, Any] = field(default_factory=dict)
    check: Callable[[Mapping[str, Any]], None] | None = None
    renamed: Mapping[str, Renamed] = field(default_factory=dict)
    weights: Mapping[str, Weights] = field(default_factory=dict)
    volumes: bool = False

    def params(self) -> list[ParamSpec]:
        """Schemas of the method's keyword parameters (``image`` and ``mask`` excluded)."""
        return list(self._schema().values())

    def param(self, name: str) -> ParamSpec:
        """The schema of one parameter (an old, renamed name gives the new one's).

        Raises
        ------
        UnknownParameterError
            With a did-you-mean and the list of parameters.
        """
        schema = self._schema()
        if name in self.renamed:  # a deprecated name: the new parameter's schema, or its own old kind
            rename = self.renamed[name]
            new = schema[rename.new]
            if rename.kind is None or rename.kind == new.kind:
                return new
            return ParamSpec(name=name, kind=rename.kind, doc=f"deprecated; use {rename.new}")
        if name not in schema:
            raise UnknownParameterError(
                f"{self.name} got an unknown parameter {name!r}." + did_you_mean(name, schema)
                + f" Its parameters: {', '.join(schema) or 'none'} (see `seglab info {self.name}`)."
            )
        return schema[name]

    def _schema(self) -> dict[str, ParamSpec]:
        if self.fn not in _SCHEMAS:
            _SCHEMAS[self.fn] = {p.name: p for p in params_of(self.fn)}
        return _SCHEMAS[self.fn]

    @property
    def takes_mask(self) -> bool:
        """Whether the method takes ``mask=``."""
        return "mask" in inspect.signature(self.fn).parameters

    def apply_state(self, image: Any, state: Any, /, *, mask: Any = None, **params: Any) -> Segmentation:
        """The result of a ``global`` method on `image` from a `state` fitted elsewhere (on a whole volume, or on
        the tiles of a huge image) instead of on `image` alone: ``apply`` with the checks and bookkeeping of a
        direct call (the image and mask checked, pixels outside the mask 0, ``method`` and ``params`` set).

        Examples
        --------
        >>> otsu = get_method("otsu")
        >>> image = np.array([[0, 10, 200]], np.uint8)
        >>> state = otsu.fit(np.array([[0, 100, 200]], np.uint8))  # another image's threshold
        >>> otsu.apply_state(image, state).labels.tolist(), float(state["threshold"])
        ([[0, 0, 1]], 100.0)
        """
        if self.apply is None:
            raise InvalidParameterError(f"{self.name} has no fitted state to apply; call it on each image.")
        checked = self.validate_params(params)
        img = as_image(image, kind=self.input, method=self.name, finite_inside=mask)
        valid = as_mask(mask, like=img) if mask is not None else None
        seg = self.apply(img, state, **({"mask": valid} if valid is not None else {}))
        labels = seg.labels if valid is None or valid.all() else np.where(valid, seg.labels, np.int32(0))
        return Segmentation(labels, seg.task, seg.classes, seg.segments, seg.scores, self.name,
                            {k: describe_value(v) for k, v in checked.items()}, meta=dict(seg.meta))

    def available(self) -> bool:
        """Whether the optional packages the method needs can be imported (checked, never imported)."""
        return all(is_installed(mod) for mod in self.requires)

    def require(self) -> None:
        """Raise :class:`MissingDependencyError` naming the pip extra when a needed package is missing."""
        for module in self.requires:
            if not is_installed(module):
                raise MissingDependencyError(
                    f"{self.name} needs the optional package {module!r}; install it with: {install_hint(module)}"
                )

    def validate_params(self, params: Mapping[str, Any], *, complete: bool = True) -> dict[str, Any]:
        """Check keyword parameters without an image; return them normalised.

        Old (renamed) names are translated with a DeprecationWarning; unknown
        names, values out of range, missing required parameters and the
        method's own rules (`check`) raise. Checks that need the image (a seed
        outside it, a colour space for a gray image) happen when it runs.

        Parameters
        ----------
        params : mapping
            Keyword parameters (without ``mask``).
        complete : bool
            Return every parameter, defaults filled in (what the method gets);
            otherwise only those given (what a command line passes on).

        Raises
        ------
        UnknownParameterError, InvalidParameterError

        Examples
        --------
        >>> get_method("otsu").validate_params({"nbins": 64})
        {'nbins': 64, 'polarity': 'bright'}
        """
        schema = self._schema()
        given: dict[str, Any] = {}
        for key, value in params.items():
            if key in self.renamed:
                rename = self.renamed[key]
                if rename.new in params:
                    raise InvalidParameterError(
                        f"{self.name}: give {rename.new!r} or its deprecated name {key!r}, not both."
                    )
                warn_caller(rename.message(self.name), DeprecationWarning)
                key, value = rename.new, rename.value(self.param(key).validate(value, self.name))
            given[key] = self.param(key).validate(value, self.name)  # unknown names raise with a did-you-mean
        effective = {}
        for pname, spec in schema.items():
            if pname in given:
                effective[pname] = given[pname]
            elif spec.required:
                raise InvalidParameterError(f"{self.name} needs the parameter {pname!r}: {spec.doc}")
            else:
                effective[pname] = spec.default
        if self.check is not None:
            try:
                self.check(effective)
            except InvalidParameterError as exc:
                if str(exc).split(" ", 1)[0].rstrip(":") == self.name:  # the message names the method already
                    raise
                raise InvalidParameterError(f"{self.name}: {exc}") from None
        return effective if complete else given

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
            "volumes": self.volumes,
            "available": self.available(),
            "takes_mask": self.takes_mask,
            "params": [p.to_json() for p in self.params()],
            "deprecated_params": {old: r.new for old, r in self.renamed.items()},
            "weights": {name: w.to_json() for name, w in self.weights.items()},
        }


_PLAIN = frozenset({int, float, str, bool, type(None)})


def describe_value(value: Any) -> Any:
    """A JSON-able record of a parameter value, as results record it (arrays are summarised, not dumped).

    Examples
    --------
    >>> describe_value(np.zeros((100, 100), np.uint8)), describe_value((1, np.int64(2)))
    ('<array shape=[100, 100] dtype=uint8>', [1, 2])
    """
    if type(value) in _PLAIN:
        return value
    if isinstance(value, np.ndarray):
        if value.size <= 64 and value.ndim <= 2:
            return value.tolist()
        return f"<array shape={list(value.shape)} dtype={value.dtype}>"
    if isinstance(value, np.random.Generator):
        return "<Generator>"
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [describe_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): describe_value(v) for k, v in value.items()}
    return value


def _seed_of(rng: Any) -> int:
    """The integer seed a stochastic method runs with, so that its result records how to reproduce it.

    None draws a fresh seed; a Generator gives one of its numbers; an integer is kept (the parameter's
    check, :meth:`ParamSpec.validate`, has refused anything else).

    Examples
    --------
    >>> _seed_of(7), _seed_of(np.random.default_rng(0)) == _seed_of(np.random.default_rng(0))
    (7, True)
    """
    if isinstance(rng, (int, np.integer)):
        return int(rng)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    return int(np.random.SeedSequence().entropy % 2**63)


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
    stats: Callable[..., Any] | None = None,
    fit_stats: Callable[..., Any] | None = None,
    example_params: Mapping[str, Any] | None = None,
    check: Callable[[Mapping[str, Any]], None] | None = None,
    renamed: tuple[Renamed, ...] = (),
    weights: tuple[Weights, ...] = (),
    volumes: bool = False,
) -> Callable[[Callable[..., Segmentation]], Callable[..., Segmentation]]:
    """Register a segmenter under `name` and wrap it with the shared checks.

    The decorated function receives validated keywords (every parameter, defaults
    filled), a validated image (converted to gray when ``input="gray"``) and a
    bool mask or ``None``. It must return a :class:`Segmentation`; the wrapper
    fills ``method`` and ``params`` and applies the mask.

    Raises
    ------
    ValueError
        If `name` is already registered, a ``global`` method lacks fit/apply,
        or `stats` and `fit_stats` are not given together on a ``global`` method.
    """
    if tiling == "global" and (fit is None or apply is None):
        raise ValueError(f"method {name!r} declares tiling='global' and must supply fit= and apply=.")
    if (stats is None) != (fit_stats is None) or (stats is not None and tiling != "global"):
        raise ValueError(f"method {name!r}: stats= and fit_stats= go together, on a tiling='global' method.")

    def decorate(fn: Callable[..., Segmentation]) -> Callable[..., Segmentation]:
        if name in _REGISTRY:
            raise ValueError(f"a method named {name!r} is already registered ({_REGISTRY[name].fn.__module__}).")
        takes_mask = "mask" in inspect.signature(fn).parameters

        @functools.wraps(fn)
        def wrapper(image: Any, /, **kwargs: Any) -> Segmentation:
            spec = _REGISTRY[name]
            spec.require()
            mask_arg = kwargs.pop("mask", None) if takes_mask else None
            checked = spec.validate_params(kwargs)
            if spec.stochastic:
                checked["rng"] = _seed_of(checked.get("rng"))
            img = as_image(image, kind=input, method=name, finite_inside=mask_arg)
            mask = as_mask(mask_arg, like=img) if takes_mask else None
            seg = fn(img, **checked, **({"mask": mask} if takes_mask else {}))
            meta = dict(seg.meta)
            if input == "gray" and img is not image and np.ndim(image) == 3 and np.shape(image)[2] == 3:
                meta.setdefault("input_conversion", "RGB to gray, BT.601 luma (0.299 R + 0.587 G + 0.114 B)")
            # The method hands back a Segmentation of its own making: it is completed in place rather than
            # copied (a copy runs the dataclass checks again, a fifth of the cost of a 512² threshold).
            _complete = object.__setattr__
            if mask is not None and not mask.all():
                _complete(seg, "labels", np.where(mask, seg.labels, np.int32(0)))
            _complete(seg, "method", name)
            _complete(seg, "params", {k: describe_value(v) for k, v in checked.items()})
            _complete(seg, "meta", meta)
            return seg

        doc = inspect.getdoc(fn) or ""
        _REGISTRY[name] = MethodSpec(
            name=name, fn=wrapper, family=family, task=task, input=input, tiling=tiling,
            summary=doc.splitlines()[0] if doc else "", halo=halo, requires=requires, stochastic=stochastic,
            fit=fit, apply=apply, stats=stats, fit_stats=fit_stats, example_params=dict(example_params or {}),
            check=check,
            renamed={r.old: r for r in renamed}, weights={w.name: w for w in weights}, volumes=volumes,
        )
        return wrapper

    return decorate


def _import_fronts(module: ModuleType) -> None:
    """Import the front modules a family package lists (a plain module registers on import)."""
    for name in getattr(module, "FRONT_MODULES", ()):
        importlib.import_module(name)


def _load_plugins() -> None:
    from importlib.metadata import entry_points

    for ep in entry_points(group="seglab.methods"):
        before = dict(_REGISTRY)
        try:
            loaded = ep.load()
            if isinstance(loaded, ModuleType):
                _import_fronts(loaded)
        except Exception as exc:  # one broken plugin must not take the others (or seglab) down
            _REGISTRY.clear()
            _REGISTRY.update(before)
            warnings.warn(
                f"seglab plugin {ep.name!r} ({ep.value}) failed to load and its methods are missing: "
                f"{type(exc).__name__}: {exc}", PluginWarning, stacklevel=3,
            )


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for package in BUILTIN_FAMILIES:
        _import_fronts(importlib.import_module(package))
    _load_plugins()


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
    if not isinstance(name, str):
        raise UnknownMethodError(
            f"the method must be given by its name, a string; got {type(name).__name__} {name!r}. "
            "List them with `seglab methods` or seglab.list_methods()."
        )
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownMethodError(
            f"unknown method {name!r}.{did_you_mean(name, _REGISTRY)} "
            "List them with `seglab methods` or seglab.list_methods()."
        ) from None


def segment(image: Any, method: str, /, **params: Any) -> Segmentation:
    """Segment `image` with the registered `method`; exactly ``get_method(method).fn(image, **params)``.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        In its own units (uint8, uint16, float...); read files with :func:`seglab.read_image`.
    method : str
        A registered method (below, or ``seglab.list_methods()``).
    **params
        The method's parameters; ``seglab info METHOD`` (or ``get_method(method).params()``)
        lists them with their types, ranges and defaults.

    Returns
    -------
    Segmentation

    Notes
    -----
    Built-in methods by family (plugins and model methods add more):

    - threshold: adaptive, li, multiotsu, niblack, otsu, sauvola, threshold, triangle, yen
    - edge: canny, log_zero_crossing, scharr, sobel
    - region: region_growing, split_merge
    - watershed: watershed
    - clustering: fuzzy_cmeans, kmeans
    - color: color_distance, hsv_range
    - texture: gabor
    - deep (needs ``pip install "seglab[torch]"`` and weights): cnn, deeplab, fcn, mask_rcnn, segnet, unet, unet_instances, vit_seg

    Examples
    --------
    >>> import numpy as np
    >>> segment(np.arange(16.0).reshape(4, 4), "threshold", value=7.5).labels.sum()
    np.int64(8)
    """
    return get_method(method).fn(image, **params)
