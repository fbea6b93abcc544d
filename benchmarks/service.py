"""A service run against the match inside it: what the issue's "service runs" targets rest on.

``python -m benchmarks.service`` (``make bench-service``) drives the real application
in-process (the FastAPI app through its test client, and the run worker) on a seeded
synthetic cohort, on SQLite and, when PostgreSQL's binaries are installed, on a
throwaway PostgreSQL server:

- **upload**: both participant files through ``POST .../participants/{side}/file``;
- **run**: ``POST .../runs`` until the worker marks it ``succeeded``, against the match
  itself inside that run (the run summary's ``seconds``) — the ratio is the target
  (at most 1.3); the worker's own steps are reported too: reading participants, the
  match, storing the result;
- **the review page** signed in as the coordinator: the first page, a later page, the
  lowest scores first, a region filter, the sort by one criterion, a filter on an unmet
  criterion, the programme's dashboard, and the CSV and Excel exports — each the median of
  ``PAGE_REPEATS`` requests, server time in-process (targets: any page at most 250 ms at
  30,000 pairs, CSV 2 s, Excel 4 s);
- **approve all** through the domain operation the review page's bulk action calls
  (target 2 s at 30,000 pairs), then **publish** through ``POST .../publish`` (target 1 s),
  then the worker's step that queues the published pairs' introductions and check-ins
  after the publish (nobody waits for it; reported apart).

A last line uploads a 100,000-mentee file to check that files of that size are accepted.
Output: a plain table, ``results/<name>.json`` and ``results/<name>.md``. Nothing is
asserted: compare the lines of one run (the ratio is measured within each run).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from benchmarks.run import machine_info, parse_sizes
from matching.synthetic import generate_cohort
from service import worker as worker_module
from service.app import create_app
from service.auth import Principal, create_key
from service.db import session_scope
from service.delivery import queue_published
from service.models import Run, RunPair
from service.ops.decisions import decide_many
from service.settings import Settings
from service.worker import Worker
from tests.service.pg import PostgresUnavailableError, postgres_server

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
FULL_SIZES = "30000x3000"
QUICK_SIZES = "3000x300"
RUN_RATIO_TARGET = 1.3
LARGE_FILE_MENTEES = 100_000
PAGE_REPEATS = 3
PAGE_TARGET_SECONDS = 0.25
EXPORT_TARGET_SECONDS = {"csv": 2.0, "xlsx": 4.0}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.service",
        description="A service run (POST to succeeded) against the match inside it.",
    )
    parser.add_argument("--sizes", help=f"cohorts (default {FULL_SIZES})")
    parser.add_argument("--quick", action="store_true", help="small sizes, no 100k file")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", help="results file stem (default service or -quick)")
    parser.add_argument(
        "--out-dir", type=Path, default=RESULTS, help=f"where results go (default {RESULTS})"
    )
    args = parser.parse_args(argv)
    args.sizes = parse_sizes(args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))
    args.name = args.name or ("service-quick" if args.quick else "service")
    return args


class _StepClock:
    """Wall time of the worker's steps, by wrapping the module functions it calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        wrapped = {
            (worker_module, "side_frame"): "read participants",
            (worker_module, "_result_rows"): "build rows",
            (Worker, "_execute"): "execute",
            (Worker, "_store"): "store",
        }
        originals = {where: getattr(*where) for where in wrapped}
        for (owner, name), step in wrapped.items():
            setattr(owner, name, self._timed(step, originals[(owner, name)]))
        try:
            yield
        finally:
            for (owner, name), original in originals.items():
                setattr(owner, name, original)

    def _timed(self, step: str, function: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self.seconds[step] = self.seconds.get(step, 0.0) + elapsed

        return timed


class _Service:
    """The application and a worker on one database, with an admin key."""

    def __init__(self, database_url: str) -> None:
        settings = Settings(database_url=database_url, secret_key="bench", log_level="WARNING")
        self.app = create_app(settings)
        with session_scope(self.app.state.sessions) as session:
            _row, key = create_key(session, "admin", None)
        self.headers = {"Authorization": f"Bearer {key}"}
        self.client = TestClient(self.app)
        self.worker = Worker(settings, self.app.state.engine)

    def programme(self) -> str:
        answer = self.client.post("/v1/programmes", json={"name": "bench"}, headers=self.headers)
        return str(answer.json()["id"])

    def upload(self, programme_id: str, side: str, frame: pd.DataFrame) -> float:
        data = frame.to_csv(index=False).encode()
        started = time.perf_counter()
        answer = self.client.post(
            f"/v1/programmes/{programme_id}/participants/{side}/file",
            files={"file": (f"{side}.csv", data, "text/csv")},
            headers=self.headers,
        )
        if answer.status_code != 200:
            raise RuntimeError(f"upload refused: {answer.status_code} {answer.text[:300]}")
        return time.perf_counter() - started

    def run(self, programme_id: str) -> tuple[float, str, dict[str, Any]]:
        started = time.perf_counter()
        answer = self.client.post(
            f"/v1/programmes/{programme_id}/runs", json={}, headers=self.headers
        )
        run_id = answer.json()["id"]
        self.worker.run_once()
        seconds = time.perf_counter() - started
        run = self.client.get(f"/v1/runs/{run_id}", headers=self.headers).json()
        if run["status"] != "succeeded":
            raise RuntimeError(f"run ended {run['status']}: {run.get('error')}")
        return seconds, run_id, run["summary"]

    def sign_in(self) -> None:
        """Open a page session with the admin key, as a coordinator signs in."""
        token = CSRF.search(self.client.get("/").text)
        assert token is not None
        key = self.headers["Authorization"].removeprefix("Bearer ")
        answer = self.client.post(
            "/", data={"key": key, "csrf_token": token.group(1)}, follow_redirects=False
        )
        if answer.status_code != 303:
            raise RuntimeError(f"sign-in refused: {answer.status_code}")

    def page_seconds(self, views: dict[str, str]) -> dict[str, float]:
        """The median seconds of ``PAGE_REPEATS`` requests of every view (name -> path)."""
        seconds: dict[str, list[float]] = {name: [] for name in views}
        for _ in range(PAGE_REPEATS):  # rounds: each view once per round
            for name, path in views.items():
                started = time.perf_counter()
                answer = self.client.get(path)
                seconds[name].append(time.perf_counter() - started)
                if answer.status_code != 200:
                    raise RuntimeError(f"{name} answered {answer.status_code}")
        return {name: round(statistics.median(values), 3) for name, values in seconds.items()}

    def approve_all(self, run_id: str) -> float:
        """Every pair approved at once, as the page's "approve all shown" does."""
        started = time.perf_counter()
        with session_scope(self.app.state.sessions) as session:
            run = session.get(Run, run_id)
            assert run is not None
            ids = list(session.scalars(select(RunPair.id).where(RunPair.run_id == run_id)))
            principal = Principal(key_id="bench", role="admin", programme_id=None)
            decide_many(session, run, principal, "approve", ids)
        return time.perf_counter() - started

    def publish(self, run_id: str) -> float:
        started = time.perf_counter()
        answer = self.client.post(f"/v1/runs/{run_id}/publish", headers=self.headers)
        if answer.status_code != 200:
            raise RuntimeError(f"publish refused: {answer.status_code} {answer.text[:300]}")
        return time.perf_counter() - started

    def queue_follow_up(self) -> float:
        """The worker's step after a publish: its introductions and check-ins queued."""
        started = time.perf_counter()
        queue_published(self.worker.sessions)
        return time.perf_counter() - started

    def close(self) -> None:
        self.client.close()
        self.app.state.engine.dispose()


def _measure(database: str, url: str, n: int, m: int, seed: int) -> dict[str, Any]:
    cohort = generate_cohort(n, m, seed=seed)
    service = _Service(url)
    try:
        programme_id = service.programme()
        upload = service.upload(programme_id, "mentees", cohort.mentees)
        upload += service.upload(programme_id, "mentors", cohort.mentors)
        clock = _StepClock()
        with clock.watching():
            run_seconds, run_id, summary = service.run(programme_id)
        service.sign_in()
        pages = service.page_seconds(_views(programme_id, run_id, cohort.mentees))
        approve = service.approve_all(run_id)
        publish = service.publish(run_id)
        queue = service.queue_follow_up()
    finally:
        service.close()
    match_seconds = float(summary["seconds"])
    return {
        "database": database,
        "mentees": n,
        "mentors": m,
        "upload_seconds": round(upload, 3),
        "run_seconds": round(run_seconds, 3),
        "match_seconds": round(match_seconds, 3),
        "run_over_match": round(run_seconds / match_seconds, 3),
        "read_participants_seconds": round(clock.seconds.get("read participants", 0.0), 3),
        "build_rows_seconds": round(clock.seconds.get("build rows", 0.0), 3),
        "execute_seconds": round(clock.seconds.get("execute", 0.0), 3),
        "store_seconds": round(clock.seconds.get("store", 0.0), 3),
        "matched": int(summary["matched"]),
        "approve_all_seconds": round(approve, 3),
        "publish_seconds": round(publish, 3),
        "queue_follow_up_seconds": round(queue, 3),
        "load_average": round(os.getloadavg()[0], 2),
        "page_seconds": pages,
    }


def _views(programme_id: str, run_id: str, mentees: pd.DataFrame) -> dict[str, str]:
    """The page requests a coordinator makes while reviewing a run."""
    review = f"/runs/{run_id}"
    region = str(mentees["region"].mode().iloc[0])
    return {
        "review": review,
        "page 20": f"{review}?page=20",
        "lowest first": f"{review}?sort=score_asc",
        "one region": f"{review}?region={region}",
        "by a criterion": f"{review}?sort=crit:needs",
        "unmet criterion": f"{review}?unmet=language",
        "dashboard": f"/programmes/{programme_id}",
        "csv": f"{review}/export.csv",
        "xlsx": f"{review}/export.xlsx",
    }


def _large_file(url: str, seed: int) -> dict[str, Any]:
    """Whether a 100,000-mentee file is accepted, its size and the upload's time."""
    mentees = generate_cohort(LARGE_FILE_MENTEES, 100, seed=seed).mentees
    size = len(mentees.to_csv(index=False).encode())
    service = _Service(url)
    try:
        seconds = service.upload(service.programme(), "mentees", mentees)
        accepted = True
    except RuntimeError:
        seconds, accepted = float("nan"), False
    finally:
        service.close()
    return {"mentees": LARGE_FILE_MENTEES, "bytes": size, "accepted": accepted, "seconds": seconds}


@contextlib.contextmanager
def _databases(sqlite_only: bool) -> Iterator[list[tuple[str, str]]]:
    """SQLite in a temporary folder, and a throwaway PostgreSQL server when installed."""
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="marraine-bench-"))
        found = [("sqlite", f"sqlite:///{folder}/bench.db")]
        if not sqlite_only:
            with contextlib.suppress(PostgresUnavailableError):
                found.append(("postgresql", stack.enter_context(postgres_server())))
        yield found


