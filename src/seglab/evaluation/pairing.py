"""Find the label entries under a path and pair predictions with ground truth by file stem.

A path is a file or a folder (its files, not recursive). Every file gives
entries, each named by a *stem*:

- a label image (``.png``, ``.tif``, ``.tiff``) or a BSDS ``.mat``: one
  entry, named by its file name without suffix and without ``.labels``
  (``seglab segment`` writes ``<stem>.labels.png``); a TIFF stack or NIfTI
  volume (``.nii``, ``.nii.gz``) of several pages: one entry per page, named
  ``<stem>.p0000``, ``<stem>.p0001``, ... as ``seglab segment --page`` names
  its outputs;
- a COCO instance or panoptic JSON: one entry per image, named by the stem of
  the image's ``file_name``; a COCO results list (predictions only) is
  resolved with the ground truth's ``images``. Other JSON files are skipped
  with a note.

A folder written by ``seglab segment`` is read as ``seglab segment`` names
its outputs (:mod:`seglab.io.naming`): its label images are the
predictions; overlays and sidecars are skipped silently, and so are the COCO
and panoptic files of a stem whose label image is there.

When a stem occurs twice on one side, a label image or ``.mat`` wins over a
JSON entry (``seglab segment --outputs labels,coco`` writes both), and two
label files with one stem are reported as a problem. Two files given
directly are paired whatever their stems, when each holds one entry.

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> from seglab.io import write_labels
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "pred").mkdir(); (root / "gt").mkdir()
>>> for name in ("pred/a.labels.png", "pred/b.labels.png", "gt/a.png", "gt/c.png"):
...     _ = write_labels(root / name, np.zeros((2, 2), int))
>>> pairing = pair(collect(root / "pred"), collect(root / "gt"))
>>> [p.stem for p in pairing.pairs], [pathlib.Path(s).name for s in pairing.only_pred + pairing.only_gt]
(['a'], ['b.labels.png', 'c.png'])
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..core.errors import InvalidImageError
from . import coco_json
from ..io.coco import coco_defect, json_kind, read_json
from ..io.datasets import LABEL_SUFFIXES
from ..io import count_pages
from ..io.naming import output_kind_of, page_stem, stem_of
from .formats import LabelData, read_label_image, read_mat

__all__ = ["Entry", "Collection", "Pair", "Pairing", "collect", "pair", "EntryKind"]

EntryKind = Literal["labels", "mat", "instance", "results", "panoptic"]
_STACK_FILES = (".tif", ".tiff", ".nii", ".nii.gz")
_FILE_KINDS = ("labels", "mat")


@dataclass(frozen=True)
class Entry:
    """One image's labels inside a file, not read yet."""

    stem: str
    source: str
    kind: EntryKind
    load: Callable[[], LabelData]


@dataclass
class Collection:
    """The entries under one path, by stem, plus files that gave none."""

    entries: dict[str, Entry] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    other_json: list[str] = field(default_factory=list)
    images: coco_json.ImageTable = field(default_factory=dict)
    is_file: bool = False

    def add(self, entry: Entry) -> None:
        """Add `entry`; on a stem clash keep the label file (see the module docstring)."""
        old = self.entries.get(entry.stem)
        if old is None:
            self.entries[entry.stem] = entry
        elif old.kind in _FILE_KINDS and entry.kind in _FILE_KINDS:
            self.problems.append((entry.source, f"has the same stem {entry.stem!r} as {old.source}; "
                                  "rename or remove one of them (this one was skipped)."))
        elif entry.kind in _FILE_KINDS:
            self.notes.append(f"{entry.source} is used for {entry.stem!r}; {old.source} is skipped")
            self.entries[entry.stem] = entry
        else:
            self.notes.append(f"{entry.source} is skipped; {old.source} is used for {entry.stem!r}")


def _json_entries(path: Path, out: Collection, images: coco_json.ImageTable | None) -> list[str]:
    """Add the entries of a JSON file; return the names of the panoptic PNGs it uses."""
    doc = read_json(path)
    kind = json_kind(doc)
    if kind is None:
        defect = coco_defect(doc)
        if defect is not None:  # a COCO file with a fault: say which, rather than "no label files"
            raise InvalidImageError(f"{path}: {defect}")
        if not _is_sidecar(doc):  # seglab's own <stem>.json sidecars are skipped silently
            out.other_json.append(str(path))
        return []
    if kind == "results":
        if not images:
            raise InvalidImageError(
                f"{path} is a COCO results list, which names images by 'image_id'; give the ground truth as "
                "the COCO instance JSON that defines those ids."
            )
        found = coco_json.results_entries(doc, str(path), images)
    elif kind == "instance":
        found = coco_json.instance_entries(doc, str(path))
        out.images.update(coco_json.image_table(doc, str(path)))
    else:
        found = coco_json.panoptic_entries(doc, path)
    for stem, source, load in found:
        out.add(Entry(stem, source, kind, load))
    return [ann["file_name"] for ann in doc["annotations"]] if kind == "panoptic" else []


def _is_sidecar(doc: object) -> bool:
    """Whether a JSON document is a seglab sidecar (what ``seglab segment --outputs json`` writes)."""
    return isinstance(doc, dict) and "seglab_version" in doc and "method" in doc and "params" in doc


