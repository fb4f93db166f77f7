"""Which files a batch reads, and the output name each one gets.

Inputs are files, folders (their image files, not recursive) or glob
patterns; seglab's own outputs (``*.labels.png``, ``*.overlay.png``, ...)
found in a folder are never taken as inputs. Inputs whose stems collide get
their folder names prefixed (``a__x``, ``b__x``).

Examples
--------
>>> from pathlib import Path
>>> output_stems([Path("a/x.png"), Path("b/x.png"), Path("b/y.tif")])
['a__x', 'b__x', 'y']
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

from ..core.errors import InvalidParameterError
from ..io.naming import file_stem, file_suffix, is_output_file

__all__ = ["expand_inputs", "output_stems"]


#: Words that, left among the inputs, were meant as the value of an on/off option.
_SWITCH_WORDS = frozenset({"true", "false", "yes", "no", "on", "off"})


def expand_inputs(patterns: Sequence[str], *, recursive: bool = False) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files named by `patterns`, in order and without duplicates, and the patterns that named none.

    A folder gives its image files (by suffix, and DICOM files without one by
    their header; with `recursive`, those of its
    sub-folders too, hidden ones left out); a glob pattern
    gives the image files it matches; a file is taken as it is. Files named
    like seglab's own outputs (``*.labels.png``, ``*.overlay.png``, ...) are
    skipped when a folder or pattern is expanded.

    Examples
    --------
    >>> expand_inputs(["no/such/file.png"])
    ([], [('no/such/file.png', 'no such file or folder; check the path.')])
    """
    from ..io import IMAGE_SUFFIXES, is_dicom_file

    def images(paths: list[Path]) -> list[Path]:
        # DICOM files often have no suffix at all (IM000001): those are recognised by their header
        return sorted(p for p in paths if p.is_file() and not is_output_file(p)
                      and (p.name.lower().endswith(IMAGE_SUFFIXES) or (not p.suffix and is_dicom_file(p))))

    files: list[Path] = []
    failures: list[tuple[str, str]] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_file():
            found = [path]
        elif path.is_dir():
            found = images([p for p in path.rglob("*") if not any(part.startswith(".") for part in
                                                                 p.relative_to(path).parts)]
                           if recursive else list(path.iterdir()))
            if not found:
                failures.append((pattern, f"the folder holds no images ({', '.join(IMAGE_SUFFIXES)})."))
        elif glob.has_magic(pattern):
            found = images([Path(p) for p in glob.glob(pattern, recursive=True)])
            if not found:
                failures.append((pattern, "no image files match this pattern."))
        else:
            found = []
            hint = ""
            if pattern.lower() in _SWITCH_WORDS:  # `--fill-holes false` left "false" among the inputs
                hint = (" On/off options take no value: give --OPTION alone to turn one on (--no-OPTION turns it "
                        "off, where offered).")
            failures.append((pattern, "no such file or folder; check the path." + hint))
        files.extend(found)
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, failures


def output_stems(files: Sequence[Path]) -> list[str]:
    """One output name stem per file, unique (case-insensitively) across the batch.

    Files whose stems collide get as many parent folder names prefixed as make
    them unique (``a__x``, ``b__x``); files in one folder that differ only in
    suffix keep it (``x_png``, ``x_tif``).

    Examples
    --------
    >>> output_stems([Path("d/x.png"), Path("d/x.tif"), Path("e/x.png")])
    ['x_png', 'x_tif', 'x']
    """
    parents = [f.resolve().parent.parts[1:] for f in files]
    stems = [file_stem(f) for f in files]
    groups: dict[str, list[int]] = {}
    for i, stem in enumerate(stems):
        groups.setdefault(stem.casefold(), []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        in_one_folder = {i for i in members for j in members if i != j and parents[i] == parents[j]}
        for depth in range(max(len(parents[i]) for i in members) + 1):
            names = [_prefixed(files[i], parents[i][len(parents[i]) - depth:] if depth else (), i in in_one_folder)
                     for i in members]
            if len({n.casefold() for n in names}) == len(names):
                break
        for i, new_name in zip(members, names):
            stems[i] = new_name
    if len({s.casefold() for s in stems}) != len(stems):
        raise InvalidParameterError(
            "cannot give every input its own output name; segment clashing files into separate output folders."
        )
    return stems


def _prefixed(file: Path, folders: Sequence[str], keep_suffix: bool) -> str:
    base = "__".join([*folders, file_stem(file)])
    return f"{base}_{file_suffix(file).lstrip('.').replace('.', '_')}" if keep_suffix else base
