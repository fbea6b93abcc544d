"""A run's pairs and chart figures, read once per state of the run and kept for the next
page view: filtering, sorting or paging a 30,000-pair run then reads a page's rows, not
the whole run again.

:class:`RunReads` lives on the application (``app.state.run_reads``), one per server
process; each entry is keyed by the run and checked against
:func:`~service.web._queries.state.run_state` on every use, so a decision or a changed
participant made through any process is seen at the next view. At most
``review_cache_runs`` runs are kept (least recently viewed first out)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from service.models import Run
from service.web import _queries as queries
from service.web._queries.state import RunState, run_state

__all__ = ["RunReads", "RunReadsDep", "RunView"]


@dataclass(frozen=True)
class RunView:
    """What every view of a run's review page reads whole."""

    pairs: queries.RunPairs
    stats: queries.RunStats


@dataclass(frozen=True)
class _Entry:
    state: RunState
    view: RunView


class RunReads:
    """The last ``size`` runs' :class:`RunView`, by run (0: nothing kept)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()  # the server's threads share it

    def view(self, session: Session, run: Run, with_contributions: bool = False) -> RunView:
        """The run's pairs (with per-criterion contributions when asked) and figures."""
        state = run_state(session, run)  # first: what is read after is at least as new
        with self._lock:
            entry = self._entries.get(run.id)
            if (
                entry is not None
                and entry.state == state
                and (entry.view.pairs.with_contributions or not with_contributions)
            ):
                self._entries.move_to_end(run.id)
                return entry.view
        pairs = queries.run_pairs(session, run, with_contributions)
        view = RunView(pairs, queries.run_stats(session, run, pairs))
        with self._lock:
            self._entries[run.id] = _Entry(state, view)
            self._entries.move_to_end(run.id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return view


def _run_reads(request: Request) -> RunReads:
    reads: RunReads = request.app.state.run_reads
    return reads


RunReadsDep = Annotated[RunReads, Depends(_run_reads)]
