"""Error types of seglab.

Every error subclasses :class:`SeglabError` *and* the builtin a caller would
naturally catch (``ValueError``, ``LookupError``, ``ImportError``), so plain
``except ValueError`` keeps working.

Examples
--------
>>> from seglab.core.errors import InvalidParameterError
>>> issubclass(InvalidParameterError, ValueError)
True
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable

__all__ = [
    "SeglabError",
    "InvalidImageError",
    "InvalidParameterError",
    "UnknownParameterError",
    "UnknownMethodError",
    "MissingDependencyError",
    "did_you_mean",
    "warn_caller",
]


class SeglabError(Exception):
    """Base class of every error raised on purpose by seglab."""


class InvalidImageError(SeglabError, ValueError):
    """The image (or a label/mask array) cannot be used: shape, dtype, values or file."""


class InvalidParameterError(SeglabError, ValueError):
    """A parameter value is out of range, of the wrong type, or inconsistent."""


class UnknownParameterError(InvalidParameterError, TypeError):
    """A keyword that the method does not take (a ``TypeError`` too, as Python raises)."""


class UnknownMethodError(SeglabError, LookupError):
    """No method is registered under the requested name."""


class MissingDependencyError(SeglabError, ImportError):
    """An optional dependency is missing; the message names the pip extra to install."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest choice, or ``""``.

    Examples
    --------
    >>> did_you_mean("otsuu", ["otsu", "li"])
    " Did you mean 'otsu'?"
    """
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"


class CheckpointError(SeglabError, ValueError):
    """A model checkpoint file cannot be used: not a checkpoint, corrupt, another architecture, mismatched weights."""


__all__ += ["CheckpointError"]


def warn_caller(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn, attributing the warning to the first caller outside seglab (so it shows where the user's code is).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_caller("old name", DeprecationWarning)
    >>> caught[0].category.__name__, str(caught[0].message)
    ('DeprecationWarning', 'old name')
    """
    import sys
    from pathlib import Path

    package = str(Path(__file__).resolve().parents[1])
    level, frame = 1, sys._getframe(1)
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(package):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=level + 1)
