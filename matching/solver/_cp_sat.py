"""CP-SAT solver for what a flow cannot express: quotas on groups that share mentees, or
quotas under ``fair`` (and anything added later).

One Boolean per free arc; locked pairs are assigned beforehand. Quotas are hard; the
other levels are lexicographic, solved one after another with the previous level fixed
to its value (or to at least the value found, when the time ran out): minimum-load units,
then matched units (``coverage``, ``fair``), then the lowest matched score (``fair``),
then the total score on integer scores ``round(score x 1e6)``. Deterministic: fixed seed,
``interleave_search`` with the configured workers, so the same arrays give the same pairs.
``optimal`` only when CP-SAT proves every level; the gap comes from its best bound on the
last level. Quotas that cannot be met raise :class:`RuleError` naming the quotas at fault.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from matching._arrays import sum_of_largest
from matching.errors import QuotaError, SolverError
from matching.solver._arcs import WorkArcs
from matching.solver._diagnostics import find_bottleneck
from matching.solver._prepare import Residual, prepare
from matching.solver._problem import AssignmentProblem, AssignmentSolution, IntArray, SolverConfig
from matching.solver._solution import build_solution

SCALE = 1_000_000


@dataclass
class _Model:
    """The CP-SAT model of one residual problem: one Boolean per free arc."""

    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    arcs: WorkArcs
    values: IntArray
    """Integer arc scores, ``round(score x SCALE)``."""


Level = tuple[str, cp_model.LinearExprT]
"""A lexicographic level: its name and the expression maximised."""


def solve_cp_sat(problem: AssignmentProblem, config: SolverConfig) -> AssignmentSolution:
    """Solve with OR-Tools CP-SAT (see module docstring)."""
    started = time.perf_counter()
    residual = prepare(problem)
    arcs = WorkArcs.from_problem(problem, residual)
    model = cp_model.CpModel()
    built = _Model(
        model,
        [model.new_bool_var(f"x{a}") for a in range(arcs.size)],
        arcs,
        np.rint(arcs.score * SCALE).astype(np.int64),
    )
    by_mentee = _add_demands(built, residual)
    met = _add_capacities(built, residual)
    shorts = _add_quotas(model, problem, residual, arcs, built.x, by_mentee)
    levels = _levels(built, problem, residual, config, met, shorts)
    try:
        chosen, proven, bound = _solve_levels(built, levels, config, started)
    except _InfeasibleError:
        raise QuotaError(_infeasible_quotas(problem, residual, arcs)) from None
    chosen_int = int(built.values[chosen].sum()) - _penalty_int(problem, residual, arcs, chosen)
    if bound is None:  # penalties only lower the total: the ceiling without them holds
        bound = float(_total_ceiling(arcs, residual, built.values))
    return build_solution(
        problem,
        residual,
        config,
        arcs,
        chosen,
        bound_excess=(bound - chosen_int) / SCALE,
        certified=proven,
        method="cp_sat",
        stats={"seconds": time.perf_counter() - started, "levels": float(len(levels))},
        soft_quotas=True,
    )


def _add_demands(built: _Model, residual: Residual) -> list[np.ndarray]:
    """Each mentee takes at most her demand; returns the arc positions of each mentee."""
    by_mentee = _groups(built.arcs.mentee, residual.demand.size)
    for i, members in enumerate(by_mentee):
        if members.size and residual.demand[i] < members.size:
            built.model.add(sum(built.x[a] for a in members.tolist()) <= int(residual.demand[i]))
    return by_mentee


def _add_capacities(built: _Model, residual: Residual) -> list[cp_model.IntVar]:
    """Each mentor takes at most his capacity; returns, per mentor with a minimum load,
    the variable counting the units of it met."""
    met = []
    for j, members in enumerate(_groups(built.arcs.mentor, residual.capacity.size)):
        load = sum(built.x[a] for a in members.tolist())
        if members.size > residual.capacity[j]:
            built.model.add(load <= int(residual.capacity[j]))
        if residual.min_load[j] > 0 and members.size:
            short = built.model.new_int_var(0, int(residual.min_load[j]), f"met{j}")
            built.model.add(short <= load)
            met.append(short)
    return met


def _levels(
    built: _Model,
    problem: AssignmentProblem,
    residual: Residual,
    config: SolverConfig,
    met: list[cp_model.IntVar],
    shorts: list[tuple[cp_model.IntVar, int]],
) -> list[Level]:
    """The objective's levels in priority order: minimum-load units, matched units
    (``coverage``, ``fair``), the lowest matched score (``fair``), the total score less
    the soft quotas' penalties (``shorts``: members short and the integer penalty each)."""
    levels: list[Level] = []
    if met:
        levels.append(("min_load", sum(met)))
    if config.objective in ("coverage", "fair"):
        levels.append(("matched", sum(built.x)))
    if config.objective == "fair" and built.arcs.size:
        levels.append(("lowest", _lowest_score(built, problem, residual)))
    values = built.values.tolist()
    total = sum(int(v) * built.x[a] for a, v in enumerate(values))
    levels.append(("total", total - sum(penalty * short for short, penalty in shorts)))
    return levels


def _lowest_score(built: _Model, problem: AssignmentProblem, residual: Residual) -> cp_model.IntVar:
    """A variable at most every chosen arc's (and every locked pair's) integer score."""
    floor = built.model.new_int_var(0, int(built.values.max(initial=0)), "lowest")
    for a in range(built.arcs.size):
        built.model.add(floor <= int(built.values[a])).only_enforce_if(built.x[a])
    locked_scores = problem.arcs.score[residual.locked]
    if locked_scores.size:
        built.model.add(floor <= int(np.rint(locked_scores.min() * SCALE)))
    return floor


