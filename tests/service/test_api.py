"""The programme API through the ASGI app, on SQLite and PostgreSQL: programmes and
versions, participants (upload report, upsert, pages, export, erasure), runs
(idempotency, cancel, results), decisions, rematch and publish."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from service.db import session_scope
from service.models import Run
from tests.service.conftest import Api

# For behaviour that does not touch the database, one backend is enough.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _get(api: Api, path: str, key: str | None = None) -> Any:
    response = api.client.get(path, headers=api.auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def _decide(api: Api, run_id: str, action: str, pair: dict[str, Any], **extra: Any) -> Any:
    body = {"action": action, "mentee_id": pair["mentee_id"], "mentor_id": pair["mentor_id"]}
    response = api.client.post(
        f"/v1/runs/{run_id}/decisions", json={**body, **extra}, headers=api.auth()
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_config_versions_are_kept_and_runs_record_theirs(api: Api) -> None:
    programme_id = api.programme()
    first = _get(api, f"/v1/programmes/{programme_id}")
    config = dict(first["config"])
    config["min_score"] = 0.05
    response = api.client.put(
        f"/v1/programmes/{programme_id}/config", json={"config": config}, headers=api.auth()
    )
    assert response.status_code == 200
    second = response.json()
    assert second["version"] == 2
    assert second["config_sha256"] != first["config_sha256"]
    versions = _get(api, f"/v1/programmes/{programme_id}/versions")["items"]
    assert [v["sha256"] for v in versions] == [first["config_sha256"], second["config_sha256"]]
    api.upload_examples(programme_id)
    run = _get(api, f"/v1/runs/{api.finished_run(programme_id)}")
    assert (run["version"], run["config_sha256"]) == (2, second["config_sha256"])


@SQLITE_ONLY
def test_bad_config_is_refused_with_its_key(api: Api) -> None:
    response = api.client.post(
        "/v1/programmes",
        json={"name": "x", "config": {"criteria": [{"kind": "needs", "name": "n"}]}},
        headers=api.auth(),
    )
    assert response.status_code == 422
    item = response.json()["detail"][0]
    assert item["loc"][:2] == ["body", "config"]
    assert item["type"] == "missing"  # the criterion's fields, as the spec says


def test_bad_csv_is_refused_row_by_row_and_nothing_is_stored(api: Api) -> None:
    programme_id = api.programme()
    content = (
        "id,languages,needs,capacity\n"
        "mo01,french,seo:4,2\n"
        "mo02,french,seo:4,many\n"
        "mo01,french,seo:4,1\n"
    )
    response = api.client.post(
        f"/v1/programmes/{programme_id}/participants/mentors/file",
        files={"file": ("mentors.csv", content.encode(), "text/csv")},
        headers=api.auth(),
    )
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert {(p["row"], p["column"]) for p in problems} >= {(3, "capacity"), (4, "id")}
    assert all(p["file"] == "mentors.csv" for p in problems)
    assert "many" not in response.text  # the refused value is never echoed
    listed = _get(api, f"/v1/programmes/{programme_id}/participants/mentors")
    assert listed["total"] == 0


LANGUAGE_ONLY = {
    "criteria": [
        {
            "kind": "overlap",
            "name": "language",
            "mentee_field": "languages",
            "mentor_field": "languages",
        }
    ]
}


def test_json_upsert_pages_and_validation(api: Api) -> None:
    response = api.client.post(
        "/v1/programmes", json={"name": "lang", "config": LANGUAGE_ONLY}, headers=api.auth()
    )
    programme_id = response.json()["id"]
    people = [
        {"id": f"m{i:02d}", "languages": ["french"], "needs": "seo:1", "demand": 1}
        for i in range(7)
    ]
    url = f"/v1/programmes/{programme_id}/participants/mentees"
    response = api.client.post(url, json={"participants": people}, headers=api.auth())
    assert response.json() == {"created": 7, "updated": 0}
    response = api.client.post(url, json={"participants": people[:2]}, headers=api.auth())
    assert response.json() == {"created": 0, "updated": 2}
    page = _get(api, f"{url}?offset=5&limit=5")
    assert page["total"] == 7
    assert [p["id"] for p in page["items"]] == ["m05", "m06"]
    bad = [{"id": "x1", "demand": -3, "secret_note": "Fatima"}, {"id": "x1"}]
    response = api.client.post(url, json={"participants": bad}, headers=api.auth())
    assert response.status_code == 422
    assert "Fatima" not in response.text
    assert _get(api, url)["total"] == 7


def test_upsert_looks_ids_up_in_batches(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Uploads larger than a lookup batch (SQLite binds at most 32,766 ids at once)
    still tell new people from known ones."""
    from service.ops import participants

    monkeypatch.setattr(participants, "LOOKUP_BATCH", 3)
    response = api.client.post(
        "/v1/programmes", json={"name": "batches", "config": LANGUAGE_ONLY}, headers=api.auth()
    )
    url = f"/v1/programmes/{response.json()['id']}/participants/mentees"
    people = [{"id": f"m{i:02d}", "languages": ["french"], "demand": 1} for i in range(10)]
    response = api.client.post(url, json={"participants": people[:7]}, headers=api.auth())
    assert response.json() == {"created": 7, "updated": 0}
    response = api.client.post(url, json={"participants": people}, headers=api.auth())
    assert response.json() == {"created": 3, "updated": 7}
    assert _get(api, url)["total"] == 10


