"""The programme's whole loop, end to end, against a real HTTP server and Chromium:

20 mentees and 8 mentors sign up through the programme's forms in French and in Arabic →
a coordinator approves them → a run in the first wave → each mentee ranks her short list
(two in Chromium, the others through the JSON links) and a mentor declines one → the final
run, certified stable for the submitted lists → the pairs approved and published → the
introductions arrive at a real SMTP server (aiosmtpd on loopback) in each person's
language → six weeks later the check-in links arrive and are answered → a researcher
learns weights from the stored outcomes → a coordinator adopts the proposed version.

The server runs in this process (uvicorn on a loopback port) so that its clock can move
six weeks without waiting; the run worker and the mail delivery are the service's own,
stepped by the test between the people's actions."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_key
from service.db import session_scope
from service.delivery import deliver_due
from service.settings import Settings
from service.worker import Worker
from tests.browser.conftest import screenshot
from tests.service.conftest import Api
from tests.service.follow_up_world import Clock, Inbox, link_token, text_of
from tests.service.pg import free_port
from tests.service.sign_up_world import CONFIG

pytestmark = pytest.mark.browser

MENTEES, MENTORS = 20, 8
NEEDS = ["site_web", "marketing", "comptabilite"]
CITIES = ["casablanca", "rabat"]
DAYS = ["mon", "wed", "sat"]


@dataclass
class Loop:
    base_url: str
    api: Api
    clock: Clock
    inbox: Inbox
    programme: str
    coordinator: str
    settings: Settings


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loop]:
    folder: Path = tmp_path_factory.mktemp("loop")
    inbox = Inbox()
    smtp_port, port = free_port(), free_port()
    mail = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    mail.start()
    settings = Settings(
        database_url=f"sqlite:///{folder / 'm.db'}",
        public_url=f"http://127.0.0.1:{port}",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        log_level="WARNING",
    )
    app = create_app(settings)
    clock = Clock()
    app.state.clock = clock
    with session_scope(app.state.sessions) as session:
        _row, admin_key = create_key(session, "admin", None)
    api = Api(TestClient(app), admin_key, Worker(settings, app.state.engine))
    programme = api.programme("Passerelles")
    _ok(
        api.client.put(
            f"/v1/programmes/{programme}/config", json={"config": CONFIG}, headers=api.auth()
        )
    )
    coordinator = api.key("coordinator", programme)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
            assert thread.is_alive(), "the server stopped"
        yield Loop(f"http://127.0.0.1:{port}", api, clock, inbox, programme, coordinator, settings)
    finally:
        server.should_exit = True
        thread.join(10)
        mail.stop()
        app.state.engine.dispose()


def _cells(side: str, i: int) -> dict[str, Any]:
    """Person ``i``'s answers: Arabic speakers at odd places, needs and cities varied."""
    lang = "ar" if i % 2 else "fr"
    if side == "mentees":
        return {
            "nom": f"Salma Bennani-{i}",
            "courriel": f"mentoree{i}@exemple.test",
            "langue": lang,
            "tags": {NEEDS[i % 3]: 1 + i % 3, NEEDS[(i + 1) % 3]: 2},
            "langues": ["arabe", "francais"] if i % 3 else ["arabe"],
            "day": DAYS[i % 3],
            "ville": CITIES[i % 2],
        }
    return {
        "nom": f"Khadija Alaoui-{i}",
        "courriel": f"marraine{i}@exemple.test",
        "langue": lang,
        "tags": {need: 3 + (i + k) % 3 for k, need in enumerate(NEEDS)},
        "langues": ["arabe", "francais"],
        "day": DAYS[i % 3],
        "ville": CITIES[i % 2],
        "places": "3",
    }


