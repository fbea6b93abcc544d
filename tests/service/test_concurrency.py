"""Coordinators' decisions under concurrency, against a real server (``marraine serve`` as
a subprocess) on SQLite and PostgreSQL.

Decisions on one run take effect one at a time: concurrent swaps onto one mentor never
give her more mentees than her capacity; concurrent decisions on one pair leave one audit
chain (each row's ``before`` is the previous row's ``after``, the pair's state is its
last row's ``after``); a publish and a rematch racing decisions see the decisions made
before them and none after; every acknowledged decision survives SIGKILL of the server
and its worker. The runs are seeded in the database (a mentor with one free seat and
sixty mentees who all have her as an alternative is a shape the solver does not produce
on demand); everything after that goes through HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from service.models import Run
from tests.service.conftest import Api
from tests.service.pg import free_port
from tests.service.processes import ROOT, service_env, stop, wait_for
from tests.service.seeded import decision_body, seed

MARRAINE = Path(sys.executable).with_name("marraine")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
State = dict[str, Any]


@dataclass
class Server:
    """``marraine serve`` on a free port, with its worker subprocess."""

    url: str
    process: subprocess.Popen[bytes]

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def kill(self) -> None:
        """SIGKILL the worker and the server: nothing gets to clean up."""
        for pid in self.worker_pids():
            _kill(pid)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it had already gone
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def serve(database_url: str, tmp_path: Path) -> Iterator[Callable[[], Server]]:
    """Start servers on the test's database; each is stopped at the end."""
    started: list[Server] = []

    def start() -> Server:
        port = free_port()
        with (tmp_path / "server.log").open("ab") as log:
            process = subprocess.Popen(
                [str(MARRAINE), "serve", "--port", str(port)],
                cwd=ROOT,
                env=service_env(database_url),
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        server = Server(f"http://127.0.0.1:{port}", process)
        started.append(server)

        def healthy() -> bool:
            assert process.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            try:
                return httpx.get(f"{server.url}/health", timeout=5).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(healthy, "the server to answer")
        return server

    yield start
    for server in started:
        stop(server.process)


async def _post_all(
    server: Server, key: str, requests: list[tuple[str, dict[str, Any] | None]]
) -> list[httpx.Response]:
    """POST every (path, json body) at once, each on its own connection."""
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=0)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        base_url=server.url, headers=headers, limits=limits, timeout=120
    ) as client:
        return list(
            await asyncio.gather(*(client.post(path, json=body) for path, body in requests))
        )


def post_all(
    server: Server, key: str, requests: list[tuple[str, dict[str, Any] | None]]
) -> list[httpx.Response]:
    return asyncio.run(_post_all(server, key, requests))


