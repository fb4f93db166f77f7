"""Which evaluation task a pair of label collections calls for, and each task's main score.

Examples
--------
>>> main_score("instance"), main_score("partition")
('dsb_score', 'boundary_f')
"""

from __future__ import annotations

from ..core.errors import InvalidParameterError

__all__ = ["choose_task", "main_score"]

_MAIN = {"semantic": "mean_iou", "instance": "dsb_score", "panoptic": "pq", "partition": "boundary_f"}


def main_score(task: str) -> str:
    """The score ``per_image.png`` shows for `task`."""
    return _MAIN[task]


def choose_task(gt_kinds: set[str], pred_kinds: set[str], num_classes: int | None) -> str:
    """The task of ``--task auto`` from the entry kinds of both sides.

    A BSDS ``.mat`` ground truth -> partition; COCO panoptic -> panoptic; COCO
    instance JSON or a results list (either side) -> instance; label images ->
    semantic when `num_classes` is given, else instance.

    Examples
    --------
    >>> choose_task({"mat"}, {"labels"}, None), choose_task({"labels"}, {"results"}, None)
    ('partition', 'instance')
    >>> choose_task({"labels"}, {"labels"}, 3), choose_task({"labels"}, {"labels"}, None)
    ('semantic', 'instance')
    """
    if len(gt_kinds) > 1:
        raise InvalidParameterError(f"GT mixes formats ({', '.join(sorted(gt_kinds))}); evaluate one format at a time")
    kinds = gt_kinds | pred_kinds
    if "mat" in gt_kinds:
        return "partition"
    if "panoptic" in kinds:
        return "panoptic"
    if kinds & {"instance", "results"}:
        return "instance"
    if "mat" in pred_kinds:
        return "partition"
    return "semantic" if num_classes is not None else "instance"
