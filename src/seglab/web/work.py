"""What the worker processes run: segment, compare, evaluate and preview, through the run service only.

Each task takes a picklable request naming uploads the server saved in its
private folder (:class:`Upload`: a path the server made, and the client's
file name, used only in messages and the sidecar), and returns plain data
with the encoded files. Parameters are parsed and checked by
:func:`seglab.run.prepare`, outputs encoded by :func:`seglab.run.encode`;
nothing here parses or encodes on its own. ``array`` parameters come only
from uploads.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> from seglab.io import write_labels
>>> path = pathlib.Path(tempfile.mkdtemp()) / "upload"
>>> _ = write_labels(path.with_suffix(".png"), np.array([[0, 9], [9, 9]], np.uint8))
>>> request = SegmentRequest(Upload(str(path.with_suffix(".png")), "a.png"), "otsu", outputs=("labels",), stem="a")
>>> out = segment(request)
>>> out["segments"], sorted(out["files"]), out["image"]
(1, ['a.labels.png'], {'height': 2, 'width': 2, 'channels': 1, 'dtype': 'uint8'})
"""

from __future__ import annotations

import functools
import signal
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..io import pixel_spacing
from ..io.guards import release_kept_files
from ..run import Outcome, encode, image_preview, labels_preview, prepare, preview_size, read_input, run_image
from ..run.outputs import SPACING_KINDS
from .runner import time_limit

__all__ = ["Upload", "SegmentRequest", "CompareRequest", "EvalRequest", "PreviewRequest", "segment", "compare",
           "evaluate", "preview", "init_worker"]


@dataclass(frozen=True)
class Upload:
    """A file the server saved: `path` in its private folder (server-made), `name` as the client sent it."""

    path: str
    name: str


@dataclass(frozen=True)
class SegmentRequest:
    """One image, one method: what ``POST /segment`` asks a worker to do."""

    image: Upload
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)  # text or JSON values, parsed by the run service
    arrays: Mapping[str, Upload] = field(default_factory=dict)  # ``array`` parameters, each an uploaded image
    mask: Upload | None = None
    outputs: tuple[str, ...] = ("labels",)
    as_task: str | None = None
    things: tuple[str | int, ...] | None = None
    page: int | None = None
    stem: str = "image"
    max_pixels: int | None = None
    preview_side: int = 0  # 0: no preview


@dataclass(frozen=True)
class CompareRequest:
    """One image, several methods, each within `timeout` seconds: ``POST /compare``."""

    image: Upload
    methods: tuple[str, ...]
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # method -> its parameters
    outputs: tuple[str, ...] = ("labels",)
    page: int | None = None
    stem: str = "image"
    max_pixels: int | None = None
    preview_side: int = 0
    timeout: float = 300.0


@dataclass(frozen=True)
class EvalRequest:
    """A prediction and its ground truth (label images, COCO instance JSON or BSDS .mat): ``POST /eval``."""

    prediction: Upload
    ground_truth: Upload
    task: str = "auto"
    num_classes: int | None = None
    ignore_index: int | None = -1
    nthresh: int = 99
    max_pixels: int | None = None


@dataclass(frozen=True)
class PreviewRequest:
    """An image to show: ``POST /preview``."""

    image: Upload
    page: int | None = None
    max_pixels: int | None = None
    preview_side: int = 1024


def init_worker() -> None:
    """Run once in each worker: leave Ctrl-C to the server, load the registry before the first job."""
    from ..core.registry import list_methods

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    list_methods()


def _read_arrays(arrays: Mapping[str, Upload], max_pixels: int | None) -> dict[str, Any]:
    from ..core.errors import InvalidImageError, InvalidParameterError

    out = {}
    for name, upload in arrays.items():
        try:
            out[name], _ = read_input(upload.path, max_pixels=max_pixels)
        except InvalidImageError as exc:
            raise InvalidParameterError(f"{name}: {_message(exc, upload)}") from None
    return out


def _message(exc: BaseException | Warning | str, *uploads: Upload) -> str:
    """The text on one line, the server's paths of `uploads` replaced by the client's file names."""
    text = str(exc)
    for upload in uploads:
        text = text.replace(upload.path, upload.name or "upload")
    return " ".join(text.split())


def _image_info(outcome_image: Any) -> dict[str, Any]:
    shape = outcome_image.shape
    return {"height": shape[0], "width": shape[1], "channels": shape[2] if len(shape) == 3 else 1,
            "dtype": str(outcome_image.dtype)}


def _read(upload: Upload, page: int | None, max_pixels: int | None) -> tuple[Any, tuple[str, ...]]:
    from ..core.errors import InvalidImageError

    try:
        image, notes = read_input(upload.path, page=page, max_pixels=max_pixels)
    except InvalidImageError as exc:
        raise InvalidImageError(_message(exc, upload)) from None
    return image, tuple(_message(n, upload) for n in notes)


def _result(outcome: Outcome, files: dict[str, bytes], preview_side: int) -> dict[str, Any]:
    from ..io import to_jsonable

    seg = outcome.seg
    out = {
        "method": seg.method, "task": seg.task, "params": to_jsonable(seg.params), "meta": to_jsonable(seg.meta),
        "classes": list(seg.classes), "segments": seg.num_segments, "seconds": outcome.seconds,
        "notes": list(outcome.notes), "files": files,
    }
    if preview_side:
        out["preview"] = {"size": preview_size(seg.labels.shape, preview_side),
                          "labels": labels_preview(seg.labels, preview_side)}
    return out


