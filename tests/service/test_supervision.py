"""Worker supervision against real processes (SQLite and PostgreSQL): ``serve`` notices a
killed or a stopped worker within seconds, reaps it, queues its run again for another
worker and starts a replacement — without a restart; acknowledged runs survive SIGKILL of
the server and of its worker."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.exc import OperationalError

from service.auth import create_key
from service.db import make_engine, make_sessionmaker, migrate, session_scope
from service.models import Run, RunWorker
from tests.service.conftest import EXAMPLES
from tests.service.pg import free_port
from tests.service.processes import (
    children,
    dead,
    gated_env,
    gone,
    python,
    service_env,
    stop,
    wait_for,
)

SERVE = "import sys; from service.cli import serve; serve('127.0.0.1', int(sys.argv[1]))"


@dataclass
class Server:
    """A running ``serve`` and an admin client for it."""

    process: subprocess.Popen[bytes]
    client: httpx.Client

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def ok(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    def programme(self) -> str:
        programme_id = str(
            self.ok(self.client.post("/v1/programmes", json={"name": "p"}), 201)["id"]
        )
        for side in ("mentees", "mentors"):
            with (EXAMPLES / f"{side}.csv").open("rb") as handle:
                self.ok(
                    self.client.post(
                        f"/v1/programmes/{programme_id}/participants/{side}/file",
                        files={"file": (f"{side}.csv", handle, "text/csv")},
                    )
                )
        return programme_id

    def queue(self, programme_id: str) -> str:
        return str(self.ok(self.client.post(f"/v1/programmes/{programme_id}/runs"), 202)["id"])

    def status(self, run_id: str) -> str:
        return str(self.ok(self.client.get(f"/v1/runs/{run_id}"))["status"])


@dataclass
class Fault:
    """What a fault test needs: the database, the gate file of the gated engine, and a
    way to start servers (stopped at the end)."""

    engine: Engine
    gate: Path
    start: Callable[..., Server]

    def holder(self, run_id: str) -> tuple[str | None, int | None, int]:
        """The run's worker id, worker pid and attempts."""
        with make_sessionmaker(self.engine)() as session:
            row = session.execute(
                select(Run.worker_id, Run.worker_pid, Run.attempts).where(Run.id == run_id)
            ).one()
        return row[0], row[1], row[2]

    def running_on(self, run_id: str) -> tuple[str, int]:
        """Wait until a worker holds the run and reports progress; its id and pid."""

        def held() -> tuple[str, int] | None:
            with make_sessionmaker(self.engine)() as session:
                run = session.get(Run, run_id)
                assert run is not None
                if run.status == "running" and run.progress > 0 and run.worker_id:
                    assert run.worker_pid is not None
                    return run.worker_id, run.worker_pid
            return None

        return wait_for(held, "a worker to run the run")

    def beats(self, worker_id: str, count: int) -> None:
        """Wait until the worker's heartbeat has advanced ``count`` times."""
        seen: set[object] = set()

        def advanced() -> bool:
            with make_sessionmaker(self.engine)() as session:
                seen.add(session.get(RunWorker, worker_id).heartbeat_at)  # type: ignore[union-attr]
            return len(seen) > count

        wait_for(advanced, "the worker's heartbeats")

    def forget(self, pid: int, worker_id: str) -> None:
        """Delete a stopped worker's row, as a recoverer deletes an expired one. Stopped
        inside a transaction, the worker may hold the row's lock: it then runs until its
        next heartbeat (so it committed) and is stopped again."""
        while True:
            try:
                with self.engine.connect() as connection:
                    if connection.dialect.name == "postgresql":
                        connection.execute(text("SET lock_timeout = '1s'"))
                    else:
                        connection.execute(text("PRAGMA busy_timeout = 1000"))
                    connection.execute(delete(RunWorker).where(RunWorker.id == worker_id))
                    connection.commit()
                return
            except OperationalError:
                os.kill(pid, signal.SIGCONT)
                self.beats(worker_id, 1)
                os.kill(pid, signal.SIGSTOP)


