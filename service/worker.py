"""The run worker: claims queued runs, executes :func:`matching.match` with progress,
stores results, and recovers the runs of lost workers.

The ``runs`` table is the queue and the source of truth; any number of workers, on any
hosts, share it. Claiming is one atomic ``UPDATE``: on PostgreSQL its subquery takes the
oldest queued run ``FOR UPDATE SKIP LOCKED``; SQLite serialises writers, so the
conditional ``UPDATE ... WHERE status = 'queued'`` succeeds for one worker only.

Each worker has a row in ``workers`` whose heartbeat a thread refreshes every
``heartbeat_seconds`` — while the worker's loop advances; a run silent for
``stale_after_seconds`` means the worker is hung, and it exits (``EXIT_HUNG``) for its
supervisor to replace it. Every worker periodically settles the runs of lost workers
(:mod:`service.recovery`). On SIGTERM, or when the ``serve`` that started it is gone, a
worker hands its run back to the queue at the next progress report and stops.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from matching import process_settings
from matching.errors import InputWarning, MatchingError, StrictInputError
from matching.model import Programme as EngineProgramme
from matching.result import MatchResult
from service import engine as matching_engine
from service.carry_over import prioritise
from service.db import (
    bulk_insert,
    make_engine,
    make_sessionmaker,
    migrate,
    rowcount,
    session_scope,
)
from service.delivery import DeliveryReport, deliver_due
from service.logs import configure_logging
from service.models import (
    Participant,
    ProgrammeVersion,
    Run,
    RunAlternative,
    RunGap,
    RunPair,
    RunUnmatched,
    RunWorker,
    new_id,
    utcnow,
)
from service.ops.participants import side_frame
from service.recovery import QUEUED_AGAIN, database_now, recover_lost_runs, release_worker
from service.settings import Settings, get_settings, warn_unknown_variables

__all__ = ["EXIT_HUNG", "Worker", "main"]

log = logging.getLogger("service.worker")

EXIT_HUNG = 70
"""The exit status of a worker that found itself hung (EX_SOFTWARE)."""


class CancelledError(Exception):
    """Raised from the progress callback when a coordinator cancelled the run."""


class LostClaimError(Exception):
    """Raised when the run is no longer ours (another worker settled it)."""


class StoppingError(Exception):
    """Raised from the progress callback when the worker was asked to stop."""


class Worker:
    """Executes queued runs one at a time. ``run_once`` is what tests drive directly."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        parent_pid: int | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url)
        self.sessions: sessionmaker[Session] = make_sessionmaker(self.engine)
        self.id = worker_id or new_id("wrk")
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.stopping = threading.Event()
        self.parent_pid = parent_pid
        """When set (by ``serve``), the worker stops once that parent process is gone."""
        self.last_beat = float("-inf")
        self.last_alive = time.monotonic()
        """When the loop or the run last showed progress (``time.monotonic``)."""
        self._beating = threading.Lock()

    # ----------------------------------------------------------------- liveness

    def beat(self) -> None:
        """Refresh this worker's heartbeat, registering it when it has no row (first
        beat, or forgotten after a silence longer than ``worker_timeout_seconds``)."""
        with self._beating, session_scope(self.sessions) as session:
            now = database_now(session)
            changed = rowcount(
                session.execute(
                    update(RunWorker).where(RunWorker.id == self.id).values(heartbeat_at=now)
                )
            )
            if not changed:
                session.add(
                    RunWorker(
                        id=self.id, host=self.host, pid=self.pid, started_at=now, heartbeat_at=now
                    )
                )
        self.last_beat = time.monotonic()

    def retire(self) -> None:
        """Remove this worker's row (its runs, if any, are settled like a lost worker's)."""
        release_worker(self.sessions, self.settings, self.id)

    def recover(self) -> int:
        """Settle the runs of lost workers; returns how many (see :mod:`service.recovery`)."""
        return recover_lost_runs(self.sessions, self.settings)

    # ----------------------------------------------------------------- claiming

    def claim(self) -> str | None:
        """Atomically take the oldest queued run; returns its id, or None."""
        now = utcnow()
        oldest = (
            select(Run.id)
            .where(Run.status == "queued")
            .order_by(Run.created_at, Run.id)
            .limit(1)
            .with_for_update(skip_locked=True)  # not rendered on SQLite
            .scalar_subquery()
        )
        with session_scope(self.sessions) as session:
            return session.scalar(
                update(Run)
                .where(Run.id == oldest, Run.status == "queued")
                .values(
                    status="running",
                    worker_id=self.id,
                    worker_pid=self.pid,
                    worker_host=self.host,
                    started_at=now,
                    heartbeat_at=now,
                    progress=0.0,
                    attempts=Run.attempts + 1,
                )
                .returning(Run.id)
                .execution_options(synchronize_session=False)
            )

    # ----------------------------------------------------------------- running

    def run_once(self) -> str | None:
        """Claim and execute one run; returns its id, or None when the queue was empty."""
        if time.monotonic() - self.last_beat > self.settings.heartbeat_seconds:
            self.beat()  # a claim is only made by a worker with a fresh row
        run_id = self.claim()
        if run_id is None:
            return None
        log.info("run started", extra={"fields": {"run_id": run_id, "worker_id": self.id}})
        try:
            result = self._execute(run_id)
        except CancelledError:
            self._finish(run_id, {"status": "cancelled", "finished_at": utcnow()})
        except StoppingError:
            self._finish(run_id, QUEUED_AGAIN)
        except LostClaimError:
            log.warning("run taken away", extra={"fields": {"run_id": run_id}})
        except MatchingError as error:
            # Engine errors name fields, rows and reasons, never values (matching.errors).
            self._finish(
                run_id, {"status": "failed", "error": _error_body(error), "finished_at": utcnow()}
            )
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
            mentees = side_frame(session, run.programme_id, "mentee", programme)
            mentors = side_frame(session, run.programme_id, "mentor", programme)
            objective = run.objective
            locked = [(a, b) for a, b in run.locked or []]
            forbidden = [(a, b) for a, b in run.forbidden or []]
            incumbent = [(a, b) for a, b in run.incumbent or []]
            mentee_ranks, mentor_ranks = (_ranks(run.ranks, side) for side in ("mentee", "mentor"))
            strict = run.strict
            priority = run.priority
        with process_settings():  # this process is the worker's own (matching._runtime)
            wave = prioritise(
                programme, mentees, mentors, priority, locked=locked, forbidden=forbidden
            )
            return matching_engine.match(
                wave.mentees,
                mentors,
                wave.programme,
                objective=objective,  # type: ignore[arg-type]  # validated by RunIn
                locked=locked,
                forbidden=forbidden,
                incumbent=incumbent,
                progress=_Progress(self, run_id),
                strict=strict,
                mentee_ranks=mentee_ranks,
                mentor_ranks=mentor_ranks,
            )

    def _finish(self, run_id: str, values: dict[str, Any]) -> None:
        """End (or hand back) a run this worker still holds."""
        with session_scope(self.sessions) as session:
            session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "running", Run.worker_id == self.id)
                .values(values)
            )
        log.info("run ended", extra={"fields": {"run_id": run_id, "status": values["status"]}})

    def _store(self, run_id: str, result: MatchResult) -> None:
        """Store the result and mark the run succeeded in one transaction — unless the run
        was settled by a recoverer or cancelled meanwhile."""
        with session_scope(self.sessions) as session:
            # A conditional UPDATE first: it takes the row lock (PostgreSQL) or the write
            # lock (SQLite) until commit, so no recoverer can settle the run meanwhile.
            held = session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "running", Run.worker_id == self.id)
                .values(heartbeat_at=utcnow())
                .returning(Run.cancel_requested)
                .execution_options(synchronize_session=False)
            ).first()
            if held is None:
                log.warning("run taken away", extra={"fields": {"run_id": run_id}})
                return
            run = session.get(Run, run_id)
            assert run is not None
            if held.cancel_requested:
                run.status, run.finished_at = "cancelled", utcnow()
            else:
                for entity, rows in _result_rows(session, run, result).items():
                    bulk_insert(session, entity, rows)
                run.summary = _summary(result)
                run.status, run.progress, run.step = "succeeded", 1.0, "done"
                run.finished_at = run.heartbeat_at = utcnow()
            status = run.status
        log.info("run ended", extra={"fields": {"run_id": run_id, "status": status}})

    def deliver(self) -> DeliveryReport:
        """Send one batch of due introductions and check-in links (between runs)."""
        return deliver_due(self.sessions, self.settings, utcnow())

    # ----------------------------------------------------------------- loop

    def serve_forever(self) -> None:
        """Claim and run until stopped, settling lost workers' runs now and then."""
        last_recovery = float("-inf")
        while not self.stopping.is_set():
            self.last_alive = time.monotonic()
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                log.warning("server gone; worker stopping")
                break
            try:
                if time.monotonic() - last_recovery > self.settings.worker_timeout_seconds / 2:
                    self.recover()
                    last_recovery = time.monotonic()
                ran = self.run_once()
                if ran is None and self.deliver().attempted:
                    ran = "messages"  # more may be due: no pause before the next batch
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
                    .where(Run.status == "running", Run.worker_id == self.id)
                    .values(
                        status="failed",
                        finished_at=utcnow(),
                        error={"type": "internal", "reason": "unexpected error in the worker"},
                    )
                )
        except Exception:
            # Same reason as in serve_forever: the database may be what failed; a
            # recoverer settles the run once this worker's heartbeat is old.
            log.exception("could not mark the run failed")


