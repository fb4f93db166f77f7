"""Segment one image tile by tile on Dask, by the tiling kind its method declares.

================  ==============================================================================
kind              how the tiles run (:func:`run`)
================  ==============================================================================
``pointwise``     each tile alone
``local``         each tile with the method's halo around it, cropped after: equal to untiled
``global``        fit once, then ``apply`` per tile: from summed tile statistics when the method
                  declares ``stats``/``fit_stats`` (the thresholds: the untiled state exactly),
                  else on a bounded sample (pixels drawn from every tile; methods with a halo
                  are fitted on the central window)
``instance``      each tile with ``overlap`` around it; labels are kept in the tile's core and
                  joined across seams where two tiles' labels overlap with IoU > 0.5 in the
                  pixels both saw (:mod:`.stitch`), then numbered 1..N in raster order
``model``         overlapping windows; class scores (``return_scores``) blended with a
                  Gaussian weight before the argmax; a ``fit`` hook, when the method has
                  one, measures parameters once on a sample of the whole image (the
                  networks' input range) that every window then receives
================  ==============================================================================

``as_task="instance"`` splits a class map into connected components across
tiles exactly (the same objects and numbering as
:func:`seglab.to_instance` on the whole image).

Seam rule of ``instance`` methods: an object comes out whole and as untiled
when every tile whose core it touches sees it whole, with the method's
context: it reaches at most ``margin - halo`` pixels past the seams it
crosses (``margin = max(halo, ceil(overlap * tile_size / 2))``). A larger
object can be cut at a seam (two ids) or, for methods that drop regions
touching the image border (the edge methods), lost in the tiles that do not
see it whole. Parameters the method derives from the image size (the
watershed's default ``window_size``) follow the window, not the whole image:
give them explicitly.

Examples
--------
>>> import numpy as np
>>> img = np.zeros((200, 200), np.uint8); img[20:180, 90:110] = 200; img[90:110, 20:180] = 200
>>> seg = run(img, "otsu", tile_size=64, as_task="instance")
>>> seg.task, seg.num_segments, seg.labels.chunksize
('instance', 1, (64, 64))
"""

from __future__ import annotations

import inspect
import math
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import __version__
from ..core.errors import InvalidImageError, InvalidParameterError
from ..core.optional import require
from ..core.registry import MethodSpec, describe_value, get_method
from ..core.types import Segment, Segmentation
from ..core.validate import as_image
from .plan import Tile, TilePlan, margin_for, plan_tiles
from .sources import Source, open_image, open_mask
from .stitch import TileIds, overlap_links, resolve, tile_ids, touch_links
from .stores import LabelStore, Target, create_store

__all__ = ["run", "TiledSegmentation", "SAMPLE_PIXELS", "FIT_WINDOW"]

#: Pixels drawn (in total, over every tile) to fit a ``global`` method that has no combinable statistics.
SAMPLE_PIXELS = 1 << 20
#: Side of the central window a ``global`` method with a halo is fitted on.
FIT_WINDOW = 2048
_CONNECTIVITY = 8  # of connected components, as seglab.to_instance


@dataclass(frozen=True)
class TiledSegmentation:
    """The result of a tiled run: labels in a store, read lazily, and what :class:`~seglab.Segmentation` holds.

    Attributes
    ----------
    labels : dask.array.Array
        ``(H, W)`` int32, chunks of the tile size, read from `store` (or memory).
    task, classes, segments, method, params, meta
        As in :class:`~seglab.Segmentation`; ``meta["tiling"]`` records the
        tile size, margin, kind and how a global method was fitted.
    store : Path or None
        Where the labels are (None: in memory).
    """

    labels: Any
    task: str
    classes: tuple[str, ...] = ()
    segments: Mapping[int, Segment] = field(default_factory=dict)
    method: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)
    store: Path | None = None

    @property
    def num_segments(self) -> int:
        """Number of segments: instance ids, or the classes present (semantic)."""
        if self.task != "semantic":
            return len(self.segments)
        return int(self.meta.get("num_classes_present", 0))

    def to_segmentation(self) -> Segmentation:
        """The whole result in memory, as a :class:`~seglab.Segmentation` (small images only)."""
        return Segmentation(labels=np.asarray(self.labels, dtype=np.int32), task=self.task,  # type: ignore[arg-type]
                            classes=self.classes, segments=dict(self.segments), method=self.method,
                            params=dict(self.params), meta=dict(self.meta))


