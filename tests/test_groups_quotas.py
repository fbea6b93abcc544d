"""Quotas as programmes state them (count or share, hard or soft) reported met or short,
unmeetable hard quotas explained, groups from the programme (match rate and mean score
per group, recruitment gaps by group), and explanations that say what a pair lacks — on
the test programmes written as their coordinators would and on small hand-made cohorts."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import matching
from matching.cli import app
from matching.io import read_participants, write_result
from matching.model import Programme

PROGRAMMES = Path(__file__).parent / "data" / "programmes"


def _programme(name: str) -> tuple[Programme, pd.DataFrame, pd.DataFrame]:
    """A test programme's configuration and participants, read as the command reads them
    (role columns mapped to the engine's names by the programme's field map)."""
    folder = PROGRAMMES / name
    programme = Programme.from_file(folder / "programme.toml")
    mentees = read_participants(folder / "mentees.csv", "mentee", programme)
    mentors = read_participants(folder / "mentors.csv", "mentor", programme)
    return programme, mentees, mentors


def _with_quota(programme: Programme, **quota: object) -> Programme:
    config = programme.model_dump()
    config["quotas"] = [quota]
    return Programme.from_dict(config)


# --------------------------------------------------------------------------- quotas


def test_the_moroccan_programme_reports_its_cooperative_quota(tmp_path: Path) -> None:
    programme, mentees, mentors = _programme("maroc")
    result = matching.match(mentees, mentors, programme)
    members = set(mentees.loc[mentees["statut"] == "coopérative", "id"])
    matched = {pair.mentee_id for pair in result.pairs} & members
    (quota,) = result.quotas
    assert (quota.name, quota.field, quota.value) == ("statut=coopérative", "statut", "coopérative")
    assert (quota.hard, quota.met, quota.short, quota.penalty) == (True, True, 0, 0.0)
    assert quota.members == len(members)
    assert quota.required == math.ceil(0.4 * len(members))
    assert quota.matched == len(matched) >= quota.required
    write_result(result, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert summary["quotas"] == [
        {
            "name": "statut=coopérative", "field": "statut", "value": "coopérative",
            "hard": True, "required": quota.required, "members": len(members),
            "matched": len(matched), "met": True, "short": 0, "penalty": 0.0,
        }
    ]  # fmt: skip
    assert result.to_dict()["quotas"] == summary["quotas"]


def test_a_soft_quota_is_reported_short_with_the_score_it_cost() -> None:
    programme, mentees, mentors = _programme("maroc")
    mentors = mentors.assign(capacity=1)  # 36 seats for 38 members and 82 others
    soft = _with_quota(
        programme, field="statut", value="coopérative", min_count=10_000, hard=False, penalty=0.25
    )
    result = matching.match(mentees, mentors, soft)
    (quota,) = result.quotas
    members = set(mentees.loc[mentees["statut"] == "coopérative", "id"])
    matched = {pair.mentee_id for pair in result.pairs} & members
    assert quota.required == len(members)  # a count above the group asks for all of it
    assert not quota.met
    assert quota.short == len(members) - len(matched) > 0
    assert quota.penalty == pytest.approx(0.25 * quota.short)
    summary = result.summary
    assert summary.quota_penalty == pytest.approx(quota.penalty)
    assert (summary.status, summary.gap) == ("optimal", 0.0)
    # The certificate bounds the penalised score: the total less the penalty.
    assert summary.upper_bound == pytest.approx(summary.total_score - summary.quota_penalty)


def test_a_dear_soft_quota_matches_members_a_cheap_one_leaves_out() -> None:
    """Fewer seats than mentees: the penalty decides who gets them."""
    programme, mentees, mentors = _programme("maroc")
    mentors = mentors.assign(capacity=1)
    quota = {"field": "statut", "value": "coopérative", "min_share": 1.0, "hard": False}
    shortfalls = []
    for penalty in (0.001, 5.0):
        result = matching.match(mentees, mentors, _with_quota(programme, **quota, penalty=penalty))
        assert result.summary.matched == len(mentors) - 0  # coverage first: every seat used
        shortfalls.append(result.quotas[0].short)
    assert shortfalls[1] < shortfalls[0]


def test_an_unmeetable_hard_quota_says_what_it_asks_the_most_possible_and_why() -> None:
    programme, mentees, mentors = _programme("maroc")
    mentors = mentors.assign(capacity=1)  # 36 seats for the 38 members
    strict = _with_quota(programme, field="statut", value="coopérative", min_share=1.0)
    members = int((mentees["statut"] == "coopérative").sum())
    (outlook,) = matching.quota_outlook(mentees, mentors, strict, language="en")
    assert (outlook.required, outlook.members, outlook.reachable) == (members, members, 36)
    assert (outlook.meetable, outlook.exact) == (False, True)
    assert outlook.limit == (
        f"quota statut=coopérative asks for {members} of its {members} members to be "
        f"matched; at most 36 can be; the mentors allowed to {members} of them have 36 "
        "seats in all"
    )
    with pytest.raises(matching.QuotaError) as caught:
        matching.match(mentees, mentors, strict)
    # In the programme's language (Arabic), the same outlook.
    arabic = matching.quota_outlook(mentees, mentors, strict)[0].limit
    assert caught.value.render("ar") == arabic
    assert arabic.startswith(f"الحصة statut=coopérative تطلب {members}")


def _small_cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four cooperative members: two speak only Tamazight (no mentor does), two share the
    one mentor who speaks Arabic (one seat); a self-employed woman speaks French."""
    mentees = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "statut": ["coop", "coop", "coop", "coop", "auto"],
            "langues": ["tamazight", "tamazight", "arabe", "arabe", "français"],
            "ville": ["Agadir", "Agadir", "Tiznit", "Tiznit", "Agadir"],
        }
    )
    mentors = pd.DataFrame(
        {"id": ["m1", "m2"], "langues": ["arabe", "français"], "capacity": [1, 3]}
    )
    return mentees, mentors


