"""Crash safety: a worker killed with SIGKILL mid-run leaves no run ``running`` forever —
another worker runs it — and every decision acknowledged before the crash survives
(SQLite and PostgreSQL). Supervision by ``serve`` is in ``test_supervision``."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from service.models import Run
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


def test_a_killed_workers_run_is_recovered_by_another_and_keeps_decisions(
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

    # Standalone workers have no supervisor: the survivor recovers the run through the
    # dead worker's heartbeat.
    env = service_env(database_url, MARRAINE_WORKER_TIMEOUT_SECONDS="1")
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
    ended = wait_for(lambda: (s := status())["status"] not in ("queued", "running") and s, "end")
    assert ended["status"] == "succeeded", ended
    with api.worker.sessions() as session:
        assert session.scalar(select(Run.attempts).where(Run.id == rematch)) == 2

    log = api.client.get(f"/v1/runs/{run_id}/decisions", headers=api.auth()).json()["items"]
    assert [d["id"] for d in log] == acknowledged
    # The decisions drove the recovered rematch.
    after = api.client.get(f"/v1/runs/{rematch}/pairs?limit=500", headers=api.auth()).json()
    kept = {(p["mentee_id"], p["mentor_id"]): p["decision"] for p in after["items"]}
    assert kept[(pairs[0]["mentee_id"], pairs[0]["mentor_id"])] == "approved"
    assert kept[(pairs[2]["mentee_id"], pairs[2]["mentor_id"])] == "locked"
    assert (pairs[1]["mentee_id"], pairs[1]["mentor_id"]) not in kept
