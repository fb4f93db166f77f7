"""Training a segmentation model on a data set in the ``seglab bench`` layout.

One call trains, validates after every epoch through :mod:`seglab.evaluation`
(the figures ``seglab bench`` reports), and writes next to `out`:

==========================  ==============================================================
``<out>``                   the best checkpoint (by `monitor` on the validation images)
``<stem>.last.pt``          the last one, with optimiser state: ``resume=True`` continues it
``<stem>.csv``              one row per epoch: loss, learning rate, validation figures
``<stem>.png``              the curves, drawn at the end (when matplotlib is installed)
==========================  ==============================================================
"""

from __future__ import annotations

import csv
import math
import os
import platform
import shlex
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import torch
from torch.utils.data import DataLoader, RandomSampler

from ... import __version__ as seglab_version
from ...core.errors import InvalidParameterError
from .augment import Augmentation, training_transform
from .checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from .ema import WeightAverage, check_decay
from .options import check_resumable, check_training_options
from .data import Sample, TrainSet, check_samples, infer_num_classes, load_samples, median_frequency_weights, read_stems
from .losses import build_loss
from .models import SegmentationModel, build_model
from .models.widen import init_width, widen_unet
from .predict import resolve_device
from .preprocess import check_normalization, default_normalization
from .scoring import evaluate

__all__ = ["train", "TrainResult", "MONITORS", "lr_factor", "recompute_batchnorm"]

