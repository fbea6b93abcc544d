"""Metrics of a matching against hand-computed values on tiny cohorts."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from matching.errors import InputError
from matching.evaluation import (
    blocking_pairs,
    churn,
    coverage,
    evaluate,
    gini,
    group_fairness,
    load_balance,
    mentor_changes,
    score_statistics,
    stability,
)
from matching.model import Programme
from matching.result import MatchResult, Pair, Summary, Unmatched

CRITERIA = ("needs", "language")
PROGRAMME = Programme.from_dict(
    {
        "criteria": [
            {"name": "needs", "kind": "needs", "mentee_field": "needs",
             "mentor_field": "expertise", "weight": 0.5},
            {"name": "language", "kind": "overlap", "mentee_field": "languages",
             "mentor_field": "languages", "weight": 0.5},
        ]
    }
)  # fmt: skip


def make_result(
    pairs: list[tuple[str, str, float]], unmatched: tuple[str, ...] = ()
) -> MatchResult:
    """A result whose pairs split their score 60/40 between needs and language."""
    made = tuple(
        Pair(i, j, s, {"needs": 0.6 * s, "language": 0.4 * s}, "because") for i, j, s in pairs
    )
    summary = Summary(
        objective="total",
        total_score=sum(s for *_, s in pairs),
        upper_bound=sum(s for *_, s in pairs),
        gap=0.0,
        mentees=0,
        mentors=0,
        matched=len({i for i, *_ in pairs}),
        unmatched=len(unmatched),
        pairs=len(pairs),
        criteria=CRITERIA,
        seconds=0.0,
        config_sha256="x",
        version="test",
    )
    lost = tuple(Unmatched(u, "capacity_exhausted", "") for u in unmatched)
    return MatchResult(made, lost, {}, (), summary)


MENTEES = pd.DataFrame(
    {
        "id": ["a", "b", "c", "d"],
        "demand": [1, 2, 1, 1],
        "status": ["student", "cooperative", "cooperative", None],
    }
)
MENTORS = pd.DataFrame({"id": ["x", "y", "z"], "capacity": [2, 1, 3]})
# a-x 0.8, b-x 0.6, b-y 0.4; c and d unmatched
RESULT = make_result([("a", "x", 0.8), ("b", "x", 0.6), ("b", "y", 0.4)], ("c", "d"))


def test_gini_matches_the_pairwise_definition() -> None:
    assert gini([0, 0, 1, 1]) == pytest.approx(0.5)
    assert gini([2, 2, 2]) == pytest.approx(0.0, abs=1e-12)
    assert gini([]) == 0.0
    assert gini([0, 0, 0]) == 0.0
    x = np.array([0.1, 0.5, 0.9, 0.2, 1.0])
    pairwise = np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean())
    assert gini(x) == pytest.approx(pairwise)
    with pytest.raises(ValueError, match="non-negative"):
        gini([-1, 1])


def test_score_statistics() -> None:
    stats = score_statistics(RESULT, percentiles=(50, 90))
    assert stats["pairs"] == 3
    assert stats["total_score"] == pytest.approx(1.8)
    assert stats["mean_score"] == pytest.approx(0.6)
    assert stats["min_score"] == pytest.approx(0.4)
    assert stats["max_score"] == pytest.approx(0.8)
    assert stats["score_p50"] == pytest.approx(0.6)
    assert stats["score_p90"] == pytest.approx(0.76)  # 0.6 + 0.8 * (0.8 - 0.6)
    empty = score_statistics(make_result([]))
    assert empty["total_score"] == 0.0
    assert np.isnan(empty["min_score"])


def test_coverage_counts_mentees_demand_and_needs() -> None:
    cov = coverage(RESULT, MENTEES, programme=PROGRAMME)
    assert cov["coverage"] == pytest.approx(2 / 4)
    assert cov["fully_matched"] == pytest.approx(2 / 4)  # a (1 of 1) and b (2 of 2)
    assert cov["demand_met"] == pytest.approx(3 / 5)
    # needs similarity = 0.6 * score / 0.5: a 0.96, b best of 0.72 / 0.48, c and d 0
    assert cov["needs_covered"] == pytest.approx((0.96 + 0.72) / 4)
    assert "needs_covered" not in coverage(RESULT, MENTEES)


def test_coverage_refuses_a_result_for_other_people() -> None:
    with pytest.raises(InputError):
        coverage(make_result([("zz", "x", 0.5)]), MENTEES)


def test_load_balance() -> None:
    load = load_balance(RESULT, MENTORS)
    # load / capacity: x 2/2 = 1, y 1/1 = 1, z 0/3 = 0 -> Gini of (0, 1, 1) = 1/3
    assert load["load_gini"] == pytest.approx(1 / 3)
    assert load["at_capacity"] == pytest.approx(2 / 3)
    assert load["unused_mentors"] == pytest.approx(1 / 3)
    assert load["utilisation"] == pytest.approx(3 / 6)


def test_group_fairness_rates_scores_and_ratios() -> None:
    table = group_fairness(RESULT, MENTEES, "status").set_index("group")
    assert list(table.index) == ["(missing)", "cooperative", "student"]
    assert table.loc["cooperative", "mentees"] == 2
    assert table.loc["cooperative", "match_rate"] == pytest.approx(0.5)
    assert table.loc["cooperative", "mean_score"] == pytest.approx(0.5)
    assert table.loc["student", "match_rate"] == pytest.approx(1.0)
    assert table.loc["student", "mean_score"] == pytest.approx(0.8)
    assert table.loc["cooperative", "match_rate_ratio"] == pytest.approx(0.5)
    assert table.loc["cooperative", "mean_score_ratio"] == pytest.approx(0.5 / 0.8)
    assert table.loc["(missing)", "match_rate"] == 0.0
    assert np.isnan(table.loc["(missing)", "mean_score"])
    with pytest.raises(InputError):
        group_fairness(RESULT, MENTEES, "country")


def _scores(table: dict[tuple[str, str], float]) -> pd.DataFrame:
    rows = [(i, j, s) for (i, j), s in table.items()]
    return pd.DataFrame(rows, columns=["mentee_id", "mentor_id", "score"])


def test_blocking_pairs_hand_case() -> None:
    mentees = pd.DataFrame({"id": ["a", "b", "c"]})
    mentors = pd.DataFrame({"id": ["x", "y"], "capacity": [1, 1]})
    scores = _scores(
        {("a", "x"): 0.9, ("a", "y"): 0.5, ("b", "x"): 0.8, ("b", "y"): 0.6, ("c", "y"): 0.3}
    )
    # b-x and a-y: b prefers x (0.8 > 0.6) but x is with a at 0.9 -> not blocking;
    # a prefers x (0.9 > 0.5) and x prefers a (0.9 > 0.8) -> a-x blocks.
    result = make_result([("a", "y", 0.5), ("b", "x", 0.8)], ("c",))
    blocking = blocking_pairs(result, scores, mentees, mentors)
    assert list(zip(blocking.mentee_id, blocking.mentor_id, strict=True)) == [("a", "x")]
    row = blocking.iloc[0]
    assert row.mentee_current == pytest.approx(0.5)
    assert row.mentor_current == pytest.approx(0.8)
    # The stable matching a-x, b-y leaves c unmatched; c-y (0.3 < 0.6) does not block.
    stable = make_result([("a", "x", 0.9), ("b", "y", 0.6)], ("c",))
    assert blocking_pairs(stable, scores, mentees, mentors).empty
    # With spare capacity at y, the unmatched c and y block (both have a free seat).
    roomy = pd.DataFrame({"id": ["x", "y"], "capacity": [1, 2]})
    blocking = blocking_pairs(stable, scores, mentees, roomy)
    assert list(zip(blocking.mentee_id, blocking.mentor_id, strict=True)) == [("c", "y")]
    assert np.isnan(blocking.iloc[0].mentee_current)
    assert stability(stable, scores, mentees, roomy) == {
        "blocking_pairs": 1.0,
        "blocking_mentees": pytest.approx(1 / 3),
    }


def test_blocking_pairs_ties_do_not_block_and_sides_may_rank_differently() -> None:
    mentees = pd.DataFrame({"id": ["a", "b"]})
    mentors = pd.DataFrame({"id": ["x", "y"]})
    result = make_result([("a", "x", 0.5), ("b", "y", 0.5)])
    tied = _scores({("a", "x"): 0.5, ("a", "y"): 0.5, ("b", "x"): 0.5, ("b", "y"): 0.5})
    assert blocking_pairs(result, tied, mentees, mentors).empty
    # Mentee a prefers y, and mentor y prefers a only by her own ranking.
    two_sided = pd.DataFrame(
        [
            ("a", "x", 0.5, 0.5),
            ("a", "y", 0.7, 0.9),
            ("b", "x", 0.5, 0.5),
            ("b", "y", 0.5, 0.5),
        ],
        columns=["mentee_id", "mentor_id", "mentee_score", "mentor_score"],
    )
    blocking = blocking_pairs(result, two_sided, mentees, mentors)
    assert list(zip(blocking.mentee_id, blocking.mentor_id, strict=True)) == [("a", "y")]
    assert blocking.iloc[0].mentor_score == pytest.approx(0.9)


class _DenseScorer:
    """A block scorer over a dense matrix; ``nan`` marks pairs that are not allowed."""

    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = matrix

    def score_block(self, mentee_idx: np.ndarray) -> np.ndarray:
        return self.matrix[mentee_idx]


def _brute_force_blocking(matrix, pairs, demand, capacity):  # type: ignore[no-untyped-def]
    n, m = matrix.shape
    found = set()
    for i, j in itertools.product(range(n), range(m)):
        if np.isnan(matrix[i, j]) or (i, j) in pairs:
            continue
        mine = [matrix[i, b] for a, b in pairs if a == i]
        hers = [matrix[a, j] for a, b in pairs if b == j]
        wants = len(mine) < demand[i] or matrix[i, j] > min(mine) + 1e-9
        takes = capacity[j] > 0 and (len(hers) < capacity[j] or matrix[i, j] > min(hers) + 1e-9)
        if wants and takes:
            found.add((i, j))
    return found


@pytest.mark.parametrize("seed", range(5))
def test_blocking_pairs_agree_with_brute_force_across_blocks_and_sources(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 23, 7
    matrix = rng.integers(0, 10, size=(n, m)) / 10.0
    matrix[rng.random((n, m)) < 0.3] = np.nan
    demand = rng.integers(1, 3, size=n)
    capacity = rng.integers(0, 4, size=m)
    # a greedy feasible matching
    load = np.zeros(m, int)
    pairs: list[tuple[int, int]] = []
    for i in range(n):
        for j in rng.permutation(m)[: demand[i]]:
            if not np.isnan(matrix[i, j]) and load[j] < capacity[j]:
                pairs.append((i, int(j)))
                load[j] += 1
    mentee_ids = [f"e{i:02d}" for i in range(n)]
    mentor_ids = [f"r{j}" for j in range(m)]
    mentees = pd.DataFrame({"id": mentee_ids, "demand": demand})
    mentors = pd.DataFrame({"id": mentor_ids, "capacity": capacity})
    result = make_result([(mentee_ids[i], mentor_ids[j], matrix[i, j]) for i, j in pairs])
    expected = {(mentee_ids[i], mentor_ids[j]) for i, j in _brute_force_blocking(
        matrix, pairs, demand, capacity)}  # fmt: skip
    allowed = np.argwhere(~np.isnan(matrix))
    long = pd.DataFrame(
        {
            "mentee_id": [mentee_ids[i] for i, _ in allowed],
            "mentor_id": [mentor_ids[j] for _, j in allowed],
            "score": [matrix[i, j] for i, j in allowed],
        }
    ).sample(frac=1.0, random_state=seed)  # row order must not matter
    for source in (long, _DenseScorer(matrix)):
        for block_size in (1, 5, 100):
            got = blocking_pairs(result, source, mentees, mentors, block_size=block_size)
            assert set(zip(got.mentee_id, got.mentor_id, strict=True)) == expected


def test_churn_and_mentor_changes() -> None:
    after = make_result([("a", "x", 0.8), ("b", "z", 0.5), ("b", "y", 0.4), ("c", "x", 0.3)])
    changes = churn(RESULT, after)
    assert changes["pairs_removed"] == 1  # b-x
    assert changes["pairs_added"] == 2  # b-z, c-x
    assert changes["pairs_changed"] == pytest.approx(1 / 3)
    assert changes["mentees_changed"] == pytest.approx(2 / 3)  # b and c of a, b, c
    table = mentor_changes(RESULT, after).set_index("mentee_id")
    assert table.loc["b", "before"] == ("x", "y")
    assert table.loc["b", "after"] == ("y", "z")
    assert table.loc["b", "kept"] == 1
    assert not table.loc["a", "changed"]
    assert churn(RESULT, RESULT)["pairs_changed"] == 0.0


def test_evaluate_is_tidy_and_consistent_with_the_parts() -> None:
    scores = _scores({("a", "x"): 0.8, ("b", "x"): 0.6, ("b", "y"): 0.4, ("c", "z"): 0.2})
    table = evaluate(
        RESULT,
        MENTEES,
        MENTORS,
        groups=["status"],
        programme=PROGRAMME,
        scores=scores,
        baseline=RESULT,
    )
    assert list(table.columns) == ["metric", "group", "value"]
    assert not table.duplicated(["metric", "group"]).any()
    value = table.set_index(["metric", "group"])["value"]
    assert value["total_score", "all"] == pytest.approx(1.8)
    assert value["coverage", "all"] == pytest.approx(0.5)
    assert value["needs_covered", "all"] == pytest.approx(0.42)
    assert value["load_gini", "all"] == pytest.approx(1 / 3)
    assert value["blocking_pairs", "all"] == 1  # c and z both have free seats
    assert value["pairs_changed", "all"] == 0.0
    assert value["match_rate", "status=student"] == 1.0
    assert value["min_match_rate_ratio", "status"] == 0.0  # the (missing) group
    assert value["min_mean_score_ratio", "status"] == pytest.approx(0.5 / 0.8)


def test_blocking_pairs_from_a_pair_scorer_agree_with_its_long_table() -> None:
    from matching.scoring import PairScorer
    from matching.synthetic import generate_cohort

    cohort = generate_cohort(40, 6, seed=3)
    scorer = PairScorer(cohort.programme).fit(cohort.mentees, cohort.mentors)
    n, m = len(cohort.mentees), len(cohort.mentors)
    i, j = np.divmod(np.arange(n * m), m)
    score, allowed = scorer.exact_pairs(i, j)
    # a greedy matching on the exact scores, best pairs first
    load = np.zeros(m, int)
    got = np.zeros(n, int)
    demand = cohort.mentees["demand"].to_numpy()
    capacity = cohort.mentors["capacity"].to_numpy()
    pairs = []
    for k in np.argsort(-np.where(allowed, score, -1.0), kind="stable"):
        if allowed[k] and got[i[k]] < demand[i[k]] and load[j[k]] < capacity[j[k]]:
            got[i[k]] += 1
            load[j[k]] += 1
            pairs.append((cohort.mentees["id"][i[k]], cohort.mentors["id"][j[k]], score[k]))
    result = make_result(pairs[: len(pairs) // 2])  # half the pairs: some must block
    long = pd.DataFrame(
        {
            "mentee_id": cohort.mentees["id"].to_numpy()[i[allowed]],
            "mentor_id": cohort.mentors["id"].to_numpy()[j[allowed]],
            "score": score[allowed],
        }
    )
    from_table = blocking_pairs(result, long, cohort.mentees, cohort.mentors)
    from_scorer = blocking_pairs(result, scorer, cohort.mentees, cohort.mentors, block_size=7)
    assert len(from_table) > 0
    assert from_scorer[["mentee_id", "mentor_id"]].equals(from_table[["mentee_id", "mentor_id"]])
    # the greedy matching on all pairs leaves no mentee with a free seat and a willing mentor
    complete = make_result(pairs)
    still = blocking_pairs(complete, scorer, cohort.mentees, cohort.mentors)
    assert not (still["mentee_current"].isna() & still["mentor_current"].isna()).any()
