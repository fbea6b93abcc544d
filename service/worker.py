"""The run worker: claims queued runs, executes :func:`matching.match` with progress and
heartbeats, stores results, and fails runs whose worker died.

The ``runs`` table is the source of truth. Claiming is atomic: PostgreSQL uses
``FOR UPDATE SKIP LOCKED``; SQLite a conditional ``UPDATE ... WHERE status = 'queued'``
(SQLite serialises writers, so only one claim succeeds). A run whose worker is gone —
same host and its pid no longer alive, or a heartbeat older than
``stale_after_seconds`` — is marked failed with a reason, on start and periodically.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any, cast

import pandas as pd
from sqlalchemy import CursorResult, Engine, Result, select, update
from sqlalchemy.orm import Session, sessionmaker

from matching.errors import MatchingError
from matching.model import Programme as EngineProgramme
from matching.result import MatchResult
from service import engine as matching_engine
from service.db import is_sqlite, make_engine, make_sessionmaker, migrate, session_scope
from service.logs import configure_logging
from service.models import (
    Participant,
    ProgrammeVersion,
    Run,
    RunAlternative,
    RunGap,
    RunPair,
    RunUnmatched,
    utcnow,
)
from service.settings import Settings, get_settings

__all__ = ["Worker", "main", "pid_alive"]

log = logging.getLogger("service.worker")


class CancelledError(Exception):
    """Raised from the progress callback when a coordinator cancelled the run."""


class LostClaimError(Exception):
    """Raised when the run is no longer ours (declared failed by another worker)."""


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class Worker:
    """Executes queued runs one at a time. ``run_once`` is what tests drive directly."""

    def __init__(
        self, settings: Settings, engine: Engine | None = None, parent_pid: int | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url)
        self.sessions: sessionmaker[Session] = make_sessionmaker(self.engine)
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.stopping = threading.Event()
        self.parent_pid = parent_pid
        """When set (by ``serve``), the worker stops once that parent process is gone."""

    # ----------------------------------------------------------------- recovery

    def recover(self) -> int:
        """Fail running runs whose worker is gone; returns how many were failed."""
        now = utcnow()
        failed = 0
        with session_scope(self.sessions) as session:
            running = session.scalars(select(Run).where(Run.status == "running")).all()
            for run in running:
                reason = self._gone(run, now)
                if reason is None:
                    continue
                changed = _rowcount(
                    session.execute(
                        update(Run)
                        .where(
                            Run.id == run.id,
                            Run.status == "running",
                            Run.worker_pid == run.worker_pid,
                        )
                        .values(
                            status="failed",
                            finished_at=now,
                            error={"type": "worker_lost", "reason": reason},
                        )
                    )
                )
                if changed:
                    failed += 1
                    log.warning("run failed: worker lost", extra={"fields": {"run_id": run.id}})
        return failed

    def _gone(self, run: Run, now: Any) -> str | None:
        if run.worker_pid == self.pid and run.worker_host == self.host:
            return None
        if run.worker_host == self.host and run.worker_pid and not pid_alive(run.worker_pid):
            return "the worker process stopped while the run was going"
        beat = run.heartbeat_at or run.started_at
        if beat is None or (now - beat).total_seconds() > self.settings.stale_after_seconds:
            return "no heartbeat from the worker"
        return None

    # ----------------------------------------------------------------- claiming

    def claim(self) -> str | None:
        """Atomically take the oldest queued run; returns its id, or None."""
        now = utcnow()
        claimed = {
            "status": "running",
            "worker_pid": self.pid,
            "worker_host": self.host,
            "started_at": now,
            "heartbeat_at": now,
            "progress": 0.0,
        }
        with session_scope(self.sessions) as session:
            query = select(Run.id).where(Run.status == "queued").order_by(Run.created_at, Run.id)
            if is_sqlite(self.engine):
                for run_id in session.scalars(query.limit(5)).all():
                    changed = _rowcount(
                        session.execute(
                            update(Run)
                            .where(Run.id == run_id, Run.status == "queued")
                            .values(**claimed)
                        )
                    )
                    if changed == 1:
                        return run_id
                return None
            found = session.scalars(query.limit(1).with_for_update(skip_locked=True)).first()
            if found is None:
                return None
            session.execute(update(Run).where(Run.id == found).values(**claimed))
            return found

    # ----------------------------------------------------------------- running

    def run_once(self) -> str | None:
        """Claim and execute one run; returns its id, or None when the queue was empty."""
        run_id = self.claim()
        if run_id is None:
            return None
        log.info("run started", extra={"fields": {"run_id": run_id}})
        try:
            result = self._execute(run_id)
        except CancelledError:
            self._finish(run_id, "cancelled", None)
        except LostClaimError:
            log.warning("run taken away", extra={"fields": {"run_id": run_id}})
        except MatchingError as error:
            # Engine errors name fields, rows and reasons, never values (matching.errors).
            self._finish(run_id, "failed", {"type": type(error).__name__, "reason": str(error)})
        else:
            self._store(run_id, result)
        return run_id

    def _execute(self, run_id: str) -> MatchResult:
        with session_scope(self.sessions) as session:
            run = session.get(Run, run_id)
            assert run is not None
            version = session.get(ProgrammeVersion, (run.programme_id, run.version))
            assert version is not None
            programme = EngineProgramme.from_dict(version.config)
            mentees = _frame(session, run.programme_id, "mentee")
            mentors = _frame(session, run.programme_id, "mentor")
            objective = run.objective
            locked = [(a, b) for a, b in run.locked or []]
            forbidden = [(a, b) for a, b in run.forbidden or []]
            incumbent = [(a, b) for a, b in run.incumbent or []]
        return matching_engine.match(
            mentees,
            mentors,
            programme,
            objective=objective,  # type: ignore[arg-type]  # validated by RunIn
            locked=locked,
            forbidden=forbidden,
            incumbent=incumbent,
            progress=_Progress(self, run_id),
        )

    def _finish(self, run_id: str, status: str, error: dict[str, Any] | None) -> None:
        with session_scope(self.sessions) as session:
            session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "running", Run.worker_pid == self.pid)
                .values(status=status, error=error, finished_at=utcnow())
            )
        log.info("run ended", extra={"fields": {"run_id": run_id, "status": status}})

    def _store(self, run_id: str, result: MatchResult) -> None:
        """Store the result and mark the run succeeded in one transaction — unless the run
        was declared failed or cancelled meanwhile."""
        with session_scope(self.sessions) as session:
            run = session.get(Run, run_id, with_for_update=not is_sqlite(self.engine))
            if run is None or run.status != "running" or run.worker_pid != self.pid:
                return
            if run.cancel_requested:
                run.status, run.finished_at = "cancelled", utcnow()
                return
            # People erased while the run was going must not come back through its result.
            present = {
                (p.side, p.person_id)
                for p in session.scalars(
                    select(Participant).where(Participant.programme_id == run.programme_id)
                )
            }
            decided = {(a, b): "locked" for a, b in run.locked or []}
            previous = _previous_decisions(session, run)
            for position, pair in enumerate(result.pairs):
                if ("mentee", pair.mentee_id) not in present or (
                    "mentor",
                    pair.mentor_id,
                ) not in present:
                    continue
                key = (pair.mentee_id, pair.mentor_id)
                session.add(
                    RunPair(
                        run_id=run.id,
                        position=position,
                        mentee_id=pair.mentee_id,
                        mentor_id=pair.mentor_id,
                        score=float(pair.score),
                        contributions={k: float(v) for k, v in pair.contributions.items()},
                        why=pair.why,
                        evidence=[e.to_dict() for e in pair.evidence],
                        decision=previous.get(key, decided.get(key, "suggested")),
                    )
                )
            for item in result.unmatched:
                if ("mentee", item.mentee_id) in present:
                    session.add(
                        RunUnmatched(
                            run_id=run.id,
                            mentee_id=item.mentee_id,
                            reason=item.reason,
                            detail=item.detail,
                            evidence=item.evidence.to_dict() if item.evidence else None,
                        )
                    )
            for mentee_id, alternatives in result.alternatives.items():
                for rank, alt in enumerate(alternatives):
                    if ("mentee", mentee_id) in present and ("mentor", alt.mentor_id) in present:
                        session.add(
                            RunAlternative(
                                run_id=run.id,
                                mentee_id=mentee_id,
                                rank=rank,
                                mentor_id=alt.mentor_id,
                                score=float(alt.score),
                                spare_capacity=int(alt.spare_capacity),
                                contributions=dict(alt.contributions),
                            )
                        )
            for gap in result.gaps:
                session.add(
                    RunGap(run_id=run.id, need=gap.need, language=gap.language, mentees=gap.mentees)
                )
            run.summary = result.summary.to_dict()
            run.status = "succeeded"
            run.progress = 1.0
            run.step = "done"
            run.finished_at = utcnow()
            run.heartbeat_at = run.finished_at
        log.info("run ended", extra={"fields": {"run_id": run_id, "status": "succeeded"}})

    # ----------------------------------------------------------------- loop

    def serve_forever(self) -> None:
        """Recover, then claim and run until stopped; recovery repeats periodically."""
        self.recover()
        last_recovery = time.monotonic()
        while not self.stopping.is_set():
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                log.warning("server gone; worker stopping")
                break
            try:
                if time.monotonic() - last_recovery > self.settings.heartbeat_seconds * 5:
                    self.recover()
                    last_recovery = time.monotonic()
                ran = self.run_once()
            except Exception:
                # The loop must outlive any single run: an unexpected error (a bug, a
                # database hiccup) is logged without its message, which could quote data,
                # and the run it hit is failed rather than left running.
                log.exception("worker loop error")
                self._fail_own_runs()
                ran = None
            if ran is None:
                self.stopping.wait(self.settings.worker_poll_seconds)

    def _fail_own_runs(self) -> None:
        try:
            with session_scope(self.sessions) as session:
                session.execute(
                    update(Run)
                    .where(
                        Run.status == "running",
                        Run.worker_pid == self.pid,
                        Run.worker_host == self.host,
                    )
                    .values(
                        status="failed",
                        finished_at=utcnow(),
                        error={"type": "internal", "reason": "unexpected error in the worker"},
                    )
                )
        except Exception:
            # Same reason as in serve_forever: the database may be what failed; the
            # next worker's recovery will fail the run instead.
            log.exception("could not mark the run failed")


def _rowcount(result: Result[Any]) -> int:
    """Rows changed by an UPDATE (its result is a cursor result)."""
    return int(cast(CursorResult[Any], result).rowcount)


def _previous_decisions(session: Session, run: Run) -> dict[tuple[str, str], str]:
    """A rematch shows the decisions it honoured: approved/locked pairs keep their label."""
    if run.rematch_of is None:
        return {}
    rows = session.scalars(
        select(RunPair).where(
            RunPair.run_id == run.rematch_of, RunPair.decision.in_(("approved", "locked"))
        )
    )
    return {(r.mentee_id, r.mentor_id): r.decision for r in rows}


def _frame(session: Session, programme_id: str, side: str) -> pd.DataFrame:
    rows = session.scalars(
        select(Participant)
        .where(Participant.programme_id == programme_id, Participant.side == side)
        .order_by(Participant.person_id)
    ).all()
    if not rows:
        return pd.DataFrame({"id": []})
    return pd.DataFrame.from_records([{"id": r.person_id, **r.data} for r in rows])


class _Progress:
    """The engine's progress callback: writes progress and heartbeat (throttled) and
    stops the run when a cancel was requested or the run is no longer ours."""

    def __init__(self, worker: Worker, run_id: str) -> None:
        self.worker = worker
        self.run_id = run_id
        self.last = 0.0
        self.step: str | None = None

    def __call__(self, step: str, done: float) -> None:
        now = time.monotonic()
        if step == self.step and now - self.last < self.worker.settings.heartbeat_seconds:
            return
        self.step, self.last = step, now
        with session_scope(self.worker.sessions) as session:
            changed = _rowcount(
                session.execute(
                    update(Run)
                    .where(
                        Run.id == self.run_id,
                        Run.status == "running",
                        Run.worker_pid == self.worker.pid,
                    )
                    .values(progress=min(1.0, max(0.0, done)), step=step, heartbeat_at=utcnow())
                )
            )
            cancel = session.scalar(select(Run.cancel_requested).where(Run.id == self.run_id))
        if not changed:
            raise LostClaimError
        if cancel:
            raise CancelledError


def main(settings: Settings | None = None, parent_pid: int | None = None) -> None:
    """Run a worker in this process until SIGTERM / SIGINT (or, with ``parent_pid``,
    until that parent process is gone)."""
    import signal

    settings = settings or get_settings()
    configure_logging(settings.log_level)
    engine = make_engine(settings.database_url)
    migrate(engine)
    worker = Worker(settings, engine, parent_pid)

    def stop(signum: int, frame: object) -> None:
        worker.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker started", extra={"fields": {"pid": worker.pid}})
    worker.serve_forever()
