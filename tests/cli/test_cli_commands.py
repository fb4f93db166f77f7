"""``seglab methods`` and ``seglab info``, and the flags generated for every registered method (in-process)."""

from __future__ import annotations

import json
import shlex

import pytest

from seglab.cli import main
from seglab.cli.flags import collect, flag_name
from seglab.cli.segment_cmd import build_parser
from seglab.core.params_text import describe_kind
from seglab.core.registry import list_methods
from seglab.io import to_jsonable
from seglab.run import prepare

METHODS = list_methods()


def test_methods_lists_every_registered_method(capsys):
    assert main(["methods"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [m.name for m in METHODS]
    for line, spec in zip(lines, METHODS):
        assert line.split()[1:3] == [spec.family, spec.task] and spec.summary in line


def test_methods_json_and_markdown(capsys):
    assert main(["methods", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [m.to_json() for m in METHODS]
    assert main(["methods", "--markdown"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[:2] == ["| method | family | task | what it does |", "|---|---|---|---|"]
    assert [r.split("|")[1].strip() for r in rows[2:]] == [m.name for m in METHODS]


@pytest.mark.parametrize("spec", METHODS, ids=lambda s: s.name)
def test_info_shows_every_parameter(spec, capsys):
    assert main(["info", spec.name]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{spec.name}: {spec.summary}")
    for p in spec.params():
        default = "required" if p.required else f"default {p.default!r}"
        flag = flag_name(p.name) + (f" / --no-{flag_name(p.name)[2:]}" if p.kind == "bool" else "")
        assert f"  {flag}: {describe_kind(p)}; {default}\n" in out
        assert p.doc.split()[0] in out
    assert main(["info", spec.name, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == spec.to_json()


@pytest.mark.parametrize("spec", METHODS, ids=lambda s: s.name)
def test_every_method_gets_a_parser(spec):
    """Flags are generated for whatever is registered: no clashes, one flag per parameter."""
    parser, flags = build_parser(spec)
    assert [f.name for f in flags] == [p.name for p in spec.params()] + list(spec.renamed)
    assert len({f.option for f in flags}) == len(flags)
    ns = parser.parse_intermixed_args(["x.png", "-o", "out"])
    assert ns.inputs == ["x.png"] and ns.outputs == "labels,json"


@pytest.mark.parametrize("spec", [m for m in METHODS if m.example_params], ids=lambda s: s.name)
def test_info_command_line_example_parses_to_the_example_params(spec, capsys):
    """The `Command line:` line that `seglab info` prints is a working command for the method's example."""
    assert main(["info", spec.name]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("Command line:"))
    words = shlex.split(line.removeprefix("Command line:"))
    assert words[:5] == ["seglab", "segment", spec.name, "INPUT...", "-o"]
    arrays = {p.name for p in spec.params() if p.kind == "array"}
    parser, flags = build_parser(spec)
    ns = parser.parse_intermixed_args(words[3:])
    got = prepare(spec, text=collect(ns, [f for f in flags if f.name not in arrays])).params
    expected = {k: v for k, v in spec.example_params.items() if k not in arrays}
    assert to_jsonable(got) == to_jsonable(expected)


def test_unknown_method_suggests_the_closest(capsys):
    assert main(["info", "otsuu"]) == 2
    assert "unknown method 'otsuu'. Did you mean 'otsu'" in capsys.readouterr().err
    assert main(["segment", "otsuu", "a.png", "-o", "out"]) == 2
    assert "Did you mean 'otsu'" in capsys.readouterr().err


def test_help_and_usage_errors(capsys):
    assert main(["--help"]) == 0
    assert "segment" in capsys.readouterr().out
    assert main(["segment", "otsu", "--help"]) == 0
    assert "--nbins" in capsys.readouterr().out
    assert main([]) == 2
    assert main(["segment", "otsu", "a.png"]) == 2  # no -o
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == ("error: seglab segment otsu: the following arguments are required: -o/--output-dir "
                       "(see seglab segment otsu --help)")
