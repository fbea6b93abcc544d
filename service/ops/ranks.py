"""Ranked preferences stored with a programme: one table per side, replaced as a whole.

A stable run that brings no ranks of its own, and redoes no run that had some, takes a
copy of the programme's stored ranks when it is queued; later uploads do not change it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Participant, ProgrammeRanks, utcnow
from service.ops.errors import NotFoundError
from service.ops.participants import EngineSide

__all__ = ["StoredRanks", "participant_ids", "remove", "snapshot", "store", "stored"]


@dataclass(frozen=True)
class StoredRanks:
    """What is stored for one side: how many choices, by how many people, which file."""

    side: EngineSide
    rows: int
    people: int
    sha256: str
    uploaded_at: datetime


def participant_ids(session: Session, programme_id: str) -> tuple[list[str], list[str]]:
    """The ids of the programme's approved mentees and mentors (what a rank file may
    name)."""
    ids: dict[str, list[str]] = {"mentee": [], "mentor": []}
    found = session.execute(
        select(Participant.side, Participant.person_id).where(
            Participant.programme_id == programme_id, Participant.status == "approved"
        )
    )
    for side, person_id in found:
        ids[side].append(person_id)
    return ids["mentee"], ids["mentor"]


def store(
    session: Session, programme_id: str, side: EngineSide, table: pd.DataFrame, key_id: str
) -> StoredRanks:
    """Replace one side's ranks with ``table`` (validated ``mentee_id, mentor_id, rank``)."""
    rows = [[str(a), str(b), int(r)] for a, b, r in table.itertuples(index=False, name=None)]
    sha256 = hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()
    entry = session.get(ProgrammeRanks, (programme_id, side))
    if entry is None:
        entry = ProgrammeRanks(programme_id=programme_id, side=side)
        session.add(entry)
    entry.rows, entry.sha256 = rows, sha256
    entry.uploaded_at, entry.uploaded_by = utcnow(), key_id
    session.flush()
    return _summary(entry)


def stored(session: Session, programme_id: str, side: EngineSide) -> StoredRanks:
    """What is stored for one side; :class:`NotFoundError` when nothing is."""
    return _summary(_entry(session, programme_id, side))


def remove(session: Session, programme_id: str, side: EngineSide) -> None:
    """Forget one side's ranks (runs already queued keep their copy)."""
    session.delete(_entry(session, programme_id, side))
    session.flush()


def snapshot(session: Session, programme_id: str) -> dict[str, list[list[Any]]] | None:
    """The stored ranks as a run keeps them (side to rows), or None when there are none."""
    entries = session.scalars(
        select(ProgrammeRanks).where(ProgrammeRanks.programme_id == programme_id)
    ).all()
    return {entry.side: list(entry.rows) for entry in entries} or None


def _entry(session: Session, programme_id: str, side: EngineSide) -> ProgrammeRanks:
    entry = session.get(ProgrammeRanks, (programme_id, side))
    if entry is None:
        raise NotFoundError("ranks_not_found", f"no {side} ranks are stored", side=side)
    return entry


def _summary(entry: ProgrammeRanks) -> StoredRanks:
    people = {row[0] if entry.side == "mentee" else row[1] for row in entry.rows}
    side: EngineSide = "mentee" if entry.side == "mentee" else "mentor"
    return StoredRanks(side, len(entry.rows), len(people), entry.sha256, entry.uploaded_at)