#: Validation figures that can choose the best checkpoint, and whether higher is better.
MONITORS = {"mean_iou": True, "pixel_accuracy": True, "pixel_error": False, "rand_error_fg": False}


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` wrote and the figures of its best epoch."""

    best: Path
    last: Path
    log: Path
    curves: Path | None
    figures: dict[str, Any]
    best_epoch: int
    epochs: int
    steps: int
    seconds: float


def lr_factor(step: int, *, total: int, warmup: int, schedule: str) -> float:
    """Learning-rate multiplier: linear warm-up, then cosine (to 1 %), poly (power 0.9) or constant.

    Examples
    --------
    >>> [round(lr_factor(s, total=10, warmup=2, schedule="cosine"), 3) for s in (0, 1, 2, 9)]
    [0.5, 1.0, 1.0, 0.048]
    """
    if step < warmup:
        return (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    if schedule == "cosine":
        return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * t))
    if schedule == "poly":
        return max(1e-3, (1 - t) ** 0.9)
    return 1.0


def cpu_model_and_flags() -> tuple[str, list[str]]:
    """The CPU's model name and feature flags from /proc/cpuinfo (Linux); elsewhere what platform knows and no flags."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return platform.processor(), []
    name = next((x.split(":", 1)[1].strip() for x in lines if x.startswith("model name")), platform.processor())
    flags = next((x.split(":", 1)[1].split() for x in lines if x.startswith("flags")), [])
    return name, flags


def _hardware(device: torch.device) -> dict[str, Any]:
    info = {"device": str(device), "cpu": cpu_model_and_flags()[0], "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "platform": platform.platform()}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def _scalars(summary: Mapping[str, Any], classes: Sequence[str]) -> dict[str, float]:
    row = {k: float(summary[k]) for k in ("mean_iou", "pixel_accuracy", "pixel_error", "rand_error_fg")
           if k in summary}
    for name, iou in zip(classes, summary["iou_per_class"]):
        row[f"iou_{name}"] = float("nan") if iou is None else float(iou)
    return row


def _write_log(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(rows)


def _plot(path: Path, rows: list[dict[str, Any]], monitor: str) -> Path | None:
    try:
        import matplotlib
    except ModuleNotFoundError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_val) = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = [r["epoch"] for r in rows]
    ax_loss.plot(epochs, [r["loss"] for r in rows])
    ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log")
    for key in ("mean_iou", "pixel_error", "rand_error_fg", "dsb_score"):  # semantic, then instance figures
        if key in rows[-1]:
            ax_val.plot(epochs, [r.get(key, float("nan")) for r in rows], label=key + (" *" if key == monitor else ""))
    ax_val.set(xlabel="epoch", ylabel="validation")
    if ax_val.lines:
        ax_val.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def recompute_batchnorm(model: SegmentationModel, batches: Iterable[torch.Tensor]) -> None:
    """Re-estimate every BatchNorm's running statistics with the current weights ("precise BN").

    The running averages kept during training mix statistics of older weights;
    after few or fast-changing steps they misrepresent the final model, and
    eval-mode predictions suffer. This resets them and averages the batch
    statistics of `batches` (training crops) with equal weights.
    """
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        for x in batches:
            model(x)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum


def _data(data_dir: str | os.PathLike[str], split: str | None, stems_file: str | os.PathLike[str] | None,
          label_map: Mapping[int, int] | None, what: str) -> list[Sample]:
    stems = read_stems(stems_file) if stems_file is not None else None
    return load_samples(data_dir, split=split, stems=stems, label_map=label_map, what=what)


def train(arch_or_model: str | SegmentationModel, data_dir: str | os.PathLike[str], out: str | os.PathLike[str], *,
          model_config: Mapping[str, Any] | None = None, split: str | None = None, val_split: str | None = None,
          train_list: str | os.PathLike[str] | None = None, val_list: str | os.PathLike[str] | None = None,
          label_map: Mapping[int, int] | None = None, ignore_index: int | None = None,
          num_classes: int | None = None, in_channels: int | None = None, classes: Sequence[str] | None = None,
          normalization: Mapping[str, Any] | None = None, crop_size: int = 256, batch_size: int = 4,
          epochs: int = 50, steps_per_epoch: int | None = None, lr: float = 1e-3, weight_decay: float = 1e-4,
          schedule: Literal["cosine", "poly", "constant"] = "cosine", warmup_steps: int | None = None,
          loss: str = "ce+dice", class_weights: Sequence[float] | Literal["median_frequency"] | None = None,
          augment: Mapping[str, Any] | None = None, precise_bn: int = 0, ema: float | None = None,
          monitor: str = "mean_iou",
          val_tile_size: int | None = None,
          device: str = "auto", seed: int = 0, resume: bool = False, num_threads: int | None = None,
          half: bool = False, progress: bool = True, command: str | None = None,
          init: str | os.PathLike[str] | None = None, amp: bool = False) -> TrainResult:
    """Train `arch_or_model` on `data_dir` and write the best checkpoint to `out`.

    Parameters
    ----------
    arch_or_model : str or SegmentationModel
        An architecture name (built with `model_config`) or a model (e.g. from ``wrap_module``).
    data_dir : path-like
        ``images/[SPLIT/]`` + ``labels/[SPLIT/]`` (the ``seglab bench`` layout).
    out : path-like
        The best checkpoint; the last one, the CSV log and the PNG curves go next to it.
    model_config : mapping, optional
        Architecture keywords, e.g. ``{"base_width": 32}``.
    split, val_split : str, optional
        Training and validation splits (sub-folders and/or ``splits/<name>.txt``).
    train_list, val_list : path-like, optional
        Files of stems, one per line, restricting the training / choosing the
        validation images (for data sets without split folders, e.g. ISBI 2012).
        Without validation images, the best checkpoint is the last.
    label_map : mapping, optional
        Label value -> class id, e.g. ``{255: 1}``.
    ignore_index : int, optional
        Label value left out of the losses and the scores (CamVid: 11); -1 always is.
    num_classes, in_channels : int, optional
        Inferred from the data when not given (max label + 1; the images' channels).
    classes : sequence of str, optional
        Class names stored in the checkpoint.
    normalization : mapping, optional
        Default: ImageNet mean/std for 8-bit RGB, per-image percentiles (1, 99.8) otherwise.
    crop_size, batch_size : int
        Random crops per step and their side.
    epochs, steps_per_epoch : int
        An epoch is `steps_per_epoch` steps (default: one pass over the training images), then validation.
    lr, weight_decay : float
        AdamW.
    schedule : {"cosine", "poly", "constant"}
        After `warmup_steps` of linear warm-up (default 5 % of all steps).
    loss : str
        ``"ce"``, ``"dice"``, ``"focal"`` or sums such as ``"ce+dice"``.
    class_weights : sequence of float or "median_frequency", optional
        Cross-entropy / focal class weights.
    augment : mapping, optional
        Overrides of :class:`~.augment.Augmentation` (hflip, vflip, rot90, scale, elastic, elastic_grid, jitter).
    precise_bn : int
        Before each validation, re-estimate the BatchNorm statistics on this many
        training batches with the epoch's final weights (:func:`recompute_batchnorm`);
        helps short or fast-changing trainings. 0 = off.
    ema : float, optional
        Validate and save the exponential moving average of the weights with
        this decay (e.g. 0.999, about the last 1000 steps; :mod:`.ema`)
        instead of the last step's weights. None = off.
    monitor : {"mean_iou", "pixel_accuracy", "pixel_error", "rand_error_fg"}
        Validation figure that picks the best checkpoint.
    val_tile_size : int, optional
        Validate with sliding windows of this size (default: whole images).
    device : {"auto", "cpu", "cuda"}
        On CUDA the forward pass always runs in float16 autocast with loss scaling.
    seed : int
        Seeds initialisation, sampling and augmentation (per epoch, so resuming repeats them).
    resume : bool
        Continue from ``<stem>.last.pt`` if it exists.
    num_threads : int, optional
        CPU threads (default: all cores).
    half : bool
        Store the best checkpoint's weights as float16.
    progress : bool
        Show a progress bar and one line per epoch.
    command : str, optional
        The command recorded in the provenance (default: this process's command line).
    init : path-like, optional
        Start from the weights of this checkpoint of `arch_or_model` instead of
        random ones (fine-tuning): its architecture config, and its class names
        and normalisation unless given, are kept; the data must have its
        channels and classes. With `model_config` ``{"base_width": N}``, a
        ``unet`` checkpoint is widened to base width N so that it starts out
        computing what the checkpoint computes
        (:func:`~.models.widen.widen_unet`).
    amp : bool
        On a CPU, run the forward pass in bfloat16 autocast (weights, loss and
        optimiser stay float32). CPUs with AMX or AVX-512 BF16 units train
        about 2x faster (a U-Net of base width 16 on 4 x 256² crops: 0.42 ->
        0.18 s per step on 2 Xeon cores); elsewhere it may be slower. Validation
        and the saved weights are float32.

    Returns
    -------
    TrainResult

    Raises
    ------
    InvalidParameterError, InvalidImageError, FileNotFoundError
        Bad arguments, or data that cannot be used (one clear error naming the file).
    """
    if monitor not in MONITORS:
        raise InvalidParameterError(f"monitor: must be one of {', '.join(MONITORS)}; got {monitor!r}.")
    check_training_options(crop_size=crop_size, batch_size=batch_size, epochs=epochs, lr=lr,
                           weight_decay=weight_decay, schedule=schedule)
    ema = check_decay(ema)
    if init is not None:
        if not isinstance(arch_or_model, str):
            raise InvalidParameterError("init: the architecture comes from the init checkpoint; give an "
                                        "architecture name with it, not a model.")
        width = init_width(model_config, arch_or_model)
        start = load_checkpoint(init, arch=arch_or_model)
        model_config, arch_or_model = None, start.model
        if width is not None:
            wider = {k: v for k, v in start.model.config.items() if k != "arch"} | {"base_width": width}
            arch_or_model = widen_unet(start.model, build_model(start.model.arch, **wider), seed=seed)
        normalization = normalization or start.normalization
        classes = classes or start.classes
    aug = Augmentation.from_mapping(augment)
    out = Path(out)
    last_path = out.with_name(out.stem + ".last.pt")
    log_path = out.with_name(out.stem + ".csv")
    dev = resolve_device(device)
    torch.set_num_threads(num_threads or os.cpu_count() or 1)

    train_samples = _data(data_dir, split, train_list, label_map, "training")
    val_samples = (_data(data_dir, val_split, val_list, label_map, "validation")
                   if val_split is not None or val_list is not None else [])
    if isinstance(arch_or_model, SegmentationModel):
        in_channels = in_channels or arch_or_model.in_channels
        num_classes = num_classes or arch_or_model.num_classes
    in_channels = in_channels or train_samples[0].channels
    num_classes = num_classes or infer_num_classes(train_samples, ignore_index)
    check_samples([*train_samples, *val_samples], num_classes=num_classes, ignore_index=ignore_index,
                  in_channels=in_channels)
    norm = check_normalization(normalization or default_normalization(train_samples[0].image.dtype, in_channels))
    if class_weights == "median_frequency":
        class_weights = median_frequency_weights(train_samples, num_classes, ignore_index)
    names = list(classes) if classes is not None else [f"class_{i}" for i in range(num_classes)]

    torch.manual_seed(seed)
    if isinstance(arch_or_model, SegmentationModel):
        model = arch_or_model
        if (model.in_channels, model.num_classes) != (in_channels, num_classes):
            raise InvalidParameterError(
                f"the model takes {model.in_channels} channels and {model.num_classes} classes but the data "
                f"have {in_channels} and {num_classes}."
            )
    else:
        model = build_model(arch_or_model, in_channels=in_channels, num_classes=num_classes, **(model_config or {}))
    model.to(dev, memory_format=torch.channels_last)
    criterion = build_loss(loss, num_classes=num_classes,
                           class_weights=None if class_weights is None else list(class_weights)).to(dev)
    steps_per_epoch = steps_per_epoch or math.ceil(len(train_samples) / batch_size)
    total = epochs * steps_per_epoch
    warmup = warmup_steps if warmup_steps is not None else max(1, total // 20)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(s, total=total, warmup=warmup, schedule=schedule))
    scaler = torch.amp.GradScaler("cuda", enabled=dev.type == "cuda")
    autocast = (torch.autocast("cuda") if dev.type == "cuda"
                else torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp))
    base_size = sorted(min(s.image.shape[:2]) for s in train_samples)[len(train_samples) // 2]
    dataset = TrainSet(train_samples, normalization=norm, ignore_index=ignore_index,
                       transform=training_transform(aug, crop_size=crop_size, base_size=base_size))

    start_epoch, rows, best_value, best_epoch, best_figures, elapsed = 0, [], None, 0, {}, 0.0
    state: dict[str, Any] = {}  # the training state of a resumed run
    if resume and last_path.is_file():
        raw = read_checkpoint(last_path)
        check_resumable(last_path, raw.get("provenance", {}), {
            "epochs": epochs, "steps_per_epoch": steps_per_epoch, "batch_size": batch_size, "crop_size": crop_size,
            "lr": lr, "weight_decay": weight_decay, "schedule": schedule})
        load_checkpoint(last_path, arch=model.arch, model=model)
        model.to(dev, memory_format=torch.channels_last)
        state = raw["train_state"]
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        start_epoch, rows, elapsed = state["epoch"], list(state["rows"]), state["seconds"]
        best_value, best_epoch, best_figures = state["best_value"], state["best_epoch"], dict(state["best_figures"])
    average = None if ema is None else WeightAverage(model, ema)
    if average is not None and "ema" in state:
        average.load_state_dict(state["ema"])
    judged = model if average is None else average.model  # the weights validated and saved as the best

    def provenance() -> dict[str, Any]:
        return {
            "data": str(Path(data_dir).resolve()), "split": split, "val_split": val_split,
            "train_list": None if train_list is None else str(train_list),
            "val_list": None if val_list is None else str(val_list),
            "train_stems": [s.stem for s in train_samples], "val_stems": [s.stem for s in val_samples],
            "label_map": {str(k): v for k, v in (label_map or {}).items()}, "ignore_index": ignore_index,
            "init": None if init is None else str(init), "amp": amp,
            "seed": seed, "epochs": epochs, "steps_per_epoch": steps_per_epoch, "steps": len(rows) and rows[-1]["step"],
            "batch_size": batch_size, "crop_size": crop_size, "lr": lr, "weight_decay": weight_decay,
            "schedule": schedule, "warmup_steps": warmup, "loss": loss, "precise_bn": precise_bn, "ema": ema,
            "class_weights": None if class_weights is None else [float(w) for w in class_weights],
            "augment": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(aug).items()},
            "model_config": {k: str(v) if isinstance(v, os.PathLike) else v for k, v in (model_config or {}).items()},
            "monitor": monitor, "best_epoch": best_epoch, "figures": best_figures, "seconds": round(elapsed, 1),
            "hardware": _hardware(dev), "command": command or " ".join(shlex.quote(a) for a in sys.argv),
            "seglab_version": seglab_version, "torch_version": str(torch.__version__),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    bar = Progress(TextColumn("epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("loss {task.fields[loss]:.4f}  {task.fields[val]}"), TimeRemainingColumn(),
                   console=console, disable=not progress)
    with bar:
        task = bar.add_task("train", total=total, completed=start_epoch * steps_per_epoch, epoch=start_epoch + 1,
                            loss=float("nan"), val="")
        for epoch in range(start_epoch, epochs):
            t0 = time.perf_counter()
            torch.manual_seed(seed + epoch)
            sampler = RandomSampler(dataset, replacement=True, num_samples=steps_per_epoch * batch_size,
                                    generator=torch.Generator().manual_seed(seed + epoch))
            model.train()
            losses = []
            for images, masks in DataLoader(dataset, batch_size=batch_size, sampler=sampler, drop_last=True):
                images = images.to(dev, memory_format=torch.channels_last)
                with autocast:
                    logits = model(images)
                value = criterion(logits.float(), masks.to(dev))
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(value).backward()
                scaler.step(optimizer)
                scaler.update()
                scheduler.step()
                if average is not None:
                    average.update(model)
                losses.append(float(value.detach()))
                bar.update(task, advance=1, epoch=epoch + 1, loss=losses[-1])
            row: dict[str, Any] = {"epoch": epoch + 1, "step": (epoch + 1) * steps_per_epoch,
                                   "lr": optimizer.param_groups[0]["lr"], "loss": sum(losses) / len(losses)}
            if precise_bn:
                calibration = RandomSampler(dataset, replacement=True, num_samples=precise_bn * batch_size,
                                            generator=torch.Generator().manual_seed(seed - epoch - 1))
                recompute_batchnorm(judged, (x.to(dev, memory_format=torch.channels_last) for x, _ in
                                            DataLoader(dataset, batch_size=batch_size, sampler=calibration)))
            figures = {}
            if val_samples:
                figures = _scalars(evaluate(judged, val_samples, normalization=norm, ignore_index=ignore_index,
                                            tile_size=val_tile_size, device=str(dev)), names)
            elapsed += time.perf_counter() - t0
            row.update(figures, seconds=round(elapsed, 1))
            rows.append(row)
            value_now = figures.get(monitor)
            improved = (not val_samples or best_value is None
                        or (value_now > best_value if MONITORS[monitor] else value_now < best_value))
            if improved:
                best_value, best_epoch, best_figures = value_now, epoch + 1, figures
                save_checkpoint(out, judged, normalization=norm, classes=names, provenance=provenance(), half=half)
            save_checkpoint(last_path, model, normalization=norm, classes=names, provenance=provenance(),
                            train_state={"epoch": epoch + 1, "optimizer": optimizer.state_dict(),
                                         "scheduler": scheduler.state_dict(), "scaler": scaler.state_dict(),
                                         "rows": rows, "seconds": elapsed, "best_value": best_value,
                                         "best_epoch": best_epoch, "best_figures": best_figures,
                                         **({} if average is None else {"ema": average.state_dict()})})
            _write_log(log_path, rows)
            shown = f"{monitor} {value_now:.4f}" if value_now is not None else ""
            bar.update(task, val=shown)
            if progress:
                console.print(f"epoch {epoch + 1}/{epochs}  loss {row['loss']:.4f}  {shown}"
                              f"{'  (best)' if improved and val_samples else ''}  {elapsed:.0f} s")
    curves = _plot(out.with_name(out.stem + ".png"), rows, monitor) if rows else None
    return TrainResult(best=out, last=last_path, log=log_path, curves=curves, figures=best_figures,
                       best_epoch=best_epoch, epochs=epochs, steps=total, seconds=elapsed)
