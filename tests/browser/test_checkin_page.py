"""The public check-in page in Chromium: a person opens her link six weeks after
publishing (the app's clock moved, no waiting), sees her pair in her language — Arabic
laid out right to left —, answers and sends the form from the keyboard, and her answer reaches the
outcomes; a revoked link shows why it no longer works."""

from __future__ import annotations

import threading
from collections.abc import Iterator
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
from tests.service.follow_up_world import Clock, mentees, mentors, published_programme
from tests.service.pg import free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Api, str, list[Any]]]:
    """A server on a loopback port (in this process, so its clock can move), with a
    published programme whose check-ins are due; yields its URL, the API, the programme
    and the check-in links."""
    folder: Path = tmp_path_factory.mktemp("checkin")
    settings = Settings(database_url=f"sqlite:///{folder / 'm.db'}", log_level="WARNING")
    app = create_app(settings)
    clock = Clock()
    app.state.clock = clock
    with session_scope(app.state.sessions) as session:
        _row, admin_key = create_key(session, "admin", None)
    api = Api(TestClient(app), admin_key, Worker(settings, app.state.engine))
    programme_id, _run = published_programme(api)
    clock.advance(weeks=6, hours=1)
    links = api.client.post(
        f"/v1/programmes/{programme_id}/checkins/links", headers=api.auth()
    ).json()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
            assert thread.is_alive(), "the server stopped"
        yield f"http://127.0.0.1:{port}", api, programme_id, links
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.engine.dispose()


def _language(link: dict[str, Any]) -> str:
    people = {p["id"]: p for p in mentees(12) + mentors(12)}
    person = link["mentee_id"] if link["side"] == "mentee" else link["mentor_id"]
    return str(people[person]["langue"])


def test_an_arabic_speaker_answers_her_check_in(
    served: tuple[str, Api, str, list[Any]], browser: Any
) -> None:
    base_url, api, programme_id, links = served
    link = next(link for link in links if _language(link) == "ar")
    token = link["link"].rsplit("/", 1)[1]
    page = browser.new_page()
    page.goto(f"{base_url}/checkin/{token}")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.text_content("h1") == "كيف يسير الإرشاد؟"
    page.get_by_label("نعم", exact=True).check()
    page.get_by_label("3", exact=True).check()
    page.get_by_label("لا، انتهى قبل أوانه").check()
    page.select_option("#end_reason", "no_time")
    page.fill("#comment", "جداول عملنا لم تتوافق")
    screenshot(page, "checkin-ar")
    page.focus("#checkin-submit")
    page.keyboard.press("Enter")  # the form is sent from the keyboard
    page.wait_for_selector("#checkin-done")
    assert "سُجّلت إجابتك" in (page.text_content("#checkin-done") or "")
    outcomes = api.client.get(f"/v1/programmes/{programme_id}/outcomes", headers=api.auth()).json()
    assert [(o["mentee_id"], o["mentor_id"], o["outcome"]) for o in outcomes] == [
        (link["mentee_id"], link["mentor_id"], "ended_early")
    ]
    page.close()


def test_a_revoked_link_says_so_in_french(
    served: tuple[str, Api, str, list[Any]], browser: Any
) -> None:
    base_url, api, programme_id, links = served
    link = next(link for link in links if _language(link) == "fr")
    revoked = api.client.post(
        f"/v1/programmes/{programme_id}/checkins/{link['checkin_id']}/revoke", headers=api.auth()
    )
    assert revoked.status_code == 200
    page = browser.new_page(locale="fr-FR", extra_http_headers={"Accept-Language": "fr"})
    response = page.goto(f"{base_url}/checkin/{link['link'].rsplit('/', 1)[1]}")
    assert response is not None
    assert response.status == 410
    assert "a été fermé ou a expiré" in (page.text_content("#checkin-message") or "")
    page.close()
