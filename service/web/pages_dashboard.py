"""The programme dashboard: participant counts, runs with live status and progress
(htmx polling until a run ends), the active pairs, and starting a run — through
:func:`service.ops.runs.create_run`, as the API does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from pydantic import ValidationError

from matching.errors import InputError
from service.auth import Principal
from service.deps import SessionDep, get_programme, get_run
from service.models import Programme
from service.ops import checkins as checkin_ops
from service.ops import runs as run_ops
from service.ops import sign_ups
from service.ops.checks import check_programme
from service.ops.errors import InvalidError
from service.ops.introductions import message_counts, queue_follow_up
from service.schemas.runs import RunIn
from service.web import _queries as queries
from service.web.rendering import Page, PageDep
from service.web.routing import WebRoute, is_htmx, see_other
from service.web.security import WebPrincipalDep, check_csrf

router = APIRouter(route_class=WebRoute, include_in_schema=False)

OBJECTIVES = ("coverage", "total", "fair", "stable")
PENDING_SHOWN = 100
"""Sign-ups listed on the dashboard at once (the oldest first; the API pages the rest)."""


@router.get("/programmes/{programme_id}")
def dashboard(
    programme_id: str, principal: WebPrincipalDep, page: PageDep, session: SessionDep
) -> Response:
    programme = get_programme(session, principal, programme_id)
    return dashboard_page(page, session, principal, programme)


def dashboard_page(
    page: Page,
    session: SessionDep,
    principal: Principal,
    programme: Programme,
    **check: Any,
) -> Response:
    """The dashboard, with a check's report (``report``, ``refused``) when one was asked."""
    total_active, active = queries.active_pairs(session, programme.id)
    if queue_follow_up(session, programme.id):  # the messages of a publish just made
        session.commit()
    return page.render(
        "dashboard.html",
        principal=principal,
        programme=programme,
        counts=queries.participant_counts(session, programme.id),
        runs=queries.programme_runs(session, programme.id),
        total_active=total_active,
        active=active,
        objectives=OBJECTIVES,
        follow_up=checkin_ops.stats(session, programme),
        messages=message_counts(session, programme.id),
        pending=(
            sign_ups.pending_people(session, programme, PENDING_SHOWN)
            if principal.role != "researcher"
            else []
        ),
        checked="report" in check,
        **{"report": None, "refused": None, **check},
    )


@router.post("/programmes/{programme_id}/check", dependencies=[Depends(check_csrf)])
def check(
    programme_id: str,
    request: Request,
    principal: WebPrincipalDep,
    page: PageDep,
    session: SessionDep,
) -> Response:
    """The check before a run, on the stored participants: htmx gets the report alone,
    a plain form the dashboard with the report in its panel."""
    programme = get_programme(session, principal, programme_id, write=True)
    try:
        report, refused = check_programme(session, programme, page.lang), None
    except InputError as error:
        report, refused = None, error.render(page.lang)
    if is_htmx(request):
        return page.render("_check.html", report=report, refused=refused)
    return dashboard_page(page, session, principal, programme, report=report, refused=refused)


@router.post("/programmes/{programme_id}/runs", dependencies=[Depends(check_csrf)])
def start_run(
    programme_id: str,
    request: Request,
    principal: WebPrincipalDep,
    session: SessionDep,
    objective: Annotated[str, Form(max_length=20)] = "",
    strict: Annotated[bool, Form()] = False,
) -> Response:
    programme = get_programme(session, principal, programme_id, write=True)
    try:
        body = RunIn(objective=objective or None, strict=strict)  # checked here
    except ValidationError:
        raise InvalidError("unknown_objective", "objective") from None
    run = run_ops.create_run(session, programme, principal, body.model_dump(mode="json"), None).run
    session.commit()
    return see_other(request, f"/runs/{run.id}")


@router.get("/runs/{run_id}/row")
def run_row(
    run_id: str, principal: WebPrincipalDep, page: PageDep, session: SessionDep
) -> Response:
    """One run's row of the dashboard table; it polls itself while the run is going."""
    run = get_run(session, principal, run_id)
    return page.render("_run_row.html", run=run)
