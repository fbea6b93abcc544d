"""The ``stable`` objective through ``match()``: exact at sizes that prune (both the score
table and the criteria paths), ranked preferences against brute force, explanations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching
from matching import InputError, RuleError
from matching._stable_lists import ScoredLists
from matching.candidates import scan_candidates
from matching.evaluation import blocking_pairs
from matching.model import NumericCriterion, Programme, participants_frame
from matching.scoring import PairScorer
from matching.solver._stable import Matched
from matching.synthetic import generate_cohort
from tests.stable_oracles import all_stable_matchings, gale_shapley, side_optimal

# --------------------------------------------------------------------------- helpers


def _popular_scores(n: int, m: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Complete score tables where mentees agree on the mentors (a popularity term plus
    a little noise), distinct scores, capacities 1 to 3: the contention that made pruned
    candidate lists run out."""
    rng = np.random.default_rng(seed)
    mentees = pd.DataFrame({"id": [f"s{i:05d}" for i in range(n)]})
    capacity = rng.integers(1, 4, m)
    mentors = pd.DataFrame({"id": [f"t{j:04d}" for j in range(m)], "capacity": capacity})
    popularity = rng.random(m)
    score = 0.8 * popularity[None, :] + 0.2 * rng.random((n, m))
    i, j = np.nonzero(np.ones((n, m), dtype=bool))
    scores = pd.DataFrame(
        {
            "mentee_id": mentees["id"].to_numpy()[i],
            "mentor_id": mentors["id"].to_numpy()[j],
            "score": score[i, j],
        }
    )
    return mentees, mentors, scores


def _pairs(result: matching.MatchResult) -> set[tuple[str, str]]:
    return {(p.mentee_id, p.mentor_id) for p in result.pairs}


def _full_list_da(
    mentee_ids: list[str],
    mentor_ids: list[str],
    arcs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    demand: list[int],
    capacity: list[int],
) -> set[tuple[str, str]]:
    """Sequential deferred acceptance on every acceptable pair (the oracle)."""
    mentee, mentor, mine, theirs = arcs
    pairs = list(zip(mentee.tolist(), mentor.tolist(), strict=True))
    held = gale_shapley(
        pairs,
        dict(zip(pairs, mine.tolist(), strict=True)),
        dict(zip(pairs, theirs.tolist(), strict=True)),
        demand,
        capacity,
    )
    return {(mentee_ids[i], mentor_ids[j]) for i, j in held}


# --------------------------------------------------------------------------- sizes that prune


def test_score_table_with_popular_mentors_is_stable_over_every_pair() -> None:
    mentees, mentors, scores = _popular_scores(1000, 150, seed=3)
    result = matching.match(mentees, mentors, scores=scores, objective="stable")
    summary = result.summary
    assert (summary.blocking_pairs, summary.pairs_checked) == (0, 1000 * 150)
    assert summary.objective == "stable"
    assert summary.method == "stable"
    assert blocking_pairs(result, scores, mentees, mentors).empty
    mentee = pd.Index(mentees["id"]).get_indexer(scores["mentee_id"])
    mentor = pd.Index(mentors["id"]).get_indexer(scores["mentor_id"])
    value = scores["score"].to_numpy()
    expected = _full_list_da(
        mentees["id"].tolist(),
        mentors["id"].tolist(),
        (mentee, mentor, value, value),
        [1] * len(mentees),
        mentors["capacity"].tolist(),
    )
    assert _pairs(result) == expected
    # Every seat is taken: with complete lists, a free seat and an unmatched mentee block.
    assert summary.matched == min(1000, int(mentors["capacity"].sum()))


def _popular_cohort(n: int, m: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, Programme]:
    """The synthetic cohort with a heavy criterion every mentee scores alike (the mentor's
    years of experience): the mentees mostly agree on the mentors."""
    cohort = generate_cohort(n, m, seed=seed)
    mentees = cohort.mentees.assign(baseline=0)
    senior = NumericCriterion(
        name="seniority",
        mentee_field="baseline",
        mentor_field="years",
        mode="at_least",
        gap=40.0,
        scale=40.0,
        weight=1.5,
    )
    data = cohort.programme.model_dump()
    data["criteria"] = [*data["criteria"], senior.model_dump()]
    data["solver"] = {**data["solver"], "top_k": 5}
    return mentees, cohort.mentors, Programme.from_dict(data)


