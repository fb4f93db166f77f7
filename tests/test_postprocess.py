"""Post-processing functions against scikit-image / scipy references and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage as ndi
from skimage import measure, morphology, segmentation

from seglab.core.errors import InvalidImageError, InvalidParameterError
from seglab.postprocess import (
    connected_components,
    fill_holes,
    instance_boundaries,
    relabel_sequential,
    remove_small,
    semantic_to_instance,
)

label_images = arrays(np.int32, st.tuples(st.integers(1, 24), st.integers(1, 24)), elements=st.integers(0, 9))


@settings(max_examples=60, deadline=None)
@given(labels=label_images)
def test_relabel_is_idempotent_keeps_partition_and_matches_skimage(labels):
    once = relabel_sequential(labels)
    assert np.array_equal(relabel_sequential(once), once)
    assert np.array_equal(np.unique(labels, return_inverse=True)[1], np.unique(once, return_inverse=True)[1])
    ref, _, _ = segmentation.relabel_sequential(labels)
    assert np.array_equal(once, ref)


def test_relabel_keeps_void():
    lab = np.array([[-1, 4, 9], [9, 0, -1]])
    assert relabel_sequential(lab).tolist() == [[-1, 1, 2], [2, 0, -1]]


@settings(max_examples=40, deadline=None)
@given(binary=arrays(bool, st.tuples(st.integers(2, 20), st.integers(2, 20))), min_size=st.integers(0, 12))
def test_remove_small_matches_skimage_on_connected_components(binary, min_size):
    components = measure.label(binary, connectivity=2)
    ours = remove_small(components, min_size) > 0
    ref = morphology.remove_small_objects(binary, max_size=min_size - 1, connectivity=2) if min_size > 0 else binary
    assert np.array_equal(ours, ref)


def test_fill_holes_matches_scipy_for_one_object_and_keeps_shared_holes():
    ring = np.zeros((9, 9), np.int32)
    ring[1:8, 1:8] = 3
    ring[3:6, 3:6] = 0
    ours = fill_holes(ring)
    assert np.array_equal(ours > 0, ndi.binary_fill_holes(ring > 0))
    assert set(np.unique(ours)) == {0, 3}
    # A hole bordered by two different segments is not filled: it belongs to neither.
    two = ring.copy()
    two[1:8, 5:8] = 4
    two[3:6, 3:6] = 0
    assert (fill_holes(two)[4, 4]) == 0


def test_semantic_to_instance_matches_skimage_label():
    rng = np.random.default_rng(0)
    sem = rng.integers(0, 3, (30, 30))
    ours = semantic_to_instance(sem, connectivity=4)
    ref = measure.label(sem, background=0, connectivity=1)
    # Same partition (up to numbering), background kept.
    assert np.array_equal(ours == 0, sem == 0)
    pairs = set(zip(ours.ravel().tolist(), ref.ravel().tolist()))
    assert len(pairs) == len(np.unique(ours)) == len(np.unique(ref))


def test_instance_boundaries_equal_find_boundaries():
    lab = np.zeros((10, 10), np.int32)
    lab[2:6, 2:6] = 1
    lab[5:9, 4:9] = 2
    assert np.array_equal(instance_boundaries(lab, mode="thick"), segmentation.find_boundaries(lab, mode="thick"))


def test_bad_inputs_are_clear():
    with pytest.raises(InvalidImageError, match="fractional"):
        relabel_sequential(np.array([[0.5]]))
    with pytest.raises(InvalidParameterError, match="min_size"):
        remove_small(np.zeros((2, 2), np.int32), -1)
    with pytest.raises(InvalidParameterError, match="connectivity"):
        semantic_to_instance(np.zeros((2, 2), np.int32), connectivity=3)


def _skimage_components(labels, connectivity, background):
    """scikit-image's labelling (raster order of first pixel) of equal neighbours, seglab's conventions."""
    conn = 1 if connectivity == 4 else 2
    if background is None:
        return measure.label(labels + 2, background=0, connectivity=conn)
    keep = (labels != background) & (labels >= 0)
    ids = measure.label(np.where(keep, labels + 2, 0), background=0, connectivity=conn)
    return np.where(labels < 0, -1, ids)


@settings(max_examples=150, deadline=None)
@given(labels=arrays(np.int32, st.tuples(st.integers(1, 30), st.integers(1, 30)), elements=st.integers(-1, 3)),
       connectivity=st.sampled_from([4, 8]), background=st.sampled_from([0, 1, None]))
def test_connected_components_equal_skimage_label_ids_and_sources(labels, connectivity, background):
    c = connected_components(labels, connectivity=connectivity, background=background)
    assert c.ids.dtype == np.int32
    assert np.array_equal(c.ids, _skimage_components(labels, connectivity, background))
    inside = c.ids > 0
    assert np.array_equal(c.source[c.ids[inside]], labels[inside])


@settings(max_examples=150, deadline=None)
@given(labels=arrays(np.int32, st.tuples(st.integers(1, 40), st.integers(1, 40)), elements=st.integers(-1, 1)),
       connectivity=st.sampled_from([4, 8]), background=st.sampled_from([0, 1, None]))
def test_the_run_length_path_equals_skimage_on_binary_inputs(labels, connectivity, background):
    """Binary images below 1 MP take OpenCV; forced onto the run-length kernels they must give the same ids."""
    from unittest import mock

    import seglab.postprocess as pp

    with mock.patch.object(pp, "_RUNS_FROM", 0):
        c = connected_components(labels, connectivity=connectivity, background=background)
    assert np.array_equal(c.ids, _skimage_components(labels, connectivity, background))
    inside = c.ids > 0
    assert np.array_equal(c.source[c.ids[inside]], labels[inside])


@pytest.mark.parametrize("long_runs", [8, 9, 17])
def test_long_runs_are_labelled_like_skimage(long_runs):
    """Runs longer than the eight-pixel steps of the scan, ending at every offset, with touching runs above."""
    rng = np.random.default_rng(long_runs)
    labels = np.repeat(rng.integers(0, 3, (60, 7)), long_runs, axis=1).astype(np.int32)
    for row in labels:  # each row shifted by its own amount: runs end at every offset of the eight-pixel steps
        row[:] = np.roll(row, int(rng.integers(0, long_runs)))
    for connectivity in (4, 8):
        c = connected_components(labels, connectivity=connectivity)
        assert np.array_equal(c.ids, _skimage_components(labels, connectivity, 0))


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("kind", ["coins", "noise", "classes"])
def test_connected_components_of_large_images_equal_skimage(kind, connectivity):
    """Large inputs take the run-length kernels (binary from 1 MP on, several classes always), in raster order."""
    import cv2
    from skimage import data

    rng = np.random.default_rng(3)
    if kind == "coins":  # OpenCV's default (Spaghetti) 8-connected ids would be out of raster order here
        coins = cv2.resize(data.coins(), (1500, 1300))
        labels = (coins > 110).astype(np.int32)
    elif kind == "noise":
        labels = (rng.random((1000, 1200)) < 0.45).astype(np.int32)
        labels[rng.random(labels.shape) < 0.01] = -1
    else:
        labels = rng.integers(0, 4, (700, 900)).astype(np.int32)
    c = connected_components(labels, connectivity=connectivity)
    assert np.array_equal(c.ids, _skimage_components(labels, connectivity, 0))


def test_connected_components_takes_other_dtypes_and_refuses_values_below_void():
    assert connected_components(np.array([[True, False, True]])).ids.tolist() == [[1, 0, 2]]
    assert connected_components(np.array([[3, 3, 0]], np.uint16)).source.tolist() == [0, 3]
    with pytest.raises(InvalidImageError):
        connected_components(np.array([[0, -2]], np.int32))
    assert connected_components(np.zeros((0, 3), np.int32)).ids.shape == (0, 3)


@pytest.mark.parametrize("labels", [
    [[0, 0], [0, 0]], [[-1, -1]], [[0, 7, 7], [-1, 7, 0]], [[2**31 - 1, 0]], [[1, 2**31 - 1]], [[5]], [[3, 0, 1, -1]],
])
def test_background_zero_scan_equals_the_general_scan(labels):
    """The vectorised scan of background 0 gives the general scan's mask, foreground extremes and minimum."""
    import seglab.postprocess as pp

    lab = np.asarray(labels, np.int32)
    fast, general = pp._foreground(lab, 0), pp._scan_foreground(lab, 0)
    np.testing.assert_array_equal(fast[0], general[0])
    assert tuple(map(int, fast[1:])) == tuple(map(int, general[1:]))
    assert tuple(map(int, general[1:])) == (
        (int(lab[lab > 0].min()), int(lab[lab > 0].max())) if (lab > 0).any() else (2**31 - 1, -(2**31))
    ) + (min(0, int(lab.min())),)
