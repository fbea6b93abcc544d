"""Large writes go around the ORM (COPY on PostgreSQL, executemany on SQLite): what is
read back must be exactly what the engine produced, and file uploads have their own,
larger size limit than JSON bodies."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from matching import match
from matching.defaults import default_programme
from matching.synthetic import generate_cohort
from service.app import create_app
from service.auth import create_key
from service.db import json_value, session_scope
from service.settings import Settings
from tests.service.conftest import EXAMPLES, Api


def _all(api: Api, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = api.client.get(f"{path}?limit=100&offset={len(items)}", headers=api.auth())
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if len(items) >= page.json()["total"]:
            return items


def test_a_stored_run_reads_back_as_the_engine_made_it(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    run_id = api.finished_run(programme_id)
    mentees = pd.read_csv(EXAMPLES / "mentees.csv", dtype=str)
    mentors = pd.read_csv(EXAMPLES / "mentors.csv", dtype=str)
    expected = match(mentees, mentors, default_programme())

    pairs = {(p["mentee_id"], p["mentor_id"]): p for p in _all(api, f"/v1/runs/{run_id}/pairs")}
    assert set(pairs) == {(p.mentee_id, p.mentor_id) for p in expected.pairs}
    for pair in expected.pairs:
        stored = pairs[(pair.mentee_id, pair.mentor_id)]
        assert stored["score"] == pytest.approx(pair.score)
        assert stored["contributions"] == pytest.approx(dict(pair.contributions))
        assert stored["why"] == pair.why
        assert stored["decision"] == "suggested"
        shown = [(a["mentor_id"], a["spare_capacity"]) for a in stored["alternatives"]]
        made = [
            (a.mentor_id, a.spare_capacity) for a in expected.alternatives.get(pair.mentee_id, ())
        ]
        assert shown == made
    unmatched = {u["mentee_id"]: u for u in _all(api, f"/v1/runs/{run_id}/unmatched")}
    assert {u: unmatched[u]["reason"] for u in unmatched} == {
        u.mentee_id: u.reason for u in expected.unmatched
    }
    assert all(unmatched[u.mentee_id]["detail"] == u.detail for u in expected.unmatched)


def test_files_have_their_own_size_limit(database_url: str) -> None:
    settings = Settings(
        database_url=database_url,
        secret_key="test-secret",
        max_body_bytes=50_000,
        max_upload_bytes=400_000,
        log_level="WARNING",
    )
    app = create_app(settings)
    with session_scope(app.state.sessions) as session:
        _row, key = create_key(session, "admin", None)
    headers = {"Authorization": f"Bearer {key}"}
    mentees = pd.read_csv(EXAMPLES / "mentees.csv", dtype=str)
    # More people than the JSON limit allows in one body, as a file under the upload limit.
    many = pd.concat([mentees.assign(id=mentees["id"] + f"-{copy}") for copy in range(20)])
    data = many.to_csv(index=False).encode()
    assert 50_000 < len(data) < 400_000
    with TestClient(app) as client:
        programme_id = client.post("/v1/programmes", json={"name": "p"}, headers=headers).json()[
            "id"
        ]
        url = f"/v1/programmes/{programme_id}/participants/mentees/file"
        accepted = client.post(url, files={"file": ("m.csv", data, "text/csv")}, headers=headers)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["created"] == len(many)
        listed = client.get(f"/v1/programmes/{programme_id}/participants/mentees", headers=headers)
        assert listed.json()["total"] == len(many)
        again = client.post(url, files={"file": ("m.csv", data, "text/csv")}, headers=headers)
        assert again.json() == {"created": 0, "updated": len(many)}
        too_big = data + data.split(b"\n", 1)[1] * 3
        refused = client.post(url, files={"file": ("m.csv", too_big, "text/csv")}, headers=headers)
        assert refused.status_code == 413
        json_body = client.post(
            "/v1/match",
            content=b"x" * 60_000,
            headers={**headers, "Content-Type": "application/json"},
        )
        assert json_body.status_code == 413
    app.state.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_100000_mentee_file_is_accepted_with_the_default_limits(database_url: str) -> None:
    """A large programme's file (about 31 MB, over the JSON body limit) goes through the
    default upload limit, parsed from the spooled file."""
    defaults = Settings(database_url=database_url, secret_key="test-secret")
    mentees = generate_cohort(100_000, 100, seed=0).mentees
    data = mentees.to_csv(index=False).encode()
    assert len(data) > defaults.max_body_bytes
    app = create_app(defaults.model_copy(update={"log_level": "WARNING"}))
    with session_scope(app.state.sessions) as session:
        _row, key = create_key(session, "admin", None)
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as client:
        created = client.post("/v1/programmes", json={"name": "p"}, headers=headers)
        url = f"/v1/programmes/{created.json()['id']}/participants/mentees/file"
        answer = client.post(url, files={"file": ("m.csv", data, "text/csv")}, headers=headers)
        assert answer.status_code == 200, answer.text[:300]
        assert answer.json() == {"created": 100_000, "updated": 0}
    app.state.engine.dispose()


def test_json_columns_read_what_older_rows_hold() -> None:
    # Rows written by the standard library's encoder may hold NaN, which orjson refuses.
    assert math.isnan(json_value('{"score": NaN}')["score"])
    assert json_value(b'{"why": "acad\\u00e9mie", "n": [1, 2.5]}') == {
        "why": "académie",
        "n": [1, 2.5],
    }