def _fresh(url: str, label: str) -> str:
    """A database of its own for one measurement (a new file, or a new PostgreSQL one)."""
    if url.startswith("sqlite"):
        return url.replace("bench.db", f"{label}.db")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{label}"'))
    admin.dispose()
    return url.rsplit("/", 1)[0] + f"/{label}"


def _table(rows: list[dict[str, Any]], large: dict[str, Any] | None) -> str:
    lines = [
        "| database | cohort | upload s | POST to succeeded s | match s | ratio (target "
        f"<= {RUN_RATIO_TARGET}) | worker: read participants s | match call s | store s "
        "(building rows s) | approve all s (target 2) | publish s (target 1) | worker queues "
        "its messages s | load |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['database']} | {row['mentees']:,} x {row['mentors']:,} "
            f"| {row['upload_seconds']:.2f} | {row['run_seconds']:.2f} "
            f"| {row['match_seconds']:.2f} | {row['run_over_match']:.2f} "
            f"| {row['read_participants_seconds']:.2f} | {row['execute_seconds']:.2f} "
            f"| {row['store_seconds']:.2f} ({row['build_rows_seconds']:.2f}) "
            f"| {row['approve_all_seconds']:.2f} | {row['publish_seconds']:.2f} "
            f"| {row['queue_follow_up_seconds']:.2f} | {row['load_average']:.1f} |"
        )
    lines += ["", _page_table(rows)]
    if large is not None:
        verdict = "accepted" if large["accepted"] else "REFUSED"
        lines.append("")
        lines.append(
            f"A {large['mentees']:,}-mentee file ({large['bytes'] / 1e6:.1f} MB): {verdict}"
            f" in {large['seconds']:.1f} s."
        )
    return "\n".join(lines)


