"""The service's domain layer: operations refuse with their own errors (no HTTP in
``service/ops``), the API answers them with its usual status codes and bodies, the page
says them in its own language; capacity holds for every decision that gives a mentor a
seat; listings honour ``max_page_size`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_key
from service.db import session_scope
from service.errors import status_of
from service.ops.errors import CapacityError, ConflictError, InvalidError, NotFoundError
from service.settings import Settings
from tests.service.conftest import Api
from tests.service.seeded import Seeded, decision_body, seed

OPS = Path(__file__).resolve().parents[2] / "service" / "ops"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_operations_know_nothing_of_http() -> None:
    for module in OPS.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert name.split(".")[0] not in ("fastapi", "starlette"), module.name


def test_each_kind_of_domain_error_has_its_status() -> None:
    assert status_of(NotFoundError("x", "x")) == 404
    assert status_of(ConflictError("x", "x")) == 409
    assert status_of(CapacityError("x", "x")) == 409
    assert status_of(InvalidError("x", "x")) == 422


def _full_mentor(api: Api) -> Seeded:
    """Mentor ``full`` (2 seats) has one pair and one rejected pair; ``e`` (with ``o``)
    has her as an alternative."""
    pairs = [("h", "full", "suggested"), ("r", "full", "rejected"), ("e", "o", "suggested")]
    return seed(api, {"full": 2, "o": 1}, pairs, {"e": ["full"]})


def _decide(api: Api, run_id: str, body: dict[str, str]) -> tuple[int, object]:
    answer = api.client.post(f"/v1/runs/{run_id}/decisions", json=body, headers=api.auth())
    return answer.status_code, answer.json()


@pytest.mark.parametrize("action", ["approve", "lock"])
def test_taking_back_a_rejected_pair_onto_a_full_mentor_is_refused(api: Api, action: str) -> None:
    seeded = _full_mentor(api)
    assert _decide(api, seeded.run_id, decision_body("swap", "e", "o", "full"))[0] == 201
    status, body = _decide(api, seeded.run_id, decision_body(action, "r", "full"))
    assert (status, body) == (409, {"detail": "that mentor has no capacity left"})
    # Rejecting a pair frees its seat for another decision.
    assert _decide(api, seeded.run_id, decision_body("reject", "h", "full"))[0] == 201
    assert _decide(api, seeded.run_id, decision_body(action, "r", "full"))[0] == 201


def test_refusals_keep_the_api_status_codes_and_bodies(api: Api) -> None:
    seeded = _full_mentor(api)
    run = seeded.run_id
    assert _decide(api, run, decision_body("approve", "nobody", "full")) == (
        404,
        {"detail": "no such pair in this run"},
    )
    assert _decide(api, run, decision_body("swap", "e", "o")) == (
        422,
        {"detail": "swap needs new_mentor_id"},
    )
    assert _decide(api, run, decision_body("swap", "h", "full", "o")) == (
        422,
        {"detail": "new_mentor_id is not one of the mentee's alternatives"},
    )
    cancel = api.client.post(f"/v1/runs/{run}/cancel", headers=api.auth())
    assert (cancel.status_code, cancel.json()) == (409, {"detail": "run is already succeeded"})
    rematch = api.client.post(
        f"/v1/programmes/{seeded.programme_id}/runs",
        json={"rematch_of": "run_unknown"},
        headers=api.auth(),
    )
    assert (rematch.status_code, rematch.json()) == (404, {"detail": "run to rematch not found"})
    queued = api.client.post(
        f"/v1/programmes/{seeded.programme_id}/runs", headers=api.auth()
    ).json()["id"]
    for path in (f"/v1/runs/{queued}/publish", f"/v1/runs/{queued}/decisions"):
        answer = api.client.post(
            path, json=decision_body("approve", "h", "full"), headers=api.auth()
        )
        assert answer.status_code == 409
        assert "succeeded run" in answer.json()["detail"]


def _sign_in(client: TestClient, key: str) -> str:
    client.cookies.clear()
    first = TOKEN.search(client.get("/").text)
    assert first
    answer = client.post("/", data={"key": key, "csrf_token": first.group(1)})
    found = TOKEN.search(answer.text)
    assert found, answer.text[:300]
    return found.group(1)


def test_the_page_says_a_refusal_in_french_and_a_bulk_refusal_decides_nothing(api: Api) -> None:
    seeded = _full_mentor(api)
    assert _decide(api, seeded.run_id, decision_body("swap", "e", "o", "full"))[0] == 201
    client = api.client
    token = _sign_in(client, api.admin_key)
    french = {"Accept-Language": "fr-FR,fr;q=0.9"}
    rejected = seeded.pair_ids[("r", "full")]

    row = client.post(
        f"/runs/{seeded.run_id}/decide",
        data={"pair_id": rejected, "action": "lock", "csrf_token": token},
        headers={**french, "HX-Request": "true"},
    )
    assert row.status_code == 200
    assert "n&#39;a plus de place libre" in row.text or "n'a plus de place libre" in row.text
    assert "no capacity" not in row.text

    bulk = client.post(
        f"/runs/{seeded.run_id}/bulk",
        data={"action": "approve", "scope": "selected", "pair": [rejected], "csrf_token": token},
        headers=french,
        follow_redirects=False,
    )
    assert bulk.status_code == 409
    assert "rien n&#39;a été décidé" in bulk.text or "rien n'a été décidé" in bulk.text
    log = client.get(f"/v1/runs/{seeded.run_id}/decisions", headers=api.auth()).json()
    assert [d["action"] for d in log["items"]] == ["swap"]


@pytest.fixture
def small_pages(settings: Settings) -> Iterator[tuple[TestClient, str]]:
    app = create_app(settings.model_copy(update={"max_page_size": 3}))
    with session_scope(app.state.sessions) as session:
        _row, key = create_key(session, "admin", None)
    with TestClient(app) as client:
        yield client, key
    app.state.engine.dispose()


def test_listings_honour_max_page_size(small_pages: tuple[TestClient, str]) -> None:
    client, key = small_pages
    auth = {"Authorization": f"Bearer {key}"}
    for name in "abcde":
        assert client.post("/v1/programmes", json={"name": name}, headers=auth).status_code == 201
    default = client.get("/v1/programmes", headers=auth).json()
    assert (len(default["items"]), default["total"], default["limit"]) == (3, 5, 3)
    rest = client.get("/v1/programmes?offset=3&limit=3", headers=auth).json()
    assert [p["name"] for p in default["items"] + rest["items"]] == list("abcde")
    refused = client.get("/v1/programmes?limit=4", headers=auth)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["query", "limit"]
