"""Which evaluation task a pair of label collections calls for, and each task's main score.

Examples
--------
>>> main_score("instance"), main_score("partition")
('dsb_score', 'boundary_f')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidParameterError

__all__ = ["TaskChoice", "choose_task", "guess_label_task", "main_score", "SAMPLE_IMAGES"]

#: How many ground-truth label images the guess looks at.
SAMPLE_IMAGES = 8

_MAIN = {"semantic": "mean_iou", "instance": "dsb_score", "panoptic": "pq", "partition": "boundary_f"}


def main_score(task: str) -> str:
    """The score ``per_image.png`` shows for `task`."""
    return _MAIN[task]


@dataclass(frozen=True)
class TaskChoice:
    """The task ``--task auto`` picked, why, and a label map it implies (a 0/255 mask read as classes 0/1)."""

    task: str
    reason: str
    label_map: dict[int, int] = field(default_factory=dict)


def choose_task(gt_kinds: set[str], pred_kinds: set[str], num_classes: int | None,
                gt_labels: Sequence[NDArray[np.integer]] = (), pred_task: str | None = None) -> TaskChoice:
    """The task of ``--task auto``, from the entry kinds of both sides and what the ground truth holds.

    A BSDS ``.mat`` ground truth -> partition; COCO panoptic -> panoptic; COCO
    instance JSON or a results list (either side) -> instance; label images ->
    semantic when `num_classes` is given, else what the ground-truth label
    images (`gt_labels`, a sample) look like (:func:`guess_label_task`); when
    they do not tell, the task the predictions' sidecars declare (`pred_task`).

    Examples
    --------
    >>> choose_task({"mat"}, {"labels"}, None).task, choose_task({"labels"}, {"results"}, None).task
    ('partition', 'instance')
    >>> choose_task({"labels"}, {"labels"}, 3).reason
    'label images and --num-classes 3'
    >>> choose_task({"labels"}, {"labels"}, None, [np.array([[0, 255, 255]])])
    TaskChoice(task='semantic', reason='the ground truth is a binary mask (values 0 and 255; 255 read as class 1)', label_map={255: 1})
    """
    if len(gt_kinds) > 1:
        raise InvalidParameterError(f"GT mixes formats ({', '.join(sorted(gt_kinds))}); evaluate one format at a time")
    kinds = gt_kinds | pred_kinds
    if "mat" in gt_kinds:
        return TaskChoice("partition", "the ground truth is BSDS .mat (several annotators)")
    if "panoptic" in kinds:
        return TaskChoice("panoptic", "COCO panoptic files")
    if kinds & {"instance", "results"}:
        return TaskChoice("instance", "COCO instance files")
    if "mat" in pred_kinds:
        return TaskChoice("partition", "the predictions are BSDS .mat")
    if num_classes is not None:
        return TaskChoice("semantic", f"label images and --num-classes {num_classes}")
    return guess_label_task(gt_labels, pred_task)


def guess_label_task(gt_labels: Sequence[NDArray[np.integer]], pred_task: str | None = None) -> TaskChoice:
    """Semantic or instance, from a sample of ground-truth label images; a clear error when they do not tell.

    - At most two values (a binary mask: 0/1, or 0/255 read as 0/1): semantic.
    - Every positive label one connected object (8-connectivity) and, on
      average, more than two of them per image: instance ids.
    - A label that comes back in separate regions in most images: class ids, semantic.

    When the sample fits neither (e.g. one or two objects per image), the
    predictions' own task (`pred_task`, from seglab's sidecars) decides.

    Raises
    ------
    InvalidParameterError
        When nothing tells: pass ``--task``.

    Examples
    --------
    >>> objects = np.zeros((6, 6), int); objects[0, 0] = 1; objects[3, 3] = 2; objects[5, 0] = 3
    >>> guess_label_task([objects]).task
    'instance'
    >>> classes = np.array([[1, 0, 1, 0], [2, 0, 2, 0]])
    >>> guess_label_task([classes]).reason
    'labels come back in separate regions (2 of 2 classes), as class ids do'
    """
    from ..postprocess import connected_components

    samples = [np.asarray(g) for g in gt_labels[:SAMPLE_IMAGES]]
    if not samples:  # nothing that can be scored: the failures say why
        return TaskChoice("instance", "no ground-truth label image could be read to tell")
    values = np.unique(np.concatenate([np.unique(g) for g in samples]))
    values = values[values >= 0]
    if values.size <= 2:
        shown = " and ".join(str(int(v)) for v in values)
        if set(values.tolist()) == {0, 255}:
            return TaskChoice("semantic", f"the ground truth is a binary mask (values {shown}; 255 read as class 1)",
                              {255: 1})
        top = int(values.max(initial=0))
        hint = f"; if {top} marks the objects, pass --label-map {top}=1 (or label_map={{{top}: 1}})" if top > 1 else ""
        return TaskChoice("semantic", f"the ground truth is a binary mask (values {shown}){hint}")
    ids = split = images_with_split = 0
    for g in samples:
        comps = connected_components(g, background=0)
        present = np.unique(g[g > 0])
        per_label = np.bincount(comps.source[1:], minlength=int(present.max(initial=0)) + 1)[present]
        ids += present.size
        split += int(np.count_nonzero(per_label > 1))
        images_with_split += bool(np.any(per_label > 1))
    if split == 0 and ids > 2 * len(samples):
        return TaskChoice("instance", f"each ground-truth label is one connected object ({ids} in {len(samples)} "
                                      "image(s)), as instance ids are")
    if images_with_split > len(samples) / 2:
        return TaskChoice("semantic", f"labels come back in separate regions ({split} of {ids} classes), "
                                      "as class ids do")
    if pred_task in ("semantic", "instance"):
        return TaskChoice(pred_task, f"the ground truth does not tell ({ids} labels in {len(samples)} image(s)); "
                                     f"the predictions' sidecars say {pred_task}")
    raise InvalidParameterError(
        f"cannot tell whether the ground truth holds class ids or instance ids ({ids} labels in {len(samples)} "
        "image(s)); pass --task semantic (with --num-classes) or --task instance."
    )
