"""Cell parsing: the short paths for text cells and columns give the general paths'
results (codes, distinct cells, parsed values, refused rows and reasons)."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.features import AvailabilitySimilarity, NeedsSimilarity
from matching.features._parse import (
    CellError,
    RowError,
    _level,
    cell_key,
    column_problems,
    factorize,
    is_missing,
    missing_mask,
    normalise,
    parse_column,
    parse_levelled,
    parse_tags,
    split_items,
)
from matching.messages import Message
from matching.model import AvailabilityCriterion, NeedsCriterion


def _reference_factorize(values: list[Any]) -> tuple[list[int], list[Any]]:
    """One dict pass over the cells' keys: what the short paths must equal."""
    index: dict[Hashable, int] = {}
    codes = [index.setdefault(cell_key(v), len(index)) for v in values]
    first: dict[int, Any] = {}
    for code, value in zip(codes, values, strict=True):
        first.setdefault(code, value)
    return codes, [first[k] for k in range(len(index))]


def _same_cell(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and (a is b or a == b)


def _assert_factorize_equals_reference(cells: Any) -> None:
    codes, distinct = factorize(cells)
    want_codes, want_distinct = _reference_factorize(
        cells.tolist() if hasattr(cells, "tolist") else list(cells)
    )
    assert codes.dtype == np.int64
    assert codes.tolist() == want_codes
    assert len(distinct) == len(want_distinct)
    assert all(_same_cell(a, b) for a, b in zip(distinct, want_distinct, strict=True))


TEXT = ["fr|ar", None, "fr|ar", "", "  en ", float("nan"), "EN", "fr|ar", None, "en"]


@pytest.mark.parametrize(
    "cells",
    [
        pd.Series(TEXT, dtype="str"),  # missing cells are NaN
        pd.Series(TEXT, dtype="string"),  # missing cells are pd.NA
        pd.Series([t for t in TEXT if isinstance(t, str)], dtype=object),  # all text
        pd.Series(TEXT, dtype=object),  # text and two kinds of missing: general path
        pd.Series(["a", None, "b"], dtype="str"),  # missing before the second value
        pd.Series([None, None], dtype="str"),
        pd.Series([], dtype="str"),
        ["seo:1", ["seo:1"], ("seo:1",), 1, 1.0, True, None, float("nan"), pd.NA, "seo:1"],
        [[1, 2], [1, 2], {"a": 1}, {"a": 1}, "x"],  # unhashable cells
    ],
)
def test_factorize_equals_the_general_path(cells: Any) -> None:
    _assert_factorize_equals_reference(cells)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.just(""), st.just(" "), st.sampled_from(["a", "b", "A"]))),
    st.sampled_from(["str", "string", "object"]),
)
def test_factorize_text_columns(values: list[str | None], dtype: str) -> None:
    _assert_factorize_equals_reference(pd.Series(values, dtype=dtype))


def test_factorize_rows_of_a_frame() -> None:
    frame = pd.DataFrame(
        {
            "slots": pd.Series(["mon 9-10", None, "mon 9-10", "mon 9-10", None], dtype="str"),
            "offset": [1, 1, 1, None, 1],
        }
    )
    codes, distinct = factorize(frame)
    rows = zip(frame["slots"].tolist(), frame["offset"].tolist(), strict=True)
    keys = [tuple(map(cell_key, row)) for row in rows]
    want, _ = _reference_factorize(keys)
    assert codes.tolist() == want
    assert isinstance(distinct, pd.DataFrame)
    pd.testing.assert_frame_equal(distinct, frame.iloc[[0, 1, 3]].reset_index(drop=True))


def _reference_parse_column(values: list[Any], parse: Callable[[object], Any]) -> list[Any]:
    memo: dict[Hashable, Any] = {}
    out = []
    for row, cell in enumerate(values):
        key = cell_key(cell)
        if key not in memo:
            try:
                memo[key] = parse(cell)
            except CellError as exc:
                raise RowError(row, exc.reason) from None
        out.append(memo[key])
    return out


NEEDS = ["seo:1|website", None, "seo:1|website", "SEO : 3 | web:2,0", "x:9", "x:9", ":2", "a"]


@pytest.mark.parametrize("dtype", ["str", "string", "object"])
def test_parse_column_and_problems_equal_the_general_path(dtype: str) -> None:
    cells = pd.Series(NEEDS, dtype=dtype)

    def parse(cell: object) -> dict[str, int]:
        return parse_levelled(cell, 1)

    with pytest.raises(RowError) as got:
        parse_column(cells, parse)
    with pytest.raises(RowError) as want:
        _reference_parse_column(cells.tolist(), parse)
    assert (
        (got.value.row, str(got.value.reason))
        == (want.value.row, str(want.value.reason))
        == (
            4,
            "a level after ':' must be a whole number from 1 to 5",
        )
    )
    assert [row for row, _ in column_problems(cells, parse)] == [4, 5, 6]
    good = cells[cells.index < 4]
    assert parse_column(good, parse) == _reference_parse_column(good.tolist(), parse)
    assert parse_column(good, parse)[3] == {"seo": 3, "web": 2}


def _reference_levelled(cell: object, default_level: int) -> dict[str, int]:
    """``parse_levelled`` without its short paths."""
    result: dict[str, int] = {}
    for item in split_items(cell):
        tag, sep, level_text = item.rpartition(":")
        if not sep:
            tag, level = item, default_level
        else:
            level = _level(level_text)
        key = normalise(tag)
        if not key:
            raise CellError(Message("a tag is empty before ':level'"))
        result[key] = max(level, result.get(key, 0))
    return result


class _Text(str):
    """A str subclass: takes the general path of every parser."""


def _outcome(parse: Callable[[object, int], Any], cell: object, default: int) -> Any:
    try:
        return parse(cell, default)
    except CellError as exc:
        return str(exc.reason)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab|: 3,.\t5-", max_size=16))
def test_text_short_paths_equal_the_general_paths(text: str) -> None:
    general = _Text(text)
    assert is_missing(text) == is_missing(general)
    assert split_items(text) == split_items(general)
    assert parse_tags(text) == parse_tags(general)
    for default in (1, 4):
        got = _outcome(parse_levelled, text, default)
        assert got == _outcome(_reference_levelled, general, default)


def test_missing_mask() -> None:
    cells = pd.Series(["a", None, " ", "", "b", None], dtype="str")
    assert missing_mask(cells).tolist() == [is_missing(c) for c in cells.tolist()]
    values = [None, [], [None, ""], ["a"], 0, float("nan"), pd.NA]
    assert missing_mask(values).tolist() == [is_missing(c) for c in values]
    assert missing_mask([]).tolist() == []


def test_fit_numbers_a_refused_cell_as_in_both_sides_cells() -> None:
    needs = NeedsCriterion(name="needs", mentee_field="needs", mentor_field="expertise")
    with pytest.raises(RowError) as refused:
        NeedsSimilarity(needs).fit(["seo:1", "web"], ["seo:4", "x:9"])
    assert refused.value.row == 3
    slots = AvailabilityCriterion(name="slots", mentee_field="slots", mentor_field="slots")
    with pytest.raises(RowError) as refused:
        AvailabilitySimilarity(slots).fit(["mon 9-10", None], ["tue 9-10", "someday"])
    assert refused.value.row == 3
