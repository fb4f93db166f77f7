"""Conversions between semantic, instance and panoptic results.

Every conversion takes a :class:`~seglab.Segmentation` and returns a new one
with the same ``classes``, ``method`` and ``params``; ``meta`` gains
``"converted_from"`` (the original task). Void pixels (-1) stay void.

- :func:`to_semantic`: each segment's pixels get its class id.
- :func:`to_instance`: a class map is split into connected components (one
  instance per component); a panoptic result keeps its things.
- :func:`to_panoptic`: things and stuff in one id map. From a class map alone,
  the classes named in `things` are split into components and every other
  class becomes one stuff segment. With ``instances=`` as well, the instances
  are painted first, highest score first, and the class map fills the rest
  with stuff (the rule of Panoptic FPN, as in Detectron2's
  ``combine_semantic_and_instance_outputs``).
- :func:`stitch_slices`: the 2-D instances of the slices of a stack linked
  into 3-D objects by their overlap from slice to slice.

Examples
--------
>>> import numpy as np
>>> from seglab import Segmentation
>>> sem = Segmentation(np.array([[1, 1, 0, 1], [2, 2, 0, 1]], np.int32), "semantic",
...                    classes=("background", "cell", "sky"))
>>> pan = to_panoptic(sem, things=["cell"])
>>> pan.labels.tolist(), [(i, s.class_id, s.is_thing) for i, s in pan.segments.items()]
([[1, 1, 0, 2], [3, 3, 0, 2]], [(1, 1, True), (2, 1, True), (3, 2, False)])
>>> to_semantic(pan).labels.tolist() == sem.labels.tolist()
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .core.errors import InvalidParameterError, did_you_mean
from .core.types import Segment, Segmentation
from .core.validate import check_param
from .postprocess import connected_components

__all__ = ["to_semantic", "to_instance", "to_panoptic", "convert", "stitch_slices"]


def _converted(seg: Segmentation, labels: NDArray[np.int32], task: str,
               segments: dict[int, Segment], **extra_meta: object) -> Segmentation:
    meta = dict(seg.meta, **extra_meta)
    meta.setdefault("converted_from", seg.task)
    return dataclasses.replace(seg, labels=labels, task=task, segments=segments, meta=meta)


def _check_result(seg: object, name: str = "seg") -> None:
    if not isinstance(seg, Segmentation):
        raise InvalidParameterError(
            f"{name}: expected a Segmentation (what seglab.segment returns); got {type(seg).__name__}. "
            "Wrap a label array with seglab.Segmentation(labels, task, classes=...) first."
        )


def _check_count(value: object, name: str) -> None:
    check_param(isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0, name,
                f"must be an integer >= 0; got {value!r}.")


def _require_classes(seg: Segmentation, action: str) -> None:
    if not seg.classes:
        raise InvalidParameterError(
            f"cannot {action}: the {seg.task} result has no classes; build it with classes=(...) so that "
            "segment class ids have names."
        )


def _class_ids(seg: Segmentation, names: Sequence[str | int] | None, what: str) -> set[int]:
    """Class ids named in `names` (names or ids); every class but background (0) when None."""
    if names is None:
        return set(range(1, len(seg.classes)))
    if isinstance(names, (str, int)):
        names = [names]
    ids = set()
    for name in names:
        if isinstance(name, (int, np.integer)) and not isinstance(name, bool):
            check_param(0 < name < len(seg.classes), what,
                        f"class id {name} is not a class of this result (1 to {len(seg.classes) - 1}).")
            ids.add(int(name))
        elif isinstance(name, str) and name in seg.classes:
            ids.add(seg.classes.index(name))
        else:
            raise InvalidParameterError(
                f"{what}: {name!r} is not one of the classes {', '.join(map(repr, seg.classes))}."
                + did_you_mean(str(name), seg.classes)
            )
    return ids


def _id_table(labels: NDArray[np.int32], segments: Mapping[int, Segment], void: int) -> NDArray[np.int32]:
    """A zero lookup table over every id of `labels` and `segments`; its last entry, read by -1, is `void`."""
    table = np.zeros(max([int(labels.max()), *segments]) + 2, np.int32)
    table[-1] = void
    return table


def to_semantic(seg: Segmentation) -> Segmentation:
    """A class map: every pixel of a segment gets the segment's class id.

    A semantic result is returned unchanged. Ids without an entry in
    ``segments`` become background (0).

    Examples
    --------
    >>> from seglab import Segment, Segmentation
    >>> inst = Segmentation(np.array([[1, 0, 2]], np.int32), "instance", classes=("bg", "cat", "dog"),
    ...                     segments={1: Segment(2), 2: Segment(1)})
    >>> to_semantic(inst).labels.tolist()
    [[2, 0, 1]]
    """
    _check_result(seg)
    if seg.task == "semantic":
        return seg
    _require_classes(seg, "make a class map")
    lut = _id_table(seg.labels, seg.segments, void=-1)
    for sid, segment in seg.segments.items():
        lut[sid] = segment.class_id
    return _converted(seg, lut[seg.labels], "semantic", {})


def _components(labels: NDArray[np.int32], classes: set[int],
                connectivity: int) -> tuple[NDArray[np.int32], dict[int, Segment]]:
    """Connected components (ids 1..N) of the pixels whose class is in `classes`, with each one's class."""
    top = max(classes, default=0)
    every = classes == set(range(1, top + 1))
    if every:  # the usual case: labelled as they are, unless a component turns out to hold another class
        ids, cls = connected_components(labels, connectivity=connectivity)
    if not every or cls[1:].max(initial=0) > top:
        labels = np.where(np.isin(labels, sorted(classes)) | (labels < 0), labels, 0)  # other classes: background
        ids, cls = connected_components(labels, connectivity=connectivity)
    shared = {c: Segment(class_id=c) for c in set(cls[1:].tolist())}  # frozen: one per class serves every id
    return ids, {k: shared[c] for k, c in enumerate(cls.tolist()) if k}


