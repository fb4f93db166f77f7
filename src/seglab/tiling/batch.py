"""Segment a folder of images on a ``dask.distributed`` cluster: local processes or a running scheduler.

Each input goes through :func:`seglab.run.process_file` in a worker (read,
segment, encode, write its files together); an input whose outputs are all
there, made with the same method and parameters
(:func:`seglab.run.outputs_complete`), is skipped, so an interrupted batch
resumes where it stopped. Inputs travel in chunks (about 8 per worker, at
most 32 inputs each), so that the scheduler's cost per task is spread over
several small images. A failing input stops nothing else: it is reported
and listed at the end. A local cluster runs one single-threaded process per
worker, each with a memory limit (its share of the available memory unless
given); a worker that exceeds it is restarted and its input reported failed.

Examples
--------
>>> report = BatchReport(done=[("a.png", ["out/a.labels.png"])], skipped=["b.png"], failures=[])
>>> report.summary("otsu", "out", total=2)
'seglab: 2 of 2 inputs segmented with otsu into out (1 skipped: outputs complete)'
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.memory import available_memory
from ..core.optional import require
from ..core.registry import get_method
from ..run import Job, one_line, outputs_complete, process_file

__all__ = ["run_batch", "BatchReport", "local_cluster", "connect"]

#: Inputs go to the workers in chunks (one task each) to spread the scheduling cost of small images:
#: about this many chunks per worker, of at most _MAX_CHUNK inputs.
_CHUNKS_PER_WORKER = 8
_MAX_CHUNK = 32


@dataclass
class BatchReport:
    """What a batch did: inputs done (with the files written), skipped (complete), failed (with the reason)."""

    done: list[tuple[str, list[str]]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    cluster: str = ""

    def summary(self, method: str, outdir: str | os.PathLike[str], *, total: int) -> str:
        """The closing line, as the serial command prints it (plus the skipped count)."""
        skipped = f" ({len(self.skipped)} skipped: outputs complete)" if self.skipped else ""
        done = len(self.done) + len(self.skipped)
        if self.failures:
            return f"seglab: {done} of {total} inputs segmented{skipped}; {len(self.failures)} failed:"
        return f"seglab: {done} of {total} inputs segmented with {method} into {outdir}{skipped}"


def connect(address: str, *, timeout: float = 3.0) -> Any:
    """A client of the dask scheduler at `address`, or a clear error within `timeout` seconds.

    Raises
    ------
    ConnectionError
        Nothing answers at `address`.
    """
    require("distributed", extra="dask", feature="--scheduler")
    from distributed import Client

    try:
        return Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConnectionError(
            f"no dask scheduler answers at {address} within {timeout:g} s ({type(exc).__name__}); start one with "
            "`dask scheduler` and workers with `dask worker ADDRESS`, or leave --scheduler out to run here."
        ) from None


def local_cluster(workers: int, *, memory_limit: int | None = None) -> tuple[Any, str]:
    """A client of a new LocalCluster of `workers` single-threaded processes, and a line describing it.

    `memory_limit` (bytes per worker) defaults to the available memory shared equally. Workers run
    OpenCV single-threaded (``OPENCV_FOR_THREADS_NUM=1``), as dask already sets ``OMP_NUM_THREADS=1``.
    """
    require("distributed", extra="dask", feature="--workers")
    from distributed import Client, LocalCluster

    free = available_memory()
    limit = memory_limit or (free // workers if free else None)
    # one input at a time per single-threaded worker: OpenCV's own thread pool would only oversubscribe the cores
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=limit or "auto",
                           dashboard_address=None, silence_logs=40, env={"OPENCV_FOR_THREADS_NUM": "1"})
    each = f"{limit / 2**30:.1f} GiB" if limit else "no limit known"
    return Client(cluster), f"{workers} local worker processes x 1 thread, memory limit {each} each"


def run_batch(
    job: Job,
    files: Sequence[Path],
    stems: Sequence[str],
    outdir: str | os.PathLike[str],
    *,
    client: Any,
    overwrite: bool = False,
    skip_existing: bool = True,
    on_done: Callable[[str, list[str], tuple[str, ...]], None] | None = None,
    on_failure: Callable[[str, str], None] | None = None,
    advance: Callable[[], None] | None = None,
) -> BatchReport:
    """Segment `files` into `outdir` on `client`'s cluster; skip inputs whose outputs are complete.

    Parameters
    ----------
    job : Job
        From :func:`seglab.run.prepare` (checked once, before any file is read).
    files, stems : sequences
        The inputs and their output name stems (:func:`seglab.run.output_stems`).
    outdir : path
        The output folder (created).
    client : distributed.Client
        See :func:`local_cluster` and :func:`connect`.
    overwrite : bool
        Replace existing outputs and process every input (no skipping).
    skip_existing : bool
        Skip inputs whose outputs are complete (resume); otherwise existing
        outputs make those inputs fail, unless `overwrite`.
    on_done, on_failure, advance : callable, optional
        Called as each input finishes (``on_done(source, written, notes)``,
        ``on_failure(source, reason)``) and after each input, skipped ones included.

    Returns
    -------
    BatchReport
    """
    from distributed import as_completed

    folder = Path(outdir)
    folder.mkdir(parents=True, exist_ok=True)
    report = BatchReport()
    todo = []
    for source, stem in zip(files, stems):
        if skip_existing and not overwrite and outputs_complete(job, folder, stem):
            report.skipped.append(str(source))
            if advance:
                advance()
        else:
            todo.append((str(source), stem))
    portable = _portable(job)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    size = max(1, min(_MAX_CHUNK, len(todo) // (workers * _CHUNKS_PER_WORKER)))
    chunks = [todo[k : k + size] for k in range(0, len(todo), size)]
    futures = {client.submit(_process_chunk, portable, chunk, str(folder), overwrite, pure=False): chunk
               for chunk in chunks}
    for future in as_completed(futures):
        chunk = futures[future]
        try:
            results = future.result()
        except Exception as exc:  # the worker died: its inputs fail, the others go on
            results = [(_reason(exc, source), [], ()) for source, _ in chunk]
        for (source, _), (failed, written, notes) in zip(chunk, results):
            if failed:
                report.failures.append((source, failed))
                if on_failure:
                    on_failure(source, failed)
            else:
                report.done.append((source, written))
                if on_done:
                    on_done(source, written, notes)
            if advance:
                advance()
    order = {str(f): k for k, f in enumerate(files)}
    report.done.sort(key=lambda d: order[d[0]])
    report.failures.sort(key=lambda f: order[f[0]])
    return report


def _portable(job: Job) -> dict[str, Any]:
    """The job with its method by name, so that workers rebuild it from their own registry."""
    fields = {f.name: getattr(job, f.name) for f in dataclasses.fields(job)}
    fields["method"] = job.method.name
    return fields


def _process_chunk(portable: dict[str, Any], chunk: list[tuple[str, str]], outdir: str,
                   overwrite: bool) -> list[tuple[str, list[str], tuple[str, ...]]]:
    """In a worker: per input (failure reason or "", files written, notes); an input's error is its result."""
    job = Job(**{**portable, "method": get_method(portable["method"])})
    results = []
    for source, stem in chunk:
        try:
            outcome, written = process_file(job, source, outdir, stem, overwrite=overwrite)
        except Exception as exc:
            results.append((_reason(exc, source), [], ()))
        else:
            results.append(("", [str(p) for p in written], outcome.notes))
    return results


def _reason(exc: BaseException, source: str) -> str:
    if type(exc).__name__ == "KilledWorker":
        return "its worker died (most often: it went over the worker's memory limit); give workers more memory"
    reason = one_line(exc, source)
    if not isinstance(exc, (ValueError, OSError)):
        reason = f"unexpected {type(exc).__name__}: {reason} (please report this)"
    return reason
