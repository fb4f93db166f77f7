"""Training ``unet_instances`` and ``mask_rcnn``, then choosing their thresholds on the validation images.

Every image is prepared once (:func:`~.images.gray_input`, then zoomed so that
its median object has the model's ``diameter``: the scale inference brings
images to), and each step draws random crops from them: a random zoom around
that scale (half of the crops within 0.8-1.25, the others within the `zoom`
range, so that the first inference pass at the image's own scale also finds
objects of other sizes), flips, turns, contrast, blur, noise and inversion.
``unet_instances`` learns the background / interior / boundary classes
(cross-entropy + Dice); ``mask_rcnn`` learns torchvision's box, class and mask
losses. After each epoch the model segments the validation images as users
run it (:func:`~.predict.predict_instances`) and is scored by
:mod:`seglab.evaluation`: the best DSB score picks the checkpoint. At the end
the thresholds are chosen on the validation images and stored in the
checkpoint as the model's defaults.

Files written next to `out` as by :func:`seglab.deep._torch.train.train`:
``<out>`` (best), ``<stem>.last.pt`` (for `resume`), ``<stem>.csv`` (one
row per epoch) and ``<stem>.tuning.csv`` (the threshold grid).
"""

from __future__ import annotations

import itertools
import math
import os
import shlex
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import torch
from numpy.typing import NDArray
from scipy import ndimage as ndi

from .... import __version__ as seglab_version
from ....core.errors import InvalidParameterError, did_you_mean
from ....evaluation.formats import LabelData
from ....evaluation.scores import make_evaluator
from ....metrics import dsb_score
from ..checkpoint import read_checkpoint, save_checkpoint
from ..data import read_stems
from ..ema import WeightAverage, check_decay
from ..options import check_resumable, check_training_options
from ..losses import IGNORE, build_loss
from ..models.base import SegmentationModel
from ..models.widen import init_width, widen_unet
from ..predict import resolve_device
from ..train import TrainResult, _hardware, _plot, _write_log, lr_factor
from .checkpoint import NORMALIZATION, load_instance_checkpoint
from .data import InstanceSample, check_objects, load_instance_samples
from .images import gray_input, resize, scaled_shape
from .models import UNET_CLASSES, build_instance_model
from .predict import predict_instances, rcnn_pass, unet_pass, unet_split
from .scale import MAX_FACTOR, MIN_FACTOR, at_object_scale
from .targets import boundary_targets, median_diameter
from .tiles import paint

__all__ = ["FIGURES", "InstanceAugmentation", "train_instances", "tune_thresholds", "validate"]

#: Validation figures in the log; the DSB score picks the best checkpoint.
FIGURES = ("dsb_score", "f1@0.5", "precision@0.5", "recall@0.5", "mean_matched_iou", "ap", "ap50")
_UNET_GRID = {"foreground_threshold": (0.3, 0.4, 0.5, 0.6), "seed_threshold": (0.4, 0.5, 0.6, 0.7, 0.8),
              "min_size": (0, 10, 25, 50)}
_RCNN_SCORES = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class InstanceAugmentation:
    """The random changes of each training crop.

    Attributes
    ----------
    hflip, vflip, rot90 : bool
        Random flips and turns by multiples of 90 degrees.
    zoom : (float, float)
        Range of the random zoom (log-uniform) of half of the crops, around
        the model's scale; the other half stay within 0.8-1.25.
    jitter : float
        Strength of the random contrast and brightness change (normalised units).
    noise : float
        Largest standard deviation of added Gaussian noise.
    blur : float
        Probability of a Gaussian blur (sigma 0.5-1.5 pixels).
    invert : float
        Probability of inverting the crop (objects dark).
    light_share : float or None
        Share of the crops drawn from images with a light background
        (brightfield, stained tissue: those the input normalisation inverts);
        None draws every image equally often. For data sets where such images
        are few (a fifth of DSB2018's).
    """

    hflip: bool = True
    vflip: bool = True
    rot90: bool = True
    zoom: tuple[float, float] = (0.5, 2.0)
    jitter: float = 0.2
    noise: float = 0.05
    blur: float = 0.2
    invert: float = 0.1
    light_share: float | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> InstanceAugmentation:
        """Defaults overridden by `values` (unknown keys are an error)."""
        names = [f.name for f in fields(cls)]
        for key in values or {}:
            if key not in names:
                raise InvalidParameterError(f"augment: unknown key {key!r}.{did_you_mean(key, names)} "
                                            f"Keys: {', '.join(names)}.")
        merged = {**asdict(cls()), **dict(values or {})}
        merged["zoom"] = tuple(float(z) for z in merged["zoom"])
        if not 0 < merged["zoom"][0] <= merged["zoom"][1]:
            raise InvalidParameterError(f"augment: zoom must be (low, high) with 0 < low <= high; got {merged['zoom']}.")
        share = merged["light_share"]
        number = isinstance(share, (int, float)) and not isinstance(share, bool)
        if share is not None and not (number and 0 <= share <= 1):
            raise InvalidParameterError(f"augment: light_share must be a number in [0, 1] or null; got {share!r}.")
        return cls(**merged)


