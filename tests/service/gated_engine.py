"""Imported at start-up (by a ``sitecustomize``: ``tests.service.processes.gated_env``)
by every process of a fault test: while the file named by ``GATE_FILE`` exists,
``matching.match`` reports progress and does not finish, so the test can kill or stop a
worker mid-run; once the file is removed, runs go through the real engine."""

from __future__ import annotations

import os
import time
from typing import Any

import matching

_REAL_MATCH = matching.match


def _gated(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
    gate = os.environ.get("GATE_FILE")
    done = 0.0
    while gate and os.path.exists(gate):
        done = min(0.5, done + 0.01)
        if progress is not None:
            progress("score", done)
        time.sleep(0.02)  # paces the fake engine's work; not a synchronisation
    return _REAL_MATCH(*args, progress=progress, **kwargs)


matching.match = _gated  # type: ignore[attr-defined,assignment]