def get_all(server: Server, key: str, path: str) -> list[dict[str, Any]]:
    """Every item of a paginated listing."""
    items: list[dict[str, Any]] = []
    while True:
        answer = httpx.get(
            f"{server.url}{path}",
            params={"offset": len(items), "limit": 500},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items.extend(page["items"])
        if len(items) >= page["total"]:
            return items


def pair_states(server: Server, key: str, run_id: str) -> dict[str, State]:
    """Each mentee's pair as the API shows it (one pair per mentee in these runs)."""
    return {
        p["mentee_id"]: {
            "mentor_id": p["mentor_id"],
            "score": p["score"],
            "decision": p["decision"],
        }
        for p in get_all(server, key, f"/v1/runs/{run_id}/pairs")
    }


def assert_one_chain(
    log: list[dict[str, Any]], initial: dict[str, State], final: dict[str, State]
) -> None:
    """Per mentee, in id order: the first row starts from the seeded state, each row's
    ``before`` is the previous row's ``after``, and the last ``after`` is the state now."""
    state = dict(initial)
    for row in sorted(log, key=lambda d: d["id"]):
        assert row["before"] == state[row["mentee_id"]], row
        state[row["mentee_id"]] = row["after"]
    assert state == final


def replay(log: list[dict[str, Any]], initial: dict[str, State]) -> list[dict[str, State]]:
    """Every state of the run along the audit log: before the first row, after each."""
    state = dict(initial)
    states = [dict(state)]
    for row in sorted(log, key=lambda d: d["id"]):
        state[row["mentee_id"]] = row["after"]
        states.append(dict(state))
    return states


def with_decision(states: dict[str, State], *decisions: str) -> set[tuple[str, str]]:
    return {(m, s["mentor_id"]) for m, s in states.items() if s["decision"] in decisions}


def test_concurrent_swaps_and_locks_never_overfill_a_mentor(
    api: Api, serve: Callable[[], Server]
) -> None:
    """Issue #18, case 1: sixty swaps onto a mentor with one free seat, racing four
    decisions that would give her back a rejected pair: exactly one is accepted."""
    movers = [f"s{i:02}" for i in range(60)]
    pairs = [(m, f"o{i:02}", "suggested") for i, m in enumerate(movers)]
    pairs += [(f"h{i}", "full", "suggested") for i in range(3)]  # 3 of her 4 seats
    pairs += [(f"r{i}", "full", "rejected") for i in range(4)]
    capacities = {"full": 4, **{f"o{i:02}": 1 for i in range(60)}}
    seeded = seed(api, capacities, pairs, {m: ["full"] for m in movers})
    server = serve()
    path = f"/v1/runs/{seeded.run_id}/decisions"
    requests: list[tuple[str, dict[str, Any] | None]] = [
        (path, decision_body("swap", m, f"o{i:02}", "full")) for i, m in enumerate(movers)
    ]
    for i, action in enumerate(("lock", "approve", "lock", "approve")):
        requests.insert(15 * i + 7, (path, decision_body(action, f"r{i}", "full")))

    answers = post_all(server, api.admin_key, requests)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * 63, statuses
    refused = {a.json()["detail"] for a in answers if a.status_code == 409}
    assert refused == {"that mentor has no capacity left"}
    states = pair_states(server, api.admin_key, seeded.run_id)
    load = sum(
        1 for s in states.values() if s["mentor_id"] == "full" and s["decision"] != "rejected"
    )
    assert load == 4
    log = get_all(server, api.admin_key, path)
    assert [d["id"] for d in log] == [a.json()["id"] for a in answers if a.status_code == 201]


def test_concurrent_decisions_on_one_pair_leave_one_audit_chain(
    api: Api, serve: Callable[[], Server]
) -> None:
    """Issue #18, case 2: fifty approve / reject / lock at once on one pair are all
    acknowledged, all in the audit log, in one unbroken chain ending at the pair's state."""
    seeded = seed(api, {"m": 60}, [("e", "m", "suggested")])
    server = serve()
    path = f"/v1/runs/{seeded.run_id}/decisions"
    actions = itertools.islice(itertools.cycle(("approve", "reject", "lock")), 50)
    answers = post_all(server, api.admin_key, [(path, decision_body(a, "e", "m")) for a in actions])

    assert [a.status_code for a in answers] == [201] * 50, [a.text for a in answers][:3]
    log = get_all(server, api.admin_key, path)
    assert sorted(d["id"] for d in log) == sorted(a.json()["id"] for a in answers)
    initial = {"e": {"mentor_id": "m", "score": 0.5, "decision": "suggested"}}
    assert_one_chain(log, initial, pair_states(server, api.admin_key, seeded.run_id))


def test_decisions_racing_a_publish_and_a_rematch_leave_a_consistent_state(
    api: Api, serve: Callable[[], Server]
) -> None:
    """A publish and a rematch sent among sixty decisions each see the run as some
    prefix of its audit log left it: what was decided before them, nothing after."""
    mentees = [f"e{i:02}" for i in range(20)]
    seeded = seed(
        api, {"m0": 20, "m1": 20}, [(e, f"m{i % 2}", "suggested") for i, e in enumerate(mentees)]
    )
    server = serve()
    rng = random.Random(18)
    path = f"/v1/runs/{seeded.run_id}/decisions"
    requests: list[tuple[str, dict[str, Any] | None]] = []
    for _ in range(60):
        i = rng.randrange(len(mentees))
        action = rng.choice(("approve", "reject", "lock"))
        requests.append((path, decision_body(action, mentees[i], f"m{i % 2}")))
    requests.insert(20, (f"/v1/runs/{seeded.run_id}/publish", None))
    requests.insert(
        40, (f"/v1/programmes/{seeded.programme_id}/runs", {"rematch_of": seeded.run_id})
    )

    answers = post_all(server, api.admin_key, requests)

    assert sorted(a.status_code for a in answers) == [200] + [201] * 60 + [202]
    log = get_all(server, api.admin_key, path)
    initial = {
        e: {"mentor_id": f"m{i % 2}", "score": 0.5, "decision": "suggested"}
        for i, e in enumerate(mentees)
    }
    assert_one_chain(log, initial, pair_states(server, api.admin_key, seeded.run_id))
    states = replay(log, initial)

    active = get_all(server, api.admin_key, f"/v1/programmes/{seeded.programme_id}/pairs")
    published = {(p["mentee_id"], p["mentor_id"]) for p in active}
    assert any(published == with_decision(s, "approved", "locked") for s in states)

    rematch_id = next(a.json()["id"] for a in answers if a.status_code == 202)
    with api.worker.sessions() as session:
        rematch = session.get(Run, rematch_id)
        assert rematch is not None
        kept = {(m, n) for m, n in rematch.locked}
        forbidden = {(m, n) for m, n in rematch.forbidden}
    assert any(
        kept == with_decision(s, "approved", "locked") and forbidden == with_decision(s, "rejected")
        for s in states
    )


def test_acknowledged_decisions_survive_sigkill_of_the_server_and_worker(
    api: Api, serve: Callable[[], Server]
) -> None:
    """Decisions stream in from eight clients; the server and its worker are killed
    with SIGKILL mid-stream. After a restart every acknowledged decision is in the audit
    log, and the log is still one chain ending at the pairs' states."""
    mentees = [f"e{i:02}" for i in range(10)]
    seeded = seed(api, {"m": 20}, [(e, "m", "suggested") for e in mentees])
    server = serve()
    path = f"{server.url}/v1/runs/{seeded.run_id}/decisions"
    cycle = itertools.cycle(itertools.product(("approve", "reject", "lock"), mentees))
    bodies = [decision_body(action, mentee, "m") for action, mentee in itertools.islice(cycle, 400)]
    acknowledged: list[int] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {api.admin_key}"}

    def send(body: dict[str, str]) -> None:
        try:
            answer = httpx.post(path, json=body, headers=headers, timeout=60)
        except httpx.TransportError:
            return  # the server died with this request: not acknowledged
        if answer.status_code == 201:
            with lock:
                acknowledged.append(int(answer.json()["id"]))

    with ThreadPoolExecutor(max_workers=8) as pool:
        for body in bodies:
            pool.submit(send, body)
        wait_for(lambda: len(acknowledged) >= 40, "decisions to be acknowledged")
        server.kill()
    assert len(acknowledged) < len(bodies)  # the kill came mid-stream

    restarted = serve()
    log = get_all(restarted, api.admin_key, f"/v1/runs/{seeded.run_id}/decisions")
    assert set(acknowledged) <= {d["id"] for d in log}
    initial = {e: {"mentor_id": "m", "score": 0.5, "decision": "suggested"} for e in mentees}
    assert_one_chain(log, initial, pair_states(restarted, api.admin_key, seeded.run_id))


def _signed_in(server: Server, key: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=server.url, timeout=120, follow_redirects=True)
    found = TOKEN.search(client.get("/").text)
    assert found
    answer = client.post("/", data={"key": key, "csrf_token": found.group(1)})
    token = TOKEN.search(answer.text)
    assert answer.status_code == 200, answer.text[:300]
    assert token
    return client, token.group(1)


def test_bulk_decisions_on_the_page_keep_capacity_and_the_audit_chain(
    api: Api, serve: Callable[[], Server]
) -> None:
    """The page's bulk lock of two rejected pairs races API swaps onto their mentor, who
    has two free seats: either the bulk lock comes first and takes both (every swap is
    refused), or a swap comes first and the bulk lock is refused as a whole (all or
    nothing) while swaps take both seats. Her load ends at her capacity either way, and
    the audit log stays one chain."""
    movers = [f"s{i:02}" for i in range(30)]
    pairs = [(m, f"o{i:02}", "suggested") for i, m in enumerate(movers)]
    pairs += [("h0", "full", "suggested")] + [(f"r{i}", "full", "rejected") for i in range(2)]
    capacities = {"full": 3, **{f"o{i:02}": 1 for i in range(30)}}
    seeded = seed(api, capacities, pairs, {m: ["full"] for m in movers})
    server = serve()
    client, token = _signed_in(server, api.admin_key)
    rejected = [seeded.pair_ids[(f"r{i}", "full")] for i in range(2)]
    path = f"/v1/runs/{seeded.run_id}/decisions"

    def bulk() -> httpx.Response:
        return client.post(
            f"/runs/{seeded.run_id}/bulk",
            data={"action": "lock", "scope": "selected", "pair": rejected, "csrf_token": token},
            follow_redirects=False,
        )

    with ThreadPoolExecutor(max_workers=1) as pool:
        page = pool.submit(bulk)
        swaps = post_all(
            server,
            api.admin_key,
            [(path, decision_body("swap", m, f"o{i:02}", "full")) for i, m in enumerate(movers)],
        )
        bulk_answer = page.result()
    client.close()

    accepted = sum(1 for a in swaps if a.status_code == 201)
    assert {a.status_code for a in swaps} <= {201, 409}
    if bulk_answer.status_code == 303:
        assert accepted == 0
    else:
        assert bulk_answer.status_code == 409, bulk_answer.text[:300]
        assert accepted == 2
    states = pair_states(server, api.admin_key, seeded.run_id)
    load = sum(
        1 for s in states.values() if s["mentor_id"] == "full" and s["decision"] != "rejected"
    )
    assert load == 3
    initial = {m: {"mentor_id": n, "score": 0.5, "decision": d} for m, n, d in pairs}
    assert_one_chain(get_all(server, api.admin_key, path), initial, states)
    with api.worker.sessions() as session:
        assert session.scalar(select(Run.status).where(Run.id == seeded.run_id)) == "succeeded"