def _releasing_files(work: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    """`work` that lets go, when it ends, of the uploads the readers keep open for a next page (they are deleted)."""

    @functools.wraps(work)
    def run(request: Any) -> dict[str, Any]:
        try:
            return work(request)
        finally:
            release_kept_files()

    return run


@_releasing_files
def segment(request: SegmentRequest) -> dict[str, Any]:
    """Read, check, segment and encode one image; the result's summary and its files (name -> bytes)."""
    from ..run import read_mask

    arrays = _read_arrays(request.arrays, request.max_pixels)
    mask = None
    if request.mask is not None:
        mask = read_mask(_read_arrays({"mask": request.mask}, request.max_pixels)["mask"])
    job = prepare(request.method, arrays, text=request.params, outputs=request.outputs, as_task=request.as_task,
                  things=request.things, page=request.page, mask=mask)
    image, notes = _read(request.image, request.page, request.max_pixels)
    outcome = run_image(job, image, source=request.image.name, notes=notes,
                        pixel_spacing=pixel_spacing(request.image.path, page=request.page))
    out = _result(outcome, encode(job, outcome, request.stem), request.preview_side)
    return {**out, "image": _image_info(image)}


@_releasing_files
def compare(request: CompareRequest) -> dict[str, Any]:
    """Read the image once, then run each method within `timeout`; a failing method fails alone (its row says why).

    The server gives the whole comparison ``timeout * (len(methods) + 1)`` seconds, so the per-method
    limits are spent first.
    """
    from .errors import describe

    image, notes = _read(request.image, request.page, request.max_pixels)
    wanted = set(SPACING_KINDS) & set(request.outputs)
    spacing = pixel_spacing(request.image.path, page=request.page) if wanted else None
    results = []
    for method in request.methods:
        try:
            with time_limit(request.timeout):
                job = prepare(method, text=request.params.get(method, {}), outputs=request.outputs)
                outcome = run_image(job, image, source=request.image.name, pixel_spacing=spacing)
                files = encode(job, outcome, f"{request.stem}.{method}")
            results.append({**_result(outcome, files, request.preview_side), "status": 200})
        except Exception as exc:  # noqa: BLE001 - one method's failure is its row, the others go on
            status, kind, detail = describe(exc)
            results.append({"method": method, "status": status, "error": kind, "detail": detail})
    return {"image": _image_info(image), "notes": list(notes), "results": results}


def evaluate(request: EvalRequest) -> dict[str, Any]:
    """Score a prediction against its ground truth as ``seglab eval`` does; per-image rows and the summary."""
    from ..core.errors import InvalidImageError, SeglabError
    from ..evaluation.pairing import collect, pair
    from ..evaluation.scores import make_evaluator
    from ..evaluation.tasks import SAMPLE_IMAGES, choose_task
    from ..io import to_jsonable

    uploads = (request.prediction, request.ground_truth)
    truth = collect(request.ground_truth.path, max_pixels=request.max_pixels)
    predictions = collect(request.prediction.path, images=truth.images, max_pixels=request.max_pixels)
    pairing = pair(predictions, truth)
    problems = [f"{source}: {reason}" for source, reason in predictions.problems + truth.problems]
    if problems or not pairing.pairs:
        text = "; ".join(problems) or "the prediction and the ground truth name no common image (COCO files pair by file_name)."
        raise InvalidImageError(_message(InvalidImageError(text), *uploads))
    stems = {Path(u.path).stem: Path(u.name).stem for u in uploads}  # single files: named as the client named them
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            loaded = [(stems.get(p.stem, p.stem), p.gt.load(), p.pred.load()) for p in pairing.pairs]
            task, reason, label_map = request.task, "as asked", None
            if task == "auto":
                sample = [gt.labels for _, gt, _ in loaded[:SAMPLE_IMAGES] if gt.kind == "labels"]
                choice = choose_task({e.kind for e in truth.entries.values()},
                                     {e.kind for e in predictions.entries.values()}, request.num_classes, sample)
                task, reason, label_map = choice.task, choice.reason, choice.label_map or None
            evaluator = make_evaluator(task, num_classes=request.num_classes, ignore_index=request.ignore_index,
                                       label_map=label_map, nthresh=request.nthresh)
            rows = [{"image": stem, **evaluator.add(gt, pred)} for stem, gt, pred in loaded]
        except ValueError as exc:  # shapes that differ, a task the files do not fit, a truth that tells no task
            raise (type(exc) if isinstance(exc, SeglabError) else InvalidImageError)(_message(exc, *uploads)) from None
        summary = evaluator.summary()
    return to_jsonable({"task": task, "task_reason": reason, "summary": summary, "images": rows,
                        "unpaired": len(pairing.only_pred) + len(pairing.only_gt),
                        "notes": [_message(w.message, *uploads) for w in caught]})


@_releasing_files
def preview(request: PreviewRequest) -> dict[str, Any]:
    """The image's size and type, and a display PNG of it at most `preview_side` pixels a side."""
    image, notes = _read(request.image, request.page, request.max_pixels)
    return {"image": _image_info(image), "notes": list(notes),
            "preview": {"size": preview_size(image.shape, request.preview_side),
                        "image": image_preview(image, request.preview_side)}}
