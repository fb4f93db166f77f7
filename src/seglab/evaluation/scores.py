"""Scores per image and per data set, one evaluator per task.

Each evaluator takes image pairs one at a time (:meth:`Evaluator.add`
returns that image's row of scores) and reduces them at the end
(:meth:`Evaluator.summary`). They only call :mod:`seglab.metrics`:

============  ===============================================================================
task          per image / data set
============  ===============================================================================
semantic      pixel accuracy, mean IoU, mean Dice of the image's confusion matrix; the data
              set's from the summed matrix (plus frequency-weighted IoU and IoU per class).
              With two classes also ``pixel_error`` (1 - accuracy) and, on the connected
              components of class 1, the foreground-restricted adapted Rand error and VoI
              (true class 0 left out; ISBI 2012's cell regions), averaged over the images
              that have a true foreground (on the others they are undefined: left out, and
              the summary's ``foreground_images`` says how many were scored).
instance      DSB2018 score (IoU 0.50:0.95), precision / recall / F1 at IoU > 0.5 and the
              mean IoU of those matches; the data set's DSB score is the mean over images,
              P/R/F1 and matched IoU come from the pooled matches, and COCO mask AP
              (AP, AP50, AP75) from all images with ``max_dets=(1, 10, 1000)`` (crowded
              microscopy images exceed COCO's 100). Instances without a score get 1.0.
              Categories count only when both sides come from COCO JSON; otherwise the AP
              is class-agnostic.
panoptic      PQ, SQ, RQ per image; the data set's from the summed counts (all, things, stuff).
partition     the BSDS protocol (:mod:`seglab.metrics.bsds`): boundary F, segmentation
              covering, PRI and VoI; per image at its own best setting, for the data set at
              ODS (one setting for all) and OIS (best per image), plus boundary AP and best
              covering. A ground-truth label image counts as one annotation.
============  ===============================================================================

Examples
--------
>>> import numpy as np
>>> from seglab.evaluation.formats import LabelData
>>> ev = SemanticEvaluator(num_classes=2)
>>> t = LabelData.from_labels([[0, 1], [1, 1]], source="t")
>>> p = LabelData.from_labels([[0, 1], [0, 1]], source="p")
>>> ev.add(t, p)["pixel_accuracy"]
0.75
>>> round(ev.summary()["mean_iou"], 4)
0.5833
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from .. import metrics
from ..core.errors import InvalidImageError, InvalidParameterError
from ..core.types import EVALUATION_TASKS
from ..metrics.bsds import BsdsGroundTruth, BsdsImageResult
from .formats import Kind, LabelData

__all__ = [
    "Evaluator",
    "SemanticEvaluator",
    "InstanceEvaluator",
    "PanopticEvaluator",
    "PartitionEvaluator",
    "make_evaluator",
    "match_clusters",
    "regions_of",
    "REGION_CONVENTION",
    "apply_label_map",
    "INSTANCE_MAX_DETS",
]

#: COCO maxDets of the instance AP: crowded nuclei images have several hundred objects.
INSTANCE_MAX_DETS = (1, 10, 1000)


def apply_label_map(labels: NDArray[np.int32], mapping: Mapping[int, int]) -> NDArray[np.int32]:
    """Replace label values by `mapping` (values it does not list are kept).

    Examples
    --------
    >>> apply_label_map(np.array([[0, 255, 7]], np.int32), {255: 1}).tolist()
    [[0, 1, 7]]
    """
    out = labels.copy()
    for old, new in mapping.items():
        out[labels == old] = new
    return out


def _check_kinds(truth: LabelData, pred: LabelData, task: str, truths: tuple[Kind, ...], preds: tuple[Kind, ...]) -> None:
    if truth.kind not in truths:
        raise InvalidImageError(f"{truth.source} holds {truth.kind} data; {task} ground truth must be {' or '.join(truths)}.")
    if pred.kind not in preds:
        raise InvalidImageError(f"{pred.source} holds {pred.kind} data; a {task} prediction must be {' or '.join(preds)}.")
    if truth.shape != pred.shape:
        (th, tw), (ph, pw) = truth.shape, pred.shape
        raise InvalidImageError(
            f"shape mismatch: the prediction is {ph}x{pw} (HxW) but the ground truth is {th}x{tw}; they must "
            "match pixel for pixel (was the prediction made from a resized or cropped image?)."
        )


def _nan_to_none(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


class Evaluator(ABC):
    """Accumulates one task's scores over image pairs."""

    task: ClassVar[str]

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    @abstractmethod
    def _score(self, truth: LabelData, pred: LabelData) -> dict[str, Any]: ...

    def add(self, truth: LabelData, pred: LabelData) -> dict[str, Any]:
        """Score one image pair, keep what the summary needs, and return the image's row.

        Raises
        ------
        InvalidImageError
            Shapes differ, a format that does not fit the task, or values the metric refuses.
        """
        row = self._score(truth, pred)
        self.rows.append(row)
        return row

    @abstractmethod
    def summary(self) -> dict[str, Any]:
        """Data-set figures: scalars first, then lists and tables (JSON only)."""

    def volumes(self, stems: Sequence[str]) -> list[dict[str, Any]]:
        """Scores per label volume whose pages were added (named ``<volume>.p0000``, ...), where the task pools
        them (semantic: :meth:`SemanticEvaluator.volumes`); none here."""
        return []