Rows = list[dict[str, Any]]


def _result_rows(session: Session, run: Run, result: MatchResult) -> dict[type[Any], Rows]:
    """The rows that store a result, per table, without the people erased while the run
    was going (they must not come back through it)."""
    found = session.execute(
        select(Participant.side, Participant.person_id).where(
            Participant.programme_id == run.programme_id
        )
    )
    present = {(side, person_id) for side, person_id in found}
    return {
        RunPair: _pair_rows(session, run, result, present),
        RunUnmatched: [
            {
                "run_id": run.id,
                "mentee_id": i.mentee_id,
                "reason": i.reason,
                "detail": i.detail,
                "evidence": i.evidence.to_dict() if i.evidence else None,
            }
            for i in result.unmatched
            if ("mentee", i.mentee_id) in present
        ],
        RunAlternative: [
            {
                "run_id": run.id,
                "mentee_id": mentee_id,
                "rank": rank,
                "mentor_id": alt.mentor_id,
                "score": float(alt.score),
                "spare_capacity": int(alt.spare_capacity),
                "contributions": dict(alt.contributions),
            }
            for mentee_id, alternatives in result.alternatives.items()
            for rank, alt in enumerate(alternatives)
            if {("mentee", mentee_id), ("mentor", alt.mentor_id)} <= present
        ],
        RunGap: [
            {
                "run_id": run.id,
                "need": g.need,
                "language": g.language,
                "mentees": g.mentees,
                "group": dict(g.group),
                "sharing": g.sharing,
            }
            for g in result.gaps
        ],
    }


