"""Deduplicated similarities give the same values with or without their tables.

Small cohorts always fit the distinct-values tables, so every other test reads a table;
past :data:`~matching.features._dedup.TABLE_LIMIT` entries (large cohorts with many
distinct texts or need profiles) the table is kept in float32, and past
:data:`~matching.features._dedup.COMPACT_TABLE_LIMIT` blocks, pairs and phrases are
computed from the block's distinct values instead. Every path must agree on every
criterion kind.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest

from matching.features import _cells, make_similarity
from matching.features._dedup import Deduplicated
from matching.model import Criterion, DistanceCriterion, NumericCriterion
from matching.synthetic import Cohort, generate_cohort

EXTRA_CRITERIA: tuple[Criterion, ...] = (
    DistanceCriterion(
        name="nearby", mentee_field="location", mentor_field="location", radius_km=300.0
    ),
    NumericCriterion(
        name="same_time_zone", mentee_field="utc_offset", mentor_field="utc_offset", scale=3.0
    ),
)


@cache
def _cohort() -> Cohort:
    return generate_cohort(240, 40, seed=5)


def _criteria() -> list[Criterion]:
    return [*_cohort().programme.criteria, *EXTRA_CRITERIA]


def _fitted(criterion: Criterion, table_limit: int, compact_limit: int = 2**29) -> Deduplicated:
    cohort = _cohort()
    similarity = Deduplicated(
        make_similarity(criterion), table_limit=table_limit, compact_limit=compact_limit
    )
    return similarity.fit(
        _cells(cohort.mentees, criterion, "mentee"), _cells(cohort.mentors, criterion, "mentor")
    )


@pytest.mark.parametrize("criterion", _criteria(), ids=lambda criterion: criterion.name)
def test_blocks_pairs_and_phrases_agree_with_and_without_tables(criterion: Criterion) -> None:
    whole = _fitted(criterion, 2**26)
    n_distinct = whole.distinct[0] * whole.distinct[1]
    # Whole table and its per-mentor copy; the table alone; the float32 table (with its
    # per-mentor copy, and alone); no table at all.
    regimes = {
        "table only": _fitted(criterion, n_distinct),
        "float32 table": _fitted(criterion, 0),
        "float32 table only": _fitted(criterion, 0, n_distinct),
        "no table": _fitted(criterion, 0, 0),
    }
    assert whole._table is not None
    assert regimes["float32 table only"]._table is not None
    assert regimes["no table"]._table is None
    n, m = whole.n_mentees_, whole.n_mentors_
    rng = np.random.default_rng(0)
    rows = rng.choice(n, size=60, replace=True).astype(np.int64)  # repeats on purpose
    columns = np.sort(rng.choice(m, size=15, replace=False)).astype(np.int64)
    mentee, mentor = rng.integers(0, n, 500), rng.integers(0, m, 500)
    expected: dict[str, Any] = {
        "block64": whole.block(rows, np.float64),
        "block32": whole.block(rows, np.float32),
        "columns": whole.block_columns(rows, columns, np.float64),
        "pairs": whole.pairs(mentee, mentor),
        "phrases": whole.phrases(mentee, mentor),
    }
    assert expected["block64"].shape == (rows.size, m)
    np.testing.assert_allclose(expected["block64"][:, columns], expected["columns"], atol=1e-12)
    for name, similarity in regimes.items():
        np.testing.assert_allclose(
            similarity.block(rows, np.float64), expected["block64"], atol=1e-12, err_msg=name
        )
        np.testing.assert_allclose(
            similarity.block(rows, np.float32), expected["block32"], atol=1e-6, err_msg=name
        )
        np.testing.assert_allclose(
            similarity.block_columns(rows, columns, np.float64),
            expected["columns"],
            atol=1e-12,
            err_msg=name,
        )
        np.testing.assert_allclose(
            similarity.pairs(mentee, mentor), expected["pairs"], atol=1e-12, err_msg=name
        )
        assert similarity.phrases(mentee, mentor) == expected["phrases"], name
    # A float32 table holds the whole table's values cast: its float32 blocks and
    # columns are the same numbers, so a large cohort's scan reads what a small one's does.
    for name in ("float32 table", "float32 table only"):
        compact = regimes[name]
        np.testing.assert_array_equal(compact.block(rows, np.float32), expected["block32"])
        np.testing.assert_array_equal(
            compact.block_columns(rows, columns, np.float32),
            whole.block_columns(rows, columns, np.float32),
        )


@pytest.mark.parametrize("criterion", _criteria(), ids=lambda criterion: criterion.name)
def test_pairs_agree_with_blocks_without_a_table(criterion: Criterion) -> None:
    """The exact pair values (final scores, explanations) are the block values."""
    similarity = _fitted(criterion, 0, 0)
    rows = np.arange(similarity.n_mentees_, dtype=np.int64)[::7]
    block = similarity.block(rows, np.float64)
    mentee = np.repeat(rows, similarity.n_mentors_)
    mentor = np.tile(np.arange(similarity.n_mentors_), rows.size)
    exact = similarity.pairs(mentee, mentor).reshape(block.shape)
    np.testing.assert_allclose(block, exact, atol=1e-12)
    assert ((exact >= 0.0) & (exact <= 1.0)).all()
