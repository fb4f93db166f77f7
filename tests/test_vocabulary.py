"""One vocabulary over the whole registry: every parameter name means one thing, everywhere."""

from __future__ import annotations

import typing
import warnings

import numpy as np
import pytest

import seglab
from seglab.core.params import STANDARD_PARAMS
from seglab.core.vocabulary import RETIRED, VOCABULARY, markdown_table

METHODS = seglab.list_methods()
PARAMS = [(m, p) for m in METHODS for p in m.params()]


@pytest.mark.parametrize(("method", "param"), PARAMS, ids=lambda x: getattr(x, "name", ""))
def test_every_parameter_is_in_the_vocabulary_with_its_kind(method, param):
    assert param.name not in RETIRED, f"{method.name}.{param.name} is retired; use {RETIRED.get(param.name)!r}"
    assert param.name in VOCABULARY, f"{method.name}.{param.name} is not in seglab.core.vocabulary.VOCABULARY"
    assert param.kind in VOCABULARY[param.name].kinds, (
        f"{method.name}.{param.name} is a {param.kind}; the vocabulary says {VOCABULARY[param.name].kinds}")


@pytest.mark.parametrize(("method", "param"), PARAMS, ids=lambda x: getattr(x, "name", ""))
def test_every_parameter_is_documented(method, param):
    assert param.doc, f"{method.name}.{param.name} has no numpydoc entry"


@pytest.mark.parametrize("method", [m for m in METHODS if any(p.name in STANDARD_PARAMS for p in m.params())],
                         ids=lambda m: m.name)
def test_standard_parameters_have_the_standard_type(method):
    hints = typing.get_type_hints(method.fn, include_extras=True)
    for name in STANDARD_PARAMS.keys() & {p.name for p in method.params()}:
        assert hints[name] == STANDARD_PARAMS[name][0], f"{method.name}.{name} must be declared as core.params' type"


@pytest.mark.parametrize("method", [m for m in METHODS if m.renamed], ids=lambda m: m.name)
def test_renamed_parameters_still_work_with_a_warning_naming_the_new_one(method):
    image = np.zeros((24, 24, 3), np.uint8) if method.input == "color" else np.zeros((24, 24), np.uint8)
    image[6:18, 6:18] = 200
    for old, rename in method.renamed.items():
        base = {k: v for k, v in method.example_params.items() if k != rename.new}
        assert rename.new in {p.name for p in method.params()}
        assert RETIRED.get(old) in (rename.new, None)
        value = True if method.param(old).kind == "bool" else method.param(rename.new).default
        if value is None:
            continue  # a required or optional parameter without default: covered by the unit tests
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            old_way = method.fn(image, **{**base, old: value}, **({"rng": 0} if method.stochastic else {}))
        messages = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
        assert any(f"'{old}' is deprecated" in m and f"use '{rename.new}'" in m for m in messages), messages
        new_way = method.fn(image, **{**base, rename.new: rename.value(value)},
                            **({"rng": 0} if method.stochastic else {}))
        np.testing.assert_array_equal(old_way.labels, new_way.labels)


def test_old_and_new_name_together_are_refused():
    with pytest.raises(seglab.InvalidParameterError, match="not both"):
        seglab.segment(np.zeros((8, 8), np.uint8), "adaptive", window_size=5, block_size=5)


def test_architecture_doc_shows_the_vocabulary():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "architecture.md").read_text()
    assert markdown_table() in doc, "docs/architecture.md: paste seglab.core.vocabulary.markdown_table()"
