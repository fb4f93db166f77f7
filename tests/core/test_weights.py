"""Named weight records (:mod:`seglab.core.weights`): resolution, digests, clear errors."""

from __future__ import annotations

import hashlib

import pytest

from seglab.core.errors import InvalidParameterError
from seglab.core.weights import Weights, resolve_weights, sha256_of


def test_sha256_equals_hashlib(tmp_path):
    data = bytes(range(256)) * 5000  # more than one 1 MiB chunk
    (tmp_path / "w.pt").write_bytes(data)
    assert sha256_of(tmp_path / "w.pt") == hashlib.sha256(data).hexdigest()


def test_a_shipped_name_resolves_to_its_record_and_is_checked(tmp_path):
    (tmp_path / "m.pt").write_bytes(b"weights")
    good = Weights("membrane", file="m.pt", folder=str(tmp_path), sha256=hashlib.sha256(b"weights").hexdigest())
    assert resolve_weights("unet", "membrane", {"membrane": good}) is good
    assert good.available() and good.to_json()["available"] is True
    bad = Weights("membrane", file="m.pt", folder=str(tmp_path), sha256="0" * 64)
    with pytest.raises(InvalidParameterError, match="does not match the sha256 recorded for 'membrane'"):
        resolve_weights("unet", "membrane", {"membrane": bad})


def test_a_file_replaced_after_its_first_check_is_caught(tmp_path):
    import os

    path = tmp_path / "m.pt"
    path.write_bytes(b"weights")
    record = Weights("membrane", file="m.pt", folder=str(tmp_path), sha256=hashlib.sha256(b"weights").hexdigest())
    assert resolve_weights("unet", "membrane", {"membrane": record}) is record  # checked, and remembered
    assert resolve_weights("unet", "membrane", {"membrane": record}) is record
    path.write_bytes(b"corrupt")  # same size: only the modification time tells
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    with pytest.raises(InvalidParameterError, match="does not match the sha256 recorded"):
        resolve_weights("unet", "membrane", {"membrane": record})


def test_a_missing_shipped_file_says_where_to_get_it(tmp_path):
    gone = Weights("camvid", file="c.pt", folder=str(tmp_path), url="https://example.org/c.pt")
    with pytest.raises(InvalidParameterError, match="not installed .* https://example.org/c.pt"):
        resolve_weights("deeplab", "camvid", {"camvid": gone})


def test_a_path_is_a_checkpoint_and_anything_else_is_a_clear_error(tmp_path):
    (tmp_path / "mine.pt").write_bytes(b"x")
    assert resolve_weights("unet", str(tmp_path / "mine.pt"), {}) == tmp_path / "mine.pt"
    with pytest.raises(InvalidParameterError, match="neither a shipped name nor a file. Did you mean 'membrane'"):
        resolve_weights("unet", "membrain", {"membrane": Weights("membrane")})
    with pytest.raises(InvalidParameterError, match="no trained weights .* `seglab train unet --data DIR"):
        resolve_weights("unet", None, {})
