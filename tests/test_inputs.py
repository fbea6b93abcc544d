"""The field map and the column review: role columns under the programme's own names,
errors naming them, warnings for what nothing reads, rules that fail safe."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

import matching
from matching._check_text import print_check_report
from matching.errors import InputError, StrictInputError
from matching.inputs import as_mapped
from matching.model import Programme

BASE: dict[str, Any] = {
    "criteria": [
        {"name": "topics", "kind": "overlap", "mentee_field": "sujets", "mentor_field": "sujets"}
    ],
    "rules": [
        {"kind": "requires", "name": "wants_woman", "mentee_field": "veut",
         "mentor_field": "genre"},
        {"kind": "exclude_same", "name": "same_school", "mentee_field": "lycée",
         "mentor_field": "lycée"},
        {"kind": "allowed_values", "name": "women_only", "side": "mentor", "field": "statut",
         "values": ["marraine"]},
    ],
    "fields": {
        "mentee": {"id": "identifiant"},
        "mentor": {"id": "identifiant", "capacity": "capacité"},
    },
}  # fmt: skip
PROGRAMME = Programme.from_dict(BASE)


def _mentees() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "identifiant": ["a", "b", "c", "d"],
            "sujets": ["code", "code|bio", "bio", "code"],
            "veut": ["femme", None, "femme", None],
            "lycée": ["L1", "L2", None, "L1"],
        }
    )


def _mentors() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "identifiant": ["m1", "m2", "m3"],
            "sujets": ["code|bio", "code", "bio"],
            "genre": ["femme", "homme", "femme"],
            "lycée": ["L1", None, "L2"],
            "statut": ["marraine", "marraine", None],
            "capacité": [2, 3, 2],
        }
    )


def test_role_columns_take_the_programme_names() -> None:
    mapped = matching.apply_field_map(_mentors(), PROGRAMME, "mentor")
    assert {"id", "capacity"} <= set(mapped.columns)
    assert "capacité" not in mapped.columns
    result = matching.match(_mentees(), _mentors(), PROGRAMME)
    assert result.warnings == ()
    assert {p.mentor_id for p in result.pairs} <= {"m1", "m2", "m3"}


def test_participants_stored_in_the_engine_names_are_not_mapped_twice() -> None:
    stored = matching.prepare_participants(_mentors(), PROGRAMME, "mentor")
    records = pd.DataFrame.from_records(stored.to_dict(orient="records"))  # a store's copy
    with pytest.raises(InputError, match="identifiant"):
        matching.match(_mentees(), records, PROGRAMME)
    result = matching.match(_mentees(), as_mapped(records, PROGRAMME, "mentor"), PROGRAMME)
    assert result.warnings == ()
    assert result.pairs


def test_a_bad_count_names_the_programme_column() -> None:
    mentors = _mentors().assign(capacité=[2, -1, 2])
    with pytest.raises(InputError) as refused:
        matching.match(_mentees(), mentors, PROGRAMME)
    assert refused.value.column == "capacité"
    assert "capacité must be a whole number" in str(refused.value)


def test_a_column_under_the_engine_name_of_a_mapped_role_is_refused() -> None:
    mentors = _mentors().assign(capacity=[1, 1, 1])  # which one holds the capacity?
    with pytest.raises(InputError, match="capacité") as refused:
        matching.match(_mentees(), mentors, PROGRAMME)
    assert refused.value.column == "capacity"


def test_an_absent_id_column_is_refused_naming_it() -> None:
    with pytest.raises(InputError, match="identifiant"):
        matching.match(_mentees().rename(columns={"identifiant": "id"}), _mentors(), PROGRAMME)


def test_an_absent_capacity_column_is_a_warning_not_silence() -> None:
    mentors = _mentors().rename(columns={"capacité": "places"})
    result = matching.match(_mentees(), mentors, PROGRAMME)
    codes = {(w.code, w.column) for w in result.warnings}
    assert ("capacity_absent", "capacité") in codes
    assert ("unread_column", "places") in codes
    assert all(
        "femme" not in str(w.message) and "L1" not in str(w.message) for w in result.warnings
    )
    with pytest.raises(StrictInputError) as refused:
        matching.match(_mentees(), mentors, PROGRAMME, strict=True)
    assert {p.column for p in refused.value.problems} == {"capacité", "places"}
    assert result.to_dict()["warnings"][0].keys() == {"code", "side", "column", "message"}


def test_a_rule_whose_column_is_absent_refuses_unless_optional() -> None:
    mentees = _mentees().drop(columns=["veut"])
    with pytest.raises(InputError) as refused:
        matching.match(mentees, _mentors(), PROGRAMME)
    assert refused.value.column == "veut"
    assert "wants_woman" in str(refused.value)
    rules = [dict(r, optional=True) if r["name"] == "wants_woman" else r for r in BASE["rules"]]
    optional = Programme.from_dict({**BASE, "rules": rules})
    result = matching.match(mentees, _mentors(), optional)
    assert [(w.code, w.column, w.rule) for w in result.warnings] == [
        ("rule_off", "veut", "wants_woman")
    ]
    assert result.summary.config_sha256 == optional.sha256()


def test_allowed_values_is_named_in_the_unmatched_detail() -> None:
    mentors = _mentors().assign(statut=[None, None, None])
    result = matching.match(_mentees(), mentors, PROGRAMME)
    assert result.pairs == ()
    assert {u.reason for u in result.unmatched} == {"no_allowed_mentor"}
    assert all("women_only" in u.detail for u in result.unmatched)
    assert all("women_only" in u.detail for u in result.in_language("fr").unmatched)
    unnamed = [dict(r, name="") if r["name"] == "women_only" else r for r in BASE["rules"]]
    result = matching.match(_mentees(), mentors, Programme.from_dict({**BASE, "rules": unnamed}))
    assert all("allowed_values:mentor.statut" in u.detail for u in result.unmatched)
    assert ("rule_column_empty", "statut") in {(w.code, w.column) for w in result.warnings}


def test_check_inputs_counts_the_pairs_each_rule_excludes() -> None:
    report = matching.check_inputs(_mentees(), _mentors(), PROGRAMME)
    excluded = {r["name"]: r["excluded_pairs"] for r in report.rules}
    # a and c ask for a woman, m2 is a man: 2 pairs; a and d share L1 with m1, b L2 with m3:
    # 3 pairs;
    # m3 has no allowed statut -> 4 pairs.
    assert excluded == {"wants_woman": 2, "same_school": 3, "women_only": 4}
    assert report.ok


def test_check_names_the_values_only_one_side_has() -> None:
    """Without labels to know values by, a value no one on the other side has (a typo,
    a need no mentor offers) is what the coordinator must see before matching."""
    mentees = _mentees().assign(sujets=["code", "Code|biologie", "bio", "Français"])
    mentors = _mentors().assign(sujets=["code|bio", "code|chimie", "bio"])
    report = matching.check_inputs(mentees, mentors, PROGRAMME)
    (topics,) = report.criteria
    assert topics["mentee"]["unshared"] == 2
    assert topics["mentee"]["unshared_values"] == ["biologie", "français"]
    assert topics["mentor"]["unshared"] == 1
    assert topics["mentor"]["unshared_values"] == ["chimie"]
    text = {}
    for language in ("en", "fr", "ar"):
        console = Console(record=True, width=300)
        print_check_report(console, report, language, {})
        text[language] = console.export_text()
    assert "values no mentor has (2): biologie, français" in text["en"]
    assert "valeurs qu'aucun mentor n'a (2) : biologie, français" in text["fr"]
    assert "chimie" in text["ar"]
    assert "no mentee has" not in text["ar"]


# --------------------------------------------------------------------------- fail safe


def _allowed_by_rules(mentee: pd.Series, mentor: pd.Series) -> bool:
    """The original data's rules, written out plainly (the oracle)."""
    wants = mentee["veut"]
    if isinstance(wants, str) and wants and wants != mentor["genre"]:
        return False
    school = mentee["lycée"]
    if isinstance(school, str) and school and school == mentor["lycée"]:
        return False
    return mentor["statut"] == "marraine"


