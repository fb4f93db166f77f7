"""``seglab segment --volume``: the labels of every page of a volume in one file.

A volume is a multi-page input (a NIfTI scan, a TIFF stack, a multi-frame
DICOM, a video) or a DICOM series: the single-frame files of one series
among the inputs, in slice order whatever their names. Its pages are
segmented one at a time as usual (their other outputs, the sidecar JSON for
one, are written page by page; a series' slices keep their file stems), but
their labels are kept, in the smallest integer type that holds them, and
written together once the volume's last page is done
(:mod:`seglab.io.volume`): ``OUTDIR/<stem>.labels.nii.gz`` on a NIfTI
input's grid or at a DICOM volume's patient coordinates, else a multi-page
``OUTDIR/<stem>.labels.tif``. A series is named ``<folder>.s<SeriesNumber>``.
Single-page inputs that are not NIfTI nor part of a series get their label
image as usual. A global method (thresholds, k-means, fuzzy c-means) fits
its state once on all the pages of a volume, so that its slices agree
(:mod:`seglab.run.stacks`; ``--fit page`` fits each page on its own).
``--stitch IOU`` links the instances of neighbouring pages
into 3-D objects before the volume is written (:func:`seglab.modes.stitch_slices`;
the pages' own outputs keep their per-page ids). With ``--dicom-seg`` a DICOM volume also gets
``<stem>.seg.dcm``, a DICOM Segmentation of its classes on the source frames
(:mod:`seglab.io.dicom_seg`).

A page that fails leaves its volume unwritten (reported); an existing volume
is refused before any work unless ``--overwrite``. With ``--skip-existing`` a
volume whose file and page outputs are all there is skipped, and any other is
segmented again whole, replacing its page outputs from the interrupted run.

Examples
--------
>>> from pathlib import Path
>>> from seglab.io.volume import VolumeLayout
>>> plan = VolumePlan("a.tif", Path("out/a.labels.tif"), VolumeLayout(".labels.tif"),
...                   keys=((Path("a.tif"), 0), (Path("a.tif"), 1)))
>>> plan.add((Path("a.tif"), 1), np.zeros((2, 2), np.int32)); plan.missing()
[0]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidImageError
from ..core.memory import available_memory
from ..core.optional import require
from ..core.types import Segmentation
from ..io import count_pages, encode_label_volume, is_dicom_file, volume_layout, write_together
from ..io.naming import file_suffix, page_stem
from ..io.volume import VolumeLayout, compact_labels, series_layout
from ..run import Job
from .common import UsageError

__all__ = ["VolumePlan", "Item", "Key", "check_volume_options", "plan_volumes"]

#: One page to segment: (file, page or None, output stem).
Item = tuple[Path, int | None, str]
#: A page of a volume: (file, page or None).
Key = tuple[Path, int | None]


@dataclass
class VolumePlan:
    """One label volume: what it is called, where it goes, how it is written, its pages and their labels so far."""

    name: str
    path: Path
    layout: VolumeLayout
    keys: tuple[Key, ...]
    overwrite: bool = False
    dicom: tuple[Path, ...] = ()  # the DICOM files of a DICOM volume, in page order (one for a multi-frame file)
    seg_path: Path | None = None  # where its DICOM SEG goes (--dicom-seg)
    labels: dict[Key, NDArray[np.integer]] = field(default_factory=dict, repr=False)
    classes: dict[Key, NDArray[np.integer]] = field(default_factory=dict, repr=False)
    class_names: tuple[str, ...] = ()
    refused: str = ""  # why the volume cannot be assembled (then no page is kept)
    stitch: float | None = None  # link instances across pages above this IoU (--stitch)
    fitted: tuple[Any, Mapping[str, Any]] | None = None  # a global method's state fitted on every page, and how

    def add(self, key: Key, seg: Segmentation | NDArray[np.integer]) -> None:
        """Keep the labels of the page `key` (compacted: a uint8 copy where they fit), and its class ids for a SEG.

        The first page tells the volume's size: when assembling it would need
        more memory than is available, the volume is refused (:attr:`refused`)
        and no page is kept.
        """
        if self.refused:
            return
        labels = compact_labels(seg.labels if isinstance(seg, Segmentation) else seg)
        if not self.labels:  # copies at once: kept + stacked + encoded, the int32 ids of --stitch, the SEG's classes
            copies = 2 + (4 // labels.itemsize if self.stitch is not None else 0) + (2 if self.seg_path else 0)
            self.refused = _too_big(len(self.keys), labels, copies)
            if self.refused:
                return
        self.labels[key] = labels
        if self.seg_path is not None and isinstance(seg, Segmentation):
            self.class_names = tuple(seg.classes)
            self.classes[key] = self.labels[key] if seg.task == "semantic" else compact_labels(_class_ids(seg))

    def missing(self) -> list[int]:
        """The positions (0 = first page or slice) of the pages whose labels have not come."""
        return [k for k, key in enumerate(self.keys) if key not in self.labels]

    def write(self) -> Path:
        """Write the volume (every page's labels have come), atomically; the labels kept are let go.

        Raises
        ------
        ValueError
            Pages of different sizes, or fewer pages than a NIfTI volume's slices.
        """
        try:
            pages = [self.labels[key] for key in self.keys]
            if self.stitch is not None:
                from ..modes import stitch_slices

                pages = list(stitch_slices(np.stack(pages), iou_threshold=self.stitch))
            data = encode_label_volume(pages, self.layout)
        finally:
            self.labels.clear()
        return write_together({self.path: data}, overwrite=self.overwrite)[0]

    def write_seg(self, *, method: str, family: str, version: str) -> Path | None:
        """Write the DICOM SEG of the classes kept (see :mod:`seglab.io.dicom_seg`), atomically; None (nothing
        written) when no pixel belongs to a class but the background: a SEG needs a segment.

        Raises
        ------
        ValueError
            Sources a SEG cannot be made from (the message says why).
        """
        from ..io.dicom_seg import dicom_seg_bytes

        assert self.seg_path is not None
        try:
            stack = np.stack([self.classes[key] for key in self.keys])
        finally:
            self.classes.clear()
        if not (stack > 0).any():
            return None
        data = dicom_seg_bytes(stack, self.dicom, self.class_names, method=method, family=family, version=version)
        return write_together({self.seg_path: data}, overwrite=self.overwrite)[0]


def _too_big(pages: int, first: NDArray[np.integer], copies: int) -> str:
    """Why a volume of `pages` pages like `first` does not fit in the memory available ("" when it does).

    Its pages are kept, then stacked and encoded: about `copies` times their size at once.
    """
    free = available_memory()
    need = pages * first.nbytes * (copies + 1)
    if free is None or need <= free:
        return ""
    return (f"assembling {pages} pages of {first.shape[0]} x {first.shape[1]} needs about {need / 2**30:.1f} GiB but "
            f"only {free / 2**30:.1f} GiB of memory is available; segment without --volume (a label image per page).")


def _class_ids(seg: Segmentation) -> NDArray[np.int32]:
    """The class id of every pixel of an instance or panoptic result (void and background 0)."""
    lut = np.zeros(max(int(seg.labels.max(initial=0)), max(seg.segments, default=0)) + 1, np.int32)
    for label, segment in seg.segments.items():
        lut[label] = segment.class_id
    return lut[np.maximum(seg.labels, 0)]


def check_volume_options(ns: argparse.Namespace, job: Job, method: str) -> None:
    """Refuse ``--volume``, ``--stitch`` and ``--dicom-seg`` where they cannot apply, before any file is read.

    Raises
    ------
    UsageError
        Naming the option and the fix.
    MissingDependencyError
        ``--dicom-seg`` without highdicom.
    """
    if ns.volume and ns.page not in (None, "all"):
        raise UsageError("--volume segments every page of each volume: drop --page (or give --page all).")
    if ns.volume and "labels" not in job.outputs:
        raise UsageError("--volume writes the labels output as one file per volume: keep labels in --outputs.")
    if ns.volume and (ns.tile_size is not None or ns.workers is not None or ns.scheduler is not None):
        raise UsageError("--volume runs in this process, a page at a time: drop --tile-size, --workers and "
                         "--scheduler.")
    if ns.stitch is not None:
        if not ns.volume:
            raise UsageError("--stitch links instances across the pages of a volume: add --volume.")
        if not 0 <= ns.stitch < 1:
            raise UsageError(f"--stitch: the IoU must lie in [0, 1), e.g. 0.25; got {ns.stitch}.")
        if job.task == "semantic":
            raise UsageError(f"--stitch links instances, but {method} gives classes, which are the same on every "
                             "page already: add --as instance, or drop --stitch.")
    if ns.fit is not None and not ns.volume:
        raise UsageError("--fit chooses where a volume's threshold or clusters are fitted: add --volume.")
    if ns.dicom_seg:
        if not ns.volume:
            raise UsageError("--dicom-seg writes a DICOM volume's labels as a DICOM Segmentation: add --volume.")
        require("highdicom", feature="--dicom-seg")


def fit_volume(plan: VolumePlan, job: Job) -> tuple[Any, Mapping[str, Any]] | str:
    """The state of `job`'s global method fitted on every page of `plan`, or why it could not be (a message)."""
    from ..run.service import read_input
    from ..run.stacks import fit_pages

    def pages() -> Iterator[NDArray]:
        for path, page in plan.keys:
            yield read_input(path, page=page)[0]

    try:
        return fit_pages(job.method, job.params, pages, len(plan.keys), mask=job.mask)
    except (ValueError, OSError) as exc:
        return " ".join(str(exc).split())


def plan_volumes(ns: argparse.Namespace, files: Sequence[Path], stems: Sequence[str], outdir: Path,
                 failures: list[tuple[str, str]],
                 complete: Callable[[Item], bool]) -> tuple[list[Item], dict[Key, VolumePlan], int]:
    """The pages to segment, the volume each belongs to (single-page inputs: none), the pages skipped as done.

    A volume whose file exists fails at once (no work) unless ``--overwrite``
    or ``--skip-existing``; `complete(item)` says whether a page's own outputs
    are all there (``--skip-existing``).
    """
    from ..io.dicom_geometry import group_series

    stem_of_file = dict(zip(files, stems))
    series, rest = group_series(files)
    volumes: list[tuple[VolumePlan, list[Item]]] = []
    items: list[Item] = []
    taken = set(stems)
    for s in series:
        folder = s.slices[0].resolve().parent.name or "series"
        stem = f"{folder}.s{s.number}" if s.number is not None else f"{folder}.series"
        if stem in taken:
            stem = f"{stem}.{s.uid.rsplit('.', 1)[-1]}"
        taken.add(stem)
        layout = series_layout(s)
        its = [(path, None, stem_of_file[path]) for path in s.slices]
        name = f"series {s.number if s.number is not None else s.uid} ({len(s.slices)} slices in {folder})"
        volumes.append((VolumePlan(name, outdir / (stem + layout.suffix), layout, tuple(i[:2] for i in its),
                                   dicom=s.slices, seg_path=outdir / f"{stem}.seg.dcm" if ns.dicom_seg else None),
                        its))
    for source in rest:
        try:
            n = count_pages(source)
        except (InvalidImageError, OSError) as exc:
            failures.append((str(source), " ".join(str(exc).split()).removeprefix(f"{source}: ")))
            continue
        stem = stem_of_file[source]
        if n == 1 and file_suffix(source).lower() not in (".nii", ".nii.gz"):
            items.append((source, None, stem))
            continue
        layout = volume_layout(source)
        its = [(source, p, page_stem(stem, p)) for p in range(n)]
        dicom = (source,) if is_dicom_file(source) else ()
        volumes.append((VolumePlan(str(source), outdir / (stem + layout.suffix), layout, tuple(i[:2] for i in its),
                                   dicom=dicom, seg_path=outdir / f"{stem}.seg.dcm" if dicom and ns.dicom_seg else None),
                        its))
    inputs = {f.resolve() for f in files}
    plans: dict[Key, VolumePlan] = {}
    skipped = 0
    for plan, its in volumes:
        targets = [plan.path] if plan.seg_path is None else [plan.path, plan.seg_path]
        for target in targets:
            if target.resolve() in inputs:
                raise UsageError(f"output {target} would replace an input file; choose another -o folder.")
        exists = any(target.exists() for target in targets)
        if all(target.exists() for target in targets) and ns.skip_existing and all(complete(item) for item in its):
            skipped += len(its)
            continue
        if exists and not (ns.overwrite or ns.skip_existing):
            there = next(target for target in targets if target.exists())
            failures.append((plan.name, f"{there} exists; add --overwrite to replace it or --skip-existing to "
                                        "keep finished volumes."))
            continue
        plan.overwrite = ns.overwrite or ns.skip_existing
        plan.stitch = ns.stitch
        plans.update((key, plan) for key in plan.keys)
        items += its
    return items, plans, skipped
