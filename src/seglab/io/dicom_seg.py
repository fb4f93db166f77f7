"""DICOM Segmentation objects of a DICOM volume's labels (highdicom; extra ``seglab[medical]``).

``seglab segment --volume --dicom-seg`` writes, beside the label volume of a
DICOM series or multi-frame file, ``<stem>.seg.dcm``: a DICOM Segmentation
(SEG, BINARY) that references the source images, with one segment per class
present (background left out), frame by frame on the source frames, so a
PACS, 3D Slicer or OHIF shows it on the scan. Segments are classes: the
instances of an instance result are merged into their class (their ids are
numbered per slice, so they are not objects across slices). Each segment is
coded as SNOMED CT "Tissue" (the codes say nothing more specific than the
class name, which is its label); the algorithm is named ``seglab <method>``,
its family coded from the method's family.

Examples
--------
>>> segment_numbers(np.array([[[0, 2], [2, 5]]]), ["bg", "a", "b", "c", "d", "e"])
([2, 5], ['b', 'e'])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..core.optional import require

__all__ = ["dicom_seg_bytes", "segment_numbers"]

#: seglab's method families -> DICOM's segmentation algorithm families (CID 7162).
_FAMILIES = {
    "deep": "ArtificialIntelligence", "threshold": "HistogramAnalysis", "edge": "EdgeDetection",
    "region": "NeighborhoodAnalysis", "watershed": "MorphologicalOperations", "clustering": "ClusterAnalysis",
    "color": "MultispectralProcessing", "texture": "MultiScaleResolutionFiltering",
}


def segment_numbers(classes: NDArray[np.integer], names: Sequence[str]) -> tuple[list[int], list[str]]:
    """The class ids present in `classes` above 0, in order, and their names (``class <id>`` where none)."""
    present = [int(c) for c in np.unique(classes) if c > 0]
    return present, [names[c] if c < len(names) and names[c] else f"class {c}" for c in present]


def dicom_seg_bytes(classes: NDArray[np.integer], sources: Sequence[Path], class_names: Sequence[str], *,
                    method: str, family: str, version: str) -> bytes:
    """A DICOM SEG file of the class ids `classes` ``(N, H, W)`` on the frames of `sources`.

    Parameters
    ----------
    classes : (N, H, W) array of int
        Class ids per frame (0 background), frame k on the k-th slice of
        `sources` (a series in slice order) or the k-th frame of its one
        multi-frame file.
    sources : sequence of Path
        The DICOM files segmented.
    class_names : sequence of str
        Name of each class id (the segment labels).
    method, family, version : str
        The seglab method, its family and seglab's version (the algorithm identification).

    Raises
    ------
    ValueError
        No class above 0 anywhere (a SEG needs a segment), or the sources lack
        what a SEG must copy from them (study, patient, frame of reference):
        the message names it.
    """
    hd = require("highdicom", feature="--dicom-seg")
    import pydicom
    from pydicom.sr.codedict import codes

    present, labels = segment_numbers(classes, class_names)
    if not present:
        raise ValueError("no pixel belongs to a class other than the background; a DICOM SEG needs a segment.")
    lut = np.zeros(int(classes.max()) + 1, np.uint16)
    lut[present] = np.arange(1, len(present) + 1)
    numbered = lut[np.maximum(classes, 0)]
    algorithm = hd.AlgorithmIdentificationSequence(name=f"seglab {method}", version=version,
                                                   family=getattr(codes.cid7162, _FAMILIES.get(family, "NeighborhoodAnalysis")))
    descriptions = [hd.seg.SegmentDescription(
        segment_number=k, segment_label=label, segmented_property_category=codes.SCT.Tissue,
        segmented_property_type=codes.SCT.Tissue, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
        algorithm_identification=algorithm) for k, label in enumerate(labels, 1)]
    source_images = [pydicom.dcmread(p, stop_before_pixels=True) for p in sources]
    if len(source_images) == 1 and numbered.shape[0] == 1:
        numbered = numbered[0]
    try:
        seg = hd.seg.Segmentation(
            source_images=source_images, pixel_array=numbered, segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
            segment_descriptions=descriptions, series_instance_uid=hd.UID(), series_number=9900,
            sop_instance_uid=hd.UID(), instance_number=1, manufacturer="seglab", manufacturer_model_name="seglab",
            software_versions=version, device_serial_number="none", content_label="SEGLAB",
            content_description=f"seglab {method}")
    except (AttributeError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"the source images lack what a DICOM SEG copies from them ({type(exc).__name__}: {exc}); "
                         "write the NIfTI volume only (drop --dicom-seg).") from None
    import io

    buf = io.BytesIO()
    seg.save_as(buf)
    return buf.getvalue()
