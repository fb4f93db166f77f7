"""The model methods as registered methods: seglab.segment, seglab train / export / segment on the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

import seglab  # noqa: E402
from seglab.cli import main  # noqa: E402
from seglab.core.errors import CheckpointError, InvalidParameterError  # noqa: E402
from seglab.deep._torch.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint  # noqa: E402
from seglab.deep._torch.models import build_model  # noqa: E402
from seglab.deep._torch.predict import predict  # noqa: E402
from seglab.io import read_labels  # noqa: E402

from .synthetic import TINY, shapes  # noqa: E402


@pytest.fixture(scope="module")
def trained(shapes_dir, tmp_path_factory):
    """A tiny U-Net trained for a few steps through the command line."""
    out = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    code = main(["train", "unet", "--data", str(shapes_dir), "--split", "train", "--val-split", "val",
                 "--out", str(out), "--config", json.dumps(TINY["unet"][1]), "--epochs", "2",
                 "--steps-per-epoch", "6", "--crop-size", "48", "--batch-size", "4", "--classes", "ground,shape",
                 "--seed", "0", "--quiet"])
    assert code == 0
    return out


def test_a_model_method_without_weights_says_how_to_get_them():
    with pytest.raises(InvalidParameterError, match="no trained weights .* `seglab train unet --data DIR"):
        seglab.segment(np.zeros((16, 16), np.uint8), "unet")


@pytest.mark.parametrize(("method", "flags", "message"), [
    ("unet", [], "error: unet has no trained weights to run with: pass weights=NAME ('membrane')"),
    ("unet_instances", ["--weights", "membrane"], "weights='membrane' is neither a shipped name nor a file. Shipped: "
                                                  "'nuclei'."),
    ("fcn", ["--weights", "no/such.pt"], "weights='no/such.pt' is neither a shipped name nor a file."),
])
def test_missing_or_unknown_weights_stop_a_batch_once_before_any_image(tmp_path, capsys, method, flags, message):
    """A parameter error (exit 2) said once, not one failure per image (exit 1) after reading each of them."""
    for i in range(3):
        Image.fromarray(np.full((12, 12), 40 * i, np.uint8)).save(tmp_path / f"im{i}.png")
    out = tmp_path / "out"
    assert main(["segment", method, str(tmp_path), "-o", str(out), *flags]) == 2
    err = capsys.readouterr().err
    assert err.count(message) == 1 and "inputs segmented" not in err
    assert not out.exists()


def test_segment_through_the_registry_equals_the_engine(trained):
    image, _ = shapes(80, seed=7)
    seg = seglab.segment(image, "unet", weights=str(trained), return_scores=True, tile_size=48, overlap=0.25)
    checkpoint = load_checkpoint(trained, arch="unet")
    labels, scores = predict(checkpoint.model, image, normalization=checkpoint.normalization, tile_size=48,
                             overlap=0.25, return_scores=True)
    np.testing.assert_array_equal(seg.labels, labels)
    np.testing.assert_allclose(seg.scores, scores, atol=1e-6)
    assert seg.classes == ("ground", "shape") and seg.task == "semantic" and seg.method == "unet"
    assert seg.params["weights"] == str(trained) and seg.params["tile_size"] == 48


def test_train_then_segment_then_export_on_the_command_line(trained, tmp_path, shapes_dir):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    image_dir = shapes_dir / "images" / "val"
    out = tmp_path / "seg"
    assert main(["segment", "unet", str(image_dir), "-o", str(out), "--weights", str(trained), "--quiet"]) == 0
    first = sorted(image_dir.iterdir())[0]
    expected = seglab.segment(seglab.read_image(first), "unet", weights=str(trained)).labels
    np.testing.assert_array_equal(read_labels(out / f"{first.stem}.labels.png"), expected)
    onnx = tmp_path / "tiny.onnx"
    assert main(["export", "unet", "--weights", str(trained), "-o", str(onnx)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if "onnx" in p.name) == ["tiny.onnx"]  # no side file left
    assert main(["export", "unet", "--weights", str(trained), "-o", str(onnx)]) == 2  # no silent overwrite
    assert main(["export", "unet", "--weights", str(trained), "-o", str(tmp_path / "o99.onnx"), "--opset", "99"]) == 2
    assert not (tmp_path / "o99.onnx").exists()
    via_ort = seglab.segment(seglab.read_image(first), "unet", weights=str(onnx), backend="onnxruntime")
    np.testing.assert_array_equal(via_ort.labels, expected)
    with pytest.raises(InvalidParameterError, match="backend='onnxruntime' runs an exported model"):
        seglab.segment(seglab.read_image(first), "unet", weights=str(trained), backend="onnxruntime")
    with pytest.raises(InvalidParameterError, match="precision: 'bfloat16' applies to PyTorch models"):
        seglab.segment(seglab.read_image(first), "unet", weights=str(onnx), backend="onnxruntime",
                       precision="bfloat16")
    out16 = tmp_path / "seg16"
    assert main(["segment", "unet", str(first), "-o", str(out16), "--weights", str(trained), "--precision",
                 "bfloat16", "--outputs", "labels,json", "--quiet"]) == 0
    assert json.loads((out16 / f"{first.stem}.json").read_text())["params"]["precision"] == "bfloat16"
    assert (read_labels(out16 / f"{first.stem}.labels.png") == expected).mean() > 0.99


def test_weights_of_another_architecture_are_refused(tmp_path):
    model = build_model("cnn", in_channels=1, num_classes=2, **TINY["cnn"][1])
    path = save_checkpoint(tmp_path / "cnn.pt", model, normalization={"kind": "percentile", "low": 1, "high": 99})
    with pytest.raises(CheckpointError, match="holds a 'cnn' model, not 'unet'"):
        seglab.segment(np.zeros((16, 16), np.uint8), "unet", weights=str(path))


def test_bad_files_options_and_output_folders_are_one_line_each_before_any_training(tmp_path, shapes_dir, capsys):
    text = tmp_path / "notes.png"
    text.write_text("hello")
    blocked = tmp_path / "file"
    blocked.write_text("a file where a folder is needed")
    cases = [
        (["export", "unet", "--weights", str(text), "-o", str(tmp_path / "z.onnx")], "is not a seglab checkpoint"),
        (["train", "unet", "--data", str(shapes_dir), "--out", str(tmp_path / "a.pt"), "--init", str(text)],
         "is not a seglab checkpoint"),
        (["train", "unet", "--data", str(shapes_dir), "--out", str(tmp_path / "a.pt"), "--lr", "nan"],
         "lr: must be a finite number >= 0"),
        (["train", "unet", "--data", str(shapes_dir), "--out", str(blocked / "a.pt")], "this is a file, not a folder"),
        (["export", "unet", "--weights", "membrane", "-o", str(tmp_path / "x.onnx"), "--opset", "3"], "opset: 3"),
        (["export", "unet", "--weights", "membrane", "-o", str(tmp_path / "m.txt")], "ending in .onnx"),
        (["train", "unet", "--data", str(shapes_dir), "--out", str(tmp_path / "curves.png")], "ends in .pt"),
        (["train", "unet", "--data", str(shapes_dir), "--out", str(text.with_suffix(".pt"))],
         "notes.png already exist(s); pass --resume"),  # notes.png would be the curves file of notes.pt
    ]
    for argv, words in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err, err
    assert not (tmp_path / "a.pt").exists()


def test_train_refuses_methods_that_do_not_learn_and_bad_options(tmp_path, shapes_dir, capsys):
    assert main(["train", "otsu", "--data", str(shapes_dir), "--out", str(tmp_path / "x.pt")]) == 2
    assert "otsu is not a trainable model method" in capsys.readouterr().err
    assert main(["train", "unet", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "x.pt")]) == 2
    assert "no such data-set folder" in capsys.readouterr().err
    assert main(["train", "unet", "--data", str(shapes_dir), "--out", str(tmp_path / "x.pt"),
                 "--config", "{bad"]) == 2
    assert "--config: '{bad' is not valid JSON" in capsys.readouterr().err


def test_amp_reaches_the_semantic_training_from_the_command_line(tmp_path, shapes_dir):
    out = tmp_path / "amp.pt"
    assert main(["train", "cnn", "--data", str(shapes_dir), "--split", "train", "--out", str(out), "--config",
                 json.dumps(TINY["cnn"][1]), "--epochs", "1", "--steps-per-epoch", "2", "--crop-size", "32",
                 "--amp", "--quiet"]) == 0
    assert read_checkpoint(out)["provenance"]["amp"] is True


def test_info_lists_the_standard_model_parameters():
    doc = seglab.get_method("deeplab").to_json()
    names = [p["name"] for p in doc["params"]]
    assert names[:5] == ["weights", "device", "batch_size", "tile_size", "overlap"]
    assert doc["requires"] == ["torch"] and doc["tiling"] == "model"


def test_input_range_replaces_the_per_image_percentiles(trained):
    image, _ = shapes(80, seed=3)
    norm = load_checkpoint(trained, arch="unet").normalization
    assert norm["kind"] == "percentile"
    lo, hi = np.percentile(image.astype(np.float32), [norm["low"], norm["high"]])
    own = seglab.segment(image, "unet", weights=str(trained), return_scores=True)
    fixed = seglab.segment(image, "unet", weights=str(trained), return_scores=True, input_range=[lo, hi])
    np.testing.assert_allclose(fixed.scores, own.scores, atol=1e-5)
    # what the network is given: (x - low) / (high - low) with the range given, not the image's own
    from seglab.deep._torch.preprocess import prepare
    from seglab.deep.inference import fixed_range

    given = prepare(image, in_channels=1, normalization=fixed_range("unet", norm, [0.0, 400.0], 1))
    np.testing.assert_allclose(given[0], image.astype(np.float32) / 400.0, rtol=1e-6)
    for bad in ([1.0], [float("nan"), 255.0], [0.0, float("inf")], [[0.0, 255.0]]):  # nested: a flat list is wanted
        with pytest.raises(InvalidParameterError, match="input_range must be a flat list of finite numbers"):
            seglab.segment(image, "unet", weights=str(trained), input_range=bad)


def test_a_tiled_network_run_normalises_every_window_by_the_whole_image(trained):
    pytest.importorskip("dask")
    import seglab.tiling

    image, _ = shapes(120, seed=5)
    norm = load_checkpoint(trained, arch="unet").normalization
    expected = np.percentile(image.astype(np.float32), [norm["low"], norm["high"]])  # the sample is every pixel
    tiled = seglab.tiling.run(image, "unet", weights=str(trained), tile_size=48)
    np.testing.assert_allclose(tiled.meta["tiling"]["fit"]["params"]["input_range"], expected, rtol=1e-6)
    whole = seglab.segment(image, "unet", weights=str(trained), tile_size=48).labels
    assert (np.asarray(tiled.labels) == whole).mean() > 0.99  # the same up to blending at window borders


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without a CUDA GPU")
def test_a_device_or_precision_the_machine_lacks_is_refused_before_any_image(trained, shapes_dir, tmp_path, capsys):
    images = shapes_dir / "images" / "val"
    for flags, word in ((["--precision", "float16"], "'float16' runs on CUDA only"),
                        (["--device", "cuda"], "sees no CUDA GPU")):
        code = main(["segment", "unet", str(images), "-o", str(tmp_path / "out"), "--weights", str(trained), *flags])
        err = capsys.readouterr().err
        assert code == 2 and word in err and err.count("error:") == 1  # one message, not one per image
        assert not (tmp_path / "out").exists()
    with pytest.raises(InvalidParameterError, match="unet_instances: precision: 'float16' runs on CUDA only"):
        seglab.segment(np.zeros((8, 8), np.uint8), "unet_instances", weights="nuclei", precision="float16")
    with pytest.raises(InvalidParameterError, match="applies to PyTorch models"):
        seglab.get_method("unet").validate_params({"backend": "onnxruntime", "precision": "bfloat16"})
