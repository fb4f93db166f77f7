"""Label formats for evaluation: one image's labels, however they were stored.

:class:`LabelData` holds the labels of one image in one of these kinds:

==============  ===================================================================
``labels``      an ``(H, W)`` int32 label image (class ids, instance ids or
                regions), optionally with a score per instance id
``instances``   possibly overlapping instance masks with categories, scores and
                crowd flags (COCO instance JSON, see :mod:`.coco_json`)
``panoptic``    an id map plus a segment table (COCO panoptic PNG + JSON)
``bsds``        several human annotations (a BSDS ``groundTruth`` ``.mat``)
``segs``        one label image per setting of a parameter sweep (a BSDS
                ``segs`` ``.mat``, or a benchmark sweep), optionally with an
                edge map per setting
``ucm2``        an ultrametric contour map (a BSDS ``ucm2`` ``.mat``)
==============  ===================================================================

Label images are read with :func:`seglab.io.read_labels`: PNG/TIFF with
integer values in ``[-1, 2**31 - 1]``; float files are accepted only when every
value is integral (the io convention), fractional values are an error.

Examples
--------
>>> import numpy as np
>>> data = LabelData.from_labels(np.array([[0, 1], [1, 2]]), source="a.png")
>>> data.kind, data.shape
('labels', (2, 2))
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidImageError
from ..core.validate import as_labels
from ..metrics.bsds import BsdsGroundTruth

__all__ = ["Kind", "Instances", "LabelData", "read_label_image", "read_mat", "read_truth"]

Kind = Literal["labels", "instances", "panoptic", "bsds", "segs", "ucm2"]


@dataclass(frozen=True, eq=False)
class Instances:
    """Possibly overlapping instance masks of one image (the COCO instance model).

    Attributes
    ----------
    masks : (N, H, W) ndarray of bool
    category_ids : (N,) ndarray of int64
    scores : (N,) ndarray of float64 or None
        Detection scores (predictions); None when the source has none.
    iscrowd : (N,) ndarray of bool
        Crowd regions (ground truth): ignored by the matching, see :meth:`to_labels`.
    """

    masks: NDArray[np.bool_]
    category_ids: NDArray[np.int64]
    scores: NDArray[np.float64] | None
    iscrowd: NDArray[np.bool_]

    def to_labels(self) -> NDArray[np.int32]:
        """One instance id image ``1..N`` (instance ``i`` of the list gets id ``i + 1``).

        Overlaps are resolved as seglab paints Mask R-CNN results: masks with
        higher scores lie on top (without scores, later masks lie on top).
        Crowd masks become void (-1) under the other instances, so matching
        and the DSB score leave them out.

        Examples
        --------
        >>> masks = np.zeros((2, 1, 3), bool); masks[0, 0, :2] = True; masks[1, 0, 1:] = True
        >>> inst = Instances(masks, np.zeros(2, np.int64), np.array([0.9, 0.5]), np.zeros(2, bool))
        >>> inst.to_labels().tolist()
        [[1, 1, 2]]
        """
        n, h, w = self.masks.shape
        out = np.zeros((h, w), np.int32)
        for i in np.flatnonzero(self.iscrowd):
            out[self.masks[i]] = -1
        order = np.flatnonzero(~self.iscrowd)
        if self.scores is not None:
            order = order[np.argsort(self.scores[order], kind="stable")]  # lowest first: highest ends on top
        for i in order:
            out[self.masks[i]] = i + 1
        return out


@dataclass(frozen=True, eq=False)
class LabelData:
    """The labels of one image, in one of the kinds of :data:`Kind`.

    Attributes
    ----------
    source : str
        Where it came from (file, and image inside a multi-image file), for messages.
    kind : Kind
        Which of the other fields is set.
    labels : (H, W) ndarray of int32 or None
        ``labels``: the label image; ``panoptic``: the segment id map (0 = void).
    scores : mapping of int to float or None
        ``labels`` holding instance ids: a score per id, when known.
    instances : Instances or None
        ``instances``.
    segments : mapping or None
        ``panoptic``: id -> ``{"category_id", "iscrowd", "isthing"}`` (COCO ``segments_info``).
    categories : mapping of int to bool or None
        ``panoptic``: category id -> isthing (COCO ``categories``), when the file lists them.
    annotations : tuple of BsdsGroundTruth
        ``bsds``: the human annotations.
    settings : tuple of (H, W) int32 arrays
        ``segs``: one label image per setting.
    ucm2 : (2H+1, 2W+1) ndarray of float64 or None
        ``ucm2``.
    """

    source: str
    kind: Kind
    labels: NDArray[np.int32] | None = None
    scores: Mapping[int, float] | None = None
    instances: Instances | None = None
    segments: Mapping[int, Mapping[str, Any]] | None = None
    categories: Mapping[int, bool] | None = None
    annotations: tuple[BsdsGroundTruth, ...] = ()
    settings: tuple[NDArray[np.int32], ...] = ()
    ucm2: NDArray[np.float64] | None = field(default=None)

    @classmethod
    def from_labels(
        cls, labels: ArrayLike, *, source: str, scores: Mapping[int, float] | None = None
    ) -> LabelData:
        """A ``labels`` entry from an array (validated as int32 label image).

        Examples
        --------
        >>> LabelData.from_labels([[0.5]], source="x")
        Traceback (most recent call last):
        ...
        seglab.core.errors.InvalidImageError: x is a float image with fractional or non-finite values; ...
        """
        lab = as_labels(labels, name=source)
        if lab.size == 0:
            raise InvalidImageError(f"{source} is empty (shape {lab.shape}); it needs at least one pixel.")
        return cls(source=source, kind="labels", labels=lab, scores=scores)

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` of the image these labels belong to.

        Examples
        --------
        >>> LabelData.from_labels(np.zeros((3, 5), int), source="x").shape
        (3, 5)
        """
        if self.labels is not None:
            return tuple(self.labels.shape)  # type: ignore[return-value]
        if self.instances is not None:
            return tuple(self.instances.masks.shape[1:])  # type: ignore[return-value]
        if self.annotations:
            return tuple(self.annotations[0].segmentation.shape)  # type: ignore[return-value]
        if self.settings:
            return tuple(self.settings[0].shape)  # type: ignore[return-value]
        assert self.ucm2 is not None
        return ((self.ucm2.shape[0] - 1) // 2, (self.ucm2.shape[1] - 1) // 2)


def read_label_image(path: str | os.PathLike[str], *, page: int | None = None,
                     max_pixels: int | None = None) -> LabelData:
    """Read a label image file (PNG/TIFF, or a page of a TIFF stack or NIfTI volume) as a ``labels`` entry.

    Raises
    ------
    InvalidImageError
        Naming the file: unreadable, colour, fractional floats, values below -1.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from seglab.io import write_labels
    >>> p = write_labels(pathlib.Path(tempfile.mkdtemp()) / "a.png", np.array([[0, 3]]))
    >>> read_label_image(p).labels.tolist()
    [[0, 3]]
    """
    from ..io import read_labels

    source = str(path) if page is None else f"{path} page {page}"
    return LabelData(source=source, kind="labels", labels=read_labels(path, page=page, max_pixels=max_pixels))


def read_mat(path: str | os.PathLike[str]) -> LabelData:
    """Read a BSDS ``.mat``: ``groundTruth`` (annotations), ``segs`` (a sweep) or ``ucm2``.

    Raises
    ------
    InvalidImageError
        Not a MATLAB v5 file, or none of the three variables in it.

    Examples
    --------
    >>> import tempfile, scipy.io
    >>> path = tempfile.mkdtemp() + "/s.mat"
    >>> cell = np.empty((1, 2), object); cell[0, 0] = np.ones((2, 2)); cell[0, 1] = np.eye(2) + 1
    >>> scipy.io.savemat(path, {"segs": cell})
    >>> data = read_mat(path)
    >>> data.kind, len(data.settings)
    ('segs', 2)
    """
    from scipy.io import whosmat

    from ..io.bsds import load_bsds_groundtruth, load_bsds_segs, load_bsds_ucm2

    try:
        names = {name for name, _, _ in whosmat(os.fspath(path))}
    except Exception as exc:  # scipy raises MatReadError, ValueError, ... on foreign files
        raise InvalidImageError(f"{path} is not a readable MATLAB v5 .mat file ({type(exc).__name__}: {exc}).") from None
    if "groundTruth" in names:
        return LabelData(source=str(path), kind="bsds", annotations=tuple(load_bsds_groundtruth(path)))
    if "segs" in names:
        segs = load_bsds_segs(path)
        if not segs:
            raise InvalidImageError(f"{path}: the segs cell is empty; it needs one label image per setting.")
        return LabelData(source=str(path), kind="segs", settings=tuple(segs))
    if "ucm2" in names:
        return LabelData(source=str(path), kind="ucm2", ucm2=load_bsds_ucm2(path))
    raise InvalidImageError(
        f"{path} holds {sorted(names)}; expected a BSDS 'groundTruth' cell (ground truth), "
        "'segs' cell (a sweep of label images) or 'ucm2' map."
    )


def read_truth(path: str | os.PathLike[str], *, page: int | None = None) -> LabelData:
    """A ground-truth file of a data set: a BSDS ``.mat`` or a label image (`page` of a stack or volume).

    Examples
    --------
    >>> read_truth("no/such.png")
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidImageError: no/such.png: no such file; ...
    """
    return read_mat(path) if Path(path).suffix.lower() == ".mat" else read_label_image(path, page=page)


def settings_from(labels: Sequence[ArrayLike], *, source: str) -> LabelData:
    """A ``segs`` entry from label images, one per setting of a sweep.

    Examples
    --------
    >>> data = settings_from([np.ones((2, 2), int), np.eye(2, dtype=int)], source="sweep")
    >>> data.kind, len(data.settings)
    ('segs', 2)
    """
    return LabelData(source=source, kind="segs", settings=tuple(as_labels(s, name=source) for s in labels))
