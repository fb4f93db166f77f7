"""Checks of the training options both trainers share (semantic and instance), one clear error each.

Examples
--------
>>> check_training_options(crop_size=256, batch_size=4, epochs=10, lr=1e-3, weight_decay=1e-4, schedule="cosine")
>>> check_training_options(crop_size=256, batch_size=4, epochs=10, lr=float("nan"), weight_decay=0.0,
...                        schedule="cosine")
Traceback (most recent call last):
...
seglab.core.errors.InvalidParameterError: lr: must be a finite number >= 0, e.g. 1e-3; got nan.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ...core.errors import InvalidParameterError

__all__ = ["check_training_options", "check_resumable"]

#: The options that shape a run's schedule: a resumed run must keep them (its optimiser and scheduler state do).
RESUMED_OPTIONS = ("epochs", "steps_per_epoch", "batch_size", "crop_size", "lr", "weight_decay", "schedule")


def check_training_options(*, crop_size: int, batch_size: int, epochs: int, lr: float | None, weight_decay: float,
                           schedule: str) -> None:
    """Raise :class:`InvalidParameterError` for the first option out of range (`lr` None: the trainer's default)."""
    for name, value in (("crop_size", crop_size), ("batch_size", batch_size), ("epochs", epochs)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidParameterError(f"{name}: must be a positive integer; got {value!r}.")
    if lr is not None and not (_number(lr) and math.isfinite(lr) and lr >= 0):  # 0: weights kept (BN, tests)
        raise InvalidParameterError(f"lr: must be a finite number >= 0, e.g. 1e-3; got {lr!r}.")
    if not (_number(weight_decay) and math.isfinite(weight_decay) and weight_decay >= 0):
        raise InvalidParameterError(f"weight_decay: must be a finite number >= 0, e.g. 1e-4; got {weight_decay!r}.")
    if schedule not in ("cosine", "poly", "constant"):
        raise InvalidParameterError(f"schedule: must be 'cosine', 'poly' or 'constant'; got {schedule!r}.")


def check_resumable(path: object, recorded: Mapping[str, Any], asked: Mapping[str, Any]) -> None:
    """Refuse to resume the run recorded in `path` with options that differ from its own.

    The optimiser and learning-rate schedule restored from the last checkpoint
    follow the recorded options; a new rate or epoch count would be silently
    ignored (or half applied). Options the record lacks are not compared.

    >>> check_resumable("a.last.pt", {"lr": 1e-3, "epochs": 2}, {"lr": 1e-3, "epochs": 2})
    >>> check_resumable("a.last.pt", {"lr": 1e-3, "epochs": 2}, {"lr": 0.5, "epochs": 4})
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: resume: a.last.pt was trained with epochs=2, lr=0.001; this run asks ...
    """
    differ = [k for k in RESUMED_OPTIONS if k in recorded and k in asked and recorded[k] != asked[k]]
    if differ:
        was = ", ".join(f"{k}={recorded[k]!r}" for k in differ)
        now = ", ".join(f"{k}={asked[k]!r}" for k in differ)
        raise InvalidParameterError(
            f"resume: {path} was trained with {was}; this run asks {now}. Give the same options to continue it, "
            "or start a new run (without resume; command line: --overwrite)."
        )


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
