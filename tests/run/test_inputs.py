"""Which files a batch reads and the output names they get (:mod:`seglab.run.inputs`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seglab.core.errors import InvalidParameterError
from seglab.run import expand_inputs, output_stems


def test_folders_patterns_and_files_skip_our_own_outputs(tmp_path):
    for name in ("a.png", "b.tif", "a.labels.png", "a.overlay.png", "a.panoptic.png", "notes.txt", "c.jpg"):
        Image.fromarray(np.zeros((2, 2), np.uint8)).save(tmp_path / name) if name != "notes.txt" else (
            tmp_path / name).write_text("x")
    files, failures = expand_inputs([str(tmp_path), str(tmp_path / "*.png"), str(tmp_path / "nope.png")])
    assert [f.name for f in files] == ["a.png", "b.tif", "c.jpg"] and failures == [
        (str(tmp_path / "nope.png"), "no such file or folder; check the path.")]


def test_clashing_stems_get_their_folders_and_suffixes():
    stems = output_stems([Path("p/a/x.png"), Path("p/b/x.png"), Path("p/b/x.tif"), Path("p/b/y.png")])
    assert stems == ["x", "x_png", "x_tif", "y"]  # files of one folder keep their suffix apart
    assert output_stems([Path("p/a/x.png"), Path("p/b/x.png")]) == ["a__x", "b__x"]
    with pytest.raises(InvalidParameterError, match="cannot give every input its own output name"):
        output_stems([Path("d/x.png"), Path("d/x.png")])
