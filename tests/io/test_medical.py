"""DICOM and NIfTI read as 2-D images: values against hand-computed ones and pydicom's own decoding, pages, errors."""

from __future__ import annotations

import gzip
import sys

import numpy as np
import pytest

from seglab.core.errors import InvalidImageError, MissingDependencyError
from seglab.io import read_image, read_labels

pydicom = pytest.importorskip("pydicom")
nibabel = pytest.importorskip("nibabel")

from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid  # noqa: E402


def write_ct(path, stored, *, slope=1, intercept=-1024, per_frame=None):
    """A CT file of uint16 `stored` values ((H, W) or (frames, H, W)); `per_frame` (slope, intercept) pairs go
    into the functional groups of an enhanced multi-frame file instead of the top level."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = stored.shape[-2:]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    if per_frame is None:
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    else:
        groups = []
        for s, i in per_frame:
            transform, group = Dataset(), Dataset()
            transform.RescaleSlope, transform.RescaleIntercept = s, i
            group.PixelValueTransformationSequence = [transform]
            groups.append(group)
        ds.PerFrameFunctionalGroupsSequence = groups
    if stored.ndim == 3:
        ds.NumberOfFrames = stored.shape[0]
    ds.PixelData = stored.astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def test_dicom_reads_in_hounsfield_units_exact_integers_when_the_rescale_is(tmp_path):
    stored = np.array([[0, 1000, 1024], [2000, 3071, 65535]], np.uint16)
    hu = read_image(write_ct(tmp_path / "a.dcm", stored))
    assert hu.dtype == np.int32
    assert hu.tolist() == [[-1024, -24, 0], [976, 2047, 64511]]  # stored - 1024, by hand
    half = read_image(write_ct(tmp_path / "b.dcm", stored, slope=0.5, intercept=-1000.5))
    assert half.dtype == np.float32
    np.testing.assert_array_equal(half, [[-1000.5, -500.5, -488.5], [-0.5, 535.0, 31767.0]])
    plain = read_image(write_ct(tmp_path / "c.dcm", stored, slope=1, intercept=0))
    assert plain.dtype == np.uint16 and np.array_equal(plain, stored)  # no rescale: the stored values as they are


def test_dicom_frames_are_pages_each_with_its_own_rescale(tmp_path):
    stored = np.arange(3 * 2 * 3, dtype=np.uint16).reshape(3, 2, 3) * 10
    path = write_ct(tmp_path / "multi.dcm", stored, per_frame=[(1, -5), (2, 0), (1, 100)])
    with pytest.raises(InvalidImageError, match=r"multi.dcm: the file has 3 pages \(a multi-frame DICOM of 3 frames "
                                                r"of 3 x 2\).*--page N"):
        read_image(path)
    assert read_image(path, page=0).tolist() == (stored[0].astype(int) - 5).tolist()
    assert read_image(path, page=1).tolist() == (stored[1].astype(int) * 2).tolist()
    assert read_image(path, page=2).tolist() == (stored[2].astype(int) + 100).tolist()
    with pytest.raises(InvalidImageError, match="page 3 does not exist; the file has 3 pages"):
        read_image(path, page=3)


def test_dicom_files_of_every_colour_kind_equal_pydicom_decoding():
    from pydicom import examples
    from pydicom.pixels import apply_color_lut

    ct = examples.ct  # its preamble starts like a TIFF: recognised by DICM at byte 128 all the same
    np.testing.assert_array_equal(read_image(ct.filename), ct.pixel_array.astype(np.int32) * int(ct.RescaleSlope)
                                  + int(ct.RescaleIntercept))
    rgb = examples.rgb_color
    assert np.array_equal(read_image(rgb.filename), rgb.pixel_array) and rgb.pixel_array.shape[2] == 3
    palette = examples.palette_color
    np.testing.assert_array_equal(read_image(palette.filename), apply_color_lut(palette.pixel_array, palette))
    ybr = examples.ybr_color  # 30 JPEG frames in YBR_FULL_422: RGB out
    frame = read_image(ybr.filename, page=5)
    np.testing.assert_array_equal(frame, ybr.pixel_array[5])
    assert frame.shape == (240, 320, 3)


def test_dicom_without_pixels_truncated_or_undecodable_gets_one_clear_error(tmp_path, monkeypatch):
    from pydicom import examples
    from pydicom.data import get_testdata_file

    with pytest.raises(InvalidImageError, match=r"DICOMDIR: is a DICOM file without pixel data \(Media Storage "
                                                r"Directory Storage\); give the image files of the series"):
        read_image(get_testdata_file("DICOMDIR"))
    whole = write_ct(tmp_path / "whole.dcm", np.zeros((64, 64), np.uint16)).read_bytes()
    (tmp_path / "cut.dcm").write_bytes(whole[: len(whole) - 3000])
    with pytest.raises(InvalidImageError, match=r"cut.dcm: the DICOM pixel data is truncated or corrupt"):
        read_image(tmp_path / "cut.dcm")
    header_end = whole.index(b"\xe0\x7f\x10\x00")  # the Pixel Data tag (7FE0,0010), little endian
    (tmp_path / "half.dcm").write_bytes(whole[:header_end])  # cut before the pixels begin
    with pytest.raises(InvalidImageError, match=r"half.dcm: the DICOM header describes an image .* truncated"):
        read_image(tmp_path / "half.dcm")

    def no_decoder(*args, **kwargs):
        raise RuntimeError("Unable to decompress 'JPEG 2000' pixel data because all plugins are missing dependencies")

    monkeypatch.setattr("pydicom.pixels.iter_pixels", no_decoder)
    with pytest.raises(InvalidImageError, match=r"its pixels are compressed \(JPEG 2000 Image Compression \(Lossless "
                                                r"Only\)\) and no installed decoder reads them; install one, e.g. pip "
                                                r"install pylibjpeg"):
        read_image(examples.jpeg2k.filename)


def test_medical_files_without_the_extra_name_it(tmp_path, monkeypatch):
    path = write_ct(tmp_path / "a.dcm", np.zeros((2, 2), np.uint16))
    nibabel.save(nibabel.Nifti1Image(np.zeros((2, 2), np.uint8), np.eye(4)), tmp_path / "a.nii")
    monkeypatch.setitem(sys.modules, "pydicom", None)
    monkeypatch.setitem(sys.modules, "nibabel", None)
    for name in (path, tmp_path / "a.nii"):
        with pytest.raises(MissingDependencyError, match=r'pip install "seglab\[medical\]"'):
            read_image(name)


def test_nifti_slices_are_pages_as_stored_with_the_header_scaling(tmp_path):
    volume = np.random.default_rng(0).integers(0, 1000, (7, 5, 4, 2)).astype(np.int16)
    image = nibabel.Nifti1Image(volume, np.eye(4))
    image.header.set_slope_inter(2.0, -10.0)
    nibabel.save(image, tmp_path / "v.nii.gz")
    with pytest.raises(InvalidImageError, match=r"the file has 8 pages \(a volume of shape \(7, 5, 4, 2\); page k is "
                                                r"slice k along the third axis\)"):
        read_image(tmp_path / "v.nii.gz")
    for page, (z, t) in [(0, (0, 0)), (3, (3, 0)), (6, (2, 1))]:  # the third axis first, then the fourth
        np.testing.assert_array_equal(read_image(tmp_path / "v.nii.gz", page=page), volume[:, :, z, t] * 2.0 - 10)
    flat = np.arange(12, dtype=np.uint8).reshape(3, 4)
    nibabel.save(nibabel.Nifti2Image(flat, np.eye(4)), tmp_path / "flat.nii")
    assert read_image(tmp_path / "flat.nii").tolist() == flat.tolist()  # 2-D: no page needed


def test_nifti_label_volumes_read_as_labels_and_broken_files_are_named(tmp_path):
    masks = np.zeros((6, 6, 3), np.uint8)
    masks[1:3, 1:3, 1], masks[4:, 4:, 1] = 1, 7
    nibabel.save(nibabel.Nifti1Image(masks, np.eye(4)), tmp_path / "seg.nii")
    labels = read_labels(tmp_path / "seg.nii", page=1)
    assert labels.dtype == np.int32 and labels.tolist() == masks[:, :, 1].tolist()
    whole = (tmp_path / "seg.nii").read_bytes()
    (tmp_path / "cut.nii").write_bytes(whole[:360])  # the header, and 8 of the first slice's 36 bytes
    with pytest.raises(InvalidImageError, match=r"cut.nii: the NIfTI data is truncated or corrupt"):
        read_image(tmp_path / "cut.nii", page=0)
    packed = gzip.compress(whole)
    (tmp_path / "cut.nii.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(InvalidImageError, match=r"cut.nii.gz: the NIfTI .* truncated or corrupt"):
        read_image(tmp_path / "cut.nii.gz", page=0)
    (tmp_path / "other.gz").write_bytes(gzip.compress(whole))  # gzip, but not named .nii.gz: not taken as NIfTI
    with pytest.raises(InvalidImageError, match="is not an image seglab can read"):
        read_image(tmp_path / "other.gz")


def test_page_counts_of_medical_files_match_what_reads(tmp_path):
    from seglab.io import count_pages

    dicom = write_ct(tmp_path / "m.dcm", np.zeros((6, 2, 3), np.uint16))
    nibabel.save(nibabel.Nifti1Image(np.zeros((4, 3, 5, 2), np.int16), np.eye(4)), tmp_path / "v.nii.gz")
    assert count_pages(dicom) == 6 and count_pages(tmp_path / "v.nii.gz") == 10
    read_image(dicom, page=5), read_image(tmp_path / "v.nii.gz", page=9)  # the last page of each reads
    (tmp_path / "bad.nii").write_bytes((tmp_path / "v.nii.gz").read_bytes()[:200])  # gzip bytes, .nii name
    with pytest.raises(InvalidImageError, match="bad.nii: is not an image seglab can read"):
        count_pages(tmp_path / "bad.nii")


def test_slices_read_in_order_from_a_kept_volume_equal_the_volume_and_a_rewritten_file_is_read_again(tmp_path):
    volume = np.random.default_rng(1).integers(-100, 100, (9, 7, 6)).astype(np.int16)
    path = tmp_path / "v.nii.gz"
    nibabel.save(nibabel.Nifti1Image(volume, np.eye(4)), path)
    for k in (0, 1, 2, 5, 3, 4, 0):  # on, back, on
        np.testing.assert_array_equal(read_image(path, page=k), volume[:, :, k])
    nibabel.save(nibabel.Nifti1Image(volume[:, :, :2] + 1, np.eye(4)), path)  # the same name, another volume
    np.testing.assert_array_equal(read_image(path, page=1), volume[:, :, 1] + 1)
    with pytest.raises(InvalidImageError, match="page 4 does not exist; the file has 2 pages"):
        read_image(path, page=4)


def test_eval_scores_the_pages_of_a_volume_against_the_slices_of_a_label_volume(tmp_path, capsys):
    """seglab segment --page all on a NIfTI volume, then seglab eval against the label volume of the same name."""
    import json

    from seglab.cli import main
    from seglab.io import write_labels

    truth = np.zeros((20, 24, 3), np.uint8)
    truth[4:12, 5:15, 0], truth[8:18, 2:9, 1], truth[1:5, 1:22, 2] = 1, 1, 1
    image = (truth * 150 + 40).astype(np.int16)
    image[0, 0, 1] = 45  # slice 1 differs a little, slice 2 gets a wrong pixel below
    for folder, volume in (("images", image), ("truth", truth)):
        (tmp_path / folder).mkdir()
        nibabel.save(nibabel.Nifti1Image(volume, np.eye(4)), tmp_path / folder / "scan.nii.gz")
    out = tmp_path / "pred"
    assert main(["segment", "otsu", str(tmp_path / "images"), "-o", str(out), "--page", "all", "--quiet"]) == 0
    assert sorted(p.name for p in out.glob("*.labels.png")) == [f"scan.p000{k}.labels.png" for k in range(3)]
    wrong = read_labels(out / "scan.p0002.labels.png")
    assert wrong.tolist() == truth[:, :, 2].tolist()
    wrong[10, 10] = 1  # one false positive in 84 + 1 foreground pixels of slice 2
    write_labels(out / "scan.p0002.labels.png", wrong, overwrite=True)
    report = tmp_path / "report"
    assert main(["eval", str(out), str(tmp_path / "truth"), "--task", "semantic", "--num-classes", "2", "-o",
                 str(report), "--no-plots"]) == 0
    doc = json.loads((report / "eval.json").read_text())
    per_image = {r["image"]: r for r in doc["images"]}
    assert sorted(per_image) == ["scan.p0000", "scan.p0001", "scan.p0002"]
    assert per_image["scan.p0000"]["mean_iou"] == 1.0 and per_image["scan.p0000"]["pixel_error"] == 0
    # by hand: the truth's 84 foreground pixels of slice 2 against 85 predicted, 396 background against 395
    assert per_image["scan.p0002"]["mean_iou"] == pytest.approx((84 / 85 + 395 / 396) / 2)
    assert per_image["scan.p0002"]["pixel_error"] == pytest.approx(1 / 480)


def test_a_folder_gives_its_dicom_files_without_a_suffix_too(tmp_path):
    from seglab.run import expand_inputs

    write_ct(tmp_path / "IM000001", np.zeros((4, 4), np.uint16))
    write_ct(tmp_path / "IM000002", np.ones((4, 4), np.uint16))
    (tmp_path / "README").write_text("a series of two slices")  # no suffix, not DICOM: left out
    (tmp_path / "DICOMDIR").write_bytes(b"")  # unreadable as DICOM: left out
    files, failures = expand_inputs([str(tmp_path)])
    assert [f.name for f in files] == ["IM000001", "IM000002"] and failures == []


def test_dicom_frames_read_in_order_or_not_are_the_same_and_a_rewritten_file_is_read_again(tmp_path):
    stored = np.random.default_rng(2).integers(0, 3000, (6, 5, 4)).astype(np.uint16)
    path = write_ct(tmp_path / "mf.dcm", stored)
    expected = [stored[k].astype(np.int32) - 1024 for k in range(6)]
    for k in (0, 1, 2, 5, 3, 4, 0, 1):  # on, a jump, back, on
        np.testing.assert_array_equal(read_image(path, page=k), expected[k])
    write_ct(path, stored[:2] + 1)  # the same name, two other frames
    np.testing.assert_array_equal(read_image(path, page=1), expected[1] + 1)
    with pytest.raises(InvalidImageError, match="page 2 does not exist; the file has 2 pages"):
        read_image(path, page=2)


def test_the_sidecar_records_the_pixel_spacing_that_a_dicom_or_nifti_header_gives(tmp_path):
    """Frame by frame for an enhanced DICOM, the first two voxel sizes of a NIfTI in its units, nothing otherwise."""
    import json

    from PIL import Image

    from seglab.cli import main
    from seglab.io import pixel_spacing

    (tmp_path / "in").mkdir()
    path = write_ct(tmp_path / "in" / "ct.dcm", np.arange(16, dtype=np.uint16).reshape(4, 4) * 100)
    ds = pydicom.dcmread(path)
    ds.PixelSpacing = [0.5, 0.75]
    ds.save_as(path)
    volume = nibabel.Nifti1Image(np.tile(np.arange(16, dtype=np.int16).reshape(4, 4, 1), (1, 1, 2)),
                                 np.diag([0.25, 0.3, 2.0, 1.0]))
    volume.header.set_xyzt_units("micron")
    nibabel.save(volume, tmp_path / "in" / "cells.nii")
    nibabel.save(nibabel.Nifti1Image(np.zeros((4, 4), np.uint8), np.eye(4)), tmp_path / "in" / "nounit.nii")
    assert main(["segment", "otsu", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--page", "all", "--quiet"]) == 0
    doc = {p.name: json.loads(p.read_text())["pixel_spacing_mm"] for p in (tmp_path / "out").glob("*.json")}
    assert doc["ct.p0000.json"] == [0.5, 0.75]
    assert doc["cells.p0001.json"] == pytest.approx([0.25e-3, 0.3e-3])  # microns, in mm
    assert doc["nounit.p0000.json"] is None  # no spatial unit in the header: nothing claimed
    per_frame = write_ct(tmp_path / "mf.dcm", np.zeros((2, 3, 3), np.uint16), per_frame=[(1, 0), (1, 0)])
    ds = pydicom.dcmread(per_frame)
    for group, spacing in zip(ds.PerFrameFunctionalGroupsSequence, ([0.4, 0.4], [0.9, 0.8])):
        measures = Dataset()
        measures.PixelSpacing = spacing
        group.PixelMeasuresSequence = [measures]
    ds.save_as(per_frame)
    assert pixel_spacing(per_frame, page=1) == (0.9, 0.8) and pixel_spacing(per_frame, page=0) == (0.4, 0.4)
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(tmp_path / "plain.png")
    assert pixel_spacing(tmp_path / "plain.png") is None and pixel_spacing(tmp_path / "missing.dcm") is None


def test_the_regions_csv_gives_areas_in_square_millimetres_where_the_header_gives_a_spacing(tmp_path):
    import csv

    from seglab.cli import main

    stored = np.zeros((6, 8), np.uint16)
    stored[1:4, 2:7] = 2000  # one region of 15 pixels
    path = write_ct(tmp_path / "ct.dcm", stored)
    ds = pydicom.dcmread(path)
    ds.PixelSpacing = [0.5, 0.75]
    ds.save_as(path)
    assert main(["segment", "otsu", str(path), "-o", str(tmp_path / "out"), "--outputs", "csv", "--as", "instance",
                 "--quiet"]) == 0
    (row,) = csv.DictReader((tmp_path / "out" / "ct.regions.csv").open())
    assert row["area"] == "15" and float(row["area_mm2"]) == pytest.approx(15 * 0.5 * 0.75)
    plain = tmp_path / "plain.tif"
    import tifffile

    tifffile.imwrite(plain, stored, photometric="minisblack")
    assert main(["segment", "otsu", str(plain), "-o", str(tmp_path / "o2"), "--outputs", "csv", "--as", "instance",
                 "--quiet"]) == 0
    assert "area_mm2" not in (tmp_path / "o2" / "plain.regions.csv").read_text()  # no spacing known: no column


@pytest.mark.parametrize("kind", ["Nifti1Image", "Nifti2Image"])
def test_an_uncompressed_nifti_is_read_by_its_content_whatever_its_name(tmp_path, kind):
    # nibabel.load wants a .nii name; uploads and renamed files have none (the web store names uploads at random)
    volume = np.arange(4 * 5 * 3, dtype=np.int16).reshape(4, 5, 3)
    nibabel.save(getattr(nibabel, kind)(volume, np.diag([0.8, 0.9, 2, 1])), tmp_path / "v.nii")
    (tmp_path / "upload_7f3a").write_bytes((tmp_path / "v.nii").read_bytes())
    for page in range(3):
        np.testing.assert_array_equal(read_image(tmp_path / "upload_7f3a", page=page), volume[:, :, page])
    assert read_labels(tmp_path / "upload_7f3a", page=1).tolist() == volume[:, :, 1].tolist()
