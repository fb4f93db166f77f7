"""``seglab train METHOD --data DIR --out ckpt.pt`` and ``seglab export METHOD --weights W -o model.onnx``.

Training reads the data-set layout of ``seglab bench`` and writes the best
checkpoint, the last one (for ``--resume``), a CSV log and a PNG of the
curves (see :func:`seglab.deep.training.train`). Export writes ONNX for
``--backend onnxruntime``. Exit codes: 0 done, 2 bad usage or data, 3 torch
(or onnx) missing.

Examples
--------
>>> parse_json_option("--config", '{"base_width": 32}')
{'base_width': 32}
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .common import EXIT_OK, Parser, UsageError, parse_label_map, writable_folder

__all__ = ["export_parser", "parse_json_option", "run_export", "run_train", "train_parser"]


def parse_json_option(option: str, text: str) -> Any:
    """A JSON option value, with one clear error.

    Examples
    --------
    >>> parse_json_option("--augment", "{oops")
    Traceback (most recent call last):
    ...
    seglab.cli.common.UsageError: --augment: '{oops' is not valid JSON ...
    """
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {text!r} is not valid JSON ({exc}); e.g. '{{\"base_width\": 32}}'") from None


def train_parser() -> Parser:
    """The parser of ``seglab train``."""
    p = Parser(prog="seglab train", description="Train a model method on a data set in the seglab bench layout "
               "(DIR/images/[SPLIT/] + DIR/labels/[SPLIT/], optional DIR/splits/SPLIT.txt).")
    p.add_argument("method", metavar="METHOD",
                   help="cnn, unet, fcn, segnet, deeplab, vit_seg, or the instance methods unet_instances, mask_rcnn")
    p.add_argument("--data", required=True, metavar="DIR", help="the data-set folder")
    p.add_argument("--out", required=True, metavar="CKPT", help="the best checkpoint (.pt); log and curves beside it")
    data = p.add_argument_group("data")
    data.add_argument("--split", metavar="S", help="training split (images/S/ and/or splits/S.txt)")
    data.add_argument("--val-split", metavar="S", help="validation split (chooses the best epoch)")
    data.add_argument("--train-list", metavar="FILE", help="stems of the training images, one per line")
    data.add_argument("--val-list", metavar="FILE", help="stems of the validation images, one per line")
    data.add_argument("--annotations", metavar="FILE",
                      help="instance methods: a COCO instance file (default DIR/annotations.json when present)")
    data.add_argument("--label-map", type=parse_label_map, metavar="OLD=NEW,...", help="e.g. 255=1,0=0")
    data.add_argument("--ignore-index", type=int, metavar="I", help="label left out of loss and scores (CamVid: 11)")
    data.add_argument("--num-classes", type=int, metavar="K", help="default: the largest label + 1")
    data.add_argument("--in-channels", type=int, metavar="C", help="default: the images' channels")
    data.add_argument("--classes", metavar="NAMES", help="comma-separated class names stored in the checkpoint")
    data.add_argument("--normalization", metavar="JSON", help='e.g. \'{"kind": "percentile", "low": 1, "high": 99.8}\'')
    model = p.add_argument_group("model and optimisation")
    model.add_argument("--config", metavar="JSON", help='architecture options, e.g. \'{"base_width": 32}\'')
    model.add_argument("--epochs", type=int, default=50, metavar="N")
    model.add_argument("--steps-per-epoch", type=int, metavar="N", help="default: one pass over the training images")
    model.add_argument("--crop-size", type=int, default=256, metavar="N")
    model.add_argument("--batch-size", type=int, default=4, metavar="N")
    model.add_argument("--lr", type=float, help="AdamW learning rate (default 1e-3; mask_rcnn 2e-4)")
    model.add_argument("--weight-decay", type=float, default=1e-4)
    model.add_argument("--schedule", choices=("cosine", "poly", "constant"), default="cosine")
    model.add_argument("--loss", default="ce+dice", help="ce, dice, focal or sums such as ce+dice")
    model.add_argument("--class-weights", metavar="W", help="median_frequency or comma-separated numbers")
    model.add_argument("--augment", metavar="JSON", help='e.g. \'{"elastic": 6.0, "jitter": 0.1}\'')
    model.add_argument("--precise-bn", type=int, default=0, metavar="N", help="BatchNorm re-estimated on N batches")
    model.add_argument("--ema", type=float, metavar="DECAY",
                       help="validate and save the moving average of the weights, e.g. 0.999 (about the last 1000 "
                            "steps)")
    model.add_argument("--monitor", default="mean_iou", help="validation figure that picks the best checkpoint")
    model.add_argument("--val-tile-size", type=int, metavar="N", help="validate with sliding windows of N")
    model.add_argument("--amp", action="store_true",
                       help="mixed precision: bfloat16 autocast on a CPU (about 2x faster on CPUs with AMX or "
                            "AVX-512 BF16); on a GPU the semantic networks always use float16")
    model.add_argument("--no-tune", action="store_true",
                       help="instance methods: keep the default thresholds (not chosen on the validation images)")
    run = p.add_argument_group("run")
    run.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--resume", action="store_true", help="continue from <out stem>.last.pt")
    run.add_argument("--overwrite", action="store_true",
                     help="replace the files of an earlier run at --out (checkpoints, log, curves)")
    run.add_argument("--init", metavar="WEIGHTS",
                     help="fine-tune: start from these weights (a shipped name or a checkpoint of METHOD), not random; "
                          'with --config \'{"base_width": N}\' a U-Net is first widened to N (same function)')
    run.add_argument("--threads", type=int, metavar="N", help="CPU threads (default: all cores)")
    run.add_argument("--half", action="store_true", help="store the best checkpoint in float16 (half the size)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar or per-epoch lines")
    return p


def _class_weights(text: str | None) -> Any:
    if text is None or text == "median_frequency":
        return text
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"--class-weights: expected median_frequency or numbers such as 1,2.5; got {text!r}") from None


def run_train(argv: Sequence[str]) -> int:
    """Run ``seglab train``; return the exit code."""
    from ..deep.instances import INSTANCE_METHODS
    from ..deep.training import train, training_outputs

    ns = train_parser().parse_intermixed_args(argv)
    options = _instance_options(ns, argv) if ns.method in INSTANCE_METHODS else _semantic_options(ns, argv)
    writable_folder(Path(ns.out).parent, "--out")  # before hours of training, not after
    earlier = [str(p) for p in training_outputs(ns.out) if p.exists()]
    if earlier and not (ns.resume or ns.overwrite):
        raise UsageError(f"--out: {', '.join(earlier)} already exist(s); pass --resume to continue that run or "
                         "--overwrite to replace it.")
    try:
        result = train(ns.method, ns.data, ns.out, **options)
    except FileNotFoundError as exc:
        raise UsageError(f"--data: {exc}") from None
    figures = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in result.figures.items())
    print(f"seglab: best epoch {result.best_epoch} of {result.epochs} ({figures}); {result.seconds:.0f} s; "
          f"wrote {result.best}, {result.last}, {result.log}" + (f", {result.curves}" if result.curves else ""),
          file=sys.stderr)
    return EXIT_OK


#: Options of the semantic trainer only (dest, flag).
_SEMANTIC_ONLY = (("label_map", "--label-map"), ("ignore_index", "--ignore-index"), ("num_classes", "--num-classes"),
                  ("in_channels", "--in-channels"), ("normalization", "--normalization"),
                  ("class_weights", "--class-weights"), ("val_tile_size", "--val-tile-size"))


def _instance_options(ns: Any, argv: Sequence[str]) -> dict[str, Any]:
    given = [flag for dest, flag in _SEMANTIC_ONLY if getattr(ns, dest) is not None]
    given += [flag for flag, on in (("--loss", ns.loss != "ce+dice"), ("--precise-bn", ns.precise_bn),
                                    ("--monitor", ns.monitor != "mean_iou")) if on]
    if given:
        raise UsageError(f"{', '.join(given)}: options of the semantic networks; {ns.method} does not take them.")
    options = {
        "split": ns.split, "val_split": ns.val_split, "train_list": ns.train_list, "val_list": ns.val_list,
        "annotations": ns.annotations, "crop_size": ns.crop_size, "batch_size": ns.batch_size, "epochs": ns.epochs,
        "steps_per_epoch": ns.steps_per_epoch, "lr": ns.lr, "weight_decay": ns.weight_decay,
        "schedule": ns.schedule, "amp": ns.amp, "ema": ns.ema, "tune": not ns.no_tune, "device": ns.device,
        "seed": ns.seed,
        "resume": ns.resume, "init": ns.init, "num_threads": ns.threads, "half": ns.half, "progress": not ns.quiet,
        "command": "seglab train " + shlex.join(argv),
        "classes": [c.strip() for c in ns.classes.split(",")] if ns.classes else None,
        "model_config": parse_json_option("--config", ns.config) if ns.config else None,
        "augment": parse_json_option("--augment", ns.augment) if ns.augment else None,
    }
    return options


def _semantic_options(ns: Any, argv: Sequence[str]) -> dict[str, Any]:
    given = [flag for flag, on in (("--annotations", ns.annotations), ("--no-tune", ns.no_tune)) if on]
    if given:
        raise UsageError(f"{', '.join(given)}: options of the instance methods (unet_instances, mask_rcnn).")
    options = {
        "split": ns.split, "val_split": ns.val_split, "train_list": ns.train_list, "val_list": ns.val_list,
        "label_map": ns.label_map, "ignore_index": ns.ignore_index, "num_classes": ns.num_classes,
        "in_channels": ns.in_channels, "crop_size": ns.crop_size, "batch_size": ns.batch_size,
        "epochs": ns.epochs, "steps_per_epoch": ns.steps_per_epoch, "weight_decay": ns.weight_decay,
        "schedule": ns.schedule, "loss": ns.loss, "class_weights": _class_weights(ns.class_weights),
        "precise_bn": ns.precise_bn, "monitor": ns.monitor, "val_tile_size": ns.val_tile_size,
        "device": ns.device, "seed": ns.seed, "resume": ns.resume, "init": ns.init, "num_threads": ns.threads,
        "amp": ns.amp, "ema": ns.ema, "half": ns.half,
        "progress": not ns.quiet, "command": "seglab train " + shlex.join(argv),
        "classes": [c.strip() for c in ns.classes.split(",")] if ns.classes else None,
        "model_config": parse_json_option("--config", ns.config) if ns.config else None,
        "augment": parse_json_option("--augment", ns.augment) if ns.augment else None,
        "normalization": parse_json_option("--normalization", ns.normalization) if ns.normalization else None,
    }
    if ns.lr is not None:
        options["lr"] = ns.lr
    return options


def export_parser() -> Parser:
    """The parser of ``seglab export``."""
    p = Parser(prog="seglab export", description="Write a model method's network as ONNX (for --backend onnxruntime).")
    p.add_argument("method", metavar="METHOD")
    p.add_argument("--weights", required=True, metavar="W", help="a shipped weights name or a checkpoint path")
    p.add_argument("-o", "--output", required=True, metavar="FILE.onnx")
    p.add_argument("--opset", type=int, default=18)
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    return p


def run_export(argv: Sequence[str]) -> int:
    """Run ``seglab export``; return the exit code."""
    from ..deep.training import export

    ns = export_parser().parse_intermixed_args(argv)
    out = Path(ns.output)
    if out.suffix.lower() != ".onnx":  # backend="onnxruntime" takes PATH.onnx
        raise UsageError(f"-o {out}: give a file name ending in .onnx.")
    if out.exists() and not ns.overwrite:
        raise UsageError(f"{out} already exists; pass --overwrite to replace it.")
    if not out.parent.is_dir():
        raise UsageError(f"-o {out}: the folder {out.parent} does not exist.")
    writable_folder(out.parent)
    tmp = out.with_name(f".{out.name}.part.onnx")
    try:
        export(ns.method, ns.weights, tmp, opset=ns.opset)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    print(f"seglab: wrote {out}", file=sys.stderr)
    return EXIT_OK
