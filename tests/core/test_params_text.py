"""Parameter values from text (:mod:`seglab.core.params_text`): the parser the CLI, bench and web share."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from seglab.core.errors import InvalidParameterError
from seglab.core.params import Interval, ParamSpec
from seglab.core.params_text import (
    describe_kind,
    parse_bool,
    parse_param,
    parse_points,
    parse_value,
)
from seglab.io import read_image


def test_parse_each_kind(tmp_path):
    assert parse_value(ParamSpec(name="k", kind="int"), "7") == 7
    assert parse_value(ParamSpec(name="s", kind="float", nullable=True), "none") is None
    assert parse_value(ParamSpec(name="c", kind="choice", choices=(4, 8)), "8") == 8
    assert parse_value(ParamSpec(name="j", kind="json"), '{"a": [1, 2]}') == {"a": [1, 2]}
    assert parse_value(ParamSpec(name="j", kind="json"), "red, skin") == ["red", "skin"]  # bare names
    assert parse_value(ParamSpec(name="p", kind="points"), "1,2;3,4") == [(1, 2), (3, 4)]
    assert parse_value(ParamSpec(name="r", kind="rng"), "42") == 42
    assert parse_value(ParamSpec(name="b", kind="bool"), "Off") is False
    assert parse_value(ParamSpec(name="b", kind="bool"), True) is True  # already a value: unchanged
    Image.fromarray(np.arange(6, dtype=np.uint8).reshape(2, 3)).save(tmp_path / "m.png")
    arr = parse_value(ParamSpec(name="m", kind="array"), str(tmp_path / "m.png"), read_array=read_image)
    assert arr.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert parse_value(ParamSpec(name="m", kind="array"), "x.png") == "x.png"  # no reader: the path


@pytest.mark.parametrize("spec, raw, message", [
    (ParamSpec(name="k", kind="int"), "1.5", "--k: expected an integer; got '1.5'."),
    (ParamSpec(name="c", kind="choice", choices=("mean", "gaussian")), "gausian",
     "--c: 'gausian' is not allowed; choose one of 'mean', 'gaussian'. Did you mean 'gaussian'?"),
    (ParamSpec(name="j", kind="json"), "{a", "--j: '{a' is not valid JSON (Expecting property name"),
    (ParamSpec(name="p", kind="points"), "1;2", "--p: expected row,col pairs"),
    (ParamSpec(name="b", kind="bool"), "maybe", "--b: expected true or false; got 'maybe'"),
])
def test_bad_text_names_the_option(spec, raw, message):
    with pytest.raises(InvalidParameterError) as info:
        parse_value(spec, raw, where=f"--{spec.name}")
    assert str(info.value).startswith(message)


def test_unreadable_array_file_names_the_option(tmp_path):
    with pytest.raises(InvalidParameterError, match="^--m: "):
        parse_value(ParamSpec(name="m", kind="array"), str(tmp_path / "none.png"), where="--m", read_array=read_image)


def test_parse_param_checks_the_range():
    spec = ParamSpec(name="k", kind="int", interval=Interval(1, 9))
    assert parse_param(spec, "9") == 9
    with pytest.raises(InvalidParameterError, match=r"k=12 is out of range; it must lie in \[1, 9\]"):
        parse_param(spec, "12")


def test_points_bools_and_descriptions():
    assert parse_points(" [[5, 6]] ") == [(5, 6)]
    assert [parse_bool(t) for t in ("true", "YES", "1", "on", "false", "no", "0", "OFF")] == [True] * 4 + [False] * 4
    assert describe_kind(ParamSpec(name="x", kind="int", interval=Interval(3, None))) == "int in [3, inf)"
    assert describe_kind(ParamSpec(name="x", kind="float", nullable=True)) == "float or none"
