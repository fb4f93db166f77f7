import pytest

torch = pytest.importorskip("torch")

import csv  # noqa: E402

import imageio.v3 as iio  # noqa: E402
import numpy as np  # noqa: E402
from torchvision import tv_tensors  # noqa: E402

from seglab.core.errors import CheckpointError, InvalidImageError, InvalidParameterError  # noqa: E402
from seglab.deep._torch import train as train_module  # noqa: E402
from seglab.deep._torch.augment import Augmentation, training_transform  # noqa: E402
from seglab.deep._torch.checkpoint import load_checkpoint, read_checkpoint  # noqa: E402
from seglab.deep._torch.data import load_samples, median_frequency_weights  # noqa: E402
from seglab.deep._torch.losses import IGNORE, build_loss, dice_loss, focal_loss  # noqa: E402
from seglab.deep._torch.train import train  # noqa: E402

from .synthetic import TINY  # noqa: E402
from .synthetic import FAST_TRAINING as FAST  # noqa: E402


def write_set(root, pairs):
    """``images/<stem>.png`` + ``labels/<stem>.png`` from (stem, image, labels) triples."""
    for sub in ("images", "labels"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for stem, image, labels in pairs:
        iio.imwrite(root / "images" / f"{stem}.png", image)
        iio.imwrite(root / "labels" / f"{stem}.png", labels.astype(np.uint8))
    return root


def test_training_writes_the_best_and_last_checkpoints_a_log_and_curves(shapes_dir, tmp_path):
    result = train("cnn", shapes_dir, tmp_path / "run" / "m.pt", split="train", val_split="val", epochs=2,
                   classes=("background", "shape"), seed=7, **FAST)
    assert result.best.is_file() and result.last.is_file() and result.curves.is_file()
    rows = list(csv.DictReader(result.log.read_text().splitlines()))
    assert [int(r["epoch"]) for r in rows] == [1, 2] and {"loss", "lr", "mean_iou", "iou_shape"} <= set(rows[0])
    raw = read_checkpoint(result.best)
    prov = raw["provenance"]
    assert prov["seed"] == 7 and prov["split"] == "train" and len(prov["train_stems"]) == 16
    assert prov["val_stems"] == ["s100", "s101", "s102", "s103"] and prov["hardware"]["cpu_count"] >= 1
    assert prov["figures"]["mean_iou"] == pytest.approx(max(float(r["mean_iou"]) for r in rows))
    assert "train_state" in read_checkpoint(result.last) and "train_state" not in raw


@pytest.mark.parametrize("ema", [None, 0.8])
def test_resuming_an_interrupted_run_gives_the_uninterrupted_weights(shapes_dir, tmp_path, monkeypatch, ema):
    """Live weights, and with `ema` the moving average that the best checkpoint holds, as if never interrupted."""
    whole = train("cnn", shapes_dir, tmp_path / "a" / "m.pt", split="train", epochs=3, ema=ema, **FAST)
    calls = []
    original = train_module._write_log

    def interrupt_after_first_epoch(*args):
        original(*args)
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "_write_log", interrupt_after_first_epoch)
    with pytest.raises(KeyboardInterrupt):
        train("cnn", shapes_dir, tmp_path / "b" / "m.pt", split="train", epochs=3, ema=ema, **FAST)
    resumed = train("cnn", shapes_dir, tmp_path / "b" / "m.pt", split="train", epochs=3, resume=True, ema=ema, **FAST)
    for path_a, path_b in ((whole.last, resumed.last), (whole.best, resumed.best)):
        a, b = read_checkpoint(path_a)["state_dict"], read_checkpoint(path_b)["state_dict"]
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r["epoch"] for r in csv.DictReader(resumed.log.read_text().splitlines())] == ["1", "2", "3"]


def test_resuming_with_other_schedule_options_is_refused_not_half_applied(shapes_dir, tmp_path):
    # the restored optimiser and scheduler follow the recorded lr and epochs: a new lr was silently ignored
    train("cnn", shapes_dir, tmp_path / "m.pt", split="train", epochs=1, **FAST)
    for change in ({"epochs": 2}, {"lr": 0.5}):
        options = {**FAST, "epochs": 1, **change}
        with pytest.raises(InvalidParameterError, match=f"resume: .*m.last.pt was trained with {next(iter(change))}="):
            train("cnn", shapes_dir, tmp_path / "m.pt", split="train", resume=True, **options)
    train("cnn", shapes_dir, tmp_path / "m.pt", split="train", epochs=1, resume=True, **FAST)  # the same: fine


