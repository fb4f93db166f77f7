"""Fixtures for the command-line tests: a private registry with two extra test methods.

``demo_blobs`` is a small instance method (connected components of
``image > value``, via scikit-image) so COCO output can be tested whatever the
other modules register; ``demo_needs_missing`` declares an optional package
that is not installed. Both live in a copy of the registry that is thrown
away after each test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seglab import Segment, Segmentation
from seglab.core import registry
from seglab.core.registry import register


@pytest.fixture
def run_seglab():
    """Run the installed ``seglab`` console script (else ``python -m seglab.cli``) in a subprocess."""
    script = Path(sys.executable).with_name("seglab")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "seglab.cli"]

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([*command, *args], capture_output=True, text=True, cwd=cwd, timeout=120)

    run.command = command  # for tests that drive the process themselves
    return run


@pytest.fixture
def demo_methods(monkeypatch):
    registry.list_methods()  # load every front module first, so the copy holds them all
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @register("demo_blobs", family="region", task="instance", input="gray", tiling="instance")
    def demo_blobs(image, /, *, value: float = 100.0, mask=None) -> Segmentation:
        """Connected components of ``image > value``.

        Parameters
        ----------
        value : float
            Threshold in image units.
        mask : (H, W) ndarray of bool, optional
            Pixels outside get label 0.
        """
        from skimage.measure import label

        labels = label(image > value).astype(np.int32)
        n = int(labels.max())
        return Segmentation(labels=labels, task="instance", classes=("background", "blob"),
                            segments={i: Segment(1, 1.0) for i in range(1, n + 1)})

    @register("demo_needs_missing", family="region", task="semantic", input="gray", tiling="global",
              requires=("seglab_test_package_that_is_not_installed",), fit=lambda *a, **k: {},
              apply=lambda *a, **k: None)
    def demo_needs_missing(image, /) -> Segmentation:
        """Needs a package that is not installed."""
        raise AssertionError("never runs")

    return registry._REGISTRY


@pytest.fixture
def blobs() -> np.ndarray:
    """Two bright squares and a bright bar on a dark background (uint8, 40 x 50)."""
    image = np.full((40, 50), 20, np.uint8)
    image[5:15, 5:15] = 200
    image[20:35, 30:45] = 220
    image[30:33, 2:20] = 180
    return image


@pytest.fixture
def images(tmp_path, blobs):
    """A folder ``in/`` with two gray PNGs and an RGBA PNG made from `blobs`."""
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(blobs).save(folder / "blobs.png")
    Image.fromarray(blobs[::-1].copy()).save(folder / "flipped.png")
    rgba = np.dstack([blobs] * 3 + [np.full((40, 50), 128, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(folder / "rgba.png")
    return folder
