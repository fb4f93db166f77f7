"""gaussian_blur: exactly OpenCV's GaussianBlur below the kernel cap, bounded above it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from seglab import InvalidParameterError
from seglab.classical.smoothing import gaussian_blur, gaussian_ksize
from seglab.core.params import Interval, ParamSpec


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("border", [cv2.BORDER_REFLECT_101, cv2.BORDER_REFLECT, cv2.BORDER_REPLICATE])
def test_equals_opencv_below_the_cap(dtype, border):
    rng = np.random.default_rng(3)
    image = (rng.random((64, 80)) * 200).astype(dtype)
    for sigma in rng.uniform(0.3, 9.0, 12):
        expected = cv2.GaussianBlur(image, (0, 0), sigma, borderType=border)
        np.testing.assert_array_equal(gaussian_blur(image, sigma, border=border), expected)


def test_kernel_is_capped_at_twice_the_image_size():
    assert gaussian_ksize(2.0, np.uint8, (40, 50)) == 13 and gaussian_ksize(2.0, np.float32, (40, 50)) == 17
    assert gaussian_ksize(13.0, np.float32, (40, 50)) == 101 and gaussian_ksize(1e300, np.float32, (40, 50)) == 101
    flat = gaussian_blur(np.arange(2000, dtype=np.float32).reshape(40, 50), 1e6)
    assert flat.std() < 0.2 * np.arange(2000).std()


def test_float_parameters_must_be_finite():
    spec = ParamSpec(name="sigma", kind="float", default=1.0, interval=Interval(0, None))
    with pytest.raises(InvalidParameterError, match=r"sigma=inf is not finite"):
        spec.validate(float("inf"), "canny")
