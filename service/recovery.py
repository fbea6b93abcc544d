"""Recovering the runs of lost workers, on any host.

A worker is lost when its row in ``workers`` is gone or its heartbeat is older than
``worker_timeout_seconds`` by the database's clock (hosts' clocks need not agree). Its
running runs are *settled*: cancelled when a coordinator asked for it, failed with
``{"type": "worker_lost"}`` once ``max_run_attempts`` workers were lost on them, and
otherwise queued again for any worker. Every change is a conditional ``UPDATE`` on
``status = 'running'`` and the worker's id, so a worker storing its result at the same
moment, or a second recoverer, cannot both win.

Runs claimed before workers had rows (no ``worker_id``) are settled when their own
heartbeat is older than ``stale_after_seconds``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, true, update
from sqlalchemy.orm import Session, sessionmaker

from service.db import is_sqlite, session_scope
from service.models import Run, RunWorker, utcnow
from service.settings import Settings

__all__ = ["QUEUED_AGAIN", "database_now", "recover_lost_runs", "release_worker"]

log = logging.getLogger("service.worker")

QUEUED_AGAIN: dict[str, Any] = {
    "status": "queued",
    "worker_id": None,
    "worker_pid": None,
    "worker_host": None,
    "started_at": None,
    "heartbeat_at": None,
    "progress": 0.0,
    "step": None,
}
"""The values that put a claimed run back in the queue (its ``attempts`` are kept)."""


def database_now(session: Session) -> datetime:
    """The database server's clock (PostgreSQL), shared by every host; SQLite is local."""
    if is_sqlite(session.get_bind().engine):
        return utcnow()
    now = session.scalar(select(func.now()))
    assert isinstance(now, datetime)
    return now.astimezone(UTC)


def recover_lost_runs(sessions: sessionmaker[Session], settings: Settings) -> int:
    """Settle the running runs of every lost worker and forget those workers; returns
    how many runs were settled."""
    with session_scope(sessions) as session:
        now = database_now(session)
        cutoff = now - timedelta(seconds=settings.worker_timeout_seconds)
        lost = session.scalars(
            select(Run.worker_id)
            .distinct()
            .outerjoin(RunWorker, RunWorker.id == Run.worker_id)
            .where(
                Run.status == "running",
                Run.worker_id.is_not(None),
                or_(RunWorker.id.is_(None), RunWorker.heartbeat_at < cutoff),
            )
        ).all()
        settled = sum(len(_settle(session, settings, Run.worker_id == w, now)) for w in lost)
        # Run heartbeats are written with the worker host's clock.
        silent_since = utcnow() - timedelta(seconds=settings.stale_after_seconds)
        legacy = and_(
            Run.worker_id.is_(None),
            func.coalesce(Run.heartbeat_at, Run.started_at) < silent_since,
        )
        settled += len(_settle(session, settings, legacy, now))
        session.execute(delete(RunWorker).where(RunWorker.heartbeat_at < cutoff))
    return settled


def release_worker(sessions: sessionmaker[Session], settings: Settings, worker_id: str) -> int:
    """Forget a worker known to be gone (``serve`` reaped it) and settle its runs at
    once; returns how many runs were settled."""
    with session_scope(sessions) as session:
        settled = _settle(session, settings, Run.worker_id == worker_id, database_now(session))
        session.execute(delete(RunWorker).where(RunWorker.id == worker_id))
    return len(settled)


def _settle(
    session: Session, settings: Settings, which: ColumnElement[bool], now: datetime
) -> list[str]:
    running = (
        update(Run)
        .where(Run.status == "running", which)
        .execution_options(synchronize_session=False)
    )
    lost = {"type": "worker_lost", "reason": "the worker running it stopped"}
    exhausted = {
        "type": "worker_lost",
        "reason": f"the workers running it stopped {settings.max_run_attempts} times",
    }
    outcomes = (
        ("cancelled", Run.cancel_requested.is_(True), {"status": "cancelled"}),
        (
            "failed",
            Run.attempts >= settings.max_run_attempts,
            {"status": "failed", "error": exhausted if settings.max_run_attempts > 1 else lost},
        ),
        ("queued", true(), QUEUED_AGAIN),
    )
    settled = []
    for outcome, condition, values in outcomes:
        if outcome != "queued":
            values = {**values, "finished_at": now}
        changed = session.scalars(running.where(condition).values(values).returning(Run.id))
        for run_id in changed.all():
            log.warning(
                "worker lost; run settled",
                extra={"fields": {"run_id": run_id, "outcome": outcome}},
            )
            settled.append(run_id)
    return settled
