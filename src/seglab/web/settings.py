"""The server's limits and sizes, checked once when it starts.

Examples
--------
>>> Settings().host, Settings(max_upload_mb=2).max_upload_bytes
('127.0.0.1', 2097152)
>>> Settings(workers=0)
Traceback (most recent call last):
...
ValueError: workers must be at least 1; got 0.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["Settings"]

#: Upper bounds of the float options: a week of seconds, a terabyte of megabytes (finite, so inf is refused).
_MOST = {"max_upload_mb": 2.0**20, "timeout": 7 * 86400.0, "wait": 7 * 86400.0, "keep_seconds": 365 * 86400.0,
         "keep_mb": 2.0**20}


@dataclass(frozen=True)
class Settings:
    """How ``seglab serve`` runs: where it listens, how much work it takes, what it refuses.

    Attributes
    ----------
    host, port : str, int
        Where to listen; loopback only by default.
    workers : int
        Worker processes that segment (default: the CPU count, at most 4).
    queue_size : int
        Jobs that may wait for a worker; one more gets 429 (never an unbounded backlog).
    max_upload_mb : float
        Largest request body (image and other uploads together); larger gets 413.
    max_pixels : int
        Largest image, height x width, checked from the header before decoding (decompression bombs).
    timeout : float
        Seconds one job (one method of a comparison) may run before it is stopped.
    wait : float
        Seconds a request waits for its job before answering 202 with the job id to poll.
    keep_seconds, keep_mb : float
        Finished jobs (and their files) are kept this long, and in all at most this much.
    preview_side : int
        Longest side of the previews a page asks for, at most.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = min(4, os.cpu_count() or 1)
    queue_size: int = 32
    max_upload_mb: float = 100.0
    max_pixels: int = 50_000_000
    timeout: float = 300.0
    wait: float = 10.0
    keep_seconds: float = 900.0
    keep_mb: float = 1024.0
    preview_side: int = 2048

    def __post_init__(self) -> None:
        for name in ("workers", "max_pixels", "preview_side"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1; got {getattr(self, name)}.")
        for name in ("max_upload_mb", "timeout", "keep_seconds", "keep_mb"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number; got {getattr(self, name)}.")
        if self.queue_size < 0 or self.wait < 0:
            raise ValueError(f"queue_size and wait may not be negative; got {self.queue_size} and {self.wait}.")
        for name in ("max_upload_mb", "timeout", "wait", "keep_seconds", "keep_mb"):
            if getattr(self, name) > _MOST[name]:  # also inf; the job timer (setitimer) refuses 1e10 s and more
                raise ValueError(f"{name} must be at most {_MOST[name]:g}; got {getattr(self, name)}.")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must lie in [0, 65535]; got {self.port}.")

    @property
    def max_upload_bytes(self) -> int:
        """`max_upload_mb` in bytes."""
        return int(self.max_upload_mb * 2**20)
