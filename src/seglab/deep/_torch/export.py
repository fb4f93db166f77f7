"""ONNX export and the onnxruntime backend.

:func:`export_onnx` traces the raw network (``model.net``) with torch's
dynamo-based exporter, batch, height and width dynamic. Padding to the output
stride stays outside the graph: :func:`.predict.predict` pads and crops
around it for both backends. The model's config, classes and normalisation
record go into the file's ``seglab`` metadata, so an :class:`OnnxModel`
needs nothing else.

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> from seglab.deep._torch.models import build_model
>>> from seglab.deep._torch.predict import predict
>>> model = build_model("cnn", in_channels=1, num_classes=2, width=4)
>>> norm = {"kind": "percentile", "low": 1, "high": 99}
>>> path = export_onnx(model, pathlib.Path(tempfile.mkdtemp()) / "cnn.onnx", normalization=norm)
>>> onnx_model = OnnxModel(path)
>>> image = np.random.default_rng(0).integers(0, 255, (30, 41), dtype=np.uint8)
>>> bool((predict(onnx_model, image, normalization=onnx_model.normalization)[0]
...       == predict(model, image, normalization=norm)[0]).all())
True
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ...core.errors import CheckpointError, InvalidParameterError
from ...core.optional import require
from .models import SegmentationModel
from .preprocess import check_normalization

__all__ = ["export_onnx", "OnnxModel", "METADATA_KEY"]

METADATA_KEY = "seglab"


#: The oldest opset torch's ONNX exporter (dynamo) writes, and the default.
_OLDEST_OPSET = 18


def export_onnx(model: SegmentationModel, path: str | os.PathLike[str], *, normalization: Mapping[str, Any],
                classes: Sequence[str] | None = None, opset: int = 18) -> Path:
    """Write `model` as an ONNX file with dynamic batch, height and width.

    Parameters
    ----------
    model : SegmentationModel
    path : path-like
    normalization : mapping
        Stored in the metadata for :class:`OnnxModel`.
    classes : sequence of str, optional
        Stored in the metadata (default ``class_0``, ...).
    opset : int
        ONNX opset version.

    Returns
    -------
    Path

    Notes
    -----
    The graph expects H and W to be multiples of ``model.output_stride``;
    :func:`.predict.predict` pads to them.
    """
    onnx = require("onnx", extra="onnx")
    require("onnxscript", extra="onnx")
    newest = onnx.defs.onnx_opset_version()
    if not _OLDEST_OPSET <= opset <= newest:
        raise InvalidParameterError(f"opset: {opset} is outside what the exporter writes ({_OLDEST_OPSET} to "
                                    f"{newest}); the default, {_OLDEST_OPSET}, suits onnxruntime 1.14 and later.")
    path = Path(path)
    names = list(classes) if classes is not None else [f"class_{i}" for i in range(model.num_classes)]
    side = model.output_stride * max(2, -(-64 // model.output_stride))
    param = next(model.parameters(), None)
    example = torch.zeros(2, model.in_channels, side, side,
                          device=param.device if param is not None else "cpu")  # batch 2: a batch of 1 gets specialised
    dynamic = torch.export.Dim.DYNAMIC
    was_training = model.training
    model.eval()
    try:
        torch.onnx.export(model.net, (example,), path, input_names=["image"], output_names=["logits"],
                          dynamic_shapes=({0: dynamic, 2: dynamic, 3: dynamic},), opset_version=opset,
                          dynamo=True, verbose=False)
    finally:
        model.train(was_training)
    proto = onnx.load(path)  # the weights, which the exporter wrote beside it, too
    Path(f"{path}.data").unlink(missing_ok=True)  # saved inline below: the side file would only be left behind
    written = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), None)
    if written != opset:  # the exporter's conversion failed, printed why and kept its own opset
        path.unlink(missing_ok=True)
        raise InvalidParameterError(f"opset: the exporter could not convert this network to opset {opset} (it "
                                    f"wrote {written}); use the default, {_OLDEST_OPSET}.")
    meta = {"config": model.config, "output_stride": model.output_stride, "classes": names,
            "normalization": check_normalization(normalization)}
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(meta)
    onnx.save(proto, path)
    return path


class OnnxModel:
    """An exported model run by onnxruntime; :func:`.predict.predict` takes it like a PyTorch model.

    Parameters
    ----------
    path : path-like
        A file written by :func:`export_onnx`.
    providers : sequence of str, optional
        onnxruntime execution providers (default: CPU).

    Attributes
    ----------
    config, classes, normalization, in_channels, num_classes, output_stride
        From the file's metadata.
    """

    def __init__(self, path: str | os.PathLike[str], *, providers: Sequence[str] | None = None) -> None:
        ort = require("onnxruntime", extra="onnx")
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such ONNX file.")
        try:
            self.session = ort.InferenceSession(str(path), providers=list(providers or ["CPUExecutionProvider"]))
        except Exception as exc:  # onnxruntime raises its own exception types for unreadable models
            raise CheckpointError(f"{path} is not a readable ONNX model ({str(exc).splitlines()[0]}).") from None
        text = self.session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
        if text is None:
            raise CheckpointError(f"{path} is an ONNX model but not one exported by seglab (no {METADATA_KEY!r} "
                                  "metadata with its normalisation and classes).")
        meta = json.loads(text)
        self.path = path
        self.config: dict[str, Any] = meta["config"]
        self.classes: tuple[str, ...] = tuple(meta["classes"])
        self.normalization: dict[str, Any] = meta["normalization"]
        self.output_stride = int(meta["output_stride"])
        self.in_channels = int(self.config["in_channels"])
        self.num_classes = int(self.config["num_classes"])
        self._input = self.session.get_inputs()[0].name

    def __call__(self, x: Tensor) -> Tensor:
        """Logits of a padded float32 ``(N, C, H, W)`` batch."""
        return torch.from_numpy(self.session.run(None, {self._input: x.detach().cpu().contiguous().numpy()})[0])