class SemanticEvaluator(Evaluator):
    """Confusion-matrix scores of class-id label images.

    Parameters
    ----------
    num_classes : int or None
        K; None infers it per image as ``max label + 1`` (then values are never "out of range").
    ignore_index : int or None
        Ground-truth value left out (default -1).
    label_map : mapping, optional
        Applied to the ground truth first, e.g. ``{255: 1}``.
    match_classes : bool
        The predictions are cluster numbers (k-means, Gabor...), not class ids:
        per image, clusters are matched one to one to the classes they overlap
        most (Hungarian assignment); clusters beyond the number of classes join
        the class they overlap most. Without it, :attr:`cluster_gain` says how
        much matching would change the pixel accuracy.
    """

    task = "semantic"

    def __init__(self, num_classes: int | None = None, *, ignore_index: int | None = -1,
                 label_map: Mapping[int, int] | None = None, match_classes: bool = False) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.label_map = dict(label_map or {})
        self.match_classes = match_classes
        self.matrices: list[NDArray[np.int64]] = []
        self._accuracy_gain: list[float] = []

    @property
    def cluster_gain(self) -> float:
        """Mean gain in pixel accuracy that matching clusters to classes would bring (0 when matching)."""
        return float(np.mean(self._accuracy_gain)) if self._accuracy_gain else 0.0

    def _k(self, t: NDArray[np.int32], p: NDArray[np.int32]) -> int:
        if self.num_classes is not None:
            return self.num_classes
        evaluated = t != self.ignore_index if self.ignore_index is not None else np.ones(t.shape, bool)
        top = max(int(t[evaluated].max(initial=0)), int(p[evaluated].max(initial=0)))
        return max(top + 1, 1)

    def _score(self, truth: LabelData, pred: LabelData) -> dict[str, Any]:
        _check_kinds(truth, pred, "semantic", ("labels",), ("labels",))
        t = apply_label_map(truth.labels, self.label_map) if self.label_map else truth.labels
        p = pred.labels
        matched = match_clusters(t, p, ignore_index=self.ignore_index)
        if self.match_classes:
            p = matched
        k = self._k(t, p)
        cm = metrics.confusion(t, p, num_classes=k, ignore_index=self.ignore_index)
        self.matrices.append(cm)
        if not self.match_classes:
            evaluated = t != self.ignore_index if self.ignore_index is not None else np.ones(t.shape, bool)
            if evaluated.any():
                self._accuracy_gain.append(float(np.mean(matched[evaluated] == t[evaluated]))
                                           - float(np.mean(p[evaluated] == t[evaluated])))
        row = {
            "pixel_accuracy": metrics.pixel_accuracy(cm),
            "mean_iou": metrics.mean_iou(cm),
            "mean_dice": metrics.mean_dice(cm),
        }
        if k == 2:
            row["pixel_error"] = 1.0 - row["pixel_accuracy"]
            row.update(self._foreground_partition(t, p))
        return row

    def _foreground_partition(self, t: NDArray[np.int32], p: NDArray[np.int32]) -> dict[str, float]:
        from ..postprocess import semantic_to_instance

        true_cells = semantic_to_instance((t == 1).astype(np.int32))  # true class 0 and void become 0: left out
        if not true_cells.any():  # no true foreground (an empty slice of a volume): both are undefined, not 0
            return {}
        pred_cells = semantic_to_instance((p == 1).astype(np.int32))
        are = metrics.adapted_rand_error(true_cells, pred_cells, ignore_index=0)
        voi = metrics.variation_of_information(true_cells, pred_cells, ignore_index=0)
        return {"rand_error_fg": are.error, "voi_fg": voi.total}

    def volumes(self, stems: Sequence[str]) -> list[dict[str, Any]]:
        """Scores per volume: the pages' confusion matrices summed per volume, as the whole volume would score.

        `stems` names the images added, in order; pages of one volume are named
        ``<volume>.p0000``, ``<volume>.p0001``, ... (as ``seglab segment --page``
        and ``seglab eval`` name them). Images that are not pages give no row. A
        volume's Dice is that of all its voxels, not the mean of its slices'
        (the per-case Dice of medical benchmarks).

        Examples
        --------
        >>> ev = SemanticEvaluator(num_classes=2)
        >>> for t, p in (([[1, 1]], [[1, 0]]), ([[0, 0]], [[0, 0]])):
        ...     _ = ev.add(LabelData.from_labels(t, source="t"), LabelData.from_labels(p, source="p"))
        >>> [(v["volume"], v["pages"], v["dice_per_class"]) for v in ev.volumes(["v.p0000", "v.p0001"])]
        [('v', 2, [0.8, 0.6666666666666666])]
        """
        from ..io.datasets import volume_of

        groups: dict[str, list[NDArray[np.int64]]] = {}
        for stem, cm in zip(stems, self.matrices):
            volume = volume_of(stem)
            if volume != stem:
                groups.setdefault(volume, []).append(cm)
        out = []
        for volume, matrices in groups.items():
            k = max(m.shape[0] for m in matrices)
            cm = np.zeros((k, k), np.int64)
            for m in matrices:
                cm[: m.shape[0], : m.shape[1]] += m
            out.append({"volume": volume, "pages": len(matrices), "pixel_accuracy": metrics.pixel_accuracy(cm),
                        "mean_iou": metrics.mean_iou(cm), "mean_dice": metrics.mean_dice(cm),
                        "dice_per_class": [_nan_to_none(float(v)) for v in metrics.dice_per_class(cm)]})
        return out

    def matrix(self) -> NDArray[np.int64]:
        """The summed confusion matrix (images with fewer inferred classes are padded).

        Examples
        --------
        >>> ev = SemanticEvaluator()
        >>> _ = ev.add(LabelData.from_labels([[0, 1]], source="t"), LabelData.from_labels([[0, 1]], source="p"))
        >>> _ = ev.add(LabelData.from_labels([[2, 1]], source="t"), LabelData.from_labels([[2, 2]], source="p"))
        >>> ev.matrix().tolist()
        [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
        """
        k = max(m.shape[0] for m in self.matrices)
        total = np.zeros((k, k), np.int64)
        for m in self.matrices:
            total[: m.shape[0], : m.shape[1]] += m
        return total

    def summary(self) -> dict[str, Any]:
        cm = self.matrix()
        out: dict[str, Any] = {
            "pixel_accuracy": metrics.pixel_accuracy(cm),
            "mean_iou": metrics.mean_iou(cm),
            "mean_dice": metrics.mean_dice(cm),
            "fw_iou": metrics.frequency_weighted_iou(cm),
        }
        if cm.shape[0] == 2:
            out["pixel_error"] = 1.0 - out["pixel_accuracy"]
            scored = [r for r in self.rows if "voi_fg" in r]  # images with a true foreground
            for key in ("rand_error_fg", "voi_fg"):
                if scored:
                    out[key] = float(np.mean([r[key] for r in scored]))
            if len(scored) < len(self.rows):
                out["foreground_images"] = len(scored)
        out["num_classes"] = int(cm.shape[0])
        out["iou_per_class"] = [_nan_to_none(float(v)) for v in metrics.iou_per_class(cm)]
        out["confusion"] = cm.tolist()
        return out


