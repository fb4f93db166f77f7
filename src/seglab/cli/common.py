"""Plumbing every ``seglab`` command shares: the parser, usage errors, exit codes, a progress bar.

Commands import this module and :mod:`seglab.run`, never each other.

Exit codes: :data:`EXIT_OK` 0 all done; :data:`EXIT_FAILED` 1 some inputs
failed (the batch went on); :data:`EXIT_USAGE` 2 bad usage or parameters;
:data:`EXIT_MISSING` 3 a missing optional dependency.

Examples
--------
>>> parse_label_map("255=1,0=0")
{255: 1, 0: 0}
>>> Parser(prog="seglab demo").parse_args(["--nope"])
Traceback (most recent call last):
...
seglab.cli.common.UsageError: seglab demo: unrecognized arguments: --nope (see seglab demo --help)
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = [
    "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_MISSING", "UsageError", "Parser", "parse_label_map", "progress_bar",
    "print_failures",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_MISSING = 0, 1, 2, 3


class UsageError(Exception):
    """Bad command-line usage (exit code 2); the message is one line."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block) and exit code 2."""

    def error(self, message: str) -> Any:  # noqa: D102 - argparse hook
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def parse_label_map(text: str) -> dict[int, int]:
    """``"255=1,0=0"`` -> ``{255: 1, 0: 0}`` (``--label-map`` of ``seglab eval`` and ``seglab bench``).

    Examples
    --------
    >>> parse_label_map("1=x")
    Traceback (most recent call last):
    ...
    seglab.cli.common.UsageError: --label-map: expected OLD=NEW integer pairs such as 255=1,0=0; got '1=x'
    """
    out = {}
    for part in (p for p in text.split(",") if p.strip()):
        old, sep, new = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[int(old)] = int(new)
        except ValueError:
            raise UsageError(f"--label-map: expected OLD=NEW integer pairs such as 255=1,0=0; got {text!r}") from None
    if not out:
        raise UsageError("--label-map: give at least one OLD=NEW pair, e.g. 255=1")
    return out


@contextlib.contextmanager
def progress_bar(total: int, description: str) -> Iterator[Any]:
    """A rich progress bar on stderr when it is a terminal and there is more than one item; yields an advance callable.

    Examples
    --------
    >>> with progress_bar(3, "demo") as advance:
    ...     advance()
    """
    if total < 2 or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda: progress.advance(task)


def print_failures(header: str, failures: Sequence[tuple[str, str]]) -> None:
    """The summary at the end of a batch: `header`, then one line per failed input."""
    print("\n".join([header, *(f"  {source}: {reason}" for source, reason in failures)]), file=sys.stderr)