def to_instance(seg: Segmentation, *, things: Sequence[str | int] | None = None,
                connectivity: int = 8, min_size: int = 0, fill_holes: bool = False) -> Segmentation:
    """Instances: each connected component of a thing class, or the thing segments of a panoptic result.

    Parameters
    ----------
    seg : Segmentation
        Semantic, instance (returned unchanged) or panoptic.
    things : sequence of str or int, optional
        Semantic input only: the classes (names or ids) to split into
        instances; the other classes become background. Default: every class
        but 0.
    connectivity : {4, 8}, optional
        Neighbourhood of a connected component (semantic input).
    min_size : int, optional
        Instances smaller than this many pixels become background (after `fill_holes`).
    fill_holes : bool, optional
        Fill background holes that lie wholly inside one instance with it.

    Returns
    -------
    Segmentation
        Instance ids 1..N in raster order of their first pixel; ``segments`` hold the
        class of each (score None for components, kept for panoptic things).

    Examples
    --------
    >>> from seglab import Segmentation
    >>> sem = Segmentation(np.array([[1, 0, 1], [2, 2, 0]], np.int32), "semantic", classes=("bg", "a", "b"))
    >>> inst = to_instance(sem, connectivity=4)
    >>> inst.labels.tolist(), {i: s.class_id for i, s in inst.segments.items()}
    ([[1, 0, 2], [3, 3, 0]], {1: 1, 2: 1, 3: 2})
    >>> to_instance(sem, connectivity=4, min_size=2).labels.tolist()
    [[0, 0, 0], [1, 1, 0]]
    """
    check_param(connectivity in (4, 8), "connectivity", f"must be 4 or 8; got {connectivity!r}.")
    _check_result(seg)
    _check_count(min_size, "min_size")
    check_param(isinstance(fill_holes, (bool, np.bool_)), "fill_holes", f"must be True or False; got {fill_holes!r}.")
    if seg.task == "instance":
        return _cleaned(seg, min_size, fill_holes)
    _require_classes(seg, "make instances")
    if seg.task == "semantic":
        ids, segments = _components(seg.labels, _class_ids(seg, things, "things"), connectivity)  # void stays -1
        return _cleaned(_converted(seg, ids, "instance", segments), min_size, fill_holes)
    kept = sorted(sid for sid, s in seg.segments.items() if s.is_thing)
    lut = _id_table(seg.labels, seg.segments, void=-1)
    lut[kept] = np.arange(1, len(kept) + 1, dtype=np.int32)
    segments = {new: seg.segments[old] for new, old in enumerate(kept, start=1)}
    return _cleaned(_converted(seg, lut[seg.labels], "instance", segments), min_size, fill_holes)


def _cleaned(seg: Segmentation, min_size: int, fill_holes: bool) -> Segmentation:
    """`seg` (instances) with enclosed holes filled and small instances dropped, renumbered 1..N."""
    if min_size <= 1 and not fill_holes:
        return seg
    from .postprocess import fill_holes as fill, relabel_sequential, remove_small

    labels = fill(seg.labels) if fill_holes else seg.labels
    labels = remove_small(labels, min_size) if min_size > 1 else labels
    present = np.unique(labels[labels > 0])
    renumbered = relabel_sequential(labels)
    segments = {new: seg.segments[int(old)] for new, old in enumerate(present, start=1) if int(old) in seg.segments}
    meta = dict(seg.meta, min_size=min_size, fill_holes=fill_holes)
    return dataclasses.replace(seg, labels=renumbered, segments=segments, meta=meta)


