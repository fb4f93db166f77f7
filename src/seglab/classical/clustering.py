"""Clustering segmenters: k-means and fuzzy c-means on pixel colours.

Each pixel is a feature vector: its intensity (gray), its RGB values in the
image's units, its CIE Lab colour, or its HSV colour on the HSV cone
``(s cos h, s sin h, v)`` (so hue wraps correctly), optionally followed by
its scaled (row, col) position. Clusters are numbered 1..K in a canonical
order (by increasing centre luminance, ties by the centre's features), so
that the same data give the same labels; 0 is background (outside `mask`).

Examples
--------
>>> import numpy as np
>>> from seglab.classical.clustering import kmeans
>>> img = np.zeros((4, 4), np.uint8); img[:, 2:] = 200
>>> kmeans(img, num_classes=2, rng=0).labels.tolist()
[[1, 1, 2, 2], [1, 1, 2, 2], [1, 1, 2, 2], [1, 1, 2, 2]]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidImageError, InvalidParameterError
from ..core.memory import available_memory
from ..core.params import Interval, Renamed
from ..core.registry import register
from ..core.types import Segmentation
from ..core.validate import LUMA_WEIGHTS, check_param, float_dtype_for
from .color import rgb_to_hsv, rgb_to_lab

__all__ = ["kmeans", "fuzzy_cmeans"]

ColorSpace = Literal["rgb", "lab", "hsv"]

#: Floor of squared distances in fuzzy c-means: scikit-fuzzy's, (float64 eps) ** 2.
_D2_FLOOR = float(np.finfo(np.float64).eps) ** 2
#: Pixels per block of a fuzzy c-means pass (its temporaries stay in cache).
_FCM_BLOCK = 1 << 14


# --------------------------------------------------------------------------- features


def _features(
    image: NDArray,
    color_space: str,
    spatial_weight: float,
    mask: NDArray[np.bool_] | None,
    ftype: type,
    *,
    offset: tuple[int, int] = (0, 0),
    shape: tuple[int, int] | None = None,
    origin: NDArray[np.float64] | None = None,
) -> NDArray:
    """(N, D) features of the pixels in `mask` (all pixels when None), row-major order.

    `origin` (per colour channel) is subtracted in float64 before the cast to `ftype`: 32- and 64-bit integers
    far from 0 keep their differences in float32 (a step of 3 on an offset of 2**30 would vanish).
    """
    if image.ndim == 2:
        check_param(
            color_space == "rgb", "color_space",
            f"{color_space!r} needs an (H, W, 3) RGB image; a gray image is clustered on its "
            "intensities with color_space='rgb'.",
        )
        colour = image[..., None]
    elif color_space == "lab":
        colour = rgb_to_lab(image)
    elif color_space == "hsv":
        hsv = rgb_to_hsv(image)
        hue = np.deg2rad(hsv[..., 0])
        colour = np.stack([hsv[..., 1] * np.cos(hue), hsv[..., 1] * np.sin(hue), hsv[..., 2]], axis=-1)
    else:
        colour = image
    x = colour.reshape(-1, colour.shape[-1]) if mask is None else colour[mask]
    x = (x.astype(np.float64) - origin).astype(ftype) if origin is not None else x.astype(ftype, copy=False)
    if spatial_weight == 0:
        return x
    height, width = shape or image.shape[:2]
    scale = spatial_weight / max(height, width)
    if mask is None:
        rows, cols = np.divmod(np.arange(x.shape[0]), image.shape[1])
    else:
        rows, cols = np.nonzero(mask)
    pos = np.stack([rows + offset[0], cols + offset[1]], axis=1) * scale
    return np.hstack([x, pos.astype(ftype)])


def _canonical_order(centres: NDArray, channels: int, color_space: str) -> NDArray[np.intp]:
    """Cluster order by increasing luminance of the centre, ties by its features."""
    colour = centres[:, :channels]
    if channels == 1:
        luminance = colour[:, 0]
    elif color_space == "rgb":
        luminance = colour @ np.asarray(LUMA_WEIGHTS)
    elif color_space == "lab":
        luminance = colour[:, 0]
    else:
        luminance = colour[:, 2]
    keys = [centres[:, j] for j in reversed(range(centres.shape[1]))]
    return np.lexsort([*keys, luminance])


def _describe_centres(centres: NDArray, channels: int, color_space: str, scale: float) -> dict[str, Any]:
    """Centres for `meta`: colour in the colour space's units, position in pixels."""
    colour = centres[:, :channels].astype(np.float64)
    if color_space == "hsv" and channels == 3:
        hue = np.mod(np.rad2deg(np.arctan2(colour[:, 1], colour[:, 0])), 360.0)
        colour = np.stack([hue, np.hypot(colour[:, 0], colour[:, 1]), colour[:, 2]], axis=1)
    out: dict[str, Any] = {"centres": colour.tolist()}
    if scale:
        out["centre_positions"] = (centres[:, channels:] / scale).tolist()
    return out