@dataclass(frozen=True)
class _Context:
    """Everything a tile task needs; picklable (the method is looked up by name in each worker)."""

    method: str
    params: Mapping[str, Any]
    source: Source
    mask: Source | None
    target: Target
    plan: TilePlan
    state: Any = None
    things: tuple[int, ...] | None = None


def run(
    image: Any,
    method: str | MethodSpec,
    /,
    *,
    tile_size: int = 1024,
    overlap: float | None = None,
    out: str | Path | None = None,
    mask: Any = None,
    page: int | None = None,
    as_task: str | None = None,
    things: Sequence[str | int] | None = None,
    scheduler: Any = None,
    workers: int | None = None,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
    **params: Any,
) -> TiledSegmentation:
    """Segment `image` tile by tile with `method`, reading it lazily and writing the labels to `out`.

    Parameters
    ----------
    image : ndarray, dask array, zarr array, str or path-like
        The image, or a TIFF / OME-TIFF file (tiled or striped) or zarr / OME-Zarr store.
    method : str or MethodSpec
        A registered method whose ``tiling`` declaration says how it tiles.
    tile_size : int
        Side of the square tiles (the chunk side of the output). Odd sizes work.
    overlap : float, optional
        Fraction of a tile shared with its neighbour (``instance`` and ``model``
        methods; default 0.25): each tile reads ``ceil(overlap * tile_size / 2)``
        pixels around it, or the method's halo if that is larger.
    out : str or path-like, optional
        ``*.zarr``, ``*.ome.zarr`` or ``*.tif``; None keeps the labels in memory.
    mask : array or path, optional
        Same shape as the image; pixels outside get label 0 (and do not enter a global fit).
    page : int, optional
        Page of a multi-page TIFF.
    as_task : {"semantic", "instance"}, optional
        Convert the result: a class map split into connected components across
        tiles, or an instance result's classes.
    things : sequence of str or int, optional
        With ``as_task="instance"``: the classes to split (default every class but 0).
    scheduler : str or distributed.Client, optional
        A ``dask.distributed`` client or a scheduler address ``"tcp://host:port"``;
        default: dask's threads in this process.
    workers : int, optional
        Threads of the local scheduler (default: the CPU count).
    overwrite : bool
        Replace an existing `out` store. Without it, a store holding this very
        run (same method, parameters, input), complete, is reused as it is, and
        one holding anything else is refused.
    progress : callable, optional
        ``progress(done, total)`` after each tile task.
    **params
        The method's parameters.

    Returns
    -------
    TiledSegmentation

    Raises
    ------
    InvalidParameterError
        A method with no usable tiling declaration, a tile size smaller than
        the method's context, bad parameters, an unsupported conversion.
    InvalidImageError
        An input that cannot be read lazily (see :func:`seglab.tiling.open_image`).
    OutputStoreError
        `out` holds other data, or cannot be written.
    MissingDependencyError
        dask or zarr is not installed (``pip install "seglab[dask]"``).

    Examples
    --------
    >>> import numpy as np, seglab
    >>> img = np.random.default_rng(0).integers(0, 255, (150, 130)).astype(np.uint8)
    >>> tiled = run(img, "sauvola", tile_size=97, window_size=15)
    >>> bool((np.asarray(tiled.labels) == seglab.segment(img, "sauvola", window_size=15).labels).all())
    True
    """
    for module in ("dask", "zarr"):
        require(module, extra="dask", feature="seglab.tiling")
    spec = get_method(method) if isinstance(method, str) else method
    spec.require()
    checked = spec.validate_params(params)
    _check_declaration(spec, as_task)
    margin = margin_for(spec, checked, tile_size=tile_size, overlap=overlap)
    source = open_image(image, page=page)
    if spec.input == "color" and source.channels != 3:
        raise InvalidParameterError(f"{spec.name} needs an RGB image; {source.name} is gray.")
    mask_source = None if mask is None else open_mask(mask, source.shape)
    if mask_source is not None and not spec.takes_mask:
        raise InvalidParameterError(f"{spec.name} takes no mask.")
    plan = plan_tiles(source.shape, tile_size=tile_size, margin=margin)
    record = {
        "seglab_version": __version__, "method": spec.name, "params": _jsonable(checked), "input": source.name,
        "page": page, "shape": list(source.shape), "task": as_task or spec.task, "as_task": as_task,
        "things": None if things is None else list(things), "mask": None if mask is None else _name(mask),
    }
    if out is None and scheduler is not None:
        raise InvalidParameterError(
            "a run on a dask cluster writes its labels where every worker can reach them: give out= a .zarr, "
            ".ome.zarr or .tif path on a shared file system."
        )
    executor = _Executor(scheduler, workers, progress)  # an address that does not answer fails before any write
    try:
        store = create_store(out, shape=source.shape, tile_size=tile_size, record=record, overwrite=overwrite)
        if store.reused:
            return _result(store, spec)
        try:
            extra, seconds = _compute(spec, executor, source, mask_source, store, plan, checked, as_task, things)
        except BaseException:
            store.abort()
            raise
    finally:
        executor.close()
    extra["meta"] = {**extra.get("meta", {}), "tiling": {
        **extra["meta"].get("tiling", {}), "kind": spec.tiling, "tile_size": tile_size, "margin": margin,
        "tiles": len(plan.tiles), "seconds": seconds,
    }}
    store.finish(_jsonable(extra))
    return _result(store, spec)


