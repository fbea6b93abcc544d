"""Independent oracles for stable matching (written apart from ``matching.solver._stable``).

- :func:`all_stable_matchings`: brute force, every subset of the acceptable pairs that
  respects demands and capacities, kept when no pair blocks it.
- :func:`gale_shapley`: textbook sequential deferred acceptance (one proposal at a time,
  a heap per receiver) on full lists.

Preferences are strict: a mentee ranks by her value (higher first), ties to the lower
mentor index; a mentor by hers, ties to the lower mentee index.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence

Pair = tuple[int, int]


def _mentee_key(value: dict[Pair, float], i: int, j: int) -> tuple[float, int]:
    """Higher is better for mentee i."""
    return (value[(i, j)], -j)


def _mentor_key(value: dict[Pair, float], i: int, j: int) -> tuple[float, int]:
    """Higher is better for mentor j."""
    return (value[(i, j)], -i)


def blocking(
    matching: set[Pair],
    pairs: Sequence[Pair],
    mentee_value: dict[Pair, float],
    mentor_value: dict[Pair, float],
    demand: Sequence[int],
    capacity: Sequence[int],
) -> list[Pair]:
    """Acceptable pairs outside ``matching`` whose members both want each other."""
    found = []
    for i, j in pairs:
        if (i, j) in matching:
            continue
        mine = [b for a, b in matching if a == i]
        theirs = [a for a, b in matching if b == j]
        mentee_wants = len(mine) < demand[i] or any(
            _mentee_key(mentee_value, i, j) > _mentee_key(mentee_value, i, b) for b in mine
        )
        mentor_wants = len(theirs) < capacity[j] or any(
            _mentor_key(mentor_value, i, j) > _mentor_key(mentor_value, a, j) for a in theirs
        )
        if mentee_wants and mentor_wants:
            found.append((i, j))
    return found


def all_stable_matchings(
    pairs: Sequence[Pair],
    mentee_value: dict[Pair, float],
    mentor_value: dict[Pair, float],
    demand: Sequence[int],
    capacity: Sequence[int],
) -> list[set[Pair]]:
    """Every pairwise-stable matching, by enumerating all feasible subsets."""
    stable = []
    for size in range(len(pairs) + 1):
        for subset in itertools.combinations(pairs, size):
            loads_i = [0] * len(demand)
            loads_j = [0] * len(capacity)
            for i, j in subset:
                loads_i[i] += 1
                loads_j[j] += 1
            if any(a > b for a, b in zip(loads_i, demand, strict=True)):
                continue
            if any(a > b for a, b in zip(loads_j, capacity, strict=True)):
                continue
            chosen = set(subset)
            if not blocking(chosen, pairs, mentee_value, mentor_value, demand, capacity):
                stable.append(chosen)
    return stable


def side_optimal(
    stable: list[set[Pair]], value: dict[Pair, float], side: int, size: int
) -> set[Pair] | None:
    """The matching every member of one side (``0`` mentees, ``1`` mentors) likes at least
    as much as every other stable one: for each member, her k-th best partner is at least
    as good as in any stable matching, for every k (None if no such matching exists)."""

    def profile(matching: set[Pair], who: int) -> list[tuple[float, int]]:
        keys = [
            _mentee_key(value, i, j) if side == 0 else _mentor_key(value, i, j)
            for i, j in matching
            if (i, j)[side] == who
        ]
        return sorted(keys, reverse=True)

    for candidate in stable:
        if all(
            len(profile(candidate, w)) == len(profile(other, w))
            and all(a >= b for a, b in zip(profile(candidate, w), profile(other, w), strict=True))
            for other in stable
            for w in range(size)
        ):
            return candidate
    return None


def gale_shapley(
    pairs: Sequence[Pair],
    mentee_value: dict[Pair, float],
    mentor_value: dict[Pair, float],
    demand: Sequence[int],
    capacity: Sequence[int],
) -> set[Pair]:
    """Mentee-proposing deferred acceptance, one proposal at a time, on full lists."""
    lists: dict[int, list[int]] = {i: [] for i in range(len(demand))}
    for i, j in pairs:
        lists[i].append(j)
    for i in lists:
        lists[i].sort(key=lambda j, i=i: _mentee_key(mentee_value, i, j), reverse=True)
    position = dict.fromkeys(lists, 0)
    held: dict[int, list[tuple[tuple[float, int], int]]] = {j: [] for j in range(len(capacity))}
    count = dict.fromkeys(lists, 0)
    free = [i for i in lists for _ in range(demand[i])]
    while free:
        i = free.pop()
        if position[i] >= len(lists[i]):
            continue
        j = lists[i][position[i]]
        position[i] += 1
        if capacity[j] == 0:
            free.append(i)
            continue
        heapq.heappush(held[j], (_mentor_key(mentor_value, i, j), i))
        count[i] += 1
        if len(held[j]) > capacity[j]:
            _, loser = heapq.heappop(held[j])  # the worst held
            count[loser] -= 1
            free.append(loser)
    return {(i, j) for j, heap in held.items() for _, i in heap}