def _scatter(values: NDArray, mask: NDArray[np.bool_] | None, shape: tuple[int, ...], dtype: type) -> NDArray:
    """Put per-pixel `values` (last axis = pixels in `mask`) back into an image-shaped array, 0 elsewhere."""
    lead = values.shape[:-1]
    if mask is None:
        return values.astype(dtype, copy=False).reshape(*lead, *shape)
    out = np.zeros((*lead, *shape), dtype)
    out[..., mask] = values
    return out


def _channels(image: NDArray) -> int:
    return 1 if image.ndim == 2 else 3


# --------------------------------------------------------------------------- k-means


def _cv_seed(rng: Any) -> int:
    """OpenCV seed: an int in [0, 2**31) is used as is (so ``rng=s`` is ``cv2.setRNGSeed(s)``), else drawn."""
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        check_param(rng >= 0, "rng", f"an integer seed must be >= 0; got {rng}.")
        if rng < 2**31:
            return int(rng)
    return int(np.random.default_rng(rng).integers(2**31 - 1))


#: Largest magnitude that OpenCV's float32 k-means (and gabor's float32 energies) can square: 1.8e19 overflows.
_FLOAT32_MAX_ABS = 1e18


def kmeans_criteria(max_iter: int, tol: float) -> tuple[int, int, float]:
    """``cv2.kmeans`` stopping criteria; `tol` is capped at 1e18, where OpenCV's squared tolerance stays finite.

    (A tolerance whose square overflows made ``cv2.kmeans`` crash the process on some inputs; any centre
    shift of features below the 1e18 of :func:`check_float32_range` is smaller than that cap anyway.)

    Examples
    --------
    >>> kmeans_criteria(10, 1e300)[2]
    1e+18
    """
    import cv2

    return (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_MAX_ITER, max_iter, min(tol, _FLOAT32_MAX_ABS))


def check_float32_range(values: NDArray, method: str, what: str = "feature values") -> None:
    """Raise InvalidImageError when `values` are too large to be squared in float32.

    Examples
    --------
    >>> check_float32_range(np.array([[1e20]]), "kmeans")
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidImageError: kmeans: feature values reach 1e+20, ...
    """
    peak = float(np.abs(values).max()) if values.size else 0.0
    if not peak <= _FLOAT32_MAX_ABS:  # also catches inf and NaN (a float64 image beyond float32's range)
        reach = f"reach {peak:.3g}" if math.isfinite(peak) else "overflow float32"
        raise InvalidImageError(
            f"{method}: {what} {reach}, beyond the {_FLOAT32_MAX_ABS:.0e} that its float32 arithmetic can "
            "square without overflow; scale the image down first (e.g. image / np.abs(image).max())."
        )


def _kmeans_core(
    x: NDArray[np.float32], num_classes: int, n_init: int, init: str, max_iter: int, tol: float, rng: Any
) -> tuple[NDArray, NDArray, NDArray[np.intp], float]:
    """OpenCV k-means: (centres, labels 0..K'-1, sizes, inertia), coinciding and empty clusters merged."""
    check_float32_range(x, "kmeans")
    if x.shape[0] < num_classes or (x == x[0]).all():  # fewer pixels than clusters, or one value: one cluster
        # each (a constant float image would otherwise split on the rounding of OpenCV's cluster sums)
        centres, labels, sizes = np.unique(x, axis=0, return_inverse=True, return_counts=True)
        return centres.astype(np.float64), labels.ravel(), sizes, 0.0
    import cv2

    cv2.setRNGSeed(_cv_seed(rng))
    flags = cv2.KMEANS_PP_CENTERS if init == "k-means++" else cv2.KMEANS_RANDOM_CENTERS
    criteria = kmeans_criteria(max_iter, tol)
    inertia, labels, centres = cv2.kmeans(x, num_classes, None, criteria, n_init, flags)
    labels = labels.ravel()
    sizes = np.bincount(labels, minlength=num_classes)
    used = np.flatnonzero(sizes)
    merged, inverse = np.unique(centres[used], axis=0, return_inverse=True)
    if len(merged) == num_classes:
        return centres.astype(np.float64), labels, sizes, float(inertia)
    lut = np.zeros(num_classes, np.intp)
    lut[used] = inverse.ravel()
    return merged.astype(np.float64), np.take(lut, labels), np.bincount(lut, sizes, len(merged)), float(inertia)


