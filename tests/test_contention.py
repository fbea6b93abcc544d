"""Contention-aware candidates: mentor prices from a subsample, candidates chosen by score
less price, and the certified optimum unchanged whatever the prices choose."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matching
from matching import _pipeline
from matching.candidates import CandidateScan, scan_candidates
from matching.scoring import PairScorer
from matching.solver import _contention
from matching.solver._contention import contention_prices, subsample
from matching.synthetic import generate_cohort

N, M = 150, 12


@cache
def _scorer(seed: int) -> PairScorer:
    cohort = generate_cohort(N, M, seed=seed)
    return PairScorer(cohort.programme).fit(cohort.mentees, cohort.mentors)


@cache
def _scan(seed: int = 3, top_k: int = 3) -> CandidateScan:
    return scan_candidates(_scorer(seed), top_k=top_k, per_mentor=2, pool=6)


def _pairs(graph_mentee: np.ndarray, graph_mentor: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(graph_mentee.tolist(), graph_mentor.tolist(), strict=True))


# Four mentees all prefer mentor 0 (score 1.0); their second choice, mentor 1, scores
# 0.5, 0.6, 0.7 and 0.8. With one seat, mentor 0 goes to the mentee losing most without
# him (0.5), and his least supporting price is what the runner-up would give up: 0.4.
MENTEE = np.array([0, 0, 1, 1, 2, 2, 3, 3])
MENTOR = np.array([0, 1, 0, 1, 0, 1, 0, 1])
SCORE = np.array([1.0, 0.5, 1.0, 0.6, 1.0, 0.7, 1.0, 0.8])
ONE_EACH = np.ones(4, dtype=np.int64)


@pytest.mark.parametrize(
    ("capacity", "share", "expected"),
    [
        ((1, 10), 1.0, 0.4),  # one seat: the runner-up's margin
        ((4, 40), 0.25, 0.4),  # a quarter of four seats is one
        ((2, 40), 0.25, 0.4),  # half a seat rounds up: a scarce mentor is not "full"
        ((8, 40), 0.25, 0.3),  # two seats: the third's margin
        ((4, 10), 1.0, 0.0),  # a seat for everyone: no contention, no price
    ],
)
def test_prices_are_the_least_that_support_the_subsample_optimum(
    capacity: tuple[int, int], share: float, expected: float
) -> None:
    price = contention_prices(MENTEE, MENTOR, SCORE, ONE_EACH, np.array(capacity), share)
    assert price == pytest.approx([expected, 0.0], abs=1e-7)


def test_small_cohorts_are_not_subsampled() -> None:
    assert subsample(_contention.MIN_MENTEES - 1) is None
    rows = subsample(_contention.MIN_MENTEES)
    assert rows is not None
    assert rows.tolist() == list(range(0, _contention.MIN_MENTEES, _contention.SUBSAMPLE_STRIDE))


def test_zero_prices_keep_the_choice_by_score() -> None:
    scan = _scan()
    plain, priced = scan.select(), scan.select(np.zeros(M))
    assert _pairs(priced.arc_mentee, priced.arc_mentor) == _pairs(
        plain.arc_mentee, plain.arc_mentor
    )
    np.testing.assert_array_equal(priced.arc_score, plain.arc_score)


def test_a_mentor_priced_out_stays_only_where_he_is_best_or_chosen_by_his_side() -> None:
    scan = _scan()
    assert scan.pool_mentor is not None
    assert scan.pool_score is not None
    plain = scan.select()
    dear = int(np.bincount(plain.arc_mentor, minlength=M).argmax())  # the most listed
    price = np.zeros(M)
    price[dear] = 1e6
    graph = scan.select(price)
    arcs = _pairs(graph.arc_mentee, graph.arc_mentor)
    allowed = np.isfinite(scan.pool_score)
    best = np.argmax(np.where(allowed, scan.pool_score, -np.inf), axis=1)
    best_mentor = scan.pool_mentor[np.arange(N), best]
    his_side = set(scan.mentor_side.mentee[scan.mentor_side.mentor == dear].tolist())
    # A pool with top_k allowed mentors or fewer is taken whole, whatever the prices.
    few = allowed.sum(axis=1) <= scan.top_k
    in_pool = (scan.pool_mentor == dear) & allowed
    expected = {i for i in range(N) if allowed[i].any() and best_mentor[i] == dear}
    expected |= set(np.flatnonzero(few & in_pool.any(axis=1)).tolist()) | his_side
    assert {i for i, j in arcs if j == dear} == expected
    # Everyone still has top_k mentors on her side (or every allowed one in her pool).
    per_mentee = np.bincount(graph.arc_mentee, minlength=N)
    assert (per_mentee >= np.minimum(scan.top_k, allowed.sum(axis=1))).all()
    assert {(i, j) for i, j in arcs if j != dear} >= {
        (i, j) for i, j in _pairs(plain.arc_mentee, plain.arc_mentor) if j != dear
    }


def test_the_sample_holds_each_sampled_mentees_choice_and_the_mentor_side_arcs() -> None:
    scan = _scan()
    rows = np.arange(0, N, 4)
    sample = scan.sample(rows)
    assert sample is not None
    plain = scan.select()
    arcs = _pairs(rows[sample.mentee], sample.mentor)
    sampled = set(rows.tolist())
    mentee_side = {(i, j) for i, j in _pairs(plain.arc_mentee, plain.arc_mentor) if i in sampled}
    assert arcs == mentee_side  # the top_k by score and the mentor-side arcs of these rows
    assert len(arcs) == sample.mentee.size  # each pair once
    m = scan.n_mentors
    assert np.all(np.diff(sample.mentee * m + sample.mentor) > 0)
    assert scan.sample(np.empty(0, dtype=np.int64)) is None


@pytest.fixture
def estimate_always(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Estimate prices whatever the cohort size; counts the estimates made."""
    calls: list[int] = []
    real = _pipeline.contention_prices

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(_contention, "MIN_MENTEES", 1)
    monkeypatch.setattr(_pipeline, "contention_prices", counted)
    return calls


