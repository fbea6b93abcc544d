"""The run review: suggested pairs with score bars, evidence and alternatives; filters and
sorting; approve / reject / lock / swap per row (htmx swaps the row) and in bulk;
unmatched mentees and recruitment gaps; charts; rematch and its diff; publish; exports.

Every write goes through :mod:`service.ops` (the API's operations, with its audit rows,
its decision lock and its capacity check) and every read through
:func:`service.deps.get_run` / ``get_programme``, so a coordinator of another programme
gets 404. The operations' refusals are shown in the page's language.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import StreamingResponse

from service.auth import Principal
from service.deps import SessionDep, get_programme, get_run, not_found
from service.explanations import RunValues
from service.models import Programme, ProgrammeVersion, Run
from service.ops import decisions as decision_ops
from service.ops import runs as run_ops
from service.ops.errors import ConflictError, NotFoundError, OperationError
from service.schemas.runs import RunIn
from service.spreadsheets import csv_chunks, to_xlsx
from service.web import _queries as queries
from service.web.figures import compare_charts, run_charts
from service.web.rendering import Page, PageDep
from service.web.routing import WebRoute, describe, is_htmx, see_other
from service.web.run_reads import RunReadsDep
from service.web.security import WebPrincipalDep, check_csrf

router = APIRouter(route_class=WebRoute, include_in_schema=False)

NOTICES = ("bulk", "published", "rematch")
TERMINAL = ("succeeded", "failed", "cancelled")


def _score(text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


MAX_GROUP_FILTERS = 20


def _group_filters(given: list[str] | None) -> tuple[tuple[str, str], ...]:
    """``column=value`` query parameters as (column, value), the last per column kept;
    anything else (no ``=``, an empty value, too long) dropped."""
    found: dict[str, str] = {}
    for item in (given or [])[:MAX_GROUP_FILTERS]:
        column, sep, value = item.partition("=")
        if sep and column and value and len(item) <= 400:
            found[column] = value
    return tuple(found.items())


def get_filters(
    decision: Annotated[str, Query(max_length=20)] = "",
    region: Annotated[str, Query(max_length=200)] = "",
    group: Annotated[list[str] | None, Query()] = None,
    unmet: Annotated[str, Query(max_length=200)] = "",
    min_score: Annotated[str, Query(max_length=20)] = "",
    max_score: Annotated[str, Query(max_length=20)] = "",
    sort: Annotated[str, Query(max_length=210)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> queries.Filters:
    return queries.Filters(
        decision=decision if decision in queries.DECISIONS else "",
        region=region,
        groups=_group_filters(group),
        unmet=unmet,
        min_score=_score(min_score),
        max_score=_score(max_score),
        sort=sort or "score_desc",
        page=page,
    )


FiltersDep = Annotated[queries.Filters, Depends(get_filters)]


def _programme(session: SessionDep, principal: Principal, run: Run) -> Programme:
    return get_programme(session, principal, run.programme_id)


def _notice(page: Page, request: Request) -> str | None:
    kind = request.query_params.get("notice", "")
    count = request.query_params.get("n", "0")
    count = count if count.isdigit() else "0"
    if kind == "bulk":
        decision = request.query_params.get("d", "")
        if decision in queries.DECISIONS:
            return page.t("bulk.done", count=count, decision=page.t(f"decision.{decision}"))
    if kind == "published":
        return page.t("publish.done", count=count)
    return None


@router.get("/runs/{run_id}")
def review_page(
    run_id: str,
    request: Request,
    principal: WebPrincipalDep,
    page: PageDep,
    session: SessionDep,
    filters: FiltersDep,
    reads: RunReadsDep,
    unmatched_page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    run = get_run(session, principal, run_id)
    programme = _programme(session, principal, run)
    context: dict[str, Any] = {
        "principal": principal,
        "programme": programme,
        "run": run,
        "notice": _notice(page, request),
        "criteria": queries.run_criteria(run),
        "filters": filters,
        "outcomes": run_ops.outcomes(run, page.lang),
    }
    if run.status != "succeeded":
        return page.render("run.html", ready=False, **context)
    view = reads.view(session, run, filters.reads_contributions)
    return page.render(
        "run.html",
        ready=True,
        review=queries.review(session, run, filters, view.pairs),
        counts=queries.decision_counts(session, run),
        decisions_made=queries.decisions_made(session, run),
        unmatched=queries.unmatched(session, run, unmatched_page),
        gaps=queries.gap_matrix(session, run),
        group_gaps=queries.group_gaps(session, run),
        values=_run_values(session, run, page),
        charts=run_charts(page, view.stats),
        **context,
    )


def _run_values(session: SessionDep, run: Run, page: Page) -> RunValues:
    """Needs and languages as the run's configuration labels them, in the page's language."""
    version = session.get(ProgrammeVersion, (run.programme_id, run.version))
    return RunValues(version.config if version is not None else None, page.lang)


@router.get("/runs/{run_id}/progress")
def progress(
    run_id: str, principal: WebPrincipalDep, page: PageDep, session: SessionDep
) -> Response:
    """The waiting run's status block; once the run has ended, the page reloads itself."""
    run = get_run(session, principal, run_id)
    headers = {"HX-Refresh": "true"} if run.status in TERMINAL else None
    return page.render("_progress.html", run=run, headers=headers)


