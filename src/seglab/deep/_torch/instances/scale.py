"""Objects seen at the size the network learnt them: a first pass measures them, a second runs at that scale.

Nuclei in microscopy images range from a few pixels to a hundred; a network
trained on objects of one diameter (the model's ``diameter``) does best when
each image is zoomed so that its objects have that size (as Cellpose does).
Given the diameter, one pass suffices; without it the image is first
segmented as it is, the median diameter of what was found sets the zoom, and
the image is segmented again, until the zoom changes by less than 25 %
(three passes at most).

Examples
--------
>>> calls = []
>>> def segment_at(factor):   # a perfect network: one 42 x 42 object (diameter 47.4) at any zoom
...     calls.append(factor)
...     labels = np.zeros((100, 100), np.int32); labels[10:52, 10:52] = 1
...     return labels, None
>>> choice, _ = at_object_scale(segment_at, model_diameter=21.0, diameter=None)
>>> [round(f, 2) for f in calls], choice.passes
([1.0, 0.44], 2)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from .targets import median_diameter

__all__ = ["MAX_FACTOR", "MIN_FACTOR", "TOLERANCE", "ScaleChoice", "at_object_scale"]

#: The zoom stays within these bounds (objects of 6 to 200 pixels reach a 24-pixel model).
MIN_FACTOR, MAX_FACTOR = 1 / 8, 4.0
#: Passes stop once the measured zoom is within this ratio of the current one.
TOLERANCE = 1.25
_MAX_PASSES = 3

T = TypeVar("T")


@dataclass(frozen=True)
class ScaleChoice:
    """The zoom an image was segmented at, how it was found, and the objects' median diameter there."""

    factor: float
    passes: int
    diameter: float | None  # the median object diameter found, in the image's pixels
    given: bool  # the caller gave the diameter

    def to_json(self) -> dict[str, Any]:
        return {"factor": round(self.factor, 4), "passes": self.passes,
                "diameter": None if self.diameter is None else round(self.diameter, 2), "given": self.given}


def _clamp(factor: float) -> float:
    return min(MAX_FACTOR, max(MIN_FACTOR, factor))


def at_object_scale(segment_at: Callable[[float], tuple[NDArray[np.int32], T]], *, model_diameter: float,
                    diameter: float | None) -> tuple[ScaleChoice, tuple[NDArray[np.int32], T]]:
    """Run ``segment_at(factor)`` at the zoom that gives the objects the model's diameter.

    Parameters
    ----------
    segment_at : callable
        ``segment_at(factor)`` segments the image zoomed by `factor` and
        returns its labels at the image's own size, plus anything else.
    model_diameter : float
        The object diameter the network was trained at, in its pixels.
    diameter : float or None
        The objects' typical diameter in the image's pixels, if known.

    Returns
    -------
    choice : ScaleChoice
    result : tuple
        What the chosen pass of `segment_at` returned.
    """
    if diameter is not None:
        factor = _clamp(model_diameter / diameter)
        result = segment_at(factor)
        return ScaleChoice(factor, 1, median_diameter(result[0]), True), result
    factor = 1.0
    for passes in range(1, _MAX_PASSES + 1):
        result = segment_at(factor)
        found = median_diameter(result[0])
        if found is None:
            return ScaleChoice(factor, passes, None, False), result
        wanted = _clamp(model_diameter / found)
        if passes == _MAX_PASSES or abs(math.log(wanted / factor)) <= math.log(TOLERANCE):
            return ScaleChoice(factor, passes, found, False), result
        factor = wanted
    raise AssertionError("unreachable")  # pragma: no cover
