"""One image in, instance labels with a class and a score per object out: ``unet_instances`` and ``mask_rcnn``.

Both take the image in its own units (:func:`~.images.gray_input`), zoom it
so that its objects have the size the network learnt (:mod:`.scale`; given
``diameter`` or measured), and return labels at the image's own size.

- ``unet_instances``: the class probabilities (tiled and Gaussian-blended by
  :func:`seglab.deep._torch.predict.predict` when `tile_size` is given, with
  optional flips-and-turns TTA) are resized back to the image and split into
  objects by :func:`~.split.split_instances`; a whole-image watershed, so tiles
  leave no seams.
- ``mask_rcnn``: torchvision's detector runs on the zoomed image (or its
  overlapping windows, merged by :mod:`.tiles`); each 28 x 28 mask is pasted
  into its box at the image's own resolution (not into a full-image array per
  detection, as torchvision's postprocess does) and overlaps go to the higher
  score.

Examples
--------
>>> from .models import build_instance_model
>>> model = build_instance_model("unet_instances", base_width=4, depth=2)
>>> image = np.random.default_rng(0).integers(0, 255, (30, 40), dtype=np.uint8)
>>> out = predict_instances(model, image, diameter=24.0)
>>> out.labels.shape, out.labels.dtype, out.classes, out.meta["scale"]["factor"]
((30, 40), dtype('int32'), ('background', 'object'), 1.0)
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from ....core.errors import InvalidParameterError
from ..models.base import SegmentationModel
from ..predict import predict_probabilities, resolve_device, resolve_precision
from .images import gray_input, resize, scaled_shape
from .scale import at_object_scale
from .split import split_instances
from .tiles import Detection, paint, windows

__all__ = [
    "SEED_MIN_AREA",
    "InstancePrediction",
    "detect",
    "predict_instances",
    "rcnn_pass",
    "unet_pass",
    "unet_probabilities",
    "unet_split",
]

#: Seeds smaller than this fraction of the squared model diameter are noise (at the network's scale).
SEED_MIN_AREA = 0.02
_IDENTITY = {"kind": "scale", "max": 1.0, "mean": [0.0], "std": [1.0]}
_MASK_THRESHOLD = 0.5  # torchvision's
_LOCK = threading.Lock()  # the detector's thresholds are attributes of the (shared, cached) model


@dataclass(frozen=True)
class InstancePrediction:
    """Instance labels and, per id, class and score (index 0 unused)."""

    labels: NDArray[np.int32]
    class_ids: NDArray[np.int64]
    scores: NDArray[np.float32]
    classes: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict)


def _setting(config: Mapping[str, Any], name: str, value: Any) -> Any:
    return config[name] if value is None else value


def unet_probabilities(model: SegmentationModel, x: NDArray[np.float32], *, tile_size: int | None = None,
                       overlap: float = 0.25, batch_size: int = 4, device: str | torch.device = "auto",
                       tta: bool = False, precision: str = "auto") -> NDArray[np.float32]:
    """The (background, interior, boundary) probabilities ``(3, H, W)`` of a prepared input `x` ``(H, W)``."""
    return predict_probabilities(model, x, normalization=_IDENTITY, tile_size=tile_size, overlap=overlap,
                                 batch_size=batch_size, device=device, tta=tta, precision=precision)


def _to_image_size(probs: NDArray[np.float32], shape: tuple[int, int]) -> NDArray[np.float32]:
    if probs.shape[1:] == tuple(shape):
        return probs
    return np.ascontiguousarray(resize(np.ascontiguousarray(probs.transpose(1, 2, 0)), shape).transpose(2, 0, 1))


def unet_pass(model: SegmentationModel, x: NDArray[np.float32], factor: float, *, tile_size: int | None = None,
              overlap: float = 0.25, batch_size: int = 4, device: str | torch.device = "auto",
              tta: bool = False, precision: str = "auto") -> NDArray[np.float32]:
    """The probabilities of `x` zoomed by `factor`, back at the size of `x`: ``(3, H, W)``."""
    probs = unet_probabilities(model, resize(x, scaled_shape(x.shape, factor)), tile_size=tile_size,
                               overlap=overlap, batch_size=batch_size, device=device, tta=tta, precision=precision)
    return _to_image_size(probs, x.shape)


def unet_split(model: SegmentationModel, probs: NDArray[np.float32], factor: float, *, foreground_threshold: float,
               seed_threshold: float, min_size: int | None) -> tuple[NDArray[np.int32], NDArray[np.float32]]:
    """Objects from the probabilities of a pass at zoom `factor` (the model's sizes converted to the image's)."""
    config = model.config
    smallest = config["min_size"] / factor**2 if min_size is None else min_size
    seeds = SEED_MIN_AREA * float(config["diameter"]) ** 2 / factor**2
    return split_instances(probs, foreground_threshold=foreground_threshold, seed_threshold=seed_threshold,
                           min_size=round(smallest), seed_min_size=round(seeds))


def _unet(model: SegmentationModel, x: NDArray[np.float32], *, diameter: float | None, tile_size: int | None,
          overlap: float, batch_size: int, device: str, precision: str, tta: bool,
          foreground_threshold: float | None, seed_threshold: float | None, min_size: int | None
          ) -> InstancePrediction:
    config = model.config
    ft = _setting(config, "foreground_threshold", foreground_threshold)
    st = _setting(config, "seed_threshold", seed_threshold)

    def segment_at(factor: float) -> tuple[NDArray[np.int32], NDArray[np.float32]]:
        probs = unet_pass(model, x, factor, tile_size=tile_size, overlap=overlap, batch_size=batch_size,
                          device=device, tta=tta, precision=precision)
        return unet_split(model, probs, factor, foreground_threshold=ft, seed_threshold=st, min_size=min_size)

    choice, (labels, scores) = at_object_scale(segment_at, model_diameter=float(config["diameter"]),
                                               diameter=diameter)
    class_ids = np.ones(scores.size, np.int64)
    class_ids[0] = 0
    meta = {"scale": choice.to_json(), "foreground_threshold": ft, "seed_threshold": st}
    return InstancePrediction(labels, class_ids, scores, ("background", str(config["object_class"])), meta)


@torch.inference_mode()
def detect(model: SegmentationModel, batch: list[torch.Tensor], *, score_threshold: float, nms_threshold: float,
           max_detections: int, dtype: torch.dtype | None = None) -> list[dict[str, torch.Tensor]]:
    """torchvision's Mask R-CNN on prepared ``(1, h, w)`` inputs: boxes, labels, scores and 28 x 28 mask probabilities.

    The steps of ``MaskRCNN.forward`` in eval mode, without its last one
    (pasting every mask into a full-size image); under autocast to `dtype`
    when given (outputs may then be in that dtype).
    """
    net = model.net
    autocast = torch.autocast(batch[0].device.type, dtype=dtype) if dtype is not None else nullcontext()
    with _LOCK, autocast:
        heads = net.roi_heads
        heads.score_thresh, heads.nms_thresh, heads.detections_per_img = (score_threshold, nms_threshold,
                                                                          max_detections)
        images, _ = net.transform(batch)
        features = net.backbone(images.tensors)
        proposals, _ = net.rpn(images, features)
        detections, _ = heads(features, proposals, images.image_sizes)
    return detections


def _paste(mask: NDArray[np.float32], box: NDArray[np.float64], scale: float
           ) -> tuple[tuple[int, int], NDArray[np.bool_]] | None:
    """A 28 x 28 mask probability pasted into its box (zoomed back by 1/`scale`), as torchvision pastes it."""
    m = mask.shape[0]
    padded = np.pad(mask, 1)
    expand = (m + 2) / m
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    half_w, half_h = (box[2] - box[0]) / 2 * expand, (box[3] - box[1]) / 2 * expand
    x0, y0, x1, y1 = (int(v) for v in np.array([cx - half_w, cy - half_h, cx + half_w, cy + half_h]) / scale)
    w, h = max(x1 - x0 + 1, 1), max(y1 - y0 + 1, 1)
    pasted = cv2.resize(padded, (w, h), interpolation=cv2.INTER_LINEAR) > _MASK_THRESHOLD
    if not pasted.any():
        return None
    return (y0, x0), pasted


def rcnn_pass(model: SegmentationModel, x: NDArray[np.float32], factor: float, *, tile_size: int | None = None,
              overlap: float = 0.25, batch_size: int = 4, device: str | torch.device = "cpu",
              score_threshold: float, nms_threshold: float, max_detections: int,
              precision: str = "auto") -> list[Detection]:
    """The detections of `x` zoomed by `factor` (windows of `tile_size` merged), masks at the size of `x`.

    ``precision="auto"`` is float32 here, on CUDA too; "bfloat16" and "float16" autocast the forward pass.
    """
    dev = resolve_device(device)
    dtype = None if precision == "auto" else resolve_precision(precision, dev)
    model.eval()
    model.to(dev)
    xs = torch.from_numpy(np.ascontiguousarray(resize(x, scaled_shape(x.shape, factor))))
    h, w = xs.shape
    tile = tile_size or max(h, w)
    rows, cols = windows(h, min(tile, h), overlap), windows(w, min(tile, w), overlap)
    corners = [(r, c) for r in rows for c in cols]
    found: list[Detection] = []
    for i in range(0, len(corners), batch_size):
        chunk = corners[i : i + batch_size]
        crops = [xs[r[0] : r[0] + tile, c[0] : c[0] + tile][None].to(dev) for r, c in chunk]
        for (row, col), det in zip(chunk, detect(model, crops, score_threshold=score_threshold,
                                                 nms_threshold=nms_threshold, max_detections=max_detections,
                                                 dtype=dtype)):
            boxes = det["boxes"].double().cpu().numpy() + np.array([col[0], row[0], col[0], row[0]])
            centre_x, centre_y = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
            mine = (centre_y >= row[1]) & (centre_y < row[2]) & (centre_x >= col[1]) & (centre_x < col[2])
            masks = det["masks"][:, 0].float().cpu().numpy()
            scores, labels = det["scores"].float().cpu().numpy(), det["labels"].cpu().numpy()
            for k in np.flatnonzero(mine):
                pasted = _paste(masks[k], boxes[k], factor)
                if pasted is not None:
                    found.append(Detection(pasted[0], pasted[1], float(scores[k]), int(labels[k])))
    return found


def _mask_rcnn(model: SegmentationModel, x: NDArray[np.float32], *, diameter: float | None, tile_size: int | None,
               overlap: float, batch_size: int, device: str, precision: str, score_threshold: float | None,
               nms_threshold: float | None, max_detections: int | None, min_size: int | None) -> InstancePrediction:
    config = model.config
    st = _setting(config, "score_threshold", score_threshold)
    nt = _setting(config, "nms_threshold", nms_threshold)
    top = int(_setting(config, "max_detections", max_detections))

    def segment_at(factor: float) -> tuple[NDArray[np.int32], list[Detection]]:
        found = rcnn_pass(model, x, factor, tile_size=tile_size, overlap=overlap, batch_size=batch_size,
                          device=device, score_threshold=st, nms_threshold=nt, max_detections=top,
                          precision=precision)
        return paint(found, x.shape, min_size=0 if min_size is None else min_size, max_detections=top)

    choice, (labels, kept) = at_object_scale(segment_at, model_diameter=float(config["diameter"]),
                                             diameter=diameter)
    scores = np.array([0.0, *(d.score for d in kept)], np.float32)
    class_ids = np.array([0, *(d.class_id for d in kept)], np.int64)
    meta = {"scale": choice.to_json(), "score_threshold": st, "nms_threshold": nt, "max_detections": top}
    return InstancePrediction(labels, class_ids, scores, ("background", *config["object_classes"]), meta)


def predict_instances(model: SegmentationModel, image: ArrayLike, *, diameter: float | None = None,
                      tile_size: int | None = None, overlap: float = 0.25, batch_size: int = 4,
                      device: str = "auto", precision: str = "auto", tta: bool = False,
                      min_size: int | None = None,
                      foreground_threshold: float | None = None, seed_threshold: float | None = None,
                      score_threshold: float | None = None, nms_threshold: float | None = None,
                      max_detections: int | None = None) -> InstancePrediction:
    """Segment the objects of one image with an instance model.

    Parameters
    ----------
    model : SegmentationModel
        An ``unet_instances`` or ``mask_rcnn`` model (:func:`~.models.build_instance_model`).
    image : (H, W) or (H, W, 3) array_like
        In its own units.
    diameter : float, optional
        Typical object diameter in the image's pixels; None measures it (:mod:`.scale`).
    tile_size, overlap, batch_size : int, float, int
        Windows of the zoomed image, their overlap, and windows per forward pass.
    device : {"auto", "cpu", "cuda"}
    precision : {"auto", "float32", "bfloat16", "float16"}
        Arithmetic of the forward pass: "bfloat16" and "float16" (CUDA only)
        autocast it; "auto" is float16 on CUDA for ``unet_instances`` and
        float32 otherwise (``mask_rcnn`` on CUDA included).
    tta : bool
        ``unet_instances``: average the probabilities of the 8 flips and turns.
    min_size : int, optional
        Smallest object in the image's pixels (default: the model's).
    foreground_threshold, seed_threshold : float, optional
        ``unet_instances`` thresholds (default: the model's, chosen on validation images).
    score_threshold, nms_threshold : float, optional
        ``mask_rcnn`` thresholds (default: the model's).
    max_detections : int, optional
        ``mask_rcnn``: most objects kept (default: the model's).

    Returns
    -------
    InstancePrediction
        ``meta["scale"]`` says which zoom was used and how it was found.
    """
    arch = model.config.get("arch")
    if arch not in ("unet_instances", "mask_rcnn"):
        raise InvalidParameterError(f"predict_instances takes an unet_instances or mask_rcnn model; got {arch!r}.")
    x, inverted = gray_input(image)
    if arch == "unet_instances":
        out = _unet(model, x, diameter=diameter, tile_size=tile_size, overlap=overlap, batch_size=batch_size,
                    device=device, precision=precision, tta=tta, foreground_threshold=foreground_threshold,
                    seed_threshold=seed_threshold, min_size=min_size)
    else:
        out = _mask_rcnn(model, x, diameter=diameter, tile_size=tile_size, overlap=overlap, batch_size=batch_size,
                         device=device, precision=precision, score_threshold=score_threshold,
                         nms_threshold=nms_threshold, max_detections=max_detections, min_size=min_size)
    out.meta["inverted"] = inverted
    return out
