"""Learned instance segmentation as registered methods: ``unet_instances`` and ``mask_rcnn``.

Torch-free fronts (DESIGN §2.5): called like every other method,
``seglab.segment(image, "unet_instances", weights="nuclei")``; the engine
(:mod:`seglab.deep._torch.instances`) is imported when one runs. Both take
what microscopes write (gray 8- or 16-bit, RGB, float; any size, in the
file's own units: each image is normalised by its own percentiles inside,
and a light background is inverted), zoom the image so that its objects have
the size the network learnt (measured by a first pass unless `diameter` is
given), and return an instance :class:`~seglab.core.types.Segmentation`
with each object's class and score. ``seglab.tiling.run`` segments images too
large for memory window by window (``tiling="instance"``: objects merged
across the overlaps by IoU); give `diameter` there, so that every window is
seen at the same scale.

Examples
--------
>>> import seglab
>>> spec = seglab.get_method("unet_instances")
>>> spec.task, spec.tiling, spec.requires
('instance', 'instance', ('torch',))
>>> seglab.get_method("mask_rcnn").halo({"diameter": 20.0})
40
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.optional import require
from ..core.params import BatchSize, Device, Interval, Overlap, Precision, TileSize, WeightsName
from ..core.registry import register
from ..core.types import Segment, Segmentation, present_ids
from ..core.weights import Weights
from .inference import weights_path
from .runtime import model_check
from .weights import shipped

if TYPE_CHECKING:
    from ._torch.instances.predict import InstancePrediction

__all__ = ["INSTANCE_METHODS", "load_instance_model"]

#: The instance model methods (trained by ``seglab train``).
INSTANCE_METHODS = ("unet_instances", "mask_rcnn")
_CACHED_MODELS = 4
#: Context a window needs in ``seglab.tiling.run`` without a given diameter (objects up to this size).
_DEFAULT_HALO = 64

Diameter = Annotated[float, Interval(1, 10000)] | None
Probability = Annotated[float, Interval(0, 1)] | None
MinSize = Annotated[int, Interval(0, None)] | None
MaxDetections = Annotated[int, Interval(1, 100000)] | None


def _halo(params: Mapping[str, Any]) -> int:
    """Context of a window: twice the given object diameter, or objects up to 64 pixels."""
    diameter = params.get("diameter")
    return math.ceil(2 * diameter) if diameter else _DEFAULT_HALO


@functools.lru_cache(maxsize=_CACHED_MODELS)
def _load(path: str, size: int, mtime: int, arch: str) -> Any:
    import torch

    from ._torch.instances.checkpoint import load_instance_checkpoint
    from ._torch.models.base import fuse_batchnorm

    model = load_instance_checkpoint(path, arch=arch).model
    fuse_batchnorm(model.eval())  # inference only: conv + BatchNorm folded into one conv
    if arch == "mask_rcnn":  # channels-last convolutions: its 512² forward ~10 % faster on a CPU, same labels
        model.to(memory_format=torch.channels_last)
    return model


def load_instance_model(method: str, weights: str | os.PathLike[str] | None, known: Mapping[str, Weights]) -> Any:
    """The model of `weights` (a shipped name or a checkpoint path), loaded once per file."""
    require("torch", extra="torch", feature=method)
    path = weights_path(method, None if weights is None else os.fspath(weights), known)
    stat = os.stat(path)
    return _load(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns, method)


def _segmentation(out: InstancePrediction, mask: NDArray[np.bool_] | None, weights: str | None,
                  known: Mapping[str, Weights], path: Path) -> Segmentation:
    labels = out.labels
    if mask is not None and not mask.all():
        labels = np.where(mask, labels, np.int32(0))
    segments = {int(i): Segment(class_id=int(out.class_ids[i]), score=float(out.scores[i]))
                for i in present_ids(labels)}
    meta = {"weights": weights if weights in known else str(path), **out.meta}
    return Segmentation(labels=labels, task="instance", classes=out.classes, segments=segments, meta=meta)


def _run(method: str, image: NDArray, known: Mapping[str, Weights], weights: str | None,
         mask: NDArray[np.bool_] | None, **settings: Any) -> Segmentation:
    model = load_instance_model(method, weights, known)
    from ._torch.instances.predict import predict_instances

    out = predict_instances(model, image, **settings)
    return _segmentation(out, mask, weights, known, weights_path(method, weights, known))


def _spec_weights(method: str) -> dict[str, Weights]:
    return {w.name: w for w in shipped(method)}


_UNET_WEIGHTS = _spec_weights("unet_instances")
_RCNN_WEIGHTS = _spec_weights("mask_rcnn")


@register("unet_instances", family="deep", task="instance", input="any", tiling="instance", halo=_halo,
          requires=("torch",), weights=tuple(_UNET_WEIGHTS.values()), check=model_check("unet_instances", _UNET_WEIGHTS),
          example_params={"weights": next(iter(_UNET_WEIGHTS))} if _UNET_WEIGHTS else {})
def unet_instances(
    image: ArrayLike,
    /,
    *,
    weights: WeightsName = None,
    device: Device = "auto",
    batch_size: BatchSize = 4,
    tile_size: TileSize = None,
    overlap: Overlap = 0.25,
    precision: Precision = "auto",
    diameter: Diameter = None,
    foreground_threshold: Probability = None,
    seed_threshold: Probability = None,
    min_size: MinSize = None,
    tta: bool = False,
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Touching objects (nuclei, cells) apart: a U-Net's interior and boundary, then a seeded watershed.

    The StarDist / Cellpose recipe on a CPU budget: a U-Net predicts per pixel
    background, object interior and object boundary; each confident interior
    blob seeds one object and a watershed on the interior probability grows
    it over the foreground, so nuclei that touch come out as separate objects.
    The image is taken as the microscope wrote it (gray 8/16-bit, RGB or
    float, any size), normalised by its own percentiles, inverted when its
    background is light (brightfield, stained tissue), and zoomed so that its
    objects have the diameter the network learnt; the labels come back at the
    image's own size.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        In its own units.
    weights : str, optional
        A shipped weights name (``seglab info unet_instances`` lists them:
        ``nuclei``, trained on DSB2018) or a checkpoint written by
        ``seglab train unet_instances``. Required.
    device : {"auto", "cpu", "cuda"}
        Where the network runs; "auto" takes a GPU when one is present.
    batch_size : int
        Windows per forward pass (with `tile_size`).
    tile_size : int, optional
        Side of the windows the zoomed image is run in (probabilities blended
        with a Gaussian window; the watershed runs on the whole image, so no
        seams); None runs it whole.
    overlap : float
        Fraction of a window shared with its neighbour.
    precision : {"auto", "float32", "bfloat16", "float16"}
        Arithmetic of the forward pass: "auto" is float16 autocast on CUDA and
        float32 on a CPU; "bfloat16" autocasts on either (on a CPU with AMX or
        AVX-512 BF16 units about twice as fast, objects can differ slightly from
        float32; slower on CPUs without them); "float16" autocasts on CUDA.
    diameter : float, optional
        Typical object diameter in the image's pixels; None measures it with a
        first pass (two or three passes in all).
    foreground_threshold : float, optional
        Interior + boundary probability above which a pixel belongs to an
        object; None takes the weights' value (chosen on validation images).
    seed_threshold : float, optional
        Interior probability above which a pixel seeds an object; None takes
        the weights' value.
    min_size : int, optional
        Smallest object kept, in pixels; None takes the weights' value
        (converted to the image's scale).
    tta : bool
        Average the predictions of the 8 flips and turns of the image (8 times the work).
    mask : (H, W) ndarray of bool, optional
        Pixels outside get label 0.

    Returns
    -------
    Segmentation
        Instance ids 1..N; ``classes`` ``("background", <object>)``; each
        segment's score is its mean interior probability;
        ``meta["scale"]`` records the zoom and the measured diameter.

    Raises
    ------
    InvalidParameterError
        No weights, unknown weights, or weights of another method.
    MissingDependencyError
        torch is not installed: ``pip install "seglab[torch]"``.

    Examples
    --------
    >>> seg = seglab.segment(image, "unet_instances", weights="nuclei")  # doctest: +SKIP
    >>> len(seg.segments), seg.meta["scale"]                              # doctest: +SKIP
    """
    return _run("unet_instances", image, _UNET_WEIGHTS, weights, mask, device=device, precision=precision,
                batch_size=batch_size, tile_size=tile_size, overlap=overlap, diameter=diameter,
                foreground_threshold=foreground_threshold, seed_threshold=seed_threshold, min_size=min_size, tta=tta)


