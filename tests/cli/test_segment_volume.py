"""``seglab segment --page all --volume``: one label file per multi-page input, on the input's grid.

References: nibabel's and tifffile's own readers of the files written, the
input volume indexed by hand, and seglab.segment run on each slice alone.
"""

from __future__ import annotations

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
    assert main(["segment", "otsu", str(tmp_path / "scan.nii.gz"), "--page", "all", "--volume", "-o", str(out),
                 "-q"]) == 0
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
    assert main(["segment", "otsu", str(tmp_path / "dots.tif"), "--page", "all", "--volume", "--as", "instance",
                 "--outputs", "labels", "-o", str(out), "-q"]) == 0
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
    before = (out / "scan.labels.nii.gz").stat().st_mtime_ns
    assert main(args) == 1
    assert "scan.labels.nii.gz exists; add --overwrite" in capsys.readouterr().err
    assert main([*args, "--skip-existing"]) == 0
    assert "3 of 3 inputs segmented with otsu" in capsys.readouterr().err
    assert (out / "scan.labels.nii.gz").stat().st_mtime_ns == before
    (out / "scan.labels.nii.gz").unlink()  # an interrupted run: page outputs without the volume
    assert main([*args, "--skip-existing"]) == 0
    assert (out / "scan.labels.nii.gz").is_file()


@pytest.mark.parametrize("extra, message", [
    (["--page", "0,1"], "add --page all"),
    (["--page", "all", "--outputs", "json"], "keep labels in --outputs"),
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