@pytest.fixture
def fault(database_url: str, tmp_path: Path) -> Iterator[Fault]:
    engine = make_engine(database_url)
    migrate(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        _row, key = create_key(session, "admin", None)
    gate = tmp_path / "gate"
    gate.touch()
    base = gated_env(service_env(database_url, MARRAINE_HEARTBEAT_SECONDS="0.2"), tmp_path, gate)
    started: list[Server] = []

    def start(workers: int = 1, **extra: str) -> Server:
        port = free_port()
        env = {**base, "MARRAINE_WORKERS": str(workers), **extra}
        process = python(SERVE, env, str(port), log=tmp_path / "server.log")
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        server = Server(process, client)
        started.append(server)

        def healthy() -> bool:
            try:
                return client.get("/health").status_code == 200
            except httpx.TransportError:
                assert process.poll() is None, "the server exited"
                return False

        wait_for(healthy, "the server to start", deadline=120)
        wait_for(lambda: len(server.workers()) == workers, "its workers to start")
        return server

    try:
        yield Fault(engine, gate, start)
    finally:
        for server in started:
            server.client.close()
            stop(server.process)
        engine.dispose()


def test_a_killed_worker_is_reaped_and_replaced_and_its_run_finished(fault: Fault) -> None:
    # Reaping, not a heartbeat timeout, must be what notices the death.
    server = fault.start(workers=1, MARRAINE_WORKER_TIMEOUT_SECONDS="3600")
    programme_id = server.programme()
    run_id = server.queue(programme_id)
    victim_id, victim = fault.running_on(run_id)
    assert victim in server.workers()

    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: gone(victim), "the dead worker to be reaped", deadline=10)
    wait_for(
        lambda: fault.holder(run_id)[0] not in (victim_id,),
        "the run to leave the dead worker",
        deadline=10,
    )
    wait_for(lambda: len(server.workers()) == 1, "a replacement worker")
    assert server.status(run_id) in ("queued", "running")

    fault.gate.unlink()
    wait_for(lambda: server.status(run_id) == "succeeded", "the recovered run to finish")
    assert fault.holder(run_id)[2] == 2  # claimed twice: by the victim, then by another
    after = server.queue(programme_id)
    wait_for(lambda: server.status(after) == "succeeded", "the next run, without a restart")
    with make_sessionmaker(fault.engine)() as session:
        assert session.get(RunWorker, victim_id) is None  # the dead worker is forgotten


def test_a_stopped_worker_is_detected_by_its_heartbeat_and_replaced(fault: Fault) -> None:
    server = fault.start(workers=2, MARRAINE_WORKER_TIMEOUT_SECONDS="2")
    programme_id = server.programme()
    run_id = server.queue(programme_id)
    victim_id, victim = fault.running_on(run_id)
    (other,) = set(server.workers()) - {victim}

    os.kill(victim, signal.SIGSTOP)  # alive, but silent
    wait_for(lambda: gone(victim), "the silent worker to be killed and reaped", deadline=20)
    replacement = wait_for(lambda: len(w := server.workers()) == 2 and w, "a replacement")
    assert victim not in replacement
    assert other in replacement  # the live worker was left alone
    _id, pid, _attempts = wait_for(
        lambda: (held := fault.holder(run_id))[0] not in (None, victim_id) and held,
        "the replacement to take the run",
    )
    assert pid in replacement  # the live worker or the new one

    fault.gate.unlink()
    wait_for(lambda: server.status(run_id) == "succeeded", "the recovered run to finish")


def test_a_stopped_worker_is_killed_when_a_recoverer_forgot_it_first(fault: Fault) -> None:
    # Another worker's recovery deletes the rows of expired workers, and may do so before
    # the supervisor's pass sees the heartbeat expire: a row that vanished is a silence
    # too, not a worker still starting (which would be judged only after a minute).
    server = fault.start(workers=1, MARRAINE_WORKER_TIMEOUT_SECONDS="2")
    run_id = server.queue(server.programme())
    victim_id, victim = fault.running_on(run_id)
    fault.beats(victim_id, 3)  # the supervisor has seen its row meanwhile

    os.kill(victim, signal.SIGSTOP)
    fault.forget(victim, victim_id)
    wait_for(lambda: gone(victim), "the forgotten worker to be killed and reaped", deadline=20)
    wait_for(lambda: len(server.workers()) == 1, "a replacement")
    fault.gate.unlink()
    wait_for(lambda: server.status(run_id) == "succeeded", "the recovered run to finish")


# On SQLite only, to keep the suite short: PostgreSQL's recovery through heartbeats is in
# the other tests here and in test_scale_out.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_acknowledged_runs_survive_sigkill_of_the_server_and_its_worker(fault: Fault) -> None:
    timeout = {"MARRAINE_WORKER_TIMEOUT_SECONDS": "2"}
    first = fault.start(workers=1, **timeout)
    programme_id = first.programme()
    runs = [first.queue(programme_id) for _ in range(3)]  # each answered 202: acknowledged
    _id, worker = fault.running_on(runs[0])
    os.kill(worker, signal.SIGSTOP)  # so it cannot react to the server's death
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    os.kill(worker, signal.SIGKILL)
    wait_for(lambda: dead(worker), "the worker to die")
    assert [fault.holder(r)[2] for r in runs] == [1, 0, 0]  # left running, and queued

    # A new server recovers the run through the dead worker's stale heartbeat.
    second = fault.start(workers=1, **timeout)
    wait_for(lambda: fault.holder(runs[0])[2] == 2, "the run to be recovered")
    _id, worker = fault.running_on(runs[0])
    # Killing only the server: its worker hands the run back and stops.
    second.process.send_signal(signal.SIGKILL)
    second.process.wait()
    wait_for(lambda: dead(worker), "the orphaned worker to stop")
    assert fault.holder(runs[0]) == (None, None, 2)

    fault.gate.unlink()
    third = fault.start(workers=1, **timeout)
    for run_id in runs:
        wait_for(lambda r=run_id: third.status(r) == "succeeded", "every acknowledged run")
