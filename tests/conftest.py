"""Shared fixtures: fixed-seed rng and synthetic scenes made here (no external data)."""

from __future__ import annotations

import numpy as np
import pytest


def make_scene(kind: str, *, size: int = 48, seed: int = 0) -> np.ndarray:
    """Disks on a background with mild noise: gray uint8 or RGB uint8.

    Gray: two bright disks (200) on a dark background (40). RGB: a red disk, a
    green square and a blue band on gray, so colour, clustering and texture
    methods all see structure.
    """
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[:size, :size]
    gray = np.full((size, size), 40.0)
    gray[(rr - size * 0.3) ** 2 + (cc - size * 0.3) ** 2 < (size * 0.18) ** 2] = 200
    gray[(rr - size * 0.68) ** 2 + (cc - size * 0.65) ** 2 < (size * 0.2) ** 2] = 200
    gray += rng.normal(0, 4, gray.shape)
    if kind == "gray":
        return np.clip(gray, 0, 255).astype(np.uint8)
    rgb = np.full((size, size, 3), 120.0)
    rgb[(rr - size * 0.3) ** 2 + (cc - size * 0.3) ** 2 < (size * 0.18) ** 2] = (220, 30, 30)
    rgb[size // 2 :, size // 2 :] = (30, 200, 40)
    rgb[: size // 6] = (30, 40, 210)
    rgb += rng.normal(0, 4, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def scene():
    """``scene(input_kind)`` -> an image suited to a method's declared input ("gray", "color", "any")."""

    def _make(kind: str = "gray", **kw) -> np.ndarray:
        return make_scene("gray" if kind == "gray" else "color", **kw)

    return _make