class _InfeasibleError(Exception):
    """CP-SAT proved the model infeasible (the quotas cannot be met)."""


def _solve_levels(
    built: _Model, levels: list[Level], config: SolverConfig, started: float
) -> tuple[IntArray, bool, float | None]:
    """Maximise each level in turn, fixing it (or its lower bound, when out of time)
    before the next: the chosen arcs, whether every level was proven, and CP-SAT's bound
    on the last level solved (None when a later level ran out of time)."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = max(1, config.workers)
    solver.parameters.random_seed = config.seed
    solver.parameters.interleave_search = True
    model, x = built.model, built.x
    proven, bound = True, None
    chosen_flags: list[bool] | None = None
    for position, (name, expression) in enumerate(levels):
        remaining = config.time_limit_seconds - (time.perf_counter() - started)
        # Each level may use its share of what is left, so an early level that cannot be
        # proven (the matched count, say) does not leave the total no time at all.
        solver.parameters.max_time_in_seconds = max(remaining / (len(levels) - position), 0.01)
        model.maximize(expression)
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:
            raise _InfeasibleError
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if chosen_flags is None:
                raise SolverError(f"CP-SAT found no solution within the time limit ({name})")
            # Out of time on a later level: the previous level's assignment stands.
            proven, bound = False, None
            break
        value = round(solver.objective_value)
        proven = proven and status == cp_model.OPTIMAL
        bound = solver.best_objective_bound
        chosen_flags = [bool(solver.value(x[a])) for a in range(built.arcs.size)]
        model.clear_hints()  # type: ignore[no-untyped-call]
        for a, flag in enumerate(chosen_flags):
            model.add_hint(x[a], flag)
        if name != "total":
            model.add(expression == value if status == cp_model.OPTIMAL else expression >= value)
    chosen = np.flatnonzero(np.asarray(chosen_flags, dtype=bool))
    return chosen, proven, bound


def _total_ceiling(arcs: WorkArcs, residual: Residual, values: IntArray) -> int:
    """A bound on the free arcs' integer total for any assignment: each mentee takes at
    most her ``demand`` best arcs, each mentor his ``capacity`` best."""
    by_mentee = sum_of_largest(arcs.mentee, values, residual.demand)
    return min(by_mentee, sum_of_largest(arcs.mentor, values, residual.capacity))


def _groups(index: np.ndarray, size: int) -> list[np.ndarray]:
    """Arc positions grouped by ``index`` value (0..size-1)."""
    order = np.argsort(index, kind="stable")
    bounds = np.searchsorted(index[order], np.arange(size + 1))
    return [order[bounds[k] : bounds[k + 1]] for k in range(size)]


def _add_quotas(
    model: cp_model.CpModel,
    problem: AssignmentProblem,
    residual: Residual,
    arcs: WorkArcs,
    x: list[cp_model.IntVar],
    by_mentee: list[np.ndarray],
) -> list[tuple[cp_model.IntVar, int]]:
    """At least ``min_matched`` mentees of each hard quota group get a mentor; for a soft
    one, the members short of it: returned with the integer penalty each costs."""
    already = np.bincount(problem.arcs.mentee[residual.locked], minlength=problem.n_mentees)
    shorts: list[tuple[cp_model.IntVar, int]] = []
    for index, quota in enumerate(problem.quotas):
        members = np.unique(np.asarray(quota.mentees, np.int64))
        needed = quota.min_matched - int((already[members] > 0).sum())
        if needed <= 0:
            continue
        matched = []
        for i in members[already[members] == 0].tolist():
            if by_mentee[i].size:
                flag = model.new_bool_var(f"m{index}_{i}")
                model.add(flag <= sum(x[a] for a in by_mentee[i].tolist()))
                matched.append(flag)
        if quota.hard:
            model.add(sum(matched) >= needed)
            continue
        short = model.new_int_var(0, needed, f"short{index}")
        model.add(sum(matched) + short >= needed)
        shorts.append((short, int(np.rint(quota.penalty * SCALE))))
    return shorts


def _penalty_int(
    problem: AssignmentProblem, residual: Residual, arcs: WorkArcs, chosen: IntArray
) -> int:
    """The soft quotas' integer penalty of the chosen free arcs with the locked pairs."""
    mentee = np.concatenate([problem.arcs.mentee[residual.locked], arcs.mentee[chosen]])
    per_mentee = np.bincount(mentee, minlength=problem.n_mentees)
    return sum(
        int(np.rint(q.penalty * SCALE)) * q.short(per_mentee) for q in problem.quotas if not q.hard
    )


def _infeasible_quotas(problem: AssignmentProblem, residual: Residual, arcs: WorkArcs) -> str:
    """Name the quotas that cannot be met, each on its own or only together."""
    alone = []
    hard = [quota for quota in problem.quotas if quota.hard]
    for quota in hard:
        members = np.isin(arcs.mentee, np.asarray(quota.mentees, np.int64))
        sub = arcs.subset(members)
        demand = np.zeros_like(residual.demand)
        demand[np.unique(sub.mentee)] = 1
        locked = problem.arcs.mentee[residual.locked]
        done = int(np.isin(np.unique(locked), quota.mentees).sum())
        reachable = demand.sum()
        bottleneck = find_bottleneck(sub.mentee, sub.mentor, demand, residual.capacity)
        reachable -= 0 if bottleneck is None else bottleneck.shortfall
        if done + reachable < quota.min_matched:
            alone.append(quota.name)
    if alone:
        return "quota(s) cannot be met: " + ", ".join(repr(n) for n in alone)
    names = ", ".join(repr(q.name) for q in hard)
    return f"quotas cannot all be met together (with the locked pairs and capacities): {names}"
