"""What a result reports of the programme's quotas and groups: each quota met or short
(:class:`~matching.result.QuotaOutcome`), and match rate and mean score per configured
mentee group column and value (:class:`~matching.result.GroupOutcome`, from
:func:`matching.evaluation.group_fairness`)."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from matching.evaluation import group_fairness
from matching.model import GroupQuota, Programme
from matching.result import GroupOutcome, MatchResult, QuotaOutcome
from matching.solver import AssignmentProblem, AssignmentSolution

__all__ = ["group_outcomes", "quota_outcomes"]


def quota_outcomes(
    quotas: tuple[GroupQuota, ...], problem: AssignmentProblem, solution: AssignmentSolution
) -> tuple[QuotaOutcome, ...]:
    """Each of the programme's ``quotas`` (in order; ``problem.quotas`` are their index
    sets) as ``solution`` meets it."""
    per_mentee = np.bincount(solution.mentee_idx, minlength=problem.n_mentees)
    outcomes = []
    for quota, constraint in zip(quotas, problem.quotas, strict=True):
        short = constraint.short(per_mentee)
        members = np.asarray(constraint.mentees, np.int64)
        outcomes.append(
            QuotaOutcome(
                name=quota.name,
                field=quota.field,
                value=quota.value,
                hard=quota.hard,
                required=int(constraint.min_matched),
                members=int(members.size),
                matched=int((per_mentee[members] > 0).sum()),
                met=short == 0,
                short=short,
                penalty=0.0 if quota.hard else float(quota.penalty * short),
            )
        )
    return tuple(outcomes)


def group_outcomes(
    result: MatchResult, programme: Programme, mentees: pd.DataFrame
) -> tuple[GroupOutcome, ...]:
    """Match rate and mean pair score per value of each of the programme's mentee group
    columns present in ``mentees`` (a column the table lacks is left out: the input
    checks warn about it)."""
    outcomes = []
    for column in programme.fields.mentee.groups:
        if column not in mentees.columns:
            continue
        table = group_fairness(result, mentees, column)
        rows: list[dict[Hashable, Any]] = table.to_dict("records")
        for row in rows:
            mean = float(row["mean_score"])
            outcomes.append(
                GroupOutcome(
                    column=column,
                    value=str(row["group"]),
                    mentees=int(row["mentees"]),
                    matched=int(row["matched"]),
                    match_rate=float(row["match_rate"]),
                    mean_score=None if math.isnan(mean) else mean,
                )
            )
    return tuple(outcomes)
