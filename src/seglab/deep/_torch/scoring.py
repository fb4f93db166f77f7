"""Scoring a model on labelled samples through :mod:`seglab.evaluation` (the figures of ``seglab bench``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...evaluation.formats import LabelData
from ...evaluation.scores import make_evaluator
from .data import Sample
from .predict import Backend, predict

__all__ = ["evaluate"]


def evaluate(model: Backend, samples: Sequence[Sample], *, normalization: Mapping[str, Any],
             ignore_index: int | None = None, tile_size: int | None = None, tta: bool | str = False,
             device: str = "auto") -> dict[str, Any]:
    """The semantic evaluator's data-set summary of `model`'s predictions on `samples`.

    Keys include ``mean_iou``, ``pixel_accuracy``, ``iou_per_class``, ``confusion``
    and, with two classes, ``pixel_error`` and ``rand_error_fg`` (ISBI 2012's
    figures: class 1 is the cell interior).
    """
    evaluator = make_evaluator("semantic", num_classes=model.num_classes,
                               ignore_index=-1 if ignore_index is None else ignore_index)
    for s in samples:
        labels, _ = predict(model, s.image, normalization=normalization, tile_size=tile_size, tta=tta, device=device)
        evaluator.add(LabelData.from_labels(s.labels, source=str(s.labels_path)),
                      LabelData.from_labels(labels, source=f"prediction for {s.image_path}"))
    return evaluator.summary()
