"""The published contract fuzzed as an integrator would: schemathesis' command line
against a real ``marraine serve`` (one supervised worker) on SQLite and on PostgreSQL,
with every check and every phase (examples, coverage, fuzzing, stateful), a fixed seed
and a bounded budget. Any finding fails the test and its report is printed.

The document states every constraint JSON Schema can express (a page's ``maximum`` from
the ``max_page_size`` setting, no control characters in any text, the upload's file name
rule, strict numbers and booleans). A few operations also refuse, with a documented 422
naming the field and reason, requests the document cannot describe: rules across fields
of one configuration (unique criterion names, a weight above 0, quotas and ``stable``),
what another part of the request or the stored state decides (the columns the
programme's criteria read, ranked ids that must be participants), and a file's name and
rows (the name rule is stated on the part's ``Content-Disposition``, which schemathesis
does not generate: it names every part ``file``). For those operations only
(:data:`STATE_DEPENDENT`), the ``positive_data_acceptance`` check expects 422 besides
its defaults, through schemathesis' own per-operation configuration (``[[operations]]``
with ``include-name`` and ``checks.positive_data_acceptance.expected-statuses`` in a
``schemathesis.toml`` given with ``--config-file``); every other operation, and every
other check, keeps schemathesis' defaults.

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
STATE_DEPENDENT = {
    "POST /v1/match": "rules across the configuration's fields, the columns its criteria "
    "read, ranked and scored ids that must be among the participants",
    "POST /v1/programmes": "rules across the configuration's fields; a TOML body that is "
    "no configuration",
    "PUT /v1/programmes/{programme_id}/config": "likewise",
    "POST /v1/programmes/{programme_id}/participants/{side}": "the columns the stored "
    "programme's criteria and rules read",
    "POST /v1/programmes/{programme_id}/participants/{side}/file": "the file's rows and "
    "columns, read against the stored programme",
    "PUT /v1/programmes/{programme_id}/ranks/{side}": "the file's rows; every id must be a "
    "stored participant",
}
"""Operations that may refuse a request valid by the document with 422, and why."""
POSITIVE_STATUSES = ("2xx", "3xx", "401", "403", "404", "409", "429", "5xx")
"""schemathesis' default expected statuses for ``positive_data_acceptance``."""


def fuzzer_config(path: Path) -> Path:
    """A ``schemathesis.toml`` letting the :data:`STATE_DEPENDENT` operations, and no
    other, answer 422 to requests valid by the document."""
    statuses = ", ".join(f'"{status}"' for status in (*POSITIVE_STATUSES, "422"))
    sections = [
        f'[[operations]]\n# {why}\ninclude-name = "{name}"\n'
        f"checks.positive_data_acceptance.expected-statuses = [{statuses}]\n"
        for name, why in STATE_DEPENDENT.items()
    ]
    path.write_text("\n".join(sections))
    return path


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
        "--config-file",
        str(fuzzer_config(tmp_path / "schemathesis.toml")),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
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
    print(run.stdout.strip().splitlines()[-1])  # the summary line, shown with -rP
