"""Tiled equals untiled (DESIGN rule 14), at odd tile sizes, with objects on seams and corners.

The reference is the untiled method on the whole image; instance results are
compared up to relabelling (Rand index 1, equivalently adjusted Rand index 1)
and, for connected components, also id for id.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("dask")
pytest.importorskip("zarr")

import seglab  # noqa: E402
import seglab.tiling  # noqa: E402
from seglab.metrics.partition import rand_index  # noqa: E402

SIZES = [97, 130]


def scene(size: int = 300, rgb: bool = False, seed: int = 0) -> np.ndarray:
    """Bright disks and bars centred on the seams and corners of 97- and 130-pixel tiles, on a noisy ramp."""
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[:size, :size + 31]
    img = 40 + 30 * cc / cc.max() + rng.normal(0, 6, rr.shape)
    centres = [(97, 97), (130, 130), (97, 194), (194, 97), (260, 260), (130, 40), (40, 130), (194, 260)]
    for k, (r, c) in enumerate(centres):
        img[(rr - r) ** 2 + (cc - c) ** 2 < (9 + k % 3) ** 2] = 190 + 5 * k
    img[150:154, 10:320] = 210  # a bar across every column seam
    img[5:295, 290:294] = 215  # and one across every row seam
    gray = np.clip(img, 0, 255).astype(np.uint8)
    if not rgb:
        return gray
    out = np.stack([gray, np.roll(gray, 40, axis=1), 255 - gray], axis=2)
    return out.astype(np.uint8)


def tiled(image, method, size, **kw):
    return np.asarray(seglab.tiling.run(image, method, tile_size=size, **kw).labels)


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    return rand_index(a, b, ignore_index=None) == 1.0


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("method", "params", "rgb"), [
    ("threshold", {"value": 120}, False),
    ("otsu", {}, False),
    ("otsu", {"polarity": "dark"}, True),
    ("multiotsu", {"num_classes": 3}, False),
    ("sauvola", {"window_size": 25}, False),
    ("adaptive", {"window_size": 31, "offset": 3}, False),
    ("hsv_range", {"ranges": ["red", "blue"]}, True),
])
def test_semantic_methods_tile_exactly(method, params, rgb, size):
    image = scene(rgb=rgb)
    whole = seglab.segment(image, method, **params).labels
    assert np.array_equal(tiled(image, method, size, **params), whole)


@pytest.mark.parametrize("size", SIZES)
def test_otsu_on_float_and_uint16_with_mask_fits_the_untiled_threshold(size):
    image = scene().astype(np.float32) / 7.0
    mask = np.ones(image.shape, bool)
    mask[:, :40] = False
    whole = seglab.segment(image, "otsu", mask=mask)
    result = seglab.tiling.run(image, "otsu", tile_size=size, mask=mask)
    assert result.meta["threshold"] == whole.meta["threshold"]
    assert np.array_equal(np.asarray(result.labels), whole.labels)
    wide = (scene().astype(np.uint16) * 200)
    assert np.array_equal(tiled(wide, "yen", size), seglab.segment(wide, "yen").labels)


@pytest.mark.parametrize("size", SIZES)
def test_connected_components_equal_untiled_id_for_id(size):
    image = scene()
    whole = seglab.to_instance(seglab.segment(image, "otsu"))
    result = seglab.tiling.run(image, "otsu", tile_size=size, as_task="instance")
    labels = np.asarray(result.labels)
    assert same_partition(labels, whole.labels)
    assert np.array_equal(labels, whole.labels)  # numbered in raster order of the first pixel, as untiled
    assert {i: s.class_id for i, s in result.segments.items()} == {i: s.class_id for i, s in whole.segments.items()}


def test_connected_components_agree_with_scipy_and_dask_image():
    """Independent references: scipy.ndimage.label on the whole mask, and dask-image's chunked label."""
    import dask.array as da
    from dask_image.ndmeasure import label as dask_label
    from scipy import ndimage as ndi

    rng = np.random.default_rng(3)
    binary = (rng.random((260, 251)) < 0.45).astype(np.uint8)  # percolating blobs across every seam
    ours = tiled(binary, "threshold", 97, value=0, as_task="instance")
    structure = np.ones((3, 3), bool)
    assert same_partition(ours, ndi.label(binary, structure)[0])
    theirs = dask_label(da.from_array(binary, chunks=97), structure)[0].compute()
    assert same_partition(ours, theirs)


@pytest.mark.parametrize("size", SIZES)
def test_canny_regions_equal_untiled_up_to_relabelling(size):
    image = scene()
    params = {"low_threshold": 40, "high_threshold": 90}
    whole = seglab.segment(image, "canny", **params).labels
    ours = tiled(image, "canny", size, overlap=0.5, **params)
    assert whole.max() >= 8 and same_partition(ours, whole)


@pytest.mark.parametrize("size", SIZES)
def test_watershed_with_local_foreground_equals_untiled_up_to_relabelling(size):
    image = scene()
    params = {"threshold_method": "local", "window_size": 41, "offset": 20, "auto_markers": "hmaxima",
              "relief": "distance", "sigma": 0}
    whole = seglab.segment(image, "watershed", **params).labels
    ours = tiled(image, "watershed", size, overlap=0.5, **params)
    assert whole.max() >= 8 and same_partition(ours, whole)


def test_instance_method_to_semantic_gives_the_class_map():
    image = scene()
    params = {"low_threshold": 40, "high_threshold": 90}
    ours = tiled(image, "canny", 97, overlap=0.5, as_task="semantic", **params)
    assert np.array_equal(ours, (seglab.segment(image, "canny", **params).labels > 0).astype(np.int32))


def test_image_shaped_parameters_are_cut_like_the_image():
    image = scene()
    markers = np.zeros(image.shape, np.int32)
    rows, cols = np.meshgrid(np.arange(20, 300, 50), np.arange(20, 331, 50), indexing="ij")
    markers[rows, cols] = np.arange(1, rows.size + 1).reshape(rows.shape)  # some in every window
    ours = tiled(image, "watershed", 130, overlap=0.5, markers=markers, sigma=0)  # whole markers would not fit a window
    assert ours.shape == image.shape and (ours[rows, cols] > 0).all()


def test_kmeans_fits_on_a_sample_and_labels_every_pixel_by_the_same_state():
    image = scene(rgb=True)
    result = seglab.tiling.run(image, "kmeans", tile_size=130, num_classes=3, rng=0)
    assert result.meta["tiling"]["fit"]["from"] == "sample"
    centres = np.asarray(result.meta["centres"], np.float32)
    d2 = ((image.reshape(-1, 1, 3).astype(np.float32) - centres[None]) ** 2).sum(2)
    assert np.array_equal(np.asarray(result.labels).ravel(), d2.argmin(1) + 1)
    with pytest.raises(seglab.InvalidParameterError, match="spatial_weight"):
        seglab.tiling.run(image, "kmeans", tile_size=130, num_classes=3, spatial_weight=10.0, rng=0)