def test_training_never_writes_over_its_inputs(shapes_dir, tmp_path):
    import shutil

    from seglab.deep.training import train as train_front  # the checks of seglab.train and the command line

    data = tmp_path / "data"
    shutil.copytree(shapes_dir, data)
    label = sorted((data / "labels").rglob("*.png"))[0]
    before = label.read_bytes()
    for out in (label.with_suffix(".pt"), label.with_name("x.png")):  # curves <stem>.png over a label; not .pt
        with pytest.raises(InvalidParameterError, match="out: "):
            train_front("cnn", data, out, split="train", epochs=1, **FAST)
    assert label.read_bytes() == before


def test_bad_data_gives_one_clear_error_naming_the_file(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (32, 32), dtype=np.uint8)
    good = (image > 128).astype(np.uint8)

    (tmp_path / "empty" / "images").mkdir(parents=True)
    (tmp_path / "empty" / "labels").mkdir()
    with pytest.raises(InvalidParameterError, match="no training images with labels"):
        train("cnn", tmp_path / "empty", tmp_path / "m.pt", **FAST)

    root = write_set(tmp_path / "size", [("a", image, good), ("b", image, good[:30])])
    with pytest.raises(InvalidImageError, match=r"labels/b\.png has size \(30, 32\).*images/b\.png"):
        train("cnn", root, tmp_path / "m.pt", **FAST)

    root = write_set(tmp_path / "ids", [("a", image, good), ("b", image, good * 5)])
    with pytest.raises(InvalidImageError, match=r"labels/b\.png holds values \[5\] outside the class ids 0\.\.1"):
        train("cnn", root, tmp_path / "m.pt", num_classes=2, **FAST)

    root = write_set(tmp_path / "channels", [("a", image, good), ("b", np.dstack([image] * 3), good)])
    with pytest.raises(InvalidImageError, match=r"images/b\.png has 3 channel\(s\) but in_channels=1"):
        train("cnn", root, tmp_path / "m.pt", **FAST)

    root = write_set(tmp_path / "lists", [("a", image, good)])
    (root / "val.txt").write_text("a\nzz\n")
    with pytest.raises(InvalidParameterError, match="zz not found"):
        train("cnn", root, tmp_path / "m.pt", val_list=root / "val.txt", **FAST)


def test_label_map_and_ignore_index_reach_the_labels(tmp_path):
    image = np.zeros((8, 8), np.uint8)
    labels = np.full((8, 8), 255, np.uint8)
    labels[:, :2] = 0
    labels[0, 0] = 7
    root = write_set(tmp_path / "d", [("a", image, labels)])
    sample = load_samples(root, label_map={255: 1})[0]
    assert sample.labels[0, 5] == 1 and sample.labels[1, 0] == 0 and sample.labels[0, 0] == 7
    assert median_frequency_weights([sample], 2, ignore_index=7) == pytest.approx([(15 + 48) / 2 / 15,
                                                                                    (15 + 48) / 2 / 48])


def test_losses_against_hand_computed_values():
    target = torch.tensor([[[0, 1, IGNORE]]])
    logits = torch.tensor([[[[2.0, 0.0, 5.0]], [[0.0, 1.0, -5.0]]]])
    ce_by_hand = (np.log(1 + np.exp(-2.0)) + np.log(1 + np.exp(-1.0))) / 2  # the ignored pixel left out
    assert float(build_loss("ce", num_classes=2)(logits, target)) == pytest.approx(ce_by_hand, rel=1e-5)
    weighted = build_loss("ce", num_classes=2, class_weights=[1.0, 3.0])(logits, target)
    assert float(weighted) == pytest.approx((np.log(1 + np.exp(-2.0)) + 3 * np.log(1 + np.exp(-1.0))) / 4, rel=1e-5)
    assert float(focal_loss(logits, target, gamma=0.0)) == pytest.approx(ce_by_hand, rel=1e-5)
    assert float(focal_loss(logits, target)) < ce_by_hand / 4  # confident pixels are down-weighted
    certain = torch.tensor([[[[50.0, -50.0, 0.0]], [[-50.0, 50.0, 0.0]]]])
    wrong = -certain
    assert float(dice_loss(certain, target, smooth=0.0)) == pytest.approx(0.0, abs=1e-6)
    assert float(dice_loss(wrong, target, smooth=0.0)) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(InvalidParameterError, match="Did you mean 'dice'"):
        build_loss("ce+dise", num_classes=2)


