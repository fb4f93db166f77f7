"""Stacks of pages segmented as one volume: one fit of a ``global`` method for all the pages, 3-D ids if asked.

A global method (thresholds, k-means, fuzzy c-means) fits its state on the
image it gets: run page by page on a scan, each slice would get its own
threshold, and k-means its own cluster numbering, so the slices of one volume
would not agree. :func:`fit_pages` fits the state once on all the pages (the
way :mod:`seglab.tiling` fits a huge image once on all its tiles): from the
pages' summed statistics where the method declares them (a histogram over
the volume's value range, so the state equals the fit on the whole volume
stacked into one image), else on a seeded sample of about a million of its
pixels drawn evenly from every page. Methods that need a neighbourhood to
fit (``halo``, e.g. the Gabor bank) keep fitting page by page.
:func:`segment_stack` segments an in-memory stack so (``seglab.segment_stack``),
and links instances across pages with :func:`seglab.modes.stitch_slices`;
``seglab segment --volume`` does the same for files, a page at a time.

Examples
--------
>>> import numpy as np
>>> from seglab.core.registry import get_method
>>> pages = [np.array([[0, 10]], np.uint8), np.array([[190, 200]], np.uint8)]
>>> state, how = fit_pages(get_method("otsu"), {}, lambda: iter(pages), len(pages))
>>> float(state["threshold"]), how["from"]
(10.0, 'statistics')
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidParameterError
from ..core.registry import MethodSpec, get_method
from ..core.types import Segmentation
from ..core.validate import as_image, as_mask

__all__ = ["fits_pages", "fit_pages", "segment_stack", "SAMPLE_PIXELS"]

#: About how many pixels a fit without statistics is drawn from, over all the pages.
SAMPLE_PIXELS = 1 << 20


def fits_pages(spec: MethodSpec, params: Mapping[str, Any]) -> bool:
    """Whether `spec` can fit one state for all the pages of a volume (a global method needing no neighbourhood)."""
    if spec.tiling != "global" or spec.apply is None or (spec.fit is None and spec.stats is None):
        return False
    halo = spec.halo(params) if callable(spec.halo) else spec.halo
    return spec.stats is not None or int(halo) == 0


def fit_pages(spec: MethodSpec, params: Mapping[str, Any], pages: Callable[[], Iterator[NDArray]], n_pages: int, *,
              mask: ArrayLike | None = None) -> tuple[Any, dict[str, Any]]:
    """The state of `spec` fitted on every page that `pages()` yields (called once or twice: pages are read again).

    Parameters
    ----------
    spec : MethodSpec
        A method for which :func:`fits_pages` holds.
    params : mapping
        Its parameters.
    pages : callable
        Yields each page in its own units (converted here as the method converts its input).
    n_pages : int
        How many pages `pages()` yields.
    mask : (H, W) array_like, optional
        The pixels of each page that count (non-zero); checked against the pages' size.

    Returns
    -------
    state, how
        ``how`` says what the fit was made from (``"statistics"`` and the value range, or ``"sample"`` and its size).
    """
    checked = spec.validate_params(params)
    if spec.stochastic:
        checked["rng"] = checked.get("rng") if isinstance(checked.get("rng"), int) else 0
    # non-finite pixels are allowed outside the mask, as when each page is segmented
    seen = lambda: (as_image(page, kind=spec.input, method=spec.name, finite_inside=mask)  # noqa: E731
                    for page in pages())
    first = next(seen())
    mask = as_mask(mask, like=first)  # one clear error for a mask of another size than the pages
    if spec.stats is not None:
        if first.dtype.kind in "iub" and first.dtype.itemsize <= 2:
            info = np.iinfo(first.dtype)
            value_range: tuple[Any, Any] = (info.min, info.max)
        else:
            ranges = [(v.min(), v.max()) for v in (im[mask] if mask is not None else im for im in seen()) if v.size]
            value_range = (min(r[0] for r in ranges), max(r[1] for r in ranges))
        total = None
        for image in seen():
            part = spec.stats(image, value_range=value_range, mask=mask, **checked)
            total = part if total is None else total + part
        state = spec.fit_stats(total, value_range=value_range, dtype=first.dtype, **checked)
        return state, {"from": "statistics", "pages": n_pages, "value_range": [float(v) for v in value_range]}
    seed = checked.get("rng") if isinstance(checked.get("rng"), int) else 0
    drawn, shape = [], None
    for k, image in enumerate(seen()):
        shape = image.shape[:2]
        drawn.append(_draw(image, mask, SAMPLE_PIXELS / n_pages, seed, k))
    sample = np.concatenate(drawn)
    # `shape` (a page's) tells the fit that it gets a sample of pixels, not an image (no positions)
    kwargs = {"shape": shape} if "shape" in inspect.signature(spec.fit).parameters else {}
    state = spec.fit(sample[:, None], **checked, mask=None, **kwargs)
    return state, {"from": "sample", "pages": n_pages, "pixels": int(sample.shape[0])}


def _draw(image: NDArray, mask: NDArray[np.bool_] | None, count: float, seed: int, page: int) -> NDArray:
    """About `count` pixels of `image` (inside `mask`) drawn at random, seeded by the page's number, in order."""
    flat = image.reshape(-1, *image.shape[2:]) if mask is None else image[mask]
    n = min(flat.shape[0], math.ceil(count))
    rng = np.random.default_rng([seed, page])
    return flat[np.sort(rng.choice(flat.shape[0], n, replace=False))]


