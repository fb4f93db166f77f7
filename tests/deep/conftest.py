"""Fixtures of the deep tests: a synthetic shapes data set written to a temporary folder.

Nothing here imports torch, so collecting this folder without torch only
skips the test modules (each starts with ``pytest.importorskip("torch")``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .synthetic import shapes


@pytest.fixture(scope="session")
def shapes_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``images/train|val/*.png`` + ``labels/train|val/*.png``: 16 training and 4 validation shapes scenes."""
    import imageio.v3 as iio

    root = tmp_path_factory.mktemp("shapes")
    for split, seeds in (("train", range(16)), ("val", range(100, 104))):
        for sub in ("images", "labels"):
            (root / sub / split).mkdir(parents=True)
        for seed in seeds:
            image, mask = shapes(seed=seed)
            iio.imwrite(root / "images" / split / f"s{seed:03d}.png", image)
            iio.imwrite(root / "labels" / split / f"s{seed:03d}.png", mask.astype(np.uint8))
    return root
