"""The striped PNG encoder: files that OpenCV and Pillow decode to the same pixels, Adler-32 combination."""

import io
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from seglab.io import png
from seglab.io.labels import encode_png


def _decode(data: bytes) -> np.ndarray:
    back = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return back[..., ::-1] if back.ndim == 3 else back


@pytest.mark.parametrize("coder", ["isal", "zlib"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (301, 257), (1, 3, 3), (97, 131, 3), (640, 700, 3)])
def test_striped_png_decodes_to_the_same_pixels(shape, dtype, coder, monkeypatch):
    monkeypatch.setattr(png, "_STRIPE_BYTES", 5000)  # many stripes even on small arrays
    if coder == "zlib":
        monkeypatch.setattr(png, "_deflate", None)
    elif png._deflate is None:
        pytest.skip("isal is not installed")
    rng = np.random.default_rng(sum(shape))
    pixels = rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)
    data = png.encode_png_striped(pixels, threads=3)
    np.testing.assert_array_equal(_decode(data), pixels)

    with Image.open(io.BytesIO(data)) as im:  # a second, independent decoder
        im.load()
        assert im.size == (shape[1], shape[0])
        if dtype == np.uint8:
            np.testing.assert_array_equal(np.asarray(im), pixels)


def test_fast_encode_png_is_the_striped_encoder_and_smooth_pictures_compress():
    y, x = np.mgrid[0:400, 0:600]
    rgb = np.stack([x % 256, y % 256, (x + y) % 256], axis=-1).astype(np.uint8)
    data = encode_png(rgb.copy(), fast=True, reuse=True)
    np.testing.assert_array_equal(_decode(data), rgb)
    assert len(data) < rgb.nbytes / 4  # the sub filter turns ramps into constants


@pytest.mark.parametrize("a, b", [(b"", b"x"), (b"seglab", b""), (bytes(range(256)) * 300, b"\xff" * 70000)])
def test_adler32_combine_equals_zlib_on_the_whole(a, b):
    assert png.adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)


def test_striped_png_refuses_other_dtypes_and_shapes():
    with pytest.raises(ValueError, match="uint8/uint16"):
        png.encode_png_striped(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="uint8/uint16"):
        png.encode_png_striped(np.zeros((4, 4, 4), np.uint8))
