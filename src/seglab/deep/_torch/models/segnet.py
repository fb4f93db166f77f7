"""SegNet (Badrinarayanan, Kendall and Cipolla, TPAMI 2017).

A VGG-16-like encoder (2, 2, 3, 3, 3 conv+BN+ReLU per level) whose 2x2 max
poolings keep their indices; the mirrored decoder upsamples with
``MaxUnpool2d`` at those indices (no learned upsampling, no skip features).
"""

from __future__ import annotations

from torch import Tensor, nn

from .base import EncoderDecoder, SegmentationModel, conv_block

__all__ = ["segnet"]


class SegNetEncoder(nn.Module):
    def __init__(self, in_channels: int, widths: list[int], convs: list[int]) -> None:
        super().__init__()
        chans = [in_channels, *widths]
        self.blocks = nn.ModuleList(conv_block(chans[i], chans[i + 1], n) for i, n in enumerate(convs))
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)

    def forward(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        indices = []
        for block in self.blocks:
            x, idx = self.pool(block(x))
            indices.append(idx)
        return x, indices


class SegNetDecoder(nn.Module):
    def __init__(self, widths: list[int], convs: list[int]) -> None:
        super().__init__()
        outs = [widths[0], *widths[:-1]]  # each level ends at the width of the level above
        self.blocks = nn.ModuleList(
            nn.Sequential(conv_block(w, w, n - 1), conv_block(w, o, 1)) if n > 1 else conv_block(w, o, 1)
            for w, o, n in zip(widths, outs, convs)
        )
        self.unpool = nn.MaxUnpool2d(2, 2)

    def forward(self, encoded: tuple[Tensor, list[Tensor]]) -> Tensor:
        x, indices = encoded
        for block, idx in zip(self.blocks[::-1], indices[::-1]):
            x = block(self.unpool(x, idx))
        return x


def segnet(*, in_channels: int, num_classes: int, base_width: int = 64, depth: int = 5) -> SegmentationModel:
    """SegNet with `depth` pool/unpool levels; widths ``min(base_width * 2**level, 8 * base_width)``.

    Output stride ``2**depth``. The defaults are the paper's VGG-16 widths (64 ... 512).

    Examples
    --------
    >>> import torch
    >>> model = segnet(in_channels=3, num_classes=2, base_width=4, depth=3)
    >>> tuple(model(torch.zeros(1, 3, 17, 30)).shape)
    (1, 2, 17, 30)
    """
    widths = [min(base_width * 2**level, 8 * base_width) for level in range(depth)]
    convs = [2 if level < 2 else 3 for level in range(depth)]
    net = EncoderDecoder(SegNetEncoder(in_channels, widths, convs), SegNetDecoder(widths, convs),
                         nn.Conv2d(widths[0], num_classes, 1))
    config = {"arch": "segnet", "in_channels": in_channels, "num_classes": num_classes,
              "base_width": base_width, "depth": depth}
    return SegmentationModel(net, config=config, output_stride=2**depth)
