"""The whole coordinator workflow against a real server: ``marraine keys create``, then
``serve`` (uvicorn + worker subprocess) on a loopback port, driven with httpx."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.conftest import EXAMPLES
from tests.service.pg import free_port
from tests.service.processes import ROOT, python, service_env, stop, wait_for

KEYS = "from service.cli import keys_app; keys_app()"
SERVE = "import sys; from service.cli import serve; serve('127.0.0.1', int(sys.argv[1]))"


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[httpx.Client, str, int, Path]]:
    env = service_env(f"sqlite:///{tmp_path / 'marraine.db'}", MARRAINE_LOG_LEVEL="INFO")
    log = tmp_path / "server.log"
    created = subprocess.run(
        [sys.executable, "-c", KEYS, "create", "--role", "admin"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = created.stdout.strip()
    port = free_port()
    process = python(SERVE, env, str(port), log=log)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

    def healthy() -> bool:
        try:
            return client.get("/health").status_code == 200
        except httpx.TransportError:
            assert process.poll() is None, "the server exited"
            return False

    try:
        wait_for(healthy, "the server to start")
        yield client, key, process.pid, log
    finally:
        client.close()
        stop(process)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_coordinator_workflow_over_http(server: tuple[httpx.Client, str, int, Path]) -> None:
    client, admin_key, server_pid, log = server
    assert _children(server_pid), "serve starts a worker subprocess"
    admin = {"Authorization": f"Bearer {admin_key}"}
    programme = _ok(client.post("/v1/programmes", json={"name": "Digital"}, headers=admin), 201)
    pid = programme["id"]
    coordinator_key = _ok(
        client.post("/v1/keys", json={"role": "coordinator", "programme_id": pid}, headers=admin),
        201,
    )["key"]
    me = {"X-API-Key": coordinator_key}

    for side in ("mentees", "mentors"):
        with (EXAMPLES / f"{side}.csv").open("rb") as handle:
            upload = client.post(
                f"/v1/programmes/{pid}/participants/{side}/file",
                files={"file": (f"{side}.csv", handle, "text/csv")},
                headers=me,
            )
        assert _ok(upload)["created"] > 0

    def run_to_end(body: dict[str, Any]) -> str:
        headers = {**me, "Idempotency-Key": f"run-{len(str(body))}"}
        run = _ok(client.post(f"/v1/programmes/{pid}/runs", json=body, headers=headers), 202)
        again = _ok(client.post(f"/v1/programmes/{pid}/runs", json=body, headers=headers), 202)
        assert again["id"] == run["id"]
        seen: list[float] = []

        def finished() -> bool:
            state = _ok(client.get(f"/v1/runs/{run['id']}", headers=me))
            seen.append(state["progress"])
            assert state["status"] in ("queued", "running", "succeeded"), state
            return bool(state["status"] == "succeeded")

        wait_for(finished, "the run to finish")
        assert seen == sorted(seen)
        assert seen[-1] == 1.0
        return str(run["id"])

    run_id = run_to_end({})
    pairs = _ok(client.get(f"/v1/runs/{run_id}/pairs?limit=100", headers=me))["items"]
    assert all(abs(sum(p["contributions"].values()) - p["score"]) < 1e-9 for p in pairs)

    def decide(action: str, pair: dict[str, Any], **extra: Any) -> None:
        body = {"action": action, "mentee_id": pair["mentee_id"], "mentor_id": pair["mentor_id"]}
        _ok(client.post(f"/v1/runs/{run_id}/decisions", json={**body, **extra}, headers=me), 201)

    decide("approve", pairs[0])
    decide("reject", pairs[1], reason="conflict of interest")
    decide("lock", pairs[2])
    swap = next(p for p in pairs[3:] if any(a["spare_capacity"] for a in p["alternatives"]))
    new_mentor = swap["alternatives"][0]["mentor_id"]
    decide("swap", swap, new_mentor_id=new_mentor)

    rematch_id = run_to_end({"rematch_of": run_id})
    after = _ok(client.get(f"/v1/runs/{rematch_id}/pairs?limit=100", headers=me))["items"]
    chosen = {(p["mentee_id"], p["mentor_id"]) for p in after}
    assert (pairs[0]["mentee_id"], pairs[0]["mentor_id"]) in chosen
    assert (pairs[2]["mentee_id"], pairs[2]["mentor_id"]) in chosen
    assert (swap["mentee_id"], new_mentor) in chosen
    assert (pairs[1]["mentee_id"], pairs[1]["mentor_id"]) not in chosen

    published = _ok(client.post(f"/v1/runs/{rematch_id}/publish", headers=me))
    assert published["active_pairs"] == 3
    active = _ok(client.get(f"/v1/programmes/{pid}/pairs", headers=me))["items"]
    assert len(active) == 3

    person = pairs[0]["mentee_id"]
    url = f"/v1/programmes/{pid}/participants/mentees/{person}"
    exported = _ok(client.get(url, headers=me))
    assert exported["id"] == person
    assert exported["active_pairs"]
    _ok(client.delete(url, headers=me))
    assert client.get(url, headers=me).status_code == 404
    for path in (f"/v1/runs/{rematch_id}/pairs?limit=100", f"/v1/programmes/{pid}/pairs"):
        assert person not in client.get(path, headers=me).text

    children = _children(server_pid)
    os.kill(server_pid, signal.SIGTERM)
    wait_for(lambda: not any(Path(f"/proc/{c}").exists() for c in children), "the worker to stop")

    # Logs: one JSON object a line, requests tagged with an id, no personal values.
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    requests = [line for line in lines if line["message"] == "request"]
    assert requests
    assert all(line["request_id"] for line in requests)
    text = log.read_text()
    assert person not in text
    assert exported["fields"]["name"] not in text
