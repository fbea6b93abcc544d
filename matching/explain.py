"""Explanations of a solved match: per-pair contributions and evidence, the reason each
unmatched mentee has, alternative mentors with spare capacity, and recruitment gaps.

Everything here is computed from arrays the pipeline already has (the candidate arcs,
the solution, per-mentee eligibility counts); nothing loops over mentee x mentor pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matching._arrays import rank_in_runs
from matching._labels import (
    ValueLabels,
    language_field,
    need_and_language_labels,
    need_criterion,
)
from matching._pairs import ScoredPairs
from matching.messages import Evidence, render, render_many
from matching.model import Programme
from matching.result import Alternative, Pair, RecruitmentGap, Unmatched, UnmatchedReason

__all__ = [
    "Eligibility",
    "ValueLabels",
    "alternatives",
    "language_field",
    "need_and_language_labels",
    "pairs",
    "recruitment_gaps",
    "unmatched",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

GAPS_LISTED = 20
"""Recruitment gaps reported, largest first; the long tail helps nobody recruit."""


@dataclass(frozen=True)
class Eligibility:
    """Per mentee, how many mentors the rules allow and which rule excluded the most.

    ``allowed``: mentors allowed by every rule, explicit pair and the minimum score;
    ``rule_allowed``: the same before the minimum score; ``exclusion_counts[i, r]``: how many
    mentors rule ``exclusion_names[r]`` excludes for mentee ``i``; ``best_rule_allowed``:
    her best score among rule-allowed mentors (NaN when there is none).
    """

    exclusion_names: tuple[str, ...]
    allowed: IntArray
    rule_allowed: IntArray
    exclusion_counts: IntArray
    best_rule_allowed: FloatArray


def pairs(
    mentee_ids: Sequence[str],
    mentor_ids: Sequence[str],
    mentee_idx: IntArray,
    mentor_idx: IntArray,
    scores: FloatArray,
    contributions: FloatArray,
    criteria: Sequence[str],
    evidence: Sequence[tuple[Evidence, ...]],
    language: str = "en",
) -> tuple[Pair, ...]:
    """Build :class:`Pair` records (with criteria, ``scores`` are the contributions' sums),
    ``why`` rendered from the evidence in ``language``."""
    why = render_many(evidence, language)
    # Plain Python lists first: iterating numpy rows costs more than building the records.
    return tuple(
        Pair(mentee_ids[i], mentor_ids[j], score, dict(zip(criteria, row, strict=True)), *reason)
        for i, j, score, row, reason in zip(
            mentee_idx.tolist(),
            mentor_idx.tolist(),
            scores.tolist(),
            np.asarray(contributions, dtype=np.float64).tolist(),
            zip(why, evidence, strict=True),
            strict=True,
        )
    )


def unmatched(
    mentee_ids: Sequence[str],
    demand: IntArray,
    mentee_idx: IntArray,
    eligibility: Eligibility,
    n_mentors: int,
    min_score: float,
    language: str = "en",
    *,
    stable: bool = False,
) -> tuple[Unmatched, ...]:
    """One :class:`Unmatched` per mentee who got fewer mentors than her demand, with why
    (the detail in ``language``; ``stable``: the result is a stable matching, and a mentee
    left short although she has acceptable mentors is told what that means)."""
    got = np.bincount(mentee_idx, minlength=len(mentee_ids))
    missing = demand - got
    records = []
    for i in np.flatnonzero(missing > 0).tolist():
        reason, evidence = _reason(i, eligibility, n_mentors, min_score, int(got[i]))
        if stable and reason == "capacity_exhausted":
            evidence = Evidence("stable_full", values={"allowed": int(eligibility.allowed[i])})
        detail = render(evidence, language)
        records.append(Unmatched(mentee_ids[i], reason, detail, int(missing[i]), evidence))
    return tuple(records)


def _reason(
    i: int, eligibility: Eligibility, n_mentors: int, min_score: float, got: int
) -> tuple[UnmatchedReason, Evidence]:
    """Why mentee ``i`` is (partly) unmatched, and a detail a coordinator can act on."""
    allowed = int(eligibility.allowed[i])
    if allowed > got:
        return "capacity_exhausted", Evidence("capacity_exhausted", values={"allowed": allowed})
    rule_allowed = int(eligibility.rule_allowed[i])
    if rule_allowed > allowed:
        best = float(eligibility.best_rule_allowed[i])
        below = {"count": rule_allowed - allowed, "minimum": min_score, "best": best}
        return "below_min_score", Evidence("below_min_score", values=below)
    counts = eligibility.exclusion_counts[i]
    if counts.size and counts.max() > 0:
        worst = int(np.argmax(counts))  # first of the largest: rules are in programme order
        values = {
            "rule": eligibility.exclusion_names[worst],
            "count": int(counts[worst]),
            "total": n_mentors,
        }
        return "no_allowed_mentor", Evidence("rule_excludes", values=values)
    return "no_allowed_mentor", Evidence("none_allowed", values={"total": n_mentors})


ContributionsOf = tuple[Sequence[str], Callable[[IntArray, IntArray], FloatArray]]
"""Criterion names, and what computes each criterion's contribution to given pairs."""


def alternatives(
    candidates: ScoredPairs,
    chosen: ScoredPairs,
    capacity: IntArray,
    ids: tuple[Sequence[str], Sequence[str]],
    per_mentee: int,
    contributions: ContributionsOf | None = None,
) -> dict[str, tuple[Alternative, ...]]:
    """Up to ``per_mentee`` best ``candidates`` mentors with spare seats once the
    ``chosen`` pairs are made, per mentee (by id; ``ids`` is (mentee ids, mentor ids)),
    with each criterion's contribution when ``contributions`` can compute them."""
    mentee_ids, mentor_ids = ids
    if per_mentee == 0 or candidates.size == 0:
        return {}
    spare = capacity - np.bincount(chosen.mentor, minlength=len(mentor_ids))
    n_mentors = len(mentor_ids)
    taken = candidates.among(chosen.keys(n_mentors), n_mentors)
    free = candidates.take((spare[candidates.mentor] > 0) & ~taken)
    # Best first within each mentee, ties by mentor index: deterministic.
    ranked = free.take(np.lexsort((free.mentor, -free.score, free.mentee)))
    mentee, mentor, score = ranked.mentee, ranked.mentor, ranked.score
    first = rank_in_runs(mentee) < per_mentee
    mentee, mentor, score = mentee[first], mentor[first], score[first]
    if contributions is not None and contributions[0]:
        criteria, contributions_of = contributions
        parts = [
            dict(zip(criteria, row, strict=True))
            for row in contributions_of(mentee, mentor).tolist()
        ]
    else:
        parts = [{} for _ in range(mentee.size)]
    records = [
        Alternative(mentor_ids[j], s, free, part)
        for j, s, free, part in zip(
            mentor.tolist(), score.tolist(), spare[mentor].tolist(), parts, strict=True
        )
    ]
    # Each mentee's alternatives are consecutive (sorted by mentee): slice, do not regroup.
    if not records:
        return {}
    cuts = np.flatnonzero(np.diff(mentee)) + 1
    heads, tails = [0, *cuts.tolist()], [*cuts.tolist(), mentee.size]
    return {
        mentee_ids[i]: tuple(records[a:b])
        for i, a, b in zip(mentee[heads].tolist(), heads, tails, strict=True)
    }


def recruitment_gaps(
    programme: Programme | None, mentees: pd.DataFrame, unmatched_idx: IntArray
) -> tuple[RecruitmentGap, ...]:
    """Where unmatched mentees are and what they need, most common first.

    With group columns in the programme (``fields.mentee.groups``): one gap per group
    value holding unmatched mentees, with the (need, language) most of them share. Else
    the (need, language) combinations they share. Needs are read from the programme's
    first ``needs`` criterion (else its first non-language ``overlap`` one), languages
    from its language criterion, whatever their columns are called; ``*`` where the
    programme has none."""
    if programme is None or unmatched_idx.size == 0:
        return ()
    need = need_criterion(programme)
    need_field = None if need is None else need.mentee_field
    spoken_field = language_field(programme)
    rows = mentees.iloc[unmatched_idx]
    table = pd.DataFrame({"person": np.arange(len(rows))})
    table["need"] = _tags(rows, need_field, strip_level=True)
    table["language"] = _tags(rows, spoken_field, strip_level=False)
    table = table.explode("need").explode("language").drop_duplicates()
    groups = [c for c in programme.fields.mentee.groups if c in rows.columns]
    if groups:
        return _gaps_by_group(rows, table, groups)
    if need_field is None and spoken_field is None:
        return ()
    counts = _shared(table).head(GAPS_LISTED)
    return tuple(
        RecruitmentGap(str(need), str(language), int(n))
        for need, language, n in counts.itertuples(index=False)
    )


def _shared(table: pd.DataFrame) -> pd.DataFrame:
    """(need, language, mentees sharing it), most shared first (ties by name)."""
    return (
        table.groupby(["need", "language"], sort=False)
        .size()
        .reset_index(name="mentees")
        .sort_values(["mentees", "need", "language"], ascending=[False, True, True])
    )


def _gaps_by_group(
    rows: pd.DataFrame, table: pd.DataFrame, columns: Sequence[str]
) -> tuple[RecruitmentGap, ...]:
    """One gap per (group column, value) of the unmatched ``rows``, largest first, with
    the (need, language) most of that group's unmatched mentees share."""
    gaps = []
    for column in columns:
        cells = rows[column].astype(object).where(rows[column].notna(), "")
        values = np.asarray([str(v).strip() for v in cells.tolist()], dtype=object)
        for value in sorted(set(values.tolist()) - {""}):
            people = np.flatnonzero(values == value)
            top = _shared(table[table["person"].isin(people)]).iloc[0]
            gaps.append(
                RecruitmentGap(
                    str(top["need"]),
                    str(top["language"]),
                    int(people.size),
                    {column: value},
                    int(top["mentees"]),
                )
            )
    gaps.sort(key=lambda g: (-g.mentees, *next(iter(g.group.items()))))
    return tuple(gaps[:GAPS_LISTED])


def _tags(rows: pd.DataFrame, column: str | None, *, strip_level: bool) -> list[list[str]]:
    """Each row's tags (``a|b:3`` text or a list), normalised; ``*`` when none is known."""
    if column is None or column not in rows.columns:
        return [["*"] for _ in range(len(rows))]
    tags: list[list[str]] = []
    for cell in rows[column].tolist():
        items = cell if isinstance(cell, list | tuple) else _split(cell)
        names = [str(t).split(":")[0] if strip_level else str(t) for t in items]
        cleaned = sorted({n.strip().lower() for n in names if n.strip()})
        tags.append(cleaned or ["*"])
    return tags


def _split(cell: object) -> list[str]:
    """Split a ``|``-separated text cell; missing cells give no tags."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return []
    return str(cell).split("|")
