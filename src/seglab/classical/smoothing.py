"""Gaussian smoothing whose cost stays bounded however large sigma is.

OpenCV sizes a Gaussian kernel from sigma alone (``6 sigma + 1`` taps for
uint8, ``8 sigma + 1`` otherwise). A sigma far beyond the image then costs
minutes, or fails outright when the size overflows. Here the kernel is capped
at ``2 max(H, W) + 1`` taps, enough to reach the whole image from every pixel.
Below the cap the result is exactly ``cv2.GaussianBlur(image, (0, 0), sigma)``;
above it, it is that Gaussian truncated at the cap (renormalised, as OpenCV
does), which differs from the untruncated one but is just as flat.

Examples
--------
>>> import numpy as np
>>> img = np.arange(20, dtype=np.float32).reshape(4, 5)
>>> gaussian_ksize(1.0, img.dtype, img.shape), gaussian_ksize(1e300, img.dtype, img.shape)
(9, 11)
>>> bool(gaussian_blur(img, 1e300).std() < 0.2 * img.std())
True
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = ["gaussian_ksize", "gaussian_blur"]


def gaussian_ksize(sigma: float, dtype: DTypeLike, shape: tuple[int, ...]) -> int:
    """OpenCV's kernel size for `sigma`, capped at ``2 max(H, W) + 1``; always odd."""
    taps = 3 if np.dtype(dtype) == np.uint8 else 4
    cap = 2 * max(shape[:2]) + 1
    full = sigma * taps * 2 + 1
    if not math.isfinite(full) or full >= cap:
        return cap
    return int(round(full)) | 1  # OpenCV: cvRound(sigma * taps * 2 + 1) | 1


def gaussian_blur(image: NDArray, sigma: float, *, border: int = cv2.BORDER_REFLECT_101,
                  kernel_of: tuple[int, ...] | None = None) -> NDArray:
    """``cv2.GaussianBlur(image, (0, 0), sigma, borderType=border)`` with the kernel size capped.

    `kernel_of` is the shape whose cap applies (default: the image's); a stripe
    of a larger image passes the whole image's shape to get its kernel.
    """
    k = gaussian_ksize(sigma, image.dtype, kernel_of or image.shape)
    return cv2.GaussianBlur(image, (k, k), sigma, borderType=border)
