"""Atomic writes (:mod:`seglab.io.atomic`): no partial file, no silent overwrite, files together or none."""

from __future__ import annotations

import os

import numpy as np
import pytest

from seglab.io import (
    read_labels,
    write_labels,
)


def test_existing_files_need_overwrite(tmp_path):
    path = write_labels(tmp_path / "l.png", np.zeros((2, 2), np.int32))
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="already exists; pass overwrite=True"):
        write_labels(path, np.ones((2, 2), np.int32))
    assert path.read_bytes() == before
    write_labels(path, np.ones((2, 2), np.int32), overwrite=True)
    assert read_labels(path).tolist() == [[1, 1], [1, 1]]


def test_interrupted_write_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "l.png"
    path.write_bytes(b"old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_labels(path, np.zeros((2, 2), np.int32), overwrite=True)
    assert os.listdir(tmp_path) == ["l.png"] and path.read_bytes() == b"old"


def test_missing_output_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        write_labels(tmp_path / "nope" / "l.png", np.zeros((2, 2), np.int32))


def test_files_written_together_appear_together_or_not_at_all(tmp_path, monkeypatch):
    from seglab.io import atomic, write_together

    files = {tmp_path / "a.png": b"1", tmp_path / "a.json": b"2", tmp_path / "a.csv": b"3"}
    real, calls = os.replace, []

    def interrupt_third(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", interrupt_third)
    with pytest.raises(KeyboardInterrupt):
        write_together(files)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # two were in place: both removed, no temporary left
    monkeypatch.setattr(atomic.os, "replace", real)
    assert write_together(files) == list(files) and (tmp_path / "a.json").read_bytes() == b"2"
    with pytest.raises(FileExistsError):
        write_together({tmp_path / "new.txt": b"x", tmp_path / "a.csv": b"y"})
    assert not (tmp_path / "new.txt").exists()  # refused before anything was written
