"""Scaling benchmark: ours against the baselines, on the same instances, in one run.

``python -m benchmarks.run`` (``make bench``) measures, for each size N x M of a seeded
synthetic programme, every method in its own subprocess:

- ``ours``: the whole ``matching.match()`` (encode, score, candidates, solve, certify,
  explain), plus ``marraine demo`` as a whole process (start-up, generation, files);
- ``mcf_full``: OR-Tools ``SimpleMinCostFlow`` on every allowed pair (vectorised build);
- ``scipy_lsa``: scipy ``linear_sum_assignment`` on the capacity-expanded dense matrix;
- ``networkx``: networkx ``min_cost_flow`` on the same network as ``mcf_full``;
- ``greedy``: best pair first over all allowed pairs;
- ``hr``: the PyPI ``matching`` package's hospital–residents algorithm, in its own venv.

Baselines receive the dense score matrix that the same ``PairScorer`` produces (scoring is
free for them); ours scores inside ``match()``. Every method's pairs are checked and scored
by one evaluator. A method over the time or memory budget is killed and reported
(``timeout`` / ``memory``); one whose extrapolation from smaller sizes is far over the
budget is reported ``skipped`` with the prediction. Output: a table, JSON and a PNG in
``benchmarks/results/``, the plot also in ``docs/img/benchmark.png``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._measure import run_measured
from benchmarks.instances import build_instance, load_instance
from benchmarks.solvers import evaluate

HERE = Path(__file__).resolve().parent
HUGEPAGE_VARIABLE = "NUMPY_MADVISE_HUGEPAGE"
"""NumPy's own switch for its hugepage advice (the one ``matching.process_settings()`` sets)."""
ROOT = HERE.parent
RESULTS = HERE / "results"
CACHE = HERE / ".cache"
BASELINE_VENV = HERE / ".venv-baselines"
BASELINE_STAMP = ".installed-v2"  # as benchmarks/setup.sh writes it

METHODS = ("ours", "mcf_full", "scipy_lsa", "networkx", "greedy", "hr")
LABELS = {
    "ours": "ours: match()",
    "mcf_full": "OR-Tools MCF, full graph",
    "scipy_lsa": "scipy LSA, expanded",
    "networkx": "networkx min_cost_flow",
    "greedy": "greedy by score",
    "hr": "hospital–residents (matching 1.4)",
}
# Growth of time with N·M assumed before two sizes have been measured (from the notes).
DEFAULT_EXPONENT = {
    "ours": 1.0,
    "mcf_full": 1.1,
    "scipy_lsa": 1.5,
    "networkx": 1.5,
    "greedy": 1.0,
    "hr": 1.5,
}
FULL_SIZES = "1000x100,5000x500,8000x800,30000x3000"
QUICK_SIZES = "1000x100,3000x300"
GIB = 1024**3


