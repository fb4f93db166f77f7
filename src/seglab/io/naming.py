"""How seglab names the files it writes, so every reader recognises them alike.

``seglab segment`` writes ``<stem><suffix>`` for each output kind; the
folder readers of ``seglab segment`` (inputs), ``seglab eval`` (pairing
predictions with ground truth) and the data-set layout all use this table to
tell our outputs from images and to find an output's stem.

Examples
--------
>>> output_kind_of("out/coins.labels.png"), output_kind_of("out/coins.overlay.png"), output_kind_of("coins.png")
('labels', 'overlay', None)
>>> stem_of("out/coins.labels.tif"), stem_of("gt/coins.png"), stem_of("out/coins.panoptic.json")
('coins', 'coins', 'coins')
>>> stem_of("scans/brain.nii.gz"), stem_of("out/brain.labels.nii.gz")
('brain', 'brain')
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["OUTPUT_SUFFIXES", "output_kind_of", "is_output_file", "stem_of", "file_stem", "file_suffix", "page_stem"]

#: Output kind -> the file suffixes it writes (``labels``: one of them, by the label range and the input).
OUTPUT_SUFFIXES: dict[str, tuple[str, ...]] = {
    # the last two: label volumes of NIfTI and DICOM inputs, and DICOM Segmentations (segment --volume)
    "labels": (".labels.png", ".labels.tif", ".labels.nii.gz", ".seg.dcm"),
    "overlay": (".overlay.png", ".overlay.jpg"),
    "json": (".json",),
    "coco": (".coco.json",),
    "csv": (".regions.csv",),
    "panoptic": (".panoptic.png", ".panoptic.json"),
}

# Longest first, so ``.coco.json`` and ``.panoptic.json`` win over ``.json``.
_BY_SUFFIX = sorted(((s, k) for k, ss in OUTPUT_SUFFIXES.items() for s in ss), key=lambda p: -len(p[0]))


def output_kind_of(path: str | os.PathLike[str]) -> str | None:
    """The output kind a file name belongs to (``json`` only for sidecars of our naming), or None.

    A plain ``.json`` is reported as ``"json"``: whether it is a sidecar or a
    COCO file is for the reader to decide from its content.
    """
    name = Path(path).name.lower()
    for suffix, kind in _BY_SUFFIX:
        if name.endswith(suffix) and len(name) > len(suffix):
            return kind
    return None


def is_output_file(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is named like an *image* output of seglab (labels, overlay, panoptic PNG).

    Folder expansion skips these: they are never taken as inputs to segment.

    Examples
    --------
    >>> is_output_file("a.overlay.png"), is_output_file("a.png")
    (True, False)
    """
    return (output_kind_of(path) in ("labels", "overlay", "panoptic")
            and file_suffix(path).lower() in (".png", ".tif", ".jpg", ".nii.gz", ".dcm"))


def stem_of(path: str | os.PathLike[str]) -> str:
    """The name an image is matched by: the file name without its output suffix (or plain suffix).

    ``seglab segment`` writes ``<stem>.labels.png``, ``<stem>.panoptic.png``, ...;
    their stem is ``<stem>``.
    """
    name = Path(path).name
    kind = output_kind_of(name)
    if kind is not None:
        low = name.lower()
        for suffix in OUTPUT_SUFFIXES[kind]:
            if low.endswith(suffix):
                return name[: -len(suffix)]
    return file_stem(name)


#: Suffixes of two parts, which belong to the format as a whole.
_DOUBLE_SUFFIXES = (".nii.gz",)


def file_suffix(path: str | os.PathLike[str]) -> str:
    """A file's format suffix, ``.nii.gz`` whole.

    Examples
    --------
    >>> file_suffix("a/brain.nii.gz"), file_suffix("x.v2.png"), file_suffix("IM0001")
    ('.nii.gz', '.png', '')
    """
    name = Path(path).name
    for double in _DOUBLE_SUFFIXES:
        if name.lower().endswith(double) and len(name) > len(double):
            return name[-len(double):]
    return Path(name).suffix


def file_stem(path: str | os.PathLike[str]) -> str:
    """A file's name without its format suffix (``brain.nii.gz`` -> ``brain``).

    Examples
    --------
    >>> file_stem("a/brain.nii.gz"), file_stem("x.v2.png")
    ('brain', 'x.v2')
    """
    name = Path(path).name
    return name[: len(name) - len(file_suffix(name))]


def page_stem(stem: str, page: int) -> str:
    """The stem of one page of a multi-page file: ``seglab segment --page`` names its outputs so, ``seglab eval``
    the pages of a label volume.

    Examples
    --------
    >>> page_stem("scan", 4), page_stem("clip", 12345)
    ('scan.p0004', 'clip.p12345')
    """
    return f"{stem}.p{page:04d}"