def to_panoptic(
    seg: Segmentation,
    *,
    instances: Segmentation | None = None,
    things: Sequence[str | int] | None = None,
    connectivity: int = 8,
    min_score: float = 0.0,
    min_stuff_area: int = 0,
) -> Segmentation:
    """One id map of things (countable objects) and stuff (amorphous regions).

    Parameters
    ----------
    seg : Segmentation
        A semantic result (class map), an instance result (each instance
        becomes a thing) or a panoptic one (returned unchanged).
    instances : Segmentation, optional
        Instances to combine with the semantic `seg`, with the same
        ``classes``. They are painted first, highest score first (a score of
        None counts as 1), then each stuff class fills the pixels left, class
        by class. Thing-class pixels that no instance covers stay 0, as in
        Panoptic FPN.
    things : sequence of str or int, optional
        The thing classes (names or ids) of a semantic `seg`. Default: the
        classes of `instances` when given, else none (every class but 0 is
        stuff). Without `instances`, each connected component of a thing
        class becomes one thing.
    connectivity : {4, 8}, optional
        Neighbourhood of a connected component.
    min_score : float, optional
        Instances scoring below this are dropped (Detectron2 uses 0.5).
    min_stuff_area : int, optional
        Stuff segments with fewer pixels are dropped (Detectron2 uses 4096).

    Returns
    -------
    Segmentation
        Panoptic ids 1..N: things first, then stuff by class id; 0 where
        nothing was assigned (class 0, dropped segments), -1 where `seg` is void.

    Examples
    --------
    >>> from seglab import Segment, Segmentation
    >>> classes = ("background", "car", "road")
    >>> sem = Segmentation(np.array([[2, 2, 1, 1]], np.int32), "semantic", classes=classes)
    >>> inst = Segmentation(np.array([[0, 0, 1, 0]], np.int32), "instance", classes=classes,
    ...                     segments={1: Segment(1, 0.9)})
    >>> pan = to_panoptic(sem, instances=inst)
    >>> pan.labels.tolist(), [(i, s.class_id, s.is_thing) for i, s in pan.segments.items()]
    ([[2, 2, 1, 0]], [(1, 1, True), (2, 2, False)])
    """
    check_param(connectivity in (4, 8), "connectivity", f"must be 4 or 8; got {connectivity!r}.")
    _check_result(seg)
    if instances is not None:
        _check_result(instances, "instances")
    _check_count(min_stuff_area, "min_stuff_area")
    check_param(isinstance(min_score, (int, float, np.integer, np.floating)) and not np.isnan(min_score),
                "min_score", f"must be a number (scores below it are dropped); got {min_score!r}.")
    if seg.task != "semantic":
        check_param(instances is None, "instances",
                    f"combines instances with a semantic result, but this result is {seg.task}.")
        if seg.task == "panoptic":
            return seg
        segments = {sid: dataclasses.replace(s, is_thing=True) for sid, s in seg.segments.items()}
        # every class of an instance result is a thing class, also in an image where none of it was found
        return _converted(seg, seg.labels, "panoptic", segments, things=list(range(1, len(seg.classes))))
    _require_classes(seg, "make a panoptic result")
    if instances is None:
        thing_ids = _class_ids(seg, things, "things") if things is not None else set()
        labels, segments = _components(seg.labels, thing_ids, connectivity)  # Segment's is_thing is True
    else:
        _check_instances(seg, instances)
        thing_ids = (_class_ids(seg, things, "things") if things is not None
                     else {s.class_id for s in instances.segments.values()})
        labels, segments = _paint_instances(instances, min_score)
    stuff = sorted(set(np.unique(seg.labels[seg.labels > 0]).tolist()) - thing_ids)
    free = labels == 0
    for class_id in stuff:
        region = free & (seg.labels == class_id)
        if region.any() and np.count_nonzero(region) >= min_stuff_area:
            sid = len(segments) + 1
            labels[region] = sid
            segments[sid] = Segment(class_id=class_id, score=None, is_thing=False)
    labels[seg.labels < 0] = -1
    return _converted(seg, labels, "panoptic", segments, things=sorted(thing_ids))


def _check_instances(seg: Segmentation, instances: Segmentation) -> None:
    check_param(isinstance(instances, Segmentation) and instances.task == "instance", "instances",
                "must be an instance Segmentation.")
    check_param(instances.labels.shape == seg.labels.shape, "instances",
                f"has shape {instances.labels.shape} but the semantic result has {seg.labels.shape}.")
    check_param(tuple(instances.classes) == tuple(seg.classes), "instances",
                f"has classes {instances.classes} but the semantic result has {seg.classes}; "
                "class ids must mean the same thing in both.")