def _compute(spec: MethodSpec, executor: _Executor, source: Source, mask: Source | None, store: LabelStore,
             plan: TilePlan, params: Mapping[str, Any], as_task: str | None,
             things: Sequence[str | int] | None) -> tuple[dict[str, Any], float]:
    ctx = _Context(spec.name if _registered(spec) else spec, params, source, mask,  # type: ignore[arg-type]
                   store.target, plan)
    start = time.perf_counter()
    extra = _dispatch(spec, ctx, executor, as_task, things)
    return extra, round(time.perf_counter() - start, 3)


def _registered(spec: MethodSpec) -> bool:
    try:
        return get_method(spec.name) is spec
    except LookupError:
        return False


def _name(obj: Any) -> str:
    return str(obj) if isinstance(obj, (str, Path)) else f"<{type(obj).__name__}>"


def _jsonable(value: Any) -> Any:
    from ..io import to_jsonable

    return to_jsonable(describe_value(value))


def _check_declaration(spec: MethodSpec, as_task: str | None) -> None:
    if spec.tiling not in ("pointwise", "local", "global", "instance", "model"):
        raise InvalidParameterError(f"{spec.name} has no usable tiling declaration ({spec.tiling!r}).")
    if spec.tiling == "global" and (spec.fit is None or spec.apply is None):
        raise InvalidParameterError(f"{spec.name} declares tiling='global' without fit/apply; it cannot be tiled.")
    if spec.tiling == "model" and ("return_scores" not in {p.name for p in spec.params()} or spec.task != "semantic"):
        raise InvalidParameterError(
            f"{spec.name} declares tiling='model' but gives no class scores to blend (a semantic method with a "
            "return_scores parameter); it cannot be tiled."
        )
    if as_task not in (None, "semantic", "instance", spec.task):
        raise InvalidParameterError(
            f"as_task={as_task!r}: a tiled run converts to 'semantic' or 'instance'; convert to panoptic after."
        )


def _result(store: LabelStore, spec: MethodSpec) -> TiledSegmentation:
    rec = store.record
    classes = rec.get("segment_classes", [])
    shared = {c: Segment(class_id=int(c)) for c in set(classes)}  # frozen: one per class serves every id
    segments = {i: shared[c] for i, c in enumerate(classes, start=1)}
    return TiledSegmentation(labels=store.labels(), task=rec["task"], classes=tuple(rec.get("classes", ())),
                             segments=segments, method=spec.name, params=rec["params"], meta=rec.get("meta", {}),
                             store=store.out)


# --------------------------------------------------------------------------- execution


class _Executor:
    """Runs lists of dask.delayed tasks on dask's threads or a distributed cluster, reporting progress."""

    def __init__(self, scheduler: Any, workers: int | None, progress: Callable[[int, int], None] | None) -> None:
        self.client = _client(scheduler) if scheduler is not None else None
        self.owned = isinstance(scheduler, str)  # a client made here is closed here
        self.workers = workers
        self.progress = progress

    def close(self) -> None:
        """Close a client this executor connected."""
        if self.owned and self.client is not None:
            self.client.close()

    def compute(self, tasks: list[Any]) -> list[Any]:
        import dask

        total = len(tasks)
        if self.client is not None:
            from distributed import as_completed

            futures = self.client.compute(tasks)
            for done, _ in enumerate(as_completed(futures), start=1):
                if self.progress:
                    self.progress(done, total)
            return self.client.gather(futures)
        keys = {t.key for t in tasks}
        counter = _Progress(keys, self.progress, total)
        with counter:
            return list(dask.compute(*tasks, scheduler="threads", num_workers=self.workers))


