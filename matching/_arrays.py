"""Group-wise array helpers shared by candidates, explanations and the solvers.

The pipeline often needs "the best ``k`` of each group" — each mentee's best mentors,
each mentor's best mentees, a mentee's ``demand`` largest margins — on flat arrays
sorted by group. These helpers own that one idiom.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]


def rank_in_runs(sorted_group: NDArray[np.integer]) -> IntArray:
    """Each element's position within its run of equal values (0 for the first).

    ``sorted_group`` must be sorted ascending (for instance the primary key of a
    ``np.lexsort``), so that every group is one contiguous run.
    """
    group = np.asarray(sorted_group)
    position = np.arange(group.size, dtype=np.int64)
    if group.size == 0:
        return position
    starts = np.zeros(group.size, dtype=np.int64)
    new_run = group[1:] != group[:-1]
    starts[1:][new_run] = position[1:][new_run]
    # Linear: each element's run starts at the last run start before it.
    rank: IntArray = position - np.maximum.accumulate(starts)
    return rank


def sum_of_largest(group: IntArray, value: IntArray, allowed: IntArray) -> int:
    """Sum over groups of each group's ``allowed[group]`` largest values, exactly (Python
    integers: no int64 overflow)."""
    order = np.lexsort((-value, group))
    group, value = group[order], value[order]
    keep = rank_in_runs(group) < allowed[group]
    return int(sum(value[keep].tolist()))
