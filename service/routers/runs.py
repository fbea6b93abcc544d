"""Match runs: ``POST /v1/programmes/{id}/runs`` queues one (202) for the worker;
``/v1/runs/{id}`` gives status and progress, cancel, and paginated results."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.model import MAX_SCORE
from service.auth import Principal
from service.deps import (
    LanguageDep,
    PageDep,
    PathText,
    PrincipalDep,
    SecretDep,
    SessionDep,
    get_programme,
    get_run,
)
from service.errors import error_in
from service.explanations import detail_in, why_in
from service.i18n import LANGUAGES, translator
from service.models import Run, RunAlternative, RunGap, RunPair, RunUnmatched
from service.ops import runs as ops
from service.ops.paging import paginate
from service.pseudonyms import pseudonym
from service.schemas.common import BODY, READ, WRITE, Page, error_responses, page_of
from service.schemas.match import AlternativeOut, GapOut
from service.schemas.runs import Decided, RunIn, RunOut, RunPairOut, RunUnmatchedOut

router = APIRouter(tags=["runs"])

READ_ERRORS = error_responses(READ, 409)
ERRORS = error_responses(WRITE, BODY, 409)


@router.post("/v1/programmes/{programme_id}/runs", status_code=202, responses=ERRORS)
def create_run(
    programme_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    language: LanguageDep,
    body: RunIn | None = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> RunOut:
    """Queue a match run on the programme's current configuration and participants.
    With ``rematch_of``, the run honours that run's decisions. Answers 202 at once; poll
    ``GET /v1/runs/{id}``. The same ``Idempotency-Key`` returns the same run."""
    programme = get_programme(session, principal, programme_id, write=True)
    run = ops.create_run(
        session,
        programme,
        principal,
        (body or RunIn()).model_dump(mode="json"),
        idempotency_key,
    ).run
    session.commit()
    response.headers["Location"] = f"/v1/runs/{run.id}"
    return _run_out(session, run, language)


@router.get("/v1/programmes/{programme_id}/runs", responses=READ_ERRORS)
def list_runs(
    programme_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    language: LanguageDep,
) -> Page[RunOut]:
    programme = get_programme(session, principal, programme_id)
    query = select(Run).where(Run.programme_id == programme.id)
    rows = paginate(session, query, page, Run.created_at.desc(), Run.id)
    return page_of(rows, [_run_out(session, r, language) for r in rows.items])


@router.get("/v1/runs/{run_id}", responses=READ_ERRORS)
def read_run(
    run_id: PathText, principal: PrincipalDep, session: SessionDep, language: LanguageDep
) -> RunOut:
    """A run; its warnings and a failed run's ``error.message`` in the ``Accept-Language``
    asked for, else in its programme's language (``type`` and ``reason`` stay English)."""
    return _run_out(session, get_run(session, principal, run_id), language)


@router.post("/v1/runs/{run_id}/cancel", responses=ERRORS)
def cancel_run(
    run_id: PathText, principal: PrincipalDep, session: SessionDep, language: LanguageDep
) -> RunOut:
    """Cancel a queued run, or ask the worker to stop a running one."""
    run = get_run(session, principal, run_id, write=True)
    ops.cancel(run)
    session.commit()
    return _run_out(session, run, language)


def _run_out(session: Session, run: Run, language: str | None) -> RunOut:
    """A run with its words — its warnings, a failed run's ``error.message`` — in
    ``language``, else in its programme's language."""
    said = language or ops.language_of(session, run)
    out = ops.run_out(session, run, said)
    if out["error"]:
        out["error"] = error_in(out["error"], said)
    return RunOut.model_validate(out)


class _Ids:
    """Person ids as the caller may see them: as stored, or pseudonyms for researchers."""

    def __init__(self, principal: Principal, secret: bytes, programme_id: str) -> None:
        self.hide = principal.role == "researcher"
        self.secret = secret
        self.programme_id = programme_id

    def __call__(self, person_id: str) -> str:
        return pseudonym(self.secret, self.programme_id, person_id) if self.hide else person_id


def _alternatives(
    session: Session, run_id: str, mentee_ids: list[str], ids: _Ids
) -> dict[str, list[AlternativeOut]]:
    found: dict[str, list[AlternativeOut]] = defaultdict(list)
    rows = session.scalars(
        select(RunAlternative)
        .where(RunAlternative.run_id == run_id, RunAlternative.mentee_id.in_(mentee_ids))
        .order_by(RunAlternative.mentee_id, RunAlternative.rank)
    )
    for row in rows:
        found[row.mentee_id].append(
            AlternativeOut(
                mentor_id=ids(row.mentor_id), score=row.score, spare_capacity=row.spare_capacity
            )
        )
    return found