class _Progress:
    """A dask callback that reports each finished task of a set of keys."""

    def __init__(self, keys: set[Any], report: Callable[[int, int], None] | None, total: int) -> None:
        from dask.callbacks import Callback

        self.done = 0

        def posttask(key: Any, *_: Any) -> None:
            if key in keys:
                self.done += 1
                if report:
                    report(self.done, total)

        self.callback = Callback(posttask=posttask)

    def __enter__(self) -> _Progress:
        self.callback.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.callback.__exit__(*exc)


def _client(scheduler: Any) -> Any:
    """A distributed client: the one given, or connected to an address within a few seconds."""
    if not isinstance(scheduler, str):
        return scheduler
    from .batch import connect

    return connect(scheduler)


def _delayed(fn: Callable[..., Any], *args: Any) -> Any:
    import dask

    return dask.delayed(fn, pure=False)(*args)


def _shared(ctx: _Context) -> Any:
    """The context as one graph key, so that distributed sends it to each worker once."""
    import dask

    return dask.delayed(ctx, name=f"tiling-context-{uuid.uuid4().hex}", traverse=False)


# --------------------------------------------------------------------------- dispatch


def _dispatch(spec: MethodSpec, ctx: _Context, executor: _Executor, as_task: str | None,
              things: Sequence[str | int] | None) -> dict[str, Any]:
    import dataclasses

    if spec.tiling == "global":
        state, how = _fit(spec, ctx, executor)
        ctx = dataclasses.replace(ctx, state=state)
    elif spec.tiling == "model" and spec.fit is not None:  # e.g. the input range of the whole image
        sample, how = _sample(spec, ctx, executor)
        fitted = spec.fit(sample, **ctx.params)
        how["params"] = {k: describe_value(v) for k, v in fitted.items()}
        ctx = dataclasses.replace(ctx, params={**ctx.params, **fitted})
    else:
        how = None
    if spec.tiling == "instance":
        return _instance(spec, ctx, executor, as_task)
    first = _semantic_window(spec, ctx, ctx.plan.tiles[0])  # classes and meta, and errors before the fan-out
    extra: dict[str, Any] = {"classes": list(first.classes), "task": "semantic", "meta": dict(first.meta)}
    if how:
        extra["meta"]["tiling"] = {"fit": how}
    if as_task == "instance":
        ids = _things(first.classes, things)
        ctx = dataclasses.replace(ctx, things=ids)
        extra.update(_components(spec, ctx, executor))
        extra["task"] = "instance"
        return extra
    if spec.tiling == "model":
        present = _model_tiles(ctx, executor)
    else:
        shared = _shared(ctx)
        present = executor.compute([_delayed(_semantic_tile, shared, t) for t in ctx.plan.tiles])
    extra["meta"]["num_classes_present"] = len({c for p in present for c in p if c > 0})
    return extra


def _things(classes: Sequence[str], things: Sequence[str | int] | None) -> tuple[int, ...]:
    from ..modes import _class_ids

    probe = Segmentation(np.zeros((1, 1), np.int32), "semantic", classes=tuple(classes))
    return tuple(sorted(_class_ids(probe, things, "things")))


# --------------------------------------------------------------------------- reading and segmenting a window


def _spec(ctx: _Context) -> MethodSpec:
    return ctx.method if isinstance(ctx.method, MethodSpec) else get_method(ctx.method)  # type: ignore[return-value]


def _read(spec: MethodSpec, ctx: _Context, window: tuple[slice, slice]) -> tuple[NDArray, NDArray | None]:
    """The method's image of `window` (non-finite pixels allowed outside the mask, as untiled) and its mask."""
    mask = None if ctx.mask is None else ctx.mask.read(window)
    try:
        image = as_image(ctx.source.read(window), kind=spec.input, method=spec.name, finite_inside=mask)
    except InvalidImageError as exc:  # say where: a tiled run checks the image tile by tile
        rows, cols = window
        raise InvalidImageError(f"{exc} (found in the tile of rows {rows.start}-{rows.stop - 1}, columns "
                                f"{cols.start}-{cols.stop - 1}; a tiled run checks the image tile by tile)") from None
    return image, mask


