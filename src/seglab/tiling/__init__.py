"""Images larger than memory and folders of thousands of images, on Dask.

:func:`run` segments one image tile by tile, as the method's registry entry
declares it tiles (``pointwise``, ``local`` with its halo, ``global`` fitted
once, ``instance`` stitched across seams, ``model`` blended), reading the
input lazily and writing the labels to zarr, OME-Zarr or a tiled TIFF.
:func:`run_batch` segments many files on a ``dask.distributed`` cluster.
``import seglab.tiling`` is light: dask is imported when a run starts
(``pip install "seglab[dask]"``).

Examples
--------
>>> import numpy as np, seglab.tiling
>>> img = np.zeros((300, 300), np.uint8); img[50:250, 90:210] = 200
>>> result = seglab.tiling.run(img, "otsu", tile_size=97)
>>> bool((np.asarray(result.labels) == seglab.segment(img, "otsu").labels).all())
True
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["run", "TiledSegmentation", "run_batch", "BatchReport", "local_cluster", "connect", "open_image", "plan_tiles"]

_LAZY = {
    "run": "seglab.tiling.engine",
    "TiledSegmentation": "seglab.tiling.engine",
    "run_batch": "seglab.tiling.batch",
    "local_cluster": "seglab.tiling.batch",
    "connect": "seglab.tiling.batch",
    "BatchReport": "seglab.tiling.batch",
    "open_image": "seglab.tiling.sources",
    "plan_tiles": "seglab.tiling.plan",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'seglab.tiling' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
