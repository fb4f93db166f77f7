"""``seglab segment`` in-process through ``seglab.cli.main``: outputs, naming, safety, exit codes."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
import tifffile
from PIL import Image

from seglab.cli import main
from seglab.io import read_labels


def _files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # pycocotools on numpy 2
def test_every_output_kind(tmp_path, images, demo_methods, capsys, blobs):
    from pycocotools.coco import COCO
    from skimage.measure import label

    out = tmp_path / "out"
    code = main(["segment", "demo_blobs", str(images / "blobs.png"), "-o", str(out), "--value", "150",
                 "--outputs", "labels,overlay,json,coco,csv"])
    assert code == 0
    assert _files(out) == ["blobs.coco.json", "blobs.json", "blobs.labels.png", "blobs.overlay.png",
                           "blobs.regions.csv"]
    std = capsys.readouterr()
    assert std.out.startswith(f"{images / 'blobs.png'} -> {out / 'blobs.labels.png'}")
    assert "1 of 1 inputs segmented with demo_blobs" in std.err
    truth = label(blobs > 150)  # the independent reference: scikit-image on the same pixels
    assert np.array_equal(read_labels(out / "blobs.labels.png"), truth)
    doc = json.loads((out / "blobs.json").read_text())
    assert doc["method"] == "demo_blobs" and doc["params"] == {"value": 150.0}
    assert doc["input_file"] == str(images / "blobs.png") and doc["num_segments"] == 3
    coco = COCO(str(out / "blobs.coco.json"))
    anns = coco.loadAnns(coco.getAnnIds())
    assert coco.imgs[1]["file_name"] == "blobs.png" and len(anns) == 3
    for ann in anns:
        assert np.array_equal(coco.annToMask(ann).astype(bool), truth == ann["seglab_label"])
    rows = list(csv.DictReader(open(out / "blobs.regions.csv")))
    assert [int(r["area"]) for r in rows] == [int((truth == i).sum()) for i in (1, 2, 3)]
    with Image.open(out / "blobs.overlay.png") as im:
        assert im.mode == "RGB" and im.size == (50, 40)


def test_coco_needs_an_instance_method(tmp_path, images, capsys):
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(images), "-o", str(out), "--outputs", "labels,coco"]) == 2
    assert "otsu is a semantic method" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["otsu", "--nbins", "1"], "nbins=1 is out of range; it must lie in [2, 65536]"),
    (["otsu", "--nbins", "many"], "--nbins: expected an integer; got 'many'"),
    (["adaptive", "--method", "gausian"], "Did you mean 'gaussian'?"),
    (["adaptive", "--window-size", "4"], "window_size: must be odd"),  # rejected by the method itself
    (["adaptive", "--window-size", "1"], "window_size=1 is out of range"),
    (["otsu", "--outputs", "labels,overlays"], "unknown output 'overlays'; Did you mean 'overlay'?"),
    (["otsu", "--page", "-1"], "expected a page number"),
    (["otsu", "--mask", "missing.png"], "--mask: missing.png: no such file"),
])
def test_bad_parameters_stop_before_any_output(tmp_path, images, capsys, args, message):
    out = tmp_path / "out"
    assert main(["segment", args[0], str(images), "-o", str(out), *args[1:]]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1  # one line
    assert _files(out) == []


def test_a_parameter_that_only_some_images_reject_fails_those_files_not_the_batch(tmp_path, images, capsys):
    # color_space="lab" needs RGB: the gray files fail, the RGB(A) one is written, exit 1.
    out = tmp_path / "out"
    files = [str(images / name) for name in ("blobs.png", "rgba.png", "flipped.png")]
    assert main(["segment", "kmeans", *files, "-o", str(out), "--color-space", "lab", "--rng", "0"]) == 1
    assert {name.split(".")[0] for name in _files(out)} == {"rgba"} and "rgba.labels.png" in _files(out)
    summary = capsys.readouterr().err.split("seglab: 1 of 3 inputs segmented; 2 failed:")[1]
    assert summary.count("'lab' needs an (H, W, 3) RGB image") == 2
    assert "blobs.png" in summary and "flipped.png" in summary


def test_a_rule_that_holds_for_every_image_stops_before_any_file_is_read(tmp_path, images, capsys, monkeypatch):
    """An even window is wrong whatever the image: exit 2 at once, nothing read, nothing written."""
    import seglab.io

    def no_reading(*args, **kwargs):
        raise AssertionError("a file was read")

    monkeypatch.setattr(seglab.io, "read_image", no_reading)
    out = tmp_path / "out"
    files = [str(images / name) for name in ("blobs.png", "flipped.png")]
    assert main(["segment", "adaptive", *files, "-o", str(out), "--window-size", "4"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("error: adaptive: window_size: must be odd so that the window is centred on the pixel; "
                           "got 4, use 5 (or 3).")
    assert not out.exists()


def test_a_parameter_only_some_images_reject_fails_those_files(tmp_path, images, capsys):
    """color_space='lab' needs colour: the gray files fail (exit 1), whichever comes first."""
    out = tmp_path / "out"
    assert main(["segment", "kmeans", str(images / "blobs.png"), "-o", str(out), "--color-space", "lab"]) == 1
    assert "'lab' needs an (H, W, 3) RGB image" in capsys.readouterr().err
    assert _files(out) == []


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # pycocotools on numpy 2
def test_as_instance_turns_a_semantic_method_into_coco_objects(tmp_path, images, blobs):
    import json

    from pycocotools.coco import COCO
    from scipy import ndimage

    out = tmp_path / "out"
    assert main(["segment", "otsu", str(images / "blobs.png"), "-o", str(out), "--as", "instance",
                 "--outputs", "json,coco"]) == 0
    truth, n = ndimage.label(blobs > 100, structure=np.ones((3, 3)))  # the three blobs, 8-connected
    coco = COCO(str(out / "blobs.coco.json"))
    masks = sorted((coco.annToMask(a).astype(bool) for a in coco.loadAnns(coco.getAnnIds())), key=lambda m: m.sum())
    assert len(masks) == n == 3
    assert all(any(np.array_equal(m, truth == i) for i in range(1, n + 1)) for m in masks)
    doc = json.loads((out / "blobs.json").read_text())
    assert doc["task"] == "instance" and doc["meta"]["converted_from"] == "semantic"


def test_as_panoptic_with_things_and_things_without_as(tmp_path, images, capsys):
    import json

    out = tmp_path / "out"
    assert main(["segment", "otsu", str(images / "blobs.png"), "-o", str(out), "--as", "panoptic",
                 "--things", "foreground"]) == 0
    segments = json.loads((out / "blobs.json").read_text())["segments"]
    assert len(segments) == 3 and all(s["is_thing"] and s["class_id"] == 1 for s in segments.values())
    assert main(["segment", "otsu", str(images), "-o", str(tmp_path / "o2"), "--things", "foreground"]) == 2
    assert "things chooses the object classes of a conversion to instance or panoptic" in capsys.readouterr().err


def test_method_flags_reach_the_method(tmp_path, images):
    out = tmp_path / "out"
    args = ["segment", "adaptive", str(images / "blobs.png"), "-o", str(out), "--window-size", "5",
            "--method", "mean", "--polarity", "dark"]
    assert main(args) == 0
    assert json.loads((out / "blobs.json").read_text())["params"] == {
        "method": "mean", "window_size": 5, "offset": 0.0, "polarity": "dark"}


def test_deprecated_flags_still_work_and_say_so(tmp_path, images, capsys):
    """--block-size and --dark-foreground (renamed) keep working for one release, with a warning naming the new flag."""
    out = tmp_path / "out"
    args = ["segment", "adaptive", str(images / "blobs.png"), "-o", str(out), "--block-size", "5", "--dark-foreground"]
    assert main(args) == 0
    assert json.loads((out / "blobs.json").read_text())["params"]["window_size"] == 5
    assert json.loads((out / "blobs.json").read_text())["params"]["polarity"] == "dark"
    err = capsys.readouterr().err
    assert "'block_size' is deprecated" in err and "use 'window_size'" in err and "use 'polarity'" in err


def test_mask_flag(tmp_path, images, blobs):
    mask = np.zeros((40, 50), np.uint8)
    mask[:, :25] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out = tmp_path / "out"
    assert main(["segment", "threshold", str(images / "blobs.png"), "-o", str(out), "--value", "100",
                 "--mask", str(tmp_path / "mask.png")]) == 0
    labels = read_labels(out / "blobs.labels.png")
    assert labels[:, 25:].max() == 0 and np.array_equal(labels[:, :25], (blobs > 100)[:, :25])


def test_folder_input_rgba_note_and_rerun_safety(tmp_path, images, capsys):
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(images), "-o", str(out)]) == 0
    assert _files(out) == ["blobs.json", "blobs.labels.png", "flipped.json", "flipped.labels.png",
                           "rgba.json", "rgba.labels.png"]
    assert "warning: " in capsys.readouterr().err
    notes = json.loads((out / "rgba.json").read_text())["notes"]
    assert len(notes) == 1 and "alpha channel was dropped" in notes[0]
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()}
    assert main(["segment", "otsu", str(images), "-o", str(out)]) == 1  # again, without --overwrite
    err = capsys.readouterr().err
    assert "0 of 3 inputs segmented; 3 failed" in err and "(command line: --overwrite)" in err
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()} == before
    assert main(["segment", "otsu", str(images), "-o", str(out), "--overwrite"]) == 0


def test_outputs_next_to_inputs_are_not_taken_as_inputs(tmp_path, images):
    assert main(["segment", "otsu", str(images), "-o", str(images), "--outputs", "labels,overlay"]) == 0
    assert main(["segment", "otsu", str(images), "-o", str(images), "--outputs", "labels,overlay",
                 "--overwrite"]) == 0
    assert not [p for p in os.listdir(images) if ".labels.labels" in p or ".labels.overlay" in p]


def test_an_output_never_replaces_an_input(tmp_path, images, capsys, blobs):
    Image.fromarray(blobs).save(images / "blobs.labels.png")
    args = ["segment", "otsu", str(images / "blobs.png"), str(images / "blobs.labels.png"), "-o", str(images),
            "--overwrite"]
    before = (images / "blobs.labels.png").read_bytes()
    assert main(args) == 2
    assert "would replace an input file" in capsys.readouterr().err
    assert (images / "blobs.labels.png").read_bytes() == before


def test_same_stem_in_two_folders_does_not_collide(tmp_path, images, blobs):
    other = tmp_path / "other" / "in"
    other.mkdir(parents=True)
    Image.fromarray(blobs).save(other / "blobs.png")
    tifffile.imwrite(images / "blobs.tif", blobs)
    out = tmp_path / "out"
    files = [str(images / "blobs.png"), str(images / "blobs.tif"), str(other / "blobs.png")]
    assert main(["segment", "otsu", *files, "-o", str(out), "--outputs", "json"]) == 0
    sources = {p.name: json.loads(p.read_text())["input_file"] for p in out.iterdir()}
    assert sources == {"blobs_png.json": files[0], "blobs_tif.json": files[1], "blobs.json": files[2]}


def test_multipage_tiff_page_choice(tmp_path, capsys):
    stack = np.zeros((3, 20, 20), np.uint8)
    stack[1, 5:15, 5:15] = 200
    tifffile.imwrite(tmp_path / "stack.tif", stack, photometric="minisblack")
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(tmp_path / "stack.tif"), "-o", str(out)]) == 1
    assert "the file has 3 pages" in capsys.readouterr().err
    assert main(["segment", "otsu", str(tmp_path / "stack.tif"), "-o", str(out), "--page", "1"]) == 0
    assert read_labels(out / "stack.labels.png").sum() == 100
    assert json.loads((out / "stack.json").read_text())["page"] == 1


def test_large_or_void_labels_go_to_tiff(tmp_path, demo_methods):
    image = np.zeros((3, 700), np.uint8)
    image[1, ::2] = 255  # 350 separate blobs: more than 8 bits, so a 16-bit PNG
    tifffile.imwrite(tmp_path / "dots.tif", image)
    out = tmp_path / "out"
    assert main(["segment", "demo_blobs", str(tmp_path / "dots.tif"), "-o", str(out)]) == 0
    with Image.open(out / "dots.labels.png") as im:
        assert im.mode == "I;16" and np.asarray(im).max() == 350


def test_missing_dependency_exits_3(tmp_path, images, demo_methods, capsys):
    assert main(["segment", "demo_needs_missing", str(images), "-o", str(tmp_path / "out")]) == 3
    assert "pip install" in capsys.readouterr().err
    assert _files(tmp_path / "out") == []


def test_ctrl_c_leaves_no_partial_file(tmp_path, images, demo_methods, monkeypatch):
    from seglab.io import atomic

    real_replace, calls = os.replace, []

    def replace_then_interrupt(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace_then_interrupt)
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(images), "-o", str(out)]) == 130
    assert _files(out) == []  # an input's outputs appear together or not at all; no temporary file is left


def test_skip_existing_resumes_an_interrupted_batch(tmp_path, images, monkeypatch, capsys):
    """Issue 14 #5: after Ctrl-C an input had 2 or 3 of its 4 outputs and a rerun could not resume."""
    from seglab.io import atomic

    out = tmp_path / "out"
    args = ["segment", "otsu", str(images), "-o", str(out), "--outputs", "labels,overlay,json,csv"]
    real_replace, calls = os.replace, []

    def interrupt_sixth(src, dst):
        calls.append(dst)
        if len(calls) == 6:  # the second input's second file
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", interrupt_sixth)
    assert main(args) == 130
    assert "the inputs reported done have all their outputs" in capsys.readouterr().err
    assert {p.name.split(".")[0] for p in out.iterdir()} == {"blobs"} and len(list(out.iterdir())) == 4
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    first = (out / "blobs.labels.png").stat().st_mtime_ns
    assert main([*args, "--skip-existing"]) == 0
    err = capsys.readouterr().err
    assert "3 of 3 inputs segmented with otsu" in err and "(1 skipped: already done)" in err
    assert (out / "blobs.labels.png").stat().st_mtime_ns == first and len(list(out.iterdir())) == 12
    assert main(args) == 1  # without --skip-existing finished files are never replaced
    assert "already exists" in capsys.readouterr().err
    assert main([*args, "--skip-existing", "--nbins", "64"]) == 1  # other settings: not done, and not replaced
    assert main([*args, "--skip-existing", "--overwrite"]) == 2


