"""``seglab segment --volume``: one label file per multi-page input or DICOM series, on the scan's grid.

References: nibabel's and tifffile's own readers of the files written, the
input volume indexed by hand, seglab.segment run on each slice alone, DICOM
geometry computed by hand and nibabel's DICOM wrapper's affine.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
import tifffile

import seglab
from seglab.cli import main

nibabel = pytest.importorskip("nibabel")


def write_scan(path, *, shape=(40, 30, 5, 2)):
    """A 4-D int16 volume with a bright box, an oblique affine and distinct qform/sform codes; returns the volume."""
    rng = np.random.default_rng(0)
    volume = (rng.random(shape) * 50).astype(np.int16)
    volume[10:25, 8:20] += 200
    if len(shape) == 4:
        volume[:, :, 3, 1] = 7  # a flat slice: one class
    affine = np.array([[0.0, -0.7, 0, 20], [0.5, 0, 0, -10], [0, 0, 2.0, 5], [0, 0, 0, 1]])
    image = nibabel.Nifti1Image(volume, affine)
    image.header.set_xyzt_units("mm", "sec")
    image.header.set_qform(affine, code=1)
    image.header.set_sform(affine, code=2)
    nibabel.save(image, path)
    return volume


def test_a_nifti_volume_gets_one_label_volume_on_its_own_grid(tmp_path):
    volume = write_scan(tmp_path / "scan.nii.gz")
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(tmp_path / "scan.nii.gz"), "--page", "all", "--volume", "--fit", "page", "-o",
                 str(out), "-q"]) == 0  # each slice fitted alone: the check below is of where each slice goes
    assert sorted(p.name for p in out.iterdir()) == ["scan.labels.nii.gz", *(f"scan.p{k:04d}.json" for k in range(10))]
    source, written = nibabel.load(tmp_path / "scan.nii.gz"), nibabel.load(out / "scan.labels.nii.gz")
    np.testing.assert_array_equal(written.affine, source.affine)
    assert [int(c) for c in (written.header["qform_code"], written.header["sform_code"])] == [1, 2]
    assert written.header.get_xyzt_units() == ("mm", "sec") and written.header.get_intent()[0] == "label"
    labels = np.asanyarray(written.dataobj)
    assert labels.shape == volume.shape and labels.dtype == np.uint8
    for z in range(5):
        for t in range(2):  # slice (z, t) is page z + 5 t, back where it was read
            np.testing.assert_array_equal(labels[:, :, z, t], seglab.segment(volume[:, :, z, t], "otsu").labels)
    assert labels[12, 10, 0, 0] == 1 and labels[0, 0, 0, 0] == 0 and not labels[:, :, 3, 1].any()
    page = json.loads((out / "scan.p0007.json").read_text())
    assert page["page"] == 7 and page["method"] == "otsu"


def test_instance_labels_beyond_255_and_void_keep_exact_values_in_a_tiff_stack(tmp_path):
    stack = np.zeros((3, 40, 48), np.uint8)
    stack[:, ::2, ::2] = 255  # 480 separate dots per page: ids up to 480 need 16 bits
    stack[1, :, :] = 0
    stack[1, 10:20, 10:30] = 255  # page 1: one object
    tifffile.imwrite(tmp_path / "dots.tif", stack, photometric="minisblack")
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(tmp_path / "dots.tif"), "--page", "all", "--volume", "--fit", "page", "--as",
                 "instance", "--outputs", "labels", "-o", str(out), "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["dots.labels.tif"]
    pages = tifffile.imread(out / "dots.labels.tif")
    assert pages.shape == (3, 40, 48) and pages.dtype == np.uint16 and int(pages.max()) == 480
    for k in range(3):
        expected = seglab.to_instance(seglab.segment(stack[k], "otsu")).labels
        np.testing.assert_array_equal(pages[k], expected)


def test_a_failed_page_leaves_its_input_without_a_volume_and_the_batch_goes_on(tmp_path, capsys):
    pages = [np.full((20, 20), v, np.uint8) for v in (10, 200)]
    pages[0][5:10, 5:10] = 200
    tifffile.imwrite(tmp_path / "a.tif", np.stack(pages), photometric="minisblack")
    with tifffile.TiffWriter(tmp_path / "b.tif") as tif:  # pages of two sizes: no volume holds them
        tif.write(pages[0], photometric="minisblack")
        tif.write(np.zeros((8, 9), np.uint8), photometric="minisblack")
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(tmp_path / "a.tif"), str(tmp_path / "b.tif"), "--page", "all", "--volume",
                 "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert "b.tif: b.labels.tif not written: page 1 is 8 x 9 but page 0 is 20 x 20" in err
    assert sorted(p.name for p in out.glob("*.labels.*")) == ["a.labels.tif"]
    assert (out / "b.p0001.json").is_file()  # the pages' own outputs are there
    assert not list(out.glob("*.tmp*")) and not list(out.glob(".*"))


def test_existing_volumes_are_refused_kept_or_redone(tmp_path, capsys):
    write_scan(tmp_path / "scan.nii.gz", shape=(12, 10, 3))
    out = tmp_path / "out"
    args = ["segment", "otsu", str(tmp_path / "scan.nii.gz"), "--page", "all", "--volume", "-o", str(out), "-q"]
    assert main(args) == 0
    assert main(args) == 1
    assert "scan.labels.nii.gz exists; add --overwrite" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0
    before = (out / "scan.labels.nii.gz").stat().st_mtime_ns
    capsys.readouterr()
    assert main([*args, "--skip-existing"]) == 0
    assert "3 of 3 inputs segmented with otsu" in capsys.readouterr().err
    assert (out / "scan.labels.nii.gz").stat().st_mtime_ns == before
    (out / "scan.labels.nii.gz").unlink()  # an interrupted run: page outputs without the volume
    assert main([*args, "--skip-existing"]) == 0
    assert (out / "scan.labels.nii.gz").is_file()


@pytest.mark.parametrize("extra, message", [
    (["--page", "0,1"], "drop --page (or give --page all)"),
    (["--outputs", "json"], "keep labels in --outputs"),
    (["--tile-size", "256"], "drop --tile-size"),
])
def test_volume_needs_every_page_and_the_labels_output(tmp_path, capsys, extra, message):
    write_scan(tmp_path / "scan.nii.gz", shape=(12, 10, 3))
    assert main(["segment", "otsu", str(tmp_path / "scan.nii.gz"), "--volume", *extra, "-o", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_eval_reads_a_label_volume_page_by_page_against_a_truth_volume(tmp_path):
    truth = np.zeros((20, 24, 3), np.uint8)
    truth[4:12, 5:15, 0], truth[8:18, 2:9, 1], truth[1:5, 1:22, 2] = 1, 1, 1
    (tmp_path / "images").mkdir()
    (tmp_path / "truth").mkdir()
    nibabel.save(nibabel.Nifti1Image((truth * 150 + 40).astype(np.int16), np.eye(4)), tmp_path / "images" / "s.nii.gz")
    truth[0, 0, 2] = 1  # one pixel the prediction cannot have
    nibabel.save(nibabel.Nifti1Image(truth, np.eye(4)), tmp_path / "truth" / "s.nii.gz")
    out, report = tmp_path / "pred", tmp_path / "report"
    assert main(["segment", "otsu", str(tmp_path / "images"), "--page", "all", "--volume", "-o", str(out), "-q"]) == 0
    assert main(["eval", str(out), str(tmp_path / "truth"), "--task", "semantic", "--num-classes", "2", "-o",
                 str(report), "--no-plots"]) == 0
    rows = {r["image"]: r for r in json.loads((report / "eval.json").read_text())["images"]}
    assert sorted(rows) == ["s.p0000", "s.p0001", "s.p0002"]
    assert rows["s.p0000"]["pixel_error"] == 0 and rows["s.p0002"]["pixel_error"] == pytest.approx(1 / 480)


pydicom = pytest.importorskip("pydicom")


def ct_dataset(pixels, *, series, enhanced=False):
    """A CT data set of uint16 `pixels` ((H, W), or (frames, H, W) for an enhanced multi-frame one), no plane yet."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, EnhancedCTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = EnhancedCTImageStorage if enhanced else CTImageStorage
    meta.MediaStorageSOPInstanceUID, meta.TransferSyntaxUID = generate_uid(), ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.SeriesInstanceUID = series
    ds.Rows, ds.Columns = pixels.shape[-2:]
    if enhanced:
        ds.NumberOfFrames = pixels.shape[0]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = pixels.astype(np.uint16).tobytes()
    return ds