def _kmeans_train(
    image: NDArray, num_classes: int, color_space: str, spatial_weight: float, n_init: int, init: str,
    max_iter: int, tol: float, rng: Any, mask: NDArray[np.bool_] | None,
) -> tuple[dict[str, Any], NDArray[np.int32]]:
    """Cluster the pixels in `mask`: (state with ordered centres, sizes and inertia; their labels 1..K)."""
    origin = _origin(image)
    x = _features(image, color_space, spatial_weight, mask, np.float32, origin=origin)
    channels = _channels(image)
    if x.shape[0] == 0:
        centres, labels, sizes, inertia = np.zeros((0, x.shape[1])), np.zeros(0, np.int32), np.zeros(0), 0.0
    else:
        centres, labels, sizes, inertia = _kmeans_core(x, num_classes, n_init, init, max_iter, tol, rng)
        if origin is not None:  # back to the image's units (the colour columns; positions are not shifted)
            centres = centres.copy()
            centres[:, :origin.size] += origin
    order = _canonical_order(centres, channels, color_space)
    if np.array_equal(order, np.arange(len(order))):
        labels = np.add(labels, 1, dtype=np.int32)
    else:
        rank = np.empty(len(order), np.int32)
        rank[order] = np.arange(1, len(order) + 1, dtype=np.int32)
        labels = np.take(rank, labels)
    state = {
        "centres": centres[order], "color_space": color_space, "spatial_weight": spatial_weight,
        "shape": image.shape[:2], "channels": channels, "inertia": inertia,
        "sizes": sizes[order].astype(np.int64).tolist(), "origin": origin,
    }
    return state, labels


def _origin(image: NDArray) -> NDArray[np.float64] | None:
    """Per-channel minimum of a 32- or 64-bit integer image (subtracted before float32 k-means), else None."""
    if image.dtype.kind not in "iu" or image.dtype.itemsize < 4 or image.size == 0:
        return None
    return np.asarray(image.reshape(-1, _channels(image)).min(axis=0), np.float64)


def _kmeans_fit(
    image: NDArray, *, num_classes: int = 3, color_space: str = "rgb", spatial_weight: float = 0.0,
    n_init: int = 3, init: str = "k-means++", max_iter: int = 100, tol: float = 0.0, rng: Any = None,
    mask: NDArray[np.bool_] | None = None, shape: tuple[int, int] | None = None, **_: Any,
) -> dict[str, Any]:
    """Fit k-means: the state (centres, feature settings) that :func:`_kmeans_apply` labels tiles with.

    `shape` is the whole image's (H, W) when `image` is a sample of its pixels (a tiled run).
    """
    check_param(
        shape is None or spatial_weight == 0, "spatial_weight",
        "a tiled run fits k-means on a sample of the pixels, which carries no positions; use "
        "spatial_weight=0 or segment the image untiled.",
    )
    return _kmeans_train(image, num_classes, color_space, spatial_weight, n_init, init, max_iter, tol, rng,
                         mask)[0]


def _kmeans_apply(
    image: NDArray, state: Mapping[str, Any], *, offset: tuple[int, int] = (0, 0),
    mask: NDArray[np.bool_] | None = None, **_: Any,
) -> Segmentation:
    """Label every pixel with its nearest centre of `state` (1-based); `offset` places a tile in the image."""
    origin = state.get("origin")
    x = _features(image, state["color_space"], state["spatial_weight"], mask, np.float32,
                  offset=offset, shape=state["shape"], origin=origin)
    centres = state["centres"].astype(np.float32 if origin is None else np.float64)
    if origin is not None:
        centres[:, :origin.size] -= origin
    centres = centres.astype(np.float32, copy=False)
    best = np.zeros(x.shape[0], np.int32)
    best_d2 = np.full(x.shape[0], np.inf, np.float32)
    for j, centre in enumerate(centres):
        d2 = np.einsum("ij,ij->i", x - centre, x - centre)
        closer = d2 < best_d2
        best[closer], best_d2[closer] = j + 1, d2[closer]
    labels = _scatter(best, mask, image.shape[:2], np.int32)
    return _kmeans_result(labels, state, {})