def _pair_rows(
    session: Session, run: Run, result: MatchResult, present: set[tuple[str, str]]
) -> Rows:
    """The suggested pairs, labelled with the decisions the run honoured."""
    decided = {(a, b): "locked" for a, b in run.locked or []}
    decided |= _previous_decisions(session, run)
    rows: Rows = []
    for position, pair in enumerate(result.pairs):
        if not {("mentee", pair.mentee_id), ("mentor", pair.mentor_id)} <= present:
            continue
        rows.append(
            {
                "run_id": run.id,
                "position": position,
                "mentee_id": pair.mentee_id,
                "mentor_id": pair.mentor_id,
                "score": float(pair.score),
                "contributions": {k: float(v) for k, v in pair.contributions.items()},
                "why": pair.why,
                # The Evidence dataclasses themselves: the JSON columns' encoder (orjson)
                # writes their fields, what Evidence.to_dict gives and from_dict reads,
                # without building a dict per criterion and pair first (a second at 30k).
                "evidence": list(pair.evidence),
                "decision": decided.get((pair.mentee_id, pair.mentor_id), "suggested"),
            }
        )
    return rows


def _summary(result: MatchResult) -> dict[str, Any]:
    """The stored summary: the engine's, with the warnings, the quota report and the
    groups as ``summary.json`` holds them."""
    return {
        **result.summary.to_dict(),
        "warnings": [_warning_data(w) for w in result.warnings],
        **result.outcomes_dict(),
    }


def _warning_data(warning: InputWarning) -> dict[str, Any]:
    """A warning as stored: ``summary.json``'s entry with its message as data, said again
    in each reader's language (:func:`service.ops.runs.outcomes`)."""
    return {**warning.to_dict(), "message": warning.message.to_dict()}


