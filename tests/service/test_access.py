"""Access matrix: every route x {no key, another programme's key, researcher,
coordinator, admin}. Another programme's key gets 404 and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from service.models import (
    ActivePair,
    CheckIn,
    Decision,
    Participant,
    Programme,
    ProgrammeVersion,
    Proposal,
    Run,
    RunPair,
    utcnow,
)
from service.ops import checkins
from tests.service.conftest import Api

ROLES = ("none", "other", "researcher", "coordinator", "admin")


@dataclass
class SignUps:
    """Programme A's form links and pending sign-ups, one of each per role (so one role's
    revocation or decision does not change what the next finds); programme B's form and
    its people's own links, one per role (the public routes take no key: they act on B so
    that the check that another programme's key changes nothing in A stays exact)."""

    forms: list[str]
    approve: list[str]
    reject: list[str]
    form_token: str
    own: list[str]


@dataclass
class World:
    a: str
    b: str
    run: str
    pairs: list[dict[str, Any]]
    mentees: list[str]
    queued: list[str]
    revocable: list[str]
    keys: dict[str, str | None]
    checkin: int
    token: str
    proposal: str
    sign_ups: SignUps
    wave: str
    choices: dict[str, str]
    """A mentee's and a mentor's choice-link tokens (by side)."""


@dataclass
class Case:
    method: str
    route: str
    build: Callable[[World, int], tuple[str, dict[str, Any] | None]]
    expect: dict[str, set[int]]


OK = {200, 201, 202}
READ = {"none": {401}, "other": {404}, "researcher": OK, "coordinator": OK, "admin": OK}
WRITE = {"none": {401}, "other": {404}, "researcher": {403}, "coordinator": OK, "admin": OK}
ADMIN = {**WRITE, "coordinator": {403}}
PUBLIC = {key: {200} for key in ROLES}
"""A check-in link: the token is the credential, whatever key comes with it."""
SIGN_UP = {"name": "Awa Diop", "languages": "french", "region": "dakar"}
"""A valid mentee of the default programme (its other questions left empty)."""
ANSWER = {"meeting": True, "rating": 4, "continuing": True}


def _decision(action: str) -> Callable[[World, int], tuple[str, dict[str, Any]]]:
    def build(w: World, i: int) -> tuple[str, dict[str, Any]]:
        pair = w.pairs[i]
        body = {"action": action, "mentee_id": pair["mentee_id"], "mentor_id": pair["mentor_id"]}
        return f"/v1/runs/{w.run}/decisions", body

    return build


