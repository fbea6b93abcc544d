"""Migration 0011 on SQLite and PostgreSQL: people stored before it are approved (runs
keep reading them), and it goes back down to 0010."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

import service

MIGRATIONS = Path(service.__file__).resolve().parent


def _alembic(connection: object) -> Config:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS / "migrations"))
    config.attributes["connection"] = connection
    return config


def test_people_stored_before_sign_ups_are_approved(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(_alembic(connection), "0010")
        connection.execute(
            text("INSERT INTO programmes (id, name, version, created_at) VALUES ('p', 'P', 1, :t)"),
            {"t": "2026-01-01 00:00:00"},
        )
        connection.execute(
            text(
                "INSERT INTO participants (programme_id, side, person_id, data, updated_at)"
                " VALUES ('p', 'mentee', 'e1', '{}', :t)"
            ),
            {"t": "2026-01-01 00:00:00"},
        )
    with engine.begin() as connection:
        command.upgrade(_alembic(connection), "0011")
        assert connection.execute(text("SELECT status FROM participants")).scalar() == "approved"
    with engine.begin() as connection:
        command.downgrade(_alembic(connection), "0010")
        assert connection.execute(text("SELECT count(*) FROM participants")).scalar() == 1
    engine.dispose()
