"""Synthetic programmes: deterministic by seed, valid under the default programme,
shaped like the programmes they stand for."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.features import check_participants
from matching.synthetic import generate_cohort, generate_scores


def test_same_seed_same_cohort_other_seed_other_cohort() -> None:
    first = generate_cohort(200, seed=7)
    again = generate_cohort(200, seed=7)
    other = generate_cohort(200, seed=8)
    pd.testing.assert_frame_equal(first.mentees, again.mentees)
    pd.testing.assert_frame_equal(first.mentors, again.mentors)
    assert not first.mentees["needs"].equals(other.mentees["needs"])


def test_cohort_passes_the_programme_checks() -> None:
    cohort = generate_cohort(1500, 120, seed=1)
    assert check_participants(cohort.mentees, cohort.programme, "mentee") == []
    assert check_participants(cohort.mentors, cohort.programme, "mentor") == []


def test_cohort_shape_and_realism() -> None:
    cohort = generate_cohort(3000, seed=2)
    mentees, mentors = cohort.mentees, cohort.mentors
    assert len(mentees) == 3000
    assert len(mentors) == 300
    assert mentees["id"].is_unique
    assert mentors["id"].is_unique
    total = mentors["capacity"].sum() / mentees["demand"].sum()
    assert 1.05 <= total <= 1.15
    assert mentors["capacity"].between(1, 15).all()
    asks_woman = mentees["mentor_gender"].eq("woman").mean()
    assert 0.25 <= asks_woman <= 0.35
    assert mentors["gender"].eq("woman").mean() > 0.7
    assert set(mentees["status"]) == {"self_employed", "cooperative", "student"}
    coop = mentees["status"] == "cooperative"
    assert mentees.loc[coop, "cooperative"].notna().all()
    assert mentees.loc[~coop, "cooperative"].isna().all()
    # Contention: the most requested need is asked far more often than the least.
    needs = mentees["needs"].str.split("|").explode().str.split(":").str[0].value_counts()
    assert needs.iloc[0] > 5 * needs.iloc[-1]
    # Languages follow countries: every Rwandan speaks Kinyarwanda, every Peruvian Spanish.
    rwanda = mentees["country"] == "Rwanda"
    assert mentees.loc[rwanda, "languages"].str.contains("kinyarwanda").all()
    peru = mentees["country"] == "Peru"
    assert mentees.loc[peru, "languages"].str.contains("spanish").all()
    assert (mentees.loc[peru, "utc_offset"] == "-5").all()
    lat = mentees["location"].str.split("|").str[0].astype(float)
    assert lat[rwanda].between(-3.5, 0.0).all()


def test_few_mentors_get_larger_capacities_many_mentors_stay_within_ten() -> None:
    assert generate_cohort(400, 100, seed=3).mentors["capacity"].max() <= 10


def test_score_instance() -> None:
    mentees, mentors, scores = generate_scores(500, 50, density=0.2, seed=5)
    assert list(scores.columns) == ["mentee_id", "mentor_id", "score"]
    assert scores["score"].between(0, 1).all()
    pairs = scores["mentee_id"].astype(str) + "/" + scores["mentor_id"].astype(str)
    assert pairs.is_unique
    assert 0.15 < len(scores) / (500 * 50) <= 0.2
    assert set(scores["mentee_id"].astype(str)) <= set(mentees["id"])
    assert mentors["capacity"].sum() >= mentees["demand"].sum()
    again = generate_scores(500, 50, density=0.2, seed=5)[2]
    np.testing.assert_array_equal(again["score"].to_numpy(), scores["score"].to_numpy())
    full = generate_scores(30, 4)[2]
    assert len(full) == 120