def _small_programme(**quota: object) -> Programme:
    return Programme.from_dict(
        {
            "criteria": [
                {"name": "langue", "kind": "overlap", "mentee_field": "langues",
                 "mentor_field": "langues", "required": True},
            ],
            "quotas": [{"field": "statut", "value": "coop", **quota}],
            "fields": {"mentee": {"groups": ["statut", "ville"]}},
        }
    )  # fmt: skip


def test_the_outlook_names_the_rule_and_the_seats_that_limit_a_group() -> None:
    mentees, mentors = _small_cohort()
    (outlook,) = matching.quota_outlook(mentees, mentors, _small_programme(min_count=3))
    assert (outlook.required, outlook.members, outlook.reachable) == (3, 4, 1)
    assert outlook.limit == (
        "quota statut=coop asks for 3 of its 4 members to be matched; at most 1 can be; "
        "2 have no allowed mentor (2 of them because of 'langue'); "
        "the mentors allowed to 2 of them have 1 seat in all"
    )
    french = matching.quota_outlook(mentees, mentors, _small_programme(min_count=3), language="fr")[
        0
    ].limit
    assert french.startswith("le quota statut=coop demande 3 de ses 4 membres")
    with pytest.raises(matching.QuotaError) as caught:  # the run says it in its language
        matching.match(mentees, mentors, _small_programme(min_count=3), language="fr")
    assert caught.value.render("fr") == french
    assert str(caught.value) == outlook.limit  # logs and tracebacks stay English
    (fine,) = matching.quota_outlook(mentees, mentors, _small_programme(min_count=1))
    assert (fine.meetable, fine.limit) == (True, "")


def test_a_quota_its_group_could_meet_alone_names_the_pairs_in_the_way() -> None:
    mentees, mentors = _small_cohort()
    programme = _small_programme(min_count=1)
    assert matching.quota_outlook(mentees, mentors, programme)[0].meetable
    with pytest.raises(matching.QuotaError) as caught:
        matching.match(mentees, mentors, programme, forbidden=[("c", "m1"), ("d", "m1")])
    assert str(caught.value) == (
        "quota statut=coop could be met by its group alone, but not with the locked or "
        "forbidden pairs"
    )


