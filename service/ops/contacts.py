"""Who a message is for: a participant's name, e-mail address and language, read from
her stored fields through the programme's ``[fields]`` (``name``, ``email``,
``language``), never from fixed column names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.errors import ConfigError
from matching.messages import LANGUAGES
from matching.model import Programme as EngineProgramme
from service.db import batches
from service.models import Participant, ProgrammeVersion

__all__ = ["Contact", "contacts", "run_programme"]

DEFAULT_NAME = "name"
DEFAULT_EMAIL = "email"


@dataclass(frozen=True)
class Contact:
    """How to address one person (``email`` None: the programme has no address for her)."""

    person_id: str
    name: str
    email: str | None
    language: str


def run_programme(session: Session, programme_id: str, version: int) -> EngineProgramme | None:
    """The configuration a run of ``programme_id`` used (None if it no longer validates)."""
    stored = session.get(ProgrammeVersion, (programme_id, version))
    if stored is None:
        return None
    try:
        return EngineProgramme.from_dict(stored.config)
    except ConfigError:
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def contacts(
    session: Session,
    programme_id: str,
    side: str,
    person_ids: Iterable[str],
    programme: EngineProgramme | None,
) -> dict[str, Contact]:
    """Each person's contact on ``side`` (people erased since are absent)."""
    fields = None
    if programme is not None:
        fields = programme.fields.mentee if side == "mentee" else programme.fields.mentor
    name_column = (fields.name if fields else None) or DEFAULT_NAME
    email_column = (fields.email if fields else None) or DEFAULT_EMAIL
    language_column = fields.language if fields else None
    fallback = programme.language if programme is not None else "en"
    found: dict[str, Contact] = {}
    for batch in batches(person_ids):
        rows = session.execute(
            select(Participant.person_id, Participant.data).where(
                Participant.programme_id == programme_id,
                Participant.side == side,
                Participant.person_id.in_(batch),
            )
        ).all()
        for person_id, data in rows:
            language = _text(data.get(language_column)) if language_column else None
            found[person_id] = Contact(
                person_id=person_id,
                name=_text(data.get(name_column)) or person_id,
                email=_text(data.get(email_column)),
                language=language if language in LANGUAGES else fallback,
            )
    return found
