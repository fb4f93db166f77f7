"""``seglab segment METHOD INPUT... -o OUTDIR``: segment a batch of files.

Inputs are files, folders (their image files, not recursive) or glob
patterns. Each input gets ``OUTDIR/<stem>.labels.png`` (``.tif`` when the
labels need more than 16 bits or hold void, -1), ``<stem>.overlay.png``,
``<stem>.json``, ``<stem>.coco.json``, ``<stem>.regions.csv`` and
``<stem>.panoptic.png`` + ``<stem>.panoptic.json``, as chosen
with ``--outputs``. Inputs whose stems collide get their folder names
prefixed (``a__x``, ``b__x``).

A bad file does not stop the batch: it is reported at once and again in the
summary, and the exit code is 1. Parameters are checked before any file is
read (exit 2). Some parameters can only be checked against an image (seed
points against its size, ``color_space="lab"`` against its channels): when
the method rejects the first two images with the same message, or the only
one, the batch stops as bad usage (exit 2); otherwise such a rejection is
one more failed file. A missing optional package stops the batch (exit 3).

Examples
--------
>>> from pathlib import Path
>>> output_stems([Path("a/x.png"), Path("b/x.png"), Path("b/y.tif")])
['a__x', 'b__x', 'y']
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from ..core.errors import InvalidParameterError, MissingDependencyError, did_you_mean
from ..core.registry import MethodSpec
from ..core.types import Segmentation
from .flags import Flag, add_flags, collect, takes_mask

__all__ = ["OUTPUT_KINDS", "output_stems", "expand_inputs", "build_parser", "run"]

OUTPUT_KINDS = ("labels", "overlay", "json", "coco", "csv", "panoptic")
_SUFFIXES = {"overlay": ".overlay.png", "json": ".json", "coco": ".coco.json", "csv": ".regions.csv",
             "panoptic": ".panoptic.png"}
_LABEL_SUFFIXES = (".labels.png", ".labels.tif")
#: Outputs that may write more than one file (or one of several).
_SUFFIX_GROUPS = {"labels": _LABEL_SUFFIXES, "panoptic": (".panoptic.png", ".panoptic.json")}
#: Our own outputs are not taken as inputs when a folder or pattern is expanded.
_OUR_OUTPUTS = (*_LABEL_SUFFIXES, ".overlay.png", ".panoptic.png")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_MISSING = 0, 1, 2, 3


class UsageError(Exception):
    """Bad command-line usage (exit code 2); the message is one line."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block) and exit code 2."""

    def error(self, message: str) -> Any:  # noqa: D102 - argparse hook
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _outputs(text: str) -> tuple[str, ...]:
    kinds = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    for kind in kinds:
        if kind not in OUTPUT_KINDS:
            raise argparse.ArgumentTypeError(
                f"unknown output {kind!r};{did_you_mean(kind, OUTPUT_KINDS)} choose from {','.join(OUTPUT_KINDS)}"
            )
    if not kinds:
        raise argparse.ArgumentTypeError(f"give at least one of {','.join(OUTPUT_KINDS)}")
    return kinds


