"""DESIGN.md rule 13: every registered method honours the one contract."""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

import seglab
from seglab import InvalidImageError, Segmentation
from seglab.core.registry import list_methods

METHODS = list_methods(available_only=True)


def _call(spec, image, **extra):
    kw = dict(spec.example_params)
    if spec.stochastic:
        kw["rng"] = 0
    if spec.family == "deep" and "weights" not in kw:
        kw["weights"] = str(_random_checkpoint(spec.name))
    kw.update(extra)
    return spec.fn(image, **kw)


@functools.cache
def _random_checkpoint(arch: str) -> Path:
    """A small, randomly initialised checkpoint of `arch` (model methods ship weights only for some)."""
    from seglab.deep._torch.checkpoint import save_checkpoint
    from seglab.deep._torch.models import build_model

    from .deep.synthetic import TINY

    path = Path(tempfile.mkdtemp()) / f"{arch}.pt"
    if arch in ("unet_instances", "mask_rcnn"):
        from seglab.deep._torch.instances.checkpoint import NORMALIZATION
        from seglab.deep._torch.instances.models import build_instance_model

        tiny = {"unet_instances": {"base_width": 4, "depth": 2},
                "mask_rcnn": {"fpn_channels": 16, "box_features": 16, "max_detections": 20}}
        model = build_instance_model(arch, **tiny[arch])
        return save_checkpoint(path, model, normalization=NORMALIZATION,
                               classes=("background", "interior", "boundary")[: model.num_classes])
    model = build_model(arch, in_channels=3, num_classes=3, **TINY[arch][1])
    return save_checkpoint(path, model, normalization={"kind": "percentile", "low": 1.0, "high": 99.0},
                           classes=("background", "a", "b"))


@pytest.mark.parametrize("spec", METHODS, ids=lambda s: s.name)
def test_contract(spec, scene):
    image = scene(spec.input)
    image.flags.writeable = False  # catches in-place mutation of the input
    seg = _call(spec, image)
    assert isinstance(seg, Segmentation)
    assert seg.labels.dtype == np.int32
    assert seg.labels.shape == image.shape[:2]
    assert seg.method == spec.name
    assert seg.task == spec.task
    json.dumps(seg.params)
    json.dumps(seg.to_json())
    with pytest.raises(InvalidImageError):
        _call(spec, np.zeros((2, 3, 4, 5)))
    with pytest.raises(ValueError):  # InvalidImageError is a ValueError
        _call(spec, np.zeros((0, 5)))


def _check_segments(seg):
    """Instance/panoptic: `segments` lists exactly the ids > 0 in `labels`, each with a class in `classes`.
    Semantic: every label is -1 or an index into `classes`."""
    present = set(np.unique(seg.labels[seg.labels > 0]).tolist())
    if seg.task == "semantic":
        assert not seg.segments and seg.labels.min() >= -1 and seg.labels.max() < len(seg.classes)
    else:
        assert set(seg.segments) == present, (sorted(seg.segments)[:10], sorted(present)[:10])
        assert all(0 <= s.class_id < len(seg.classes) for s in seg.segments.values()), seg.classes


