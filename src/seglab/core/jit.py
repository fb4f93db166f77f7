"""Compiled kernels, compiled on first use: :func:`jit`.

A few loops have no fast numpy/OpenCV form (the priority queue of seeded
region growing, union-find labelling of many classes at once). They are
written as plain Python functions over arrays and compiled by numba
(``nopython`` mode). numba is imported and the kernel compiled only when the
kernel is first called, so ``import seglab`` and methods that need no kernel
stay light; compiled code is cached on disk (``cache=True``), so later
processes load it instead of compiling again.

Examples
--------
>>> import numpy as np
>>> @jit
... def total(values):
...     s = 0
...     for v in values:
...         s += v
...     return s
>>> int(total(np.arange(5)))
10
>>> total.py_func(np.arange(5)) == 10  # the Python function itself, for tests and debugging
np.True_
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

__all__ = ["jit"]


class _Kernel:
    """A Python function that numba compiles (``nopython``, cached) the first time it is called."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        functools.update_wrapper(self, fn)
        self.py_func = fn
        self._compiled: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        if self._compiled is None:
            import numba

            on_disk = os.path.isfile(self.py_func.__code__.co_filename)  # functions typed in a session are not cached
            self._compiled = numba.njit(cache=on_disk, nogil=True)(self.py_func)
        return self._compiled(*args)


def jit(fn: Callable[..., Any]) -> _Kernel:
    """Decorate a kernel: compiled with ``numba.njit(cache=True, nogil=True)`` when first called.

    (Functions not defined in a file, e.g. typed into a session, are compiled without the disk cache.)

    Kernels take and return arrays and scalars only (numba's ``nopython``
    mode); ``kernel.py_func`` is the uncompiled function.
    """
    return _Kernel(fn)
