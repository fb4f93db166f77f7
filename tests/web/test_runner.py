"""The job runner: results, the bounded queue, both time limits, a dying worker, kept results."""

from __future__ import annotations

import time

import pytest

from seglab.web.runner import JobRunner, JobTimeoutError, QueueFullError, WorkerLostError, time_limit

from . import jobs


@pytest.fixture(scope="module")
def runner():
    runner = JobRunner(workers=1, queue_size=1, keep_seconds=60, keep_bytes=2**20, grace=0.3)
    runner.start()
    yield runner
    runner.close()


def _wait(rec, timeout=30):
    return rec.finished.result(timeout=timeout)


def test_a_job_runs_in_a_worker_and_its_result_or_error_is_kept(runner):
    ok = _wait(runner.submit(jobs.nap, 0.01, kind="t", budget=10))
    bad = _wait(runner.submit(jobs.refuse, "nbins: out of range", kind="t", budget=10))
    assert (ok.status, ok.result, ok.error) == ("done", 0.01, None)
    assert bad.status == "failed" and isinstance(bad.error, ValueError) and "nbins" in str(bad.error)
    assert runner.get(ok.id) is ok and runner.get("no-such-job") is None


def test_jobs_beyond_the_queue_are_refused_and_queued_ones_know_their_place(runner):
    running = runner.submit(jobs.nap, 0.5, kind="t", budget=10)
    waiting = runner.submit(jobs.nap, 0.01, kind="t", budget=10)
    assert running.status == "running" and waiting.status == "queued" and runner.position(waiting) == 1
    assert runner.stats()["running"] == 1 and runner.stats()["queued"] == 1
    with pytest.raises(QueueFullError, match="all 1 workers are busy and 1 jobs are waiting"):
        runner.submit(jobs.nap, 0.01, kind="t", budget=10)
    assert _wait(waiting).status == "done" and running.status == "done"  # the queue ran in order
    assert runner.position(waiting) == 0


def test_the_worker_stops_a_job_at_its_time_limit(runner):
    start = time.monotonic()
    rec = _wait(runner.submit(jobs.nap, 20, kind="t", budget=0.3))
    assert isinstance(rec.error, JobTimeoutError) and "time limit of 0.3 s" in str(rec.error)
    assert time.monotonic() - start < 3
    assert _wait(runner.submit(jobs.nap, 0.01, kind="t", budget=10)).result == 0.01  # the same worker goes on


def test_the_watchdog_stops_a_worker_that_ignores_the_limit_and_starts_a_new_one(runner):
    start = time.monotonic()
    stuck = runner.submit(jobs.stubborn, 60, kind="t", budget=0.2)
    queued = runner.submit(jobs.nap, 0.01, kind="t", budget=10)
    assert isinstance(_wait(stuck).error, JobTimeoutError) and "its worker was stopped" in str(stuck.error)
    assert time.monotonic() - start < 10
    assert _wait(queued).result == 0.01  # the queued job survived the restart and ran in the new pool


def test_a_worker_that_dies_fails_its_job_and_is_replaced(runner):
    rec = _wait(runner.submit(jobs.crash, 3, kind="t", budget=10))
    assert isinstance(rec.error, WorkerLostError) and "died" in str(rec.error)
    assert _wait(runner.submit(jobs.nap, 0.01, kind="t", budget=10)).status == "done"


def test_finished_jobs_are_dropped_after_keep_seconds_and_beyond_keep_bytes():
    runner = JobRunner(workers=1, queue_size=4, keep_seconds=0.5, keep_bytes=1500, grace=0.3)
    runner.start()
    try:
        size = lambda result: len(result["files"]["x.bin"])  # noqa: E731
        first = _wait(runner.submit(jobs.blob, 1000, kind="t", budget=10, measure=size))
        second = _wait(runner.submit(jobs.blob, 1000, kind="t", budget=10, measure=size))
        assert second.size == 1000 and runner.get(first.id) is None and runner.get(second.id) is second
        time.sleep(0.6)
        assert runner.get(second.id) is None and runner.stats()["kept"] == 0
    finally:
        runner.close()


def test_close_fails_queued_jobs_and_on_end_runs_for_every_job():
    ended = []
    runner = JobRunner(workers=1, queue_size=2, keep_seconds=60, keep_bytes=2**20)
    runner.start(warm=False)
    running = runner.submit(jobs.nap, 30, kind="t", budget=60, on_end=lambda: ended.append("running"))
    queued = runner.submit(jobs.nap, 0.01, kind="t", budget=60, on_end=lambda: ended.append("queued"))
    runner.close()
    assert isinstance(running.error, WorkerLostError) and isinstance(queued.error, WorkerLostError)
    assert sorted(ended) == ["queued", "running"]
    with pytest.raises(WorkerLostError, match="not running"):
        runner.submit(jobs.nap, 0.01, kind="t", budget=1)


def test_time_limits_nest_and_the_outer_one_goes_on():
    with pytest.raises(JobTimeoutError, match="0.1 s"):
        with time_limit(5):
            with time_limit(0.1):
                time.sleep(1)
    with time_limit(0.5):
        with time_limit(5):  # cannot outlive the outer limit
            pass
        with pytest.raises(JobTimeoutError, match="0.5 s"):
            time.sleep(2)
