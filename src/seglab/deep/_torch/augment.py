"""Training augmentation with torchvision.transforms.v2, applied to image and mask together.

The image is a normalised float ``tv_tensors.Image``, the mask an int64
``tv_tensors.Mask``; geometric transforms move both (masks with nearest
neighbours), intensity transforms touch the image only. Pixels brought in
from outside the image are filled with :data:`.losses.IGNORE` in the mask, so
they are never learnt from.

Examples
--------
>>> import torch
>>> from torchvision import tv_tensors
>>> t = training_transform(Augmentation(elastic=2.0), crop_size=16, base_size=32)
>>> img, mask = t(tv_tensors.Image(torch.rand(1, 32, 32)), tv_tensors.Mask(torch.zeros(32, 32, dtype=torch.long)))
>>> tuple(img.shape), tuple(mask.shape), mask.dtype
((1, 16, 16), (16, 16), torch.int64)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torchvision import tv_tensors
from torchvision.transforms import v2
from torchvision.transforms.v2._utils import query_size

from ...core.errors import InvalidParameterError, did_you_mean
from .losses import IGNORE

__all__ = ["Augmentation", "RandomRot90", "IntensityJitter", "GridElastic", "training_transform"]


@dataclass(frozen=True)
class Augmentation:
    """Which augmentations run, and how strongly.

    Attributes
    ----------
    hflip, vflip : bool
        Random horizontal (left-right) and vertical (up-down) flips; keep `vflip`
        off for scenes with an up (street views).
    rot90 : bool
        Random turns by 0, 90, 180 or 270 degrees (square crops keep their shape).
    scale : (float, float)
        Range of the random zoom applied before cropping; (1, 1) turns it off.
    elastic : float
        Standard deviation, in pixels, of the random displacements of a smooth
        elastic deformation (the U-Net paper's key augmentation: 10 px on a 3x3
        grid); 0 turns it off.
    elastic_grid : int
        Control points per side of the crop; bicubic interpolation between them.
    jitter : float
        Strength of the random contrast and brightness change (and per-channel
        colour shift), in normalised units; 0 turns it off.
    """

    hflip: bool = True
    vflip: bool = True
    rot90: bool = True
    scale: tuple[float, float] = (0.8, 1.25)
    elastic: float = 0.0
    elastic_grid: int = 3
    jitter: float = 0.1

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> Augmentation:
        """Defaults overridden by `values` (unknown keys are an error)."""
        names = [f.name for f in fields(cls)]
        for key in values or {}:
            if key not in names:
                raise InvalidParameterError(f"augment: unknown key {key!r}.{did_you_mean(key, names)} "
                                            f"Keys: {', '.join(names)}.")
        merged = {**asdict(cls()), **dict(values or {})}
        merged["scale"] = tuple(float(s) for s in merged["scale"])
        if not 0 < merged["scale"][0] <= merged["scale"][1]:
            raise InvalidParameterError(f"augment: scale must be (low, high) with 0 < low <= high; got {merged['scale']}.")
        return cls(**merged)


class RandomRot90(v2.Transform):
    """Turn image and mask by the same random multiple of 90 degrees."""

    _transformed_types = (tv_tensors.Image, tv_tensors.Mask)

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return {"k": int(torch.randint(4, ()))}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return tv_tensors.wrap(torch.rot90(inpt, params["k"], (-2, -1)), like=inpt)


class IntensityJitter(v2.Transform):
    """``x * (1 + c) + b + s_ch`` with c, b ~ U(-strength, strength) and per-channel s_ch ~ U(-strength/2, strength/2).

    Works on normalised images of any channel count (torchvision's
    ``ColorJitter`` expects [0, 1] RGB and would clip normalised values).
    """

    _transformed_types = (tv_tensors.Image,)

    def __init__(self, strength: float) -> None:
        super().__init__()
        self.strength = float(strength)

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        channels = next(x.shape[-3] for x in flat_inputs if isinstance(x, tv_tensors.Image))
        c, b = ((torch.rand(2) * 2 - 1) * self.strength).tolist()
        shift = (torch.rand(channels, 1, 1) * 2 - 1) * self.strength / 2 if channels > 1 else torch.zeros(1, 1, 1)
        return {"gain": 1 + c, "offset": b, "shift": shift}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return tv_tensors.wrap(inpt * params["gain"] + params["offset"] + params["shift"], like=inpt)


class GridElastic(v2.ElasticTransform):
    """Elastic deformation as in the U-Net paper: Gaussian displacements on a coarse grid, bicubic in between.

    Reuses torchvision's elastic kernel; only the displacement field differs
    (torchvision blurs per-pixel noise, which costs ~0.3 s per 256x256 crop at
    the smoothness wanted here; this takes ~2 ms).
    """

    def __init__(self, displacement: float, grid: int, fill: Any) -> None:
        super().__init__(fill=fill)
        self.displacement = float(displacement)
        self.grid = int(grid)

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        field = torch.randn(1, 2, self.grid, self.grid) * self.displacement
        field = torch.nn.functional.interpolate(field, size=(height, width), mode="bicubic", align_corners=True)
        field = field * torch.tensor([2 / width, 2 / height]).view(1, 2, 1, 1)  # pixels -> [-1, 1] grid units
        return {"displacement": field.permute(0, 2, 3, 1)}


def training_transform(aug: Augmentation, *, crop_size: int, base_size: int) -> v2.Compose:
    """The transform pipeline: random zoom, random crop (padded if needed), flips, turns, elastic, jitter.

    `base_size` is the typical shorter side of the training images (the zoom is relative to it).
    """
    fill = {tv_tensors.Image: 0.0, tv_tensors.Mask: IGNORE}
    steps: list[v2.Transform] = []
    lo, hi = aug.scale
    if (lo, hi) != (1.0, 1.0):
        steps.append(v2.RandomResize(max(1, round(base_size * lo)), round(base_size * hi) + 1, antialias=True))
    steps.append(v2.RandomCrop(crop_size, pad_if_needed=True, fill=fill))
    if aug.hflip:
        steps.append(v2.RandomHorizontalFlip())
    if aug.vflip:
        steps.append(v2.RandomVerticalFlip())
    if aug.rot90:
        steps.append(RandomRot90())
    if aug.elastic > 0:
        steps.append(GridElastic(aug.elastic, aug.elastic_grid, fill))
    if aug.jitter > 0:
        steps.append(IntensityJitter(aug.jitter))
    return v2.Compose(steps)