def _sign_up(page: Any, url: str, side: str, i: int) -> None:
    """Fill and send the form as the person would, from the keyboard at the end."""
    cells = _cells(side, i)
    tags = "besoins" if side == "mentees" else "expertise"
    page.goto(url)
    assert page.get_attribute("html", "dir") == ("rtl" if cells["langue"] == "ar" else "ltr")
    page.fill('input[name="nom"]', cells["nom"])
    page.fill('input[name="courriel"]', cells["courriel"])
    page.select_option('select[name="langue"]', cells["langue"])
    for tag, level in cells["tags"].items():
        page.check(f'input[name="{tags}"][value="{tag}"]')
        page.select_option(f'select[name="{tags}.level.{tag}"]', str(level))
    for language in cells["langues"]:
        page.check(f'input[name="langues"][value="{language}"]')
    page.select_option(f'select[name="dispo.{cells["day"]}.from"]', "18")
    page.select_option(f'select[name="dispo.{cells["day"]}.to"]', "20")
    page.select_option('select[name="ville"]', cells["ville"])
    if side == "mentors":
        page.fill('input[name="places"]', cells["places"])
    page.check("#consent")
    if side == "mentees":
        page.check("#guardian-consent")  # the programme's mentees are minors
    page.focus("#sign-up-submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#sign-up-done")


def _everyone_signs_up(loop: Loop, browser: Any) -> None:
    pages = {
        lang: browser.new_page(locale=locale, extra_http_headers={"Accept-Language": lang})
        for lang, locale in (("fr", "fr-FR"), ("ar", "ar-MA"))
    }
    try:
        for side, count in (("mentees", MENTEES), ("mentors", MENTORS)):
            link = _ok(
                loop.api.client.post(
                    f"/v1/programmes/{loop.programme}/sign-up-forms",
                    json={"side": side},
                    headers=loop.api.auth(loop.coordinator),
                ),
                201,
            )["link"]
            for i in range(count):
                _sign_up(pages[_cells(side, i)["langue"]], link, side, i)
        screenshot(pages["ar"], "loop-sign-up-done-ar")
    finally:
        for page in pages.values():
            page.close()


def _approve_everyone(loop: Loop) -> dict[str, dict[str, str]]:
    """The coordinator approves every pending sign-up; returns each side's id -> name."""
    auth = loop.api.auth(loop.coordinator)
    people: dict[str, dict[str, str]] = {}
    for side, count in (("mentees", MENTEES), ("mentors", MENTORS)):
        path = f"/v1/programmes/{loop.programme}/sign-ups"
        pending = _ok(loop.api.client.get(f"{path}?side={side}&limit=100", headers=auth))["items"]
        assert len(pending) == count
        ids = [p["id"] for p in pending]
        _ok(loop.api.client.post(f"{path}/approve", json={"side": side, "ids": ids}, headers=auth))
        people[side] = {p["id"]: p["fields"]["nom"] for p in pending}
        assert not _ok(loop.api.client.get(f"{path}?side={side}", headers=auth))["items"]
    return people


def _finished(loop: Loop, run_id: str) -> dict[str, Any]:
    loop.api.worker.run_once()
    run = _ok(loop.api.client.get(f"/v1/runs/{run_id}", headers=loop.api.auth()))
    assert run["status"] == "succeeded", run.get("error")
    return dict(run)


def _rank_in_chromium(loop: Loop, browser: Any, token: str, lang: str) -> list[str]:
    """A mentee ranks her whole list, last line first, from the keyboard; returns the
    mentor ids in the order she gave."""
    seen = _ok(loop.api.client.get(f"/public/v1/choices/{token}"))
    names = [o["name"] for o in seen["options"]]
    label = "Rang pour {name}" if lang == "fr" else "رتبة {name}"
    page = browser.new_page(extra_http_headers={"Accept-Language": lang})
    try:
        page.goto(f"{loop.base_url}/choices/{token}")
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        for place, name in enumerate(reversed(names), start=1):
            page.get_by_label(label.format(name=name), exact=True).focus()
            for _ in range(place):
                page.keyboard.press("ArrowDown")  # "not wanted" first, then 1, 2 ...
        if lang == "ar":
            screenshot(page, "loop-choices-ar")
        page.focus("#choices-submit")
        page.keyboard.press("Enter")
        page.wait_for_selector("#choices-done")
    finally:
        page.close()
    ranked = _ok(loop.api.client.get(f"/public/v1/choices/{token}"))["options"]
    return [o["id"] for o in sorted(ranked, key=lambda o: o["rank"]) if o["rank"] is not None]