class _CarriedNote:
    """A carried-over mentee's pair says so after its explanation: the bonus her pairs
    got, or that she was matched first (:mod:`service.carry_over`)."""

    def __init__(self, run: Run, language: str) -> None:
        priority = run.priority or {}
        self.carried = set(priority.get("carried") or [])
        t = translator(language if language in LANGUAGES else "en")
        bonus = priority.get("bonus")
        self.note = (
            t("wave.carried_bonus", bonus=f"{bonus:g}")
            if priority.get("mode") == "bonus"
            else t("wave.carried_first")
        )

    def __call__(self, mentee_id: str, why: str) -> str:
        return f"{why}; {self.note}" if mentee_id in self.carried else why


@router.get("/v1/runs/{run_id}/pairs", responses=READ_ERRORS)
def run_pairs(
    run_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
    secret: SecretDep,
    page: PageDep,
    language: LanguageDep,
    decision: Annotated[Decided | None, Query(description="Only pairs with this decision")] = None,
    min_score: Annotated[
        float | None, Query(ge=0, le=MAX_SCORE, description="Only pairs scoring at least this")
    ] = None,
    max_score: Annotated[
        float | None, Query(ge=0, le=MAX_SCORE, description="Only pairs scoring at most this")
    ] = None,
) -> Page[RunPairOut]:
    """Suggested pairs with each criterion's contribution, the evidence in words (in the
    ``Accept-Language`` asked for: en, fr or ar), the coordinators' decision so far, and
    the mentee's alternatives; filtered by decision and score when asked (an unknown
    parameter is refused, never ignored)."""
    run = get_run(session, principal, run_id)
    ids = _Ids(principal, secret, run.programme_id)
    query = select(RunPair).where(RunPair.run_id == run.id)
    if decision is not None:
        query = query.where(RunPair.decision == decision)
    if min_score is not None:
        query = query.where(RunPair.score >= min_score)
    if max_score is not None:
        query = query.where(RunPair.score <= max_score)
    rows = paginate(session, query, page, RunPair.position, RunPair.id)
    alternatives = _alternatives(session, run.id, [r.mentee_id for r in rows.items], ids)
    carried = _CarriedNote(run, language or ops.language_of(session, run))
    items = [
        RunPairOut(
            mentee_id=ids(r.mentee_id),
            mentor_id=ids(r.mentor_id),
            score=r.score,
            contributions=r.contributions,
            why=carried(r.mentee_id, why_in(r.why, r.evidence, language)),
            decision=r.decision,
            alternatives=alternatives.get(r.mentee_id, []),
        )
        for r in rows.items
    ]
    return page_of(rows, items)


@router.get("/v1/runs/{run_id}/unmatched", responses=READ_ERRORS)
def run_unmatched(
    run_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
    secret: SecretDep,
    page: PageDep,
    language: LanguageDep,
) -> Page[RunUnmatchedOut]:
    """Mentees left unmatched, each with the reason and a detail in words (in the
    ``Accept-Language`` asked for)."""
    run = get_run(session, principal, run_id)
    ids = _Ids(principal, secret, run.programme_id)
    query = select(RunUnmatched).where(RunUnmatched.run_id == run.id)
    rows = paginate(session, query, page, RunUnmatched.mentee_id)
    alternatives = _alternatives(session, run.id, [r.mentee_id for r in rows.items], ids)
    items = [
        RunUnmatchedOut(
            mentee_id=ids(r.mentee_id),
            reason=r.reason,
            detail=detail_in(r.detail, r.evidence, language),
            alternatives=alternatives.get(r.mentee_id, []),
        )
        for r in rows.items
    ]
    return page_of(rows, items)


@router.get("/v1/runs/{run_id}/gaps", responses=READ_ERRORS)
def run_gaps(run_id: PathText, principal: PrincipalDep, session: SessionDep) -> list[GapOut]:
    """Recruitment gaps: needs and languages that unmatched mentees share, with counts;
    with groups in the programme, one gap per group value holding unmatched mentees
    (``group``), with the need and language most of them share."""
    run = get_run(session, principal, run_id)
    rows = session.scalars(
        select(RunGap).where(RunGap.run_id == run.id).order_by(RunGap.mentees.desc(), RunGap.id)
    )
    return [
        GapOut(
            need=r.need,
            language=r.language,
            mentees=r.mentees,
            group=r.group or {},
            sharing=r.sharing,
        )
        for r in rows
    ]
