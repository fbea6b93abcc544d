"""Alembic environment: migrates the connection handed over by service.db.migrate, or
the database named by the settings when run from the alembic command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from service.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from service.db import make_engine
    from service.settings import get_settings

    with make_engine(get_settings().database_url).begin() as own_connection:
        _run(own_connection)
