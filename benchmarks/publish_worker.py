"""One publish of ``PAIRS`` approved pairs on a fresh database, timed, on whichever
``service`` package comes first on ``PYTHONPATH`` (this tree's or a baseline revision's,
exported by :mod:`benchmarks.publish`).

``python -P publish_worker.py DATABASE_URL PAIRS`` (``-P``: ``service`` is the package on
``PYTHONPATH``, not ``benchmarks/service.py`` next to this file)

Prints one JSON line: the publish's seconds (what the coordinator waits for), the
seconds of the worker's step that queues its introductions and check-ins when the tree
has one (0 when publishing queued them itself), and the messages queued in the end.
"""

from __future__ import annotations

import json
import sys
import time

from sqlalchemy import func, select

from service import delivery
from service.db import bulk_insert, make_engine, make_sessionmaker, migrate, session_scope
from service.models import Message, Programme, Run, RunPair
from service.ops.decisions import publish


def main(url: str, pairs: int) -> dict[str, float]:
    engine = make_engine(url)
    migrate(engine)
    sessions = make_sessionmaker(engine)
    with session_scope(sessions) as session:
        session.add(Programme(id="prg_bench", name="bench"))
        session.flush()
        run = Run(id="run_bench", programme_id="prg_bench", version=1, config_sha256="-")
        run.status = "succeeded"
        session.add(run)
        session.flush()
        rows = [
            {
                "run_id": run.id,
                "position": i,
                "mentee_id": f"mentee-{i:06d}",
                "mentor_id": f"mentor-{i % 3000:05d}",
                "score": 0.5,
                "contributions": {"needs": 0.5},
                "why": "",
                "evidence": [],
                "decision": "approved",
            }
            for i in range(pairs)
        ]
        bulk_insert(session, RunPair, rows)
    with session_scope(sessions) as session:
        stored, programme = session.get(Run, "run_bench"), session.get(Programme, "prg_bench")
        assert stored is not None
        assert programme is not None
        started = time.perf_counter()
        publish(session, stored, programme)
    published = time.perf_counter() - started  # the commit included
    started = time.perf_counter()
    queue = getattr(delivery, "queue_published", None)
    if queue is not None:
        queue(sessions)
    queued = time.perf_counter() - started if queue is not None else 0.0
    with sessions() as session:
        messages = session.scalar(select(func.count()).select_from(Message)) or 0
    engine.dispose()
    return {"publish": published, "queue": queued, "messages": messages}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))), flush=True)
