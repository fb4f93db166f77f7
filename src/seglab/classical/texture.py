"""Texture segmentation with a Gabor filter bank (``gabor``).

A bank of complex Gabor filters (orientations x frequencies) is applied to
the image; the magnitude of each complex response, smoothed by a Gaussian
window, is the local energy of that channel. Every pixel is thus described
by ``n_orientations * len(frequencies)`` energies, which are standardised,
optionally reduced by PCA, and clustered by k-means into `num_classes`
texture classes (Jain & Farrokhnia, 1991, without their non-linearity).

The filters have an isotropic Gaussian envelope, so each complex kernel is
separable into a row and a column factor; responses are computed with 1-D
``cv2.filter2D`` passes in float32, which measured faster than FFT
(``scipy.fft``) and than 2-D ``cv2.filter2D`` at 512 and 2048 pixels. The
passes of orientations ``theta`` and ``pi - theta`` are shared. The bank runs
in tiles of 384² (each widened by the kernel's half-width), so that the ~10
passes over each tile stay in a core's cache, and on OpenCV's thread count of
tiles at once (``cv2.setNumThreads(1)`` keeps it to one): 835 -> ~420 ms at
4096² on two cores, where whole-image passes streamed from memory.

Examples
--------
>>> import numpy as np
>>> from seglab.classical.texture import gabor
>>> rr, cc = np.mgrid[:64, :64]
>>> img = np.where(cc < 32, np.sin(2 * np.pi * 0.25 * cc), np.sin(2 * np.pi * 0.25 * rr))
>>> seg = gabor(img, num_classes=2, frequencies=(0.25,), rng=0)
>>> left, right = seg.labels[:, :24], seg.labels[:, 40:]  # 8 pixels (the window) off the border
>>> seg.classes, bool((left == left[0, 0]).all() and (right == right[0, 0]).all() and left[0, 0] != right[0, 0])
(('background', 'texture1', 'texture2'), True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, NamedTuple

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.params import Interval, Renamed
from ..core.registry import register
from ..core.types import Segmentation
from ..core.validate import check_param
from .clustering import check_float32_range, kmeans_criteria

__all__ = ["gabor", "gabor_energy", "gabor_sigma"]

_BORDER = cv2.BORDER_REFLECT  # 'fedcba|abcdef', scipy.ndimage's mode="reflect"
_ONE_TAP = np.ones(1, np.float32)  # the identity kernel of a separable filter's other direction
_SAMPLE = 16384  # pixels the k-means is fitted on
_N_INIT = 2  # k-means++ attempts on the sample; the most compact is kept
_CHUNK = 1 << 18  # pixels assigned to centres per block
_TILE = 384  # side of the tiles the bank is computed in: a tile's work arrays stay in a core's cache


def gabor_sigma(frequency: float, bandwidth: float = 1.0) -> float:
    """Envelope sigma (pixels) of a Gabor filter of `frequency` and `bandwidth` (octaves).

    The half-magnitude bandwidth of the filter spans `bandwidth` octaves,
    as in ``skimage.filters.gabor_kernel``:
    ``sigma = sqrt(ln 2 / 2) / pi * (2**b + 1) / (2**b - 1) / frequency``.

    Examples
    --------
    >>> round(gabor_sigma(0.25), 3)
    2.249
    """
    b = 2.0**bandwidth
    return math.sqrt(math.log(2) / 2) / math.pi * (b + 1) / (b - 1) / frequency


def _row(kernel: NDArray) -> NDArray[np.float32]:
    return np.ascontiguousarray(kernel, np.float32)[None, :]


class _Orientation(NamedTuple):
    """Separable factors of orientation `j` (theta <= pi / 2) and of its `partner` pi - theta, if any."""

    j: int
    partner: int | None
    row_re: NDArray[np.float32]
    row_im: NDArray[np.float32] | None  # None at theta = pi / 2
    col_re: NDArray[np.float32]
    col_im: NDArray[np.float32] | None  # None at theta = 0


def _along_cols(image: NDArray[np.float32], kernel: NDArray, *, dst: NDArray[np.float32] | None = None
                ) -> NDArray[np.float32]:
    """Correlation of every column with `kernel` (mirrored borders), through OpenCV's separable filter.

    ``cv2.sepFilter2D`` with a one-tap row kernel: its column pass is about
    twice as fast as ``cv2.filter2D`` with a ``(k, 1)`` kernel on float32.
    """
    return cv2.sepFilter2D(image, -1, _ONE_TAP, np.ascontiguousarray(kernel, np.float32), dst=dst,
                           borderType=_BORDER)


def gabor_energy(
    image: NDArray,
    *,
    frequencies: Sequence[float] = (0.1, 0.2, 0.4),
    n_orientations: int = 4,
    bandwidth: float = 1.0,
) -> list[NDArray[np.float32]]:
    """Magnitudes of the complex Gabor responses of a gray image, one per (frequency, orientation).

    Filter ``k`` of frequency ``f`` and orientation ``theta`` is
    ``g(x) g(y) exp(2j pi f (x cos(theta) + y sin(theta)))`` with ``x`` along
    columns, ``y`` along rows, ``g`` a normalised Gaussian of sigma
    :func:`gabor_sigma` truncated at 3 sigma (scikit-image's ``n_stds=3``);
    ``theta = j pi / n_orientations``. Borders are mirrored. The magnitude is
    in the image's units (a sinusoid of amplitude ``A`` that the filter
    matches exactly gives about ``A / 2``).

    Parameters
    ----------
    image : (H, W) ndarray
        Gray image, any real dtype; computed in float32.
    frequencies : sequence of float, optional
        Centre frequencies in cycles per pixel, each in (0, 0.5].
    n_orientations : int, optional
        Orientations evenly spaced over [0, pi).
    bandwidth : float, optional
        Frequency bandwidth in octaves; sets the envelope sigma.

    Returns
    -------
    list of (H, W) ndarray of float32
        Frequency-major: ``energies[i * n_orientations + j]`` is frequency
        ``i`` at orientation ``j``.

    Examples
    --------
    >>> cc = np.tile(np.arange(64), (32, 1))
    >>> stripes = 100 * np.cos(2 * np.pi * 0.25 * cc)  # varies along columns
    >>> e = gabor_energy(stripes, frequencies=(0.25,), n_orientations=2)
    >>> [round(float(x[16, 32])) for x in e]  # theta = 0 matches, theta = pi/2 does not
    [50, 0]
    """
    for freq in frequencies:
        _check_kernel_fits(freq, bandwidth, image.shape)
    f32 = np.ascontiguousarray(image, dtype=np.float32)
    bank = [_frequency_filters(freq, bandwidth, n_orientations) for freq in frequencies]
    energies = [np.empty(f32.shape, np.float32) for _ in range(len(bank) * n_orientations)]
    tiles = [(r, c) for r in range(0, f32.shape[0], _TILE) for c in range(0, f32.shape[1], _TILE)]

    def run(tile: tuple[int, int]) -> None:
        _tile_energies(f32, tile, bank, energies)

    workers = min(cv2.getNumThreads(), len(tiles))
    if workers > 1:  # OpenCV releases the GIL; tiles write disjoint parts of the outputs
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, tiles))
    else:
        for tile in tiles:
            run(tile)
    return energies


#: A kernel up to this half-width is accepted on any image, however small.
_ANY_IMAGE_HALF = 1024


def _check_kernel_fits(freq: float, bandwidth: float, shape: tuple[int, ...]) -> None:
    """Refuse a frequency whose kernel (half-width 3 sigma, sigma ~ 1 / frequency) is far larger than the image.

    Its memory and time grow with 1 / frequency (1e-7 cycles per pixel took
    18 GB on a 64 x 80 image); beyond twice the image's side it only sees
    the mirrored border.

    >>> _check_kernel_fits(0.1, 1.0, (64, 80))
    >>> _check_kernel_fits(1e-7, 1.0, (64, 80))
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: frequencies: 1e-07 cycles per pixel needs a kernel ...
    """
    half = 3 * gabor_sigma(freq, bandwidth)
    limit = max(2 * max(shape[:2]), _ANY_IMAGE_HALF)
    check_param(half <= limit, "frequencies",
                f"{freq:.3g} cycles per pixel needs a kernel {2 * half + 1:.3g} pixels wide, far larger than the "
                f"image ({shape[0]} x {shape[1]}); give frequencies of at least {freq * half / limit:.3g}.")


def _frequency_filters(freq: float, bandwidth: float, n_orientations: int) -> tuple[int, list[_Orientation]]:
    """The half-width of one frequency's kernels and its separable filters, one per orientation pair."""
    sigma = gabor_sigma(freq, bandwidth)
    half = math.ceil(3 * sigma)
    x = np.arange(-half, half + 1, dtype=np.float64)
    g = np.exp(-0.5 * (x / sigma) ** 2) / (math.sqrt(2 * math.pi) * sigma)
    filters = []
    for j in range(n_orientations // 2 + 1):  # theta <= pi / 2; pi - theta is the partner
        theta = j * math.pi / n_orientations
        a = round(2 * math.pi * freq * math.cos(theta), 12)  # >= 0 here: theta <= pi / 2
        b = round(2 * math.pi * freq * math.sin(theta), 12)
        partner = n_orientations - j if 0 < j and 2 * j != n_orientations else None
        filters.append(_Orientation(
            j, partner, _row(g * np.cos(a * x)), _row(g * np.sin(a * x)) if a else None,
            np.ascontiguousarray(g * np.cos(b * x), np.float32),
            np.ascontiguousarray(g * np.sin(b * x), np.float32) if b else None))
    return half, filters


def _tile_energies(f32: NDArray[np.float32], tile: tuple[int, int], bank: list[tuple[int, list[_Orientation]]],
                   energies: list[NDArray[np.float32]]) -> None:
    """Write every energy of the tile at `tile` (its top-left corner), from the image around it.

    The row filters run on the tile widened by the kernel's half-width on each
    side, the column filters on their central columns, and only the central
    rows are kept, so every output pixel sees the same neighbourhood as in a
    whole-image pass (mirrored only at the image's own borders).
    """
    h, w = f32.shape
    r0, c0 = tile
    r1, c1 = min(h, r0 + _TILE), min(w, c0 + _TILE)
    n_or = len(energies) // len(bank)
    for i, (half, filters) in enumerate(bank):
        e0, d0 = max(0, r0 - half), max(0, c0 - half)
        src = f32[e0 : min(h, r1 + half), d0 : min(w, c1 + half)]
        cols, rows = slice(c0 - d0, c1 - d0), slice(r0 - e0, r1 - e0)
        out = [e[r0:r1, c0:c1] for e in energies[i * n_or : (i + 1) * n_or]]
        for f in filters:
            re_x = cv2.filter2D(src, -1, f.row_re, borderType=_BORDER)[:, cols]
            ar = _along_cols(re_x, f.col_re)[rows]
            ai = _along_cols(re_x, f.col_im)[rows] if f.col_im is not None else None
            if f.row_im is None:  # theta = pi / 2: a real row filter
                # sqrt(x * x) == |x| in IEEE arithmetic, so a missing imaginary part needs no magnitude
                if ai is None:
                    np.abs(ar, out=out[f.j])
                else:
                    cv2.magnitude(ar, ai, out[f.j])
                continue
            im_x = cv2.filter2D(src, -1, f.row_im, borderType=_BORDER)[:, cols]
            br = _along_cols(im_x, f.col_re)[rows]
            if ai is None:  # theta = 0: a real column filter
                cv2.magnitude(ar, br, out[f.j])
                continue
            bi = _along_cols(im_x, f.col_im)[rows]
            # (re_x + i sign im_x) * (cos + i sin) along columns, term by term; sign -1 for the partner
            for k, sign in ((f.j, 1.0), (f.partner, -1.0)):
                if k is not None:
                    cv2.magnitude(cv2.scaleAdd(bi, -sign, ar), cv2.scaleAdd(br, sign, ai), out[k])


def _smooth(energy: NDArray[np.float32], sigma: float) -> NDArray[np.float32]:
    """Gaussian smoothing (truncated at 3 sigma, or at the image size) with two 1-D passes, mirrored borders."""
    half = max(1, min(math.ceil(3 * min(sigma, 1e9)), max(energy.shape)))  # the cap of smoothing.gaussian_ksize
    k = cv2.getGaussianKernel(2 * half + 1, sigma, cv2.CV_32F)
    out = cv2.filter2D(energy, -1, k.T, borderType=_BORDER)
    return _along_cols(out, k, dst=out)


def _features(image: NDArray, params: Mapping[str, Any]) -> NDArray[np.float32]:
    """(D, H, W) smoothed local energies."""
    check_float32_range(image, "gabor", "image values")  # the float32 energies square them
    energies = gabor_energy(
        image, frequencies=params["frequencies"], n_orientations=params["n_orientations"],
        bandwidth=params["bandwidth"],
    )
    n_or = params["n_orientations"]
    feats = np.empty((len(energies), *image.shape), np.float32)
    for k, e in enumerate(energies):
        feats[k] = _smooth(e, params["window_periods"] / params["frequencies"][k // n_or])
    return feats


def _nearest(weights: NDArray, offsets: NDArray, xt: NDArray) -> tuple[NDArray[np.int32], NDArray]:
    """Index and value of ``min_k (offsets[k] + weights[k] . x)`` for every column x of `xt` (D, N).

    Small (K, D) products go through ``einsum`` rather than BLAS, whose threads
    stall on a loaded machine for such skinny shapes; the minimum is a running
    one over k (an ``argmin`` across rows is strided).
    """
    scores = np.einsum("kd,dn->kn", weights, xt)
    best = scores[0] + offsets[0]
    index = np.zeros(xt.shape[1], np.int32)
    for k in range(1, len(weights)):
        s = scores[k] + offsets[k]
        closer = s < best
        index[closer] = k
        np.minimum(best, s, out=best)
    return index, best


def _kmeans(z: NDArray[np.float64], k: int, max_iter: int, tol: float, rng: np.random.Generator
            ) -> tuple[NDArray[np.float64], float]:
    """OpenCV k-means of the columns of `z` (D, N): (centres (K, D), inertia).

    k-means++ seeds, best of `_N_INIT` attempts. OpenCV draws the seeds from
    its own generator, which is seeded from `rng` first, so the same `rng`
    gives the same centres. (It ran 7-10x faster than a numpy Lloyd loop on
    16,384-65,536 samples of 8-12 features.)
    """
    cv2.setRNGSeed(int(rng.integers(2**31 - 1)))
    criteria = kmeans_criteria(max_iter, tol)
    samples = np.ascontiguousarray(z.T, np.float32)
    if len(samples) == 1:  # OpenCV would read one row as a list of 1-D samples
        return samples.astype(np.float64), 0.0
    inertia, _, centres = cv2.kmeans(samples, k, None, criteria, _N_INIT, cv2.KMEANS_PP_CENTERS)
    return centres.astype(np.float64), float(inertia)


def _gabor_fit(
    image: NDArray,
    *,
    num_classes: int = 2,
    frequencies: Sequence[float] = (0.1, 0.2, 0.4),
    n_orientations: int = 4,
    bandwidth: float = 1.0,
    window_periods: float = 1.0,
    n_components: int | None = None,
    max_iter: int = 100,
    tol: float = 1e-3,
    rng: Any = None,
    mask: NDArray[np.bool_] | None = None,
    features: NDArray[np.float32] | None = None,
    **_: Any,
) -> dict[str, Any]:
    """Learn standardisation, PCA and cluster centres; a JSON-able state for :func:`_gabor_apply`."""
    params = _bank_params(frequencies, n_orientations, bandwidth, window_periods)
    feats = _features(image, params) if features is None else features
    d = feats.shape[0]
    flat = feats.reshape(d, -1)
    rng = np.random.default_rng(rng)
    pool = np.flatnonzero(mask) if mask is not None else None
    size = flat.shape[1] if pool is None else pool.size
    check_param(size > 0, "mask", "selects no pixel; the texture classes need at least one.")
    pick = rng.choice(size, min(size, _SAMPLE), replace=False)
    pick.sort()
    sample = flat[:, pick if pool is None else pool[pick]].astype(np.float64)  # (D, n)
    mean = sample.mean(axis=1)
    std = sample.std(axis=1)
    # A channel whose spread is float32 round-off (e.g. on a flat image) carries no texture: weight 0.
    no_spread = std <= 1e-5 * np.abs(sample).max(axis=1)
    inv_scale = np.where(no_spread, 0.0, 1.0 / np.where(no_spread, 1.0, std))
    z = (sample - mean[:, None]) * inv_scale[:, None]
    basis = np.eye(d)
    explained = None
    if n_components is not None and n_components < d:
        var, vecs = np.linalg.eigh(z @ z.T / z.shape[1])  # ascending
        basis = vecs[:, ::-1][:, :n_components]
        explained = (var[::-1][:n_components] / max(float(var.sum()), 1e-300)).tolist()
    z = basis.T @ z
    centres, inertia = _kmeans(z, min(num_classes, z.shape[1]), max_iter, tol, rng)
    # Canonical order: by the centre's mean standardised energy, so labels do not depend on the seeds.
    order = np.argsort((centres @ basis.T).mean(axis=1), kind="stable")
    return {
        **params,
        "mean": mean.tolist(),
        "inv_scale": inv_scale.tolist(),
        "basis": basis.tolist(),
        "centres": centres[order].tolist(),
        "inertia": inertia,
        "explained_variance_ratio": explained,
    }


#: Filters of a Gabor bank at most (frequencies x orientations).
_MAX_FILTERS = 256


def _bank_params(frequencies: Sequence[float], n_orientations: int, bandwidth: float, window_periods: float
                 ) -> dict[str, Any]:
    numbers = isinstance(frequencies, (list, tuple, np.ndarray)) and all(
        isinstance(f, (int, float, np.integer, np.floating)) and not isinstance(f, bool) for f in frequencies
    )
    freqs = [float(f) for f in frequencies] if numbers else []
    check_param(
        len(freqs) > 0 and all(0 < f <= 0.5 for f in freqs), "frequencies",
        f"must be a non-empty list of frequencies in (0, 0.5] cycles per pixel; got {frequencies!r}.",
    )
    check_param(len(set(freqs)) == len(freqs), "frequencies", f"lists a frequency twice; got {freqs}.")
    # every filter is an image-sized feature (and the standardisation and PCA grow with their square): 6,400
    # filters took 2.5 GB on a 64 x 64 image
    check_param(len(freqs) * int(n_orientations) <= _MAX_FILTERS, "frequencies",
                f"{len(freqs)} frequencies x {n_orientations} orientations make {len(freqs) * int(n_orientations)} "
                f"filters; give at most {_MAX_FILTERS} (a texture is told apart by a few scales and orientations).")
    return {
        "frequencies": freqs,
        "n_orientations": int(n_orientations),
        "bandwidth": float(bandwidth),
        "window_periods": float(window_periods),
    }


def _gabor_apply(
    image: NDArray,
    state: Mapping[str, Any],
    *,
    mask: NDArray[np.bool_] | None = None,
    features: NDArray[np.float32] | None = None,
    **_: Any,
) -> Segmentation:
    """Label each pixel with the nearest centre of `state` (classes 1..K; 0 outside `mask`)."""
    feats = _features(image, state) if features is None else features
    d = feats.shape[0]
    flat = feats.reshape(d, -1)
    mean, inv_scale = np.asarray(state["mean"]), np.asarray(state["inv_scale"])
    basis, centres = np.asarray(state["basis"]), np.asarray(state["centres"])
    # z = basis^T ((e - mean) * inv_scale); argmin_k |z - c_k|^2 = argmin_k (o_k - 2 w_k . e).
    weights = (basis @ centres.T).T * inv_scale  # (K, D)
    offsets = np.einsum("kd,kd->k", centres, centres) + 2 * (weights @ mean)
    w32, o32 = (-2 * weights).astype(np.float32), offsets.astype(np.float32)
    labels = np.empty(flat.shape[1], np.int32)
    for start in range(0, flat.shape[1], _CHUNK):
        labels[start : start + _CHUNK] = _nearest(w32, o32, flat[:, start : start + _CHUNK])[0]
    labels += 1
    labels = labels.reshape(image.shape)
    if mask is not None:
        labels[~mask] = 0
    k = len(centres)
    meta = {
        "frequencies": state["frequencies"],
        "orientations_deg": [180.0 * j / state["n_orientations"] for j in range(state["n_orientations"])],
        "sigmas": [gabor_sigma(f, state["bandwidth"]) for f in state["frequencies"]],
        "window_periods": state["window_periods"],
        "window_sigmas": [state["window_periods"] / f for f in state["frequencies"]],
        "n_features": int(d),
        "n_components": int(basis.shape[1]),
        "explained_variance_ratio": state.get("explained_variance_ratio"),
        "inertia": state.get("inertia"),
    }
    classes = ("background", *(f"texture{j}" for j in range(1, k + 1)))
    return Segmentation(labels=labels, task="semantic", classes=classes, meta=meta)


def _check_params(p: Mapping[str, Any]) -> None:
    bank = _bank_params(p["frequencies"], p["n_orientations"], p["bandwidth"], p["window_periods"])
    n_filters = p["n_orientations"] * len(bank["frequencies"])
    check_param(
        p["n_components"] is None or p["n_components"] <= n_filters, "n_components",
        f"must not exceed the number of filters ({n_filters}); got {p['n_components']}.",
    )


def _halo(p: Mapping[str, Any]) -> int:
    low = min(p.get("frequencies") or (0.1, 0.2, 0.4))
    return math.ceil(3 * gabor_sigma(low, p.get("bandwidth", 1.0))) + math.ceil(3 * p.get("window_periods", 1.0) / low)


@register(
    "gabor", family="texture", task="semantic", input="gray", tiling="global", halo=_halo,
    stochastic=True, fit=_gabor_fit, apply=_gabor_apply, check=_check_params,
    renamed=(Renamed("n_clusters", "num_classes"), Renamed("window", "window_periods")),
)
def gabor(
    image: ArrayLike,
    /,
    *,
    num_classes: Annotated[int, Interval(1, 256)] = 2,
    frequencies: Sequence[float] = (0.1, 0.2, 0.4),
    n_orientations: Annotated[int, Interval(1, 64)] = 4,
    bandwidth: Annotated[float, Interval(0.1, 8)] = 1.0,
    window_periods: Annotated[float, Interval(0, None, lo_open=True)] = 1.0,
    n_components: Annotated[int, Interval(1, None)] | None = None,
    max_iter: Annotated[int, Interval(1, 100)] = 100,
    tol: Annotated[float, Interval(0, None)] = 1e-3,
    mask: ArrayLike | None = None,
    rng: int | np.random.Generator | None = None,
) -> Segmentation:
    """Texture classes from Gabor filter-bank energies, clustered by k-means.

    Parameters
    ----------
    image : (H, W) ndarray
        Gray image, any real dtype; RGB is converted to gray (BT.601 luma).
        Filtering runs in float32, in the image's units.
    num_classes : int, optional
        Number of texture classes.
    frequencies : sequence of float, optional
        Centre frequencies of the bank, cycles per pixel, each in (0, 0.5]
        (period ``1 / f`` pixels). The default spans two octaves, one filter
        per octave as the 1-octave bandwidth tiles them.
    n_orientations : int, optional
        Orientations ``theta = j pi / n_orientations``, ``j = 0 .. n - 1``
        (0: stripes that vary along columns).
    bandwidth : float, optional
        Frequency bandwidth of each filter in octaves; the envelope sigma is
        ``gabor_sigma(f, bandwidth)``, about ``0.56 / f`` for 1 octave.
    window_periods : float, optional
        Scale at which texture is measured: each energy map is smoothed by a
        Gaussian of sigma ``window_periods / f`` pixels, i.e. that many periods of its
        filter's frequency ``f`` (Jain & Farrokhnia's per-channel window).
    n_components : int or None, optional
        Keep this many principal components of the standardised energies
        before clustering (``None``: no PCA).
    max_iter : int, optional
        Maximum iterations of each k-means attempt (OpenCV's cap is 100).
    tol : float, optional
        K-means stops when no centre moves more than this (Euclidean
        distance, in the standardised or PCA feature units).
    mask : (H, W) ndarray of bool, optional
        Only pixels inside `mask` are sampled and labelled; others get 0.
    rng : int or numpy.random.Generator, optional
        Seeds the pixel sample and the k-means++ initialisation; the same
        `rng` gives the same labels.

    Returns
    -------
    Segmentation
        Semantic labels 1..K, ``classes=("background", "texture1", ...)``,
        classes ordered by increasing mean standardised energy; ``meta``
        holds the bank (``frequencies``, ``orientations_deg``, ``sigmas``,
        ``window_periods``, ``window_sigmas``), ``n_features``, ``n_components``,
        ``explained_variance_ratio`` (PCA) and ``inertia`` (of the fitted sample).

    Notes
    -----
    Each energy channel is standardised (zero mean, unit variance; a flat
    channel, whose spread is float32 round-off, gets weight 0). K-means
    (``cv2.kmeans``, k-means++ seeding, best of 2 attempts) is fitted on at
    most 16,384 pixels drawn with `rng`, then every pixel is assigned to its nearest centre, so the
    fit/apply split used for tiling is exact for a given state, given tiles
    with a halo of ``ceil(3 gabor_sigma(f)) + ceil(3 window_periods / f)`` pixels for
    the lowest frequency ``f``. A constant image has no texture: every pixel
    gets class 1.

    References
    ----------
    .. [1] A. K. Jain and F. Farrokhnia, "Unsupervised texture segmentation
           using Gabor filters", Pattern Recognition 24(12), 1991.

    Examples
    --------
    >>> import numpy as np
    >>> rr, cc = np.mgrid[:64, :96]
    >>> img = np.where(cc < 48, np.cos(2 * np.pi * 0.125 * cc), np.cos(2 * np.pi * 0.25 * rr))
    >>> seg = gabor(img, num_classes=2, frequencies=(0.125, 0.25), rng=0)
    >>> left, right = seg.labels[:, :40], seg.labels[:, 56:]
    >>> bool((left == left[0, 0]).all() and (right == right[0, 0]).all() and left[0, 0] != right[0, 0])
    True
    """
    params = _bank_params(frequencies, n_orientations, bandwidth, window_periods)
    feats = _features(image, params)
    state = _gabor_fit(
        image, num_classes=num_classes, **params, n_components=n_components, max_iter=max_iter, tol=tol,
        rng=rng, mask=mask, features=feats,
    )
    return _gabor_apply(image, state, mask=mask, features=feats)
