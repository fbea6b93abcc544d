"""Crash safety: a worker killed with SIGKILL mid-run leaves no run ``running`` forever,
and every decision acknowledged before the crash survives (SQLite and PostgreSQL)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.models import Run
from service.models.base import utcnow
from tests.service.conftest import Api
from tests.service.processes import python, service_env, stop, wait_for

SLOW_WORKER = "import tests.service.slow_engine; from service.cli import run_worker; run_worker()"
WORKER = "from service.cli import run_worker; run_worker()"


@pytest.fixture
def started() -> Iterator[list[object]]:
    processes: list[object] = []
    yield processes
    for process in processes:
        stop(process)  # type: ignore[arg-type]


def test_killed_worker_fails_the_run_and_keeps_decisions(
    api: Api, database_url: str, started: list[object]
) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    run_id = api.finished_run(programme_id)
    pairs = api.client.get(f"/v1/runs/{run_id}/pairs", headers=api.auth()).json()["items"]
    acknowledged = []
    for action, pair in zip(("approve", "reject", "lock"), pairs, strict=False):
        response = api.client.post(
            f"/v1/runs/{run_id}/decisions",
            json={"action": action, "mentee_id": pair["mentee_id"], "mentor_id": pair["mentor_id"]},
            headers=api.auth(),
        )
        assert response.status_code == 201
        acknowledged.append(response.json()["id"])
    rematch = api.client.post(
        f"/v1/programmes/{programme_id}/runs", json={"rematch_of": run_id}, headers=api.auth()
    ).json()["id"]

    # A timeout far beyond the test: recovery must come from seeing the pid is gone.
    env = service_env(database_url, MARRAINE_STALE_AFTER_SECONDS="3600")
    doomed = python(SLOW_WORKER, env)
    started.append(doomed)

    def status() -> dict[str, object]:
        return dict(api.client.get(f"/v1/runs/{rematch}", headers=api.auth()).json())

    wait_for(
        lambda: status()["status"] == "running" and float(status()["progress"]) > 0.05, "progress"
    )
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    with api.worker.sessions() as session:  # the dead worker really left it running
        assert session.scalar(select(Run.status).where(Run.id == rematch)) == "running"

    survivor = python(WORKER, env)
    started.append(survivor)
    ended = wait_for(lambda: (s := status())["status"] != "running" and s, "recovery")
    assert ended["status"] == "failed"
    assert ended["error"]["type"] == "worker_lost"  # type: ignore[index]

    log = api.client.get(f"/v1/runs/{run_id}/decisions", headers=api.auth()).json()["items"]
    assert [d["id"] for d in log] == acknowledged
    # The decisions still drive the next rematch, which the new worker completes.
    retry = api.client.post(
        f"/v1/programmes/{programme_id}/runs", json={"rematch_of": run_id}, headers=api.auth()
    ).json()["id"]
    wait_for(
        lambda: (
            api.client.get(f"/v1/runs/{retry}", headers=api.auth()).json()["status"] == "succeeded"
        ),
        "the retried rematch",
    )
    after = api.client.get(f"/v1/runs/{retry}/pairs?limit=500", headers=api.auth()).json()
    kept = {(p["mentee_id"], p["mentor_id"]): p["decision"] for p in after["items"]}
    assert kept[(pairs[0]["mentee_id"], pairs[0]["mentor_id"])] == "approved"
    assert kept[(pairs[2]["mentee_id"], pairs[2]["mentor_id"])] == "locked"
    assert (pairs[1]["mentee_id"], pairs[1]["mentor_id"]) not in kept


def test_a_run_whose_worker_stopped_beating_is_failed_and_a_live_one_is_kept(api: Api) -> None:
    """A worker on another host cannot be checked by pid: its heartbeat decides. One
    older than ``stale_after_seconds`` fails the run; a recent one leaves it running."""
    programme_id = api.programme()
    url = f"/v1/programmes/{programme_id}/runs"
    silent, beating = (
        api.client.post(url, json={"objective": o}, headers=api.auth()).json()["id"]
        for o in ("total", "fair")
    )
    stale = api.worker.settings.stale_after_seconds
    now = utcnow()
    with api.worker.sessions() as session, session.begin():
        for run_id, last_beat in ((silent, stale + 5), (beating, 0)):
            run = session.get(Run, run_id)
            assert run is not None
            run.status, run.worker_host, run.worker_pid = "running", "another-host", 4242
            run.started_at = now - timedelta(seconds=2 * stale)
            run.heartbeat_at = now - timedelta(seconds=last_beat)

    assert api.worker.recover() == 1
    failed = api.client.get(f"/v1/runs/{silent}", headers=api.auth()).json()
    assert failed["status"] == "failed"
    assert failed["error"] == {"type": "worker_lost", "reason": "no heartbeat from the worker"}
    alive = api.client.get(f"/v1/runs/{beating}", headers=api.auth()).json()
    assert alive["status"] == "running"
    assert api.worker.recover() == 0  # nothing else to fail; the failed run stays failed