@dataclass(frozen=True)
class _Prepared:
    x: NDArray[np.float32]  # (H, W) at the model's scale
    labels: NDArray[np.int32]  # instance ids (-1 void), same size
    target: NDArray[np.int8] | None  # unet_instances: 0/1/2, -1 void
    class_ids: NDArray[np.int64]
    light: bool  # a light background (the input was inverted)


def _prepare(samples: Sequence[InstanceSample], *, diameter: float, boundary_width: int | None) -> list[_Prepared]:
    prepared = []
    for s in samples:
        x, light = gray_input(s.image, name=str(s.image_path))
        found = median_diameter(s.labels)
        factor = 1.0 if found is None else min(MAX_FACTOR, max(MIN_FACTOR, diameter / found))
        shape = scaled_shape(x.shape, factor)
        x = resize(x, shape)
        labels = resize(s.labels, shape, nearest=True)
        target = None
        if boundary_width is not None:
            target = boundary_targets(labels, width=boundary_width, void=-1).astype(np.int8)
        prepared.append(_Prepared(x, labels, target, s.class_ids, light))
    return prepared


class _Crops:
    """Random augmented crops of the prepared images."""

    def __init__(self, prepared: Sequence[_Prepared], crop_size: int, aug: InstanceAugmentation) -> None:
        self.prepared = prepared
        self.crop = crop_size
        self.aug = aug
        light = [p for p in prepared if p.light]
        dark = [p for p in prepared if not p.light]
        self.groups = (light, dark) if aug.light_share is not None and light and dark else None
        if aug.light_share is not None and self.groups is None:
            warnings.warn(f"light_share={aug.light_share} has no effect: the training images all have a "
                          f"{'light' if light else 'dark'} background, so they are drawn equally.", stacklevel=2)

    def _pick(self, rng: np.random.Generator) -> _Prepared:
        if self.groups is None:
            return self.prepared[int(rng.integers(len(self.prepared)))]
        group = self.groups[0] if rng.random() < self.aug.light_share else self.groups[1]
        return group[int(rng.integers(len(group)))]

    def _zoom(self, rng: np.random.Generator) -> float:
        lo, hi = (0.8, 1.25) if rng.random() < 0.5 else self.aug.zoom
        return math.exp(rng.uniform(math.log(lo), math.log(hi)))

    def one(self, rng: np.random.Generator) -> tuple[_Prepared, NDArray[np.float32], NDArray[np.int32]]:
        """One crop: its source, the image crop ``(c, c)`` and its labels (the target for unet_instances)."""
        item = self._pick(rng)
        side = max(1, round(self.crop / self._zoom(rng)))
        h, w = item.x.shape
        r0, c0 = int(rng.integers(max(h - side, 0) + 1)), int(rng.integers(max(w - side, 0) + 1))
        lab_src = item.target if item.target is not None else item.labels
        x = np.zeros((side, side), np.float32)
        lab = np.full((side, side), -1 if item.target is not None else 0, lab_src.dtype)
        part = (slice(r0, r0 + side), slice(c0, c0 + side))
        ph, pw = item.x[part].shape
        x[:ph, :pw] = item.x[part]
        lab[:ph, :pw] = lab_src[part]
        x = resize(x, (self.crop, self.crop))
        lab = resize(lab.astype(np.int32), (self.crop, self.crop), nearest=True)
        aug = self.aug
        k = int(rng.integers(4)) if aug.rot90 else 0
        flips = [axis for axis, on in ((1, aug.hflip), (0, aug.vflip)) if on and rng.random() < 0.5]
        x, lab = np.rot90(x, k), np.rot90(lab, k)
        for axis in flips:
            x, lab = np.flip(x, axis), np.flip(lab, axis)
        x = np.ascontiguousarray(x)
        if rng.random() < aug.invert:
            x = 1.0 - x
        x = x * np.float32(1 + rng.uniform(-aug.jitter, aug.jitter)) + np.float32(rng.uniform(-aug.jitter, aug.jitter) / 2)
        if rng.random() < aug.blur:
            x = cv2.GaussianBlur(x, (0, 0), float(rng.uniform(0.5, 1.5)))
        if aug.noise > 0:
            x = x + rng.normal(0, rng.uniform(0, aug.noise), x.shape).astype(np.float32)
        return item, x.astype(np.float32), np.ascontiguousarray(lab)

    def unet_batch(self, rng: np.random.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        xs, ts = [], []
        for _ in range(n):
            _, x, target = self.one(rng)
            xs.append(x)
            ts.append(np.where(target < 0, IGNORE, target))
        return torch.from_numpy(np.stack(xs)[:, None]), torch.from_numpy(np.stack(ts).astype(np.int64))

    def rcnn_batch(self, rng: np.random.Generator, n: int) -> tuple[list[torch.Tensor], list[dict[str, torch.Tensor]]]:
        images, targets = [], []
        for _ in range(n):
            item, x, lab = self.one(rng)
            boxes, masks, classes = [], [], []
            for index, box in enumerate(ndi.find_objects(np.where(lab > 0, lab, 0)), start=1):
                if box is None:
                    continue
                mask = lab[box] == index
                if mask.sum() < 4 or min(mask.shape) < 2:
                    continue
                full = np.zeros(lab.shape, np.uint8)
                full[box][mask] = 1
                boxes.append([box[1].start, box[0].start, box[1].stop, box[0].stop])
                masks.append(full)
                classes.append(int(item.class_ids[index]))
            images.append(torch.from_numpy(x)[None])
            targets.append({
                "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                "labels": torch.tensor(classes, dtype=torch.int64),
                "masks": torch.from_numpy(np.stack(masks)) if masks else torch.zeros((0, *lab.shape), dtype=torch.uint8),
            })
        return images, targets


def validate(model: SegmentationModel, samples: Sequence[InstanceSample], *, device: str = "auto",
             **settings: Any) -> dict[str, Any]:
    """The instance evaluator's summary of `model` on `samples`, segmented as users run it.

    Returns
    -------
    dict
        :mod:`seglab.evaluation`'s instance summary (``dsb_score``, ``f1@0.5``, ``ap``...).
    """
    evaluator = make_evaluator("instance")
    for s in samples:
        out = predict_instances(model, s.image, device=device, **settings)
        scores = {i: float(out.scores[i]) for i in range(1, out.scores.size)}
        evaluator.add(LabelData.from_labels(s.labels, source=s.source),
                      LabelData.from_labels(out.labels, source=f"prediction for {s.image_path}", scores=scores))
    return evaluator.summary()


def _scalars(summary: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(summary[k]) for k in FIGURES if k in summary and summary[k] is not None}


def tune_thresholds(model: SegmentationModel, samples: Sequence[InstanceSample], *, device: str = "auto"
                    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Choose the model's default thresholds by the mean DSB score on `samples`.

    ``unet_instances``: `foreground_threshold`, `seed_threshold` and `min_size`
    (in pixels at the model's scale) over a grid; ``mask_rcnn``:
    `score_threshold`. Each image's network output is computed once, at the
    scale the current defaults lead to.

    Returns
    -------
    best : dict
        The chosen settings.
    rows : list of dict
        Every setting tried with its mean DSB score.
    """
    config = model.config
    unet = config["arch"] == "unet_instances"
    outputs = []
    for s in samples:
        x, _ = gray_input(s.image)
        last: dict[str, Any] = {}

        def segment_at(factor: float, x: NDArray[np.float32] = x, last: dict[str, Any] = last) -> tuple[NDArray, Any]:
            if unet:
                last["out"] = unet_pass(model, x, factor, device=device)
                labels = unet_split(model, last["out"], factor, foreground_threshold=config["foreground_threshold"],
                                    seed_threshold=config["seed_threshold"], min_size=None)[0]
            else:
                last["out"] = rcnn_pass(model, x, factor, device=device, score_threshold=min(_RCNN_SCORES),
                                        nms_threshold=config["nms_threshold"], max_detections=config["max_detections"])
                labels = paint([d for d in last["out"] if d.score >= config["score_threshold"]], x.shape,
                               min_size=0, max_detections=config["max_detections"])[0]
            last["factor"] = factor
            return labels, None

        at_object_scale(segment_at, model_diameter=float(config["diameter"]), diameter=None)
        outputs.append((s, last["out"], last["factor"], x.shape))
    rows = []
    if unet:
        grid = [dict(zip(_UNET_GRID, values)) for values in itertools.product(*_UNET_GRID.values())]
    else:
        grid = [{"score_threshold": t} for t in _RCNN_SCORES]
    for setting in grid:
        scores = []
        for s, out, factor, shape in outputs:
            if unet:
                labels = unet_split(model, out, factor, foreground_threshold=setting["foreground_threshold"],
                                    seed_threshold=setting["seed_threshold"],
                                    min_size=round(setting["min_size"] / factor**2))[0]
            else:
                labels = paint([d for d in out if d.score >= setting["score_threshold"]], shape, min_size=0,
                               max_detections=config["max_detections"])[0]
            scores.append(dsb_score(s.labels, labels))
        rows.append({**setting, "dsb_score": float(np.mean(scores))})
    best = max(rows, key=lambda r: r["dsb_score"])
    return {k: v for k, v in best.items() if k != "dsb_score"}, rows


def _stems(path: str | os.PathLike[str] | None) -> list[str] | None:
    return None if path is None else read_stems(path)


def tune_checkpoint(path: str | os.PathLike[str], val_samples: Sequence[InstanceSample], *,
                    out: str | os.PathLike[str] | None = None, arch: Literal["unet_instances", "mask_rcnn"], device: str = "auto", half: bool = False,
                    provenance: Mapping[str, Any] | None = None, progress: bool = True) -> dict[str, float]:
    """Choose the thresholds of the checkpoint at `path` on `val_samples`; write the result to `out`.

    `out` defaults to `path` (training tunes its own best checkpoint). The
    grid goes to ``<out stem>.tuning.csv``; the provenance gets ``tuned`` (the
    chosen settings) and ``figures`` (the validation figures with them).
    `provenance` replaces the checkpoint's own record when given.

    Returns
    -------
    dict
        The validation figures with the chosen thresholds.
    """
    out = Path(path if out is None else out)
    best = load_instance_checkpoint(path, arch=arch)
    chosen, grid = tune_thresholds(best.model, val_samples, device=device)
    _write_log(out.with_name(out.stem + ".tuning.csv"), grid)
    best.model.config.update(chosen)
    figures = _scalars(validate(best.model, val_samples, device=device))
    record = {**(best.provenance if provenance is None else provenance), "tuned": chosen, "figures": figures}
    save_checkpoint(out, best.model, normalization=best.normalization, classes=best.classes, half=half,
                    provenance=record)
    if progress:
        print(f"thresholds chosen on {len(val_samples)} validation images: {chosen}; dsb_score "
              f"{figures.get('dsb_score', float('nan')):.4f}", file=sys.stderr, flush=True)
    return figures


def _init_classes(start: Any) -> list[str] | None:
    """The object class names of an init checkpoint (None without one)."""
    if start is None:
        return None
    config = start.model.config
    return [config["object_class"]] if "object_class" in config else list(config["object_classes"])


def _init_config(start: Any, names: list[str], unet: bool, init: Any) -> dict[str, Any]:
    """An init checkpoint's architecture config, named for the data's object classes."""
    config = {k: v for k, v in start.model.config.items() if k != "arch"}
    if unet:
        config["object_class"] = names[0]
    elif len(names) != len(config["object_classes"]):
        raise InvalidParameterError(
            f"init: {init} detects {len(config['object_classes'])} object classes "
            f"({', '.join(config['object_classes'])}) and the data have {len(names)} ({', '.join(names)}); "
            "fine-tune on data with the same classes, or train from scratch."
        )
    else:
        config["object_classes"] = names
    return config


def train_instances(method: Literal["unet_instances", "mask_rcnn"], data_dir: str | os.PathLike[str],
                    out: str | os.PathLike[str], *, model_config: Mapping[str, Any] | None = None,
                    classes: Sequence[str] | None = None, split: str | None = None, val_split: str | None = None,
                    train_list: str | os.PathLike[str] | None = None, val_list: str | os.PathLike[str] | None = None,
                    annotations: str | os.PathLike[str] | None = None, crop_size: int = 256, batch_size: int = 4,
                    epochs: int = 50, steps_per_epoch: int | None = None, lr: float | None = None,
                    weight_decay: float = 1e-4, schedule: Literal["cosine", "poly", "constant"] = "cosine",
                    warmup_steps: int | None = None, augment: Mapping[str, Any] | None = None, amp: bool = False,
                    ema: float | None = None,
                    tune: bool = True, device: str = "auto", seed: int = 0, resume: bool = False,
                    num_threads: int | None = None, half: bool = False, progress: bool = True,
                    command: str | None = None, init: str | os.PathLike[str] | None = None) -> TrainResult:
    """Train an instance model on `data_dir` and write the best checkpoint to `out`.

    Parameters
    ----------
    method : {"unet_instances", "mask_rcnn"}
    data_dir : path-like
        ``images/[SPLIT/]`` + ``labels/[SPLIT/]`` (instance label images), or
        ``images/`` + ``annotations.json`` (COCO); see :mod:`.data`.
    out : path-like
        The best checkpoint; the last one and the logs go next to it.
    model_config : mapping, optional
        Keywords of the architecture (:mod:`.models`), e.g. ``{"base_width": 16, "diameter": 24}``.
    classes : sequence of str, optional
        Object class names of a label-image data set (default ``["object"]``;
        a COCO file names its own categories).
    split, val_split : str, optional
        Training and validation splits of the label-image layout.
    train_list, val_list : path-like, optional
        Files of stems (one per line) choosing the training and validation images.
    annotations : path-like, optional
        The COCO file (default ``data_dir/annotations.json`` when it exists).
    crop_size, batch_size : int
        Side of the random crops and crops per step.
    epochs, steps_per_epoch : int
        Validation after every epoch (default: one step per training image).
    lr : float, optional
        AdamW learning rate (default 1e-3 for unet_instances, 2e-4 for mask_rcnn).
    weight_decay : float
    schedule : {"cosine", "poly", "constant"}
        After `warmup_steps` of linear warm-up (default 5 % of all steps).
    augment : mapping, optional
        Overrides of :class:`InstanceAugmentation`.
    amp : bool
        Mixed precision (bfloat16 autocast; no loss scaling needed).
    ema : float, optional
        Validate and save the exponential moving average of the weights with
        this decay (e.g. 0.999; :mod:`..ema`) instead of the last step's. None = off.
    tune : bool
        Choose the thresholds on the validation images at the end (:func:`tune_thresholds`).
    device : {"auto", "cpu", "cuda"}
    seed : int
        Seeds initialisation and the crops of each epoch (resuming repeats them).
    resume : bool
        Continue from ``<stem>.last.pt`` if it exists.
    num_threads : int, optional
        CPU threads (default: PyTorch's).
    half : bool
        Store the best checkpoint's weights as float16.
    progress : bool
        One line per epoch on stderr.
    command : str, optional
        The command recorded in the provenance (default: this process's command line).
    init : path-like, optional
        Start from the weights of this `method` checkpoint instead of random
        ones (fine-tuning). Its architecture config (diameter, thresholds
        included) is kept, and its object class names unless the data or
        `classes` name them; mask_rcnn needs as many object classes as it has.
        With `model_config` ``{"base_width": N}``, a ``unet_instances``
        checkpoint is widened to base width N so that it starts out computing
        what the checkpoint computes (:func:`~..models.widen.widen_unet`).

    Returns
    -------
    TrainResult
        ``figures``: the best epoch's validation figures (after tuning, at the chosen thresholds).

    Raises
    ------
    InvalidParameterError, InvalidImageError, FileNotFoundError
        Bad options or unusable data (one clear error naming the file and the entry).
    """
    if method not in ("unet_instances", "mask_rcnn"):
        raise InvalidParameterError(f"train_instances trains unet_instances or mask_rcnn; got {method!r}.")
    check_training_options(crop_size=crop_size, batch_size=batch_size, epochs=epochs, lr=lr,
                           weight_decay=weight_decay, schedule=schedule)
    ema = check_decay(ema)
    aug = InstanceAugmentation.from_mapping(augment)
    unet = method == "unet_instances"
    out = Path(out)
    last_path, log_path = out.with_name(out.stem + ".last.pt"), out.with_name(out.stem + ".csv")
    dev = resolve_device(device)
    if num_threads:
        torch.set_num_threads(num_threads)

    train_samples, coco_classes = load_instance_samples(data_dir, split=split, stems=_stems(train_list),
                                                        annotations=annotations)
    check_objects(train_samples, str(data_dir))
    val_samples: list[InstanceSample] = []
    if val_split is not None or val_list is not None:
        val_samples = load_instance_samples(data_dir, split=val_split, stems=_stems(val_list),
                                            annotations=annotations, what="validation")[0]
    start, width = None, None
    if init is not None:
        width = init_width(model_config, method)
        start = load_instance_checkpoint(init, arch=method)
    names = list(coco_classes or classes or _init_classes(start) or ["object"])
    config = dict(model_config or {}) if start is None else _init_config(start, names, unet, init)
    if width is not None:
        config["base_width"] = width
    if unet:
        if len(names) != 1:
            raise InvalidParameterError(f"unet_instances finds objects of one class; the data have {len(names)} "
                                        f"({', '.join(names)}): train mask_rcnn for several classes.")
        config.setdefault("object_class", names[0])
    else:
        config.setdefault("object_classes", names)
    torch.manual_seed(seed)
    model = build_instance_model(method, **config)
    if width is not None:
        widen_unet(start.model, model, seed=seed)
    elif start is not None:
        model.load_state_dict(start.model.state_dict())
    config = model.config
    prepared = _prepare(train_samples, diameter=float(config["diameter"]),
                        boundary_width=int(config["boundary_width"]) if unet else None)
    crops = _Crops(prepared, crop_size, aug)
    model.to(dev, memory_format=torch.channels_last) if unet else model.to(dev)
    criterion = build_loss("ce+dice", num_classes=len(UNET_CLASSES)).to(dev) if unet else None
    steps_per_epoch = steps_per_epoch or math.ceil(len(train_samples) / batch_size)
    total = epochs * steps_per_epoch
    warmup = warmup_steps if warmup_steps is not None else max(1, total // 20)
    rate = lr if lr is not None else (1e-3 if unet else 2e-4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=rate, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(s, total=total, warmup=warmup, schedule=schedule))
    start_epoch, rows, best_value, best_epoch, best_figures, elapsed = 0, [], None, 0, {}, 0.0
    state: dict[str, Any] = {}  # the training state of a resumed run
    if resume and last_path.is_file():
        raw = read_checkpoint(last_path)
        check_resumable(last_path, raw.get("provenance", {}), {
            "epochs": epochs, "steps_per_epoch": steps_per_epoch, "batch_size": batch_size, "crop_size": crop_size,
            "lr": rate, "weight_decay": weight_decay, "schedule": schedule})
        state = raw["train_state"]
        model.load_state_dict(load_instance_checkpoint(last_path, arch=method).model.state_dict())
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, rows, elapsed = state["epoch"], list(state["rows"]), state["seconds"]
        best_value, best_epoch, best_figures = state["best_value"], state["best_epoch"], dict(state["best_figures"])
    average = None if ema is None else WeightAverage(model, ema)
    if average is not None and "ema" in state:
        average.load_state_dict(state["ema"])
    judged = model if average is None else average.model  # the weights validated and saved as the best

    def provenance(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return {
            "data": str(Path(data_dir).resolve()), "split": split, "val_split": val_split,
            "train_list": None if train_list is None else str(train_list),
            "val_list": None if val_list is None else str(val_list),
            "annotations": None if annotations is None else str(annotations),
            "train_stems": [s.stem for s in train_samples], "val_stems": [s.stem for s in val_samples],
            "init": None if init is None else str(init),
            "seed": seed, "epochs": epochs, "steps_per_epoch": steps_per_epoch,
            "steps": len(rows) and rows[-1]["step"], "batch_size": batch_size, "crop_size": crop_size, "lr": rate,
            "weight_decay": weight_decay, "schedule": schedule, "warmup_steps": warmup, "amp": amp, "ema": ema,
            "augment": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(aug).items()},
            "best_epoch": best_epoch, "figures": best_figures, "seconds": round(elapsed, 1),
            "hardware": _hardware(dev), "command": command or " ".join(shlex.quote(a) for a in sys.argv),
            "seglab_version": seglab_version, "torch_version": str(torch.__version__),
            "date": datetime.now(UTC).isoformat(timespec="seconds"), **(extra or {}),
        }

    classes_out = list(UNET_CLASSES) if unet else ["background", *config["object_classes"]]
    autocast = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp)
    for epoch in range(start_epoch, epochs):
        t0 = time.perf_counter()
        rng = np.random.default_rng([seed, epoch])
        torch.manual_seed(seed + epoch)
        model.train()
        losses = []
        for _ in range(steps_per_epoch):
            if unet:
                x, target = crops.unet_batch(rng, batch_size)
                with autocast:
                    logits = model.net(x.to(dev, memory_format=torch.channels_last))
                loss = criterion(logits.float(), target.to(dev))
            else:
                images, targets = crops.rcnn_batch(rng, batch_size)
                with autocast:
                    parts = model.net([i.to(dev) for i in images],
                                      [{k: v.to(dev) for k, v in t.items()} for t in targets])
                loss = sum(v.float() for v in parts.values())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if not unet:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optimizer.step()
            scheduler.step()
            if average is not None:
                average.update(model)
            losses.append(float(loss.detach()))
        row: dict[str, Any] = {"epoch": epoch + 1, "step": (epoch + 1) * steps_per_epoch,
                               "lr": optimizer.param_groups[0]["lr"], "loss": float(np.mean(losses))}
        figures = _scalars(validate(judged, val_samples, device=str(dev))) if val_samples else {}
        elapsed += time.perf_counter() - t0
        row.update(figures, seconds=round(elapsed, 1))
        rows.append(row)
        value = figures.get("dsb_score")
        improved = not val_samples or best_value is None or value > best_value
        if improved:
            best_value, best_epoch, best_figures = value, epoch + 1, figures
            save_checkpoint(out, judged, normalization=NORMALIZATION, classes=classes_out, provenance=provenance(),
                            half=half)
        save_checkpoint(last_path, model, normalization=NORMALIZATION, classes=classes_out, provenance=provenance(),
                        train_state={"epoch": epoch + 1, "optimizer": optimizer.state_dict(),
                                     "scheduler": scheduler.state_dict(), "rows": rows, "seconds": elapsed,
                                     "best_value": best_value, "best_epoch": best_epoch,
                                     "best_figures": best_figures,
                                     **({} if average is None else {"ema": average.state_dict()})})
        _write_log(log_path, rows)
        if progress:
            shown = f"  dsb_score {value:.4f}{' (best)' if improved else ''}" if value is not None else ""
            print(f"epoch {epoch + 1}/{epochs}  loss {row['loss']:.4f}{shown}  {elapsed:.0f} s", file=sys.stderr,
                  flush=True)
    if tune and val_samples:
        best_figures = tune_checkpoint(out, val_samples, arch=method, device=str(dev), half=half,
                                       provenance=provenance(), progress=progress)
    curves = _plot(out.with_name(out.stem + ".png"), rows, "dsb_score") if rows else None
    return TrainResult(best=out, last=last_path, log=log_path, curves=curves, figures=best_figures,
                       best_epoch=best_epoch, epochs=epochs, steps=total, seconds=elapsed)
