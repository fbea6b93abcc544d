"""``make bench-dask``: the engine on a Dask ``LocalCluster``, and one machine's ceiling.

1. **On a cluster.** A seeded synthetic cohort (``matching.synthetic.generate_cohort``,
   default programme, ``coverage``) is matched with ``match(..., dask=client)`` on a
   ``distributed.LocalCluster`` of as many one-thread worker processes as the machine has
   cores. Reported: the steps' times (``summary.timings``), the table, scan and pricing
   tasks' compute times from the task stream (per part, summed, the longest), the scan's wall
   time on the workers, each worker's peak RSS (``ru_maxrss`` read on the worker) and this
   process's peak RSS during the match. With ``--compare`` the same cohort is matched in
   this process too, and pairs, total and bound must be identical.
2. **A projection to ``--project-workers`` workers** from the measured per-task costs
   (:func:`projection`). It is arithmetic on measurements, not a measurement.
3. **The single-machine ceiling.** Each of ``--ceiling-sizes`` (M = N / 10) is matched in
   its own process without Dask; the peak RSS (``wait4``) is fitted linearly in N and the N
   reaching ``--ceiling-gib`` is reported as extrapolated; ``--confirm NxM`` runs one size
   near it to check.

Writes ``results/<name>.json`` and ``results/<name>.md`` and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import dask
import numpy as np
from distributed import Client, LocalCluster, get_task_stream

import matching
from benchmarks._measure import hwm_bytes, reset_hwm, run_measured
from matching.synthetic import generate_cohort

FULL_SIZE = "300000x30000"
QUICK_SIZE = "6000x600"
FULL_CEILING = "10000x1000,30000x3000,60000x6000,100000x10000"
QUICK_CEILING = "1000x100,2000x200"
GIB = 2**30
TRIM_SETTING = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
"""Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also turns
off glibc's growing mmap threshold: every chunk-sized array of the scan is then a fresh
mapping, faulted in page by page (``benchmarks/README.md``). None leaves glibc's own."""
RESULTS = Path(__file__).parent / "results"


