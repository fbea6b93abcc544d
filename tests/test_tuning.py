"""The matching as a scikit-learn estimator, sweeps over weights, the Pareto front."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid

import matching
from matching.errors import ConfigError
from matching.synthetic import generate_cohort
from matching.tuning import MatchingEstimator, pareto_front, sweep, wide_metrics


@pytest.fixture(scope="module")
def cohort() -> matching.synthetic.Cohort:
    return generate_cohort(80, 10, seed=4)


def test_weights_are_estimator_parameters() -> None:
    estimator = MatchingEstimator(objective="fair")
    params = estimator.get_params()
    assert params["weight__needs"] == pytest.approx(0.40)
    assert params["objective"] == "fair"
    estimator.set_params(weight__needs=0.8, weight__goals=0.0, groups=("status",))
    assert estimator.weights == {"needs": 0.8, "goals": 0.0}
    assert estimator.get_params()["weight__needs"] == 0.8
    assert "weight__needs" not in estimator.get_params(deep=False)
    copy = clone(estimator)
    assert copy.weights == {"needs": 0.8, "goals": 0.0}
    assert copy.get_params()["groups"] == ("status",)
    copy.set_params(weight__needs=0.1)
    assert estimator.weights["needs"] == 0.8  # clones do not share their weights
    with pytest.raises(ConfigError):
        estimator.set_params(weight__charisma=1.0)


def test_effective_programme_is_normalised_with_the_objective() -> None:
    estimator = MatchingEstimator(weights={"needs": 2.0}, objective="total")
    programme = estimator.effective_programme()
    weights = {c.name: c.weight for c in programme.criteria}
    assert sum(weights.values()) == pytest.approx(1.0)
    # needs 2.0 against the other five default weights (0.60 in all)
    assert weights["needs"] == pytest.approx(2.0 / 2.6)
    assert programme.objective == "total"
    raw = MatchingEstimator(weights={"needs": 2.0}, normalise=False).effective_programme()
    assert {c.name: c.weight for c in raw.criteria}["needs"] == 2.0


def test_fit_matches_and_evaluates_like_match(cohort: matching.synthetic.Cohort) -> None:
    estimator = MatchingEstimator(cohort.programme, groups=("status",)).fit(
        cohort.mentees, cohort.mentors
    )
    direct = matching.match(cohort.mentees, cohort.mentors, estimator.programme_)
    flat = wide_metrics(estimator.metrics_)
    assert flat["total_score"] == pytest.approx(direct.summary.total_score)
    assert flat["coverage"] == pytest.approx(direct.summary.matched / len(cohort.mentees))
    assert "match_rate[status=cooperative]" in flat
    # with the base programme as reference, reference scores are the pair scores
    assert flat["reference_total_score"] == pytest.approx(flat["total_score"])
    assert 0.0 <= flat["similarity_needs"] <= 1.0


def test_sweep_trades_criteria_against_each_other(cohort: matching.synthetic.Cohort) -> None:
    estimator = MatchingEstimator(cohort.programme)
    grid = {"weight__needs": [0.05, 2.0], "objective": ["coverage", "fair"]}
    table = sweep(estimator, cohort.mentees, cohort.mentors, grid)
    assert len(table) == 4
    # ParameterGrid's order: keys sorted, the last one varying fastest
    assert list(table["param_objective"]) == ["coverage", "coverage", "fair", "fair"]
    assert list(table["param_weight__needs"]) == [0.05, 2.0, 0.05, 2.0]
    assert {"weight_needs", "total_score", "min_score", "coverage", "seconds"} <= set(table)
    for objective in ("coverage", "fair"):
        rows = table[table["param_objective"] == objective].set_index("param_weight__needs")
        # weighting needs more never lowers how well the pairs cover needs
        assert rows.loc[2.0, "similarity_needs"] >= rows.loc[0.05, "similarity_needs"] - 1e-9
    by_objective = table.set_index(["param_weight__needs", "param_objective"])
    for w in (0.05, 2.0):
        # fair maximises the lowest score, coverage the total (same number matched)
        assert (
            by_objective.loc[(w, "fair"), "min_score"]
            >= by_objective.loc[(w, "coverage"), "min_score"] - 1e-9
        )
        assert (
            by_objective.loc[(w, "coverage"), "total_score"]
            >= by_objective.loc[(w, "fair"), "total_score"] - 1e-9
        )


def test_sweep_samples_reproducibly_and_in_parallel(cohort: matching.synthetic.Cohort) -> None:
    estimator = MatchingEstimator(cohort.programme, similarities=False)
    space = {"weight__needs": list(np.linspace(0.1, 0.9, 9)), "weight__goals": [0.0, 0.3]}
    first = sweep(estimator, cohort.mentees, cohort.mentors, space, n_iter=3, seed=7)
    again = sweep(
        estimator,
        cohort.mentees,
        cohort.mentors,
        space,
        n_iter=3,
        seed=7,
        n_jobs=2,
        backend="threading",
    )
    columns = ["param_weight__needs", "param_weight__goals", "total_score", "min_score"]
    pd.testing.assert_frame_equal(first[columns], again[columns])
    assert len(first) == 3
    explicit = [{"weight__needs": 0.2}, {"weight__needs": 0.2, "weight__goals": 0.3}]
    table = sweep(estimator, cohort.mentees, cohort.mentors, explicit)
    assert list(table["weight_goals"]) == pytest.approx([0.15 / 0.8, 0.3 / 0.95])
    grid = sweep(estimator, cohort.mentees, cohort.mentors, ParameterGrid({"objective": ["total"]}))
    assert list(grid["objective"]) == ["total"]


def test_pareto_front_hand_case() -> None:
    table = pd.DataFrame(
        {
            "total_score": [10.0, 9.0, 8.0, 10.0, 7.0, 9.0],
            "min_score": [0.2, 0.4, 0.3, 0.2, 0.5, np.nan],
            "coverage": [1.0, 1.0, 1.0, 1.0, 0.9, 1.0],
        },
        index=list("abcdef"),
    )
    front = pareto_front(table)
    # c is beaten by b; f's missing min_score is the worst; a and d tie and both stay
    assert list(front.index) == ["a", "d", "b", "e"]
    assert list(pareto_front(table, maximise=["total_score"]).index) == ["a", "d"]
    fewer = pareto_front(table, maximise=["min_score"], minimise=["total_score"])
    assert list(fewer.index) == ["e"]
    with pytest.raises(KeyError):
        pareto_front(table, maximise=["gini"])
