"""``/v1/programmes/{id}/ranks/{side}``: each side's ranked preferences for stable runs,
uploaded as a file (``mentee_id, mentor_id, rank``) with the engine's row-level report."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile

from matching.errors import InputError
from matching.io import read_ranks
from service.deps import PathText, PrincipalDep, SessionDep, get_programme
from service.errors import UnprocessableError, checked_file_name, input_error_items
from service.ops import ranks as ops
from service.ops.participants import EngineSide
from service.schemas.common import BODY, READ, WRITE, error_responses, upload_body
from service.schemas.participants import Side
from service.schemas.ranks import RanksOut

router = APIRouter(prefix="/v1/programmes/{programme_id}/ranks", tags=["ranks"])

READ_ERRORS = error_responses(READ)
ERRORS = error_responses(WRITE, BODY)
WRITE_ERRORS = error_responses(WRITE)
RANK_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")


def _engine_side(side: Side) -> EngineSide:
    return "mentee" if side == "mentees" else "mentor"


def _out(side: Side, stored: ops.StoredRanks) -> RanksOut:
    return RanksOut(
        side=side,
        rows=stored.rows,
        people=stored.people,
        sha256=stored.sha256,
        uploaded_at=stored.uploaded_at,
    )


@router.put("/{side}", responses=ERRORS, openapi_extra=upload_body(RANK_SUFFIXES))
def upload_ranks(
    programme_id: PathText,
    side: Side,
    file: Annotated[
        UploadFile, File(description="CSV (, ; or tab) or .xlsx: mentee_id, mentor_id, rank")
    ],
    principal: PrincipalDep,
    session: SessionDep,
) -> RanksOut:
    """Store one side's ranked choices, replacing any stored before. Every id must name a
    participant already uploaded; the file is refused as a whole with the row-level
    report (file, row, column, reason) otherwise. Rank 1 is a first choice, equal ranks
    are ties, and an unranked pair is not acceptable to that side (README, "Stable
    matching and ranked preferences"). Stable runs queued afterwards use them."""
    programme = get_programme(session, principal, programme_id, write=True)
    name, suffix = checked_file_name(file.filename, "ranks.csv", RANK_SUFFIXES)
    mentee_ids, mentor_ids = ops.participant_ids(session, programme.id)
    with tempfile.TemporaryDirectory(prefix="marraine-ranks-") as folder:
        path = Path(folder) / f"ranks{suffix}"
        with path.open("wb") as copy:
            shutil.copyfileobj(file.file, copy)
        try:
            table = read_ranks(path, mentee_ids, mentor_ids)
        except InputError as error:
            items = input_error_items(error, ["body", "file"])
            for item in items:
                item["file"] = name  # the user's file name, not our temporary one
            raise UnprocessableError(items) from None
    stored = ops.store(session, programme.id, _engine_side(side), table, principal.key_id)
    session.commit()
    return _out(side, stored)


@router.get("/{side}", responses=READ_ERRORS)
def get_ranks(
    programme_id: PathText, side: Side, principal: PrincipalDep, session: SessionDep
) -> RanksOut:
    """What is stored for one side (counts and hash, not the choices)."""
    programme = get_programme(session, principal, programme_id)
    return _out(side, ops.stored(session, programme.id, _engine_side(side)))


@router.delete("/{side}", status_code=204, responses=WRITE_ERRORS)
def delete_ranks(
    programme_id: PathText, side: Side, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Forget one side's ranked choices; runs already queued keep the copy they took."""
    programme = get_programme(session, principal, programme_id, write=True)
    ops.remove(session, programme.id, _engine_side(side))
    session.commit()
    return Response(status_code=204)