RULE_COLUMNS = [("mentee", "veut"), ("mentor", "genre"), ("mentee", "lycée"),
                ("mentor", "lycée"), ("mentor", "statut")]  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.sampled_from(RULE_COLUMNS),
    action=st.sampled_from(["rename", "empty", "remove"]),
    optional=st.booleans(),
    strict=st.booleans(),
)
def test_damaging_a_rule_column_never_makes_an_excluded_pair_possible_unannounced(
    target: tuple[str, str], action: str, optional: bool, strict: bool
) -> None:
    """Renamed, emptied or removed: the run is refused naming the column, or it warns
    naming it (never under ``strict``), or every pair it proposes is one the intact data
    allows."""
    rules = [dict(r, optional=optional) for r in BASE["rules"]]
    programme = Programme.from_dict({**BASE, "rules": rules})
    frames = {"mentee": _mentees(), "mentor": _mentors()}
    side, column = target
    frame = frames[side]
    if action == "rename":
        frames[side] = frame.rename(columns={column: f"{column}_2"})
    elif action == "empty":
        frames[side] = frame.assign(**{column: [None] * len(frame)})
    else:
        frames[side] = frame.drop(columns=[column])
    try:
        result = matching.match(frames["mentee"], frames["mentor"], programme, strict=strict)
    except InputError as refused:
        named = {p.column or "" for p in getattr(refused, "problems", (refused.problem,))}
        result = None
    if result is None:
        assert any(column in name for name in named)
        return
    warned = {w.column or "" for w in result.warnings}
    assert not (strict and warned)
    if any(column in name for name in warned):
        return
    mentees = _mentees().set_index("identifiant")
    mentors = _mentors().set_index("identifiant")
    for pair in result.pairs:
        assert _allowed_by_rules(mentees.loc[pair.mentee_id], mentors.loc[pair.mentor_id])
