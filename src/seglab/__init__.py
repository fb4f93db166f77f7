"""seglab: image segmentation, every family of technique behind one signature.

Examples
--------
>>> import numpy as np, seglab
>>> img = np.zeros((8, 8), np.uint8); img[2:6, 2:6] = 200
>>> seg = seglab.segment(img, "otsu")
>>> seg.meta["threshold"], seg.classes
(0.0, ('background', 'foreground'))
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Segmentation": "seglab.core.types",
    "Segment": "seglab.core.types",
    "segment": "seglab.core.registry",
    "list_methods": "seglab.core.registry",
    "get_method": "seglab.core.registry",
    "MethodSpec": "seglab.core.registry",
    "to_gray": "seglab.core.validate",
    "SeglabError": "seglab.core.errors",
    "InvalidImageError": "seglab.core.errors",
    "InvalidParameterError": "seglab.core.errors",
    "UnknownParameterError": "seglab.core.errors",
    "UnknownMethodError": "seglab.core.errors",
    "MissingDependencyError": "seglab.core.errors",
    "read_image": "seglab.io",
    "to_semantic": "seglab.modes",
    "to_instance": "seglab.modes",
    "to_panoptic": "seglab.modes",
    "segment_stack": "seglab.run.stacks",
    "train": "seglab.deep.training",
    "export": "seglab.deep.training",
}

#: Subpackages reachable as attributes (``seglab.io.read_labels``) without importing them up front.
_SUBMODULES = ("core", "io", "metrics", "postprocess", "modes", "run", "evaluation", "classical", "deep", "tiling",
               "cli")

__all__ = ["__version__", *_LAZY, *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"seglab.{name}")
    else:
        raise AttributeError(f"module 'seglab' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
