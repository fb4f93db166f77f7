"""Jobs for the runner's tests: module-level, so that a spawned worker process can import them."""

from __future__ import annotations

import os
import signal
import time


def nap(seconds: float) -> float:
    """Sleep (Python code: the worker's time limit stops it)."""
    time.sleep(seconds)
    return seconds


def stubborn(seconds: float) -> float:
    """Sleep with the time-limit signal ignored, as a C call that never returns would behave."""
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    time.sleep(seconds)
    return seconds


def crash(code: int) -> None:
    """End the worker process at once, as the kernel's out-of-memory killer would."""
    os._exit(code)


def refuse(text: str) -> None:
    """Fail like a bad parameter."""
    raise ValueError(text)


def blob(size: int) -> dict[str, bytes]:
    """A result holding `size` bytes of files."""
    return {"files": {"x.bin": bytes(size)}}