def _mentor_optimal_oracle(
    mentees: pd.DataFrame, mentors: pd.DataFrame, programme: Programme
) -> set[tuple[str, str]]:
    """Mentor-proposing deferred acceptance over every allowed pair (roles swapped)."""
    _, _, arcs, frames = _criteria_arcs(mentees, mentors, programme)
    i, j, score, mentor_score = arcs
    mentee_frame, mentor_frame = frames
    swapped = _full_list_da(
        mentor_frame["id"].tolist(),
        mentee_frame["id"].tolist(),
        (j, i, mentor_score, score),
        mentor_frame["capacity"].tolist(),
        mentee_frame["demand"].tolist(),
    )
    return {(b, a) for a, b in swapped}


def _criteria_arcs(
    mentees: pd.DataFrame, mentors: pd.DataFrame, programme: Programme
) -> tuple[PairScorer, None, tuple[np.ndarray, ...], tuple[pd.DataFrame, pd.DataFrame]]:
    """Every allowed pair with its exact score and the mentors' own score."""
    mentee_frame = participants_frame(mentees, "mentee").sort_values("id").reset_index(drop=True)
    mentor_frame = participants_frame(mentors, "mentor").sort_values("id").reset_index(drop=True)
    scorer = PairScorer(programme).fit(mentee_frame, mentor_frame)
    block = scorer.score_block(np.arange(len(mentee_frame)))
    i, j = np.nonzero(block.rule_allowed)
    score, ok = scorer.exact_pairs(i, j)
    i, j, score = i[ok], j[ok], score[ok]
    mentor_score = score
    mentor_programme = programme.mentor_programme()
    if mentor_programme is not None:
        mentor_scorer = PairScorer(mentor_programme).fit(mentee_frame, mentor_frame)
        mentor_score = mentor_scorer.exact_pairs(i, j)[0]
    return scorer, None, (i, j, score, mentor_score), (mentee_frame, mentor_frame)


def _criteria_oracle(
    mentees: pd.DataFrame, mentors: pd.DataFrame, programme: Programme
) -> tuple[set[tuple[str, str]], PairScorer, pd.DataFrame, pd.DataFrame]:
    """Deferred acceptance over every allowed pair with exact scores."""
    scorer, _, arcs, (mentee_frame, mentor_frame) = _criteria_arcs(mentees, mentors, programme)
    expected = _full_list_da(
        mentee_frame["id"].tolist(),
        mentor_frame["id"].tolist(),
        arcs,
        mentee_frame["demand"].tolist(),
        mentor_frame["capacity"].tolist(),
    )
    return expected, scorer, mentee_frame, mentor_frame


def test_criteria_with_popular_mentors_is_deferred_acceptance_on_the_full_lists() -> None:
    mentees, mentors, programme = _popular_cohort(1000, 150, seed=5)
    result = matching.match(mentees, mentors, programme, objective="stable")
    expected, scorer, mentee_frame, mentor_frame = _criteria_oracle(mentees, mentors, programme)
    assert _pairs(result) == expected
    assert (result.summary.blocking_pairs, result.summary.pairs_checked) == (0, 1000 * 150)
    assert blocking_pairs(result, scorer, mentee_frame, mentor_frame).empty
    # The lists were extended beyond top_k = 5 (else the instance would not test them).
    assert result.summary.candidate_arcs > 5 * 1000


def test_mentor_weights_and_mentor_optimal_on_the_criteria_path() -> None:
    mentees, mentors, programme = _popular_cohort(300, 40, seed=7)
    data = programme.model_dump()
    data["stable"] = {"mentor_weights": {"language": 1.0, "goals": 0.5, "seniority": 0.0}}
    own = Programme.from_dict(data)
    result = matching.match(mentees, mentors, own, objective="stable")
    expected, *_ = _criteria_oracle(mentees, mentors, own)
    assert _pairs(result) == expected
    assert result.summary.blocking_pairs == 0
    data["stable"] = {**data["stable"], "proposing": "mentors"}
    data["objective"] = "stable"
    flipped = matching.match(mentees, mentors, Programme.from_dict(data))
    assert flipped.summary.objective == "stable"  # from the programme's objective
    flipped_expected = _mentor_optimal_oracle(mentees, mentors, Programme.from_dict(data))
    assert _pairs(flipped) == flipped_expected
    assert flipped.summary.proposing == "mentors"
    assert flipped.summary.blocking_pairs == 0
    # Every mentee likes the mentee-optimal matching at least as much (same seats).
    assert flipped.summary.matched == result.summary.matched


# --------------------------------------------------------------------------- ranks