def test_options_must_be_spelled_out_and_typos_get_a_suggestion(tmp_path, images, capsys):
    """Issue 14 #11: argparse prefix matching took --n-cluster silently."""
    assert main(["segment", "kmeans", str(images), "-o", str(tmp_path / "o"), "--num-class", "3"]) == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --num-class 3. Did you mean '--num-classes'?" in err
    assert main(["segment"]) == 2
    assert "give a method and the images: seglab segment METHOD INPUT... -o OUTDIR" in capsys.readouterr().err


def test_bench_style_params_given_to_segment_are_spelled_as_its_options(tmp_path, images, capsys):
    """``seglab bench`` takes ``--param NAME=VALUE``; ``seglab segment`` one option per parameter: the error says which."""
    out = str(tmp_path / "o")
    assert main(["segment", "kmeans", str(images), "-o", out, "--param", "n_clusters=3", "--param=rng=1"]) == 2
    err = capsys.readouterr().err
    assert "not --param NAME=VALUE: --n-clusters 3 --rng 1." in err
    assert main(["segment", "kmeans", str(images), "-o", out, "--num-class", "3", "--num-class", "4"]) == 2
    assert capsys.readouterr().err.count("Did you mean") == 1  # one suggestion per misspelt option
    assert main(["segment", "kmeans", str(images), "-o", out, "--n-clusters", "3", "--rng", "1"]) == 0  # as spelled


