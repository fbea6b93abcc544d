"""Sign-up forms on SQLite and PostgreSQL: a coordinator opens a form link per side; the
form is built from the programme's configuration; a submission is checked as an upload
is and waits for approval (no run reads it before); each person's own link shows,
corrects and withdraws her data; revoked, expired and unknown links are refused and
wrong links throttled."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.app import create_app
from service.auth import create_key
from service.db import session_scope
from service.models import CheckIn, Message, Participant
from service.settings import Settings
from service.worker import Worker
from tests.service.conftest import Api
from tests.service.follow_up_world import Clock, Inbox, smtp, text_of
from tests.service.sign_up_world import (
    CONFIG,
    form_link,
    mentee,
    mentor,
    sign_up_programme,
    submission,
)

__all__ = ["smtp"]  # the fixture, imported for pytest

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FR = {"Accept-Language": "fr"}


def _sign_up(api: Api, token: str, cells: dict[str, Any], **headers: str) -> Any:
    return api.client.post(f"/public/v1/sign-up/{token}", json=submission(cells), headers=headers)


def _own_token(response: Any) -> str:
    assert response.status_code == 201, response.text
    return str(response.json()["link"].rsplit("/", 1)[1])


def _pending(api: Api, programme_id: str) -> list[dict[str, Any]]:
    response = api.client.get(f"/v1/programmes/{programme_id}/sign-ups", headers=api.auth())
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_the_form_is_built_from_the_programmes_configuration(api: Api) -> None:
    programme_id = sign_up_programme(api)
    _id, token = form_link(api, programme_id, "mentees")
    form = api.client.get(f"/public/v1/sign-up/{token}", headers=FR).json()
    fields = {f["column"]: f for f in form["fields"]}
    assert list(fields)[:3] == ["nom", "courriel", "langue"]
    assert fields["nom"]["required"]
    assert fields["besoins"]["kind"] == "levels"
    assert fields["besoins"]["title"] == "besoins"
    assert [c["label"] for c in fields["besoins"]["choices"]] == [
        "site web",
        "marketing",
        "comptabilité",
    ]
    assert fields["langues"]["kind"] == "tags"
    assert fields["langues"]["required"]
    assert fields["dispo"]["kind"] == "availability"
    assert fields["ville"]["kind"] == "choice"
    assert "places" not in fields  # a mentee has no capacity
    assert form["guardian_consent"] is True  # the programme's mentees are minors
    assert "efface" in form["retention_notice"]  # the default notice, in French

    _id, mentors = form_link(api, programme_id, "mentors")
    form = api.client.get(f"/public/v1/sign-up/{mentors}", headers={"Accept-Language": "ar"})
    fields = {f["column"]: f for f in form.json()["fields"]}
    assert fields["expertise"]["title"] == "الاحتياجات"
    assert fields["places"]["kind"] == "number"
    assert fields["places"]["required"]
    assert form.json()["guardian_consent"] is False


def test_a_sign_up_waits_for_approval_before_any_run_reads_her(api: Api) -> None:
    programme_id = sign_up_programme(api, people=3)
    _id, token = form_link(api, programme_id, "mentees")
    _sign_up(api, token, mentee(7))
    pending = _pending(api, programme_id)
    assert [(p["side"], p["fields"]["nom"]) for p in pending] == [("mentees", "Salma Bennani-7")]
    listed = api.client.get(
        f"/v1/programmes/{programme_id}/participants/mentees", headers=api.auth()
    ).json()
    assert pending[0]["id"] not in [p["id"] for p in listed["items"]]

    before = api.finished_run(programme_id)
    summary = api.client.get(f"/v1/runs/{before}", headers=api.auth()).json()["summary"]
    assert summary["mentees"] == 3  # the pending sign-up is not read

    approved = api.client.post(
        f"/v1/programmes/{programme_id}/sign-ups/approve",
        json={"side": "mentees", "ids": [pending[0]["id"]]},
        headers=api.auth(),
    )
    assert approved.json() == {"approved": 1, "rejected": 0}
    assert _pending(api, programme_id) == []
    after = api.finished_run(programme_id)
    assert api.client.get(f"/v1/runs/{after}", headers=api.auth()).json()["summary"]["mentees"] == 4
    pairs = api.client.get(f"/v1/runs/{after}/pairs?limit=50", headers=api.auth()).json()
    assert pending[0]["id"] in {p["mentee_id"] for p in pairs["items"]}


def test_approving_or_rejecting_a_list_is_all_or_none(api: Api) -> None:
    programme_id = sign_up_programme(api)
    _id, token = form_link(api, programme_id, "mentees")
    for i in range(3):
        _sign_up(api, token, mentee(10 + i))
    ids = [p["id"] for p in _pending(api, programme_id)]
    forms = api.client.get(f"/v1/programmes/{programme_id}/sign-up-forms", headers=api.auth())
    assert [f["submissions"] for f in forms.json()["items"]] == [3]
    url = f"/v1/programmes/{programme_id}/sign-ups"
    refused = api.client.post(
        f"{url}/approve", json={"side": "mentees", "ids": [*ids, "e0"]}, headers=api.auth()
    )
    assert refused.status_code == 404  # e0 is an approved participant, not a sign-up
    assert len(_pending(api, programme_id)) == 3
    rejected = api.client.post(
        f"{url}/reject", json={"side": "mentees", "ids": ids[:2]}, headers=api.auth()
    )
    assert rejected.json() == {"approved": 0, "rejected": 2}
    assert [p["id"] for p in _pending(api, programme_id)] == ids[2:]
    with api.worker.sessions() as session:
        stored = session.scalars(select(Participant.person_id)).all()
    assert not set(ids[:2]) & set(stored)  # a rejected submission is erased


def test_a_refused_answer_names_the_field_in_the_readers_language(api: Api) -> None:
    programme_id = sign_up_programme(api)
    _id, token = form_link(api, programme_id, "mentees")
    cases = {
        "besoins": mentee(1, besoins="site_web:9"),
        "dispo": mentee(1, dispo="lundi soir"),
        "courriel": mentee(1, courriel="salma-at-exemple"),
        "nom": mentee(1, nom=""),
    }
    for column, cells in cases.items():
        response = _sign_up(api, token, cells, **FR)
        assert response.status_code == 422, (column, response.text)
        detail = response.json()["detail"]
        assert [d["loc"] for d in detail] == [["body", "fields", column]], detail
        assert detail[0]["message"]
        assert detail[0]["message"] != detail[0]["msg"]
        assert str(cells.get(column)) not in response.text or not cells.get(column)
    unknown = _sign_up(api, token, mentee(1, pointure="38"), **FR)
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body"]  # the sender's key is not echoed
    assert "pointure" not in unknown.text
    no_consent = api.client.post(
        f"/public/v1/sign-up/{token}", json={**submission(mentee(1)), "consent": False}
    )
    assert no_consent.status_code == 422
    no_guardian = api.client.post(
        f"/public/v1/sign-up/{token}", json=submission(mentee(1), guardian=False)
    )
    assert no_guardian.status_code == 422
    assert _pending(api, programme_id) == []  # nothing refused is stored


def test_revoked_expired_and_unknown_form_links(settings: Settings) -> None:
    app = create_app(settings)
    clock = Clock()
    app.state.clock = clock
    with session_scope(app.state.sessions) as session:
        _row, admin_key = create_key(session, "admin", None)
    with TestClient(app) as client:
        api = Api(client, admin_key, Worker(settings, app.state.engine))
        programme_id = sign_up_programme(api)
        form_id, token = form_link(api, programme_id, "mentees")
        _expiring, soon = form_link(api, programme_id, "mentors", days=7)
        assert client.get(f"/public/v1/sign-up/{soon}").status_code == 200
        clock.advance(days=7, seconds=1)
        assert client.get(f"/public/v1/sign-up/{soon}").status_code == 410
        revoked = client.post(
            f"/v1/programmes/{programme_id}/sign-up-forms/{form_id}/revoke", headers=api.auth()
        )
        assert revoked.json()["revoked_at"] is not None
        assert client.get(f"/public/v1/sign-up/{token}").status_code == 410
        assert _sign_up(api, token, mentee(1)).status_code == 410
        assert client.get(f"/public/v1/sign-up/{'x' * 43}").status_code == 404
        listed = client.get(
            f"/v1/programmes/{programme_id}/sign-up-forms", headers=api.auth()
        ).json()["items"]
        assert {f["id"] for f in listed} >= {form_id}
        assert all(f["link"] is None for f in listed)
    app.state.engine.dispose()


def test_wrong_links_and_too_many_sign_ups_are_throttled(database_url: str) -> None:
    settings = Settings(
        database_url=database_url,
        secret_key="test-secret",
        auth_failures_per_address="3/minute",
        sign_ups_per_address="2/hour",
        log_level="WARNING",
    )
    app = create_app(settings)
    with session_scope(app.state.sessions) as session:
        _row, admin_key = create_key(session, "admin", None)
    with TestClient(app) as client:
        api = Api(client, admin_key, Worker(settings, app.state.engine))
        programme_id = sign_up_programme(api)
        _id, token = form_link(api, programme_id, "mentees")
        assert [_sign_up(api, token, mentee(i)).status_code for i in range(3)] == [201, 201, 429]
        wrong = [client.get(f"/public/v1/me/{'y' * 43}").status_code for _ in range(4)]
        assert wrong == [404, 404, 404, 429]
        throttled = client.get(f"/public/v1/sign-up/{token}")
        assert throttled.status_code == 429
        assert throttled.headers["Retry-After"]
    app.state.engine.dispose()


def test_her_own_link_shows_corrects_and_withdraws_her_data(api: Api) -> None:
    programme_id = sign_up_programme(api)
    _id, token = form_link(api, programme_id, "mentors")
    own = _own_token(_sign_up(api, token, mentor(9)))
    seen = api.client.get(f"/public/v1/me/{own}").json()
    assert seen["status"] == "pending"
    assert seen["fields"]["nom"] == "Khadija Alaoui-9"
    assert seen["fields"]["capacity"] == 2  # stored under the engine's name, as uploads are

    corrected = api.client.put(
        f"/public/v1/me/{own}", json=submission(mentor(9, ville="rabat", places=3))
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["fields"]["ville"] == "rabat"
    refused = api.client.put(f"/public/v1/me/{own}", json=submission(mentor(9, places=0)))
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "fields", "places"]
    assert api.client.get(f"/public/v1/me/{own}").json()["fields"]["capacity"] == 3

    assert api.client.delete(f"/public/v1/me/{own}").status_code == 204
    assert api.client.get(f"/public/v1/me/{own}").status_code == 404
    assert _pending(api, programme_id) == []


def test_withdrawing_after_publishing_erases_her_pairs_and_follow_up(api: Api) -> None:
    programme_id = sign_up_programme(api, people=2)
    _id, token = form_link(api, programme_id, "mentees")
    own = _own_token(_sign_up(api, token, mentee(5)))
    person_id = _pending(api, programme_id)[0]["id"]
    api.client.post(
        f"/v1/programmes/{programme_id}/sign-ups/approve",
        json={"side": "mentees", "ids": [person_id]},
        headers=api.auth(),
    )
    run_id = api.finished_run(programme_id)
    pairs = api.client.get(f"/v1/runs/{run_id}/pairs?limit=50", headers=api.auth()).json()
    for pair in pairs["items"]:
        body = {"action": "approve", "mentee_id": pair["mentee_id"], "mentor_id": pair["mentor_id"]}
        api.client.post(f"/v1/runs/{run_id}/decisions", json=body, headers=api.auth())
    assert api.client.post(f"/v1/runs/{run_id}/publish", headers=api.auth()).is_success
    assert person_id in {p["mentee_id"] for p in pairs["items"]}

    assert api.client.delete(f"/public/v1/me/{own}").status_code == 204
    with api.worker.sessions() as session:
        for model in (Message, CheckIn):
            left = session.scalar(
                select(func.count()).select_from(model).where(model.mentee_id == person_id)
            )
            assert left == 0, model.__name__
    active = api.client.get(f"/v1/programmes/{programme_id}/pairs", headers=api.auth()).json()
    assert person_id not in str(active)


def test_the_form_page_in_french_signs_her_up_and_names_a_wrong_answer(api: Api) -> None:
    programme_id = sign_up_programme(api)
    _id, token = form_link(api, programme_id, "mentees")
    page = api.client.get(f"/sign-up/{token}", headers=FR)
    assert page.status_code == 200
    assert 'dir="ltr"' in page.text
    assert "S'inscrire comme mentorée" in unescape(page.text)
    form = {
        "csrf_token": CSRF.findall(page.text)[0],
        "nom": "Inès Tazi",
        "courriel": "ines@exemple.test",
        "langue": "fr",
        "besoins": ["site_web", "comptabilite"],
        "besoins.level.site_web": "2",
        "besoins.level.comptabilite": "7",  # not a level: refused, naming the question
        "langues": ["francais"],
        "dispo.mon.from": "18",
        "dispo.mon.to": "20",
        "ville": "rabat",
        "consent": "yes",
        "guardian_consent": "yes",
    }
    refused = api.client.post(f"/sign-up/{token}", data=form, headers=FR)
    assert refused.status_code == 422
    # The question named, the reason in French, the refused answer not echoed.
    assert "besoins : un niveau après « : » doit être" in unescape(refused.text)
    assert "Inès Tazi" in refused.text  # her answers kept, to correct
    assert _pending(api, programme_id) == []
    done = api.client.post(
        f"/sign-up/{token}", data={**form, "besoins.level.comptabilite": "1"}, headers=FR
    )
    assert done.status_code == 200, done.text
    assert "a bien reçu votre inscription" in unescape(done.text)
    own = re.search(r'id="own-link" href="[^"]*/me/([A-Za-z0-9_-]+)"', done.text)
    assert own is not None
    stored = _pending(api, programme_id)[0]["fields"]
    assert stored["besoins"] == "site_web:2|comptabilite:1"
    assert stored["dispo"] == "mon 18-20"
    assert stored["langues"] == "francais"

    mine = api.client.get(f"/me/{own.group(1)}")
    assert 'value="Inès Tazi"' in mine.text
    assert "pas encore relu" in unescape(mine.text)
    moved = {**form, "besoins.level.comptabilite": "1", "ville": "casablanca"}
    corrected = api.client.post(f"/me/{own.group(1)}", data=moved)
    assert "Vos corrections sont enregistrées" in unescape(corrected.text)
    assert _pending(api, programme_id)[0]["fields"]["ville"] == "casablanca"
    wrong = api.client.post(f"/me/{own.group(1)}", data={**moved, "dispo.mon.to": ""})
    assert wrong.status_code == 422
    assert "disponibilités : " in unescape(wrong.text)
    assert _pending(api, programme_id)[0]["fields"]["dispo"] == "mon 18-20"
    withdrawn = api.client.post(
        f"/me/{own.group(1)}/withdraw", data={"csrf_token": CSRF.findall(mine.text)[0]}
    )
    assert "effacées" in unescape(withdrawn.text)
    assert api.client.get(f"/me/{own.group(1)}").status_code == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_minors_programme_is_a_configuration_flag(api: Api) -> None:
    programme_id = sign_up_programme(api)
    config = {**CONFIG, "sign_up": {"minors": False, "retention_notice": {"fr": "Un an."}}}
    api.client.put(
        f"/v1/programmes/{programme_id}/config", json={"config": config}, headers=api.auth()
    )
    _id, token = form_link(api, programme_id, "mentees")
    form = api.client.get(f"/public/v1/sign-up/{token}", headers=FR).json()
    assert form["guardian_consent"] is False
    assert form["retention_notice"] == "Un an."
    assert _sign_up(api, token, mentee(1), **FR).status_code == 201
    bad = {**CONFIG, "sign_up": {"retention_notice": {"de": "Ein Jahr."}}}
    refused = api.client.put(
        f"/v1/programmes/{programme_id}/config", json={"config": bad}, headers=api.auth()
    )
    assert refused.status_code == 422


def test_her_own_link_is_mailed_in_her_language(
    settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    configured = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "public_url": "https://m.test"}
    )
    app = create_app(configured)
    with session_scope(app.state.sessions) as session:
        _row, admin_key = create_key(session, "admin", None)
    with TestClient(app) as client:
        api = Api(client, admin_key, Worker(configured, app.state.engine))
        programme_id = sign_up_programme(api)
        _id, token = form_link(api, programme_id, "mentees")
        arabic = _own_token(_sign_up(api, token, mentee(1)))  # langue: ar
        _own_token(_sign_up(api, token, mentee(2, courriel=None)))  # no address given
        report = api.worker.deliver()
        assert (report.sent, report.failed) == (1, 1)
        [mail] = inbox.to("salma1@exemple.test")
        assert mail["Subject"] == "Passerelles: توصّلنا بتسجيلك"
        assert f"https://m.test/me/{arabic}" in text_of(mail)  # the link she was shown
        messages = client.get(f"/v1/programmes/{programme_id}/messages", headers=api.auth()).json()[
            "items"
        ]
        assert sorted((m["kind"], m["status"], m["reason"]) for m in messages) == [
            ("sign_up", "failed", "no_address"),
            ("sign_up", "sent", None),
        ]
    app.state.engine.dispose()


def _signed_in(api: Api, key: str) -> None:
    api.client.cookies.clear()
    signin = api.client.get("/")
    api.client.post("/", data={"key": key, "csrf_token": CSRF.findall(signin.text)[0]})


def test_the_dashboard_lists_sign_ups_to_approve_or_reject(api: Api) -> None:
    programme_id = sign_up_programme(api)
    _id, mentees = form_link(api, programme_id, "mentees")
    _id, mentors = form_link(api, programme_id, "mentors")
    _sign_up(api, mentees, mentee(1, nom="Nour Haddad"))
    _sign_up(api, mentees, mentee(2, nom="Rania Chraibi"))
    _sign_up(api, mentors, mentor(3, nom="Zoé Garnier"))
    ids = {p["fields"]["nom"]: (p["side"], p["id"]) for p in _pending(api, programme_id)}

    _signed_in(api, api.key("coordinator", programme_id))
    page = api.client.get(f"/programmes/{programme_id}", headers=FR)
    assert 'id="count-pending">3<' in page.text
    assert "Inscriptions à valider" in page.text
    assert all(name in page.text for name in ids)
    csrf = CSRF.findall(page.text)[0]

    def picked(*names: str) -> list[str]:
        return [f"{ids[n][0][:-1]}:{ids[n][1]}" for n in names]

    approved = api.client.post(
        f"/programmes/{programme_id}/sign-ups/approve",
        data={"csrf_token": csrf, "picked": picked("Nour Haddad", "Zoé Garnier")},
    )
    assert approved.status_code == 200  # back on the dashboard, after the redirect
    rejected = api.client.post(
        f"/programmes/{programme_id}/sign-ups/reject",
        data={"csrf_token": csrf, "picked": picked("Rania Chraibi")},
    )
    assert rejected.status_code == 200
    assert 'id="count-pending"' not in rejected.text
    assert _pending(api, programme_id) == []
    listed = api.client.get(
        f"/v1/programmes/{programme_id}/participants/mentors", headers=api.auth()
    ).json()
    assert ids["Zoé Garnier"][1] in {p["id"] for p in listed["items"]}

    _signed_in(api, api.key("researcher", programme_id))
    _sign_up(api, mentees, mentee(4, nom="Amina Tazi"))
    seen = api.client.get(f"/programmes/{programme_id}")
    assert "Amina Tazi" not in seen.text  # read-only keys see the count, not the names
