"""Rule masks give the same answer whether read from the expanded table, the distinct
table or computed per block."""

from __future__ import annotations

import numpy as np
import pytest

from matching.features import _rules
from matching.features._rules import RuleMask
from matching.model import ExcludeSameRule, RequiresRule

RULES = [
    RequiresRule(mentee_field="wants", mentor_field="has"),
    ExcludeSameRule(mentee_field="org", mentor_field="org"),
]


def _cells(rng: np.random.Generator, n: int) -> list[object]:
    values = ["a", "b", "c|a", "d", "", None, "B ", "c"]
    return [values[k] for k in rng.integers(0, len(values), n)]


@pytest.mark.parametrize("rule", RULES, ids=["requires", "exclude_same"])
def test_expanded_distinct_and_blockwise_paths_agree(rule, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    mentees, mentors = _cells(rng, 40), _cells(rng, 9)
    masks = []
    # Expanded table (default); the distinct table only (50 lies between distinct x
    # distinct values and distinct values x 9 mentors here, as asserted); no table.
    for limit in (_rules.TABLE_LIMIT, 50, 0):
        monkeypatch.setattr(_rules, "TABLE_LIMIT", limit)
        masks.append(RuleMask(rule).fit(mentees, mentors, 40, 9))
    assert masks[0]._expanded is not None
    assert masks[1]._expanded is None
    assert masks[1]._table is not None
    assert masks[2]._table is None
    rows = np.array([0, 5, 5, 39, 12], dtype=np.int64)
    columns = np.array([8, 0, 3], dtype=np.int64)
    want = masks[2].block(rows)
    mentee, mentor = np.divmod(np.arange(40 * 9), 9)
    for mask in masks:
        assert np.array_equal(mask.block(rows), want)
        assert np.array_equal(mask.block_columns(rows, columns), want[:, columns])
        assert np.array_equal(mask.pairs(mentee, mentor), masks[2].block(np.arange(40)).ravel())