def test_quiet_recursive_and_instance_cleaning(tmp_path, images, capsys, blobs):
    """Issue 14 #11: --quiet, --recursive, and --min-size/--fill-holes for --as instance."""
    nested = images / "deeper" / "still"
    nested.mkdir(parents=True)
    Image.fromarray(blobs).save(nested / "nested.png")
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(images), "-o", str(out), "--recursive", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "4 of 4 inputs segmented" in captured.err
    assert (out / "nested.labels.png").exists()
    ring = np.full((30, 30), 20, np.uint8)
    ring[5:25, 5:25] = 200
    ring[12:18, 12:18] = 20  # a hole
    ring[1, 1] = 200  # a speck
    Image.fromarray(ring).save(tmp_path / "ring.png")
    assert main(["segment", "otsu", str(tmp_path / "ring.png"), "-o", str(tmp_path / "r"), "--as", "instance",
                 "--min-size", "4", "--fill-holes", "--outputs", "labels"]) == 0
    labels = read_labels(tmp_path / "r" / "ring.labels.png")
    assert labels.max() == 1 and labels[1, 1] == 0 and labels[15, 15] == 1 and labels[5:25, 5:25].all()
    assert main(["segment", "otsu", str(tmp_path / "ring.png"), "-o", str(tmp_path / "r2"), "--min-size", "4"]) == 2
    assert "min_size and fill_holes clean the instances" in capsys.readouterr().err


