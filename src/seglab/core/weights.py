"""Named weight records of model methods: torch-free data the registry, ``seglab info`` and the web page read.

A :class:`Weights` record says where a trained checkpoint lives (a file
shipped in the package, a local path or a URL that is never fetched
implicitly), how to check it (sha256), what it predicts (class names), how
inputs are normalised before the network sees them, under which licence its
training data may be used, and what it scored on data it never saw.

Examples
--------
>>> w = Weights(name="membrane", file="unet-membrane.pt", classes=("membrane", "cell"),
...             normalization={"kind": "percentile", "low": 1.0, "high": 99.8},
...             licence="research use with citation", figures={"cell_iou": 0.93})
>>> w.to_json()["classes"], w.to_json()["figures"]
(['membrane', 'cell'], {'cell_iou': 0.93})
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InvalidParameterError, did_you_mean

__all__ = ["Weights", "resolve_weights", "sha256_of"]


@dataclass(frozen=True)
class Weights:
    """One named set of trained weights of a model method.

    Parameters
    ----------
    name : str
        The name users pass as ``weights=...`` (e.g. ``"membrane"``).
    file : str
        Checkpoint file name, relative to `folder` (the package's weights folder).
    url : str
        Where the file can be fetched by hand; seglab never downloads it.
    sha256 : str
        Hex digest of the file, checked before loading when given.
    classes : tuple of str
        Class names; ``classes[i]`` names class id ``i``.
    normalization : mapping
        Input normalisation applied inside predict (e.g. ``{"kind": "percentile", ...}``).
    licence : str
        Licence of the training data (and so of the weights' use).
    figures : mapping
        Scores on held-out data, e.g. ``{"cell_iou": 0.93, "data": "ISBI 2012 slices 25-29"}``.
    card : str
        Model card file name next to the checkpoint (data, split, command, figures).
    description : str
        One line for listings.
    folder : str
        Folder holding `file` and `card`; set by the method that ships them.
    """

    name: str
    file: str = ""
    url: str = ""
    sha256: str = ""
    classes: tuple[str, ...] = ()
    normalization: Mapping[str, Any] = field(default_factory=dict)
    licence: str = ""
    figures: Mapping[str, Any] = field(default_factory=dict)
    card: str = ""
    description: str = ""
    folder: str = ""

    @property
    def path(self) -> Path | None:
        """The local checkpoint file, or None when only a URL is known."""
        if not self.file:
            return None
        return Path(self.folder) / self.file if self.folder else Path(self.file)

    def available(self) -> bool:
        """Whether the checkpoint file is present locally."""
        path = self.path
        return path is not None and path.is_file()

    def to_json(self) -> dict[str, Any]:
        """What ``seglab info --json`` lists under ``weights``."""
        return {
            "name": self.name,
            "file": self.file,
            "url": self.url,
            "sha256": self.sha256,
            "classes": list(self.classes),
            "normalization": dict(self.normalization),
            "licence": self.licence,
            "figures": dict(self.figures),
            "card": self.card,
            "description": self.description,
            "available": self.available(),
        }


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex sha256 digest of a file, read in 1 MiB chunks.

    Examples
    --------
    >>> import tempfile
    >>> p = tempfile.mktemp(); _ = open(p, "wb").write(b"abc")
    >>> sha256_of(p)[:12]
    'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


#: Digests already computed, by (path, size, modification time): a shipped file is hashed once per process,
#: not on every call (11.6 MB take about 17 ms), and again only when the file changes.
_DIGESTS: dict[tuple[str, int, int], str] = {}


def _checked_digest(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256_of(path)
    return _DIGESTS[key]


def resolve_weights(method: str, weights: str | None, known: Mapping[str, Weights],
                    param: str = "weights") -> Weights | Path:
    """The record named `weights`, or the checkpoint path it names; a clear error otherwise.

    A name among `known` gives its record (its file must be present and match
    its sha256 when one is recorded); anything else must be an existing file.
    Messages name the value as `param` (``"init"`` where training starts from it).

    Raises
    ------
    InvalidParameterError
        No weights given, an unknown name that is not a file, a missing shipped
        file, or a file whose digest differs from the record.

    Examples
    --------
    >>> resolve_weights("unet", None, {})
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: unet has no trained weights to run with: ...
    """
    if weights is None:
        names = ", ".join(repr(n) for n in known) or "none shipped"
        raise InvalidParameterError(
            f"{method} has no trained weights to run with: pass {param}=NAME ({names}) or {param}=PATH to a "
            f"checkpoint, or train one with `seglab train {method} --data DIR --out ckpt.pt`."
        )
    if weights in known:
        record = known[weights]
        path = record.path
        if path is None or not path.is_file():
            where = f" from {record.url}" if record.url else ""
            raise InvalidParameterError(
                f"{method}: the weights {weights!r} are not installed (expected {path}); fetch the file by "
                f"hand{where} and pass {param}=PATH."
            )
        if record.sha256 and _checked_digest(path) != record.sha256:
            raise InvalidParameterError(
                f"{method}: {path} does not match the sha256 recorded for {weights!r}; the file is corrupt or "
                f"was replaced. Reinstall seglab or pass {param}=PATH to your own checkpoint."
            )
        return record
    path = Path(weights).expanduser()
    if path.is_file():
        return path
    raise InvalidParameterError(
        f"{method}: {param}={weights!r} is neither a shipped name nor a file."
        + did_you_mean(weights, known)
        + f" Shipped: {', '.join(repr(n) for n in known) or 'none'}."
    )