CASES = [
    Case("GET", "/health", lambda w, i: ("/health", None), {key: {200} for key in ROLES}),
    Case(
        "POST",
        "/v1/match",
        lambda w, i: (
            "/v1/match",
            {
                "mentees": [{"id": "a"}],
                "mentors": [{"id": "x"}],
                "scores": [{"mentee_id": "a", "mentor_id": "x", "score": 1}],
            },
        ),
        {**{key: {200} for key in ROLES}, "none": {401}},
    ),
    Case(
        "POST",
        "/v1/programmes",
        lambda w, i: ("/v1/programmes", {"name": "new"}),
        {**{key: {403} for key in ROLES}, "none": {401}},
    ),
    Case(
        "GET",
        "/v1/programmes",
        lambda w, i: ("/v1/programmes", None),
        {**{key: {200} for key in ROLES}, "none": {401}},
    ),
    Case(
        "GET", "/v1/programmes/{programme_id}", lambda w, i: (f"/v1/programmes/{w.a}", None), READ
    ),
    Case(
        "PUT",
        "/v1/programmes/{programme_id}/config",
        lambda w, i: (
            f"/v1/programmes/{w.a}/config",
            {
                "config": {
                    "criteria": [
                        {
                            "kind": "overlap",
                            "name": "l",
                            "mentee_field": "languages",
                            "mentor_field": "languages",
                        }
                    ]
                }
            },
        ),
        ADMIN,
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/config",
        lambda w, i: (f"/v1/programmes/{w.a}/config", None),
        READ,
    ),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/check",
        lambda w, i: (f"/v1/programmes/{w.a}/check", None),
        WRITE,
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/versions",
        lambda w, i: (f"/v1/programmes/{w.a}/versions", None),
        READ,
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/pairs",
        lambda w, i: (f"/v1/programmes/{w.a}/pairs", None),
        READ,
    ),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/participants/{side}",
        lambda w, i: (f"/v1/programmes/{w.a}/participants/mentees", {"participants": []}),
        WRITE,
    ),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/participants/{side}/file",
        lambda w, i: (f"/v1/programmes/{w.a}/participants/mentees/file", {"_file": b"id\n"}),
        {**WRITE, "coordinator": {422}, "admin": {422}},  # an empty file is refused
    ),
    Case(
        "PUT",
        "/v1/programmes/{programme_id}/ranks/{side}",
        lambda w, i: (
            f"/v1/programmes/{w.a}/ranks/mentees",
            {"_file": b"mentee_id,mentor_id,rank\n"},
        ),
        WRITE,  # a header alone stores an empty list: nobody acceptable to that side
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/ranks/{side}",
        lambda w, i: (f"/v1/programmes/{w.a}/ranks/mentees", None),
        {**READ, "researcher": {200, 404}},  # 404 until a writer stored a list
    ),
    Case(
        "DELETE",
        "/v1/programmes/{programme_id}/ranks/{side}",
        lambda w, i: (f"/v1/programmes/{w.a}/ranks/mentees", None),
        {**WRITE, "coordinator": {204, 404}, "admin": {204, 404}},  # the second finds none
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/participants/{side}",
        lambda w, i: (f"/v1/programmes/{w.a}/participants/mentees", None),
        READ,
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/participants/{side}/{person_id}",
        lambda w, i: (f"/v1/programmes/{w.a}/participants/mentees/{w.mentees[i]}", None),
        WRITE,  # an export holds everything about a person: not for read-only keys
    ),
    Case(
        "DELETE",
        "/v1/programmes/{programme_id}/participants/{side}/{person_id}",
        lambda w, i: (f"/v1/programmes/{w.a}/participants/mentees/{w.mentees[i]}", None),
        WRITE,
    ),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/runs",
        lambda w, i: (f"/v1/programmes/{w.a}/runs", {}),
        WRITE,
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/runs",
        lambda w, i: (f"/v1/programmes/{w.a}/runs", None),
        READ,
    ),
    Case("GET", "/v1/runs/{run_id}", lambda w, i: (f"/v1/runs/{w.run}", None), READ),
    Case(
        "POST",
        "/v1/runs/{run_id}/cancel",
        lambda w, i: (f"/v1/runs/{w.queued[i]}/cancel", None),
        WRITE,
    ),
    Case("GET", "/v1/runs/{run_id}/pairs", lambda w, i: (f"/v1/runs/{w.run}/pairs", None), READ),
    Case(
        "GET",
        "/v1/runs/{run_id}/unmatched",
        lambda w, i: (f"/v1/runs/{w.run}/unmatched", None),
        READ,
    ),
    Case("GET", "/v1/runs/{run_id}/gaps", lambda w, i: (f"/v1/runs/{w.run}/gaps", None), READ),
    Case(
        "POST", "/v1/runs/{run_id}/decisions", _decision("approve"), {**WRITE, "coordinator": {201}}
    ),
    Case(
        "GET",
        "/v1/runs/{run_id}/decisions",
        lambda w, i: (f"/v1/runs/{w.run}/decisions", None),
        READ,
    ),
    Case(
        "POST", "/v1/runs/{run_id}/publish", lambda w, i: (f"/v1/runs/{w.run}/publish", None), WRITE
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/follow-up",
        lambda w, i: (f"/v1/programmes/{w.a}/follow-up", None),
        READ,
    ),
    Case(
        "PUT",
        "/v1/programmes/{programme_id}/follow-up",
        lambda w, i: (f"/v1/programmes/{w.a}/follow-up", {"checkin_weeks": 8, "link_days": 21}),
        WRITE,
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/follow-up/stats",
        lambda w, i: (f"/v1/programmes/{w.a}/follow-up/stats", None),
        READ,
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/messages",
        lambda w, i: (f"/v1/programmes/{w.a}/messages", None),
        WRITE,  # they name people: not for read-only keys
    ),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/messages/retry",
        lambda w, i: (f"/v1/programmes/{w.a}/messages/retry", None),
        WRITE,
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/checkins",
        lambda w, i: (f"/v1/programmes/{w.a}/checkins", None),
        WRITE,
    ),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/checkins/links",
        lambda w, i: (f"/v1/programmes/{w.a}/checkins/links", None),
        WRITE,
    ),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/checkins/{checkin_id}/revoke",
        lambda w, i: (f"/v1/programmes/{w.a}/checkins/{w.checkin}/revoke", None),
        WRITE,
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/outcomes",
        lambda w, i: (f"/v1/programmes/{w.a}/outcomes", None),
        READ,
    ),
    Case(
        "GET",
        "/v1/runs/{run_id}/introductions",
        lambda w, i: (f"/v1/runs/{w.run}/introductions", None),
        WRITE,  # addresses: coordinators only
    ),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/proposals",
        lambda w, i: (f"/v1/programmes/{w.a}/proposals", {}),
        {**READ, "researcher": {409}, "coordinator": {409}, "admin": {409}},  # no outcomes
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/proposals",
        lambda w, i: (f"/v1/programmes/{w.a}/proposals", None),
        READ,
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/proposals/{proposal_id}",
        lambda w, i: (f"/v1/programmes/{w.a}/proposals/{w.proposal}", None),
        READ,
    ),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/proposals/{proposal_id}/adopt",
        lambda w, i: (f"/v1/programmes/{w.a}/proposals/{w.proposal}/adopt", None),
        # Adopted once; the admin's turn finds it adopted (and the configuration changed).
        {**WRITE, "coordinator": {200, 409}, "admin": {200, 409}},
    ),
    Case(
        "GET",
        "/public/v1/checkins/{token}",
        lambda w, i: (f"/public/v1/checkins/{w.token}", None),
        PUBLIC,
    ),
    Case(
        "POST",
        "/public/v1/checkins/{token}",
        lambda w, i: (f"/public/v1/checkins/{w.token}", ANSWER),
        PUBLIC,
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/wave-settings",
        lambda w, i: (f"/v1/programmes/{w.a}/wave-settings", None),
        READ,
    ),
    Case(
        "PUT",
        "/v1/programmes/{programme_id}/wave-settings",
        lambda w, i: (f"/v1/programmes/{w.a}/wave-settings", {"choices": True}),
        WRITE,
    ),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/waves",
        lambda w, i: (f"/v1/programmes/{w.a}/waves", {}),
        # The world's wave is open until the coordinator's turn closes it (below).
        {**WRITE, "coordinator": {409}, "admin": {201}},
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/waves",
        lambda w, i: (f"/v1/programmes/{w.a}/waves", None),
        READ,
    ),
    Case("GET", "/v1/waves/{wave_id}", lambda w, i: (f"/v1/waves/{w.wave}", None), READ),
    Case(
        "POST",
        "/v1/waves/{wave_id}/close",
        lambda w, i: (f"/v1/waves/{w.wave}/close", None),
        {**WRITE, "admin": {409}},  # closed by the coordinator's turn
    ),
    Case(
        "GET",
        "/v1/waves/{wave_id}/report",
        lambda w, i: (f"/v1/waves/{w.wave}/report", None),
        READ,  # counts only, never a person
    ),
    Case(
        "POST",
        "/v1/runs/{run_id}/choices",
        lambda w, i: (f"/v1/runs/{w.run}/choices", {}),
        {**WRITE, "coordinator": {409}, "admin": {409}},  # the world sent them already
    ),
    Case(
        "GET",
        "/v1/runs/{run_id}/choices",
        lambda w, i: (f"/v1/runs/{w.run}/choices", None),
        READ,
    ),
    Case(
        "POST",
        "/v1/runs/{run_id}/choices/final-run",
        lambda w, i: (f"/v1/runs/{w.run}/choices/final-run", None),
        {**WRITE, "coordinator": {409}, "admin": {409}},  # before the deadline
    ),
    Case(
        "GET",
        "/public/v1/choices/{token}",
        lambda w, i: (f"/public/v1/choices/{w.choices['mentee']}", None),
        PUBLIC,
    ),
    Case(
        "POST",
        "/public/v1/choices/{token}/ranking",
        lambda w, i: (
            f"/public/v1/choices/{w.choices['mentee']}/ranking",
            {"ranking": [w.choices["first"]]},
        ),
        PUBLIC,
    ),
    Case(
        "POST",
        "/public/v1/choices/{token}/answers",
        lambda w, i: (f"/public/v1/choices/{w.choices['mentor']}/answers", {"declined": []}),
        PUBLIC,
    ),
    Case(
        "POST",
        "/v1/keys",
        lambda w, i: ("/v1/keys", {"role": "researcher", "programme_id": w.a}),
        {**ADMIN, "researcher": {403}},
    ),
    Case(
        "GET",
        "/v1/keys",
        lambda w, i: ("/v1/keys", None),
        {"none": {401}, "other": {200}, "researcher": {403}, "coordinator": {403}, "admin": {200}},
    ),
    Case("DELETE", "/v1/keys/{key_id}", lambda w, i: (f"/v1/keys/{w.revocable[i]}", None), ADMIN),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/sign-up-forms",
        lambda w, i: (f"/v1/programmes/{w.a}/sign-up-forms", {"side": "mentors"}),
        WRITE,
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/sign-up-forms",
        lambda w, i: (f"/v1/programmes/{w.a}/sign-up-forms", None),
        WRITE,  # coordinators' business: who opened which link
    ),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/sign-up-forms/{form_id}/revoke",
        lambda w, i: (f"/v1/programmes/{w.a}/sign-up-forms/{w.sign_ups.forms[i]}/revoke", None),
        WRITE,
    ),
    Case(
        "GET",
        "/v1/programmes/{programme_id}/sign-ups",
        lambda w, i: (f"/v1/programmes/{w.a}/sign-ups", None),
        WRITE,  # submitted fields name people: not for read-only keys
    ),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/sign-ups/approve",
        lambda w, i: (
            f"/v1/programmes/{w.a}/sign-ups/approve",
            {"side": "mentees", "ids": [w.sign_ups.approve[i]]},
        ),
        WRITE,
    ),
    Case(
        "POST",
        "/v1/programmes/{programme_id}/sign-ups/reject",
        lambda w, i: (
            f"/v1/programmes/{w.a}/sign-ups/reject",
            {"side": "mentees", "ids": [w.sign_ups.reject[i]]},
        ),
        WRITE,
    ),
    Case(
        "GET",
        "/public/v1/sign-up/{token}",
        lambda w, i: (f"/public/v1/sign-up/{w.sign_ups.form_token}", None),
        PUBLIC,
    ),
    Case(
        "POST",
        "/public/v1/sign-up/{token}",
        lambda w, i: (
            f"/public/v1/sign-up/{w.sign_ups.form_token}",
            {"fields": SIGN_UP, "consent": True},
        ),
        {key: {201} for key in ROLES},
    ),
    Case(
        "GET",
        "/public/v1/me/{token}",
        lambda w, i: (f"/public/v1/me/{w.sign_ups.own[i]}", None),
        PUBLIC,
    ),
    Case(
        "PUT",
        "/public/v1/me/{token}",
        lambda w, i: (
            f"/public/v1/me/{w.sign_ups.own[i]}",
            {"fields": {**SIGN_UP, "region": "thies"}, "consent": True},
        ),
        PUBLIC,
    ),
    Case(
        "DELETE",
        "/public/v1/me/{token}",
        lambda w, i: (f"/public/v1/me/{w.sign_ups.own[i]}", None),
        {key: {204} for key in ROLES},
    ),
]


