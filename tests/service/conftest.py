"""Fixtures for the service tests: a fresh database per test on SQLite and on a
throwaway PostgreSQL server, an app with a global admin key, and small helpers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service.app import create_app
from service.auth import create_key
from service.db import session_scope
from service.settings import Settings
from service.worker import Worker
from tests.service.pg import PostgresUnavailableError, postgres_server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "digital-business"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a session-wide PostgreSQL server (skipped locally if unavailable,
    a failure under CI=true)."""
    try:
        with postgres_server() as url:
            yield url
    except PostgresUnavailableError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required under CI: {error}")
        pytest.skip(str(error))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'marraine.db'}"
    server: str = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret",
        heartbeat_seconds=0.05,
        worker_poll_seconds=0.05,
        max_batch_mentees=200,
        max_batch_mentors=100,
        max_body_bytes=2_000_000,
        log_level="WARNING",
    )


@dataclass
class Api:
    """A test client with a global admin key, and the app's worker for running jobs."""

    client: TestClient
    admin_key: str
    worker: Worker

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.admin_key}"}

    def key(self, role: str, programme_id: str | None) -> str:
        response = self.client.post(
            "/v1/keys", json={"role": role, "programme_id": programme_id}, headers=self.auth()
        )
        assert response.status_code == 201, response.text
        return str(response.json()["key"])

    def programme(self, name: str = "p") -> str:
        response = self.client.post("/v1/programmes", json={"name": name}, headers=self.auth())
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def upload_examples(self, programme_id: str, key: str | None = None) -> None:
        for side in ("mentees", "mentors"):
            with (EXAMPLES / f"{side}.csv").open("rb") as handle:
                response = self.client.post(
                    f"/v1/programmes/{programme_id}/participants/{side}/file",
                    files={"file": (f"{side}.csv", handle, "text/csv")},
                    headers=self.auth(key),
                )
            assert response.status_code == 200, response.text

    def finished_run(self, programme_id: str, body: dict[str, object] | None = None) -> str:
        response = self.client.post(
            f"/v1/programmes/{programme_id}/runs", json=body or {}, headers=self.auth()
        )
        assert response.status_code == 202, response.text
        run_id = str(response.json()["id"])
        assert self.worker.run_once() == run_id
        status = self.client.get(f"/v1/runs/{run_id}", headers=self.auth()).json()["status"]
        assert status == "succeeded", self.client.get(
            f"/v1/runs/{run_id}", headers=self.auth()
        ).text
        return run_id


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    app = create_app(settings)
    with session_scope(app.state.sessions) as session:
        _row, admin_key = create_key(session, "admin", None)
    worker = Worker(settings, app.state.engine)
    with TestClient(app) as client:
        yield Api(client=client, admin_key=admin_key, worker=worker)
    app.state.engine.dispose()
