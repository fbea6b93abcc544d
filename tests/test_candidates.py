"""Candidate graph and pricer: compared with dense brute force on small cohorts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numpy as np
import pytest

from matching.candidates import CandidatePricer, _mentor_floor, build_candidates
from matching.errors import RuleError
from matching.model import participants_frame
from matching.scoring import PairScorer
from matching.synthetic import generate_cohort

N, M = 120, 20


@cache
def _scorer(seed: int = 7) -> PairScorer:
    cohort = generate_cohort(N, M, seed=seed)
    return PairScorer(cohort.programme).fit(cohort.mentees, cohort.mentors)


def _dense(scorer: PairScorer) -> tuple[np.ndarray, np.ndarray]:
    """Exact scores and allowed flags of every pair, (N, M)."""
    n, m = scorer.n_mentees_, scorer.n_mentors_
    score, allowed = scorer.exact_pairs(np.repeat(np.arange(n), m), np.tile(np.arange(m), n))
    return score.reshape(n, m), allowed.reshape(n, m)


def _pairs(graph_mentee: np.ndarray, graph_mentor: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(graph_mentee.tolist(), graph_mentor.tolist(), strict=True))


def test_top_k_holds_each_mentees_best_allowed_mentors() -> None:
    scorer = _scorer()
    score, allowed = _dense(scorer)
    k = 4
    graph = build_candidates(scorer, top_k=k, block_size=50, per_mentor=0)
    arcs = _pairs(graph.arc_mentee, graph.arc_mentor)
    assert all(allowed[i, j] for i, j in arcs)
    for i in range(N):
        mine = sorted(np.flatnonzero(allowed[i]), key=lambda j: (-score[i, j], j))
        kept = {j for a, j in arcs if a == i}
        assert len(kept) == min(k, len(mine))
        if len(mine) > k:
            kth = score[i, mine[k - 1]]
            # every mentor clearly better than the k-th best is kept (float32 ties aside)
            assert {j for j in mine if score[i, j] > kth + 1e-5} <= kept
            assert min(score[i, j] for j in kept) >= kth - 1e-5
    np.testing.assert_allclose(graph.arc_score, score[graph.arc_mentee, graph.arc_mentor])
    order = np.lexsort((graph.arc_mentor, graph.arc_mentee))
    assert (order == np.arange(graph.n_arcs)).all()
    assert graph.allowed_count.tolist() == allowed.sum(axis=1).tolist()


def test_each_mentor_keeps_her_best_mentees() -> None:
    scorer = _scorer()
    score, allowed = _dense(scorer)
    graph = build_candidates(scorer, top_k=1, block_size=32, per_mentor=3)
    arcs = _pairs(graph.arc_mentee, graph.arc_mentor)
    for j in range(M):
        best = sorted(np.flatnonzero(allowed[:, j]), key=lambda i: (-score[i, j], i))[:3]
        clear = [i for i in best if score[i, j] > score[best[-1], j] + 1e-5]
        assert {(i, j) for i in clear} <= arcs


def test_locked_always_in_forbidden_never() -> None:
    scorer = _scorer()
    score, allowed = _dense(scorer)
    # a locked pair she would never get in her top 1: her worst allowed mentor
    i = int(np.flatnonzero(allowed.sum(axis=1) > 2)[0])
    worst = int(np.flatnonzero(allowed[i])[np.argmin(score[i, allowed[i]])])
    best = int(np.flatnonzero(allowed[i])[np.argmax(score[i, allowed[i]])])
    graph = build_candidates(
        scorer, top_k=1, per_mentor=0, locked=[(i, worst)], forbidden=[(i, best)]
    )
    arcs = _pairs(graph.arc_mentee, graph.arc_mentor)
    assert (i, worst) in arcs
    assert (i, best) not in arcs
    assert graph.exclusion_counts[i, graph.exclusion_names.index("forbidden")] == 1
    assert graph.allowed_count[i] == allowed[i].sum() - 1


def test_previous_pairs_are_kept_out_and_counted_apart_from_forbidden_ones() -> None:
    scorer = _scorer()
    _, allowed = _dense(scorer)
    i = int(np.flatnonzero(allowed.sum(axis=1) > 3)[0])
    a, b, c = map(int, np.flatnonzero(allowed[i])[:3])
    # a: forbidden; b: previous; c: both (counted once, as forbidden)
    graph = build_candidates(
        scorer, top_k=M, per_mentor=0, forbidden=[(i, a), (i, c)], previous=[(i, b), (i, c)]
    )
    arcs = _pairs(graph.arc_mentee, graph.arc_mentor)
    assert not {(i, a), (i, b), (i, c)} & arcs
    counts = dict(zip(graph.exclusion_names, graph.exclusion_counts[i].tolist(), strict=True))
    assert (counts["forbidden"], counts["previous"]) == (2, 1)
    assert graph.allowed_count[i] == allowed[i].sum() - 3


def test_contradicting_locked_pairs_are_refused() -> None:
    scorer = _scorer()
    _, allowed = _dense(scorer)
    i, j = map(int, np.argwhere(~allowed)[0])
    with pytest.raises(RuleError, match="not allowed"):
        build_candidates(scorer, top_k=2, locked=[(i, j)])
    a, b = map(int, np.argwhere(allowed)[0])
    with pytest.raises(RuleError, match="forbidden"):
        build_candidates(scorer, top_k=2, locked=[(a, b)], forbidden=[(a, b)])


def test_best_rule_allowed_score_and_reasons_data() -> None:
    scorer = _scorer()
    score, allowed = _dense(scorer)
    graph = build_candidates(scorer, top_k=2)
    expected = np.where(allowed.any(axis=1), np.where(allowed, score, -np.inf).max(axis=1), np.nan)
    np.testing.assert_allclose(graph.best_rule_allowed_score, expected, atol=1e-5)
    assert graph.exclusion_names[-3:] == ("min_score", "forbidden", "previous")
    excluded = graph.exclusion_counts[:, : len(scorer.exclusion_names_) - 1]
    assert ((excluded.max(axis=1, initial=0) > 0) | (graph.allowed_count == M)).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pricer_returns_exactly_the_violating_pairs(seed: int) -> None:
    scorer = _scorer(seed)
    score, allowed = _dense(scorer)
    graph = build_candidates(scorer, top_k=2, per_mentor=1, forbidden=[(0, 0), (1, 1)])
    rng = np.random.default_rng(seed)
    u = rng.uniform(0.0, 0.5, N)
    v = rng.uniform(0.0, 0.3, M)
    pricer = CandidatePricer(scorer, graph, forbidden=[(0, 0), (1, 1)], per_mentee=M)
    arc_keys = graph.arc_mentee * M + graph.arc_mentor
    mentee, mentor, found = pricer.price(u, v, 1e-9, arc_keys)
    known = np.zeros((N, M), dtype=bool)
    known[graph.arc_mentee, graph.arc_mentor] = True
    known[0, 0] = known[1, 1] = True  # forbidden: never priced in
    violating = allowed & ~known & (score - u[:, None] - v[None, :] > 1e-9)
    assert _pairs(mentee, mentor) == set(map(tuple, np.argwhere(violating).tolist()))
    np.testing.assert_allclose(found, score[mentee, mentor])
    # The pricer remembers nothing: the same call gives the same answer (a solver that
    # dropped these pairs sees them again), and with them known it gives nothing.
    again = pricer.price(u, v, 1e-9, arc_keys)
    assert _pairs(again[0], again[1]) == _pairs(mentee, mentor)
    with_found = np.concatenate([arc_keys, mentee * M + mentor])
    assert pricer.price(u, v, 1e-9, with_found)[0].size == 0


def test_pricer_returns_the_most_violating_few_per_mentee() -> None:
    scorer = _scorer()
    score, allowed = _dense(scorer)
    graph = build_candidates(scorer, top_k=1, per_mentor=0)
    u, v = np.zeros(N), np.zeros(M)
    arc_keys = graph.arc_mentee * M + graph.arc_mentor
    mentee, mentor, _ = CandidatePricer(scorer, graph, per_mentee=2).price(u, v, 1e-9, arc_keys)
    known = np.zeros((N, M), dtype=bool)
    known[graph.arc_mentee, graph.arc_mentor] = True
    for i in range(N):
        open_ = np.flatnonzero(allowed[i] & ~known[i] & (score[i] > 1e-9))
        got = mentor[mentee == i]
        assert got.size == min(2, open_.size)
        if got.size:
            assert score[i, got].min() >= np.sort(score[i, open_])[-got.size] - 1e-5


def test_same_pairs_by_id_when_mentors_are_shuffled() -> None:
    cohort = generate_cohort(N, M, seed=11)
    mentors = cohort.mentors.sample(frac=1.0, random_state=4).reset_index(drop=True)
    results = []
    for table in (cohort.mentors, mentors):
        frame = participants_frame(table, "mentor")
        scorer = PairScorer(cohort.programme).fit(cohort.mentees, frame)
        graph = build_candidates(scorer, top_k=3, block_size=40)
        ids = frame["id"].to_numpy()
        results.append(
            {
                (cohort.mentees["id"].iloc[i], ids[j]): round(s, 12)
                for i, j, s in zip(graph.arc_mentee, graph.arc_mentor, graph.arc_score, strict=True)
            }
        )

    # The same scores per mentee, and the same mentors except among exact ties at the cut
    # (texts about the same concepts can score alike; a tie is broken by position).
    def by_mentee(arcs: dict[tuple[str, str], float]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for (mentee, _), score in arcs.items():
            found.setdefault(mentee, []).append(score)
        return {mentee: sorted(scores) for mentee, scores in found.items()}

    scores = by_mentee(results[0])
    assert scores == by_mentee(results[1])
    untied = [{k: v for k, v in r.items() if v > scores[k[0]][0]} for r in results]
    assert untied[0] == untied[1]


@pytest.mark.parametrize("r", [1, 4, 30])
def test_mentor_floor_is_the_samples_r_th_best_allowed_score(r: int) -> None:
    scorer = _scorer()
    forbidden = [(0, 3), (60, 1), (119, 19)]
    keys = np.array(sorted(i * M + j for i, j in forbidden), dtype=np.int64)
    rows = np.unique(np.linspace(0, N - 1, min(N, max(50, 4 * r))).astype(np.int64))
    block = scorer.score_block(rows)
    allowed = block.allowed.copy()
    for i, j in forbidden:
        allowed[rows == i, j] = False
    want = np.sort(np.where(allowed, block.score, -np.inf), axis=0)[rows.size - r]
    with ThreadPoolExecutor(2) as executor:
        on_threads = _mentor_floor(scorer, keys, r, 50, executor)
    np.testing.assert_array_equal(on_threads, want.astype(np.float64))
    np.testing.assert_array_equal(_mentor_floor(scorer, keys, r, 50), on_threads)


def test_prepared_scorer_scores_the_same_blocks() -> None:
    cohort = generate_cohort(N, M, seed=7)
    prepared = PairScorer(cohort.programme).fit(cohort.mentees, cohort.mentors)
    prepared.prepare(threads=2)
    rows = np.arange(0, N, 3)
    for got, want in zip(
        (prepared.score_block(rows), prepared.score_block(rows, np.arange(5))),
        (_scorer().score_block(rows), _scorer().score_block(rows, np.arange(5))),
        strict=True,
    ):
        np.testing.assert_array_equal(got.score, want.score)
        np.testing.assert_array_equal(got.allowed, want.allowed)
        np.testing.assert_array_equal(got.exclusion_counts, want.exclusion_counts)