def _world(api: Api) -> World:
    a, b = api.programme("A"), api.programme("B")
    api.upload_examples(a)
    api.upload_examples(b)
    run = api.finished_run(a)
    pairs = api.client.get(f"/v1/runs/{run}/pairs?limit=100", headers=api.auth()).json()["items"]
    keys: dict[str, str | None] = {
        "none": None,
        "other": api.key("admin", b),
        "researcher": api.key("researcher", a),
        "coordinator": api.key("coordinator", a),
        "admin": api.key("admin", a),
    }
    queued = [
        api.client.post(f"/v1/programmes/{a}/runs", json={}, headers=api.auth()).json()["id"]
        for _ in ROLES
    ]
    revocable = [
        api.client.post(
            "/v1/keys", json={"role": "researcher", "programme_id": a}, headers=api.auth()
        ).json()["id"]
        for _ in ROLES
    ]
    # Each role erases and decides on different people, so one role's success does not
    # change what the next one finds.
    mentees = [p["mentee_id"] for p in pairs[10 : 10 + len(ROLES)]]
    checkin, token, proposal = _follow_up(api, a, run, pairs[:2])
    wave, choice_tokens = _wave_and_choices(api, a, run)
    return World(
        a,
        b,
        run,
        pairs,
        mentees,
        queued,
        revocable,
        keys,
        checkin,
        token,
        proposal,
        _sign_ups(api, a, b),
        wave,
        choice_tokens,
    )