def match_clusters(labels_true: NDArray[np.int32], labels_pred: NDArray[np.int32], *,
                   ignore_index: int | None = -1) -> NDArray[np.int32]:
    """Predicted cluster numbers renamed to the classes they match (Hungarian assignment on the overlaps).

    Each cluster is matched to at most one class and each class to at most one
    cluster, maximising the pixels they share; clusters left over (more
    clusters than classes) join the class they overlap most.

    Examples
    --------
    >>> t = np.array([[0, 0, 1, 1, 2, 2]], np.int32)
    >>> p = np.array([[7, 7, 3, 3, 5, 3]], np.int32)  # k-means numbers its clusters arbitrarily
    >>> match_clusters(t, p).tolist()
    [[0, 0, 1, 1, 2, 1]]
    """
    from scipy.optimize import linear_sum_assignment

    evaluated = labels_true != ignore_index if ignore_index is not None else np.ones(labels_true.shape, bool)
    clusters, inverse = np.unique(labels_pred, return_inverse=True)
    inverse = inverse.reshape(labels_pred.shape)
    classes = int(labels_true[evaluated].max(initial=0)) + 1
    overlap = np.zeros((clusters.size, classes), np.int64)
    np.add.at(overlap, (inverse[evaluated], labels_true[evaluated]), 1)
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    target = overlap.argmax(axis=1).astype(np.int32)
    target[rows] = cols
    return target[inverse]