@st.composite
def ranked_instances(draw: st.DrawFn) -> dict[str, object]:
    """Tiny cohorts with ranks on one or both sides: ties, incomplete lists, forbidden
    pairs, demands up to 2 and capacities 0 to 2."""
    n = draw(st.integers(1, 4))
    m = draw(st.integers(1, 3))
    cells = [(i, j) for i in range(n) for j in range(m)]
    sides = draw(st.sampled_from(["mentee", "mentor", "both"]))
    ranks: dict[str, dict[tuple[int, int], int]] = {}
    for side in ("mentee", "mentor"):
        if sides in (side, "both"):
            listed = [c for c in cells if draw(st.integers(0, 3)) > 0]
            ranks[side] = {c: draw(st.integers(1, 3)) for c in listed}
    forbidden = [c for c in cells if draw(st.integers(0, 5)) == 0]
    return {
        "n": n,
        "m": m,
        "ranks": ranks,
        "forbidden": forbidden,
        "demand": [draw(st.integers(1, 2)) for _ in range(n)],
        "capacity": [draw(st.integers(0, 2)) for _ in range(m)],
        "proposing": draw(st.sampled_from(["mentees", "mentors"])),
    }


@settings(max_examples=120, deadline=None)
@given(ranked_instances())
def test_ranked_preferences_give_the_optimal_stable_matching(instance: dict) -> None:  # type: ignore[type-arg]
    n, m = instance["n"], instance["m"]
    ranks = instance["ranks"]
    mentee_ids = [f"a{i}" for i in range(n)]
    mentor_ids = [f"b{j}" for j in range(m)]

    def table(side: str) -> pd.DataFrame | None:
        if side not in ranks:
            return None
        rows = [(mentee_ids[i], mentor_ids[j], r) for (i, j), r in ranks[side].items()]
        return pd.DataFrame(rows, columns=["mentee_id", "mentor_id", "rank"])

    # Both sides need an order: the side without ranks ranks by the pair score, which is
    # 1 / the ranking side's rank in a ranks-only run.
    listed = [set(r) for r in ranks.values()]
    pairs = sorted(set.intersection(*listed) - set(instance["forbidden"]))
    given_side = "mentee" if "mentee" in ranks else "mentor"
    values = {s: {p: -float(ranks[s][p]) for p in pairs} for s in ranks}
    score = {p: 1.0 / ranks[given_side][p] for p in pairs}
    mine = values.get("mentee", score)
    theirs = values.get("mentor", score)
    stable = all_stable_matchings(pairs, mine, theirs, instance["demand"], instance["capacity"])
    side = 0 if instance["proposing"] == "mentees" else 1
    best = side_optimal(stable, mine if side == 0 else theirs, side, n if side == 0 else m)
    assert best is not None
    mentees = pd.DataFrame({"id": mentee_ids, "demand": instance["demand"]})
    mentors = pd.DataFrame({"id": mentor_ids, "capacity": instance["capacity"]})
    programme = _ranks_programme(instance["proposing"])
    forbidden = [(mentee_ids[i], mentor_ids[j]) for i, j in instance["forbidden"]]
    scores = _scores_of(ranks[given_side], mentee_ids, mentor_ids)
    result = matching.match(
        mentees,
        mentors,
        programme,
        scores=scores,
        forbidden=forbidden,
        mentee_ranks=table("mentee"),
        mentor_ranks=table("mentor"),
    )
    assert _pairs(result) == {(mentee_ids[i], mentor_ids[j]) for i, j in best}
    assert result.summary.blocking_pairs == 0


def _ranks_programme(proposing: str) -> Programme:
    data = matching.default_programme().model_dump()
    data["stable"] = {"proposing": proposing}
    return Programme.from_dict(data)


def _scores_of(
    ranks: dict[tuple[int, int], int], mentees: list[str], mentors: list[str]
) -> pd.DataFrame:
    rows = [(mentees[i], mentors[j], 1.0 / r) for (i, j), r in ranks.items()]
    return pd.DataFrame(rows, columns=["mentee_id", "mentor_id", "score"])


