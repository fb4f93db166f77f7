"""Marker-controlled watershed, with user markers or automatic ones.

Automatic markers follow the OpenCV tutorial's distance-transform pipeline:
smooth, binarise (Otsu or a local mean threshold), open (3x3, twice),
optionally fill holes, Euclidean distance to the background
(``cv2.distanceTransform``, L2, 5x5 mask), then markers are the connected
components of the *sure foreground*: ``distance > fg_fraction * max`` or the
h-maxima of the distance. The relief flooded from the markers is the image
gradient (with the tutorial's sure-background marker and unknown band) or the
negated distance inside the foreground (splits touching objects at their
necks). With ``threshold_method="otsu", sigma=0, fill_holes=False, fg_fraction=0.7``
the result is the tutorial's, up to the image border.

Examples
--------
>>> import numpy as np
>>> from seglab.classical.watershed import watershed
>>> rr, cc = np.mgrid[:40, :60]
>>> img = np.where(((rr - 20) ** 2 + (cc - 20) ** 2 < 144) | ((rr - 20) ** 2 + (cc - 39) ** 2 < 144), 200, 20)
>>> watershed(img.astype(np.uint8), auto_markers="hmaxima").num_segments
2
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidParameterError
from ..core.params import Interval, Renamed
from ..core.registry import register
from ..core.types import Segmentation, instance_segmentation
from ..core.validate import as_labels, check_param, float_dtype_for, round_off, to_gray
from ..postprocess import relabel_sequential, remove_small
from .histograms import otsu_threshold
from .local_threshold import check_window_fits
from .seeds import MarkerImage, Points, check_seeds_or_markers, h_maxima, parse_points
from .smoothing import gaussian_blur, gaussian_ksize

__all__ = ["watershed", "fill_holes_binary"]

def fill_holes_binary(binary: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Fill background regions not connected (4-connectivity) to the image border.

    Same result as ``scipy.ndimage.binary_fill_holes`` with its default
    structure, via one ``cv2.floodFill`` of the outside.

    Examples
    --------
    >>> ring = np.ones((3, 3), np.uint8); ring[1, 1] = 0
    >>> fill_holes_binary(ring).tolist()
    [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    """
    import cv2

    h, w = binary.shape
    outside = np.zeros((h + 2, w + 2), np.uint8)
    outside[1:-1, 1:-1] = binary != 0  # 1 = object; the zero frame joins every border background pixel
    fill = np.zeros((h + 4, w + 4), np.uint8)
    cv2.floodFill(outside, fill, (0, 0), 2, 0, 0, 4 | cv2.FLOODFILL_MASK_ONLY | (1 << 8))
    return (fill[2:-2, 2:-2] == 0).view(np.uint8)


def _smooth(gray: NDArray, sigma: float, *, kernel_of: tuple[int, ...] | None = None) -> NDArray:
    """Gaussian smoothing (reflected border); `kernel_of` is the shape that sets the kernel size (default: gray's)."""
    import cv2

    work = gray if gray.dtype in (np.uint8, np.uint16, np.float32, np.float64) else gray.astype(np.float64)
    if sigma <= 0:
        return work
    return gaussian_blur(work, sigma, border=cv2.BORDER_REFLECT, kernel_of=kernel_of)


def _bright_fraction(gray: NDArray, mask: NDArray | None) -> float:
    """Fraction of the (masked) pixels above Otsu's threshold."""
    values = gray if mask is None else gray[mask]
    if values.size == 0:
        return 0.0
    return float(np.count_nonzero(values > otsu_threshold(gray, mask=mask))) / values.size


