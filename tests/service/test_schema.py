"""Property-based tests from the OpenAPI schema (schemathesis, bounded examples): for
every operation, generated requests never get a 5xx nor an answer outside the schema.

The app is built at import time because schemathesis reads the schema when pytest
collects the test (its fixture-based loader does not work with this pytest)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from service.app import create_app
from service.auth import create_key
from service.db import session_scope
from service.settings import Settings

_FOLDER = Path(tempfile.mkdtemp(prefix="marraine-schema-"))
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)
APP = create_app(
    Settings(
        database_url=f"sqlite:///{_FOLDER / 'marraine.db'}",
        secret_key="test-secret",
        max_batch_mentees=50,
        max_batch_mentors=50,
        log_level="WARNING",
    )
)
with session_scope(APP.state.sessions) as _session:
    _row, ADMIN_KEY = create_key(_session, "admin", None)

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_error_and_answers_match_the_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
