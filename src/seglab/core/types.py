"""The one result type of every segmenter: :class:`Segmentation`.

Examples
--------
>>> import numpy as np
>>> seg = Segmentation(labels=np.zeros((2, 3), np.int32), task="semantic",
...                    classes=("background", "foreground"))
>>> seg.labels.shape, seg.num_segments
((2, 3), 0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

__all__ = ["Segment", "Segmentation", "Task", "TASKS", "EVALUATION_TASKS", "instance_segmentation", "present_ids"]

Task = Literal["semantic", "instance", "panoptic"]
#: What a result's labels mean (``Segmentation.task``).
TASKS: tuple[str, ...] = get_args(Task)
#: What ``seglab eval``/``bench`` can score: the result tasks plus ``partition`` (regions against
#: several human annotations, the BSDS protocol).
EVALUATION_TASKS: tuple[str, ...] = (*TASKS, "partition")


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment of an instance or panoptic result.

    Parameters
    ----------
    class_id : int
        Index into ``Segmentation.classes`` (0 when the method has no classes).
    score : float or None
        Confidence in [0, 1], if the method produces one.
    is_thing : bool
        ``True`` for countable objects (instances), ``False`` for stuff (panoptic).
    """

    class_id: int = 0
    score: float | None = None
    is_thing: bool = True

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return {"class_id": int(self.class_id), "score": self.score, "is_thing": bool(self.is_thing)}


@dataclass(frozen=True, slots=True)
class Segmentation:
    """Result of every seglab segmenter.

    Parameters
    ----------
    labels : (H, W) ndarray of int32
        Semantic: class indices into `classes`. Instance/panoptic: segment ids
        1..N, 0 = background, -1 = void.
    task : {"semantic", "instance", "panoptic"}
        What `labels` means.
    classes : tuple of str
        Class names; ``classes[i]`` names class id ``i``.
    segments : mapping of int to Segment
        Instance/panoptic: segment id -> class, score, thing/stuff.
    scores : (K, H, W) ndarray of float32, optional
        Per-class probabilities, memberships or an edge map, depending on the method.
    method : str
        Registered name of the method that made this result.
    params : mapping
        Effective parameters (JSON-able), enough to reproduce the result.
    meta : mapping
        By-products: thresholds, iteration counts, edge maps, ...
    """

    labels: NDArray[np.int32]
    task: Task
    classes: tuple[str, ...] = ()
    segments: Mapping[int, Segment] = field(default_factory=dict)
    scores: NDArray[np.float32] | None = None
    method: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        labels = self.labels
        if not isinstance(labels, np.ndarray) or labels.dtype != np.int32 or labels.ndim != 2:
            got = f"{type(labels).__name__} {getattr(labels, 'dtype', '')} {getattr(labels, 'shape', '')}"
            raise TypeError(f"Segmentation.labels must be a 2-D int32 ndarray; got {got}.")
        if self.task not in TASKS:
            raise ValueError(f"Segmentation.task must be one of {TASKS}; got {self.task!r}.")
        if self.scores is not None:
            scores = self.scores
            if scores.ndim != 3 or scores.shape[1:] != labels.shape:
                raise ValueError(
                    f"Segmentation.scores must be (K, H, W) with (H, W) = {labels.shape}; got {scores.shape}."
                )

    @property
    def num_segments(self) -> int:
        """Number of distinct labels other than background (0) and void (-1), counted without a copy of the labels."""
        return int(present_ids(self.labels).size)

    def to_json(self) -> dict[str, Any]:
        """Return everything except the arrays as a JSON-able dict."""
        return {
            "task": self.task,
            "classes": list(self.classes),
            "segments": {str(k): v.to_json() for k, v in self.segments.items()},
            "method": self.method,
            "params": dict(self.params),
            "meta": dict(self.meta),
            "shape": list(self.labels.shape),
            "num_segments": self.num_segments,
        }


def present_ids(labels: NDArray[np.int32]) -> NDArray[np.intp]:
    """The positive ids that occur in `labels`, sorted; counted in blocks of rows (little extra memory).

    Examples
    --------
    >>> present_ids(np.array([[0, 5, -1], [2, 5, 0]], np.int32)).tolist()
    [2, 5]
    """
    top = int(labels.max(initial=0))
    if top <= 0:
        return np.zeros(0, np.intp)
    if top > 8 * labels.size:  # sparse huge ids: sorting the positive values is cheaper than a count table
        return np.unique(labels[labels > 0]).astype(np.intp)
    seen = np.zeros(top + 1, bool)
    rows = max(1, (1 << 20) // max(1, labels.shape[-1]))
    for start in range(0, labels.shape[0], rows):
        block = labels[start : start + rows]
        seen[block[block > 0]] = True
    return np.flatnonzero(seen)


def instance_segmentation(
    labels: NDArray[np.int32],
    *,
    class_name: str = "region",
    scores: NDArray[np.float32] | None = None,
    meta: Mapping[str, Any] | None = None,
    num_segments: int | None = None,
) -> Segmentation:
    """An instance result of one class: every id present in `labels` gets a segment of class 1, `class_name`.

    For methods that find regions or objects without telling kinds apart
    (watershed, region growing, edges closed into regions): ``classes`` is
    ``("background", class_name)`` and ``segments`` lists exactly the ids > 0
    that occur in `labels`.

    Parameters
    ----------
    labels : (H, W) ndarray of int32
        Instance ids, 0 = background, -1 = void.
    class_name : str
        Name of class 1.
    scores : (K, H, W) ndarray of float32, optional
        Passed on to the result.
    meta : mapping, optional
        Passed on to the result.
    num_segments : int, optional
        When the caller knows that the ids are exactly 1..`num_segments`
        (every one present), pass it: the labels are then not scanned.

    Examples
    --------
    >>> seg = instance_segmentation(np.array([[0, 1], [3, 3]], np.int32), class_name="object")
    >>> seg.classes, sorted(seg.segments), seg.segments[3].class_id
    (('background', 'object'), [1, 3], 1)
    >>> sorted(instance_segmentation(np.array([[0, 1], [2, 2]], np.int32), num_segments=2).segments)
    [1, 2]
    """
    if num_segments is None:
        ids = present_ids(labels)
    else:
        ids = np.arange(1, num_segments + 1)
    return Segmentation(
        labels=labels, task="instance", classes=("background", class_name),
        # Segment is frozen: one instance serves every id (15k segments: 0.7 ms instead of 9).
        segments=dict.fromkeys(ids.tolist(), Segment(class_id=1)), scores=scores,
        meta=dict(meta or {}),
    )
