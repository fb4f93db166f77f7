"""pytest: the doctests of :mod:`.medical` need the medical extra; without it they are not collected."""

import importlib.util

collect_ignore = [] if all(importlib.util.find_spec(m) for m in ("pydicom", "nibabel")) else ["medical.py"]
