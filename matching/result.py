"""The result of a match: pairs with explanations, unmatched mentees with reasons,
alternatives, recruitment gaps and a summary — the same content as the output files
(``pairs.csv``, ``unmatched.csv``, ``summary.json``) and the HTTP answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import pandas as pd

from matching.errors import InputWarning
from matching.messages import Evidence, render, render_many

__all__ = [
    "Alternative",
    "GroupOutcome",
    "MatchResult",
    "Pair",
    "QuotaOutcome",
    "RecruitmentGap",
    "Summary",
    "Unmatched",
    "UnmatchedReason",
]

UnmatchedReason = Literal["no_allowed_mentor", "capacity_exhausted", "below_min_score"]


@dataclass(frozen=True, slots=True)
class Pair:
    """A suggested pair. ``contributions`` holds each criterion's weighted contribution,
    by criterion name in programme order; they add up to ``score``."""

    mentee_id: str
    mentor_id: str
    score: float
    contributions: Mapping[str, float]
    why: str
    evidence: tuple[Evidence, ...] = ()
    """Each contributing criterion's evidence as data: ``why`` in any language is
    :func:`matching.messages.render_why` of it."""


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A mentee left without (all of) the mentors she asked for, and why."""

    mentee_id: str
    reason: UnmatchedReason
    detail: str
    missing: int = 1
    """How many of her ``demand`` mentors she did not get."""
    evidence: Evidence | None = None
    """The detail as data (:func:`matching.messages.render` puts it in any language)."""


