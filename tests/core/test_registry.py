"""The registry (:mod:`seglab.core.registry`): lookup, parameter checks, wrapping, plugins."""

from __future__ import annotations

import numpy as np
import pytest

import seglab
from seglab import Segmentation
from seglab.core import registry
from seglab.core.errors import (
    InvalidImageError,
    InvalidParameterError,
    UnknownMethodError,
    UnknownParameterError,
)
from seglab.core.registry import register


def test_unknown_method_suggests():
    with pytest.raises(UnknownMethodError, match="Did you mean 'otsu'"):
        seglab.get_method("otsuu")
    assert issubclass(UnknownMethodError, LookupError)


def test_unknown_parameter_is_type_and_value_error():
    img = np.zeros((4, 4), np.uint8)
    with pytest.raises(TypeError, match="nbins"):
        seglab.segment(img, "otsu", nbin=3)
    with pytest.raises(UnknownParameterError):
        seglab.segment(img, "otsu", nbin=3)


@pytest.mark.parametrize("value", [1, 70000, 2.5, "x", True])
def test_out_of_range_parameters(value):
    with pytest.raises(InvalidParameterError, match="nbins"):
        seglab.segment(np.zeros((4, 4)), "otsu", nbins=value)


def test_mask_shape_mismatch():
    with pytest.raises(InvalidImageError, match="mask shape"):
        seglab.segment(np.zeros((4, 4)), "otsu", mask=np.ones((3, 3), bool))


def test_params_recorded_and_meta_notes_gray_conversion():
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[:2] = 255
    seg = seglab.segment(rgb, "otsu")
    assert seg.params == {"nbins": 256, "polarity": "bright"}
    assert "BT.601" in seg.meta["input_conversion"]


# ---------------------------------------------------------------- registry behaviour


@pytest.fixture
def private_registry(monkeypatch):
    """A throw-away copy of the registry (everything loaded), so tests can register and load plugins."""
    registry.list_methods()
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    return registry._REGISTRY


def _demo(image, /, *, value: float = 1.0, mask=None) -> Segmentation:
    """Demo.

    Parameters
    ----------
    value : float
        A value.
    """
    return Segmentation(np.zeros(image.shape[:2], np.int32), "semantic")


def test_a_duplicate_name_is_refused(private_registry):
    with pytest.raises(ValueError, match="'otsu' is already registered"):
        register("otsu", family="threshold", task="semantic", input="gray", tiling="pointwise")(_demo)


def test_global_methods_must_supply_fit_and_apply():
    with pytest.raises(ValueError, match="must supply fit= and apply="):
        register("demo_global", family="threshold", task="semantic", input="gray", tiling="global")


def test_every_builtin_family_package_registers_what_it_lists():
    """Each family package's FRONT_MODULES are imported, and every classical family has methods."""
    import importlib

    names = {m.name for m in seglab.list_methods()}
    for package in registry.BUILTIN_FAMILIES:
        for module in importlib.import_module(package).FRONT_MODULES:
            registered = [m for m in seglab.list_methods() if m.fn.__module__ == module]
            assert registered, f"{module} is listed but registers nothing"
    families = {m.family for m in seglab.list_methods()}
    assert families >= {"threshold", "edge", "region", "watershed", "clustering", "color", "texture"}
    assert {"otsu", "canny", "region_growing", "watershed", "kmeans", "hsv_range", "gabor"} <= names


class _EntryPoint:
    def __init__(self, name, value, load):
        self.name, self.value, self.load = name, value, load


def _with_plugins(monkeypatch, *entry_points):
    import importlib.metadata

    monkeypatch.setattr(registry, "_LOADED", False)
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group=None: list(entry_points) if group == "seglab.methods" else [])


def test_plugins_register_through_the_entry_point_group(private_registry, monkeypatch):
    def load():
        register("demo_plugin", family="region", task="semantic", input="gray", tiling="pointwise")(_demo)
        return _demo

    _with_plugins(monkeypatch, _EntryPoint("demo", "demo_pkg:demo", load))
    assert seglab.get_method("demo_plugin").family == "region"
    assert seglab.segment(np.zeros((3, 3)), "demo_plugin", value=2.0).method == "demo_plugin"


def test_a_broken_plugin_warns_and_leaves_the_others(private_registry, monkeypatch):
    def broken():
        register("demo_half", family="region", task="semantic", input="gray", tiling="pointwise")(_demo)
        raise ImportError("no module named demo_dependency")

    def duplicate():
        register("otsu", family="region", task="semantic", input="gray", tiling="pointwise")(_demo)

    _with_plugins(monkeypatch, _EntryPoint("broken", "broken:x", broken), _EntryPoint("dup", "dup:x", duplicate))
    with pytest.warns(registry.PluginWarning) as caught:
        names = {m.name for m in seglab.list_methods()}
    assert "demo_half" not in names and "otsu" in names  # a half-loaded plugin leaves nothing behind
    assert seglab.get_method("otsu").fn.__module__ == "seglab.classical.threshold"
    text = " ".join(str(w.message) for w in caught)
    assert "'broken'" in text and "no module named demo_dependency" in text and "'dup'" in text


