"""Scored pairs and pair keys: the one shape candidates, score tables, the solver and the
explanations share (``matching/_pairs.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching._pairs import ScoredPairs, is_in, is_member, pair_keys, split_keys
from matching.solver import AssignmentProblem, SolverConfig, solve
from matching.solver import ScoredPairs as PublicScoredPairs

index_pairs = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12)), max_size=60)


@given(index_pairs)
def test_keys_order_as_the_pairs_and_split_back(pairs: list[tuple[int, int]]) -> None:
    n_mentors = 13
    mentee = np.array([i for i, _ in pairs], np.int64)
    mentor = np.array([j for _, j in pairs], np.int64)
    keys = pair_keys(mentee, mentor, n_mentors)
    assert [pairs[k] for k in np.argsort(keys, kind="stable")] == sorted(pairs)
    back_mentee, back_mentor = split_keys(keys, n_mentors)
    assert back_mentee.tolist() == mentee.tolist()
    assert back_mentor.tolist() == mentor.tolist()


@given(index_pairs, index_pairs)
def test_membership_is_set_membership(
    asked: list[tuple[int, int]], held: list[tuple[int, int]]
) -> None:
    n_mentors = 13
    pairs = ScoredPairs.of([i for i, _ in asked], [j for _, j in asked], np.zeros(len(asked)))
    keys = pair_keys([i for i, _ in held], [j for _, j in held], n_mentors)
    expected = [pair in set(held) for pair in asked]
    assert pairs.among(keys, n_mentors).tolist() == expected
    assert is_in(pairs.keys(n_mentors), keys).tolist() == expected
    assert is_member(pairs.keys(n_mentors), np.sort(keys)).tolist() == expected


def test_arrays_of_other_lengths_or_types_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        ScoredPairs(np.zeros(2, np.int64), np.zeros(3, np.int64), np.zeros(2))
    with pytest.raises(TypeError, match=r"ScoredPairs\.mentor must be a flat int64 array"):
        ScoredPairs(np.zeros(2, np.int64), np.zeros(2, np.int32), np.zeros(2))
    with pytest.raises(TypeError, match=r"ScoredPairs\.score must be a flat float64 array"):
        ScoredPairs(np.zeros(2, np.int64), np.zeros(2, np.int64), np.zeros((2, 1)))


def test_pairs_already_int64_and_float64_are_held_not_copied() -> None:
    mentee, mentor, score = np.array([0, 1]), np.array([1, 0]), np.array([0.5, 0.25])
    pairs = ScoredPairs.of(mentee, mentor, score)
    assert pairs.mentee is mentee
    assert pairs.mentor is mentor
    assert pairs.score is score
    problem = AssignmentProblem(
        n_mentees=2,
        n_mentors=2,
        arcs=pairs,
        demand=np.ones(2, np.int64),
        capacity=np.ones(2, np.int64),
        min_load=np.zeros(2, np.int64),
        arc_locked=np.zeros(2, bool),
    )
    assert problem.arc_mentee is mentee  # read-only views of the one instance
    assert problem.arc_score is score
    assert PublicScoredPairs is ScoredPairs
    solution = solve(problem, SolverConfig(objective="total"))
    assert sorted(zip(solution.mentee_idx.tolist(), solution.mentor_idx.tolist(), strict=True)) == [
        (0, 1),
        (1, 0),
    ]
    assert solution.pairs.score.sum() == pytest.approx(0.75)


def test_concat_take_and_order() -> None:
    first = ScoredPairs.of([2, 0], [1, 3], [0.1, 0.2])
    second = ScoredPairs.of([0], [1], [0.3])
    both = ScoredPairs.concat([first, second])
    assert both.size == 3
    ordered = both.in_order()
    assert list(zip(ordered.mentee.tolist(), ordered.mentor.tolist(), strict=True)) == [
        (0, 1),
        (0, 3),
        (2, 1),
    ]
    assert ordered.score.tolist() == [0.3, 0.2, 0.1]
    assert ScoredPairs.concat([]).size == 0
