"""Solve time against candidate arcs, at fixed cohort sizes.

``python -m benchmarks.solve_scaling`` (``make bench-solve``) separates the two things that
grow together in ``make bench``: the candidate arcs the solver receives and the cohort's
node count. ``benchmarks.run`` fits the solve step against candidate arcs *across* cohort
sizes, where both grow at once. Here each cohort (``benchmarks.instances.cohort_frames``)
is built once and matched in-process with ``matching.match(objective="coverage")`` for
several ``solver.top_k`` values, so the arcs change while the nodes stay fixed.

Each (size, top_k) cell runs ``--repeat`` times in rounds (every cell of a size once per
round), after one discarded warm-up match per size; the median solve step
(``summary.timings`` ``"solve"`` plus ``"prices"``, the contention estimate's smaller flow
that chooses the candidates) is reported with every run. The script owns three fits
(least squares on logs): solve against arcs at each fixed size;
``log solve = a·log arcs + b·log(N + M) + c`` over every cell; solve against arcs across
sizes at the default ``top_k`` (what ``make bench`` reports). It also checks that the
certified total score is the same for every ``top_k`` of a size, and flags it when not.

**One flow, three ways.** The warm-up match at the default ``top_k`` records the first
flow network the solver builds (round 1: the candidate arcs, before any pricing). That
network is then solved alone, ``--repeat`` times each: by OR-Tools' cost scaling as the
solver calls it, by the same on the same arcs with their costs shuffled (no contention
for popular mentors left), and by LEMON's network simplex (``pylmcf``, in the baseline
venv, :mod:`benchmarks.flow_worker`). Fit (d) gives each one's growth against the
candidate arcs across sizes, next to the solve step's: what any one library flow costs
on the same input.

**Linear work, for scale.** The smallest size's round-1 network is also replicated into
as many disjoint copies as make each larger size's round-1 arcs (rounded) and solved as
one network by OR-Tools: the work is the same flow repeated, so its growth is what this
machine and library show for work strictly linear in arcs (caches, allocation), and
anything above it in the other series is the algorithm on a larger connected network.
It measures; it asserts nothing. Output: a plain table,
``benchmarks/results/<name>.json`` and ``benchmarks/results/<name>.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import numpy as np

from benchmarks.instances import cohort_frames
from benchmarks.run import ensure_baseline_venv, machine_info, parse_sizes, solve_with_prices

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

FULL_SIZES = "8000x800,15000x1500,30000x3000"
QUICK_SIZES = "1000x100,3000x300"
TOP_K = "5,10,20,40"
DEFAULT_TOP_K = 20  # matching.model.SolverOptions.top_k: the k that `make bench` runs
OBJECTIVE: Final = "coverage"
STEPS = ("encode", "score", "prices", "solve", "explain")
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
    parser.add_argument(
        "--flow-reference",
        choices=("all", "ortools", "none"),
        default="all",
        help="solve the round-1 network alone: OR-Tools and LEMON (all, the default; LEMON "
        "comes from the baseline venv, created on first use), OR-Tools only, or not at all",
    )
    parser.add_argument(
        "--out-dir", type=Path, default=RESULTS, help=f"where results go (default {RESULTS})"
    )
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
    with matching.process_settings():  # as the marraine command and the run worker
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


@contextmanager
def _first_network() -> Iterator[dict[str, Any]]:
    """Record the first flow network the solver solves whole on the whole cohort (round 1,
    on the candidates; the contention estimate's smaller network comes before it)."""
    from matching.solver import _network

    seen: dict[str, Any] = {}
    original = _network.FlowNetwork.solve

    def recording(net: Any) -> Any:
        if not seen or net.n_mentees > seen["n_mentees"]:
            seen.update(
                tails=net.tails.copy(),
                heads=net.heads.copy(),
                caps=net.caps.copy(),
                costs=net.costs.copy(),
                supplies=net.supplies.copy(),
                n_mentees=net.n_mentees,
                n_mentors=net.n_mentors,
                real_arcs=net.n_real,
            )
        return original(net)

    _network.FlowNetwork.solve = recording  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        _network.FlowNetwork.solve = original  # type: ignore[method-assign]


def _timed_flows(network: dict[str, Any], costs: Any, repeat: int) -> tuple[list[float], int]:
    """Seconds of ``repeat`` OR-Tools solves (as the solver calls it) and the optimal cost."""
    from matching.solver._network import solve_min_cost_flow

    seconds, cost = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        flows = solve_min_cost_flow(
            network["tails"], network["heads"], network["caps"], costs, network["supplies"]
        )
        seconds.append(round(time.perf_counter() - started, 4))
        cost = int((flows * costs).sum())
    return seconds, cost


def _lemon(network: dict[str, Any], optimal_cost: int, repeat: int) -> dict[str, Any]:
    """LEMON's network simplex on the network, in the baseline venv (flow_worker.py)."""
    python = ensure_baseline_venv()
    if python is None:
        return {"status": "failed", "note": "baseline venv could not be created"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "network.npz"
        np.savez(path, **network, optimal_cost=optimal_cost)
        command = [python, "-I", str(HERE / "flow_worker.py"), str(path), str(repeat)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            return {"status": "timeout", "note": "killed after 600 s"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["failed"]
        return {"status": "failed", "note": tail[0][:300]}
    return {"status": "ok"} | json.loads(done.stdout.strip().splitlines()[-1])


def _disjoint_copies(network: dict[str, Any], copies: int) -> dict[str, Any]:
    """``copies`` disjoint copies of a flow network as one network (node ids offset)."""
    nodes = int(network["supplies"].size)
    offsets = [copy * nodes for copy in range(copies)]
    return {
        "tails": np.concatenate([network["tails"] + offset for offset in offsets]),
        "heads": np.concatenate([network["heads"] + offset for offset in offsets]),
        "caps": np.tile(network["caps"], copies),
        "costs": np.tile(network["costs"], copies),
        "supplies": np.tile(network["supplies"], copies),
    }


def _linear_reference(smallest: dict[str, Any], arcs: int, repeat: int) -> dict[str, Any]:
    """The smallest size's round-1 network in about ``arcs / its arcs`` disjoint copies,
    solved as one by OR-Tools: work strictly linear in the arcs (module docstring)."""
    copies = max(1, round(arcs / int(smallest["real_arcs"])))
    network = _disjoint_copies(smallest, copies)
    seconds, _ = _timed_flows(network, network["costs"], repeat)
    return {
        "copies": copies,
        "candidate_arcs": copies * int(smallest["real_arcs"]),
        "seconds": statistics.median(seconds),
        "runs_seconds": seconds,
    }


def _flow_reference(
    network: dict[str, Any], repeat: int, seed: int, with_lemon: bool, smallest: dict[str, Any]
) -> dict[str, Any]:
    """The round-1 network solved alone: OR-Tools, OR-Tools on shuffled costs, LEMON; and
    the linear-work reference of the same size (``smallest``: the first size's network)."""
    real = int(network["real_arcs"])
    ortools, optimal_cost = _timed_flows(network, network["costs"], repeat)
    shuffled_costs = network["costs"].copy()
    shuffled_costs[:real] = np.random.default_rng(seed).permutation(shuffled_costs[:real])
    shuffled, _ = _timed_flows(network, shuffled_costs, repeat)
    lemon = _lemon(network, optimal_cost, repeat) if with_lemon else {"status": "skipped"}
    lemon_seconds = lemon.get("seconds") or []
    return {
        "candidate_arcs": real,
        "network_arcs": int(network["tails"].size),
        "nodes": int(network["supplies"].size),
        "ortools_seconds": statistics.median(ortools),
        "ortools_runs_seconds": ortools,
        "shuffled_costs_seconds": statistics.median(shuffled),
        "shuffled_costs_runs_seconds": shuffled,
        "lemon_seconds": statistics.median(lemon_seconds) if lemon_seconds else None,
        "lemon": lemon,
        "linear_reference": _linear_reference(smallest, real, repeat),
    }


def _described(flow_reference: dict[str, Any]) -> str:
    """``OR-Tools / shuffled / LEMON`` seconds of a flow reference, for the progress line."""
    lemon = flow_reference["lemon"]
    lemon_text = f"{flow_reference['lemon_seconds']:.3f}" if lemon["status"] == "ok" else "—"
    linear = flow_reference["linear_reference"]
    return (
        f"{flow_reference['ortools_seconds']:.3f} / "
        f"{flow_reference['shuffled_costs_seconds']:.3f} / {lemon_text} s "
        f"(LEMON {lemon['status']}); {linear['copies']} disjoint copies of the smallest: "
        f"{linear['seconds']:.3f} s"
    )


def _solve(run: dict[str, Any]) -> float:
    """The solve step with the contention estimate (a smaller flow that chooses the
    candidates): what the solver costs, wherever the summary books it."""
    return solve_with_prices(run["timings"])


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


def _run_size(
    n: int, m: int, args: argparse.Namespace, flags: list[str], smallest: dict[str, Any]
) -> dict[str, Any]:
    """Every top_k on one cohort, in rounds after a discarded warm-up; one entry per size.

    ``smallest`` holds the first size's round-1 network (filled here on the first call)."""
    size = f"{n}x{m}"
    print(f"== {size}: building the cohort", flush=True)
    started = time.perf_counter()
    programme, mentees, mentors = cohort_frames(n, m, args.seed)
    cohort_seconds = time.perf_counter() - started
    print(f"   warm-up match (top_k {programme.solver.top_k}, discarded) ...", end=" ", flush=True)
    with _first_network() as network:
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
    flow_reference = None
    if args.flow_reference != "none" and network:
        if not smallest:
            smallest.update(network)
        print("   round-1 network alone: OR-Tools, shuffled costs, LEMON ...", end=" ", flush=True)
        flow_reference = _flow_reference(
            network, args.repeat, args.seed, args.flow_reference == "all", smallest
        )
        print(_described(flow_reference), flush=True)
        lemon = flow_reference["lemon"]
        if lemon["status"] == "ok" and not lemon["same_optimum"]:
            flags.append(f"{size}: LEMON's optimum differs from OR-Tools' (BUG?)")
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
        "flow_reference": flow_reference,
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


FLOW_SERIES = {
    "solve_step": "the solve step of match() (contention estimate, all rounds, duals, pricing)",
    "ortools_seconds": "one OR-Tools flow on the round-1 network",
    "shuffled_costs_seconds": "the same, candidate costs shuffled",
    "lemon_seconds": "one LEMON network simplex on the round-1 network",
    "linear_reference": "one OR-Tools flow on disjoint copies of the smallest round-1 network "
    "(linear work)",
}


def _flow_fits(sizes: list[dict[str, Any]], cells: list[dict[str, Any]]) -> dict[str, Any]:
    """(d) each series of FLOW_SERIES against the round-1 candidate arcs, across sizes (the
    solve step: the median of the default top_k's cell, whose network was recorded)."""
    step = {c["size"]: c["solve_seconds"] for c in cells if c["top_k"] == DEFAULT_TOP_K}
    fits: dict[str, Any] = {}
    with_reference = [s for s in sizes if s.get("flow_reference")]
    for key in FLOW_SERIES:
        arcs, seconds = [], []
        for size in with_reference:
            reference = size["flow_reference"]
            size_arcs = reference["candidate_arcs"]
            if key == "solve_step":
                value = step.get(size["size"])
            elif key == "linear_reference":
                value = reference[key]["seconds"]
                size_arcs = reference[key]["candidate_arcs"]  # its own: whole copies
            else:
                value = reference.get(key)
            if value is not None:
                arcs.append(size_arcs)
                seconds.append(value)
        fit = _least_squares([arcs], seconds)
        fits[key] = {
            "arcs_exponent": None if fit is None else fit["coefficients"][0],
            "r2": None if fit is None else fit["r2"],
            "sizes": len(arcs),
        }
    return fits


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
    for key, fit in fits.get("one_flow_across_sizes", {}).items():
        rows.append(
            (
                f"(d) across sizes: {FLOW_SERIES[key]} ∝ round-1 arcs^k ({fit['sizes']} sizes)",
                f"k = {_fmt(fit['arcs_exponent'], '.2f')}",
                _fmt(fit["r2"], ".3f"),
            )
        )
    return rows


FLOW_HEADER = (
    "N x M",
    "round-1 arcs",
    "solve step s",
    "OR-Tools flow s",
    "shuffled costs s",
    "LEMON simplex s",
    "disjoint copies (arcs) s",
    "solve step / flow",
)


def _flow_rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per size with a flow reference (FLOW_HEADER), shared by both outputs."""
    step = {c["size"]: c["solve_seconds"] for c in results["rows"] if c["top_k"] == DEFAULT_TOP_K}
    rows = []
    for size in results["sizes"]:
        reference = size.get("flow_reference")
        if not reference:
            continue
        lemon = reference["lemon"]
        solve = step.get(size["size"])
        flow = reference["ortools_seconds"]
        rows.append(
            (
                size["size"],
                f"{reference['candidate_arcs']:,}",
                _fmt(solve, ".3f"),
                f"{flow:.3f}",
                f"{reference['shuffled_costs_seconds']:.3f}",
                _fmt(reference["lemon_seconds"], ".3f")
                if lemon["status"] == "ok"
                else lemon["status"],
                _linear_cell(reference.get("linear_reference")),
                _fmt(None if solve is None else solve / flow, ".2f"),
            )
        )
    return rows


def _linear_cell(linear: dict[str, Any] | None) -> str:
    """``seconds (copies x, arcs)`` of a linear-work reference, for the flow table."""
    if not linear:
        return "—"
    return f"{linear['seconds']:.3f} ({linear['copies']}×, {linear['candidate_arcs']:,})"


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
    flows = _flow_rows(results)
    if flows:
        widths = [max(len(h), *(len(r[i]) for r in flows)) for i, h in enumerate(FLOW_HEADER)]
        print("\nThe round-1 network solved alone (medians)")
        print("  ".join(h.rjust(w) for h, w in zip(FLOW_HEADER, widths, strict=True)))
        for row in flows:
            print("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
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
    flows = _flow_rows(results)
    if flows:
        lines += ["", "| " + " | ".join(FLOW_HEADER) + " |", "|---" + "|---:" * 7 + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in flows]
    lines += ["", "| fit | exponent | R² |", "|---|---|---:|"]
    lines += [f"| {fit} | {value} | {r2} |" for fit, value, r2 in _fit_rows(results["fits"])]
    if results["flags"]:
        lines += ["", *(f"- **flag**: {flag}" for flag in results["flags"])]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
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
            "solve: summary.timings['solve'] + summary.timings['prices'] of an in-process "
            "matching.match(): the contention estimate (a min-cost flow on a quarter of the "
            "mentees that chooses the candidates), building the problem, the min-cost flow "
            "rounds with their duals and pricing (certification over all allowed pairs) and "
            "the connected-components count. The solver's own "
            "split (flow / dual / price seconds) is not in the public Summary, so it is not "
            "recorded.",
            "candidate arcs: summary.candidate_arcs, the arcs handed to the solver before "
            "pricing adds any; rounds: flow solves until the certificate holds.",
            "each size: one cohort, one discarded warm-up match, then every top_k once per "
            "round for --repeat rounds; the median run is reported, all in solve_runs_seconds; "
            "load_average_before is os.getloadavg()[0] before each run.",
            "every mentee has demand 1 and every mentor min load 0 (benchmarks.instances).",
            "flow_reference (per size): the first network the solver solved whole in the "
            "warm-up match (default top_k: candidate arcs, mentee bypass and mentor -> sink "
            "arcs), solved alone --repeat times by OR-Tools SimpleMinCostFlow, by the same "
            "with the candidate arcs' costs permuted at random, and by LEMON's network "
            "simplex (pylmcf, benchmarks/flow_worker.py); medians, graph building excluded "
            "for LEMON, included for OR-Tools as the solver pays it.",
            "linear_reference (per size): the first size's recorded network replicated into "
            "round(this size's round-1 arcs / its arcs) disjoint copies (node ids offset) and "
            "solved as one network by OR-Tools, --repeat times: work strictly linear in the "
            "arcs, so its growth is this machine's and library's for linear work.",
        ],
        "sizes": [],
        "rows": [],
        "flags": [],
    }
    smallest: dict[str, Any] = {}  # the first size's round-1 network
    for n, m in args.sizes:
        entry = _run_size(n, m, args, results["flags"], smallest)
        results["rows"].extend(entry.pop("cells"))
        results["sizes"].append(entry)
    results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["fits"] = _fits(results["rows"], results["config"]["sizes"])
    results["fits"]["one_flow_across_sizes"] = _flow_fits(results["sizes"], results["rows"])
    json_path = args.out_dir / f"{args.name}.json"
    json_path.write_text(json.dumps(results, indent=1) + "\n")
    (args.out_dir / f"{args.name}.md").write_text(_markdown(results))
    _print_tables(results)
    print(f"wrote {json_path}", flush=True)
    return results


if __name__ == "__main__":
    main()