def _paint_instances(instances: Segmentation, min_score: float) -> tuple[NDArray[np.int32], dict[int, Segment]]:
    """Instances painted highest score first onto an empty id map (ids 1..N in that order)."""
    def score(s: Segment) -> float:
        return 1.0 if s.score is None else float(s.score)

    order = sorted(instances.segments, key=lambda sid: (-score(instances.segments[sid]), sid))
    lut = _id_table(instances.labels, instances.segments, void=0)
    segments: dict[int, Segment] = {}
    present = np.bincount(instances.labels[instances.labels > 0], minlength=lut.size)
    for sid in order:
        s = instances.segments[sid]
        if score(s) < min_score or present[sid] == 0:
            continue
        new = len(segments) + 1
        lut[sid] = new
        segments[new] = dataclasses.replace(s, is_thing=True)
    return lut[instances.labels], segments


def convert(seg: Segmentation, task: str, *, things: Sequence[str | int] | None = None, min_size: int = 0,
            fill_holes: bool = False) -> Segmentation:
    """`seg` as a `task` result: :func:`to_semantic`, :func:`to_instance` or :func:`to_panoptic`.

    `things` goes to :func:`to_instance` / :func:`to_panoptic` (not allowed for "semantic");
    `min_size` and `fill_holes` clean the instances of :func:`to_instance`.

    Examples
    --------
    >>> from seglab import Segmentation
    >>> sem = Segmentation(np.array([[1, 0, 1]], np.int32), "semantic", classes=("bg", "a"))
    >>> convert(sem, "instance").labels.tolist()
    [[1, 0, 2]]
    """
    check_param(task in ("semantic", "instance", "panoptic"), "task",
                f"must be 'semantic', 'instance' or 'panoptic'; got {task!r}.")
    if task != "instance":
        check_param(min_size <= 1 and not fill_holes, "min_size",
                    "min_size and fill_holes clean instances: convert to 'instance'.")
    if task == "semantic":
        check_param(things is None, "things", "only applies to instance and panoptic results.")
        return to_semantic(seg)
    if task == "instance":
        return to_instance(seg, things=things, min_size=min_size, fill_holes=fill_holes)
    return to_panoptic(seg, things=things)


def stitch_slices(stack: ArrayLike, *, iou_threshold: float = 0.25) -> NDArray[np.int32]:
    """3-D objects from the 2-D instances of a stack's slices, linked by overlap (Cellpose's ``stitch_threshold``).

    Slice by slice, each instance of slice k + 1 is matched one-to-one to the
    already linked instances of slice k whose IoU with it is above
    `iou_threshold` (the most pairs, then the largest total IoU:
    :func:`seglab.metrics.match_instances`); a matched instance takes its
    partner's id, every other one a new id (in the order of its own ids), so
    an object keeps one id for as long as it continues from slice to slice.
    Each slice's partition is unchanged: only ids are renamed. 0 stays
    background and -1 void.

    Parameters
    ----------
    stack : (N, H, W) array_like of int
        Instance ids of each slice, numbered independently.
    iou_threshold : float
        In [0, 1): how much two instances of neighbouring slices must overlap
        (IoU strictly above it) to be one object.

    Returns
    -------
    (N, H, W) ndarray of int32

    Examples
    --------
    >>> stack = np.array([[[1, 1, 0, 2]], [[3, 3, 3, 0]], [[0, 1, 0, 0]]])
    >>> stitch_slices(stack).tolist()  # slice 1's object continues the first; slice 2's (IoU 1/3) continues it too
    [[[1, 1, 0, 2]], [[1, 1, 1, 0]], [[0, 1, 0, 0]]]
    >>> stitch_slices(stack, iou_threshold=0.5).tolist()
    [[[1, 1, 0, 2]], [[1, 1, 1, 0]], [[0, 3, 0, 0]]]
    """
    from .metrics import match_instances

    arr = np.asarray(stack)
    if arr.ndim != 3 or arr.dtype.kind not in "iu":
        raise InvalidParameterError(f"stack must be an (N, H, W) array of integer ids; got {arr.ndim}-D {arr.dtype}.")
    check_param(0 <= iou_threshold < 1, "iou_threshold", f"must lie in [0, 1); got {iou_threshold!r}.")
    out = np.empty(arr.shape, np.int32)
    used = 0
    for k, page in enumerate(arr):
        page = page.astype(np.int32, copy=False)
        lut = np.zeros(max(int(page.max(initial=0)), 0) + 2, np.int32)
        lut[-1] = -1  # void: index -1
        if k > 0:
            pairs = match_instances(out[k - 1], page, iou_threshold=iou_threshold).pairs
            lut[pairs[:, 1]] = pairs[:, 0]
        ids = np.unique(page[page > 0])
        new = ids[lut[ids] == 0]
        lut[new] = np.arange(used + 1, used + 1 + new.size, dtype=np.int32)
        used = max(used + new.size, int(lut[ids].max(initial=0)))
        out[k] = lut[page]
    return out