class InstanceEvaluator(Evaluator):
    """Matching, DSB score and COCO mask AP of instance id images or COCO instances.

    Parameters
    ----------
    ignore_index : int or None
        Void value of the ground-truth id images (default -1).
    """

    task = "instance"

    def __init__(self, *, ignore_index: int | None = -1) -> None:
        super().__init__()
        self.ignore_index = ignore_index
        self.ap_truth: list[Any] = []
        self.ap_pred: list[Any] = []
        self.class_agnostic = False
        self.iou_sum = 0.0

    @staticmethod
    def _ids(data: LabelData) -> NDArray[np.int32]:
        return data.instances.to_labels() if data.kind == "instances" else data.labels

    def _ap_item(self, data: LabelData, *, truth: bool) -> dict[str, Any]:
        if data.kind == "instances":
            inst = data.instances
            item: dict[str, Any] = {"masks": inst.masks, "category_ids": inst.category_ids}
            if truth:
                item["iscrowd"] = inst.iscrowd
            else:
                item["scores"] = inst.scores if inst.scores is not None else np.ones(len(inst.masks))
            return item
        item = {"labels": data.labels}
        if not truth:
            ids = np.unique(data.labels)
            ids = ids[ids > 0]
            known = data.scores or {}
            item["scores"] = [float(known.get(int(i), 1.0)) for i in ids]
        return item

    def _score(self, truth: LabelData, pred: LabelData) -> dict[str, Any]:
        _check_kinds(truth, pred, "instance", ("labels", "instances"), ("labels", "instances"))
        t, p = self._ids(truth), self._ids(pred)
        match = metrics.match_instances(t, p, iou_threshold=0.5, ignore_index=self.ignore_index)
        dsb = metrics.dsb_score(t, p, ignore_index=self.ignore_index)
        self.ap_truth.append(self._ap_item(truth, truth=True))
        self.ap_pred.append(self._ap_item(pred, truth=False))
        if truth.kind != "instances" or pred.kind != "instances":
            self.class_agnostic = True
        self.iou_sum += float(match.ious.sum())
        return {
            "dsb_score": dsb,
            "precision@0.5": match.precision,
            "recall@0.5": match.recall,
            "f1@0.5": match.f1,
            "mean_matched_iou": match.mean_matched_iou,
            "n_true": match.n_true,
            "n_pred": match.n_pred,
            "tp": match.tp,
        }

    def summary(self) -> dict[str, Any]:
        tp = sum(r["tp"] for r in self.rows)
        n_true = sum(r["n_true"] for r in self.rows)
        n_pred = sum(r["n_pred"] for r in self.rows)
        fp, fn = n_pred - tp, n_true - tp
        ap = metrics.coco_mask_ap(self.ap_truth, self.ap_pred, class_agnostic=self.class_agnostic,
                                  max_dets=INSTANCE_MAX_DETS)
        return {
            "dsb_score": float(np.mean([r["dsb_score"] for r in self.rows])),
            "precision@0.5": tp / n_pred if n_pred else float("nan"),
            "recall@0.5": tp / n_true if n_true else float("nan"),
            "f1@0.5": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0,
            "mean_matched_iou": self.iou_sum / tp if tp else float("nan"),
            "ap": ap.ap,
            "ap50": ap.ap50,
            "ap75": ap.ap75,
            "n_true": n_true,
            "n_pred": n_pred,
            "class_agnostic_ap": self.class_agnostic,
            "coco": ap.to_dict(),
        }