def segment_stack(stack: ArrayLike | Sequence[ArrayLike], method: str, /, *, fit: str = "volume",
                  stitch: float | None = None, mask: ArrayLike | None = None, **params: Any) -> list[Segmentation]:
    """Segment every page of a stack with one method so that the pages agree; one result per page.

    Parameters
    ----------
    stack : (N, H, W) or (N, H, W, 3) array_like, or a sequence of N images of one size
        The pages (a volume's slices, a time series' frames).
    method : str
        A registered method.
    fit : {"volume", "page"}
        A global method (thresholds, k-means, fuzzy c-means) fits once on all
        the pages (:func:`fit_pages`; its results' ``meta["fit"]`` says how),
        or on each page alone. Other methods always work page by page.
    stitch : float, optional
        Instance results only: link the instances of neighbouring pages whose
        IoU is above `stitch` into one id (:func:`seglab.modes.stitch_slices`):
        the ids of the returned results are then 3-D objects.
    mask : (H, W) array_like of bool, optional
        The same mask for every page.
    **params
        The method's parameters.

    Returns
    -------
    list of Segmentation

    Examples
    --------
    >>> import numpy as np, seglab
    >>> stack = np.zeros((3, 6, 6), np.uint8); stack[:, 1:4, 1:4] = 200; stack[0, 0, 0] = 90
    >>> [int(s.meta["threshold"]) for s in seglab.segment_stack(stack, "otsu")]  # one threshold for all
    [90, 90, 90]
    >>> [int(s.meta["threshold"]) for s in seglab.segment_stack(stack, "otsu", fit="page")]
    [90, 0, 0]
    >>> grown = seglab.segment_stack(stack, "region_growing", seeds=[(5, 5), (2, 2)], tolerance=5, stitch=0.5)
    >>> [int(s.labels[2, 2]) for s in grown]  # the square keeps one id on every page
    [2, 2, 2]
    """
    spec = get_method(method)
    if fit not in ("volume", "page"):
        raise InvalidParameterError(f"fit must be 'volume' or 'page'; got {fit!r}.")
    pages = [np.asarray(page) for page in stack]
    if not pages:
        raise InvalidParameterError("the stack holds no page; give at least one image.")
    if pages[0].ndim < 2:
        raise InvalidParameterError(
            f"a stack is (N, H, W) or (N, H, W, 3), or a sequence of images; this one's pages have shape "
            f"{pages[0].shape}, so it is one image: segment it with seglab.segment."
        )
    if len({page.shape for page in pages}) > 1:
        raise InvalidParameterError(f"the pages of a stack must have one size; got {sorted({p.shape for p in pages})}.")
    extra = {} if mask is None else {"mask": mask}
    state, how = None, None
    if fit == "volume" and fits_pages(spec, params):
        state, how = fit_pages(spec, params, lambda: iter(pages), len(pages), mask=mask)
    results = []
    for page in pages:
        if state is None:
            results.append(spec.fn(page, **params, **extra))
            continue
        seg = spec.apply_state(page, state, **params, **extra)
        seg.meta["fit"] = dict(how or {})  # type: ignore[index]
        results.append(seg)
    if stitch is None:
        return results
    if results[0].task == "semantic":
        raise InvalidParameterError(f"stitch links instances, but {spec.name} gives classes, which are the same on "
                                    "every page already; convert with seglab.to_instance first, or drop stitch.")
    from ..modes import stitch_slices

    linked = stitch_slices(np.stack([seg.labels for seg in results]), iou_threshold=stitch)
    return [_renumbered(seg, ids) for seg, ids in zip(results, linked)]


def _renumbered(seg: Segmentation, ids: NDArray[np.int32]) -> Segmentation:
    """`seg` with its instance ids replaced by `ids` (the same partition), its segments renamed alike."""
    import dataclasses

    inside = seg.labels > 0
    pairs = np.unique(np.stack([seg.labels[inside], ids[inside]]), axis=1)
    segments = {int(new): seg.segments[int(old)] for old, new in pairs.T if int(old) in seg.segments}
    return dataclasses.replace(seg, labels=ids, segments=segments)
