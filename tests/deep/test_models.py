import pytest

torch = pytest.importorskip("torch")

import csv  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from seglab.core.errors import InvalidParameterError, UnknownParameterError  # noqa: E402
from seglab.deep._torch.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint  # noqa: E402
from seglab.deep._torch.models import ARCHITECTURES, build_model, wrap_module  # noqa: E402
from seglab.deep._torch.predict import predict  # noqa: E402
from seglab.deep._torch.train import train  # noqa: E402

from .synthetic import MAIN, TINY, shapes  # noqa: E402

NORM = {"kind": "percentile", "low": 1.0, "high": 99.0}


@pytest.fixture(params=list(TINY))
def case(request: pytest.FixtureRequest) -> tuple[str, dict]:
    return TINY[request.param]


@pytest.fixture(params=MAIN)
def main_case(request: pytest.FixtureRequest) -> tuple[str, dict]:
    return TINY[request.param]


def test_every_architecture_is_covered():
    assert {TINY[name][0] for name in MAIN} == set(ARCHITECTURES)


class TestEveryModel:
    """The smp-style contract: `case` runs every TINY setting, `main_case` one per architecture."""

    @pytest.mark.parametrize("channels", [1, 3])
    def test_forward_backward_at_an_odd_size(self, case, channels):
        arch, cfg = case
        torch.manual_seed(0)
        model = build_model(arch, in_channels=channels, num_classes=3, **cfg)
        logits = model(torch.randn(2, channels, 97, 131))
        assert logits.shape == (2, 3, 97, 131) and logits.dtype == torch.float32
        F.cross_entropy(logits, torch.randint(0, 3, (2, 97, 131))).backward()
        grads = {name: p.grad for name, p in model.named_parameters()}
        assert all(g is not None and torch.isfinite(g).all() for g in grads.values()), "unused or non-finite"
        assert sum(float(g.abs().sum()) for g in grads.values()) > 0

    def test_config_is_json_and_rebuilds_the_same_model(self, case):
        arch, cfg = case
        model = build_model(arch, in_channels=2, num_classes=4, **cfg)
        config = json.loads(json.dumps(model.config))
        rebuilt = build_model(config.pop("arch"), **config)
        shapes_of = {k: v.shape for k, v in model.state_dict().items()}
        assert {k: v.shape for k, v in rebuilt.state_dict().items()} == shapes_of
        assert rebuilt.output_stride == model.output_stride

    def test_save_and_load_give_identical_outputs(self, main_case, tmp_path):
        arch, cfg = main_case
        torch.manual_seed(1)
        model = build_model(arch, in_channels=1, num_classes=2, **cfg).eval()
        x = torch.randn(1, 1, 70, 90)
        with torch.no_grad():
            expected = model(x)
        save_checkpoint(tmp_path / "m.pt", model, normalization=NORM, classes=("a", "b"))
        loaded = load_checkpoint(tmp_path / "m.pt", arch=arch)
        with torch.no_grad():
            assert torch.equal(loaded.model(x), expected)
        assert loaded.classes == ("a", "b") and loaded.normalization == NORM
        save_checkpoint(tmp_path / "h.pt", model, normalization=NORM, half=True)
        stored = read_checkpoint(tmp_path / "h.pt")["state_dict"].values()
        assert {t.dtype for t in stored if t.is_floating_point()} == {torch.float16}
        with torch.no_grad():
            half = load_checkpoint(tmp_path / "h.pt").model(x)
        assert torch.allclose(half, expected, rtol=0.05, atol=0.05 * float(expected.abs().max()))

    def test_onnx_gives_the_pytorch_labels(self, main_case, tmp_path):
        pytest.importorskip("onnxruntime")
        pytest.importorskip("onnxscript")
        from seglab.deep._torch.export import OnnxModel, export_onnx

        arch, cfg = main_case
        torch.manual_seed(2)
        model = build_model(arch, in_channels=1, num_classes=3, **cfg).eval()
        onnx_model = OnnxModel(export_onnx(model, tmp_path / "m.onnx", normalization=NORM, classes=("a", "b", "c")))
        assert onnx_model.classes == ("a", "b", "c") and onnx_model.config == model.config
        image = np.random.default_rng(3).integers(0, 256, (75, 101), dtype=np.uint8)
        labels_pt, probs_pt = predict(model, image, normalization=NORM, return_scores=True)
        labels_ox, probs_ox = predict(onnx_model, image, normalization=onnx_model.normalization, return_scores=True)
        np.testing.assert_allclose(probs_ox, probs_pt, atol=1e-4)
        top2 = np.sort(probs_pt, axis=0)[-2:]
        decided = top2[1] - top2[0] > 1e-4  # leave out near-ties, where rounding may pick either class
        assert decided.mean() > 0.9 and np.array_equal(labels_ox[decided], labels_pt[decided])

    def test_untiled_predict_is_the_padded_forward(self, main_case):
        arch, cfg = main_case
        torch.manual_seed(3)
        model = build_model(arch, in_channels=1, num_classes=3, **cfg).eval()
        image = np.random.default_rng(4).integers(0, 4096, (53, 77), dtype=np.uint16)
        # independent reference: numpy percentiles, numpy reflection padding, the raw network
        low, high = np.percentile(image, [1, 99])
        x = (image.astype(np.float64) - low) / (high - low)
        s = model.output_stride
        x = np.pad(x, ((0, -53 % s), (0, -77 % s)), mode="reflect")
        with torch.no_grad():
            logits = model.net(torch.from_numpy(x.astype(np.float32))[None, None])[0, :, :53, :77]
        probs = torch.softmax(logits, 0).numpy()
        labels, scores = predict(model, image, normalization=NORM, return_scores=True)
        np.testing.assert_allclose(scores, probs, atol=1e-5)
        assert scores.shape == (3, 53, 77) and np.allclose(scores.sum(0), 1, atol=1e-5)
        assert labels.dtype == np.int32 and np.array_equal(labels, probs.argmax(0))

    def test_a_few_training_steps_learn_the_shapes(self, main_case, shapes_dir, tmp_path):
        arch, cfg = main_case
        lr = 1e-3 if arch == "vit_seg" else 2e-3  # transformers want a gentler start
        result = train(arch, shapes_dir, tmp_path / "m.pt", model_config=cfg, split="train", val_split="val",
                       crop_size=64, batch_size=4, epochs=3, steps_per_epoch=8, lr=lr, warmup_steps=3,
                       augment={"scale": (1.0, 1.0)}, precise_bn=4, progress=False, seed=0, num_threads=1)
        rows = list(csv.DictReader(result.log.read_text().splitlines()))
        assert float(rows[-1]["loss"]) < 0.85 * float(rows[0]["loss"])
        assert result.figures["iou_class_1"] > 0.55  # foreground IoU; all-foreground scores ~0.2 (its share)


