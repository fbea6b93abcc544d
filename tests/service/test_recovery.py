"""Claiming and recovery rules on SQLite and PostgreSQL, in one process: claims are
exclusive under concurrent workers, a lost worker's run is queued again (cancelled, or
failed after ``max_run_attempts``), a stopping worker hands its run back, and a worker
whose loop makes no progress stops beating."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

import matching
from service.models import Run, RunWorker
from service.models.base import utcnow
from service.worker import Worker, _Heartbeat
from tests.service.conftest import Api
from tests.service.processes import wait_for


def _queue(api: Api, programme_id: str, count: int) -> list[str]:
    url = f"/v1/programmes/{programme_id}/runs"
    return [api.client.post(url, headers=api.auth()).json()["id"] for _ in range(count)]


def _run(api: Api, run_id: str) -> Run:
    with api.worker.sessions() as session:
        run = session.get(Run, run_id)
        assert run is not None
        return run


def test_concurrent_workers_claim_each_run_exactly_once(api: Api) -> None:
    runs = _queue(api, api.programme(), 40)
    workers = [Worker(api.worker.settings, api.worker.engine) for _ in range(4)]
    start = threading.Barrier(len(workers))

    def drain(worker: Worker) -> list[str]:
        start.wait()
        taken = []
        while (run_id := worker.claim()) is not None:
            taken.append(run_id)
        return taken

    with ThreadPoolExecutor(len(workers)) as pool:
        claimed = [run_id for taken in pool.map(drain, workers) for run_id in taken]

    assert sorted(claimed) == sorted(runs)  # every run once, none twice
    for run_id in runs:
        run = _run(api, run_id)
        assert run.status == "running"
        assert run.attempts == 1
        assert run.worker_id in {w.id for w in workers}


def _hold(api: Api, run_id: str, worker_id: str | None, **values: Any) -> None:
    with api.worker.sessions() as session, session.begin():
        run = session.get(Run, run_id)
        assert run is not None
        run.status, run.worker_id, run.worker_pid, run.worker_host = "running", worker_id, 1, "h"
        run.started_at = run.heartbeat_at = utcnow()
        run.attempts = 1
        for name, value in values.items():
            setattr(run, name, value)


def _register(api: Api, worker_id: str, silent_for: float) -> None:
    with api.worker.sessions() as session, session.begin():
        beat = utcnow() - timedelta(seconds=silent_for)
        session.add(RunWorker(id=worker_id, host="h", pid=1, started_at=beat, heartbeat_at=beat))


def test_the_runs_of_lost_workers_are_settled_and_live_ones_kept(api: Api) -> None:
    """Liveness is the worker's heartbeat in ``workers``, whatever its host or pid."""
    timeout = api.worker.settings.worker_timeout_seconds
    attempts = api.worker.settings.max_run_attempts
    programme_id = api.programme()
    api.upload_examples(programme_id)
    ids = _queue(api, programme_id, 6)
    live, lost, forgotten, exhausted, cancelled, legacy = ids
    _register(api, "wrk_live", silent_for=0)
    _register(api, "wrk_lost", silent_for=timeout + 5)
    _hold(api, live, "wrk_live")
    _hold(api, lost, "wrk_lost", progress=0.4, step="score")
    _hold(api, forgotten, "wrk_gone")  # no row at all
    _hold(api, exhausted, "wrk_lost", attempts=attempts)
    _hold(api, cancelled, "wrk_lost", cancel_requested=True)
    silent = utcnow() - timedelta(seconds=api.worker.settings.stale_after_seconds + 5)
    _hold(api, legacy, None, heartbeat_at=silent)  # claimed before workers had rows

    assert api.worker.recover() == 5
    assert _run(api, live).status == "running"
    for run_id in (lost, forgotten, legacy):
        run = _run(api, run_id)
        assert (run.status, run.worker_id, run.progress, run.step) == ("queued", None, 0.0, None)
        assert (run.attempts, run.error) == (1, None)
    failed = _run(api, exhausted)
    assert failed.status == "failed"
    assert failed.error == {
        "type": "worker_lost",
        "reason": f"the workers running it stopped {attempts} times",
    }
    assert _run(api, cancelled).status == "cancelled"
    with api.worker.sessions() as session:
        assert set(session.scalars(select(RunWorker.id))) == {"wrk_live"}
    assert api.worker.recover() == 0

    # A queued-again run is claimed like any other, and its attempts counted.
    assert api.worker.run_once() == lost
    assert (_run(api, lost).status, _run(api, lost).attempts) == ("succeeded", 2)


def test_a_worker_settled_by_a_recoverer_does_not_store_its_result(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    (run_id,) = _queue(api, programme_id, 1)
    real = matching.match

    def lost_meanwhile(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        _register(api, "wrk_other", silent_for=0)
        with api.worker.sessions() as session, session.begin():  # recovered, then re-claimed
            run = session.get(Run, run_id)
            assert run is not None
            run.worker_id, run.attempts = "wrk_other", 2
        return result

    monkeypatch.setattr(matching, "match", lost_meanwhile)
    assert api.worker.run_once() == run_id
    run = _run(api, run_id)
    assert (run.status, run.worker_id, run.summary) == ("running", "wrk_other", None)


def test_a_stopping_worker_hands_its_run_back(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    (run_id,) = _queue(api, programme_id, 1)

    def interrupted(*args: Any, progress: Callable[[str, float], None], **kwargs: Any) -> Any:
        progress("score", 0.1)
        api.worker.stopping.set()  # SIGTERM, or the server that started it is gone
        progress("score", 0.2)
        raise AssertionError("the progress callback should have stopped the run")

    monkeypatch.setattr(matching, "match", interrupted)
    assert api.worker.run_once() == run_id
    run = _run(api, run_id)
    assert (run.status, run.worker_id, run.attempts, run.error) == ("queued", None, 1, None)


def test_a_worker_beats_while_its_loop_advances_and_not_once_it_is_silent(api: Api) -> None:
    worker = Worker(api.worker.settings.model_copy(update={"stale_after_seconds": 1.0}))
    hung = threading.Event()
    heartbeat = _Heartbeat(worker, hung.set)
    with heartbeat:

        def beaten_while_busy() -> bool:
            worker.last_alive = time.monotonic()  # the loop advancing
            return worker.last_beat > float("-inf")

        wait_for(beaten_while_busy, "a beat")
        assert not hung.is_set()
        wait_for(hung.is_set, "the watchdog")  # the loop is silent from now on
        heartbeat.thread.join(timeout=30)
        assert not heartbeat.thread.is_alive()  # no more beats
    with api.worker.sessions() as session:
        assert session.get(RunWorker, worker.id) is not None  # stale from now on
    worker.engine.dispose()
