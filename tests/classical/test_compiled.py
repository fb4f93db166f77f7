"""Compiled kernels (numba) load only when a kernel is first called."""

import json
import subprocess
import sys


def test_numba_is_imported_only_by_a_kernel_call():
    code = (
        "import sys, json, numpy as np, seglab; seglab.list_methods(); "
        "seglab.segment(np.zeros((8, 8), np.uint8), 'otsu'); before = ['numba' in sys.modules, 'scipy' in sys.modules]; "
        "seglab.segment(np.zeros((8, 8), np.uint8), 'region_growing', seeds=[(0, 0)], tolerance=1); "
        "print(json.dumps([*before, 'numba' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [False, False, True]  # neither numba nor SciPy for a threshold
