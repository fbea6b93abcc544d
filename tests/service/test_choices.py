"""Mentees' choices: after a run each mentee ranks her suggestion and up to k spare
alternatives through her own link, mentors decline or accept the mentees proposed to
them, and after the deadline the final run is the mentee-optimal stable matching with
respect to the submitted lists (a non-responder's list is her suggestion alone; a
declined mentee is unacceptable to that mentor), checked against the textbook deferred
acceptance and a brute force over every matching (``tests/stable_oracles.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_key
from service.db import session_scope
from service.settings import Settings
from service.worker import Worker
from tests.service.conftest import Api
from tests.service.follow_up_world import CONFIG, Clock, mentees, mentors
from tests.stable_oracles import all_stable_matchings, gale_shapley, side_optimal

PUBLIC = "/public/v1/choices"
K = 2


@pytest.fixture
def clocked(settings: Settings) -> Iterator[tuple[Api, Clock]]:
    app = create_app(settings)
    clock = Clock()
    app.state.clock = clock
    with session_scope(app.state.sessions) as session:
        _row, admin_key = create_key(session, "admin", None)
    with TestClient(app) as client:
        yield Api(client, admin_key, Worker(settings, app.state.engine)), clock
    app.state.engine.dispose()


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _programme(api: Api, choices: bool = True) -> tuple[str, str]:
    """Five mentees, four mentors with two seats each (spare seats for alternatives)."""
    auth = api.auth()
    programme_id = api.programme("Passerelles")
    _ok(
        api.client.put(
            f"/v1/programmes/{programme_id}/config", json={"config": CONFIG}, headers=auth
        )
    )
    people = {"mentees": mentees(5), "mentors": [m | {"capacity": 2} for m in mentors(4)]}
    for side, rows in people.items():
        path = f"/v1/programmes/{programme_id}/participants/{side}"
        _ok(api.client.post(path, json={"participants": rows}, headers=auth))
    settings = {"choices": choices, "choices_k": K}
    _ok(api.client.put(f"/v1/programmes/{programme_id}/wave-settings", json=settings, headers=auth))
    return programme_id, api.finished_run(programme_id)


def _send(api: Api, run_id: str, clock: Clock) -> dict[str, Any]:
    deadline = (clock.now + timedelta(days=3)).isoformat()
    sent = _ok(
        api.client.post(
            f"/v1/runs/{run_id}/choices", json={"deadline": deadline}, headers=api.auth()
        ),
        201,
    )
    return {(li["side"], li["person_id"]): li["link"].rsplit("/", 1)[1] for li in sent["links"]}


def test_each_mentee_gets_her_suggestion_and_k_spare_alternatives(
    clocked: tuple[Api, Clock],
) -> None:
    api, clock = clocked
    _programme_id, run_id = _programme(api)
    past = {"deadline": "2000-01-01T00:00:00"}  # no offset: read as UTC
    response = api.client.post(f"/v1/runs/{run_id}/choices", json=past, headers=api.auth())
    assert response.status_code == 422
    tokens = _send(api, run_id, clock)
    pairs = _ok(api.client.get(f"/v1/runs/{run_id}/pairs", headers=api.auth()))["items"]
    assert {m for side, m in tokens if side == "mentee"} == {p["mentee_id"] for p in pairs}
    for pair in pairs:
        seen = _ok(api.client.get(f"{PUBLIC}/{tokens[('mentee', pair['mentee_id'])]}"))
        assert seen["side"] == "mentee"
        assert seen["language"] == ("ar" if int(pair["mentee_id"][1:]) % 2 else "fr")
        options = [(o["id"], o["seats"]) for o in seen["options"]]
        spare = [(a["mentor_id"], "spare") for a in pair["alternatives"] if a["spare_capacity"] > 0]
        assert options == [(pair["mentor_id"], "suggested"), *spare[:K]]
        assert all(o["rank"] is None for o in seen["options"])
    # A mentor's link lists the mentees proposed to her: those whose list names her.
    proposed: dict[str, set[str]] = {}
    for (side, person), token in tokens.items():
        if side == "mentee":
            for option in _ok(api.client.get(f"{PUBLIC}/{token}"))["options"]:
                proposed.setdefault(option["id"], set()).add(person)
    for mentor, expected in proposed.items():
        seen = _ok(api.client.get(f"{PUBLIC}/{tokens[('mentor', mentor)]}"))
        assert {o["id"] for o in seen["options"]} == expected
    # A second round on the same run, and a programme without choices, are refused.
    response = api.client.post(f"/v1/runs/{run_id}/choices", headers=api.auth())
    assert response.status_code == 409
    _other, plain_run = _programme(api, choices=False)
    response = api.client.post(f"/v1/runs/{plain_run}/choices", headers=api.auth())
    assert response.status_code == 409


def test_rankings_are_checked_and_answers_replace_each_other(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    _programme_id, run_id = _programme(api)
    tokens = _send(api, run_id, clock)
    mentee_token = next(t for (side, _), t in tokens.items() if side == "mentee")
    mentor_token = next(t for (side, _), t in tokens.items() if side == "mentor")
    options = [o["id"] for o in _ok(api.client.get(f"{PUBLIC}/{mentee_token}"))["options"]]
    for bad in ([options[0], options[0]], ["r99"], []):
        response = api.client.post(f"{PUBLIC}/{mentee_token}/ranking", json={"ranking": bad})
        assert response.status_code == 422, bad
    response = api.client.post(f"{PUBLIC}/{mentor_token}/ranking", json={"ranking": options[:1]})
    assert response.status_code == 422, "a mentor's link ranks nothing"
    seen = _ok(api.client.post(f"{PUBLIC}/{mentee_token}/ranking", json={"ranking": options[::-1]}))
    assert [o["id"] for o in seen["options"]] == options[::-1]
    assert [o["rank"] for o in seen["options"]] == list(range(1, len(options) + 1))
    seen = _ok(api.client.post(f"{PUBLIC}/{mentee_token}/ranking", json={"ranking": options[1:2]}))
    first = seen["options"][0]
    assert (first["id"], first["rank"]) == (options[1], 1)
    assert all(o["rank"] is None for o in seen["options"][1:]), "left out: not wanted"
    assert seen["answered"] is True
    assert api.client.get(f"{PUBLIC}/{'x' * 43}").status_code == 404


def test_the_final_run_is_mentee_optimal_stable_for_the_submitted_lists(
    clocked: tuple[Api, Clock],
) -> None:
    api, clock = clocked
    _programme_id, run_id = _programme(api)
    tokens = _send(api, run_id, clock)
    lists = {
        person: [o for o in _ok(api.client.get(f"{PUBLIC}/{token}"))["options"]]
        for (side, person), token in tokens.items()
        if side == "mentee"
    }
    # e00..e02 answer, putting their alternatives before their suggestion; e03 and e04
    # do not answer (they keep their suggestion alone).
    ranked = {m: [o["id"] for o in lists[m]][::-1] for m in ("e00", "e01", "e02")}
    for mentee, ranking in ranked.items():
        _ok(
            api.client.post(
                f"{PUBLIC}/{tokens[('mentee', mentee)]}/ranking", json={"ranking": ranking}
            )
        )
    # A mentor declines the first mentee proposed to her.
    mentor = sorted(p for s, p in tokens if s == "mentor")[0]
    shown = _ok(api.client.get(f"{PUBLIC}/{tokens[('mentor', mentor)]}"))["options"]
    declined = shown[0]["id"]
    answer = {"declined": [declined]}
    _ok(api.client.post(f"{PUBLIC}/{tokens[('mentor', mentor)]}/answers", json=answer))

    final = api.client.post(f"/v1/runs/{run_id}/choices/final-run", headers=api.auth())
    assert final.status_code == 409, "before the deadline, with mentees yet to answer"
    clock.advance(days=3, seconds=1)
    late = api.client.post(
        f"{PUBLIC}/{tokens[('mentee', 'e03')]}/ranking", json={"ranking": ["r00"]}
    )
    assert late.status_code == 410
    final_run = _ok(
        api.client.post(f"/v1/runs/{run_id}/choices/final-run", headers=api.auth()), 202
    )
    assert final_run["objective"] == "stable"
    assert api.worker.run_once() == final_run["id"]
    done = _ok(api.client.get(f"/v1/runs/{final_run['id']}", headers=api.auth()))
    assert done["status"] == "succeeded", done["error"]
    assert done["summary"]["blocking_pairs"] == 0
    got = {
        (p["mentee_id"], p["mentor_id"])
        for p in _ok(api.client.get(f"/v1/runs/{final_run['id']}/pairs", headers=api.auth()))[
            "items"
        ]
    }
    assert (declined, mentor) not in got
    status = _ok(api.client.get(f"/v1/runs/{run_id}/choices", headers=api.auth()))
    assert (status["answered"], status["declined"], status["final_run_id"]) == (
        3,
        1,
        final_run["id"],
    )

    # The oracles, on the lists as submitted.
    mentee_rank = {
        (m, o["id"]): ranked[m].index(o["id"]) + 1 if m in ranked else 1
        for m, options in lists.items()
        for o in options
        if m in ranked or o["suggested"]
    }
    scores = {(m, o["id"]): o["score"] for m, options in lists.items() for o in options}
    acceptable = sorted(p for p in mentee_rank if p != (declined, mentor))
    by_mentor: dict[str, list[str]] = {}
    for m, r in sorted(scores, key=lambda p: (-scores[p], p[0])):
        if (m, r) != (declined, mentor):
            by_mentor.setdefault(r, []).append(m)
    ids_e = sorted(lists)
    ids_r = sorted({r for _, r in scores})
    index = [(ids_e.index(m), ids_r.index(r)) for m, r in acceptable]
    mentee_value = {
        (ids_e.index(m), ids_r.index(r)): -float(mentee_rank[(m, r)]) for m, r in acceptable
    }
    mentor_value = {
        (ids_e.index(m), ids_r.index(r)): -float(by_mentor[r].index(m)) for m, r in acceptable
    }
    demand, capacity = [1] * len(ids_e), [2] * len(ids_r)
    textbook = gale_shapley(index, mentee_value, mentor_value, demand, capacity)
    expected = {(ids_e[i], ids_r[j]) for i, j in textbook}
    assert got == expected
    stable = all_stable_matchings(index, mentee_value, mentor_value, demand, capacity)
    assert side_optimal(stable, mentee_value, 0, len(ids_e)) == textbook


def test_erasing_a_mentee_removes_her_from_every_list(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    programme_id, run_id = _programme(api)
    tokens = _send(api, run_id, clock)
    mine = _ok(api.client.get(f"{PUBLIC}/{tokens[('mentee', 'e00')]}"))["options"]
    erased = _ok(
        api.client.delete(
            f"/v1/programmes/{programme_id}/participants/mentees/e00", headers=api.auth()
        )
    )
    assert erased["removed"]["choices"] == len(mine) + 1, "her lines and her link"
    assert api.client.get(f"{PUBLIC}/{tokens[('mentee', 'e00')]}").status_code == 404
    for option in mine:
        seen = _ok(api.client.get(f"{PUBLIC}/{tokens[('mentor', option['id'])]}"))
        assert "e00" not in {o["id"] for o in seen["options"]}
