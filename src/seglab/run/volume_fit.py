"""One fit for all the pages of a volume: the threshold or clusters of a ``global`` method measured on the volume.

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
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.registry import MethodSpec
from ..core.validate import as_image

__all__ = ["fits_pages", "fit_pages", "SAMPLE_PIXELS"]

#: About how many pixels a fit without statistics is drawn from, over all the pages.
SAMPLE_PIXELS = 1 << 20


def fits_pages(spec: MethodSpec, params: Mapping[str, Any]) -> bool:
    """Whether `spec` can fit one state for all the pages of a volume (a global method needing no neighbourhood)."""
    if spec.tiling != "global" or spec.apply is None or (spec.fit is None and spec.stats is None):
        return False
    halo = spec.halo(params) if callable(spec.halo) else spec.halo
    return spec.stats is not None or int(halo) == 0


def fit_pages(spec: MethodSpec, params: Mapping[str, Any], pages: Callable[[], Iterator[NDArray]], n_pages: int, *,
              mask: NDArray[np.bool_] | None = None) -> tuple[Any, dict[str, Any]]:
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
    mask : (H, W) ndarray of bool, optional
        The pixels of each page that count.

    Returns
    -------
    state, how
        ``how`` says what the fit was made from (``"statistics"`` and the value range, or ``"sample"`` and its size).
    """
    checked = spec.validate_params(params)
    if spec.stochastic:
        checked["rng"] = checked.get("rng") if isinstance(checked.get("rng"), int) else 0
    seen = lambda: (as_image(page, kind=spec.input, method=spec.name) for page in pages())  # noqa: E731
    if spec.stats is not None:
        first = next(seen())
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
