"""``seglab segment ... --tile-size N | --workers N | --scheduler ADDRESS``: the scaled paths of the command.

``seglab segment`` calls :func:`add_scale_options` when it builds its parser
and :func:`run_scaled` once its inputs are expanded; without any of these
options :func:`run_scaled` returns None and the serial loop runs as before.

- ``--tile-size N``: each input is segmented tile by tile (:func:`seglab.tiling.run`),
  read lazily (TIFF, OME-TIFF, zarr and OME-Zarr stores are inputs), and its
  labels written to ``OUTDIR/<stem>.labels.tif`` (a tiled BigTIFF; or
  ``.labels.zarr`` / ``.labels.ome.zarr`` with ``--label-format``) beside
  the JSON sidecar. With ``--workers`` or ``--scheduler`` the tiles run on that cluster.
- ``--workers N`` alone: the inputs are shared out over a local cluster of N
  worker processes (:func:`seglab.tiling.run_batch`); ``--scheduler tcp://HOST:PORT``
  sends them to a running cluster instead.

Either way an input whose outputs are complete (same method and parameters)
is skipped, a failing input is reported and listed at the end, and the exit
codes are the serial command's: 0 all done, 1 some inputs failed, 2 bad
usage (including a scheduler that does not answer), 3 a missing package.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_scale_options(parser)
>>> ns = parser.parse_args(["--tile-size", "512", "--workers", "2"])
>>> ns.tile_size, ns.workers, ns.label_format
(512, 2, 'tif')
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.errors import InvalidParameterError, MissingDependencyError
from ..core.registry import MethodSpec
from ..run import Job, one_line, output_stems, outputs_complete
from ..tiling.sources import is_zarr_store
from .common import EXIT_FAILED, EXIT_OK, UsageError, print_failures, writable_folder

__all__ = ["add_scale_options", "run_scaled", "SCALE_OPTIONS"]

#: The option names this module adds (a method parameter of the same name gets ``--param-NAME``).
SCALE_OPTIONS = frozenset({"tile-size", "overlap", "label-format", "workers", "scheduler"})
_SUFFIX = {"tif": ".labels.tif", "zarr": ".labels.zarr", "ome-zarr": ".labels.ome.zarr"}


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return int(text)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1); got {text!r}")
    return value


def add_scale_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--tile-size``, ``--overlap``, ``--label-format``, ``--workers`` and ``--scheduler``."""
    group = parser.add_argument_group('scale: huge images, big folders (needs pip install "seglab[dask]")')
    group.add_argument("--tile-size", type=_positive, metavar="N",
                       help="segment each input tile by tile (N x N), reading it lazily; labels go to a tiled "
                            "store OUTDIR/<stem>.labels.tif (see --label-format) beside the JSON sidecar")
    group.add_argument("--overlap", type=_fraction, metavar="F",
                       help="with --tile-size: fraction of a tile shared with its neighbour, for instance and "
                            "model methods (default 0.25; the method's halo is always added)")
    group.add_argument("--label-format", choices=tuple(_SUFFIX), default="tif",
                       help="with --tile-size: tiled BigTIFF (default), zarr or OME-Zarr labels")
    group.add_argument("--workers", type=_positive, metavar="N",
                       help="run on a local dask cluster of N worker processes (memory shared equally)")
    group.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on a running dask cluster, e.g. tcp://host:8786")


def run_scaled(method: MethodSpec, ns: argparse.Namespace, job: Job, files: list[Path], stems: list[str],
               outdir: Path, failures: list[tuple[str, str]], *,
               progress_bar: Callable[..., Any]) -> int | None:
    """Run the batch tiled and/or on a dask cluster; None when no scale option was given.

    `failures` holds the patterns that named no input; zarr stores among them
    are inputs of a tiled run. The command's usage errors are raised as
    :class:`~seglab.cli.common.UsageError`.
    """
    if ns.tile_size is None and (ns.overlap is not None or ns.label_format != "tif"):
        raise UsageError("--overlap and --label-format apply with --tile-size.")
    if ns.tile_size is None and ns.workers is None and ns.scheduler is None:
        return None
    if ns.tile_size is not None:
        stores = [(p, r) for p, r in failures if is_zarr_store(p)]
        for item in stores:
            failures.remove(item)
        files = files + [Path(p) for p, _ in stores]
        stems = output_stems([f.with_name(_store_stem(f)) if is_zarr_store(f) else f for f in files])
        if getattr(job, "min_size", 0) > 1 or getattr(job, "fill_holes", False):
            raise UsageError("--min-size and --fill-holes are not applied tile by tile; clean the tiled labels "
                             "afterwards, or segment without --tile-size.")
        if set(job.outputs) - {"labels", "json"} or "labels" not in job.outputs:
            raise UsageError("--tile-size writes the labels (and json) outputs: use --outputs labels,json or "
                             "labels (segment a smaller image for overlays, COCO or CSV).")
    for pattern, reason in failures:
        print(f"error: {pattern}: {reason}", file=sys.stderr)
    total = len(files) + len(failures)
    try:
        client, described = _client(ns)
    except ConnectionError as exc:
        raise UsageError(f"--scheduler: {exc}") from None
    if described:
        print(f"seglab: {described}", file=sys.stderr)
    try:
        if ns.tile_size is None:
            report = _batch(job, files, stems, outdir, ns, client, progress_bar, method.name)
            failures.extend(report.failures)
            done = len(report.done) + len(report.skipped)
            header = report.summary(method.name, outdir, total=total)
        else:
            done = _tiled(job, files, stems, outdir, ns, client, failures)
            header = f"seglab: {done} of {total} inputs segmented"
    finally:
        if client is not None:
            client.close()
    if not failures:
        print(header if ns.tile_size is None else f"{header} with {method.name} into {outdir}", file=sys.stderr)
        return EXIT_OK
    print_failures(header if ns.tile_size is None else f"{header}; {len(failures)} failed:", failures)
    return EXIT_FAILED


