"""The published contract fuzzed as an integrator would: schemathesis' command line
against a real ``marraine serve`` (one supervised worker) on SQLite and on PostgreSQL,
with every phase (examples, coverage, fuzzing, stateful), a fixed seed and a bounded
budget. Any finding fails the test and its report is printed.

Every check runs except the three with open findings (issue #25): ``positive_data_acceptance``
(valid by the spec, refused with 422: a page limit above ``max_page_size``, a column a
criterion reads, a file name without extension, a ranked id not among the participants,
control characters in body text), ``negative_data_rejection`` (booleans accepted as numbers
by the engine's lax model) and ``allow_header_conformance`` (``Allow`` on
``.../participants/{side}/file`` also names the person route that matches the same URL).

The authentication throttle is opened wide for the run: the fuzzer sends wrong keys on
purpose (the ``ignored_auth`` check), and a throttled address would answer 429 to every
later request, leaving the operations behind it untested."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.auth import create_key
from service.db import make_engine, make_sessionmaker, migrate, session_scope
from tests.service.pg import free_port
from tests.service.processes import ROOT, service_env, stop, wait_for

pytestmark = pytest.mark.slow

SEED = 20261207
MAX_EXAMPLES = 10
"""Examples per operation and phase: with ``MAX_SECONDS``, the budget of one run."""
MAX_SECONDS = 100
"""The whole run's time budget (schemathesis' ``--max-time``), per database."""
BIN = Path(sys.executable).parent
OPEN_FINDINGS = (
    "positive_data_acceptance",
    "negative_data_rejection",
    "allow_header_conformance",
)
"""Checks left out until their findings are fixed (module docstring)."""


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A ``marraine serve`` on a free loopback port, and a global admin key for it."""
    engine = make_engine(database_url)
    migrate(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        _row, key = create_key(session, "admin", None)
    engine.dispose()
    port = free_port()
    env = service_env(
        database_url,
        MARRAINE_AUTH_FAILURES_PER_ADDRESS="1000000/minute",
        MARRAINE_AUTH_FAILURES_PER_KEY="1000000/minute",
        MARRAINE_MAX_BATCH_MENTEES="50",
        MARRAINE_MAX_BATCH_MENTORS="50",
    )
    with (tmp_path / "serve.log").open("ab") as log:
        process = subprocess.Popen(
            [str(BIN / "marraine"), "serve", "--port", str(port), "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(healthy, "marraine serve to answer /health")
        yield url, key
    finally:
        stop(process)


def test_the_fuzzer_finds_nothing(server: tuple[str, str], tmp_path: Path) -> None:
    url, key = server
    command = [
        str(BIN / "st"),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        ",".join(OPEN_FINDINGS),
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--header",
        f"Authorization: Bearer {key}",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(MAX_SECONDS),
        "--workers",
        "1",
        "--continue-on-failure",
        "--no-shrink",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-2_000:]
