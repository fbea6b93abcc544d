"""The check before a run: what a run of the programme's current configuration would read
of its stored participants (:func:`matching.check_inputs`), without matching anyone."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from matching import check_inputs
from matching.model import Programme as EngineProgramme
from service.models import Programme, ProgrammeVersion
from service.ops.errors import ConflictError
from service.ops.participants import side_frame

__all__ = ["check_programme"]


def check_programme(session: Session, programme: Programme) -> dict[str, Any]:
    """The engine's input report on the programme's participants and configuration:
    roles, criteria, rules (pairs excluded), unread columns, quotas, warnings, and the
    problems that would refuse a run (as JSON-ready data)."""
    version = session.get(ProgrammeVersion, (programme.id, programme.version))
    if version is None:  # every programme is created with its version 1
        raise ConflictError("no_configuration", "programme has no configuration")
    config = EngineProgramme.from_dict(version.config)
    mentees = side_frame(session, programme.id, "mentee", config)
    mentors = side_frame(session, programme.id, "mentor", config)
    return check_inputs(mentees, mentors, config).to_dict()