def _store_stem(path: Path) -> str:
    name = path.name
    for suffix in (".ome.zarr", ".zarr"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _client(ns: argparse.Namespace) -> tuple[Any, str]:
    from ..tiling.batch import connect, local_cluster

    if ns.scheduler is not None:
        client = connect(ns.scheduler)
        workers = len(client.scheduler_info().get("workers", {}))
        return client, f"dask cluster at {ns.scheduler} with {workers} workers"
    if ns.workers is not None:
        return local_cluster(ns.workers)
    return None, ""


def _batch(job: Job, files: list[Path], stems: list[str], outdir: Path, ns: argparse.Namespace, client: Any,
           progress_bar: Callable[..., Any], name: str) -> Any:
    from ..tiling.batch import run_batch

    with progress_bar(len(files), name, quiet=ns.quiet) as progress:
        def done(source: str, written: list[str], notes: tuple[str, ...]) -> None:
            for note in notes:
                progress.err(f"warning: {source}: {note}")
            progress.out(f"{source} -> {', '.join(written)}")

        def failed(source: str, reason: str) -> None:
            progress.err(f"error: {source}: {reason}")

        return run_batch(job, files, stems, outdir, client=client, overwrite=ns.overwrite,
                         skip_existing=ns.skip_existing, on_done=done, on_failure=failed, advance=progress)


def _tiled(job: Job, files: list[Path], stems: list[str], outdir: Path, ns: argparse.Namespace, client: Any,
           failures: list[tuple[str, str]]) -> int:
    """Each input tiled, one after the other; returns how many are done (skipped ones included)."""
    from .. import __version__, tiling
    from ..io import json_bytes, to_jsonable, write_atomic

    writable_folder(outdir)
    done = 0
    for source, stem in zip(files, stems):
        if ns.skip_existing and outputs_complete(job, outdir, stem):
            print(f"{source}: outputs complete, skipped", file=sys.stderr)
            done += 1
            continue
        store = outdir / f"{stem}{_SUFFIX[ns.label_format]}"
        try:
            result = tiling.run(
                source, job.method, tile_size=ns.tile_size, overlap=ns.overlap, out=store, mask=job.mask, page=job.page,
                as_task=job.as_task, things=job.things, scheduler=client, overwrite=ns.overwrite, **job.params,
            )
            written = [store]
            if "json" in job.outputs:
                doc = {
                    "seglab_version": __version__, "input_file": str(source),
                    "page": job.page, "method": result.method, "task": result.task,
                    "params": to_jsonable(result.params), "classes": list(result.classes),
                    "segments": {str(k): v.to_json() for k, v in result.segments.items()},
                    "meta": to_jsonable(result.meta), "shape": list(result.labels.shape),
                    "num_segments": result.num_segments, "notes": [], "labels_store": str(result.store),
                }
                written.append(write_atomic(outdir / f"{stem}.json", json_bytes(doc), overwrite=True))
        except (MissingDependencyError, InvalidParameterError):
            raise
        except Exception as exc:  # a bad input must not stop the batch
            reason = one_line(exc, str(source))
            print(f"error: {source}: {reason}", file=sys.stderr)
            failures.append((str(source), reason))
            continue
        done += 1
        if not ns.quiet:  # --quiet: only problems and the summary, as untiled
            print(f"{source} -> {', '.join(str(p) for p in written)}")
    return done

