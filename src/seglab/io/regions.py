"""The region table: one CSV row per label, measured with scikit-image's regionprops.

Examples
--------
>>> import numpy as np, seglab
>>> img = np.array([[10, 10, 0], [10, 0, 0]], np.uint8)
>>> print(regions_csv(seglab.segment(img, "threshold", value=5), img), end="")
label,class,area,bbox_min_row,bbox_min_col,bbox_max_row,bbox_max_col,centroid_row,centroid_col,mean_intensity
1,foreground,3,0,0,2,2,0.3333333333333333,0.3333333333333333,10.0
>>> print(regions_csv(seglab.segment(img, "threshold", value=5), img, pixel_spacing=(0.5, 0.25)), end="")
label,class,area,area_mm2,bbox_min_row,bbox_min_col,bbox_max_row,bbox_max_col,centroid_row,centroid_col,mean_intensity
1,foreground,3,0.375,0,0,2,2,0.3333333333333333,0.3333333333333333,10.0
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from ..core.errors import InvalidImageError
from ..core.types import Segmentation
from ..core.validate import as_image
from .atomic import write_atomic

__all__ = ["regions_csv", "write_regions_csv"]

_COLUMNS = (
    "label", "class", "area", "bbox_min_row", "bbox_min_col", "bbox_max_row", "bbox_max_col",
    "centroid_row", "centroid_col",
)


def _class_name(seg: Segmentation, label: int) -> str:
    if seg.task == "semantic":
        class_id = label
    else:
        segment = seg.segments.get(label)
        if segment is None:
            return ""
        class_id = segment.class_id
    return seg.classes[class_id] if 0 <= class_id < len(seg.classes) else ""


def regions_csv(seg: Segmentation, image: ArrayLike, *, pixel_spacing: tuple[float, float] | None = None) -> str:
    """CSV text with one row per positive label of `seg`.

    Parameters
    ----------
    seg : Segmentation
        The result; background (0) and void (-1) get no row. For a semantic
        result a row describes all pixels of one class.
    image : (H, W) or (H, W, 3) array_like
        The segmented image; the mean is in its own units.
    pixel_spacing : (float, float), optional
        The (row, column) pixel spacing in mm (:func:`seglab.io.pixel_spacing`):
        adds ``area_mm2`` after ``area``.

    Returns
    -------
    str
        Columns ``label, class, area`` (pixels), [``area_mm2``], ``bbox_min_row, bbox_min_col,
        bbox_max_row, bbox_max_col`` (max exclusive, as in scikit-image),
        ``centroid_row, centroid_col``, then ``mean_intensity`` for a gray
        image or ``mean_r, mean_g, mean_b`` for RGB.

    Raises
    ------
    InvalidImageError
        `image` is not a valid image or its (H, W) differs from the labels'.

    Examples
    --------
    >>> from seglab import Segmentation
    >>> seg = Segmentation(labels=np.array([[1, 2]], np.int32), task="instance")
    >>> regions_csv(seg, np.zeros((1, 2, 3))).splitlines()[0].endswith("mean_r,mean_g,mean_b")
    True
    """
    from skimage.measure import regionprops_table

    img = as_image(image)
    if img.shape[:2] != seg.labels.shape:
        raise InvalidImageError(
            f"image (H, W) = {img.shape[:2]} does not match the labels' {seg.labels.shape}; "
            "pass the image that was segmented."
        )
    labels = np.where(seg.labels > 0, seg.labels, 0)
    props = regionprops_table(
        labels, intensity_image=img, properties=("label", "area", "bbox", "centroid", "intensity_mean")
    )
    means = ["mean_intensity"] if img.ndim == 2 else ["mean_r", "mean_g", "mean_b"]
    mean_keys = ["intensity_mean"] if img.ndim == 2 else [f"intensity_mean-{c}" for c in range(3)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    pixel_area = None if pixel_spacing is None else float(pixel_spacing[0]) * float(pixel_spacing[1])
    columns = list(_COLUMNS) if pixel_area is None else [*_COLUMNS[:3], "area_mm2", *_COLUMNS[3:]]
    writer.writerow([*columns, *means])
    for i, label in enumerate(props["label"]):
        area = int(props["area"][i])
        writer.writerow([
            int(label), _class_name(seg, int(label)), area, *(() if pixel_area is None else (area * pixel_area,)),
            *(int(props[f"bbox-{k}"][i]) for k in range(4)),
            float(props["centroid-0"][i]), float(props["centroid-1"][i]),
            *(float(props[key][i]) for key in mean_keys),
        ])
    return out.getvalue()


def write_regions_csv(
    path: str | os.PathLike[str], seg: Segmentation, image: ArrayLike, *, overwrite: bool = False,
    pixel_spacing: tuple[float, float] | None = None,
) -> Path:
    """Write the region table of `seg` (see :func:`regions_csv`), atomically.

    Parameters
    ----------
    path : str or path-like
        Destination ``.csv`` file.
    seg : Segmentation
        The result.
    image : array_like
        The segmented image.
    overwrite : bool
        Replace an existing file (default: refuse).
    pixel_spacing : (float, float), optional
        (row, column) spacing in mm: adds ``area_mm2``.

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import csv, tempfile, pathlib, seglab
    >>> img = np.array([[10, 10, 0], [10, 0, 0]], np.uint8)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "r.csv"
    >>> _ = write_regions_csv(path, seglab.segment(img, "otsu"), img)
    >>> [row["area"] for row in csv.DictReader(path.open())]
    ['3']
    """
    return write_atomic(path, regions_csv(seg, image, pixel_spacing=pixel_spacing).encode("utf-8"),
                        overwrite=overwrite)
