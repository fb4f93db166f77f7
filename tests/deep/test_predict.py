import pytest

torch = pytest.importorskip("torch")

import itertools  # noqa: E402

import numpy as np  # noqa: E402

from seglab.core.errors import InvalidImageError, InvalidParameterError  # noqa: E402
from seglab.deep._torch.models import build_model  # noqa: E402
from seglab.deep._torch.predict import gaussian_window, predict, tile_starts  # noqa: E402
from seglab.deep._torch.train import train  # noqa: E402

from .synthetic import shapes  # noqa: E402

NORM = {"kind": "percentile", "low": 1.0, "high": 99.0}


@pytest.fixture(scope="module")
def trained(shapes_dir, tmp_path_factory):
    """A small U-Net trained on the shapes (so its predictions are confident, not random)."""
    out = tmp_path_factory.mktemp("trained") / "unet.pt"
    train("unet", shapes_dir, out, model_config={"base_width": 8, "depth": 3}, split="train", crop_size=64,
          epochs=2, steps_per_epoch=10, lr=3e-3, augment={"scale": (1.0, 1.0)}, progress=False, num_threads=1)
    from seglab.deep._torch.checkpoint import load_checkpoint

    return load_checkpoint(out)


def test_gaussian_window_is_a_positive_peak_with_sigma_an_eighth_of_the_side():
    w = gaussian_window(64, 32).numpy()
    assert w.shape == (64, 32) and (w > 0).all() and np.isclose(w.max(), 1)
    assert np.allclose(w, w[::-1, ::-1])  # symmetric about the centre
    rows = np.arange(64) - 31.5
    expected = np.exp(-0.5 * (rows / 8) ** 2)  # sigma = 64 / 8
    np.testing.assert_allclose(w[:, 15] / w[:, 15].max(), expected / expected.max(), rtol=1e-5)


@pytest.mark.parametrize("size,tile,overlap", [(100, 40, 0.25), (97, 32, 0.5), (64, 64, 0.25), (65, 64, 0.0)])
def test_tiles_cover_the_axis_with_the_overlap_asked_for(size, tile, overlap):
    starts = tile_starts(size, tile, overlap)
    covered = np.zeros(size, int)
    for s in starts:
        covered[s : s + tile] += 1
    assert covered.min() >= 1 and starts[0] == 0 and starts[-1] == size - tile
    assert all(b - a <= tile * (1 - overlap) for a, b in itertools.pairwise(starts))


def test_tiled_agrees_with_untiled(trained):
    image = np.concatenate([np.concatenate([shapes(seed=s)[0] for s in (1, 2, 3)], axis=1)
                            for _ in range(2)])[:, :181]
    whole, p_whole = predict(trained.model, image, normalization=trained.normalization, return_scores=True)
    tiled, p_tiled = predict(trained.model, image, normalization=trained.normalization, tile_size=64,
                             overlap=0.25, batch_size=3, return_scores=True)
    assert tiled.shape == image.shape and np.allclose(p_tiled.sum(0), 1, atol=1e-5)
    assert (tiled == whole).mean() > 0.99
    assert np.abs(p_tiled - p_whole).mean() < 0.02


def test_batch_size_does_not_change_tiled_results(trained):
    image = shapes(size=150, seed=4)[0]
    one = predict(trained.model, image, normalization=trained.normalization, tile_size=48, batch_size=1,
                  return_scores=True)[1]
    many = predict(trained.model, image, normalization=trained.normalization, tile_size=48, batch_size=5,
                   return_scores=True)[1]
    np.testing.assert_allclose(one, many, atol=1e-5)


def test_an_image_smaller_than_the_tile_is_one_untiled_pass(trained):
    image = shapes(size=40, seed=5)[0]
    whole = predict(trained.model, image, normalization=trained.normalization, return_scores=True)[1]
    tiled = predict(trained.model, image, normalization=trained.normalization, tile_size=256, return_scores=True)[1]
    np.testing.assert_allclose(tiled, whole, atol=1e-6)


def test_tta_makes_predictions_equivariant_to_flips_and_turns(trained):
    image = shapes(size=64, seed=6)[0]  # a multiple of the stride: no padding breaks the symmetry
    p = predict(trained.model, image, normalization=trained.normalization, tta=True, return_scores=True)[1]
    turned = predict(trained.model, np.rot90(image), normalization=trained.normalization, tta=True,
                     return_scores=True)[1]
    flipped = predict(trained.model, image[:, ::-1], normalization=trained.normalization, tta=True,
                      return_scores=True)[1]
    np.testing.assert_allclose(turned, np.rot90(p, axes=(1, 2)), atol=1e-5)
    np.testing.assert_allclose(flipped, p[:, :, ::-1], atol=1e-5)
    mirrored = predict(trained.model, image[:, ::-1], normalization=trained.normalization, tta="hflip",
                       return_scores=True)[1]
    np.testing.assert_allclose(mirrored[:, :, ::-1], predict(trained.model, image, normalization=trained.normalization,
                                                             tta="hflip", return_scores=True)[1], atol=1e-5)
    plain = predict(trained.model, np.rot90(image), normalization=trained.normalization, return_scores=True)[1]
    assert not np.allclose(plain, np.rot90(predict(trained.model, image, normalization=trained.normalization,
                                                   return_scores=True)[1], axes=(1, 2)), atol=1e-5)


