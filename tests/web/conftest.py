"""Fixtures of the web tests: one running application (two workers) shared by the API tests, images as bytes."""

from __future__ import annotations

import struct
import zlib
from importlib.resources import files

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed (pip install 'seglab[web]')")
pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install 'seglab[web]')")
pytest.importorskip("python_multipart", reason="the web extra is not installed (pip install 'seglab[web]')")

from fastapi.testclient import TestClient  # noqa: E402

from seglab.io import encode_png, read_image, read_labels  # noqa: E402
from seglab.web import Settings  # noqa: E402
from seglab.web.app import create_app  # noqa: E402

SAMPLES = files("seglab") / "samples"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(workers=2, queue_size=2, wait=20, max_upload_mb=8, max_pixels=4_000_000, timeout=30)


@pytest.fixture(scope="session")
def client(settings):
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture(scope="session")
def coins_png() -> bytes:
    return (SAMPLES / "coins.png").read_bytes()


@pytest.fixture(scope="session")
def coins() -> np.ndarray:
    return read_image(SAMPLES / "coins.png")


def png_bomb(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, holding one row of data (a few hundred bytes)."""
    data = bytearray(encode_png(np.zeros((1, width), np.uint8)))
    data[20:24] = struct.pack(">I", height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


def labels_of(data: bytes, tmp_path, name: str = "labels.png") -> np.ndarray:
    """Label image bytes (PNG or TIFF) read back as int32."""
    path = tmp_path / name
    path.write_bytes(data)
    return read_labels(path)
