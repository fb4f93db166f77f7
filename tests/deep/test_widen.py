"""Widening a trained U-Net: the wider network computes what the narrow one computes, then its copies grow apart."""

import pytest

torch = pytest.importorskip("torch")

from seglab.core.errors import InvalidParameterError  # noqa: E402
from seglab.deep._torch.checkpoint import load_checkpoint  # noqa: E402
from seglab.deep._torch.instances.models import build_instance_model  # noqa: E402
from seglab.deep._torch.models import build_model  # noqa: E402
from seglab.deep._torch.models.widen import widen_unet  # noqa: E402
from seglab.deep._torch.train import train  # noqa: E402

from .synthetic import FAST_TRAINING as FAST  # noqa: E402


def _trained_like(model, seed):
    """Random BatchNorm statistics and affine parameters, so that copying them (or not) shows in the output."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                for tensor in (module.weight, module.bias, module.running_mean):
                    tensor.copy_(torch.randn(tensor.shape, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(module.running_var.shape, generator=generator))
    return model


@pytest.mark.parametrize("old,new,channels,classes", [(4, 4, 1, 2), (4, 6, 3, 2), (4, 8, 1, 3), (3, 7, 2, 4)])
def test_the_wider_unet_computes_what_the_narrow_one_computes(old, new, channels, classes):
    narrow = _trained_like(build_model("unet", in_channels=channels, num_classes=classes, base_width=old, depth=3), 0)
    wide = widen_unet(narrow, build_model("unet", in_channels=channels, num_classes=classes, base_width=new,
                                          depth=3), seed=1)
    x = torch.randn(2, channels, 37, 53, generator=torch.Generator().manual_seed(2))
    for mode in ("eval", "train"):  # in training mode the copies share their batch statistics too
        getattr(narrow, mode)(), getattr(wide, mode)()
        with torch.no_grad():
            torch.testing.assert_close(wide(x), narrow(x), atol=1e-5, rtol=1e-4)
    assert sum(p.numel() for p in wide.parameters()) > sum(p.numel() for p in narrow.parameters()) or old == new


def test_unet_instances_widens_and_keeps_its_inference_config():
    narrow = _trained_like(build_instance_model("unet_instances", base_width=4, depth=2, diameter=14,
                                                seed_threshold=0.7), 3).eval()
    wide = widen_unet(narrow, build_instance_model("unet_instances", base_width=6, depth=2, diameter=14,
                                                   seed_threshold=0.7)).eval()
    x = torch.randn(1, 1, 40, 24)
    with torch.no_grad():
        torch.testing.assert_close(wide(x), narrow(x), atol=1e-5, rtol=1e-4)
    assert wide.config["seed_threshold"] == 0.7 and wide.config["base_width"] == 6


def test_copied_channels_grow_apart_under_training():
    """A copy and its original get different gradients (unequal shares downstream), so one step separates them."""
    narrow = build_model("unet", in_channels=1, num_classes=2, base_width=4, depth=2)
    wide = widen_unet(narrow, build_model("unet", in_channels=1, num_classes=2, base_width=8, depth=2), seed=0)
    first = wide.net.encoder.blocks[0][0][0]  # its channels 4..7 are copies of channels 0..3 (drawn)
    before = first.weight.detach().clone()
    copied = [(j, int(torch.nonzero((before[:4] == before[j]).flatten(1).all(1))[0])) for j in range(4, 8)]
    loss = torch.nn.functional.cross_entropy(wide.train()(torch.randn(2, 1, 16, 16)), torch.randint(0, 2, (2, 16, 16)))
    loss.backward()
    grad = first.weight.grad
    assert any(not torch.allclose(grad[j], grad[i]) for j, i in copied)


def test_widening_refuses_what_it_cannot_preserve():
    unet4 = build_model("unet", in_channels=1, num_classes=2, base_width=4, depth=2)
    with pytest.raises(InvalidParameterError, match="base_width can only grow"):
        widen_unet(unet4, build_model("unet", in_channels=1, num_classes=2, base_width=2, depth=2))
    with pytest.raises(InvalidParameterError, match="differ in depth"):
        widen_unet(unet4, build_model("unet", in_channels=1, num_classes=2, base_width=8, depth=3))
    with pytest.raises(InvalidParameterError, match="two U-Nets of one architecture"):
        widen_unet(build_model("segnet", in_channels=1, num_classes=2, base_width=4, depth=2), unet4)


def test_training_from_init_with_a_larger_base_width_starts_from_the_same_function(shapes_dir, tmp_path):
    """At lr 0 the run's weights are the init's, copied: the first conv begins with the init's, and the head's
    weights summed over its inputs are the init's (the shares of each copied channel sum to one). Its BatchNorm
    statistics do move in the step, so outputs are not compared here (the tests above do that)."""
    plain = {k: v for k, v in FAST.items() if k != "model_config"}
    still = {"lr": 0.0, "schedule": "constant", "epochs": 1, "split": "train", **plain}
    first = train("unet", shapes_dir, tmp_path / "a.pt", model_config={"base_width": 4, "depth": 2}, seed=1,
                  split="train", epochs=1, **plain)
    wide = train("unet", shapes_dir, tmp_path / "b.pt", init=first.best, model_config={"base_width": 6}, **still)
    start, after = load_checkpoint(first.best).model, load_checkpoint(wide.best).model
    assert after.config["base_width"] == 6 and after.config["depth"] == 2
    first_conv = [m.net.encoder.blocks[0][0][0].weight for m in (start, after)]
    torch.testing.assert_close(first_conv[1][:4], first_conv[0], atol=0, rtol=0)
    head = [m.net.head.weight.sum(1) for m in (start, after)]
    torch.testing.assert_close(head[1], head[0], atol=1e-6, rtol=1e-5)
    with pytest.raises(InvalidParameterError, match="except a larger base_width for a U-Net"):
        train("unet", shapes_dir, tmp_path / "c.pt", init=first.best, model_config={"depth": 3}, **still)
    with pytest.raises(InvalidParameterError, match="base_width can only grow"):
        train("unet", shapes_dir, tmp_path / "d.pt", init=first.best, model_config={"base_width": 2}, **still)


def test_the_command_line_widens_with_init_and_config(shapes_dir, tmp_path, capsys):
    from seglab.cli import main

    common = ["--data", str(shapes_dir), "--split", "train", "--epochs", "1", "--steps-per-epoch", "1",
              "--crop-size", "32", "--batch-size", "2", "--threads", "1", "-q"]
    first, wide = tmp_path / "a.pt", tmp_path / "b.pt"
    assert main(["train", "unet", *common, "--out", str(first), "--config", '{"base_width": 4, "depth": 2}']) == 0
    assert main(["train", "unet", *common, "--out", str(wide), "--init", str(first), "--lr", "0",
                 "--config", '{"base_width": 8}']) == 0
    assert load_checkpoint(wide).model.config["base_width"] == 8
    assert main(["train", "unet", *common, "--out", str(tmp_path / "c.pt"), "--init", str(first),
                 "--config", '{"base_width": 2}']) == 2
    assert "base_width can only grow (4 -> 2 asked)" in capsys.readouterr().err