def test_gray_into_rgb_model_is_replicated_and_rgb_into_gray_model_is_luma():
    torch.manual_seed(0)
    rgb_model = build_model("cnn", in_channels=3, num_classes=3, width=4).eval()
    gray = shapes(size=40, seed=8)[0]
    np.testing.assert_array_equal(predict(rgb_model, gray, normalization=NORM, return_scores=True)[1],
                                  predict(rgb_model, np.dstack([gray] * 3), normalization=NORM,
                                          return_scores=True)[1])
    gray_model = build_model("cnn", in_channels=1, num_classes=3, width=4).eval()
    rgb = shapes(size=40, seed=9, channels=3)[0]
    luma = np.rint(rgb @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)  # BT.601
    np.testing.assert_allclose(predict(gray_model, rgb, normalization=NORM, return_scores=True)[1],
                               predict(gray_model, luma, normalization=NORM, return_scores=True)[1], atol=1e-5)


def test_channel_mismatches_and_bad_arguments_are_clear_errors():
    model = build_model("cnn", in_channels=3, num_classes=2, width=4)
    with pytest.raises(InvalidImageError, match=r"4 channels but the model takes 3.*image\[\.\.\., :3\]"):
        predict(model, np.zeros((20, 20, 4), np.uint8), normalization=NORM)
    with pytest.raises(InvalidImageError, match="2 channels but the model takes 3"):
        predict(model, np.zeros((20, 20, 2), np.uint8), normalization=NORM)
    two = build_model("cnn", in_channels=2, num_classes=2, width=4)
    assert predict(two, np.zeros((20, 20, 2), np.float32), normalization=NORM)[0].shape == (20, 20)
    with pytest.raises(InvalidImageError, match="3 channels but the model takes 2"):
        predict(two, np.zeros((20, 20, 3), np.uint8), normalization=NORM)
    image = np.zeros((20, 20), np.uint8)
    for kwargs, word in (({"tile_size": 0}, "tile_size"), ({"overlap": 1.0}, "overlap"),
                         ({"batch_size": 0}, "batch_size"), ({"device": "tpu"}, "device"), ({"tta": "vflip"}, "tta"),
                         ({"normalization": {"kind": "zscore"}}, "normalization"),
                         ({"precision": "half"}, "precision"), ({"precision": "float16"}, "float16.*CUDA only")):
        with pytest.raises(InvalidParameterError, match=word):
            predict(model, image, **{"normalization": NORM, **kwargs})
    assert predict(model, image, normalization=NORM)[1] is None


def test_bfloat16_precision_runs_the_forward_pass_in_bfloat16_and_keeps_the_labels(trained):
    """precision="bfloat16" on a CPU: the convolutions compute in bfloat16 (seen by a hook), probabilities stay
    float32 and sum to 1, and the labels of a trained model agree with float32's; "auto" on a CPU is float32."""
    image = np.concatenate([shapes(seed=s)[0] for s in (11, 12)], axis=1)
    first = next(m for m in trained.model.modules() if isinstance(m, torch.nn.Conv2d))
    seen = []
    handle = first.register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))
    try:
        fp32, p32 = predict(trained.model, image, normalization=trained.normalization, return_scores=True,
                            precision="float32")
        auto, p_auto = predict(trained.model, image, normalization=trained.normalization, return_scores=True)
        bf16, p16 = predict(trained.model, image, normalization=trained.normalization, return_scores=True,
                            precision="bfloat16", tile_size=48)
    finally:
        handle.remove()
    assert seen[:2] == [torch.float32, torch.float32] and set(seen[2:]) == {torch.bfloat16}
    np.testing.assert_array_equal(auto, fp32)
    np.testing.assert_array_equal(p_auto, p32)
    np.testing.assert_array_equal(fp32, p32.argmax(0))  # labels are numpy's argmax of the probabilities
    assert p16.dtype == np.float32 and np.allclose(p16.sum(0), 1, atol=1e-5)
    assert (bf16 == fp32).mean() > 0.99
    assert np.abs(p16 - p32).mean() < 0.02
