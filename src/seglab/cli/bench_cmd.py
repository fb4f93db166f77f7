"""``seglab bench METHOD... --data DIR -o OUTDIR``: score methods on a data set and time them.

The data set follows the standard layout of :mod:`seglab.io.datasets`
(``DIR/images/[SPLIT/]``, ``DIR/labels|masks|groundTruth/[SPLIT/]``, optional
``DIR/splits/SPLIT.txt``). Parameters:

- ``--param NAME=VALUE`` applies to every listed method (each must take it);
  ``--param METHOD.NAME=VALUE`` to one. Values are read as on the ``segment``
  command line (``none``, numbers, JSON; booleans ``true``/``false``).
- ``--sweep NAME=V1,V2,...`` (or ``METHOD.NAME=...``; separate values with
  ``;`` when they contain commas) runs every value; at most one sweep per
  method. For BSDS (partition) data the settings form the ODS/OIS sweep.
- ``--task`` (default ``auto``: BSDS ``.mat`` -> partition; label images ->
  semantic with ``--num-classes``, else instance), ``--num-classes``,
  ``--ignore-index``, ``--label-map OLD=NEW,...`` (applied to the ground
  truth, e.g. ISBI 2012's ``255=1``), ``--background-class`` (instance task:
  the class of a semantic result that is background, or ``darkest``: per image
  the class with the lowest mean intensity) and ``--limit N``.
- ``--boundary-map scores`` (partition data only): score each method's soft
  edge map (``return_scores=True``; the edge family) over the BSDS
  benchmark's 99 thresholds instead of the boundaries of its regions (the
  default, ``regions``); boundary ODS, OIS and AP, one row per setting.

Writes ``OUTDIR/bench.md`` and ``OUTDIR/bench.json`` (refusing to replace
them without ``--overwrite``, checked before any work) and prints the table.
Exit codes: 0 all done, 1 some images or methods failed (listed), 2 bad
usage, 3 a missing optional dependency.

Examples
--------
>>> parse_assignment("kmeans.num_classes=3", "--param")
('kmeans', 'num_classes', '3')
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.params_text import parse_param
from ..core.types import EVALUATION_TASKS
from ..core.registry import MethodSpec, get_method
from .common import (EXIT_FAILED, EXIT_OK, Parser, UsageError, parse_label_map, positive_int, print_failures,
                     progress_bar, writable_folder)

__all__ = ["run", "build_parser", "parse_assignment", "method_runs"]

_TASKS = ("auto", *(t for t in EVALUATION_TASKS if t != "panoptic"))  # label images cannot be panoptic
#: Failures of a run also printed at its end (all of them are in bench.md and bench.json).
_SHOWN_FAILURES = 10


def _background_class(text: str) -> int | str:
    """``--background-class`` value: a class id or ``darkest``."""
    if text == "darkest":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a class id or 'darkest'; got {text!r}") from None


def parse_assignment(text: str, option: str) -> tuple[str | None, str, str]:
    """Split ``[METHOD.]NAME=VALUE`` into (method or None, name, raw value).

    Examples
    --------
    >>> parse_assignment("sigma=2", "--param")
    (None, 'sigma', '2')
    >>> parse_assignment("sigma", "--param")
    Traceback (most recent call last):
    ...
    seglab.cli.common.UsageError: --param: expected NAME=VALUE or METHOD.NAME=VALUE; got 'sigma'
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UsageError(f"{option}: expected NAME=VALUE or METHOD.NAME=VALUE; got {text!r}")
    method, dot, name = key.strip().rpartition(".")
    return (method if dot else None), name.replace("-", "_"), value


def _value(method: MethodSpec, name: str, option: str, raw: str) -> Any:
    return parse_param(method.param(name), raw, where=option, method=method.name)


def _targets(method: str | None, methods: Sequence[MethodSpec], option: str, name: str) -> list[MethodSpec]:
    if method is None:
        chosen = list(methods)
    else:
        chosen = [m for m in methods if m.name == method]
        if not chosen:
            raise UsageError(f"{option}: {method!r} is not one of the methods benchmarked ({', '.join(m.name for m in methods)})")
    for m in chosen:
        if name not in {p.name for p in m.params()} and name not in m.renamed:
            names = ", ".join(p.name for p in m.params()) or "none"
            raise UsageError(f"{option}: {m.name} has no parameter {name!r}; its parameters: {names} "
                             f"(or qualify it, METHOD.{name}=..., to set it for one method)")
    return chosen


