"""A corpus of hostile requests against a real server (``serve``: uvicorn + worker) on
SQLite and PostgreSQL: no answer is a 5xx, nothing is half-stored, a canary person's
name and id appear in no log line and in no answer except to a reader entitled to them,
and after her erasure in no database file (SQLite: the raw bytes of the file and its
write-ahead log; PostgreSQL: every table)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from tests.service.conftest import EXAMPLES
from tests.service.pg import free_port
from tests.service.processes import ROOT, python, service_env, stop, wait_for

KEYS = "from service.cli import keys_app; keys_app()"
SERVE = "import sys; from service.cli import serve; serve('127.0.0.1', int(sys.argv[1]))"

CANARY = "Zanele Qwabe-Canary"
"""A person's name: personal data that must not leak."""
CANARY_ID = "canary-7qx"
FOUR_XX = frozenset(range(400, 500))
JSON = {"Content-Type": "application/json"}


@dataclass
class Server:
    client: httpx.Client
    key: str
    log: Path
    database_url: str
    programme: str = ""
    researcher: str = ""
    seen: list[tuple[str, httpx.Response]] = field(default_factory=list)

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}

    def ok(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    env = service_env(
        database_url,
        MARRAINE_LOG_LEVEL="INFO",  # every log line the service writes is checked
        MARRAINE_AUTH_FAILURES_PER_ADDRESS="1000/minute",
        MARRAINE_AUTH_FAILURES_PER_KEY="1000/minute",
    )
    log = tmp_path / "server.log"
    created = subprocess.run(
        [sys.executable, "-c", KEYS, "create", "--role", "admin"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    port = free_port()
    process = python(SERVE, env, str(port), log=log)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)

    def healthy() -> bool:
        try:
            return client.get("/health").status_code == 200
        except httpx.TransportError:
            assert process.poll() is None, "the server exited"
            return False

    try:
        wait_for(healthy, "the server to start")
        yield Server(client, created.stdout.strip(), log, database_url)
    finally:
        client.close()
        stop(process)


def _example(side: str) -> dict[str, Any]:
    row = pd.read_csv(EXAMPLES / f"{side}.csv").iloc[0]
    return {str(k): v.item() if hasattr(v, "item") else v for k, v in row.dropna().items()}


def _raw(document: str) -> dict[str, Any]:
    """A request whose JSON body is ``document`` as written (NaN, Infinity, escapes)."""
    return {"content": document.encode(), "headers": JSON}


def _people(*people: dict[str, Any]) -> dict[str, Any]:
    return {"json": {"participants": list(people)}}


def _file(name: str, content: bytes) -> dict[str, Any]:
    return {"files": {"file": (name, content, "application/octet-stream")}}


def _cases() -> list[tuple[str, str, str, dict[str, Any], frozenset[int]]]:
    """(name, method, path, request arguments, accepted statuses); ``{p}`` in a path is
    the programme. Every value that could be echoed carries the canary."""
    mentor = _example("mentors")
    mentee = _example("mentees")
    people = "/v1/programmes/{p}/participants"
    c: list[tuple[str, str, str, dict[str, Any], frozenset[int]]] = []

    def add(
        name: str, method: str, path: str, kwargs: dict[str, Any], ok: frozenset[int] = FOUR_XX
    ) -> None:
        c.append((name, method, path, kwargs, ok))

    e422 = frozenset({422})
    # --- keys and authentication
    add("no key", "GET", "/v1/programmes", {"auth": False}, frozenset({401}))
    add("wrong key", "GET", "/v1/programmes", {"key": f"key_0.{CANARY}"}, frozenset({401}))
    add("long key", "GET", "/v1/programmes", {"key": "k" * 5000}, frozenset({401}))
    add("basic auth", "GET", "/v1/programmes", {"raw_auth": "Basic eDp5"}, frozenset({401}))
    add("key label NUL", "POST", "/v1/keys", _raw('{"role":"admin","label":"a\\u0000"}'), e422)
    add("key role", "POST", "/v1/keys", {"json": {"role": CANARY}}, e422)
    add(
        "key programme NUL",
        "POST",
        "/v1/keys",
        _raw('{"role":"admin","programme_id":"\\u0000"}'),
        e422,
    )
    add("revoke NUL", "DELETE", "/v1/keys/%00", {}, e422)
    add("revoke unknown", "DELETE", f"/v1/keys/key_{CANARY_ID}", {}, frozenset({404}))
    # --- programmes and configurations
    add("name NUL", "POST", "/v1/programmes", _raw(f'{{"name":"{CANARY}\\u0000"}}'), e422)
    add("name empty", "POST", "/v1/programmes", {"json": {"name": ""}}, e422)
    add("name long", "POST", "/v1/programmes", {"json": {"name": CANARY * 100}}, e422)
    add("config list", "POST", "/v1/programmes", {"json": {"name": "x", "config": []}}, e422)
    for number in ("Infinity", "-Infinity", "NaN", "1e400"):
        add(
            f"config {number}",
            "PUT",
            "/v1/programmes/{p}/config",
            _raw(f'{{"config":{{"criteria":[{{"kind":"needs","weight":{number}}}]}}}}'),
            e422,
        )
    for weight in (1e15, -1, "heavy"):
        add(
            f"weight {weight}",
            "PUT",
            "/v1/programmes/{p}/config",
            {
                "json": {
                    "config": {"name": CANARY, "criteria": [{"kind": "needs", "weight": weight}]}
                }
            },
            e422,
        )
    add(
        "field NUL",
        "PUT",
        "/v1/programmes/{p}/config",
        _raw('{"config":{"criteria":[{"kind":"needs","mentee_field":"a\\u0000"}]}}'),
        e422,
    )
    add("config deep", "PUT", "/v1/programmes/{p}/config", _raw("[" * 100_000 + "]" * 100_000))
    add("programme NUL", "GET", "/v1/programmes/%00", {}, e422)
    add("programme unknown", "GET", f"/v1/programmes/{CANARY_ID}", {}, frozenset({404}))
    add("limit NUL", "GET", "/v1/programmes?limit=%00", {}, e422)
    add("limit 1e400", "GET", "/v1/programmes?limit=1e400", {}, e422)
    add("offset -1", "GET", "/v1/programmes?offset=-1", {}, e422)
    add("offset huge", "GET", "/v1/programmes?offset=" + "9" * 40, {}, e422)
    # --- participants as JSON: ids
    hostile_ids: list[Any] = [
        "a/b", "a\\b", "..", ".", "", " ", "x" * 201, None, True, {"$ne": 1}, ["a"],
    ]  # fmt: skip
    for index, person_id in enumerate(hostile_ids):
        add(f"id {index}", "POST", f"{people}/mentors", _people({**mentor, "id": person_id}), e422)
    for index, escaped in enumerate(
        ["\\u0000", "\\u0001", "\\u001f", "\\u007f", "\\u2028", "\\ud800"]
    ):
        body = json.dumps({"participants": [{**mentor, "id": f"{CANARY_ID}-X"}]})
        add(
            f"id escape {index}",
            "POST",
            f"{people}/mentors",
            _raw(body.replace(f"{CANARY_ID}-X", f"{CANARY_ID}{escaped}")),
            e422,
        )
    # --- participants as JSON: fields and counts
    for index, escaped in enumerate(["\\u0000", "\\u0008", "\\udfff"]):
        body = json.dumps({"participants": [{**mentor, "id": "m-new", "name": "N-X"}]})
        add(
            f"name escape {index}",
            "POST",
            f"{people}/mentors",
            _raw(body.replace("N-X", CANARY + escaped)),
            e422,
        )
    add(
        "languages NUL",
        "POST",
        f"{people}/mentors",
        _raw(
            json.dumps({"participants": [{**mentor, "id": "m-new"}]}).replace(
                '"french', '"\\u0000french'
            )
        ),
        e422,
    )
    counts: list[Any] = [True, False, 10**9, -1, 1.5, "1e400", 10**30, "many", [1], {"n": 1}]
    for index, value in enumerate(counts):
        add(
            f"capacity {index}",
            "POST",
            f"{people}/mentors",
            _people({**mentor, "id": "m-new", "capacity": value}),
            e422,
        )
    for index, value in enumerate([0, 21, True, 2.5]):
        add(
            f"demand {index}",
            "POST",
            f"{people}/mentees",
            _people({**mentee, "id": "e-new", "demand": value}),
            e422,
        )
    for number in ("Infinity", "NaN", "1e400", "-1e999"):
        body = json.dumps({"participants": [{**mentor, "id": "m-new", "utc_offset": 7777}]})
        add(
            f"offset {number}",
            "POST",
            f"{people}/mentors",
            _raw(body.replace("7777", number)),
            e422,
        )
    add(
        "big integer",
        "POST",
        f"{people}/mentors",
        _raw('{"participants":[{"id":"x","years":' + "9" * 5000 + "}]}"),
        e422,
    )
    add(
        "duplicate ids",
        "POST",
        f"{people}/mentors",
        _people({**mentor, "id": CANARY_ID}, {**mentor, "id": CANARY_ID}),
        e422,
    )
    add("not json", "POST", f"{people}/mentors", _raw("{" + CANARY))
    add(
        "bad utf-8",
        "POST",
        f"{people}/mentors",
        {"content": b'{"participants":["\xff\xfe"]}', "headers": JSON},
    )
    add("empty body", "POST", f"{people}/mentors", {"content": b"", "headers": JSON})
    add(
        "text body",
        "POST",
        f"{people}/mentors",
        {"content": CANARY.encode(), "headers": {"Content-Type": "text/plain"}},
    )
    add(
        "nested",
        "POST",
        f"{people}/mentors",
        _raw('{"participants":' + "[" * 5000 + "]" * 5000 + "}"),
    )
    add(
        "extra key",
        "POST",
        f"{people}/mentors",
        {"json": {"participants": [], "nickname": CANARY}},
        e422,
    )
    add("side", "POST", f"{people}/others", _people(mentor), e422)
    # --- one person by path
    for index, segment in enumerate(["a%00b", "%01", "%C2%85", "%7F"]):
        add(f"person path {index}", "GET", f"{people}/mentees/{CANARY_ID}{segment}", {}, e422)
        add(f"erase path {index}", "DELETE", f"{people}/mentees/{CANARY_ID}{segment}", {}, e422)
    for index, segment in enumerate(["a%2Fb", "%ff", "x" * 3000, CANARY_ID + "-not"]):
        add(f"unknown person {index}", "GET", f"{people}/mentees/{segment}", {}, frozenset({404}))
    # --- participant files
    header = "id,name,capacity\n"
    for name, content in {
        "slash": f"{header}a/b,{CANARY},1\n",
        "nul id": f"{header}{CANARY_ID}\x00,{CANARY},1\n",
        "nul field": f"{header}m9,{CANARY}\x00,1\n",
        "control field": f"{header}m9,{CANARY}\x07,1\n",
        "capacity true": f"{header}m9,{CANARY},true\n",
        "capacity inf": f"{header}m9,{CANARY},inf\n",
        "capacity huge": f"{header}m9,{CANARY},1e400\n",
        "header only": header,
        "ragged": f"{header}m9,{CANARY},1,extra,cells\n",
        "dot id": f"{header}..,{CANARY},1\n",
    }.items():
        add(
            f"csv {name}",
            "POST",
            f"{people}/mentors/file",
            _file("mentors.csv", content.encode()),
            e422,
        )
    add(
        "csv latin-1",
        "POST",
        f"{people}/mentors/file",
        _file("m.csv", f"{header}m9,Zoé {CANARY},1\n".encode("latin-1")),
        e422,
    )
    add("csv empty", "POST", f"{people}/mentors/file", _file("m.csv", b""), e422)
    add(
        "xlsx garbage",
        "POST",
        f"{people}/mentors/file",
        _file("m.xlsx", CANARY.encode() * 10),
        e422,
    )
    add("exe", "POST", f"{people}/mentors/file", _file(f"{CANARY}.exe", b"MZ"), e422)
    add("no file", "POST", f"{people}/mentors/file", {"data": {"x": CANARY}}, e422)

    # --- stateless match
    def scores(score: Any) -> dict[str, Any]:
        return {
            "json": {
                "mentees": [{"id": "e1"}],
                "mentors": [{"id": "m1"}],
                "scores": [{"mentee_id": "e1", "mentor_id": "m1", "score": score}],
            }
        }

    for index, score in enumerate([1e15, 1e7, -1, "high", None]):
        add(f"score {index}", "POST", "/v1/match", scores(score), e422)
    for number in ("NaN", "Infinity", "1e400"):
        add(
            f"score {number}",
            "POST",
            "/v1/match",
            _raw(
                '{"mentees":[{"id":"e1"}],"mentors":[{"id":"m1"}],"scores":[{"mentee_id":"e1","mentor_id":"m1","score":'
                + number
                + "}]}"
            ),
            e422,
        )
    add(
        "match slash id",
        "POST",
        "/v1/match",
        {"json": {"mentees": [{**mentee, "id": "a/b"}], "mentors": [mentor]}},
        e422,
    )
    add(
        "match unknown score id",
        "POST",
        "/v1/match",
        {
            "json": {
                "mentees": [{"id": "e1"}],
                "mentors": [{"id": "m1"}],
                "scores": [{"mentee_id": CANARY_ID, "mentor_id": "m1", "score": 1}],
            }
        },
        e422,
    )
    add(
        "match objective",
        "POST",
        "/v1/match",
        {"json": {"mentees": [], "mentors": [], "objective": CANARY}},
        e422,
    )
    add(
        "match config inf",
        "POST",
        "/v1/match",
        _raw(
            '{"mentees":[],"mentors":[],"programme":{"criteria":[{"kind":"needs","weight":Infinity}]}}'
        ),
        e422,
    )
    # --- runs and decisions
    add("locked NUL", "POST", "/v1/programmes/{p}/runs", _raw('{"locked":[["\\u0000","x"]]}'), e422)
    add("run NUL", "GET", "/v1/runs/%00", {}, e422)
    add("run unknown", "GET", f"/v1/runs/{CANARY_ID}", {}, frozenset({404}))
    add(
        "decision NUL",
        "POST",
        "/v1/runs/{r}/decisions",
        _raw(
            f'{{"action":"approve","mentee_id":"{CANARY_ID}","mentor_id":"x","reason":"{CANARY}\\u0000"}}'
        ),
        e422,
    )
    add(
        "decision unknown pair",
        "POST",
        "/v1/runs/{r}/decisions",
        {"json": {"action": "approve", "mentee_id": CANARY_ID + "-no", "mentor_id": "x"}},
    )
    add(
        "decision action",
        "POST",
        "/v1/runs/{r}/decisions",
        {"json": {"action": CANARY, "mentee_id": "a", "mentor_id": "b"}},
        e422,
    )
    # --- the review page
    add("sign-in NUL", "POST", "/", {"data": {"key": f"key_1.{CANARY}\x00"}, "auth": False}, e422)
    add(
        "sign-in no CSRF",
        "POST",
        "/",
        {"data": {"key": f"key_1.{CANARY}"}, "auth": False},
        frozenset({403}),
    )
    add("lang NUL", "GET", "/lang/%00", {"auth": False}, e422)
    add("page NUL", "GET", "/programmes/%00", {"auth": False}, e422)
    add("open redirect", "GET", "/lang/fr?next=//example.org", {"auth": False}, frozenset({303}))
    add("page unknown", "GET", f"/runs/{CANARY_ID}", {"auth": False}, frozenset({303}))
    return c


def _send(
    server: Server, case: tuple[str, str, str, dict[str, Any], frozenset[int]], run: str
) -> httpx.Response:
    _name, method, path, kwargs, _ok = case
    kwargs = dict(kwargs)
    headers = dict(kwargs.pop("headers", {}))
    if kwargs.pop("auth", True):
        headers.update(server.auth(kwargs.pop("key", None)))
    if "raw_auth" in kwargs:
        headers["Authorization"] = kwargs.pop("raw_auth")
    url = path.replace("{p}", server.programme).replace("{r}", run)
    return server.client.request(method, url, headers=headers, follow_redirects=False, **kwargs)


def _set_up(server: Server) -> str:
    """A programme with the example cohort, the canary mentee, a finished run, a decision
    whose reason names her and a run whose Idempotency-Key names her."""
    admin = server.auth()
    server.programme = server.ok(
        server.client.post("/v1/programmes", json={"name": "p"}, headers=admin), 201
    )["id"]
    base = f"/v1/programmes/{server.programme}/participants"
    for side in ("mentees", "mentors"):
        with (EXAMPLES / f"{side}.csv").open("rb") as handle:
            files = {"file": (f"{side}.csv", handle, "text/csv")}
            server.ok(server.client.post(f"{base}/{side}/file", files=files, headers=admin))
    canary = {**_example("mentees"), "id": CANARY_ID, "name": CANARY}
    server.ok(server.client.post(f"{base}/mentees", json={"participants": [canary]}, headers=admin))
    keyed = {**admin, "Idempotency-Key": f"first-{CANARY_ID}"}
    run = server.ok(
        server.client.post(f"/v1/programmes/{server.programme}/runs", json={}, headers=keyed), 202
    )["id"]

    def finished() -> bool:
        status = server.ok(server.client.get(f"/v1/runs/{run}", headers=admin))["status"]
        assert status in ("queued", "running", "succeeded"), status
        return bool(status == "succeeded")

    wait_for(finished, "the run to finish", deadline=120)
    pair = server.ok(server.client.get(f"/v1/runs/{run}/pairs", headers=admin))["items"][0]
    decision = {
        "action": "approve",
        "mentee_id": pair["mentee_id"],
        "mentor_id": pair["mentor_id"],
        "reason": f"{CANARY} ({CANARY_ID}) knows this mentor",
    }
    server.ok(server.client.post(f"/v1/runs/{run}/decisions", json=decision, headers=admin), 201)
    created = server.client.post(
        "/v1/keys", json={"role": "researcher", "programme_id": server.programme}, headers=admin
    )
    server.researcher = server.ok(created, 201)["key"]
    return str(run)


def _counts(server: Server) -> dict[str, int]:
    base = f"/v1/programmes/{server.programme}"
    return {
        side: server.ok(server.client.get(f"{base}/participants/{side}", headers=server.auth()))[
            "total"
        ]
        for side in ("mentees", "mentors")
    } | {
        "versions": server.ok(server.client.get(f"{base}/versions", headers=server.auth()))["total"]
    }


def _stored(database_url: str, secrets: list[str]) -> list[str]:
    """The secrets still found in the database files (SQLite) or tables (PostgreSQL)."""
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        return [s for s in secrets if s.encode() in raw]
    engine = create_engine(database_url)
    found = []
    with engine.connect() as connection:
        tables = list(
            connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
        for table in tables:
            for secret in secrets:
                query = text(f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE :s')
                if connection.execute(query, {"s": f"%{secret}%"}).scalar_one():
                    found.append(f"{secret} in {table}")
    engine.dispose()
    return found


def test_hostile_requests_get_4xx_and_never_leak_the_canary(server: Server) -> None:
    run = _set_up(server)
    before = _counts(server)
    cases = _cases()
    assert len(cases) >= 80
    problems = []
    for case in cases:
        name, ok = case[0], case[4]
        try:
            response = _send(server, case, run)
        except httpx.TransportError as error:
            problems.append(f"{name}: no answer ({type(error).__name__})")
            continue
        if response.status_code not in ok:
            problems.append(f"{name}: {response.status_code} {response.text[:200]}")
        if CANARY in response.text or CANARY_ID in response.text:
            problems.append(f"{name}: the answer echoes the canary")
    assert not problems, "\n".join(problems)
    assert _counts(server) == before  # nothing refused was half-stored

    # Entitled readers see her; a researcher sees neither her name nor her id.
    person = f"/v1/programmes/{server.programme}/participants/mentees/{CANARY_ID}"
    assert server.ok(server.client.get(person, headers=server.auth()))["fields"]["name"] == CANARY
    listed = server.client.get(
        f"/v1/programmes/{server.programme}/participants/mentees?limit=500",
        headers=server.auth(server.researcher),
    )
    assert listed.status_code == 200
    assert CANARY not in listed.text
    assert CANARY_ID not in listed.text

    erased = server.ok(server.client.delete(person, headers=server.auth()))
    assert erased["erased"]
    decisions = server.client.get(f"/v1/runs/{run}/decisions", headers=server.auth()).text
    assert CANARY not in decisions
    assert CANARY_ID not in decisions
    assert _stored(server.database_url, [CANARY, CANARY_ID]) == []

    lines = server.log.read_text(encoding="utf-8", errors="replace").splitlines()
    assert any('"request"' in line for line in lines)  # the log was written
    leaks = [line for line in lines if CANARY in line or CANARY_ID in line]
    assert leaks == []
