"""Exactness by certificate: pruned candidates plus a pricer reach the full optimum."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from matching.solver import SolverConfig, solve, validate
from tests.solver.helpers import chosen_mask
from tests.solver.instances import random_problem
from tests.solver.pricers import DensePricer, dense_scores, top_k

OBJECTIVES = ("total", "coverage", "fair")


def _contended(seed: int):  # type: ignore[no-untyped-def]
    """Many mentees wanting the same few mentors: top-k alone is far from optimal."""
    rng = np.random.default_rng(seed)
    problem = random_problem(
        rng,
        int(rng.integers(10, 50)),
        int(rng.integers(3, 12)),
        density=0.8,
        max_demand=1 + seed % 2,
        max_capacity=4,
        min_loads=seed % 3 == 0,
        locked=seed % 3,
    )
    popular = rng.random(problem.n_mentors) ** 3  # a few mentors everyone scores highly
    score = np.round(0.5 * problem.arc_score + 0.5 * popular[problem.arc_mentor], 4)
    return dataclasses.replace(problem, arcs=problem.arcs.with_scores(score))


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("per_mentee", [None, 1])
def test_certified_result_equals_the_full_graph_optimum(seed: int, per_mentee: int | None) -> None:
    """With a pricer returning every violator, or one per mentee (the engine's pricers
    cap them: the solver must pass back every pair it refuses, or a cap hides the rest)."""
    full_problem = _contended(seed)
    pruned = top_k(full_problem, 2)
    for objective in OBJECTIVES:
        config = SolverConfig(objective=objective)  # type: ignore[arg-type]
        full = solve(full_problem, config)
        pricer = DensePricer(dense_scores(full_problem), per_mentee)
        certified = solve(pruned, config, pricer)
        validate(pruned, certified)
        assert certified.status == "optimal"
        assert certified.matched == full.matched
        assert certified.total_score == pytest.approx(full.total_score, rel=1e-9, abs=1e-9)
        assert certified.upper_bound >= full.total_score - 1e-9
        assert certified.gap <= 1e-9
        if objective == "fair" and full.matched:
            assert certified.score.min() == pytest.approx(full.score.min())


@pytest.mark.parametrize("seed", range(10))
def test_stopped_early_the_bound_still_bounds_the_optimum(seed: int) -> None:
    full_problem = _contended(100 + seed)
    pruned = top_k(full_problem, 1)
    full = solve(full_problem, SolverConfig(objective="total"))
    stopped = solve(
        pruned,
        SolverConfig(objective="total", max_rounds=1),
        DensePricer(dense_scores(full_problem)),
    )
    validate(pruned, stopped)
    assert stopped.upper_bound >= full.total_score - 1e-9
    if stopped.status == "optimal":
        assert stopped.total_score == pytest.approx(full.total_score)
    else:
        assert stopped.gap > 0


def test_the_pricer_sees_prices_under_which_no_present_arc_improves() -> None:
    problem = _contended(7)
    seen: list[tuple[np.ndarray, np.ndarray]] = []

    class Recording(DensePricer):
        def price(self, mentee_price, mentor_price, tolerance, known=None):  # type: ignore[no-untyped-def]
            seen.append((mentee_price.copy(), mentor_price.copy()))
            return super().price(mentee_price, mentor_price, tolerance, known)

    solution = solve(problem, SolverConfig(objective="total"), Recording(dense_scores(problem)))
    mentee_price, mentor_price = seen[-1]
    # No unused pair scores above its prices: that is what certifies the optimum.
    unused = ~chosen_mask(problem, solution)
    price = mentee_price[problem.arc_mentee] + mentor_price[problem.arc_mentor]
    assert (problem.arc_score[unused] <= price[unused] + 1e-7).all()


def test_without_certify_the_pricer_is_not_called() -> None:
    problem = _contended(3)
    pricer = DensePricer(dense_scores(problem))
    solve(top_k(problem, 1), SolverConfig(certify=False), pricer)
    assert pricer.calls == 0


@pytest.mark.parametrize("seed", range(5))
def test_a_pricer_that_ignores_known_pairs_still_ends_at_the_optimum(seed: int) -> None:
    # Returning pairs the solver has is harmless: they are dropped, and a round whose
    # pairs are all known ends the loop as a round with none would.
    class IgnoresKnown(DensePricer):
        def price(self, mentee_price, mentor_price, tolerance, known=None):  # type: ignore[no-untyped-def]
            everything = np.full(self.scores.shape, -np.inf)
            pairs = super().price(everything[:, 0], everything[0], -np.inf)
            mentee, mentor, score = pairs
            beats = score > mentee_price[mentee] + mentor_price[mentor] + tolerance
            return mentee[beats], mentor[beats], score[beats]

    full_problem = _contended(200 + seed)
    pruned = top_k(full_problem, 2)
    for objective in OBJECTIVES:
        config = SolverConfig(objective=objective)  # type: ignore[arg-type]
        full = solve(full_problem, config)
        certified = solve(pruned, config, IgnoresKnown(dense_scores(full_problem)))
        assert certified.status == "optimal"
        assert certified.matched == full.matched
        assert certified.total_score == pytest.approx(full.total_score, rel=1e-9, abs=1e-9)
