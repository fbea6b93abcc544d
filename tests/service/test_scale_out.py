"""Scaling out on one PostgreSQL: two API processes (``serve --workers 0``) and three
``marraine worker`` processes take 200 runs from 20 programmes queued at once. Each run
succeeds exactly once, and the run of a worker killed mid-run is recovered by another.
The throughput is printed, not asserted (see ``benchmarks/README.md``)."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sqlalchemy import func, select

from service.auth import create_key
from service.db import make_engine, make_sessionmaker, migrate, session_scope
from service.models import Run, RunPair, RunWorker
from tests.service.conftest import EXAMPLES
from tests.service.pg import free_port
from tests.service.processes import gated_env, python, service_env, stop, wait_for

API = "import sys; from service.cli import serve; serve('127.0.0.1', int(sys.argv[1]), 0)"
WORKER = "from matching.cli import app; app()"  # with the argument ``worker``
MIGRATE = (
    "from service.db import make_engine, migrate; from service.settings import get_settings; "
    "migrate(make_engine(get_settings().database_url))"
)
PROGRAMMES, RUNS_EACH = 20, 10

pytestmark = pytest.mark.postgres


@pytest.fixture
def processes() -> Iterator[list[object]]:
    started: list[object] = []
    yield started
    for process in started:
        stop(process)  # type: ignore[arg-type]


def _ok(response: httpx.Response, status: int = 200) -> dict[str, object]:
    assert response.status_code == status, response.text
    return dict(response.json())


def _small_cohort() -> dict[str, bytes]:
    """A few rows of the example cohort per side, as CSV: runs stay quick."""
    return {
        side: pd.read_csv(EXAMPLES / f"{side}.csv", dtype=str)
        .head(rows)
        .to_csv(index=False)
        .encode()
        for side, rows in (("mentees", 8), ("mentors", 3))
    }


def _programme(client: httpx.Client, cohort: dict[str, bytes]) -> str:
    programme_id = str(_ok(client.post("/v1/programmes", json={"name": "p"}), 201)["id"])
    for side, data in cohort.items():
        _ok(
            client.post(
                f"/v1/programmes/{programme_id}/participants/{side}/file",
                files={"file": (f"{side}.csv", data, "text/csv")},
            )
        )
    return programme_id


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_apis_and_three_workers_run_each_of_200_runs_once(
    database_url: str,
    tmp_path: Path,
    processes: list[object],
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    sessions = make_sessionmaker(engine)
    with session_scope(sessions) as session:
        _row, key = create_key(session, "admin", None)
    env = service_env(
        database_url,
        MARRAINE_HEARTBEAT_SECONDS="0.2",
        MARRAINE_WORKER_TIMEOUT_SECONDS="2",
        MARRAINE_LOG_LEVEL="INFO",
    )
    clients = []
    for _ in range(2):
        port = free_port()
        processes.append(python(API, env, str(port), log=tmp_path / "api.log"))
        clients.append(
            httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {key}"},
                timeout=60,
            )
        )
    # One worker's engine never finishes (the gate file stays): it is killed mid-run.
    gate = tmp_path / "gate"
    gate.touch()
    logs = [tmp_path / f"worker{i}.log" for i in range(3)]
    doomed = python(WORKER, gated_env(env, tmp_path, gate), "worker", log=logs[0])
    workers = [doomed] + [python(WORKER, env, "worker", log=log) for log in logs[1:]]
    processes.extend(workers)

    def up(client: httpx.Client) -> bool:
        try:
            return client.get("/health").status_code == 200
        except httpx.TransportError:
            return False

    for client in clients:
        wait_for(lambda c=client: up(c), "the API processes")  # type: ignore[misc]
    with sessions() as session:
        wait_for(lambda: session.scalar(func.count(RunWorker.id)) == 3, "the workers")
    cohort = _small_cohort()
    with ThreadPoolExecutor(4) as pool:
        programmes = list(pool.map(lambda i: _programme(clients[i % 2], cohort), range(PROGRAMMES)))

    def queue(index: int) -> list[str]:
        client = clients[index % 2]
        url = f"/v1/programmes/{programmes[index]}/runs"
        return [str(_ok(client.post(url), 202)["id"]) for _ in range(RUNS_EACH)]

    began = time.monotonic()
    with ThreadPoolExecutor(PROGRAMMES) as pool:
        runs = [run_id for batch in pool.map(queue, range(PROGRAMMES)) for run_id in batch]
    assert len(set(runs)) == PROGRAMMES * RUNS_EACH

    def doomed_run() -> str | None:
        with sessions() as session:
            return session.scalar(
                select(Run.id).where(
                    Run.worker_pid == doomed.pid, Run.status == "running", Run.progress > 0
                )
            )

    victim = wait_for(doomed_run, "the gated worker to be mid-run")
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()

    def finished() -> bool:
        with sessions() as session:
            return session.scalar(select(func.count()).where(Run.status == "succeeded")) == len(
                runs
            )

    wait_for(finished, "every run to succeed", deadline=600)
    elapsed = time.monotonic() - began

    with sessions() as session:
        attempts = {r: n for r, n in session.execute(select(Run.id, Run.attempts))}
        pairs = Counter(session.scalars(select(RunPair.run_id)))
    assert attempts == {r: 2 if r == victim else 1 for r in runs}  # claimed exclusively
    assert len(set(pairs[r] for r in runs)) == 1  # the same result for the same cohort
    ended: Counter[tuple[str, str]] = Counter()
    for log in logs:
        for line in log.read_text().splitlines():
            if not line.startswith("{"):
                continue  # not a log record (a warning printed by a library)
            entry = json.loads(line)
            if entry.get("message") == "run ended":
                ended[(entry["run_id"], entry["status"])] += 1
    assert ended == Counter({(r, "succeeded"): 1 for r in runs})  # each ran to its end once
    with capsys.disabled():
        print(
            f"\n{len(runs)} runs from {PROGRAMMES} programmes, 2 API processes, 3 workers"
            f" (one killed mid-run): {elapsed:.1f} s, {len(runs) / elapsed:.1f} runs/s"
        )
    for client in clients:
        client.close()
    engine.dispose()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_processes_starting_together_on_a_fresh_database_all_migrate_it(
    database_url: str, tmp_path: Path
) -> None:
    started = [
        python(MIGRATE, service_env(database_url), log=tmp_path / f"migrate{i}.log")
        for i in range(4)
    ]
    codes = [process.wait(timeout=120) for process in started]
    assert codes == [0, 0, 0, 0], [p.read_text() for p in sorted(tmp_path.glob("*.log"))]
    engine = make_engine(database_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
    engine.dispose()
