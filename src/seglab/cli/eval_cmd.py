"""``seglab eval PRED GT``: score predictions against ground truth, file by file or folder by folder.

PRED and GT are files or folders; entries are paired by file stem
(:mod:`seglab.evaluation.pairing`: ``<stem>.labels.png`` from ``seglab
segment`` pairs with ``<stem>.png``; COCO JSON files give one entry per image).
Formats: label images (PNG/TIFF), COCO instance JSON (and COCO results lists
for predictions), COCO panoptic (PNG + JSON), BSDS ``.mat`` (``groundTruth``
with several annotators; predictions as ``segs`` or ``ucm2``).

``--task auto`` (the default) decides from the formats and, for label
images, from what the ground truth holds (:mod:`seglab.evaluation.tasks`): a
BSDS ``.mat`` ground truth -> partition; COCO panoptic -> panoptic; COCO
instance JSON (on either side) -> instance; label images -> semantic with
``--num-classes``, else semantic for a binary mask (0/255 read as 0/1) or
labels that recur in separate regions, instance when every label is one
connected object; otherwise it asks for ``--task``. The chosen task and the
reason are printed. Scores per task are those of
:mod:`seglab.evaluation.scores`.

Output: a table per image plus the data-set figures on stdout; with ``-o
OUTDIR`` also ``eval.json`` (everything), ``eval.csv`` (one row per image and
a last ``(data set)`` row), and plots: ``per_image.png`` (the task's main score
per image) and, for semantic tasks, ``confusion.png``. Plots need matplotlib
(``pip install "seglab[eval]"``): when it is missing they are skipped with a
note, unless ``--plots`` asked for them, which then stops with exit code 3
before any work. Existing outputs are kept unless ``--overwrite``.

A pair that cannot be scored (shape mismatch, float labels, class ids out of
range, unreadable file) is reported at once and skipped; a file without a
partner is skipped too. The others are scored, the summary at the end lists
every failure (grouped by reason; ``eval.json`` has them all) and the exit
code is 1. Exit codes: 0 all
scored, 1 some failed, 2 bad usage, 3 missing optional dependency.

Examples
--------
>>> build_parser().prog
'seglab eval'
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.errors import MissingDependencyError
from ..core.types import EVALUATION_TASKS
from ..evaluation.tasks import choose_task, main_score
from .common import EXIT_FAILED, EXIT_OK, Parser, UsageError, parse_label_map, positive_int, progress_bar, writable_folder

__all__ = ["run", "build_parser"]

_TASKS = ("auto", *EVALUATION_TASKS)
#: Mean pixel-accuracy gain from matching clusters to classes above which predictions look like cluster numbers.
_CLUSTER_GAIN = 0.1
def build_parser() -> Parser:
    """The parser of ``seglab eval``."""
    parser = Parser(
        prog="seglab eval",
        description="Score predictions against ground truth. PRED and GT are files or folders, paired by "
        "file stem (<stem>.labels.png pairs with <stem>.png). Formats: label images, COCO instance JSON, "
        "COCO panoptic PNG + JSON, BSDS .mat; a TIFF stack or NIfTI volume gives one entry per page, "
        "<stem>.p0000, ..., as seglab segment --page names its outputs.",
    )
    parser.add_argument("pred", metavar="PRED", help="prediction file or folder")
    parser.add_argument("gt", metavar="GT", help="ground-truth file or folder")
    parser.add_argument("--task", choices=_TASKS, default="auto",
                        help="auto: .mat -> partition, panoptic JSON -> panoptic, COCO JSON -> instance, "
                        "label images -> semantic with --num-classes, else instance")
    parser.add_argument("--num-classes", type=positive_int, metavar="K", help="semantic: number of classes (else inferred)")
    parser.add_argument("--ignore-index", type=int, default=-1, metavar="I",
                        help="ground-truth value left out (default -1)")
    parser.add_argument("--label-map", type=parse_label_map, metavar="OLD=NEW,...",
                        help="semantic: map ground-truth values first, e.g. 255=1,0=0")
    parser.add_argument("--match-classes", action="store_true",
                        help="semantic: predictions are cluster numbers (kmeans, gabor...); match each image's "
                        "clusters to the classes they overlap most (Hungarian) before scoring")
    parser.add_argument("--nthresh", type=positive_int, default=99, metavar="N",
                        help="partition: thresholds of a ucm2 prediction (default 99, as the BSDS benchmark)")
    parser.add_argument("-o", "--output-dir", metavar="OUTDIR", help="write eval.json, eval.csv and plots here")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs (inputs never)")
    parser.add_argument("--plots", action=argparse.BooleanOptionalAction, default=None,
                        help="draw per_image.png (and confusion.png); default: when matplotlib is installed")
    return parser


def _collect(pred: str, gt: str) -> tuple[Any, Any, Any]:
    from ..evaluation.pairing import collect, pair

    try:
        truth = collect(gt)
        predictions = collect(pred, images=truth.images)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    return predictions, truth, pair(predictions, truth)


def _plots_wanted(ns: Any) -> bool:
    if ns.output_dir is None or ns.plots is False:
        if ns.plots:
            raise UsageError("--plots needs -o OUTDIR to write the PNG files into")
        return False
    import importlib.util

    if importlib.util.find_spec("matplotlib") is not None:
        return True
    if ns.plots:
        raise MissingDependencyError('--plots needs matplotlib; install it with: pip install "seglab[eval]"')
    print('note: plots skipped: matplotlib is not installed (pip install "seglab[eval]")', file=sys.stderr)
    return False


def _targets(ns: Any, task: str, plots: bool, inputs: set[Path]) -> dict[str, Path]:
    from ..io import check_target

    if ns.output_dir is None:
        return {}
    for given, role in ((ns.pred, "prediction"), (ns.gt, "ground-truth")):
        if Path(given).is_dir() and Path(given).resolve() == Path(ns.output_dir).resolve():
            raise UsageError(f"-o {ns.output_dir} is the {role} folder: its plots would be read as label images "
                             "by the next evaluation; write the report to another folder.")
    outdir = writable_folder(Path(ns.output_dir))
    names = ["eval.json", "eval.csv"] + (["per_image.png"] + (["confusion.png"] if task == "semantic" else [])
                                         if plots else [])
    targets = {n: outdir / n for n in names}
    for path in targets.values():
        if path.resolve() in inputs:
            raise UsageError(f"output {path} would replace an input file; choose another -o folder.")
        try:
            check_target(path, overwrite=ns.overwrite)
        except FileExistsError as exc:
            raise UsageError(str(exc)) from None
    return targets


def _inputs(*paths: str) -> set[Path]:
    out = set()
    for p in map(Path, paths):
        out |= {p.resolve()} if p.is_file() else {q.resolve() for q in p.iterdir()} if p.is_dir() else set()
    return out


def _write(targets: dict[str, Path], doc: dict[str, Any], rows: list[dict[str, Any]], columns: list[str],
           evaluator: Any, overwrite: bool) -> None:
    from ..evaluation import report
    from ..io import json_bytes, to_jsonable, write_atomic

    if not targets:
        return
    task = doc["task"]
    summary_row = {"image": "(data set)", **(doc["summary"] or {})}
    outputs = {
        "eval.json": json_bytes(to_jsonable(doc)),
        "eval.csv": report.csv_text([*rows, summary_row] if doc["summary"] else rows, columns).encode("utf-8"),
    }
    if "per_image.png" in targets and rows:
        score = main_score(task)
        outputs["per_image.png"] = report.per_image_png([r["image"] for r in rows], [r.get(score) for r in rows],
                                                        metric=score, title=f"{task}: {score} per image")
    if "confusion.png" in targets and rows:
        outputs["confusion.png"] = report.confusion_png(evaluator.matrix())
    for name, data in outputs.items():
        write_atomic(targets[name], data, overwrite=overwrite)
        print(f"wrote {targets[name]}", file=sys.stderr)


def run(argv: Sequence[str]) -> int:
    """Run ``seglab eval`` with the arguments after ``eval``; return the exit code."""
    from .. import __version__
    from ..evaluation import report
    from ..evaluation.scores import REGION_CONVENTION, make_evaluator

    ns = build_parser().parse_intermixed_args(argv)
    predictions, truth, pairing = _collect(ns.pred, ns.gt)
    failures: list[tuple[str, str]] = [*predictions.problems, *truth.problems]
    failures += [(s, "prediction without ground truth (no GT entry with this stem)") for s in pairing.only_pred]
    not_predicted = list(pairing.only_gt)  # a subset of the images was predicted: not a failure
    if not pairing.pairs and not failures:
        raise UsageError(f"found no label files in {ns.pred} and {ns.gt} (.png/.tif label images, .mat, COCO .json)")
    for note in predictions.notes + truth.notes:
        print(f"note: {note}", file=sys.stderr)
    skipped = predictions.other_json + truth.other_json
    if skipped:
        print(f"note: skipped {len(skipped)} JSON file(s) that are not COCO instance or panoptic files "
              f"(e.g. seglab sidecars): {_some(skipped)}", file=sys.stderr)
    label_map = ns.label_map
    if ns.task == "auto":
        choice = choose_task({e.kind for e in truth.entries.values()}, {e.kind for e in predictions.entries.values()},
                             ns.num_classes, _gt_sample(pairing), _sidecar_task(pairing))
        task, label_map = choice.task, label_map or choice.label_map or None
        print(f"task: {task} (auto: {choice.reason}; set --task to change)", file=sys.stderr)
    else:
        task = ns.task
    evaluator = make_evaluator(task, num_classes=ns.num_classes, ignore_index=ns.ignore_index,
                               label_map=label_map, nthresh=ns.nthresh, match_classes=ns.match_classes)
    if task == "partition":
        print(f"note: {REGION_CONVENTION}", file=sys.stderr)
    plots = _plots_wanted(ns)
    targets = _targets(ns, task, plots, _inputs(ns.pred, ns.gt))
    rows = []
    with progress_bar(len(pairing.pairs), "eval") as progress:
        for p in pairing.pairs:
            progress()
            try:
                row = evaluator.add(p.gt.load(), p.pred.load())
            except MissingDependencyError:
                raise
            except (ValueError, OSError) as exc:
                reason = f"{p.pred.source} vs {p.gt.source}: {' '.join(str(exc).split())}"
                failures.append((p.stem, reason))
                progress.err(f"error: {p.stem}: {reason}")
                continue
            rows.append({"image": p.stem, **row})
    summary = None
    if rows:
        try:
            summary = evaluator.summary()
        except ValueError as exc:
            failures.append(("(data set)", " ".join(str(exc).split())))
    volumes = evaluator.volumes([r["image"] for r in rows])
    if volumes and summary:  # pages of label volumes: each volume scored as a whole too (its voxels pooled)
        summary["volumes"] = len(volumes)
        summary["volume_mean_dice"] = sum(v["mean_dice"] for v in volumes) / len(volumes)
    columns = ["image", *report.columns_of(rows, report.IMAGE_COLUMNS[task])]
    gain = getattr(evaluator, "cluster_gain", 0.0)
    if gain > _CLUSTER_GAIN:
        print(f"warning: the predictions look like cluster numbers, not class ids: matching clusters to classes "
              f"would raise pixel accuracy by {gain:.2f} on average; pass --match-classes to score them that way",
              file=sys.stderr)
    if not_predicted:
        print(f"note: {len(not_predicted)} ground-truth image(s) not predicted, left out: {_some(not_predicted)}",
              file=sys.stderr)
    if rows:
        report.print_table(f"seglab eval: {task}, {len(rows)} image(s)", rows, columns)
    if volumes:
        report.print_table(f"volumes ({len(volumes)}, each scored on all its voxels)", volumes,
                           ["volume", "pages", "pixel_accuracy", "mean_iou", "mean_dice"])
    if summary:
        keys = report.columns_of([summary], report.SUMMARY_COLUMNS[task])
        report.print_table("data set", [summary], keys)
    doc = {
        "seglab_version": __version__, "task": task, "pred": ns.pred, "gt": ns.gt,
        "options": {"num_classes": ns.num_classes, "ignore_index": ns.ignore_index, "label_map": label_map,
                    "nthresh": ns.nthresh, "match_classes": ns.match_classes,
                    "regions": REGION_CONVENTION if task == "partition" else None},
        "summary": summary, "images": rows, "volumes": volumes,
        "failures": [{"source": s, "reason": r} for s, r in failures],
        "not_predicted": not_predicted,
    }
    _write(targets, doc, rows, columns, evaluator, ns.overwrite)
    if not failures:
        print(f"seglab: {len(rows)} image(s) scored ({task})", file=sys.stderr)
        return EXIT_OK if rows else EXIT_FAILED
    lines = [f"seglab: {len(rows)} image(s) scored ({task}); {len(failures)} failed:"]
    by_reason: dict[str, list[str]] = {}
    for source, reason in failures:
        by_reason.setdefault(reason, []).append(source)
    for reason, sources in by_reason.items():
        lines.append(f"  {sources[0]}: {reason}" if len(sources) == 1 else f"  {reason}: {_some(sources)}")
    print("\n".join(lines), file=sys.stderr)
    return EXIT_FAILED


def _gt_sample(pairing: Any) -> list[Any]:
    """The label images of the first few ground-truth entries (what ``--task auto`` looks at)."""
    from ..evaluation.tasks import SAMPLE_IMAGES

    sample = []
    for p in pairing.pairs:
        if p.gt.kind != "labels" or len(sample) == SAMPLE_IMAGES:
            continue
        try:
            sample.append(p.gt.load().labels)
        except (ValueError, OSError):  # reported when the pair is scored
            continue
    return sample


def _sidecar_task(pairing: Any) -> str | None:
    """The task the first prediction's seglab sidecar declares (``<stem>.json`` beside ``<stem>.labels.png``)."""
    import json

    from ..io.naming import stem_of

    for p in pairing.pairs[:1]:
        source = Path(p.pred.source)
        try:
            doc = json.loads(source.with_name(stem_of(source) + ".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return doc.get("task") if isinstance(doc, dict) else None
    return None


def _some(items: Sequence[str], n: int = 5) -> str:
    """``a, b, c`` or ``a, b, ... and 7 more``.

    Examples
    --------
    >>> _some(["a", "b", "c"], 2)
    'a, b and 1 more'
    """
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")