def method_runs(names: Sequence[str], params: Sequence[str], sweeps: Sequence[str]) -> list[Any]:
    """The :class:`~seglab.evaluation.bench.MethodRun` list of the command line, values checked.

    Examples
    --------
    >>> [r.label() for r in method_runs(["otsu", "kmeans"], ["kmeans.rng=1"], ["kmeans.num_classes=2,3"])]
    ['otsu', 'kmeans rng=1 num_classes=2,3']
    """
    from ..evaluation.bench import MethodRun

    specs = [get_method(n) for n in dict.fromkeys(names)]
    fixed: dict[str, dict[str, Any]] = {s.name: {} for s in specs}
    swept: dict[str, tuple[str, tuple[Any, ...]]] = {}
    for text in params:
        method, name, raw = parse_assignment(text, "--param")
        for spec in _targets(method, specs, "--param", name):
            fixed[spec.name][name] = _value(spec, name, f"--param {text}", raw)
    for text in sweeps:
        method, name, raw = parse_assignment(text, "--sweep")
        parts = [v.strip() for v in raw.split(";" if ";" in raw else ",") if v.strip()]
        if not parts:
            raise UsageError(f"--sweep {text}: give at least one value after '='")
        for spec in _targets(method, specs, "--sweep", name):
            if spec.name in swept:
                raise UsageError(f"--sweep: {spec.name} already sweeps {swept[spec.name][0]!r}; one sweep per method")
            swept[spec.name] = (name, tuple(_value(spec, name, f"--sweep {text}", v) for v in parts))
    return [MethodRun(s.name, fixed[s.name], swept.get(s.name)) for s in specs]


def build_parser() -> Parser:
    """The parser of ``seglab bench``."""
    from ..evaluation.bench import BOUNDARY_MAPS

    parser = Parser(
        prog="seglab bench",
        description="Run methods over a data set in the standard layout (DIR/images/[SPLIT/], "
        "DIR/labels|masks|groundTruth/[SPLIT/], optional DIR/splits/SPLIT.txt); report the scores and "
        "seconds per image; write OUTDIR/bench.md and OUTDIR/bench.json.",
    )
    parser.add_argument("methods", nargs="+", metavar="METHOD", help="names from `seglab methods`")
    parser.add_argument("--data", required=True, metavar="DIR", help="the data-set folder")
    parser.add_argument("--split", metavar="SPLIT", help="images/SPLIT/ and/or splits/SPLIT.txt")
    parser.add_argument("--param", action="append", default=[], metavar="[METHOD.]NAME=VALUE",
                        help="a fixed parameter (repeatable)")
    parser.add_argument("--sweep", action="append", default=[], metavar="[METHOD.]NAME=V1,V2,...",
                        help="run each value (one sweep per method; ';' separates values that hold commas)")
    parser.add_argument("--task", choices=_TASKS, default="auto",
                        help="what the labels hold (auto: .mat -> partition; label images -> semantic with "
                        "--num-classes, else instance)")
    parser.add_argument("--num-classes", type=positive_int, metavar="K", help="semantic: number of classes")
    parser.add_argument("--ignore-index", type=int, default=-1, metavar="I",
                        help="ground-truth value left out (default -1)")
    parser.add_argument("--label-map", type=parse_label_map, metavar="OLD=NEW,...",
                        help="semantic: map ground-truth values first, e.g. 255=1,0=0")
    parser.add_argument("--background-class", type=_background_class, default=0, metavar="C",
                        help="instance task: class of a semantic result taken as background (default 0), "
                        "or 'darkest': per image, the class with the lowest mean intensity")
    parser.add_argument("--limit", type=int, metavar="N", help="only the first N images (in name order)")
    parser.add_argument("--boundary-map", choices=BOUNDARY_MAPS, default="regions",
                        help="partition data: score the boundaries of the regions (default) or the soft edge "
                        "map of return_scores=True over 99 thresholds (scores)")
    parser.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR", help="folder for bench.md/bench.json")
    parser.add_argument("--overwrite", action="store_true", help="replace existing bench.md/bench.json")
    return parser


def _markdown(doc: dict[str, Any], results: list[Any]) -> str:
    from ..evaluation.report import SUMMARY_COLUMNS, columns_of, markdown_table
    from ..evaluation.bench import SOFT_MAP_CONVENTION
    from ..evaluation.scores import REGION_CONVENTION

    data = doc["data"]
    task = doc["task"]
    rows = [{"method": r.name, "images": r.n_images, "s/image": r.seconds_per_image, **(r.summary or {})}
            for r in results]
    columns = ["method", "images", "s/image", *columns_of(rows, SUMMARY_COLUMNS[task])]
    split = f", split {data['split']}" if data["split"] else ""
    lines = [
        f"# seglab bench: {Path(data['root']).name}{split}",
        "",
        f"- data: `{data['root']}`{split}: {data['images']} images with labels"
        + (f", first {data['limit']} used" if data["limit"] else "")
        + (f"; {len(data['missing_labels'])} without labels skipped" if data["missing_labels"] else ""),
        f"- task: {task}; options: {json.dumps(doc['options'])}",
        f"- command: `{doc['command']}`",
        f"- seglab {doc['seglab_version']}, Python {doc['python']}, {doc['machine']}, {doc['created']}",
        "- s/image: mean seconds of one `seglab.segment` call (reading and scoring excluded)",
        *([f"- {SOFT_MAP_CONVENTION if doc['options']['boundary_map'] == 'scores' else REGION_CONVENTION}"]
          if task == "partition" else []),
        "",
        markdown_table(rows, columns),
    ]
    failed = [(r.name, s, why) for r in results for s, why in r.failures] + [
        (r.name, "(all)", r.error) for r in results if r.error]
    if failed:
        lines += ["", "Failures:", ""] + [f"- {name}: {stem}: {why}" for name, stem, why in failed]
    return "\n".join(lines) + "\n"


