"""Run registered methods over a data set, time them and score them (``seglab bench``).

A :class:`MethodRun` is one method with fixed parameters and, optionally, a
sweep of one parameter. Every image is read, segmented once per setting with
:func:`seglab.segment` (only that call is timed: seconds per image are the
mean over images and settings), converted to what the task compares, and
scored by :mod:`seglab.evaluation.scores`:

- **semantic**: the method's labels are class ids. An instance method's
  labels count as class 1 wherever they are positive (for binary data).
- **instance**: instance methods are used as they are (segment scores, when
  known, feed the AP; otherwise 1.0). A semantic method's labels become
  instances by :func:`seglab.postprocess.semantic_to_instance` (connected
  components of each class except `background_class`, default 0; clustering
  methods number their clusters from 1 by luminance, so pass the class that is
  background, e.g. 1 for the darker of two clusters).
- **partition** (BSDS): every prediction becomes regions, one per connected
  component (8-connectivity) of equal labels (:func:`seglab.evaluation.scores.regions_of`,
  the convention of ``seglab eval`` too), so a class map is compared as the
  regions it forms and the boundaries scored are those of the regions, for
  every family. The sweep's settings are the BSDS "thresholds": ODS picks one
  setting for the whole data set, OIS the best per image.

- **partition with a soft boundary map** (``boundary_map="scores"``): the
  method's soft edge map (``Segmentation.scores[0]`` of ``return_scores=True``,
  the edge family's) divided by its maximum in each image is thresholded at
  the benchmark's 99 levels, as BSDS scores a ``pb`` map (Canny in the BSDS500
  paper): boundary ODS, OIS and AP only (:class:`BoundaryMapEvaluator`); each
  sweep setting is then a row of its own.

Without a sweep every task gives one row per method (for partition, one
setting: ODS = OIS). With a sweep, semantic and instance runs give one row per
setting. Stochastic methods get ``rng=0`` unless an ``rng`` is given. An image
that fails (unreadable, the method or a metric refuses it) is reported and
skipped. Every method's parameters (each setting) are checked before any image
is read: a rejected one raises at once.

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> from seglab.io import write_labels
>>> from seglab.io.datasets import find_dataset
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "images").mkdir(); (root / "labels").mkdir()
>>> img = np.zeros((8, 8), np.uint8); img[2:6, 2:6] = 200
>>> _ = write_labels(root / "images" / "a.png", img)
>>> _ = write_labels(root / "labels" / "a.png", (img > 0).astype(int))
>>> [result] = run_bench(find_dataset(root), [MethodRun("otsu")], task="semantic", num_classes=2)
>>> result.summary["mean_iou"], result.n_images
(1.0, 1)
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidImageError, InvalidParameterError, MissingDependencyError
from ..core.registry import get_method
from ..core.types import Segmentation
from ..core.validate import check_param
from ..run import Job, prepare, read_input, segment_image
from ..io.datasets import Dataset
from .formats import LabelData, read_truth, settings_from
from .scores import Evaluator, make_evaluator, regions_of
from .tasks import SAMPLE_IMAGES, TaskChoice, choose_task

__all__ = ["MethodRun", "RunResult", "run_bench", "jobs_of", "to_prediction", "dataset_task",
           "BoundaryMapEvaluator", "BOUNDARY_MAPS", "SOFT_MAP_CONVENTION"]

#: What ``seglab bench`` scores on partition data: the regions' boundaries, or a soft boundary map.
BOUNDARY_MAPS = ("regions", "scores")
#: How a soft map is scored (printed in bench.md with ``--boundary-map scores``).
SOFT_MAP_CONVENTION = ("boundary map: the soft edge map (Segmentation.scores[0], return_scores=True) divided by "
                       "its maximum in each image, thresholded at the BSDS benchmark's 99 levels; "
                       "regions are not scored")


@dataclass(frozen=True)
class MethodRun:
    """A method, its fixed parameters and an optional sweep ``(name, values)`` of one parameter."""

    method: str
    params: Mapping[str, Any] = field(default_factory=dict)
    sweep: tuple[str, tuple[Any, ...]] | None = None

    @property
    def settings(self) -> list[dict[str, Any]]:
        """The parameter sets to run, one per sweep value (one when there is no sweep).

        Examples
        --------
        >>> MethodRun("kmeans", {"rng": 1}, ("num_classes", (2, 3))).settings
        [{'rng': 1, 'num_classes': 2}, {'rng': 1, 'num_classes': 3}]
        """
        if self.sweep is None:
            return [dict(self.params)]
        name, values = self.sweep
        return [{**self.params, name: v} for v in values]

    def label(self, setting: Mapping[str, Any] | None = None) -> str:
        """Row name: the method and the parameters given (not the defaults).

        Examples
        --------
        >>> MethodRun("canny", {"sigma": 2.0}, ("low_threshold", (5, 10))).label()
        'canny sigma=2.0 low_threshold=5,10'
        >>> MethodRun("hsv_range", {"ranges": ["red", "green", "blue", "white"]}).label()
        "hsv_range ranges=['red', 'green', 'bl..."
        """
        parts = [self.method, *(f"{k}={_short(v)}" for k, v in (setting or self.params).items())]
        if setting is None and self.sweep is not None:
            parts.append(f"{self.sweep[0]}={','.join(_short(v) for v in self.sweep[1])}")
        return " ".join(parts)


def _short(value: Any) -> str:
    """A parameter value for a row name; long ones (JSON lists) are cut (the JSON output has them whole)."""
    text = str(value)
    return text if len(text) <= 24 else text[:20] + "..."


@dataclass
class RunResult:
    """Outcome of one method (and, outside partition tasks, one sweep setting) on a data set."""

    name: str
    method: str
    params: dict[str, Any]
    sweep: dict[str, list[Any]] | None
    task: str
    n_images: int = 0
    seconds_per_image: float = float("nan")
    summary: dict[str, Any] | None = None
    per_image: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (NaN is left for the writer to turn into null)."""
        return {
            "name": self.name, "method": self.method, "params": self.params, "sweep": self.sweep,
            "task": self.task, "n_images": self.n_images, "seconds_per_image": self.seconds_per_image,
            "summary": self.summary, "error": self.error,
            "failures": [{"image": s, "reason": r} for s, r in self.failures],
            "per_image": self.per_image,
        }


