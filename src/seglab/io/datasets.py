"""The standard data-set layout that ``seglab bench`` and ``seglab train`` read.

::

    DIR/
      images/[SPLIT/]<stem>.png|.jpg|.jpeg|.tif|.tiff|.bmp|.nii|.nii.gz   the images
      labels/[SPLIT/]<stem>.png|.tif|.tiff|.nii|.nii.gz                   label images, or
      masks/[SPLIT/]<stem>.png|.tif|.tiff|.nii|.nii.gz                    (same, other name), or
      groundTruth/[SPLIT/]<stem>.mat                         BSDS ground truth (several annotators)
      splits/<SPLIT>.txt                                     optional: one file name or stem per line

An image and its labels share the stem (``<stem>.labels.png`` counts as
``<stem>``). With ``--split S`` the images come from ``images/S/`` when that
folder exists, and are filtered by ``splits/S.txt`` when that file exists (at
least one of the two must); labels come from ``labels/S/`` when it exists,
else from ``labels/``. Without a split, ``images/`` must hold the images
itself. The first of ``labels/``, ``masks/`` and ``groundTruth/`` that exists
is used. The data sets in ``../shared/data`` follow this layout (BSDS500:
``images/val`` + ``groundTruth/val``; CamVid: ``images/val`` + ``labels/val``
+ ``splits/val.txt``; DSB2018 and ISBI 2012: ``images/`` + ``labels/``).

A TIFF stack or NIfTI volume of several pages (the slices along a NIfTI's
third axis) and its label file of as many pages are one item per page,
``<stem>.p0000``, ``<stem>.p0001``, ... (the names ``seglab segment --page``
and ``seglab eval`` give pages), so ISBI 2012's original ``train-volume.tif``
and ``train-labels.tif``, or a folder of NIfTI scans and their label volumes,
are a data set as they are. A split list may name a volume (all its pages)
or single pages.

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> from seglab.io import write_labels
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> for sub in ("images/val", "labels/val"):
...     (root / sub).mkdir(parents=True)
>>> for stem in ("a", "b"):
...     _ = write_labels(root / "images" / "val" / f"{stem}.png", np.zeros((4, 4), int))
>>> _ = write_labels(root / "labels" / "val" / "a.png", np.zeros((4, 4), int))
>>> ds = find_dataset(root, split="val")
>>> [item.stem for item in ds.items], [p.name for p in ds.missing_labels]
(['a'], ['b.png'])
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import re

from ..core.errors import InvalidImageError, InvalidParameterError
from .naming import file_suffix, page_stem, stem_of

__all__ = ["DatasetItem", "Dataset", "find_dataset", "listed_stem", "volume_of", "DATASET_IMAGE_SUFFIXES", "LABEL_FOLDERS",
           "LABEL_SUFFIXES"]

DATASET_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".nii", ".nii.gz")
LABEL_FOLDERS = ("labels", "masks", "groundTruth")
#: Suffixes read as label images (the other readable image formats are lossy or colour).
LABEL_SUFFIXES = (".png", ".tif", ".tiff", ".nii", ".nii.gz")
#: Files that may hold several pages, each an item of its own.
_PAGED = (".tif", ".tiff", ".nii", ".nii.gz")
_PAGE_NAME = re.compile(r"\.p\d{4,}$")


@dataclass(frozen=True)
class DatasetItem:
    """One image of a data set and the file holding its labels (a label image or a BSDS ``.mat``)."""

    stem: str
    image: Path
    labels: Path
    page: int | None = None  # the page of a multi-page image and label file; its stem is <file stem>.p0004


@dataclass(frozen=True)
class Dataset:
    """The items of a data set (in stem order) and the images that have no labels."""

    root: Path
    split: str | None
    label_folder: str
    items: list[DatasetItem]
    missing_labels: list[Path]

    @property
    def label_kind(self) -> str:
        """``"mat"`` for BSDS ground truth, else ``"labels"``."""
        return "mat" if self.label_folder == "groundTruth" else "labels"


def _files(folder: Path, suffixes: tuple[str, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and file_suffix(path).lower() in suffixes and not path.name.startswith("."):
            found.setdefault(stem_of(path), path)
    return found


def _split_list(path: Path) -> set[str]:
    names = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {listed_stem(n) for n in names if n and not n.startswith("#")}


def listed_stem(name: str) -> str:
    """The stem a line of a split or stem list names: a file's stem, or a page's (``vol.p0004``) as it is.

    Examples
    --------
    >>> listed_stem("images/a.png"), listed_stem("b"), listed_stem("scan.nii.gz"), listed_stem("scan.p0004")
    ('a', 'b', 'scan', 'scan.p0004')
    """
    return name if _PAGE_NAME.search(name) else stem_of(Path(name).name)


def volume_of(stem: str) -> str:
    """The stem of the file an item's stem comes from (``vol.p0004`` -> ``vol``; others as they are)."""
    return _PAGE_NAME.sub("", stem)


