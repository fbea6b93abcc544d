"""Waves and choices under concurrent requests, against a real server (``marraine serve``
as a subprocess) on SQLite and PostgreSQL: requests opening a wave at once open one (the
others are told a wave is open), and requests sending one run's lists at once send them
once (one set of links)."""

from __future__ import annotations

from collections.abc import Callable

from tests.service.conftest import Api
from tests.service.follow_up_world import CONFIG, mentees, mentors
from tests.service.test_concurrency import Server, post_all, serve

__all__ = ["serve"]  # the fixture, shared with the decisions' concurrency tests


def test_one_wave_opens_and_one_set_of_lists_is_sent(api: Api, serve: Callable[[], Server]) -> None:
    auth = api.auth()
    programme_id = api.programme("Passerelles")
    api.client.put(f"/v1/programmes/{programme_id}/config", json={"config": CONFIG}, headers=auth)
    for side, people in (("mentees", mentees(6)), ("mentors", mentors(6))):
        api.client.post(
            f"/v1/programmes/{programme_id}/participants/{side}",
            json={"participants": people},
            headers=auth,
        )
    settings = {"choices": True}
    api.client.put(f"/v1/programmes/{programme_id}/wave-settings", json=settings, headers=auth)
    run_id = api.finished_run(programme_id)
    server = serve()

    answers = post_all(server, api.admin_key, [(f"/v1/programmes/{programme_id}/waves", {})] * 12)
    assert sorted(a.status_code for a in answers) == [201] + [409] * 11
    waves = api.client.get(f"/v1/programmes/{programme_id}/waves", headers=auth).json()
    assert [(w["number"], w["status"]) for w in waves] == [(1, "open")]

    answers = post_all(server, api.admin_key, [(f"/v1/runs/{run_id}/choices", {})] * 8)
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7
    sent = next(a.json() for a in answers if a.status_code == 201)
    tokens = [link["link"].rsplit("/", 1)[1] for link in sent["links"]]
    assert all(api.client.get(f"/public/v1/choices/{t}").status_code == 200 for t in tokens)
    status = api.client.get(f"/v1/runs/{run_id}/choices", headers=auth).json()
    assert status["mentees"] == 6
