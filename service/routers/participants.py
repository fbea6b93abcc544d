"""``/v1/programmes/{id}/participants/{side}``: bulk JSON upsert, CSV/XLSX upload with
the engine's row-level report, paginated lists, export and erasure of one person."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.errors import InputError
from matching.model import Programme as EngineProgramme
from service.db import checkpoint
from service.deps import (
    PageDep,
    PathText,
    PrincipalDep,
    SecretDep,
    SessionDep,
    SettingsDep,
    get_programme,
    not_found,
)
from service.errors import UnprocessableError, checked_file_name, input_error_items
from service.models import Participant, Programme, ProgrammeVersion
from service.ops import participants as ops
from service.ops.paging import paginate
from service.schemas.common import (
    BODY,
    READ,
    WRITE,
    Page,
    error_responses,
    page_of,
    upload_body,
)
from service.schemas.participants import (
    ErasureOut,
    ExportOut,
    ParticipantOut,
    ParticipantsIn,
    Side,
    UpsertOut,
)

router = APIRouter(prefix="/v1/programmes/{programme_id}/participants", tags=["participants"])

READ_ERRORS = error_responses(READ)
ERRORS = error_responses(WRITE, BODY)
UPLOAD_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")


def _engine_side(side: Side) -> ops.EngineSide:
    return "mentee" if side == "mentees" else "mentor"


def _engine_programme(session: Session, programme: Programme) -> EngineProgramme:
    version = session.get(ProgrammeVersion, (programme.id, programme.version))
    assert version is not None  # written with the programme
    return EngineProgramme.from_dict(version.config)


@router.post("/{side}", responses=ERRORS)
def upsert(
    programme_id: PathText,
    side: Side,
    body: ParticipantsIn,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
) -> UpsertOut:
    """Insert or replace participants by id. All are checked first; on any problem
    nothing is stored and the answer lists every problem (position, column, reason)."""
    programme = get_programme(session, principal, programme_id, write=True)
    limit = settings.max_batch_mentees if side == "mentees" else settings.max_batch_mentors
    if len(body.participants) > limit:
        raise HTTPException(status_code=413, detail=f"at most {limit} {side} per request")
    records = [p.record() for p in body.participants]
    try:
        checked = ops.check_records(
            records, _engine_programme(session, programme), _engine_side(side)
        )
    except InputError as error:
        raise UnprocessableError(input_error_items(error, ["body", "participants"])) from None
    created, updated = ops.upsert(session, programme.id, _engine_side(side), checked)
    session.commit()
    return UpsertOut(created=created, updated=updated)


@router.post("/{side}/file", responses=ERRORS, openapi_extra=upload_body(UPLOAD_SUFFIXES))
def upload(
    programme_id: PathText,
    side: Side,
    file: Annotated[UploadFile, File(description="CSV (, ; or tab) or .xlsx")],
    principal: PrincipalDep,
    session: SessionDep,
) -> UpsertOut:
    """Upload a participant file. Refused as a whole with the engine's row-level report
    (file, row, column, reason) when any row is invalid; then nothing is stored."""
    # Imported on the first upload, not at start-up: the readers bring pandas' Excel and
    # Parquet engines, which every API process would otherwise load to serve nothing.
    from matching.io import read_participants

    programme = get_programme(session, principal, programme_id, write=True)
    name, suffix = checked_file_name(file.filename, "upload.csv", UPLOAD_SUFFIXES)
    with tempfile.TemporaryDirectory(prefix="marraine-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        with path.open("wb") as copy:
            shutil.copyfileobj(file.file, copy)
        try:
            frame = read_participants(
                path, _engine_side(side), _engine_programme(session, programme)
            )
        except InputError as error:
            items = input_error_items(error, ["body", "file"])
            for item in items:
                item["file"] = name  # the user's file name, not our temporary one
            raise UnprocessableError(items) from None
    created, updated = ops.upsert(
        session, programme.id, _engine_side(side), ops.frame_records(frame)
    )
    session.commit()
    return UpsertOut(created=created, updated=updated)


@router.get("/{side}", responses=READ_ERRORS)
def list_participants(
    programme_id: PathText,
    side: Side,
    principal: PrincipalDep,
    session: SessionDep,
    secret: SecretDep,
    page: PageDep,
) -> Page[ParticipantOut]:
    """Approved participants by id (sign-ups waiting for approval are listed under
    ``.../sign-ups``); researchers see pseudonyms and no free text."""
    programme = get_programme(session, principal, programme_id)
    query = select(Participant).where(
        Participant.programme_id == programme.id,
        Participant.side == _engine_side(side),
        Participant.status == "approved",
    )
    rows = paginate(session, query, page, Participant.person_id)
    if principal.role == "researcher":
        engine_programme = _engine_programme(session, programme)
        items = []
        for row in rows.items:
            alias, fields = ops.research_view(row, engine_programme, secret)
            items.append(ParticipantOut(id=alias, fields=fields, updated_at=row.updated_at))
    else:
        items = [
            ParticipantOut(id=r.person_id, fields=r.data, updated_at=r.updated_at)
            for r in rows.items
        ]
    return page_of(rows, items)


def _person(session: Session, programme: Programme, side: Side, person_id: str) -> Participant:
    row = session.scalars(
        select(Participant).where(
            Participant.programme_id == programme.id,
            Participant.side == _engine_side(side),
            Participant.person_id == person_id,
        )
    ).first()
    if row is None:
        raise not_found("participant not found")
    return row


# ``:path``: an id stored before the id rule refused ``/`` can still be exported and erased.
@router.get("/{side}/{person_id:path}", responses=READ_ERRORS)
def export_person(
    programme_id: PathText,
    side: Side,
    person_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
) -> ExportOut:
    """Everything held about one person, as JSON (right of access)."""
    programme = get_programme(session, principal, programme_id, write=True)
    return ExportOut.model_validate(
        ops.export(session, _person(session, programme, side, person_id))
    )


@router.delete("/{side}/{person_id:path}", responses=ERRORS)
def erase_person(
    programme_id: PathText,
    side: Side,
    person_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
    secret: SecretDep,
) -> ErasureOut:
    """Erase a person: gone from participants, runs' results, published pairs and later
    exports; the audit log keeps her decisions under a pseudonym."""
    programme = get_programme(session, principal, programme_id, write=True)
    participant = _person(session, programme, side, person_id)
    alias, removed = ops.erase(session, participant, secret, principal.key_id)
    session.commit()
    # SQLite's write-ahead log still holds the erased rows' old pages until a checkpoint.
    checkpoint(session.get_bind())
    return ErasureOut(erased=True, pseudonym=alias, removed=removed)
