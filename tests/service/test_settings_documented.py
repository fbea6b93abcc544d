"""Every service setting is in the README's table, under the variable that sets it."""

from __future__ import annotations

from service.settings import Settings
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
