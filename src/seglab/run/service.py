"""The run service: read, segment, convert and encode, shared by the CLI, ``seglab bench`` and the web server.

A :class:`Job` is a method with its parameters checked once, before any file
is read (:func:`prepare`): the schema, the method's own rules, the output
kinds and the task conversion. Then each image goes through
:func:`segment_image` (:func:`run_image` times it and keeps its warnings as
notes; :func:`run_file` also reads a file), and
:func:`encode` turns the outcome into the chosen output files;
:func:`process_file` does all of it for one input and writes the files
together (all or none).

Examples
--------
>>> import numpy as np
>>> job = prepare("adaptive", text={"window_size": "5"}, outputs=("labels",))
>>> image = np.zeros((8, 8), np.uint8); image[2:6, 2:6] = 200
>>> segment_image(job, image).labels.sum()
np.int64(16)
>>> prepare("adaptive", text={"window_size": "4"})
Traceback (most recent call last):
...
seglab.core.errors.InvalidParameterError: adaptive: window_size: must be odd so that the window is centred ...
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidParameterError
from ..core.params_text import parse_value
from ..core.registry import MethodSpec, describe_value, get_method
from ..core.types import TASKS, Segmentation
from .outputs import OUTPUT_KINDS, SPACING_KINDS, Outcome, encode_outputs, output_names, parse_outputs

__all__ = ["Job", "prepare", "read_input", "read_mask", "segment_image", "run_image", "run_file", "encode",
           "process_file", "outputs_complete", "one_line"]


@dataclass(frozen=True)
class Job:
    """A method and everything about how to run it, checked once for a whole batch.

    Attributes
    ----------
    method : MethodSpec
    params : mapping
        The parameters given, validated (defaults are the method's own).
    outputs : tuple of str
        Output kinds (see :data:`seglab.run.outputs.OUTPUT_KINDS`).
    as_task : str or None
        Convert each result to this task (:func:`seglab.modes.convert`).
    things : tuple or None
        With `as_task` instance/panoptic: the classes to split into objects.
    page : int or None
        Page of multi-page inputs (TIFF pages, DICOM and video frames, NIfTI slices).
    mask : (H, W) ndarray of bool or None
        Pixels outside it get label 0.
    min_size, fill_holes : int, bool
        With `as_task` instance: drop instances smaller than `min_size` pixels,
        fill holes enclosed by one instance.
    overlay_alpha, overlay_style : float, str
        How the overlay output is drawn: tint opacity in [0, 1], ``"fill"`` or ``"contour"``.
    state : object or None
        A state of the (global) method fitted elsewhere, on all the pages of a volume
        (:mod:`seglab.run.stacks`): applied to each image instead of a fit on it alone.
    fit : mapping or None
        What `state` was fitted on; recorded in each result's ``meta["fit"]``.
    """

    method: MethodSpec
    params: Mapping[str, Any] = field(default_factory=dict)
    outputs: tuple[str, ...] = ("labels", "json")
    as_task: str | None = None
    things: tuple[str | int, ...] | None = None
    page: int | None = None
    mask: NDArray[np.bool_] | None = field(default=None, repr=False)
    min_size: int = 0
    fill_holes: bool = False
    overlay_alpha: float = 0.4
    overlay_style: str = "fill"
    state: Any = field(default=None, repr=False)
    fit: Mapping[str, Any] | None = None

    @property
    def task(self) -> str:
        """The task of the results this job produces."""
        return self.as_task or self.method.task


def one_line(exc: BaseException, source: str = "") -> str:
    """An exception's message on one line, without a leading repeat of `source`.

    Examples
    --------
    >>> one_line(ValueError("a.png: bad\\n  file"), "a.png")
    'bad file'
    """
    text = " ".join(str(exc).split())
    return text.removeprefix(f"{source}: ").removeprefix(f"{source} ") if source else text


def prepare(
    method: str | MethodSpec,
    params: Mapping[str, Any] | None = None,
    *,
    text: Mapping[str, Any] | None = None,
    outputs: str | Sequence[str] = ("labels", "json"),
    as_task: str | None = None,
    things: Sequence[str | int] | None = None,
    page: int | None = None,
    mask: NDArray[Any] | None = None,
    min_size: int = 0,
    fill_holes: bool = False,
    overlay_alpha: float = 0.4,
    overlay_style: str = "fill",
    name_of: Callable[[str], str] = str,
) -> Job:
    """Check everything about a run that holds for every image; return the :class:`Job`.

    Parameters
    ----------
    method : str or MethodSpec
        A registered method.
    params : mapping, optional
        Parameter values (Python objects).
    text : mapping, optional
        Parameter values as text (command line, web form), parsed by
        :func:`seglab.core.params_text.parse_value`; ``array`` parameters name image files.
    outputs : str or sequence of str
        Output kinds, e.g. ``"labels,overlay"``.
    as_task : {"semantic", "instance", "panoptic"}, optional
        Convert each result first.
    things : sequence of str or int, optional
        Object classes of `as_task` instance/panoptic.
    page : int, optional
        Page of multi-page inputs.
    mask : ndarray, optional
        A mask image; non-zero (any channel) is inside.
    min_size, fill_holes : int, bool
        Clean the instances of ``as_task="instance"`` (see :func:`seglab.modes.to_instance`).
    overlay_alpha, overlay_style : float, str
        How the overlay output is drawn (see :func:`seglab.io.overlay`).
    name_of : callable
        How a parameter is named in messages (the CLI passes its flag names).

    Raises
    ------
    UnknownMethodError, UnknownParameterError, InvalidParameterError
        Naming the parameter or option and the fix.
    MissingDependencyError
        The method needs an optional package that is not installed.
    """
    from ..io import read_image

    spec = get_method(method) if isinstance(method, str) else method
    spec.require()
    values = dict(params or {})
    for name, raw in (text or {}).items():
        values[name] = parse_value(spec.param(name), raw, where=name_of(name), read_array=read_image)
    given = spec.validate_params(values, complete=False)
    kinds = parse_outputs(outputs)
    if as_task is not None and as_task not in TASKS:
        raise InvalidParameterError(f"as_task={as_task!r}: choose one of {', '.join(TASKS)}.")
    if things is not None and as_task not in ("instance", "panoptic"):
        raise InvalidParameterError(
            "things chooses the object classes of a conversion to instance or panoptic; set as_task too "
            "(command line: --as instance or --as panoptic)."
        )
    task = as_task or spec.task
    for kind in kinds:
        if OUTPUT_KINDS[kind].lists_segments and task == "semantic":
            raise InvalidParameterError(
                f"the {kind} output lists segments, but {spec.name} is a semantic method; convert with "
                f"as_task={'instance' if kind == 'coco' else 'panoptic'} (command line: --as ...), drop {kind}, "
                "or use an instance method (see `seglab methods`)."
            )
    if (min_size > 1 or fill_holes) and as_task != "instance":
        raise InvalidParameterError(
            "min_size and fill_holes clean the instances of a conversion to instance; set as_task='instance' "
            "(command line: --as instance)."
        )
    if min_size < 0:
        raise InvalidParameterError(f"min_size must be >= 0; got {min_size}.")
    if not 0.0 <= overlay_alpha <= 1.0:
        raise InvalidParameterError(f"overlay_alpha must lie in [0, 1]; got {overlay_alpha}.")
    if overlay_style not in ("fill", "contour"):
        raise InvalidParameterError(f"overlay_style must be 'fill' or 'contour'; got {overlay_style!r}.")
    if mask is not None and not spec.takes_mask:
        raise InvalidParameterError(f"{spec.name} takes no mask.")
    return Job(spec, given, kinds, as_task, None if things is None else tuple(things), page,
               None if mask is None else read_mask(mask), min_size, fill_holes, overlay_alpha, overlay_style)


def read_mask(mask: Any) -> NDArray[np.bool_]:
    """A mask from an array or an image file: non-zero (in any channel) is inside.

    Examples
    --------
    >>> read_mask(np.array([[0, 3]])).tolist()
    [[False, True]]
    """
    if isinstance(mask, (str, os.PathLike)):
        from ..io import read_image

        mask = read_image(mask)
    arr = np.asarray(mask)
    return arr.any(axis=2) if arr.ndim == 3 else arr != 0


def read_input(path: str | os.PathLike[str], *, page: int | None = None,
               max_pixels: int | None = None) -> tuple[NDArray[Any], tuple[str, ...]]:
    """Read an image file in its own units; return it and the warnings raised on the way (as notes).

    `max_pixels` refuses larger images before decoding (see :func:`seglab.io.read_image`).
    """
    from ..io import read_image

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = read_image(path, page=page, max_pixels=max_pixels)
    return image, tuple(one_line(w.message, os.fspath(path)) for w in caught)


def segment_image(job: Job, image: Any) -> Segmentation:
    """Segment one image with the job's method and parameters, then convert its task if asked."""
    extra = {} if job.mask is None else {"mask": job.mask}
    if job.state is None:
        seg = job.method.fn(image, **job.params, **extra)
    else:
        seg = job.method.apply_state(image, job.state, **job.params, **extra)
        seg.meta["fit"] = dict(job.fit or {})  # type: ignore[index]
    if job.as_task:
        from ..modes import convert

        seg = convert(seg, job.as_task, things=job.things, min_size=job.min_size, fill_holes=job.fill_holes)
    return seg


def run_image(job: Job, image: Any, *, source: str = "", notes: Sequence[str] = (),
              pixel_spacing: tuple[float, float] | None = None) -> Outcome:
    """Segment an image already read, timed; warnings raised on the way are added to `notes`.

    `pixel_spacing` (mm, from the file's header) is passed on to the sidecar and the regions CSV.

    Examples
    --------
    >>> outcome = run_image(prepare("threshold", {"value": 1}), np.array([[0, 2]], np.uint8), source="a.png")
    >>> outcome.seg.labels.tolist(), outcome.file_name, outcome.seconds >= 0
    ([[0, 1]], 'a.png', True)
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        seg = segment_image(job, image)
        seconds = time.perf_counter() - start
    notes = (*notes, *(one_line(w.message, source) for w in caught))
    kept = image if any(OUTPUT_KINDS[kind].needs_image for kind in job.outputs) else None
    return Outcome(kept, seg, source=source, page=job.page, notes=notes, pixel_spacing=pixel_spacing,
                   seconds=seconds, overlay_alpha=job.overlay_alpha, overlay_style=job.overlay_style)


def run_file(job: Job, path: str | os.PathLike[str], *, max_pixels: int | None = None) -> Outcome:
    """Read and segment one file; warnings (an alpha channel dropped, ...) become notes of the outcome."""
    from ..io import pixel_spacing

    image, notes = read_input(path, page=job.page, max_pixels=max_pixels)
    spacing = pixel_spacing(path, page=job.page) if set(SPACING_KINDS) & set(job.outputs) else None
    return run_image(job, image, source=os.fspath(path), notes=notes, pixel_spacing=spacing)


def encode(job: Job, outcome: Outcome, stem: str) -> dict[str, bytes]:
    """The job's output files for one outcome: file name -> content."""
    return encode_outputs(job.outputs, outcome, stem)


def outputs_complete(job: Job, outdir: str | os.PathLike[str], stem: str) -> bool:
    """Whether every output of `job` for `stem` exists in `outdir`, made by the same method and parameters.

    Resuming a batch skips such inputs. Every kind's file must be there (the
    label image in either format); when the sidecar JSON is among the outputs,
    its method and parameters must equal the job's (defaults filled in), so a
    rerun with other settings is not mistaken for done.

    Examples
    --------
    >>> import tempfile
    >>> outputs_complete(prepare("otsu"), tempfile.mkdtemp(), "x")
    False
    """
    import json

    from ..io import to_jsonable

    folder = Path(outdir)
    for kind in job.outputs:
        if not any((folder / (stem + suffix)).is_file() for suffix in _complete_suffixes(kind)):
            return False
    if "json" not in job.outputs:
        return True
    try:
        doc = json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    expected = to_jsonable({k: describe_value(v) for k, v in job.method.validate_params(job.params).items()})
    return doc.get("method") == job.method.name and doc.get("params") == expected and doc.get("page") == job.page


def _complete_suffixes(kind: str) -> tuple[str, ...]:
    """The suffixes of which one file completes `kind` (labels: PNG or TIFF; panoptic: its JSON, written last)."""
    suffixes = OUTPUT_KINDS[kind].suffixes
    return suffixes[-1:] if kind == "panoptic" else suffixes


def process_file(job: Job, path: str | os.PathLike[str], outdir: str | os.PathLike[str], stem: str, *,
                 overwrite: bool = False) -> tuple[Outcome, list[Path]]:
    """Read, segment, encode and write one input; its files appear together or not at all.

    Existing outputs are refused (before any work) unless `overwrite`.

    Returns
    -------
    outcome, written paths
    """
    from ..io import check_target, write_together

    folder = Path(outdir)
    for name in output_names(job.outputs, stem):
        check_target(folder / name, overwrite=overwrite)
    outcome = run_file(job, path)
    files = {folder / name: data for name, data in encode(job, outcome, stem).items()}
    return outcome, write_together(files, overwrite=overwrite)
