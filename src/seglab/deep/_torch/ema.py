"""An exponential moving average of a model's weights, for validation and the saved checkpoints.

The weights of the last steps of a training wander with the noise of their
batches; their running average is a smoother model that usually scores as
well or better on unseen images, and makes the validation curve less noisy
(Polyak averaging; timm's ``ModelEmaV2``). After every optimiser step

    ``average = d * average + (1 - d) * weights``,  ``d = min(decay, (1 + t) / (10 + t))``

at update ``t = 0, 1, ...``: the warm-up of ``d`` keeps the random weights of
the start from lingering in the average of a short training. Floating-point
buffers (BatchNorm statistics) are averaged the same way; integer buffers
(batch counters) are copied.

Examples
--------
>>> import torch
>>> live = torch.nn.Linear(1, 1, bias=False)
>>> _ = torch.nn.init.constant_(live.weight, 0.0)
>>> ema = WeightAverage(live, decay=0.9)
>>> _ = torch.nn.init.constant_(live.weight, 1.0)
>>> ema.update(live)          # t = 0: d = min(0.9, 1 / 10) = 0.1, so 0.1 * 0 + 0.9 * 1
>>> round(float(ema.model.weight), 4)
0.9
>>> ema.update(live)          # t = 1: d = 2 / 11, so 0.9 * 2 / 11 + 1 * 9 / 11
>>> round(float(ema.model.weight), 4)
0.9818
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from ...core.errors import InvalidParameterError

__all__ = ["WeightAverage", "check_decay"]


def check_decay(decay: float | None) -> float | None:
    """`decay` if it is None or a number in (0, 1); otherwise a clear error."""
    if decay is None:
        return None
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0.0 < decay < 1.0:
        raise InvalidParameterError(f"ema: the decay of the weight average must be a number in (0, 1), e.g. "
                                    f"0.999 (about the last 1000 steps), or None for no average; got {decay!r}.")
    return float(decay)


class WeightAverage:
    """The running average of `model`'s weights (a copy of it, never trained itself).

    Parameters
    ----------
    model : torch.nn.Module
        The model being trained; the average starts as a copy of it.
    decay : float
        In (0, 1): the weight of the old average at each update, after the warm-up.
    """

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        self.decay = check_decay(decay)
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.updates = 0

    def current_decay(self) -> float:
        """``min(decay, (1 + t) / (10 + t))`` for the next update ``t``."""
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        """Move the average towards `model`'s current weights and buffers."""
        d = self.current_decay()
        averaged, current = [], []
        for mine, theirs in zip(self.model.state_dict().values(), model.state_dict().values(), strict=True):
            if mine.is_floating_point():
                averaged.append(mine)
                current.append(theirs.detach().to(mine.dtype))
            else:
                mine.copy_(theirs)
        torch._foreach_lerp_(averaged, current, 1.0 - d)
        self.updates += 1

    def state_dict(self) -> dict[str, Any]:
        """What resuming needs: the averaged weights and the number of updates."""
        return {"weights": self.model.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["weights"])
        self.updates = int(state["updates"])
