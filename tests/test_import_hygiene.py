"""Importing seglab and listing methods must not import heavy optional packages."""

import json
import subprocess
import sys


def test_import_is_light():
    code = (
        "import sys, json, seglab; seglab.list_methods(); "
        "print(json.dumps(sorted(m for m in ('torch', 'dask', 'matplotlib', 'torchvision') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
