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
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_MISSING", "UsageError", "Parser", "parse_label_map", "Progress",
    "progress_bar",
    "print_failures",
    "writable_folder",
    "positive_int",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_MISSING = 0, 1, 2, 3


class UsageError(Exception):
    """Bad command-line usage (exit code 2); the message is one line."""


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1 (``--num-classes 0`` is refused before any file is read).

    >>> positive_int("3")
    3
    >>> positive_int("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be an integer >= 1; got '0'
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1; got {text!r}")
    return value


def writable_folder(folder: Path, flag: str = "-o") -> Path:
    """Create `folder` (and its parents) and check that a file can be written in it, before any work.

    Raises :class:`UsageError` naming the folder and the fix: a file in the
    way, a read-only file system, no permission.

    >>> writable_folder(Path("/proc/seglab_out"))
    Traceback (most recent call last):
    ...
    seglab.cli.common.UsageError: -o /proc/seglab_out: cannot write there (No such file or directory); ...
    """
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{flag} {folder}: this is a file, not a folder.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".seglab-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{flag} {folder}: cannot write there ({exc.strerror or exc}); choose another folder or "
                         "fix its permissions.") from None
    return folder


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block) and exit code 2.

    Options must be spelled out (no prefix matching: ``--n-cluster`` is not
    silently ``--n-clusters``); an unknown option gets a did-you-mean.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # noqa: D102 - argparse hook
        from ..core.errors import did_you_mean

        if message.startswith("unrecognized arguments: "):
            options = [o for action in self._actions if action.help != argparse.SUPPRESS
                       for o in action.option_strings if o.startswith("--")]
            words = message.removeprefix("unrecognized arguments: ").split()
            unknown = [w for w in words if w.startswith("-") and w.split("=")[0] != "--param"]
            hints = "".join(dict.fromkeys(did_you_mean(w.split("=")[0], options) for w in unknown))
            if "--param" not in options:  # seglab bench's form given to a command that takes each as an option
                hints += _param_hint(words, options)
            message += "." + hints if hints else ""
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _param_hint(words: Sequence[str], options: Sequence[str]) -> str:
    """The options that spell ``--param NAME=VALUE`` (``seglab bench``'s form) in a command that takes them one by one.

    Examples
    --------
    >>> _param_hint(["--param", "tile_size=256", "--param=weights=x"], ["--weights", "--param-tile-size"])
    ' Method parameters are options here, not --param NAME=VALUE: --param-tile-size 256 --weights x.'
    """
    spelled = []
    for i, word in enumerate(words):
        if word == "--param" and i + 1 < len(words):
            pair = words[i + 1]
        elif word.startswith("--param="):
            pair = word.removeprefix("--param=")
        else:
            continue
        name, sep, value = pair.partition("=")
        flag = name.replace("_", "-")  # a parameter whose name a runner option takes is --param-NAME
        flag = next((f for f in ("--param-" + flag, "--" + flag) if f in options), "--" + flag)
        spelled.append(f"{flag} {value}" if sep else flag)
    return f" Method parameters are options here, not --param NAME=VALUE: {' '.join(spelled)}." if spelled else ""


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


class Progress:
    """What :func:`progress_bar` yields: call it to advance; :meth:`out` and :meth:`err` print lines above the bar."""

    def __init__(self, bar: Any = None, task: Any = None, *, quiet: bool = False) -> None:
        self._bar, self._task, self._quiet = bar, task, quiet

    def __call__(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def out(self, line: str) -> None:
        """A result line on stdout (not with ``--quiet``), kept whole above the bar."""
        if not self._quiet:
            self._print(line, sys.stdout)

    def err(self, line: str) -> None:
        """A warning or error line on stderr (always), kept whole above the bar."""
        self._print(line, sys.stderr)

    def _print(self, line: str, stream: Any) -> None:
        if self._bar is not None and stream.isatty():  # the bar's terminal: above the bar, never wrapped
            self._bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:  # a file or pipe gets the plain line
            print(line, file=stream)


@contextlib.contextmanager
def progress_bar(total: int, description: str, *, quiet: bool = False) -> Iterator[Progress]:
    """A rich progress bar on stderr when it is a terminal, there is more than one item and not `quiet`.

    Examples
    --------
    >>> with progress_bar(3, "demo") as advance:
    ...     advance()
    ...     advance.out("a.png -> out/a.labels.png")
    a.png -> out/a.labels.png
    """
    if total < 2 or quiet or not sys.stderr.isatty():
        yield Progress(quiet=quiet)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    with Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
             console=Console(stderr=True), transient=True, redirect_stdout=False, redirect_stderr=False) as bar:
        yield Progress(bar, bar.add_task(description, total=total))


def print_failures(header: str, failures: Sequence[tuple[str, str]]) -> None:
    """The summary at the end of a batch: `header`, then one line per failed input."""
    print("\n".join([header, *(f"  {source}: {reason}" for source, reason in failures)]), file=sys.stderr)
