"""The tutorial's simple convolutional encoder-decoder (no skip connections).

`depth` times conv + BatchNorm + ReLU + 2x2 max pooling, then `depth` times
bilinear 2x upsampling + conv + BatchNorm + ReLU, and a 1x1 conv to logits.
"""

from __future__ import annotations

from torch import nn

from .base import EncoderDecoder, SegmentationModel, conv_block

__all__ = ["cnn"]


def cnn(*, in_channels: int, num_classes: int, width: int = 32, depth: int = 3) -> SegmentationModel:
    """A plain encoder-decoder CNN; widths ``width * 2**level``, output stride ``2**depth``.

    Examples
    --------
    >>> import torch
    >>> model = cnn(in_channels=3, num_classes=4, width=4, depth=2)
    >>> tuple(model(torch.zeros(1, 3, 9, 9)).shape)
    (1, 4, 9, 9)
    """
    widths = [width * 2**level for level in range(depth)]
    down: list[nn.Module] = []
    for c_in, c_out in zip([in_channels, *widths], widths):
        down += [conv_block(c_in, c_out, n=1), nn.MaxPool2d(2)]
    up: list[nn.Module] = []
    for c_in, c_out in zip(widths[::-1], [*widths[::-1][1:], width]):
        up += [nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), conv_block(c_in, c_out, n=1)]
    net = EncoderDecoder(nn.Sequential(*down), nn.Sequential(*up), nn.Conv2d(width, num_classes, 1))
    config = {"arch": "cnn", "in_channels": in_channels, "num_classes": num_classes, "width": width, "depth": depth}
    return SegmentationModel(net, config=config, output_stride=2**depth)