def _kmeans_result(labels: NDArray[np.int32], state: Mapping[str, Any], extra: dict[str, Any]) -> Segmentation:
    k = len(state["centres"])
    scale = state["spatial_weight"] / max(state["shape"])
    meta = {
        "num_classes": k,
        **_describe_centres(state["centres"], state["channels"], state["color_space"], scale),
        **extra,
    }
    classes = ("background", *(f"cluster{j}" for j in range(1, k + 1)))
    return Segmentation(labels=labels, task="semantic", classes=classes, meta=meta)


@register(
    "kmeans", family="clustering", task="semantic", input="any", tiling="global",
    stochastic=True, fit=_kmeans_fit, apply=_kmeans_apply, example_params={"num_classes": 3},
    renamed=(Renamed("n_clusters", "num_classes"),),
)
def kmeans(
    image: ArrayLike,
    /,
    *,
    num_classes: Annotated[int, Interval(1, 256)] = 3,
    color_space: ColorSpace = "rgb",
    spatial_weight: Annotated[float, Interval(0, None)] = 0.0,
    n_init: Annotated[int, Interval(1, 1000)] = 3,
    init: Literal["k-means++", "random"] = "k-means++",
    max_iter: Annotated[int, Interval(1, 2**31 - 1)] = 100,
    tol: Annotated[float, Interval(0, None)] = 0.0,
    mask: ArrayLike | None = None,
    rng: int | np.random.Generator | None = None,
) -> Segmentation:
    """K-means clustering of pixel colours (OpenCV's ``cv2.kmeans``).

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        Gray or RGB, any real dtype (float colour in [0, 1]).
    num_classes : int, optional
        Number of clusters, the *k* of k-means.
    color_space : {"rgb", "lab", "hsv"}, optional
        Features: "rgb" the image's own values (intensity for gray images),
        "lab" CIE Lab (delta E units), "hsv" the HSV cone
        ``(s cos h, s sin h, v)`` with s, v in [0, 1]. "lab" and "hsv" need RGB.
    spatial_weight : float, optional
        Adds ``(row, col) * spatial_weight / max(H, W)`` to the features, so a
        move across the whole image costs `spatial_weight` in feature units
        (e.g. grey levels for uint8 "rgb"). 0 clusters colour only.
    n_init : int, optional
        Attempts from different initial centres; the most compact is kept.
    init : {"k-means++", "random"}, optional
        Initial centres: k-means++ seeding or uniform in the data's bounding box.
    max_iter : int, optional
        Iterations per attempt (OpenCV runs at least 2).
    tol : float, optional
        An attempt stops when no centre moves more than `tol` (feature
        units); 0 runs until the assignment stops changing or `max_iter`.
    mask : (H, W) ndarray of bool, optional
        Only pixels in `mask` are clustered; the others get label 0.
    rng : int or numpy.random.Generator, optional
        Seeds OpenCV's random generator of the calling thread: an int below
        2**31 is passed to ``cv2.setRNGSeed`` as is (so the result equals
        ``cv2.kmeans`` after ``cv2.setRNGSeed(rng)``), a Generator draws the
        seed. The same `rng` gives the same labels.

    Returns
    -------
    Segmentation
        Semantic labels 1..K (``classes = ("background", "cluster1", ...)``)
        ordered by increasing centre luminance. ``meta``: ``centres`` (K
        rows; image units for "rgb", L*a*b* for "lab", (hue in degrees, s,
        v) for "hsv"), ``centre_positions`` ((row, col), with a spatial
        term), ``inertia`` (sum of squared feature distances to the centres,
        OpenCV's compactness), ``sizes`` (pixels per cluster) and
        ``num_classes`` (K).

    Notes
    -----
    If the clustered pixels hold fewer than `num_classes` distinct feature
    vectors (a constant image, a 1x1 image), coinciding and empty clusters
    are merged and fewer clusters come back: ``meta["num_classes"]`` says
    how many. Features are float32 (OpenCV's k-means works in float32).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((4, 6, 3), np.uint8); img[:, 2:4] = (200, 30, 30); img[:, 4:] = 255
    >>> seg = kmeans(img, num_classes=3, rng=0)
    >>> seg.labels[0].tolist(), seg.meta["centres"][1]
    ([1, 1, 2, 2, 3, 3], [200.0, 30.0, 30.0])
    """
    state, fit_labels = _kmeans_train(image, num_classes, color_space, spatial_weight, n_init, init, max_iter,
                                      tol, rng, mask)
    labels = _scatter(fit_labels, mask, image.shape[:2], np.int32)
    return _kmeans_result(labels, state, {"inertia": state["inertia"], "sizes": state["sizes"]})


