"""Integrity under hostile input, one test per case of the hardening issue, on SQLite and
PostgreSQL: ids that lock people out, NUL characters and non-finite numbers, unbounded
scores, sessions that outlive sign-out, unthrottled guessing, erasure that leaves traces,
API docs from a CDN, and flags stored as counts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from matching import match
from matching.defaults import default_programme
from matching.errors import ConfigError, InputError
from matching.model import Programme
from service.app import create_app
from service.auth import create_key
from service.db import session_scope
from service.models import Participant
from service.settings import Settings
from tests.service.conftest import EXAMPLES, Api

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _participants(api: Api, programme_id: str, side: str) -> str:
    return f"/v1/programmes/{programme_id}/participants/{side}"


def _upsert(api: Api, programme_id: str, people: list[dict[str, Any]]) -> Any:
    return api.client.post(
        _participants(api, programme_id, "mentors"),
        json={"participants": people},
        headers=api.auth(),
    )


def _count(api: Api, programme_id: str, side: str = "mentors") -> int:
    response = api.client.get(_participants(api, programme_id, side), headers=api.auth())
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


# ----------------------------------------------------------------- 4: ids with "/"


def test_an_id_with_a_slash_is_refused_at_upload_with_file_row_and_column(api: Api) -> None:
    programme_id = api.programme()
    csv = "id,name,capacity\nmo01,Awa,1\na/b,Binta,1\n"
    response = api.client.post(
        _participants(api, programme_id, "mentors") + "/file",
        files={"file": ("mentors.csv", csv.encode(), "text/csv")},
        headers=api.auth(),
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert (problem["file"], problem["row"], problem["column"]) == ("mentors.csv", 3, "id")
    assert "/" in problem["msg"]
    assert "a/b" not in response.text.replace("'/'", "")
    assert _count(api, programme_id) == 0  # nothing stored


@pytest.mark.parametrize("person_id", ["a/b", "a\\b", "..", "."])
def test_ids_no_url_can_reach_are_refused_in_json(api: Api, person_id: str) -> None:
    programme_id = api.programme()
    response = _upsert(api, programme_id, [{"id": "ok"}, {"id": person_id}])
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:4] == ["body", "participants", 1, "id"]
    assert _count(api, programme_id) == 0


def test_every_stored_id_can_be_exported_and_erased(api: Api) -> None:
    programme_id = api.programme()
    ids = ["مريم-1", "a b", "x?y#z", "50%", "a+b", "ü.ö"]
    people = [{**_example_mentor(), "id": i} for i in ids]
    assert _upsert(api, programme_id, people).status_code == 200
    for person_id in ids:
        url = _participants(api, programme_id, "mentors") + "/" + _quote(person_id)
        assert api.client.get(url, headers=api.auth()).json()["id"] == person_id
        assert api.client.delete(url, headers=api.auth()).status_code == 200
    assert _count(api, programme_id) == 0


def test_an_id_with_a_slash_stored_before_the_rule_can_be_exported_and_erased(api: Api) -> None:
    programme_id = api.programme()
    app = api.client.app
    with session_scope(app.state.sessions) as session:  # type: ignore[attr-defined]
        session.add(Participant(programme_id=programme_id, side="mentee", person_id="a/b", data={}))
    url = _participants(api, programme_id, "mentees") + "/a%2Fb"
    assert api.client.get(url, headers=api.auth()).json()["id"] == "a/b"
    assert api.client.delete(url, headers=api.auth()).status_code == 200
    assert _count(api, programme_id, "mentees") == 0


def _example_mentor() -> dict[str, Any]:
    row = pd.read_csv(EXAMPLES / "mentors.csv").iloc[0]
    return {str(k): v.item() if hasattr(v, "item") else v for k, v in row.dropna().items()}


def _quote(segment: str) -> str:
    from urllib.parse import quote

    return quote(segment, safe="")


def test_the_engine_refuses_ids_with_a_slash_or_a_control_character() -> None:
    mentors = pd.DataFrame({"id": ["m1", "m/2"], "languages": ["fr", "fr"]})
    mentees = pd.DataFrame({"id": ["e\x001"], "languages": ["fr"]})
    with pytest.raises(InputError) as raised:
        match(mentees, mentors.iloc[:1], default_programme())
    assert raised.value.column == "id"
    with pytest.raises(InputError) as raised:
        match(mentees.assign(id="e1"), mentors, default_programme())
    assert (raised.value.row, raised.value.column) == (1, "id")


# ----------------------------------------------------------------- 5: NUL, Infinity


@pytest.mark.parametrize(
    "person",
    [
        {"id": "a\x00b"},
        {"id": "a\x01b"},
        {"id": "ok", "name": "Awa\x00"},
        {"id": "ok", "languages": ["fr", "a\x00"]},
        {"id": "ok", "name": "\ud800"},
    ],
)
def test_nul_and_control_characters_are_refused_with_422(api: Api, person: dict[str, Any]) -> None:
    programme_id = api.programme()
    body = json.dumps({"participants": [person]})  # \u0000 escapes, valid JSON
    response = api.client.post(
        _participants(api, programme_id, "mentors"),
        content=body,
        headers={**api.auth(), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:3] == ["body", "participants", 0]
    assert _count(api, programme_id) == 0


@pytest.mark.parametrize("path", ["mentors/a%00b", "mentors/a%01b", "mentees/%00"])
def test_nul_in_a_path_is_refused_with_422(api: Api, path: str) -> None:
    programme_id = api.programme()
    url = _participants(api, programme_id, "") + path
    assert api.client.get(url, headers=api.auth()).status_code == 422
    assert api.client.delete(url, headers=api.auth()).status_code == 422
    assert api.client.get("/v1/programmes/a%00", headers=api.auth()).status_code == 422


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN", "1e400"])
def test_a_configuration_holding_infinity_is_refused_with_its_path(api: Api, number: str) -> None:
    programme_id = api.programme()
    config = api.client.get(f"/v1/programmes/{programme_id}", headers=api.auth()).json()["config"]
    config["criteria"][1]["weight"] = 12345.5
    text = json.dumps({"config": config}).replace("12345.5", number)
    response = api.client.put(
        f"/v1/programmes/{programme_id}/config",
        content=text,
        headers={**api.auth(), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    loc = response.json()["detail"][0]["loc"]
    assert loc == ["body", "config", "criteria", 1, "weight"]
    versions = api.client.get(f"/v1/programmes/{programme_id}/versions", headers=api.auth())
    assert versions.json()["total"] == 1


# ----------------------------------------------------------------- 6: infinite weight


def test_weights_must_be_finite_and_bounded() -> None:
    base = default_programme().model_dump(mode="json")
    for weight in (float("inf"), float("nan"), 1e15, -1.0):
        base["criteria"][0]["weight"] = weight
        with pytest.raises(ConfigError) as raised:
            Programme.from_dict(base)
        assert raised.value.key.startswith("criteria.0.")
        assert raised.value.key.endswith(".weight")
    with pytest.raises(ConfigError):
        default_programme().with_weights({default_programme().criterion_names[0]: float("inf")})


def test_a_huge_weight_is_refused_and_runs_keep_working(api: Api) -> None:
    programme_id = api.programme()
    config = api.client.get(f"/v1/programmes/{programme_id}", headers=api.auth()).json()["config"]
    config["criteria"][0]["weight"] = 1e300
    response = api.client.put(
        f"/v1/programmes/{programme_id}/config", json={"config": config}, headers=api.auth()
    )
    assert response.status_code == 422, response.text
    loc = response.json()["detail"][0]["loc"]
    assert loc[:4] == ["body", "config", "criteria", 0]
    assert loc[-1] == "weight"
    api.upload_examples(programme_id)
    api.finished_run(programme_id)


# ----------------------------------------------------------------- 7: scores of 1e15


@pytest.mark.parametrize("score", [1e15, 1e7, -1.0])
def test_out_of_range_scores_are_refused_with_their_path(api: Api, score: float) -> None:
    body = {
        "mentees": [{"id": "e1"}],
        "mentors": [{"id": "m1"}],
        "scores": [{"mentee_id": "e1", "mentor_id": "m1", "score": score}],
    }
    response = api.client.post("/v1/match", json=body, headers=api.auth())
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "scores", 0, "score"]


def test_the_engine_refuses_huge_scores_with_an_input_error() -> None:
    mentees, mentors = pd.DataFrame({"id": ["e1"]}), pd.DataFrame({"id": ["m1", "m2"]})
    scores = pd.DataFrame(
        {"mentee_id": ["e1", "e1"], "mentor_id": ["m1", "m2"], "score": [0.5, 1e15]}
    )
    with pytest.raises(InputError) as raised:
        match(mentees, mentors, scores=scores)
    assert (raised.value.row, raised.value.column) == (1, "score")
    result = match(mentees, mentors, scores=scores.assign(score=[0.5, 1e6]))
    assert [p.mentor_id for p in result.pairs] == ["m2"]


# ----------------------------------------------------------------- 8: sign-out


def _sign_in(client: TestClient, key: str) -> str:
    client.cookies.clear()
    page = client.get("/")
    found = TOKEN.search(page.text)
    assert found
    answer = client.post("/", data={"key": key, "csrf_token": found.group(1)})
    assert answer.status_code == 200, answer.text[:300]
    again = TOKEN.search(answer.text)
    assert again
    return again.group(1)


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(api: Api) -> None:
    client = api.client
    programme_id = api.programme()
    key = api.key("coordinator", programme_id)
    csrf = _sign_in(client, key)
    stolen = dict(client.cookies)
    dashboard = f"/programmes/{programme_id}"
    assert client.get(dashboard, follow_redirects=False).status_code == 200
    assert client.post("/signout", data={"csrf_token": csrf}).status_code == 200

    client.cookies.clear()
    client.cookies.update(stolen)  # the cookie as it was before signing out
    answer = client.get(dashboard, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_revoking_the_key_ends_its_sessions(api: Api) -> None:
    client = api.client
    programme_id = api.programme()
    key = api.key("coordinator", programme_id)
    _sign_in(client, key)
    dashboard = f"/programmes/{programme_id}"
    assert client.get(dashboard, follow_redirects=False).status_code == 200
    key_id = key.partition(".")[0]
    assert client.delete(f"/v1/keys/{key_id}", headers=api.auth()).status_code == 200
    assert client.get(dashboard, follow_redirects=False).status_code == 303


# ----------------------------------------------------------------- 9: throttling


@pytest.fixture
def strict(settings: Settings) -> Iterator[tuple[TestClient, str]]:
    """An app allowing 5 failures an address and 8 a key id per minute."""
    tight = settings.model_copy(
        update={"auth_failures_per_address": "5/minute", "auth_failures_per_key": "8/minute"}
    )
    app = create_app(tight)
    with session_scope(app.state.sessions) as session:
        _row, key = create_key(session, "admin", None)
    with TestClient(app, client=("192.0.2.1", 50000)) as client:
        yield client, key
    app.state.engine.dispose()


def test_wrong_keys_are_throttled_per_address_and_right_ones_are_not(
    strict: tuple[TestClient, str],
) -> None:
    client, key = strict
    right = {"Authorization": f"Bearer {key}"}
    for _ in range(50):  # successful traffic is never throttled
        assert client.get("/v1/programmes", headers=right).status_code == 200
    wrong = {"Authorization": "Bearer key_00000000000000aa.wrong"}
    assert [client.get("/v1/programmes", headers=wrong).status_code for _ in range(5)] == [401] * 5
    throttled = client.get("/v1/programmes", headers=wrong)
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    # Guessing from this address stops: the right key waits too.
    assert client.get("/v1/programmes", headers=right).status_code == 429
    other = TestClient(client.app, client=("192.0.2.2", 50000))
    assert other.get("/v1/programmes", headers=right).status_code == 200


def test_wrong_secrets_for_one_key_id_are_throttled_across_addresses(
    strict: tuple[TestClient, str],
) -> None:
    client, key = strict
    key_id = key.partition(".")[0]
    statuses = []
    for n in range(9):
        guesser = TestClient(client.app, client=(f"198.51.100.{n}", 50000))
        wrong = {"X-API-Key": f"{key_id}.guess{n}"}
        statuses.append(guesser.get("/v1/programmes", headers=wrong).status_code)
    assert statuses == [401] * 8 + [429]


def test_wrong_sign_ins_are_throttled(strict: tuple[TestClient, str]) -> None:
    client, key = strict
    page = client.get("/")
    found = TOKEN.search(page.text)
    assert found
    statuses = [
        client.post("/", data={"key": f"key_{n:016x}.x", "csrf_token": found.group(1)}).status_code
        for n in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    refused = client.post("/", data={"key": key, "csrf_token": found.group(1)})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"].isdigit()


# ----------------------------------------------------------------- 10: erasure


def test_erasure_removes_the_person_from_reasons_keys_exports_and_files(
    api: Api, database_url: str
) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    run_id = api.finished_run(programme_id)
    pairs = api.client.get(f"/v1/runs/{run_id}/pairs?limit=500", headers=api.auth()).json()
    pair, other = pairs["items"][0], pairs["items"][1]
    person = pair["mentee_id"]
    url = _participants(api, programme_id, "mentees") + f"/{person}"
    name = api.client.get(url, headers=api.auth()).json()["fields"]["name"]
    first_name = name.split()[0]
    for chosen, reason in (
        (pair, f"{first_name} asked for it ({person})"),
        (other, f"not with {name}, says {person}"),
    ):
        decided = api.client.post(
            f"/v1/runs/{run_id}/decisions",
            json={
                "action": "approve",
                "mentee_id": chosen["mentee_id"],
                "mentor_id": chosen["mentor_id"],
                "reason": reason,
            },
            headers=api.auth(),
        )
        assert decided.status_code == 201, decided.text
    queued = api.client.post(
        f"/v1/programmes/{programme_id}/runs",
        json={},
        headers={**api.auth(), "Idempotency-Key": f"rematch-{first_name}-{person}"},
    )
    assert queued.status_code == 202, queued.text

    erased = api.client.delete(url, headers=api.auth())
    assert erased.status_code == 200, erased.text
    alias = erased.json()["pseudonym"]
    log = api.client.get(f"/v1/runs/{run_id}/decisions", headers=api.auth()).json()["items"]
    assert [d["reason"] for d in log] == [
        f"{alias} asked for it ({alias})",
        f"not with {alias}, says {alias}",
    ]
    other_export = api.client.get(
        _participants(api, programme_id, "mentees") + f"/{other['mentee_id']}", headers=api.auth()
    ).text
    assert person not in other_export
    assert name not in other_export
    for trace in (person, name, first_name):
        assert trace not in json.dumps(log)
    _assert_not_stored(api, database_url, [person, name])


def _assert_not_stored(api: Api, database_url: str, traces: list[str]) -> None:
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
        raw = b"".join(p.read_bytes() for p in files)
        for trace in traces:
            assert trace.encode() not in raw, f"{trace!r} left in the database files"
        return
    from sqlalchemy import text

    with api.client.app.state.engine.connect() as connection:  # type: ignore[attr-defined]
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        for table in list(tables):
            for trace in traces:
                found = connection.execute(
                    text(f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE :trace'),
                    {"trace": f"%{trace}%"},
                ).scalar_one()
                assert found == 0, f"{trace!r} left in table {table}"


# ----------------------------------------------------------------- 11: docs offline


@SQLITE_ONLY
def test_api_docs_are_served_from_the_package(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200
    assert "https://" not in page.text
    assert "http://" not in page.text
    assert '"validatorUrl": null' in page.text  # the bundle's default is an online validator
    assets = re.findall(r"""(?:src|href)=["'](/[^"']+)["']""", page.text)
    assert {a.rsplit("/", 1)[1] for a in assets} >= {"swagger-ui-bundle.js", "swagger-ui.css"}
    for asset in assets:
        assert api.client.get(asset).status_code == 200, asset
    assert api.client.get("/redoc").status_code == 404


# ----------------------------------------------------------------- 12: flags as counts


@pytest.mark.parametrize("column", ["capacity", "min_load"])
def test_a_flag_is_not_a_count(api: Api, column: str) -> None:
    programme_id = api.programme()
    response = _upsert(api, programme_id, [{"id": "m1", column: True}])
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "participants", 0, column]
    assert _count(api, programme_id) == 0
