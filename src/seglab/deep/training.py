"""Training and exporting the model methods: ``seglab.train`` / ``seglab train`` and ``seglab.export`` / ``seglab export``.

Torch-free until called (the engine is :mod:`seglab.deep._torch`). Training
reads the data-set layout of ``seglab bench`` (:mod:`seglab.io.datasets`):
``DIR/images/[SPLIT/]`` and ``DIR/labels/[SPLIT/]`` with the same stems,
optional ``DIR/splits/SPLIT.txt``, or lists of stems (``train_list``,
``val_list``) for data sets without splits.

Examples
--------
>>> train("otsu", "data", "out.pt")
Traceback (most recent call last):
...
seglab.core.errors.InvalidParameterError: otsu is not a trainable model method; train one of: ...
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..core.errors import InvalidParameterError
from ..core.optional import require
from ..core.registry import get_method, list_methods

__all__ = ["train", "export", "trainable_methods"]


def trainable_methods() -> list[str]:
    """The model methods ``train`` accepts.

    Examples
    --------
    >>> "unet" in trainable_methods()
    True
    """
    from .instances import INSTANCE_METHODS
    from .semantic import ARCHITECTURES

    return [m.name for m in list_methods(family="deep") if m.name in ARCHITECTURES or m.name in INSTANCE_METHODS]


def _check(method: str) -> None:
    get_method(method)  # unknown names raise with a did-you-mean
    if method not in trainable_methods():
        raise InvalidParameterError(
            f"{method} is not a trainable model method; train one of: {', '.join(trainable_methods())}."
        )


def train(method: str, data: str | os.PathLike[str], out: str | os.PathLike[str], **options: Any) -> Any:
    """Train the network of `method` on the data set in `data`; write its best checkpoint to `out`.

    Parameters
    ----------
    method : str
        A model method (``cnn``, ``unet``, ``fcn``, ``segnet``, ``deeplab``, ``vit_seg``; the instance
        methods ``unet_instances`` and ``mask_rcnn``, which also read a COCO instance data set).
    data : path-like
        The data-set folder (see the module docstring).
    out : path-like
        The best checkpoint (``.pt``); the last one (``<stem>.last.pt``, for
        ``resume=True``), the CSV log and a PNG of the curves go beside it.
    **options
        The options of :func:`seglab.deep._torch.train.train` (instance methods:
        :func:`seglab.deep._torch.instances.train.train_instances`): ``model_config``
        (e.g. ``{"base_width": 32}``), ``split``/``val_split``,
        ``train_list``/``val_list``, ``label_map``, ``ignore_index``,
        ``num_classes``, ``classes``, ``crop_size``, ``batch_size``, ``epochs``,
        ``lr``, ``schedule``, ``loss``, ``class_weights``, ``augment``,
        ``device``, ``seed``, ``resume``, ``init`` (fine-tune: start from
        shipped weights by name, or a checkpoint file, instead of random weights),
        ``amp``, ``ema`` (validate and save the moving average of the weights)...

    Returns
    -------
    TrainResult
        The files written, the best epoch's validation figures and the time spent.

    Raises
    ------
    InvalidParameterError, InvalidImageError, FileNotFoundError
        Bad options, or data that cannot be used (one clear error naming the file).
    MissingDependencyError
        torch is not installed.
    """
    _check(method)
    written = training_outputs(out)
    inputs = [Path(data)] + ([Path(options["init"])] if options.get("init") is not None else [])
    for path in written:
        for given in inputs:
            if path.exists() and (path.resolve() == given.resolve() or given.resolve() in path.resolve().parents):
                raise InvalidParameterError(
                    f"out: training writes {path}, which would replace an input ({given}); choose another out."
                )
    require("torch", extra="torch", feature=f"seglab train {method}")
    from .instances import INSTANCE_METHODS

    if options.get("init") is not None:  # a shipped name or a checkpoint file
        from .inference import weights_path

        options["init"] = weights_path(method, os.fspath(options["init"]), get_method(method).weights, "init")

    if method in INSTANCE_METHODS:
        from ._torch.instances.train import train_instances

        return train_instances(method, data, out, **options)  # type: ignore[arg-type]
    from ._torch.train import train as run

    return run(method, data, out, **options)


def training_outputs(out: str | os.PathLike[str]) -> list[Path]:
    """The files a training run writes for `out`: the best checkpoint, ``<stem>.last.pt``, the CSV log, the curves.

    Examples
    --------
    >>> [p.name for p in training_outputs("runs/unet.pt")]
    ['unet.pt', 'unet.last.pt', 'unet.csv', 'unet.png']
    >>> training_outputs("runs/unet.png")
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: out: a checkpoint file ends in .pt; got runs/unet.png ...
    """
    best = Path(out)
    if best.suffix != ".pt":
        raise InvalidParameterError(f"out: a checkpoint file ends in .pt; got {best} (its log and curves are written "
                                    "beside it as <stem>.csv and <stem>.png).")
    return [best, *(best.with_name(best.stem + ending) for ending in (".last.pt", ".csv", ".png"))]


def export(method: str, weights: str | os.PathLike[str], out: str | os.PathLike[str], *, opset: int = 18) -> Path:
    """Write the network of a checkpoint (or shipped weights) as ONNX, for ``backend="onnxruntime"``.

    The file carries the class names and the input normalisation, so that
    ``seglab.segment(image, method, weights="model.onnx", backend="onnxruntime")``
    gives the same labels as the checkpoint.

    Returns
    -------
    Path

    Raises
    ------
    InvalidParameterError
        Unknown weights, or weights of another architecture.
    MissingDependencyError
        torch, onnx or onnxscript is not installed.
    """
    _check(method)
    from .instances import INSTANCE_METHODS

    if method in INSTANCE_METHODS:
        raise InvalidParameterError(f"seglab export writes semantic networks; {method} is not exported (its "
                                    "post-processing runs outside the network).")
    require("torch", extra="torch", feature=f"seglab export {method}")
    require("onnx", extra="onnx", feature=f"seglab export {method}")
    from ._torch.checkpoint import load_checkpoint
    from ._torch.export import export_onnx
    from .inference import weights_path

    spec = get_method(method)
    checkpoint = load_checkpoint(weights_path(method, os.fspath(weights), spec.weights), arch=method)
    out = Path(out)
    if out.suffix.lower() != ".onnx":
        raise InvalidParameterError(f"{out}: give an output file ending in .onnx.")
    return export_onnx(checkpoint.model, out, normalization=checkpoint.normalization, classes=checkpoint.classes,
                       opset=opset)
