"""``fair``'s count levels: without quotas the bisection reads them from two maximum flows,
which must give the levels of the min-cost count probe (most min-load units first, then
most matched); with quota groups the probe itself, whose prices must flag every pair that
could bring the levels up (the certificate of the threshold)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.errors import RuleError
from matching.solver import QuotaConstraint
from matching.solver._arcs import WorkArcs
from matching.solver._counts import FairLevels, count_levels, count_prices, fair_levels, probe
from matching.solver._fair import _best_threshold
from matching.solver._prepare import Residual, prepare
from matching.solver._quota_flow import quota_groups
from tests.solver.instances import random_problem


def _arcs(seed: int, most_mentees: int, **options: Any) -> tuple[Residual, WorkArcs]:
    """A random problem's residual and free arcs (mentees want up to two mentors)."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, most_mentees)), int(rng.integers(1, 6))
    options = {"max_capacity": 3, **options}
    problem = random_problem(rng, n, m, max_demand=2, **options)
    residual = prepare(problem)
    return residual, WorkArcs.from_problem(problem, residual)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    density=st.sampled_from([0.15, 0.4, 0.8]),
    min_loads=st.booleans(),
    locked=st.integers(0, 3),
    threshold=st.sampled_from([0.0, 0.3, 0.7]),
)
def test_max_flow_levels_equal_the_countprobe(
    seed: int, density: float, min_loads: bool, locked: int, threshold: float
) -> None:
    residual, arcs = _arcs(seed, 14, density=density, min_loads=min_loads, locked=locked)
    arcs = arcs.at_least(threshold)
    probe_levels, _, _ = probe(arcs, residual)
    assert (0, *count_levels(arcs, residual)) == probe_levels


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), density=st.sampled_from([0.2, 0.5]))
def test_min_cut_prices_flag_every_pair_that_raises_the_count(seed: int, density: float) -> None:
    """Every missing pair that would raise the maximum count is flagged by the min-cut
    prices, and when none is flagged the count is the highest over all pairs (the
    certificate ``fair`` relies on)."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 12)), int(rng.integers(1, 6))
    problem = random_problem(rng, n, m, density=1.0, max_demand=2, max_capacity=3)
    residual = prepare(problem)
    every = WorkArcs.from_problem(problem, residual)
    arcs = every.subset(rng.random(every.size) < density)
    mentee_price, mentor_price, slack = count_prices(arcs, residual)
    _, matched = count_levels(arcs, residual)
    missing = every.subset(~np.isin(every.key, arcs.key))
    flagged_any = False
    for a in range(missing.size):
        grown = arcs.with_pairs(missing.take(slice(a, a + 1)))
        raises = count_levels(grown, residual)[1] > matched
        flagged = mentee_price[missing.mentee[a]] + mentor_price[missing.mentor[a]] < slack
        assert flagged or not raises
        flagged_any = flagged_any or bool(flagged)
    if not flagged_any:
        assert count_levels(every, residual)[1] == matched


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    density=st.sampled_from([0.3, 0.7, 1.0]),
    min_loads=st.booleans(),
    max_capacity=st.sampled_from([1, 3]),
    distinct=st.booleans(),
)
def test_threshold_search_finds_the_highest_threshold_keeping_the_counts(
    seed: int, density: float, min_loads: bool, max_capacity: int, distinct: bool
) -> None:
    """The galloping search from the ceiling agrees with trying every distinct score."""
    residual, arcs = _arcs(
        seed, 12, density=density, min_loads=min_loads, max_capacity=max_capacity, distinct=distinct
    )
    if arcs.size == 0:
        return
    target = fair_levels(arcs, residual)
    keeping = [
        value
        for value in np.unique(arcs.score).tolist()
        if fair_levels(arcs.at_least(value), residual) == target
    ]
    assert _best_threshold(arcs, residual, target) == max(keeping)


def _rank(levels: FairLevels) -> tuple[int, int, int]:
    """Higher is better: less shortfall, then more min-load units, then more matched."""
    return -levels[0], levels[1], levels[2]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    density=st.sampled_from([0.2, 0.5]),
    min_loads=st.booleans(),
    groups=st.integers(1, 3),
)
def test_quota_probe_prices_flag_every_pair_that_raises_the_levels(
    seed: int, density: float, min_loads: bool, groups: int
) -> None:
    """With disjoint quota groups (meetable or not) the probe's prices flag every missing
    pair that would lower the shortfall or raise the counts, and when none is flagged the
    levels are the highest over all pairs."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 12)), int(rng.integers(1, 5))
    problem = random_problem(
        rng, n, m, density=1.0, max_demand=2, max_capacity=2, min_loads=min_loads
    )
    label = rng.integers(-1, groups, n)
    quotas = []
    for g in range(groups):
        members = np.flatnonzero(label == g).astype(np.int64)
        if members.size:
            quotas.append(QuotaConstraint(f"g{g}", members, int(rng.integers(1, members.size + 1))))
    problem = dataclasses.replace(problem, quotas=tuple(quotas))
    residual = prepare(problem)
    try:
        residual = dataclasses.replace(residual, groups=quota_groups(problem, residual))
    except RuleError:  # a quota larger than its group's wants: refused before solving
        return
    every = WorkArcs.from_problem(problem, residual)
    arcs = every.subset(rng.random(every.size) < density)
    mentee_price, mentor_price, slack = count_prices(arcs, residual)
    levels = fair_levels(arcs, residual)
    missing = every.subset(~np.isin(every.key, arcs.key))
    flagged_any = False
    for a in range(missing.size):
        grown = arcs.with_pairs(missing.take(slice(a, a + 1)))
        raises = _rank(fair_levels(grown, residual)) > _rank(levels)
        flagged = mentee_price[missing.mentee[a]] + mentor_price[missing.mentor[a]] < slack
        assert flagged or not raises
        flagged_any = flagged_any or bool(flagged)
    if not flagged_any:
        assert fair_levels(every, residual) == levels