# --------------------------------------------------------------------------- arguments


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        n, m = item.lower().split("x")
        sizes.append((int(n), int(m)))
    return sorted(sizes, key=lambda s: s[0] * s[1])


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Scaling benchmark of matching.match() against baselines.",
    )
    parser.add_argument("--sizes", help=f"NxM list (default {FULL_SIZES}; quick {QUICK_SIZES})")
    parser.add_argument("--quick", action="store_true", help="small sizes, 60 s budget")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated")
    parser.add_argument("--kind", choices=["programme", "scores"], default="programme")
    parser.add_argument("--objective", choices=["coverage", "total"], default="coverage")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget-seconds", type=float, help="per method (default 120)")
    parser.add_argument("--budget-memory-gib", type=float, default=12.0)
    parser.add_argument("--name", help="results file stem (default <kind>-series or -quick)")
    parser.add_argument("--no-cli", action="store_true", help="skip `marraine demo` runs")
    parser.add_argument(
        "--skip-factor",
        type=float,
        help="skip a method predicted over this many budgets (default 3; quick 1)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of a short method; the median is kept"
    )
    parser.add_argument(
        "--repeat-under",
        type=float,
        default=30.0,
        help="repeat only methods whose run took less than this many seconds",
    )
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--out-dir", type=Path, default=RESULTS, help="results directory")
    parser.add_argument(
        "--replot", type=Path, help="redraw the tables, markdown and plot of a results JSON"
    )
    parser.add_argument("--cache-dir", type=Path, default=CACHE, help="instances directory")
    parser.add_argument(
        "--plot-copy",
        help="also write the plot here (default docs/img/benchmark.png unless --quick)",
    )
    args = parser.parse_args(argv)
    args.sizes = parse_sizes(args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))
    args.methods = [m for m in args.methods.split(",") if m]
    unknown = set(args.methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods: {sorted(unknown)}")
    if args.budget_seconds is None:
        args.budget_seconds = 60.0 if args.quick else 120.0
    if args.skip_factor is None:
        args.skip_factor = 1.0 if args.quick else 3.0
    if args.name is None:
        args.name = f"{args.kind}-{'quick' if args.quick else 'series'}"
    if args.plot_copy is None:
        args.plot_copy = "" if args.quick else str(ROOT / "docs" / "img" / "benchmark.png")
    return args


# --------------------------------------------------------------------------- running


def _python_env() -> dict[str, str]:
    """The children's environment: the project importable, output unbuffered."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def ensure_baseline_venv() -> str | None:
    """Create the baseline venv (hospital–residents, LEMON) if needed; the path of its
    python, or None if that fails (reported)."""
    python = BASELINE_VENV / "bin" / "python"
    if (BASELINE_VENV / BASELINE_STAMP).exists():
        return str(python)
    done = subprocess.run(["bash", str(HERE / "setup.sh")], capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    return str(python)


def _run_method(
    method: str, instance_dir: Path, args: argparse.Namespace, hr_python: str | None
) -> dict[str, Any]:
    """Run one method on one instance in a subprocess; return its raw measurements."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.npz"
        if method == "hr":
            if hr_python is None:
                return {"status": "failed", "note": "baseline venv could not be created"}
            command = [hr_python, "-I", str(HERE / "hr_worker.py"), str(instance_dir), str(out)]
            cwd = tmp
        else:
            command = [sys.executable, "-m", "benchmarks.worker", method, str(instance_dir)]
            command += [str(out), "--objective", args.objective]
            cwd = str(ROOT)
        load = os.getloadavg()[0]
        env = _python_env()
        if method != "ours":
            # Ours matches under matching.process_settings(), which turns NumPy's hugepage
            # advice off (matching._runtime); the baselines get the same allocator
            # behaviour, so the ratios compare methods.
            env[HUGEPAGE_VARIABLE] = "0"
        # The budget is for the solve; start-up and reading the instance get a margin.
        measured = run_measured(
            command,
            timeout_seconds=args.budget_seconds + 15.0,
            memory_bytes=int(args.budget_memory_gib * GIB),
            cwd=cwd,
            env=env,
        )
        record: dict[str, Any] = {
            "status": measured.status,
            "process_seconds": round(measured.wall_seconds, 3),
            "process_peak_rss_bytes": measured.peak_rss_bytes,
            "load_average_before": round(load, 2),
        }
        if measured.status != "ok":
            if measured.status == "failed":
                record["note"] = measured.stderr_tail.strip().splitlines()[-1:] or ["failed"]
                record["note"] = record["note"][0][:300]
            elif measured.status == "timeout":
                record["note"] = f"killed after {measured.wall_seconds:.0f} s"
            else:
                record["note"] = f"killed at {measured.peak_rss_bytes / GIB:.1f} GiB"
            return record
        done = np.load(out, allow_pickle=False)
        meta_line, extra_line = str(done["meta"]).split("\n", 1)
        meta = json.loads(meta_line)
        record["seconds"] = round(float(meta["seconds"]), 4)
        record["cpu_seconds"] = round(float(meta.get("cpu_seconds", float("nan"))), 4)
        record["peak_rss_bytes"] = int(meta["peak_rss_bytes"])
        record["rows"] = done["rows"]
        record["cols"] = done["cols"]
        record.update(json.loads(extra_line))
        if record["seconds"] > args.budget_seconds:
            record["status"] = "timeout"
            record["note"] = f"finished in {record['seconds']:.0f} s, over the budget"
        return record


def _repeat_rounds(
    runs: dict[str, list[dict[str, Any]]],
    instance_dir: Path,
    args: argparse.Namespace,
    hr_python: str | None,
) -> None:
    """Further runs of the short methods, in rounds (each method once per round), until
    each has ``args.repeat`` runs.

    One run of a second or two on a shared machine can be off by half; the median of
    three is steadier, and rounds expose every method to the same spells of load rather
    than one method to a quiet minute and the next to a busy one. Runs longer than
    ``args.repeat_under`` seconds are not repeated (steady enough, and minutes each).
    """
    for _ in range(args.repeat - 1):
        for method, done in runs.items():
            last = done[-1]
            if last["status"] == "ok" and last["seconds"] < args.repeat_under:
                done.append(_run_method(method, instance_dir, args, hr_python))


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median run by seconds, with every run's seconds; a failed last run as it is."""
    if runs[-1]["status"] != "ok":
        return runs[-1]  # repeats stop at the first run that is not ok: report it
    median = sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2]
    return median | {"runs_seconds": [r["seconds"] for r in runs]}