def _params_for(ctx: _Context, window: tuple[slice, slice], model: bool = False) -> dict[str, Any]:
    """The method's parameters for one window: image-shaped arrays (markers, ...) are cut like the image.

    A model's window is its tile: ``tile_size`` becomes None (one forward pass, blended here).
    """
    params = {k: v[window] if isinstance(v, np.ndarray) and v.shape[:2] == ctx.source.shape else v
              for k, v in ctx.params.items()}
    if model and "tile_size" in params:
        params["tile_size"] = None
    return params


def _masked(labels: NDArray[np.int32], mask: NDArray | None) -> NDArray[np.int32]:
    return labels if mask is None or mask.all() else np.where(mask, labels, np.int32(0))


def _semantic_window(spec: MethodSpec, ctx: _Context, tile: Tile) -> Segmentation:
    """The method's result on the tile's window (pointwise, local, global; model without blending)."""
    image, mask = _read(spec, ctx, tile.window)
    extra = {} if mask is None else {"mask": mask}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a note per tile would repeat; the untiled run shows them once
        if spec.tiling != "global":
            return spec.fn(image, **_params_for(ctx, tile.window, spec.tiling == "model"), **extra)
        kwargs = {"offset": tile.origin} if "offset" in inspect.signature(spec.apply).parameters else {}
        seg = spec.apply(image, ctx.state, **extra, **kwargs)
    return Segmentation(_masked(seg.labels, mask), seg.task, seg.classes, seg.segments, seg.scores, spec.name,
                        meta=seg.meta)


def _semantic_tile(ctx: _Context, tile: Tile) -> set[int]:
    """Segment one tile and write its core; return the classes present."""
    spec = _spec(ctx)
    core = _semantic_window(spec, ctx, tile).labels[tile.inner]
    ctx.target.write(tile.core, core)
    return _classes_present(core)


def _classes_present(labels: NDArray[np.int32]) -> set[int]:
    return {int(v) for v in np.unique(labels)}


# --------------------------------------------------------------------------- global fit