def _size(text: str) -> tuple[int, int]:
    n, m = text.lower().split("x")
    return int(n), int(m)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench-dask", description=__doc__.splitlines()[0])
    parser.add_argument("--size", help=f"cluster cohort NxM (default {FULL_SIZE})")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--project-workers", type=int, default=16)
    parser.add_argument("--ceiling-sizes", help=f"default {FULL_CEILING}")
    parser.add_argument("--ceiling-gib", type=float, default=20.0)
    parser.add_argument("--confirm", help="one size near the ceiling to run and check")
    parser.add_argument("--no-ceiling", action="store_true")
    parser.add_argument("--compare", action="store_true", help="match locally too: identical?")
    parser.add_argument("--quick", action="store_true", help="small sizes, with --compare")
    parser.add_argument(
        "--dask-trim", action="store_true", help="keep Dask's MALLOC_TRIM_THRESHOLD_ on workers"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", help="results file stem (default dask-scale or -quick)")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child: one local match, NxM
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _peak_rss() -> int:
    """This process's peak RSS in bytes (run on each worker)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _cpu_seconds() -> float:
    """This process's CPU seconds so far, user and system (run on each worker)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return float(usage.ru_utime + usage.ru_stime)


def _task_costs(stream: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    """Compute seconds of the tasks whose key starts with ``prefix``."""
    spans = []
    for task in stream:
        key = task["key"][0] if isinstance(task["key"], tuple) else str(task["key"])
        if not str(key).startswith(prefix):
            continue
        for part in task["startstops"]:
            if part["action"] == "compute":
                spans.append((part["start"], part["stop"]))
    if not spans:
        return {"tasks": 0, "work_seconds": 0.0, "wall_seconds": 0.0, "longest_seconds": 0.0}
    starts, stops = zip(*spans, strict=True)
    durations = [b - a for a, b in spans]
    return {
        "tasks": len(spans),
        "work_seconds": round(sum(durations), 3),
        "wall_seconds": round(max(stops) - min(starts), 3),
        "longest_seconds": round(max(durations), 3),
        "median_seconds": round(float(np.median(durations)), 3),
    }


def _same(local: matching.MatchResult, cluster: matching.MatchResult) -> dict[str, bool]:
    def pairs(result: matching.MatchResult) -> list[tuple[str, str, float]]:
        return [(p.mentee_id, p.mentor_id, p.score) for p in result.pairs]

    return {
        "pairs": pairs(local) == pairs(cluster),
        "total_score": local.summary.total_score == cluster.summary.total_score,
        "upper_bound": local.summary.upper_bound == cluster.summary.upper_bound,
        "gap": local.summary.gap == cluster.summary.gap,
    }


def cluster_run(
    n: int, m: int, workers: int, seed: int, compare: bool, dask_trim: bool = False
) -> dict[str, Any]:
    """Match an N x M cohort on a LocalCluster of ``workers`` processes (module docstring);
    their malloc trim threshold is glibc's own unless ``dask_trim`` (see TRIM_SETTING)."""
    started = time.perf_counter()
    cohort = generate_cohort(n, m, seed=seed)
    generated = time.perf_counter() - started
    print(f"cohort {n:,} x {m:,} drawn in {generated:.0f} s", file=sys.stderr, flush=True)
    trim = {} if dask_trim else {TRIM_SETTING: None}
    with (
        dask.config.set(trim),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            memory_limit=0,  # measured, not capped: the nanny would restart a worker
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        # First use of fresh workers (imports of the engine, sent code): once per cluster.
        warm = generate_cohort(400, 40, seed=seed + 1)
        started = time.perf_counter()
        matching.match(warm.mentees, warm.mentors, dask=client)
        warm_up = time.perf_counter() - started
        reset_hwm()
        cpu_before = sum(client.run(_cpu_seconds).values())
        with get_task_stream(client) as stream:
            started = time.perf_counter()
            result = matching.match(
                cohort.mentees, cohort.mentors, objective="coverage", dask=client
            )
            seconds = time.perf_counter() - started
        driver_peak = hwm_bytes()
        worker_cpu = sum(client.run(_cpu_seconds).values()) - cpu_before
        worker_peaks = client.run(_peak_rss)
        tasks = list(stream.data)
    record: dict[str, Any] = {
        "n": n,
        "m": m,
        "workers": workers,
        "worker_malloc_trim": "dask's 65536" if dask_trim else "glibc's own",
        "seconds": round(seconds, 2),
        "warm_up_seconds": round(warm_up, 2),
        "timings": dict(result.summary.timings),
        "status": result.summary.status,
        "gap": result.summary.gap,
        "rounds": result.summary.rounds,
        "candidate_arcs": result.summary.candidate_arcs,
        "matched": result.summary.matched,
        "total_score": result.summary.total_score,
        "upper_bound": result.summary.upper_bound,
        "tables": _task_costs(tasks, "_table_rows"),
        "scan": _task_costs(tasks, "scan_part"),
        "pricing": _task_costs(tasks, "_violators"),
        "driver_peak_rss_bytes": driver_peak,
        "worker_cpu_seconds": round(worker_cpu, 1),
        "worker_peak_rss_bytes": sorted(worker_peaks.values()),
    }
    if compare:
        started = time.perf_counter()
        local = matching.match(cohort.mentees, cohort.mentors, objective="coverage", dask=False)
        record["local_seconds"] = round(time.perf_counter() - started, 2)
        record["local_timings"] = dict(local.summary.timings)
        record["identical"] = _same(local, result)
    return record


def projection(run: dict[str, Any], workers: int) -> dict[str, Any]:
    """Wall time on ``workers`` workers from the run's measured costs: each distributed
    step keeps what is not task work (its time less its task work divided by the
    workers measured: central work, transfers, scheduling, the solves between pricing
    rounds) and divides its task work among ``workers`` (the scan is cut into at least
    four parts per worker); the other steps as measured."""
    measured_workers = run["workers"]
    timings = run["timings"]
    out: dict[str, Any] = {"workers": workers}
    total = 0.0
    for phase, step in (("scan", "score"), ("pricing", "solve")):
        work = run[phase]["work_seconds"]
        rest = max(0.0, timings.get(step, 0.0) - work / measured_workers)
        out[phase] = {"rest_seconds": round(rest, 2), "work_seconds": round(work / workers, 2)}
        total += rest + work / workers
    others = sum(v for k, v in timings.items() if k not in ("score", "solve"))
    out["other_steps_seconds"] = round(others, 2)
    out["seconds"] = round(total + others, 1)
    return out


def local_one(size: str, path: Path) -> None:
    """Child process: one local match of ``size``; writes its summary to ``path``."""
    n, m = _size(size)
    cohort = generate_cohort(n, m, seed=0)
    reset_hwm()
    started = time.perf_counter()
    result = matching.match(cohort.mentees, cohort.mentors, objective="coverage", dask=False)
    record = {
        "seconds": round(time.perf_counter() - started, 2),
        "match_peak_rss_bytes": hwm_bytes(),
        "timings": dict(result.summary.timings),
        "gap": result.summary.gap,
    }
    path.write_text(json.dumps(record))


def ceiling(sizes: list[str], gib: float, confirm: str | None, out_dir: Path) -> dict[str, Any]:
    """Peak RSS of a local match at each size (own process); a linear fit in N; the N
    reaching ``gib`` (extrapolated), and optionally one size run to check it."""
    rows = []
    for size in [*sizes, *([confirm] if confirm else [])]:
        path = out_dir / f".ceiling-{size}.json"
        command = [
            sys.executable,
            "-m",
            "benchmarks.dask_scale",
            "--one",
            size,
            "--json",
            str(path),
        ]
        measured = run_measured(command, timeout_seconds=7200, memory_bytes=int(gib * GIB))
        row: dict[str, Any] = {"size": size, "status": measured.status}
        row["peak_rss_bytes"] = measured.peak_rss_bytes
        if measured.status == "ok":
            row |= json.loads(path.read_text())
            path.unlink()
        row["confirmation"] = size == confirm
        rows.append(row)
        print(f"local {size}: {measured.status}, {measured.peak_rss_bytes / GIB:.2f} GiB",
              file=sys.stderr, flush=True)  # fmt: skip
    fitted = [r for r in rows if r["status"] == "ok" and not r["confirmation"]]
    result: dict[str, Any] = {"rows": rows, "limit_gib": gib, "ratio": "M = N / 10"}
    if len(fitted) >= 2:
        n = np.array([_size(r["size"])[0] for r in fitted], dtype=float)
        peak = np.array([r["peak_rss_bytes"] for r in fitted], dtype=float)
        slope, intercept = np.polyfit(n, peak, 1)
        top = int((gib * GIB - intercept) / slope)
        result["fit"] = {"bytes_per_mentee": round(slope), "intercept_bytes": round(intercept)}
        result["extrapolated_n"] = top
        result["extrapolated_pairs"] = top * (top // 10)
    return result


def _gib(value: float) -> str:
    return f"{value / GIB:.2f}"


def markdown(results: dict[str, Any]) -> str:
    """The README tables."""
    run = results["cluster"]
    lines = [
        f"On a LocalCluster: {run['n']:,} x {run['m']:,}, {run['workers']} worker processes "
        f"(1 thread each), `coverage`: {run['seconds']} s, {run['status']}, gap {run['gap']}, "
        f"{run['rounds']} rounds, {run['candidate_arcs']:,} candidate arcs.",
        "",
        "| phase | where | seconds | tasks | task work (s) | longest task (s) |",
        "|---|---|---|---|---|---|",
    ]
    timings = run["timings"]
    lines.append(f"| encode (all) | central + workers | {timings.get('encode', 0)} | | | |")
    tables = run.get("tables", {"tasks": 0})
    if tables["tasks"]:
        lines.append(
            f"| table tasks | workers (wall) | {tables['wall_seconds']} | {tables['tasks']} "
            f"| {tables['work_seconds']} | {tables['longest_seconds']} |"
        )
    for phase, step in (("scan", "score"), ("pricing", "solve")):
        costs = run[phase]
        lines.append(f"| {step} (all) | central + workers | {timings.get(step, 0)} | | | |")
        lines.append(
            f"| {phase} tasks | workers (wall) | {costs['wall_seconds']} | {costs['tasks']} "
            f"| {costs['work_seconds']} | {costs['longest_seconds']} |"
        )
    lines.append(f"| prices (contention) | central | {timings.get('prices', 0)} | | | |")
    lines.append(f"| explain | central | {timings.get('explain', 0)} | | | |")
    peaks = ", ".join(_gib(p) for p in run["worker_peak_rss_bytes"])
    lines += [
        "",
        f"Peak RSS: driver {_gib(run['driver_peak_rss_bytes'])} GiB during the match; "
        f"workers {peaks} GiB.",
    ]
    if run.get("worker_cpu_seconds") is not None:
        lines.append(
            f"Workers' CPU during the match: {run['worker_cpu_seconds']} s (task times are "
            "wall times: on a loaded machine a task gets part of a core)."
        )
    if "identical" in run:
        lines.append(
            f"Local run of the same cohort: {run['local_seconds']} s; identical: "
            f"{run['identical']}."
        )
    project = results["projection"]
    scan, pricing = project["scan"], project["pricing"]
    lines += [
        "",
        f"Projection to {project['workers']} workers (arithmetic on the measured costs, not "
        f"a measurement): {project['seconds']} s = score {scan['work_seconds']} s of task "
        f"work + {scan['rest_seconds']} s besides; solve {pricing['work_seconds']} s of "
        f"pricing tasks + {pricing['rest_seconds']} s besides; encode, prices, explain "
        f"{project['other_steps_seconds']} s.",
    ]
    top = results.get("ceiling")
    if top:
        lines += [
            "",
            "| one process, no Dask | status | peak RSS (GiB) | seconds |",
            "|---|---|---|---|",
        ]
        for row in top["rows"]:
            label = row["size"] + (" (confirmation)" if row["confirmation"] else "")
            lines.append(
                f"| {label} | {row['status']} | {_gib(row['peak_rss_bytes'])} "
                f"| {row.get('seconds', '')} |"
            )
        if "extrapolated_n" in top:
            n = top["extrapolated_n"]
            lines.append(
                f"\nLinear fit in N: {top['fit']['bytes_per_mentee']:,} bytes per mentee; "
                f"{top['limit_gib']} GiB reached at about {n:,} x {n // 10:,} "
                f"({top['extrapolated_pairs']:.2e} pairs) — extrapolated."
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    if args.one:
        local_one(args.one, args.json)
        return {}
    size = args.size or (QUICK_SIZE if args.quick else FULL_SIZE)
    n, m = _size(size)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "config": {
            "size": size,
            "workers": args.workers,
            "seed": args.seed,
            "cpus": os.cpu_count(),
        },
        "load_before": os.getloadavg(),
        "cluster": cluster_run(
            n, m, args.workers, args.seed, args.compare or args.quick, args.dask_trim
        ),
    }
    results["projection"] = projection(results["cluster"], args.project_workers)
    if not args.no_ceiling:
        sizes = (args.ceiling_sizes or (QUICK_CEILING if args.quick else FULL_CEILING)).split(",")
        results["ceiling"] = ceiling(sizes, args.ceiling_gib, args.confirm, args.out_dir)
    name = args.name or ("dask-scale-quick" if args.quick else "dask-scale")
    (args.out_dir / f"{name}.json").write_text(json.dumps(results, indent=2))
    table = markdown(results)
    (args.out_dir / f"{name}.md").write_text(table)
    print(table)
    return results


if __name__ == "__main__":
    main()
