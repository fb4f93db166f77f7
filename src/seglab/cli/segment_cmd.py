"""``seglab segment METHOD INPUT... -o OUTDIR``: segment a batch of files.

Inputs are files, folders (their image files, not recursive) or glob
patterns (:mod:`seglab.run.inputs`). Each input gets ``OUTDIR/<stem>.labels.png``
(``.tif`` when the labels need more than 16 bits or hold void, -1),
``<stem>.overlay.png``, ``<stem>.json``, ``<stem>.coco.json``,
``<stem>.regions.csv`` and ``<stem>.panoptic.png`` + ``<stem>.panoptic.json``,
as chosen with ``--outputs`` (:mod:`seglab.run.outputs`); an input's files
appear together or not at all. ``--page`` picks one page of multi-page files
(TIFF pages, DICOM and video frames, NIfTI slices), or several
(``--page 0,4,10-19``, ``--page all``): then each page is an input of its
own, named ``<stem>.p0004`` (four digits at least). ``--volume`` segments
every page of each multi-page input, and every slice of each DICOM series
among the inputs, and writes their labels as one file,
``<stem>.labels.nii.gz`` on a NIfTI scan's grid or a DICOM volume's patient
coordinates, else a multi-page ``<stem>.labels.tif`` (:mod:`seglab.cli.volumes`);
``--dicom-seg`` adds a DICOM Segmentation ``<stem>.seg.dcm`` to each DICOM volume.

Everything that holds for every image (parameters and the method's rules,
outputs, ``--as``, the mask) is checked before any file is read: a problem
stops the command with exit code 2. A bad file does not stop the batch: it
is reported at once and again in the summary, and the exit code is 1 (this
includes a parameter that only some images reject, such as a seed outside a
smaller image). A missing optional package stops the batch (exit 3).

Examples
--------
>>> from seglab.core.registry import get_method
>>> parser, _ = build_parser(get_method("otsu"))
>>> parser.prog
'seglab segment otsu'
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from ..core.errors import InvalidParameterError, MissingDependencyError
from ..core.registry import MethodSpec
from ..core.types import TASKS
from ..io import count_pages
from ..io.naming import page_stem
from ..run import (
    OUTPUT_KINDS,
    Job,
    expand_inputs,
    one_line,
    output_names,
    output_stems,
    outputs_complete,
    prepare,
    process_file,
)
from .scale import add_scale_options, run_scaled
from .common import EXIT_FAILED, EXIT_OK, Parser, Progress, UsageError, print_failures, progress_bar, writable_folder
from .flags import Flag, add_flags, collect, flag_name
from ..run.stacks import fits_pages
from .volumes import Key, VolumePlan, check_volume_options, fit_volume, plan_volumes

__all__ = ["build_parser", "run"]


def _names(text: str) -> tuple[str | int, ...]:
    names = tuple(int(n) if n.strip().isdigit() else n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise argparse.ArgumentTypeError("give class names or ids, e.g. --things cell or --things 1,2")
    return names


#: What ``--page`` gives: one page, ``"all"``, or several (in the order given, each once).
Pages = int | str | tuple[int, ...]


def _page(text: str) -> Pages:
    """``--page``: N, ``all``, or numbers and ranges such as ``0,4,10-19``.

    Examples
    --------
    >>> _page("3"), _page("all"), _page("2,0-1,2")
    (3, 'all', (2, 0, 1))
    """
    if text.isdigit():
        return int(text)
    if text == "all":
        return text
    pages: list[int] = []
    for part in text.split(","):
        first, dash, last = part.partition("-")
        if not (first.isdigit() and (not dash or (last.isdigit() and int(first) <= int(last)))):
            raise argparse.ArgumentTypeError(f"expected a page number 0, 1, 2, ..., numbers and ranges such as "
                                             f"0,4,10-19, or all; got {text!r}")
        pages.extend(range(int(first), int(last) + 1) if dash else [int(first)])
    return tuple(dict.fromkeys(pages))


def _pages_of(files: Sequence[Path], stems: Sequence[str], pages: str | tuple[int, ...],
              failures: list[tuple[str, str]]) -> list[tuple[Path, int, str]]:
    """(file, page, stem) for every page asked of every file; a file's missing pages are one failure."""
    items = []
    for source, stem in zip(files, stems):
        try:
            n = count_pages(source)
        except (ValueError, OSError) as exc:
            failures.append(_failure(source, exc))
            continue
        wanted = range(n) if pages == "all" else pages
        missing = [p for p in wanted if p >= n]
        if missing:
            these = f"page {missing[0]} does not" if len(missing) == 1 else f"pages {_ranges(missing)} do not"
            failures.append((str(source), f"{these} exist; the file has {n} page{'' if n == 1 else 's'}, 0 to "
                                          f"{n - 1}."))
        items += [(source, p, page_stem(stem, p)) for p in wanted if p < n]
    return items


