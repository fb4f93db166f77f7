"""The job runner: a bounded queue in front of a spawn process pool, with job ids, time limits and kept results.

The server never segments in its own process: each job runs in a worker of a
:class:`concurrent.futures.ProcessPoolExecutor` (``spawn`` start method, so
nothing of the server's state is inherited), and the pool only ever holds as
many jobs as it has workers. Jobs beyond that wait in a queue of
``queue_size``; one more is refused with :class:`QueueFullError` (the server
answers 429), so there is never an unbounded backlog.

Time limits have two levels. In the worker, :func:`time_limit` raises
:class:`JobTimeoutError` through a ``SIGALRM`` timer when the job's budget is
spent (this stops Python code at once and a long C call when it returns).
In the server, a watchdog stops a worker that is still busy a grace period
later (a C call that never returns): it kills the pool's processes and starts
a new pool; jobs that were running beside it fail with
:class:`WorkerLostError`, jobs in the queue are kept.

Finished jobs stay available (for polling and downloads) for ``keep_seconds``
and within ``keep_bytes`` in all, oldest dropped first.

Examples
--------
>>> runner = JobRunner(workers=1, queue_size=0, keep_seconds=60, keep_bytes=2**20)
>>> runner.stats()
{'workers': 1, 'running': 0, 'queued': 0, 'queue_size': 0, 'kept': 0}
"""

from __future__ import annotations

import contextlib
import multiprocessing
import secrets
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

__all__ = ["JobRunner", "JobRecord", "QueueFullError", "JobTimeoutError", "WorkerLostError", "time_limit"]



class QueueFullError(Exception):
    """Every worker is busy and the queue is full; try again later."""


class JobTimeoutError(TimeoutError):
    """A job ran past its time limit and was stopped."""