def _error_body(error: MatchingError) -> dict[str, Any]:
    """A failed run's ``error``: the engine's error type and reason; a strict run
    refused on warnings lists them (code, side, column, message) too."""
    body: dict[str, Any] = {
        "type": type(error).__name__,
        "reason": str(error),
        "message": error.message.to_dict(),  # said again in each reader's language
    }
    if isinstance(error, StrictInputError):
        body["warnings"] = [_warning_data(w) for w in error.warnings]
    return body


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


class _Progress:
    """The engine's progress callback: writes progress and the run's heartbeat
    (throttled), and stops the run when a cancel was requested, the worker is stopping,
    or the run is no longer ours."""

    def __init__(self, worker: Worker, run_id: str) -> None:
        self.worker = worker
        self.run_id = run_id
        self.last = 0.0
        self.step: str | None = None

    def __call__(self, step: str, done: float) -> None:
        now = time.monotonic()
        self.worker.last_alive = now
        if self.worker.stopping.is_set():
            raise StoppingError
        if step == self.step and now - self.last < self.worker.settings.heartbeat_seconds:
            return
        self.step, self.last = step, now
        with session_scope(self.worker.sessions) as session:
            changed = rowcount(
                session.execute(
                    update(Run)
                    .where(
                        Run.id == self.run_id,
                        Run.status == "running",
                        Run.worker_id == self.worker.id,
                    )
                    .values(progress=min(1.0, max(0.0, done)), step=step, heartbeat_at=utcnow())
                )
            )
            cancel = session.scalar(select(Run.cancel_requested).where(Run.id == self.run_id))
        if not changed:
            raise LostClaimError
        if cancel:
            raise CancelledError


class _Heartbeat:
    """Beats for a worker from a thread, so a long step still shows the process alive —
    but only while the worker's loop advances: after ``stale_after_seconds`` without
    progress, ``on_hung`` is called (by default the process exits with ``EXIT_HUNG``)."""

    def __init__(self, worker: Worker, on_hung: Callable[[], None]) -> None:
        self.worker = worker
        self.on_hung = on_hung
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()

    def _beat(self) -> None:
        worker, settings = self.worker, self.worker.settings
        while not self.done.wait(settings.heartbeat_seconds):
            if worker.parent_pid is not None and os.getppid() != worker.parent_pid:
                worker.stopping.set()  # serve is gone: hand the run back and stop
            silent = time.monotonic() - worker.last_alive
            if silent > settings.stale_after_seconds:
                log.error(
                    "worker hung: no progress; exiting",
                    extra={"fields": {"worker_id": worker.id, "silent_seconds": round(silent)}},
                )
                self.on_hung()
                return
            try:
                worker.beat()
            except Exception:
                # Logged by type only; the database may be down. Missing beats make
                # this worker lost to the others, which is what it is while it lasts.
                log.exception("heartbeat failed")


def _exit_hung() -> None:
    os._exit(EXIT_HUNG)  # no cleanup: the loop that would run it is stuck


def main(
    settings: Settings | None = None, parent_pid: int | None = None, worker_id: str | None = None
) -> None:
    """Run a worker in this process until SIGTERM / SIGINT (or, with ``parent_pid``,
    until that parent process is gone). ``worker_id`` names its row in ``workers``
    (``serve`` chooses it to watch its children)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    warn_unknown_variables(os.environ)
    engine = make_engine(settings.database_url)
    migrate(engine)
    worker = Worker(settings, engine, parent_pid, worker_id)

    def stop(signum: int, frame: object) -> None:
        worker.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worker.beat()
    log.info("worker started", extra={"fields": {"worker_id": worker.id, "pid": worker.pid}})
    try:
        with _Heartbeat(worker, _exit_hung):
            worker.serve_forever()
    finally:
        try:
            worker.retire()
        except Exception:
            # The database may be what is failing: its heartbeat expires instead.
            log.exception("could not retire the worker")
        engine.dispose()
    log.info("worker stopped", extra={"fields": {"worker_id": worker.id}})


def _ranks(stored: dict[str, list[list[Any]]] | None, side: str) -> pd.DataFrame | None:
    """One side's stored ranked choices as the engine's table, or None."""
    if stored is None or side not in stored:
        return None
    return pd.DataFrame.from_records(stored[side], columns=["mentee_id", "mentor_id", "rank"])
