"""pytest: skip collecting the modules that need the ``web`` extra where it is not installed.

``--doctest-modules`` imports every module under ``src/seglab``; these three
import FastAPI (or pydantic, starlette) at their top, so a core-only install
must not collect them. Their tests live in ``tests/web`` and skip alike.
"""

from __future__ import annotations

import importlib.util

_NEEDED = ("fastapi", "uvicorn", "python_multipart")

collect_ignore = [] if all(importlib.util.find_spec(m) for m in _NEEDED) else ["app.py", "models.py", "limits.py"]
