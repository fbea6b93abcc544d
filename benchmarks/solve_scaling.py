"""Solve time against candidate arcs, at fixed cohort sizes.

``python -m benchmarks.solve_scaling`` (``make bench-solve``) separates the two things that
grow together in ``make bench``: the candidate arcs the solver receives and the cohort's
node count. ``benchmarks.run`` fits the solve step against candidate arcs *across* cohort
sizes, where both grow at once. Here each cohort (``benchmarks.instances.cohort_frames``)
is built once and matched in-process with ``matching.match(objective="coverage")`` for
several ``solver.top_k`` values, so the arcs change while the nodes stay fixed.

Each (size, top_k) cell runs ``--repeat`` times in rounds (every cell of a size once per
round), after one discarded warm-up match per size; the median ``summary.timings["solve"]``
is reported with every run. The script owns three fits (least squares on logs): solve
against arcs at each fixed size; ``log solve = a·log arcs + b·log(N + M) + c`` over every
cell; solve against arcs across sizes at the default ``top_k`` (what ``make bench``
reports). It also checks that the certified total score is the same for every ``top_k``
of a size, and flags it when not. It measures; it asserts nothing. Output: a plain table,
``benchmarks/results/<name>.json`` and ``benchmarks/results/<name>.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import time
from pathlib import Path
from typing import Any, Final

import numpy as np

from benchmarks.instances import cohort_frames
from benchmarks.run import machine_info, parse_sizes

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

FULL_SIZES = "8000x800,15000x1500,30000x3000"
QUICK_SIZES = "1000x100,3000x300"
TOP_K = "5,10,20,40"
DEFAULT_TOP_K = 20  # matching.model.SolverOptions.top_k: the k that `make bench` runs
OBJECTIVE: Final = "coverage"
STEPS = ("encode", "score", "solve", "explain")
# A certified total may differ in its last bits when ties are broken differently.
SCORE_TOLERANCE = 1e-9


# --------------------------------------------------------------------------- arguments


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.solve_scaling",
        description="Solve time of matching.match() against candidate arcs at fixed sizes.",
    )
    parser.add_argument("--sizes", help=f"NxM list (default {FULL_SIZES}; quick {QUICK_SIZES})")
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--top-k", default=TOP_K, help=f"comma-separated (default {TOP_K})")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of every cell, in rounds; the median is kept"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", help="results file stem (default solve-scaling or -quick)")
    args = parser.parse_args(argv)
    args.sizes = parse_sizes(args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))
    args.top_k = sorted({int(k) for k in args.top_k.split(",") if k})
    if not args.top_k or min(args.top_k) < 1:
        parser.error("--top-k needs positive integers")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.name is None:
        args.name = "solve-scaling-quick" if args.quick else "solve-scaling"
    return args


# --------------------------------------------------------------------------- running


def _with_top_k(programme: Any, k: int) -> Any:
    """The programme with ``solver.top_k = k`` (pydantic models are frozen: copies)."""
    return programme.model_copy(update={"solver": programme.solver.model_copy(update={"top_k": k})})


def _run_once(programme: Any, mentees: Any, mentors: Any, k: int) -> dict[str, Any]:
    """One in-process ``match()`` at ``top_k = k``: its summary's numbers and wall time."""
    import matching

    chosen = _with_top_k(programme, k)
    load = os.getloadavg()[0]
    cpu = time.process_time()
    started = time.perf_counter()
    result = matching.match(mentees, mentors, chosen, objective=OBJECTIVE)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    summary = result.summary
    return {
        "load_average_before": round(load, 2),
        "match_seconds": round(seconds, 4),
        "match_cpu_seconds": round(cpu, 4),
        "timings": {step: float(v) for step, v in summary.timings.items()},
        "candidate_arcs": int(summary.candidate_arcs),
        "rounds": int(summary.rounds),
        "gap": float(summary.gap),
        "status": str(summary.status),
        "total_score": float(summary.total_score),
        "matched": int(summary.matched),
    }


def _solve(run: dict[str, Any]) -> float:
    return float(run["timings"].get("solve", math.nan))


