"""FCN-8s (Long, Shelhamer and Darrell, CVPR 2015) on a torchvision ResNet.

Class scores at strides 32 (torchvision's ``FCNHead``), 16 and 8 (1x1
convs) are fused by upsampling and summing, then upsampled to the input.
"""

from __future__ import annotations

import os

import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.models.segmentation.fcn import FCNHead

from .backbones import out_channels, resnet
from .base import EncoderDecoder, SegmentationModel

__all__ = ["fcn"]


class FCN8Decoder(nn.Module):
    def __init__(self, channels: tuple[int, int, int], num_classes: int) -> None:
        super().__init__()
        c8, c16, c32 = channels
        self.score32 = FCNHead(c32, num_classes)
        self.score16 = nn.Conv2d(c16, num_classes, 1)
        self.score8 = nn.Conv2d(c8, num_classes, 1)

    def forward(self, f: dict[str, Tensor]) -> Tensor:
        s = self.score32(f["s32"])
        s = F.interpolate(s, size=f["s16"].shape[-2:], mode="bilinear", align_corners=False) + self.score16(f["s16"])
        return F.interpolate(s, size=f["s8"].shape[-2:], mode="bilinear", align_corners=False) + self.score8(f["s8"])


def fcn(*, in_channels: int, num_classes: int, backbone: str = "resnet50",
        backbone_weights: str | os.PathLike[str] | None = None) -> SegmentationModel:
    """FCN-8s skip fusion on ResNet-18/34/50; output stride 32.

    Parameters
    ----------
    in_channels, num_classes : int
    backbone : {"resnet18", "resnet34", "resnet50"}
    backbone_weights : path, optional
        A local torchvision ResNet state-dict file (never downloaded). Not part
        of ``config``: a checkpoint holds all weights.

    Examples
    --------
    >>> import torch
    >>> model = fcn(in_channels=1, num_classes=3, backbone="resnet18")
    >>> tuple(model(torch.zeros(1, 1, 40, 50)).shape)
    (1, 3, 40, 50)
    """
    body = resnet(backbone, in_channels=in_channels, weights=backbone_weights)
    channels = (out_channels(body.layer2), out_channels(body.layer3), out_channels(body.layer4))
    encoder = IntermediateLayerGetter(body, {"layer2": "s8", "layer3": "s16", "layer4": "s32"})
    net = EncoderDecoder(encoder, FCN8Decoder(channels, num_classes), nn.Identity())
    config = {"arch": "fcn", "in_channels": in_channels, "num_classes": num_classes, "backbone": backbone}
    return SegmentationModel(net, config=config, output_stride=32)
