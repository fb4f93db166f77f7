"""torchvision backbones, always built with ``weights=None`` (nothing is downloaded).

A user who has one of torchvision's pretrained weight files locally passes
its path as ``backbone_weights``: it is loaded into the torchvision module
before the first convolution is adapted to ``in_channels`` (its RGB kernels
are summed for one channel and averaged and spread for other counts).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import torch
from torch import nn
from torchvision import models as tvm

from ....core.errors import InvalidParameterError, did_you_mean

__all__ = ["RESNETS", "resnet", "mobilenet_v3", "load_local_weights", "adapt_first_conv", "out_channels", "feature_strides",
           "check_choice"]

RESNETS: dict[str, Callable[..., tvm.ResNet]] = {
    "resnet18": tvm.resnet18,
    "resnet34": tvm.resnet34,
    "resnet50": tvm.resnet50,
}


def check_choice(name: str, value: str, choices: list[str]) -> None:
    """Raise :class:`InvalidParameterError` with a did-you-mean unless `value` is one of `choices`."""
    if value not in choices:
        raise InvalidParameterError(
            f"{name}: unknown value {value!r}.{did_you_mean(str(value), choices)} Choose one of {', '.join(choices)}."
        )


def load_local_weights(module: nn.Module, path: str | os.PathLike[str]) -> None:
    """Load a local torchvision state-dict file into `module` (classifier layers may be absent or extra)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"backbone_weights: {path}: no such file.") from None
    except Exception as exc:  # torch raises several types for files it cannot read
        raise InvalidParameterError(f"backbone_weights: {path} is not a readable PyTorch file ({exc}).") from None
    if not isinstance(state, dict):
        raise InvalidParameterError(f"backbone_weights: {path} holds a {type(state).__name__}, not a state dict.")
    own = module.state_dict()
    head = ("fc.", "classifier.", "heads.")  # classifier layers may be absent
    missing = [k for k in own if k not in state and not k.startswith(head)]
    unexpected = [k for k in state if k not in own]
    shapes = [k for k in state if k in own and state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        raise InvalidParameterError(
            f"backbone_weights: {path} does not fit this backbone: missing {missing[:3]}, "
            f"unexpected {unexpected[:3]}, other shapes {shapes[:3]}."
        )
    module.load_state_dict(state, strict=False)


def adapt_first_conv(conv: nn.Conv2d, in_channels: int) -> nn.Conv2d:
    """A copy of an RGB `conv` taking `in_channels` (kernels summed for 1, averaged and spread otherwise)."""
    if in_channels == conv.in_channels:
        return conv
    new = nn.Conv2d(in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                    conv.dilation, conv.groups, conv.bias is not None)
    with torch.no_grad():
        w = conv.weight
        new.weight.copy_(w.sum(1, keepdim=True) if in_channels == 1
                         else w.mean(1, keepdim=True).repeat(1, in_channels, 1, 1) * (w.shape[1] / in_channels))
        if conv.bias is not None:
            new.bias.copy_(conv.bias)
    return new


def out_channels(module: nn.Module) -> int:
    """Channels a torchvision stage puts out (its last BatchNorm's features)."""
    return [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)][-1].num_features


def _dilate(layer: nn.Module, dilation: int) -> None:
    """Turn a strided ResNet stage into a dilated one (stride 1, 3x3 convs dilated)."""
    for m in layer.modules():
        if isinstance(m, nn.Conv2d):
            m.stride = (1, 1)
            if m.kernel_size == (3, 3):
                m.dilation, m.padding = (dilation, dilation), (dilation, dilation)


def resnet(name: str, *, in_channels: int, weights: str | os.PathLike[str] | None = None,
           output_stride: int = 32) -> tvm.ResNet:
    """A torchvision ResNet; `output_stride` 16 or 8 dilates its last one or two stages."""
    check_choice("backbone", name, list(RESNETS))
    check_choice("output_stride", str(output_stride), ["8", "16", "32"])
    net = RESNETS[name](weights=None)
    if weights is not None:
        load_local_weights(net, weights)
    net.conv1 = adapt_first_conv(net.conv1, in_channels)
    if output_stride <= 16:
        _dilate(net.layer4, 2 if output_stride == 16 else 4)
    if output_stride == 8:
        _dilate(net.layer3, 2)
    return net


def mobilenet_v3(*, in_channels: int, weights: str | os.PathLike[str] | None = None, width_mult: float = 1.0,
                 output_stride: int = 16) -> nn.Sequential:
    """The ``features`` of torchvision's MobileNetV3-Large; `output_stride` 16 dilates the last stage."""
    check_choice("output_stride", str(output_stride), ["16", "32"])
    if not width_mult > 0:
        raise InvalidParameterError(f"width_mult: must be > 0; got {width_mult!r}.")
    net = tvm.mobilenet_v3_large(weights=None, width_mult=width_mult, dilated=output_stride == 16)
    if weights is not None:
        load_local_weights(net, weights)
    features = net.features
    features[0][0] = adapt_first_conv(features[0][0], in_channels)
    return features


def feature_strides(features: nn.Sequential, in_channels: int) -> list[int]:
    """The stride of each layer's output in a sequential backbone (one forward of a 64x64 zero image)."""
    was_training = features.training
    features.eval()
    strides = []
    with torch.no_grad():
        x = torch.zeros(1, in_channels, 64, 64)
        for layer in features:
            x = layer(x)
            strides.append(64 // x.shape[-1])
    features.train(was_training)
    return strides
