"""Waves: mentees a wave's published run left unmatched carry over to the next wave with
the programme's priority (a score bonus, or matched first); pairs published in earlier
waves are never proposed again; each wave's report (JSON and CSV), counts by group."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.service.conftest import Api

CONFIG: dict[str, Any] = {
    "name": "Vagues",
    "fields": {"mentee": {"groups": ["ville"]}},
    "criteria": [
        {
            "kind": "category",
            "name": "secteur",
            "mentee_field": "secteur",
            "mentor_field": "secteur",
            "weight": 0.6,
        },
        {
            "kind": "category",
            "name": "ville",
            "mentee_field": "ville",
            "mentor_field": "ville",
            "weight": 0.4,
        },
    ],
}
"""One mentor with one seat; c1 fits her best (1.0), n1 next (0.6), c2 least (0.4)."""

MENTOR = {"id": "m1", "secteur": "a", "ville": "v1", "capacity": 1}
C1 = {"id": "c1", "secteur": "a", "ville": "v1"}
C2 = {"id": "c2", "secteur": "b", "ville": "v1"}
N1 = {"id": "n1", "secteur": "a", "ville": "v2"}


def _post(api: Api, path: str, body: Any = None, status: int = 200) -> Any:
    response = api.client.post(path, json=body, headers=api.auth())
    assert response.status_code == status, response.text
    return response.json()


def _add(api: Api, programme_id: str, side: str, people: list[dict[str, Any]]) -> None:
    _post(api, f"/v1/programmes/{programme_id}/participants/{side}", {"participants": people})


def _run(api: Api, programme_id: str, body: dict[str, Any]) -> str:
    return api.finished_run(programme_id, body)


def _pairs(api: Api, run_id: str) -> list[tuple[str, str]]:
    items = api.client.get(f"/v1/runs/{run_id}/pairs", headers=api.auth()).json()["items"]
    return [(p["mentee_id"], p["mentor_id"]) for p in items]


def _approve_and_publish(api: Api, run_id: str) -> None:
    for mentee, mentor in _pairs(api, run_id):
        body = {"action": "approve", "mentee_id": mentee, "mentor_id": mentor}
        _post(api, f"/v1/runs/{run_id}/decisions", body, status=201)
    _post(api, f"/v1/runs/{run_id}/publish")


def _settings(api: Api, programme_id: str, **values: Any) -> None:
    response = api.client.put(
        f"/v1/programmes/{programme_id}/wave-settings", json=values, headers=api.auth()
    )
    assert response.status_code == 200, response.text


def _signed_in_page(api: Api, programme_id: str) -> None:
    """Sign the test client in to the review page with a coordinator's key."""
    api.client.cookies.clear()
    form = api.client.get("/").text
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    key = api.key("coordinator", programme_id)
    answer = api.client.post("/", data={"key": key, "csrf_token": token})
    assert answer.status_code == 200, answer.text[:300]


def _second_wave(api: Api) -> tuple[str, str, str]:
    """Wave 1 matched c1 with m1 and left c2; wave 2 adds n1. Returns (programme, wave 1,
    wave 2)."""
    programme_id = api.programme("Vagues")
    response = api.client.put(
        f"/v1/programmes/{programme_id}/config", json={"config": CONFIG}, headers=api.auth()
    )
    assert response.status_code == 200, response.text
    _add(api, programme_id, "mentees", [C1, C2])
    _add(api, programme_id, "mentors", [MENTOR])
    first = _post(api, f"/v1/programmes/{programme_id}/waves", {"name": "printemps"}, 201)
    run = _run(api, programme_id, {"wave_id": first["id"]})
    assert _pairs(api, run) == [("c1", "m1")]
    _approve_and_publish(api, run)
    _post(api, f"/v1/programmes/{programme_id}/waves", None, 409)  # wave 1 still open
    _post(api, f"/v1/waves/{first['id']}/close")
    _add(api, programme_id, "mentees", [N1])
    second = _post(api, f"/v1/programmes/{programme_id}/waves", None, 201)
    assert (second["number"], second["carried_in"]) == (2, 1)
    return programme_id, first["id"], second["id"]


