"""Check-ins: links with secret tokens (one person's check-in each; revoked and expired
links refused, failures throttled), answers through the API and the public form page in
French and Arabic, the dashboard's figures, and outcomes pseudonymised for researchers.

Link statuses: 404 unknown token (a replaced link's token is forgotten), 410 revoked or
expired, 429 after too many failures from one address."""

from __future__ import annotations

import re
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

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PUBLIC = "/public/v1/checkins"


@pytest.fixture
def clocked(settings: Settings) -> Iterator[tuple[Api, Clock]]:
    """An app whose clock the test moves, throttling after 5 failed links a minute."""
    settings = settings.model_copy(update={"auth_failures_per_address": "5/minute"})
    app = create_app(settings)
    clock = Clock()
    app.state.clock = clock
    with session_scope(app.state.sessions) as session:
        _row, admin_key = create_key(session, "admin", None)
    with TestClient(app) as client:
        yield Api(client, admin_key, Worker(settings, app.state.engine)), clock
    app.state.engine.dispose()


def _links(api: Api, programme_id: str) -> list[dict[str, Any]]:
    response = api.client.post(f"/v1/programmes/{programme_id}/checkins/links", headers=api.auth())
    assert response.status_code == 200, response.text
    return list(response.json())


def _token(link: dict[str, Any]) -> str:
    return str(link["link"].rsplit("/", 1)[1])


GOOD = {"meeting": True, "rating": 5, "continuing": True}
ENDED = {"meeting": False, "rating": 2, "continuing": False, "end_reason": "poor_fit"}


