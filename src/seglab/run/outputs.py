"""The output kinds of a segmentation run and how each is encoded, in one table.

Every front end (``seglab segment``, ``seglab bench``, the web server) asks
this table for the files of a result; none encodes outputs on its own.

=========  ==========================================  ===================================
kind       files                                        content
=========  ==========================================  ===================================
labels     ``<stem>.labels.png`` or ``.labels.tif``     label image (TIFF beyond 16 bits or with void)
overlay    ``<stem>.overlay.png`` (``.jpg`` for JPEG)   the image with coloured segments and boundaries
json       ``<stem>.json``                              sidecar: method, params, meta, segments, input
coco       ``<stem>.coco.json``                         COCO instance JSON with RLE masks
csv        ``<stem>.regions.csv``                       label, class, area, bbox, centroid, mean intensity
panoptic   ``<stem>.panoptic.png`` + ``.panoptic.json``  COCO panoptic id PNG and its segments
=========  ==========================================  ===================================

Examples
--------
>>> import numpy as np, seglab
>>> image = np.zeros((4, 4), np.uint8); image[1:3, 1:3] = 200
>>> outcome = Outcome(image, seglab.segment(image, "otsu"), source="a.png")
>>> sorted(encode_outputs(("labels", "json"), outcome, "a"))
['a.json', 'a.labels.png']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from .. import io
from ..core.errors import InvalidParameterError, did_you_mean
from ..core.types import Segmentation
from ..io.naming import OUTPUT_SUFFIXES

__all__ = ["Outcome", "OutputKind", "OUTPUT_KINDS", "SPACING_KINDS", "encode_outputs", "output_names", "parse_outputs"]


@dataclass(frozen=True)
class Outcome:
    """One segmented image: what the outputs are made of.

    Attributes
    ----------
    image : ndarray or None
        The image as read (its own units); None when no output asked for
        needs it (:attr:`OutputKind.needs_image`), so that it is freed before
        the outputs are encoded.
    seg : Segmentation
        The result, after any task conversion.
    source : str
        The input as the user named it (recorded in the sidecar); its file name names the COCO image.
    page : int or None
        The page read from a multi-page input.
    notes : tuple of str
        Warnings raised while reading or segmenting.
    pixel_spacing : (float, float) or None
        The input's (row, column) pixel spacing in mm, where its header gives one
        (:func:`seglab.io.pixel_spacing`); recorded in the sidecar, areas in mm² in the regions CSV.
    seconds : float
        Time spent in the method (reading excluded).
    overlay_alpha, overlay_style : float, str
        How the overlay output is drawn (:func:`seglab.io.overlay`).
    """

    image: NDArray[Any] | None
    seg: Segmentation
    source: str = ""
    page: int | None = None
    notes: tuple[str, ...] = ()
    pixel_spacing: tuple[float, float] | None = None
    seconds: float = 0.0
    overlay_alpha: float = 0.4
    overlay_style: str = "fill"

    @property
    def file_name(self) -> str:
        """The input's file name (COCO ``file_name``)."""
        return Path(self.source).name if self.source else ""


def _labels(outcome: Outcome, stem: str) -> dict[str, bytes]:
    suffix, data = io.encode_label_file(outcome.seg)
    return {f"{stem}.labels{suffix}": data}


def _overlay(outcome: Outcome, stem: str) -> dict[str, bytes]:
    """PNG, or JPEG (quality 92) for a JPEG input: a photo's overlay need not be lossless, and is 10x faster."""
    picture = io.overlay(outcome.image, outcome.seg, alpha=outcome.overlay_alpha, style=outcome.overlay_style)
    if Path(outcome.source).suffix.lower() in (".jpg", ".jpeg"):
        return {f"{stem}.overlay.jpg": io.encode_jpeg(picture, reuse=True)}
    return {f"{stem}.overlay.png": io.encode_png(picture, fast=True, reuse=True)}


def _json(outcome: Outcome, stem: str) -> dict[str, bytes]:
    doc = io.sidecar(outcome.seg, input_file=outcome.source or None, page=outcome.page, notes=outcome.notes,
                     pixel_spacing=outcome.pixel_spacing)
    return {f"{stem}.json": io.json_bytes(doc)}


def _coco(outcome: Outcome, stem: str) -> dict[str, bytes]:
    return {f"{stem}.coco.json": io.json_bytes(io.coco_document(outcome.seg, file_name=outcome.file_name), indent=None)}


def _csv(outcome: Outcome, stem: str) -> dict[str, bytes]:
    return {f"{stem}.regions.csv": io.regions_csv(outcome.seg, outcome.image,
                                                  pixel_spacing=outcome.pixel_spacing).encode("utf-8")}


