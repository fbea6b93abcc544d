r"""Quotas whose groups overlap: one priced into the flow as a Lagrangian bonus on its
group's pairs, the others (sharing no mentee) enforced by the flow's quota groups.

The flow enforces quotas on groups that share no mentee (:mod:`._quota_flow`). When one
quota overlaps the others — "95% of cooperative members" beside "half of each country's
mentees" — the others are enforced and that one is relaxed: a bonus ``lam >= 0`` (score
units) on every free pair of a member of its group ``g`` is a flow objective. Let
``g'`` be the members no locked pair matches yet and ``q' = q -`` (members matched by
locked pairs). A solution ``x`` meeting the quota has at least ``q'`` pairs of ``g'``
mentees (at least one per mentee matched), so for any ``lam >= 0`` (weak duality)::

    score(x) <= score(x) + lam (pairs_g'(x) - q') <= V(lam) - lam q'

where ``V(lam)`` is the best bonus-weighted score of a solution meeting the enforced
quotas, which the certified flow (pricing with member prices lowered by ``lam``) bounds
over every allowed pair. Every ``lam`` tried
therefore gives a bound; the best one is kept. The flow at ``lam`` is optimal for the
quota problem when it meets the quota with exactly ``q'`` group pairs (the inequality is
then an equality). When members may want several mentors the bonus counts their pairs,
not them: the bound still holds, but a flow can take a member's second pair before another
member's first, so exact results are rarer (a ``feasible`` result with its bound).

Each flow starts from the candidates plus every pair the pricer added in earlier flows
(true scores; the bonus is added per flow): successive bonuses differ a little, so the
pairs one needed are likely what the next needs, and its pricing rounds are fewer.

``lam`` is searched between one too small (quota missed) and one large enough (met) by
intersecting the two supporting lines of the convex dual ``L(lam) = V(lam) - lam q'`` — a
breakpoint search that needs few flows — with bisection as the safeguard; it stops at a
zero gap, after :data:`MAX_FLOWS` flows or at the time limit, returning the best solution
meeting the quota with the best bound (``feasible``).

Levels: under ``coverage`` the bonus stays below the coverage bonus (the flow chooses its
levels for the bonus-weighted scores), so every flow matches as many units as any
solution meeting the enforced quotas can; the bound holds for the solutions at that
level, and a solution meeting the quota at that level beats every one below it. Minimum
loads, ``fair`` and quotas that overlap in more than one way are left to CP-SAT, and so
is an overlapping *soft* quota (its penalty is part of the objective, not a constraint
to relax); soft quotas among the enforced ones are the flow's (:mod:`._quota_flow`), and
the bound is then on the score less their penalties.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from matching._pairs import ScoredPairs
from matching.errors import SolverError
from matching.solver._problem import (
    ArcPricer,
    AssignmentProblem,
    AssignmentSolution,
    BoolArray,
    FloatArray,
    IntArray,
    QuotaConstraint,
    SolverConfig,
)
from matching.solver._quota_flow import overlapping_quotas
from matching.solver._solution import relative_gap
from matching.solver._solve_flow import solve_flow

BONUS_OBJECTIVES = ("total", "coverage")
"""Objectives a bonus on pair values relaxes (``fair``'s threshold is not a sum of values)."""

MAX_FLOWS = 40
"""Flows tried for the bonus before settling for the best bound found."""

MAX_DOUBLINGS = 20
"""Doublings of the bonus (from the best score) looking for one that meets the quota."""


def split(
    problem: AssignmentProblem, config: SolverConfig
) -> tuple[QuotaConstraint, tuple[QuotaConstraint, ...]] | None:
    """The (hard) quota to relax and the quotas the flow enforces (sharing no mentee, hard
    or soft), or None when no single hard quota's removal leaves quotas the flow can
    enforce (or minimum loads, or ``fair``)."""
    if config.objective not in BONUS_OBJECTIVES or problem.min_load.any():
        return None
    for index, quota in enumerate(problem.quotas):
        if not quota.hard:
            continue  # a soft quota's penalty is not a constraint a bonus relaxes
        others = problem.quotas[:index] + problem.quotas[index + 1 :]
        if overlapping_quotas(dataclasses.replace(problem, quotas=others)) is None:
            return quota, others
    return None


def solve_with_bonus(
    problem: AssignmentProblem,
    config: SolverConfig,
    pricer: ArcPricer | None,
    quota: QuotaConstraint,
    enforced: tuple[QuotaConstraint, ...],
) -> AssignmentSolution | None:
    """``problem``'s quotas by Lagrangian flows: ``quota`` relaxed by the bonus, ``enforced``
    (sharing no mentee) held by the flow; None when no bonus meets ``quota``.

    Raises
    ------
    RuleError
        The enforced quotas cannot all be met.
    """
    started = time.perf_counter()
    member = np.zeros(problem.n_mentees, dtype=bool)
    member[np.asarray(quota.mentees, np.int64)] = True
    locked_mentees = problem.arcs.mentee[problem.arc_locked]
    member_free = member.copy()
    member_free[locked_mentees] = False  # matched already: the bonus would change nothing
    needed = quota.min_matched - int(member[np.unique(locked_mentees)].sum())
    probe = _Probe(problem, config, pricer, member_free, max(needed, 0), enforced)

    low = probe(0.0)
    high: _Point | None = None
    step = max(1e-6, float(np.max(problem.arcs.score, initial=0.0)))
    for _ in range(MAX_DOUBLINGS):
        try:
            result = probe(step)
        except SolverError:
            return None  # the bonus outgrew the integer range: leave it to CP-SAT
        if result.meets:
            high = result
            break
        low, step = result, 2.0 * step
    if high is None:
        return None
    while (
        not high.exact
        and probe.best_gap() > 0.0
        and probe.count < MAX_FLOWS
        and time.perf_counter() - started < config.time_limit_seconds
    ):
        bonus = _next_bonus(low, high)
        if min(bonus - low.bonus, high.bonus - bonus) <= 1e-9 * max(1.0, high.bonus):
            break  # at a breakpoint the flows on either side are all there is
        result = probe(bonus)
        if result.meets:
            high = result
        else:
            low = result
    return probe.answer(time.perf_counter() - started)


@dataclasses.dataclass(frozen=True)
class _Point:
    """One flow: the bonus, the dual value ``L(bonus)`` and its slope (group pairs - q')."""

    bonus: float
    dual: float
    slope: int
    meets: bool
    exact: bool


def _next_bonus(low: _Point, high: _Point) -> float:
    """Where the dual's supporting lines at ``low`` and ``high`` cross (a breakpoint),
    or the midpoint when that is not strictly between them."""
    midpoint = 0.5 * (low.bonus + high.bonus)
    if high.slope <= low.slope:  # members wanting two mentors: slopes need not follow
        return midpoint
    cross = (high.dual - low.dual + low.slope * low.bonus - high.slope * high.bonus) / (
        low.slope - high.slope
    )
    inside = low.bonus < cross < high.bonus
    return cross if inside and np.isfinite(cross) else midpoint


class _Probe:
    """Flows with a bonus on the group's free pairs; keeps the best bound and solution."""

    def __init__(
        self,
        problem: AssignmentProblem,
        config: SolverConfig,
        pricer: ArcPricer | None,
        member: BoolArray,
        needed: int,
        enforced: tuple[QuotaConstraint, ...],
    ) -> None:
        """``member``: the group's mentees no locked pair matches (no bonus on locked
        pairs: they are in every solution); ``needed``: q', the quota left for them;
        ``enforced``: the quotas every flow holds."""
        self.problem, self.config, self.pricer = problem, config, pricer
        self.member, self.needed, self.enforced = member, needed, enforced
        self.carried = ScoredPairs.empty()
        """Pairs the pricer added in earlier flows (mentee, mentor, true score)."""
        self.count = 0
        self.bound = float("inf")
        self.best: AssignmentSolution | None = None
        self.exact = False

    def __call__(self, bonus: float) -> _Point:
        problem = self._with_bonus(bonus)
        pricer = None if self.pricer is None else _BonusPricer(self.pricer, self.member, bonus)
        raw = solve_flow(problem, self.config, pricer, with_quotas=bool(self.enforced))
        return self.record(raw, bonus)

    def record(self, raw: AssignmentSolution, bonus: float) -> _Point:
        """Take the flow solved at ``bonus`` (on :meth:`_with_bonus`'s problem)."""
        self.count += 1
        in_group = raw.mentee_idx[self.member[raw.mentee_idx]]
        pairs = int(in_group.size)
        dual = raw.upper_bound - bonus * self.needed
        self.bound = min(self.bound, dual)
        meets = np.unique(in_group).size >= self.needed
        exact = meets and pairs == self.needed and raw.status == "optimal"
        self._carry(raw, bonus)
        solution = self._true_scores(raw, bonus)
        better = self.best is None or solution.value > self.best.value
        if exact or (meets and better and not self.exact):
            self.best, self.exact = solution, exact
        return _Point(bonus, dual, pairs - self.needed, meets, exact)

    def best_gap(self) -> float:
        if self.best is None:
            return np.inf
        return 0.0 if self.exact else relative_gap(self.best.value, self.bound)

    def answer(self, seconds: float) -> AssignmentSolution:
        assert self.best is not None  # a bonus met the quota
        # Exact: the flow met the quota with exactly q' group pairs, so L(bonus) = total.
        upper = self.best.value if self.exact else max(self.best.value, self.bound)
        stats = dict(self.best.stats)
        stats.update(lagrangian_flows=float(self.count), seconds=seconds)
        return dataclasses.replace(
            self.best,
            upper_bound=upper,
            gap=relative_gap(self.best.value, upper),
            status="optimal" if self.exact else "feasible",
            method="min_cost_flow_lagrangian",
            stats=stats,
        )

    def _with_bonus(self, bonus: float) -> AssignmentProblem:
        """The problem with the enforced quotas only, the carried pairs added, the bonus on
        the free pairs of the relaxed quota's members."""
        grown = self.problem.with_free_arcs(self.carried)
        arcs = grown.arcs
        raised = arcs.score + bonus * (self.member[arcs.mentee] & ~grown.arc_locked)
        return dataclasses.replace(grown, quotas=self.enforced, arcs=arcs.with_scores(raised))

    def _carry(self, solution: AssignmentSolution, bonus: float) -> None:
        """Add the pairs priced for ``solution`` (bonus taken off) to the carried ones."""
        priced = solution.priced
        true_score = priced.score - bonus * self.member[priced.mentee]
        self.carried = ScoredPairs.concat([self.carried, priced.with_scores(true_score)])

    def _true_scores(self, solution: AssignmentSolution, bonus: float) -> AssignmentSolution:
        """The solution with the bonus taken off its pairs' scores, and every pair carried
        so far as its priced pairs: its flow used them all (its bound and gap are set by
        :meth:`answer`)."""
        score = solution.score - bonus * self.member[solution.mentee_idx]
        return dataclasses.replace(
            solution,
            score=score,
            total_score=float(score.sum()),
            priced=self.carried,
        )


class _BonusPricer:
    """A pricer for the bonus-weighted scores: members' prices lowered by the bonus, and
    the bonus added to the members' pairs it returns."""

    def __init__(self, pricer: ArcPricer, member: BoolArray, bonus: float) -> None:
        self.pricer, self.member, self.bonus = pricer, member, bonus

    def price(
        self,
        mentee_price: FloatArray,
        mentor_price: FloatArray,
        tolerance: float,
        known: IntArray | None = None,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        lowered = mentee_price - self.bonus * self.member
        mentee, mentor, score = self.pricer.price(lowered, mentor_price, tolerance, known)
        mentee = np.asarray(mentee, np.int64)
        return (
            mentee,
            np.asarray(mentor, np.int64),
            np.asarray(score) + self.bonus * self.member[mentee],
        )