def _form(api: Api, programme_id: str) -> tuple[str, str]:
    """A new mentees' form link of the programme: (its id, its token)."""
    opened = api.client.post(
        f"/v1/programmes/{programme_id}/sign-up-forms", json={"side": "mentees"}, headers=api.auth()
    )
    assert opened.status_code == 201, opened.text
    return opened.json()["id"], str(opened.json()["link"]).rsplit("/", 1)[1]


def _signed_up(api: Api, token: str, count: int) -> list[str]:
    """``count`` people signed up through a form: their own links' tokens."""
    body = {"fields": SIGN_UP, "consent": True}
    answers = [api.client.post(f"/public/v1/sign-up/{token}", json=body) for _ in range(count)]
    assert all(a.status_code == 201 for a in answers), answers[0].text
    return [str(a.json()["link"]).rsplit("/", 1)[1] for a in answers]


def _sign_ups(api: Api, a: str, b: str) -> SignUps:
    forms = [_form(api, a)[0] for _ in ROLES]
    _signed_up(api, _form(api, a)[1], 2 * len(ROLES))
    pending = api.client.get(f"/v1/programmes/{a}/sign-ups?limit=50", headers=api.auth())
    ids = [p["id"] for p in pending.json()["items"]]
    _form_b, token_b = _form(api, b)
    return SignUps(
        forms=forms,
        approve=ids[: len(ROLES)],
        reject=ids[len(ROLES) :],
        form_token=token_b,
        own=_signed_up(api, token_b, len(ROLES)),
    )