def _panoptic(outcome: Outcome, stem: str) -> dict[str, bytes]:
    files = io.panoptic_files(Path(f"{stem}.panoptic.png"), outcome.seg, file_name=outcome.file_name)
    return {path.name: data for path, data in files.items()}


@dataclass(frozen=True)
class OutputKind:
    """One kind of output: its name, what it holds and how a result becomes its files."""

    name: str
    description: str
    encode: Callable[[Outcome, str], dict[str, bytes]] = field(repr=False)
    lists_segments: bool = False  # COCO and panoptic files list segments: a semantic result must be converted
    needs_image: bool = False  # drawn or measured on the image

    @property
    def suffixes(self) -> tuple[str, ...]:
        """Every suffix its files may have (see :data:`seglab.io.naming.OUTPUT_SUFFIXES`)."""
        return OUTPUT_SUFFIXES[self.name]


#: Every output kind, in the order the files are listed.
OUTPUT_KINDS: dict[str, OutputKind] = {
    k.name: k
    for k in (
        OutputKind("labels", "label image: 8/16-bit PNG, int32 TIFF beyond 16 bits or with void (-1)", _labels),
        OutputKind("overlay", "the image with coloured segments and their boundaries (PNG; JPEG for JPEG inputs)",
                   _overlay, needs_image=True),
        OutputKind("json", "sidecar JSON: method, parameters, meta, segments, input, seglab version", _json),
        OutputKind("coco", "COCO instance JSON with RLE masks", _coco, lists_segments=True),
        OutputKind("csv", "CSV of regions: label, class, area (also in mm² where the file gives a pixel spacing), "
                   "bbox, centroid, mean intensity", _csv,
                   needs_image=True),
        OutputKind("panoptic", "COCO panoptic id PNG plus its segments JSON", _panoptic, lists_segments=True),
    )
}


#: The output kinds that record the input's pixel spacing (read from its header only when one is asked for).
SPACING_KINDS = ("json", "csv")


def parse_outputs(kinds: str | Sequence[str]) -> tuple[str, ...]:
    """Output kinds from ``"labels,json"`` or a list, checked, duplicates dropped.

    Raises
    ------
    InvalidParameterError
        An unknown kind (with a did-you-mean) or none at all.

    Examples
    --------
    >>> parse_outputs("labels, overlay,labels")
    ('labels', 'overlay')
    >>> parse_outputs("lables")
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: unknown output 'lables'; Did you mean 'labels'? choose from ...
    """
    items = kinds.split(",") if isinstance(kinds, str) else list(kinds)
    chosen = tuple(dict.fromkeys(k.strip() for k in items if k.strip()))
    for kind in chosen:
        if kind not in OUTPUT_KINDS:
            raise InvalidParameterError(
                f"unknown output {kind!r};{did_you_mean(kind, OUTPUT_KINDS)} choose from {','.join(OUTPUT_KINDS)}"
            )
    if not chosen:
        raise InvalidParameterError(f"give at least one output kind of {','.join(OUTPUT_KINDS)}")
    return chosen


def output_names(kinds: Sequence[str], stem: str) -> list[str]:
    """Every file name the `kinds` may write for `stem` (every label format), to check before any work.

    Examples
    --------
    >>> output_names(("labels", "coco"), "x")
    ['x.labels.png', 'x.labels.tif', 'x.labels.nii.gz', 'x.seg.dcm', 'x.coco.json']
    """
    return [stem + suffix for kind in kinds for suffix in OUTPUT_KINDS[kind].suffixes]


def encode_outputs(kinds: Sequence[str], outcome: Outcome, stem: str) -> dict[str, bytes]:
    """The files of `outcome` for each of `kinds`: file name -> content, made in memory.

    The overlay, the costliest picture, is drawn and encoded on a thread beside
    the other kinds (OpenCV, numpy and the encoders release the GIL).
    """
    if "overlay" not in kinds or len(kinds) == 1:
        return {name: data for kind in kinds for name, data in OUTPUT_KINDS[kind].encode(outcome, stem).items()}
    made: dict[str, dict[str, bytes]] = {}
    with ThreadPoolExecutor(1) as pool:
        beside = pool.submit(OUTPUT_KINDS["overlay"].encode, outcome, stem)
        for kind in kinds:
            if kind != "overlay":
                made[kind] = OUTPUT_KINDS[kind].encode(outcome, stem)
        made["overlay"] = beside.result()
    return {name: data for kind in kinds for name, data in made[kind].items()}
