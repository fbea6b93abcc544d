"""``serve``'s worker supervisor: keeps N worker processes running beside the API.

A thread checks the children every ``heartbeat_seconds``:

- a child that exited (crash, ``kill -9``, the watchdog of a hung worker) is reaped at
  once (no zombie), its runs are settled (queued again for any worker, see
  :mod:`service.recovery`) and a new worker takes its place;
- a child that is alive but silent — its heartbeat in ``workers`` older than
  ``worker_timeout_seconds``, or no row ``worker_start_seconds`` after its start (a
  stopped or frozen process), or whose row a recoverer deleted as expired — is killed
  with SIGKILL, then reaped and replaced alike.
  One silent worker is killed at a time, and after one is killed, or after the
  database was unreachable, the others get that timeout again to beat.

Replacements of workers that die young back off (up to ``MAX_BACKOFF_SECONDS``), so a
worker that cannot start (database unreachable) does not spin. Workers on other hosts
(``marraine worker``) have no supervisor here: their runs are recovered through their
heartbeats by any worker.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from service.db import make_engine, make_sessionmaker, session_scope
from service.models import RunWorker, new_id
from service.recovery import database_now, release_worker
from service.settings import Settings

__all__ = ["MAX_BACKOFF_SECONDS", "Supervisor"]

log = logging.getLogger("service.supervisor")

MAX_BACKOFF_SECONDS = 30.0
STOP_GRACE_SECONDS = 10.0
"""How long stopping workers get to hand their runs back before they are killed."""


@dataclass
class _Child:
    """One worker process; ``worker_id`` is its row in ``workers``."""

    worker_id: str
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)
    registered: bool = False
    """Whether its row was ever seen: a row that is gone afterwards was deleted by a
    recoverer (its heartbeat had expired), so the worker is silent."""


@dataclass
class _Slot:
    """A place for one worker; after a death, the next start waits until ``not_before``."""

    child: _Child | None = None
    not_before: float = 0.0
    early_deaths: int = 0


class Supervisor:
    """Starts ``count`` workers, keeps them alive and stops them (use as a context
    manager around the API server)."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.engine: Engine = make_engine(settings.database_url)
        self.sessions: sessionmaker[Session] = make_sessionmaker(self.engine)
        self.slots = [_Slot() for _ in range(count)]
        self._stopping = threading.Event()
        self._judge_after: float | None = None
        """No worker is judged silent before this time (``time.monotonic``); None after a
        failed check, as the database may have been what silenced the workers."""
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)

    def __enter__(self) -> Supervisor:
        for slot in self.slots:
            self._start(slot)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- watching

    def _watch(self) -> None:
        while not self._stopping.wait(self.settings.heartbeat_seconds):
            try:
                self.check()
            except Exception:
                # The database may be unreachable for a moment; the next pass retries.
                self._judge_after = None
                log.exception("supervisor check failed")

    def check(self) -> None:
        """One pass: reap the dead, kill the silent, start what is missing."""
        for slot in self.slots:  # first, as it needs no database
            if slot.child is not None and slot.child.process.poll() is not None:
                self._reap(slot, slot.child)
        silent = self._silent_children()
        now = time.monotonic()
        timeout = self.settings.worker_timeout_seconds
        if self._judge_after is None:  # after an outage of the database
            self._judge_after = now + timeout
        for slot in self.slots:
            child = slot.child
            if child is None:
                if now >= slot.not_before and not self._stopping.is_set():
                    self._start(slot)
            elif now >= self._judge_after and child.worker_id in silent:
                log.warning(
                    "worker silent; killing it",
                    extra={"fields": {"worker_id": child.worker_id, "pid": child.process.pid}},
                )
                child.process.kill()  # SIGKILL also ends a stopped (SIGSTOP) process
                child.process.wait()
                self._reap(slot, child)
                # One at a time: a frozen process may hold SQLite's write lock, and so
                # silence the others until it is gone.
                self._judge_after = now + timeout

    def _silent_children(self) -> set[str]:
        children = [slot.child for slot in self.slots if slot.child is not None]
        if not children:
            return set()
        with session_scope(self.sessions) as session:
            now = database_now(session)
            beats: dict[str, datetime] = {
                worker_id: beat
                for worker_id, beat in session.execute(
                    select(RunWorker.id, RunWorker.heartbeat_at).where(
                        RunWorker.id.in_([c.worker_id for c in children])
                    )
                )
            }
        timeout = timedelta(seconds=self.settings.worker_timeout_seconds)
        silent = set()
        for child in children:
            beat = beats.get(child.worker_id)
            if beat is None:
                starting = time.monotonic() - child.started <= self.settings.worker_start_seconds
                if child.registered or not starting:
                    silent.add(child.worker_id)
            else:
                child.registered = True
                if now - beat > timeout:
                    silent.add(child.worker_id)
        return silent

    def _reap(self, slot: _Slot, child: _Child) -> None:
        log.warning(
            "worker exited; replacing it",
            extra={
                "fields": {
                    "worker_id": child.worker_id,
                    "pid": child.process.pid,
                    "exit_status": child.process.returncode,
                }
            },
        )
        slot.child = None
        # A worker that dies before worker_start_seconds may not be able to start at all.
        lived = time.monotonic() - child.started
        young = lived < self.settings.worker_start_seconds
        slot.early_deaths = slot.early_deaths + 1 if young else 0
        backoff = min(MAX_BACKOFF_SECONDS, 0.5 * 2**slot.early_deaths) if slot.early_deaths else 0
        slot.not_before = time.monotonic() + backoff
        try:
            release_worker(self.sessions, self.settings, child.worker_id)
        except Exception:
            # Any worker's recovery settles its runs once its heartbeat is old.
            log.exception("could not settle a dead worker's runs")
        if not self._stopping.is_set() and backoff == 0:
            self._start(slot)

    def _start(self, slot: _Slot) -> None:
        worker_id = new_id("wrk")
        code = (
            "from service.worker import main; "
            f"main(parent_pid={os.getpid()}, worker_id={worker_id!r})"
        )
        # The worker watches this pid, so it stops even if this process is killed.
        process = subprocess.Popen([sys.executable, "-c", code], env=os.environ.copy())
        slot.child = _Child(worker_id, process)
        log.info("worker starting", extra={"fields": {"worker_id": worker_id, "pid": process.pid}})

    # ----------------------------------------------------------------- stopping

    def stop(self) -> None:
        """Ask every worker to stop (each hands its run back), kill those that do not
        within ``STOP_GRACE_SECONDS``, and settle what they held."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        children = [slot.child for slot in self.slots if slot.child is not None]
        for child in children:
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
            try:
                release_worker(self.sessions, self.settings, child.worker_id)
            except Exception:
                log.exception("could not settle a stopped worker's runs")
        for slot in self.slots:
            slot.child = None
        self.engine.dispose()
