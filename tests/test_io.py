"""Files in and out: awkward but valid files are read, bad files are refused with the file,
row and column and never the offending value; output files follow the README's contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from matching.defaults import default_programme
from matching.errors import InputError, InputErrors
from matching.io import read_pairs, read_participants, read_scores, write_result
from matching.model import OverlapCriterion, Programme
from matching.result import MatchResult, Pair, Summary, Unmatched

DATA = Path(__file__).parent / "data"
SECRET = "Zoubida"  # a personal value planted in bad cells: never in a message


def _refused(path: Path, side: str = "mentee", programme: Programme | None = None) -> InputError:
    with pytest.raises(InputError) as info:
        read_participants(path, side, programme)  # type: ignore[arg-type]
    error = info.value
    text = str(error) + " ".join(str(p) for p in getattr(error, "problems", ()))
    assert SECRET not in text
    assert "SECRETVALUE" not in text
    assert path.name in str(error)
    return error


# --------------------------------------------------------------------------- awkward, valid


def test_semicolon_bom_crlf_spaces_and_decimal_commas() -> None:
    frame = read_participants(DATA / "mentors_semicolon_bom_crlf.csv", "mentor")
    assert list(frame["id"]) == ["007", "008"]  # leading zeros kept, spaces trimmed
    assert frame.columns[0] == "id"  # BOM not glued to the first heading
    assert list(frame["capacity"]) == [3, 2]
    assert frame.loc[0, "utc_offset"] == "5.5"
    assert frame.loc[0, "languages"] == "french|darija"
    assert frame.loc[0, "expertise"] == "website:4|seo:3"  # not taken for a number
    assert frame.loc[1, "name"] == "Léa M."


def test_tab_separated_with_quoted_commas_and_empty_cells() -> None:
    frame = read_participants(DATA / "mentees_tab.csv", "mentee")
    assert frame.loc[0, "goals"] == "Vendre en ligne, puis exporter"
    assert pd.isna(frame.loc[1, "needs"])
    assert list(frame["demand"]) == [1, 1]


def test_comma_file_with_spaces_and_missing_demand() -> None:
    frame = read_participants(DATA / "mentees_comma_spaces.csv", "mentee")
    assert list(frame["id"]) == ["me1", "me2"]
    assert frame.loc[0, "languages"] == "french"
    assert list(frame["demand"]) == [2, 1]


def test_xlsx_numbers_become_text_without_decimal_point(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "capacity", "languages", "utc_offset"])
    sheet.append(["007", 3, "french|wolof", 0])
    sheet.append([8, 2.0, " english ", 5.5])
    path = tmp_path / "mentors.xlsx"
    workbook.save(path)
    frame = read_participants(path, "mentor")
    assert list(frame["id"]) == ["007", "8"]
    assert list(frame["capacity"]) == [3, 2]
    assert list(frame["utc_offset"]) == ["0", "5.5"]
    assert frame.loc[1, "languages"] == "english"


def test_parquet_with_lists_and_numbers(tmp_path: Path) -> None:
    path = tmp_path / "mentees.parquet"
    pd.DataFrame(
        {
            "id": ["001", "002"],
            "languages": [["french", "darija"], ["english"]],
            "utc_offset": [1.0, None],
        }
    ).to_parquet(path)
    frame = read_participants(path, "mentee")
    assert list(frame["id"]) == ["001", "002"]
    assert frame.loc[0, "languages"] == "french|darija"
    assert frame.loc[0, "utc_offset"] == "1"
    assert pd.isna(frame.loc[1, "utc_offset"])


def test_json_list_of_objects(tmp_path: Path) -> None:
    path = tmp_path / "mentors.json"
    records = [
        {"id": "m1", "capacity": 2, "languages": ["french", "wolof"], "bio": None},
        {"id": "m2", "languages": "english"},
    ]
    path.write_text(json.dumps(records), encoding="utf-8")
    frame = read_participants(path, "mentor")
    assert list(frame["capacity"]) == [2, 1]
    assert frame.loc[0, "languages"] == "french|wolof"
    assert pd.isna(frame.loc[1, "bio"])


def test_example_files_pass_the_default_programme() -> None:
    folder = Path(__file__).parents[1] / "examples" / "digital-business"
    mentees = read_participants(folder / "mentees.csv", "mentee", default_programme())
    mentors = read_participants(folder / "mentors.csv", "mentor", default_programme())
    assert 35 <= len(mentees) <= 45
    assert 10 <= len(mentors) <= 14
    assert mentors["capacity"].sum() >= len(mentees)


# --------------------------------------------------------------------------- refused


def test_latin1_is_refused_with_row_and_column() -> None:
    error = _refused(DATA / "mentees_latin1.csv")
    assert "UTF-8" in str(error)
    assert error.row == 3
    assert error.column == "name"


def test_ragged_row_is_refused() -> None:
    error = _refused(DATA / "mentees_ragged.csv")
    assert error.row == 3
    assert error.column == "column 3"


def test_duplicate_ids_name_both_rows() -> None:
    error = _refused(DATA / "mentees_duplicate_ids.csv")
    assert (error.row, error.column) == (4, "id")
    assert "row 2" in error.reason


def test_every_bad_capacity_is_reported_at_once() -> None:
    error = _refused(DATA / "mentors_bad_capacity.csv", "mentor")
    assert isinstance(error, InputErrors)
    assert [(p.row, p.column) for p in error.problems] == [
        (3, "capacity"),
        (4, "capacity"),
        (5, "capacity"),
    ]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("mentees_empty.csv", "empty"),
        ("mentees_header_only.csv", "no rows"),
        ("mentees_no_id.csv", "'id'"),
        ("mentees.ods", "unknown file type"),
        ("missing.csv", "not found"),
    ],
)
def test_unusable_files_are_refused(name: str, words: str) -> None:
    error = _refused(DATA / name)
    assert words in str(error)


def test_cell_the_programme_cannot_read_is_located() -> None:
    programme = Programme(
        criteria=(
            default_programme().criteria[0].model_copy(update={"mentor_field": "expertise"}),
            OverlapCriterion(name="language", mentee_field="languages", mentor_field="languages"),
        )
    )
    error = _refused(DATA / "mentees_bad_level.csv", programme=programme)
    assert (error.row, error.column) == (3, "needs")


def test_bad_json_records_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "mentees.json"
    path.write_text(json.dumps([{"id": "a"}, {"id": "b", "needs": {"x": SECRET}}]), "utf-8")
    error = _refused(path)
    assert (error.row, error.column) == (2, "needs")


# --------------------------------------------------------------------------- scores, pairs


def test_scores_with_decimal_commas() -> None:
    scores = read_scores(DATA / "scores_semicolon.csv", ["me1", "me2"], ["mo1", "mo2"])
    assert list(scores.columns) == ["mentee_id", "mentor_id", "score"]
    assert scores["score"].dtype == np.float64
    assert scores["score"].tolist() == [0.75, 0.5, 1.0]
    assert scores["mentor_id"].astype(str).tolist() == ["mo1", "mo2", "mo1"]


def test_bad_scores_report_every_problem_without_values() -> None:
    with pytest.raises(InputErrors) as info:
        read_scores(DATA / "scores_bad.csv", ["me1", "me2"], ["mo1", "mo2"])
    found = {(p.row, p.column) for p in info.value.problems}
    assert found == {(3, "mentee_id"), (4, "score"), (6, "score")}
    assert SECRET not in str(info.value)
    assert all(p.file == "scores_bad.csv" for p in info.value.problems)


def test_duplicate_scored_pair_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scores.parquet"
    pd.DataFrame(
        {"mentee_id": ["a", "b", "a"], "mentor_id": [1, 1, 1], "score": [0.1] * 3}
    ).to_parquet(path)
    with pytest.raises(InputError) as info:
        read_scores(path, ["a", "b"], ["1"])
    assert (info.value.row, info.value.column) == (3, "mentor_id")


def test_parquet_scores_match_the_synthetic_frame(tmp_path: Path) -> None:
    from matching.synthetic import generate_scores

    mentees, mentors, scores = generate_scores(200, 20, density=0.3, seed=4)
    path = tmp_path / "scores.parquet"
    scores.astype({"mentee_id": str, "mentor_id": str}).to_parquet(path)
    read = read_scores(path, mentees["id"].tolist(), mentors["id"].tolist())
    assert read["score"].tolist() == scores["score"].tolist()
    assert read["mentee_id"].astype(str).tolist() == scores["mentee_id"].astype(str).tolist()


def test_pairs_file() -> None:
    assert read_pairs(DATA / "pairs.csv") == [("me1", "mo1"), ("me2", "mo2")]


# --------------------------------------------------------------------------- output


def _result() -> MatchResult:
    summary = Summary(
        objective="coverage",
        total_score=0.7,
        upper_bound=0.7,
        gap=0.0,
        mentees=2,
        mentors=1,
        matched=1,
        unmatched=1,
        pairs=1,
        criteria=("needs", "language"),
        seconds=0.01,
        config_sha256="abc",
        version="0.1.0",
    )
    pair = Pair("me1", "mo1", 0.7, {"needs": 0.6, "language": 0.1}, "covers SEO; both speak French")
    gone = Unmatched("me2", "no_allowed_mentor", "no mentor speaks her languages")
    return MatchResult((pair,), (gone,), {}, (), summary)


def test_write_result_writes_the_contract_files(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir"
    written = write_result(_result(), out)
    assert [p.name for p in written] == ["pairs.csv", "unmatched.csv", "summary.json"]
    pairs = pd.read_csv(out / "pairs.csv", dtype=str, encoding="utf-8")
    assert list(pairs.columns) == ["mentee_id", "mentor_id", "score", "needs", "language", "why"]
    assert float(pairs.loc[0, "needs"]) + float(pairs.loc[0, "language"]) == pytest.approx(
        float(pairs.loc[0, "score"])
    )
    unmatched = pd.read_csv(out / "unmatched.csv", dtype=str)
    assert list(unmatched.columns) == ["mentee_id", "reason", "detail"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in (
        "objective", "total_score", "upper_bound", "gap", "mentees", "mentors", "matched",
        "unmatched", "criteria", "seconds", "config_sha256", "version",
    ):  # fmt: skip
        assert key in summary
    assert summary["criteria"] == ["needs", "language"]
    assert sorted(p.name for p in out.iterdir()) == ["pairs.csv", "summary.json", "unmatched.csv"]


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    result = _result()
    broken = MatchResult(
        result.pairs,
        result.unmatched,
        {},
        (),
        Summary(**{**result.summary.to_dict(), "criteria": ("needs", "missing")}),
    )
    with pytest.raises(KeyError):
        write_result(broken, tmp_path)
    assert list(tmp_path.iterdir()) == []
