"""Sign-ups against a real server (``serve``) on SQLite and PostgreSQL: refused answers
carrying a canary person's name and address get 422 bodies that never echo them, no log
line holds them, and once she withdraws through her own link they are in no database
file (SQLite: the raw bytes of the file and its write-ahead log; PostgreSQL: every
table)."""

from __future__ import annotations

from typing import Any

from tests.service.sign_up_world import CONFIG, mentee
from tests.service.test_hostile_corpus import Server, _stored, server

__all__ = ["server"]  # the fixture, imported for pytest

CANARY = "Thandiwe Mokoena-Canary"
CANARY_EMAIL = "thandiwe.canary@exemple.test"


def _hostile(cells: dict[str, Any]) -> list[dict[str, Any]]:
    """Submissions refused field by field, each carrying the canary somewhere."""
    return [
        {"fields": {**cells, "besoins": f"{CANARY}:9"}, "consent": True, "guardian_consent": True},
        {"fields": {**cells, "dispo": CANARY}, "consent": True, "guardian_consent": True},
        {"fields": {**cells, "courriel": CANARY}, "consent": True, "guardian_consent": True},
        {"fields": {**cells, CANARY: CANARY}, "consent": True, "guardian_consent": True},
        {"fields": cells, "consent": False, "guardian_consent": True},
        {"fields": {**cells, "nom": f"{CANARY}\u0000"}, "consent": True},
    ]


def test_sign_ups_never_leak_and_withdrawing_erases(server: Server) -> None:
    client, auth = server.client, server.auth()
    programme = server.ok(client.post("/v1/programmes", json={"name": "P"}, headers=auth), 201)
    base = f"/v1/programmes/{programme['id']}"
    server.ok(client.put(f"{base}/config", json={"config": CONFIG}, headers=auth))
    opened = client.post(f"{base}/sign-up-forms", json={"side": "mentees"}, headers=auth)
    token = server.ok(opened, 201)["link"].rsplit("/", 1)[1]
    cells = mentee(1, nom=CANARY, courriel=CANARY_EMAIL)
    for body in _hostile(cells):
        refused = client.post(f"/public/v1/sign-up/{token}", json=body)
        assert refused.status_code == 422, refused.text
        assert CANARY not in refused.text
        assert CANARY_EMAIL not in refused.text
    assert server.ok(client.get(f"{base}/sign-ups", headers=auth))["total"] == 0

    body = {"fields": cells, "consent": True, "guardian_consent": True}
    signed = server.ok(client.post(f"/public/v1/sign-up/{token}", json=body), 201)
    own_token = signed["link"].rsplit("/", 1)[1]
    own = f"/public/v1/me/{own_token}"
    for hostile in _hostile(cells):
        refused = client.put(own, json=hostile)
        assert refused.status_code == 422
        assert CANARY not in refused.text
    assert client.get(f"/me/{own_token}").status_code == 200  # her page, shown to her
    assert client.delete(own).status_code == 204
    assert client.get(own).status_code == 404
    assert _stored(server.database_url, [CANARY, CANARY_EMAIL]) == []
    lines = server.log.read_text(encoding="utf-8", errors="replace").splitlines()
    assert any('"request"' in line for line in lines)  # the log was written
    assert [line for line in lines if CANARY in line or CANARY_EMAIL in line] == []
