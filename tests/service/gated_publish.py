"""Imported at start-up (by a ``sitecustomize``: ``tests.service.processes.gated_env``)
by an API process of the publish crash test: a publish writes all its rows, then
creates the file named by ``GATE_FILE`` and never commits, so the test can kill the
process between the two."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy.orm import Session

from service.models import Programme, Run
from service.ops import decisions

_REAL_PUBLISH = decisions.publish


def _written_then_stuck(session: Session, run: Run, programme: Programme) -> object:
    published = _REAL_PUBLISH(session, run, programme)
    session.flush()
    Path(os.environ["GATE_FILE"]).touch()
    threading.Event().wait()  # until the test kills the process
    return published


decisions.publish = _written_then_stuck  # type: ignore[assignment]
