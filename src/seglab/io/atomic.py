"""Atomic file writes: every seglab writer goes through :func:`write_atomic`.

The data goes to a hidden temporary file in the destination folder, which is
then renamed over the destination (``os.replace``, atomic on POSIX and
Windows). A crash or Ctrl-C leaves either the old file or the new one, never
half of one, and the temporary file is removed. (The check that the
destination does not exist comes just before the rename, so a file another
process creates in between would be replaced.)

Examples
--------
>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = write_atomic(os.path.join(folder, "a.txt"), b"hello")
>>> open(path, "rb").read()
b'hello'
>>> write_atomic(path, b"again")
Traceback (most recent call last):
...
FileExistsError: ...a.txt already exists; pass overwrite=True (command line: --overwrite) to replace it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

__all__ = ["write_atomic", "write_together", "check_target"]


def check_target(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Check that `path` may be written; return it as a :class:`~pathlib.Path`.

    Parameters
    ----------
    path : str or path-like
        Destination file.
    overwrite : bool
        Whether an existing file may be replaced.

    Returns
    -------
    Path

    Raises
    ------
    FileExistsError
        `path` exists and `overwrite` is false.
    IsADirectoryError
        `path` is a folder.
    FileNotFoundError
        The folder that should hold `path` does not exist.

    Examples
    --------
    >>> check_target("no-such-folder/x.png")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no-such-folder: the output folder does not exist; create it first.
    """
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder; give a file name to write.")
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: the output folder does not exist; create it first.")
    if not overwrite and target.exists():
        raise FileExistsError(
            f"{target} already exists; pass overwrite=True (command line: --overwrite) to replace it."
        )
    return target


def write_atomic(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False) -> Path:
    """Write `data` to `path` through a temporary file and a rename.

    Parameters
    ----------
    path : str or path-like
        Destination file; its folder must exist.
    data : bytes
        The complete file content.
    overwrite : bool
        Replace an existing file (default: refuse).

    Returns
    -------
    Path
        The destination.

    Raises
    ------
    FileExistsError, IsADirectoryError, FileNotFoundError
        See :func:`check_target`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "b.bin"
    >>> write_atomic(p, b"1") == p, write_atomic(p, b"22", overwrite=True).read_bytes()
    (True, b'22')
    """
    target = check_target(path, overwrite=overwrite)
    tmp = _write_temporary(target, data)
    try:
        os.replace(tmp, target)
    except BaseException:  # Ctrl-C included: never leave the temporary file behind
        tmp.unlink(missing_ok=True)
        raise
    return target


def _write_temporary(target: Path, data: bytes) -> Path:
    """`data` in a hidden file beside `target`, flushed to disk; removed again if anything fails."""
    # A name of our own in the same folder (so the rename stays on one file system);
    # opened with "x" so the file honours the umask, unlike tempfile.mkstemp's 0600.
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_together(files: Mapping[str | os.PathLike[str], bytes], *, overwrite: bool = False) -> list[Path]:
    """Write several files so that they appear together or not at all.

    Every target is checked first, then every file is written to a temporary
    file, and only then are they renamed into place. If anything fails or is
    interrupted (Ctrl-C) on the way, the temporary files and the files already
    renamed are removed, so a reader never finds part of the set.

    Parameters
    ----------
    files : mapping of path to bytes
        Destination -> complete content; their folders must exist.
    overwrite : bool
        Replace existing files (default: refuse before writing anything).

    Returns
    -------
    list of Path
        The destinations, in the order given.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in write_together({d / "a.txt": b"1", d / "b.txt": b"2"})]
    ['a.txt', 'b.txt']
    >>> write_together({d / "c.txt": b"3", d / "a.txt": b"4"})
    Traceback (most recent call last):
    ...
    FileExistsError: ...a.txt already exists; ...
    >>> (d / "c.txt").exists()
    False
    """
    targets = [check_target(p, overwrite=overwrite) for p in files]
    temporary: list[Path] = []
    placed: list[Path] = []
    try:
        for target, data in zip(targets, files.values()):
            temporary.append(_write_temporary(target, data))
        for tmp, target in zip(temporary, targets):
            os.replace(tmp, target)
            placed.append(target)
    except BaseException:
        for path in temporary + placed:
            path.unlink(missing_ok=True)
        raise
    return targets