def _wave_and_choices(api: Api, programme_id: str, run: str) -> tuple[str, dict[str, str]]:
    """An open wave holding the published run (so it has a report), and the run's lists
    sent: a mentee's and a mentor's tokens, and the first mentor on that mentee's list."""
    wave = api.client.post(f"/v1/programmes/{programme_id}/waves", headers=api.auth()).json()
    with api.worker.sessions() as session, session.begin():
        held = session.get(Run, run)
        assert held is not None
        held.wave_id = wave["id"]
    settings = {"choices": True}
    api.client.put(
        f"/v1/programmes/{programme_id}/wave-settings", json=settings, headers=api.auth()
    )
    sent = api.client.post(f"/v1/runs/{run}/choices", headers=api.auth()).json()["links"]
    tokens = {li["side"]: li["link"].rsplit("/", 1)[1] for li in sent}
    first = api.client.get(f"/public/v1/choices/{tokens['mentee']}").json()["options"][0]["id"]
    return wave["id"], tokens | {"first": first}


def _follow_up(
    api: Api, programme_id: str, run: str, pairs: list[dict[str, Any]]
) -> tuple[int, str, str]:
    """Two pairs published (so check-ins exist), a link issued for one check-in, and a
    proposal to adopt."""
    for pair in pairs:
        body = {"action": "approve", "mentee_id": pair["mentee_id"], "mentor_id": pair["mentor_id"]}
        assert api.client.post(
            f"/v1/runs/{run}/decisions", json=body, headers=api.auth()
        ).is_success
    assert api.client.post(f"/v1/runs/{run}/publish", headers=api.auth()).is_success
    api.worker.deliver()  # no SMTP: the worker's step between runs only queues them
    with api.worker.sessions() as session, session.begin():
        rows = session.scalars(
            select(CheckIn).where(CheckIn.programme_id == programme_id).order_by(CheckIn.id)
        ).all()
        token = checkins.issue(rows[0], utcnow(), 28)
        programme = session.get(Programme, programme_id)
        assert programme is not None
        config = session.get(ProgrammeVersion, (programme_id, programme.version))
        assert config is not None
        session.add(
            Proposal(
                id="prop_access",
                programme_id=programme_id,
                based_on=programme.version,
                config=config.config,
                report={},
                created_by="key_test",
            )
        )
        return rows[1].id, token, "prop_access"


def _snapshot(api: Api, programme_id: str) -> dict[str, int]:
    with api.worker.sessions() as session:
        runs = select(Run.id).where(Run.programme_id == programme_id)
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model).where(where))
            or 0
            for model, where in (
                (Participant, Participant.programme_id == programme_id),
                (Run, Run.programme_id == programme_id),
                (RunPair, RunPair.run_id.in_(runs)),
                (Decision, Decision.programme_id == programme_id),
                (ActivePair, ActivePair.programme_id == programme_id),
                (ProgrammeVersion, ProgrammeVersion.programme_id == programme_id),
            )
        }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_access_matrix(api: Api) -> None:
    paths = api.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert routes == {(c.method, c.route) for c in CASES}, "every route is in the matrix"
    world = _world(api)
    failures = []
    for index, role in enumerate(ROLES):
        before = _snapshot(api, world.a) if role == "other" else None
        for case in CASES:
            path, body = case.build(world, index)
            key = world.keys[role]
            headers = {"X-API-Key": key} if key else {}
            if body is not None and "_file" in body:
                response = api.client.request(
                    case.method, path, files={"file": ("x.csv", body["_file"])}, headers=headers
                )
            else:
                response = api.client.request(case.method, path, json=body, headers=headers)
            if response.status_code not in case.expect[role]:
                failures.append((role, case.method, case.route, response.status_code))
            if role == "other":
                # Nothing of programme A leaks into another programme's answers.
                assert world.a not in response.text or case.route == "/v1/keys", case.route
                assert world.run not in response.text, case.route
        if before is not None:
            assert _snapshot(api, world.a) == before, "another programme's key changed data"
    assert not failures, failures
