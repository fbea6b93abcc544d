"""Every service setting is in the README's table, under the variable that sets it; a
variable that no setting reads is named at start-up."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from service.app import create_app
from service.settings import Settings, unknown_variables
from tests.service.processes import ROOT


def test_every_setting_is_documented_under_its_variable() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Service settings", 1)[1].split("\n## ", 1)[0]
    missing = []
    for name in Settings.model_fields:
        variable = "DATABASE_URL" if name == "database_url" else f"MARRAINE_{name.upper()}"
        suffix = "_" + name.upper().removeprefix("SMTP_")  # the SMTP row lists suffixes
        in_smtp_row = name.startswith("smtp_") and f"`{suffix}`" in table
        if f"`{variable}`" not in table and not in_smtp_row:
            missing.append(variable)
    assert missing == []


def test_a_misspelt_setting_variable_is_named_with_the_setting_it_resembles() -> None:
    environ = {
        "MARRAINE_WORKER_TIMEOUT_SECOND": "30",  # one letter short: silently unused before
        "MARRAINE_SMTP_HOST": "mail.example.org",
        "DATABASE_URL": "sqlite://",
        "MARRAINE_URL": "http://127.0.0.1:8000",  # the notebooks' service address
        "HOME": "/root",
    }
    assert unknown_variables(environ) == [
        ("MARRAINE_WORKER_TIMEOUT_SECOND", "MARRAINE_WORKER_TIMEOUT_SECONDS")
    ]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_service_logs_an_unknown_variable_by_name_never_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARRAINE_SMTP_PASWORD", "hunter2-secret")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}")
    seen = _Records()
    logger = logging.getLogger("service.settings")
    logger.addHandler(seen)
    try:
        create_app(settings)
    finally:
        logger.removeHandler(seen)
    assert [r.fields for r in seen.records] == [  # type: ignore[attr-defined]
        {"variable": "MARRAINE_SMTP_PASWORD", "did_you_mean": "MARRAINE_SMTP_PASSWORD"}
    ]
    assert not any("hunter2" in seen.format(r) for r in seen.records)