def dataset_task(dataset: Dataset, task: str, num_classes: int | None) -> TaskChoice:
    """The task of ``--task auto``, as ``seglab eval`` chooses it (:func:`seglab.evaluation.tasks.choose_task`).

    Examples
    --------
    >>> from pathlib import Path
    >>> ds = Dataset(Path("."), None, "labels", [], [])
    >>> dataset_task(ds, "auto", 2).task, dataset_task(ds, "panoptic", None).task
    ('semantic', 'panoptic')
    """
    if task != "auto":
        return TaskChoice(task, "--task")
    if dataset.label_kind == "mat":
        return choose_task({"mat"}, {"labels"}, num_classes)
    sample: list[NDArray[np.int32]] = []
    for item in dataset.items if num_classes is None else ():
        if len(sample) == SAMPLE_IMAGES:
            break
        try:
            sample.append(read_truth(item.labels, page=item.page).labels)
        except InvalidImageError:  # an unreadable ground truth is that image's failure, reported when it is scored
            continue
    return choose_task({"labels"}, {"labels"}, num_classes, sample)


def darkest_class(labels: NDArray[np.int32], image: NDArray) -> int:
    """The class of `labels` whose pixels have the lowest mean intensity in `image` (gray or RGB).

    Examples
    --------
    >>> darkest_class(np.array([[0, 1, 2]], np.int32), np.array([[90, 10, 50]], np.uint8))
    1
    """
    gray = image.mean(axis=2) if image.ndim == 3 else image
    lab = np.where(labels < 0, 0, labels).ravel()
    counts = np.bincount(lab)
    sums = np.bincount(lab, weights=gray.ravel().astype(np.float64))
    means = np.where(counts > 0, sums / np.maximum(counts, 1), np.inf)
    return int(np.argmin(means))


