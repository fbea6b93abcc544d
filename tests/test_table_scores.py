"""Precomputed score tables: large tables are pruned to candidates and the certificate
still proves the optimum over every listed pair (checked against the MILP oracle)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import matching
from matching import Programme
from matching._table_scores import TablePricer, candidate_mask, table_arcs
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