@dataclass(frozen=True, slots=True)
class Alternative:
    """Another allowed mentor with spare capacity for a mentee, the pair's score and each
    criterion's contribution to it (empty when the scores came from a table)."""

    mentor_id: str
    score: float
    spare_capacity: int
    contributions: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecruitmentGap:
    """What unmatched mentees share that mentors would need to offer: one need in one
    language, and how many unmatched mentees ask for it.

    With groups in the programme (``fields.mentee.groups``), one gap per group value
    holding unmatched mentees: ``group`` (column -> value), ``mentees`` unmatched in it
    and the (need, language) most of them share ("57 unmatched in Côte d'Ivoire, most
    needing social media in French"). ``*`` stands for a need or language not known."""

    need: str
    language: str
    mentees: int
    group: Mapping[str, str] = field(default_factory=dict)
    sharing: int = 0
    """With a group: how many of its unmatched mentees share that need and language."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["group"] = dict(self.group)
        return data


@dataclass(frozen=True, slots=True)
class QuotaOutcome:
    """A quota of the programme as the result meets it: ``required`` members to match
    (of the group's ``members``), ``matched`` of them, ``met``, ``short`` by how many, and
    for a soft quota the ``penalty`` it cost (score given up: short x its penalty per
    member; 0 for a hard quota, which is always met)."""

    name: str
    field: str
    value: str
    hard: bool
    required: int
    members: int
    matched: int
    met: bool
    short: int
    penalty: float


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    """Match rate and mean pair score of the mentees whose ``column`` holds ``value`` (one
    per configured group column and value; ``(missing)`` for an empty cell; ``mean_score``
    None when the group has no pair)."""

    column: str
    value: str
    mentees: int
    matched: int
    match_rate: float
    mean_score: float | None


@dataclass(frozen=True, slots=True)
class Summary:
    """The headline numbers of a result (``summary.json``)."""

    objective: str
    total_score: float
    upper_bound: float
    gap: float
    mentees: int
    mentors: int
    matched: int
    unmatched: int
    pairs: int
    criteria: tuple[str, ...]
    seconds: float
    config_sha256: str
    version: str
    min_score: float | None = None
    mean_score: float | None = None
    status: str = "optimal"
    method: str = "min_cost_flow"
    rounds: int = 1
    candidate_arcs: int = 0
    components: int = 0
    timings: Mapping[str, float] = field(default_factory=dict)
    """Seconds per step: ``encode``, ``score`` (blocks and candidates), ``prices`` (the
    contention estimate that chooses candidates: scored by criteria only, 0 below 2,000
    mentees), ``solve`` (flows, pricing, certificate) and ``explain``."""
    proposing: str | None = None
    """Stable objective only: ``mentees`` (mentee-optimal) or ``mentors``."""
    blocking_pairs: int | None = None
    """Stable objective only: pairs that would both rather be together, counted over
    every mentee x mentor pair after the proposals (``pairs_checked``); 0 proves the
    result stable. None when not checked (``solver.certify = false``)."""
    pairs_checked: int | None = None
    quota_penalty: float = 0.0
    """Score given up to soft quotas missed; ``upper_bound`` bounds ``total_score`` less it."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["criteria"] = list(self.criteria)
        data["timings"] = dict(self.timings)
        return data


@dataclass(frozen=True)
class MatchResult:
    """Everything a match produces; see :func:`matching.match`."""

    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    alternatives: Mapping[str, tuple[Alternative, ...]]
    gaps: tuple[RecruitmentGap, ...]
    summary: Summary
    warnings: tuple[InputWarning, ...] = ()
    """What the input holds that the run does not use as the files might suggest (columns
    nobody reads, absent count columns, optional rules switched off)."""
    quotas: tuple[QuotaOutcome, ...] = ()
    """Every quota of the programme, met or short by how many."""
    groups: tuple[GroupOutcome, ...] = ()
    """Match rate and mean score per configured mentee group column and value."""
    warnings_language: str = "en"
    """The language of each warning's ``message`` in :meth:`to_dict` (set by
    :meth:`in_language`)."""

    @property
    def criteria(self) -> tuple[str, ...]:
        return self.summary.criteria

    def in_language(self, language: str) -> MatchResult:
        """The same result with every ``why``, unmatched ``detail`` and warning in
        ``language`` (``en``, ``fr`` or ``ar``), rendered from the evidence."""
        why = render_many([p.evidence for p in self.pairs], language)
        pairs = tuple(
            replace(p, why=text) if p.evidence else p
            for p, text in zip(self.pairs, why, strict=True)
        )
        unmatched = tuple(
            replace(u, detail=render(u.evidence, language)) if u.evidence else u
            for u in self.unmatched
        )
        return replace(self, pairs=pairs, unmatched=unmatched, warnings_language=language)

    def pairs_frame(self) -> pd.DataFrame:
        """``pairs.csv`` as a DataFrame: ids, score, one column per criterion, ``why``."""
        columns = ["mentee_id", "mentor_id", "score", *self.criteria, "why"]
        rows = [
            (p.mentee_id, p.mentor_id, p.score, *(p.contributions[c] for c in self.criteria), p.why)
            for p in self.pairs
        ]
        return pd.DataFrame.from_records(rows, columns=columns)

    def unmatched_frame(self) -> pd.DataFrame:
        """``unmatched.csv`` as a DataFrame: ``mentee_id``, ``reason``, ``detail``."""
        rows = [(u.mentee_id, u.reason, u.detail) for u in self.unmatched]
        return pd.DataFrame.from_records(rows, columns=["mentee_id", "reason", "detail"])

    def to_dict(self) -> dict[str, Any]:
        """The HTTP answer's shape: ``pairs``, ``unmatched``, ``summary`` (+ extras)."""
        return {
            "pairs": [
                {
                    "mentee_id": p.mentee_id,
                    "mentor_id": p.mentor_id,
                    "score": p.score,
                    "contributions": dict(p.contributions),
                    "why": p.why,
                    "evidence": [e.to_dict() for e in p.evidence],
                }
                for p in self.pairs
            ],
            "unmatched": [
                {"mentee_id": u.mentee_id, "reason": u.reason, "detail": u.detail}
                for u in self.unmatched
            ],
            "alternatives": {
                mentee: [asdict(a) for a in alts] for mentee, alts in self.alternatives.items()
            },
            "gaps": [g.to_dict() for g in self.gaps],
            "summary": self.summary.to_dict(),
            "warnings": [w.to_dict(self.warnings_language) for w in self.warnings],
            **self.outcomes_dict(),
        }

    def outcomes_dict(self) -> dict[str, Any]:
        """``quotas`` and ``groups`` as ``to_dict()`` and ``summary.json`` hold them."""
        return {
            "quotas": [asdict(q) for q in self.quotas],
            "groups": [asdict(g) for g in self.groups],
        }
