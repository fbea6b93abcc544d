"""Publishing: the published pairs become the programme's active pairs, and each pair
introduced for the first time gets its four messages (an introduction and a check-in
link for each person) and its two check-ins, queued in the pairs' order, once — whether
the worker or a reader of the messages queues them, and even when a second publish comes
first. A publish is all or nothing: an API process killed in the middle of one leaves no
trace of it (SQLite and PostgreSQL)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from service.models import ActivePair, CheckIn, Message, Run
from tests.service.conftest import Api
from tests.service.pg import free_port
from tests.service.processes import gated_env, python, service_env, stop, wait_for

API = "import sys; from service.cli import serve; serve('127.0.0.1', int(sys.argv[1]), 0)"
EACH_PERSON = [("mentee", "introduction"), ("mentee", "checkin")]
EACH_PERSON += [("mentor", "introduction"), ("mentor", "checkin")]


def _listed(api: Api, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = api.client.get(f"{path}?limit=100&offset={len(items)}", headers=api.auth())
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if len(items) >= page.json()["total"]:
            return items


def _pairs(api: Api, run_id: str) -> list[dict[str, Any]]:
    return _listed(api, f"/v1/runs/{run_id}/pairs")


def _approve(api: Api, run_id: str, pairs: list[dict[str, Any]]) -> None:
    for pair in pairs:
        body = {"action": "approve", "mentee_id": pair["mentee_id"], "mentor_id": pair["mentor_id"]}
        decided = api.client.post(f"/v1/runs/{run_id}/decisions", json=body, headers=api.auth())
        assert decided.status_code == 201, decided.text


def _publish(api: Api, run_id: str) -> dict[str, Any]:
    response = api.client.post(f"/v1/runs/{run_id}/publish", headers=api.auth())
    assert response.status_code == 200, response.text
    return dict(response.json())


def _queued_for(pairs: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """Each pair's four messages in the order they are queued: pair by pair, the mentee's
    introduction and check-in link, then the mentor's."""
    return [
        (pair["mentee_id"], pair["mentor_id"], side, kind)
        for pair in pairs
        for side, kind in EACH_PERSON
    ]


def test_publishing_queues_each_new_pairs_messages_and_check_ins_once(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    run_id = api.finished_run(programme_id)
    pairs = _pairs(api, run_id)  # in the run's order
    first, rest = pairs[::2], pairs[1::2]
    _approve(api, run_id, first)
    once = _publish(api, run_id)
    assert once["active_pairs"] == len(first)
    # Published again, with the other pairs approved too, before anything read or sent
    # the first publish's messages: the pairs introduced by the first are not
    # introduced twice, and each publish's pairs keep that publish's run and dates.
    _approve(api, run_id, rest)
    twice = _publish(api, run_id)
    assert twice["active_pairs"] == len(pairs)

    messages = _listed(api, f"/v1/programmes/{programme_id}/messages")
    queued = [(m["mentee_id"], m["mentor_id"], m["side"], m["kind"]) for m in messages]
    assert queued == _queued_for(first) + _queued_for(rest), "published pairs, in order"
    assert {(m["status"], m["attempts"], m["run_id"]) for m in messages} == {("pending", 0, run_id)}
    checkins = _listed(api, f"/v1/programmes/{programme_id}/checkins")
    due = {
        (c["mentee_id"], c["mentor_id"], c["side"]): datetime.fromisoformat(c["due_at"])
        for c in checkins
    }
    assert len(checkins) == len(due) == 2 * len(pairs)
    for pairs_of, published in ((first, once), (rest, twice)):
        when = datetime.fromisoformat(published["published_at"]) + timedelta(weeks=6)
        for pair in pairs_of:
            for side in ("mentee", "mentor"):
                assert due[(pair["mentee_id"], pair["mentor_id"], side)] == when
    assert all(c["issued_at"] is None and c["answered_at"] is None for c in checkins)
    active = _listed(api, f"/v1/programmes/{programme_id}/pairs")
    assert {(p["mentee_id"], p["mentor_id"]) for p in active} == {
        (p["mentee_id"], p["mentor_id"]) for p in pairs
    }


def test_the_worker_queues_a_publish_that_nobody_read(api: Api) -> None:
    """No SMTP server and no reader: the worker's step between runs queues them."""
    programme_id = api.programme()
    api.upload_examples(programme_id)
    run_id = api.finished_run(programme_id)
    pairs = _pairs(api, run_id)
    _approve(api, run_id, pairs)
    _publish(api, run_id)
    assert api.worker.deliver().attempted == 0, "nothing is sent without SMTP"
    with api.worker.sessions() as session:
        stored = session.execute(
            select(Message.mentee_id, Message.mentor_id, Message.side, Message.kind).order_by(
                Message.id
            )
        ).all()
        assert [tuple(row) for row in stored] == _queued_for(pairs)
        assert session.scalar(select(func.count()).select_from(CheckIn)) == 2 * len(pairs)


@pytest.fixture
def processes() -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for process in started:
        stop(process)


def test_an_api_killed_mid_publish_leaves_nothing_published(
    api: Api, database_url: str, tmp_path: Path, processes: list[Any]
) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    run_id = api.finished_run(programme_id)
    pairs = _pairs(api, run_id)
    _approve(api, run_id, pairs)

    # An API process whose publish stops after writing every row, before its commit.
    written = tmp_path / "publish-written"
    env = gated_env(service_env(database_url), tmp_path, written, "tests.service.gated_publish")
    port = free_port()
    server = python(API, env, str(port))
    processes.append(server)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(f"{base}/health"), "the API process")
    with (
        httpx.Client(base_url=base, headers=api.auth(), timeout=0.5) as client,
        pytest.raises(httpx.TimeoutException),
    ):
        client.post(f"/v1/runs/{run_id}/publish")  # never answered
    wait_for(written.exists, "the publish's rows written")
    server.send_signal(signal.SIGKILL)
    server.wait()

    with api.worker.sessions() as session:
        for entity in (ActivePair, Message, CheckIn):
            assert session.scalar(select(func.count()).select_from(entity)) == 0, entity
        assert session.scalar(select(Run.published_at).where(Run.id == run_id)) is None

    # Published again in full afterwards: everything queued exactly once.
    assert _publish(api, run_id)["active_pairs"] == len(pairs)
    messages = _listed(api, f"/v1/programmes/{programme_id}/messages")
    queued = [(m["mentee_id"], m["mentor_id"], m["side"], m["kind"]) for m in messages]
    assert queued == _queued_for(pairs)
    assert len(_listed(api, f"/v1/programmes/{programme_id}/checkins")) == 2 * len(pairs)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