def _require_results(run: Run) -> None:
    if run.status != "succeeded":
        raise ConflictError("run_not_ready", "the run has no results", status=run.status)


@router.post("/runs/{run_id}/decide", dependencies=[Depends(check_csrf)])
def decide(
    run_id: str,
    request: Request,
    principal: WebPrincipalDep,
    page: PageDep,
    session: SessionDep,
    pair_id: Annotated[int, Form()],
    action: Annotated[str, Form(max_length=20)],
    new_mentor_id: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Approve, reject, lock or swap one pair; htmx gets the row back, re-rendered."""
    run = get_run(session, principal, run_id, write=True)
    error: str | None = None
    try:
        decision_ops.decide_on_pair(
            session, run, principal, pair_id, action, new_mentor_id or None, reason
        )
        session.commit()
    except OperationError as problem:
        session.rollback()
        if not is_htmx(request) or isinstance(problem, NotFoundError):
            raise
        error = describe(page, problem)
    if not is_htmx(request):
        return see_other(request, f"/runs/{run.id}#pair-{pair_id}")
    row = queries.review_row(session, run, pair_id)
    if row is None:
        raise not_found("no such pair in this run")
    notice = (
        None if error else page.t("decided.ok", decision=page.t(f"decision.{row.pair.decision}"))
    )
    return page.render(
        "_pair_row.html",
        run=run,
        row=row,
        criteria=queries.run_criteria(run),
        row_notice=notice,
        row_error=error,
    )


@router.post("/runs/{run_id}/bulk", dependencies=[Depends(check_csrf)])
def bulk(
    run_id: str,
    request: Request,
    principal: WebPrincipalDep,
    session: SessionDep,
    filters: FiltersDep,
    action: Annotated[str, Form(max_length=20)],
    scope: Annotated[str, Form(max_length=20)] = "selected",
    pair: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """One decision for many pairs: the ones ticked, or every suggested pair the current
    filters show. All are saved, or none."""
    run = get_run(session, principal, run_id, write=True)
    if scope == "shown":
        ids = [
            line.id
            for line in queries.filtered_lines(session, run, filters)
            if line.decision == "suggested"
        ]
    else:
        ids = pair or []
    decided = decision_ops.decide_many(session, run, principal, action, ids)
    session.commit()
    outcome = {"approve": "approved", "reject": "rejected", "lock": "locked"}[action]
    params = [*filters.as_params(), ("notice", "bulk"), ("n", str(decided)), ("d", outcome)]
    query = urlencode(params)
    return see_other(request, f"/runs/{run.id}?{query}#pairs")


@router.post("/runs/{run_id}/rematch", dependencies=[Depends(check_csrf)])
def rematch(
    run_id: str, request: Request, principal: WebPrincipalDep, session: SessionDep
) -> Response:
    """Queue a run that honours this run's decisions (the API's ``rematch_of``)."""
    run = get_run(session, principal, run_id, write=True)
    programme = get_programme(session, principal, run.programme_id, write=True)
    body = RunIn(objective=run.objective, rematch_of=run.id)
    new_run = run_ops.create_run(
        session, programme, principal, body.model_dump(mode="json"), None
    ).run
    session.commit()
    return see_other(request, f"/runs/{new_run.id}")


@router.get("/runs/{run_id}/diff")
def diff_page(
    run_id: str,
    principal: WebPrincipalDep,
    page: PageDep,
    session: SessionDep,
    reads: RunReadsDep,
) -> Response:
    """What a rematch changed compared with the run it rematched, with charts."""
    run = get_run(session, principal, run_id)
    if run.rematch_of is None:
        raise not_found("this run is not a rematch")
    before = get_run(session, principal, run.rematch_of)
    _require_results(run)
    _require_results(before)
    return page.render(
        "diff.html",
        principal=principal,
        programme=_programme(session, principal, run),
        run=run,
        before=before,
        diff=queries.diff(session, before, run),
        charts=compare_charts(
            page, reads.view(session, before).stats, reads.view(session, run).stats
        ),
    )


@router.post("/runs/{run_id}/publish", dependencies=[Depends(check_csrf)])
def publish(
    run_id: str, request: Request, principal: WebPrincipalDep, session: SessionDep
) -> Response:
    run = get_run(session, principal, run_id, write=True)
    programme = get_programme(session, principal, run.programme_id, write=True)
    published = decision_ops.publish(session, run, programme)
    session.commit()
    return see_other(request, f"/runs/{run.id}?notice=published&n={published.active_pairs}")


@router.get("/runs/{run_id}/export.{fmt}")
def export(
    run_id: str,
    fmt: str,
    principal: WebPrincipalDep,
    session: SessionDep,
    filters: FiltersDep,
    page: PageDep,
    reads: RunReadsDep,
) -> Response:
    """The pairs the filters show (all by default) as CSV or XLSX, formula-safe, the
    explanations in the page's language."""
    if fmt not in ("csv", "xlsx"):
        raise not_found()
    run = get_run(session, principal, run_id)
    _require_results(run)
    criteria = queries.run_criteria(run)
    columns = queries.run_columns(session, run)
    region = [f"mentee_{columns.region}"] if columns.region else []
    header = [
        "mentee_id",
        "mentee_name",
        "mentor_id",
        "mentor_name",
        "score",
        *criteria,
        "why",
        "decision",
        *region,
        *(f"mentee_{column}" for column in columns.groups),
    ]
    # Read now (the session ends with the request); written out row by row as it streams.
    found = queries.export_rows(session, run, filters, reads.view(session, run, True).pairs)
    rows = (
        [
            r.mentee_id,
            r.mentee_name,
            r.mentor_id,
            r.mentor_name,
            round(r.score, 6),
            *(round(r.contributions[c], 6) if c in r.contributions else None for c in criteria),
            page.why(r.why, r.evidence()),
            r.decision,
            *([r.traits.region] if columns.region else []),
            *(r.traits.groups or ("",) * len(columns.groups)),  # an erased mentee: empty
        ]
        for r in found
    )
    name = f"marraine-{run.id}-pairs.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return StreamingResponse(
            csv_chunks(header, rows), media_type="text/csv; charset=utf-8", headers=disposition
        )
    return Response(
        to_xlsx(header, rows, "pairs"),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=disposition,
    )
