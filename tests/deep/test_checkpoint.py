import pytest

torch = pytest.importorskip("torch")

from seglab.core.errors import CheckpointError, SeglabError  # noqa: E402
from seglab.deep._torch.checkpoint import VERSION, load_checkpoint, read_checkpoint, save_checkpoint  # noqa: E402
from seglab.deep._torch.models import build_model, wrap_module  # noqa: E402

NORM = {"kind": "scale", "max": 255.0, "mean": [0.5], "std": [0.25]}


@pytest.fixture
def saved(tmp_path):
    model = build_model("unet", in_channels=1, num_classes=2, base_width=4, depth=2)
    return save_checkpoint(tmp_path / "unet.pt", model, normalization=NORM, classes=("bg", "cell"),
                           provenance={"seed": 3, "data": tmp_path})


def test_the_file_holds_everything_needed(saved):
    raw = read_checkpoint(saved)
    assert raw["config"] == {"arch": "unet", "in_channels": 1, "num_classes": 2, "base_width": 4, "depth": 2}
    assert raw["provenance"] == {"seed": 3, "data": str(saved.parent)}  # JSON types only
    assert raw["version"] == VERSION and raw["classes"] == ["bg", "cell"] and raw["normalization"] == NORM
    loaded = load_checkpoint(saved)
    assert loaded.model.output_stride == 4 and not loaded.model.training and loaded.path == saved


def _check(exc: pytest.ExceptionInfo, path) -> None:
    assert isinstance(exc.value, SeglabError) and isinstance(exc.value, ValueError)
    assert str(path) in str(exc.value)


def test_a_file_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_text("not a model")
    with pytest.raises(CheckpointError, match="not a PyTorch file") as exc:
        load_checkpoint(path)
    _check(exc, path)


def test_a_truncated_checkpoint(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated") as exc:
        load_checkpoint(saved)
    _check(exc, saved)


def test_a_bare_state_dict_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "bare.pt"
    torch.save(build_model("cnn", in_channels=1, num_classes=2, width=4).state_dict(), path)
    with pytest.raises(CheckpointError, match="not a seglab checkpoint") as exc:
        load_checkpoint(path)
    _check(exc, path)


def test_a_checkpoint_of_another_architecture(saved):
    with pytest.raises(CheckpointError, match="holds a 'unet' model, not 'deeplab'") as exc:
        load_checkpoint(saved, arch="deeplab")
    _check(exc, saved)


def test_weights_that_do_not_fit(saved, tmp_path):
    raw = read_checkpoint(saved)
    raw["config"]["base_width"] = 8
    torch.save(raw, tmp_path / "edited.pt")
    with pytest.raises(CheckpointError, match="do not fit.*shape") as exc:
        load_checkpoint(tmp_path / "edited.pt")
    _check(exc, tmp_path / "edited.pt")
    other = build_model("unet", in_channels=1, num_classes=2, base_width=4, depth=3)
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(saved, model=other)


def test_newer_versions_missing_files_and_custom_modules(saved, tmp_path):
    raw = read_checkpoint(saved)
    raw["version"] = VERSION + 1
    torch.save(raw, tmp_path / "future.pt")
    with pytest.raises(CheckpointError, match="upgrade seglab"):
        load_checkpoint(tmp_path / "future.pt")
    with pytest.raises(FileNotFoundError, match="nowhere.pt"):
        load_checkpoint(tmp_path / "nowhere.pt")
    custom = wrap_module(torch.nn.Conv2d(1, 2, 1), in_channels=1, num_classes=2)
    save_checkpoint(tmp_path / "custom.pt", custom, normalization=NORM)
    with pytest.raises(CheckpointError, match="model=wrap_module"):
        load_checkpoint(tmp_path / "custom.pt")
    with pytest.raises(CheckpointError, match="3 names for a model with 2 classes"):
        save_checkpoint(tmp_path / "x.pt", custom, normalization=NORM, classes=("a", "b", "c"))