def test_geometric_augmentation_moves_image_and_mask_together():
    torch.manual_seed(0)
    blocks = np.random.default_rng(1).integers(0, 3, (6, 6))
    mask = torch.from_numpy(np.kron(blocks, np.ones((8, 8), int))).long()  # 8x8 blocks: interpolation-friendly
    exact = training_transform(Augmentation(scale=(1.0, 1.0), jitter=0.0), crop_size=32, base_size=48)
    elastic = training_transform(Augmentation(scale=(0.8, 1.25), elastic=4.0, jitter=0.0), crop_size=64,
                                 base_size=48)
    for _ in range(10):
        image, out = exact(tv_tensors.Image(mask[None].float()), tv_tensors.Mask(mask))
        assert out.shape == (32, 32) and torch.equal(image[0].long(), out)
        image, out = elastic(tv_tensors.Image(mask[None].float()), tv_tensors.Mask(mask))
        inside = out != IGNORE  # padding and pixels pulled from outside are ignored, never learnt
        assert inside.float().mean() > 0.3 and (torch.round(image[0])[inside] == out[inside]).float().mean() > 0.85
    with pytest.raises(InvalidParameterError, match="Did you mean 'elastic'"):
        Augmentation.from_mapping({"elastik": 3})


def _parameters(path):
    model = load_checkpoint(path).model
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def test_init_fine_tunes_from_the_checkpoint_weights(shapes_dir, tmp_path):
    """At lr 0 nothing moves, so a run from `init` must hold the init's weights and one from scratch must not."""
    first = train("cnn", shapes_dir, tmp_path / "a.pt", split="train", epochs=1, classes=("background", "shape"),
                  seed=7, **FAST)
    still = {"lr": 0.0, "schedule": "constant", "epochs": 1, "split": "train", "seed": 8}
    plain = {k: v for k, v in FAST.items() if k != "model_config"}
    tuned = train("cnn", shapes_dir, tmp_path / "b.pt", init=first.best, **still, **plain)
    scratch = train("cnn", shapes_dir, tmp_path / "c.pt", **still, **FAST)
    start, after, fresh = _parameters(first.best), _parameters(tuned.best), _parameters(scratch.best)
    assert all(torch.equal(start[k], after[k]) for k in start)
    assert not all(torch.equal(start[k], fresh[k]) for k in start)
    raw = read_checkpoint(tuned.best)
    assert raw["provenance"]["init"] == str(first.best) and list(raw["classes"]) == ["background", "shape"]
    with pytest.raises(InvalidParameterError, match="architecture comes from the init checkpoint"):
        train("cnn", shapes_dir, tmp_path / "d.pt", init=first.best, **still, **FAST)
    with pytest.raises(CheckpointError, match="holds a 'cnn' model, not 'unet'"):
        train("unet", shapes_dir, tmp_path / "e.pt", init=first.best, **still, **plain)


def test_init_names_shipped_weights_or_fails_clearly(shapes_dir, tmp_path):
    import seglab
    from seglab.core.registry import get_method

    plain = {k: v for k, v in FAST.items() if k != "model_config"}
    tuned = seglab.train("unet", shapes_dir, tmp_path / "m.pt", init="membrane", split="train", epochs=1, lr=0.0,
                         schedule="constant", **plain)
    shipped = _parameters(get_method("unet").weights["membrane"].path)
    after = _parameters(tuned.best)
    assert all(torch.equal(shipped[k], after[k]) for k in shipped)
    assert list(read_checkpoint(tuned.best)["classes"]) == ["membrane", "cell"]  # the init's names, kept
    with pytest.raises(InvalidParameterError, match="init='nosuch' is neither a shipped name nor a file"):
        seglab.train("unet", shapes_dir, tmp_path / "x.pt", init="nosuch", split="train", epochs=1, **plain)


def test_amp_trains_in_bfloat16_on_the_cpu(shapes_dir, tmp_path, monkeypatch):
    """amp on a CPU: every training step's forward pass runs in bfloat16 (seen by a hook), the run still learns the
    shapes, and the saved weights are float32."""
    seen = []
    build = train_module.build_model

    def hooked(*args, **kwargs):
        model = build(*args, **kwargs)
        first = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
        first.register_forward_hook(lambda module, inputs, output: seen.append(output.dtype) if module.training else None)
        return model

    monkeypatch.setattr(train_module, "build_model", hooked)
    result = train("unet", shapes_dir, tmp_path / "m.pt", model_config=TINY["unet"][1], split="train",
                   val_split="val", crop_size=64, batch_size=4, epochs=3, steps_per_epoch=8, lr=2e-3, warmup_steps=3,
                   augment={"scale": (1.0, 1.0)}, precise_bn=4, progress=False, seed=0, num_threads=1, amp=True)
    assert seen.count(torch.bfloat16) == 3 * 8  # every training step; BatchNorm re-estimation runs in float32
    rows = list(csv.DictReader(result.log.read_text().splitlines()))
    assert float(rows[-1]["loss"]) < 0.85 * float(rows[0]["loss"])
    assert result.figures["iou_class_1"] > 0.55
    raw = read_checkpoint(result.best)
    assert raw["provenance"]["amp"] is True
    assert all(v.dtype == torch.float32 for v in raw["state_dict"].values() if v.is_floating_point())
