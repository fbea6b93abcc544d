"""A wave's carry-over priority as the engine's own quotas (:mod:`service.ops.waves`
decides who is carried over; this module tells the engine).

The carried-over mentees are marked in a column of their own (:data:`CARRIED_COLUMN`,
``yes`` or ``no``) and one quota on it is added to the run's configuration:

- ``bonus``: a *soft* quota asking for every carried-over mentee, whose penalty is the
  bonus. Each one left unmatched costs the bonus, which is the same trade as adding the
  bonus to each of her pairs' scores (a mentee asking for one mentor is matched once or
  not at all), at the score level: under ``coverage`` and ``fair`` the matched count
  still comes first. The engine certifies the result optimal for that trade.
- ``first``: a *hard* quota asking for as many carried-over mentees as can be matched
  at all. That number is a first match of the carried-over mentees alone (with the
  locked pairs and every mentor's seat, the programme's own quotas and minimum loads
  left out, objective ``coverage``: the most of them the rules and seats allow). A
  hard quota is the flow's top level, so the run matches that many of them before
  anyone else and then follows its objective, certified as every quota is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from matching.model import GroupQuota
from matching.model import Programme as EngineProgramme
from service import engine as matching_engine

__all__ = ["CARRIED_COLUMN", "Prioritised", "prioritise"]

CARRIED_COLUMN = "marraine_carried_over"
"""The mentee column marking carried-over mentees (a name no programme's own file uses)."""

Pairs = Sequence[tuple[str, str]]


class Prioritised:
    """The run's configuration and mentees with the carry-over quota added."""

    def __init__(self, programme: EngineProgramme, mentees: pd.DataFrame) -> None:
        self.programme = programme
        self.mentees = mentees


def prioritise(
    programme: EngineProgramme,
    mentees: pd.DataFrame,
    mentors: pd.DataFrame,
    priority: dict[str, Any] | None,
    *,
    locked: Pairs,
    forbidden: Pairs,
) -> Prioritised:
    """``programme`` and ``mentees`` as the run with ``priority`` matches them (unchanged
    when nobody is carried over, or when none of them is a participant any more)."""
    id_column = programme.fields.mentee.id
    carried = set((priority or {}).get("carried") or [])
    if not carried or id_column not in mentees.columns:
        return Prioritised(programme, mentees)
    member = mentees[id_column].astype(str).isin(carried)
    members = int(member.sum())
    if members == 0:
        return Prioritised(programme, mentees)
    marked = mentees.assign(**{CARRIED_COLUMN: member.map({True: "yes", False: "no"})})
    assert priority is not None
    if priority["mode"] == "bonus":
        quota = GroupQuota(
            field=CARRIED_COLUMN,
            value="yes",
            min_count=members,
            hard=False,
            penalty=float(priority["bonus"]),
        )
    else:
        most = _most_matchable(programme, marked, mentors, member, locked, forbidden)
        if most == 0:
            return Prioritised(programme, mentees)
        quota = GroupQuota(field=CARRIED_COLUMN, value="yes", min_count=most)
    return Prioritised(_with_quota(programme, quota), marked)


def _with_quota(programme: EngineProgramme, quota: GroupQuota | None) -> EngineProgramme:
    """The programme with ``quota`` as its only extra quota (None: with no quota at all)."""
    quotas = () if quota is None else (*programme.quotas, quota)
    return programme.model_copy(update={"quotas": quotas})


def _most_matchable(
    programme: EngineProgramme,
    mentees: pd.DataFrame,
    mentors: pd.DataFrame,
    member: pd.Series[bool],
    locked: Pairs,
    forbidden: Pairs,
) -> int:
    """The most carried-over mentees any matching can give a mentor (see the module)."""
    id_column = programme.fields.mentee.id
    in_locked = {a for a, _ in locked}
    alone = mentees[member | mentees[id_column].astype(str).isin(in_locked)]
    min_load = programme.fields.mentor.min_load
    seats = mentors.assign(**{min_load: 0}) if min_load in mentors.columns else mentors
    alone_programme = _with_quota(programme, None).model_copy(update={"objective": "coverage"})
    kept = set(alone[id_column].astype(str))
    result = matching_engine.match(
        alone.drop(columns=[CARRIED_COLUMN]),
        seats,
        alone_programme,
        objective="coverage",
        locked=locked,
        forbidden=[(a, b) for a, b in forbidden if a in kept],
    )
    carried = set(mentees.loc[member, id_column].astype(str))
    return len({pair.mentee_id for pair in result.pairs} & carried)
