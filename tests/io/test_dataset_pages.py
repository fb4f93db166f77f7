"""Data sets of TIFF stacks and NIfTI volumes: one item per page, for seglab bench and seglab train alike.

References: the stacks' pages indexed by hand, seglab.metrics on the arrays.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile

import seglab
from seglab import metrics
from seglab.cli import main
from seglab.core.errors import InvalidParameterError
from seglab.io import write_labels
from seglab.io.datasets import find_dataset


def scenes(n, shape=(24, 28)):
    """`n` images with a bright rectangle each, and their 0/1 labels (one pixel of page 1 mislabelled)."""
    rng = np.random.default_rng(3)
    truth = np.zeros((n, *shape), np.uint8)
    for k in range(n):
        truth[k, 3 + k : 12 + 2 * k, 4 + k : 20] = 1
    images = (truth * 150 + rng.integers(0, 40, truth.shape)).astype(np.uint8)
    truth[1, 0, 0] = 1  # a truth pixel the images do not show
    return images, truth


@pytest.fixture
def stack_set(tmp_path):
    """images/stack.tif (3 pages) + labels/stack.tif, and a plain image b.png with its labels."""
    images, truth = scenes(4)
    for sub in ("images", "labels"):
        (tmp_path / sub).mkdir()
    tifffile.imwrite(tmp_path / "images" / "stack.tif", images[:3], photometric="minisblack")
    tifffile.imwrite(tmp_path / "labels" / "stack.tif", truth[:3], photometric="minisblack")
    write_labels(tmp_path / "images" / "b.png", images[3])
    write_labels(tmp_path / "labels" / "b.png", truth[3])
    return tmp_path, images, truth


def test_a_stack_is_one_item_per_page_and_lists_may_name_it_or_its_pages(stack_set):
    root, _, _ = stack_set
    ds = find_dataset(root)
    assert [(i.stem, i.image.name, i.page) for i in ds.items] == [
        ("b", "b.png", None), ("stack.p0000", "stack.tif", 0), ("stack.p0001", "stack.tif", 1),
        ("stack.p0002", "stack.tif", 2)]
    (root / "splits").mkdir()
    (root / "splits" / "whole.txt").write_text("stack.tif\n")
    (root / "splits" / "one.txt").write_text("# a page and an image\nstack.p0002\nb\n")
    assert [i.stem for i in find_dataset(root, split="whole").items] == ["stack.p0000", "stack.p0001", "stack.p0002"]
    assert [i.stem for i in find_dataset(root, split="one").items] == ["b", "stack.p0002"]


def test_a_label_file_with_other_pages_than_its_image_is_named(stack_set):
    root, images, truth = stack_set
    tifffile.imwrite(root / "labels" / "stack.tif", truth[:2], photometric="minisblack")
    with pytest.raises(InvalidParameterError, match=r"images/stack.tif has 3 page\(s\) but its labels .*labels/"
                                                    r"stack.tif have 2; a stack or volume needs a label page"):
        find_dataset(root)


def test_bench_scores_every_page_of_a_stack_as_an_image(stack_set, tmp_path):
    root, images, truth = stack_set
    out = tmp_path / "out"
    assert main(["bench", "otsu", "--data", str(root), "--num-classes", "2", "-o", str(out), "--overwrite"]) == 0
    (run,) = json.loads((out / "bench.json").read_text())["runs"]
    rows = {r["image"]: r for r in run["per_image"]}
    assert sorted(rows) == ["b", "stack.p0000", "stack.p0001", "stack.p0002"]
    total = np.zeros((2, 2), np.int64)
    for k in range(4):
        confusion = metrics.confusion(truth[k], seglab.segment(images[k], "otsu").labels, num_classes=2)
        total += confusion
        stem = "b" if k == 3 else f"stack.p{k:04d}"
        assert rows[stem]["mean_iou"] == pytest.approx(metrics.mean_iou(confusion))
    assert run["summary"]["mean_iou"] == pytest.approx(metrics.mean_iou(total))
    pooled = sum(metrics.confusion(truth[k], seglab.segment(images[k], "otsu").labels, num_classes=2) for k in range(3))
    assert run["summary"]["volumes"] == 1  # the stack, scored on all its pixels (b.png is no volume)
    assert run["summary"]["volume_mean_dice"] == pytest.approx(metrics.mean_dice(pooled))


def test_training_reads_the_pages_of_nifti_volumes_named_by_volume_or_page(tmp_path):
    pytest.importorskip("torch")
    nibabel = pytest.importorskip("nibabel")
    from seglab.deep._torch.data import load_samples, read_stems

    images, truth = scenes(3)
    for sub in ("images", "labels"):
        (tmp_path / sub).mkdir()
    # NIfTI stores the slices along the third axis: page k is volume[:, :, k]
    nibabel.save(nibabel.Nifti1Image(np.moveaxis(images, 0, -1), np.eye(4)), tmp_path / "images" / "v.nii.gz")
    nibabel.save(nibabel.Nifti1Image(np.moveaxis(truth, 0, -1), np.eye(4)), tmp_path / "labels" / "v.nii.gz")
    (tmp_path / "val.txt").write_text("v.p0002  # the last slice\n")
    samples = load_samples(tmp_path, stems=["v"])
    assert [s.stem for s in samples] == ["v.p0000", "v.p0001", "v.p0002"]
    for k, s in enumerate(samples):
        np.testing.assert_array_equal(s.image, images[k])
        np.testing.assert_array_equal(s.labels, truth[k])
    (only,) = load_samples(tmp_path, stems=read_stems(tmp_path / "val.txt"))
    assert only.stem == "v.p0002" and np.array_equal(only.labels, truth[2])


def test_empty_slices_are_scored_with_the_foreground_partition_left_out(tmp_path):
    """A volume's first and last slices often hold no foreground: the adapted Rand error and VoI of the foreground
    are undefined there (not 0), the confusion scores are not; the slice is scored, not failed."""
    images, truth = scenes(3)
    truth[0] = 0  # an empty slice
    for sub in ("images", "labels"):
        (tmp_path / sub).mkdir()
    tifffile.imwrite(tmp_path / "images" / "v.tif", images, photometric="minisblack")
    tifffile.imwrite(tmp_path / "labels" / "v.tif", truth, photometric="minisblack")
    out = tmp_path / "out"
    assert main(["bench", "otsu", "--data", str(tmp_path), "--num-classes", "2", "-o", str(out), "--overwrite"]) == 0
    (run,) = json.loads((out / "bench.json").read_text())["runs"]
    rows = {r["image"]: r for r in run["per_image"]}
    assert len(rows) == 3 and not run.get("failures")
    assert "rand_error_fg" not in rows["v.p0000"] and "rand_error_fg" in rows["v.p0001"]
    predictions = [seglab.segment(images[k], "otsu").labels for k in range(3)]
    assert rows["v.p0000"]["pixel_error"] == pytest.approx(float(np.mean(predictions[0] != 0)))
    expected = np.mean([metrics.adapted_rand_error(_cells(truth[k]), _cells(predictions[k]), ignore_index=0).error
                        for k in (1, 2)])  # the two slices with a foreground
    assert run["summary"]["rand_error_fg"] == pytest.approx(expected)
    assert run["summary"]["foreground_images"] == 2


def _cells(labels):
    """Connected components of class 1 (8-connected), the cells of ISBI 2012's scores."""
    from skimage.measure import label

    return label(labels == 1, connectivity=2).astype(np.int32)


