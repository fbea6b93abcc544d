"""The figures behind a run's charts: scores of the pairs kept, every mentor's load against
her capacity, and match rate and mean score by mentee group and by region."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from service.models import Run
from service.web._queries.fields import GROUP_COLUMN, REGION_COLUMN, capacity, values
from service.web._queries.pairs import RunPairs, run_pairs

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
    by_column: dict[str, list[GroupStat]] = {}
    for column, index in ((GROUP_COLUMN, 1), (REGION_COLUMN, 0)):  # groups: (region, group)
        members: dict[str, list[int]] = {}  # group -> [mentees, matched]
        scores: dict[str, list[float]] = defaultdict(list)
        for mentee_id in in_run:
            if mentee_id not in pairs.groups:
                continue  # no longer a participant
            group = pairs.groups[mentee_id][index] or MISSING
            counts = members.setdefault(group, [0, 0])
            counts[0] += 1
            if mentee_id in scores_by_mentee:
                counts[1] += 1
                scores[group].extend(scores_by_mentee[mentee_id])
        by_column[column] = [
            GroupStat(
                group=group,
                mentees=mentees,
                matched=matched,
                mean_score=sum(scores[group]) / len(scores[group]) if scores[group] else None,
            )
            for group, (mentees, matched) in sorted(members.items())
        ]
    mentors = values(session, run.programme_id, "mentor", ("capacity",))
    load = Counter(line.mentor_id for line in kept)
    return RunStats(
        scores=[line.score for line in kept],
        loads=[(load[m], capacity(seats)) for m, (seats,) in sorted(mentors.items())],
        by_column=by_column,
    )
