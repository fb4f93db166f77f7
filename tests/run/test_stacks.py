"""seglab.segment_stack: one fit for all the pages, 3-D ids on demand (references: the stack as one image,
seglab.segment per page, seglab.modes.stitch_slices)."""

from __future__ import annotations

import numpy as np
import pytest

import seglab
from seglab.core.errors import InvalidParameterError
from seglab.modes import stitch_slices


def stack_of(n=3, shape=(30, 40), seed=5):
    rng = np.random.default_rng(seed)
    stack = rng.integers(0, 40, (n, *shape)).astype(np.uint8)
    stack[0, 5:25, 5:35] += 150
    stack[1, 5:25, 5:35] += 60
    return stack


def test_one_threshold_for_the_stack_equals_otsu_of_the_stack_as_one_image():
    stack = stack_of()
    whole = seglab.segment(stack.reshape(-1, stack.shape[2]), "otsu")
    results = seglab.segment_stack(stack, "otsu")
    np.testing.assert_array_equal(np.stack([r.labels for r in results]), whole.labels.reshape(stack.shape))
    assert {r.meta["threshold"] for r in results} == {whole.meta["threshold"]}
    assert results[0].method == "otsu" and results[0].meta["fit"]["from"] == "statistics"


def test_fit_page_is_seglab_segment_on_each_page_and_a_mask_holds_for_every_page():
    stack = stack_of()
    mask = np.zeros(stack.shape[1:], bool)
    mask[:, :20] = True
    for r, page in zip(seglab.segment_stack(stack, "otsu", fit="page", mask=mask), stack):
        np.testing.assert_array_equal(r.labels, seglab.segment(page, "otsu", mask=mask).labels)
    whole = seglab.segment(stack.reshape(-1, stack.shape[2]), "otsu", mask=np.tile(mask, (3, 1)))
    labels = np.stack([r.labels for r in seglab.segment_stack(stack, "otsu", mask=mask)])
    np.testing.assert_array_equal(labels, whole.labels.reshape(stack.shape))


def test_stitched_instances_are_the_pages_results_renamed_with_their_segments():
    stack = np.zeros((4, 20, 30), np.uint8)
    for k in range(4):
        stack[k, 4:12, 3 + k : 11 + k] = 200
    stack[2:, 14:18, 20:26] = 200
    seeds = [(8, 7), (16, 23)]  # the second seed lies in the background on pages 0-1 and grows it there
    results = seglab.segment_stack(stack, "region_growing", seeds=seeds, tolerance=10, stitch=0.5)
    reference = stitch_slices(np.stack([seglab.segment(p, "region_growing", seeds=seeds, tolerance=10).labels
                                        for p in stack]), iou_threshold=0.5)
    np.testing.assert_array_equal(np.stack([r.labels for r in results]), reference)
    for r in results:  # every id has its segment
        assert set(np.unique(r.labels[r.labels > 0]).tolist()) == set(r.segments)


def test_kmeans_classes_agree_across_pages():
    levels = np.array([20, 120, 230], np.uint8)
    rng = np.random.default_rng(6)
    stack = np.stack([levels[rng.choice(3, (20, 20), p=p)] for p in ((0.8, 0.1, 0.1), (0.1, 0.1, 0.8),
                                                                      (0.1, 0.8, 0.1))])
    labels = np.stack([r.labels for r in seglab.segment_stack(stack, "kmeans", num_classes=3, rng=0)])
    assert all(len(np.unique(labels[stack == level])) == 1 for level in levels)


@pytest.mark.parametrize("kwargs, words", [
    ({"fit": "slab"}, "fit must be 'volume' or 'page'"),
    ({"stitch": 0.5}, "stitch links instances, but otsu gives classes"),
])
def test_bad_options_are_named(kwargs, words):
    with pytest.raises(InvalidParameterError, match=words):
        seglab.segment_stack(stack_of(), "otsu", **kwargs)


def test_pages_of_two_sizes_or_none_are_refused():
    with pytest.raises(InvalidParameterError, match="one size"):
        seglab.segment_stack([np.zeros((4, 4), np.uint8), np.zeros((5, 4), np.uint8)], "otsu")
    with pytest.raises(InvalidParameterError, match="no page"):
        seglab.segment_stack(np.zeros((0, 4, 4), np.uint8), "otsu")
