"""The ``model`` hook: overlapping windows, scores blended with a Gaussian weight, argmax (no torch needed).

A fake model method is registered here: it scores two classes from the
window's pixels and degrades its scores near the window's border, as a
network does for lack of context; blending must hide the seams.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("dask")
pytest.importorskip("zarr")

import seglab  # noqa: E402
import seglab.tiling  # noqa: E402
from seglab.core import registry  # noqa: E402
from seglab.core.types import Segmentation  # noqa: E402

CALLS: list[tuple[tuple[int, ...], object]] = []


@pytest.fixture
def registered():
    """Register fake methods for one test, then remove them (other tests list every registered method)."""
    names = []

    def add(name, fn):
        registry.register(name, family="deep", task="semantic", input="gray", tiling="model")(fn)
        names.append(name)

    yield add
    for name in names:
        registry._REGISTRY.pop(name, None)


def fake_net(image, /, *, tile_size: int | None = 64, return_scores: bool = False, mask=None) -> Segmentation:
    """A stand-in network: class 1 where the image is bright, less sure near the window's border.

    Parameters
    ----------
    image : (H, W) ndarray
        Gray image.
    tile_size : int or None, optional
        The model's own sliding window (None: one pass).
    return_scores : bool, optional
        Also return the class scores.
    mask : (H, W) ndarray of bool, optional
        Pixels outside get label 0.
    """
    CALLS.append((image.shape, tile_size))
    p = image.astype(np.float32) / 255.0
    h, w = image.shape
    edge = np.minimum.outer(np.minimum(np.arange(h), np.arange(h)[::-1]), np.minimum(np.arange(w), np.arange(w)[::-1]))
    sure = np.minimum(1.0, 0.2 + edge / 8.0).astype(np.float32)  # border pixels are uncertain
    fg = 0.5 + (p - 0.5) * sure
    scores = np.stack([1 - fg, fg]).astype(np.float32)
    return Segmentation(labels=(fg > 0.5).astype(np.int32), task="semantic", classes=("background", "object"),
                        scores=scores if return_scores else None)


def test_model_windows_are_blended_and_equal_the_whole_image_prediction(registered):
    registered("fake_net", fake_net)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (230, 210)).astype(np.uint8)
    CALLS.clear()
    result = seglab.tiling.run(image, "fake_net", tile_size=97, overlap=0.25)
    tiled_calls = list(CALLS)
    whole = seglab.segment(image, "fake_net").labels
    assert np.array_equal(np.asarray(result.labels), whole)  # argmax of a per-pixel score survives blending
    assert all(size is None for _, size in tiled_calls)  # the tiler hands each window to the model in one pass
    windows = {shape for shape, _ in tiled_calls}
    assert max(max(s) for s in windows) == 97 + 2 * 13  # cores of 97 with ceil(0.25 * 97 / 2) pixels around


def test_a_model_without_scores_cannot_be_tiled(registered):
    def no_scores(image, /, *, mask=None) -> Segmentation:
        """No scores.

        Parameters
        ----------
        image : (H, W) ndarray
            Gray image.
        mask : (H, W) ndarray of bool, optional
            Ignored.
        """
        return Segmentation(labels=np.zeros(image.shape, np.int32), task="semantic")

    registered("fake_net_no_scores", no_scores)
    with pytest.raises(seglab.InvalidParameterError, match="no class scores to blend"):
        seglab.tiling.run(np.zeros((64, 64), np.uint8), "fake_net_no_scores", tile_size=32)


def stretching_net(image, /, *, input_range: list[float] | None = None, return_scores: bool = False,
                   mask=None) -> Segmentation:
    """A stand-in network that stretches its input to [0, 1] by the min and max it sees, as networks with a
    per-image percentile normalisation do, unless `input_range` fixes them.

    Parameters
    ----------
    image : (H, W) ndarray
        Gray image.
    input_range : list of float, optional
        [low, high] used instead of the image's own min and max.
    return_scores : bool, optional
        Also return the class scores.
    mask : (H, W) ndarray of bool, optional
        Pixels outside get label 0.
    """
    lo, hi = (float(image.min()), float(image.max())) if input_range is None else input_range
    fg = np.clip((image.astype(np.float32) - lo) / max(hi - lo, 1e-6), 0, 1)
    return Segmentation(labels=(fg > 0.5).astype(np.int32), task="semantic", classes=("background", "object"),
                        scores=np.stack([1 - fg, fg]) if return_scores else None)


def _min_max(sample, /, *, input_range=None, **_):
    return {} if input_range is not None else {"input_range": [float(sample.min()), float(sample.max())]}


def test_a_model_fit_hook_measures_the_input_range_once_for_every_window(registered):
    """Dim left half, bright right half: per-window stretching finds objects in both halves; the fit does not."""
    registry.register("stretch_net", family="deep", task="semantic", input="gray", tiling="model",
                      fit=_min_max)(stretching_net)
    try:
        image = np.zeros((96, 128), np.uint8)
        image[:, :64] = np.tile(np.arange(64, dtype=np.uint8) % 40 + 10, (96, 1))  # dim ramp 10..49
        image[:, 64:] = np.tile(np.arange(64, dtype=np.uint8) * 3 + 60, (96, 1))  # bright ramp 60..249
        whole = seglab.segment(image, "stretch_net").labels
        tiled = seglab.tiling.run(image, "stretch_net", tile_size=32, overlap=0.25)
        np.testing.assert_array_equal(np.asarray(tiled.labels), whole)
        assert tiled.meta["tiling"]["fit"]["params"] == {"input_range": [10.0, 249.0]}
        assert not whole[:, :64].any()  # the dim half stays background, as on the whole image
    finally:
        registry._REGISTRY.pop("stretch_net", None)
    registered("stretch_net_no_fit", stretching_net)  # without the hook each window stretches on its own
    lonely = seglab.tiling.run(image, "stretch_net_no_fit", tile_size=32, overlap=0.25)
    assert np.asarray(lonely.labels)[:, :64].any()
