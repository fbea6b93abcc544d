"""Database engine, sessions and start-up migrations (SQLite by default, PostgreSQL too)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, TypeVarTuple, cast

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    Connection,
    CursorResult,
    Engine,
    Insert,
    Result,
    Select,
    Table,
    create_engine,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = [
    "BIND_LIMIT",
    "batches",
    "bulk_insert",
    "checkpoint",
    "insert_from_select",
    "is_sqlite",
    "json_text",
    "json_value",
    "lock_row",
    "make_engine",
    "make_sessionmaker",
    "migrate",
    "rowcount",
    "session_scope",
]

K = TypeVar("K", str, int)
Ts = TypeVarTuple("Ts")

BIND_LIMIT = 500
"""At most this many ids bound in one query (SQLite refuses more than 32,766 variables;
PostgreSQL plans long ``IN`` lists slowly)."""


def batches(ids: Iterable[K]) -> Iterator[list[K]]:
    """``ids``, sorted and distinct, in batches of at most ``BIND_LIMIT`` (for IN lists)."""
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), BIND_LIMIT):
        yield wanted[start : start + BIND_LIMIT]


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def bulk_insert(session: Session, entity: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert many rows of a mapped class's table (dicts keyed by column name, all with
    the same keys) within the session's transaction: ``COPY`` on PostgreSQL, the
    driver's ``executemany`` of plain tuples elsewhere. Both skip the ORM's per-object
    bookkeeping and SQLAlchemy's per-row parameter handling, which dominated the time to
    store a large run; each value goes through its column type's own conversion (JSON
    as text, UTC datetimes). Columns left out take their server defaults (the ids), not
    Python-side ones: give every other column."""
    if not rows:
        return
    table = cast(Table, entity.__table__)
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    names = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if dialect.name == "postgresql":
        convert = [_copy_converter(table.c[name].type, dialect) for name in columns]
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([to(row[name]) for name, to in zip(columns, convert, strict=True)])
        return
    binds = [(name, _bind_processor(table.c[name].type, dialect)) for name in columns]
    marks = ", ".join("?" for _ in columns)  # the qmark style of the SQLite driver
    cursor.executemany(
        f"INSERT INTO {table.name} ({names}) VALUES ({marks})",
        (
            tuple(row[name] if bind is None else bind(row[name]) for name, bind in binds)
            for row in rows
        ),
    )
    cursor.close()


def _bind_processor(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """How SQLAlchemy itself converts a value of this type for the driver (None: as it
    is)."""
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def _copy_converter(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """How a value is written by ``COPY``: JSON as its text, a type decorator's value as
    it binds it (UTC datetimes), anything else as the driver adapts it."""
    if isinstance(column_type, JSON):
        return lambda value: None if value is None else json_text(value)
    if isinstance(column_type, TypeDecorator):
        return lambda value: column_type.process_bind_param(value, dialect)
    return lambda value: value


def insert_from_select(
    session: Session,
    entity: type[Any],
    columns: list[str],
    rows: Select[*Ts],
    skip_existing: bool = False,
) -> int:
    """``INSERT INTO`` a mapped class's table ``(columns) SELECT ...`` within the
    session's transaction: rows made by the database from others, none through Python.
    ``skip_existing``: a row whose unique key is taken already is left out
    (``ON CONFLICT DO NOTHING``, which SQLite and PostgreSQL share) rather than refused.
    Returns how many rows it inserted (the driver's count, which SQLAlchemy keeps for an
    INSERT only when asked)."""
    table = cast(Table, entity.__table__)
    dialect = session.get_bind().dialect.name
    if skip_existing:
        upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement: Insert = upsert(table).from_select(columns, rows).on_conflict_do_nothing()
    else:
        statement = insert(table).from_select(columns, rows)
    return rowcount(session.execute(statement.execution_options(preserve_rowcount=True)))


def rowcount(result: Result[Any]) -> int:
    """Rows an INSERT, UPDATE or DELETE wrote (its result is a cursor result)."""
    return int(cast(CursorResult[Any], result).rowcount)


def lock_row(
    session: Session,
    key: InstrumentedAttribute[Any],
    value: object,
    touch: InstrumentedAttribute[Any],
) -> None:
    """Hold a write lock on the row whose ``key`` is ``value`` until the session's
    transaction ends, so that writers taking the same lock go one at a time and each
    reads what the previous one committed.

    On PostgreSQL this is ``SELECT ... FOR UPDATE`` (a row lock: other rows stay free;
    later statements of a READ COMMITTED transaction see every commit made before the lock
    was granted). SQLite has no row locks and ignores ``FOR UPDATE``: a no-op ``UPDATE``
    of ``touch`` (a column that is not a key, so no foreign key is re-checked) makes the
    driver open the transaction and take the database's write lock, which SQLite keeps
    until commit; other writers wait for it (``busy_timeout``) and then read from a fresh
    snapshot. This relies on the driver's default of opening a transaction at the first
    write only: the session must not have read inside a transaction before the lock.
    Objects already loaded in the session are not refreshed: read again after the lock
    (``populate_existing``) whatever the decision depends on.
    """
    if is_sqlite(session.get_bind().engine):
        entity = key.class_
        session.execute(
            update(entity)
            .where(key == value)
            .values({touch.key: touch})
            .execution_options(synchronize_session=False)
        )
    else:
        session.execute(select(key).where(key == value).with_for_update())


def json_text(value: Any) -> str:
    """JSON columns' text (orjson: several times faster than the standard library on a
    run's evidence; non-string keys become strings as with ``json.dumps``)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def json_value(text: str | bytes) -> Any:
    """A JSON column's value, decoded with orjson (a run's evidence is the bulk of what
    exports read), falling back to the standard library for what orjson refuses and
    older rows may hold (``NaN``, integers beyond 64 bits)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys, a busy timeout and secure
    deletion. Statement errors never quote their parameters (``hide_parameters``): a
    refused row's values are personal data and would reach the logs in a traceback."""
    if url.startswith("sqlite"):
        # The server's threads and the worker process share the file: wait for locks
        # rather than failing at once.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
            json_serializer=json_text,
            json_deserializer=json_value,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,
        json_serializer=json_text,
        json_deserializer=json_value,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Deleted rows are overwritten with zeros, so an erased person leaves no bytes behind.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def checkpoint(bind: Engine | Connection) -> None:
    """Copy SQLite's write-ahead log into the database file and empty it (after an
    erasure: the log still holds the erased rows' old pages). No-op on PostgreSQL."""
    engine = bind if isinstance(bind, Engine) else bind.engine
    if not is_sqlite(engine):
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    with factory() as session, session.begin():
        yield session


MIGRATION_LOCK = 0x4D415252  # "MARR": the PostgreSQL advisory lock that serialises migrations


def migrate(engine: Engine) -> None:
    """Apply the alembic migrations packaged in ``service/migrations`` up to head. On
    PostgreSQL, processes starting together (API processes and workers on several hosts)
    take turns: the first migrates, the others then find the schema at head."""
    # Next to this module: works for an installed, an editable and a namespace package.
    here = Path(__file__).resolve().parent
    config = Config(str(here / "alembic.ini"))
    config.set_main_option("script_location", str(here / "migrations"))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends, with the migrations it applied.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
