"""The only helper for optional dependencies: which extra provides a package, and importing it.

:func:`require` imports a package or raises :class:`MissingDependencyError`
with the pip command; :func:`is_installed` only checks (``find_spec``, nothing
is imported), which is what the registry and ``seglab methods`` use to tell
whether a method can run. Nothing here ever installs anything.

Examples
--------
>>> import json
>>> require("json") is json
True
>>> extra_of("torchvision"), is_installed("json")
('torch', True)
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .errors import MissingDependencyError

__all__ = ["require", "is_installed", "extra_of", "install_hint", "EXTRAS"]

#: Top-level package -> the seglab extra that installs it.
EXTRAS: dict[str, str] = {
    "torch": "torch",
    "torchvision": "torch",
    "onnx": "onnx",
    "onnxruntime": "onnx",
    "dask": "dask",
    "distributed": "dask",
    "zarr": "dask",
    "fastapi": "web",
    "uvicorn": "web",
    "multipart": "web",
    "matplotlib": "eval",
    "pydicom": "medical",
    "nibabel": "medical",
    "highdicom": "medical",
}


def extra_of(module: str) -> str:
    """The seglab extra that provides `module` (its top-level package; the package name itself if unknown).

    Examples
    --------
    >>> extra_of("dask.array"), extra_of("somepkg")
    ('dask', 'somepkg')
    """
    root = module.split(".")[0]
    return EXTRAS.get(root, root)


def install_hint(module: str) -> str:
    """``pip install "seglab[EXTRA]"`` for `module`.

    Examples
    --------
    >>> install_hint("torch")
    'pip install "seglab[torch]"'
    """
    return f'pip install "seglab[{extra_of(module)}]"'


def is_installed(module: str) -> bool:
    """Whether `module` can be imported; checked with ``find_spec``, never imported.

    Examples
    --------
    >>> is_installed("no_such_package_xyz")
    False
    """
    root = module.split(".")[0]
    try:
        return importlib.util.find_spec(root) is not None
    except (ImportError, ValueError):  # a broken or half-imported package
        return False


def require(module: str, *, extra: str | None = None, feature: str = "") -> ModuleType:
    """Import `module`, or raise :class:`MissingDependencyError` with the pip command that installs it.

    Only a ``ModuleNotFoundError`` for `module` itself (or its top-level package)
    is translated; any other import error propagates unchanged.

    Parameters
    ----------
    module : str
        Module to import, e.g. ``"torch"`` or ``"dask.array"``.
    extra : str, optional
        The seglab extra to name; default from :data:`EXTRAS`.
    feature : str, optional
        What needs it, for the message (e.g. ``"unet"``).

    Examples
    --------
    >>> require("no_such_package_xyz", extra="torch", feature="unet")
    Traceback (most recent call last):
    ...
    seglab.core.errors.MissingDependencyError: unet needs the optional package 'no_such_package_xyz'; ...
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        root = module.split(".")[0]
        if exc.name not in (module, root):
            raise
        who = f"{feature} needs" if feature else "seglab needs"
        hint = f'pip install "seglab[{extra}]"' if extra else install_hint(module)
        raise MissingDependencyError(f"{who} the optional package {root!r}; install it with: {hint}") from None