def _choices(
    loop: Loop, browser: Any, run_id: str, people: dict[str, dict[str, str]]
) -> tuple[dict[str, list[str]], tuple[str, str]]:
    """Send the lists; every mentee ranks hers (two in Chromium, in French and Arabic)
    and one mentor declines one mentee. Returns each mentee's ranking and the declined
    (mentee, mentor)."""
    deadline = (loop.clock.now + timedelta(days=7)).isoformat()
    sent = _ok(
        loop.api.client.post(
            f"/v1/runs/{run_id}/choices",
            json={"deadline": deadline},
            headers=loop.api.auth(loop.coordinator),
        ),
        201,
    )
    tokens = {(li["side"], li["person_id"]): li["link"].rsplit("/", 1)[1] for li in sent["links"]}
    mentees = sorted(person for side, person in tokens if side == "mentee")
    assert len(mentees) == MENTEES
    rankings: dict[str, list[str]] = {}
    language = {
        m: "ar" if int(people["mentees"][m].rsplit("-", 1)[1]) % 2 else "fr" for m in mentees
    }
    # One French and one Arabic speaker rank in Chromium, each page in her own language.
    by_browser = {next(m for m in mentees if language[m] == lang): lang for lang in ("fr", "ar")}
    for n, mentee in enumerate(mentees):
        token = tokens[("mentee", mentee)]
        if mentee in by_browser:
            rankings[mentee] = _rank_in_chromium(loop, browser, token, by_browser[mentee])
            continue
        options = [
            o["id"] for o in _ok(loop.api.client.get(f"/public/v1/choices/{token}"))["options"]
        ]
        # Some keep their suggestion first, others prefer an alternative.
        ranking = options if n % 2 else options[::-1]
        _ok(loop.api.client.post(f"/public/v1/choices/{token}/ranking", json={"ranking": ranking}))
        rankings[mentee] = ranking
    # A mentor declines a mentee who ranked her first but is not her suggestion.
    declined = next(
        (mentee, ranking[0]) for mentee, ranking in rankings.items() if len(ranking) > 1
    )
    mentor_token = tokens[("mentor", declined[1])]
    _ok(
        loop.api.client.post(
            f"/public/v1/choices/{mentor_token}/answers", json={"declined": [declined[0]]}
        )
    )
    return rankings, declined


def _pairs(loop: Loop, run_id: str) -> list[dict[str, Any]]:
    return list(
        _ok(loop.api.client.get(f"/v1/runs/{run_id}/pairs?limit=100", headers=loop.api.auth()))[
            "items"
        ]
    )


def _own_links_mailed(loop: Loop) -> None:
    """Each person who signed up gets her own link by e-mail, in her language."""
    report = deliver_due(loop.api.worker.sessions, loop.settings, loop.clock.now)
    assert (report.sent, report.failed) == (MENTEES + MENTORS, 0)
    for side, count, address in (
        ("mentees", MENTEES, "mentoree{i}@exemple.test"),
        ("mentors", MENTORS, "marraine{i}@exemple.test"),
    ):
        for i in range(count):
            (message,) = loop.inbox.to(address.format(i=i))
            assert "/me/" in text_of(message), f"{side} {i}: her own link"


def _introduced(
    loop: Loop, pairs: list[dict[str, Any]], people: dict[str, dict[str, str]], since: int
) -> None:
    """Each mentee's introduction names her mentor, in her language."""
    new = loop.inbox.messages[since:]
    for pair in pairs:
        i = int(people["mentees"][pair["mentee_id"]].rsplit("-", 1)[1])
        (message,) = [m for m in new if m["To"] == f"mentoree{i}@exemple.test"]
        body = text_of(message)
        assert people["mentors"][pair["mentor_id"]] in body
        arabic = re.search(r"[\u0600-\u06FF]", body) is not None
        assert arabic == (i % 2 == 1), "the introduction is in her language"


CHECKIN_LINK = re.compile(r"/checkin/")


