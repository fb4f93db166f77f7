"""Which HTTP status each error gets, and the one-line text the client reads.

===============================================  ======  ==============================================
error                                            status  meaning
===============================================  ======  ==============================================
:class:`~seglab.web.runner.QueueFullError`       429     every worker busy and the queue full: retry later
seglab's errors and any ``ValueError``           422     bad parameter, unknown method, unreadable image
:class:`~seglab.MissingDependencyError`          501     the method needs an extra the server lacks
:class:`~seglab.web.runner.WorkerLostError`      503     the worker died or was restarted: retry
:class:`~seglab.web.runner.JobTimeoutError`      504     the job ran past the server's time limit
anything else                                    500     a bug: the text asks to report it
===============================================  ======  ==============================================

Examples
--------
>>> from seglab.core.errors import InvalidParameterError
>>> describe(InvalidParameterError("otsu: nbins=1 is out of range; it must lie in [2, 65536]."))
(422, 'InvalidParameterError', 'otsu: nbins=1 is out of range; it must lie in [2, 65536].')
>>> describe(KeyError("x"))[0]
500
"""

from __future__ import annotations

from ..core.errors import MissingDependencyError, SeglabError
from .runner import JobTimeoutError, QueueFullError, WorkerLostError

__all__ = ["describe"]


def describe(exc: BaseException) -> tuple[int, str, str]:
    """(HTTP status, error type name, one-line message) of `exc` (see the module docstring)."""
    text = " ".join(str(exc).split())
    if isinstance(exc, QueueFullError):
        status = 429
    elif isinstance(exc, MissingDependencyError):
        status = 501
    elif isinstance(exc, WorkerLostError):
        status = 503
    elif isinstance(exc, JobTimeoutError):
        status = 504
    elif isinstance(exc, (SeglabError, ValueError)):
        status = 422
    else:
        status = 500
        text = f"unexpected {type(exc).__name__}: {text} (please report this)"
    return status, type(exc).__name__, text
