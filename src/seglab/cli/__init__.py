"""The ``seglab`` command line, generated entirely from the method registry.

Commands: ``seglab methods [--json | --markdown]``, ``seglab info METHOD [--json]``,
``seglab eval PRED GT`` (:mod:`.eval_cmd`), ``seglab bench METHOD... --data DIR`` (:mod:`.bench_cmd`),
``seglab serve`` (:mod:`.serve_cmd`, the web page and REST API)
and ``seglab segment METHOD INPUT... -o OUTDIR [--PARAM VALUE ...]``.

Exit codes: 0 all done; 1 some inputs failed (the batch went on and the summary
lists each failure); 2 bad usage or parameters; 3 a missing optional
dependency; 130 interrupted (Ctrl-C; no partial file is left).

Examples
--------
>>> main(["segment", "otsuu", "a.png", "-o", "out"])
2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence

from ..core.errors import InvalidParameterError, MissingDependencyError, SeglabError, UnknownMethodError
from ..core.registry import get_method, list_methods
from .common import EXIT_MISSING, EXIT_OK, EXIT_USAGE, Parser, UsageError
from .describe import info_text, methods_markdown, methods_text

__all__ = ["main"]


def _parser() -> Parser:
    from .. import __version__

    parser = Parser(prog="seglab", description="Image segmentation: every method behind one command line.")
    parser.add_argument("--version", action="version", version=f"seglab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    methods = commands.add_parser("methods", help="list the registered methods")
    style = methods.add_mutually_exclusive_group()
    style.add_argument("--json", action="store_true", help="every method's full description as JSON")
    style.add_argument("--markdown", action="store_true", help="the README's table of methods")
    info = commands.add_parser("info", help="one method's parameters: type, range, default, doc")
    info.add_argument("method", metavar="METHOD")
    info.add_argument("--json", action="store_true", help="as JSON (what the web form reads)")
    segment = commands.add_parser(
        "segment", help="segment image files: seglab segment METHOD INPUT... -o OUTDIR",
        description="Segment images: seglab segment METHOD INPUT... -o OUTDIR [--PARAM VALUE ...]. "
        "`seglab segment METHOD --help` lists the method's flags.",
    )
    segment.add_argument("method", metavar="METHOD", help="a name from `seglab methods`")
    segment.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    commands.add_parser("eval", add_help=False, help="score predictions against ground truth: seglab eval PRED GT")
    commands.add_parser("train", add_help=False, help="train a model method: seglab train METHOD --data DIR --out ckpt.pt")
    commands.add_parser("export", add_help=False, help="write a model as ONNX: seglab export METHOD --weights W -o m.onnx")
    commands.add_parser("bench", add_help=False, help="score and time methods on a data set: "
                        "seglab bench METHOD... --data DIR -o OUTDIR")
    commands.add_parser("serve", add_help=False, help="the web page and REST API on http://127.0.0.1:8000/")
    return parser


def _methods(ns: argparse.Namespace) -> None:
    specs = list_methods()
    if ns.json:
        print(json.dumps([s.to_json() for s in specs], indent=2))
    else:
        print(methods_markdown(specs) if ns.markdown else methods_text(specs))


def _info(ns: argparse.Namespace) -> None:
    spec = get_method(ns.method)
    if ns.json:
        print(json.dumps(spec.to_json(), indent=2))
    else:
        print(info_text(spec))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``seglab`` command line with `argv` (default ``sys.argv[1:]``); return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name.

    Returns
    -------
    int
        0 all done, 1 some inputs failed, 2 bad usage or parameters, 3 missing
        optional dependency, 130 interrupted, 141 the reader of standard output
        went away (as in ``seglab methods | head -1``).

    Examples
    --------
    >>> main(["info", "threshold"])  # doctest: +ELLIPSIS
    threshold: Fixed threshold: ...
    0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    with warnings.catch_warnings():
        # seglab's own deprecations (renamed parameters) are shown as one line each
        warnings.filterwarnings("always", category=DeprecationWarning, message=".*deprecated and will be removed in seglab")
        warnings.showwarning = _print_warning
        return _dispatch(args)


def _print_warning(message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
    print(f"warning: {' '.join(str(message).split())}", file=sys.stderr)


def _dispatch(args: list[str]) -> int:
    try:
        if args and args[0] in ("eval", "bench", "serve"):
            from . import bench_cmd, eval_cmd, serve_cmd

            return {"eval": eval_cmd, "bench": bench_cmd, "serve": serve_cmd}[args[0]].run(args[1:])
        if args and args[0] in ("train", "export"):
            from . import train_cmd

            return (train_cmd.run_train if args[0] == "train" else train_cmd.run_export)(args[1:])
        if args == ["segment"]:
            raise UsageError("seglab segment: give a method and the images: seglab segment METHOD INPUT... -o OUTDIR "
                             "(`seglab methods` lists the methods, `seglab segment METHOD --help` its options)")
        if len(args) > 1 and args[0] == "segment" and not args[1].startswith("-"):
            from . import segment_cmd

            return segment_cmd.run(get_method(args[1]), args[2:])
        ns = _parser().parse_args(args)
        if ns.command == "methods":
            _methods(ns)
        elif ns.command == "info":
            _info(ns)
        return EXIT_OK
    except (UsageError, UnknownMethodError, InvalidParameterError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USAGE
    except MissingDependencyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MISSING
    except SeglabError as exc:  # a checkpoint, an image or a data set the command cannot use, told in one line
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("seglab: interrupted; the inputs reported done have all their outputs, no partial file was left.",
              file=sys.stderr)
        return 130
    except BrokenPipeError:  # stdout closed early: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush cannot fail again
        return 141
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
