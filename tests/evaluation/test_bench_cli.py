"""``seglab bench`` on tiny data sets built here, against the metrics computed directly."""

from __future__ import annotations

import json

import numpy as np
import pytest
from skimage.measure import label

import seglab
from seglab import metrics
from seglab.cli import main
from seglab.postprocess import semantic_to_instance

from .files import save_bsds, save_labels


def _scene(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A noisy 24x24 uint8 image with two bright squares, and their instance ids."""
    rng = np.random.default_rng(seed)
    ids = np.zeros((24, 24), np.int32)
    ids[3:10, 3 + seed:10 + seed] = 1
    ids[14:21, 12:20] = 2
    image = np.where(ids > 0, 170, 60) + rng.integers(-25, 26, ids.shape)
    return image.astype(np.uint8), ids


@pytest.fixture
def dataset(tmp_path):
    root = tmp_path / "data"
    for seed, stem in enumerate(("s0", "s1", "s2")):
        image, ids = _scene(seed)
        save_labels(root / "images" / f"{stem}.png", image)
        save_labels(root / "labels" / f"{stem}.png", ids)
    return root


def _bench(tmp_path, *args):
    out = tmp_path / "out"
    code = main(["bench", *args, "-o", str(out), "--overwrite"])
    doc = json.loads((out / "bench.json").read_text()) if (out / "bench.json").exists() else None
    return code, doc, out


def test_semantic_otsu_equals_metrics_on_the_arrays(tmp_path, dataset):
    # the labels hold instance ids 1 and 2; map both to class 1 for the semantic comparison
    code, doc, out = _bench(tmp_path, "otsu", "--data", str(dataset), "--num-classes", "2", "--label-map", "2=1")
    assert code == 0 and doc["task"] == "semantic"
    total = np.zeros((2, 2), np.int64)
    for seed in range(3):
        image, ids = _scene(seed)
        total += metrics.confusion((ids > 0).astype(int), seglab.segment(image, "otsu").labels, num_classes=2)
    (run,) = doc["runs"]
    assert run["n_images"] == 3 and run["seconds_per_image"] > 0
    assert run["summary"]["mean_iou"] == pytest.approx(metrics.mean_iou(total))
    assert run["summary"]["pixel_error"] == pytest.approx(1 - metrics.pixel_accuracy(total))
    assert "| otsu | 3 |" in (out / "bench.md").read_text()


def test_instance_task_uses_connected_components_of_semantic_results(tmp_path, dataset):
    code, doc, _ = _bench(tmp_path, "otsu", "--data", str(dataset), "--task", "instance")
    assert code == 0
    truths, preds = [], []
    for seed in range(3):
        image, ids = _scene(seed)
        truths.append(ids)
        preds.append(semantic_to_instance(seglab.segment(image, "otsu").labels))
    summary = doc["runs"][0]["summary"]
    assert summary["dsb_score"] == pytest.approx(np.mean([metrics.dsb_score(t, p) for t, p in zip(truths, preds)]))
    scores = [{"labels": p, "scores": [1.0] * int(p.max())} for p in preds]
    ap = metrics.coco_mask_ap(truths, scores, class_agnostic=True, max_dets=(1, 10, 1000))
    assert summary["ap"] == pytest.approx(ap.ap)


def _bsds(tmp_path):
    """A two-image BSDS-like data set (split val) of `_scene` with two annotations each; its root and annotations."""
    root = tmp_path / "bsds"
    gts = []
    for seed, stem in enumerate(("1", "2")):
        image, ids = _scene(seed)
        save_labels(root / "images" / "val" / f"{stem}.png", image)
        gts.append([ids + 1, (ids > 0).astype(int) + 1])
        save_bsds(root / "groundTruth" / "val" / f"{stem}.mat", *gts[-1])
    return root, gts


def test_partition_sweep_is_the_bsds_threshold_axis(tmp_path):
    root, gts = _bsds(tmp_path)
    code, doc, _ = _bench(tmp_path, "kmeans", "canny", "--data", str(root), "--split", "val",
                          "--sweep", "kmeans.num_classes=2,3")
    assert code == 0 and doc["task"] == "partition"
    kmeans, canny = doc["runs"]
    assert kmeans["name"] == "kmeans num_classes=2,3" and kmeans["per_image"][0]["settings"] == 2

    results, canny_results = [], []
    for seed, annotations in enumerate(gts):
        image, _ = _scene(seed)
        gt = [metrics.BsdsGroundTruth.from_labels(a) for a in annotations]
        segs = [label(seglab.segment(image, "kmeans", num_classes=k, rng=0).labels, background=-1, connectivity=2) + 1
                for k in (2, 3)]
        results.append(metrics.evaluate_bsds_image(gt, segs=segs))
        regions = label(seglab.segment(image, "canny").labels, background=-1, connectivity=2) + 1
        canny_results.append(metrics.evaluate_bsds_image(gt, segs=[regions]))
    expected = metrics.summarize_bsds(results)
    assert kmeans["summary"]["boundary_ods"] == pytest.approx(expected.boundary.ods_f)
    assert kmeans["summary"]["covering_ois"] == pytest.approx(expected.covering.ois)
    assert kmeans["summary"]["voi_ods"] == pytest.approx(expected.voi.ods)
    # canny like every family: the boundaries of its regions (the convention of seglab eval too)
    assert canny["summary"]["boundary_ods"] == pytest.approx(metrics.summarize_bsds(canny_results).boundary.ods_f)


@pytest.mark.parametrize("method", ["otsu", "canny"])
def test_bench_segment_then_eval_and_as_instance_give_one_figure(tmp_path, method, capsys):
    """Issue 14 #3: three routes gave three scores (covering 0.3961 / 0.3584 / 0.3893 for otsu on BSDS)."""
    root = tmp_path / "bsds"
    for seed in range(3):
        image, ids = _scene(seed)
        save_labels(root / "images" / f"{seed}.png", image)
        save_bsds(root / "groundTruth" / f"{seed}.mat", ids + 1, (ids > 0).astype(int) + 1)
    code, doc, _ = _bench(tmp_path, method, "--data", str(root))
    assert code == 0
    bench = doc["runs"][0]["summary"]
    figures = []
    for extra in ([], ["--as", "instance"]):
        out = tmp_path / f"seg{len(extra)}"
        assert main(["segment", method, str(root / "images"), "-o", str(out), *extra]) == 0
        assert main(["eval", str(out), str(root / "groundTruth"), "-o", str(tmp_path / f"eval{len(extra)}"),
                     "--no-plots"]) == 0
        figures.append(json.loads((tmp_path / f"eval{len(extra)}" / "eval.json").read_text())["summary"])
    for key in ("covering_ods", "boundary_ods", "pri_ods", "voi_ods"):
        assert figures[0][key] == pytest.approx(bench[key]) and figures[1][key] == pytest.approx(bench[key]), key


def test_split_list_limit_and_a_bad_image(tmp_path, capsys):
    root = tmp_path / "data"
    for seed, stem in enumerate(("a", "b", "c", "d")):
        image, ids = _scene(seed % 3)
        save_labels(root / "images" / "val" / f"{stem}.png", image)
        save_labels(root / "labels" / "val" / f"{stem}.png", ids)
    (root / "images" / "val" / "b.png").write_bytes(b"not an image at all")
    (root / "splits").mkdir()
    (root / "splits" / "val.txt").write_text("a.png\nb.png\nc.png\n")
    code, doc, out = _bench(tmp_path, "otsu", "--data", str(root), "--split", "val", "--task", "instance")
    assert code == 1 and doc["data"]["images"] == 3
    run = doc["runs"][0]
    assert run["n_images"] == 2 and [f["image"] for f in run["failures"]] == ["b"]
    assert "b:" in (out / "bench.md").read_text()
    code, doc, _ = _bench(tmp_path, "otsu", "--data", str(root), "--split", "val", "--task", "instance",
                          "--limit", "1")
    assert code == 0 and doc["runs"][0]["n_images"] == 1


def test_a_method_failing_on_every_image_is_listed_per_image(tmp_path, dataset):
    code, doc, _ = _bench(tmp_path, "otsu", "multiotsu", "--data", str(dataset), "--num-classes", "2",
                          "--label-map", "2=1", "--param", "multiotsu.num_classes=3")
    assert code == 1
    otsu, multi = doc["runs"]
    assert otsu["error"] is None and multi["n_images"] == 0
    assert all("outside [0, 2)" in f["reason"] for f in multi["failures"])


def test_parameters_are_checked_before_any_image_is_read(dataset, monkeypatch):
    from seglab.core.errors import InvalidParameterError
    from seglab.evaluation import bench
    from seglab.evaluation.bench import MethodRun, run_bench
    from seglab.io.datasets import find_dataset

    def no_reading(*args, **kwargs):
        raise AssertionError("an image was read")

    monkeypatch.setattr(bench, "read_input", no_reading)
    with pytest.raises(InvalidParameterError, match="needs the parameter 'value'"):
        run_bench(find_dataset(dataset), [MethodRun("otsu"), MethodRun("threshold")], task="instance")
    with pytest.raises(InvalidParameterError, match="window_size: must be odd"):
        run_bench(find_dataset(dataset), [MethodRun("adaptive", sweep=("window_size", (5, 4)))], task="instance")


def test_boundary_map_scores_sweeps_99_thresholds_of_the_soft_edge_map(tmp_path):
    from seglab.classical.edge_strength import canny_strength

    root, gts = _bsds(tmp_path)
    code, doc, out = _bench(tmp_path, "canny", "--data", str(root), "--split", "val", "--boundary-map", "scores",
                            "--sweep", "sigma=0,1.5")
    assert code == 0 and doc["options"]["boundary_map"] == "scores"
    runs = doc["runs"]
    assert [r["name"] for r in runs] == ["canny sigma=0.0", "canny sigma=1.5"]  # a row per setting
    for run, sigma in zip(runs, (0.0, 1.5)):
        results = []
        for seed, annotations in enumerate(gts):
            image, _ = _scene(seed)
            soft = canny_strength(image, sigma=sigma).astype(np.float64)
            gt = [metrics.BsdsGroundTruth.from_labels(a) for a in annotations]
            results.append(metrics.evaluate_bsds_image(gt, boundary_map=soft / soft.max(), regions=False))
        expected = metrics.summarize_bsds(results).boundary
        summary = run["summary"]
        assert run["per_image"][0]["settings"] == 99 and len(summary["per_setting"]["boundary_f"]) == 99
        assert summary["boundary_ods"] == pytest.approx(expected.ods_f)
        assert summary["boundary_ois"] == pytest.approx(expected.ois_f)
        assert summary["boundary_ap"] == pytest.approx(expected.ap)
        assert "covering_ods" not in summary
    assert "divided by its maximum in each image" in (out / "bench.md").read_text()


def test_boundary_map_scores_needs_partition_data_and_a_soft_map(tmp_path, dataset, capsys):
    out = str(tmp_path / "o")
    assert main(["bench", "otsu", "--boundary-map", "scores", "--data", str(dataset), "-o", out]) == 2
    assert "no return_scores" in capsys.readouterr().err
    assert main(["bench", "canny", "--boundary-map", "scores", "--task", "instance", "--data", str(dataset),
                 "-o", out]) == 2
    assert "partition (BSDS) data" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["otsu", "--param", "sigma=2"], "otsu has no parameter 'sigma'"),
    (["otsu", "--param", "nbins=x"], "expected an integer"),
    (["kmeans", "--sweep", "num_classes=2,3", "--sweep", "rng=1,2"], "one sweep per method"),
    (["otsu", "--split", "val"], "no split 'val'"),
    (["adaptive", "--sweep", "window_size=5,4"], "window_size: must be odd"),
    (["otsu", "--task", "instance", "--label-map", "255=1"], "only applies to semantic"),
    (["nosuch"], "unknown method 'nosuch'"),
])
def test_usage_errors(tmp_path, dataset, capsys, args, message):
    assert main(["bench", *args, "--data", str(dataset), "-o", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o" / "bench.json").exists()


def test_existing_outputs_are_kept_without_overwrite(tmp_path, dataset, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "bench.md").write_text("mine")
    assert main(["bench", "otsu", "--data", str(dataset), "-o", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err and (out / "bench.md").read_text() == "mine"


def test_darkest_background_class_makes_bright_clusters_the_instances(tmp_path, dataset):
    """k-means puts the dark ground in one cluster: with ``darkest`` it is background, the squares are found."""
    code, doc, _ = _bench(tmp_path, "kmeans", "--data", str(dataset), "--task", "instance",
                          "--param", "num_classes=2", "--background-class", "darkest")
    assert code == 0
    truths, preds = [], []
    for seed in range(3):
        image, ids = _scene(seed)
        seg = seglab.segment(image, "kmeans", num_classes=2, rng=0)
        dark = min(np.unique(seg.labels), key=lambda c: image[seg.labels == c].mean())
        truths.append(ids)
        preds.append(semantic_to_instance(seg.labels, background=int(dark)))
    (run,) = doc["runs"]
    assert run["summary"]["dsb_score"] == pytest.approx(np.mean([metrics.dsb_score(t, p) for t, p in zip(truths, preds)]))
    assert run["summary"]["dsb_score"] > 0.5  # the two squares per image are recovered
