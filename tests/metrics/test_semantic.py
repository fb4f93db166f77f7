"""Confusion matrix and semantic scores: hand-computed cases, a brute-force reference, bad input."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from seglab.core.errors import InvalidImageError, InvalidParameterError
from seglab.core.types import Segmentation
from seglab.metrics import (
    confusion,
    dice_per_class,
    frequency_weighted_iou,
    iou_per_class,
    mean_dice,
    mean_iou,
    pixel_accuracy,
)


def brute_force_confusion(t, p, k, ignore=-1):
    """Explicit per-class set counting."""
    t, p = np.asarray(t).ravel(), np.asarray(p).ravel()
    keep = t != ignore if ignore is not None else np.ones(t.size, bool)
    return np.array([[np.count_nonzero(keep & (t == i) & (p == j)) for j in range(k)] for i in range(k)])


def test_hand_computed_scores():
    t = np.array([[0, 0, 0, 1], [1, 1, 2, -1]])
    p = np.array([[0, 0, 1, 1], [1, 2, 2, 0]])
    cm = confusion(t, p, num_classes=4)
    assert cm.tolist() == [[2, 1, 0, 0], [0, 2, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    assert cm.dtype == np.int64
    assert pixel_accuracy(cm) == 5 / 7
    # IoU: class 0: 2/(2+1), class 1: 2/(2+1+1), class 2: 1/(1+1), class 3 absent -> NaN
    np.testing.assert_allclose(iou_per_class(cm)[:3], [2 / 3, 1 / 2, 1 / 2])
    assert math.isnan(iou_per_class(cm)[3])
    assert mean_iou(cm) == pytest.approx((2 / 3 + 1 / 2 + 1 / 2) / 3)
    np.testing.assert_allclose(dice_per_class(cm)[:3], [4 / 5, 4 / 6, 2 / 3])
    assert mean_dice(cm) == pytest.approx((4 / 5 + 4 / 6 + 2 / 3) / 3)
    # frequency weights from the truth: 3, 3, 1 of 7 pixels
    assert frequency_weighted_iou(cm) == pytest.approx((3 * 2 / 3 + 3 * 1 / 2 + 1 * 1 / 2) / 7)


def test_class_only_in_prediction_scores_zero_not_nan():
    cm = confusion([[0, 0]], [[0, 1]], num_classes=3)
    iou = iou_per_class(cm)
    assert iou[1] == 0.0 and math.isnan(iou[2])
    assert mean_iou(cm) == pytest.approx((0.5 + 0.0) / 2)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64])
@pytest.mark.parametrize("k", [1, 3, 20, 300])
def test_equals_brute_force(rng, dtype, k):
    t = rng.integers(0, k, size=(23, 17)).astype(dtype)
    p = rng.integers(0, k, size=(23, 17)).astype(dtype)
    ignore = None
    if np.dtype(dtype).kind == "i":
        t[rng.random(t.shape) < 0.2] = -1
        ignore = -1
    np.testing.assert_array_equal(confusion(t, p, num_classes=k), brute_force_confusion(t, p, k, ignore))


def test_other_ignore_index_and_none(rng):
    t = rng.integers(0, 3, size=(10, 10)).astype(np.uint8)
    p = rng.integers(0, 3, size=(10, 10)).astype(np.uint8)
    t[:2] = 255
    np.testing.assert_array_equal(confusion(t, p, num_classes=3, ignore_index=255),
                                  brute_force_confusion(t, p, 3, 255))
    with pytest.raises(InvalidImageError, match="outside"):
        confusion(t, p, num_classes=3)  # 255 is not ignored by default
    t[:2] = 0
    assert confusion(t, p, num_classes=3, ignore_index=None).sum() == 100


def test_bool_batches_and_segmentations():
    t = np.array([[True, False], [True, True]])
    p = np.array([[True, True], [False, True]])
    assert confusion(t, p, num_classes=2).tolist() == [[0, 1], [1, 2]]
    batch_t, batch_p = np.stack([t, ~t]), np.stack([p, ~p])  # (N, H, W) works and adds up
    cm = confusion(batch_t, batch_p, num_classes=2)
    assert (cm == confusion(t, p, num_classes=2) + confusion(~t, ~p, num_classes=2)).all()
    seg = Segmentation(p.astype(np.int32), "semantic")
    assert (confusion(t, seg, num_classes=2) == confusion(t, p, num_classes=2)).all()


def test_everything_ignored_gives_zero_matrix_and_nan_scores():
    cm = confusion(np.full((3, 3), -1), np.zeros((3, 3), int), num_classes=2)
    assert cm.tolist() == [[0, 0], [0, 0]]
    for score in (pixel_accuracy, mean_iou, mean_dice, frequency_weighted_iou):
        assert math.isnan(score(cm))


def test_prediction_may_be_anything_on_ignored_pixels():
    t = np.array([[0, 1, -1]])
    p = np.array([[0, 1, -1]])
    assert confusion(t, p, num_classes=2).tolist() == [[1, 0], [0, 1]]


@pytest.mark.parametrize(
    "t, p, kwargs, err, match",
    [
        (np.zeros((2, 2), int), np.zeros((2, 3), int), {}, InvalidImageError, "shape"),
        (np.zeros((2, 2)), np.zeros((2, 2), int), {}, InvalidImageError, "float"),
        (np.zeros((2, 2), int), np.full((2, 2), 0.5), {}, InvalidImageError, "float"),
        (np.full((2, 2), 3), np.zeros((2, 2), int), {}, InvalidImageError, "labels_true has 4 .* outside"),
        (np.zeros((2, 2), int), np.full((2, 2), -1), {}, InvalidImageError, "labels_pred has 4 .* outside"),
        (np.full((2, 2), -2), np.zeros((2, 2), int), {}, InvalidImageError, "outside"),
        (np.zeros((0, 2), int), np.zeros((0, 2), int), {}, InvalidImageError, "empty"),
        (np.array([["a"]]), np.zeros((1, 1), int), {}, InvalidImageError, "integer"),
        (np.zeros((2, 2), int), np.zeros((2, 2), int), {"num_classes": 0}, InvalidParameterError, "num_classes"),
        (np.zeros((2, 2), int), np.zeros((2, 2), int), {"num_classes": 2.0}, InvalidParameterError, "num_classes"),
        (np.zeros((2, 2), int), np.zeros((2, 2), int), {"ignore_index": 1}, InvalidParameterError, "class id"),
    ],
)
def test_bad_input(t, p, kwargs, err, match):
    with pytest.raises(err, match=match):
        confusion(t, p, **{"num_classes": 3, **kwargs})


@pytest.mark.parametrize("bad", [np.zeros((2, 3)), np.zeros(3), [[1, -1], [0, 0]], [[np.nan, 0], [0, 0]]])
def test_reducers_reject_bad_matrices(bad):
    with pytest.raises(InvalidParameterError, match="matrix"):
        mean_iou(bad)


def test_importing_metrics_is_light():
    code = (
        "import sys, json, seglab.metrics; "
        "print(json.dumps(sorted(m for m in ('matplotlib', 'pycocotools', 'torch') "
        "if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
