"""The default programme: shipped as package data, identical to the example's."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.defaults import default_programme, default_programme_text
from matching.model import NeedsCriterion, Programme

EXAMPLE = Path(__file__).parents[1] / "examples" / "digital-business" / "programme.toml"


def test_example_programme_is_the_default_byte_for_byte() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == default_programme_text()
    assert Programme.from_file(EXAMPLE) == default_programme()


def test_weights_add_up_to_one_so_scores_stay_in_unit_interval() -> None:
    assert sum(c.weight for c in default_programme().criteria) == pytest.approx(1.0)


def test_criteria_rules_and_objective() -> None:
    programme = default_programme()
    assert programme.criterion_names == (
        "needs", "language", "availability", "region", "sector", "goals",
    )  # fmt: skip
    assert {r.name for r in programme.rules} == {
        "mentor_gender",
        "same_organisation",
        "same_cooperative",
    }
    assert programme.objective == "coverage"
    language = programme.criteria[1]
    assert language.required
    needs = programme.criteria[0]
    assert isinstance(needs, NeedsCriterion)
    related = {frozenset((e.a, e.b)) for e in needs.related}
    assert frozenset(("seo", "website")) in related
    assert frozenset(("e_commerce", "online_payments")) in related


def test_region_table_only_links_regions_of_one_country() -> None:
    from matching._synthetic_data import COUNTRIES

    country_of = {r.name: c.name for c in COUNTRIES for r in c.regions}
    region = default_programme().criteria[3]
    entries = getattr(region, "table", ())
    assert entries
    for entry in entries:
        assert country_of[entry.a] == country_of[entry.b]
