"""U-Net (Ronneberger et al., MICCAI 2015) with BatchNorm and same padding.

Contracting path: `depth` levels of two 3x3 convs then 2x2 max pooling, the
width doubling each level from `base_width`; a bottleneck; expanding path:
2x2 up-convolution, concatenation with the skip of the same level, two 3x3
convs; a 1x1 conv to the class logits. Same padding keeps the output at the
input size (the paper's valid convolutions crop it).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .base import EncoderDecoder, SegmentationModel, conv_block

__all__ = ["unet"]


class UNetEncoder(nn.Module):
    def __init__(self, in_channels: int, widths: list[int]) -> None:
        super().__init__()
        chans = [in_channels, *widths]
        self.blocks = nn.ModuleList(conv_block(chans[i], chans[i + 1]) for i in range(len(widths)))
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: Tensor) -> list[Tensor]:
        features = []
        for i, block in enumerate(self.blocks):
            x = block(x if i == 0 else self.pool(x))
            features.append(x)
        return features


class UNetDecoder(nn.Module):
    def __init__(self, widths: list[int]) -> None:
        super().__init__()
        pairs = list(zip(widths[::-1][:-1], widths[::-1][1:]))  # (deeper, shallower)
        self.ups = nn.ModuleList(nn.ConvTranspose2d(deep, shallow, 2, stride=2) for deep, shallow in pairs)
        self.blocks = nn.ModuleList(conv_block(2 * shallow, shallow) for _, shallow in pairs)

    def forward(self, features: list[Tensor]) -> Tensor:
        x = features[-1]
        for up, block, skip in zip(self.ups, self.blocks, features[-2::-1]):
            x = block(torch.cat([skip, up(x)], dim=1))
        return x


def unet(*, in_channels: int, num_classes: int, base_width: int = 64, depth: int = 4) -> SegmentationModel:
    """The original U-Net: `depth` poolings, skip concatenation, widths ``base_width * 2**level``.

    Parameters
    ----------
    in_channels, num_classes : int
        Input channels and output classes (logits).
    base_width : int
        Channels of the first level (64 in the paper; 16-32 train well on a CPU).
    depth : int
        Number of 2x2 poolings (4 in the paper); the output stride is ``2**depth``.

    Examples
    --------
    >>> model = unet(in_channels=1, num_classes=2, base_width=4)
    >>> model.output_stride, tuple(model(torch.zeros(1, 1, 20, 20)).shape)
    (16, (1, 2, 20, 20))
    """
    widths = [base_width * 2**level for level in range(depth + 1)]
    net = EncoderDecoder(UNetEncoder(in_channels, widths), UNetDecoder(widths), nn.Conv2d(base_width, num_classes, 1))
    config = {"arch": "unet", "in_channels": in_channels, "num_classes": num_classes,
              "base_width": base_width, "depth": depth}
    return SegmentationModel(net, config=config, output_stride=2**depth)