def add_study(ds, study):
    """The patient, study and frame-of-reference attributes a DICOM SEG copies from its sources."""
    from pydicom.uid import generate_uid

    ds.StudyInstanceUID, ds.Modality = study, "CT"
    ds.FrameOfReferenceUID = generate_uid(entropy_srcs=[study])  # one per study, a valid UID
    ds.PatientID, ds.PatientName, ds.PatientBirthDate, ds.PatientSex = "p1", "Test^Patient", "", ""
    ds.StudyDate, ds.StudyTime, ds.StudyID, ds.AccessionNumber, ds.ReferringPhysicianName = "", "", "", "", ""


def write_slice(path, pixels, *, series, position, orientation=(1, 0, 0, 0, 1, 0), spacing=(0.8, 0.6), number=3,
                study=None):
    """A single-frame CT slice with its plane (ImagePositionPatient, ImageOrientationPatient, PixelSpacing); with a
    `study` UID also the patient, study and frame-of-reference attributes a DICOM SEG copies."""
    ds = ct_dataset(pixels, series=series)
    ds.SeriesNumber = number
    if study is not None:
        add_study(ds, study)
        ds.SliceThickness = 2.5
    ds.ImagePositionPatient, ds.ImageOrientationPatient = list(position), list(orientation)
    ds.PixelSpacing = list(spacing)
    ds.save_as(path, enforce_file_format=True)
    return path