@register("mask_rcnn", family="deep", task="instance", input="any", tiling="instance", halo=_halo,
          requires=("torch",), weights=tuple(_RCNN_WEIGHTS.values()), check=model_check("mask_rcnn", _RCNN_WEIGHTS),
          example_params={"weights": next(iter(_RCNN_WEIGHTS))} if _RCNN_WEIGHTS else {})
def mask_rcnn(
    image: ArrayLike,
    /,
    *,
    weights: WeightsName = None,
    device: Device = "auto",
    batch_size: BatchSize = 4,
    tile_size: TileSize = None,
    overlap: Overlap = 0.25,
    precision: Precision = "auto",
    diameter: Diameter = None,
    score_threshold: Probability = None,
    nms_threshold: Probability = None,
    max_detections: MaxDetections = None,
    min_size: MinSize = None,
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Mask R-CNN (He et al., 2017) through torchvision: detect objects, then segment each in its box.

    torchvision's ``MaskRCNN`` on a ResNet + FPN backbone trained from scratch
    (no pretrained weights). Overlapping detections are resolved by score: a
    pixel goes to the best-scoring object that claims it. The image is taken
    in its own units, normalised and zoomed as for ``unet_instances``; with
    `tile_size` the zoomed image runs in overlapping windows whose detections
    are merged (each object is taken from the window whose core holds its
    box centre).

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        In its own units.
    weights : str, optional
        A shipped weights name (``seglab info mask_rcnn``) or a checkpoint
        written by ``seglab train mask_rcnn``. Required.
    device : {"auto", "cpu", "cuda"}
        Where the network runs; "auto" takes a GPU when one is present.
    batch_size : int
        Windows per forward pass (with `tile_size`).
    tile_size : int, optional
        Side of the windows of the zoomed image; None runs it whole.
    overlap : float
        Fraction of a window shared with its neighbour (make it larger than
        the objects).
    precision : {"auto", "float32", "bfloat16", "float16"}
        Arithmetic of the forward pass: "auto" is float32 (on CUDA too);
        "bfloat16" autocasts on a CPU or CUDA (on a CPU with AMX or AVX-512
        BF16 units about 1.5 times as fast, detections can differ slightly;
        slower on CPUs without them); "float16" autocasts on CUDA.
    diameter : float, optional
        Typical object diameter in the image's pixels; None measures it with a first pass.
    score_threshold : float, optional
        Smallest detection score kept; None takes the weights' value (chosen
        on validation images).
    nms_threshold : float, optional
        IoU above which torchvision's per-class non-maximum suppression drops
        the lower-scoring box; None takes the weights' value.
    max_detections : int, optional
        Largest number of objects kept (per window, and in all); None takes the weights' value.
    min_size : int, optional
        Smallest object kept, in pixels after overlaps are resolved; None keeps all.
    mask : (H, W) ndarray of bool, optional
        Pixels outside get label 0.

    Returns
    -------
    Segmentation
        Instance ids 1..N in descending score; ``classes`` ``("background",
        <object classes>...)``; each segment's class and detection score.

    Raises
    ------
    InvalidParameterError
        No weights, unknown weights, or weights of another method.
    MissingDependencyError
        torch is not installed: ``pip install "seglab[torch]"``.

    Examples
    --------
    >>> seglab.train("mask_rcnn", "my_coco_data", "rcnn.pt", epochs=20)       # doctest: +SKIP
    >>> seg = seglab.segment(image, "mask_rcnn", weights="rcnn.pt")          # doctest: +SKIP
    """
    return _run("mask_rcnn", image, _RCNN_WEIGHTS, weights, mask, device=device, precision=precision,
                batch_size=batch_size, tile_size=tile_size, overlap=overlap, diameter=diameter,
                score_threshold=score_threshold, nms_threshold=nms_threshold, max_detections=max_detections,
                min_size=min_size)
