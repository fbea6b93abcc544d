"""Imported by a worker subprocess in the crash test: replaces ``matching.match`` with an
engine that reports progress and never finishes, so the test can kill it mid-run."""

from __future__ import annotations

import time
from typing import Any

import matching


def _never_finishes(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
    done = 0.0
    while True:
        done = min(0.99, done + 0.01)
        if progress is not None:
            progress("score", done)
        time.sleep(0.02)  # paces the fake engine's work; not a synchronisation


matching.match = _never_finishes  # type: ignore[attr-defined,assignment]
