"""Architectures (one module each) and the private registry that builds them by name.

Every builder takes ``in_channels``, ``num_classes`` and its own keywords and
returns a :class:`SegmentationModel`; :func:`wrap_module` turns any other
PyTorch module into one.

Examples
--------
>>> import torch
>>> sorted(ARCHITECTURES)
['cnn', 'deeplab', 'fcn', 'segnet', 'unet', 'vit_seg']
>>> model = build_model("unet", in_channels=1, num_classes=2, base_width=4)
>>> model.config
{'arch': 'unet', 'in_channels': 1, 'num_classes': 2, 'base_width': 4, 'depth': 4}
>>> build_model("unet", in_channels=1, num_classes=2, base_widht=4)
Traceback (most recent call last):
...
seglab.core.errors.UnknownParameterError: unet takes no parameter 'base_widht'. Did you mean 'base_width'? ...
"""

from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from ....core.errors import InvalidParameterError, UnknownParameterError, did_you_mean
from .base import Builder, SegmentationModel
from .cnn import cnn
from .deeplab import deeplab
from .fcn import fcn
from .segnet import segnet
from .unet import unet
from .vit_seg import vit_seg

__all__ = ["ARCHITECTURES", "build_model", "wrap_module", "SegmentationModel"]

ARCHITECTURES: dict[str, Builder] = {
    "cnn": cnn,
    "unet": unet,
    "fcn": fcn,
    "segnet": segnet,
    "deeplab": deeplab,
    "vit_seg": vit_seg,
}


def _check_count(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidParameterError(f"{name}: must be an integer >= {minimum}; got {value!r}.")


def build_model(arch: str, *, in_channels: int, num_classes: int, **config: Any) -> SegmentationModel:
    """Build architecture `arch` with random weights (nothing is downloaded).

    Parameters
    ----------
    arch : str
        One of :data:`ARCHITECTURES`.
    in_channels : int
        Input channels (1 for gray, 3 for RGB, any other count).
    num_classes : int
        Output classes (>= 2); the model returns their logits.
    **config
        The architecture's keywords (see each builder's docstring).

    Returns
    -------
    SegmentationModel

    Raises
    ------
    InvalidParameterError
        Unknown architecture (with a did-you-mean), bad counts;
        :class:`UnknownParameterError` (also a ``TypeError``) for an unknown keyword.
    """
    if arch not in ARCHITECTURES:
        raise InvalidParameterError(
            f"arch: unknown architecture {arch!r}.{did_you_mean(arch, ARCHITECTURES)} "
            f"Known: {', '.join(ARCHITECTURES)}."
        )
    builder = ARCHITECTURES[arch]
    params = inspect.signature(builder).parameters
    for key, value in config.items():
        if key not in params or key in ("in_channels", "num_classes"):
            valid = [p for p in params if p not in ("in_channels", "num_classes")]
            raise UnknownParameterError(
                f"{arch} takes no parameter {key!r}.{did_you_mean(key, valid)} Its parameters: {', '.join(valid)}."
            )
        default = params[key].default
        if isinstance(default, int) and not isinstance(default, bool):
            _check_count(f"{arch} {key}", value, 1)
    _check_count("in_channels", in_channels, 1)
    _check_count("num_classes", num_classes, 2)
    return builder(in_channels=in_channels, num_classes=num_classes, **config)


def wrap_module(module: nn.Module, *, in_channels: int, num_classes: int, output_stride: int = 1,
                name: str = "custom") -> SegmentationModel:
    """Make any module mapping ``(N, C, H, W)`` to ``(N, K, H, W)`` logits a seglab model.

    The result trains, predicts (tiled, blended), saves and exports like a
    built-in architecture. Its checkpoint cannot rebuild the module, so load
    one with ``load_checkpoint(path, model=wrap_module(...))``.

    Parameters
    ----------
    module : nn.Module
        E.g. a segmentation_models_pytorch model (``activation=None``).
    in_channels, num_classes : int
    output_stride : int
        The multiple H and W must have (32 for most smp encoders).
    name : str
        Recorded as ``config["name"]``.

    Examples
    --------
    >>> import torch
    >>> model = wrap_module(torch.nn.Conv2d(3, 2, 3, padding=1), in_channels=3, num_classes=2)
    >>> model.config
    {'arch': 'custom', 'in_channels': 3, 'num_classes': 2, 'name': 'custom'}
    """
    _check_count("in_channels", in_channels, 1)
    _check_count("num_classes", num_classes, 2)
    _check_count("output_stride", output_stride, 1)
    config = {"arch": "custom", "in_channels": in_channels, "num_classes": num_classes, "name": name}
    return SegmentationModel(module, config=config, output_stride=output_stride)
