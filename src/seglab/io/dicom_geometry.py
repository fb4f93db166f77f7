"""Where DICOM pixels lie in the patient: frame planes, series of slices and their order, a volume's affine.

A frame's plane is its ImagePositionPatient (the centre of its first pixel),
its ImageOrientationPatient (the directions of increasing column and row
index) and its PixelSpacing (between rows, between columns), in the DICOM
patient frame (LPS, mm), read at the top level of a single-frame file or in
the frame's functional groups of an enhanced multi-frame file. Single-frame
files of one series (same SeriesInstanceUID, size and orientation) are the
slices of one volume, ordered along the slice normal, whatever their file
names. A label volume of such slices, or of a multi-frame file's frames,
lies on the scan through the NIfTI affine of :func:`volume_affine` (RAS, as
NIfTI and dcm2niix use), for the array ``volume[row, column, slice]``.

Examples
--------
>>> plane = Plane(np.array([-100.0, -80.0, 30.0]), np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), (0.5, 0.7))
>>> top = Plane(np.array([-100.0, -80.0, 36.0]), plane.row_dir, plane.col_dir, plane.spacing)
>>> (volume_affine([plane, top]) + 0.0).tolist()  # rows run posterior (-A), columns left (-R), slices up
[[0.0, -0.7, 0.0, 100.0], [-0.5, 0.0, 0.0, 80.0], [0.0, 0.0, 6.0, 30.0], [0.0, 0.0, 0.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Plane", "Series", "frame_plane", "frame_planes", "group_series", "series_key", "slice_position",
           "slice_thickness", "volume_affine"]

#: From the DICOM patient frame (LPS) to NIfTI's (RAS).
_LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0])
#: Largest deviation of a slice step from the mean step, as a share of it, that one affine still places.
_STEP_TOLERANCE = 0.01


@dataclass(frozen=True, eq=False)
class Plane:
    """Where one frame lies: first pixel's centre, the column and row directions (unit), (row, column) spacing, mm."""

    position: NDArray[np.float64]
    row_dir: NDArray[np.float64]  # along a row: increasing column index
    col_dir: NDArray[np.float64]  # down a column: increasing row index
    spacing: tuple[float, float]

    @property
    def normal(self) -> NDArray[np.float64]:
        """The slice normal, ``row_dir x col_dir``."""
        return np.cross(self.row_dir, self.col_dir)


def frame_plane(ds: Any, index: int = 0) -> Plane | None:
    """The plane of frame `index` of the DICOM data set `ds` (header only); None when it lacks one."""
    from .medical import frame_items

    def first(sequence: str, tag: str) -> Any:
        for holder in frame_items(ds, index, sequence):
            value = holder.get(tag)
            if value is not None:
                return value
        return None

    position = first("PlanePositionSequence", "ImagePositionPatient")
    orientation = first("PlaneOrientationSequence", "ImageOrientationPatient")
    spacing = first("PixelMeasuresSequence", "PixelSpacing")
    if position is None or orientation is None or spacing is None or len(position) != 3 or len(orientation) != 6 \
            or len(spacing) != 2:
        return None
    directions = np.asarray([float(v) for v in orientation]).reshape(2, 3)
    norms = np.linalg.norm(directions, axis=1)
    if not np.all(norms > 0):
        return None
    row_dir, col_dir = directions / norms[:, None]
    return Plane(np.asarray([float(v) for v in position]), row_dir, col_dir, (float(spacing[0]), float(spacing[1])))


def series_key(ds: Any) -> tuple[Any, ...] | None:
    """What single-frame slices of one volume share: series UID, size, orientation; None for other files."""
    if int(ds.get("NumberOfFrames", 1) or 1) != 1 or "SeriesInstanceUID" not in ds:
        return None
    plane = frame_plane(ds)
    if plane is None:
        return None
    return (str(ds.SeriesInstanceUID), int(ds.get("Rows", 0)), int(ds.get("Columns", 0)),
            tuple(np.round(np.r_[plane.row_dir, plane.col_dir], 4)), plane.spacing)


def slice_position(plane: Plane) -> float:
    """A slice's position along its normal (mm): slices of a series sort by it."""
    return float(plane.position @ plane.normal)


