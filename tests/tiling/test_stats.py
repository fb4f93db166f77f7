"""Global thresholds fitted from summed tile statistics equal the fit on the whole image.

The reference is each method's own ``fit`` on the whole image (scikit-image's
thresholds for li and triangle, whose tiled fits are ports of its loops).
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import seglab

METHODS = ["otsu", "multiotsu", "li", "triangle", "yen"]


def _image(kind: str, rng: np.random.Generator) -> np.ndarray:
    shape = (int(rng.integers(5, 60)), int(rng.integers(5, 60)))
    if kind == "uint8":
        a = rng.normal(rng.uniform(40, 200), rng.uniform(1, 60), shape)
        a[rng.random(shape) < 0.3] += rng.uniform(-100, 100)
        return np.clip(a, 0, 255).astype(np.uint8)
    if kind == "uint16":
        return rng.integers(int(rng.integers(0, 1000)), int(rng.integers(1001, 60000)), shape).astype(np.uint16)
    if kind == "int16":
        return rng.integers(-300, int(rng.integers(-290, 400)), shape).astype(np.int16)
    if kind == "narrow":  # few levels: the paths for fewer occupied levels than classes
        return rng.choice(np.array([3, 7], np.uint16), shape)
    if kind == "constant":
        return np.full(shape, 17, np.uint8)
    if kind == "wide":  # integers spanning more than EXACT_LEVELS levels: binned like floats
        lo = int(rng.integers(-2**31, 0))
        return rng.integers(lo, lo + int(rng.integers(2**17, 2**31)), shape).astype(np.int64)
    dtype = np.float32 if kind == "float32" else np.float64
    return (rng.gamma(2.0, 1.0, shape) * rng.uniform(0.01, 100)).astype(dtype)


def _tiles(image: np.ndarray, mask: np.ndarray | None, size: int):
    for r in range(0, image.shape[0], size):
        for c in range(0, image.shape[1], size):
            yield image[r : r + size, c : c + size], None if mask is None else mask[r : r + size, c : c + size]


def _value_range(image: np.ndarray, mask: np.ndarray | None) -> tuple[float, float]:
    if image.dtype.kind in "iu" and image.dtype.itemsize <= 2:
        info = np.iinfo(image.dtype)
        return info.min, info.max
    values = image[mask] if mask is not None and mask.any() else image
    return values.min(), values.max()


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("kind", ["uint8", "uint16", "int16", "narrow", "constant", "float32", "float64", "wide"])
def test_fit_from_summed_tile_stats_equals_whole_image_fit(name, kind):
    spec = seglab.get_method(name)
    rng = np.random.default_rng(zlib.crc32(f"{name}-{kind}".encode()))
    for trial in range(12):
        image = _image(kind, rng)
        mask = rng.random(image.shape) < 0.8 if trial % 3 == 0 else None
        params = spec.validate_params({})
        value_range = _value_range(image, mask)
        total = sum(spec.stats(t, value_range=value_range, mask=m, **params)
                    for t, m in _tiles(image, mask, int(rng.integers(3, 17))))
        tiled = spec.fit_stats(total, value_range=value_range, dtype=image.dtype, **params)
        whole = spec.fit(image, mask=mask, **params)
        if name == "li" and kind in ("float32", "float64", "wide"):  # iterated on 65536 bins: close, not equal
            spread = float(value_range[1]) - float(value_range[0])
            assert tiled["threshold"] == pytest.approx(whole["threshold"], abs=2e-3 * spread)
        else:
            assert tiled == whole, (trial, image.shape)


def test_stats_and_fit_stats_are_declared_together():
    from seglab.core.registry import register

    with pytest.raises(ValueError, match="go together"):
        register("half_declared", family="threshold", task="semantic", input="gray", tiling="global",
                 fit=dict, apply=dict, stats=dict)
