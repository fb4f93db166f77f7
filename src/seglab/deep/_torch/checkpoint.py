"""Checkpoints: one ``.pt`` file that is all a model needs.

The file is a plain dict written by ``torch.save`` and read with
``torch.load(..., weights_only=True)`` (no pickled code runs on loading):

================  ====================================================================
``format``        ``"seglab-checkpoint"``; ``version`` (int)
``config``        the model's config: ``arch`` and the keywords that rebuild it
``classes``       class names, one per output channel
``normalization`` the input normalisation record (:mod:`.preprocess`)
``provenance``    how it was made: data, split, seed, steps, time, hardware, figures
``weights_dtype`` ``"float32"`` or ``"float16"`` (half the size; loaded back as float32)
``state_dict``    the weights
``train_state``   optional: optimiser, schedule, RNG and counters, for resuming
================  ====================================================================

Examples
--------
>>> import tempfile, pathlib, torch
>>> from seglab.deep._torch.models import build_model
>>> model = build_model("cnn", in_channels=1, num_classes=2, width=4)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.pt"
>>> _ = save_checkpoint(path, model, classes=("bg", "fg"),
...                     normalization={"kind": "percentile", "low": 1, "high": 99})
>>> ckpt = load_checkpoint(path, arch="cnn")
>>> ckpt.classes, ckpt.model.config == model.config
(('bg', 'fg'), True)
>>> load_checkpoint(path, arch="unet")
Traceback (most recent call last):
...
seglab.core.errors.CheckpointError: .../tiny.pt holds a 'cnn' model, not 'unet'; ...
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ...core.errors import CheckpointError, SeglabError
from .models import SegmentationModel, build_model
from .preprocess import check_normalization

__all__ = ["FORMAT", "VERSION", "Checkpoint", "save_checkpoint", "read_checkpoint", "load_checkpoint"]

FORMAT = "seglab-checkpoint"
VERSION = 1
_ZIP_MAGIC = b"PK\x03\x04"  # torch.save writes a zip archive


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: the model (in eval mode, on the CPU) and its records."""

    model: SegmentationModel
    classes: tuple[str, ...]
    normalization: dict[str, Any]
    provenance: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def save_checkpoint(path: str | os.PathLike[str], model: SegmentationModel, *,
                    normalization: Mapping[str, Any], classes: Sequence[str] | None = None,
                    provenance: Mapping[str, Any] | None = None, half: bool = False,
                    train_state: Mapping[str, Any] | None = None) -> Path:
    """Write `model` and its records to `path` (atomically: a temporary file, then a rename).

    Parameters
    ----------
    path : path-like
    model : SegmentationModel
    normalization : mapping
        The record :func:`seglab.deep._torch.predict.predict` applies to raw images.
    classes : sequence of str, optional
        One name per class (default ``class_0``, ``class_1``, ...).
    provenance : mapping, optional
        JSON-able facts about the training.
    half : bool
        Store floating-point weights as float16 (half the file size).
    train_state : mapping, optional
        Optimiser/schedule/RNG state for resuming.

    Returns
    -------
    Path
    """
    names = tuple(classes) if classes is not None else tuple(f"class_{i}" for i in range(model.num_classes))
    if len(names) != model.num_classes:
        raise CheckpointError(f"classes: {len(names)} names for a model with {model.num_classes} classes.")
    state = {k: (v.detach().to("cpu", torch.float16 if half else v.dtype) if v.is_floating_point()
                 else v.detach().cpu()) for k, v in model.state_dict().items()}
    payload: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "config": dict(model.config),
        "output_stride": model.output_stride,
        "classes": list(names),
        "normalization": check_normalization(normalization),
        "provenance": json.loads(json.dumps(dict(provenance or {}), default=str)),  # plain JSON types only
        "weights_dtype": "float16" if half else "float32",
        "state_dict": state,
    }
    if train_state is not None:
        payload["train_state"] = dict(train_state)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The raw checkpoint dict, after checking that `path` is a readable seglab checkpoint.

    Raises
    ------
    FileNotFoundError
        No such file.
    CheckpointError
        Not a PyTorch file, a corrupt or truncated one, not a seglab checkpoint,
        or one written by a newer seglab.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file.")
    with open(path, "rb") as f:
        magic = f.read(4)
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, UnpicklingError, EOFError... for bad files
        if magic != _ZIP_MAGIC:
            raise CheckpointError(f"{path} is not a seglab checkpoint (not a PyTorch file).") from None
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
        unsafe = next((line for line in lines if "Unsupported global" in line), None)
        if unsafe:
            raise CheckpointError(f"{path} holds objects that a safe load (weights_only=True) refuses: {unsafe}") from None
        raise CheckpointError(f"{path} is corrupt or truncated ({lines[0]}); copy or train it again.") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is a PyTorch file but not a seglab checkpoint (no format {FORMAT!r}); a bare state dict "
            "loads with model.load_state_dict(torch.load(path)) into a model from build_model or wrap_module."
        )
    version = raw.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise CheckpointError(f"{path}: its version field is {version!r}, not an integer; the file was edited or "
                              "is damaged: copy or train it again.")
    if version > VERSION:
        raise CheckpointError(f"{path} is checkpoint version {raw['version']}; this seglab reads up to "
                              f"{VERSION}: upgrade seglab.")
    missing = [k for k in ("config", "classes", "normalization", "state_dict") if k not in raw]
    if missing:
        raise CheckpointError(f"{path} is an incomplete seglab checkpoint: it lacks {', '.join(missing)}.")
    return raw


