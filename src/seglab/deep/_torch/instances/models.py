"""The two instance networks, built by name with random weights (nothing is downloaded).

``unet_instances``
    The U-Net of :mod:`seglab.deep._torch.models.unet` with one input channel
    and three outputs: background, object interior, object boundary
    (:func:`~.targets.boundary_targets`); :mod:`.split` turns them into objects.
``mask_rcnn``
    torchvision's Mask R-CNN on a ResNet + FPN backbone trained from scratch
    (``weights=None, weights_backbone=None``): GroupNorm instead of BatchNorm
    (two-image batches give no usable batch statistics), anchors sized from the
    object diameter the model is trained for, one gray input channel, and no
    internal resizing (:mod:`.scale` decides the scale). ``backbone="resnet50"``
    with ``stages=4`` and ``fpn_channels=256`` is the architecture of
    ``torchvision.models.detection.maskrcnn_resnet50_fpn`` (with GroupNorm);
    ``resnet18`` with three stages and 128 FPN channels trains on a CPU.
    Training samples fewer proposals than torchvision's defaults (1000 before
    and 500 after the RPN's NMS, 128 RoIs per image): a crop holds at most a
    few hundred nuclei.

Each is a :class:`~seglab.deep._torch.models.SegmentationModel` whose config
rebuilds it and also holds what inference needs: the object ``diameter`` the
network was trained at, the class names of its objects and the default
thresholds chosen on validation images.

Examples
--------
>>> model = build_instance_model("unet_instances", base_width=4, depth=2)
>>> model.config["arch"], model.num_classes, tuple(model.net(torch.zeros(1, 1, 8, 8)).shape)
('unet_instances', 3, (1, 3, 8, 8))
>>> rcnn = build_instance_model("mask_rcnn", fpn_channels=32, box_features=64)
>>> rcnn.config["object_classes"], rcnn.num_classes
(['object'], 2)
>>> build_instance_model("mask_rcnn", backbone="resnet99")
Traceback (most recent call last):
...
seglab.core.errors.InvalidParameterError: mask_rcnn: backbone must be one of resnet18, resnet34, resnet50; got 'resnet99'.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torchvision.models import resnet
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.transform import GeneralizedRCNNTransform
from torchvision.ops import MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

from ....core.errors import InvalidParameterError, UnknownParameterError, did_you_mean
from ..models.base import SegmentationModel
from ..models.unet import unet

__all__ = ["INSTANCE_ARCHITECTURES", "UNET_CLASSES", "build_instance_model", "mask_rcnn", "unet_instances"]

#: The output channels of ``unet_instances``.
UNET_CLASSES = ("background", "interior", "boundary")
_BACKBONES = {"resnet18": (resnet.resnet18, 64), "resnet34": (resnet.resnet34, 64),
              "resnet50": (resnet.resnet50, 256)}


def _check_unit(arch: str, name: str, value: float) -> None:
    if not 0 <= value <= 1:
        raise InvalidParameterError(f"{arch}: {name} must lie in [0, 1]; got {value!r}.")


def unet_instances(*, base_width: int = 16, depth: int = 4, diameter: float = 24.0, boundary_width: int = 2,
                   object_class: str = "object", foreground_threshold: float = 0.5, seed_threshold: float = 0.6,
                   min_size: int = 0) -> SegmentationModel:
    """A gray-input U-Net with background / interior / boundary outputs, and its inference defaults.

    Parameters
    ----------
    base_width, depth : int
        The U-Net's first width and number of poolings (1.9 M parameters at 16, 4).
    diameter : float
        Median object diameter, in pixels, that images are scaled to.
    boundary_width : int
        Width of the boundary class in the training targets, at that scale.
    object_class : str
        Name of the objects (``Segmentation.classes[1]``).
    foreground_threshold, seed_threshold : float
        Default thresholds of :func:`~.split.split_instances`.
    min_size : int
        Default smallest object, in pixels at the network's scale.
    """
    for name, value in (("foreground_threshold", foreground_threshold), ("seed_threshold", seed_threshold)):
        _check_unit("unet_instances", name, value)
    net = unet(in_channels=1, num_classes=len(UNET_CLASSES), base_width=base_width, depth=depth).net
    config = {"arch": "unet_instances", "in_channels": 1, "num_classes": len(UNET_CLASSES), "base_width": base_width,
              "depth": depth, "diameter": float(diameter), "boundary_width": boundary_width,
              "object_class": object_class, "foreground_threshold": float(foreground_threshold),
              "seed_threshold": float(seed_threshold), "min_size": int(min_size)}
    return SegmentationModel(net, config=config, output_stride=2**depth)


def _group_norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(32, channels // 4) or 1, channels)


class UnresizedTransform(GeneralizedRCNNTransform):
    """torchvision's detection transform without its resizing: images keep the scale they are given at."""

    def resize(self, image: torch.Tensor, target: dict[str, torch.Tensor] | None = None
               ) -> tuple[torch.Tensor, dict[str, torch.Tensor] | None]:
        return image, target