class PanopticEvaluator(Evaluator):
    """PQ / SQ / RQ of COCO panoptic id maps and segment tables."""

    task = "panoptic"

    def __init__(self) -> None:
        super().__init__()
        self.counts: list[metrics.PanopticCounts] = []

    def _score(self, truth: LabelData, pred: LabelData) -> dict[str, Any]:
        _check_kinds(truth, pred, "panoptic", ("panoptic",), ("panoptic",))
        counts = metrics.panoptic_counts(
            truth.labels, pred.labels, segments_true=truth.segments, segments_pred=pred.segments,
            categories=truth.categories if truth.categories is not None else pred.categories,
        )
        self.counts.append(counts)
        scores = metrics.panoptic_scores(counts)
        return {"pq": scores.pq, "sq": scores.sq, "rq": scores.rq}

    def summary(self) -> dict[str, Any]:
        q = metrics.panoptic_scores(sum(self.counts[1:], self.counts[0]))
        return {
            "pq": q.pq, "sq": q.sq, "rq": q.rq,
            "pq_things": q.things.pq, "sq_things": q.things.sq, "rq_things": q.things.rq,
            "pq_stuff": q.stuff.pq, "sq_stuff": q.stuff.sq, "rq_stuff": q.stuff.rq,
            "per_class": {str(c): s.to_dict() for c, s in q.per_class.items()},
        }


#: How a label image is read for partition scores (printed by ``seglab eval`` and ``seglab bench``).
REGION_CONVENTION = ("regions: each connected component (8-connectivity) of equal labels is one region, "
                     "background included; boundary F scores the regions' boundaries")


def regions_of(labels: NDArray[np.integer]) -> NDArray[np.int32]:
    """The regions a label image forms, seglab's one convention for partition scores.

    Every connected component (8-connectivity) of equal labels is one region,
    background (0) and void (-1) included: a class map and the instances made
    from it (``--as instance``) form the same regions, so ``seglab bench``,
    ``seglab segment`` + ``seglab eval`` and ``--as instance`` + ``eval`` give
    one figure.

    Examples
    --------
    >>> regions_of(np.array([[1, 0, 1], [1, 0, 2]])).tolist()
    [[1, 2, 3], [1, 2, 4]]
    """
    from ..postprocess import connected_components

    return connected_components(labels, connectivity=8, background=None).ids