def test_ranks_alone_need_no_programme_and_explain_the_unmatched() -> None:
    mentees = pd.DataFrame({"id": ["a", "b", "c"]})
    mentors = pd.DataFrame({"id": ["X", "Y"], "capacity": [1, 1]})
    wishes = pd.DataFrame(
        [("a", "X", 1), ("b", "X", 1), ("c", "X", 1), ("c", "Y", 2), ("b", "Y", 2)],
        columns=["mentee_id", "mentor_id", "rank"],
    )
    choices = pd.DataFrame(
        [("a", "X", 1), ("b", "X", 2), ("c", "X", 3), ("c", "Y", 1), ("b", "Y", 2)],
        columns=["mentee_id", "mentor_id", "rank"],
    )
    result = matching.match(mentees, mentors, mentee_ranks=wishes, mentor_ranks=choices)
    assert _pairs(result) == {("a", "X"), ("c", "Y")}
    assert result.summary.objective == "stable"
    (left,) = result.unmatched
    assert left.mentee_id == "b"
    assert left.reason == "capacity_exhausted"
    assert "every mentor she ranked (2 acceptable) is full with mentees they prefer" in left.detail
    assert all(p.why.startswith("stable: both ranked each other higher") for p in result.pairs)


def _crossed_ranks() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Two mentees and two mentors whose first choices cross: the mentee-optimal and the
    mentor-optimal stable matchings differ."""
    mentees = pd.DataFrame({"id": ["a", "b"]})
    mentors = pd.DataFrame({"id": ["X", "Y"], "capacity": [1, 1]})
    columns = ["mentee_id", "mentor_id", "rank"]
    wishes = pd.DataFrame(
        [("a", "X", 1), ("a", "Y", 2), ("b", "Y", 1), ("b", "X", 2)], columns=columns
    )
    choices = pd.DataFrame(
        [("b", "X", 1), ("a", "X", 2), ("a", "Y", 1), ("b", "Y", 2)], columns=columns
    )
    return mentees, mentors, wishes, choices


def test_who_proposes_is_chosen_without_a_programme() -> None:
    mentees, mentors, wishes, choices = _crossed_ranks()
    given = {"mentee_ranks": wishes, "mentor_ranks": choices}
    default = matching.match(mentees, mentors, **given)
    by_mentors = matching.match(mentees, mentors, proposing="mentors", **given)
    assert _pairs(default) == {("a", "X"), ("b", "Y")}
    assert _pairs(by_mentors) == {("b", "X"), ("a", "Y")}
    assert (by_mentors.summary.proposing, by_mentors.summary.blocking_pairs) == ("mentors", 0)
    # The argument overrides the programme's own choice, as objective= does.
    programme = _ranks_programme("mentors")
    scores = wishes.assign(score=1.0 / wishes["rank"]).drop(columns="rank")
    overridden = matching.match(
        mentees, mentors, programme, scores=scores, proposing="mentees", **given
    )
    assert _pairs(overridden) == _pairs(default)


def test_ranks_with_another_objective_or_bad_rows_are_refused() -> None:
    mentees = pd.DataFrame({"id": ["a"]})
    mentors = pd.DataFrame({"id": ["X"]})
    ranks = pd.DataFrame([("a", "X", 1)], columns=["mentee_id", "mentor_id", "rank"])
    with pytest.raises(RuleError, match="stable"):
        matching.match(mentees, mentors, mentee_ranks=ranks, objective="coverage")
    for column, bad in (("rank", 0), ("rank", 1.5), ("mentor_id", "nobody")):
        broken = ranks.assign(**{column: [bad]})
        with pytest.raises(InputError) as caught:
            matching.match(mentees, mentors, mentee_ranks=broken)
        assert caught.value.column == column
        assert caught.value.row == 0
        assert "nobody" not in str(caught.value)
    twice = pd.concat([ranks, ranks])
    with pytest.raises(InputError, match="ranked twice"):
        matching.match(mentees, mentors, mentor_ranks=twice)


def test_stable_refuses_quotas() -> None:
    data = matching.default_programme().model_dump()
    data["objective"] = "stable"
    data["quotas"] = [{"field": "country", "value": "MA", "min_share": 0.5}]
    with pytest.raises(matching.ConfigError, match="quotas"):
        Programme.from_dict(data)


def test_mentor_weights_must_name_criteria() -> None:
    data = matching.default_programme().model_dump()
    data["stable"] = {"mentor_weights": {"nonexistent": 1.0}}
    with pytest.raises(matching.ConfigError, match="unknown criteria"):
        Programme.from_dict(data)


def test_the_check_counts_the_pairs_that_block_a_broken_matching() -> None:
    """The blocking-pair check is a real check: on a matching with pairs removed it finds
    exactly the pairs an independent count over the dense scores finds."""
    mentees, mentors, programme = _popular_cohort(200, 30, seed=11)
    result = matching.match(mentees, mentors, programme, objective="stable")
    _, scorer, mentee_frame, mentor_frame = _criteria_oracle(mentees, mentors, programme)
    kept = matching.MatchResult(
        result.pairs[::2], (), {}, (), result.summary
    )  # every other pair dropped: free seats on both sides
    expected = blocking_pairs(kept, scorer, mentee_frame, mentor_frame, tolerance=0.0)
    index = (pd.Index(mentee_frame["id"]), pd.Index(mentor_frame["id"]))
    mentee = index[0].get_indexer([p.mentee_id for p in kept.pairs]).astype(np.int64)
    mentor = index[1].get_indexer([p.mentor_id for p in kept.pairs]).astype(np.int64)
    score = np.array([p.score for p in kept.pairs])
    held = Matched(mentee, mentor, score, score, score)
    demand = mentee_frame["demand"].to_numpy(np.int64)
    capacity = mentor_frame["capacity"].to_numpy(np.int64)
    scan = scan_candidates(scorer, top_k=5)
    pool = (scan.pool_mentor, scan.pool_score, scan.records.pool_bound)
    none = np.zeros(0, np.int64)
    for with_pool in (None, pool):
        lists = ScoredLists(scorer, none, pool=with_pool)  # type: ignore[arg-type]
        assert lists.count_blocking(held, demand, capacity) == len(expected) > 0


def test_locked_forbidden_and_min_score_under_the_stable_objective() -> None:
    """Locked pairs take their seats first, forbidden pairs and pairs below the minimum
    score are not acceptable: the rest is deferred acceptance on the full lists."""
    mentees, mentors, programme = _popular_cohort(300, 40, seed=13)
    programme = programme.model_copy(update={"min_score": 0.45})
    _, _, arcs, (mentee_frame, mentor_frame) = _criteria_arcs(mentees, mentors, programme)
    i, j, score, _ = arcs
    ids = (mentee_frame["id"].tolist(), mentor_frame["id"].tolist())
    locked = [(ids[0][i[0]], ids[1][j[0]])]
    forbidden = [(ids[0][a], ids[1][b]) for a, b in zip(i[1:40:3], j[1:40:3], strict=True)]
    result = matching.match(
        mentees, mentors, programme, objective="stable", locked=locked, forbidden=forbidden
    )
    assert result.summary.blocking_pairs == 0
    got = _pairs(result)
    assert locked[0] in got
    assert not got & set(forbidden)
    assert min(p.score for p in result.pairs if (p.mentee_id, p.mentor_id) not in locked) >= 0.45
    # The oracle: the locked pair's seats taken, the other pairs on full lists.
    out = {locked[0], *forbidden}
    keep = np.array([(ids[0][a], ids[1][b]) not in out for a, b in zip(i, j, strict=True)])
    demand = mentee_frame["demand"].to_numpy().copy()
    capacity = mentor_frame["capacity"].to_numpy().copy()
    demand[i[0]] -= 1
    capacity[j[0]] -= 1
    expected = _full_list_da(
        ids[0],
        ids[1],
        (i[keep], j[keep], score[keep], score[keep]),
        demand.tolist(),
        capacity.tolist(),
    )
    assert got == expected | {locked[0]}


def test_mentor_weights_with_a_score_table_are_refused() -> None:
    mentees, mentors, scores = _popular_scores(5, 3, seed=1)
    data = matching.default_programme().model_dump()
    data["stable"] = {"mentor_weights": {"language": 1.0}}
    with pytest.raises(RuleError, match="mentors' ranks instead"):
        matching.match(
            mentees, mentors, Programme.from_dict(data), scores=scores, objective="stable"
        )


def test_everyone_agreeing_on_81_mentors_leaves_no_one_out() -> None:
    """22 mentees x 81 mentors, one order for all: more than 4 x top_k pairs per mentee,
    where pruned lists once left 2 mentees unmatched beside empty seats."""
    mentees = pd.DataFrame({"id": [f"s{i:02d}" for i in range(22)]})
    mentors = pd.DataFrame({"id": [f"t{j:02d}" for j in range(81)], "capacity": 1})
    i, j = np.nonzero(np.ones((22, 81), dtype=bool))
    scores = pd.DataFrame(
        {
            "mentee_id": mentees["id"].to_numpy()[i],
            "mentor_id": mentors["id"].to_numpy()[j],
            "score": 1.0 - j / 100 - i / 10_000,  # every mentee ranks the mentors alike
        }
    )
    result = matching.match(mentees, mentors, scores=scores, objective="stable")
    assert result.summary.matched == 22
    assert result.summary.blocking_pairs == 0
    assert {p.mentor_id for p in result.pairs} == set(mentors["id"][:22])