def test_a_link_opens_one_persons_check_in_only(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    programme_id, _run = published_programme(api)
    assert _links(api, programme_id) == [], "nothing is due before the configured weeks"
    clock.advance(weeks=6, hours=1)
    links = _links(api, programme_id)
    people = {p["id"]: p for p in mentees(12) + mentors(12)}
    assert len({_token(link) for link in links}) == len(links)
    for link in links[:6]:
        form = api.client.get(f"{PUBLIC}/{_token(link)}")
        assert form.status_code == 200, form.text
        me = link["mentee_id"] if link["side"] == "mentee" else link["mentor_id"]
        partner = link["mentor_id"] if link["side"] == "mentee" else link["mentee_id"]
        assert form.json()["name"] == people[me]["nom"]
        assert form.json()["partner"] == people[partner]["nom"]
        assert form.json()["language"] == people[me]["langue"]

    first = links[0]
    answered = api.client.post(f"{PUBLIC}/{_token(first)}", json=ENDED)
    assert answered.status_code == 200, answered.text
    rows = api.client.get(
        f"/v1/programmes/{programme_id}/checkins?limit=500", headers=api.auth()
    ).json()["items"]
    assert [r["id"] for r in rows if r["answered_at"]] == [first["checkin_id"]]
    missing_reason = {**ENDED, "end_reason": None}
    assert api.client.post(f"{PUBLIC}/{_token(links[1])}", json=missing_reason).status_code == 422
    assert (
        api.client.post(f"{PUBLIC}/{_token(links[1])}", json={**GOOD, "rating": 6}).status_code
        == 422
    )


def test_revoked_replaced_and_expired_links_are_refused(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    programme_id, _run = published_programme(api)
    clock.advance(weeks=6, hours=1)
    links = _links(api, programme_id)
    revoked = links[0]
    response = api.client.post(
        f"/v1/programmes/{programme_id}/checkins/{revoked['checkin_id']}/revoke",
        headers=api.auth(),
    )
    assert response.status_code == 200
    assert api.client.get(f"{PUBLIC}/{_token(revoked)}").status_code == 410
    assert api.client.post(f"{PUBLIC}/{_token(revoked)}", json=GOOD).status_code == 410

    replaced = {link["checkin_id"]: link for link in _links(api, programme_id)}
    assert api.client.get(f"{PUBLIC}/{_token(links[1])}").status_code == 404, "forgotten"
    fresh = replaced[links[1]["checkin_id"]]
    assert api.client.get(f"{PUBLIC}/{_token(fresh)}").status_code == 200

    clock.advance(days=29)  # links work 28 days by default
    assert api.client.get(f"{PUBLIC}/{_token(fresh)}").status_code == 410
    other = api.programme("other")
    assert (
        api.client.post(
            f"/v1/programmes/{other}/checkins/{revoked['checkin_id']}/revoke",
            headers=api.auth(),
        ).status_code
        == 404
    ), "a check-in is revoked through its own programme only"


def test_failed_links_are_throttled(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    programme_id, _run = published_programme(api)
    clock.advance(weeks=6, hours=1)
    good = _token(_links(api, programme_id)[0])
    for attempt in range(5):
        assert api.client.get(f"{PUBLIC}/{'x' * 30}{attempt}").status_code == 404
    throttled = api.client.get(f"{PUBLIC}/{good}")
    assert throttled.status_code == 429, "a right link is refused too once throttled"
    assert int(throttled.headers["Retry-After"]) >= 1
    page = api.client.get(f"/checkin/{good}", headers={"Accept-Language": "fr"})
    assert page.status_code == 429
    assert "Trop de liens erronés" in page.text


def test_the_form_page_in_french_and_arabic(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    programme_id, _run = published_programme(api)
    clock.advance(weeks=6, hours=1)
    links = _links(api, programme_id)
    people = {p["id"]: p for p in mentees(12) + mentors(12)}

    def language(link: dict[str, Any]) -> str:
        person = link["mentee_id"] if link["side"] == "mentee" else link["mentor_id"]
        return str(people[person]["langue"])

    arabic = next(link for link in links if language(link) == "ar")
    french = next(link for link in links if language(link) == "fr")
    page = api.client.get(f"/checkin/{_token(arabic)}")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text
    assert "كيف يسير الإرشاد؟" in page.text
    answer = {"meeting": "true", "rating": "4", "continuing": "true", "comment": "شكرًا"}
    posted = api.client.post(
        f"/checkin/{_token(arabic)}", data={**answer, "csrf_token": CSRF.findall(page.text)[0]}
    )
    assert posted.status_code == 200, posted.text[:500]
    assert "سُجّلت إجابتك" in posted.text

    api.client.cookies.clear()
    page = api.client.get(f"/checkin/{_token(french)}")
    assert 'lang="fr"' in page.text
    assert "Comment se passe votre binôme" in page.text
    incomplete = {
        "meeting": "true",
        "continuing": "false",
        "csrf_token": CSRF.findall(page.text)[0],
    }
    refused = api.client.post(f"/checkin/{_token(french)}", data=incomplete)
    assert refused.status_code == 422
    assert "Répondez à chaque question" in refused.text
    assert (
        api.client.get(
            "/checkin/inconnu-inconnu-inconnu", headers={"Accept-Language": "fr"}
        ).status_code
        == 404
    )

    stored = api.client.get(f"/v1/programmes/{programme_id}/outcomes", headers=api.auth()).json()
    assert len(stored) == 1
    assert stored[0]["mean_rating"] == 4


def test_outcomes_reach_the_dashboard_and_researchers_pseudonymised(
    clocked: tuple[Api, Clock],
) -> None:
    api, clock = clocked
    programme_id, _run = published_programme(api)
    clock.advance(weeks=6, hours=1)
    links = _links(api, programme_id)
    pairs = sorted({(link["mentee_id"], link["mentor_id"]) for link in links})
    ended = pairs[0]
    for link in links:
        pair = (link["mentee_id"], link["mentor_id"])
        if pair == pairs[-1] and link["side"] == "mentor":
            continue  # one person does not answer
        body = ENDED if pair == ended else GOOD
        assert api.client.post(f"{PUBLIC}/{_token(link)}", json=body).status_code == 200

    stats = api.client.get(
        f"/v1/programmes/{programme_id}/follow-up/stats", headers=api.auth()
    ).json()
    assert stats["issued"] == len(links)
    assert stats["answered"] == len(links) - 1
    assert stats["response_rate"] == pytest.approx((len(links) - 1) / len(links))
    assert stats["group_column"] == "ville"
    assert set(stats["rating_by_group"]) <= {"v0", "v1", "v2", "v3"}
    assert [(p["mentee_id"], p["mentor_id"], p["outcome"]) for p in stats["at_risk"]] == [
        (*ended, "ended_early")
    ]

    coordinator = api.key("coordinator", programme_id)
    api.client.cookies.clear()
    signin = api.client.get("/")
    api.client.post("/", data={"key": coordinator, "csrf_token": CSRF.findall(signin.text)[0]})
    page = api.client.get(f"/programmes/{programme_id}", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert f'id="checkins-issued">{len(links)}<' in page.text
    assert f'id="checkins-answered">{len(links) - 1}<' in page.text
    assert "Binômes en difficulté" in page.text
    assert f"{ended[0]} – {ended[1]}: arrêté avant terme" in page.text

    researcher = api.key("researcher", programme_id)
    seen = api.client.get(
        f"/v1/programmes/{programme_id}/outcomes", headers=api.auth(researcher)
    ).json()
    assert len(seen) == len(pairs)
    ids = {person for pair in pairs for person in pair}
    shown = {o["mentee_id"] for o in seen} | {o["mentor_id"] for o in seen}
    assert not ids & shown
    assert all(alias.startswith("p_") for alias in shown)
    assert sorted(o["outcome"] for o in seen).count("ended_early") == 1
    assert (
        api.client.get(
            f"/v1/programmes/{programme_id}/checkins", headers=api.auth(researcher)
        ).status_code
        == 403
    )


def test_erasing_a_person_removes_her_check_ins_and_messages(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    programme_id, _run = published_programme(api)
    clock.advance(weeks=6, hours=1)
    links = _links(api, programme_id)
    gone = links[0]["mentee_id"]
    for link in links:
        assert api.client.post(f"{PUBLIC}/{_token(link)}", json=GOOD).status_code == 200
    erased = api.client.delete(
        f"/v1/programmes/{programme_id}/participants/mentees/{gone}", headers=api.auth()
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["removed"]["checkins"] == 2, "hers and her mentor's about her"
    assert erased.json()["removed"]["messages"] == 4
    checkins = api.client.get(
        f"/v1/programmes/{programme_id}/checkins?limit=500", headers=api.auth()
    ).json()["items"]
    messages = api.client.get(
        f"/v1/programmes/{programme_id}/messages?limit=500", headers=api.auth()
    ).json()["items"]
    assert gone not in {c["mentee_id"] for c in checkins} | {m["mentee_id"] for m in messages}
    outcomes = api.client.get(f"/v1/programmes/{programme_id}/outcomes", headers=api.auth())
    assert gone not in outcomes.text
    assert api.client.get(f"{PUBLIC}/{_token(links[0])}").status_code == 404
