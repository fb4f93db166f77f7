"""Instance checkpoints: the seglab checkpoint format (:mod:`seglab.deep._torch.checkpoint`) with an instance model.

The file's ``config`` names ``unet_instances`` or ``mask_rcnn`` and holds the
object diameter and default thresholds with the architecture; ``classes``
are the network's output classes (background, interior, boundary for
``unet_instances``; background and the object classes for ``mask_rcnn``);
``normalization`` records the per-image percentiles of :mod:`.images`.

Examples
--------
>>> import tempfile, pathlib
>>> from .models import build_instance_model
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.pt"
>>> _ = save_checkpoint(path, build_instance_model("unet_instances", base_width=4, depth=2),
...                     normalization=NORMALIZATION, classes=("background", "interior", "boundary"))
>>> load_instance_checkpoint(path, arch="unet_instances").model.config["diameter"]
24.0
>>> load_instance_checkpoint(path, arch="mask_rcnn")
Traceback (most recent call last):
...
seglab.core.errors.CheckpointError: .../tiny.pt holds a 'unet_instances' model, not 'mask_rcnn'; ...
"""

from __future__ import annotations

import os
from pathlib import Path

from ....core.errors import CheckpointError, SeglabError
from ..checkpoint import Checkpoint, read_checkpoint, save_checkpoint
from .images import PERCENTILES
from .models import build_instance_model

__all__ = ["NORMALIZATION", "load_instance_checkpoint", "save_checkpoint"]

#: The normalisation record of every instance checkpoint (applied by :func:`.images.gray_input`).
NORMALIZATION = {"kind": "percentile", "low": PERCENTILES[0], "high": PERCENTILES[1]}


def load_instance_checkpoint(path: str | os.PathLike[str], *, arch: str) -> Checkpoint:
    """Load an instance checkpoint of architecture `arch` (model in eval mode, float32, on the CPU).

    Raises
    ------
    FileNotFoundError, CheckpointError
        No such file, not a seglab checkpoint, another architecture, weights that do not fit.
    """
    raw = read_checkpoint(path)
    config = dict(raw["config"])
    found = config.pop("arch", None)
    if found != arch:
        raise CheckpointError(f"{path} holds a {found!r} model, not {arch!r}; use it with {found!r} or pick a "
                              f"{arch!r} checkpoint (seglab train {arch}).")
    try:
        model = build_instance_model(arch, **config)
    except (SeglabError, TypeError) as exc:
        raise CheckpointError(f"{path}: its config cannot rebuild the model ({exc}).") from None
    state = {k: v.float() if v.is_floating_point() else v for k, v in raw["state_dict"].items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise CheckpointError(f"{path}: its weights do not fit the {arch!r} model ({first}).") from None
    model.eval()
    return Checkpoint(model=model, classes=tuple(raw["classes"]), normalization=dict(raw["normalization"]),
                      provenance=dict(raw.get("provenance", {})), path=Path(path))
