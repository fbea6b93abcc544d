"""This tree against a baseline git revision, in paired rounds: is ``match()`` any slower?

``python -m benchmarks.paired --baseline main`` (``make bench-paired``) exports the
baseline revision's ``matching/`` into a temporary directory, writes the inputs once
(the seeded 30,000 x 3,000 synthetic cohort, and a long score table), then runs
``--rounds`` rounds. A round times one ``matching.match()`` per case and tree, each in a
fresh process whose ``PYTHONPATH`` puts that tree's engine first (the same interpreter,
the same dependencies, the same input files); the order of the two trees alternates from
round to round, so a spell of load on the shared machine falls on both. Only the match
is timed (start-up and reading the inputs are not), inside ``matching.process_settings()``
as the ``marraine`` command runs it.

Printed per case: both medians, the ratio of the medians (this tree / baseline), the
median of the per-round ratios (wall time: the verdict against ``--target``, 1.05 by
default) and of CPU time (the process's threads together: less moved by other work on a
shared machine), each step's ratio of medians (``summary.timings``: a step whose code did
not change shows the noise), and whether both trees found the same total score (they
must: the refactorings this guards change no result). Everything, every run included,
goes to ``--out`` as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

import pandas as pd

import matching
from matching.model import Programme
from matching.synthetic import generate_cohort, generate_scores

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
WORKER = "--worker"


def parse_size(text: str) -> tuple[int, int]:
    """``30000x3000`` as (mentees, mentors)."""
    n, m = text.lower().split("x")
    return int(n), int(m)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="main", help="git revision (default main)")
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds (default 5)")
    parser.add_argument("--size", default="30000x3000", help="the cohort (default 30000x3000)")
    parser.add_argument(
        "--scores", default="10000x1000", help="the score table's size (default 10000x1000)"
    )
    parser.add_argument(
        "--density", type=float, default=0.2, help="share of pairs the score table lists"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", default="programme,scores", help="comma-separated")
    parser.add_argument("--target", type=float, default=1.05, help="largest ratio accepted")
    parser.add_argument("--out", type=Path, default=RESULTS / "paired.json")
    return parser.parse_args(argv)


def write_inputs(directory: Path, args: argparse.Namespace) -> None:
    """Each case's participants (and score table) as Parquet, its programme as JSON."""
    n, m = parse_size(args.size)
    cohort = generate_cohort(n, m, seed=args.seed)
    case = directory / "programme"
    case.mkdir()
    _participants(cohort.mentees, cohort.mentors, case)
    # Unset (None) settings left out, so a baseline from before a new one reads it too.
    (case / "programme.json").write_text(cohort.programme.model_dump_json(exclude_none=True))
    n, m = parse_size(args.scores)
    mentees, mentors, scores = generate_scores(n, m, density=args.density, seed=args.seed)
    case = directory / "scores"
    case.mkdir()
    _participants(mentees, mentors, case)
    scores.to_parquet(case / "scores.parquet")


def _participants(mentees: pd.DataFrame, mentors: pd.DataFrame, case: Path) -> None:
    """Demand 1 and minimum load 0, as every benchmark of the series runs them."""
    mentees, mentors = mentees.copy(), mentors.copy()
    if "demand" in mentees.columns:
        mentees["demand"] = 1
    if "min_load" in mentors.columns:
        mentors["min_load"] = 0
    mentees.to_parquet(case / "mentees.parquet")
    mentors.to_parquet(case / "mentors.parquet")


def export_revision(revision: str, directory: Path) -> str:
    """The revision's ``matching/`` package under ``directory``; returns its commit."""
    commit = _git("rev-parse", "--verify", f"{revision}^{{commit}}").strip()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit, "matching"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    return commit


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    ).stdout


