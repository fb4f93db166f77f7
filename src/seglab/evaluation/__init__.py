"""Evaluation tools behind ``seglab eval`` and ``seglab bench``.

==================  ==========================================================
``formats``         :class:`LabelData`: one image's labels in any supported format
``coco_json``       COCO instance / results / panoptic files (own RLE decoder)
``pairing``         find entries under a path, pair prediction and truth by stem
``scores``          per-task evaluators (semantic, instance, panoptic, partition)
``report``          rich tables, JSON / CSV / Markdown, matplotlib plots
``bench``           run methods over a data set, time them and score them
==================  ==========================================================

Importing this package is light: matplotlib is imported only to draw plots.

Examples
--------
>>> from seglab.evaluation import LabelData, make_evaluator
>>> ev = make_evaluator("instance")
>>> t = LabelData.from_labels([[1, 1, 0, 2]], source="t")
>>> ev.add(t, t)["dsb_score"]
1.0
"""

from __future__ import annotations

from .formats import Instances, LabelData
from .scores import (
    Evaluator,
    InstanceEvaluator,
    PanopticEvaluator,
    PartitionEvaluator,
    SemanticEvaluator,
    make_evaluator,
)

__all__ = [
    "Instances",
    "LabelData",
    "Evaluator",
    "SemanticEvaluator",
    "InstanceEvaluator",
    "PanopticEvaluator",
    "PartitionEvaluator",
    "make_evaluator",
]
