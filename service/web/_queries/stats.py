"""The figures behind a run's charts: scores of the pairs kept, every mentor's load against
her capacity, and match rate and mean score by each of the programme's mentee group
columns and by its region column."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from service.models import Run
from service.web._queries.columns import Columns
from service.web._queries.fields import capacity, values
from service.web._queries.pairs import RunPairs, Traits, run_pairs

__all__ = ["MISSING", "GroupStat", "RunStats", "run_stats"]

MISSING = "(missing)"


@dataclass(frozen=True)
class GroupStat:
    group: str
    mentees: int
    matched: int
    mean_score: float | None

    @property
    def match_rate(self) -> float:
        return self.matched / self.mentees if self.mentees else 0.0


@dataclass(frozen=True)
class RunStats:
    """What the charts show for one run: pairs not rejected count as matches."""

    scores: list[float]
    loads: list[tuple[int, int]]
    """(load, capacity) of every mentor of the programme."""
    by_column: dict[str, list[GroupStat]] = field(default_factory=dict)
    """Per mentee column of the programme (its region, then its groups), per value."""
    columns: Columns | None = None
    """The programme's columns the figures were read by."""


def run_stats(session: Session, run: Run, pairs: RunPairs | None = None) -> RunStats:
    """The run's chart figures (``pairs``, from :func:`run_pairs`, saves reading it again)."""
    if pairs is None:
        pairs = run_pairs(session, run)
    kept = [line for line in pairs.lines if line.decision != "rejected"]
    rejected_ids = {line.mentee_id for line in pairs.lines if line.decision == "rejected"}
    in_run = sorted({line.mentee_id for line in kept} | pairs.unmatched | rejected_ids)
    scores_by_mentee: dict[str, list[float]] = defaultdict(list)
    for line in kept:
        scores_by_mentee[line.mentee_id].append(line.score)
    by_column = {
        column: _group_stats(pairs, in_run, scores_by_mentee, value)
        for column, value in _readers(pairs.columns).items()
    }
    mentors = values(session, run.programme_id, "mentor", ("capacity",))
    load = Counter(line.mentor_id for line in kept)
    return RunStats(
        scores=[line.score for line in kept],
        loads=[(load[m], capacity(seats)) for m, (seats,) in sorted(mentors.items())],
        by_column=by_column,
        columns=pairs.columns,
    )


def _readers(columns: Columns) -> dict[str, Callable[[Traits], str]]:
    """How to read each charted column's value from a mentee's traits."""
    readers: dict[str, Callable[[Traits], str]] = {}
    if columns.region:
        readers[columns.region] = lambda traits: traits.region
    for index, column in enumerate(columns.groups):
        readers[column] = _group_reader(index)
    return readers


def _group_reader(index: int) -> Callable[[Traits], str]:
    return lambda traits: traits.groups[index] if index < len(traits.groups) else ""


def _group_stats(
    pairs: RunPairs,
    in_run: list[str],
    scores_by_mentee: dict[str, list[float]],
    value: Callable[[Traits], str],
) -> list[GroupStat]:
    """Match rate and mean score per value of one column (missing values together)."""
    members: dict[str, list[int]] = {}  # group -> [mentees, matched]
    scores: dict[str, list[float]] = defaultdict(list)
    for mentee_id in in_run:
        if mentee_id not in pairs.traits:
            continue  # no longer a participant
        group = value(pairs.traits[mentee_id]) or MISSING
        counts = members.setdefault(group, [0, 0])
        counts[0] += 1
        if mentee_id in scores_by_mentee:
            counts[1] += 1
            scores[group].extend(scores_by_mentee[mentee_id])
    return [
        GroupStat(
            group=group,
            mentees=mentees,
            matched=matched,
            mean_score=sum(scores[group]) / len(scores[group]) if scores[group] else None,
        )
        for group, (mentees, matched) in sorted(members.items())
    ]
