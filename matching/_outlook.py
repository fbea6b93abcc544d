"""Whether each quota of a programme can be met, before or without a match, in plain words.

For each quota: how many members it asks for, how many the group has, and how many of
them can be matched at most — by the rules, the required criteria and the minimum score
(a member with no allowed mentor can never be matched) and by the seats of the mentors
allowed to them (a maximum flow: the group alone, every seat its own). When that is
fewer than it asks, ``limit`` says what limits it: the members without an allowed mentor
and the rule (or required criterion) excluding the most mentors for them, and the group
of members whose allowed mentors have too few seats. Locked, forbidden and previous
pairs and the other mentees competing for the same seats are left out: a quota whose
outlook is met may still be unmeetable together with them (the solver then says so).

The allowed pairs of the members are scanned block by block; a member keeps at most
:data:`PAIRS_KEPT` of her allowed mentors for the maximum flow, so its memory stays
bounded. When a member was cut so, the flow's count is a lower bound; the reported
``reachable`` is then the Hall bound (members with a mentor, seats of their mentors)
unless the flow reaches it, and ``exact`` says which.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matching.defaults import default_programme
from matching.errors import InputError, InputErrors
from matching.features import check_participants
from matching.messages import Evidence, Language, Message, render
from matching.model import GroupQuota, Mentee, Mentor, Programme, participants_frame
from matching.scoring import PairScorer
from matching.solver import Bottleneck, find_bottleneck

__all__ = ["QuotaOutlook", "outlooks", "quota_members", "quota_outlook"]

IntArray = NDArray[np.int64]

PAIRS_KEPT = 64
"""Allowed mentors kept per member for the maximum flow (the first by index)."""

BLOCK_ROWS = 512
"""Members scored at a time (memory grows with this x mentors)."""


@dataclass(frozen=True)
class QuotaOutlook:
    """What one quota asks and the most its group can get (see module docstring).

    ``required`` of the group's ``members`` must be matched; at most ``reachable`` can
    be (``exact``: a maximum flow proved it; else an upper bound). ``limit`` says in
    words what limits the group (empty when nothing does); ``evidence`` is the same as
    data, for :func:`matching.messages.render` in another language."""

    name: str
    hard: bool
    required: int
    members: int
    reachable: int
    limit: str
    evidence: Evidence
    exact: bool = True

    @property
    def meetable(self) -> bool:
        """Whether the group alone could have its ``required`` members matched."""
        return self.reachable >= self.required

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "hard": self.hard,
            "required": self.required,
            "members": self.members,
            "reachable": self.reachable,
            "meetable": self.meetable,
            "exact": self.exact,
            "limit": self.limit,
        }


def quota_outlook(
    mentees: Sequence[Mentee] | pd.DataFrame,
    mentors: Sequence[Mentor] | pd.DataFrame,
    programme: Programme | None = None,
    *,
    language: Language | None = None,
) -> tuple[QuotaOutlook, ...]:
    """Whether each of the programme's quotas can be met by these participants.

    Parameters
    ----------
    mentees, mentors
        Participants as model objects or DataFrames (as :func:`matching.match` takes them).
    programme
        Its criteria, rules and quotas (default: :func:`matching.default_programme`).
    language
        Language of each ``limit`` (default ``programme.language``).

    Returns
    -------
    tuple of QuotaOutlook
        One per quota, in programme order.

    Raises
    ------
    InputError
        A participant table is invalid, or a quota's column is missing.
    """
    programme = programme if programme is not None else default_programme()
    frames = [
        participants_frame(mentees, "mentee"),
        participants_frame(mentors, "mentor"),
    ]
    frames = [frame.sort_values("id", kind="stable").reset_index(drop=True) for frame in frames]
    problems = check_participants(frames[0], programme, "mentee")
    problems += check_participants(frames[1], programme, "mentor")
    if problems:
        raise InputErrors(problems)
    scorer = PairScorer(programme).fit(frames[0], frames[1])
    return outlooks(programme, scorer, frames[0], frames[1], language or programme.language)


def quota_members(quota: GroupQuota, mentees: pd.DataFrame) -> IntArray:
    """Row positions of the mentees whose ``quota.field`` is ``quota.value`` (trimmed,
    case-insensitive).

    Raises
    ------
    InputError
        The mentees have no such column.
    """
    if quota.field not in mentees.columns:
        raise InputError(Message("quota field is missing from the mentees"), column=quota.field)
    values = mentees[quota.field].astype(str).str.strip().str.lower()
    return np.flatnonzero(values.to_numpy() == quota.value.strip().lower()).astype(np.int64)


def outlooks(
    programme: Programme,
    scorer: PairScorer,
    mentees: pd.DataFrame,
    mentors: pd.DataFrame,
    language: str,
) -> tuple[QuotaOutlook, ...]:
    """:func:`quota_outlook` with a scorer already fitted on ``mentees`` and ``mentors``
    (sorted as the scorer saw them)."""
    demand = mentees["demand"].to_numpy(np.int64)
    capacity = mentors["capacity"].to_numpy(np.int64)
    found = []
    for quota in programme.quotas:
        members = quota_members(quota, mentees)
        wanting = members[demand[members] > 0]
        found.append(_outlook(quota, members.size, wanting, scorer, capacity, language))
    return tuple(found)


def _outlook(
    quota: GroupQuota,
    size: int,
    wanting: IntArray,
    scorer: PairScorer,
    capacity: IntArray,
    language: str,
) -> QuotaOutlook:
    """One quota's outlook: its members' allowed pairs, the maximum flow, the limit."""
    arcs, no_mentor, capped = _allowed_pairs(wanting, scorer)
    with_mentor = int(wanting.size) - sum(no_mentor.values())
    position = np.zeros(0, np.int64) if not arcs else np.concatenate([a[0] for a in arcs])
    mentor = np.zeros(0, np.int64) if not arcs else np.concatenate([a[1] for a in arcs])
    bottleneck = find_bottleneck(position, mentor, np.ones(wanting.size, np.int64), capacity)
    flow = with_mentor - (0 if bottleneck is None else bottleneck.shortfall)
    reachable, exact = flow, True
    if capped:
        reachable_mentors = np.unique(mentor)
        hall = min(with_mentor, int(capacity[reachable_mentors].sum()))
        reachable, exact = (flow, True) if flow >= hall else (hall, False)
    required = quota.required(size)
    values: dict[str, object] = {
        "name": quota.name,
        "required": required,
        "members": size,
        "reachable": reachable,
        "wanting": int(wanting.size),
    }
    if reachable < required:
        values |= _limits(no_mentor, bottleneck)
    evidence = Evidence("quota_outlook", values=values)
    limit = render(evidence, language) if reachable < required else ""
    return QuotaOutlook(quota.name, quota.hard, required, size, reachable, limit, evidence, exact)


def _allowed_pairs(
    wanting: IntArray, scorer: PairScorer
) -> tuple[list[tuple[IntArray, IntArray]], Counter[str], bool]:
    """The members' allowed pairs (position among ``wanting``, mentor), at most
    :data:`PAIRS_KEPT` each; per exclusion name, the members it leaves without any
    allowed mentor ("" when no single one does: no mentor at all); whether a member lost
    pairs to the cap."""
    arcs: list[tuple[IntArray, IntArray]] = []
    no_mentor: Counter[str] = Counter()
    capped = False
    names = scorer.exclusion_names_
    for start in range(0, wanting.size, BLOCK_ROWS):
        block = scorer.score_block(wanting[start : start + BLOCK_ROWS])
        allowed = block.allowed
        count = allowed.sum(axis=1)
        for lonely in np.flatnonzero(count == 0).tolist():
            excluded = block.exclusion_counts[lonely]
            no_mentor[names[int(np.argmax(excluded))] if excluded.max(initial=0) > 0 else ""] += 1
        row, column = np.nonzero(allowed)
        rank = np.arange(row.size) - np.searchsorted(row, row)
        keep = rank < PAIRS_KEPT
        capped = capped or not keep.all()
        arcs.append(((start + row[keep]).astype(np.int64), column[keep].astype(np.int64)))
    return arcs, no_mentor, capped


def _limits(no_mentor: Counter[str], bottleneck: Bottleneck | None) -> dict[str, object]:
    """What limits a group, as evidence values: members without an allowed mentor and
    the exclusion leaving the most of them so; the members whose allowed mentors lack
    seats, and those seats."""
    values: dict[str, object] = {"no_mentor": sum(no_mentor.values())}
    if no_mentor:
        rule, count = max(no_mentor.items(), key=lambda item: (item[1], item[0] != ""))
        values |= {"rule": rule, "rule_count": count}
    if bottleneck is not None:
        values |= {"crowded": int(bottleneck.mentees.size), "seats": int(bottleneck.seats)}
    return values
