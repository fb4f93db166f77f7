"""Evaluation metrics: semantic, instance, COCO mask AP and panoptic (plus partition/boundary scores).

Every function takes the truth first (``labels_true, labels_pred``) and leaves
out ``ignore_index=-1`` pixels by default. Counts come first and reduce
afterwards: confusion matrices and panoptic counts add across tiles and images.

Importing this package is light (numpy and scipy only).

Examples
--------
>>> import numpy as np
>>> from seglab import metrics
>>> cm = metrics.confusion([[0, 1], [1, 1]], [[0, 1], [0, 1]], num_classes=2)
>>> float(metrics.mean_iou(cm))
0.5833333333333333
"""

from __future__ import annotations

# --- semantic: counts, then reductions of the (K, K) confusion matrix -------------
from .confusion import confusion
from .semantic import (
    dice_per_class,
    frequency_weighted_iou,
    iou_per_class,
    mean_dice,
    mean_iou,
    pixel_accuracy,
)

# --- instance: one-to-one matching, DSB2018 score, COCO mask AP -------------------
from .instance import InstanceMatch, dsb_score, match_instances
from .coco import CocoMaskAP, coco_mask_ap

# --- panoptic: PQ / SQ / RQ ---------------------------------------------------------
from .panoptic import PanopticCounts, PanopticQuality, PQScores, panoptic_counts, panoptic_quality, panoptic_scores

# --- partition and boundary metrics (boundary.py, partition.py, bsds.py) -----------
from .partition import (
    AdaptedRandError,
    VariationOfInformation,
    adapted_rand_error,
    probabilistic_rand_index,
    rand_index,
    segmentation_covering,
    variation_of_information,
)
from .boundary import (
    BoundaryCounts,
    boundary_counts,
    boundary_counts_from_maps,
    boundary_f,
    boundary_iou,
    boundary_iou_per_label,
    bsds_tolerance,
    correspond_pixels,
    label_boundaries,
)
from .bsds import (
    BsdsGroundTruth,
    BsdsImageResult,
    BsdsSummary,
    evaluate_bsds,
    evaluate_bsds_image,
    summarize_bsds,
)

__all__ = [
    "confusion",
    "pixel_accuracy",
    "iou_per_class",
    "mean_iou",
    "dice_per_class",
    "mean_dice",
    "frequency_weighted_iou",
    "InstanceMatch",
    "match_instances",
    "dsb_score",
    "CocoMaskAP",
    "coco_mask_ap",
    "PanopticCounts",
    "PanopticQuality",
    "PQScores",
    "panoptic_counts",
    "panoptic_scores",
    "panoptic_quality",
    "AdaptedRandError",
    "VariationOfInformation",
    "adapted_rand_error",
    "variation_of_information",
    "rand_index",
    "probabilistic_rand_index",
    "segmentation_covering",
    "BoundaryCounts",
    "boundary_counts",
    "boundary_counts_from_maps",
    "boundary_f",
    "boundary_iou",
    "boundary_iou_per_label",
    "bsds_tolerance",
    "correspond_pixels",
    "label_boundaries",
    "BsdsGroundTruth",
    "BsdsImageResult",
    "BsdsSummary",
    "evaluate_bsds",
    "evaluate_bsds_image",
    "summarize_bsds",
]