class PartitionEvaluator(Evaluator):
    """The BSDS benchmark: boundary F, covering, PRI and VoI, ODS and OIS.

    A label-image prediction is read as its regions (:func:`regions_of`); the
    settings of a BSDS ``segs`` file are used as given, as the official
    benchmark does.

    Parameters
    ----------
    nthresh : int
        Thresholds of a ``ucm2`` prediction (99 as the benchmark).
    """

    task = "partition"

    def __init__(self, *, nthresh: int = 99) -> None:
        super().__init__()
        self.nthresh = nthresh
        self.results: list[BsdsImageResult] = []

    def _result(self, annotations: list[BsdsGroundTruth], pred: LabelData) -> BsdsImageResult:
        if pred.kind == "ucm2":
            return metrics.evaluate_bsds_image(annotations, ucm2=pred.ucm2, nthresh=self.nthresh)
        if pred.kind == "labels":  # seglab's region convention: each connected component of equal labels
            return metrics.evaluate_bsds_image(annotations, segs=[regions_of(pred.labels)])
        return metrics.evaluate_bsds_image(annotations, segs=list(pred.settings))  # a BSDS segs sweep, as given

    def _score(self, truth: LabelData, pred: LabelData) -> dict[str, Any]:
        _check_kinds(truth, pred, "partition", ("bsds", "labels"), ("labels", "segs", "ucm2"))
        annotations = list(truth.annotations) if truth.kind == "bsds" else [BsdsGroundTruth.from_labels(truth.labels)]
        result = self._result(annotations, pred)
        if self.results and result.thresholds.size != self.results[0].thresholds.size:
            raise InvalidImageError(
                f"{pred.source} has {result.thresholds.size} settings but the first prediction had "
                f"{self.results[0].thresholds.size}; ODS/OIS need the same sweep for every image."
            )
        self.results.append(result)
        one = metrics.summarize_bsds([result])
        return {
            "boundary_f": one.boundary.ods_f,
            "covering": one.covering.ods,
            "pri": one.pri.ods,
            "voi": one.voi.ods,
            "settings": int(result.thresholds.size),
            "annotators": len(annotations),
        }

    def summary(self) -> dict[str, Any]:
        s = metrics.summarize_bsds(self.results)
        b, c = s.boundary, s.covering
        return {
            "boundary_ods": b.ods_f, "boundary_ois": b.ois_f, "boundary_ap": b.ap,
            "covering_ods": c.ods, "covering_ois": c.ois, "covering_best": c.best,
            "pri_ods": s.pri.ods, "pri_ois": s.pri.ois,
            "voi_ods": s.voi.ods, "voi_ois": s.voi.ois,
            "ods_setting": {"boundary": b.ods_threshold, "covering": c.ods_threshold,
                            "pri": s.pri.ods_threshold, "voi": s.voi.ods_threshold},
            "per_setting": {
                "boundary_f": b.per_threshold[:, 3].tolist(),
                "covering": c.per_threshold[:, 1].tolist(),
                "pri": s.pri.per_threshold[:, 1].tolist(),
                "voi": s.voi.per_threshold[:, 1].tolist(),
            },
        }


def make_evaluator(task: str, *, num_classes: int | None = None, ignore_index: int | None = -1,
                   label_map: Mapping[int, int] | None = None, nthresh: int = 99,
                   match_classes: bool = False) -> Evaluator:
    """The evaluator of `task` (one of :data:`EVALUATION_TASKS`).

    Examples
    --------
    >>> type(make_evaluator("partition")).__name__
    'PartitionEvaluator'
    >>> make_evaluator("instance", label_map={255: 1})
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: label_map: only applies to semantic evaluation; ...
    """
    if task not in EVALUATION_TASKS:
        raise InvalidParameterError(f"task: must be one of {', '.join(EVALUATION_TASKS)}; got {task!r}.")
    if label_map and task != "semantic":
        raise InvalidParameterError(
            f"label_map: only applies to semantic evaluation; got task {task!r}. Drop it or use --task semantic."
        )
    if num_classes is not None and task != "semantic":
        raise InvalidParameterError(f"num_classes: only applies to semantic evaluation; got task {task!r}.")
    if match_classes and task != "semantic":
        raise InvalidParameterError(f"match_classes: only applies to semantic evaluation; got task {task!r}.")
    if task == "semantic":
        return SemanticEvaluator(num_classes, ignore_index=ignore_index, label_map=label_map,
                                 match_classes=match_classes)
    if task == "instance":
        return InstanceEvaluator(ignore_index=ignore_index)
    if task == "panoptic":
        return PanopticEvaluator()
    return PartitionEvaluator(nthresh=nthresh)
