"""The moving average of the weights: hand-computed updates, torch's EMA rule as the anchor, the trainers' use.

(Resuming with the average: ``test_train.py``.)
"""

import pytest

torch = pytest.importorskip("torch")

from seglab.cli import main  # noqa: E402
from seglab.core.errors import InvalidParameterError  # noqa: E402
from seglab.deep._torch.checkpoint import read_checkpoint  # noqa: E402
from seglab.deep._torch.ema import WeightAverage, check_decay  # noqa: E402
from seglab.deep._torch.train import train  # noqa: E402

from .synthetic import FAST_TRAINING as FAST  # noqa: E402



class _Tiny(torch.nn.Module):
    """One parameter, one float buffer, one integer buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([0.0]))
        self.register_buffer("mean", torch.tensor([10.0]))
        self.register_buffer("count", torch.tensor(0))

    def set(self, w: float, mean: float, count: int) -> None:
        with torch.no_grad():
            self.w.fill_(w)
            self.mean.fill_(mean)
            self.count.fill_(count)


def test_updates_against_hand_computed_values():
    live = _Tiny()
    ema = WeightAverage(live, decay=0.2)
    # t = 0: d = min(0.2, 1/10) = 0.1; t = 1: d = min(0.2, 2/11) = 2/11; t = 2: d = min(0.2, 3/12) = 0.2
    expected_w, expected_mean = 0.0, 10.0
    for t, (w, mean, d) in enumerate([(1.0, 20.0, 0.1), (2.0, 30.0, 2 / 11), (4.0, 0.0, 0.2)]):
        live.set(w, mean, count=t + 5)
        ema.update(live)
        expected_w = d * expected_w + (1 - d) * w
        expected_mean = d * expected_mean + (1 - d) * mean
        assert float(ema.model.w) == pytest.approx(expected_w, abs=1e-6)
        assert float(ema.model.mean) == pytest.approx(expected_mean, abs=1e-5)
        assert int(ema.model.count) == t + 5  # integer buffers are copied, not averaged
    # by hand: w 0 -> 0.9 -> 2/11 * 0.9 + 9/11 * 2 = 1.8 -> 0.2 * 1.8 + 0.8 * 4 = 3.56; mean 10 -> 19 -> 28 -> 5.6
    assert (float(ema.model.w), float(ema.model.mean)) == pytest.approx((3.56, 5.6), abs=1e-5)
    assert not ema.model.w.requires_grad and float(live.w.detach()) == 4.0  # the live model is never touched


def test_after_the_warm_up_it_is_torchs_ema_rule():
    from torch.optim.swa_utils import get_ema_multi_avg_fn

    torch.manual_seed(0)
    live = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3))
    ema = WeightAverage(live, decay=0.9)
    ema.updates = 1000  # past the warm-up: d = decay
    reference = [p.detach().clone() for p in ema.model.parameters()]
    with torch.no_grad():
        for p in live.parameters():
            p.add_(torch.randn_like(p))
    ema.update(live)
    get_ema_multi_avg_fn(0.9)(reference, [p.detach() for p in live.parameters()], 1)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(ema.model.parameters(), reference, strict=True))


@pytest.mark.parametrize("decay", [0, 1, 1.5, -0.1, True, "0.9"])
def test_decays_outside_the_open_unit_interval_are_refused(decay):
    with pytest.raises(InvalidParameterError, match=r"ema: .* in \(0, 1\)"):
        check_decay(decay)


def _assert_the_best_is_the_average(result, *, decay, updates):
    """The best checkpoint (no validation images: the last epoch's) holds the average kept in last.pt, which differs
    from the live weights there."""
    last = read_checkpoint(result.last)
    averaged, live = last["train_state"]["ema"]["weights"], last["state_dict"]
    best = read_checkpoint(result.best)
    assert best["provenance"]["ema"] == decay and last["train_state"]["ema"]["updates"] == updates
    assert all(torch.equal(best["state_dict"][k], averaged[k]) for k in averaged)
    assert any(not torch.equal(live[k], averaged[k]) for k in live if live[k].is_floating_point())


def test_the_trainer_saves_the_average(shapes_dir, tmp_path):
    result = train("cnn", shapes_dir, tmp_path / "m.pt", split="train", epochs=2, ema=0.9, seed=1, **FAST)
    _assert_the_best_is_the_average(result, decay=0.9, updates=4)


@pytest.mark.parametrize("method", ["unet_instances", "mask_rcnn"])
def test_the_instance_trainers_save_the_average(tmp_path, method):
    import seglab

    from .instances_scenes import write_coco_set, write_label_set

    if method == "unet_instances":
        root, config = write_label_set(tmp_path / "discs", 2), {"base_width": 4, "depth": 2, "diameter": 14}
    else:
        root, config = write_coco_set(tmp_path / "coco", 2), {"fpn_channels": 32, "box_features": 64, "diameter": 14}
    result = seglab.train(method, root, tmp_path / "m.pt", model_config=config, crop_size=64, batch_size=2, epochs=1,
                          steps_per_epoch=3, lr=1e-3, ema=0.5, progress=False, num_threads=1, seed=0)
    _assert_the_best_is_the_average(result, decay=0.5, updates=3)


def test_the_command_line_passes_the_decay_and_refuses_a_bad_one(shapes_dir, tmp_path, capsys):
    out = tmp_path / "m.pt"
    args = ["train", "cnn", "--data", str(shapes_dir), "--split", "train", "--out", str(out), "--epochs", "1",
            "--steps-per-epoch", "1", "--crop-size", "32", "--batch-size", "2", "--threads", "1", "-q",
            "--config", '{"width": 4, "depth": 2}']
    assert main([*args, "--ema", "0.99"]) == 0
    assert read_checkpoint(out)["provenance"]["ema"] == 0.99
    assert main([*args, "--ema", "1.5", "--overwrite"]) == 2
    assert "ema: the decay of the weight average must be a number in (0, 1)" in capsys.readouterr().err
