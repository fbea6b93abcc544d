"""Waves (intakes): a programme's wave settings, opening, listing and closing waves, and
each wave's report (JSON or CSV). Runs join a wave with ``wave_id``
(``POST /v1/programmes/{id}/runs``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth import Principal
from service.deps import PathText, PrincipalDep, SessionDep, get_programme
from service.models import Wave, WaveSettings
from service.ops import waves as ops
from service.ops.errors import NotFoundError
from service.schemas.common import BODY, READ, WRITE, error_responses
from service.schemas.waves import (
    WaveIn,
    WaveLineOut,
    WaveOut,
    WaveReportOut,
    WaveSettingsIn,
    WaveSettingsOut,
)
from service.spreadsheets import to_csv

router = APIRouter(tags=["waves"])

READ_ERRORS = error_responses(READ)
WRITE_ERRORS = error_responses(WRITE, 409)
BODY_ERRORS = error_responses(WRITE, BODY, 409)
REPORT_ERRORS = error_responses(READ, 409)

REPORT_HEADER = ("column", "value", "participants", "matched", "carried_in", "carried_over")


def get_wave(session: Session, principal: Principal, wave_id: str, *, write: bool = False) -> Wave:
    """The wave if its programme is the caller's; 404 otherwise."""
    wave = session.get(Wave, wave_id)
    if wave is None or not principal.sees(wave.programme_id):
        raise NotFoundError("wave_not_found", "wave not found")
    get_programme(session, principal, wave.programme_id, write=write)
    return wave


def _settings_out(stored: WaveSettings) -> WaveSettingsOut:
    return WaveSettingsOut(
        priority=stored.priority,
        bonus=stored.bonus,
        choices=stored.choices,
        choices_k=stored.choices_k,
        choice_days=stored.choice_days,
    )


def _wave_out(session: Session, wave: Wave) -> WaveOut:
    return WaveOut(
        id=wave.id,
        programme_id=wave.programme_id,
        number=wave.number,
        name=wave.name,
        status=wave.status,
        created_at=wave.created_at,
        closed_at=wave.closed_at,
        carried_in=len(ops.carried_into(session, wave)),
    )


@router.get("/v1/programmes/{programme_id}/wave-settings", responses=READ_ERRORS)
def read_settings(
    programme_id: PathText, principal: PrincipalDep, session: SessionDep
) -> WaveSettingsOut:
    """How carried-over mentees are favoured, and whether mentees rank a short list."""
    programme = get_programme(session, principal, programme_id)
    return _settings_out(ops.settings_of(session, programme.id))


@router.put("/v1/programmes/{programme_id}/wave-settings", responses=BODY_ERRORS)
def update_settings(
    programme_id: PathText, body: WaveSettingsIn, principal: PrincipalDep, session: SessionDep
) -> WaveSettingsOut:
    """Set the carry-over priority (runs queued from now on) and the choices' settings."""
    programme = get_programme(session, principal, programme_id, write=True)
    stored = session.get(WaveSettings, programme.id) or WaveSettings(programme_id=programme.id)
    for name, value in body.model_dump().items():
        setattr(stored, name, value)
    session.add(stored)
    session.commit()
    return _settings_out(stored)


@router.post("/v1/programmes/{programme_id}/waves", status_code=201, responses=BODY_ERRORS)
def create_wave(
    programme_id: PathText, principal: PrincipalDep, session: SessionDep, body: WaveIn | None = None
) -> WaveOut:
    """Open the programme's next wave (409 while one is open)."""
    programme = get_programme(session, principal, programme_id, write=True)
    wave = ops.create(session, programme, (body or WaveIn()).name)
    session.commit()
    return _wave_out(session, wave)


@router.get("/v1/programmes/{programme_id}/waves", responses=READ_ERRORS)
def list_waves(
    programme_id: PathText, principal: PrincipalDep, session: SessionDep
) -> list[WaveOut]:
    """The programme's waves, first to last."""
    programme = get_programme(session, principal, programme_id)
    rows = session.scalars(
        select(Wave).where(Wave.programme_id == programme.id).order_by(Wave.number)
    )
    return [_wave_out(session, wave) for wave in rows]


@router.get("/v1/waves/{wave_id}", responses=READ_ERRORS)
def read_wave(wave_id: PathText, principal: PrincipalDep, session: SessionDep) -> WaveOut:
    return _wave_out(session, get_wave(session, principal, wave_id))


@router.post("/v1/waves/{wave_id}/close", responses=WRITE_ERRORS)
def close_wave(wave_id: PathText, principal: PrincipalDep, session: SessionDep) -> WaveOut:
    """Close a wave: it takes no more runs; the next wave may open."""
    wave = get_wave(session, principal, wave_id, write=True)
    ops.close(wave)
    session.commit()
    return _wave_out(session, wave)


@router.get("/v1/waves/{wave_id}/report", responses=REPORT_ERRORS, response_model=None)
def wave_report(
    wave_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
    format: Annotated[Literal["json", "csv"], Query(description="JSON or a CSV file")] = "json",
) -> WaveReportOut | Response:
    """The wave's figures from its published run (409 before one is published):
    participants, matched, carried in and carried over, in all (the first line) and per
    value of each mentee group column. Counts only, never a person."""
    wave = get_wave(session, principal, wave_id)
    found = ops.report(session, wave)
    lines = [WaveLineOut.model_validate(line, from_attributes=True) for line in found.lines]
    if format == "json":
        return WaveReportOut(wave=_wave_out(session, wave), run_id=found.run_id, lines=lines)
    rows = [
        (
            line.column or "",
            line.value or "",
            line.participants,
            line.matched,
            line.carried_in,
            line.carried_over,
        )
        for line in lines
    ]
    return Response(
        to_csv(REPORT_HEADER, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="wave-{wave.number}.csv"'},
    )
