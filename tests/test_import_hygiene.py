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


def test_without_torch_the_model_methods_say_which_extra_to_install(tmp_path):
    """Issue 9: with torch absent, `import seglab` and `seglab methods` work; `seglab segment unet` exits 3."""
    import numpy as np
    from PIL import Image

    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['torchvision'] = None\n"
        "import seglab; from seglab.cli import main\n"
        "assert 'unet' in [m.name for m in seglab.list_methods()]\n"
        "assert not seglab.get_method('unet').available()\n"
        "assert main(['methods']) == 0\n"
        f"sys.exit(main(['segment', 'unet', {str(tmp_path / 'a.png')!r}, '-o', {str(tmp_path / 'o')!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    assert 'unet needs the optional package \'torch\'; install it with: pip install "seglab[torch]"' in done.stderr
    assert "unet" in done.stdout and "needs torch" in done.stdout  # `seglab methods` says what is missing
