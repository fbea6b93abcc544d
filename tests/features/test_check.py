"""check_participants: every bad cell is located by row and column, never quoted."""

from __future__ import annotations

import pandas as pd

from matching.features import check_participants
from matching.model import Programme

PROGRAMME = Programme.from_dict(
    {
        "criteria": [
            {"name": "needs", "kind": "needs", "mentee_field": "needs",
             "mentor_field": "expertise"},
            {"name": "years", "kind": "numeric", "mentee_field": "years",
             "mentor_field": "years"},
            {"name": "slots", "kind": "availability", "mentee_field": "availability",
             "mentor_field": "availability", "mentee_offset_field": "utc_offset",
             "mentor_offset_field": "utc_offset"},
            {"name": "near", "kind": "distance", "mentee_field": "location",
             "mentor_field": "location"},
            {"name": "stage", "kind": "category", "mentee_field": "stage",
             "mentor_field": "stage"},
        ],
        "rules": [
            {"kind": "requires", "name": "woman", "mentee_field": "mentor_gender",
             "mentor_field": "gender"},
            {"kind": "exclude_same", "mentee_field": "organisation",
             "mentor_field": "organisation"},
        ],
    }
)  # fmt: skip

SECRET = "Fatima-secret"


def _good() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "needs": ["seo:1|website", ["export:5"], None],
            "years": ["3,5", 2, None],
            "availability": ["mon 18-20|wed 7:30-9", None, "sat 9h-12h"],
            "utc_offset": [0, None, "-3,5"],
            "location": ["33.57|-7.59", None, [48.85, 2.35]],
            "stage": ["idea", None, ["growth"]],
        }
    )


def test_valid_cells_and_absent_rule_columns_are_accepted() -> None:
    assert check_participants(_good(), PROGRAMME, "mentee") == []


def test_each_bad_cell_is_reported_with_row_and_column() -> None:
    frame = _good()
    frame.loc[0, "needs"] = f"{SECRET}:7"
    frame.loc[1, "years"] = SECRET
    frame.loc[2, "availability"] = f"{SECRET} 18-20"
    frame.loc[0, "location"] = "95|10"
    frame.loc[2, "utc_offset"] = "+20"
    frame.at[0, "stage"] = ["a", "b"]
    problems = check_participants(frame, PROGRAMME, "mentee")
    located = {(p.row, p.column) for p in problems}
    assert located == {
        (0, "needs"),
        (1, "years"),
        (2, "availability"),
        (0, "location"),
        (2, "utc_offset"),
        (0, "stage"),
    }
    for problem in problems:
        assert problem.file is None
        assert SECRET not in problem.reason
        assert SECRET not in str(problem)
        assert problem.reason


def test_a_missing_criterion_column_is_one_problem_without_row() -> None:
    frame = _good().drop(columns=["years"])
    problems = check_participants(frame, PROGRAMME, "mentee")
    assert [(p.row, p.column) for p in problems] == [(None, "years")]
    assert "years" in problems[0].reason


def test_availability_needs_an_offset_where_slots_are_given() -> None:
    frame = _good()
    frame.loc[0, "utc_offset"] = None
    problems = check_participants(frame, PROGRAMME, "mentee")
    assert [(p.row, p.column) for p in problems] == [(0, "utc_offset")]
    missing_column = check_participants(_good().drop(columns=["utc_offset"]), PROGRAMME, "mentee")
    assert [(p.row, p.column) for p in missing_column] == [(None, "utc_offset")]


def test_mentor_side_reads_mentor_fields() -> None:
    frame = _good().rename(columns={"needs": "expertise"})
    assert check_participants(frame, PROGRAMME, "mentor") == []
    assert [p.column for p in check_participants(_good(), PROGRAMME, "mentor")] == ["expertise"]


def test_string_columns_give_the_same_problems_as_object_columns() -> None:
    # String columns take pandas' factorize, object columns the general path: the same
    # rows, columns and reasons, in the same order, for repeated and missing bad cells.
    rows = 12
    frame = pd.DataFrame(
        {
            "id": [f"p{k}" for k in range(rows)],
            "needs": ["seo:1", "seo:9", None, "seo:9", "", "web:2|:3"] * 2,
            "years": ["3,5", "x", None, "x", "7", " "] * 2,
            "availability": ["mon 18-20", None, "someday", "sat 9-12", "someday", ""] * 2,
            "utc_offset": [None, "1", "2", None, "+20", "0"] * 2,
            "location": ["33.57|-7.59", None, "95|10", "1|2|3", "", "0|0"] * 2,
            "stage": ["idea", None, "growth", "", "idea", "x"] * 2,
        }
    )
    as_text = frame.astype({c: "str" for c in frame.columns if c != "id"})
    as_objects = frame.astype(object)
    problems = check_participants(as_text, PROGRAMME, "mentee")
    assert problems == check_participants(as_objects, PROGRAMME, "mentee")
    assert [(p.row, p.column) for p in problems[:6]] == [
        (0, "utc_offset"),
        (1, "needs"),
        (1, "years"),
        (2, "availability"),
        (2, "location"),
        (3, "location"),
    ]
    assert len(problems) == 2 * 12
