"""The carry-over priority as the engine's quotas (:mod:`service.carry_over`), checked
against the MILP oracle (``tests/oracle.py``) on small random cohorts with a rule and
forbidden pairs, under ``coverage``:

- ``first``: the most carried-over mentees any matching can give a mentor, then the
  most mentees, then the highest total score;
- ``bonus``: the most mentees, then the highest total of the scores with the bonus added
  to every pair of a carried-over mentee."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import matching
from matching.model import Programme
from service.carry_over import prioritise
from tests.oracle import _solve

CONFIG: dict[str, Any] = {
    "criteria": [
        {"kind": "category", "name": "x", "mentee_field": "x", "mentor_field": "x", "weight": 0.7},
        {"kind": "category", "name": "y", "mentee_field": "y", "mentor_field": "y", "weight": 0.2},
    ],
    "rules": [{"kind": "requires", "mentee_field": "needs", "mentor_field": "has"}],
}


def _cohort(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[str, str]], list[str]]:
    rng = np.random.default_rng(seed)
    n, m = 8, 4
    mentees = pd.DataFrame(
        {
            "id": [f"e{i}" for i in range(n)],
            "x": rng.choice(list("abc"), n),
            "y": rng.choice(list("pq"), n),
            "needs": rng.choice(["", "", "s", "t"], n),
        }
    )
    mentors = pd.DataFrame(
        {
            "id": [f"r{j}" for j in range(m)],
            "capacity": rng.integers(1, 3, m),
            "x": rng.choice(list("abc"), m),
            "y": rng.choice(list("pq"), m),
            "has": rng.choice(["s", "t", "u"], m),
        }
    )
    forbidden = [(f"e{i}", f"r{j}") for i in range(n) for j in range(m) if rng.random() < 0.15]
    carried = sorted(rng.choice(mentees["id"], 3, replace=False).tolist())
    return mentees, mentors, forbidden, carried


def _arcs(
    mentees: pd.DataFrame, mentors: pd.DataFrame, forbidden: list[tuple[str, str]]
) -> list[tuple[int, int, float]]:
    """Every allowed pair and its score, computed here from the configuration's meaning."""
    arcs = []
    for i, e in mentees.iterrows():
        for j, r in mentors.iterrows():
            if (e["id"], r["id"]) in forbidden or (e["needs"] and e["needs"] != r["has"]):
                continue
            arcs.append((int(i), int(j), 0.7 * (e["x"] == r["x"]) + 0.2 * (e["y"] == r["y"])))
    return arcs


@pytest.mark.parametrize("seed", range(12))
def test_priorities_are_optimal_against_the_oracle(seed: int) -> None:
    mentees, mentors, forbidden, carried = _cohort(seed)
    programme = Programme.from_dict(CONFIG)
    arcs = _arcs(mentees, mentors, forbidden)
    mentee = np.array([a[0] for a in arcs])
    mentor = np.array([a[1] for a in arcs])
    score = np.array([a[2] for a in arcs])
    is_carried = np.isin(mentee, [int(c[1:]) for c in carried]).astype(float)
    ones = np.ones_like(score)
    demand, capacity = np.ones(len(mentees), dtype=np.int64), mentors["capacity"].to_numpy()

    def solve(objective: Any, *fixed: tuple[Any, float]) -> Any:
        extra = [(row, value, value) for row, value in fixed]
        return _solve(mentee, mentor, score, demand, capacity, objective, extra)

    for mode, bonus in (("first", None), ("bonus", 0.5)):
        wave = prioritise(
            programme,
            mentees,
            mentors,
            {"mode": mode, "bonus": bonus, "carried": carried},
            locked=[],
            forbidden=forbidden,
        )
        result = matching.match(
            wave.mentees, mentors, wave.programme, objective="coverage", forbidden=forbidden
        )
        got_carried = sum(p.mentee_id in carried for p in result.pairs)
        got_total = sum(p.score for p in result.pairs)
        assert result.summary.gap == pytest.approx(0.0, abs=1e-9)
        if mode == "first":
            most_carried = round(float(solve(is_carried) @ is_carried))
            most = round(float(solve(ones, (is_carried, most_carried)) @ ones))
            best = solve(score, (is_carried, most_carried), (ones, most)) @ score
            assert (got_carried, len(result.pairs)) == (most_carried, most)
            assert got_total == pytest.approx(best, abs=1e-6)
        else:
            most = round(float(solve(ones) @ ones))
            raised = score + 0.5 * is_carried
            best = solve(raised, (ones, most)) @ raised
            assert len(result.pairs) == most
            assert got_total + 0.5 * got_carried == pytest.approx(best, abs=1e-6)
