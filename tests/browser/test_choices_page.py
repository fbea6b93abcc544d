"""The public choice pages in Chromium: a French-speaking and an Arabic-speaking mentee
(Arabic laid out right to left) rank their short lists from the keyboard, a mentor
declines a mentee proposed to her, and the answers reach the API; after the deadline the
page says the link is closed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_key
from service.db import session_scope
from service.settings import Settings
from service.worker import Worker
from tests.browser.conftest import screenshot
from tests.service.conftest import Api
from tests.service.follow_up_world import CONFIG, Clock, mentees, mentors
from tests.service.pg import free_port

pytestmark = pytest.mark.browser

Served = tuple[str, Api, Clock, dict[tuple[str, str], str]]


def _choices_sent(api: Api, clock: Clock) -> dict[tuple[str, str], str]:
    """A programme offering choices (two alternatives), a run, and its lists sent:
    each person's token."""
    auth = api.auth()
    programme_id = api.programme("Passerelles")
    config = api.client.put(
        f"/v1/programmes/{programme_id}/config", json={"config": CONFIG}, headers=auth
    )
    assert config.status_code == 200, config.text
    people = {"mentees": mentees(6), "mentors": [m | {"capacity": 2} for m in mentors(5)]}
    for side, rows in people.items():
        response = api.client.post(
            f"/v1/programmes/{programme_id}/participants/{side}",
            json={"participants": rows},
            headers=auth,
        )
        assert response.status_code == 200, response.text
    settings = {"choices": True, "choices_k": 2}
    api.client.put(f"/v1/programmes/{programme_id}/wave-settings", json=settings, headers=auth)
    run_id = api.finished_run(programme_id)
    deadline = (clock.now + timedelta(days=5)).isoformat()
    sent = api.client.post(f"/v1/runs/{run_id}/choices", json={"deadline": deadline}, headers=auth)
    assert sent.status_code == 201, sent.text
    return {
        (li["side"], li["person_id"]): li["link"].rsplit("/", 1)[1] for li in sent.json()["links"]
    }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server on a loopback port (in this process, so its clock can move)."""
    folder: Path = tmp_path_factory.mktemp("choices")
    settings = Settings(database_url=f"sqlite:///{folder / 'm.db'}", log_level="WARNING")
    app = create_app(settings)
    clock = Clock()
    app.state.clock = clock
    with session_scope(app.state.sessions) as session:
        _row, admin_key = create_key(session, "admin", None)
    api = Api(TestClient(app), admin_key, Worker(settings, app.state.engine))
    tokens = _choices_sent(api, clock)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
            assert thread.is_alive(), "the server stopped"
        yield f"http://127.0.0.1:{port}", api, clock, tokens
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.engine.dispose()


def _rank_from_the_keyboard(page: Any, names: list[str], label: str) -> None:
    """Give the list's lines the ranks 1, 2 ... from the last line up, then send."""
    for place, name in enumerate(reversed(names), start=1):
        page.get_by_label(label.format(name=name), exact=True).focus()
        for _ in range(place):
            page.keyboard.press("ArrowDown")  # "not wanted" first, then 1, 2 ...
    page.focus("#choices-submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#choices-done")


def _ranked(api: Api, token: str) -> list[tuple[str, int | None]]:
    seen = api.client.get(f"/public/v1/choices/{token}").json()
    return [(o["id"], o["rank"]) for o in seen["options"]]


@pytest.mark.parametrize(
    ("mentee", "lang", "label", "title", "thanks"),
    [
        ("e00", "ltr", "Rang pour {name}", "Vos choix", "vos choix sont enregistrés"),
        ("e01", "rtl", "رتبة {name}", "اختياراتك", "حُفظت اختياراتك"),
    ],
)
def test_a_mentee_ranks_her_list_in_her_language(
    served: Served, browser: Any, mentee: str, lang: str, label: str, title: str, thanks: str
) -> None:
    base_url, api, _clock, tokens = served
    token = tokens[("mentee", mentee)]
    before = api.client.get(f"/public/v1/choices/{token}").json()["options"]
    names = [o["name"] for o in before]
    assert len(names) == 3, "her suggestion and two alternatives"
    page = browser.new_page()
    page.goto(f"{base_url}/choices/{token}")
    assert page.get_attribute("html", "dir") == lang
    assert page.text_content("h1") == title
    screenshot(page, f"choices-{mentee}")
    _rank_from_the_keyboard(page, names, label)
    assert thanks in (page.text_content("#choices-done") or "")
    ids = [o["id"] for o in before]
    assert _ranked(api, token) == [(i, place) for place, i in enumerate(reversed(ids), start=1)]
    page.close()


def test_a_mentor_declines_and_a_late_link_is_closed(served: Served, browser: Any) -> None:
    base_url, api, clock, tokens = served
    mentor = next(person for side, person in sorted(tokens) if side == "mentor")
    token = tokens[("mentor", mentor)]
    proposed = api.client.get(f"/public/v1/choices/{token}").json()["options"]
    page = browser.new_page(locale="fr-FR", extra_http_headers={"Accept-Language": "fr"})
    page.goto(f"{base_url}/choices/{token}")
    page.get_by_label(proposed[0]["name"], exact=True).select_option("decline")
    page.focus("#choices-submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#choices-done")
    answers = api.client.get(f"/public/v1/choices/{token}").json()["options"]
    assert [o["answer"] for o in answers] == ["decline"] + ["accept"] * (len(answers) - 1)
    clock.advance(days=6)
    response = page.goto(f"{base_url}/choices/{token}")
    assert response is not None
    assert response.status == 410
    assert "date limite est passée" in (page.text_content("#choices-message") or "")
    page.close()
