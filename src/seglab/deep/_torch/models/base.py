"""The contract every model keeps: ``(N, C, H, W)`` float32 in, ``(N, K, H, W)`` logits out.

A :class:`SegmentationModel` holds the raw network in ``.net`` (which needs
H and W to be multiples of ``output_stride``) plus the JSON-able ``config``
that rebuilds it. Its ``forward`` pads any input to the stride and crops the
logits back, so a model never fails on an odd size (smp's most reported
error). :func:`seglab.deep._torch.predict.predict` pads with reflection
itself and calls ``.net`` directly, which is also what ONNX export traces.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch  # noqa: F401  (the doctests use it)
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["SegmentationModel", "EncoderDecoder", "pad_to_multiple", "conv_block", "fuse_batchnorm"]


def pad_to_multiple(x: Tensor, multiple: int) -> tuple[Tensor, tuple[int, int]]:
    """Pad the bottom and right of ``x`` to multiples of `multiple`; return it and the original (H, W).

    Reflection padding where the image is large enough, edge replication otherwise.

    Examples
    --------
    >>> padded, size = pad_to_multiple(torch.zeros(1, 1, 5, 7), 4)
    >>> tuple(padded.shape), size
    ((1, 1, 8, 8), (5, 7))
    """
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        mode = "reflect" if ph < h and pw < w else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x, (h, w)


def conv_block(in_channels: int, out_channels: int, n: int = 2) -> nn.Sequential:
    """`n` times 3x3 conv (same padding) + BatchNorm + ReLU."""
    from torchvision.ops import Conv2dNormActivation

    return nn.Sequential(*(
        Conv2dNormActivation(in_channels if i == 0 else out_channels, out_channels, kernel_size=3)
        for i in range(n)
    ))


def fuse_batchnorm(module: nn.Module) -> int:
    """Fold each BatchNorm2d that follows a Conv2d into the conv, in place; for inference.

    Pairs are found in ``nn.Sequential`` containers (adjacent children) and in
    torchvision's ResNet and its blocks (``convK`` then ``bnK``).

    The module must be in eval mode (the running statistics are folded); its
    outputs stay equal up to float rounding, and the BatchNorm layers become
    ``nn.Identity``. Returns how many pairs were folded. Never call it on a
    model that will be trained or saved.

    Examples
    --------
    >>> net = conv_block(1, 4).eval()
    >>> x = torch.randn(1, 1, 8, 8)
    >>> before = net(x)
    >>> fuse_batchnorm(net), bool(torch.allclose(net(x), before, atol=1e-5))
    (2, True)
    """
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

    if module.training:
        raise ValueError("fuse_batchnorm folds running statistics: call it on a model in eval mode.")
    folded = 0
    for parent in list(module.modules()):
        names = list(parent._modules)
        if isinstance(parent, nn.Sequential):  # a BatchNorm right after a conv
            pairs = list(zip(names, names[1:]))
        elif isinstance(parent, (BasicBlock, Bottleneck, ResNet)):  # torchvision applies bnK right after convK
            pairs = [(f"conv{k}", f"bn{k}") for k in "123" if f"conv{k}" in names and f"bn{k}" in names]
        else:
            continue
        for conv_name, bn_name in pairs:
            conv, bn = parent._modules[conv_name], parent._modules[bn_name]
            if type(conv) is nn.Conv2d and type(bn) is nn.BatchNorm2d and bn.track_running_stats:
                parent._modules[conv_name] = fuse_conv_bn_eval(conv, bn)
                parent._modules[bn_name] = nn.Identity()
                folded += 1
    return folded


class EncoderDecoder(nn.Module):
    """smp-style composition: ``head(decoder(encoder(x)))``, resized to the input size if smaller."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.head = head

    def forward(self, x: Tensor) -> Tensor:
        y = self.head(self.decoder(self.encoder(x)))
        if y.shape[-2:] != x.shape[-2:]:
            y = F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return y


class SegmentationModel(nn.Module):
    """A network with its rebuild recipe.

    Parameters
    ----------
    net : nn.Module
        Maps ``(N, in_channels, H, W)`` with H, W multiples of `output_stride`
        to ``(N, num_classes, H, W)`` logits.
    config : mapping
        JSON-able; ``config["arch"]`` names the architecture and the other
        entries are the keyword arguments that rebuild it with
        :func:`seglab.deep._torch.models.build_model`.
    output_stride : int
        The multiple that H and W are padded to.

    Examples
    --------
    >>> from seglab.deep._torch.models import build_model
    >>> model = build_model("cnn", in_channels=1, num_classes=3, width=4)
    >>> model.config["arch"], model.output_stride
    ('cnn', 8)
    >>> tuple(model(torch.zeros(2, 1, 13, 21)).shape)
    (2, 3, 13, 21)
    """

    def __init__(self, net: nn.Module, *, config: Mapping[str, Any], output_stride: int) -> None:
        super().__init__()
        self.net = net
        self.config: dict[str, Any] = dict(config)
        self.output_stride = int(output_stride)

    @property
    def arch(self) -> str:
        return str(self.config["arch"])

    @property
    def in_channels(self) -> int:
        return int(self.config["in_channels"])

    @property
    def num_classes(self) -> int:
        return int(self.config["num_classes"])

    def forward(self, x: Tensor) -> Tensor:
        padded, (h, w) = pad_to_multiple(x, self.output_stride)
        return self.net(padded)[..., :h, :w]


#: Builds a model from ``in_channels``, ``num_classes`` and architecture keywords.
Builder = Callable[..., SegmentationModel]
