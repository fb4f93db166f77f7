"""The ``seglab`` console script in a subprocess: the bad-input cases of the issue and the exit codes.

Each case is a real process (exit code, stdout and stderr as a user sees
them); cases are grouped to keep the number of interpreter starts small.
"""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image


@pytest.fixture
def batch(tmp_path, blobs):
    """Two good images and one of each kind of bad input from the issue."""
    folder = tmp_path / "batch"
    folder.mkdir()
    Image.fromarray(blobs).save(folder / "good1.png")
    tifffile.imwrite(folder / "good2.tif", blobs.astype(np.uint16) * 250)
    data = (folder / "good1.png").read_bytes()
    (folder / "truncated.png").write_bytes(data[: len(data) // 2])
    (folder / "text.png").write_text("not an image at all\n")
    with pytest.warns(UserWarning):
        tifffile.imwrite(folder / "zero_size.tif", np.zeros((0, 0), np.uint8))
    tifffile.imwrite(folder / "four_d.tif", np.zeros((2, 16, 16, 3), np.uint8), volumetric=True, tile=(16, 16),
                     photometric="rgb")  # one 4-D page (Z, Y, X, RGB)
    tifffile.imwrite(folder / "all_nan.tif", np.full((8, 8), np.nan, np.float32))
    return folder


BAD = {
    "truncated.png": "the PNG data is truncated or corrupt",
    "text.png": "is not an image seglab can read",
    "zero_size.tif": "the image is empty",
    "four_d.tif": "holds an array of shape (2, 16, 16, 3); seglab reads 2-D",
    "all_nan.tif": "NaN",
    "missing.png": "no such file or folder",
}


def test_batch_goes_on_past_bad_files_and_lists_them(tmp_path, batch, run_seglab):
    out = tmp_path / "out"
    inputs = [str(batch / "good1.png"), *(str(batch / name) for name in BAD), str(batch / "good2.tif")]
    result = run_seglab("segment", "otsu", *inputs, "-o", str(out), "--outputs", "labels,overlay,json")
    assert result.returncode == 1, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "good1.json", "good1.labels.png", "good1.overlay.png", "good2.json", "good2.labels.png", "good2.overlay.png"]
    summary = result.stderr[result.stderr.index("seglab: 2 of 8 inputs segmented; 6 failed:"):].splitlines()
    assert len(summary) == 1 + len(BAD)
    for name, reason in BAD.items():
        line = next(line for line in summary if name in line)
        assert reason in line, line
    assert "good1.png -> " in result.stdout and "good2.tif -> " in result.stdout

    # Running it again without --overwrite changes nothing and says why.
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = run_seglab("segment", "otsu", str(batch / "good1.png"), "-o", str(out), "--outputs", "labels,overlay,json")
    assert again.returncode == 1
    assert "already exists; pass overwrite=True (command line: --overwrite) to replace it" in again.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize(("args", "message"), [
    (["segment", "otsuu"], "unknown method 'otsuu'. Did you mean 'otsu'?"),
    (["segment", "otsu", "--nbins", "1"], "nbins=1 is out of range"),
    (["segment", "adaptive", "--window-size", "4"], "window_size: must be odd"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path, batch, run_seglab, args, message):
    out = tmp_path / "out"
    result = run_seglab(*args[:2], str(batch / "good1.png"), "-o", str(out), *args[2:])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_a_closed_output_pipe_ends_quietly_with_141(run_seglab):
    import subprocess

    proc = subprocess.Popen([*run_seglab.command, "methods"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader leaves before seglab writes anything (it is still importing)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141 and b"Traceback" not in err, err.decode()