def ct_slices(n, shape=(16, 20)):
    rng = np.random.default_rng(2)
    slices = (rng.random((n, *shape)) * 100).astype(np.uint16)
    for k in range(n):
        slices[k, 2 + k : 9 + k, 4:14] += 1000  # the bright box moves down a row per slice
    return slices


@pytest.mark.filterwarnings("ignore:The DICOM readers are highly experimental")
def test_a_dicom_series_becomes_one_nifti_in_slice_order_at_its_patient_coordinates(tmp_path, capsys):
    from nibabel.nicom import dicomwrappers
    from pydicom.uid import generate_uid

    folder = tmp_path / "ct"
    folder.mkdir()
    uid, slices = generate_uid(), ct_slices(4)
    # oblique: rows tilted 30 degrees about z; slices 2.5 mm apart along the normal; names in reverse slice order
    c, s_ = np.cos(np.pi / 6), np.sin(np.pi / 6)
    orientation, normal = (c, s_, 0, -s_, c, 0), np.array([0.0, 0.0, 1.0])
    first = np.array([-50.0, -40.0, 10.0])
    for k in range(4):
        write_slice(folder / f"IM{3 - k:04d}", slices[k], series=uid, position=first + 2.5 * k * normal,
                    orientation=orientation)
    write_slice(folder / "other.dcm", slices[0], series=generate_uid(), position=first, number=4)  # a series alone
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(folder), "--volume", "--fit", "page", "-o", str(out), "-q"]) == 0
    assert sorted(p.name for p in out.glob("*.labels.*")) == ["ct.s3.labels.nii.gz", "ct.s4.labels.nii.gz"]
    assert sorted(p.name for p in out.glob("IM*.json")) == [f"IM{k:04d}.json" for k in range(4)]
    image = nibabel.load(out / "ct.s3.labels.nii.gz")
    labels = np.asanyarray(image.dataobj)
    assert labels.shape == (16, 20, 4)
    for k in range(4):  # slice k of the volume is the k-th along the normal: IM0003 first
        np.testing.assert_array_equal(labels[:, :, k], seglab.segment(slices[k], "otsu").labels)
    # by hand: voxel (i, j, k) at P + i * 0.8 * column direction + j * 0.6 * row direction + k * 2.5 * normal (LPS)
    row_dir, col_dir = np.array(orientation[:3]), np.array(orientation[3:])
    for i, j, k in ((0, 0, 0), (5, 7, 3), (15, 19, 2)):
        lps = first + i * 0.8 * col_dir + j * 0.6 * row_dir + k * 2.5 * normal
        np.testing.assert_allclose(image.affine @ [i, j, k, 1], [-lps[0], -lps[1], lps[2], 1], atol=1e-9)
    # nibabel's own reading of a slice's plane (LPS, the same voxel axes): our first two columns, flipped to RAS
    wrapper = dicomwrappers.wrapper_from_data(pydicom.dcmread(folder / "IM0003"))
    np.testing.assert_allclose(image.affine[:3, [0, 1, 3]], np.diag([-1, -1, 1]) @ wrapper.affine[:3, [0, 1, 3]],
                               atol=1e-9)
    assert [int(image.header[c]) for c in ("qform_code", "sform_code")] == [1, 1]
    assert image.header.get_xyzt_units()[0] == "mm"