# --------------------------------------------------------------------------- fuzzy c-means


def _memberships(d2: NDArray, m: float) -> NDArray:
    """u_ik = 1 / sum_j (d2_ik / d2_jk) ** (1 / (m - 1)), computed without overflow (d2 >= floor)."""
    if m == 2.0:
        w = np.reciprocal(d2)
    else:
        w = np.divide(d2.min(axis=0), d2)  # in (0, 1]: no overflow for any m
        np.power(w, 1.0 / (m - 1.0), out=w)
    w /= w.sum(axis=0)
    return w


def _fcm_core(
    x: NDArray, u: NDArray, m: float, tol: float, max_iter: int
) -> tuple[NDArray, NDArray, list[float], bool]:
    """Fuzzy c-means iterations from memberships `u` (C, N); returns (centres, u, objective history, converged).

    Each iteration is scikit-fuzzy's ``_cmeans0``: centres from ``u ** m``,
    squared distances (floored at float64 eps ** 2), objective
    ``sum(u ** m * d2)``, new memberships. Distances are
    ``|x|^2 - 2 x.c + |c|^2`` on centred data, one product with the rows
    ``[x, 1, |x|^2]``. One pass over pixel blocks per iteration computes the
    distances, the objective, the new memberships (in place) and the sums
    that give the next centres, so temporaries stay in cache; block sums are
    accumulated in float64. Products use ``np.einsum``, not BLAS: these
    shapes gain nothing from BLAS threads, which lose time on shared cores.
    """
    ftype = x.dtype.type
    n_pixels = x.shape[0]
    mean = x.mean(axis=0, dtype=np.float64)
    rows = np.empty((x.shape[1] + 2, n_pixels), ftype)  # [x, 1, |x|^2] as rows, pixels contiguous
    np.subtract(x.T, mean.astype(ftype)[:, None], out=rows[:-2])
    rows[-2] = 1
    np.einsum("dn,dn->n", rows[:-2], rows[:-2], out=rows[-1])
    blocks = [slice(i, min(n_pixels, i + _FCM_BLOCK)) for i in range(0, n_pixels, _FCM_BLOCK)]

    def powered(v: NDArray) -> NDArray:
        return v * v if m == 2.0 else np.power(v, m)

    sums = sum(np.einsum("cn,dn->cd", powered(u[:, b]), rows[:-1, b]).astype(np.float64) for b in blocks)
    history: list[float] = []
    converged = False
    centres = np.zeros((u.shape[0], x.shape[1]))
    for _ in range(max_iter):
        centres = sums[:, :-1] / np.maximum(sums[:, -1:], np.finfo(np.float64).tiny)
        coef = np.concatenate([-2 * centres, (centres * centres).sum(1, keepdims=True),
                               np.ones((len(centres), 1))], axis=1).astype(ftype)
        objective, delta, sums = 0.0, 0.0, np.zeros_like(sums)
        for b in blocks:
            ub = u[:, b]
            d2 = np.einsum("cd,dn->cn", coef, rows[:, b])
            np.maximum(d2, _D2_FLOOR, out=d2)
            objective += float(np.einsum("cn,cn->", powered(ub), d2))
            new = _memberships(d2, m)
            delta = max(delta, float(np.abs(np.subtract(new, ub, out=d2), out=d2).max()))
            ub[...] = new
            sums += np.einsum("cn,dn->cd", powered(new), rows[:-1, b])
        history.append(objective)
        if delta < tol:
            converged = True
            break
    return centres + mean, u, history, converged


