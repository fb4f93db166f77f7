"""The README's examples run as tests, so they cannot rot.

Each example runs in a fresh folder that holds a link to the repository's
``src/`` (the README's paths are relative to the repository root), so the
outputs never land in the working tree.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from seglab.cli import main
from seglab.io import read_labels

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "src").symlink_to(ROOT / "src", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _bash(script: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_python_examples_run(workdir, capsys):
    blocks = _blocks(README, "python")
    assert blocks, "README has no python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out.startswith("otsu ")
    assert {"coins.labels.png", "coins.overlay.png", "coins.json"} <= {p.name for p in workdir.iterdir()}


def test_command_line_examples_run(workdir):
    blocks = _blocks(_section("Command line"), "bash")
    assert blocks, "README's Command line section has no bash example"
    result = _bash("\n".join(blocks), workdir)
    assert result.returncode == 0, result.stderr
    for name in ("coins", "astronaut", "page"):
        for suffix in (".labels.png", ".overlay.png", ".json", ".regions.csv"):
            assert (workdir / "seglab-out" / f"{name}{suffix}").is_file()
    page = read_labels(workdir / "seglab-out" / "adaptive" / "page.labels.png")
    assert 0 < page.mean() < 0.3  # the document example labels the text, not the paper (issue 14 #9)


def test_first_command_writes_what_the_readme_says(workdir):
    """The seglab part of the README's set-up command (the install itself is what CI runs)."""
    first = _blocks(README, "bash")[0]
    command = next(part.strip() for part in first.split("&&") if part.strip().startswith(".venv/bin/seglab"))
    result = _bash(command.replace(".venv/bin/seglab", "seglab", 1), workdir)
    assert result.returncode == 0, result.stderr
    promised = re.findall(r"`(seglab-out/[\w./-]+)`", README.split("## ", 1)[0])
    assert len(promised) == 3
    for path in promised:
        assert (workdir / path).is_file(), path
    sidecar = json.loads((workdir / "seglab-out" / "coins.json").read_text())
    assert sidecar["num_segments"] == 24  # the 24 coins, as the README says (issue 14 #8)


def test_methods_table_is_current(capsys):
    match = re.search(r"<!-- methods-table[^>]*-->\n(.*?)<!-- /methods-table -->", README, re.S)
    assert match, "README lost its methods-table markers"
    assert main(["methods", "--markdown"]) == 0
    assert match.group(1) == capsys.readouterr().out, (
        "README's methods table is stale: paste the output of `seglab methods --markdown` between the markers")