def test_wrapped_module_trains_predicts_and_reloads(shapes_dir, tmp_path):
    def net() -> torch.nn.Module:
        nn = torch.nn
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                             nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 2, 1))

    torch.manual_seed(0)
    model = wrap_module(net(), in_channels=1, num_classes=2, name="two-convs")
    result = train(model, shapes_dir, tmp_path / "w.pt", split="train", val_split="val", crop_size=64,
                   epochs=2, steps_per_epoch=10, lr=1e-2, augment={"scale": (1.0, 1.0)}, precise_bn=4,
                   progress=False, num_threads=1)
    assert result.figures["iou_class_1"] > 0.6
    loaded = load_checkpoint(result.best, model=wrap_module(net(), in_channels=1, num_classes=2))
    assert loaded.model.config["name"] == "custom"
    image, _ = shapes(seed=7)
    assert np.array_equal(predict(loaded.model, image, normalization=loaded.normalization)[0],
                          predict(model, image, normalization=loaded.normalization)[0])


def test_unknown_architecture_and_keywords_are_clear_errors():
    with pytest.raises(InvalidParameterError, match="Did you mean 'unet'"):
        build_model("unett", in_channels=1, num_classes=2)
    with pytest.raises(UnknownParameterError, match="Did you mean 'base_width'") as info:
        build_model("unet", in_channels=1, num_classes=2, basewidth=8)
    assert isinstance(info.value, TypeError)
    with pytest.raises(InvalidParameterError, match="Did you mean 'resnet18'"):
        build_model("fcn", in_channels=1, num_classes=2, backbone="resnet-18")
    with pytest.raises(InvalidParameterError, match="num_classes"):
        build_model("cnn", in_channels=1, num_classes=1)
    with pytest.raises(InvalidParameterError, match="base_width"):
        build_model("unet", in_channels=1, num_classes=2, base_width=0)


def test_a_local_torchvision_weight_file_loads_into_the_backbone(tmp_path):
    import torchvision

    torch.manual_seed(5)
    reference = torchvision.models.resnet18(weights=None)
    torch.save(reference.state_dict(), tmp_path / "resnet18.pth")
    model = build_model("fcn", in_channels=1, num_classes=2, backbone="resnet18",
                        backbone_weights=str(tmp_path / "resnet18.pth"))
    body = model.net.encoder
    assert torch.equal(body.layer3[1].conv2.weight, reference.layer3[1].conv2.weight)
    # one input channel: the RGB kernels summed, so a gray image gives the RGB response of its replica
    assert torch.allclose(body.conv1.weight, reference.conv1.weight.sum(1, keepdim=True))
    assert "backbone_weights" not in model.config
    with pytest.raises(InvalidParameterError, match="does not fit"):
        build_model("deeplab", in_channels=3, num_classes=2, backbone="resnet50",
                    backbone_weights=str(tmp_path / "resnet18.pth"))


def test_batchnorm_folding_keeps_every_architectures_output(case):
    """Inference folds conv + BatchNorm pairs (seglab.deep loads models for prediction that way)."""
    from seglab.deep._torch.models.base import fuse_batchnorm

    arch, config = case
    model = build_model(arch, in_channels=1, num_classes=3, **config)
    gen = torch.Generator().manual_seed(0)
    for m in model.modules():  # statistics far from the defaults, so that folding has work to do
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen))
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.randn(m.num_features, generator=gen))
            m.bias.data.copy_(torch.randn(m.num_features, generator=gen))
    model.eval()
    x = torch.randn(2, 1, 64, 64, generator=gen)
    with torch.inference_mode():
        before = model.net(x)
    folded = fuse_batchnorm(model)
    with torch.inference_mode():
        after = model.net(x)
    torch.testing.assert_close(after, before, atol=1e-4, rtol=1e-4)
    if arch in ("unet", "segnet", "cnn", "fcn") or config.get("backbone") == "resnet18":
        assert folded > 0
    with pytest.raises(ValueError, match="eval mode"):
        fuse_batchnorm(model.train())