def _fcm_init(init: Any, num_classes: int, mask: NDArray[np.bool_] | None, shape: tuple[int, int],
              n_pixels: int, ftype: type, rng: Any) -> NDArray:
    if init is None:
        u = np.random.default_rng(rng).random((num_classes, n_pixels), dtype=ftype)
    else:
        u = np.array(init, dtype=np.float64)  # a copy: normalised in place below
        check_param(
            u.shape == (num_classes, *shape), "init",
            f"must be (num_classes, H, W) = {(num_classes, *shape)} memberships; got shape {u.shape}.",
        )
        u = u.reshape(num_classes, -1) if mask is None else u[:, mask]
        check_param(bool(np.isfinite(u).all() and (u >= 0).all()), "init", "memberships must be finite and >= 0.")
        check_param(bool((u.sum(axis=0) > 0).all()), "init", "every pixel needs a positive membership somewhere.")
    u /= u.sum(axis=0)
    return np.fmax(u, np.finfo(np.float64).eps, out=u).astype(ftype, copy=False)


def _check_fcm_memory(num_classes: int, n_pixels: int, itemsize: int) -> None:
    """Refuse a run whose (num_classes, pixels) arrays cannot fit: memberships, distances and their powers."""
    need = 5.0 * num_classes * n_pixels * itemsize
    free = available_memory()
    if free is not None and need > free:
        raise InvalidParameterError(
            f"num_classes: {num_classes} clusters over {n_pixels} pixels need about {need / 2**30:.1f} GiB for the "
            f"membership arrays but {free / 2**30:.1f} GiB is available; use fewer clusters, a mask or a smaller "
            "image."
        )


def _fcm_train(
    image: NDArray, num_classes: int, m: float, tol: float, max_iter: int, init: Any, color_space: str,
    rng: Any, mask: NDArray[np.bool_] | None,
) -> tuple[dict[str, Any], NDArray]:
    """Cluster the pixels in `mask`: (state with ordered centres and the run's record, their memberships)."""
    ftype = float_dtype_for(image.dtype)
    x = _features(image, color_space, 0.0, mask, ftype)
    _check_fcm_memory(num_classes, x.shape[0], np.dtype(ftype).itemsize)
    u = _fcm_init(init, num_classes, mask, image.shape[:2], x.shape[0], ftype, rng)
    if x.shape[0]:
        centres, u, history, converged = _fcm_core(x, u, m, tol, max_iter)
    else:
        centres, history, converged = np.zeros((num_classes, x.shape[1])), [], True
    channels = _channels(image)
    order = _canonical_order(centres, channels, color_space)
    state = {
        "centres": centres[order], "m": m, "color_space": color_space, "channels": channels,
        "objective_history": history, "converged": converged,
    }
    return state, u[order]


def _fcm_fit(
    image: NDArray, *, num_classes: int = 3, m: float = 2.0, tol: float = 1e-3, max_iter: int = 100,
    init: Any = None, color_space: str = "rgb", rng: Any = None, mask: NDArray[np.bool_] | None = None,
    **_: Any,
) -> dict[str, Any]:
    """Fit fuzzy c-means: the state (centres, m, features) that :func:`_fcm_apply` labels tiles with."""
    return _fcm_train(image, num_classes, m, tol, max_iter, init, color_space, rng, mask)[0]


def _fcm_apply(image: NDArray, state: Mapping[str, Any], *, mask: NDArray[np.bool_] | None = None,
               **_: Any) -> Segmentation:
    """Memberships and labels of every pixel for the centres in `state`."""
    ftype = float_dtype_for(image.dtype)
    x = _features(image, state["color_space"], 0.0, mask, ftype)
    centres = state["centres"].astype(ftype)
    d2 = np.stack([np.einsum("ij,ij->i", x - c, x - c) for c in centres])
    u = _memberships(np.maximum(d2, _D2_FLOOR), state["m"])
    return _fcm_result(image, u, mask, state, {})


def _argmax_rows(u: NDArray) -> NDArray[np.int32]:
    """``u.argmax(axis=0)`` as int32 (first maximum wins), one contiguous row at a time."""
    best = np.zeros(u.shape[1], np.int32)
    top = u[0].copy()
    for j in range(1, len(u)):
        better = u[j] > top
        best[better] = j
        np.maximum(top, u[j], out=top)
    return best


