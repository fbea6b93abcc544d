"""Precomputed score tables: large tables are pruned to candidates and the certificate
still proves the optimum over every listed pair (checked against the MILP oracle)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching
from matching import Programme
from matching._arrays import rank_in_runs
from matching._table_scores import (
    TablePricer,
    _best_in_rows,
    _best_per_group,
    candidate_mask,
    table_arcs,
)
from tests.oracle import optimum

# A programme is only a carrier of solver options here: top_k = 1 forces pruning.
PRUNING = Programme.from_dict(
    {
        "criteria": [{"name": "x", "kind": "overlap", "mentee_field": "a", "mentor_field": "b"}],
        "solver": {"top_k": 1},
    }
)


def _instance(seed: int, n: int, m: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    mentees = pd.DataFrame({"id": [f"e{i:03d}" for i in range(n)]})
    mentors = pd.DataFrame(
        {"id": [f"r{j:02d}" for j in range(m)], "capacity": rng.integers(1, 4, m)}
    )
    # contention: everyone prefers the same few mentors
    popularity = np.sort(rng.random(m))[::-1]
    dense = np.clip(popularity[None, :] * 0.7 + rng.random((n, m)) * 0.3, 0, 1).round(4)
    keep = rng.random((n, m)) < 0.8
    i, j = np.nonzero(keep)
    scores = pd.DataFrame(
        {
            "mentee_id": mentees.id.to_numpy()[i],
            "mentor_id": mentors.id.to_numpy()[j],
            "score": dense[i, j],
        }
    )
    return mentees, mentors, scores.sample(frac=1.0, random_state=seed)


@pytest.mark.parametrize("objective", ["coverage", "total", "fair"])
@pytest.mark.parametrize("seed", range(5))
def test_pruned_table_reaches_the_oracle_optimum(objective: str, seed: int) -> None:
    mentees, mentors, scores = _instance(seed, 30 + 5 * seed, 8)
    result = matching.match(mentees, mentors, PRUNING, scores=scores, objective=objective)
    assert result.summary.candidate_arcs < len(scores)  # the table was pruned
    mentee_idx = mentees.reset_index().set_index("id").loc[scores.mentee_id, "index"].to_numpy()
    mentor_idx = mentors.reset_index().set_index("id").loc[scores.mentor_id, "index"].to_numpy()
    best = optimum(
        mentee_idx,
        mentor_idx,
        scores.score.to_numpy(),
        np.ones(len(mentees), dtype=np.int64),
        mentors.capacity.to_numpy(),
        objective,
    )
    assert result.summary.pairs == best.matched
    assert result.summary.total_score == pytest.approx(best.total, rel=1e-6)
    assert result.summary.gap <= 1e-6
    assert result.summary.status == "optimal"
    if objective == "fair":
        assert min(p.score for p in result.pairs) == pytest.approx(best.min_score)


def test_pricer_returns_exactly_the_improving_unknown_pairs() -> None:
    mentees, mentors, scores = _instance(7, 20, 6)
    arcs = table_arcs(scores, pd.Index(mentees.id), pd.Index(mentors.id), [], ([], []), 0.0)
    known = candidate_mask(arcs, 1, [], len(mentors))
    assert known is not None
    rng = np.random.default_rng(0)
    u, v = rng.random(len(mentees)) * 0.5, rng.random(len(mentors)) * 0.5
    m = len(mentors)
    pricer = TablePricer(arcs, m, per_mentee=1000)
    keys = arcs.mentee[known] * m + arcs.mentor[known]
    mentee, mentor, score = pricer.price(u, v, 0.0, keys)
    expected = ~known & (arcs.score > u[arcs.mentee] + v[arcs.mentor])
    assert set(zip(mentee.tolist(), mentor.tolist(), strict=True)) == set(
        zip(arcs.mentee[expected].tolist(), arcs.mentor[expected].tolist(), strict=True)
    )
    assert np.all(score > u[mentee] + v[mentor])
    # nothing is remembered: only what the caller says it knows is left out
    assert pricer.price(u, v, 0.0, keys)[0].size == mentee.size
    assert pricer.price(u, v, 0.0, np.concatenate([keys, mentee * m + mentor]))[0].size == 0


def test_pricer_caps_pairs_per_mentee_keeping_the_most_improving() -> None:
    mentees, mentors, scores = _instance(3, 10, 6)
    arcs = table_arcs(scores, pd.Index(mentees.id), pd.Index(mentors.id), [], ([], []), 0.0)
    zeros_u, zeros_v = np.zeros(len(mentees)), np.zeros(len(mentors))
    pricer = TablePricer(arcs, len(mentors), per_mentee=2)
    mentee, _, score = pricer.price(zeros_u, zeros_v, 0.0)
    counts = np.bincount(mentee, minlength=len(mentees))
    assert counts.max() <= 2
    for i in range(len(mentees)):
        mine = np.sort(arcs.score[arcs.mentee == i])[::-1][:2]
        assert np.allclose(np.sort(score[mentee == i])[::-1], mine[: counts[i]])


def test_a_mentee_kept_from_her_listed_mentors_is_told_which_pairs_did_it() -> None:
    mentees = pd.DataFrame({"id": ["a", "b"]})
    mentors = pd.DataFrame({"id": ["m1", "m2", "m3"], "capacity": [1, 1, 1]})
    scores = pd.DataFrame(
        {
            "mentee_id": ["a", "a", "a", "b"],
            "mentor_id": ["m1", "m2", "m3", "m1"],
            "score": [0.9, 0.8, 0.7, 0.5],
        }
    )
    result = matching.match(
        mentees,
        mentors,
        scores=scores,
        forbidden=[("a", "m1")],
        previous=[("a", "m1"), ("a", "m2"), ("a", "m3")],
    )
    (reason,) = [u for u in result.unmatched if u.mentee_id == "a"]
    assert reason.reason == "no_allowed_mentor"
    # m1 is both forbidden and previous: it counts once, as forbidden.
    assert reason.detail == "rule 'previous' excludes 2 of 3 mentors"
    assert [(p.mentee_id, p.mentor_id) for p in result.pairs] == [("b", "m1")]


@settings(max_examples=60, deadline=None)
@given(
    n_mentees=st.integers(1, 6),
    n_mentors=st.integers(1, 5),
    density=st.floats(0.1, 1.0),
    shuffle=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_a_table_in_any_row_order_gives_the_same_arcs_and_best_scores(
    n_mentees: int, n_mentors: int, density: float, shuffle: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    cells = [(i, j) for i in range(n_mentees) for j in range(n_mentors) if rng.random() < density]
    scores = pd.DataFrame(
        {
            "mentee_id": [f"s{i}" for i, _ in cells],
            "mentor_id": [f"t{j}" for _, j in cells],
            "score": np.round(rng.random(len(cells)), 1),  # ties on purpose
        }
    )
    shown = scores.sample(frac=1.0, random_state=seed) if shuffle else scores
    mentees = pd.Index([f"s{i}" for i in range(n_mentees)])
    mentors = pd.Index([f"t{j}" for j in range(n_mentors)])
    forbidden = [(i, j) for i, j in cells if rng.random() < 0.2]
    arcs = table_arcs(shown, mentees, mentors, [], (forbidden, []), min_score=0.3)
    expected = table_arcs(scores, mentees, mentors, [], (forbidden, []), min_score=0.3)
    np.testing.assert_array_equal(arcs.mentee, expected.mentee)
    np.testing.assert_array_equal(arcs.mentor, expected.mentor)
    np.testing.assert_array_equal(arcs.score, expected.score)
    allowed = [
        (i, s) for (i, j), s in zip(cells, scores["score"], strict=True) if (i, j) not in forbidden
    ]
    best = [max((s for i, s in allowed if i == m), default=np.nan) for m in range(n_mentees)]
    np.testing.assert_array_equal(arcs.eligibility.best_rule_allowed, best)


@given(st.lists(st.integers(0, 4), max_size=40).map(sorted))
def test_rank_in_runs_counts_from_each_runs_start(group: list[int]) -> None:
    expected = [group[:k].count(value) for k, value in enumerate(group)]
    assert rank_in_runs(np.array(group, dtype=np.int64)).tolist() == expected


@settings(max_examples=40, deadline=None)
@given(
    n_mentees=st.integers(1, 7),
    n_mentors=st.integers(1, 6),
    k=st.integers(1, 4),
    seed=st.integers(0, 10_000),
)
def test_the_best_of_a_complete_grid_are_the_best_per_group(
    n_mentees: int, n_mentors: int, k: int, seed: int
) -> None:
    grid = np.round(np.random.default_rng(seed).random((n_mentees, n_mentors)), 1)  # ties
    mentee, mentor = np.divmod(np.arange(grid.size, dtype=np.int64), n_mentors)
    np.testing.assert_array_equal(
        _best_in_rows(grid, k).ravel(), _best_per_group(mentee, grid.ravel(), k)
    )
    np.testing.assert_array_equal(
        _best_in_rows(grid.T, k).T.ravel(), _best_per_group(mentor, grid.ravel(), k)
    )