def test_overlay_options_and_jpeg_overlays_for_jpeg_photos(tmp_path, blobs):
    """Issue 14 #7: --overlay-alpha and a contour-only style; a JPEG input gets a JPEG overlay."""
    import cv2

    rgb = np.dstack([blobs] * 3)
    Image.fromarray(rgb).save(tmp_path / "photo.jpg", quality=95)
    Image.fromarray(rgb).save(tmp_path / "scan.png")
    out = tmp_path / "out"
    assert main(["segment", "otsu", str(tmp_path / "photo.jpg"), str(tmp_path / "scan.png"), "-o", str(out),
                 "--outputs", "labels,overlay", "--overlay-style", "contour"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["photo.labels.png", "photo.overlay.jpg", "scan.labels.png",
                                                      "scan.overlay.png"]
    contour = cv2.imread(str(out / "scan.overlay.png"))[..., ::-1]
    labels = read_labels(out / "scan.labels.png")
    inner = (labels > 0) & (cv2.erode(labels.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    assert (contour[inner] == rgb[inner]).all()  # contour style: the inside is not tinted
    assert main(["segment", "otsu", str(tmp_path / "scan.png"), "-o", str(tmp_path / "o2"), "--outputs", "overlay",
                 "--overlay-alpha", "0.9"]) == 0
    tinted = cv2.imread(str(tmp_path / "o2" / "scan.overlay.png"))[..., ::-1]
    assert np.abs(tinted[inner].astype(int) - rgb[inner]).mean() > 60
    assert main(["segment", "otsu", str(tmp_path / "scan.png"), "-o", str(tmp_path / "o3"), "--outputs", "overlay",
                 "--overlay-alpha", "2"]) == 2


def test_an_output_folder_that_cannot_be_made_is_one_line_before_any_work(tmp_path, images, capsys):
    blocker = tmp_path / "plain-file"
    blocker.write_text("a file where a folder's parent should be")
    truth = tmp_path / "truth"
    truth.mkdir()
    Image.fromarray(np.zeros((40, 50), np.uint8)).save(truth / "blobs.png")
    for argv in (["segment", "otsu", str(images), "-o", str(blocker / "out")],
                 ["eval", str(truth), str(truth), "-o", str(blocker / "out")]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert f"-o {blocker / 'out'}: cannot write there" in err and "Traceback" not in err, err


def test_bench_lists_an_unreadable_ground_truth_as_that_image_failure(tmp_path, blobs, capsys):
    data = tmp_path / "ds"
    for sub in ("images", "labels"):
        (data / sub).mkdir(parents=True)
    for name in ("a", "b"):
        Image.fromarray(blobs).save(data / "images" / f"{name}.png")
    Image.fromarray((blobs > 100).astype(np.uint8)).save(data / "labels" / "a.png")
    (data / "labels" / "b.png").write_text("not an image")
    assert main(["bench", "otsu", "--data", str(data), "-o", str(tmp_path / "out")]) == 1
    assert "seglab bench: 1 failure(s):\n  otsu: b: " in capsys.readouterr().err  # named at the end, not only in bench.md
    report = json.loads((tmp_path / "out" / "bench.json").read_text())
    (run,) = report["runs"]
    assert run["n_images"] == 1 and [f["image"] for f in run["failures"]] == ["b"]
    assert "b.png: is not an image seglab can read" in run["failures"][0]["reason"]


def test_scale_options_without_a_tile_size_and_values_given_to_switches_are_explained(tmp_path, images, capsys):
    assert main(["segment", "otsu", str(images / "blobs.png"), "-o", str(tmp_path / "o"), "--overlap", "0.5"]) == 2
    assert "--overlap and --label-format apply with --tile-size" in capsys.readouterr().err
    assert main(["segment", "kmeans", str(images / "blobs.png"), "-o", str(tmp_path / "k"), "--rng", "-5"]) == 2
    assert "rng: an integer seed must be >= 0" in capsys.readouterr().err
    assert main(["segment", "watershed", str(images / "blobs.png"), "false", "-o", str(tmp_path / "w"),
                 "--fill-holes", "--quiet"]) == 1
    assert "false: no such file or folder; check the path. On/off options take no value" in capsys.readouterr().err


def test_eval_refuses_to_write_its_report_into_the_folders_it_reads(tmp_path, capsys):
    folder = tmp_path / "pred"
    folder.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "a.png")
    assert main(["eval", str(folder), str(folder), "-o", str(folder)]) == 2
    assert "is the prediction folder: its plots would be read as label images" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["a.png"]