def test_unevenly_spaced_slices_and_frames_without_planes_get_a_tiff_stack_with_a_warning(tmp_path, capsys):
    from pydicom.uid import generate_uid

    folder = tmp_path / "gap"
    folder.mkdir()
    uid, slices = generate_uid(), ct_slices(3)
    for k, z in enumerate((0.0, 2.0, 7.0)):  # a missing slice between the last two
        write_slice(folder / f"s{k}.dcm", slices[k], series=uid, position=(0, 0, z))
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(folder), "--volume", "--fit", "page", "-o", str(out), "-q"]) == 0
    err = capsys.readouterr().err
    assert ("warning: series 3 (3 slices in gap): the slices are not evenly spaced along one line (steps of 2 to 5 "
            "mm)") in err
    stack = tifffile.imread(out / "gap.s3.labels.tif")
    for k in range(3):
        np.testing.assert_array_equal(stack[k], seglab.segment(slices[k], "otsu").labels)


def test_a_broken_slice_leaves_its_series_without_a_volume(tmp_path, capsys):
    from pydicom.uid import generate_uid

    folder = tmp_path / "ct"
    folder.mkdir()
    uid, slices = generate_uid(), ct_slices(3)
    paths = [write_slice(folder / f"s{k}.dcm", slices[k], series=uid, position=(0, 0, 2.0 * k)) for k in range(3)]
    data = paths[1].read_bytes()
    paths[1].write_bytes(data[: len(data) - 100])  # its pixel data ends early; its header reads
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(folder), "--volume", "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert "s1.dcm" in err and "ct.s3.labels.nii.gz not written: slice 1 failed (above)" in err
    assert not list(out.glob("*.labels.*")) and (out / "s2.json").is_file()


def test_an_enhanced_multi_frame_dicom_lies_where_its_frames_say(tmp_path):
    from pydicom.dataset import Dataset
    from pydicom.uid import generate_uid

    frames = ct_slices(3)
    ds = ct_dataset(frames, series=generate_uid(), enhanced=True)
    add_study(ds, generate_uid())
    shared, orientation, measures = Dataset(), Dataset(), Dataset()
    orientation.ImageOrientationPatient = [1, 0, 0, 0, 0, -1]  # a coronal frame: rows go down (-z)
    measures.PixelSpacing, measures.SliceThickness = [0.5, 0.5], 3.0
    shared.PlaneOrientationSequence, shared.PixelMeasuresSequence = [orientation], [measures]
    ds.SharedFunctionalGroupsSequence = [shared]
    groups = []
    for k in range(3):
        group, position = Dataset(), Dataset()
        position.ImagePositionPatient = [-20, 30 - 3.0 * k, 100]  # frames 3 mm apart towards anterior (-y, LPS)
        group.PlanePositionSequence = [position]
        groups.append(group)
    ds.PerFrameFunctionalGroupsSequence = groups
    ds.save_as(tmp_path / "cor.dcm", enforce_file_format=True)
    out = tmp_path / "out"
    seg = ["--dicom-seg"] if importlib.util.find_spec("highdicom") else []
    assert main(["segment", "otsu", str(tmp_path / "cor.dcm"), "--volume", "--fit", "page", *seg, "-o", str(out),
                 "-q"]) == 0
    image = nibabel.load(out / "cor.labels.nii.gz")
    for k in range(3):
        np.testing.assert_array_equal(np.asanyarray(image.dataobj)[:, :, k], seglab.segment(frames[k], "otsu").labels)
    # by hand, in RAS: rows step 0.5 mm down (-S), columns 0.5 mm to the patient's left (-R), frames 3 mm anterior
    expected = [[0, -0.5, 0, 20], [0, 0, 3.0, -30], [-0.5, 0, 0, 100], [0, 0, 0, 1]]
    np.testing.assert_allclose(image.affine, expected, atol=1e-9)
    if seg:  # the SEG of a multi-frame source: frame k of the class map on source frame k
        import highdicom

        pixels = highdicom.seg.segread(out / "cor.seg.dcm").get_volume(combine_segments=True).array
        for k in range(3):
            np.testing.assert_array_equal(pixels[k], seglab.segment(frames[k], "otsu").labels)


