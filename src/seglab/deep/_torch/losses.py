"""Segmentation losses on logits ``(N, K, H, W)`` and int64 targets ``(N, H, W)``.

``"ce"`` (cross-entropy with optional class weights), ``"dice"`` (soft Dice,
mean over classes) and ``"focal"`` (Lin et al. 2017, gamma 2), and sums of
them written ``"ce+dice"``. Target pixels equal to ``ignore_index`` count in none.

Examples
--------
>>> import torch
>>> loss = build_loss("ce+dice", num_classes=2)
>>> target = torch.tensor([[[0, 1], [1, -100]]])
>>> perfect = torch.tensor([[[[9., -9.], [-9., 0.]], [[-9., 9.], [9., 0.]]]])
>>> round(float(loss(perfect, target)), 3)
0.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...core.errors import InvalidParameterError, did_you_mean

__all__ = ["IGNORE", "dice_loss", "focal_loss", "build_loss", "LOSSES"]

#: The target value of ignored pixels inside training (PyTorch's cross-entropy default).
IGNORE = -100
LOSSES = ("ce", "dice", "focal")


def dice_loss(logits: Tensor, target: Tensor, *, ignore_index: int = IGNORE, smooth: float = 1.0) -> Tensor:
    """1 - soft Dice of the softmax probabilities, per class over the batch, averaged over classes."""
    valid = (target != ignore_index).unsqueeze(1)
    probs = torch.softmax(logits, dim=1) * valid
    onehot = F.one_hot(target.clamp(min=0), logits.shape[1]).permute(0, 3, 1, 2).to(probs.dtype) * valid
    inter = (probs * onehot).sum(dim=(0, 2, 3))
    total = probs.sum(dim=(0, 2, 3)) + onehot.sum(dim=(0, 2, 3))
    return 1 - ((2 * inter + smooth) / (total + smooth)).mean()


def focal_loss(logits: Tensor, target: Tensor, *, weight: Tensor | None = None, ignore_index: int = IGNORE,
               gamma: float = 2.0) -> Tensor:
    """Mean over valid pixels of ``(1 - p_t)**gamma * CE`` (class-weighted CE when `weight` is given)."""
    ce = F.cross_entropy(logits, target, ignore_index=ignore_index, reduction="none")
    p_t = torch.exp(-ce)
    weighted = F.cross_entropy(logits, target, weight=weight, ignore_index=ignore_index, reduction="none")
    valid = target != ignore_index
    return ((1 - p_t) ** gamma * weighted)[valid].sum() / valid.sum().clamp(min=1)


class SegmentationLoss(nn.Module):
    """The sum of the named terms."""

    def __init__(self, terms: Sequence[str], weight: Tensor | None) -> None:
        super().__init__()
        self.terms = tuple(terms)
        self.register_buffer("weight", weight)

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        total = logits.new_zeros(())
        for term in self.terms:
            if term == "ce":
                total = total + F.cross_entropy(logits, target, weight=self.weight, ignore_index=IGNORE)
            elif term == "dice":
                total = total + dice_loss(logits, target)
            else:
                total = total + focal_loss(logits, target, weight=self.weight)
        return total


def build_loss(spec: str, *, num_classes: int, class_weights: Sequence[float] | None = None) -> SegmentationLoss:
    """Parse ``"ce"``, ``"ce+dice"``, ``"focal+dice"``... into a loss module.

    Raises
    ------
    InvalidParameterError
        An unknown term (with a did-you-mean) or a wrong number of class weights.
    """
    terms = [t.strip() for t in spec.split("+")]
    for t in terms:
        if t not in LOSSES:
            raise InvalidParameterError(f"loss: unknown term {t!r}.{did_you_mean(t, LOSSES)} "
                                        f"Terms: {', '.join(LOSSES)}, joined with '+'.")
    weight = None
    if class_weights is not None:
        if len(class_weights) != num_classes or not all(math.isfinite(w) and w >= 0 for w in class_weights):
            raise InvalidParameterError(
                f"class_weights: need {num_classes} finite non-negative values; got {list(class_weights)!r}."
            )
        weight = torch.tensor([float(w) for w in class_weights])
    return SegmentationLoss(terms, weight)