def volume_affine(planes: Sequence[Plane], *, thickness: float | None = None) -> NDArray[np.float64]:
    """The NIfTI (RAS) affine of ``volume[row, column, k]``, frame k lying on ``planes[k]``.

    The slice step is the mean step between consecutive frames (or, for one
    frame, `thickness` along the normal, 1 mm when not given).

    Raises
    ------
    ValueError
        The frames' orientations or spacings differ, or their positions are not
        evenly spaced along one line (no single affine places them).
    """
    first = planes[0]
    for k, plane in enumerate(planes[1:], 1):
        if not (np.allclose(plane.row_dir, first.row_dir, atol=1e-4) and np.allclose(plane.col_dir, first.col_dir,
                                                                                        atol=1e-4)
                and np.allclose(plane.spacing, first.spacing, rtol=1e-4)):
            raise ValueError(f"frame {k} lies at another orientation or spacing than frame 0; no single affine "
                             "places them.")
    if len(planes) == 1:
        step = first.normal * (thickness or 1.0)
    else:
        steps = np.diff(np.stack([p.position for p in planes]), axis=0)
        step = steps.mean(axis=0)
        size = float(np.linalg.norm(step))
        worst = float(np.linalg.norm(steps - step, axis=1).max())
        if size == 0 or worst > _STEP_TOLERANCE * size:
            lengths = np.linalg.norm(steps, axis=1)
            raise ValueError(f"the slices are not evenly spaced along one line (steps of {lengths.min():.3g} to "
                             f"{lengths.max():.3g} mm); no single affine places them.")
    lps = np.eye(4)
    lps[:3, 0] = first.col_dir * first.spacing[0]
    lps[:3, 1] = first.row_dir * first.spacing[1]
    lps[:3, 2] = step
    lps[:3, 3] = first.position
    ras = np.eye(4)
    ras[:3] = _LPS_TO_RAS @ lps[:3]
    return ras


def slice_thickness(ds: Any) -> float | None:
    """SpacingBetweenSlices, else SliceThickness (mm; top level or the shared functional groups); None if neither."""
    from .medical import frame_items

    for tag in ("SpacingBetweenSlices", "SliceThickness"):
        for holder in frame_items(ds, 0, "PixelMeasuresSequence"):
            value = holder.get(tag)
            if value is not None and float(value) > 0:
                return float(value)
    return None


def frame_planes(ds: Any) -> list[Plane] | None:
    """The plane of every frame of the DICOM data set `ds`, or None when one lacks it."""
    planes = [frame_plane(ds, k) for k in range(int(ds.get("NumberOfFrames", 1) or 1))]
    return None if any(p is None for p in planes) else planes  # type: ignore[return-value]


@dataclass(frozen=True, eq=False)
class Series:
    """The single-frame files of one DICOM series, in slice order, with their planes."""

    uid: str
    number: int | None
    slices: tuple[Path, ...]
    planes: tuple[Plane, ...]
    thickness: float | None


def group_series(paths: Sequence[Path]) -> tuple[list[Series], list[Path]]:
    """The DICOM series among `paths` (single-frame files with a plane, by series UID, size and orientation; each
    sorted along its normal, file name breaking ties) and the other paths, in their order."""
    from ..core.errors import InvalidImageError
    from .medical import dicom_header, is_dicom_file

    groups: dict[tuple[Any, ...], list[tuple[Path, Any]]] = {}
    rest = []
    for path in paths:
        try:
            ds = dicom_header(path) if is_dicom_file(path) else None
        except InvalidImageError:  # reading it reports what is wrong
            ds = None
        key = None if ds is None else series_key(ds)
        if key is None:
            rest.append(path)
        else:
            groups.setdefault(key, []).append((path, ds))
    series = []
    for members in groups.values():
        planes = [frame_plane(ds) for _, ds in members]
        order = sorted(range(len(members)), key=lambda i: (slice_position(planes[i]), str(members[i][0])))
        ds = members[order[0]][1]
        number = ds.get("SeriesNumber")
        series.append(Series(str(ds.SeriesInstanceUID), None if number in (None, "") else int(number),
                             tuple(members[i][0] for i in order), tuple(planes[i] for i in order), slice_thickness(ds)))
    return series, rest
