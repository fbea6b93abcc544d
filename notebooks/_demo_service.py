"""A throwaway Marraine service on this machine (in process, a temporary SQLite file), so
that notebook 03 can read outcomes through the API without a server: a synthetic cohort
is uploaded, matched, approved and published, and every person answers her check-in with
an outcome drawn from a hidden weighting (``matching.learning.simulate_outcomes``).

With a real service, skip this: point the notebook at it (``MARRAINE_URL``,
``MARRAINE_KEY`` a researcher key, ``MARRAINE_PROGRAMME``)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from matching.learning import pair_components, simulate_outcomes
from matching.synthetic import Cohort
from service.app import create_app
from service.auth import create_key
from service.db import session_scope
from service.models import utcnow
from service.settings import Settings
from service.worker import Worker

ENDED = {"meeting": False, "rating": 1, "continuing": False, "end_reason": "poor_fit"}
POOR = {"meeting": True, "rating": 2, "continuing": True}
GOOD = {"meeting": True, "rating": 5, "continuing": True}


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return list(json.loads(frame.to_json(orient="records")))


def demo_service(cohort: Cohort, hidden: Mapping[str, float]) -> tuple[TestClient, str, str]:
    """(a client, a researcher key, the programme's id) of a service whose programme's
    pairs were published six weeks ago and whose people all answered their check-ins."""
    folder = Path(tempfile.mkdtemp(prefix="marraine-demo-"))
    settings = Settings(database_url=f"sqlite:///{folder / 'demo.db'}", log_level="WARNING")
    app = create_app(settings)
    with session_scope(app.state.sessions) as session:
        _row, admin = create_key(session, "admin", None)
    client = TestClient(app)
    auth = {"Authorization": f"Bearer {admin}"}
    programme_id = client.post("/v1/programmes", json={"name": "demo"}, headers=auth).json()["id"]
    config = cohort.programme.model_dump(mode="json")
    client.put(f"/v1/programmes/{programme_id}/config", json={"config": config}, headers=auth)
    for side, people in (("mentees", cohort.mentees), ("mentors", cohort.mentors)):
        client.post(
            f"/v1/programmes/{programme_id}/participants/{side}",
            json={"participants": _records(people)},
            headers=auth,
        )
    run_id = client.post(f"/v1/programmes/{programme_id}/runs", json={}, headers=auth).json()["id"]
    Worker(settings, app.state.engine).run_once()
    pairs = client.get(f"/v1/runs/{run_id}/pairs?limit=500", headers=auth).json()["items"]
    for pair in pairs:
        body = {"action": "approve", "mentee_id": pair["mentee_id"], "mentor_id": pair["mentor_id"]}
        client.post(f"/v1/runs/{run_id}/decisions", json=body, headers=auth)
    client.post(f"/v1/runs/{run_id}/publish", headers=auth)

    # How the pairs really went: drawn from the hidden weighting.
    published = pd.DataFrame(pairs)[["mentee_id", "mentor_id"]]
    lived = simulate_outcomes(
        pair_components(cohort.programme, cohort.mentees, cohort.mentors, published), hidden
    )
    outcome = {(r.mentee_id, r.mentor_id): r.outcome for r in lived.itertuples()}
    later = utcnow() + timedelta(weeks=6, days=1)
    app.state.clock = lambda: later
    links = client.post(f"/v1/programmes/{programme_id}/checkins/links", headers=auth).json()
    answers = {"good": GOOD, "poor": POOR, "ended_early": ENDED}
    for link in links:
        token = link["link"].rsplit("/", 1)[1]
        body = answers[outcome[(link["mentee_id"], link["mentor_id"])]]
        client.post(f"/public/v1/checkins/{token}", json=body)
    researcher = client.post(
        "/v1/keys", json={"role": "researcher", "programme_id": programme_id}, headers=auth
    ).json()["key"]
    return client, researcher, programme_id