def run(argv: Sequence[str]) -> int:
    """Run ``seglab bench`` with the arguments after ``bench``; return the exit code."""
    from .. import __version__
    from ..evaluation.bench import dataset_task, jobs_of, run_bench
    from ..io.datasets import find_dataset
    from ..evaluation.report import SUMMARY_COLUMNS, columns_of, print_table
    from ..io import check_target, json_bytes, to_jsonable, write_atomic

    ns = build_parser().parse_intermixed_args(argv)
    if ns.limit is not None and ns.limit < 1:
        raise UsageError("--limit: must be a positive number of images")
    runs = method_runs(ns.methods, ns.param, ns.sweep)
    for r in runs:
        jobs_of(r, boundary_map=ns.boundary_map)  # the methods' own rules, before any file is read or written
    try:
        dataset = find_dataset(ns.data, split=ns.split)
    except FileNotFoundError as exc:
        raise UsageError(f"--data: {exc}") from None
    if not dataset.items:
        raise UsageError(f"--data: {ns.data} has no image with labels (matched by file name stem)")
    outdir = writable_folder(Path(ns.output_dir))
    targets = [outdir / "bench.md", outdir / "bench.json"]
    for path in targets:
        try:
            check_target(path, overwrite=ns.overwrite)
        except FileExistsError as exc:
            raise UsageError(str(exc)) from None
    choice = dataset_task(dataset, ns.task, ns.num_classes)
    task, label_map = choice.task, ns.label_map or choice.label_map or None
    if ns.boundary_map == "scores" and task != "partition":
        raise UsageError(f"--boundary-map scores: scores soft boundary maps on partition (BSDS) data; "
                         f"the task here is {task}")
    if ns.task == "auto":
        print(f"task: {task} (auto: {choice.reason}; set --task to change)", file=sys.stderr)
    for path in dataset.missing_labels:
        print(f"note: {path} has no labels; skipped", file=sys.stderr)
    n_images = len(dataset.items) if ns.limit is None else min(ns.limit, len(dataset.items))
    with progress_bar(len(runs) * n_images, "bench") as progress:
        results = run_bench(dataset, runs, task=task, num_classes=ns.num_classes, ignore_index=ns.ignore_index,
                            label_map=label_map, background_class=ns.background_class, limit=ns.limit,
                            boundary_map=ns.boundary_map, log=progress.err, advance=progress)
    doc = {
        "seglab_version": __version__,
        "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {platform.system()}",
        "command": "seglab bench " + shlex.join(argv),
        "data": {"root": str(dataset.root), "split": dataset.split, "images": len(dataset.items),
                 "limit": ns.limit, "missing_labels": [str(p) for p in dataset.missing_labels]},
        "task": task,
        "options": {"num_classes": ns.num_classes, "ignore_index": ns.ignore_index, "label_map": label_map,
                    "background_class": ns.background_class, "boundary_map": ns.boundary_map},
        "runs": [r.to_json() for r in results],
    }
    write_atomic(targets[1], json_bytes(to_jsonable(doc)), overwrite=ns.overwrite)
    write_atomic(targets[0], _markdown(doc, results).encode("utf-8"), overwrite=ns.overwrite)
    rows = [{"method": r.name, "images": r.n_images, "s/image": r.seconds_per_image, **(r.summary or {})}
            for r in results]
    print_table(f"seglab bench ({task})", rows, ["method", "images", "s/image", *columns_of(rows, SUMMARY_COLUMNS[task])])
    failed = sum(len(r.failures) for r in results) + sum(r.error is not None for r in results)
    print(f"seglab: wrote {targets[0]} and {targets[1]}" + (f"; {failed} failure(s) listed there" if failed else ""),
          file=sys.stderr)
    if failed:  # the first ones here too, so that a run in a terminal or a CI log says what failed
        listed = [(f"{r.name}: {image}", reason) for r in results for image, reason in r.failures]
        listed += [(r.name, r.error) for r in results if r.error is not None]
        shown = listed[:_SHOWN_FAILURES]
        more = f" (and {len(listed) - len(shown)} more in {targets[0]})" if len(listed) > len(shown) else ""
        print_failures(f"seglab bench: {failed} failure(s){more}:", shown)
    return EXIT_FAILED if failed else EXIT_OK