def _fcm_result(image: NDArray, u: NDArray, mask: NDArray[np.bool_] | None, state: Mapping[str, Any],
                extra: dict[str, Any]) -> Segmentation:
    k = len(state["centres"])
    labels = _scatter(_argmax_rows(u) + 1 if k else np.zeros(u.shape[1], np.int32), mask, image.shape[:2],
                      np.int32)
    scores = _scatter(u, mask, image.shape[:2], np.float32)
    meta = {"num_classes": k, **_describe_centres(state["centres"], state["channels"], state["color_space"], 0.0),
            **extra}
    classes = ("background", *(f"cluster{j}" for j in range(1, k + 1)))
    return Segmentation(labels=labels, task="semantic", classes=classes, scores=scores, meta=meta)


@register(
    "fuzzy_cmeans", family="clustering", task="semantic", input="any", tiling="global",
    stochastic=True, fit=_fcm_fit, apply=_fcm_apply, example_params={"num_classes": 3},
    renamed=(Renamed("n_clusters", "num_classes"),),
)
def fuzzy_cmeans(
    image: ArrayLike,
    /,
    *,
    num_classes: Annotated[int, Interval(1, 256)] = 3,
    m: Annotated[float, Interval(1, None, lo_open=True)] = 2.0,
    tol: Annotated[float, Interval(0, None)] = 1e-3,
    max_iter: Annotated[int, Interval(1, None)] = 100,
    init: ArrayLike | None = None,
    color_space: ColorSpace = "rgb",
    mask: ArrayLike | None = None,
    rng: int | np.random.Generator | None = None,
) -> Segmentation:
    """Fuzzy c-means clustering of pixel colours, with per-cluster membership maps.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        Gray or RGB, any real dtype (float colour in [0, 1]).
    num_classes : int, optional
        Number of clusters, the *c* of c-means.
    m : float, optional
        Fuzzifier, > 1: near 1 gives almost hard memberships, large values
        very soft ones.
    tol : float, optional
        Stop when no membership changes by more than `tol` between two
        iterations (a max-norm, unlike scikit-fuzzy's Frobenius norm, so
        it does not depend on the image size).
    max_iter : int, optional
        Largest number of iterations.
    init : (num_classes, H, W) ndarray, optional
        Initial memberships (normalised per pixel); random from `rng` when None.
    color_space : {"rgb", "lab", "hsv"}, optional
        Features, as in :func:`kmeans`: the image's values, CIE Lab, or the HSV cone.
    mask : (H, W) ndarray of bool, optional
        Only pixels in `mask` are clustered; the others get label 0 and
        membership 0.
    rng : int or numpy.random.Generator, optional
        Random initial memberships (ignored when `init` is given).

    Returns
    -------
    Segmentation
        Semantic labels 1..C = the cluster of largest membership
        (``classes = ("background", "cluster1", ...)``, clusters ordered by
        increasing centre luminance); ``scores[j - 1]`` is the membership map
        of cluster ``j`` (float32). ``meta``: ``centres`` (as in
        :func:`kmeans`), ``objective`` (final ``J_m = sum u^m d^2``),
        ``objective_history``, ``n_iter``, ``converged``, ``num_classes``.

    Notes
    -----
    Vectorised NumPy, float32 (float64 for float64 images). Each iteration
    matches ``skfuzzy.cluster.cmeans`` (same update, same distance floor),
    so the same data, `m` and initial memberships give the same objective.
    With fewer distinct colours than `num_classes`, several clusters share a
    centre and split its memberships equally; labels then take the first.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((4, 4), np.uint8); img[:, 2:] = 200
    >>> seg = fuzzy_cmeans(img, num_classes=2, rng=0)
    >>> seg.labels[0].tolist(), seg.scores.shape, round(float(seg.scores[1, 0, 3]), 3)
    ([1, 1, 2, 2], (2, 4, 4), 1.0)
    """
    state, memberships = _fcm_train(image, num_classes, m, tol, max_iter, init, color_space, rng, mask)
    history = state["objective_history"]
    extra = {
        "objective": history[-1] if history else 0.0, "objective_history": history,
        "n_iter": len(history), "converged": state["converged"],
    }
    return _fcm_result(image, memberships, mask, state, extra)