def _pages(path: Path) -> int:
    """The pages of a data-set file (1 for formats of one page, and for a file that cannot be read: reading it
    reports the problem)."""
    if file_suffix(path).lower() not in _PAGED:
        return 1
    from .read import count_pages

    try:
        return count_pages(path)
    except InvalidImageError:
        return 1


def _items(stem: str, image: Path, labels: Path) -> list[DatasetItem]:
    """The items of an image file and its label file: one, or one per page of a stack or volume."""
    n_image, n_labels = _pages(image), _pages(labels)
    if n_image != n_labels and labels.suffix.lower() != ".mat":
        raise InvalidParameterError(f"{image} has {n_image} page(s) but its labels {labels} have {n_labels}; a "
                                    "stack or volume needs a label page for every page.")
    if n_image == 1:
        return [DatasetItem(stem, image, labels)]
    return [DatasetItem(page_stem(stem, k), image, labels, k) for k in range(n_image)]


def find_dataset(root: str | os.PathLike[str], *, split: str | None = None, option: str = "--split") -> Dataset:
    """Read the layout of the data set in `root` (see the module docstring).

    Parameters
    ----------
    root : str or path-like
        The data-set folder.
    split : str, optional
        Sub-folder name and/or ``splits/<split>.txt`` list.
    option : str, optional
        The option that named `split`, for the error when it does not exist (``--split``, ``--val-split``).

    Returns
    -------
    Dataset

    Raises
    ------
    FileNotFoundError
        `root` or its ``images/`` folder does not exist.
    InvalidParameterError
        No label folder, an unknown split, or split sub-folders without ``split``.

    Examples
    --------
    >>> find_dataset("no/such/data")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no/such/data: no such data-set folder; pass --data DIR ...
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such data-set folder; pass --data DIR with DIR/images and DIR/labels.")
    images_dir = root / "images"
    if not images_dir.is_dir():
        raise FileNotFoundError(f"{root} has no images/ folder; the layout is DIR/images/[SPLIT/] + DIR/labels/[SPLIT/].")
    label_folder = next((name for name in LABEL_FOLDERS if (root / name).is_dir()), None)
    if label_folder is None:
        raise InvalidParameterError(f"--data: {root} has no {', '.join(f + '/' for f in LABEL_FOLDERS)} folder.")
    labels_dir = root / label_folder
    listed: set[str] | None = None
    if split is not None:
        list_file = root / "splits" / f"{split}.txt"
        if (images_dir / split).is_dir():
            images_dir = images_dir / split
        elif not list_file.is_file():
            known = sorted({p.name for p in (root / "images").iterdir() if p.is_dir()}
                           | {p.stem for p in (root / "splits").glob("*.txt")})
            raise InvalidParameterError(
                f"{option}: {root} has no split {split!r} (neither images/{split}/ nor splits/{split}.txt); "
                f"splits found: {', '.join(known) or 'none'}."
            )
        if list_file.is_file():
            listed = _split_list(list_file)
        if (labels_dir / split).is_dir():
            labels_dir = labels_dir / split
    else:
        subfolders = sorted(p.name for p in images_dir.iterdir() if p.is_dir())
        if subfolders and not _files(images_dir, DATASET_IMAGE_SUFFIXES):
            raise InvalidParameterError(
                f"--split: {images_dir} is divided into {', '.join(subfolders)}; choose one with --split."
            )
    images = _files(images_dir, DATASET_IMAGE_SUFFIXES)
    if listed is not None:
        volumes = {volume_of(n) for n in listed}
        images = {s: p for s, p in images.items() if s in volumes}
    suffixes = (".mat",) if label_folder == "groundTruth" else LABEL_SUFFIXES
    labels = _files(labels_dir, suffixes)
    items = [item for s in sorted(images) if s in labels for item in _items(s, images[s], labels[s])]
    if listed is not None:
        items = [item for item in items if item.stem in listed or volume_of(item.stem) in listed]
    missing = [images[s] for s in sorted(images) if s not in labels]
    return Dataset(root=root, split=split, label_folder=label_folder, items=items, missing_labels=missing)