def _run_cli(n: int, m: int, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """``marraine demo`` as a user runs it: whole-process time and peak RSS."""
    marraine = Path(sys.executable).parent / "marraine"
    if not marraine.exists():
        found = shutil.which("marraine")
        if found is None:
            return {"status": "failed", "note": "marraine command not found"}
        marraine = Path(found)
    with tempfile.TemporaryDirectory() as tmp:
        command = [str(marraine), "demo", "--mentees", str(n), "--mentors", str(m)]
        command += ["--seed", str(seed), "--out", tmp]
        measured = run_measured(
            command,
            timeout_seconds=args.budget_seconds * 3,
            memory_bytes=int(args.budget_memory_gib * GIB),
            cwd=tmp,
            env=_python_env(),
        )
        record: dict[str, Any] = {
            "status": measured.status,
            "command": f"marraine demo --mentees {n} --mentors {m} --seed {seed}",
            "process_seconds": round(measured.wall_seconds, 3),
            "peak_rss_bytes": measured.peak_rss_bytes,
        }
        summary = Path(tmp) / "summary.json"
        if measured.status == "ok" and summary.exists():
            data = json.loads(summary.read_text())
            for key in ("seconds", "gap", "total_score", "upper_bound", "matched", "rounds"):
                if key in data:
                    record[key] = data[key]
            if "timings" in data:
                record["timings"] = data["timings"]
        elif measured.status == "failed":
            record["note"] = (measured.stderr_tail.strip().splitlines() or ["failed"])[-1][:300]
        return record


# --------------------------------------------------------------------------- analysis


def _fit_exponent(x: list[float], y: list[float]) -> float | None:
    """Least-squares slope of log y against log x (None under two points)."""
    points = [(a, b) for a, b in zip(x, y, strict=True) if a > 0 and b > 0]
    if len(points) < 2 or len({a for a, _ in points}) < 2:
        return None
    lx = np.log([a for a, _ in points])
    ly = np.log([b for _, b in points])
    slope = np.polyfit(lx, ly, 1)[0]
    return round(float(slope), 3)


def _predict(
    method: str, history: list[tuple[float, float, float]], nm: float
) -> tuple[float, float] | None:
    """Extrapolated (seconds, peak bytes) at ``nm`` from the method's measured sizes."""
    if not history:
        return None
    exponent = _fit_exponent([h[0] for h in history], [h[1] for h in history])
    if exponent is None:
        exponent = DEFAULT_EXPONENT[method]
    last_nm, last_seconds, last_peak = history[-1]
    ratio = nm / last_nm
    return last_seconds * ratio**exponent, last_peak * ratio


def _lsa_bytes(n: int, seats: int) -> float:
    """scipy's dense capacity-expanded matrix alone: N x seats float64."""
    return 8.0 * n * seats


def _score_row(row: dict[str, Any], instance: Any) -> None:
    """Evaluate every method's pairs identically; gap to the row's best solution."""
    scores = np.asarray(instance.scores)
    for record in row["methods"].values():
        if "rows" not in record:
            continue
        rows, cols = record.pop("rows"), record.pop("cols")
        evaluation = evaluate(scores, instance.capacity, instance.demand, rows, cols)
        record["valid"] = evaluation.valid
        if not evaluation.valid:
            record["status"] = "invalid"
            record["note"] = evaluation.problem
        record["matched"] = evaluation.matched
        record["total_score"] = round(evaluation.total_score, 6)
        reported = record.get("reported_total_score")
        if reported is not None:  # ours: its own summary against the common evaluator
            difference = abs(reported - evaluation.total_score) / max(1.0, abs(reported))
            record["reported_vs_evaluated"] = difference
            if difference > 1e-6:
                record["note"] = f"summary total differs from the evaluator by {difference:.1e}"
    del scores
    solved = [r for r in row["methods"].values() if r.get("valid")]
    if not solved:
        return
    best = max(solved, key=lambda r: (r["matched"], r["total_score"]))
    row["best"] = {"matched": best["matched"], "total_score": best["total_score"]}
    for record in solved:
        scale = max(1.0, abs(best["total_score"]))
        record["gap"] = (best["total_score"] - record["total_score"]) / scale
        record["matched_below_best"] = best["matched"] - record["matched"]


def _analyse(results: dict[str, Any]) -> None:
    """Growth exponents, ours-vs-MCF ratios and the issue's targets."""
    rows = results["rows"]
    exponents: dict[str, Any] = {}
    for method in results["config"]["methods"]:
        xs, ys, mem = [], [], []
        for row in rows:
            record = row["methods"].get(method, {})
            if record.get("status") == "ok":
                xs.append(row["nm"])
                ys.append(record["seconds"])
                mem.append(record["peak_rss_bytes"])
        exponents[method] = {
            "time_vs_nm": _fit_exponent(xs, ys),
            "memory_vs_nm": _fit_exponent(xs, mem),
            "sizes": len(xs),
        }
    ours = [r for r in rows if r["methods"].get("ours", {}).get("status") == "ok"]
    for step in ("score", "prices", "solve", "explain", "encode"):
        xs = [r["nm"] for r in ours if step in r["methods"]["ours"].get("timings", {})]
        ys = [r["methods"]["ours"]["timings"][step] for r in ours if r["nm"] in xs]
        exponents[f"ours.{step}"] = {"time_vs_nm": _fit_exponent(xs, ys), "sizes": len(xs)}
    arcs = [r["methods"]["ours"].get("candidate_arcs", 0) for r in ours]
    # The contention estimate is a flow solve too: counted with the solve step here.
    solve = [solve_with_prices(r["methods"]["ours"].get("timings", {})) for r in ours]
    exponents["ours.solve_vs_candidate_arcs"] = {
        "time_vs_arcs": _fit_exponent([float(a) for a in arcs], solve),
        "sizes": len(ours),
    }
    results["exponents"] = exponents

    ratios: dict[str, Any] = {}
    for row in rows:
        ours_r, mcf = row["methods"].get("ours", {}), row["methods"].get("mcf_full", {})
        if ours_r.get("status") != "ok":
            continue
        entry: dict[str, Any] = {"mcf_status": mcf.get("status", "not run")}
        if mcf.get("status") == "ok":
            entry["speed"] = round(mcf["seconds"] / ours_r["seconds"], 2)
            entry["speed_cpu"] = round(mcf["cpu_seconds"] / ours_r["cpu_seconds"], 2)
            entry["memory"] = round(mcf["peak_rss_bytes"] / ours_r["peak_rss_bytes"], 2)
            scale = max(1.0, abs(mcf["total_score"]))
            entry["objective_difference"] = (mcf["total_score"] - ours_r["total_score"]) / scale
            entry["matched_difference"] = mcf["matched"] - ours_r["matched"]
        ratios[row["size"]] = entry
    results["ratios_vs_mcf_full"] = ratios
    results["targets"] = _targets(results)


def solve_with_prices(timings: dict[str, float]) -> float:
    """The solve step plus the contention estimate that chose its candidates."""
    return float(timings.get("solve", 0.0)) + float(timings.get("prices", 0.0))


def _targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, measured (never asserted)."""
    by_size = {row["size"]: row for row in results["rows"]}
    ratios = results["ratios_vs_mcf_full"]
    targets: list[dict[str, Any]] = []

    def add(name: str, value: float | None, limit: float, at_most: bool) -> None:
        met = None if value is None else (value <= limit if at_most else value >= limit)
        targets.append({"target": name, "measured": value, "limit": limit, "met": met})

    big = by_size.get("30000x3000")
    if big is not None:
        ours = big["methods"].get("ours", {})
        cli = big.get("cli", {})
        add("30k x 3k: match() seconds (summary.json)", cli.get("seconds"), 10.0, True)
        add("30k x 3k: match() seconds (in-process)", ours.get("seconds"), 10.0, True)
        add("30k x 3k: whole process seconds", cli.get("process_seconds"), 20.0, True)
        peak = cli.get("peak_rss_bytes")
        add("30k x 3k: whole process peak RSS GiB", peak and round(peak / GIB, 2), 4.0, True)
        add("30k x 3k: certified gap", ours.get("certified_gap"), 1e-6, True)
    for size, speed_min, memory_min in (("8000x800", 3.0, None), ("30000x3000", 5.0, 3.0)):
        entry = ratios.get(size)
        if entry is None:
            continue
        add(f"{size}: speed vs full-graph MCF (x)", entry.get("speed"), speed_min, False)
        if memory_min is not None:
            add(f"{size}: memory vs full-graph MCF (x)", entry.get("memory"), memory_min, False)
        if "objective_difference" in entry:
            add(
                f"{size}: objective difference to MCF (relative)",
                abs(entry["objective_difference"]),
                1e-6,
                True,
            )
    return targets


# --------------------------------------------------------------------------- output


def _fmt_seconds(record: dict[str, Any]) -> str:
    if record.get("status") == "ok":
        return f"{record['seconds']:.2f}"
    if "predicted_seconds" in record:
        return f"(~{record['predicted_seconds']:.0f})"
    return "—"


def _fmt_memory(value: float | None) -> str:
    return "—" if not value else f"{value / GIB:.2f}"


def _print_tables(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(150, shutil.get_terminal_size((150, 40)).columns))
    table = Table(title=f"Marraine benchmark ({results['name']}, objective {results['objective']})")
    columns = (
        "N x M",
        "method",
        "status",
        "seconds",
        "CPU s",
        "peak GiB",
        "matched",
        "total score",
    )
    for column in columns:
        table.add_column(column, justify="left" if column in ("method", "status") else "right")
    table.add_column("gap to best", justify="right")
    table.add_column("note")
    for row in results["rows"]:
        first = True
        for method, record in row["methods"].items():
            gap = record.get("gap")
            table.add_row(
                row["size"] if first else "",
                LABELS[method],
                record.get("status", ""),
                _fmt_seconds(record),
                f"{record['cpu_seconds']:.2f}" if "cpu_seconds" in record else "—",
                _fmt_memory(record.get("peak_rss_bytes")),
                str(record.get("matched", "—")),
                f"{record['total_score']:.3f}" if "total_score" in record else "—",
                "—" if gap is None else f"{gap:.2e}",
                _note(method, record),
            )
            first = False
        cli = row.get("cli")
        if cli:
            table.add_row(
                "",
                "ours: marraine demo (process)",
                cli.get("status", ""),
                f"{cli['process_seconds']:.2f}",
                "—",
                _fmt_memory(cli.get("peak_rss_bytes")),
                str(cli.get("matched", "—")),
                f"{cli['total_score']:.3f}" if "total_score" in cli else "—",
                "—",
                f"summary seconds {cli.get('seconds', '—')}; own cohort (demand as drawn)",
            )
        table.add_section()
    console.print(table)

    exps = Table(title="Growth exponents: time ∝ (N·M)^k, least squares on log-log")
    for column in ("series", "k (time)", "k (memory)", "sizes"):
        exps.add_column(column)
    for name, entry in results["exponents"].items():
        k = entry.get("time_vs_nm", entry.get("time_vs_arcs"))
        series = LABELS.get(name, name)
        if name == "ours.solve_vs_candidate_arcs":
            series = "ours.solve (+ prices) vs candidate arcs"
        exps.add_row(
            series,
            "—" if k is None else f"{k:.2f}",
            "—" if entry.get("memory_vs_nm") is None else f"{entry['memory_vs_nm']:.2f}",
            str(entry["sizes"]),
        )
    console.print(exps)

    targets = Table(title="Ratios and targets of issue 3 (measured, not asserted)")
    for column in ("target", "measured", "limit", "met"):
        targets.add_column(column)
    for size, entry in results["ratios_vs_mcf_full"].items():
        if "speed" in entry:
            targets.add_row(
                f"{size}: full-graph MCF / ours",
                f"wall x{entry['speed']:.2f}, CPU x{entry.get('speed_cpu', math.nan):.2f}, "
                f"peak RSS x{entry['memory']:.2f}",
                "",
                "",
            )
        else:
            targets.add_row(f"{size}: ours vs full-graph MCF", f"MCF {entry['mcf_status']}", "", "")
    for entry in results["targets"]:
        value = entry["measured"]
        met = {True: "yes", False: "MISSED", None: "not measured"}[entry["met"]]
        shown = "—" if value is None else f"{value:.3g}"
        targets.add_row(entry["target"], shown, f"{entry['limit']:g}", met)
    console.print(targets)


def _note(method: str, record: dict[str, Any]) -> str:
    parts = []
    if record.get("note"):
        parts.append(str(record["note"]))
    if method == "ours" and record.get("status") == "ok":
        timings = record.get("timings", {})
        steps = ", ".join(f"{k} {v:.2f}" for k, v in timings.items())
        parts.append(f"cert. gap {record.get('certified_gap', float('nan')):.1e}")
        parts.append(
            f"{record.get('rounds', '?')} rounds, {record.get('candidate_arcs', 0):,} arcs"
        )
        if steps:
            parts.append(steps)
    if record.get("matched_below_best"):
        parts.append(f"{record['matched_below_best']} fewer matched")
    return "; ".join(parts)


def _markdown(results: dict[str, Any]) -> str:
    """The README's Performance table, from the results."""
    lines = [
        "| N x M | method | seconds | peak RSS (GiB) | matched | total score | gap to best |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in results["rows"]:
        for method, record in row["methods"].items():
            ok = record.get("status") == "ok"
            seconds = f"{record['seconds']:.2f}" if ok else record.get("status", "")
            if not ok and "predicted_seconds" in record:
                seconds += f" (~{record['predicted_seconds']:.0f} s predicted)"
            gap = record.get("gap")
            matched = record.get("matched", "—")
            total = f"{record['total_score']:.2f}" if "total_score" in record else "—"
            memory = _fmt_memory(record.get("peak_rss_bytes"))
            shown_gap = "—" if gap is None else f"{gap:.1e}"
            lines.append(
                f"| {row['size']} | {LABELS[method]} | {seconds} | {memory} | {matched} | "
                f"{total} | {shown_gap} |"
            )
        cli = row.get("cli")
        if cli and cli.get("status") == "ok":
            lines.append(
                f"| {row['size']} | `marraine demo` whole process | {cli['process_seconds']:.2f} "
                f"(match {cli.get('seconds', '—')}) | {_fmt_memory(cli.get('peak_rss_bytes'))} | "
                f"{cli.get('matched', '—')} | — | — |"
            )
    lines.append("")
    lines.append("| series | growth exponent k, time ∝ (N·M)^k |")
    lines.append("|---|---:|")
    for name, entry in results["exponents"].items():
        k = entry.get("time_vs_nm", entry.get("time_vs_arcs"))
        label = LABELS.get(name, name)
        if name == "ours.solve_vs_candidate_arcs":
            label = "ours: solve (with the contention estimate), against candidate arcs"
        lines.append(f"| {label} | {'—' if k is None else f'{k:.2f}'} |")
    return "\n".join(lines) + "\n"


def _plot(results: dict[str, Any], paths: list[Path]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budget = results["config"]["budget_seconds"]
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(12, 4.8))
    colours = dict(zip(METHODS, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for rank, method in enumerate(results["config"]["methods"]):
        xs, ts, ms, over = [], [], [], []
        for row in results["rows"]:
            record = row["methods"].get(method)
            if record is None:
                continue
            if record.get("status") == "ok":
                xs.append(row["nm"])
                ts.append(record["seconds"])
                ms.append(record["peak_rss_bytes"] / GIB)
            elif record.get("status") in ("timeout", "skipped", "memory"):
                over.append(row["nm"])
        style = {"color": colours[method], "marker": "o"}
        if xs:
            ax_t.plot(xs, ts, label=LABELS[method], **style)
            ax_m.plot(xs, ms, label=LABELS[method], **style)
        if over:
            # Stacked a little apart so that methods over budget at one size stay visible.
            level = budget * 1.18**rank
            ax_t.scatter(over, [level] * len(over), marker="x", color=colours[method], s=60)
    ours = [r for r in results["rows"] if r["methods"].get("ours", {}).get("status") == "ok"]
    for step, dash in (("score", "--"), ("solve", ":")):
        xs = [r["nm"] for r in ours if step in r["methods"]["ours"].get("timings", {})]
        ts = [r["methods"]["ours"]["timings"][step] for r in ours if r["nm"] in xs]
        if xs:
            ax_t.plot(xs, ts, dash, color=colours["ours"], label=f"ours: {step} step")
    cli = [(r["nm"], r["cli"]) for r in results["rows"] if r.get("cli", {}).get("status") == "ok"]
    if cli:
        ax_m.plot(
            [x for x, _ in cli],
            [c["peak_rss_bytes"] / GIB for _, c in cli],
            "--",
            color=colours["ours"],
            label="ours: marraine demo process",
        )
    ax_t.axhline(budget, color="grey", lw=0.8)
    ax_t.annotate(
        f"budget {budget:.0f} s (x: over budget)",
        (1.0, budget),
        xycoords=("axes fraction", "data"),
        ha="right",
        va="bottom",
        fontsize=8,
    )
    for ax, label in ((ax_t, "seconds"), (ax_m, "peak RSS (GiB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N·M (mentees x mentors)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    ax_t.set_title("time")
    ax_m.set_title("memory")
    ax_t.legend(fontsize=7, loc="best")
    ax_m.legend(fontsize=7, loc="best")
    fig.suptitle(
        f"Marraine vs baselines, synthetic {results['kind']} instances "
        f"({results['machine']['cpus']} cores)",
        fontsize=10,
    )
    fig.tight_layout()
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    plt.close(fig)


def machine_info() -> dict[str, Any]:
    """The machine, library versions and commit a result was measured on."""
    import networkx
    import ortools
    import scipy

    memory = 0
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "matching"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory / GIB, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "ortools": ortools.__version__,
        "networkx": networkx.__version__,
        "commit": commit,
        "engine_uncommitted_files": len(dirty.splitlines()) if dirty else 0,
    }


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if args.replot is not None:
        results = json.loads(args.replot.read_text())
        stem = args.replot.with_suffix("")
        stem.with_suffix(".md").write_text(_markdown(results))
        if not args.no_plot:
            paths = [stem.with_suffix(".png")] + ([Path(args.plot_copy)] if args.plot_copy else [])
            _plot(results, paths)
        _print_tables(results)
        return results
    hr_python = ensure_baseline_venv() if "hr" in args.methods else None
    results: dict[str, Any] = {
        "name": args.name,
        "kind": args.kind,
        "objective": args.objective,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "config": {
            "sizes": [f"{n}x{m}" for n, m in args.sizes],
            "methods": args.methods,
            "seed": args.seed,
            "budget_seconds": args.budget_seconds,
            "budget_memory_gib": args.budget_memory_gib,
        },
        "notes": [
            "seconds: wall time; CPU s: user + system time of all the process's threads "
            "(less sensitive to other load on a shared machine). Both for the solve alone, "
            "timed inside each method's own process (start-up and reading the instance "
            "excluded); ours: the whole match() including scoring, "
            "while baselines get the dense score matrix for free.",
            "peak RSS: the method's process high-water mark during the solve (its input "
            "resident: the participants for ours, the float32 score matrix for baselines).",
            "a method whose run took under --repeat-under seconds runs --repeat times in "
            "rounds (every method once per round, fresh processes); the median run is "
            "reported, all in runs_seconds.",
            "every mentee has demand 1 and every mentor min load 0 in these instances.",
            "allocator: ours runs match() under matching.process_settings(), as the CLI and "
            "the worker do, which switches NumPy's transparent-hugepage advice off "
            "(matching._runtime); the baselines' processes get "
            f"{HUGEPAGE_VARIABLE}=0, the same behaviour.",
            "gap to best: (best total - total) / best total, best = most matched, then "
            "highest total among valid results of the row.",
        ],
        "rows": [],
    }
    history: dict[str, list[tuple[float, float, float]]] = {m: [] for m in args.methods}
    over_budget: dict[str, str] = {}
    for n, m in args.sizes:
        size = f"{n}x{m}"
        print(f"== {size}: building the instance", flush=True)
        started = time.perf_counter()
        instance = build_instance(args.kind, n, m, args.seed, args.cache_dir)
        info = json.loads((instance.path / "info.json").read_text())
        row: dict[str, Any] = {
            "size": size,
            "n": n,
            "m": m,
            "nm": n * m,
            "allowed_arcs": info["allowed_arcs"],
            "seats": info["seats"],
            "instance_seconds": round(time.perf_counter() - started, 2),
            "methods": {},
        }
        runs: dict[str, list[dict[str, Any]]] = {}
        for method in args.methods:
            record = _plan(method, n, m, info, history[method], over_budget, args)
            if record is None:
                print(f"   {method} ...", end=" ", flush=True)
                runs[method] = [_run_method(method, instance.path, args, hr_python)]
                first = runs[method][0]
                print(first["status"], first.get("seconds", first.get("note", "")), flush=True)
            else:
                print(f"   {method} skipped: {record['note']}", flush=True)
            row["methods"][method] = record
        if args.repeat > 1:
            print(f"   repeating the short runs ({args.repeat} in all) ...", flush=True)
            _repeat_rounds(runs, instance.path, args, hr_python)
        for method, done in runs.items():
            record = row["methods"][method] = _median_run(done)
            if record["status"] == "ok":
                history[method].append((n * m, record["seconds"], record["peak_rss_bytes"]))
            elif record["status"] in ("timeout", "memory"):
                over_budget[method] = f"{record['status']} at {size}"
        if "ours" in args.methods and not args.no_cli:
            print("   marraine demo ...", end=" ", flush=True)
            row["cli"] = _run_cli(n, m, args.seed, args)
            print(row["cli"]["status"], row["cli"].get("process_seconds"), flush=True)
        _score_row(row, load_instance(instance.path))
        results["rows"].append(row)
    results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    _analyse(results)
    json_path = args.out_dir / f"{args.name}.json"
    json_path.write_text(json.dumps(results, indent=1, default=_json_default) + "\n")
    (args.out_dir / f"{args.name}.md").write_text(_markdown(results))
    if not args.no_plot:
        paths = [args.out_dir / f"{args.name}.png"]
        if args.plot_copy:
            paths.append(Path(args.plot_copy))
        _plot(results, paths)
    _print_tables(results)
    print(f"wrote {json_path}", flush=True)
    return results


def _plan(
    method: str,
    n: int,
    m: int,
    info: dict[str, Any],
    history: list[tuple[float, float, float]],
    over_budget: dict[str, str],
    args: argparse.Namespace,
) -> dict[str, Any] | None:
    """None to run the method; else the record of why it is not run (reported)."""
    if method in over_budget:
        return {
            "status": "skipped",
            "note": f"over budget at a smaller size ({over_budget[method]})",
        }
    budget_bytes = args.budget_memory_gib * GIB
    predicted = _predict(method, history, float(n * m))
    seconds, peak = predicted if predicted else (None, None)
    if method == "scipy_lsa":
        peak = max(peak or 0.0, _lsa_bytes(n, info["seats"]))
    record: dict[str, Any] = {"status": "skipped"}
    if seconds is not None:
        record["predicted_seconds"] = round(seconds, 1)
    if peak is not None:
        record["predicted_peak_rss_bytes"] = int(peak)
    # Run unless clearly hopeless: a borderline method runs and is killed at the budget.
    if seconds is not None and seconds > args.skip_factor * args.budget_seconds:
        record["note"] = f"predicted ~{seconds:.0f} s > budget {args.budget_seconds:.0f} s"
        return record
    if peak is not None and peak > 1.5 * budget_bytes:
        record["note"] = f"predicted ~{peak / GIB:.1f} GiB > budget {args.budget_memory_gib:g} GiB"
        return record
    return None


def _json_default(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(type(value))


if __name__ == "__main__":
    main()