def time_once(tree: Path, case: Path) -> dict[str, Any]:
    """One match in a fresh process on ``tree``'s engine."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), WORKER, str(tree), str(case)],
        env=env,
        cwd=case,  # not a tree: nothing but PYTHONPATH chooses the engine
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the match on {tree.name} failed:\n{done.stderr[-3000:]}")
    record: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    record["load_before"] = os.getloadavg()[0]
    return record


def run_worker(tree: Path, case: Path) -> dict[str, Any]:
    """Time ``matching.match()`` on a case's input files (the worker's side)."""
    engine = Path(matching.__file__).resolve().parent
    if engine != (tree / "matching").resolve():
        raise SystemExit(f"imported {engine}, not the tree's engine {tree / 'matching'}")
    mentees = pd.read_parquet(case / "mentees.parquet")
    mentors = pd.read_parquet(case / "mentors.parquet")
    scores = None
    programme = None
    if (case / "scores.parquet").exists():
        scores = pd.read_parquet(case / "scores.parquet")
    else:
        programme = Programme.model_validate_json((case / "programme.json").read_text())
    match = matching.match  # resolving it imports the engine: start-up, not match time
    with matching.process_settings():
        started, cpu = time.perf_counter(), time.process_time()
        result = match(mentees, mentors, programme, scores=scores)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    summary = result.summary
    return {
        "seconds": round(seconds, 4),
        "cpu_seconds": round(cpu, 4),
        "total_score": summary.total_score,
        "pairs": summary.pairs,
        "status": summary.status,
        "timings": dict(summary.timings),
    }


def run_rounds(
    trees: dict[str, Path], cases: list[str], inputs: Path, rounds: int
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every case on both trees, ``rounds`` times, the trees' order alternating."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        case: {name: [] for name in trees} for case in cases
    }
    names = list(trees)
    for index in range(rounds):
        order = names if index % 2 == 0 else names[::-1]
        for case in cases:
            for name in order:
                record = time_once(trees[name], inputs / case)
                runs[case][name].append(record)
                print(
                    f"round {index + 1} {case:<9} {name:<8} {record['seconds']:.2f} s", flush=True
                )
    return runs


def summarise(runs: dict[str, list[dict[str, Any]]], target: float) -> dict[str, Any]:
    """Medians, ratios (this tree / baseline) and the verdict of one case."""
    current = [run["seconds"] for run in runs["current"]]
    baseline = [run["seconds"] for run in runs["baseline"]]
    ratio = statistics.median(current) / statistics.median(baseline)
    paired = statistics.median(a / b for a, b in zip(current, baseline, strict=True))
    cpu = [
        a["cpu_seconds"] / b["cpu_seconds"]
        for a, b in zip(runs["current"], runs["baseline"], strict=True)
    ]
    totals = {round(run["total_score"], 6) for name in runs for run in runs[name]}
    steps = {
        step: round(_median_step(runs["current"], step) / _median_step(runs["baseline"], step), 4)
        for step in runs["current"][0]["timings"]
    }
    return {
        "median_current": statistics.median(current),
        "median_baseline": statistics.median(baseline),
        "ratio_of_medians": round(ratio, 4),
        "median_paired_ratio": round(paired, 4),
        "median_paired_cpu_ratio": round(statistics.median(cpu), 4),
        "within_target": paired <= target,
        "same_result": len(totals) == 1,
        "step_ratios": steps,
    }


def _median_step(runs: list[dict[str, Any]], step: str) -> float:
    """The median seconds of one step of ``summary.timings`` (a floor keeps it above 0)."""
    return max(float(statistics.median(run["timings"].get(step, 0.0) for run in runs)), 1e-4)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    cases = [case.strip() for case in args.cases.split(",") if case.strip()]
    with tempfile.TemporaryDirectory(prefix="paired-") as scratch:
        work = Path(scratch)
        (work / "baseline").mkdir()
        commit = export_revision(args.baseline, work / "baseline")
        (work / "inputs").mkdir()
        write_inputs(work / "inputs", args)
        trees = {"current": ROOT, "baseline": work / "baseline"}
        runs = run_rounds(trees, cases, work / "inputs", args.rounds)
    report = {
        "baseline": {"revision": args.baseline, "commit": commit},
        "current": {
            "commit": _git("rev-parse", "HEAD").strip(),
            "dirty": bool(_git("status", "--porcelain", "matching")),
        },
        "sizes": {"programme": args.size, "scores": f"{args.scores} density {args.density}"},
        "rounds": args.rounds,
        "target": args.target,
        "cases": {case: summarise(runs[case], args.target) for case in cases},
        "runs": runs,
    }
    print(f"\nthis tree against {args.baseline} ({commit[:10]}), {args.rounds} paired rounds")
    print(f"{'case':<10} {'current s':>10} {'baseline s':>11} {'ratio':>7} {'paired':>7}  verdict")
    for case, row in report["cases"].items():
        verdict = "within" if row["within_target"] else "ABOVE"
        verdict += f" {args.target}" + ("" if row["same_result"] else ", RESULTS DIFFER")
        print(
            f"{case:<10} {row['median_current']:>10.2f} {row['median_baseline']:>11.2f} "
            f"{row['ratio_of_medians']:>7.3f} {row['median_paired_ratio']:>7.3f}  {verdict}"
        )
        steps = ", ".join(f"{step} {ratio:.2f}" for step, ratio in row["step_ratios"].items())
        print(f"{'':<10} CPU seconds, median paired ratio {row['median_paired_cpu_ratio']:.3f}")
        print(f"{'':<10} steps (ratio of medians): {steps}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {args.out}")
    return report


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == WORKER:
        print(json.dumps(run_worker(Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main()