def _mismatch(model: SegmentationModel, state: Mapping[str, torch.Tensor]) -> str:
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}" for k, v in own.items()
              if k in state and state[k].shape != v.shape]
    parts = [f"{label}: {', '.join(items[:3])}{' ...' if len(items) > 3 else ''}"
             for label, items in (("missing", missing), ("unexpected", unexpected), ("shape", shapes)) if items]
    return "; ".join(parts)


def load_checkpoint(path: str | os.PathLike[str], *, arch: str | None = None,
                    model: SegmentationModel | None = None) -> Checkpoint:
    """Load a checkpoint, rebuilding its model from the stored config (or into `model`).

    Parameters
    ----------
    path : path-like
    arch : str, optional
        The architecture the caller expects; another one is an error.
    model : SegmentationModel, optional
        Load the weights into this model instead of building one (required for
        ``wrap_module`` models, whose code a checkpoint cannot hold).

    Returns
    -------
    Checkpoint
        Weights as float32, model in eval mode on the CPU.

    Raises
    ------
    FileNotFoundError, CheckpointError
        See :func:`read_checkpoint`; also another architecture than `arch`, or
        weights that do not fit the model.
    """
    raw = read_checkpoint(path)
    config = dict(raw["config"])
    found = config.get("arch")
    if arch is not None and found != arch:
        raise CheckpointError(f"{path} holds a {found!r} model, not {arch!r}; use it with {found!r} or pick a "
                              f"{arch!r} checkpoint.")
    if model is None:
        if found == "custom":
            raise CheckpointError(f"{path} holds a custom module ({config.get('name')!r}); load it with "
                                  "load_checkpoint(path, model=wrap_module(module, ...)).")
        try:
            model = build_model(str(found), **{k: v for k, v in config.items() if k != "arch"})
        except SeglabError as exc:
            raise CheckpointError(f"{path}: its config cannot rebuild the model ({exc}).") from None
    state = {k: v.float() if v.is_floating_point() else v for k, v in raw["state_dict"].items()}
    problem = _mismatch(model, state)
    if problem:
        raise CheckpointError(f"{path}: its weights do not fit the {model.arch!r} model ({problem}).")
    classes = raw["classes"]
    if (not isinstance(classes, (list, tuple)) or not all(isinstance(c, str) for c in classes)
            or len(classes) != model.num_classes):
        raise CheckpointError(f"{path}: its classes ({classes!r}) are not {model.num_classes} names, one per output "
                              "of its model; the file was edited or is damaged.")
    try:
        normalization = check_normalization(raw["normalization"])
    except SeglabError as exc:
        raise CheckpointError(f"{path}: its normalization record is unusable ({exc}).") from None
    model.load_state_dict(state)
    model.eval()
    return Checkpoint(model=model, classes=tuple(classes), normalization=normalization,
                      provenance=dict(raw.get("provenance", {})), path=Path(path))
