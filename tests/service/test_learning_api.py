"""Learning from stored outcomes: a synthetic programme where sharing a sector decides
whether a pair goes well; ``learn_weights`` on the check-ins proposes a configuration
that weighs the sector, which only a coordinator adopts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_key
from service.db import session_scope
from service.settings import Settings
from service.worker import Worker
from tests.service.conftest import Api
from tests.service.follow_up_world import Clock, mentees, mentors, published_programme

PUBLIC = "/public/v1/checkins"


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


def _answer_all(api: Api, programme_id: str) -> dict[tuple[str, str], bool]:
    """Everyone answers: pairs sharing a sector go well, the others ended early."""
    sector = {p["id"]: p["secteur"] for p in mentees(24) + mentors(24)}
    links = api.client.post(
        f"/v1/programmes/{programme_id}/checkins/links", headers=api.auth()
    ).json()
    went_well = {}
    for link in links:
        good = sector[link["mentee_id"]] == sector[link["mentor_id"]]
        went_well[(link["mentee_id"], link["mentor_id"])] = good
        body: dict[str, Any] = (
            {"meeting": True, "rating": 5, "continuing": True}
            if good
            else {"meeting": False, "rating": 1, "continuing": False, "end_reason": "poor_fit"}
        )
        token = link["link"].rsplit("/", 1)[1]
        assert api.client.post(f"{PUBLIC}/{token}", json=body).status_code == 200
    return went_well


def test_outcomes_propose_weights_a_coordinator_adopts(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    programme_id, _run = published_programme(api, n_mentees=24, n_mentors=24)
    researcher = api.key("researcher", programme_id)
    too_early = api.client.post(
        f"/v1/programmes/{programme_id}/proposals", json={}, headers=api.auth(researcher)
    )
    assert too_early.status_code == 409, "no outcome yet: nothing to learn"

    clock.advance(weeks=6, hours=1)
    went_well = _answer_all(api, programme_id)
    assert 5 <= sum(went_well.values()) <= len(went_well) - 5, "both outcomes occur"

    response = api.client.post(
        f"/v1/programmes/{programme_id}/proposals",
        json={"seed": 7, "n_bootstrap": 200},
        headers=api.auth(researcher),
    )
    assert response.status_code == 201, response.text
    proposal = response.json()
    report = proposal["report"]
    assert proposal["status"] == "proposed"
    assert report["n_pairs"] == len(went_well)
    assert report["weights"]["secteur"] > 0.8 > report["weights"]["ville"]
    assert report["auc"] >= report["current_auc"]
    low, high = report["auc_ci"]
    assert 0.5 < low <= report["auc"] <= high <= 1.0
    assert report["auc_gain_ci"][0] <= report["auc_gain"] <= report["auc_gain_ci"][1]
    again = api.client.post(
        f"/v1/programmes/{programme_id}/proposals",
        json={"seed": 7, "n_bootstrap": 200},
        headers=api.auth(researcher),
    ).json()
    assert again["report"] == report, "seeded: the same outcomes give the same report"

    programme = api.client.get(f"/v1/programmes/{programme_id}", headers=api.auth()).json()
    assert programme["version"] == proposal["based_on"], "proposing adopts nothing"
    adopt = f"/v1/programmes/{programme_id}/proposals/{proposal['id']}/adopt"
    assert api.client.post(adopt, headers=api.auth(researcher)).status_code == 403
    coordinator = api.key("coordinator", programme_id)
    adopted = api.client.post(adopt, headers=api.auth(coordinator))
    assert adopted.status_code == 200, adopted.text
    assert adopted.json()["adopted_version"] == proposal["based_on"] + 1
    config = api.client.get(f"/v1/programmes/{programme_id}/config", headers=api.auth()).json()
    weights = {c["name"]: c["weight"] for c in config["criteria"]}
    assert weights["secteur"] > weights["ville"]
    assert weights == {c["name"]: c["weight"] for c in proposal["config"]["criteria"]}
    assert api.client.post(adopt, headers=api.auth(coordinator)).status_code == 409
    outdated = f"/v1/programmes/{programme_id}/proposals/{again['id']}/adopt"
    assert api.client.post(outdated, headers=api.auth(coordinator)).status_code == 409
