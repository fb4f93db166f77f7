"""Where uploads wait for their job: a private folder, random file names, nothing the client names.

The client's file name is kept only as text (:func:`client_name`, for
messages, the sidecar and download names, :func:`output_stem`); the file is
stored as ``<random hex><suffix>`` in a folder only the server's user can
read, and removed when its job ends.

Examples
--------
>>> client_name("../../etc/passwd"), client_name("C:\\\\photos\\\\my cat.JPG"), client_name(None)
('passwd', 'my cat.JPG', 'upload')
>>> output_stem("my cat.JPG"), output_stem("..."), output_stem("a.b.tif"), output_stem("scan.nii.gz")
('my_cat', 'image', 'a.b', 'scan')
>>> label_file_suffix(b'  {"images": []}'), label_file_suffix(b"MATLAB 5.0 MAT-file"), label_file_suffix(b"\\x89PNG")
('.json', '.mat', '.png')
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from ..io.naming import file_stem
from .work import Upload

__all__ = ["UploadStore", "client_name", "output_stem", "label_file_suffix", "kept_suffix"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_HDF5 = b"\x89HDF\r\n\x1a\n"  # MATLAB v7.3 files are HDF5


def client_name(filename: str | None) -> str:
    """The last part of the client's file name, printable, at most 100 characters ("upload" when none)."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()[:100]
    return base if base.strip(".") else "upload"


def output_stem(name: str) -> str:
    """A file-name stem for the outputs of `name`: its suffix dropped, letters, digits, ``._-`` only."""
    stem = _UNSAFE.sub("_", file_stem(name) if "." in name.strip(".") else name).strip("._")
    return stem[:80] or "image"


def kept_suffix(name: str | None) -> str:
    """The part of a client's file name an upload keeps: ``.nii.gz``, which a gzipped NIfTI is recognised by (its
    content starts like any gzip file); nothing else (every other format is told by its content).

    Examples
    --------
    >>> kept_suffix("Brain.NII.GZ"), kept_suffix("scan.nii"), kept_suffix("a.png"), kept_suffix(None)
    ('.nii.gz', '', '', '')
    """
    return ".nii.gz" if (name or "").lower().endswith(".nii.gz") else ""


def label_file_suffix(head: bytes, name: str | None = None) -> str:
    """The suffix :mod:`seglab.evaluation.pairing` needs to read a label file: from its first bytes, not its name.

    JSON (COCO) gives ``.json``, a MATLAB file ``.mat``; anything else is a
    label image, which the reader recognises by its content (``.png``), but
    for a gzipped NIfTI, told by the ``.nii.gz`` of the client's `name`.

    Examples
    --------
    >>> label_file_suffix(b'{"images": []}'), label_file_suffix(b"\\x1f\\x8b", "seg.nii.gz"), label_file_suffix(b"\\x89PNG")
    ('.json', '.nii.gz', '.png')
    """
    if kept_suffix(name):
        return kept_suffix(name)
    start = head.lstrip()[:1]
    if start in (b"{", b"["):
        return ".json"
    if head.startswith(b"MATLAB") or head.startswith(_HDF5):
        return ".mat"
    return ".png"


class UploadStore:
    """A private temporary folder for uploads (mode 0700), removed by :meth:`close`.

    Examples
    --------
    >>> import io
    >>> store = UploadStore()
    >>> up = store.save(io.BytesIO(b"data"), "../x.png")
    >>> up.name, Path(up.path).parent == store.root, Path(up.path).read_bytes()
    ('x.png', True, b'data')
    >>> store.remove([up]); store.close(); store.root.exists()
    False
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="seglab-web-"))

    def save(self, source: BinaryIO, filename: str | None, *, suffix: str = "") -> Upload:
        """Copy `source` into a new file with a random name (and `suffix`, chosen by the server)."""
        path = self.root / f"{secrets.token_hex(16)}{suffix}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        return Upload(str(path), client_name(filename))

    def remove(self, uploads: list[Upload]) -> None:
        """Delete the files of `uploads` (those already gone are ignored)."""
        for upload in uploads:
            Path(upload.path).unlink(missing_ok=True)

    def close(self) -> None:
        """Delete the folder and whatever is left in it."""
        shutil.rmtree(self.root, ignore_errors=True)
