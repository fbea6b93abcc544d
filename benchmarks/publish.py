"""Publishing 30,000 pairs: this tree against a baseline git revision, in paired rounds.

``python -m benchmarks.publish --baseline REV`` exports the revision's ``matching/`` and
``service/`` packages, then, each round, publishes ``--pairs`` approved pairs on a fresh
database (SQLite in a temporary folder; a throwaway PostgreSQL when installed) with each
tree in turn, each publish in its own process (``benchmarks/publish_worker.py``): the
seconds the coordinator waits for, and those of the worker's step that queues the
introductions and check-ins after it (where the tree has one). Prints a table and writes
``results/<name>.json`` with every run and the load average before it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

from benchmarks.paired import ROOT
from benchmarks.service import _fresh
from tests.service.pg import PostgresUnavailableError, postgres_server

HERE = Path(__file__).resolve().parent
WORKER = HERE / "publish_worker.py"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.publish")
    parser.add_argument("--baseline", default="main", help="git revision (default main)")
    parser.add_argument("--pairs", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--name", default="publish")
    parser.add_argument("--out-dir", type=Path, default=HERE / "results")
    return parser.parse_args(argv)


def _export(revision: str, directory: Path) -> str:
    """The revision's ``matching/`` and ``service/`` under ``directory``; its commit."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{revision}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit, "matching", "service"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    return commit


@contextlib.contextmanager
def _servers(sqlite_only: bool) -> Iterator[dict[str, str]]:
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="marraine-publish-"))
        found = {"sqlite": f"sqlite:///{folder}/bench.db"}
        if not sqlite_only:
            with contextlib.suppress(PostgresUnavailableError):
                found["postgresql"] = stack.enter_context(postgres_server())
        yield found


def _once(tree: Path, url: str, pairs: int) -> dict[str, Any]:
    load = os.getloadavg()[0]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    answer = subprocess.run(
        [sys.executable, "-P", str(WORKER), url, str(pairs)],  # -P: not benchmarks/ first
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return {**json.loads(answer.stdout.splitlines()[-1]), "load_average": round(load, 2)}


def _table(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> str:
    lines = [
        "| database | tree | publish s (median) | queued after s (median) | publish s, each run |",
        "|---|---|---:|---:|---|",
    ]
    for database, by_tree in runs.items():
        for label, done in by_tree.items():
            publish = statistics.median(r["publish"] for r in done)
            queue = statistics.median(r["queue"] for r in done)
            every = ", ".join(f"{r['publish']:.2f}" for r in done)
            lines.append(f"| {database} | {label} | {publish:.2f} | {queue:.2f} | {every} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {}
    with tempfile.TemporaryDirectory(prefix="marraine-baseline-") as folder:
        commit = _export(args.baseline, Path(folder))
        trees = {"baseline": Path(folder), "this tree": ROOT}
        with _servers(args.sqlite_only) as servers:
            for index in range(args.rounds):
                for database, url in servers.items():
                    for label, tree in trees.items():
                        fresh = _fresh(url, f"publish_{index}_{label.replace(' ', '_')}")
                        run = _once(tree, fresh, args.pairs)
                        runs.setdefault(database, {}).setdefault(label, []).append(run)
                        print(database, label, run, flush=True)
    report = _table(runs)
    print(report)
    result = {"baseline": args.baseline, "commit": commit, "pairs": args.pairs, "runs": runs}
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / f"{args.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out_dir / f"{args.name}.md").write_text(report + "\n")
    return result


if __name__ == "__main__":
    main()