def _ranges(pages: Sequence[int]) -> str:
    """``[3, 4, 5, 9]`` -> ``"3-5, 9"``."""
    runs: list[list[int]] = []
    for p in pages:
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def build_parser(method: MethodSpec) -> tuple[Parser, list[Flag]]:
    """The parser of ``seglab segment METHOD``: common options plus the method's flags."""
    parser = Parser(
        prog=f"seglab segment {method.name}",
        description=f"{method.summary}\n\nINPUT: image files, folders (their image files) or glob patterns.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kinds = ",".join(OUTPUT_KINDS)
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or glob patterns")
    parser.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR", help="folder for the outputs (created)")
    parser.add_argument("--outputs", default="labels,json", metavar="KINDS",
                        help=f"comma-separated, from {kinds} (default: labels,json)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs (inputs never)")
    parser.add_argument("--page", type=_page, metavar="N",
                        help="page to read (0 first) of a multi-page TIFF, a multi-frame DICOM, a video (its frame) "
                             "or a NIfTI volume (its slice along the third axis); several (0,4,10-19) or all: each "
                             "page is an input of its own, <stem>.p0004")
    parser.add_argument("--volume", action="store_true",
                        help="segment every page of multi-page inputs and every slice of DICOM series, and write "
                             "the labels of each as one file: <stem>.labels.nii.gz on a NIfTI or DICOM volume's "
                             "grid, else a multi-page <stem>.labels.tif (single-page images: as usual)")
    parser.add_argument("--fit", choices=("volume", "page"),
                        help="with --volume: fit a global method's threshold or clusters once on all the pages of "
                             "each volume (default), or on each page alone")
    parser.add_argument("--stitch", type=float, metavar="IOU",
                        help="with --volume and instances: link the instances of neighbouring pages whose IoU is "
                             "above IOU (e.g. 0.25) into one 3-D object id in the volume")
    parser.add_argument("--dicom-seg", action="store_true",
                        help="with --volume: also a DICOM Segmentation <stem>.seg.dcm of each DICOM series or "
                             "multi-frame file, one segment per class, on the source frames (needs highdicom)")
    parser.add_argument("--as", dest="as_task", choices=TASKS, metavar="TASK",
                        help="convert each result to semantic, instance or panoptic (see seglab.modes)")
    parser.add_argument("--things", type=_names, metavar="NAMES",
                        help="with --as instance/panoptic: comma-separated classes to split into objects")
    own = {p.name for p in method.params()}
    if "min_size" not in own:  # a method's own min_size/fill_holes keep their flags
        parser.add_argument("--min-size", dest="as_min_size", type=int, default=0, metavar="N",
                            help="with --as instance: drop instances smaller than N pixels")
    if "fill_holes" not in own:
        parser.add_argument("--fill-holes", dest="as_fill_holes", action="store_true",
                            help="with --as instance: fill holes enclosed by one instance")
    parser.add_argument("--overlay-alpha", type=float, default=0.4, metavar="A",
                        help="overlay output: opacity of the segment tint, 0..1 (default 0.4)")
    parser.add_argument("--overlay-style", choices=("fill", "contour"), default="fill",
                        help="overlay output: tinted segments with outlines (fill) or outlines only (contour)")
    parser.add_argument("--skip-existing", action="store_true",
                        help="resume: skip inputs whose outputs all exist, made with the same method and parameters")
    parser.add_argument("--recursive", action="store_true", help="also take the images in sub-folders of folders")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only warnings, errors and the summary (no per-file lines, no progress bar)")
    if method.takes_mask:
        parser.add_argument("--mask", metavar="PATH", help="image file; pixels where it is 0 get label 0")
    add_scale_options(parser)
    return parser, add_flags(parser, method)


def _usage(option: str, exc: Exception) -> UsageError:
    return UsageError(f"{option}: {one_line(exc)}")


def _prepare(method: MethodSpec, ns: argparse.Namespace, flags: Sequence[Flag]) -> Job:
    mask = getattr(ns, "mask", None)
    try:
        return prepare(method, text=collect(ns, flags), outputs=ns.outputs, as_task=ns.as_task, things=ns.things,
                       page=ns.page if isinstance(ns.page, int) else None, mask=mask,
                       min_size=getattr(ns, "as_min_size", 0), fill_holes=getattr(ns, "as_fill_holes", False),
                       overlay_alpha=ns.overlay_alpha, overlay_style=ns.overlay_style, name_of=flag_name)
    except InvalidParameterError:
        raise
    except (ValueError, OSError) as exc:  # an unreadable mask file
        raise _usage("--mask", exc) from None


def _check_outputs_safe(files: Sequence[Path], stems: Sequence[str], outdir: Path, job: Job) -> None:
    inputs = {f.resolve() for f in files}
    for stem in stems:
        for name in output_names(job.outputs, stem):
            if (outdir / name).resolve() in inputs:
                raise UsageError(f"output {outdir / name} would replace an input file; choose another -o folder.")


def run(method: MethodSpec, argv: Sequence[str]) -> int:
    """Run ``seglab segment`` for `method` with the remaining arguments; return the exit code."""
    parser, flags = build_parser(method)
    ns = parser.parse_intermixed_args(argv)
    job = _prepare(method, ns, flags)
    outdir = Path(ns.output_dir)
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"-o {outdir}: this is a file, not a folder.")
    if ns.skip_existing and ns.overwrite:
        raise UsageError("--skip-existing keeps finished inputs and --overwrite redoes them: choose one.")
    files, failures = expand_inputs(ns.inputs, recursive=ns.recursive)
    try:
        stems = output_stems(files)
    except InvalidParameterError as exc:
        raise UsageError(str(exc)) from None
    several = not (ns.page is None or isinstance(ns.page, int))
    check_volume_options(ns, job, method.name)
    several = several or ns.volume
    if several and (ns.tile_size is not None or ns.workers is not None or ns.scheduler is not None):
        raise UsageError("--page with several pages runs in this process, a page at a time: drop --tile-size, "
                         "--workers and --scheduler, or give one --page N.")
    volumes: dict[Key, VolumePlan] = {}
    skipped = 0
    page_job = job  # each page of a volume writes its other outputs; its labels wait for the volume's last page
    if ns.volume:
        page_job = dataclasses.replace(job, outputs=tuple(kind for kind in job.outputs if kind != "labels"))
        items, volumes, skipped = plan_volumes(
            ns, files, stems, outdir, failures,
            lambda item: outputs_complete(dataclasses.replace(page_job, page=item[1]), outdir, item[2]))
        _check_outputs_safe(files, [stem for _, _, stem in items], outdir, job)
    elif several:
        items = _pages_of(files, stems, ns.page, failures)
        _check_outputs_safe(files, [stem for _, _, stem in items], outdir, job)
    else:
        _check_outputs_safe(files, stems, outdir, job)
        scaled = run_scaled(method, ns, job, files, stems, outdir, failures, progress_bar=progress_bar)
        if scaled is not None:
            return scaled
        items = [(source, ns.page, stem) for source, stem in zip(files, stems)]
    for pattern, reason in failures:
        print(f"error: {pattern}: {reason}", file=sys.stderr)
    total = len(items) + len(failures) + skipped
    if items:
        writable_folder(outdir)
    done = 0
    with progress_bar(len(items), method.name, quiet=ns.quiet) as progress:
        for source, page, stem in items:
            name = str(source) if page is None else f"{source} page {page}"
            volume = volumes.get((source, page))
            item_job = dataclasses.replace(job if volume is None else page_job, page=page)
            if volume is not None and ns.fit != "page" and fits_pages(method, job.params):
                if volume.fitted is None:  # its first page: one fit on every page of the volume
                    fitted = fit_volume(volume, item_job)
                    if isinstance(fitted, str):
                        progress.err(f"warning: {volume.name}: fitting on the whole volume failed ({fitted}); each "
                                     "page is fitted on its own.")
                    volume.fitted = fitted if not isinstance(fitted, str) else (None, {})
                state, how = volume.fitted
                if state is not None:
                    item_job = dataclasses.replace(item_job, state=state, fit=how)
            if volume is None and ns.skip_existing and outputs_complete(item_job, outdir, stem):
                skipped += 1
                progress.out(f"{name}: outputs complete, skipped")
                progress()
                continue
            try:
                outcome, written = process_file(item_job, source, outdir, stem,
                                                overwrite=ns.overwrite if volume is None else volume.overwrite)
            except MissingDependencyError:
                raise
            except Exception as exc:  # a bad file must not stop the batch
                failures.append((name, _failure(source, exc)[1]))
                progress.err(f"error: {name}: {failures[-1][1]}")
            else:
                done += 1
                for note in outcome.notes:
                    progress.err(f"warning: {name}: {note}")
                if written:
                    progress.out(f"{name} -> {', '.join(str(p) for p in written)}")
                if volume is not None:
                    volume.add((source, page), outcome.seg)
            if volume is not None and volume.keys[-1] == (source, page):
                _finish_volume(volume, method, failures, progress)
            progress()
    kept = f" ({skipped} skipped: already done)" if skipped else ""
    if not failures:
        print(f"seglab: {done + skipped} of {total} inputs segmented with {method.name} into {outdir}{kept}",
              file=sys.stderr)
        return EXIT_OK
    print_failures(f"seglab: {done + skipped} of {total} inputs segmented{kept}; {len(failures)} failed:", failures)
    return EXIT_FAILED


