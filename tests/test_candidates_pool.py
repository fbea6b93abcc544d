"""The pricer's pools: the same answer as scanning every row, and as dense brute force."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from matching.candidates import (
    CandidatePricer,
    _by_mentor_score_mentee,
    _mask_in_place,
    _pool_of,
    build_candidates,
)
from matching.scoring import PairScorer
from matching.synthetic import generate_cohort

N, M = 150, 40


@cache
def _scorer(seed: int) -> PairScorer:
    cohort = generate_cohort(N, M, seed=seed)
    return PairScorer(cohort.programme).fit(cohort.mentees, cohort.mentors)


def _dense(scorer: PairScorer) -> tuple[np.ndarray, np.ndarray]:
    """Exact scores and allowed flags of every pair, (N, M)."""
    n, m = scorer.n_mentees_, scorer.n_mentors_
    score, allowed = scorer.exact_pairs(np.repeat(np.arange(n), m), np.tile(np.arange(m), n))
    return score.reshape(n, m), allowed.reshape(n, m)


def _prices(rng: np.random.Generator, regime: str) -> tuple[np.ndarray, np.ndarray]:
    u = rng.uniform(0.0, 0.6, N)
    v = rng.uniform(0.0, 0.3, M)
    if regime == "coverage":  # unmatched mentees at minus the bonus, full mentors above it
        u[rng.random(N) < 0.2] = -3.0
        v[rng.random(M) < 0.3] += 3.0
    elif regime == "huge":  # mentees and mentors that can take no new pair
        u[rng.random(N) < 0.2] = 5e9
        v[rng.random(M) < 0.2] = 5e9
    elif regime == "negative":
        v -= 0.2
    elif regime == "bonus":  # quick coverage bonus: most mentors full, a few free seats
        u = rng.uniform(-2.6, -2.0, N)
        u[rng.random(N) < 0.1] = -3.5  # unmatched: every mentor could do
        v = rng.uniform(3.0, 4.0, M)
        v[rng.permutation(M)[: M // 8]] = 0.0
    return u, v


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("regime", ["plain", "coverage", "huge", "negative", "bonus"])
@pytest.mark.parametrize("pool", [0, 3, 10])
def test_pool_pricer_returns_what_scanning_every_row_returns(
    seed: int, regime: str, pool: int
) -> None:
    scorer = _scorer(seed)
    forbidden = [(0, 0), (1, 1), (2, 5)]
    graph = build_candidates(scorer, top_k=2, per_mentor=1, forbidden=forbidden, pool=pool)
    rng = np.random.default_rng(seed)
    pooled = CandidatePricer(scorer, graph, forbidden=forbidden, per_mentee=2, block_size=32)
    scanned = CandidatePricer(scorer, graph, forbidden=forbidden, per_mentee=2, use_pool=False)
    known = graph.arc_mentee * M + graph.arc_mentor
    for _ in range(3):  # known pairs grow round by round, identically
        u, v = _prices(rng, regime)
        got = pooled.price(u, v, 1e-9, known)
        want = scanned.price(u, v, 1e-9, known)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
        known = np.concatenate([known, want[0] * M + want[1]])
    assert scanned.rescanned_ == 3 * N
    if regime == "bonus" and pool:
        assert pooled.narrowed_ > 0  # the cheap-mentor scan ran


@pytest.mark.parametrize("seed", [2, 3])
@pytest.mark.parametrize("regime", ["plain", "coverage", "huge", "negative", "bonus"])
def test_pool_pricer_returns_every_violator(seed: int, regime: str) -> None:
    scorer = _scorer(seed)
    score, allowed = _dense(scorer)
    graph = build_candidates(scorer, top_k=3, per_mentor=0, pool=4)
    u, v = _prices(np.random.default_rng(seed), regime)
    pricer = CandidatePricer(scorer, graph, per_mentee=M)
    mentee, mentor, found = pricer.price(u, v, 1e-9, graph.arc_mentee * M + graph.arc_mentor)
    known = np.zeros((N, M), dtype=bool)
    known[graph.arc_mentee, graph.arc_mentor] = True
    violating = allowed & ~known & (score - u[:, None] - v[None, :] > 1e-9)
    got = set(zip(mentee.tolist(), mentor.tolist(), strict=True))
    assert got == set(map(tuple, np.argwhere(violating).tolist()))
    np.testing.assert_allclose(found, score[mentee, mentor])
    assert pricer.rescanned_ < N or regime in ("coverage", "bonus")


def test_pool_holds_each_mentees_best_mentors_and_bound() -> None:
    scorer = _scorer(0)
    score, allowed = _dense(scorer)
    graph = build_candidates(scorer, top_k=2, per_mentor=0, pool=5)
    plain = build_candidates(scorer, top_k=2, per_mentor=0, pool=0)
    np.testing.assert_array_equal(graph.arc_mentor, plain.arc_mentor)  # same top-k
    np.testing.assert_array_equal(graph.arc_mentee, plain.arc_mentee)
    np.testing.assert_array_equal(graph.best_rule_allowed_score, plain.best_rule_allowed_score)
    assert graph.pool_mentor is not None
    assert graph.pool_score is not None
    assert graph.pool_bound is not None
    for i in range(N):
        finite = np.isfinite(graph.pool_score[i])
        inside = graph.pool_mentor[i][finite]
        assert (np.diff(inside) > 0).all()  # mentor order, no repeats
        outside = np.setdiff1d(np.flatnonzero(allowed[i]), inside)
        if outside.size:
            # nothing left out beats the bound (float32 block scores vs exact: 1e-5)
            assert score[i, outside].max() <= graph.pool_bound[i] + 1e-5
            assert graph.pool_score[i][finite].min() >= graph.pool_bound[i]


def test_pool_pricer_with_no_row_to_rescan_finds_nothing_at_high_prices() -> None:
    scorer = _scorer(0)
    graph = build_candidates(scorer, top_k=2, per_mentor=0, pool=5)
    pricer = CandidatePricer(scorer, graph)
    mentee, mentor, score = pricer.price(np.full(N, 10.0), np.zeros(M), 1e-9)
    assert mentee.size == mentor.size == score.size == 0
    assert pricer.rescanned_ == pricer.narrowed_ == 0


@pytest.mark.parametrize("per_mentor", [None, 0, 4])
def test_graph_is_the_same_whatever_the_blocks_and_threads(per_mentor: int | None) -> None:
    scorer = _scorer(1)
    forbidden = [(3, 4), (7, 0)]
    one = build_candidates(scorer, top_k=3, forbidden=forbidden, per_mentor=per_mentor)
    # Small blocks: many chunks, split between two threads (merged per-mentor bests).
    many = build_candidates(
        scorer, top_k=3, forbidden=forbidden, per_mentor=per_mentor, block_size=7
    )
    for name in ("arc_mentee", "arc_mentor", "arc_score", "allowed_count", "pool_bound"):
        np.testing.assert_array_equal(getattr(one, name), getattr(many, name))
    np.testing.assert_array_equal(one.pool_mentor, many.pool_mentor)
    np.testing.assert_array_equal(one.exclusion_counts, many.exclusion_counts)


def _pool_by_sorting(ruled: np.ndarray, width: int) -> tuple[np.ndarray, ...]:
    """What a pool is, row by row: values above the width + 1-th largest, column order."""
    b, m = ruled.shape
    bound = np.full(b, -np.inf, dtype=np.float32)
    if width < m:
        bound = np.sort(ruled, axis=1)[:, m - width - 1].astype(np.float32)
    cols = np.zeros((b, width), dtype=np.int32)
    vals = np.full((b, width), -np.inf, dtype=np.float32)
    for i in range(b):
        inside = np.flatnonzero(ruled[i] > bound[i])
        cols[i, : inside.size], vals[i, : inside.size] = inside, ruled[i, inside]
    return cols, vals, bound


@pytest.mark.parametrize("seed", range(6))
def test_pool_of_rows_is_the_sorted_answer(seed: int) -> None:
    # Wide rows take the group-maxima shortcut, narrow ones the plain partition; ties,
    # -inf (disallowed) entries and rows shorter than the pool must not matter.
    rng = np.random.default_rng(seed)
    for m, width in [(3000, 148), (800, 148), (700, 20), (60, 4), (40, 40), (30, 50)]:
        levels = int(rng.integers(2, 200))
        ruled = (rng.integers(0, levels, (17, m)) / levels).astype(np.float32)
        ruled[rng.random((17, m)) < rng.random((17, 1))] = -np.inf
        ruled[0] = -np.inf
        ruled[1, : m - width // 2] = -np.inf  # fewer finite values than the pool holds
        # At 3,000 x 148: 500 finite values, in fewer groups (of columns g, g + 600, ...)
        # than the pool holds.
        ruled[2, np.arange(m) % (m // 5) >= m // 30] = -np.inf
        got = _pool_of(ruled.copy(), width)
        for have, want in zip(got, _pool_by_sorting(ruled, width), strict=True):
            assert have.dtype == want.dtype
            np.testing.assert_array_equal(have, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_entries_sort_by_mentor_then_best_score_then_mentee(dtype: type) -> None:
    rng = np.random.default_rng(4)
    size = 5000
    special = np.array([0.0, -0.0, 1.5, -2.0, 1e-30, -1e-30, 3e38, -3e38, 0.25])
    score = np.where(rng.random(size) < 0.5, rng.choice(special, size), rng.normal(size=size))
    mentor = rng.integers(0, 300, size)
    mentee = rng.permutation(4 * size)[:size]
    for high in (1, 2**40):  # indices too wide for one 64-bit key: the three-key sort
        order = np.lexsort((mentee, -score.astype(dtype), mentor * high))
        got = _by_mentor_score_mentee(mentor * high, score.astype(dtype), mentee)
        np.testing.assert_array_equal(got[0], mentor[order] * high)
        np.testing.assert_array_equal(got[1], score.astype(dtype)[order])
        np.testing.assert_array_equal(got[2], mentee[order])
        assert got[1].dtype == dtype


def test_mask_in_place_is_where() -> None:
    rng = np.random.default_rng(5)
    values = rng.random((9, 31)).astype(np.float32)
    values[0, :5] = [0.0, np.inf, -np.inf, 3e38, -1.0]
    keep = rng.random((9, 31)) < 0.6
    want = np.where(keep, values, -np.inf)
    got = _mask_in_place(values, keep)
    assert got is values
    np.testing.assert_array_equal(got, want)
