"""Reading images and writing results.

Readers keep the file's own dtype and units. Every writer writes a temporary
file in the destination folder and renames it (:func:`write_atomic`), and
refuses to replace an existing file unless ``overwrite=True``.

=======================  =======================================================
``read_image``           PNG, JPEG, BMP, TIFF (8/16-bit, float, multi-page), GIF,
                         WebP; DICOM, NIfTI (``seglab[medical]``), video frames
``read_labels``          a label image as int32
``write_labels``         PNG (8/16-bit) or int32 TIFF; never a silent overflow
``encode_label_volume``  the labels of every page of an input in one file: NIfTI
                         on the input's grid, or a multi-page TIFF
``write_overlay``        colour overlay PNG with boundaries
``write_json``           sidecar: method, params, meta, segments, version, input
``write_coco``           COCO instance JSON with RLE masks
``write_panoptic``       COCO panoptic id PNG plus its segments JSON
``write_regions_csv``    label, class, area, bbox, centroid, mean intensity
=======================  =======================================================

Examples
--------
>>> import tempfile, pathlib, seglab
>>> from importlib.resources import files
>>> from seglab.io import read_labels, write_labels
>>> image = seglab.read_image(files("seglab") / "samples" / "coins.png")
>>> seg = seglab.segment(image, "otsu")
>>> path = write_labels(pathlib.Path(tempfile.mkdtemp()) / "coins.labels.png", seg.labels)
>>> bool((read_labels(path) == seg.labels).all())
True
"""

from __future__ import annotations

from .atomic import check_target, write_atomic, write_together
from .coco import coco_document, json_kind, read_json, write_coco
from .labels import encode_jpeg, encode_label_file, encode_labels, encode_png, label_suffix, write_labels
from .medical import is_dicom_file
from .overlay import overlay, write_overlay
from .panoptic import panoptic_document, panoptic_files, panoptic_ids, panoptic_png, write_panoptic
from .read import IMAGE_SUFFIXES, ImageConversionWarning, count_pages, pixel_spacing, read_image, read_labels
from .regions import regions_csv, write_regions_csv
from .rle import annotation_mask, polygon_mask, rle_decode, rle_encode
from .sidecar import json_bytes, sidecar, to_jsonable, write_json
from .volume import encode_label_volume, volume_layout

__all__ = [
    "read_image",
    "count_pages",
    "pixel_spacing",
    "is_dicom_file",
    "read_labels",
    "ImageConversionWarning",
    "IMAGE_SUFFIXES",
    "write_labels",
    "encode_labels",
    "encode_label_file",
    "label_suffix",
    "encode_label_volume",
    "volume_layout",
    "encode_png",
    "encode_jpeg",
    "write_overlay",
    "overlay",
    "write_json",
    "sidecar",
    "to_jsonable",
    "json_bytes",
    "write_coco",
    "coco_document",
    "rle_encode",
    "rle_decode",
    "polygon_mask",
    "annotation_mask",
    "read_json",
    "json_kind",
    "write_panoptic",
    "panoptic_document",
    "panoptic_png",
    "panoptic_ids",
    "panoptic_files",
    "write_regions_csv",
    "regions_csv",
    "write_atomic",
    "write_together",
    "check_target",
]
