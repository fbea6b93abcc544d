"""``POST /v1/match``: stateless matching of a batch sent in the request (DESIGN §5)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, HTTPException

from matching.defaults import default_programme
from matching.errors import InputError, RuleError
from matching.model import Programme as EngineProgramme
from matching.result import MatchResult
from service import engine
from service.deps import LanguageDep, PrincipalDep, SettingsDep
from service.errors import UnprocessableError, input_error_items
from service.ops.participants import check_records
from service.schemas.common import BODY, READ, error_responses
from service.schemas.match import MatchIn, MatchOut, RankIn

router = APIRouter(prefix="/v1", tags=["match"])

ERRORS = error_responses(READ, BODY)


@router.post("/match", responses=ERRORS)
def match_batch(
    body: MatchIn, principal: PrincipalDep, settings: SettingsDep, language: LanguageDep
) -> MatchOut:
    """Match the mentees and mentors in the request; nothing is stored. Explanations are
    in the ``Accept-Language`` asked for (en, fr or ar), else the programme's language."""
    for side, people, limit in (
        ("mentees", body.mentees, settings.max_batch_mentees),
        ("mentors", body.mentors, settings.max_batch_mentors),
    ):
        if len(people) > limit:
            raise HTTPException(
                status_code=413, detail=f"at most {limit} {side} per request (body.{side})"
            )
    programme = body.programme if body.programme is not None else default_programme()
    sides: dict[str, pd.DataFrame] = {}
    for side, people in (("mentees", body.mentees), ("mentors", body.mentors)):
        records = [p.record() for p in people]
        try:
            # Checked here, side by side and in request order, so a problem's location
            # is the position in the request's list.
            if _uses_criteria(body):
                records = check_records(
                    records, programme, "mentee" if side == "mentees" else "mentor"
                )
        except InputError as error:
            raise UnprocessableError(input_error_items(error, ["body", side])) from None
        sides[side] = _frame(records)
    mentees, mentors = sides["mentees"], sides["mentors"]
    scores = (
        pd.DataFrame.from_records(
            [(str(s.mentee_id), str(s.mentor_id), s.score) for s in body.scores],
            columns=["mentee_id", "mentor_id", "score"],
        )
        if body.scores is not None
        else None
    )
    try:
        result = _run(mentees, mentors, programme, body, scores)
    except InputError as error:
        raise UnprocessableError(input_error_items(error, _location(error, body))) from None
    except RuleError as error:
        raise UnprocessableError(
            [
                {
                    "loc": ["body", "objective"],
                    "msg": str(error),
                    "type": "rule_error",
                    "message": error.message,
                }
            ]
        ) from None
    if language is not None:
        result = result.in_language(language)
    return MatchOut.model_validate(result.to_dict())


def _ranks(ranks: list[RankIn] | None) -> pd.DataFrame | None:
    """A side's ranked choices as the engine's table (ids as text)."""
    if ranks is None:
        return None
    rows = [(str(r.mentee_id), str(r.mentor_id), r.rank) for r in ranks]
    return pd.DataFrame.from_records(rows, columns=["mentee_id", "mentor_id", "rank"])


def _location(error: InputError, body: MatchIn) -> list[str]:
    """Where an engine input error points: a rank list's (``mentee_ranks: ...``) or the body."""
    for name in ("mentee_ranks", "mentor_ranks"):
        if error.problem.reason.startswith(f"{name}:") and getattr(body, name) is not None:
            return ["body", name]
    return ["body"]


def _uses_criteria(body: MatchIn) -> bool:
    """Whether the programme's criteria score the pairs: neither a score table nor ranks
    alone (ranks without a programme) replace them."""
    ranked = body.mentee_ranks is not None or body.mentor_ranks is not None
    return body.scores is None and (body.programme is not None or not ranked)


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame.from_records(records) if records else pd.DataFrame({"id": []})


def _run(
    mentees: pd.DataFrame,
    mentors: pd.DataFrame,
    programme: EngineProgramme,
    body: MatchIn,
    scores: pd.DataFrame | None,
) -> MatchResult:
    return engine.match(
        mentees,
        mentors,
        programme if body.programme is not None or _uses_criteria(body) else None,
        scores=scores,
        objective=body.objective,
        proposing=body.proposing,
        mentee_ranks=_ranks(body.mentee_ranks),
        mentor_ranks=_ranks(body.mentor_ranks),
    )