def test_every_quota_and_group_is_in_the_result_and_the_cli_summary(tmp_path: Path) -> None:
    mentees, mentors = _small_cohort()
    programme = _small_programme(min_share=0.5, hard=False, penalty=0.5)
    result = matching.match(mentees, mentors, programme)
    (quota,) = result.quotas
    assert (quota.required, quota.matched, quota.short, quota.met) == (2, 1, 1, False)
    groups = {(g.column, g.value): g for g in result.groups}
    assert set(groups) == {("statut", "coop"), ("statut", "auto"), ("ville", "Agadir"),
                           ("ville", "Tiznit")}  # fmt: skip
    assert (groups["statut", "coop"].mentees, groups["statut", "coop"].matched) == (4, 1)
    assert groups["statut", "coop"].match_rate == pytest.approx(0.25)
    assert groups["statut", "auto"].match_rate == 1.0
    assert groups["ville", "Agadir"].matched == 1  # "e" with m2
    pairs = {p.mentee_id: p.score for p in result.pairs}
    assert groups["statut", "auto"].mean_score == pytest.approx(pairs["e"])
    assert result.to_dict()["groups"][0].keys() == {
        "column", "value", "mentees", "matched", "match_rate", "mean_score"
    }  # fmt: skip
    folder = tmp_path / "in"
    folder.mkdir()
    mentees.to_csv(folder / "mentees.csv", index=False)
    mentors.to_csv(folder / "mentors.csv", index=False)
    (folder / "programme.toml").write_text(
        'name = "small"\n[[criteria]]\nname = "langue"\nkind = "overlap"\n'
        'mentee_field = "langues"\nmentor_field = "langues"\nrequired = true\n'
        '[[quotas]]\nfield = "statut"\nvalue = "coop"\nmin_share = 0.5\nhard = false\n'
        'penalty = 0.5\n[fields.mentee]\ngroups = ["statut", "ville"]\n',
        "utf-8",
    )
    out = tmp_path / "out"
    ran = CliRunner().invoke(
        app,
        ["match", "--mentees", str(folder / "mentees.csv"), "--mentors",
         str(folder / "mentors.csv"), "--config", str(folder / "programme.toml"),
         "--out", str(out)],
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert "quota statut=coop (soft): 1 matched, 2 required, 1 short, score given up 0.5" in (
        ran.output
    )
    assert "recruit: 3 unmatched (statut: coop); 2 of them need * in tamazight" in ran.output
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["quota_penalty"] == 0.5
    assert {(g["column"], g["value"]) for g in summary["groups"]} == set(groups)


# --------------------------------------------------------------------------- groups


def test_the_ten_country_gaps_are_by_country_with_what_most_need() -> None:
    programme, mentees, mentors = _programme("dix-pays")
    result = matching.match(mentees, mentors, programme)
    country = mentees.set_index("id")["country"]
    unmatched = Counter(country[[u.mentee_id for u in result.unmatched]])
    by_country = [g for g in result.gaps if set(g.group) == {"country"}]
    assert by_country, "gaps by the programme's group column"
    for gap in by_country:
        assert gap.mentees == unmatched[gap.group["country"]]
        assert 0 < gap.sharing <= gap.mentees
    largest = max(unmatched.values())
    assert result.gaps[0].mentees == largest  # largest first, whatever the column
    top = by_country[0]
    people = mentees.set_index("id").loc[
        [u.mentee_id for u in result.unmatched if country[u.mentee_id] == top.group["country"]]
    ]
    sharing = people[
        people["skills_wanted"].str.split("|").map(lambda s: top.need in s)
        & people["languages_spoken"].str.split("|").map(lambda s: top.language in s)
    ]
    assert len(sharing) == top.sharing  # the need x language most of them share
    rates = {g.value: g.match_rate for g in result.groups if g.column == "country"}
    assert set(rates) == set(mentees["country"])
    assert rates[top.group["country"]] < 1.0


def test_without_groups_gaps_stay_need_by_language() -> None:
    programme, mentees, mentors = _programme("dix-pays")
    config = programme.model_dump()
    config["fields"]["mentee"]["groups"] = []
    result = matching.match(mentees, mentors, Programme.from_dict(config))
    assert result.gaps
    assert all(not g.group for g in result.gaps)
    assert result.groups == ()
    assert result.gaps[0].mentees >= result.gaps[-1].mentees


# --------------------------------------------------------------------------- why


def test_a_pair_says_what_it_lacks_in_every_language() -> None:
    programme, mentees, mentors = _programme("dix-pays")
    result = matching.match(mentees, mentors, programme)
    lacking = [p for p in result.pairs if "no sector in common" in p.why]
    assert lacking  # some pair shares no business sector
    scores = {p.mentee_id: p for p in lacking}
    assert all(pair.contributions["sector"] == 0.0 for pair in scores.values())
    french = result.in_language("fr")
    assert any("aucun(e) sector en commun" in p.why for p in french.pairs)
    arabic = result.in_language("ar")
    assert any("لا sector مشترك" in p.why for p in arabic.pairs)
