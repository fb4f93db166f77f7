"""DeepLabv3+ (Chen et al., ECCV 2018): atrous backbone, ASPP, decoder with low-level features.

The backbone is a torchvision ResNet-18/34/50 (last stages dilated) or
MobileNetV3-Large (``dilated=True``); ASPP is torchvision's; the decoder
reduces the stride-4 features to 48 channels, concatenates the upsampled
ASPP output and refines with two 3x3 convs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.models.segmentation.deeplabv3 import ASPP
from torchvision.ops import Conv2dNormActivation

from ....core.errors import InvalidParameterError
from .backbones import RESNETS, check_choice, feature_strides, mobilenet_v3, out_channels, resnet
from .base import EncoderDecoder, SegmentationModel

__all__ = ["deeplab", "BACKBONES"]

BACKBONES = [*RESNETS, "mobilenet_v3_large"]


class DeepLabV3PlusDecoder(nn.Module):
    def __init__(self, low_channels: int, high_channels: int, atrous_rates: Sequence[int], channels: int) -> None:
        super().__init__()
        self.aspp = ASPP(high_channels, list(atrous_rates), channels)
        self.low = Conv2dNormActivation(low_channels, 48, kernel_size=1)
        self.fuse = nn.Sequential(Conv2dNormActivation(channels + 48, channels, kernel_size=3),
                                  Conv2dNormActivation(channels, channels, kernel_size=3))

    def forward(self, f: dict[str, Tensor]) -> Tensor:
        low = self.low(f["low"])
        high = F.interpolate(self.aspp(f["out"]), size=low.shape[-2:], mode="bilinear", align_corners=False)
        return self.fuse(torch.cat([low, high], dim=1))


def _encoder(backbone: str, in_channels: int, weights: str | os.PathLike[str] | None, output_stride: int,
             width_mult: float) -> tuple[nn.Module, int, int]:
    if backbone == "mobilenet_v3_large":
        features = mobilenet_v3(in_channels=in_channels, weights=weights, width_mult=width_mult,
                                output_stride=output_stride)
        low = max(i for i, s in enumerate(feature_strides(features, in_channels)) if s == 4)
        encoder = IntermediateLayerGetter(features, {str(low): "low", str(len(features) - 1): "out"})
        return encoder, out_channels(features[low]), out_channels(features[-1])
    if width_mult != 1.0:
        raise InvalidParameterError(f"width_mult: only applies to mobilenet_v3_large; got {width_mult!r} with {backbone}.")
    body = resnet(backbone, in_channels=in_channels, weights=weights, output_stride=output_stride)
    encoder = IntermediateLayerGetter(body, {"layer1": "low", "layer4": "out"})
    return encoder, out_channels(body.layer1), out_channels(body.layer4)


def deeplab(*, in_channels: int, num_classes: int, backbone: str = "resnet50", output_stride: int = 16,
            atrous_rates: Sequence[int] = (6, 12, 18), decoder_channels: int = 256, width_mult: float = 1.0,
            backbone_weights: str | os.PathLike[str] | None = None) -> SegmentationModel:
    """DeepLabv3+ on a dilated torchvision backbone.

    Parameters
    ----------
    in_channels, num_classes : int
    backbone : {"resnet18", "resnet34", "resnet50", "mobilenet_v3_large"}
        ``mobilenet_v3_large`` is the CPU-friendly choice (about 5x cheaper than ResNet-50).
    output_stride : {16, 8, 32}
        Stride of the ASPP features (8 only for ResNets, 32 = no dilation); also the padding multiple.
    atrous_rates : sequence of int
        ASPP dilation rates (the paper's (6, 12, 18) at stride 16; double them at stride 8).
    decoder_channels : int
        Channels of ASPP and the decoder.
    width_mult : float
        MobileNetV3 width multiplier.
    backbone_weights : path, optional
        A local torchvision state-dict file of the backbone (never downloaded); not part of ``config``.

    Examples
    --------
    >>> model = deeplab(in_channels=3, num_classes=5, backbone="resnet18", decoder_channels=16)
    >>> model.output_stride, tuple(model.eval()(torch.zeros(1, 3, 33, 47)).shape)
    (16, (1, 5, 33, 47))
    """
    check_choice("backbone", backbone, BACKBONES)
    rates = [int(r) for r in atrous_rates]
    if not rates or min(rates) < 1:
        raise InvalidParameterError(f"atrous_rates: must be positive integers; got {list(atrous_rates)!r}.")
    encoder, low_channels, high_channels = _encoder(backbone, in_channels, backbone_weights, output_stride,
                                                    float(width_mult))
    decoder = DeepLabV3PlusDecoder(low_channels, high_channels, rates, decoder_channels)
    net = EncoderDecoder(encoder, decoder, nn.Conv2d(decoder_channels, num_classes, 1))
    config = {"arch": "deeplab", "in_channels": in_channels, "num_classes": num_classes, "backbone": backbone,
              "output_stride": output_stride, "atrous_rates": rates, "decoder_channels": decoder_channels,
              "width_mult": float(width_mult)}
    return SegmentationModel(net, config=config, output_stride=output_stride)