def _page_table(rows: list[dict[str, Any]]) -> str:
    """Page and export seconds per database, against their targets."""
    views = list(rows[0]["page_seconds"]) if rows else []
    lines = [
        "| database | cohort | " + " | ".join(views) + " |",
        "|---|---|" + "---:|" * len(views),
    ]
    for row in rows:
        cells = [f"{row['page_seconds'][view]:.3f}" for view in views]
        cohort = f"{row['mentees']:,} x {row['mentors']:,}"
        lines.append(f"| {row['database']} | {cohort} | " + " | ".join(cells) + " |")
    targets = [f"{EXPORT_TARGET_SECONDS.get(view, PAGE_TARGET_SECONDS):g}" for view in views]
    lines.append("| target s | | " + " | ".join(targets) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    rows: list[dict[str, Any]] = []
    large = None
    with _databases(args.sqlite_only) as databases:
        for index, (database, url) in enumerate(databases):
            for n, m in args.sizes:
                target = _fresh(url, f"bench_{index}_{n}_{m}")
                rows.append(_measure(database, target, n, m, args.seed))
                print(_table(rows[-1:], None).splitlines()[2], flush=True)  # its run line
        if not args.quick:
            large = _large_file(_fresh(databases[0][1], "bench_large"), args.seed)
    report = _table(rows, large)
    print(report)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    result = {"machine": machine_info(), "runs": rows, "large_file": large}
    (args.out_dir / f"{args.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out_dir / f"{args.name}.md").write_text(report + "\n")
    return result


if __name__ == "__main__":
    main()