def _names(text: str) -> tuple[str | int, ...]:
    names = tuple(int(n) if n.strip().isdigit() else n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise argparse.ArgumentTypeError("give class names or ids, e.g. --things cell or --things 1,2")
    return names


def _page(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a page number 0, 1, 2, ...; got {text!r}")
    return int(text)


def build_parser(method: MethodSpec) -> tuple[Parser, list[Flag], bool]:
    """The parser of ``seglab segment METHOD``: common options plus the method's flags.

    Returns
    -------
    parser, flags, has_mask
        `flags` as from :func:`seglab.cli.flags.add_flags`; `has_mask` tells
        whether ``--mask`` was added (the method takes a mask).
    """
    parser = Parser(
        prog=f"seglab segment {method.name}",
        description=f"{method.summary}\n\nINPUT: image files, folders (their image files) or glob patterns.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or glob patterns")
    parser.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR", help="folder for the outputs (created)")
    parser.add_argument("--outputs", type=_outputs, default=("labels", "json"), metavar="KINDS",
                        help=f"comma-separated, from {','.join(OUTPUT_KINDS)} (default: labels,json)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs (inputs never)")
    parser.add_argument("--page", type=_page, metavar="N", help="page of multi-page TIFFs to read (0 first)")
    parser.add_argument("--as", dest="as_task", choices=("semantic", "instance", "panoptic"), metavar="TASK",
                        help="convert each result to semantic, instance or panoptic (see seglab.modes)")
    parser.add_argument("--things", type=_names, metavar="NAMES",
                        help="with --as instance/panoptic: comma-separated classes to split into objects")
    has_mask = takes_mask(method)
    if has_mask:
        parser.add_argument("--mask", metavar="PATH", help="image file; pixels where it is 0 get label 0")
    flags = add_flags(parser, method)
    return parser, flags, has_mask


def expand_inputs(patterns: Sequence[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files named by `patterns`, in order and without duplicates, and the patterns that named none.

    A folder gives its image files (by suffix, not recursive); a glob pattern
    gives the image files it matches; a file is taken as it is. Files named
    like seglab's own outputs (``*.labels.png``, ``*.overlay.png``, ...) are
    skipped when a folder or pattern is expanded.

    Examples
    --------
    >>> expand_inputs(["no/such/file.png"])
    ([], [('no/such/file.png', 'no such file or folder; check the path.')])
    """
    from ..io import IMAGE_SUFFIXES

    def images(paths: list[Path]) -> list[Path]:
        return sorted(p for p in paths if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                      and not p.name.lower().endswith(_OUR_OUTPUTS))

    files: list[Path] = []
    failures: list[tuple[str, str]] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_file():
            found = [path]
        elif path.is_dir():
            found = images(list(path.iterdir()))
            if not found:
                failures.append((pattern, f"the folder holds no images ({', '.join(IMAGE_SUFFIXES)})."))
        elif glob.has_magic(pattern):
            found = images([Path(p) for p in glob.glob(pattern, recursive=True)])
            if not found:
                failures.append((pattern, "no image files match this pattern."))
        else:
            found = []
            failures.append((pattern, "no such file or folder; check the path."))
        files.extend(found)
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, failures


def output_stems(files: Sequence[Path]) -> list[str]:
    """One output name stem per file, unique (case-insensitively) across the batch.

    Files whose stems collide get as many parent folder names prefixed as make
    them unique (``a__x``, ``b__x``); files in one folder that differ only in
    suffix keep it (``x_png``, ``x_tif``).

    Examples
    --------
    >>> output_stems([Path("d/x.png"), Path("d/x.tif"), Path("e/x.png")])
    ['x_png', 'x_tif', 'x']
    """
    parents = [f.resolve().parent.parts[1:] for f in files]
    stems = [f.stem for f in files]
    groups: dict[str, list[int]] = {}
    for i, stem in enumerate(stems):
        groups.setdefault(stem.casefold(), []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        in_one_folder = {i for i in members for j in members if i != j and parents[i] == parents[j]}
        for depth in range(max(len(parents[i]) for i in members) + 1):
            names = [_prefixed(files[i], parents[i][len(parents[i]) - depth:] if depth else (), i in in_one_folder)
                     for i in members]
            if len({n.casefold() for n in names}) == len(names):
                break
        for i, new_name in zip(members, names):
            stems[i] = new_name
    if len({s.casefold() for s in stems}) != len(stems):
        raise UsageError("cannot give every input its own output name; segment clashing files into separate -o folders.")
    return stems


def _prefixed(file: Path, folders: Sequence[str], keep_suffix: bool) -> str:
    base = "__".join([*folders, file.stem])
    return f"{base}_{file.suffix.lstrip('.')}" if keep_suffix else base


@dataclass
class _Batch:
    method: MethodSpec
    params: dict[str, Any]
    outputs: tuple[str, ...]
    outdir: Path
    overwrite: bool
    page: int | None
    as_task: str | None = None
    things: tuple[str | int, ...] | None = None
    done: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


def _one_line(exc: BaseException, source: str) -> str:
    text = " ".join(str(exc).split())
    return text.removeprefix(f"{source}: ").removeprefix(f"{source} ")


def _targets(batch: _Batch, stem: str) -> list[Path]:
    """Every path this input may write (both label formats), to check before any work."""
    paths = []
    for kind in batch.outputs:
        if kind in _SUFFIX_GROUPS:
            suffixes = _SUFFIX_GROUPS[kind]
        else:
            suffixes = (_SUFFIXES[kind],)
        paths += [batch.outdir / (stem + s) for s in suffixes]
    return paths


def _payloads(
    batch: _Batch, stem: str, source: Path, image: NDArray, seg: Segmentation, notes: list[str]
) -> dict[Path, bytes]:
    """The content of every output of one input, made in memory before anything is written."""
    from .. import io

    out: dict[Path, bytes] = {}
    for kind in batch.outputs:
        if kind == "labels":
            suffix = io.label_suffix(seg.labels)
            out[batch.outdir / f"{stem}.labels{suffix}"] = io.encode_labels(seg.labels, suffix)
            continue
        path = batch.outdir / (stem + _SUFFIXES[kind])
        if kind == "overlay":
            out[path] = io.encode_png(io.overlay(image, seg))
        elif kind == "json":
            out[path] = io.json_bytes(io.sidecar(seg, input_file=source, page=batch.page, notes=notes))
        elif kind == "coco":
            out[path] = io.json_bytes(io.coco_document(seg, file_name=source.name), indent=None)
        elif kind == "panoptic":
            out.update(io.panoptic_files(path, seg, file_name=source.name))
        else:
            out[path] = io.regions_csv(seg, image).encode("utf-8")
    return out


def _process(batch: _Batch, source: Path, stem: str) -> list[Path]:
    """Read, segment and write one input; raise on any problem, writing nothing for it."""
    from .. import io

    for path in _targets(batch, stem):
        io.check_target(path, overwrite=batch.overwrite)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = io.read_image(source, page=batch.page)
        seg = batch.method.fn(image, **batch.params)
        if batch.as_task:
            from ..modes import convert

            seg = convert(seg, batch.as_task, things=batch.things)
    notes = [_one_line(w.message, str(source)) for w in caught]
    for note in notes:
        print(f"warning: {source}: {note}", file=sys.stderr)
    payloads = _payloads(batch, stem, source, image, seg, notes)
    return [io.write_atomic(path, data, overwrite=batch.overwrite) for path, data in payloads.items()]


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Any]:
    """A rich progress bar on stderr when it is a terminal and there is more than one input."""
    if total < 2 or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        yield progress


def _check_inputs_safe(files: Sequence[Path], batch: _Batch, stems: Sequence[str]) -> None:
    inputs = {f.resolve() for f in files}
    for stem in stems:
        for path in _targets(batch, stem):
            if path.resolve() in inputs:
                raise UsageError(f"output {path} would replace an input file; choose another -o folder.")


def _read_mask(path: str) -> Any:
    from ..io import read_image

    try:
        mask = read_image(path)
    except ValueError as exc:
        raise UsageError(f"--mask: {exc}") from None
    return mask.any(axis=2) if mask.ndim == 3 else mask != 0


def run(method: MethodSpec, argv: Sequence[str]) -> int:
    """Run ``seglab segment`` for `method` with the remaining arguments; return the exit code."""
    parser, flags, has_mask = build_parser(method)
    ns = parser.parse_intermixed_args(argv)
    params = collect(ns, flags, method)
    if has_mask and ns.mask is not None:
        params["mask"] = _read_mask(ns.mask)
    if ns.things is not None and ns.as_task not in ("instance", "panoptic"):
        raise UsageError("--things chooses the object classes of --as instance or --as panoptic; add one of those.")
    for kind in ("coco", "panoptic"):
        if kind in ns.outputs and (ns.as_task or method.task) == "semantic":
            raise UsageError(f"--outputs {kind} lists segments, but {method.name} is a semantic method; add "
                             f"--as {'instance' if kind == 'coco' else 'panoptic'}, drop {kind} or use an instance "
                             "method (see `seglab methods`).")
    outdir = Path(ns.output_dir)
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"-o {outdir}: this is a file, not a folder.")
    files, failures = expand_inputs(ns.inputs)
    batch = _Batch(method, params, ns.outputs, outdir, ns.overwrite, ns.page, ns.as_task, ns.things,
                   failures=list(failures))
    stems = output_stems(files)
    _check_inputs_safe(files, batch, stems)
    for pattern, reason in failures:
        print(f"error: {pattern}: {reason}", file=sys.stderr)
    if files:
        outdir.mkdir(parents=True, exist_ok=True)
    with _progress(len(files)) as progress:
        task = progress.add_task(method.name, total=len(files)) if progress else None
        held: tuple[Path, InvalidParameterError] | None = None  # the first image's parameter rejection
        for index, (source, stem) in enumerate(zip(files, stems)):
            error: Exception | None = None
            try:
                written = _process(batch, source, stem)
            except (UsageError, MissingDependencyError):
                raise
            except Exception as exc:  # a bad file must not stop the batch
                error = exc
            if isinstance(error, InvalidParameterError) and index == 0:
                held = (source, error)  # reported once the second image shows whether it is the image's fault
            elif held is not None and isinstance(error, InvalidParameterError) and str(error) == str(held[1]):
                raise UsageError(f"{error} (rejected for the first two images; the batch stopped)")
            else:
                if held is not None:  # the second image did not fail the same way: the first one was at fault
                    _record_failure(batch, *held)
                    held = None
                if error is not None:
                    _record_failure(batch, source, error)
                else:
                    batch.done += 1
                    print(f"{source} -> {', '.join(str(p) for p in written)}")
            if progress:
                progress.advance(task)
    if held is not None:  # the only image was rejected for its parameters
        raise UsageError(str(held[1]))
    return _summary(batch, total=len(files) + len(failures))


def _record_failure(batch: _Batch, source: Path, exc: Exception) -> None:
    reason = _one_line(exc, str(source))
    if not isinstance(exc, (ValueError, OSError)):
        reason = f"unexpected {type(exc).__name__}: {reason} (please report this)"
    batch.failures.append((str(source), reason))
    print(f"error: {source}: {reason}", file=sys.stderr)


def _summary(batch: _Batch, *, total: int) -> int:
    if not batch.failures:
        print(f"seglab: {batch.done} of {total} inputs segmented with {batch.method.name} into {batch.outdir}",
              file=sys.stderr)
        return EXIT_OK
    lines = [f"seglab: {batch.done} of {total} inputs segmented; {len(batch.failures)} failed:"]
    lines += [f"  {source}: {reason}" for source, reason in batch.failures]
    print("\n".join(lines), file=sys.stderr)
    return EXIT_FAILED