def to_prediction(seg: Segmentation, task: str, *, background_class: int | str = 0,
                  image: NDArray | None = None,
                  source: str = "prediction") -> tuple[NDArray[np.int32], dict[int, float] | None]:
    """What `task` compares of a method's result: (labels, instance scores or None).

    `background_class` is a class id, or ``"darkest"``: per image, the class with the
    lowest mean intensity in `image` (for clustering and texture methods, whose class
    numbers do not say which one is background).

    Examples
    --------
    >>> import seglab
    >>> seg = seglab.segment(np.array([[0, 9, 0, 9]], np.uint8), "otsu")
    >>> labels, scores = to_prediction(seg, "instance")
    >>> labels.tolist(), scores
    ([[0, 1, 0, 2]], None)
    """
    from ..postprocess import semantic_to_instance

    labels = seg.labels
    if task == "semantic":
        return (labels if seg.task == "semantic" else (labels > 0).astype(np.int32)), None
    if task == "instance":
        if seg.task == "semantic":
            if background_class == "darkest":
                if image is None:
                    raise ValueError('background_class="darkest" needs the image')
                background_class = darkest_class(labels, image)
            return semantic_to_instance(labels, background=int(background_class)), None
        scores = {int(i): float(s.score) for i, s in seg.segments.items() if s.score is not None}
        return labels, scores or None
    return regions_of(labels), None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


@dataclass
class _Runner:
    dataset: Dataset
    task: str
    make: Callable[[], Evaluator | BoundaryMapEvaluator]
    background_class: int | str
    advance: Callable[[], None]
    soft: bool = False