def test_validate_params_needs_no_image_and_fills_defaults():
    spec = seglab.get_method("watershed")
    assert spec.validate_params({"sigma": 2}, complete=False) == {"sigma": 2.0}
    full = spec.validate_params({"sigma": 2})
    assert full["sigma"] == 2.0 and full["polarity"] == "bright" and len(full) == len(spec.params())
    with pytest.raises(InvalidParameterError, match="seeds: give seeds .* or markers .*, not both"):
        spec.validate_params({"seeds": [(0, 0)], "markers": np.ones((2, 2), int)})
    with pytest.raises(InvalidParameterError, match="watershed: window_size: must be odd"):
        spec.validate_params({"window_size": 10})


def test_method_rules_run_before_the_image_is_looked_at():
    """An even window is refused even for an image that is itself invalid: the parameters come first."""
    with pytest.raises(InvalidParameterError, match="window_size: must be odd"):
        seglab.segment(np.zeros((2, 2, 2, 2)), "adaptive", window_size=4)


def test_to_json_lists_weights_volumes_and_deprecated_names():
    doc = seglab.get_method("adaptive").to_json()
    assert doc["weights"] == {} and doc["volumes"] is False and doc["takes_mask"] is True
    assert doc["deprecated_params"] == {"block_size": "window_size", "dark_foreground": "polarity"}


def test_the_seed_actually_used_is_recorded_and_reproduces_the_result():
    """Issue 14 #10: with rng=None the sidecar said null; now it records the seed, which gives the same labels."""
    rng = np.random.default_rng(3)
    img = (rng.random((40, 40, 3)) * 255).astype(np.uint8)
    first = seglab.segment(img, "kmeans", num_classes=4, n_init=1, init="random")
    seed = first.params["rng"]
    assert isinstance(seed, int)
    again = seglab.segment(img, "kmeans", num_classes=4, n_init=1, init="random", rng=seed)
    np.testing.assert_array_equal(first.labels, again.labels)
    from_generator = seglab.segment(img, "kmeans", num_classes=4, rng=np.random.default_rng(5))
    assert isinstance(from_generator.params["rng"], int)
    assert seglab.segment(img, "kmeans", num_classes=4, rng=12).params["rng"] == 12


def test_help_of_segment_lists_every_builtin_method_and_points_to_info():
    """Issue 14 #12: help(seglab.segment) names the methods (kept in sync here) and how to see their parameters."""
    import re

    doc = seglab.segment.__doc__
    listed = {name for line in doc.splitlines() if re.match(r"\s+- \w+[ :]", line)
              for name in line.split(":", 1)[1].replace(",", " ").split()}
    builtin = {m.name for m in seglab.list_methods() if m.fn.__module__.startswith(("seglab.classical", "seglab.deep"))}
    assert listed == builtin
    assert "seglab info METHOD" in doc


def test_subpackages_are_reachable_from_the_package():
    """Issue 14 #12: ``import seglab; seglab.io.read_labels(...)`` works, as the README shows."""
    import subprocess
    import sys

    code = "import seglab; print(seglab.io.read_labels.__name__, seglab.metrics.mean_iou.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["read_labels", "mean_iou"]


@pytest.mark.parametrize("method", [None, 3, ["otsu"]])
def test_a_method_that_is_not_a_name_is_one_clear_error(method):
    with pytest.raises(UnknownMethodError, match="must be given by its name, a string"):
        seglab.segment(np.zeros((4, 4), np.uint8), method)


@pytest.mark.parametrize("rng", [3.0, "5", [1, 2], float("nan"), -1])
@pytest.mark.parametrize("name", ["kmeans", "fuzzy_cmeans", "gabor"])
def test_rng_that_is_not_a_seed_or_generator_is_refused_not_replaced(name, rng):
    # A float or a string silently swapped for a fresh random seed would make the run irreproducible.
    img = np.zeros((8, 8), np.uint8)
    img[:, 4:] = 200
    with pytest.raises(InvalidParameterError, match="rng: "):
        seglab.segment(img, name, rng=rng)
    a, b = (seglab.segment(img, name, rng=np.int64(5)) for _ in range(2))
    assert a.params["rng"] == b.params["rng"] == 5 and np.array_equal(a.labels, b.labels)


@pytest.mark.parametrize(("method", "params"), [
    ("threshold", {"value": 10**400}),  # beyond any float
    ("canny", {"min_size": 2**63}),  # beyond the 64-bit integers compiled kernels take
    ("region_growing", {"max_iter": 2**63, "seeds": [(0, 0)]}),
])
def test_numbers_beyond_machine_range_are_parameter_errors(method, params):
    with pytest.raises(InvalidParameterError, match=f"{next(iter(params))}="):
        seglab.segment(np.zeros((8, 8), np.uint8), method, **params)
