"""seglab's output file names (:mod:`seglab.io.naming`)."""

from __future__ import annotations

from seglab.io.naming import stem_of


def test_stem_of_strips_labels_suffix():
    assert stem_of("x/a.b.labels.tif") == "a.b"


def test_every_output_kind_is_recognised_and_gives_back_its_stem():
    from seglab.io.naming import OUTPUT_SUFFIXES, is_output_file, output_kind_of

    for kind, suffixes in OUTPUT_SUFFIXES.items():
        for suffix in suffixes:
            name = f"out/a.b{suffix}"
            assert output_kind_of(name) == kind and stem_of(name) == "a.b"
            assert is_output_file(name) == (kind in ("labels", "overlay", "panoptic") and suffix.endswith((".png", ".tif", ".jpg", ".nii.gz", ".dcm")))
    assert output_kind_of("a.png") is None and stem_of("a.png") == "a" and not is_output_file("a.png")
    assert output_kind_of(".json") is None  # a suffix alone names no output


def test_a_nifti_name_loses_its_whole_double_suffix():
    from seglab.io.naming import file_stem, file_suffix, is_output_file

    assert stem_of("scans/brain.nii.gz") == "brain" and stem_of("out/brain.labels.nii.gz") == "brain"
    assert file_suffix("B.NII.GZ") == ".NII.GZ" and file_stem("B.NII.GZ") == "B"
    assert file_stem("archive.tar.gz") == "archive.tar" and file_stem(".nii.gz") == ".nii"
    assert is_output_file("brain.labels.nii.gz") and not is_output_file("brain.nii.gz")