def test_eval_scores_each_label_volume_on_all_its_voxels_too(tmp_path):
    """Per-case Dice: a volume's pooled confusion, not the mean of its slices' scores."""
    images, truth = scenes(3)
    for sub in ("pred", "gt"):
        (tmp_path / sub).mkdir()
    predictions = np.stack([seglab.segment(images[k], "otsu").labels for k in range(3)]).astype(np.uint8)
    tifffile.imwrite(tmp_path / "pred" / "v.labels.tif", predictions, photometric="minisblack")
    tifffile.imwrite(tmp_path / "gt" / "v.tif", truth, photometric="minisblack")
    out = tmp_path / "report"
    assert main(["eval", str(tmp_path / "pred"), str(tmp_path / "gt"), "--task", "semantic", "--num-classes", "2",
                 "-o", str(out), "--no-plots"]) == 0
    doc = json.loads((out / "eval.json").read_text())
    (volume,) = doc["volumes"]
    pooled = metrics.confusion(truth, predictions, num_classes=2)  # the volume as one array
    assert volume["volume"] == "v" and volume["pages"] == 3
    assert volume["mean_dice"] == pytest.approx(metrics.mean_dice(pooled))
    assert volume["dice_per_class"] == pytest.approx(metrics.dice_per_class(pooled).tolist())
    assert doc["summary"]["volume_mean_dice"] == pytest.approx(metrics.mean_dice(pooled))
