"""The only helper for optional dependencies.

Examples
--------
>>> import json
>>> require("json", extra="core") is json
True
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError

__all__ = ["require"]


def require(module: str, *, extra: str) -> ModuleType:
    """Import `module`, or raise :class:`MissingDependencyError` naming ``seglab[extra]``.

    Only a ``ModuleNotFoundError`` for `module` itself (or its parent package)
    is translated; any other import error propagates unchanged. Never installs anything.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        root = module.split(".")[0]
        if exc.name not in (module, root):
            raise
        raise MissingDependencyError(
            f"{module!r} is not installed; install it with: pip install \"seglab[{extra}]\""
        ) from None