def _file_entries(path: Path, max_pixels: int | None) -> list[Entry]:
    """The entries of a ``.mat`` or label file: one, or one per page of a TIFF stack or NIfTI volume.

    Page k of a file of several is named ``<stem>.p000k``, as ``seglab segment --page`` names its outputs.
    """
    stem = stem_of(path)
    if path.suffix.lower() == ".mat":
        return [Entry(stem, str(path), "mat", lambda: read_mat(path))]
    try:
        pages = count_pages(path) if path.name.lower().endswith(_STACK_FILES) else 1
    except InvalidImageError:  # the entry's loading says what is wrong with the file
        pages = 1
    if pages == 1:
        return [Entry(stem, str(path), "labels", functools.partial(read_label_image, path, max_pixels=max_pixels))]
    return [Entry(page_stem(stem, k), f"{path} page {k}", "labels",
                  functools.partial(read_label_image, path, page=k, max_pixels=max_pixels)) for k in range(pages)]


def collect(path: str | os.PathLike[str], *, images: coco_json.ImageTable | None = None,
            max_pixels: int | None = None) -> Collection:
    """The label entries of a file or folder.

    Parameters
    ----------
    path : str or path-like
        A label image, ``.mat``, COCO JSON, or a folder of them.
    images : dict, optional
        The ground truth's COCO ``images`` table (:attr:`Collection.images`),
        needed to resolve a COCO results list.
    max_pixels : int, optional
        Label images larger than this are refused from their header when loaded (a server's limit).

    Returns
    -------
    Collection
        ``entries`` by stem; ``problems`` (file, reason) for files that cannot
        be used; ``notes`` for files skipped in favour of another;
        ``other_json`` for JSON files that are not COCO files; ``images`` of
        COCO instance files.

    Raises
    ------
    FileNotFoundError
        `path` does not exist.

    Examples
    --------
    >>> collect("no/such/folder")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no/such/folder: no such file or folder; check the path.
    """
    path = Path(path)
    out = Collection(is_file=path.is_file())
    if out.is_file:
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    else:
        raise FileNotFoundError(f"{path}: no such file or folder; check the path.")
    kinds = {f: output_kind_of(f) for f in files}
    # seglab segment writes labels beside overlays, sidecars, COCO and panoptic files of the same result:
    # a folder of its outputs is read as its label images, the rest is not a second prediction
    labelled = {stem_of(f) for f in files if f.name.lower().endswith(LABEL_SUFFIXES) and kinds[f] in (None, "labels")}
    used_pngs: set[Path] = set()
    for json_file in (f for f in files if f.suffix.lower() == ".json"):
        if kinds[json_file] in ("coco", "panoptic") and stem_of(json_file) in labelled and not out.is_file:
            continue
        try:
            used_pngs |= {json_file.parent / name for name in _json_entries(json_file, out, images)}
        except InvalidImageError as exc:
            out.problems.append((str(json_file), str(exc).removeprefix(f"{json_file} ")))
    for f in files:
        suffix = f.suffix.lower()
        if not out.is_file and (kinds[f] == "overlay" or (kinds[f] == "panoptic" and stem_of(f) in labelled)):
            continue
        if (f.name.lower().endswith(LABEL_SUFFIXES) or suffix == ".mat") and f not in used_pngs:
            for entry in _file_entries(f, max_pixels):
                out.add(entry)
        elif out.is_file and suffix != ".json":
            out.problems.append((str(f), "is not a label file; give a .png/.tif label image, a NIfTI label volume, "
                                         "a BSDS .mat or COCO JSON."))
    return out


@dataclass(frozen=True)
class Pair:
    """A prediction entry and its ground-truth entry."""

    stem: str
    pred: Entry
    gt: Entry


@dataclass(frozen=True)
class Pairing:
    """Pairs in stem order, and the sources (files, or images in a file) left without a partner."""

    pairs: list[Pair]
    only_pred: list[str]
    only_gt: list[str]


def pair(pred: Collection, gt: Collection) -> Pairing:
    """Match entries by stem (two single-entry files are paired directly).

    Examples
    --------
    >>> a = Collection(is_file=True); a.add(Entry("x", "x.png", "labels", lambda: None))
    >>> b = Collection(is_file=True); b.add(Entry("y", "y.png", "labels", lambda: None))
    >>> [(p.pred.source, p.gt.source) for p in pair(a, b).pairs]
    [('x.png', 'y.png')]
    """
    if pred.is_file and gt.is_file and len(pred.entries) == 1 and len(gt.entries) == 1:
        (p,), (g,) = pred.entries.values(), gt.entries.values()
        return Pairing([Pair(g.stem, p, g)], [], [])
    common = sorted(set(pred.entries) & set(gt.entries))
    return Pairing(
        pairs=[Pair(s, pred.entries[s], gt.entries[s]) for s in common],
        only_pred=[pred.entries[s].source for s in sorted(set(pred.entries) - set(gt.entries))],
        only_gt=[gt.entries[s].source for s in sorted(set(gt.entries) - set(pred.entries))],
    )
