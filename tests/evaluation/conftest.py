"""Fixtures of the evaluation tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def read_eval():
    def read(outdir: Path) -> dict:
        return json.loads((outdir / "eval.json").read_text())

    return read
