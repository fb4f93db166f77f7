"""Conversions between semantic, instance and panoptic results.

References: scipy.ndimage.label per class for components, hand-built cases for
the Panoptic FPN combination rule, round trips, and panoptic quality from
seglab.metrics (tested against panopticapi elsewhere).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage
from skimage import data

import seglab
from seglab import InvalidParameterError, Segment, Segmentation
from seglab.metrics.panoptic import panoptic_quality
from seglab.modes import to_instance, to_panoptic, to_semantic

CLASSES = ("background", "car", "person", "road", "sky")

class_maps = arrays(np.int32, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=st.integers(-1, 4))


def _semantic(labels) -> Segmentation:
    return Segmentation(np.asarray(labels, np.int32), "semantic", classes=CLASSES, method="demo", params={"a": 1})


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """True when `a` and `b` split the pixels into the same regions (ids may differ)."""
    pairs = np.unique(np.stack([a.ravel(), b.ravel()]), axis=1)
    return pairs.shape[1] == np.unique(a).size == np.unique(b).size


def _reference_components(sem: np.ndarray, classes, connectivity: int) -> np.ndarray:
    """Components of each class in `classes`, by scipy.ndimage.label one class at a time."""
    out = np.zeros(sem.shape, np.int64)
    structure = np.ones((3, 3)) if connectivity == 8 else None
    for c in classes:
        comp, n = ndimage.label(sem == c, structure=structure)
        out[comp > 0] = comp[comp > 0] + out.max()
    return out


@settings(max_examples=150, deadline=None)
@given(class_maps, st.sampled_from([4, 8]))
def test_to_instance_splits_every_class_into_scipy_components(sem, connectivity):
    inst = to_instance(_semantic(sem), connectivity=connectivity)
    ref = _reference_components(sem, range(1, len(CLASSES)), connectivity)
    ref[sem < 0] = -1
    assert inst.task == "instance" and inst.labels.dtype == np.int32
    assert _same_partition(inst.labels, ref)
    assert (inst.labels[sem < 0] == -1).all() and (inst.labels[sem == 0] == 0).all()
    assert set(inst.segments) == set(np.unique(inst.labels[inst.labels > 0]).tolist())
    for sid, segment in inst.segments.items():
        assert (sem[inst.labels == sid] == segment.class_id).all()
    # round trip: the class map comes back exactly
    np.testing.assert_array_equal(to_semantic(inst).labels, sem)


@settings(max_examples=150, deadline=None)
@given(class_maps, st.sets(st.sampled_from(["car", "person", "road", "sky"])))
def test_to_panoptic_from_a_class_map_round_trips_and_scores_pq_1_against_itself(sem, things):
    pan = to_panoptic(_semantic(sem), things=sorted(things))
    np.testing.assert_array_equal(to_semantic(pan).labels, sem)
    thing_ids = {CLASSES.index(t) for t in things}
    for sid, segment in pan.segments.items():
        region = pan.labels == sid
        assert segment.is_thing == (segment.class_id in thing_ids)
        if not segment.is_thing:  # one stuff segment holds all of its class
            assert np.array_equal(region, sem == segment.class_id)
    ids = sorted(pan.segments)
    assert ids == list(range(1, len(ids) + 1))
    assert [pan.segments[i].is_thing for i in ids] == sorted((pan.segments[i].is_thing for i in ids), reverse=True)
    if pan.segments:
        assert panoptic_quality(pan, pan).all.pq == pytest.approx(1.0)


def test_instances_and_a_class_map_combine_as_panoptic_fpn():
    sem = _semantic([[4, 4, 4, 4, 4, 4],
                     [1, 1, 1, 3, 3, 3],
                     [1, 1, 1, 3, 3, 2],
                     [0, 3, 3, 3, 3, 2]])
    inst_labels = np.array([[0, 0, 0, 0, 0, 0],
                            [1, 1, 0, 0, 0, 0],
                            [1, 1, 0, 3, 0, 2],
                            [0, 0, 0, 0, 0, 2]], np.int32)
    inst = Segmentation(inst_labels, "instance", classes=CLASSES,
                        segments={1: Segment(1, 0.6), 2: Segment(2, 0.9), 3: Segment(1, 0.3)})
    pan = to_panoptic(sem, instances=inst, min_score=0.5, min_stuff_area=3)
    # person (0.9) first, then car (0.6); the car at 0.3 is dropped, so its road pixel becomes road;
    # sky (6 px) and road (9 px) are stuff; the car pixel no instance covers stays 0.
    expected = np.array([[4, 4, 4, 4, 4, 4],
                         [2, 2, 0, 3, 3, 3],
                         [2, 2, 0, 3, 3, 1],
                         [0, 3, 3, 3, 3, 1]])
    np.testing.assert_array_equal(pan.labels, expected)
    assert {i: (s.class_id, s.score, s.is_thing) for i, s in pan.segments.items()} == {
        1: (2, 0.9, True), 2: (1, 0.6, True), 3: (3, None, False), 4: (4, None, False)}
    assert pan.meta["converted_from"] == "semantic" and pan.method == "demo" and pan.params == {"a": 1}
    small = to_panoptic(sem, instances=inst, min_score=0.5, min_stuff_area=7)  # sky has 6 px: dropped
    assert 4 not in {s.class_id for s in small.segments.values()} and (small.labels[0] == 0).all()


def test_instance_and_panoptic_round_trip():
    labels = np.array([[1, 1, 0], [2, -1, 3]], np.int32)
    inst = Segmentation(labels, "instance", classes=("bg", "cell"),
                        segments={1: Segment(1, 0.5), 2: Segment(1), 3: Segment(1, 0.1)})
    pan = to_panoptic(inst)
    assert pan.task == "panoptic" and all(s.is_thing for s in pan.segments.values())
    back = to_instance(pan)
    np.testing.assert_array_equal(back.labels, labels)
    assert back.segments == inst.segments
    assert to_instance(inst) is inst and to_panoptic(pan) is pan and to_semantic(to_semantic(pan)).task == "semantic"


def test_panoptic_to_instance_keeps_only_things_renumbered():
    pan = Segmentation(np.array([[3, 3, 7], [5, 0, -1]], np.int32), "panoptic", classes=("bg", "road", "car"),
                       segments={3: Segment(1, None, False), 5: Segment(2, 0.8), 7: Segment(2, 0.4)})
    inst = to_instance(pan)
    assert inst.labels.tolist() == [[0, 0, 2], [1, 0, -1]]
    assert inst.segments == {1: Segment(2, 0.8), 2: Segment(2, 0.4)}
    assert to_semantic(pan).labels.tolist() == [[1, 1, 2], [2, 0, -1]]


def test_real_methods_convert():
    coins = data.coins()
    ws = seglab.segment(coins, "watershed")
    np.testing.assert_array_equal(to_semantic(ws).labels, (ws.labels > 0).astype(np.int32))
    otsu = seglab.segment(coins, "otsu")
    inst = to_instance(otsu, connectivity=4)
    assert _same_partition(inst.labels, ndimage.label(otsu.labels)[0])


@pytest.mark.parametrize(("call", "message"), [
    (lambda s, i: to_instance(s, things=["cra"]), r"things: 'cra' is not one of the classes.*Did you mean 'car'"),
    (lambda s, i: to_instance(s, things=[9]), "class id 9 is not a class"),
    (lambda s, i: to_instance(s, connectivity=6), "connectivity: must be 4 or 8"),
    (lambda s, i: to_panoptic(s, instances=Segmentation(i.labels, "instance", classes=("a", "b"))),
     "instances: has classes"),
    (lambda s, i: to_panoptic(s, instances=Segmentation(np.zeros((3, 3), np.int32), "instance", classes=CLASSES)),
     r"instances: has shape \(3, 3\)"),
    (lambda s, i: to_panoptic(i, instances=i), "this result is instance"),
    (lambda s, i: to_semantic(Segmentation(i.labels, "instance")), "has no classes"),
    (lambda s, i: to_panoptic(s, min_stuff_area=-1), "min_stuff_area: must be an integer >= 0"),
])
def test_bad_arguments_raise_one_clear_error(call, message):
    sem = _semantic([[1, 2], [3, 0]])
    inst = Segmentation(np.array([[1, 0], [0, 0]], np.int32), "instance", classes=CLASSES, segments={1: Segment(1)})
    with pytest.raises(InvalidParameterError, match=message):
        call(sem, inst)


def _stitch_reference(stack, threshold):
    """Brute force for thresholds >= 0.5, where a match above the threshold is unique on both sides."""
    out, used = [], 0
    for k, page in enumerate(stack):
        linked = np.zeros_like(page)
        for obj in sorted(set(page[page > 0].tolist())):
            mask = page == obj
            partner = 0
            if k:
                for prev in set(out[-1][mask].tolist()) - {0}:
                    other = out[-1] == prev
                    if (mask & other).sum() / (mask | other).sum() > threshold:
                        partner = prev
            if not partner:
                used += 1
                partner = used
            linked[mask] = partner
        out.append(linked)
    return np.stack(out)


@pytest.mark.parametrize("seed", range(6))
def test_stitch_slices_links_what_overlaps_by_more_than_the_threshold(seed):
    from seglab.modes import stitch_slices
    from skimage.measure import label

    rng = np.random.default_rng(seed)
    base = rng.random((24, 24)) > 0.55
    stack = []
    for k in range(5):  # blobs that drift and change a little from slice to slice, numbered independently
        shifted = np.roll(base, k * int(rng.integers(0, 2)), axis=1) ^ (rng.random((24, 24)) > 0.93)
        ids = label(shifted, connectivity=1)
        perm = np.r_[0, rng.permutation(ids.max()) + 1]
        stack.append(perm[ids])
    stack = np.stack(stack).astype(np.int32)
    for threshold in (0.5, 0.7):
        np.testing.assert_array_equal(stitch_slices(stack, iou_threshold=threshold), _stitch_reference(stack, threshold))


def test_conversions_refuse_what_is_not_a_segmentation_and_bad_options():
    sem = seglab.segment(np.array([[0, 200], [200, 0]], np.uint8), "otsu")
    for convert in (seglab.to_semantic, seglab.to_instance, seglab.to_panoptic):
        with pytest.raises(InvalidParameterError, match="seg: expected a Segmentation"):
            convert(np.zeros((2, 2), np.int32))
    with pytest.raises(InvalidParameterError, match="min_size: must be an integer >= 0; got '3'"):
        seglab.to_instance(sem, min_size="3")
    with pytest.raises(InvalidParameterError, match="fill_holes: must be True or False"):
        seglab.to_instance(sem, fill_holes="yes")
    with pytest.raises(InvalidParameterError, match="min_score: must be a number"):
        seglab.to_panoptic(sem, min_score=float("nan"))
    with pytest.raises(InvalidParameterError, match="instances: expected a Segmentation"):
        seglab.to_panoptic(sem, instances=np.zeros((2, 2), np.int32))