@pytest.mark.parametrize("objective", ["total", "coverage", "fair"])
def test_contention_candidates_reach_the_same_certified_optimum(
    objective: str, estimate_always: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    cohort = generate_cohort(400, 20, seed=5)
    programme = cohort.programme.model_copy(
        update={"solver": cohort.programme.solver.model_copy(update={"top_k": 2})}
    )
    priced = matching.match(cohort.mentees, cohort.mentors, programme, objective=objective)
    assert estimate_always == [1]
    monkeypatch.setattr(_contention, "MIN_MENTEES", 10**9)
    plain = matching.match(cohort.mentees, cohort.mentors, programme, objective=objective)
    assert estimate_always == [1]  # not asked again: this cohort is now "small"
    for summary in (priced.summary, plain.summary):
        assert summary.status == "optimal"
        assert summary.gap == 0.0
    assert priced.summary.total_score == pytest.approx(plain.summary.total_score, abs=1e-9)
    assert priced.summary.pairs == plain.summary.pairs
    assert "prices" in priced.summary.timings


def test_contention_candidates_are_deterministic(estimate_always: list[int]) -> None:
    cohort = generate_cohort(300, 15, seed=9)
    first = matching.match(cohort.mentees, cohort.mentors, cohort.programme)
    again = matching.match(cohort.mentees, cohort.mentors, cohort.programme)
    assert [(p.mentee_id, p.mentor_id) for p in first.pairs] == [
        (p.mentee_id, p.mentor_id) for p in again.pairs
    ]
    assert first.summary.candidate_arcs == again.summary.candidate_arcs
    assert len(estimate_always) == 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2),
    top_k=st.integers(1, 8),
    prices=st.lists(st.floats(0.0, 2.0), min_size=M, max_size=M),
    excluded=st.lists(st.tuples(st.integers(0, N - 1), st.integers(0, M - 1)), max_size=30),
    n_locked=st.integers(0, 5),
)
def test_any_prices_keep_rules_exclusions_locked_pairs_and_the_mentor_side(
    seed: int,
    top_k: int,
    prices: list[float],
    excluded: list[tuple[int, int]],
    n_locked: int,
) -> None:
    scorer = _scorer(seed)
    plain = scan_candidates(scorer, top_k=top_k, per_mentor=2, pool=6).select()
    # Locked pairs: allowed candidate pairs of distinct mentees, none of them excluded.
    keys = plain.arc_mentee * M + plain.arc_mentor
    banned = {i * M + j for i, j in excluded}
    free = [k for k in keys.tolist() if k not in banned]
    locked = [(k // M, k % M) for k in free[:: max(1, len(free) // max(n_locked, 1))][:n_locked]]
    scan = scan_candidates(
        scorer, top_k=top_k, per_mentor=2, pool=6, forbidden=excluded, locked=locked
    )
    graph = scan.select(np.asarray(prices))
    arcs = _pairs(graph.arc_mentee, graph.arc_mentor)
    score, ok = scorer.exact_pairs(graph.arc_mentee, graph.arc_mentor)
    assert ok.all()  # every arc allowed by the rules and the minimum score
    np.testing.assert_array_equal(graph.arc_score, score)
    assert not arcs & set(excluded)
    assert set(locked) <= arcs
    mentor_side = _pairs(scan.mentor_side.mentee, scan.mentor_side.mentor)
    assert mentor_side <= arcs
    keys = graph.arc_mentee * M + graph.arc_mentor
    assert np.all(np.diff(keys) > 0)  # sorted, each pair once
    assert scan.pool_score is not None
    allowed_in_pool = np.count_nonzero(scan._passes(scan.pool_score), axis=1)
    per_mentee = np.bincount(graph.arc_mentee, minlength=N)
    assert (per_mentee >= np.minimum(top_k, allowed_in_pool)).all()
