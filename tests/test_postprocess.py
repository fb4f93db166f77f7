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