def _finish_volume(volume: VolumePlan, method: MethodSpec, failures: list[tuple[str, str]],
                   progress: Progress) -> None:
    """Write an input's label volume after its last page, or report why it is not written."""
    missing = volume.missing()
    if volume.refused:
        failures.append((volume.name, f"{volume.path.name} not written: {volume.refused}"))
        progress.err(f"error: {volume.name}: {failures[-1][1]}")
        return
    if missing:
        volume.labels.clear()
        volume.classes.clear()
        kind = "slice" if volume.keys[0][1] is None else "page"
        these = f"{kind} {missing[0]}" if len(missing) == 1 else f"{kind}s {_ranges(missing)}"
        failures.append((volume.name, f"{volume.path.name} not written: {these} failed (above)."))
        progress.err(f"error: {volume.name}: {failures[-1][1]}")
        return
    try:
        path = volume.write()
    except (ValueError, OSError) as exc:
        failures.append((volume.name, f"{volume.path.name} not written: {one_line(exc)}"))
        progress.err(f"error: {volume.name}: {failures[-1][1]}")
    else:
        if volume.layout.note:
            progress.err(f"warning: {volume.name}: {volume.layout.note}.")
        progress.out(f"{volume.name} -> {path}")
    if volume.seg_path is None:
        return
    from .. import __version__

    try:
        path = volume.write_seg(method=method.name, family=method.family, version=__version__)
    except (ValueError, OSError) as exc:
        failures.append((volume.name, f"{volume.seg_path.name} not written: {one_line(exc)}"))
        progress.err(f"error: {volume.name}: {failures[-1][1]}")
    else:
        if path is None:
            progress.err(f"warning: {volume.name}: no pixel belongs to a class but the background; a DICOM SEG "
                         f"needs a segment, so {volume.seg_path.name} is not written.")
        else:
            progress.out(f"{volume.name} -> {path}")


def _failure(source: Path, exc: Exception) -> tuple[str, str]:
    reason = one_line(exc, str(source))
    if not isinstance(exc, (ValueError, OSError)):
        reason = f"unexpected {type(exc).__name__}: {reason} (please report this)"
    return str(source), reason
