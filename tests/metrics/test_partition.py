"""Partition metrics against scikit-image, brute-force pair counting and hand-computed cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from skimage.metrics import adapted_rand_error as sk_are
from skimage.metrics import variation_of_information as sk_vi

from seglab.core.errors import InvalidImageError, InvalidParameterError
from seglab.metrics import (
    adapted_rand_error,
    probabilistic_rand_index,
    rand_index,
    segmentation_covering,
    variation_of_information,
)

label_images = st.tuples(st.integers(1, 7), st.integers(1, 7)).flatmap(
    lambda shape: st.tuples(
        arrays(np.int32, shape, elements=st.integers(0, 4)),
        arrays(np.int32, shape, elements=st.integers(0, 4)),
    )
)


def brute_rand_index(t: np.ndarray, p: np.ndarray) -> float:
    """Rand index by looking at every pixel pair: the O(N^2) definition."""
    t, p = t.ravel(), p.ravel()
    pairs = list(itertools.combinations(range(t.size), 2))
    if not pairs:
        return 1.0
    agree = sum((t[i] == t[j]) == (p[i] == p[j]) for i, j in pairs)
    return agree / len(pairs)


def brute_covering(t: np.ndarray, p: np.ndarray) -> float:
    """Covering by looping over every (true region, predicted region) pair."""
    total = 0.0
    for r in np.unique(t):
        region = t == r
        best = max(np.sum(region & (p == s)) / np.sum(region | (p == s)) for s in np.unique(p))
        total += region.sum() * best
    return total / t.size


@pytest.mark.parametrize("seed", range(5))
def test_adapted_rand_error_equals_skimage(seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 6, (30, 40))
    p = rng.integers(0, 9, (30, 40))
    ours = adapted_rand_error(t, p, ignore_index=None)
    err, sk_prec, sk_rec = sk_are(t, p, ignore_labels=())
    assert ours.error == pytest.approx(err, rel=1e-12)
    # scikit-image returns precision and recall swapped (scikit-image#6485)
    assert ours.precision == pytest.approx(sk_rec, rel=1e-12)
    assert ours.recall == pytest.approx(sk_prec, rel=1e-12)


def test_adapted_rand_error_ignore_matches_skimage_ignore_labels():
    rng = np.random.default_rng(7)
    t = rng.integers(-1, 5, (25, 25))
    p = rng.integers(0, 5, (25, 25))
    ours = adapted_rand_error(t, p)  # ignore_index=-1
    # skimage needs non-negative labels: shift by one and ignore the shifted void (0)
    err, _, _ = sk_are(t + 1, p, ignore_labels=(0,))
    assert ours.error == pytest.approx(err, rel=1e-12)


def test_adapted_rand_precision_recall_by_hand():
    # true: {a,b} {c,d}; pred: one segment. Pairs (ordered): true-same 4, pred-same 12, both 4.
    r = adapted_rand_error([[1, 1, 2, 2]], [[0, 0, 0, 0]])
    assert r.precision == pytest.approx(4 / 12)
    assert r.recall == 1.0
    assert r.error == pytest.approx(0.5)


@pytest.mark.parametrize("seed", range(5))
def test_variation_of_information_equals_skimage(seed):
    rng = np.random.default_rng(100 + seed)
    t = rng.integers(0, 5, (20, 30))
    p = rng.integers(0, 7, (20, 30))
    ours = variation_of_information(t, p, ignore_index=None)
    split, merge = sk_vi(t, p)
    assert ours.split == pytest.approx(split, abs=1e-12)
    assert ours.merge == pytest.approx(merge, abs=1e-12)
    assert tuple(ours) == pytest.approx(tuple(sk_vi(t, p)))


def test_variation_of_information_by_hand():
    # a pure over-segmentation: every true region cut in two -> split = 1 bit, merge = 0
    t = np.array([[1, 1, 2, 2]])
    assert variation_of_information(t, [[1, 2, 3, 4]]) == (1.0, 0.0)
    # a pure merge of two equal regions -> merge = 1 bit
    vi = variation_of_information(t, [[5, 5, 5, 5]])
    assert (vi.split, vi.merge, vi.total) == (0.0, 1.0, 1.0)


@pytest.mark.parametrize("seed", range(4))
def test_rand_index_equals_brute_force(seed):
    rng = np.random.default_rng(200 + seed)
    t = rng.integers(0, 3, (6, 7))
    p = rng.integers(0, 4, (6, 7))
    assert rand_index(t, p, ignore_index=None) == pytest.approx(brute_rand_index(t, p), abs=1e-12)


def test_rand_index_ignores_void_pixels():
    rng = np.random.default_rng(3)
    t = rng.integers(-1, 3, (6, 6))
    p = rng.integers(0, 3, (6, 6))
    keep = t != -1
    assert rand_index(t, p) == pytest.approx(brute_rand_index(t[keep], p[keep]), abs=1e-12)


def test_probabilistic_rand_index_is_mean_over_annotators():
    rng = np.random.default_rng(11)
    gts = [rng.integers(0, 3, (5, 6)) for _ in range(3)]
    p = rng.integers(0, 3, (5, 6))
    expected = np.mean([brute_rand_index(g, p) for g in gts])
    assert probabilistic_rand_index(gts, p, ignore_index=None) == pytest.approx(expected, abs=1e-12)
    assert probabilistic_rand_index(np.stack(gts), p, ignore_index=None) == pytest.approx(expected, abs=1e-12)
    assert probabilistic_rand_index(gts[0], p, ignore_index=None) == pytest.approx(brute_rand_index(gts[0], p))


@pytest.mark.parametrize("seed", range(4))
def test_segmentation_covering_equals_brute_force(seed):
    rng = np.random.default_rng(300 + seed)
    t = rng.integers(0, 4, (9, 8))
    p = rng.integers(0, 5, (9, 8))
    assert segmentation_covering(t, p, ignore_index=None) == pytest.approx(brute_covering(t, p), abs=1e-12)


def test_segmentation_covering_by_hand_and_direction():
    t = np.array([[1, 1, 1, 2]])
    one = np.zeros((1, 4), int)
    assert segmentation_covering(t, one) == pytest.approx((3 * 3 / 4 + 1 * 1 / 4) / 4)
    # the other direction: one region of 4 pixels, best IoU 3/4
    assert segmentation_covering(one, t) == pytest.approx(3 / 4)


@settings(max_examples=60, deadline=None)
@given(label_images)
def test_identity_is_perfect(pair):
    t, _ = pair
    assert adapted_rand_error(t, t, ignore_index=None).error == 0.0
    assert variation_of_information(t, t, ignore_index=None) == (0.0, 0.0)
    assert rand_index(t, t, ignore_index=None) == pytest.approx(1.0)
    assert segmentation_covering(t, t, ignore_index=None) == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(label_images)
def test_symmetries(pair):
    t, p = pair
    assert rand_index(t, p, ignore_index=None) == pytest.approx(rand_index(p, t, ignore_index=None))
    forward = adapted_rand_error(t, p, ignore_index=None)
    backward = adapted_rand_error(p, t, ignore_index=None)
    assert forward.error == pytest.approx(backward.error)
    assert (forward.precision, forward.recall) == pytest.approx((backward.recall, backward.precision))
    vi_tp, vi_pt = variation_of_information(t, p, ignore_index=None), variation_of_information(p, t, ignore_index=None)
    assert (vi_tp.split, vi_tp.merge) == pytest.approx((vi_pt.merge, vi_pt.split))


@settings(max_examples=60, deadline=None)
@given(label_images, st.permutations(range(5)), st.permutations(range(5)))
def test_invariant_to_renaming_labels(pair, perm_t, perm_p):
    t, p = pair
    t2 = np.asarray(perm_t)[t] * 3 + 10  # any injective renaming
    p2 = np.asarray(perm_p)[p] - 1  # -1 in the prediction is an ordinary label
    for metric in (adapted_rand_error, variation_of_information, rand_index, segmentation_covering):
        a, b = metric(t, p, ignore_index=None), metric(t2, p2, ignore_index=None)
        assert np.allclose(a, b, atol=1e-12), metric.__name__


def test_degenerate_single_pixel():
    assert adapted_rand_error([[3]], [[4]]).error == 0.0
    assert rand_index([[3]], [[4]]) == 1.0
    assert segmentation_covering([[3]], [[4]]) == 1.0


def test_void_pixels_are_dropped_from_both_images():
    t = np.array([[1, 1, -1, 2, 2]])
    p = np.array([[7, 7, 9, 8, 8]])
    assert variation_of_information(t, p) == (0.0, 0.0)
    assert adapted_rand_error(t, p).error == 0.0
    assert segmentation_covering(t, p) == 1.0


@pytest.mark.parametrize(
    "metric", [adapted_rand_error, variation_of_information, rand_index, segmentation_covering]
)
def test_bad_input_gives_one_clear_error(metric):
    with pytest.raises(InvalidImageError, match="shape"):
        metric(np.zeros((3, 4), int), np.zeros((4, 3), int))
    with pytest.raises(InvalidImageError, match="float"):
        metric(np.zeros((3, 3)) + 0.5, np.zeros((3, 3), int))
    with pytest.raises(InvalidImageError, match="empty"):
        metric(np.zeros((0, 3), int), np.zeros((0, 3), int))
    with pytest.raises(InvalidImageError, match="ignore_index"):
        metric(np.full((2, 2), -1), np.zeros((2, 2), int))


def test_nested_lists_are_one_annotation():
    assert probabilistic_rand_index([[1, 1, 2, 2]], [[3, 3, 4, 4]]) == 1.0
    assert probabilistic_rand_index([[1, 1, 2, 2]], [[3, 3, 3, 3]]) == pytest.approx(2 / 6)


def test_probabilistic_rand_index_needs_a_ground_truth():
    with pytest.raises(InvalidImageError, match="at least one"):
        probabilistic_rand_index([], np.zeros((2, 2), int))


@pytest.mark.parametrize("ignore_index", ["x", 1.5, True])
def test_ignore_index_that_is_not_an_integer_is_refused(ignore_index):
    t = np.array([[0, 1], [1, 1]])
    with pytest.raises(InvalidParameterError, match="ignore_index: must be an integer or None"):
        rand_index(t, t, ignore_index=ignore_index)