@pytest.mark.parametrize("spec", METHODS, ids=lambda s: s.name)
def test_segments_describe_the_labels(spec, scene):
    image = scene(spec.input)
    _check_segments(_call(spec, image))
    mask = np.zeros(image.shape[:2], bool)
    mask[:, : image.shape[1] // 2] = True
    _check_segments(_call(spec, image, mask=mask))


@pytest.mark.parametrize("spec", METHODS, ids=lambda s: s.name)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_dtypes(spec, scene, dtype):
    image = scene(spec.input)
    if np.issubdtype(dtype, np.floating):
        image = image.astype(dtype) / 255
    elif dtype == np.uint16:
        image = image.astype(np.uint16) * 257
    seg = _call(spec, image)
    assert seg.labels.dtype == np.int32 and seg.labels.shape == image.shape[:2]


@pytest.mark.parametrize("spec", METHODS, ids=lambda s: s.name)
def test_constant_image_and_mask(spec, scene):
    image = scene(spec.input)
    const = np.full_like(image, 100)
    seg = _call(spec, const)
    assert seg.labels.shape == image.shape[:2]
    mask = np.zeros(image.shape[:2], bool)
    mask[:, : image.shape[1] // 2] = True
    seg = _call(spec, image, mask=mask)
    assert (seg.labels[~mask] == 0).all()


@pytest.mark.parametrize("spec", [s for s in METHODS if s.stochastic], ids=lambda s: s.name)
def test_same_rng_same_labels(spec, scene):
    image = scene(spec.input)
    np.testing.assert_array_equal(_call(spec, image).labels, _call(spec, image).labels)


@pytest.mark.parametrize("spec", METHODS, ids=lambda s: s.name)
def test_schema_is_complete(spec):
    """Every parameter is documented, and `seglab info --json` can serialise the spec."""
    info = spec.to_json()
    json.dumps(info)
    for p in info["params"]:
        assert p["doc"], f"{spec.name}.{p['name']} has no docstring entry"
    assert spec.fn.__doc__ and "Examples" in spec.fn.__doc__


VOCABULARY_BANNED = {"seed", "random_state", "n_iter", "iterations", "num_class", "random_seed", "img", "input"}


@pytest.mark.parametrize("spec", METHODS, ids=lambda s: s.name)
def test_vocabulary(spec):
    names = {p.name for p in spec.params()}
    assert not names & VOCABULARY_BANNED, f"{spec.name} uses banned synonyms {names & VOCABULARY_BANNED}"


def test_segment_is_get_method_fn(scene):
    image = scene("gray")
    a = seglab.segment(image, "otsu", nbins=64)
    b = seglab.get_method("otsu").fn(image, nbins=64)
    np.testing.assert_array_equal(a.labels, b.labels)


def _unusual_inputs() -> dict[str, np.ndarray]:
    """Valid-but-awkward arrays (layouts, dtypes, extreme values) and arrays that must be refused cleanly."""
    rng = np.random.default_rng(0)
    gray = (rng.random((20, 24)) * 200).astype(np.uint8)
    rgb = (rng.random((20, 24, 3)) * 255).astype(np.uint8)
    return {
        "1x1": gray[:1, :1].copy(), "1xN": gray[:1].copy(), "Nx1": gray[:, :1].copy(), "2x2": gray[:2, :2].copy(),
        "fortran": np.asfortranarray(gray), "negative strides": gray[::-1, ::-1], "strided view": gray[::2, ::3],
        "big-endian uint16": gray.astype(">u2") * 200, "int64 negative": gray.astype(np.int64) - 100,
        "int8": (gray.astype(np.int16) - 100).astype(np.int8), "uint32": gray.astype(np.uint32) * 100000,
        "bool": gray > 100, "float16": gray.astype(np.float16),
        "float with inf": np.where(gray > 190, np.inf, gray.astype(float)), "float 1e-12": 1e-12 * gray,
        "float 1e300": 1e300 * gray.astype(np.float64), "constant uint16": np.full((12, 12), 5000, np.uint16),
        "rgb fortran": np.asfortranarray(rgb), "rgb uint16": rgb.astype(np.uint16) * 257, "rgb float": rgb / 255.0,
        "one channel": gray[..., None], "rgba": np.dstack([rgb, np.full((20, 24), 255, np.uint8)]),
    }


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow warnings from casting 1e300 are expected
@pytest.mark.parametrize("spec", METHODS, ids=lambda s: s.name)
def test_unusual_inputs_give_labels_or_one_clear_error(spec):
    """Each awkward input yields int32 labels of the image's shape, or an InvalidImageError /
    InvalidParameterError of one line that names the method: never another exception type."""
    for name, image in _unusual_inputs().items():
        try:
            seg = _call(spec, image)
        except (InvalidImageError, seglab.InvalidParameterError) as exc:
            message = str(exc)
            assert "\n" not in message and spec.name in message, (name, message)
        else:
            assert seg.labels.dtype == np.int32 and seg.labels.shape == image.shape[:2], name


def _extreme_values(spec_param) -> list:
    """The lowest allowed value and absurdly large ones (which must be refused or handled in bounded time)."""
    interval = spec_param.interval
    lo = interval.lo if interval is not None and interval.lo is not None else 0
    if spec_param.kind == "int":
        return [int(lo), 10**9]
    low = lo + 1e-9 if interval is not None and interval.lo_open else lo
    return [float(low), 1e6, 1e300, float("inf")]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("spec", METHODS, ids=lambda s: s.name)
def test_extreme_parameter_values_give_labels_or_one_clear_error(spec, scene):
    """sigma=1e6 once ran for minutes, 1e300 and inf reached OpenCV asserts, gabor tol=1e200 crashed the
    process, num_classes=10**9 tried to allocate terabytes: each now gives labels or one clear error."""
    image = scene(spec.input)[:40, :50]
    for param in spec.params():
        if param.kind not in ("int", "float"):
            continue
        for value in _extreme_values(param):
            try:
                seg = _call(spec, image, **{param.name: value})
            except (InvalidImageError, seglab.InvalidParameterError) as exc:
                assert "\n" not in str(exc), (param.name, value)
            else:
                assert seg.labels.shape == image.shape[:2], (param.name, value)


@pytest.mark.parametrize("spec", METHODS, ids=lambda s: s.name)
def test_an_empty_mask_gives_background_or_a_clear_mask_error(spec, scene):
    """sobel and scharr raised a numpy reduction error on an all-False mask."""
    image = scene(spec.input)
    try:
        seg = _call(spec, image, mask=np.zeros(image.shape[:2], bool))
    except seglab.InvalidParameterError as exc:
        assert str(exc).startswith("mask") and "\n" not in str(exc)
    else:
        assert not seg.labels.any()
