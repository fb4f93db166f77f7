"""Time and peak RSS of dask-image's ``ndmeasure.label`` on a thresholded TIFF, written to zarr.

The reference point for docs/bench/tiling.md: the same mask as ``seglab segment otsu IMAGE --as instance
--tile-size 1024`` (pass the threshold that run reports in its sidecar), in 1024-pixel chunks, 2 threads.

Usage::

    python benchmarks/tiling/dask_image_label.py /tmp/seglab-scale/big20000.tif 128 /tmp/seglab-scale/dask_image.zarr
"""

from __future__ import annotations

import resource
import sys
import time

import dask
import dask.array as da
import numpy as np
import tifffile
import zarr
from dask_image.ndmeasure import label


def main() -> None:
    path, threshold, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    image = da.from_zarr(zarr.open_array(tifffile.imread(path, aszarr=True), mode="r")).rechunk(1024)
    start = time.perf_counter()
    labels, _ = label(image > threshold, np.ones((3, 3), bool))  # 8-connectivity, as seglab's --as instance
    with dask.config.set(scheduler="threads", num_workers=2):
        da.to_zarr(labels, out, overwrite=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{time.perf_counter() - start:.1f} s, peak RSS {peak:.2f} GiB")


if __name__ == "__main__":
    main()
