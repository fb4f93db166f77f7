"""The weights shipped with seglab: one JSON record beside each checkpoint in ``seglab/deep/weights/``.

A record (``<method>-<name>.json``) names the method and the weights, and
holds what ``seglab info METHOD --json`` shows without torch: the file and
its sha256, the class names, the input normalisation, the data licence, the
figures measured on held-out data and the model card (``<method>-<name>.md``).
:func:`write_record` makes it from a checkpoint, so the two cannot disagree.

Examples
--------
>>> [w.name for w in shipped("no_such_method")]
[]
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.weights import Weights, sha256_of

__all__ = ["FOLDER", "shipped", "write_record"]

#: Where shipped checkpoints, their records and model cards live.
FOLDER = Path(__file__).resolve().parent / "weights"


def shipped(method: str) -> tuple[Weights, ...]:
    """The weights shipped for `method`, from the JSON records in :data:`FOLDER`."""
    records = []
    for path in sorted(FOLDER.glob(f"{method}-*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("method") != method:
            continue
        records.append(Weights(
            name=doc["name"], file=doc["file"], url=doc.get("url", ""), sha256=doc["sha256"],
            classes=tuple(doc["classes"]), normalization=doc["normalization"], licence=doc["licence"],
            figures=doc.get("figures", {}), card=doc.get("card", ""), description=doc.get("description", ""),
            folder=str(FOLDER),
        ))
    return tuple(records)


def write_record(checkpoint: str | os.PathLike[str], *, method: str, name: str, licence: str,
                 figures: Mapping[str, Any], description: str, card: str = "") -> Path:
    """Write the JSON record of a checkpoint in :data:`FOLDER` (needs torch to read the checkpoint).

    The checkpoint must already be in :data:`FOLDER`; its classes and
    normalisation are copied from it and its sha256 computed.

    Returns
    -------
    Path
        The record, ``<method>-<name>.json``.
    """
    from ..core.optional import require

    require("torch", extra="torch", feature="write_record")
    from ._torch.checkpoint import read_checkpoint

    path = Path(checkpoint).resolve()
    if path.parent != FOLDER:
        raise ValueError(f"{path} is not in {FOLDER}; copy the checkpoint there first.")
    raw = read_checkpoint(path)
    doc = {
        "method": method, "name": name, "file": path.name, "sha256": sha256_of(path),
        "classes": list(raw["classes"]), "normalization": raw["normalization"], "licence": licence,
        "figures": dict(figures), "description": description, "card": card,
    }
    out = FOLDER / f"{method}-{name}.json"
    out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return out