def test_request_validation_errors_do_not_echo_values(api: Api) -> None:
    programme_id = api.programme()  # default configuration
    response = api.client.post(
        f"/v1/programmes/{programme_id}/participants/mentees",
        json={"participants": [{"id": {"name": "Aïcha Benali"}}]},
        headers=api.auth(),
    )
    assert response.status_code == 422
    assert "Aïcha" not in response.text
    assert all("input" not in item for item in response.json()["detail"])
    assert response.json()["detail"][0]["loc"][:3] == ["body", "participants", 0]


@SQLITE_ONLY
def test_body_and_batch_limits(api: Api) -> None:
    huge = b"x" * 2_100_000
    response = api.client.post(
        "/v1/match", content=huge, headers={**api.auth(), "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    mentees = [{"id": f"e{i}"} for i in range(201)]
    response = api.client.post(
        "/v1/match", json={"mentees": mentees, "mentors": [{"id": "m"}]}, headers=api.auth()
    )
    assert response.status_code == 413
    assert "mentees" in response.json()["detail"]


@SQLITE_ONLY
def test_stateless_match_answers_like_the_engine(api: Api) -> None:
    mentees = [
        {"id": "a", "languages": ["french"], "needs": ["seo:1"]},
        {"id": "b", "languages": ["english"], "needs": ["website:2"]},
    ]
    mentors = [
        {"id": "x", "languages": ["french"], "expertise": ["seo:5"], "capacity": 1},
        {"id": "y", "languages": ["english"], "expertise": ["website:5"], "capacity": 1},
    ]
    scores = [
        {"mentee_id": "a", "mentor_id": "x", "score": 0.9},
        {"mentee_id": "a", "mentor_id": "y", "score": 0.2},
        {"mentee_id": "b", "mentor_id": "y", "score": 0.7},
    ]
    response = api.client.post(
        "/v1/match",
        json={"mentees": mentees, "mentors": mentors, "scores": scores, "objective": "total"},
        headers=api.auth(),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {(p["mentee_id"], p["mentor_id"]) for p in body["pairs"]} == {("a", "x"), ("b", "y")}
    assert body["summary"]["matched"] == 2
    assert body["summary"]["total_score"] == 1.6
    bad_scores = [*scores, {"mentee_id": "nobody", "mentor_id": "x", "score": 0.5}]
    response = api.client.post(
        "/v1/match",
        json={"mentees": mentees, "mentors": mentors, "scores": bad_scores},
        headers=api.auth(),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "input_error"


@SQLITE_ONLY
def test_stateless_stable_match_from_ranked_choices(api: Api) -> None:
    mentees = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    mentors = [{"id": "x", "capacity": 1}, {"id": "y", "capacity": 1}]
    wishes = [("a", "x", 1), ("b", "x", 1), ("b", "y", 2), ("c", "x", 1), ("c", "y", 2)]
    choices = [("a", "x", 1), ("b", "x", 2), ("c", "x", 3), ("b", "y", 2), ("c", "y", 1)]

    def ranks(rows: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
        return [{"mentee_id": i, "mentor_id": j, "rank": r} for i, j, r in rows]

    body = {
        "mentees": mentees,
        "mentors": mentors,
        "mentee_ranks": ranks(wishes),
        "mentor_ranks": ranks(choices),
    }
    response = api.client.post("/v1/match", json=body, headers=api.auth())
    assert response.status_code == 200, response.text
    answer = response.json()
    assert {(p["mentee_id"], p["mentor_id"]) for p in answer["pairs"]} == {("a", "x"), ("c", "y")}
    summary = answer["summary"]
    assert (summary["objective"], summary["blocking_pairs"], summary["pairs_checked"]) == (
        "stable",
        0,
        6,
    )
    assert answer["unmatched"][0]["detail"].startswith("every mentor she ranked")
    unknown = {**body, "mentor_ranks": ranks([*choices, ("a", "nobody", 1)])}
    response = api.client.post("/v1/match", json=unknown, headers=api.auth())
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["loc"][:2] == ["body", "mentor_ranks"]
    assert "nobody" not in response.text
    other = {**body, "objective": "total"}
    response = api.client.post("/v1/match", json=other, headers=api.auth())
    assert response.status_code == 422
    assert "stable" in response.json()["detail"][0]["msg"]

    # The mentors propose when asked: c and a, whom x and y rank first, get them.
    by_mentors = {**body, "proposing": "mentors"}
    response = api.client.post("/v1/match", json=by_mentors, headers=api.auth())
    assert response.status_code == 200, response.text
    answer = response.json()
    assert {(p["mentee_id"], p["mentor_id"]) for p in answer["pairs"]} == {("a", "x"), ("c", "y")}
    assert (answer["summary"]["proposing"], answer["summary"]["blocking_pairs"]) == ("mentors", 0)
    response = api.client.post("/v1/match", json={**body, "proposing": "both"}, headers=api.auth())
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "proposing"]
    # A key a rank row does not have is refused, never ignored.
    extra = {**body, "mentee_ranks": [{"mentee_id": "a", "mentor_id": "x", "rank": 1, "score": 2}]}
    response = api.client.post("/v1/match", json=extra, headers=api.auth())
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "mentee_ranks", 0, "score"]


def test_a_programme_run_takes_ranked_choices_and_a_rematch_keeps_them(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    mentees = [
        p["id"] for p in _get(api, f"/v1/programmes/{programme_id}/participants/mentees")["items"]
    ]
    mentors = [
        p["id"] for p in _get(api, f"/v1/programmes/{programme_id}/participants/mentors")["items"]
    ]
    # Every mentee ranks the mentors in the same order: the first mentors fill up first.
    ranks = [
        {"mentee_id": i, "mentor_id": j, "rank": r + 1}
        for i in mentees
        for r, j in enumerate(mentors[:3])
    ]
    run_id = api.finished_run(programme_id, {"mentee_ranks": ranks})
    run = _get(api, f"/v1/runs/{run_id}")
    assert run["summary"]["objective"] == "stable"
    assert run["summary"]["blocking_pairs"] == 0
    pairs = _get(api, f"/v1/runs/{run_id}/pairs")["items"]
    assert pairs
    assert {p["mentor_id"] for p in pairs} <= set(mentors[:3])  # unranked: not acceptable
    again = api.finished_run(programme_id, {"rematch_of": run_id})
    assert _get(api, f"/v1/runs/{again}")["summary"]["objective"] == "stable"
    bad = [*ranks, {"mentee_id": mentees[0], "mentor_id": "nobody", "rank": 1}]
    response = api.client.post(
        f"/v1/programmes/{programme_id}/runs", json={"mentee_ranks": bad}, headers=api.auth()
    )
    assert response.status_code == 202
    assert api.worker.run_once() == response.json()["id"]
    failed = _get(api, f"/v1/runs/{response.json()['id']}")
    assert failed["status"] == "failed"
    assert "nobody" not in str(failed["error"])


def test_idempotency_key_returns_the_same_run(api: Api) -> None:
    programme_id = api.programme()
    url = f"/v1/programmes/{programme_id}/runs"
    headers = {**api.auth(), "Idempotency-Key": "batch-42"}
    first = api.client.post(url, json={"objective": "total"}, headers=headers)
    again = api.client.post(url, json={"objective": "total"}, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    other = api.client.post(url, json={"objective": "fair"}, headers=headers)
    assert other.status_code == 409
    assert _get(api, url)["total"] == 1


def test_cancel_a_queued_run(api: Api) -> None:
    programme_id = api.programme()
    run = api.client.post(f"/v1/programmes/{programme_id}/runs", headers=api.auth()).json()
    response = api.client.post(f"/v1/runs/{run['id']}/cancel", headers=api.auth())
    assert response.json()["status"] == "cancelled"
    assert api.worker.run_once() is None  # nothing left to claim


def test_decisions_rematch_and_publish(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    run_id = api.finished_run(programme_id)
    pairs = _get(api, f"/v1/runs/{run_id}/pairs?limit=500")["items"]
    assert len(pairs) == 40
    approved, rejected, locked = pairs[0], pairs[1], pairs[2]
    swappable = next(
        p for p in pairs[3:] if any(a["spare_capacity"] > 0 for a in p["alternatives"])
    )
    _decide(api, run_id, "approve", approved, reason="good fit")
    _decide(api, run_id, "reject", rejected, reason="they know each other")
    _decide(api, run_id, "lock", locked)
    target = swappable["alternatives"][0]["mentor_id"]
    swap = _decide(api, run_id, "swap", swappable, new_mentor_id=target)
    assert swap["before"]["mentor_id"] == swappable["mentor_id"]
    assert swap["after"] == {**swap["after"], "mentor_id": target, "decision": "approved"}
    swapped = next(
        p
        for p in _get(api, f"/v1/runs/{run_id}/pairs?limit=500")["items"]
        if p["mentee_id"] == swappable["mentee_id"]
    )
    # the swapped pair keeps an explanation: its criteria still add up to its score
    assert swapped["contributions"]
    assert sum(swapped["contributions"].values()) == pytest.approx(swapped["score"])
    log = _get(api, f"/v1/runs/{run_id}/decisions")["items"]
    assert [d["action"] for d in log] == ["approve", "reject", "lock", "swap"]
    assert log[1]["reason"] == "they know each other"

    rematch_id = api.finished_run(programme_id, {"rematch_of": run_id})
    after = {
        (p["mentee_id"], p["mentor_id"]): p
        for p in _get(api, f"/v1/runs/{rematch_id}/pairs?limit=500")["items"]
    }
    keep = [
        (approved["mentee_id"], approved["mentor_id"]),
        (locked["mentee_id"], locked["mentor_id"]),
        (swappable["mentee_id"], target),
    ]
    for pair in keep:
        assert pair in after
        assert after[pair]["decision"] in ("approved", "locked")
    assert (rejected["mentee_id"], rejected["mentor_id"]) not in after
    before = {(p["mentee_id"], p["mentor_id"]) for p in pairs}
    assert len(before & set(after)) >= len(pairs) - 10  # few pairs change

    response = api.client.post(f"/v1/runs/{rematch_id}/publish", headers=api.auth())
    assert response.status_code == 200
    assert response.json()["active_pairs"] == 3
    active = _get(api, f"/v1/programmes/{programme_id}/pairs")["items"]
    assert {(a["mentee_id"], a["mentor_id"]) for a in active} == set(keep)


def test_export_and_erasure(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    run_id = api.finished_run(programme_id)
    pair = _get(api, f"/v1/runs/{run_id}/pairs")["items"][0]
    _decide(api, run_id, "approve", pair)
    api.client.post(f"/v1/runs/{run_id}/publish", headers=api.auth())
    person = pair["mentee_id"]
    url = f"/v1/programmes/{programme_id}/participants/mentees/{person}"
    exported = _get(api, url)
    assert exported["id"] == person
    assert exported["fields"]["name"]
    assert exported["suggested_pairs"][0]["run_id"] == run_id
    assert exported["decisions"][0]["action"] == "approve"

    response = api.client.delete(url, headers=api.auth())
    assert response.status_code == 200
    alias = response.json()["pseudonym"]
    assert api.client.get(url, headers=api.auth()).status_code == 404
    names = lambda path: person in api.client.get(path, headers=api.auth()).text  # noqa: E731
    assert not names(f"/v1/runs/{run_id}/pairs?limit=500")
    assert not names(f"/v1/programmes/{programme_id}/participants/mentees?limit=500")
    assert not names(f"/v1/programmes/{programme_id}/pairs")
    log = _get(api, f"/v1/runs/{run_id}/decisions")["items"]
    assert log[0]["mentee_id"] == alias
    # Later runs go without her.
    later = api.finished_run(programme_id)
    assert not names(f"/v1/runs/{later}/pairs?limit=500")


def test_researchers_see_pseudonyms_and_cannot_write(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    run_id = api.finished_run(programme_id)
    researcher = api.key("researcher", programme_id)
    listed = _get(api, f"/v1/programmes/{programme_id}/participants/mentees", researcher)
    assert all(p["id"].startswith("p_") for p in listed["items"])
    assert all("name" not in p["fields"] and "goals" not in p["fields"] for p in listed["items"])
    pairs = _get(api, f"/v1/runs/{run_id}/pairs", researcher)["items"]
    assert all(p["mentee_id"].startswith("p_") for p in pairs)
    response = api.client.post(f"/v1/programmes/{programme_id}/runs", headers=api.auth(researcher))
    assert response.status_code == 403


@SQLITE_ONLY
def test_request_id_is_returned(api: Api) -> None:
    response = api.client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "abc-123"
    assert api.client.get("/v1/programmes").status_code == 401


@SQLITE_ONLY
def test_cors_is_closed_by_default(api: Api) -> None:
    response = api.client.options(
        "/v1/programmes",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers
    response = api.client.get("/health", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in response.headers


@SQLITE_ONLY
def test_stateless_match_gives_the_engines_result_for_the_example(api: Api) -> None:
    import csv

    import matching
    from matching.io import read_participants
    from tests.service.conftest import EXAMPLES

    def people(side: str) -> list[dict[str, Any]]:
        with (EXAMPLES / f"{side}.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        return [{k: v for k, v in row.items() if v != ""} for row in rows]

    body = {"mentees": people("mentees"), "mentors": people("mentors")}
    response = api.client.post("/v1/match", json=body, headers=api.auth())
    assert response.status_code == 200, response.text
    answer = response.json()
    expected = matching.match(
        read_participants(EXAMPLES / "mentees.csv", "mentee"),
        read_participants(EXAMPLES / "mentors.csv", "mentor"),
    )
    assert [(p["mentee_id"], p["mentor_id"]) for p in answer["pairs"]] == [
        (p.mentee_id, p.mentor_id) for p in expected.pairs
    ]
    assert answer["summary"]["total_score"] == pytest.approx(expected.summary.total_score)
    assert answer["summary"]["config_sha256"] == expected.summary.config_sha256


def test_a_swap_to_a_mentor_whose_capacity_became_zero_is_refused(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    run_id = api.finished_run(programme_id)
    pairs = _get(api, f"/v1/runs/{run_id}/pairs?limit=500")["items"]
    pair = next(p for p in pairs if p["alternatives"])
    target = pair["alternatives"][0]["mentor_id"]
    for hers in [p for p in pairs if p["mentor_id"] == target]:
        _decide(api, run_id, "reject", hers)  # none of her seats is taken any more
    # After the run, the mentor steps back: her capacity is set to 0.
    url = f"/v1/programmes/{programme_id}/participants/mentors"
    mentor = api.client.get(f"{url}/{target}", headers=api.auth()).json()["fields"]
    stepped_back = {**mentor, "id": target, "capacity": 0, "min_load": 0}
    response = api.client.post(url, json={"participants": [stepped_back]}, headers=api.auth())
    assert response.status_code == 200, response.text
    response = api.client.post(
        f"/v1/runs/{run_id}/decisions",
        json={"action": "swap", "mentee_id": pair["mentee_id"], "mentor_id": pair["mentor_id"],
              "new_mentor_id": target},
        headers=api.auth(),
    )  # fmt: skip
    assert response.status_code == 409
    assert "no capacity left" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/v1/keys", {"GET", "POST"}),
        ("/v1/programmes", {"GET", "POST"}),
        ("/v1/programmes/p/participants/mentees", {"GET", "POST"}),
        ("/v1/programmes/p/participants/mentees/m1", {"GET", "DELETE"}),
        ("/v1/programmes/p/runs", {"GET", "POST"}),
        ("/v1/runs/r/decisions", {"GET", "POST"}),
        ("/v1/match", {"POST"}),
    ],
)
def test_method_not_allowed_lists_every_method_of_the_path(
    api: Api, path: str, methods: set[str]
) -> None:
    response = api.client.patch(path, json={}, headers=api.auth())
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == methods


def test_the_last_global_admin_key_cannot_be_revoked(api: Api) -> None:
    own_id = api.admin_key.split(".")[0]
    refused = api.client.delete(f"/v1/keys/{own_id}", headers=api.auth())
    assert refused.status_code == 409
    assert "last admin key" in refused.json()["detail"]
    assert api.client.get("/v1/keys", headers=api.auth()).status_code == 200

    second = api.key("admin", None)
    assert api.client.delete(f"/v1/keys/{own_id}", headers=api.auth()).status_code == 200
    assert api.client.get("/v1/keys", headers=api.auth()).status_code == 401
    second_id = second.split(".")[0]
    assert api.client.delete(f"/v1/keys/{second_id}", headers=api.auth(second)).status_code == 409


def test_a_programme_admin_cannot_revoke_her_programmes_last_admin_key(api: Api) -> None:
    programme = api.programme()
    admin = api.key("admin", programme)
    admin_id = admin.split(".")[0]
    refused = api.client.delete(f"/v1/keys/{admin_id}", headers=api.auth(admin))
    assert refused.status_code == 409
    assert "programme's last admin key" in refused.json()["detail"]

    other = api.key("admin", programme)
    assert api.client.delete(f"/v1/keys/{admin_id}", headers=api.auth(other)).status_code == 200
    # A global admin can recover the programme, so she may revoke its last admin key.
    other_id = other.split(".")[0]
    assert api.client.delete(f"/v1/keys/{other_id}", headers=api.auth()).status_code == 200


def test_a_run_without_error_stores_and_answers_null_in_every_path(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    finished = api.finished_run(programme_id)
    queued = api.client.post(
        f"/v1/programmes/{programme_id}/runs", json={"objective": "fair"}, headers=api.auth()
    ).json()
    cancelled = api.client.post(f"/v1/runs/{queued['id']}/cancel", headers=api.auth()).json()
    assert cancelled["error"] is None
    for run_id in (finished, queued["id"]):
        assert _get(api, f"/v1/runs/{run_id}")["error"] is None
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT error FROM runs")).all()
    assert [error for (error,) in stored] == [None, None]  # SQL NULL, not the JSON 'null'


def test_clearing_a_runs_error_stores_sql_null(api: Api) -> None:
    programme_id = api.programme()
    run_id = api.client.post(f"/v1/programmes/{programme_id}/runs", headers=api.auth()).json()["id"]
    sessions = api.client.app.state.sessions  # type: ignore[attr-defined]
    with session_scope(sessions) as session:
        run = session.get(Run, run_id)
        assert run is not None
        run.error = {"type": "internal", "reason": "x"}
    with session_scope(sessions) as session:
        run = session.get(Run, run_id)
        assert run is not None
        run.error = None  # as a path that clears a previous error writes it
    with api.client.app.state.engine.connect() as connection:  # type: ignore[attr-defined]
        stored = connection.execute(text("SELECT error FROM runs")).scalar_one()
    assert stored is None
    assert _get(api, f"/v1/runs/{run_id}")["error"] is None


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/v1/programmes", "application/json", b"{not json"),
        ("/v1/programmes", "application/json", b'{"name": "\xff\xfe"}'),
        ("/v1/match", "application/json", b"[1, 2"),
        ("/v1/programmes/p/participants/mentees/file", "multipart/form-data; boundary=x", b"--x"),
        ("/v1/programmes", "application/json", b'{"name": "\\u0000"}'),
    ],
)
@pytest.mark.parametrize("key", [None, "key_0000000000000000.wrong"])
def test_credentials_are_checked_before_the_body_is_read(
    api: Api, path: str, content_type: str, body: bytes, key: str | None
) -> None:
    headers = {"Content-Type": content_type}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    response = api.client.post(path, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": "missing or invalid API key"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def _operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    spec = api.client.get("/openapi.json").json()
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if path.startswith("/v1/")
    ]


def test_every_operation_documents_its_error_statuses_with_a_model(api: Api) -> None:
    for method, path, operation in _operations(api):
        responses = operation["responses"]
        expected = {"401", "422", "429"}
        if "requestBody" in operation:
            expected |= {"400", "413"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            assert "application/json" in responses[status]["content"], (method, path, status)


def test_undocumented_body_failures_answer_a_documented_400(api: Api) -> None:
    programme_id = api.programme()
    not_utf8 = api.client.post(
        "/v1/programmes",
        content=b'{"name": "\xff"}',
        headers={**api.auth(), "Content-Type": "application/json"},
    )
    broken_multipart = api.client.post(
        f"/v1/programmes/{programme_id}/participants/mentees/file",
        content=b"--x\r\nnot a part",
        headers={**api.auth(), "Content-Type": "multipart/form-data; boundary=x"},
    )
    for response in (not_utf8, broken_multipart):
        assert response.status_code == 400, response.text
        assert isinstance(response.json()["detail"], str)


def test_match_lists_may_not_be_empty_in_the_spec(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    match_in = spec["components"]["schemas"]["MatchIn"]["properties"]
    assert match_in["mentees"]["minItems"] == 1
    assert match_in["mentors"]["minItems"] == 1


def test_a_programme_is_created_from_the_spec_alone(api: Api) -> None:
    """An integrator's path: the request body comes from the spec's own example, and the
    configuration's schema in the spec is the engine's (criteria by kind)."""
    spec = api.client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    body = schemas["ProgrammeIn"]["examples"][0]
    criterion_kinds = {
        ref["$ref"].rsplit("/", 1)[1]
        for ref in schemas["Programme"]["properties"]["criteria"]["items"]["oneOf"]
    }
    assert {"NeedsCriterion", "OverlapCriterion", "TextCriterion"} <= criterion_kinds
    assert schemas["Programme"]["additionalProperties"] is False
    created = api.client.post("/v1/programmes", json=body, headers=api.auth())
    assert created.status_code == 201, created.text
    config = created.json()["config"]
    assert [c["name"] for c in config["criteria"]] == ["needs", "languages"]
    assert config["quotas"] == [
        {
            "field": "cooperative",
            "value": "yes",
            "min_share": 0.4,
            "min_count": None,
            "hard": True,
            "penalty": 1.0,
        }
    ]
    update = schemas["ConfigIn"]["examples"][0]
    url = f"/v1/programmes/{created.json()['id']}/config"
    assert api.client.put(url, json=update, headers=api.auth()).status_code == 200
    refused = api.client.put(url, json={"config": {}}, headers=api.auth())
    assert refused.status_code == 422  # spec-invalid too: criteria are required


def test_path_ids_state_in_the_spec_that_control_characters_are_refused(api: Api) -> None:
    for method, path, operation in _operations(api):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] != "side":
                assert "pattern" in parameter["schema"], (method, path, parameter["name"])
    assert api.client.get("/v1/programmes/a%01", headers=api.auth()).status_code == 422


def test_run_pairs_filter_by_decision_and_score_and_refuse_unknown_parameters(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    run_id = api.finished_run(programme_id)
    every = _get(api, f"/v1/runs/{run_id}/pairs?limit=500")["items"]
    first = every[0]
    _decide(api, run_id, "approve", first)
    approved = _get(api, f"/v1/runs/{run_id}/pairs?decision=approved")
    assert [(p["mentee_id"], p["mentor_id"]) for p in approved["items"]] == [
        (first["mentee_id"], first["mentor_id"])
    ]
    assert approved["total"] == 1
    middle = sorted(p["score"] for p in every)[len(every) // 2]
    high = _get(api, f"/v1/runs/{run_id}/pairs?limit=500&min_score={middle}")
    assert high["total"] == sum(p["score"] >= middle for p in every)
    assert all(p["score"] >= middle for p in high["items"])
    low = _get(api, f"/v1/runs/{run_id}/pairs?limit=500&max_score={middle}&decision=suggested")
    assert all(p["score"] <= middle and p["decision"] == "suggested" for p in low["items"])
    for query in ("region=souss_massa", "decision=maybe", "min_score=-1"):
        response = api.client.get(f"/v1/runs/{run_id}/pairs?{query}", headers=api.auth())
        assert response.status_code == 422, query
        assert response.json()["detail"][0]["loc"][:2] == ["query", query.split("=")[0]]
    unknown = api.client.get("/v1/programmes?sort=name", headers=api.auth())
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["msg"] == "unknown query parameter"
