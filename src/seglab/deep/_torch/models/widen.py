"""Function-preserving widening of a trained U-Net (Net2WiderNet; Chen, Goodfellow & Shlens, ICLR 2016).

A wider U-Net starts from a trained narrower one and computes exactly the
same function: every channel of a layer is copied from a channel of the
trained layer (the first ones in order, the new ones drawn at random), its
BatchNorm statistics with it, and each consumer of a copied channel splits
that channel's weight among its copies. The split is random (shares drawn in
[0.5, 1.5] and scaled to sum to one) rather than equal, so that the copies
receive different gradients and grow apart when training goes on; equal
shares would keep them identical forever.

Examples
--------
>>> import torch
>>> from .unet import unet
>>> narrow = unet(in_channels=1, num_classes=2, base_width=4, depth=2).eval()
>>> wide = widen_unet(narrow, unet(in_channels=1, num_classes=2, base_width=6, depth=2)).eval()
>>> x = torch.randn(1, 1, 16, 16)
>>> torch.allclose(narrow(x), wide(x), atol=1e-5)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from ....core.errors import InvalidParameterError
from .base import SegmentationModel

__all__ = ["init_width", "widen_unet"]

#: Old channel each new channel copies, and the share of the old channel's outgoing weight that the copy carries.
Channels = tuple[Tensor, Tensor]


def _channels(old: int, new: int, generator: torch.Generator) -> Channels:
    """Copy the `old` channels in order, then draw the rest; random shares summing to one over each channel's copies."""
    source = torch.cat([torch.arange(old), torch.randint(old, (new - old,), generator=generator)])
    draw = 0.5 + torch.rand(new, generator=generator, dtype=torch.float64)
    total = torch.zeros(old, dtype=torch.float64).index_add_(0, source, draw)
    return source, (draw / total[source]).float()


def _identity(count: int) -> Channels:
    return torch.arange(count), torch.ones(count)


def _copy_conv(old: nn.Conv2d | nn.ConvTranspose2d, new: nn.Conv2d | nn.ConvTranspose2d, inputs: Channels,
               generator: torch.Generator, outputs: Channels | None = None) -> Channels:
    """Fill `new` from `old`: output channels copied (drawn unless given), inputs gathered and scaled by their share."""
    source_in, share_in = inputs
    transposed = isinstance(old, nn.ConvTranspose2d)
    out_dim = 1 if transposed else 0
    if outputs is None:
        outputs = _channels(old.weight.shape[out_dim], new.weight.shape[out_dim], generator)
    source_out = outputs[0]
    weight = old.weight.index_select(out_dim, source_out).index_select(1 - out_dim, source_in)
    shape = [1, 1, 1, 1]
    shape[1 - out_dim] = -1
    new.weight.copy_(weight * share_in.view(shape))
    if old.bias is not None:
        new.bias.copy_(old.bias[source_out])
    return outputs


def _copy_norm(old: nn.BatchNorm2d, new: nn.BatchNorm2d, source: Tensor) -> None:
    for name in ("weight", "bias", "running_mean", "running_var"):
        getattr(new, name).copy_(getattr(old, name)[source])
    new.num_batches_tracked.copy_(old.num_batches_tracked)


def _copy_block(old: nn.Sequential, new: nn.Sequential, inputs: Channels, generator: torch.Generator) -> Channels:
    """The conv + BatchNorm + ReLU layers of one :func:`~.base.conv_block`."""
    for old_layer, new_layer in zip(old, new):
        inputs = _copy_conv(old_layer[0], new_layer[0], inputs, generator)
        _copy_norm(old_layer[1], new_layer[1], inputs[0])
    return inputs


def _check(narrow: SegmentationModel, wide: SegmentationModel) -> None:
    a, b = narrow.config, wide.config
    if a.get("arch") not in ("unet", "unet_instances") or b.get("arch") != a.get("arch"):
        raise InvalidParameterError(f"widening: needs two U-Nets of one architecture; got {a.get('arch')!r} and "
                                    f"{b.get('arch')!r}.")
    same = [k for k in ("in_channels", "num_classes", "depth") if a.get(k) != b.get(k)]
    if same:
        raise InvalidParameterError(f"widening: the two U-Nets differ in {', '.join(same)}; only base_width may "
                                    "change.")
    if b["base_width"] < a["base_width"]:
        raise InvalidParameterError(f"widening: base_width can only grow ({a['base_width']} -> "
                                    f"{b['base_width']} asked); train the narrower network from scratch instead.")


def init_width(model_config: Mapping[str, Any] | None, arch: str) -> int | None:
    """The base width asked with an init checkpoint: None for no config; refuses any other option.

    >>> init_width({"base_width": 24}, "unet"), init_width(None, "unet")
    (24, None)
    >>> init_width({"depth": 5}, "unet")
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: init: the architecture comes from the init checkpoint; ...
    """
    if not model_config:
        return None
    width = model_config.get("base_width")
    if set(model_config) != {"base_width"} or arch not in ("unet", "unet_instances"):
        raise InvalidParameterError("init: the architecture comes from the init checkpoint; give no model_config "
                                    "with it, except a larger base_width for a U-Net (widened so that it starts "
                                    "computing what the checkpoint computes).")
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise InvalidParameterError(f"base_width: must be a positive integer; got {width!r}.")
    return width


def widen_unet(narrow: SegmentationModel, wide: SegmentationModel, *, seed: int = 0) -> SegmentationModel:
    """Overwrite the weights of `wide` so that it computes what `narrow` computes; returns `wide`.

    Parameters
    ----------
    narrow : SegmentationModel
        A trained ``unet`` or ``unet_instances``.
    wide : SegmentationModel
        The same architecture with a base width at least as large (its
        random weights are replaced).
    seed : int
        Seeds the channels drawn for copying and the shares.

    Raises
    ------
    InvalidParameterError
        Not two U-Nets of one architecture, other differences than the base
        width, or a narrower `wide`.
    """
    _check(narrow, wide)
    generator = torch.Generator().manual_seed(seed)
    old, new = narrow.net, wide.net
    with torch.no_grad():
        channels = _identity(narrow.in_channels)
        skips = []
        for old_block, new_block in zip(old.encoder.blocks, new.encoder.blocks):
            channels = _copy_block(old_block, new_block, channels, generator)
            skips.append(channels)
        for old_up, new_up, old_block, new_block, skip in zip(old.decoder.ups, new.decoder.ups, old.decoder.blocks,
                                                              new.decoder.blocks, skips[-2::-1]):
            up = _copy_conv(old_up, new_up, channels, generator)
            offset = old_up.weight.shape[1]  # the old skip's channels come first in the concatenation
            joined = (torch.cat([skip[0], up[0] + offset]), torch.cat([skip[1], up[1]]))
            channels = _copy_block(old_block, new_block, joined, generator)
        _copy_conv(old.head, new.head, channels, generator, outputs=_identity(narrow.num_classes))
    return wide