def _check_ins_answered(loop: Loop) -> int:
    """Six weeks on, the check-in links arrive; everyone answers: pairs whose mentee is
    at a place not divisible by 3 go well, the others ended early. Returns the answers."""
    loop.clock.advance(weeks=6, hours=1)
    before = len(loop.inbox.messages)
    report = deliver_due(loop.api.worker.sessions, loop.settings, loop.clock.now)
    assert report.failed == 0
    links = [m for m in loop.inbox.messages[before:] if CHECKIN_LINK.search(text_of(m))]
    assert len(links) == 2 * MENTEES, "a check-in link for each person of each pair"
    for message in links:
        token = link_token(message)
        form = _ok(loop.api.client.get(f"/public/v1/checkins/{token}"))
        mentee = form["name"] if form["side"] == "mentee" else form["partner"]
        good = int(mentee.rsplit("-", 1)[1]) % 3 != 0
        answer: dict[str, Any] = (
            {"meeting": True, "rating": 5, "continuing": True}
            if good
            else {"meeting": False, "rating": 1, "continuing": False, "end_reason": "poor_fit"}
        )
        _ok(loop.api.client.post(f"/public/v1/checkins/{token}", json=answer))
    return len(links)


def test_from_sign_up_to_an_adopted_configuration(loop: Loop, browser: Any) -> None:
    api, auth = loop.api, loop.api.auth(loop.coordinator)
    _everyone_signs_up(loop, browser)
    _own_links_mailed(loop)
    people = _approve_everyone(loop)

    settings = {"choices": True, "choices_k": 2}
    _ok(
        api.client.put(
            f"/v1/programmes/{loop.programme}/wave-settings", json=settings, headers=auth
        )
    )
    wave = _ok(
        api.client.post(f"/v1/programmes/{loop.programme}/waves", json={}, headers=auth), 201
    )
    run = _ok(
        api.client.post(
            f"/v1/programmes/{loop.programme}/runs", json={"wave_id": wave["id"]}, headers=auth
        ),
        202,
    )
    first = _finished(loop, run["id"])
    assert first["summary"]["matched"] == MENTEES

    rankings, declined = _choices(loop, browser, run["id"], people)
    final = _ok(api.client.post(f"/v1/runs/{run['id']}/choices/final-run", headers=auth), 202)
    summary = _finished(loop, final["id"])["summary"]
    assert (summary["objective"], summary["blocking_pairs"]) == ("stable", 0)
    assert summary["pairs_checked"] == MENTEES * MENTORS
    pairs = _pairs(loop, final["id"])
    for pair in pairs:
        assert pair["mentor_id"] in rankings[pair["mentee_id"]], "only a mentor she ranked"
        assert (pair["mentee_id"], pair["mentor_id"]) != declined

    for pair in pairs:
        body = {"action": "approve", "mentee_id": pair["mentee_id"], "mentor_id": pair["mentor_id"]}
        _ok(api.client.post(f"/v1/runs/{final['id']}/decisions", json=body, headers=auth), 201)
    _ok(api.client.post(f"/v1/runs/{final['id']}/publish", headers=auth))
    since = len(loop.inbox.messages)
    sent = deliver_due(api.worker.sessions, loop.settings, loop.clock.now)
    assert (sent.sent, sent.failed) == (2 * len(pairs), 0)
    _introduced(loop, pairs, people, since)

    answered = _check_ins_answered(loop)
    outcomes = _ok(api.client.get(f"/v1/programmes/{loop.programme}/outcomes", headers=auth))
    assert len(outcomes) == len(pairs)
    assert answered == 2 * len(pairs)

    researcher = api.key("researcher", loop.programme)
    proposal = _ok(
        api.client.post(
            f"/v1/programmes/{loop.programme}/proposals",
            json={"seed": 7, "n_bootstrap": 200},
            headers=api.auth(researcher),
        ),
        201,
    )
    report = proposal["report"]
    assert report["n_pairs"] == len(pairs)
    low, high = report["auc_ci"]
    assert low <= report["auc"] <= high
    adopted = _ok(
        api.client.post(
            f"/v1/programmes/{loop.programme}/proposals/{proposal['id']}/adopt", headers=auth
        )
    )
    assert adopted["adopted_version"] == proposal["based_on"] + 1
    config = _ok(api.client.get(f"/v1/programmes/{loop.programme}/config", headers=auth))
    learned = {c["name"]: c["weight"] for c in config["criteria"]}
    assert learned == pytest.approx(report["weights"])