def _cell(n: int, m: int, k: int, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One (size, top_k) cell: the median solve with every run, and what must not vary."""
    solves = [_solve(r) for r in runs]
    median = statistics.median(solves)
    arcs = runs[0]["candidate_arcs"]
    steps = {s: statistics.median(r["timings"].get(s, math.nan) for r in runs) for s in STEPS}
    cell: dict[str, Any] = {
        "size": f"{n}x{m}",
        "n": n,
        "m": m,
        "nodes": n + m,
        "top_k": k,
        "candidate_arcs": arcs,
        "rounds": runs[0]["rounds"],
        "solve_seconds": round(median, 4),
        "solve_seconds_per_100k_arcs": round(median / arcs * 1e5, 4) if arcs else None,
        "solve_runs_seconds": solves,
        "median_timings": {s: round(v, 4) for s, v in steps.items()},
        "match_seconds": round(statistics.median(r["match_seconds"] for r in runs), 4),
        "gap": max(r["gap"] for r in runs),
        "status": sorted({r["status"] for r in runs}),
        "total_score": runs[0]["total_score"],
        "matched": runs[0]["matched"],
        "runs": runs,
    }
    varying = [
        key
        for key in ("candidate_arcs", "rounds", "matched", "total_score")
        if len({r[key] for r in runs}) > 1
    ]
    if varying:
        cell["varies_between_runs"] = varying
    return cell


def _run_size(n: int, m: int, args: argparse.Namespace, flags: list[str]) -> dict[str, Any]:
    """Every top_k on one cohort, in rounds after a discarded warm-up; one entry per size."""
    size = f"{n}x{m}"
    print(f"== {size}: building the cohort", flush=True)
    started = time.perf_counter()
    programme, mentees, mentors = cohort_frames(n, m, args.seed)
    cohort_seconds = time.perf_counter() - started
    print(f"   warm-up match (top_k {programme.solver.top_k}, discarded) ...", end=" ", flush=True)
    warmup = _run_once(programme, mentees, mentors, programme.solver.top_k)
    print(f"{warmup['match_seconds']:.2f} s", flush=True)
    runs: dict[int, list[dict[str, Any]]] = {k: [] for k in args.top_k}
    for round_index in range(args.repeat):
        for k in args.top_k:
            run = _run_once(programme, mentees, mentors, k) | {"round": round_index + 1}
            runs[k].append(run)
            print(
                f"   round {round_index + 1}/{args.repeat} top_k {k:>3}: "
                f"{run['candidate_arcs']:>9,} arcs, {run['rounds']} rounds, "
                f"solve {_solve(run):.3f} s (load {run['load_average_before']:.2f})",
                flush=True,
            )
    cells = [_cell(n, m, k, done) for k, done in runs.items()]
    for cell in cells:
        if cell["gap"] > 0 or cell["status"] != ["optimal"]:
            flags.append(f"{size} top_k {cell['top_k']}: gap {cell['gap']:.2e}, {cell['status']}")
        if "varies_between_runs" in cell:
            flags.append(
                f"{size} top_k {cell['top_k']}: {cell['varies_between_runs']} vary between runs"
            )
    totals = [c["total_score"] for c in cells]
    reference = max(1.0, abs(totals[0]))
    difference = (max(totals) - min(totals)) / reference
    matched = sorted({c["matched"] for c in cells})
    consistent = difference <= SCORE_TOLERANCE and len(matched) == 1
    if not consistent:
        by_k = ", ".join(f"top_k {c['top_k']}: {c['total_score']!r}" for c in cells)
        flags.append(f"{size}: total score differs across top_k (BUG?) — {by_k}; matched {matched}")
    return {
        "size": size,
        "n": n,
        "m": m,
        "cohort_seconds": round(cohort_seconds, 2),
        "warmup": warmup,
        "total_score_consistent": consistent,
        "total_score_relative_spread": difference,
        "cells": cells,
    }


# --------------------------------------------------------------------------- analysis


def _least_squares(columns: list[list[float]], y: list[float]) -> dict[str, Any] | None:
    """Coefficients of log y on log columns (plus a constant), with R²; None if underdetermined."""
    points = [
        (xs, v)
        for xs, v in zip(zip(*columns, strict=True), y, strict=True)
        if v > 0 and all(x > 0 for x in xs)
    ]
    if len(points) <= len(columns):
        return None
    design = np.column_stack(
        [np.log([xs[i] for xs, _ in points]) for i in range(len(columns))] + [np.ones(len(points))]
    )
    target = np.log([v for _, v in points])
    coefficients, _, rank, _ = np.linalg.lstsq(design, target, rcond=None)
    if rank < design.shape[1]:
        return None
    residual = target - design @ coefficients
    spread = float(((target - target.mean()) ** 2).sum())
    r2 = 1.0 - float((residual**2).sum()) / spread if spread > 0 else math.nan
    return {
        "coefficients": [round(float(c), 3) for c in coefficients],
        "r2": round(r2, 4),
        "points": len(points),
    }


def _fits(cells: list[dict[str, Any]], sizes: list[str]) -> dict[str, Any]:
    """(a) per size vs arcs, (b) arcs and nodes together, (c) across sizes at top_k 20."""
    per_size: dict[str, Any] = {}
    for size in sizes:
        mine = [c for c in cells if c["size"] == size]
        fit = _least_squares(
            [[c["candidate_arcs"] for c in mine]], [c["solve_seconds"] for c in mine]
        )
        per_size[size] = {
            "arcs_exponent": None if fit is None else fit["coefficients"][0],
            "r2": None if fit is None else fit["r2"],
            "cells": len(mine),
        }
    both = _least_squares(
        [[c["candidate_arcs"] for c in cells], [c["nodes"] for c in cells]],
        [c["solve_seconds"] for c in cells],
    )
    default = [c for c in cells if c["top_k"] == DEFAULT_TOP_K]
    across = _least_squares(
        [[c["candidate_arcs"] for c in default]], [c["solve_seconds"] for c in default]
    )
    return {
        "per_size_vs_arcs": per_size,
        "arcs_and_nodes": {
            "formula": "log solve = a·log(candidate arcs) + b·log(N + M) + c",
            "a_arcs": None if both is None else both["coefficients"][0],
            "b_nodes": None if both is None else both["coefficients"][1],
            "c": None if both is None else both["coefficients"][2],
            "r2": None if both is None else both["r2"],
            "cells": len(cells),
        },
        "across_sizes_vs_arcs": {
            "top_k": DEFAULT_TOP_K,
            "arcs_exponent": None if across is None else across["coefficients"][0],
            "r2": None if across is None else across["r2"],
            "sizes": len(default),
        },
    }


# --------------------------------------------------------------------------- output


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None or math.isnan(value) else format(value, spec)


def _fit_rows(fits: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(fit, exponent(s), R²) rows shared by the printed and the markdown tables."""
    rows = []
    for size, entry in fits["per_size_vs_arcs"].items():
        rows.append(
            (
                f"(a) {size}: solve ∝ arcs^k, fixed cohort ({entry['cells']} top_k)",
                f"k = {_fmt(entry['arcs_exponent'], '.2f')}",
                _fmt(entry["r2"], ".3f"),
            )
        )
    both = fits["arcs_and_nodes"]
    rows.append(
        (
            f"(b) all cells: solve ∝ arcs^a · (N + M)^b ({both['cells']} cells)",
            f"a = {_fmt(both['a_arcs'], '.2f')}, b = {_fmt(both['b_nodes'], '.2f')}",
            _fmt(both["r2"], ".3f"),
        )
    )
    across = fits["across_sizes_vs_arcs"]
    rows.append(
        (
            f"(c) across sizes at top_k {across['top_k']}: solve ∝ arcs^k "
            f"({across['sizes']} sizes, as make bench)",
            f"k = {_fmt(across['arcs_exponent'], '.2f')}",
            _fmt(across["r2"], ".3f"),
        )
    )
    return rows


def _print_tables(results: dict[str, Any]) -> None:
    header = (
        "N x M",
        "top_k",
        "cand. arcs",
        "rounds",
        "solve s",
        "s/100k arcs",
        "solve runs",
        "score s",
        "match s",
        "total score",
        "load",
    )
    lines = []
    for cell in results["rows"]:
        loads = [r["load_average_before"] for r in cell["runs"]]
        lines.append(
            (
                cell["size"],
                str(cell["top_k"]),
                f"{cell['candidate_arcs']:,}",
                str(cell["rounds"]),
                f"{cell['solve_seconds']:.3f}",
                _fmt(cell["solve_seconds_per_100k_arcs"], ".3f"),
                " ".join(f"{s:.3f}" for s in cell["solve_runs_seconds"]),
                f"{cell['median_timings']['score']:.3f}",
                f"{cell['match_seconds']:.2f}",
                f"{cell['total_score']:.3f}",
                f"{min(loads):.1f}-{max(loads):.1f}",
            )
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    print(f"\nSolve against candidate arcs ({results['name']}, objective {OBJECTIVE})")
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    previous = None
    for line in lines:
        if previous is not None and line[0] != previous:
            print()
        previous = line[0]
        print("  ".join(v.rjust(w) for v, w in zip(line, widths, strict=True)))
    print("\nFits (least squares on logs; median solve seconds per cell)")
    rows = _fit_rows(results["fits"])
    width = max(len(r[0]) for r in rows)
    for fit, value, r2 in rows:
        print(f"  {fit.ljust(width)}  {value:<20}  R² {r2}")
    for size in results["sizes"]:
        state = "same" if size["total_score_consistent"] else "DIFFERS"
        print(
            f"  {size['size']}: total score {state} across top_k "
            f"(relative spread {size['total_score_relative_spread']:.1e})"
        )
    for flag in results["flags"]:
        print(f"  FLAG: {flag}")


def _markdown(results: dict[str, Any]) -> str:
    lines = [
        "| N x M | top_k | candidate arcs | rounds | solve s (median) | solve s per 100k arcs |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for cell in results["rows"]:
        lines.append(
            f"| {cell['size']} | {cell['top_k']} | {cell['candidate_arcs']:,} | {cell['rounds']} "
            f"| {cell['solve_seconds']:.3f} | "
            f"{_fmt(cell['solve_seconds_per_100k_arcs'], '.3f')} |"
        )
    lines += ["", "| fit | exponent | R² |", "|---|---|---:|"]
    lines += [f"| {fit} | {value} | {r2} |" for fit, value, r2 in _fit_rows(results["fits"])]
    if results["flags"]:
        lines += ["", *(f"- **flag**: {flag}" for flag in results["flags"])]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "name": args.name,
        "objective": OBJECTIVE,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "config": {
            "sizes": [f"{n}x{m}" for n, m in args.sizes],
            "top_k": args.top_k,
            "repeat": args.repeat,
            "seed": args.seed,
        },
        "notes": [
            "solve: summary.timings['solve'] of an in-process matching.match(): building the "
            "problem, the min-cost flow rounds with their duals and pricing (certification "
            "over all allowed pairs) and the connected-components count. The solver's own "
            "split (flow / dual / price seconds) is not in the public Summary, so it is not "
            "recorded.",
            "candidate arcs: summary.candidate_arcs, the arcs handed to the solver before "
            "pricing adds any; rounds: flow solves until the certificate holds.",
            "each size: one cohort, one discarded warm-up match, then every top_k once per "
            "round for --repeat rounds; the median run is reported, all in solve_runs_seconds; "
            "load_average_before is os.getloadavg()[0] before each run.",
            "every mentee has demand 1 and every mentor min load 0 (benchmarks.instances).",
        ],
        "sizes": [],
        "rows": [],
        "flags": [],
    }
    for n, m in args.sizes:
        entry = _run_size(n, m, args, results["flags"])
        results["rows"].extend(entry.pop("cells"))
        results["sizes"].append(entry)
    results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["fits"] = _fits(results["rows"], results["config"]["sizes"])
    json_path = RESULTS / f"{args.name}.json"
    json_path.write_text(json.dumps(results, indent=1) + "\n")
    (RESULTS / f"{args.name}.md").write_text(_markdown(results))
    _print_tables(results)
    print(f"wrote {json_path}", flush=True)
    return results


if __name__ == "__main__":
    main()
