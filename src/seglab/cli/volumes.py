"""``seglab segment --page all --volume``: the labels of every page of an input in one file.

Each input's pages are segmented one at a time as usual (their other
outputs, the sidecar JSON for one, are written page by page), but their
labels are kept, in the smallest integer type that holds them, and written
together as ``OUTDIR/<stem>.labels.nii.gz`` (NIfTI inputs, on their grid) or
a multi-page ``OUTDIR/<stem>.labels.tif`` once the input's last page is done
(:mod:`seglab.io.volume`). A page that fails leaves its input without a
volume (reported); an existing volume is refused before any work unless
``--overwrite``. With ``--skip-existing`` an input whose volume and page
outputs are all there is skipped, and any other is segmented again whole,
replacing its page outputs from the interrupted run.

Examples
--------
>>> from pathlib import Path
>>> plan = VolumePlan(Path("scan.nii.gz"), Path("out/scan.labels.nii.gz"), pages=(0, 1))
>>> plan.add(1, np.zeros((2, 2), np.int32)); plan.missing()
[0]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..io import encode_label_volume, volume_suffix, write_together
from ..io.volume import compact_labels
from .common import UsageError

__all__ = ["VolumePlan", "plan_volumes", "write_volume"]


@dataclass
class VolumePlan:
    """One input's label volume: where it goes, which pages it needs, the labels gathered so far."""

    source: Path
    path: Path
    pages: tuple[int, ...]
    overwrite: bool = False
    labels: dict[int, NDArray[np.integer]] = field(default_factory=dict, repr=False)

    def add(self, page: int, labels: NDArray[np.integer]) -> None:
        """Keep the labels of `page` (compacted: a uint8 copy where they fit)."""
        self.labels[page] = compact_labels(labels)

    def missing(self) -> list[int]:
        """The pages whose labels have not come."""
        return [p for p in self.pages if p not in self.labels]


def plan_volumes(ns: argparse.Namespace, items: Sequence[tuple[Path, int, str]], files: Sequence[Path],
                 stems: Sequence[str], outdir: Path, failures: list[tuple[str, str]],
                 complete: Callable[[int, str], bool]) -> tuple[dict[Path, VolumePlan], list[tuple[Path, int, str]], int]:
    """The volume of each input with pages to do; the items left to segment; the pages skipped as done.

    An input whose volume exists fails at once (no work) unless ``--overwrite``
    or ``--skip-existing``; `complete(page, stem)` says whether a page's own
    outputs are all there (``--skip-existing``).
    """
    inputs = {f.resolve() for f in files}
    stem_of_file = dict(zip(files, stems))
    by_source: dict[Path, list[tuple[Path, int, str]]] = {}
    for item in items:
        by_source.setdefault(item[0], []).append(item)
    plans: dict[Path, VolumePlan] = {}
    left: list[tuple[Path, int, str]] = []
    skipped = 0
    for source, its in by_source.items():
        path = outdir / (stem_of_file[source] + volume_suffix(source))
        if path.resolve() in inputs:
            raise UsageError(f"output {path} would replace an input file; choose another -o folder.")
        exists = path.exists()
        if exists and ns.skip_existing and all(complete(page, stem) for _, page, stem in its):
            skipped += len(its)
            continue
        if exists and not (ns.overwrite or ns.skip_existing):
            failures.append((str(source), f"{path} exists; add --overwrite to replace it or --skip-existing to "
                                          "keep finished inputs."))
            continue
        plans[source] = VolumePlan(source, path, tuple(page for _, page, _ in its),
                                   overwrite=ns.overwrite or ns.skip_existing)
        left += its
    return plans, left, skipped


def write_volume(plan: VolumePlan) -> Path:
    """Write the volume of `plan` (every page's labels have come), atomically.

    Raises
    ------
    ValueError
        Pages of different sizes, or fewer pages than a NIfTI volume's slices.
    """
    _, data = encode_label_volume([plan.labels[p] for p in plan.pages], plan.source)
    return write_together({plan.path: data}, overwrite=plan.overwrite)[0]