def test_carried_over_mentees_get_the_programmes_priority(api: Api) -> None:
    programme_id, _first, wave = _second_wave(api)
    # Outside any wave, c1 and m1 would be paired again: they fit best.
    assert _pairs(api, _run(api, programme_id, {})) == [("c1", "m1")]
    # In wave 2 the pair published in wave 1 is never proposed again; a small bonus
    # (0.4 + 0.1 < 0.6) leaves the seat to the better pair, n1.
    _settings(api, programme_id, priority="bonus", bonus=0.1)
    small = _run(api, programme_id, {"wave_id": wave})
    assert _pairs(api, small) == [("n1", "m1")]
    run = api.client.get(f"/v1/runs/{small}", headers=api.auth()).json()
    assert run["wave_id"] == wave
    assert run["priority"] == {"mode": "bonus", "bonus": 0.1, "carried": 1}
    # A bonus above the difference gives the carried-over mentee the seat, and her
    # pair's explanation says why.
    _settings(api, programme_id, priority="bonus", bonus=0.3)
    large = _run(api, programme_id, {"wave_id": wave})
    assert _pairs(api, large) == [("c2", "m1")]
    pairs = api.client.get(
        f"/v1/runs/{large}/pairs", headers=api.auth() | {"Accept-Language": "fr"}
    ).json()["items"]
    assert pairs[0]["score"] == 0.4, "the stored score is the pair's own"
    assert pairs[0]["why"].endswith(
        "reportée de la vague précédente : ses binômes comptent 0.3 de plus"
    )
    # The review page says it too, in the coordinator's language.
    _signed_in_page(api, programme_id)
    page = api.client.get(f"/runs/{large}", headers={"Accept-Language": "ar"}).text
    assert "منقولة من الدفعة السابقة: تُحتسب ثنائياتها بزيادة 0.3" in page
    api.client.cookies.clear()
    # Matched first: whatever the scores, she takes the seat.
    _settings(api, programme_id, priority="first")
    first = _run(api, programme_id, {"wave_id": wave})
    assert _pairs(api, first) == [("c2", "m1")]
    summary = api.client.get(f"/v1/runs/{first}", headers=api.auth()).json()
    assert summary["priority"]["mode"] == "first"
    quotas = [(q["name"], q["hard"], q["required"], q["met"]) for q in summary["quotas"]]
    assert quotas == [("marraine_carried_over=yes", True, 1, True)]
    # A rematch stays in the wave, with its rules.
    rematch = _run(api, programme_id, {"rematch_of": first})
    assert api.client.get(f"/v1/runs/{rematch}", headers=api.auth()).json()["wave_id"] == wave
    assert ("c1", "m1") not in _pairs(api, rematch)


def test_each_wave_reports_its_participants_matched_and_carried_over(api: Api) -> None:
    programme_id, first, wave = _second_wave(api)
    report = api.client.get(f"/v1/waves/{first}/report", headers=api.auth()).json()
    everyone = report["lines"][0]
    assert (everyone["participants"], everyone["matched"], everyone["carried_over"]) == (2, 1, 1)
    assert report["lines"][1:] == [
        {
            "column": "ville",
            "value": "v1",
            "participants": 2,
            "matched": 1,
            "carried_in": 0,
            "carried_over": 1,
        }
    ]
    response = api.client.get(f"/v1/waves/{wave}/report", headers=api.auth())
    assert response.status_code == 409, "no run of wave 2 is published yet"
    _settings(api, programme_id, priority="first")
    _approve_and_publish(api, _run(api, programme_id, {"wave_id": wave}))
    response = api.client.get(f"/v1/waves/{wave}/report?format=csv", headers=api.auth())
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [
        (
            r["column"],
            r["value"],
            r["participants"],
            r["matched"],
            r["carried_in"],
            r["carried_over"],
        )
        for r in rows
    ] == [
        ("", "", "3", "1", "1", "2"),
        ("ville", "v1", "2", "1", "1", "1"),
        ("ville", "v2", "1", "0", "0", "1"),
    ]
    listed = api.client.get(f"/v1/programmes/{programme_id}/waves", headers=api.auth()).json()
    assert [(w["number"], w["status"]) for w in listed] == [(1, "closed"), (2, "open")]
    _post(api, f"/v1/waves/{wave}/close")
    _post(api, f"/v1/programmes/{programme_id}/runs", {"wave_id": wave}, 409)