def mask_rcnn(*, object_classes: Sequence[str] = ("object",), backbone: str = "resnet18", stages: int = 3,
              fpn_channels: int = 128, box_features: int = 256, diameter: float = 24.0,
              score_threshold: float = 0.5, nms_threshold: float = 0.5, max_detections: int = 1000
              ) -> SegmentationModel:
    """torchvision's Mask R-CNN from scratch on a GroupNorm ResNet + FPN, gray input, no internal resizing.

    Parameters
    ----------
    object_classes : sequence of str
        The object classes (class 0, background, is added).
    backbone : {"resnet18", "resnet34", "resnet50"}
    stages : {3, 4}
        ResNet stages feeding the FPN (strides 4 to 16, or to 32); the FPN
        adds one max-pooled level.
    fpn_channels : int
        Channels of the FPN and of the mask head.
    box_features : int
        Width of the two fully connected layers of the box head.
    diameter : float
        Median object diameter, in pixels, that images are scaled to; the
        anchors are half, once, twice... this size, one per pyramid level.
    score_threshold, nms_threshold : float
        Default detection score kept and IoU of per-class non-maximum suppression.
    max_detections : int
        Default largest number of objects per image.
    """
    if backbone not in _BACKBONES:
        raise InvalidParameterError(f"mask_rcnn: backbone must be one of {', '.join(_BACKBONES)}; got {backbone!r}.")
    if stages not in (3, 4):
        raise InvalidParameterError(f"mask_rcnn: stages must be 3 or 4; got {stages!r}.")
    for name, value in (("score_threshold", score_threshold), ("nms_threshold", nms_threshold)):
        _check_unit("mask_rcnn", name, value)
    classes = [str(c) for c in object_classes]
    if not classes:
        raise InvalidParameterError("mask_rcnn: object_classes must name at least one class.")
    make, width = _BACKBONES[backbone]
    body = make(weights=None, norm_layer=_group_norm)
    body.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    names = [f"layer{i}" for i in range(1, stages + 1)]
    fpn = BackboneWithFPN(body, return_layers={n: str(i) for i, n in enumerate(names)},
                          in_channels_list=[width * 2**i for i in range(stages)], out_channels=fpn_channels,
                          extra_blocks=LastLevelMaxPool())
    levels = [str(i) for i in range(stages)]
    anchors = AnchorGenerator(sizes=tuple((diameter * 2.0 ** (i - 1),) for i in range(stages + 1)),
                              aspect_ratios=((0.5, 1.0, 2.0),) * (stages + 1))
    num_classes = len(classes) + 1
    net = MaskRCNN(
        fpn, num_classes=None, rpn_anchor_generator=anchors,
        box_roi_pool=MultiScaleRoIAlign(levels, output_size=7, sampling_ratio=2),
        box_head=TwoMLPHead(fpn_channels * 7 * 7, box_features),
        box_predictor=FastRCNNPredictor(box_features, num_classes),
        mask_roi_pool=MultiScaleRoIAlign(levels, output_size=14, sampling_ratio=2),
        mask_head=MaskRCNNHeads(fpn_channels, [fpn_channels] * 4, 1, norm_layer=_group_norm),
        mask_predictor=MaskRCNNPredictor(fpn_channels, fpn_channels, num_classes),
        box_score_thresh=score_threshold, box_nms_thresh=nms_threshold, box_detections_per_img=max_detections,
        rpn_pre_nms_top_n_train=1000, rpn_post_nms_top_n_train=500, box_batch_size_per_image=128,
    )
    net.transform = UnresizedTransform(min_size=1, max_size=1, image_mean=[0.0], image_std=[1.0], size_divisible=32)
    config = {"arch": "mask_rcnn", "in_channels": 1, "num_classes": num_classes, "object_classes": classes,
              "backbone": backbone, "stages": stages, "fpn_channels": fpn_channels, "box_features": box_features,
              "diameter": float(diameter), "score_threshold": float(score_threshold),
              "nms_threshold": float(nms_threshold), "max_detections": int(max_detections)}
    return SegmentationModel(net, config=config, output_stride=32)


#: Instance architecture name -> builder.
INSTANCE_ARCHITECTURES: dict[str, Callable[..., SegmentationModel]] = {
    "unet_instances": unet_instances, "mask_rcnn": mask_rcnn,
}


def build_instance_model(arch: str, **config: Any) -> SegmentationModel:
    """Build the instance network `arch` with random weights from its config keywords.

    Raises
    ------
    InvalidParameterError
        Unknown architecture or bad values; :class:`UnknownParameterError`
        (also a ``TypeError``) for an unknown keyword.
    """
    if arch not in INSTANCE_ARCHITECTURES:
        raise InvalidParameterError(f"arch: unknown instance architecture {arch!r}."
                                    f"{did_you_mean(arch, INSTANCE_ARCHITECTURES)} "
                                    f"Known: {', '.join(INSTANCE_ARCHITECTURES)}.")
    builder = INSTANCE_ARCHITECTURES[arch]
    params = inspect.signature(builder).parameters
    fixed = {"in_channels", "num_classes"}
    for key in config:
        if key not in params and key not in fixed:
            raise UnknownParameterError(f"{arch} takes no parameter {key!r}.{did_you_mean(key, params)} "
                                        f"Its parameters: {', '.join(params)}.")
    return builder(**{k: v for k, v in config.items() if k not in fixed})