class WorkerLostError(RuntimeError):
    """The worker process running a job died (out of memory, a crash) or was restarted."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`JobTimeoutError` in this block once `seconds` have passed (main thread, Unix).

    Nests: an inner limit never outlives the outer one, and the outer timer
    goes on (less the time spent) afterwards.

    Examples
    --------
    >>> with time_limit(0.05):
    ...     while True:
    ...         pass
    Traceback (most recent call last):
    ...
    seglab.web.runner.JobTimeoutError: ran past the time limit of 0.05 s
    """
    outer, _ = signal.getitimer(signal.ITIMER_REAL)
    start = time.monotonic()

    def expire(signum: int, frame: Any) -> None:
        raise JobTimeoutError(f"ran past the time limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer) if outer else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 1e-3))


def _limited(fn: Callable[[Any], Any], request: Any, seconds: float) -> Any:
    """What a worker runs: `fn(request)` within `seconds`."""
    with time_limit(seconds):
        return fn(request)


def _ready() -> int:
    """A no-op job that starts a worker process."""
    return 0


@dataclass(eq=False)
class JobRecord:
    """One job: what runs, its state, and its result or error once finished.

    ``status`` goes ``queued`` -> ``running`` -> ``done`` or ``failed``;
    ``finished`` (a :class:`~concurrent.futures.Future`) resolves to the record then.
    """

    id: str
    kind: str
    fn: Callable[[Any], Any] = field(repr=False)
    request: Any = field(repr=False)
    budget: float
    created: float = field(default_factory=time.monotonic)
    status: str = "queued"
    started: float | None = None
    ended: float | None = None
    result: Any = field(default=None, repr=False)
    error: BaseException | None = None
    size: int = 0
    measure: Callable[[Any], int] | None = field(default=None, repr=False)
    on_end: Callable[[], None] | None = field(default=None, repr=False)
    view: Mapping[str, Any] = field(default_factory=dict)  # how the caller presents the result (free for it)
    finished: Future = field(default_factory=Future, repr=False)

    def __post_init__(self) -> None:
        self.finished.set_running_or_notify_cancel()  # waiters cannot cancel it

    @property
    def seconds(self) -> float:
        """Seconds since the job was submitted, or its whole time once finished."""
        return (self.ended or time.monotonic()) - self.created


class JobRunner:
    """A process pool behind a bounded queue (see the module docstring).

    Parameters
    ----------
    workers : int
        Worker processes.
    queue_size : int
        Jobs that may wait while every worker is busy.
    keep_seconds, keep_bytes : float
        How long, and within how many bytes of results in all, finished jobs are kept.
    initializer : callable, optional
        Run once in each worker process when it starts (imports, signal settings).
    grace : float
        Seconds a worker may stay busy past its job's budget (or 10 % of the budget, if more) before the
        watchdog stops it.
    """

    def __init__(self, *, workers: int, queue_size: int, keep_seconds: float, keep_bytes: float,
                 initializer: Callable[[], None] | None = None, grace: float = 5.0) -> None:
        self.workers, self.queue_size, self.grace = workers, queue_size, grace
        self.keep_seconds, self.keep_bytes = keep_seconds, keep_bytes
        self._initializer = initializer
        self._lock = threading.RLock()
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[JobRecord] = deque()
        self._running: dict[str, tuple[JobRecord, Future]] = {}
        self._jobs: dict[str, JobRecord] = {}
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def start(self, *, warm: bool = True) -> None:
        """Start the pool and the watchdog; with `warm`, start every worker process now and wait for them."""
        with self._lock:
            self._pool = self._new_pool()
        if warm:
            for fut in [self._pool.submit(_ready) for _ in range(self.workers)]:
                fut.result(timeout=120)
        self._watchdog = threading.Thread(target=self._watch, name="seglab-web-watchdog", daemon=True)
        self._watchdog.start()

    def close(self) -> None:
        """Stop every worker (running jobs are abandoned), fail queued jobs and stop the watchdog."""
        self._stop.set()
        with self._lock:
            pool, self._pool = self._pool, None
            for rec in list(self._pending):
                self._settle(rec, None, WorkerLostError("the server is shutting down"))
            self._pending.clear()
            for rec, _ in list(self._running.values()):
                self._settle(rec, None, WorkerLostError("the server is shutting down"))
            self._running.clear()
        if pool is not None:
            self._kill(pool)
            pool.shutdown(wait=True, cancel_futures=True)
        if self._watchdog is not None:
            self._watchdog.join(timeout=5)

    def submit(self, fn: Callable[[Any], Any], request: Any, *, kind: str, budget: float,
               measure: Callable[[Any], int] | None = None, on_end: Callable[[], None] | None = None,
               view: Mapping[str, Any] | None = None) -> JobRecord:
        """Queue ``fn(request)`` to run in a worker within `budget` seconds; return its record.

        `fn` must be importable by name in a fresh process (a module-level
        function) and `request` picklable. `measure` gives the size in bytes
        of a result (for the limit on kept results); `on_end` runs once the
        job has finished, failed or been dropped (e.g. to delete its uploads);
        `view` is kept with the record for the caller.

        Raises
        ------
        QueueFullError
            Every worker is busy and `queue_size` jobs already wait.
        """
        with self._lock:
            self._purge()
            if self._pool is None:
                raise WorkerLostError("the job runner is not running")
            if len(self._running) >= self.workers and len(self._pending) >= self.queue_size:
                raise QueueFullError(
                    f"all {self.workers} workers are busy and {len(self._pending)} jobs are waiting; "
                    "try again in a few seconds."
                )
            rec = JobRecord(secrets.token_urlsafe(12), kind, fn, request, budget, measure=measure, on_end=on_end,
                            view=dict(view or {}))
            self._jobs[rec.id] = rec
            self._pending.append(rec)
            self._dispatch()
            return rec

    def get(self, job_id: str) -> JobRecord | None:
        """The record of a job still kept, or None."""
        with self._lock:
            self._purge()
            return self._jobs.get(job_id)

    def position(self, rec: JobRecord) -> int:
        """1 for the next job to run, 2 after it, ...; 0 when `rec` is not waiting."""
        with self._lock:
            return next((i + 1 for i, r in enumerate(self._pending) if r is rec), 0)

    def stats(self) -> dict[str, int]:
        """Workers, jobs running and waiting, queue size, finished jobs kept."""
        with self._lock:
            kept = sum(r.status in ("done", "failed") for r in self._jobs.values())
            return {"workers": self.workers, "running": len(self._running), "queued": len(self._pending),
                    "queue_size": self.queue_size, "kept": kept}

    # -- inside the lock ------------------------------------------------------------------------------------------

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=self._initializer)

    def _dispatch(self) -> None:
        while self._pending and len(self._running) < self.workers and self._pool is not None:
            rec = self._pending.popleft()
            rec.status, rec.started = "running", time.monotonic()
            try:
                fut = self._pool.submit(_limited, rec.fn, rec.request, rec.budget)
            except BrokenProcessPool:
                self._pending.appendleft(rec)
                rec.status, rec.started = "queued", None
                self._restart(None, "a worker process died")
                continue
            self._running[rec.id] = (rec, fut)
            fut.add_done_callback(lambda f, rec=rec: self._on_done(rec, f))

    def _on_done(self, rec: JobRecord, fut: Future) -> None:
        with self._lock:
            if self._running.get(rec.id, (None, None))[1] is not fut:
                return  # settled already: stopped by the watchdog or the pool was restarted
            error = fut.exception()
            if isinstance(error, BrokenProcessPool):
                self._restart(None, "a worker process died (out of memory or a crash?) while running this job")
            else:
                del self._running[rec.id]
                self._settle(rec, None if error else fut.result(), error)
            self._dispatch()

    def _settle(self, rec: JobRecord, result: Any, error: BaseException | None) -> None:
        rec.status = "failed" if error else "done"
        rec.result, rec.error, rec.ended = result, error, time.monotonic()
        rec.fn = rec.request = None
        if result is not None and rec.measure is not None:
            rec.size = rec.measure(result)
        if rec.on_end is not None:
            rec.on_end()
        rec.finished.set_result(rec)

    def _restart(self, culprit: JobRecord | None, reason: str) -> None:
        """Kill the pool's processes, fail the jobs running there, start a new pool; queued jobs stay."""
        if self._pool is not None:
            self._kill(self._pool)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
        for rec, _ in list(self._running.values()):
            if rec is culprit:
                error: BaseException = JobTimeoutError(reason)
            elif culprit is None:
                error = WorkerLostError(reason)
            else:
                error = WorkerLostError("the worker pool was restarted to stop a job that ran past its time limit; "
                                        "submit this job again")
            self._settle(rec, None, error)
        self._running.clear()

    @staticmethod
    def _kill(pool: ProcessPoolExecutor) -> None:
        # ProcessPoolExecutor cannot stop one task: its processes (a private attribute, stable since 3.2) are killed.
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()

    def _purge(self) -> None:
        now = time.monotonic()
        finished = [r for r in self._jobs.values() if r.ended is not None]
        for rec in finished:
            if now - rec.ended > self.keep_seconds:
                del self._jobs[rec.id]
        kept = [r for r in finished if r.id in self._jobs]
        total = sum(r.size for r in kept)
        for rec in sorted(kept, key=lambda r: r.ended):
            if total <= self.keep_bytes:
                break
            total -= rec.size
            del self._jobs[rec.id]

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            with self._lock:
                now = time.monotonic()
                for rec, _ in list(self._running.values()):
                    if now - rec.started > rec.budget + max(self.grace, 0.1 * rec.budget):
                        self._restart(rec, f"ran past the time limit of {rec.budget:g} s and its worker was stopped")
                        self._dispatch()
                        break