def _foreground(gray: NDArray, *, threshold_method: str, polarity: str, window_size: int | None, offset: float,
                mask: NDArray | None) -> tuple[NDArray[np.uint8], dict[str, object]]:
    import cv2

    if threshold_method == "otsu":
        t = otsu_threshold(gray, mask=mask)
        fg = gray > t if polarity == "bright" else gray <= t
        info: dict[str, object] = {"threshold": t}
    else:
        if window_size is None:
            window_size = max(3, min(gray.shape) // 2 // 2 * 2 + 1)
        check_window_fits(window_size, gray.shape)
        if gray.dtype.kind in "ui" and gray.dtype.itemsize <= 2:
            # exact window sums in one compiled pass (no image-sized float64 mean: 8 bytes a pixel)
            fg = _above_local_mean(gray, window_size, float(offset), polarity == "bright").view(bool)
        else:
            local = cv2.boxFilter(gray, cv2.CV_64F, (window_size, window_size), borderType=cv2.BORDER_REPLICATE)
            # float rounding (of the smoothing before, in gray's precision): a flat region is never above its mean
            margin = round_off(gray, 16)
            local += offset + margin if polarity == "bright" else -(offset + margin)
            fg = gray > local if polarity == "bright" else gray < local
        info = {"window_size": window_size}
    if mask is not None:
        fg &= mask
    return fg.view(np.uint8), info


#: Pixels from which the local mean runs in strips of rows (no image of float64 sums), pixels of a strip, and
#: line pixels per pass of the line fill.
_STRIPS_FROM = 1 << 22
_STRIP_PIXELS = 1 << 18
_LINE_CHUNK = 1 << 18
#: Pixels per stripe of the smoothed picture that cv2.watershed floods.
_PICTURE_STRIPE = 1 << 22


def _above_local_mean(gray: NDArray, window: int, offset: float, bright: bool) -> NDArray[np.uint8]:
    """uint8 mask of ``gray > mean + offset`` (``gray < mean - offset`` unless `bright`) over a square window.

    The mean is over the `window` x `window` square centred on the pixel,
    the border replicated (``cv2.boxFilter`` with ``BORDER_REPLICATE``). The
    window sums are exact integers in float64: one ``cv2.boxFilter`` below
    4 MP; from 4 MP on, strips of rows whose column sums are kept running
    down the image, each strip summed along its rows by a horizontal
    ``cv2.boxFilter`` (memory: a strip, not an image of float64 sums; no
    compiled code, whose import would cost more memory than it saves).
    ``g > sum / n + offset`` is decided as ``(g - offset) * n > sum``.

    Examples
    --------
    >>> img = np.array([[0, 0, 9], [0, 9, 9], [9, 9, 9]], np.uint8)
    >>> _above_local_mean(img, 3, 0.0, True).tolist()  # the flat corner is not above its own mean
    [[0, 0, 1], [0, 1, 1], [1, 1, 0]]
    """
    import cv2

    h, w = gray.shape
    n = float(window * window)
    out = np.empty((h, w), np.uint8)
    if h * w < _STRIPS_FROM:  # small: one box filter of exact (float64 integer) sums
        sums = cv2.boxFilter(gray, cv2.CV_64F, (window, window), normalize=False, borderType=cv2.BORDER_REPLICATE)
        compare = np.greater if bright else np.less
        compare((gray - offset) * n if bright else (gray + offset) * n, sums, out=out.view(bool))
        return out
    half = window // 2
    # the column sums of row 0's window (exact integers in float64), rows replicated beyond the border
    col = gray[: min(half, h - 1) + 1].sum(axis=0, dtype=np.int64) + half * gray[0].astype(np.int64)
    col += max(0, half - (h - 1)) * gray[h - 1].astype(np.int64)
    col = col.astype(np.float64)
    strip_rows = max(1, _STRIP_PIXELS // w)
    sums = np.empty((min(strip_rows, h), w), np.float64)
    compare = np.greater if bright else np.less
    for r0 in range(0, h, strip_rows):
        r1 = min(r0 + strip_rows, h)
        rows = np.arange(r0, r1)
        steps = gray[np.minimum(rows + half, h - 1)].astype(np.float64)
        steps -= gray[np.maximum(rows - 1 - half, 0)]
        cols = sums[: r1 - r0]
        for i in range(r1 - r0):  # row by row: numpy's cumsum down columns is several times slower
            if r0 + i:
                col += steps[i]
            cols[i] = col
        box = cv2.boxFilter(cols, -1, (window, 1), normalize=False, borderType=cv2.BORDER_REPLICATE)
        strip = gray[r0:r1].astype(np.float64)
        compare((strip - offset) * n if bright else (strip + offset) * n, box, out=out[r0:r1].view(bool))
    return out


def _line_positions(labels: NDArray[np.int32]) -> NDArray[np.intp]:
    """Flat indices into (h, w) of the -1 pixels of `labels` (which may be a view), found in blocks of rows.

    No whole-image temporary: a ``labels < 0`` mask would be a quarter of the
    label image again at the peak of a big watershed.
    """
    h, w = labels.shape
    step = max(1, _LINE_CHUNK // max(w, 1))
    found = [np.flatnonzero(labels[r : r + step] < 0) + r * w for r in range(0, h, step)]
    return np.concatenate(found) if found else np.zeros(0, np.intp)


def _resolve_lines(labels: NDArray[np.int32], image: NDArray) -> None:
    """Give each watershed-line pixel (-1) the 4-neighbour label with the smallest intensity step, in place.

    The step is the largest per-channel absolute difference, the flooding
    priority of ``cv2.watershed``; ties go to the smallest label. Rounds
    repeat for lines whose neighbours are all lines, every pixel of a round
    reading the labels as they were before it; lines that no round reaches
    become 0. The line pixels are handled in chunks (memory: their flat
    indices and one chunk's temporaries).
    """
    h, w = labels.shape
    pix = image.reshape(h, w, -1)
    todo = _line_positions(labels)
    while todo.size:
        found = np.empty(todo.size, np.int32)
        for start in range(0, todo.size, _LINE_CHUNK):
            rows, cols = np.divmod(todo[start : start + _LINE_CHUNK], w)
            best_step = np.full(rows.size, np.iinfo(np.int32).max, np.int64)
            best_label = np.full(rows.size, -1, np.int32)
            here = pix[rows, cols].astype(np.int64)
            for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                r2, c2 = rows + dr, cols + dc
                ok = (r2 >= 0) & (r2 < h) & (c2 >= 0) & (c2 < w)
                r2, c2 = np.where(ok, r2, rows), np.where(ok, c2, cols)
                lab = labels[r2, c2]
                step = np.abs(here - pix[r2, c2]).max(axis=1)
                better = ok & (lab > 0) & ((step < best_step) | ((step == best_step) & (lab < best_label)))
                best_step = np.where(better, step, best_step)
                best_label = np.where(better, lab, best_label)
            found[start : start + rows.size] = best_label
        done = found > 0
        rows, cols = np.divmod(todo, w)
        if not done.any():
            labels[rows, cols] = 0
            return
        labels[rows[done], cols[done]] = found[done]
        todo = todo[~done]


def _padded_picture(image: NDArray[np.uint8], sigma: float) -> NDArray[np.uint8]:
    """A uint8 gray or RGB image as ``cv2.watershed`` floods it: smoothed, 3 channels, one replicated pixel of frame.

    The image is smoothed (:func:`_smooth`) in stripes of rows, each with the
    kernel's radius of rows around it (so equal to smoothing it whole) and
    written straight into the picture: no smoothed copy of the whole image
    is ever held.
    """
    import cv2

    h, w = image.shape[:2]
    picture = np.empty((h + 2, w + 2, 3), np.uint8)
    inner = picture[1:-1, 1:-1]
    halo = gaussian_ksize(sigma, image.dtype, image.shape) // 2 if sigma > 0 else 0
    rows = max(1, _PICTURE_STRIPE // max(w, 1), 8 * halo)
    for r0 in range(0, h, rows):
        r1 = min(h, r0 + rows)
        a, b = max(0, r0 - halo), min(h, r1 + halo)
        part = np.ascontiguousarray(_smooth(image[a:b], sigma, kernel_of=image.shape)[r0 - a : r1 - a])
        if part.ndim == 2:
            cv2.cvtColor(part, cv2.COLOR_GRAY2BGR, dst=inner[r0:r1])
        else:
            inner[r0:r1] = part
    picture[0], picture[-1] = picture[1], picture[-2]
    picture[:, 0], picture[:, -1] = picture[:, 1], picture[:, -2]
    return picture


def _cv2_flood(picture: NDArray[np.uint8], padded: NDArray[np.int32], watershed_line: bool,
               shift: int) -> NDArray[np.int32]:
    """``cv2.watershed`` of a padded picture (:func:`_padded_picture`) from markers in a zero frame, in place.

    The frame lets the image border be flooded. Lines (-1) are resolved or
    set to 0; labels ``<= shift`` become 0 and the others drop by `shift`.
    The labels are then packed to the front of `padded`'s memory row by row
    (no second label image) and returned as an ``(H, W)`` array on it.
    """
    import cv2

    cv2.watershed(picture, padded)
    inner = padded[1:-1, 1:-1]
    if not watershed_line:
        _resolve_lines(inner, picture[1:-1, 1:-1])
    if shift:
        np.subtract(inner, shift, out=inner)
    np.maximum(inner, 0, out=inner)
    h, w = inner.shape
    flat = padded.reshape(-1)
    for r in range(h):  # row r moves from (r + 1) (w + 2) + 1 to r w: always to memory already read
        start = (r + 1) * (w + 2) + 1
        flat[r * w : (r + 1) * w] = flat[start : start + w]
    return flat[: h * w].reshape(h, w)


def _sobel_relief(image: NDArray) -> NDArray:
    import cv2

    ftype = float_dtype_for(image.dtype)
    img = image.astype(ftype, copy=False)
    chans = [img] if img.ndim == 2 else [img[..., c] for c in range(img.shape[2])]
    mag2 = sum(cv2.Sobel(c, -1, 1, 0) ** 2 + cv2.Sobel(c, -1, 0, 1) ** 2 for c in chans)
    return np.sqrt(mag2)


def _interior(markers: NDArray[np.int32]) -> NDArray[np.bool_]:
    """Marker pixels whose 8 neighbours all carry the same marker (they cannot change any flood)."""
    import cv2

    if markers.max() >= 2**24:  # float32 would merge labels
        return np.zeros(markers.shape, bool)
    lab = markers.astype(np.float32)
    kernel = np.ones((3, 3), np.uint8)
    lo = cv2.erode(lab, kernel, borderType=cv2.BORDER_REPLICATE)
    hi = cv2.dilate(lab, kernel, borderType=cv2.BORDER_REPLICATE)
    return (lo == hi) & (markers > 0)


def _skimage_flood(relief: NDArray, markers: NDArray[np.int32], region: NDArray[np.bool_] | None, *,
                   connectivity: int, compactness: float, watershed_line: bool) -> NDArray[np.int32]:
    """``skimage.segmentation.watershed`` restricted to `region`, skipping marker interiors (same result)."""
    from skimage.segmentation import watershed as sk_watershed

    interior = _interior(markers)
    work = ~interior if region is None else region & ~interior
    out = sk_watershed(relief, np.where(interior, 0, markers), mask=work,
                       connectivity=1 if connectivity == 4 else 2,
                       compactness=compactness, watershed_line=watershed_line)
    out = out.astype(np.int32, copy=False)
    out[interior] = markers[interior]
    return out


def _user_markers(markers: ArrayLike | None, seeds: object, shape: tuple[int, int],
                  mask: NDArray | None) -> NDArray[np.int32]:
    h, w = shape
    if seeds is not None:
        pts = parse_points(seeds, shape, "seeds")
        marks = np.zeros((h, w), np.int32)
        marks[pts[::-1, 0], pts[::-1, 1]] = np.arange(len(pts), 0, -1, dtype=np.int32)
    else:
        marks = as_labels(markers, name="markers", shape=(h, w))
        if mask is not None or marks.min() < 0:  # never written in place below otherwise
            marks = np.maximum(marks, 0)  # a copy (-1, void, becomes 0)
    if mask is not None:
        marks[~mask] = 0
    top = int(marks.max())
    if top <= 0:
        where = " inside the mask" if mask is not None else ""
        raise InvalidParameterError(
            f"markers: no positive marker{where}; label each object to flood with a value > 0 "
            "(or pass seeds=[(row, col), ...])."
        )
    if top > marks.size:  # sparse huge ids: sort-based renumbering
        return relabel_sequential(marks)
    flat = marks.ravel()  # the ids present, read at the starts of runs (marker images are runs of ids)
    runs = np.concatenate([flat[:1], flat[1:][flat[1:] != flat[:-1]]])
    present = np.zeros(top + 1, bool)
    present[runs] = True
    present[0] = False
    if present[1:].all():
        return marks
    lut = np.zeros(top + 1, np.int32)
    lut[present] = np.arange(1, int(present.sum()) + 1, dtype=np.int32)
    return lut[marks]


def _check_params(params: Mapping[str, Any]) -> None:
    check_seeds_or_markers(params)
    size = params["window_size"]
    check_param(size is None or size % 2 == 1, "window_size",
                f"must be odd so that the window is centred on the pixel; got {size}, use {size + 1 if size else 3}.")


@register(
    "watershed", family="watershed", task="instance", input="any", tiling="instance", check=_check_params,
    renamed=(Renamed("objects", "polarity"), Renamed("block_size", "window_size"),
             Renamed("threshold", "threshold_method")),
)
def watershed(
    image: ArrayLike,
    /,
    *,
    markers: MarkerImage = None,
    seeds: Points = None,
    auto_markers: Literal["distance", "hmaxima"] = "distance",
    relief: Literal["gradient", "distance"] = "gradient",
    threshold_method: Literal["local", "otsu"] = "local",
    polarity: Literal["bright", "dark", "auto"] = "bright",
    window_size: Annotated[int, Interval(3, None)] | None = None,
    offset: float = 0.0,
    sigma: Annotated[float, Interval(0, None)] = 1.0,
    fill_holes: bool = True,
    fg_fraction: Annotated[float, Interval(0, 1, lo_open=True, hi_open=True)] = 0.4,
    h: Annotated[float, Interval(0, None, lo_open=True)] = 2.0,
    compactness: Annotated[float, Interval(0, None)] = 0.0,
    watershed_line: bool = False,
    connectivity: Literal[4, 8] = 4,
    min_size: Annotated[int, Interval(0, None)] = 0,
    clear_border: bool = False,
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Marker-controlled watershed: user markers, or automatic ones from the distance transform.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        Gray or RGB image, any real dtype; values are used as-is (no rescaling).
        Thresholds use the gray (BT.601 luma) image.
    markers : (H, W) ndarray of int, optional
        Marker image: each positive label is one marker, 0 = to be flooded.
        Give `markers` or `seeds`, not both; without either, markers are automatic.
    seeds : list of (row, col), optional
        One single-pixel marker per point (point ``i`` is marker ``i + 1``).
    auto_markers : {"distance", "hmaxima"}
        Automatic markers: connected components of ``distance > fg_fraction *
        max(distance)`` (the OpenCV tutorial), or of the h-maxima of the
        distance (one marker per peak of dynamic >= `h`, robust to objects of
        different sizes).
    relief : {"gradient", "distance"}
        What is flooded. ``"gradient"``: the image's intensity edges over the
        whole image; with automatic markers the background (outside the
        foreground dilated 3 times by 3x3) is one more marker and the band
        between it and the sure foreground is flooded, as in the OpenCV
        tutorial; the background is returned as 0. ``"distance"``: the negated
        distance transform inside the foreground, which splits touching
        objects at their necks whatever their intensity (background stays 0).
    threshold_method : {"local", "otsu"}
        Foreground: above the mean over a `window_size` square (replicated
        border) plus `offset`, robust to uneven lighting; or above Otsu's
        threshold. A flat region is never above its own mean.
    polarity : {"bright", "dark", "auto"}
        Whether objects are brighter or darker than the background. "auto"
        takes the minority side of Otsu's threshold as the objects (dark when
        more than half the pixels are above it), for data sets that mix
        fluorescence (bright nuclei) with brightfield or stained images (dark
        nuclei); ``meta["polarity"]`` records the choice.
    window_size : int, optional
        Odd side of the local-mean window in pixels; default half the image's
        shorter side (made odd).
    offset : float
        Added to the local mean before comparing, in image units.
    sigma : float
        Gaussian pre-smoothing in pixels (0: none), applied before the
        threshold and the gradient.
    fill_holes : bool
        Fill holes of the opened foreground before the distance transform.
    fg_fraction : float
        Sure-foreground fraction of the largest distance (``auto_markers="distance"``).
    h : float
        Minimal dynamic of a distance peak, in pixels (``auto_markers="hmaxima"``).
    compactness : float
        Compact watershed (scikit-image): larger values give more regular regions.
    watershed_line : bool
        Keep a one-pixel line (label 0) between touching regions.
    connectivity : {4, 8}
        Pixel adjacency of the flooding.
    min_size : int
        Regions smaller than this many pixels are set to 0 before renumbering.
    clear_border : bool
        Drop the regions that touch the image border (objects cut by the frame,
        or background caught by uneven lighting), as ``skimage.segmentation.clear_border``.
    mask : (H, W) ndarray of bool, optional
        Only pixels inside `mask` are thresholded and flooded.

    Returns
    -------
    Segmentation
        Instance labels 1..N, 0 = background (and lines); ``classes`` is
        ``("background", "object")`` and each id has a segment of class 1. ``meta``:
        ``n_markers``, ``relief``, ``engine`` (``"opencv"`` or ``"skimage"``)
        and, for automatic markers, ``threshold`` or ``window_size``.

    Raises
    ------
    InvalidParameterError
        Both `markers` and `seeds`, a seed outside the image, no positive
        marker, or an even `window_size`.

    Notes
    -----
    The gradient relief on uint8 images with 4-connectivity, no compactness
    and no mask runs ``cv2.watershed``, whose flooding priority is the largest
    per-channel step between a pixel and the neighbour that reaches it (the
    image is padded by one pixel so its border is flooded too). Otherwise
    ``skimage.segmentation.watershed`` floods the Sobel gradient magnitude
    (or the negated distance). A constant image has no automatic marker and
    gives all zeros; with user markers it is split among them.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((5, 7), np.uint8); img[:, 4:] = 100
    >>> watershed(img, seeds=[(2, 1), (2, 6)], sigma=0).labels.tolist()[0]
    [1, 1, 1, 1, 2, 2, 2]
    """
    hh, ww = image.shape[:2]
    gray = to_gray(image) if image.ndim == 3 else image
    smooth = _smooth(gray, sigma)
    user = markers is not None or seeds is not None
    opencv = (relief == "gradient" and image.dtype == np.uint8 and connectivity == 4 and compactness == 0
              and mask is None)  # cv2.watershed floods a smoothed copy of its own (_padded_picture)
    meta: dict[str, object] = {"relief": relief}

    fg = None
    if not user or relief == "distance":
        if polarity == "auto":
            polarity = "dark" if _bright_fraction(smooth, mask) > 0.5 else "bright"
            meta["polarity"] = polarity
        fg, info = _foreground(smooth, threshold_method=threshold_method, polarity=polarity, window_size=window_size,
                               offset=offset, mask=mask)
        meta.update(info)
        import cv2

        fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8), iterations=2)
        if fill_holes:
            fg = fill_holes_binary(fg)
        dist = cv2.distanceTransform(fg, cv2.DIST_L2, 5)

    if opencv:
        del smooth, gray
    # The markers live inside a frame of zeros (cv2.watershed floods the frame-padded image), so that the
    # labels never need a second image-sized copy (8192² int32: 256 MiB).
    padded = np.zeros((hh + 2, ww + 2), np.int32)
    marks = padded[1:-1, 1:-1]
    if user:
        marks[...] = _user_markers(markers, seeds, (hh, ww), mask)
    else:
        if auto_markers == "distance":
            sure = (dist > fg_fraction * dist.max()).view(np.uint8) if dist.max() > 0 else np.zeros_like(fg)
        else:
            sure = h_maxima(dist, h).view(np.uint8)
        if relief != "distance":
            del dist
        import cv2

        cv2.connectedComponents(sure, labels=marks, connectivity=8, ltype=cv2.CV_32S)
    n_markers = int(marks.max())
    meta["n_markers"] = n_markers
    if n_markers == 0:
        return instance_segmentation(np.zeros((hh, ww), np.int32), class_name="object", meta=dict(meta, engine=None))

    if relief == "distance":
        region = fg.view(bool) | (marks > 0)
        labels = _skimage_flood(-dist, marks, region, connectivity=connectivity, compactness=compactness,
                                watershed_line=watershed_line)
        engine = "skimage"
    else:
        if not user:  # the tutorial's background marker: outside the dilated foreground
            import cv2

            unknown = cv2.dilate(fg, np.ones((3, 3), np.uint8), iterations=3)
            cv2.subtract(unknown, sure, dst=unknown)  # the markers are the sure foreground
            del fg, sure
            marks += 1
            np.copyto(marks, 0, where=unknown.view(bool))
            del unknown
        shift = 0 if user else 1
        if opencv:
            labels = _cv2_flood(_padded_picture(image, sigma), padded, watershed_line, shift)
            engine = "opencv"
        else:
            src = smooth if image.ndim == 2 else _smooth(image, sigma) if sigma > 0 else image
            labels = _skimage_flood(_sobel_relief(src), marks, mask, connectivity=connectivity,
                                    compactness=compactness, watershed_line=watershed_line)
            if shift:
                np.maximum(np.subtract(labels, shift, out=labels), 0, out=labels)
            engine = "skimage"
    meta["engine"] = engine
    if clear_border:
        edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        labels[np.isin(labels, edge[edge > 0])] = 0
    if min_size > 1 or clear_border:
        labels = relabel_sequential(remove_small(labels, min_size) if min_size > 1 else labels)
        return instance_segmentation(labels, class_name="object", meta=meta)
    # every marker keeps its own pixels: the ids are 1..n_markers (less the background marker of auto markers)
    return instance_segmentation(labels, class_name="object", meta=meta, num_segments=n_markers)
