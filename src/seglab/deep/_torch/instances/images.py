"""From what a microscope writes to what the instance networks see: one gray channel, nuclei bright, at their scale.

The networks of :mod:`seglab.deep._torch.instances` take one channel: RGB
becomes BT.601 luma, every image is normalised by its own percentiles
(``(x - p_low) / (p_high - p_low)``, whatever the bit depth), and an image
whose background is light (brightfield, stained tissue) is inverted so that
objects are always brighter than their surroundings. The background is the
mode of the normalised histogram: in a fluorescence image it is dark even
when nuclei cover half the field. Everything here is numpy and OpenCV.

Examples
--------
>>> image = np.full((20, 20), 200, np.uint8); image[5:10, 5:10] = 30   # dark object, light background
>>> x, inverted = gray_input(image)
>>> inverted, float(x[7, 7]) > float(x[0, 0])
(True, True)
>>> scaled_shape((100, 60), 0.5), resize(np.zeros((100, 60), np.float32), (50, 30)).shape
((50, 30), (50, 30))
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..preprocess import to_channels

__all__ = ["PERCENTILES", "gray_input", "light_background", "resize", "scaled_shape"]

#: The percentiles (low, high) every image is normalised by.
PERCENTILES = (1.0, 99.8)
_BINS = 64


def light_background(x: NDArray[np.floating]) -> bool:
    """Whether the most common intensity of a normalised image lies in its upper half (a light background).

    Examples
    --------
    >>> light_background(np.r_[np.zeros(90), np.ones(10)]), light_background(np.r_[np.zeros(10), np.ones(90)])
    (False, True)
    """
    hist = np.histogram(np.clip(x, 0, 1), bins=_BINS, range=(0.0, 1.0))[0].astype(np.float64)
    hist = np.convolve(hist, [1.0, 2.0, 1.0], mode="same")  # a light smoothing: one noisy bin never wins
    return bool(np.argmax(hist) >= _BINS // 2)


def gray_input(image: ArrayLike, *, percentiles: tuple[float, float] = PERCENTILES, polarity: str = "auto",
               name: str = "image") -> tuple[NDArray[np.float32], bool]:
    """The network input of `image`: gray, percentile-normalised, objects bright.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) array_like
        In its own units (uint8, uint16, float); validated like every seglab image.
    percentiles : (float, float)
        The low and high percentiles mapped to 0 and 1.
    polarity : {"auto", "bright", "dark"}
        Whether objects are brighter than the background; "auto" decides from
        the histogram (:func:`light_background`). Dark objects are inverted.
    name : str
        The argument name used in error messages.

    Returns
    -------
    x : (H, W) ndarray of float32
    inverted : bool
        Whether the image was inverted.
    """
    gray = to_channels(image, 1, name=name)[..., 0]
    x = gray.astype(np.float64 if gray.dtype == np.float64 else np.float32)  # float64 keeps 1e300 finite
    low, high = np.percentile(x, percentiles)
    span = float(high - low)
    x = ((x - low) / span).astype(np.float32) if span > 0 else np.zeros(x.shape, np.float32)
    inverted = light_background(x) if polarity == "auto" else polarity == "dark"
    if inverted:
        np.subtract(1.0, x, out=x)
    return x, inverted


def scaled_shape(shape: tuple[int, ...], factor: float) -> tuple[int, int]:
    """``(H, W)`` of an image of `shape` zoomed by `factor` (at least one pixel each way)."""
    return tuple(max(1, round(n * factor)) for n in shape[:2])  # type: ignore[return-value]


def resize(x: NDArray, shape: tuple[int, int], *, nearest: bool = False) -> NDArray:
    """`x` ``(H, W)`` or ``(H, W, C)`` resized to `shape` ``(h, w)``.

    Labels and class maps take `nearest`; intensities and probabilities are
    interpolated (area averaging when shrinking, bilinear when enlarging).
    """
    if tuple(x.shape[:2]) == tuple(shape):
        return x
    if nearest:
        interpolation = cv2.INTER_NEAREST
    else:
        interpolation = cv2.INTER_AREA if math.prod(shape) < x.shape[0] * x.shape[1] else cv2.INTER_LINEAR
    return cv2.resize(x, (int(shape[1]), int(shape[0])), interpolation=interpolation)