def test_single_page_images_in_a_volume_batch_keep_their_label_images(tmp_path):
    from seglab.io import read_labels, write_labels

    stack = ct_slices(2).astype(np.uint16)
    tifffile.imwrite(tmp_path / "a.tif", stack, photometric="minisblack")
    write_labels(tmp_path / "b.png", (stack[0] // 8).astype(np.int32))  # a plain 16-bit PNG
    tifffile.imwrite(tmp_path / "c.tif", stack, photometric="minisblack")
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(tmp_path / "a.tif"), str(tmp_path / "b.png"), str(tmp_path / "c.tif"),
                 "--volume", "-o", str(out), "-q"]) == 0
    assert sorted(p.name for p in out.glob("*.labels.*")) == ["a.labels.tif", "b.labels.png", "c.labels.tif"]
    np.testing.assert_array_equal(read_labels(out / "b.labels.png"), seglab.segment(stack[0] // 8, "otsu").labels)



def write_series(folder, slices, **kwargs):
    from pydicom.uid import generate_uid

    folder.mkdir()
    uid = generate_uid()
    return [write_slice(folder / f"IM{k:04d}", slices[k], series=uid, position=(-50, -40, 2.5 * k), **kwargs)
            for k in range(len(slices))]


@pytest.mark.parametrize("task", [None, "instance"])
def test_dicom_seg_holds_one_segment_per_class_on_the_source_frames(tmp_path, task):
    highdicom = pytest.importorskip("highdicom")
    from pydicom.uid import generate_uid

    slices = ct_slices(3)
    slices[:, 12:15, 1:4] = 2000  # a second, brighter object on every slice
    paths = write_series(tmp_path / "ct", slices, study=generate_uid())
    out = tmp_path / "out"
    args = ["segment", "multiotsu", str(tmp_path / "ct"), "--volume", "--dicom-seg", "-o", str(out),
            "-q"]
    assert main([*args, *(["--as", "instance"] if task else [])]) == 0
    assert sorted(p.name for p in out.glob("ct.*")) == ["ct.s3.labels.nii.gz", "ct.s3.seg.dcm"]
    seg = highdicom.seg.segread(out / "ct.s3.seg.dcm")
    results = [seglab.segment(slices[k], "multiotsu") for k in range(3)]
    names = results[0].classes
    assert seg.SegmentationType == "BINARY" and seg.number_of_segments == 2
    assert [seg.get_segment_description(n).SegmentLabel for n in (1, 2)] == list(names[1:3])
    uids = [pydicom.dcmread(p).SOPInstanceUID for p in paths]
    pixels = seg.get_pixels_by_source_instance(source_sop_instance_uids=uids, combine_segments=True)
    for k in range(3):  # segment n is class n here (both classes present): the class map of each slice
        np.testing.assert_array_equal(pixels[k], results[k].labels)


def test_dicom_seg_needs_volume_and_sources_that_carry_a_study(tmp_path, capsys):
    pytest.importorskip("highdicom")
    write_series(tmp_path / "ct", ct_slices(2))  # no study, patient or frame of reference
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(tmp_path / "ct"), "--dicom-seg", "-o", str(out)]) == 2
    assert "--dicom-seg writes a DICOM volume's labels as a DICOM Segmentation: add --volume" in capsys.readouterr().err
    assert main(["segment", "otsu", str(tmp_path / "ct"), "--volume", "--dicom-seg", "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert "ct.s3.seg.dcm not written: the source images lack what a DICOM SEG copies from them" in err
    assert sorted(p.name for p in out.glob("ct.*")) == ["ct.s3.labels.nii.gz"]  # the volume is written all the same


def test_a_volume_too_big_for_the_memory_is_refused_and_its_pages_still_written(tmp_path, capsys, monkeypatch):
    import seglab.cli.volumes as volumes

    write_scan(tmp_path / "scan.nii.gz", shape=(12, 10, 3))
    monkeypatch.setattr(volumes, "available_memory", lambda: 200)  # bytes: 3 pages of 120 bytes, kept and stacked
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(tmp_path / "scan.nii.gz"), "--volume", "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert "scan.labels.nii.gz not written: assembling 3 pages of 12 x 10 needs about" in err
    assert "segment without --volume (a label image per page)" in err
    assert sorted(p.name for p in out.iterdir()) == [f"scan.p000{k}.json" for k in range(3)]


def test_stitch_links_the_instances_of_neighbouring_pages_into_3d_objects(tmp_path, capsys):
    from seglab.metrics import match_instances

    stack = np.zeros((4, 20, 30), np.uint8)
    for k in range(4):  # a blob drifting right one pixel a slice; a second one only on slices 2-3
        stack[k, 4:12, 3 + k : 11 + k] = 200
    stack[2:, 14:18, 20:26] = 200
    tifffile.imwrite(tmp_path / "z.tif", stack, photometric="minisblack")
    out = tmp_path / "out"
    args = ["segment", "otsu", str(tmp_path / "z.tif"), "--as", "instance", "--volume", "-o", str(out), "-q"]
    assert main([*args, "--stitch", "0.5"]) == 0
    linked = tifffile.imread(out / "z.labels.tif")
    assert [sorted(np.unique(p[p > 0]).tolist()) for p in linked] == [[1], [1], [1, 2], [1, 2]]
    for k in range(4):  # each page's partition is the method's own, ids renamed only
        page = seglab.to_instance(seglab.segment(stack[k], "otsu")).labels
        m = match_instances(page, linked[k], iou_threshold=0.99)
        assert m.tp == m.n_true == m.n_pred
    assert main([*args, "--stitch", "0.5", "--as", "semantic"]) == 2
    assert "gives classes, which are the same on every page already" in capsys.readouterr().err
    assert main(["segment", "otsu", str(tmp_path / "z.tif"), "--stitch", "0.5", "-o", str(out)]) == 2
    assert main([*args, "--stitch", "1.5"]) == 2


def test_a_global_method_fits_one_threshold_on_the_whole_volume(tmp_path):
    rng = np.random.default_rng(5)
    stack = rng.integers(0, 40, (3, 30, 40)).astype(np.uint8)
    stack[0, 5:25, 5:35] += 150  # a bright slice, a dim one and one of noise alone: Otsu per slice disagrees
    stack[1, 5:25, 5:35] += 60
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    out, per_page = tmp_path / "out", tmp_path / "per_page"
    assert main(["segment", "otsu", str(tmp_path / "s.tif"), "--volume", "-o", str(out), "-q"]) == 0
    assert main(["segment", "otsu", str(tmp_path / "s.tif"), "--volume", "--fit", "page", "-o", str(per_page),
                 "-q"]) == 0
    whole = seglab.segment(stack.reshape(-1, 40), "otsu")  # the volume as one image: the reference threshold
    np.testing.assert_array_equal(tifffile.imread(out / "s.labels.tif"), whole.labels.reshape(stack.shape))
    sidecar = json.loads((out / "s.p0002.json").read_text())
    assert sidecar["meta"]["threshold"] == whole.meta["threshold"]
    assert sidecar["meta"]["fit"] == {"from": "statistics", "pages": 3, "value_range": [0.0, 255.0]}
    separately = tifffile.imread(per_page / "s.labels.tif")
    for k in range(3):
        np.testing.assert_array_equal(separately[k], seglab.segment(stack[k], "otsu").labels)
    assert not np.array_equal(separately, whole.labels.reshape(stack.shape))  # the case shows the difference


def test_kmeans_classes_mean_the_same_on_every_page_of_a_volume(tmp_path):
    levels = np.array([20, 120, 230], np.uint8)
    rng = np.random.default_rng(6)
    stack = np.stack([levels[rng.choice(3, (20, 20), p=p)] for p in ((0.8, 0.1, 0.1), (0.1, 0.1, 0.8),
                                                                      (0.1, 0.8, 0.1))])
    tifffile.imwrite(tmp_path / "k.tif", stack, photometric="minisblack")
    out = tmp_path / "out"
    assert main(["segment", "kmeans", str(tmp_path / "k.tif"), "--num-classes", "3", "--volume", "-o", str(out),
                 "-q"]) == 0
    labels = tifffile.imread(out / "k.labels.tif")
    for level in levels:  # one class per intensity, the same on every page
        assert len(np.unique(labels[stack == level])) == 1
    assert len({int(labels[stack == level][0]) for level in levels}) == 3
    assert json.loads((out / "k.p0000.json").read_text())["meta"]["fit"]["from"] == "sample"