def _segment(job: Job, image: NDArray) -> tuple[Segmentation, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        seg = segment_image(job, image)
        return seg, time.perf_counter() - start


def jobs_of(run: MethodRun, *, boundary_map: str = "regions") -> list[Job]:
    """One checked job per setting (stochastic methods get ``rng=0`` unless one is given).

    With ``boundary_map="scores"`` every setting also gets ``return_scores=True``.

    Raises
    ------
    InvalidParameterError
        A setting the method rejects (checked without any image), or a
        method without ``return_scores`` asked for a soft map.
    """
    spec = get_method(run.method)
    seed = {"rng": 0} if spec.stochastic else {}
    soft = {"return_scores": True} if boundary_map == "scores" else {}
    if soft and "return_scores" not in {p.name for p in spec.params()}:
        raise InvalidParameterError(f"{run.method} gives no soft boundary map (it has no return_scores "
                                    "parameter); score its regions instead (the default).")
    return [prepare(spec, {**seed, **setting, **soft}, outputs=("labels",)) for setting in run.settings]


def soft_boundary_map(seg: Segmentation) -> NDArray[np.float64]:
    """A result's soft edge map scaled to [0, 1] by its maximum (all 0 when it has none), for the BSDS sweep.

    Examples
    --------
    >>> import seglab
    >>> img = np.zeros((12, 12), np.uint8); img[:, 6:] = 90
    >>> m = soft_boundary_map(seglab.segment(img, "canny", sigma=0, return_scores=True))
    >>> float(m.max()), np.flatnonzero(m[6]).tolist()
    (1.0, [5])
    """
    if seg.scores is None or seg.scores.shape[0] != 1:
        raise InvalidParameterError(f"{seg.method} returned no single soft map in scores; it cannot be "
                                    "scored with boundary_map='scores'.")
    soft = seg.scores[0].astype(np.float64)
    top = soft.max()
    return soft / top if top > 0 else soft


class BoundaryMapEvaluator:
    """The BSDS boundary benchmark of soft boundary maps: 99 thresholds, ODS, OIS and AP.

    Examples
    --------
    >>> gt = LabelData.from_labels(np.repeat([[1, 1, 2, 2]], 4, axis=0), source="gt")
    >>> ev = BoundaryMapEvaluator()
    >>> row = ev.add(gt, np.repeat([[0.0, 1.0, 0.0, 0.0]], 4, axis=0))
    >>> row["boundary_f"], ev.summary()["boundary_ods"]
    (1.0, 1.0)
    """

    task = "partition"

    def __init__(self, *, nthresh: int = 99) -> None:
        self.nthresh = nthresh
        self.results: list[Any] = []

    def add(self, truth: LabelData, boundary_map: NDArray[np.float64]) -> dict[str, Any]:
        """Score one image's map in [0, 1] against its annotations; the image's row."""
        from .. import metrics
        from ..metrics.bsds import BsdsGroundTruth

        annotations = list(truth.annotations) if truth.kind == "bsds" else [
            BsdsGroundTruth.from_labels(truth.labels)]
        result = metrics.evaluate_bsds_image(annotations, boundary_map=boundary_map, nthresh=self.nthresh,
                                             regions=False)
        self.results.append(result)
        one = metrics.summarize_bsds([result])
        return {"boundary_f": one.boundary.ods_f, "settings": self.nthresh, "annotators": len(annotations)}

    def summary(self) -> dict[str, Any]:
        """Boundary ODS, OIS and AP over the images added, the ODS threshold and the F per threshold."""
        from .. import metrics

        b = metrics.summarize_bsds(self.results).boundary
        return {"boundary_ods": b.ods_f, "boundary_ois": b.ois_f, "boundary_ap": b.ap,
                "ods_setting": {"boundary": b.ods_threshold},
                "per_setting": {"boundary_f": b.per_threshold[:, 3].tolist()}}


def _run_one(r: _Runner, run: MethodRun, jobs: list[Job]) -> list[RunResult]:
    settings = run.settings
    combined = r.task == "partition" and not r.soft  # the sweep is the BSDS threshold axis
    sweep = None if run.sweep is None else {run.sweep[0]: list(run.sweep[1])}
    groups = [list(zip(settings, jobs))] if combined else [[pair] for pair in zip(settings, jobs)]
    results = [RunResult(name=run.label() if combined else run.label(g[0][0]), method=run.method,
                         params=dict(run.params) if combined else dict(g[0][0]),
                         sweep=sweep if combined else None, task=r.task) for g in groups]
    evaluators = [r.make() for _ in groups]
    times: list[list[float]] = [[] for _ in groups]
    for item in r.dataset.items:
        r.advance()
        try:
            image, _ = read_input(item.image, page=item.page)
            truth = read_truth(item.labels, page=item.page)
        except (ValueError, OSError) as exc:
            for res in results:
                res.failures.append((item.stem, _one_line(exc)))
            continue
        for res, group, ev, spent in zip(results, groups, evaluators, times):
            if res.error:
                continue
            try:
                preds, scores, took = [], None, []
                for _, job in group:
                    seg, seconds = _segment(job, image)
                    took.append(seconds)
                    if r.soft:
                        preds.append(soft_boundary_map(seg))
                    else:
                        labels, scores = to_prediction(seg, r.task, background_class=r.background_class,
                                                       image=image)
                        preds.append(labels)
                if r.soft:
                    row = ev.add(truth, preds[0])
                elif combined:
                    row = ev.add(truth, settings_from(preds, source=f"{run.method}:{item.stem}"))
                else:
                    row = ev.add(truth, LabelData.from_labels(preds[0], source=f"{run.method}:{item.stem}",
                                                              scores=scores))
            except MissingDependencyError:
                raise
            except Exception as exc:  # a bad image must not stop the benchmark
                reason = _one_line(exc)
                if not isinstance(exc, (ValueError, OSError)):
                    reason = f"unexpected {type(exc).__name__}: {reason}"
                res.failures.append((item.stem, reason))
                continue
            spent.extend(took)
            res.per_image.append({"image": item.stem, **row})
    for res, ev, spent in zip(results, evaluators, times):
        res.n_images = len(res.per_image)
        res.seconds_per_image = float(np.mean(spent)) if spent else float("nan")
        if res.per_image:
            try:
                res.summary = ev.summary()
            except ValueError as exc:
                res.error = f"summary failed: {_one_line(exc)}"
        volumes = [] if combined or r.soft else ev.volumes([row["image"] for row in res.per_image])
        if volumes and res.summary:  # pages of volumes: each volume scored on all its voxels too (per-case Dice)
            res.summary["volumes"] = len(volumes)
            res.summary["volume_mean_dice"] = sum(v["mean_dice"] for v in volumes) / len(volumes)
    return results


def run_bench(
    dataset: Dataset,
    runs: Sequence[MethodRun],
    *,
    task: str = "auto",
    num_classes: int | None = None,
    ignore_index: int | None = -1,
    label_map: Mapping[int, int] | None = None,
    background_class: int | str = 0,
    limit: int | None = None,
    boundary_map: str = "regions",
    log: Callable[[str], None] = lambda line: None,
    advance: Callable[[], None] = lambda: None,
) -> list[RunResult]:
    """Run every method of `runs` on `dataset` and score it.

    Parameters
    ----------
    dataset : Dataset
        From :func:`seglab.io.datasets.find_dataset`.
    runs : sequence of MethodRun
        Methods, parameters and sweeps.
    task : {"auto", "semantic", "instance", "panoptic", "partition"}
        What the labels hold (see :func:`dataset_task` for ``auto``).
    num_classes, ignore_index, label_map
        Semantic evaluation options (:class:`~seglab.evaluation.scores.SemanticEvaluator`).
    background_class : int
        Instance task: the class of a semantic result that is background.
    limit : int, optional
        Use only the first `limit` images (in stem order).
    boundary_map : {"regions", "scores"}
        Partition task: score the boundaries of the regions, or the soft edge
        map of each result (:func:`soft_boundary_map`, 99 thresholds,
        boundary benchmark only; needs ``return_scores``).
    log : callable, optional
        Called with one line per finished run.
    advance : callable, optional
        Called as each method starts on each image (``len(runs) * n_images`` calls), for a progress bar.

    Returns
    -------
    list of RunResult
        One per method, or per method and setting for swept semantic/instance runs.

    Raises
    ------
    UnknownMethodError
        A method that is not registered.
    InvalidParameterError
        A parameter (of any setting) that the method rejects; ``boundary_map="scores"``
        on another task than partition or with a method without ``return_scores``.
    MissingDependencyError
        A method whose optional package is missing.
    """
    choice = dataset_task(dataset, task, num_classes)
    task, label_map = choice.task, label_map or choice.label_map or None
    if limit is not None:
        dataset = Dataset(dataset.root, dataset.split, dataset.label_folder, dataset.items[:limit],
                          dataset.missing_labels)

    check_param(boundary_map in BOUNDARY_MAPS, "boundary_map", f"must be one of {BOUNDARY_MAPS}; got {boundary_map!r}.")
    soft = boundary_map == "scores"
    check_param(not soft or task == "partition", "boundary_map",
                f"'scores' scores soft boundary maps on partition (BSDS) data; the task is {task!r}.")

    def make() -> Evaluator | BoundaryMapEvaluator:
        if soft:
            return BoundaryMapEvaluator()
        return make_evaluator(task, num_classes=num_classes, ignore_index=ignore_index, label_map=label_map)

    make()  # check the options once, before any image is read
    runner = _Runner(dataset, task, make, background_class, advance, soft)
    jobs = [jobs_of(run, boundary_map=boundary_map) for run in runs]  # parameters checked before any image
    out: list[RunResult] = []
    for run, run_jobs in zip(runs, jobs):
        for res in _run_one(runner, run, run_jobs):
            out.append(res)
            state = res.error or f"{res.n_images} images, {res.seconds_per_image:.4g} s/image, {len(res.failures)} failed"
            log(f"{res.name}: {state}")
    return out