def _fit(spec: MethodSpec, ctx: _Context, executor: _Executor) -> tuple[Any, dict[str, Any]]:
    """Fit a global method once: from summed statistics, or on a bounded sample."""
    shared = _shared(ctx)
    tiles = ctx.plan.tiles
    dtype = _work_dtype(spec, ctx)
    if spec.stats is not None:
        if dtype.kind in "iub" and dtype.itemsize <= 2:
            info = np.iinfo(dtype)
            value_range: tuple[Any, Any] = (info.min, info.max)
        else:
            ranges = executor.compute([_delayed(_tile_range, shared, t) for t in tiles])
            found = [r for r in ranges if r is not None] or executor.compute(
                [_delayed(_tile_range, shared, t, False) for t in tiles])
            value_range = (min(r[0] for r in found), max(r[1] for r in found))
        parts = executor.compute([_delayed(_tile_stats, shared, t, value_range) for t in tiles])
        state = spec.fit_stats(sum(parts[1:], parts[0]), value_range=value_range, dtype=dtype, **ctx.params)
        return state, {"from": "statistics", "value_range": [float(v) for v in value_range]}
    halo = int(spec.halo(ctx.params) if callable(spec.halo) else spec.halo)
    fit_kwargs: dict[str, Any] = {}
    if _accepts(spec.fit, "shape"):
        fit_kwargs["shape"] = ctx.source.shape
    if halo > 0:  # features need their neighbourhood: fit on the central window
        h, w = ctx.source.shape
        side_h, side_w = min(h, FIT_WINDOW), min(w, FIT_WINDOW)
        window = (slice((h - side_h) // 2, (h + side_h) // 2), slice((w - side_w) // 2, (w + side_w) // 2))
        image, mask = _read(spec, ctx, window)
        how = {"from": "window", "rows": [window[0].start, window[0].stop], "cols": [window[1].start, window[1].stop]}
    else:
        image, how = _sample(spec, ctx, executor)
        mask = None
    return spec.fit(image, **ctx.params, mask=mask, **fit_kwargs), how


def _sample(spec: MethodSpec, ctx: _Context, executor: _Executor) -> tuple[NDArray, dict[str, Any]]:
    """At most about SAMPLE_PIXELS pixels drawn from every tile (inside the mask), as an ``(N, 1[, C])`` image."""
    total = ctx.source.shape[0] * ctx.source.shape[1]
    seed = ctx.params.get("rng") if isinstance(ctx.params.get("rng"), int) else 0
    shared = _shared(ctx)
    samples = executor.compute([_delayed(_tile_sample, shared, t, SAMPLE_PIXELS / total, seed)
                                for t in ctx.plan.tiles])
    image = np.concatenate(samples, axis=0)[:, None]
    if image.shape[0] == 0:
        raise InvalidParameterError(f"{spec.name}: the mask selects no pixel to fit on.")
    return image, {"from": "sample", "pixels": int(image.shape[0])}


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    params = inspect.signature(fn).parameters
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _work_dtype(spec: MethodSpec, ctx: _Context) -> np.dtype:
    """The dtype the method sees (after any conversion to gray), from one pixel.

    That pixel's value is not checked (``finite_inside`` an empty mask): a NaN there is reported by the tile that
    holds it, with the count of the image's non-finite pixels, not as "all pixels are not finite".
    """
    corner = ctx.source.read((slice(0, 1), slice(0, 1)))
    return as_image(corner, kind=spec.input, method=spec.name, finite_inside=np.zeros((1, 1), bool)).dtype


def _tile_range(ctx: _Context, tile: Tile, masked: bool = True) -> tuple[Any, Any] | None:
    spec = _spec(ctx)
    image, mask = _read(spec, ctx, tile.core)
    values = image[mask] if masked and mask is not None else image
    return (values.min(), values.max()) if values.size else None


def _tile_stats(ctx: _Context, tile: Tile, value_range: tuple[Any, Any]) -> NDArray:
    spec = _spec(ctx)
    image, mask = _read(spec, ctx, tile.core)
    return spec.stats(image, value_range=value_range, mask=mask, **ctx.params)


def _tile_sample(ctx: _Context, tile: Tile, fraction: float, seed: int) -> NDArray:
    """Pixels of the tile's core (inside the mask) drawn at random, ``fraction`` of them (rounded up)."""
    spec = _spec(ctx)
    image, mask = _read(spec, ctx, tile.core)
    flat = image.reshape(-1, *image.shape[2:]) if mask is None else image[mask]
    count = min(flat.shape[0], math.ceil(fraction * flat.shape[0]))
    rng = np.random.default_rng([seed, *tile.index])
    return flat[np.sort(rng.choice(flat.shape[0], count, replace=False))]


# --------------------------------------------------------------------------- model: blended windows


def _window_weight(shape: tuple[int, int]) -> NDArray[np.float32]:
    """Gaussian blending weight of a window, sigma 1/8 of each side, peak 1 (as MONAI and seglab's predictor)."""
    axes = [np.exp(-0.5 * ((np.arange(n) - (n - 1) / 2) / (n / 8)) ** 2) for n in shape]
    return np.outer(*axes).astype(np.float32)


def _model_scores(ctx: _Context, tile: Tile) -> NDArray[np.float32]:
    """Weighted class scores of one window, and the weight, stacked: (K + 1, h, w)."""
    spec = _spec(ctx)
    image, mask = _read(spec, ctx, tile.window)
    params = {**_params_for(ctx, tile.window, model=True), "return_scores": True}
    seg = spec.fn(image, **params, **({} if mask is None else {"mask": mask}))
    weight = _window_weight(image.shape[:2])
    return np.concatenate([seg.scores * weight, weight[None]])


def _model_tiles(ctx: _Context, executor: _Executor) -> list[set[int]]:
    """Every window's scores once; each tile blends the windows over its core (its own and its neighbours')."""
    shared = _shared(ctx)
    plan = ctx.plan
    scores = {t.index: _delayed(_model_scores, shared, t) for t in plan.tiles}
    return executor.compute([_delayed(_model_blend, shared, t, {o.index: scores[o.index] for o in _around(plan, t)})
                             for t in plan.tiles])


def _around(plan: TilePlan, tile: Tile) -> list[Tile]:
    """The tile and its up to 8 neighbours."""
    i, j = tile.index
    return [plan.tile(i + di, j + dj) for di in (-1, 0, 1) for dj in (-1, 0, 1)
            if 0 <= i + di < plan.grid[0] and 0 <= j + dj < plan.grid[1]]


def _model_blend(ctx: _Context, tile: Tile, windows: Mapping[tuple[int, int], NDArray[np.float32]]) -> set[int]:
    """Sum the weighted scores of the windows over the tile's core, divide by the weights, argmax, write."""
    total = None
    for index, scores in windows.items():
        window = ctx.plan.tile(*index).window
        rows, cols = _intersect(tile.core[0], window[0]), _intersect(tile.core[1], window[1])
        if rows is None or cols is None:
            continue
        if total is None:
            total = np.zeros((scores.shape[0], *_extent(tile.core)), np.float32)
        total[:, _shift(rows, tile.core[0]), _shift(cols, tile.core[1])] += scores[:, _shift(rows, window[0]),
                                                                                    _shift(cols, window[1])]
    assert total is not None  # a tile's own window covers its core
    labels = np.argmax(total[:-1], axis=0).astype(np.int32)
    if ctx.mask is not None:
        labels = _masked(labels, ctx.mask.read(tile.core))
    ctx.target.write(tile.core, labels)
    return _classes_present(labels)


def _extent(window: tuple[slice, slice]) -> tuple[int, int]:
    return window[0].stop - window[0].start, window[1].stop - window[1].start


def _shift(part: slice, within: slice) -> slice:
    """`part` (image coordinates) relative to the start of `within`."""
    return slice(part.start - within.start, part.stop - within.start)


def _intersect(a: slice, b: slice) -> slice | None:
    lo, hi = max(a.start, b.start), min(a.stop, b.stop)
    return slice(lo, hi) if lo < hi else None


# --------------------------------------------------------------------------- instances


def _components(spec: MethodSpec, ctx: _Context, executor: _Executor) -> dict[str, Any]:
    """Connected components of the class map across tiles (exact): per-tile components, touch links, relabel."""
    shared = _shared(ctx)
    summaries = executor.compute([_delayed(_component_tile, shared, t) for t in ctx.plan.tiles])
    return _stitch(ctx, executor, shared, summaries, _touch_pairs(ctx.plan, summaries))


def _component_tile(ctx: _Context, tile: Tile) -> tuple[TileIds, dict[str, NDArray]]:
    from ..postprocess import connected_components

    spec = _spec(ctx)
    core = _semantic_window(spec, ctx, tile).labels[tile.inner]
    things = np.isin(core, ctx.things)
    ids, source = connected_components(np.where(things | (core < 0), core, 0), connectivity=_CONNECTIVITY)
    ctx.target.write(tile.core, ids)
    cls = np.where(ids > 0, core, 0)
    # copies: views would keep the whole tile alive until every tile is done
    border = {"top": (cls[0].copy(), ids[0].copy()), "bottom": (cls[-1].copy(), ids[-1].copy()),
              "left": (cls[:, 0].copy(), ids[:, 0].copy()), "right": (cls[:, -1].copy(), ids[:, -1].copy())}
    origin = (tile.core[0].start, tile.core[1].start)
    return tile_ids(ids, origin, ctx.plan.shape[1], source), border


def _touch_pairs(plan: TilePlan, summaries: list[tuple[TileIds, dict[str, Any]]]) -> list[tuple[int, int, NDArray]]:
    nx = plan.grid[1]
    links = []
    for a, b in plan.neighbours():
        ia, ib = a.index[0] * nx + a.index[1], b.index[0] * nx + b.index[1]
        sa, sb = summaries[ia][1], summaries[ib][1]
        di, dj = b.index[0] - a.index[0], b.index[1] - a.index[1]
        if (di, dj) == (0, 1):
            pairs = touch_links(*sa["right"], *sb["left"], _CONNECTIVITY)
        elif (di, dj) == (1, 0):
            pairs = touch_links(*sa["bottom"], *sb["top"], _CONNECTIVITY)
        elif (di, dj) == (1, 1):
            pairs = touch_links(sa["bottom"][0][-1:], sa["bottom"][1][-1:], sb["top"][0][:1], sb["top"][1][:1],
                                _CONNECTIVITY)
        else:
            pairs = touch_links(sa["bottom"][0][:1], sa["bottom"][1][:1], sb["top"][0][-1:], sb["top"][1][-1:],
                                _CONNECTIVITY)
        links.append((ia, ib, pairs))
    return links


def _instance(spec: MethodSpec, ctx: _Context, executor: _Executor, as_task: str | None) -> dict[str, Any]:
    """An instance method on overlapping windows: core ids kept, IoU links in the shared regions, relabel."""
    shared = _shared(ctx)
    plan = ctx.plan
    summaries = executor.compute([_delayed(_instance_tile, shared, t) for t in plan.tiles])
    nx = plan.grid[1]
    links = []
    for a, b in plan.neighbours():
        ia, ib = a.index[0] * nx + a.index[1], b.index[0] * nx + b.index[1]
        links.append((ia, ib, overlap_links(_unpack(summaries[ia][1][b.index]), _unpack(summaries[ib][1][a.index]))))
    info = summaries[0][2]
    extra = _stitch(ctx, executor, shared, [(s[0], None) for s in summaries], links,
                    semantic=as_task == "semantic")
    extra.update({"classes": info["classes"], "task": "semantic" if as_task == "semantic" else "instance",
                  "meta": info["meta"]})
    return extra


def _instance_tile(ctx: _Context, tile: Tile) -> tuple[TileIds, dict[tuple[int, int], Any], dict[str, Any]]:
    spec = _spec(ctx)
    image, mask = _read(spec, ctx, tile.window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seg = spec.fn(image, **_params_for(ctx, tile.window), **({} if mask is None else {"mask": mask}))
    labels = seg.labels
    core = labels[tile.inner]
    ctx.target.write(tile.core, core)
    count = int(labels.max(initial=0))
    classes = np.zeros(count + 1, np.int64)
    for sid, segment in seg.segments.items():
        if 0 < sid <= count:
            classes[sid] = segment.class_id
    shared: dict[tuple[int, int], NDArray] = {}
    plan = ctx.plan
    i, j = tile.index
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if (di or dj) and 0 <= i + di < plan.grid[0] and 0 <= j + dj < plan.grid[1]:
                other = plan.tile(i + di, j + dj).window
                rows, cols = _intersect(tile.window[0], other[0]), _intersect(tile.window[1], other[1])
                if rows is not None and cols is not None:
                    part = labels[_shift(rows, tile.window[0]), _shift(cols, tile.window[1])]
                    shared[(i + di, j + dj)] = _pack(part)  # compressed: every tile's strips wait for the links
    origin = (tile.core[0].start, tile.core[1].start)
    info = {"classes": list(seg.classes), "meta": dict(seg.meta)}
    return tile_ids(core, origin, plan.shape[1], classes), shared, info


def _pack(labels: NDArray[np.int32]) -> tuple[tuple[int, ...], bytes]:
    """Labels compressed (zlib level 1: label strips shrink about 50-fold), to hold many tiles' strips."""
    import zlib

    return labels.shape, zlib.compress(np.ascontiguousarray(labels, np.int32).tobytes(), 1)


def _unpack(packed: tuple[tuple[int, ...], bytes]) -> NDArray[np.int32]:
    import zlib

    shape, data = packed
    return np.frombuffer(zlib.decompress(data), np.int32).reshape(shape)


def _stitch(ctx: _Context, executor: _Executor, shared: Any, summaries: Sequence[tuple[TileIds, Any]],
            links: list[tuple[int, int, NDArray]], *, semantic: bool = False) -> dict[str, Any]:
    """Resolve global ids, then relabel every tile in place (to classes with `semantic`)."""
    tiles = [s[0] for s in summaries]
    if semantic:
        tables = [np.append(t.classes, -1).astype(np.int32) for t in tiles]
        executor.compute([_delayed(_relabel_tile, shared, t, table) for t, table in zip(ctx.plan.tiles, tables)])
        return {}
    tables, classes = resolve(tiles, links)
    executor.compute([_delayed(_relabel_tile, shared, t, table) for t, table in zip(ctx.plan.tiles, tables)])
    return {"segment_classes": classes[1:].tolist()}


def _relabel_tile(ctx: _Context, tile: Tile, table: NDArray[np.int32]) -> None:
    local = ctx.target.read(tile.core)
    ctx.target.write(tile.core, table[local])
