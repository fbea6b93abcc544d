"""How explanations name criteria and show values: titles, value labels, and the needs
and languages of recruitment gaps. Light on purpose (no numerical library): the command
line reads it before the engine is loaded."""

from __future__ import annotations

from typing import Any

from matching.messages import Evidence, Label
from matching.model import NeedsCriterion, OverlapCriterion, Programme
from matching.result import RecruitmentGap

__all__ = [
    "ValueLabels",
    "gap_labels",
    "lacks",
    "language_field",
    "need_and_language_labels",
    "need_criterion",
    "title_of",
]


def title_of(criterion: Any) -> Label:
    """How explanations name a criterion: its title, else its name."""
    title: Label | None = criterion.title
    return title if title else str(criterion.name).replace("_", " ")


class ValueLabels:
    """Values as explanations show them: the criterion's label for the value (keys compare
    case-insensitively), else the value as first written in the data."""

    def __init__(self, criterion: Any) -> None:
        labels = criterion.labels if criterion is not None else {}
        self._labels: dict[str, Label] = {
            str(key).strip().casefold(): label for key, label in labels.items()
        }

    def __call__(self, value: str) -> Label:
        return self._labels.get(value.strip().casefold(), value)


def language_field(programme: Programme) -> str | None:
    """The mentee field compared for a shared language, if the programme has one."""
    overlaps = [c for c in programme.criteria if isinstance(c, OverlapCriterion)]
    named = [c for c in overlaps if "lang" in c.name.lower() or "lang" in c.mentee_field.lower()]
    chosen = named or [c for c in overlaps if c.required]
    return chosen[0].mentee_field if chosen else None


def need_criterion(programme: Programme) -> Any:
    """The criterion whose mentee values are what she needs, as recruitment gaps read
    them: the first ``needs`` criterion, else the first ``overlap`` one that is not the
    language criterion (skills wanted / offered), else None."""
    needs = next((c for c in programme.criteria if isinstance(c, NeedsCriterion)), None)
    if needs is not None:
        return needs
    spoken = language_field(programme)
    return next(
        (
            c
            for c in programme.criteria
            if isinstance(c, OverlapCriterion) and c.mentee_field != spoken
        ),
        None,
    )


def need_and_language_labels(programme: Programme) -> tuple[ValueLabels, ValueLabels]:
    """How the programme labels needs and languages (:func:`need_criterion` and its
    language criterion, as recruitment gaps read them); values without labels as written."""
    needs = need_criterion(programme)
    field = language_field(programme)
    spoken = next(
        (
            c
            for c in programme.criteria
            if isinstance(c, OverlapCriterion) and c.mentee_field == field
        ),
        None,
    )
    return ValueLabels(needs), ValueLabels(spoken)


def gap_labels(programme: Programme, gap: RecruitmentGap) -> tuple[Label, Label]:
    """A gap's need and language as the programme labels them (else as written)."""
    needs, spoken = need_and_language_labels(programme)
    return needs(gap.need), spoken(gap.language)


def lacks(criterion: Any) -> Evidence:
    """The evidence of a pair that gets nothing from ``criterion`` (no need covered, no
    language or hours in common, another region ...): said as plainly as what matched."""
    return Evidence("lacks", title_of(criterion), {"kind": str(criterion.kind)})
